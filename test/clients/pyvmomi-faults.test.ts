// pyVmomi against faults injected over /_sim/faults.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";

const script = new URL("./pyvmomi_faults.py", import.meta.url).pathname;

describe("pyvmomi: injected faults", () => {
  it("sees a task end in the injected fault once, and a method answer it until the rule goes", async () => {
    const sim = await startSimulator({ scenario: "homelab" });
    let out: any;
    try {
      const { stdout } = await promisify(execFile)("/usr/bin/python3", [script, "127.0.0.1", String(sim.port), sim.username, sim.password], { timeout: 60_000 });
      out = JSON.parse(stdout);
    } finally {
      await sim.close();
    }
    expect(out.added).toEqual([200, "fault-1", 0]);
    expect(out.firstPowerOn).toEqual(["InsufficientResourcesFault", "Insufficient resources to power on.", "error", "VirtualMachine.powerOn", true]);
    expect(out.stateAfterFault).toBe("poweredOff");
    expect(out.rulesAfterCount).toEqual([]);
    expect(out.secondPowerOn).toBe("poweredOn");
    expect(out.queryEvents).toEqual([["InvalidArgument", "filter"], ["InvalidArgument", "filter"]]);
    expect(out.hits).toEqual([2]);
    expect(out.removed).toBe(200);
    expect(out.afterRemove).toBe("events");
    expect(out.badRule).toEqual([400, { error: 'fault must name a vim25 MethodFault type (got "NoSuchFault")' }]);
  });
});
