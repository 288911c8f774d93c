// pyVmomi: a .vmx edited by hand and read again with Reload (a running VM
// keeps its configuration), and reloadVirtualMachineFromPath_Task onto a
// copy of the VM's folder, with its faults, on ESXi and on vCenter.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

describe("pyvmomi: Reload and reloadVirtualMachineFromPath_Task", () => {
  it.each(["homelab", "vcenter-cluster"])("shows the .vmx as the datastore holds it (%s)", async (scenario) => {
    const out = await runPyvmomi("pyvmomi_vmx_reload.py", scenario);
    const ds = scenario === "homelab" ? "mydatastore" : "shared-ds";
    expect(out.put).toBe(200);
    expect(out.running).toBe(true);
    expect(out.reloaded).toEqual({ name: "edited-by-hand", memoryMB: 512, serial: false, support: ["ticket-42"], path: `[${ds}] edited/edited.vmx` });
    expect(out.named).toEqual(["edited-by-hand"]);
    expect(out.faults).toEqual({
      running: "vim.fault.InvalidPowerState", othersFile: "vim.fault.AlreadyExists", noFile: "vim.fault.FileNotFound", notAPath: "vim.fault.InvalidDatastorePath", unchanged: true,
    });
    expect(out.fromPath).toEqual({
      name: "from-copy", memoryMB: 512, serial: false, support: ["ticket-42"], path: `[${ds}] edited-copy/edited.vmx`, moref: true, disk: true,
      event: [`[${ds}] edited-copy/edited.vmx`], powersOn: null,
    });
  });
});
