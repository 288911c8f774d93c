// pyVmomi: PowerOnMultiVM_Task (vCenter's DRS; NotSupported on hostd) and LogUserEvent.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";

const script = new URL("./pyvmomi_datacenter_ops.py", import.meta.url).pathname;
async function run(scenario: string): Promise<any> {
  const sim = await startSimulator({ scenario });
  try {
    const { stdout } = await promisify(execFile)("/usr/bin/python3", [script, "127.0.0.1", String(sim.port), sim.username, sim.password], { timeout: 60_000 });
    return JSON.parse(stdout);
  } finally {
    await sim.close();
  }
}

describe("pyvmomi: datacenter power-on and user events", () => {
  it("powers on VMs together on vCenter, each in its own task, and lists what it could not attempt", async () => {
    const out = await run("vcenter-cluster");
    expect(out.multi).toEqual({ attempted: ["multi-0", "multi-1"], notAttempted: [["vm-99999", "ManagedObjectNotFound"]], power: ["poweredOn", "poweredOn"] });
    expect(out.userEvents).toEqual([["GeneralUserEvent", "backup taken", "User logged event: backup taken", "multi-0", true]]);
  });

  it("answers NotSupported on a standalone host, which has no DRS", async () => {
    const out = await run("homelab");
    expect(out.multi).toBe("vmodl.fault.NotSupported");
    expect(out.userEvents).toEqual([["GeneralUserEvent", "backup taken", "User logged event: backup taken", "multi-0", true]]);
  });
});
