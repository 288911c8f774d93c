// /_sim/faults and sim.faults: rules are checked against the schema, match
// by method and object, count down, leave the inventory alone, and go with
// reset(). Tasks carry their fault; other methods answer with it.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { HttpsTransport, type VimClient } from "../../vim25/client/index.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { connect, fault } from "../helpers.ts";

const vmSpec = (name: string) => ({ _type: "VirtualMachineConfigSpec", name, guestId: "otherGuest64", memoryMB: 128, files: { _type: "VirtualMachineFileInfo", vmPathName: "[mydatastore]" } });

describe("fault injection", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  let folder: ManagedObjectReference;
  let pool: ManagedObjectReference;
  const url = (p: string) => new URL(p, sim.url);
  const send = (method: string, p: string, body?: unknown) => c.soap.transport.request(method, url(p), body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body), body === undefined ? {} : { "Content-Type": "application/json" });
  const json = (r: { body: Buffer }) => JSON.parse(r.body.toString("utf8"));
  const createVm = async (name: string) => (await c.waitForTask((await c.call("CreateVM_Task", folder, { config: vmSpec(name), pool })) as ManagedObjectReference)) as ManagedObjectReference;
  const powerOn = async (vm: ManagedObjectReference) => c.waitForTask((await c.call("PowerOnVM_Task", vm, {})) as ManagedObjectReference);
  const power = async (vm: ManagedObjectReference) => (await c.retrieveOne(vm, ["runtime.powerState"]))["runtime.powerState"];

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab" });
    c = await connect(sim);
    const dc = sim.sim.inventory.ofType("Datacenter")[0];
    folder = dc.get("vmFolder") as ManagedObjectReference;
    pool = sim.sim.inventory.ofType("ResourcePool")[0].ref;
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.faults.clear());

  it("fails only the named object's task, as often as the count says, and the VM stays as it was", async () => {
    const [a, b] = [await createVm("inj-a"), await createVm("inj-b")];
    const r = await send("POST", "/_sim/faults", { method: "PowerOnVM_Task", object: a.value, fault: "InvalidPowerState", fields: { requestedState: "poweredOn", existingState: "poweredOff" }, count: 2 });
    expect(r.status).toBe(200);
    expect(json(r)).toMatchObject({ id: expect.stringMatching(/^fault-\d+$/), method: "PowerOnVM_Task", object: a.value, count: 2, hits: 0 });
    await powerOn(b);
    expect(await power(b)).toBe("poweredOn");
    for (let i = 0; i < 2; i++) {
      const f = await fault(powerOn(a));
      expect(f.type).toBe("InvalidPowerState");
      expect(f.fault).toMatchObject({ requestedState: "poweredOn", existingState: "poweredOff" });
      expect(await power(a)).toBe("poweredOff");
    }
    expect(json(await send("GET", "/_sim/faults")).faults).toEqual([]);
    await powerOn(a);
    expect(await power(a)).toBe("poweredOn");
  });

  it("answers a method that returns no task with the SOAP fault, with vSphere's message unless one is given", async () => {
    sim.faults.add({ method: "CurrentTime", fault: "HostCommunication" });
    const si = { _type: "ManagedObjectReference", type: "ServiceInstance", value: "ServiceInstance" } as ManagedObjectReference;
    const f = await fault(c.call("CurrentTime", si, {}));
    expect(f.type).toBe("HostCommunication");
    sim.faults.clear();
    sim.faults.add({ method: "CurrentTime", fault: "SystemError", fields: { reason: "disk on fire" }, message: "A general system error occurred: disk on fire" });
    const g = await fault(c.call("CurrentTime", si, {}));
    expect(g.message).toBe("A general system error occurred: disk on fire");
    expect(g.fault).toMatchObject({ reason: "disk on fire" });
  });

  it("refuses rules that name no method, no fault or wrong fields, with a 400 that says why", async () => {
    const bad: [unknown, RegExp][] = [
      ["not json", /JSON/],
      [[], /JSON object/],
      [{ fault: "SystemError" }, /method/],
      [{ method: "NoSuchMethod", fault: "SystemError" }, /method/],
      [{ method: "PowerOnVM_Task", fault: "VirtualMachineConfigSpec" }, /MethodFault/],
      [{ method: "PowerOnVM_Task", fault: "SystemError", count: 0 }, /count/],
      [{ method: "PowerOnVM_Task", fault: "SystemError", count: 1.5 }, /count/],
      [{ method: "PowerOnVM_Task", fault: "SystemError", fields: { nope: 1 } }, /no property "nope"/],
      [{ method: "PowerOnVM_Task", fault: "SystemError", fields: { reason: 7 } }, /SystemError.reason is a string/],
      [{ method: "PowerOnVM_Task", fault: "InvalidPowerState", fields: { existingState: "melted" } }, /one of poweredOff, poweredOn, suspended/],
      [{ method: "PowerOnVM_Task", fault: "SystemError", delay: 5 }, /unknown rule field "delay"/],
    ];
    for (const [body, why] of bad) {
      const r = await send("POST", "/_sim/faults", typeof body === "string" ? body : JSON.stringify(body));
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(json(r).error).toMatch(why);
    }
    expect(sim.faults.list()).toEqual([]);
  });

  it("lists, removes one or all, and answers 404, 405 and 401 as the other controls do", async () => {
    const one = json(await send("POST", "/_sim/faults", { method: "PowerOffVM_Task", fault: "TaskInProgress" }));
    await send("POST", "/_sim/faults", { method: "Destroy_Task", fault: "TaskInProgress" });
    expect(json(await send("GET", "/_sim/faults")).faults.map((r: { method: string }) => r.method)).toEqual(["PowerOffVM_Task", "Destroy_Task"]);
    expect((await send("DELETE", `/_sim/faults/${one.id}`)).status).toBe(200);
    expect((await send("DELETE", `/_sim/faults/${one.id}`)).status).toBe(404);
    expect(json(await send("GET", "/_sim/faults")).faults.map((r: { method: string }) => r.method)).toEqual(["Destroy_Task"]);
    expect((await send("DELETE", "/_sim/faults")).status).toBe(200);
    expect(sim.faults.list()).toEqual([]);
    const put = await send("PUT", "/_sim/faults", {});
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe("GET, POST, DELETE");
    const anonymous = new HttpsTransport({ thumbprint: sim.thumbprint });
    try {
      expect((await anonymous.request("POST", url("/_sim/faults"), JSON.stringify({ method: "PowerOnVM_Task", fault: "SystemError" }))).status).toBe(401);
    } finally {
      anonymous.close();
    }
  });

  it("goes with reset(), and a restore keeps it", async () => {
    const snap = sim.snapshot();
    sim.faults.add({ method: "CreateVM_Task", fault: "NoDiskSpace", fields: { datastore: "mydatastore" } });
    sim.restore(snap);
    expect(sim.faults.list()).toHaveLength(1);
    const f = await fault(createVm("inj-c"));
    expect(f.type).toBe("NoDiskSpace");
    expect(sim.sim.inventory.ofType("VirtualMachine").some((v) => v.get("name") === "inj-c")).toBe(false);
    sim.reset();
    expect(sim.faults.list()).toEqual([]);
  });
});
