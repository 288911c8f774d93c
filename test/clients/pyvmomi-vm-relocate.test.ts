// pyVmomi: RelocateVM_Task on vCenter (files really move), NotSupported on a standalone host.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

const run = (scenario: string) => runPyvmomi("pyvmomi_vm_relocate.py", scenario);

describe("pyvmomi: RelocateVM_Task", () => {
  it("is a vCenter service: hostd answers NotSupported", async () => {
    expect((await run("homelab")).hostd).toBe("vmodl.fault.NotSupported");
  });

  it("moves a VM's files, snapshot and all, to another datastore, host, pool and folder, cold and hot", async () => {
    const out = await run("vcenter-cluster");
    expect(out.before).toEqual({ vmx: "[shared-ds] mover/mover.vmx", disk: { file: "[shared-ds] mover/mover-000001.vmdk", datastore: "shared-ds", parent: "[shared-ds] mover/mover.vmdk" } });
    expect(out.notMounted).toBe("vim.fault.DatastoreNotWritableOnHost");
    expect(out.childDiskBacking).toBe("vmodl.fault.InvalidArgument");
    expect(out.afterRefusals).toBe("[shared-ds] mover/mover.vmx");
    expect(out.moved).toEqual({
      vmx: "[esx4-local] mover/mover.vmx", logDirectory: "[esx4-local] mover",
      disk: { file: "[esx4-local] mover/mover-000001.vmdk", datastore: "esx4-local", parent: "[esx4-local] mover/mover.vmdk" },
      host: "esx4.example.com", pool: "esx4.example.com", folder: "vch", datastores: ["esx4-local"], guestinfo: ["here"],
      vmxDisk: ['scsi0:0.fileName = "mover-000001.vmdk"'],
      notes: 200, oldNotes: 404, oldVmx: 404,
      // the linked clone's base stays where the clone finds it; the mover took a copy
      oldBase: 200, oldBaseExtent: 200, newBase: 200,
      cloneDisk: { file: "[shared-ds] mover-linked/mover-000001.vmdk", datastore: "shared-ds", parent: "[shared-ds] mover/mover.vmdk" },
      localVms: ["mover"], sharedVms: ["mover-linked"],
      snapshotFile: ["[esx4-local] mover/mover-Snapshot1.vmsn"],
    });
    expect(out.reverted).toEqual({ disk: { file: "[esx4-local] mover/mover-000002.vmdk", datastore: "esx4-local", parent: "[esx4-local] mover/mover.vmdk" }, guestinfo: ["here"] });
    expect(out.consolidated).toEqual({ file: "[esx4-local] mover/mover.vmdk", datastore: "esx4-local", parent: null });
    expect(out.clonePower).toBe("poweredOn");
    // the base left behind for the clone holds the name: the VM's folder comes back as "mover (1)"
    expect(out.hot).toEqual({
      vmx: "[shared-ds] mover (1)/mover.vmx", disk: { file: "[shared-ds] mover (1)/mover.vmdk", datastore: "shared-ds", parent: null },
      power: "poweredOn", host: "esx1.example.com", localVms: [], oldVmx: 404,
    });
    expect(out.events).toEqual([
      ["VmBeingRelocatedEvent", "Relocating mover from esx1.example.com, shared-ds in dc1 to esx4.example.com, esx4-local in dc1"],
      ["VmRelocatedEvent", "Completed the relocation of the virtual machine"],
      ["VmBeingHotMigratedEvent", "Migrating mover from esx4.example.com, esx4-local to esx1.example.com, shared-ds in dc1"],
      ["VmMigratedEvent", "Migration of virtual machine mover from esx4.example.com, esx4-local to esx1.example.com, shared-ds completed"],
    ]);
    expect(out.migrateWrongState).toBe("vim.fault.InvalidPowerState");
    expect(out.migrated).toEqual(["esx2.example.com", "poweredOn", "[shared-ds] mover (1)/mover.vmx"]);
  });
});
