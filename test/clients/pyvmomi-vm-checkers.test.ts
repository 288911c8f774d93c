// pyVmomi: vCenter's CompatChecker and ProvChecker (vMotion pre-checks), agreeing with RelocateVM_Task and CloneVM_Task; unset on ESXi.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

const run = (scenario: string) => runPyvmomi("pyvmomi_vm_checkers.py", scenario);
const ok = (host: string) => [[host, [], []]];
const err = (host: string, type: string) => [[host, [type], []]];

describe("pyvmomi: VirtualMachineCompatibilityChecker and VirtualMachineProvisioningChecker", () => {
  it("are vCenter services: unset on ESXi", async () => {
    expect((await run("homelab")).esx).toEqual({ compat: true, prov: true });
  });

  it("check migrations, relocations and clones as vCenter does, and agree with the real operations", async () => {
    const out = await run("vcenter-cluster");
    expect(out.types).toEqual(["VirtualMachineCompatibilityChecker", "VirtualMachineProvisioningChecker"]);
    // passing checks; the relocation that passed succeeds
    expect(out.compatPass).toEqual(ok("esx2.example.com"));
    expect(out.migratePass).toEqual(ok("esx2.example.com"));
    expect(out.relocatePass).toEqual(ok("esx2.example.com"));
    expect(out.relocatePassReal).toBeNull();
    expect(out.relocatePassHost).toBe("esx2.example.com");
    expect(out.migrateStandalone).toEqual(ok("esx4.example.com"));
    // each failing check with its fault, and the real operation failing with the same
    expect(out.notMounted).toEqual(err("esx1.example.com", "vim.fault.DatastoreNotWritableOnHost"));
    expect(out.notMountedReal).toBe("vim.fault.DatastoreNotWritableOnHost");
    expect(out.poolMismatch).toEqual(err("esx4.example.com", "vmodl.fault.InvalidArgument"));
    expect(out.poolMismatchReal).toBe("vmodl.fault.InvalidArgument");
    expect(out.poolMismatchMigrate).toEqual(err("esx4.example.com", "vmodl.fault.InvalidArgument"));
    expect(out.cloneDuplicate).toEqual(err("esx1.example.com", "vim.fault.DuplicateName"));
    expect(out.cloneDuplicateReal).toBe("vim.fault.DuplicateName");
    expect(out.clonePass).toEqual(ok("esx1.example.com"));
    expect(out.clonePassReal).toBeNull();
    expect(out.sourceDisconnected).toEqual(err("esx1.example.com", "vmodl.fault.HostNotConnected"));
    expect(out.sourceDisconnectedReal).toBe("vmodl.fault.HostNotConnected");
    expect(out.noSpace).toEqual(err("esx4.example.com", "vim.fault.NoDiskSpace"));
    expect(out.noSpaceReal).toBe("vim.fault.NoDiskSpace");
    expect(out.noSpaceClone).toEqual(err("esx4.example.com", "vim.fault.NoDiskSpace"));
    expect(out.storagePass).toEqual(ok("esx4.example.com"));
    expect(out.storagePassReal).toBeNull();
    expect(out.storagePassWhere).toEqual(["esx4.example.com", "[esx4-local] chk/chk.vmx"]);
    // power state, host state, hardware version, network
    expect(out.stateMismatch).toEqual(err("esx3.example.com", "vim.fault.InvalidPowerState"));
    expect(out.stateMatch).toEqual(ok("esx3.example.com"));
    expect(out.maintenance).toEqual(err("esx3.example.com", "vim.fault.InvalidHostState"));
    expect(out.maintenanceCompat).toEqual(err("esx3.example.com", "vim.fault.InvalidHostState"));
    expect(out.maintenanceReal).toBe("vim.fault.InvalidHostState");
    expect(out.clusterHosts).toEqual(["esx1.example.com", "esx2.example.com"]);
    expect(out.disconnected).toEqual(err("esx3.example.com", "vmodl.fault.HostNotConnected"));
    expect(out.disconnectedReal).toBe("vmodl.fault.HostNotConnected");
    expect(out.hwVersion).toEqual(err("esx2.example.com", "vim.fault.VirtualHardwareVersionNotSupported"));
    expect(out.hwVersionReal).toBe("vim.fault.VirtualHardwareVersionNotSupported");
    expect(out.hwVersionStays).toBe("esx1.example.com");
    expect(out.network).toEqual(err("esx2.example.com", "vim.fault.CannotAccessNetwork"));
    expect(out.networkReal).toBe("vim.fault.CannotAccessNetwork");
    expect(out.networkStays).toBe("esx1.example.com");
    expect(out.networkIdle).toEqual([["esx2.example.com", [], ["vim.fault.CannotAccessNetwork"]]]);
    expect(out.networkIdleReal).toBeNull();
    expect(out.networkIdleWhere).toBe("esx2.example.com");
    // testType filtering
    expect(out.notMountedHostTests).toEqual(ok("esx1.example.com"));
    expect(out.notMountedDatastoreTests).toEqual(err("esx1.example.com", "vim.fault.DatastoreNotWritableOnHost"));
    expect(out.networkOnly).toEqual(err("esx2.example.com", "vim.fault.CannotAccessNetwork"));
    expect(out.networkFiltered).toEqual(ok("esx2.example.com"));
    expect(out.vmotionEx).toEqual([
      ["chk", "esx1.example.com", []], ["chk", "esx2.example.com", []],
      ["netvm", "esx1.example.com", []], ["netvm", "esx2.example.com", ["vim.fault.CannotAccessNetwork"]],
    ]);
    // arguments
    expect(out.noSuchVm).toBe("vmodl.fault.ManagedObjectNotFound");
    expect(out.hostAsVm).toBe("vmodl.fault.InvalidArgument");
    expect(out.vmAsHost).toBe("vmodl.fault.InvalidArgument");
    expect(out.badTestType).toBe("vmodl.fault.InvalidArgument");
  });
});
