// pyVmomi: UpgradeVM_Task on the homelab host (ESXi 6.0: vmx-11 at most), and the
// hardware version CreateVM_Task gives or refuses, on hostd and on vCenter.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

describe("pyvmomi: virtual hardware upgrade", () => {
  it("upgrades to a named version and to the newest, refuses what hostd refuses, and writes virtualHW.version", async () => {
    const out = await runPyvmomi("pyvmomi_vm_hardware.py", "homelab");
    expect(out.steps).toEqual([
      { step: "created", version: "vmx-09", vmx: ['virtualHW.version = "9"'] },
      { step: "vmx-10", version: "vmx-10", vmx: ['virtualHW.version = "10"'] },
      { step: "newest", version: "vmx-11", vmx: ['virtualHW.version = "11"'] },
      { step: "registered", version: "vmx-11", vmx: ['virtualHW.version = "11"'] },
    ]);
    expect(out.poweredOn).toBe("vim.fault.InvalidPowerState");
    expect(out.same).toBe("vim.fault.AlreadyUpgraded");
    expect(out.older).toBe("vim.fault.AlreadyUpgraded");
    expect(out.again).toBe("vim.fault.AlreadyUpgraded");
    expect(out.unknown).toBe("vmodl.fault.InvalidArgument");
    expect(out.malformed).toBe("vmodl.fault.InvalidArgument");
    expect([out.createDefault, out.createTooNew]).toEqual(["vmx-11", "vmodl.fault.InvalidArgument"]);
    expect(out.events).toEqual([
      ["vim.event.VmUpgradingEvent", "vmx-10", "Upgrading virtual machine compatibility of oldhw in ha-datacenter to vmx-10"],
      ["vim.event.VmUpgradeCompleteEvent", "vmx-10", "Virtual machine compatibility upgraded to vmx-10"],
      ["vim.event.VmUpgradingEvent", "vmx-11", "Upgrading virtual machine compatibility of oldhw in ha-datacenter to vmx-11"],
      ["vim.event.VmUpgradeCompleteEvent", "vmx-11", "Virtual machine compatibility upgraded to vmx-11"],
    ]);
  });

  it("creates VMs on vCenter only in a version some host runs", async () => {
    const out = await runPyvmomi("pyvmomi_vm_hardware.py", "vcenter-cluster");
    expect([out.createDefault, out.createTooNew]).toEqual(["vmx-11", "vim.fault.NoCompatibleHost"]);
  });
});
