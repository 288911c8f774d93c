// pyVmomi: an OVF import (CreateImportSpec, ImportVApp, upload to the lease, complete), on ESXi and on vCenter.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";

const script = new URL("./pyvmomi_ovf_import.py", import.meta.url).pathname;
async function run(scenario: string): Promise<any> {
  const sim = await startSimulator({ scenario });
  try {
    const { stdout } = await promisify(execFile)("/usr/bin/python3", [script, "127.0.0.1", String(sim.port), sim.username, sim.password], { timeout: 60_000 });
    return JSON.parse(stdout);
  } finally {
    await sim.close();
  }
}

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
    expect(out.badDescriptor).toEqual(["OvfXmlFormat"]);
    expect(out.badUpload).toBe(400);
    expect(out.aborted).toEqual({ state: "error", vms: ["tiny-imported"], vmx: 404, uploadAfter: 409 });
  });
});
