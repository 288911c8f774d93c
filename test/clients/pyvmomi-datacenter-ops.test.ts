// pyVmomi: PowerOnMultiVM_Task (vCenter's DRS; NotSupported on hostd) and LogUserEvent.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

const run = (scenario: string) => runPyvmomi("pyvmomi_datacenter_ops.py", scenario);

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
