// pyVmomi: PromoteDisks_Task on a linked clone, and the VMware Tools
// installer (MountToolsInstaller, UnmountToolsInstaller), on vCenter.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

describe("pyvmomi: promoting disks and the tools installer", () => {
  it("promotes a linked clone's disk into one of its own and mounts the tools image", async () => {
    const out = await runPyvmomi("pyvmomi_vm_disks_tools.py", "vcenter-cluster");
    expect(out).toEqual({
      before: { parent: true, delta: "[shared-ds] linked-a/base-000001.vmdk" },
      baseNoDelta: null,
      poweredOn: "vim.fault.InvalidPowerState",
      noUnlink: [null, true],
      promoted: {
        file: "[shared-ds] linked-a/base.vmdk", parent: true, capacityKB: 1048576,
        deltaGone: true, baseStays: true, otherCloneParent: true,
        vmx: ['scsi0:0.fileName = "base.vmdk"'],
      },
      copiedBytes: "base-bytes",
      descriptorParent: ["parentCID=ffffffff"],
      promotedRuns: "poweredOn",
      mountOff: "InvalidPowerState",
      mounted: [true, "vim.vm.device.VirtualCdrom.IsoBackingInfo", "[] /usr/lib/vmware/isoimages/windows.iso", true],
      mountedVmx: ['ide1:0.deviceType = "cdrom-image"', 'ide1:0.fileName = "/usr/lib/vmware/isoimages/windows.iso"', 'ide1:0.present = "TRUE"', 'ide1:0.startConnected = "FALSE"'],
      mountTwice: "InvalidState",
      unmounted: [false, "vim.vm.device.VirtualCdrom.RemotePassthroughBackingInfo"],
      unmountTwice: "InvalidState",
      afterPowerOff: [false, "vim.vm.device.VirtualCdrom.RemotePassthroughBackingInfo"],
      noCdrom: "VmConfigFault",
    });
  });
});
