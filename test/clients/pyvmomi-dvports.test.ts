// pyVmomi: distributed virtual ports on the vcenter-cluster scenario (pyvmomi_dvports.py).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { pyvmomiScript } from "./pyvmomi-run.ts";
import { connect } from "../helpers.ts";

describe("pyvmomi: distributed virtual ports", () => {
  let sim: RunningSimulator;
  let first: any;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "vcenter-cluster" });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("keys ports, binds NICs on static groups, fetches ports with connectees, frees, expands, refuses and binds ephemeral ports at power on", async () => {
    const snap = sim.snapshot();
    first = await pyvmomiScript("pyvmomi_dvports.py", sim);
    const out = first;
    // dvpg-containers (128 ports) is created before the hosts join, so its keys come first, then the uplinks' (4 hosts x 2)
    expect(out.keys).toEqual({ containers: [128, "0", "127"], uplinks: 8, small: ["136", "137"], eph: [], unique: true, numeric: true, elasticDefault: true });
    expect(out.bound).toEqual({ distinct: true, cookies: true, vmx: [true, true] });
    expect([out.full, out.fullLeftNoVm]).toEqual(["DvsFault", []]);
    expect(out.fetchAll).toEqual([true, true, true, true]);
    expect(out.connected).toEqual([[true, "dvp-1", "vmVnic", true, true, true, true, false], [true, "dvp-2", "vmVnic", true, true, true, true, false]]);
    expect([out.inSmall, out.byKey, out.uplinkPorts, out.activeOff]).toEqual([true, ["dvp-2"], [8, true], 0]);
    expect(out.moved).toEqual([true, true, true]);
    expect(out.expanded).toEqual([1, 9, 9, true, true]);
    expect([out.removed, out.destroyed, out.clone]).toEqual([1, [false, true], [true, true]]);
    expect([out.eph, out.ephOn, out.ephOff]).toEqual([[null, []], [true, true, true, true], [null, [], 0]]);
    expect(out.full2).toBe("InvalidArgument");
    expect(out.full2Unchanged).toBe(true);
    // ports are part of simulator snapshots: after a restore the switch has its first ports only (no VM holds one), and the same script sees the same switch
    sim.restore(snap);
    const c = await connect(sim);
    const [[dvsId]] = [...(await c.retrieveFromContainer(c.content.rootFolder, "DistributedVirtualSwitch", ["name"])).entries()];
    const ports = (await c.call("FetchDVPorts", { _type: "ManagedObjectReference", type: "VmwareDistributedVirtualSwitch", value: dvsId }, {})) as { key: string; connectee?: unknown }[];
    expect([ports.length, ports.filter((p) => p.connectee).length, ports.at(-1)?.key]).toEqual([136, 0, "135"]);
    expect(await pyvmomiScript("pyvmomi_dvports.py", sim)).toEqual(first);
  }, 120_000);
});
