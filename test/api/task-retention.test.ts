// Task objects do not outlive their place in the recent lists: completed
// ones go 10 minutes after completion (the API reference's recentTask
// rule), or as soon as newer tasks have pushed them out of every list.
import { describe, expect, it } from "vitest";
import { Simulator } from "../../simulator/simulator.ts";
import { Dispatcher } from "../../simulator/dispatch/dispatcher.ts";
import { loadScenario } from "../../simulator/inventory/scenario-loader.ts";
import { ManualClock } from "../../simulator/clock.ts";
import { ENVELOPE_CLOSE, ENVELOPE_OPEN } from "../../vim25/soap/index.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

async function setup(taskDelays: Record<string, number> = {}) {
  const clock = new ManualClock();
  const sim = new Simulator(loadScenario("homelab"), { clock, taskDelays });
  const d = new Dispatcher(sim);
  const info = { remoteAddress: "127.0.0.1", userAgent: "test", aborted: new Promise<void>(() => {}) };
  let cookie: string | undefined;
  const call = async (body: string) => d.handle(`${ENVELOPE_OPEN}${body}${ENVELOPE_CLOSE}`, { ...info, cookie });
  const login = await call(`<Login xmlns="urn:vim25"><_this type="SessionManager">ha-sessionmgr</_this><userName>root</userName><password>homelab-pw</password></Login>`);
  cookie = login.setCookie;
  /** start a task and wait until its body has run */
  const task = async (body: string): Promise<string> => {
    const r = await call(body);
    expect(r.status, r.body).toBe(200);
    const ref = /<returnval type="Task">([^<]+)</.exec(r.body)![1];
    for (let i = 0; i < 100 && !["success", "error"].includes(String((sim.inventory.get(ref)?.props.info as { state?: string } | undefined)?.state)); i++) await new Promise((res) => setImmediate(res));
    return ref;
  };
  const createVm = (name: string) =>
    task(`<CreateVM_Task xmlns="urn:vim25"><_this type="Folder">ha-folder-vm</_this><config><name>${name}</name><guestId>otherGuest64</guestId><files><vmPathName>[mydatastore]</vmPathName></files><numCPUs>1</numCPUs><memoryMB>64</memoryMB></config><pool type="ResourcePool">ha-root-pool</pool></CreateVM_Task>`);
  const readInfo = (ref: string) =>
    call(`<RetrieveProperties xmlns="urn:vim25"><_this type="PropertyCollector">ha-property-collector</_this><specSet><propSet><type>Task</type><pathSet>info.state</pathSet></propSet><objectSet><obj type="Task">${ref}</obj></objectSet></specSet></RetrieveProperties>`);
  const taskManager = (sim.content.taskManager as ManagedObjectReference).value;
  const recent = (obj: string) => ((sim.inventory.get(obj)?.props.recentTask as ManagedObjectReference[] | undefined) ?? []).map((r) => r.value);
  const vmRef = (name: string) => sim.inventory.ofType("VirtualMachine").find((v) => v.get("name") === name)!.ref.value;
  const state = (ref: string) => (sim.inventory.get(ref)?.props.info as { state?: string } | undefined)?.state;
  return { sim, clock, call, task, createVm, readInfo, recent, vmRef, taskManager, state };
}

describe("task retention", () => {
  it("keeps a completed task for 10 minutes, in TaskManager's and its VM's recentTask, then it is gone", async () => {
    const { sim, clock, task, createVm, readInfo, recent, vmRef, taskManager } = await setup();
    await createVm("keeper");
    const vm = vmRef("keeper");
    const on = await task(`<PowerOnVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">${vm}</_this></PowerOnVM_Task>`);
    expect((await readInfo(on)).body).toContain("<val xsi:type=\"TaskInfoState\">success</val>");
    clock.advance(9 * 60_000);
    expect((await readInfo(on)).status).toBe(200);
    expect(recent(taskManager)).toContain(on);
    expect(recent(vm)).toContain(on);
    clock.advance(2 * 60_000);
    const gone = await readInfo(on);
    expect(gone.status).toBe(500);
    expect(gone.body).toContain("ManagedObjectNotFound");
    expect(recent(taskManager)).not.toContain(on);
    expect(recent(vm)).not.toContain(on);
    expect(sim.inventory.get(on)).toBeUndefined();
  });

  it("drops finished tasks that newer ones pushed out of every list: only tasks a recent list still names stay", async () => {
    const { sim, task, createVm, readInfo, recent, vmRef, taskManager } = await setup();
    const created = await createVm("vm-0");
    const destroyed = await task(`<Destroy_Task xmlns="urn:vim25"><_this type="VirtualMachine">${vmRef("vm-0")}</_this></Destroy_Task>`);
    for (let i = 1; i < 120; i++) {
      await createVm(`vm-${i}`);
      await task(`<Destroy_Task xmlns="urn:vim25"><_this type="VirtualMachine">${vmRef(`vm-${i}`)}</_this></Destroy_Task>`);
    }
    expect(recent(taskManager)).toHaveLength(200);
    // a Destroy_Task's VM is gone, so TaskManager's list was its last place;
    // CreateVM_Task's entity is the VM folder, whose own list still has them all
    const listed = new Set([...recent(taskManager), ...recent("ha-folder-vm")]);
    expect(listed.size).toBe(220);
    expect(sim.inventory.ofType("Task").map((t) => t.ref.value).sort()).toEqual([...listed].sort());
    expect((await readInfo(destroyed)).body).toContain("ManagedObjectNotFound");
    expect((await readInfo(created)).status).toBe(200);
    // a task a live VM still lists stays, however many came after it
    await createVm("stays");
    const vm = vmRef("stays");
    const on = await task(`<PowerOnVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">${vm}</_this></PowerOnVM_Task>`);
    for (let i = 0; i < 210; i++) await createVm(`more-${i}`);
    expect(recent(taskManager)).not.toContain(on);
    expect(recent(vm)).toContain(on);
    expect((await readInfo(on)).status).toBe(200);
    // until the VM goes, and its list with it
    await task(`<PowerOffVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">${vm}</_this></PowerOffVM_Task>`);
    const destroy = await task(`<Destroy_Task xmlns="urn:vim25"><_this type="VirtualMachine">${vm}</_this></Destroy_Task>`);
    expect((await readInfo(on)).body).toContain("ManagedObjectNotFound");
    expect((await readInfo(destroy)).status).toBe(200);
  });

  it("counts retention from completion across a restore: a task a snapshot brings back after its 10 minutes is gone at once", async () => {
    const { sim, clock, createVm, readInfo, recent, taskManager } = await setup();
    const created = await createVm("kept");
    clock.advance(60_000);
    const snap = sim.snapshot();
    clock.advance(10 * 60_000);
    expect((await readInfo(created)).body).toContain("ManagedObjectNotFound");
    sim.restore(snap);
    expect((await readInfo(created)).body).toContain("ManagedObjectNotFound");
    expect(recent(taskManager)).not.toContain(created);
    expect(recent("ha-folder-vm")).not.toContain(created);
  });

  it("keeps the rest of a restored task's 10 minutes when the restore brings it back", async () => {
    const { sim, clock, createVm, readInfo } = await setup();
    const before = sim.snapshot();
    const created = await createVm("kept");
    const after = sim.snapshot();
    sim.restore(before);
    expect(sim.inventory.get(created)).toBeUndefined();
    clock.advance(3 * 60_000);
    sim.restore(after);
    clock.advance(6 * 60_000);
    expect((await readInfo(created)).status).toBe(200);
    clock.advance(2 * 60_000);
    expect((await readInfo(created)).body).toContain("ManagedObjectNotFound");
  });

  it("fails a task that a snapshot caught running and that finished before the restore: nothing would move it again", async () => {
    const { sim, clock, task, createVm, readInfo, vmRef, state } = await setup({ PowerOnVM_Task: 1000 });
    await createVm("slow");
    const vm = vmRef("slow");
    // the helper gives up waiting after a few turns: the body waits for the clock
    const on = await task(`<PowerOnVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">${vm}</_this></PowerOnVM_Task>`);
    expect(state(on)).toBe("running");
    const snap = sim.snapshot();
    clock.advance(1000);
    for (let i = 0; i < 10 && state(on) !== "success"; i++) await new Promise((res) => setImmediate(res));
    expect(state(on)).toBe("success");
    sim.restore(snap);
    expect(state(on)).toBe("error");
    const info = await readInfo(on);
    expect(info.body).toContain("<val xsi:type=\"TaskInfoState\">error</val>");
    expect(sim.inventory.get(vm)?.get("runtime")).toMatchObject({ powerState: "poweredOff" });
    clock.advance(10 * 60_000 + 1);
    expect((await readInfo(on)).body).toContain("ManagedObjectNotFound");
  });
});
