// pyVmomi: PerformanceManager counters and samples, on a clock the test moves.
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { pyvmomiScript } from "./pyvmomi-run.ts";
import { ManualClock } from "../../simulator/clock.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { connect } from "../helpers.ts";


describe("pyvmomi: performance statistics", () => {
  it("reads real-time samples that follow the VMs: uptime since boot, memory held, idle rates", async () => {
    const clock = new ManualClock(new Date("2016-08-06T19:50:00Z"));
    const sim = await startSimulator({ scenario: "homelab", clock });
    let out: any;
    try {
      const c = await connect(sim);
      const dc = sim.sim.inventory.ofType("Datacenter")[0];
      const pool = sim.sim.inventory.ofType("ResourcePool")[0].ref;
      const create = async (name: string) => (await c.waitForTask((await c.call("CreateVM_Task", dc.get("vmFolder") as ManagedObjectReference, {
        config: { _type: "VirtualMachineConfigSpec", name, guestId: "otherGuest64", memoryMB: 512, files: { _type: "VirtualMachineFileInfo", vmPathName: "[mydatastore]" } }, pool,
      })) as ManagedObjectReference)) as ManagedObjectReference;
      const vm = await create("perf");
      await create("perf-off");
      clock.advance(40_000);
      await c.waitForTask((await c.call("PowerOnVM_Task", vm, {})) as ManagedObjectReference);
      clock.advance(120_000);
      out = await pyvmomiScript("pyvmomi_perf.py", sim);
    } finally {
      await sim.close();
    }
    expect(out.counters).toEqual(expect.arrayContaining(["cpu.usage.average", "mem.consumed.average", "net.usage.average", "disk.usage.average", "sys.uptime.latest"]));
    expect(out.intervals).toEqual([[1, 300, "PastDay", 86400]]);
    expect(out.summary).toEqual([true, 20]);
    expect(out.available).toBe(out.counters.length);
    expect(out.vm).toEqual({
      times: ["2016-08-06T19:52:00+00:00", "2016-08-06T19:52:20+00:00", "2016-08-06T19:52:40+00:00"], interval: [20, 20, 20],
      values: { "sys.uptime.latest": [80, 100, 120], "mem.granted.average": [524288, 524288, 524288], "cpu.usage.average": [0, 0, 0] },
    });
    expect(out.csv).toEqual(["20,2016-08-06T19:52:20Z,20,2016-08-06T19:52:40Z", ["100,120"]]);
    expect(out.host).toEqual([524288]);
    expect(out.off).toEqual([0, 0]);
    expect(out.datastore).toEqual([false, 0]);
    expect(out.badInterval).toBe("vmodl.fault.InvalidArgument");
  });
});
