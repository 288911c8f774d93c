// pyVmomi: an OVF import (CreateImportSpec, ImportVApp, upload to the lease, complete), on ESXi and on vCenter.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

const run = (scenario: string) => runPyvmomi("pyvmomi_ovf_import.py", scenario);

describe("pyvmomi: OVF import", () => {
  it.each([["homelab", "mydatastore"], ["vcenter-cluster", "shared-ds"]])("deploys an OVF with a streamOptimized disk, refuses what is not OVF, and an abort leaves nothing (%s)", async (scenario, ds) => {
    const out = await run(scenario);
    expect(out.spec).toEqual({ errors: [], warnings: 0, files: [["tiny-disk1.vmdk", 3584, "/tiny-imported/VirtualLsiLogicController0:0"]] });
    expect(out.leaseState).toBe("ready");
    expect(out.upload).toBe(200);
    expect(out.manifest).toEqual([[true, true, true]]);
    expect(out.leaseAfter).toBe("done");
    expect(out.vm).toEqual({
      name: "tiny-imported", parent: "vm", guestId: "otherLinux64Guest", cpus: 2, memoryMB: 256, version: "vmx-10", power: "poweredOff",
      disk: [`[${ds}] tiny-imported/tiny-imported.vmdk`, 65536, "VirtualLsiLogicController", 0, true],
      nic: ["VirtualVmxnet3", "VM Network"], cdroms: 1, guestinfo: ["imported"],
      data: ["boot sector", "data written by the appliance's build"],
      vmx: ['virtualHW.version = "10"', 'scsi0:0.fileName = "tiny-imported.vmdk"', 'ethernet0.virtualDev = "vmxnet3"', 'guestinfo.ovf = "imported"'],
    });
    // a 6.0 host runs up to vmx-11: vmx-13 alone is refused, and of "vmx-07 vmx-13" the newest it runs is taken
    expect(out.families).toEqual([["OvfUnsupportedAttributeValue"], "vmx-07"]);
    expect(out.badDescriptor).toEqual(["OvfXmlFormat"]);
    expect(out.badUpload).toBe(400);
    expect(out.aborted).toEqual({ state: "error", error: "RequestCanceled", vms: ["tiny-imported"], vmx: 404, uploadAfter: 409 });
  });
});
