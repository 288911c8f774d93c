// pyVmomi builds a container-like VM, reconfigures, powers, unregisters and
// re-registers it, reading its .vmx over /folder after each step.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";

const script = new URL("./pyvmomi_vm.py", import.meta.url).pathname;

describe("pyvmomi: a container-like VM on the homelab host", () => {
  let sim: RunningSimulator;
  let out: any;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab" });
    const { stdout } = await promisify(execFile)("/usr/bin/python3", [script, "127.0.0.1", String(sim.port), sim.username, sim.password], { timeout: 60_000 });
    out = JSON.parse(stdout);
  });
  afterAll(() => sim.close());

  it("creates it in its own folder with ESXi's device keys", () => {
    expect(out.isoUpload).toBe(201);
    expect(out.created).toEqual({ moref: "1", vmPathName: "[mydatastore] container-1/container-1.vmx", datastore: ["mydatastore"], network: ["VCH Bridge"] });
    const keys = Object.fromEntries(out.devices.map(([t, k]: [string, number]) => [t, k]));
    expect(keys).toMatchObject({ ParaVirtualSCSIController: 1000, VirtualDisk: 2000, VirtualCdrom: 3000, VirtualVmxnet3: 4000, VirtualSerialPort: 9000, VirtualIDEController: 201 });
    expect(out.diskFile).toEqual(["[mydatastore] container-1/container-1.vmdk"]);
    expect(out.mac[0]).toMatch(/^00:0c:29:/);
    expect(out.folderListing).toEqual(["container-1-flat.vmdk", "container-1.nvram", "container-1.vmdk", "container-1.vmx", "vmware.log"]);
  });

  it("writes the .vmx as ESXi does, with the seed's lines for such a VM", () => {
    const vmx: string[] = out.vmxAfterCreate;
    for (const line of [
      'scsi0.virtualDev = "pvscsi"', 'scsi0.present = "TRUE"', 'scsi0:0.deviceType = "scsi-hardDisk"', 'scsi0:0.fileName = "container-1.vmdk"', 'scsi0:0.present = "TRUE"',
      'ide0:0.deviceType = "cdrom-image"', 'ide0:0.present = "TRUE"',
      'ethernet0.virtualDev = "vmxnet3"', 'ethernet0.networkName = "VCH Bridge"', 'ethernet0.pciSlotNumber = "192"', 'ethernet0.uptCompatibility = "TRUE"', 'ethernet0.present = "TRUE"',
      'serial0.fileType = "network"', 'serial0.fileName = "tcp://127.0.0.1:8080"', 'serial0.network.endPoint = "client"', 'serial0.yieldOnMsrRead = "TRUE"', 'serial0.present = "TRUE"',
      'guestinfo./common/name = "jolly_panini"', 'guestinfo./repo = "hello-world"', 'memSize = "512"', 'displayName = "container-1"',
    ]) expect(vmx).toContain(line);
    // the ISO sits outside the VM's folder: the .vmx names it by its /vmfs/volumes path
    expect(vmx.find((l) => l.startsWith("ide0:0.fileName"))).toMatch(/^ide0:0\.fileName = "\/vmfs\/volumes\/[0-9a-f-]+\/bootstrap\.iso"$/);
    expect(vmx[0]).toBe('.encoding = "UTF-8"');
  });

  it("reconfigures: memory, extraConfig with removal by empty value, a hot-added disk, and faults bad edits", () => {
    expect(out.memoryMB).toBe(1024);
    expect(out.extraConfigAfterReconfig).toEqual([["guestinfo./common/name", "jolly_panini"], ["guestinfo./sessions|abc/cmd/Path", "/hello"]]);
    expect(out.vmxAfterReconfig).toContain('memSize = "1024"');
    expect(out.vmxAfterReconfig).toContain('guestinfo./sessions|abc/cmd/Path = "/hello"');
    expect(out.vmxAfterReconfig).toContain('scsi0:1.fileName = "container-1_1.vmdk"');
    expect(out.vmxAfterReconfig.some((l: string) => l.startsWith("guestinfo./repo"))).toBe(false);
    expect(out.badEdit).toBe("InvalidDeviceSpec");
  });

  it("powers on and off with ESXi's faults", () => {
    expect(out.poweredOn).toEqual({ state: "poweredOn", summary: "poweredOn", nicConnected: [true] });
    expect(out.powerOnTwice).toBe("InvalidPowerState");
    expect(out.unregisterWhileOn).toBe("InvalidPowerState");
    expect(out.poweredOff).toBe("poweredOff");
  });

  it("re-registers from the .vmx with every device and guestinfo key intact", () => {
    expect(out.afterUnregister).toEqual([]);
    expect(out.reregistered.name).toBe("container-1");
    expect(out.reregistered.after).toEqual(out.reregistered.before);
    expect(out.reregistered.sameExtraConfig).toBe(true);
    expect(out.events).toContain("VmRegisteredEvent");
  });

  it("destroys it with its folder", () => {
    expect(out.afterDestroy).toEqual({ vmxStatus: 404, vms: [] });
  });
});
