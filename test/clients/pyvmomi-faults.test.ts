// pyVmomi against faults injected over /_sim/faults.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

describe("pyvmomi: injected faults", () => {
  it("sees a task end in the injected fault once, and a method answer it until the rule goes", async () => {
    const out = await runPyvmomi("pyvmomi_faults.py", "homelab");
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
