// pyVmomi: the EnvironmentBrowser of an ESXi host's compute resource and of a vCenter cluster.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

const run = (scenario: string) => runPyvmomi("pyvmomi_environment.py", scenario);

const ESXI60_VERSIONS = [
  ["vmx-04", "ESX 3.x virtual machine", false, true, true],
  ["vmx-07", "ESX/ESXi 4.x virtual machine", false, true, true],
  ["vmx-08", "ESXi 5.0 virtual machine", false, true, true],
  ["vmx-09", "ESXi 5.1 virtual machine", false, true, true],
  ["vmx-10", "ESXi 5.5 virtual machine", false, true, true],
  ["vmx-11", "ESXi 6.0 virtual machine", true, true, true],
];

describe("pyvmomi: EnvironmentBrowser", () => {
  it("answers for the homelab host what an ESXi 6.0 host runs and offers", async () => {
    const out = await run("homelab");
    expect(out.descriptors).toEqual(ESXI60_VERSIONS);
    expect(out.option).toEqual({
      version: "vmx-11", description: "ESXi 6.0 virtual machine", guests: 162, defaultGuest: "otherGuest",
      hwVersion: 11, maxCpus: 128, memoryMB: [4, 4080 * 1024],
      ubuntu: ["linuxGuest", "Ubuntu Linux (64-bit)", "VirtualVmxnet3", "ParaVirtualSCSIController"],
      deviceOptions: ["ParaVirtualSCSIControllerOption", "VirtualDiskOption", "VirtualSerialPortOption", "VirtualVmxnet3Option"],
      defaultDevices: ["VirtualIDEController", "VirtualIDEController", "VirtualKeyboard", "VirtualPCIController", "VirtualPS2Controller", "VirtualPointingDevice", "VirtualSIOController", "VirtualVMCIDevice", "VirtualVideoCard"],
      capabilities: true,
    });
    expect(out.optionEx).toEqual({ version: "vmx-09", guests: ["windows9_64Guest", "otherGuest64"], maxCpus: 64 });
    expect(out.unknownKey).toBe(true);
    expect(out.target).toEqual({ datastores: ["mydatastore"], networks: ["VCH Bridge", "VM Network"], portgroups: [], cpus: true });
    expect(out.vmBrowser).toBe(true);
    expect(out.upgradedTo).toBe("vmx-11");
  });

  it("answers for a vCenter cluster with its hosts' datastores and distributed port groups", async () => {
    const out = await run("vcenter-cluster");
    expect(out.descriptors).toEqual(ESXI60_VERSIONS);
    expect(out.target).toEqual({ datastores: ["shared-ds"], networks: ["VM Network"], portgroups: [["dvpg-containers", false], ["dvs1-DVUplinks-18", true]], cpus: true });
    expect(out.vmBrowser).toBe(true);
    expect(out.upgradedTo).toBe("vmx-11");
  });
});
