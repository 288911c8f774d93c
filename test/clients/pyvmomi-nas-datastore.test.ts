// pyVmomi: NFS datastores mounted and removed at run time through HostDatastoreSystem.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

describe("pyvmomi: NAS datastores", () => {
  it.each(["homelab", "vcenter-cluster"])("mounts an export, holds a VM's files, refuses to go while the VM is there, then goes (%s)", async (scenario) => {
    const out = await runPyvmomi("pyvmomi_nas_datastore.py", scenario);
    expect(out.created).toEqual(["nfs-vms", "NFS", "nas.example.com", "/exports/vms", 1024 ** 4, true]);
    expect(out.lists).toEqual([true, true, true, true]);
    expect(out.again).toBe("AlreadyExists");
    expect(out.sameNameOtherExport).toBe("DuplicateName");
    // a second host of vCenter mounting the same export joins the same datastore
    if (scenario === "vcenter-cluster") expect(out.shared).toEqual([true, 2, true]);
    expect(out.vmx).toBe(200);
    expect(out.inUse).toBe("ResourceInUse");
    expect(out.removed).toEqual([]);
    expect(out.events).toEqual(["DatastoreRemovedOnHostEvent", "NASDatastoreCreatedEvent"]);
  });
});
