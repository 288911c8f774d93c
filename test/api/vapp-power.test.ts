// A vApp's power sequence on the simulator's clock: the next start group
// waits for the previous one's startDelay (cut short by a heartbeat when
// waitingForGuest), the stop sequence runs in reverse, guestShutdown without
// tools powers off.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { ManualClock } from "../../simulator/clock.ts";
import { VimClient } from "../../vim25/client/index.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

const alloc = { _type: "ResourceAllocationInfo", reservation: 0, expandableReservation: true, limit: -1, shares: { _type: "SharesInfo", level: "normal", shares: 0 } };
const resSpec = { _type: "ResourceConfigSpec", cpuAllocation: alloc, memoryAllocation: alloc };
const settle = () => new Promise((r) => setTimeout(r, 30));

describe("vApp power sequence", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  const clock = new ManualClock(new Date("2026-01-01T00:00:00Z"));
  let app: ManagedObjectReference;
  let first: ManagedObjectReference;
  let second: ManagedObjectReference;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "vcenter-cluster", clock });
    c = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
    const pool = [...(await c.retrieveFromContainer(c.content.rootFolder, "ClusterComputeResource", ["resourcePool"])).values()][0].resourcePool as ManagedObjectReference;
    app = (await c.call("CreateVApp", pool, { name: "tiers", resSpec, configSpec: { _type: "VAppConfigSpec" } })) as ManagedObjectReference;
    const child = async (name: string) => {
      const task = (await c.call("CreateChildVM_Task", app, { config: { _type: "VirtualMachineConfigSpec", name, guestId: "otherGuest64", memoryMB: 128, files: { _type: "VirtualMachineFileInfo", vmPathName: "[shared-ds]" } } })) as ManagedObjectReference;
      return (await finished(task)).result as ManagedObjectReference;
    };
    first = await child("first");
    second = await child("second");
  });
  afterAll(() => sim.close());

  /** The task's state once it has left "queued", polled without moving the clock. */
  async function state(task: ManagedObjectReference): Promise<string> {
    await settle();
    return (await c.retrieveOne(task, ["info.state"]))["info.state"] as string;
  }
  async function finished(task: ManagedObjectReference): Promise<{ state: string; result?: unknown }> {
    for (let i = 0; i < 100; i++) {
      const info = (await c.retrieveOne(task, ["info"])).info as { state: string; result?: unknown };
      if (info.state === "success" || info.state === "error") return info;
      await settle();
    }
    throw new Error("task did not finish");
  }
  const power = async (vm: ManagedObjectReference) => (await c.retrieveOne(vm, ["runtime.powerState"]))["runtime.powerState"];
  const entity = (key: ManagedObjectReference, more: object) => ({ _type: "VAppEntityConfigInfo", key, ...more });

  it("starts the next group only after the previous one's startDelay, on the simulator's clock", async () => {
    await c.call("UpdateVAppConfig", app, { spec: { _type: "VAppConfigSpec", entityConfig: [entity(first, { startOrder: 1, startDelay: 30 }), entity(second, { startOrder: 2, startDelay: 999 })] } });
    const task = (await c.call("PowerOnVApp_Task", app)) as ManagedObjectReference;
    expect(await state(task)).toBe("running");
    expect([await power(first), await power(second)]).toEqual(["poweredOn", "poweredOff"]);
    expect((await c.retrieveOne(app, ["summary.vAppState"]))["summary.vAppState"]).toBe("starting");
    clock.advance(29_000);
    expect(await state(task)).toBe("running");
    clock.advance(1_000);
    // the last group's delay is nobody's to wait for
    expect((await finished(task)).state).toBe("success");
    expect([await power(first), await power(second), (await c.retrieveOne(app, ["summary.vAppState"]))["summary.vAppState"]]).toEqual(["poweredOn", "poweredOn", "started"]);
  });

  it("stops in reverse order; guestShutdown on a VM without tools powers it off at once", async () => {
    await c.call("UpdateVAppConfig", app, { spec: { _type: "VAppConfigSpec", entityConfig: [entity(first, { stopAction: "guestShutdown", stopDelay: 60 }), entity(second, { stopAction: "powerOff" })] } });
    const task = (await c.call("PowerOffVApp_Task", app, { force: false })) as ManagedObjectReference;
    expect((await finished(task)).state).toBe("success");
    expect([await power(first), await power(second)]).toEqual(["poweredOff", "poweredOff"]);
  });

  it("waits for the guest's heartbeat when waitingForGuest: a VM with no guest OS sends none, so the whole startDelay passes", async () => {
    await c.call("UpdateVAppConfig", app, { spec: { _type: "VAppConfigSpec", entityConfig: [entity(first, { startDelay: 10, waitingForGuest: true })] } });
    const task = (await c.call("PowerOnVApp_Task", app)) as ManagedObjectReference;
    expect(await state(task)).toBe("running");
    clock.advance(10_000);
    expect((await finished(task)).state).toBe("success");
    expect(await power(second)).toBe("poweredOn");
  });
});
