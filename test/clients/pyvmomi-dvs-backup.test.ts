// pyVmomi: distributed switch backup (export, import in its three ways,
// rollback from a backup), version upgrade, merge, host re-sync and NIOC v3
// VM vNIC pools on vCenter 6.7, their faults, and /_sim/reset taking it back.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

describe("pyvmomi: distributed switch backup, upgrade and merge", () => {
  it("exports, restores, upgrades, merges and re-syncs switches", async () => {
    const out = await runPyvmomi("pyvmomi_dvs_backup.py", "vcenter-67");
    expect(out).toEqual({
      export: [["distributedVirtualSwitch", true, "dvs1", true], ["distributedVirtualPortgroup", true, "dvpg-containers"]],
      blob: ["vsphere-sim-dvs-backup", 1, 1500, ["dvpg-containers"]],
      exportFaults: ["vim.fault.NotFound", "vim.fault.NotFound"],
      rollback: [1500, "dvs1"],
      pgRollback: [128, "dvpg-containers"],
      rollbackFaults: ["vim.fault.RollbackFailure", "vim.fault.RollbackFailure"],
      applied: [["dvs1"], 1500, 128],
      // a copy under a new name still clashes on its port groups' names, unique in the datacenter
      importFaults: ["vim.fault.DuplicateName", "vim.fault.DvsFault", "vmodl.fault.InvalidArgument", "vmodl.fault.InvalidArgument"],
      pgImported: [["pg-copy", true]],
      pgImportAgain: "vim.fault.DuplicateName",
      upgradeFaults: ["vmodl.fault.InvalidArgument", "vmodl.fault.InvalidArgument", "vmodl.fault.InvalidArgument"],
      upgraded: ["6.6.0", "6.6.0", ["6.6.0"]],
      downgrade: "vmodl.fault.InvalidArgument",
      mergeFaults: ["vmodl.fault.InvalidArgument"],
      merged: [["dvs1"], ["dvpg-containers", "old-pg", "pg-copy"]],
      rectify: [null, null, "vim.fault.NotFound", null],
      rectifyOnHostNoSwitch: null,
      vnicV2: "vim.fault.DvsFault",
      vnicPools: [["gold", 200, "2"]],
      vnicFaults: ["vim.fault.InvalidName", "vim.fault.NotFound", "vim.fault.ConcurrentAccess"],
      vnicRemoved: 0,
      reset: 200,
      afterReset: [["dvs1"], 1500, "version2", ["dvpg-containers"]],
    });
  });
});
