// pyVmomi: RenameDatastore (every path the API shows follows the new name,
// the .vmx is read over /folder under it), DestroyDatastore, datastore
// maintenance mode without Storage DRS and UpdateVirtualMachineFiles_Task,
// on ESXi and on a vCenter, with their faults; /_sim/reset and a snapshot
// restore bring names, maintenance state and destroyed datastores back.
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { runPyvmomi } from "./pyvmomi-run.ts";
import type { Datastore } from "../../simulator/objects/datastore.ts";
import type { CallContext } from "../../simulator/objects/managed-object.ts";

function vmPaths(ds: string) {
  return {
    files: [`[${ds}] dsvm/dsvm.vmx`, `[${ds}] dsvm`, `[${ds}] dsvm`, `[${ds}] dsvm`],
    summary: `[${ds}] dsvm/dsvm.vmx`,
    disk: [`[${ds}] dsvm/dsvm-000001.vmdk`, `[${ds}] dsvm/dsvm.vmdk`, ds],
    cdrom: `[${ds}] tools.iso`,
    layoutEx: [`[${ds}]`],
    snapshot: `[${ds}] dsvm/dsvm.vmx`,
    snapshotDisk: [`[${ds}] dsvm/dsvm.vmdk`],
    datastores: [ds],
  };
}

function expected(vc: boolean, ds: string, other: string) {
  const names = (n: string) => [n, n, n, n];
  return {
    before: vmPaths(ds),
    renameFaults: { empty: "InvalidName", slash: "InvalidName", duplicate: "DuplicateName", same: "ok", unchanged: names(ds) },
    renamed: {
      names: names("renamed-ds"),
      vm: vmPaths("renamed-ds"),
      vmxOverFolder: true,
      vmxCdrom: [true],
      isoNew: 200,
      vmxOld: 404,
      events: [[ds, "renamed-ds"]],
    },
    renamedBack: { names: names(ds), vm: vmPaths(ds).files, vmx: 200 },
    destroy: { inUse: "ResourceInUse", stillThere: true },
    ...(vc
      ? {
        emptyEnter: ["StoragePlacementResult", true, "inMaintenance", [], null],
        emptyAgain: "InvalidState",
        // esx4-local: not on the VM's host either, which the checker reports too
        closed: ["vim.fault.InvalidDatastoreState", "vim.fault.InvalidDatastoreState", "vim.fault.InvalidDatastoreState", ["vim.fault.DatastoreNotWritableOnHost", "vim.fault.InvalidDatastoreState"], true, [], false],
        emptyExit: ["normal", "vim.fault.InvalidState"],
        cancel: ["running", true, "enteringMaintenance", true, "vmodl.fault.RequestCanceled", true, "normal"],
        entering: ["running", "enteringMaintenance", "InvalidState"],
        entered: [true, "inMaintenance", ds],
        exited: "normal",
        exitWhileEntering: ["normal", true, "vmodl.fault.RequestCanceled"],
        oldPath: true,
        updateFaults: { poweredOn: "vim.fault.ResourceInUse", badPath: "vmodl.fault.InvalidArgument" },
        updated: { result: ["UpdateVirtualMachineFilesResult", 0], cdrom: `[${ds}] tools.iso`, vmxNew: true, vmxOld: false, orphan: true, datastores: [ds] },
      }
      : {
        hostd: ["NotSupported", "vmodl.fault.NotSupported", "normal"],
        updateHostd: "vmodl.fault.NotSupported",
      }),
    destroyed: { datacenter: [ds], hosts: [ds], again: "ManagedObjectNotFound" },
    reset: 200,
    afterReset: vc ? [other, ds].sort() : [ds],
  };
}

const ctx = { aborted: new Promise<void>(() => {}), remoteAddress: "127.0.0.1", userAgent: "test" } as CallContext;

describe("pyvmomi: datastore rename, destroy, maintenance mode and VM file updates", () => {
  it("serves them on an ESXi host", async () => {
    const out = await runPyvmomi("pyvmomi_datastore_ops.py", "homelab");
    expect(out).toEqual(expected(false, "mydatastore", "nas1"));
  });

  it("serves them on a vCenter", async () => {
    const out = await runPyvmomi("pyvmomi_datastore_ops.py", "vcenter-cluster");
    expect(out).toEqual(expected(true, "shared-ds", "esx4-local"));
  });

  it("restores names, maintenance state and destroyed datastores with a snapshot", async () => {
    const sim = await startSimulator({ scenario: "vcenter-cluster" });
    try {
      const all = () => sim.sim.inventory.ofType("Datastore") as Datastore[];
      const byName = (n: string) => all().find((d) => d.name === n)!;
      const state = () => all().map((d) => [d.name, d.volume.name, (d.props.summary as { maintenanceMode: string }).maintenanceMode]).sort();
      const before = state();
      const snap = sim.snapshot();
      byName("shared-ds").RenameDatastore({ newName: "renamed" }, ctx);
      byName("renamed").DatastoreEnterMaintenanceMode({}, ctx);
      byName("esx4-local").DestroyDatastore({}, ctx);
      expect(state()).toEqual([["renamed", "renamed", "inMaintenance"]]);
      sim.restore(snap);
      expect(before).toEqual([["esx4-local", "esx4-local", "normal"], ["shared-ds", "shared-ds", "normal"]]);
      expect(state()).toEqual(before);
    } finally {
      await sim.close();
    }
  });
});
