// vCenter's scheduled tasks: pyVmomi creates, runs, reconfigures and
// removes them (pyvmomi_scheduled_tasks.py); firing at their time, the
// action running as its creator, and snapshot restore are checked in
// process on a manual clock, which pyVmomi cannot move.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";
import { Simulator } from "../../simulator/simulator.ts";
import { loadScenario } from "../../simulator/inventory/scenario-loader.ts";
import { ManualClock } from "../../simulator/clock.ts";
import type { ScheduledTaskManager } from "../../simulator/objects/scheduled-task-manager.ts";
import type { ScheduledTask } from "../../simulator/objects/scheduled-task.ts";
import { nextRun } from "../../simulator/objects/scheduled-task.ts";
import type { CallContext, ManagedObject } from "../../simulator/objects/managed-object.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

const TASK_EVENTS = (vm: string, renamed: string) => [
  ["ScheduledTaskCreatedEvent", "power on", vm, vm],
  ["ScheduledTaskStartedEvent", "power on", vm, vm],
  ["ScheduledTaskCompletedEvent", "power on", vm, vm],
  ["ScheduledTaskStartedEvent", "power on", vm, vm],
  ["ScheduledTaskFailedEvent", "power on", vm, vm],
  ["ScheduledTaskCreatedEvent", "object task", renamed, renamed],
  ["ScheduledTaskReconfiguredEvent", "nightly power on", renamed, renamed],
  ["ScheduledTaskReconfiguredEvent", "nightly power on", renamed, renamed],
  ["ScheduledTaskRemovedEvent", "object task", renamed, renamed],
];

describe("pyvmomi: scheduled tasks", () => {
  it("creates, runs, reconfigures and removes scheduled tasks, with their faults and events", async () => {
    const out = await runPyvmomi("pyvmomi_scheduled_tasks.py", "vcenter-cluster");
    expect(out).toEqual({
      manager: {
        empty: [],
        states: ["queued", "running", "success", "error"],
        schedulers: [
          ["OnceTaskScheduler", "once"], ["AfterStartupTaskScheduler", "after vCenter Server starts"], ["HourlyTaskScheduler", "hourly"], ["DailyTaskScheduler", "daily"],
          ["WeeklyTaskScheduler", "weekly"], ["MonthlyByDayTaskScheduler", "monthly"], ["MonthlyByWeekdayTaskScheduler", "monthly"],
        ],
        weekOfMonth: ["first", "second", "third", "fourth", "last"],
      },
      created: {
        type: "ScheduledTask", name: "power on", description: "test power on", enabled: true, state: "queued", entity: true, taskObject: true, scheduledTask: true,
        user: true, nextRunTime: true, prevRunTime: null, action: ["MethodAction", "PowerOnVM_Task"], notification: "", listed: true, power: "poweredOff",
      },
      faults: {
        duplicate: "DuplicateName", emptyName: "InvalidName", longName: "InvalidName", notAMethodOfVm: "InvalidArgument", missingArgument: "InvalidArgument",
        wrongArgument: "InvalidArgument", tooManyArguments: "InvalidArgument", zeroInterval: "InvalidArgument", badMinute: "InvalidArgument", badHour: "InvalidArgument",
        noWeekday: "InvalidArgument", badDay: "InvalidArgument", runAtPast: "InvalidArgument", expiresBeforeActive: "InvalidArgument",
        // nothing of a refused spec is left behind
        listed: 1,
      },
      // RunScheduledTask runs the action now and leaves the schedule alone
      ran: { state: "success", power: "poweredOn", activeTask: null, prevRunTime: true, nextRunTime: true, error: null },
      failedInTask: ["error", "InvalidPowerState", null],
      failedAtOnce: ["error", "InvalidPowerState", false],
      argument: ["renamed-vm"],
      renamed: ["success", "renamed-vm"],
      retrieve: {
        entity: ["object task", "power on", "rename", "to template"],
        object: ["object task", "power on", "rename", "to template"],
        all: ["object task", "power on", "rename", "to template"],
        folder: [],
        disabledNext: null,
        manager: 4,
      },
      reconfigure: { duplicate: "DuplicateName", badScheduler: "InvalidArgument", unchanged: "power on", ok: "ok" },
      reconfigured: { name: "nightly power on", scheduler: "DailyTaskScheduler", at: [3, 30, 0], future: true, withinADay: true, modified: true, stateKept: "error" },
      disabled: [false, null],
      removed: { listed: ["nightly power on", "rename", "to template"], again: "ManagedObjectNotFound", info: "ManagedObjectNotFound" },
      entityGone: {
        before: ["destroyed power on", "inFolder power on", "nightly power on", "rename", "to template", "unregistered power on"],
        after: ["nightly power on", "rename", "to template"],
        info: { destroyed: "ManagedObjectNotFound", unregistered: "ManagedObjectNotFound", inFolder: "ManagedObjectNotFound" },
      },
      events: TASK_EVENTS("sched-vm", "renamed-vm"),
      messages: ["Created task object task on renamed-vm in datacenter dc1", "Removed task object task on renamed-vm in datacenter dc1"],
      failedReasons: ["InvalidPowerState", "InvalidPowerState"],
      reset: { status: 200, listed: [], info: "ManagedObjectNotFound" },
    });
  });
});

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

function setup() {
  const clock = new ManualClock(new Date("2016-08-06T19:50:00Z"));
  const sim = new Simulator(loadScenario("vcenter-cluster"), { clock });
  const admin = sim.scenario.credentials.username;
  const ctxOf = (user: string): CallContext => ({ session: sim.sessions.create(user, user, "en", "127.0.0.1", "test"), aborted: new Promise(() => {}), remoteAddress: "127.0.0.1", userAgent: "test" });
  const ctx = ctxOf(admin);
  const stm = sim.inventory.get((sim.content.scheduledTaskManager as ManagedObjectReference).value) as ScheduledTaskManager;
  const pool = sim.inventory.ofType("ResourcePool")[0];
  const vm = sim.inventory.get(sim.createVmIn(pool, { _type: "VirtualMachineConfigSpec", name: "timed", guestId: "otherGuest64", memoryMB: 64, numCPUs: 1, files: { _type: "VirtualMachineFileInfo", vmPathName: "[shared-ds]" } }, undefined, admin).value)!;
  const power = () => (vm.props.runtime as { powerState: string }).powerState;
  const spec = (name: string, scheduler: Record<string, unknown>, method = "PowerOnVM_Task") => ({ _type: "ScheduledTaskSpec", name, description: "", enabled: true, scheduler, action: { _type: "MethodAction", name: method } });
  const create = (name: string, scheduler: Record<string, unknown>, c = ctx, method?: string) =>
    sim.inventory.get(stm.CreateScheduledTask({ entity: vm.ref, spec: spec(name, scheduler, method) }, c).value) as ScheduledTask;
  const info = (t: ManagedObject) => t.props.info as Record<string, any>;
  return { clock, sim, ctx, ctxOf, stm, vm, power, create, info };
}

describe("scheduled tasks on the simulator's clock", () => {
  it("fires a once-task at its time and a daily one every day, through the dispatcher's path", async () => {
    const { clock, create, info, power } = setup();
    const once = create("power on at nine", { _type: "OnceTaskScheduler", runAt: new Date("2016-08-06T21:00:00Z") });
    expect(info(once).nextRunTime).toEqual(new Date("2016-08-06T21:00:00Z"));
    clock.advance(69 * 60_000);
    await settle();
    expect([power(), info(once).state]).toEqual(["poweredOff", "queued"]);
    clock.advance(60_000);
    await settle();
    expect([power(), info(once).state, info(once).prevRunTime, info(once).nextRunTime]).toEqual(["poweredOn", "success", new Date("2016-08-06T21:00:00Z"), undefined]);

    const daily = create("nightly off", { _type: "DailyTaskScheduler", interval: 1, hour: 3, minute: 0 }, undefined, "PowerOffVM_Task");
    expect(info(daily).nextRunTime).toEqual(new Date("2016-08-07T03:00:00Z"));
    clock.advance(6 * 3600_000);
    await settle();
    expect([power(), info(daily).state, info(daily).nextRunTime]).toEqual(["poweredOff", "success", new Date("2016-08-08T03:00:00Z")]);
    // the second night the VM is off already: that run fails in its Task
    clock.advance(24 * 3600_000);
    await settle();
    expect([info(daily).state, info(daily).error?.fault?._type, info(daily).nextRunTime]).toEqual(["error", "InvalidPowerState", new Date("2016-08-09T03:00:00Z")]);
  });

  it("runs the action as the user who created the task: privileges apply when it fires", async () => {
    const { clock, sim, ctx, ctxOf, create, info, power } = setup();
    const auth = sim.authorization as unknown as Record<string, (a: Record<string, unknown>, c: CallContext) => unknown>;
    const root = sim.content.rootFolder as ManagedObjectReference;
    auth.SetEntityPermissions({ entity: root, permission: [{ _type: "Permission", principal: "operator", group: false, roleId: -1, propagate: true }] }, ctx);
    const t = create("operator's", { _type: "OnceTaskScheduler", runAt: new Date("2016-08-06T20:00:00Z") }, ctxOf("operator"));
    // the operator loses the right to power VMs on before the task fires
    auth.SetEntityPermissions({ entity: root, permission: [{ _type: "Permission", principal: "operator", group: false, roleId: -2, propagate: true }] }, ctx);
    clock.advance(10 * 60_000);
    await settle();
    expect([power(), info(t).state, info(t).error?.fault?._type, info(t).error?.fault?.privilegeId]).toEqual(["poweredOff", "error", "NoPermission", "VirtualMachine.Interact.PowerOn"]);
    const failed = sim.events.events.filter((e) => e._type === "ScheduledTaskFailedEvent").map((e) => (e.reason as { fault: { _type: string } }).fault._type);
    expect(failed).toEqual(["NoPermission"]);
  });

  it("computes weekly and monthly runs in UTC within activeTime and expireTime", () => {
    const { create, info } = setup();
    const next = (name: string, s: Record<string, unknown>) => (info(create(name, s, undefined, "PowerOffVM_Task")).nextRunTime as Date | undefined)?.toISOString();
    // created on the manual clock's Saturday 2016-08-06 19:50 UTC
    expect([
      next("hourly", { _type: "HourlyTaskScheduler", interval: 2, minute: 15 }),
      next("weekly", { _type: "WeeklyTaskScheduler", interval: 1, hour: 8, minute: 0, monday: true, wednesday: true }),
      next("monthly", { _type: "MonthlyByWeekdayTaskScheduler", interval: 1, hour: 2, minute: 0, offset: "second", weekday: "tuesday" }),
      next("after startup", { _type: "AfterStartupTaskScheduler", minute: 5 }),
      next("expired", { _type: "DailyTaskScheduler", interval: 1, hour: 3, minute: 0, expireTime: new Date("2016-08-07T02:00:00Z") }),
    ]).toEqual(["2016-08-06T20:15:00.000Z", "2016-08-08T08:00:00.000Z", "2016-08-09T02:00:00.000Z", undefined, undefined]);
    const created = new Date("2016-08-06T19:50:00Z");
    const at = (s: Record<string, unknown>, last?: string) => nextRun(s, created, last ? new Date(last) : undefined, last ? new Date(last) : created)?.toISOString();
    expect(at({ _type: "HourlyTaskScheduler", interval: 2, minute: 15 })).toBe("2016-08-06T20:15:00.000Z");
    expect(at({ _type: "HourlyTaskScheduler", interval: 2, minute: 15 }, "2016-08-06T20:15:00Z")).toBe("2016-08-06T22:15:00.000Z");
    expect(at({ _type: "WeeklyTaskScheduler", interval: 1, hour: 8, minute: 0, monday: true, wednesday: true })).toBe("2016-08-08T08:00:00.000Z");
    expect(at({ _type: "WeeklyTaskScheduler", interval: 1, hour: 8, minute: 0, monday: true, wednesday: true }, "2016-08-08T08:00:00Z")).toBe("2016-08-10T08:00:00.000Z");
    // every other week (weeks begin on Sunday), counted from the week the task was created in
    expect(at({ _type: "WeeklyTaskScheduler", interval: 2, hour: 8, minute: 0, monday: true })).toBe("2016-08-15T08:00:00.000Z");
    expect(at({ _type: "WeeklyTaskScheduler", interval: 2, hour: 8, minute: 0, monday: true }, "2016-08-15T08:00:00Z")).toBe("2016-08-29T08:00:00.000Z");
    expect(at({ _type: "MonthlyByDayTaskScheduler", interval: 1, hour: 1, minute: 0, day: 31 })).toBe("2016-08-31T01:00:00.000Z");
    // September has 30 days: the last one
    expect(at({ _type: "MonthlyByDayTaskScheduler", interval: 1, hour: 1, minute: 0, day: 31 }, "2016-08-31T01:00:00Z")).toBe("2016-09-30T01:00:00.000Z");
    expect(at({ _type: "MonthlyByWeekdayTaskScheduler", interval: 1, hour: 2, minute: 0, offset: "second", weekday: "tuesday" })).toBe("2016-08-09T02:00:00.000Z");
    expect(at({ _type: "MonthlyByWeekdayTaskScheduler", interval: 3, hour: 2, minute: 0, offset: "last", weekday: "friday" }, "2016-08-26T02:00:00Z")).toBe("2016-11-25T02:00:00.000Z");
    expect(at({ _type: "DailyTaskScheduler", interval: 1, hour: 3, minute: 0, activeTime: new Date("2016-09-01T00:00:00Z") })).toBe("2016-09-01T03:00:00.000Z");
    expect(at({ _type: "DailyTaskScheduler", interval: 1, hour: 3, minute: 0, expireTime: new Date("2016-08-07T02:00:00Z") })).toBeUndefined();
    expect(at({ _type: "AfterStartupTaskScheduler", minute: 5 })).toBeUndefined();
    expect(at({ _type: "OnceTaskScheduler" })).toBe("2016-08-06T19:50:00.000Z");
  });

  it("restores scheduled tasks with a snapshot, their timers rearmed and later ones gone", async () => {
    const { clock, sim, create, info, power, stm } = setup();
    const kept = create("kept", { _type: "OnceTaskScheduler", runAt: new Date("2016-08-06T22:00:00Z") });
    const snap = sim.snapshot();
    const later = create("later", { _type: "OnceTaskScheduler", runAt: new Date("2016-08-06T21:00:00Z") });
    (kept as unknown as { RemoveScheduledTask(a: object, c: CallContext): void }).RemoveScheduledTask({}, { aborted: new Promise(() => {}), remoteAddress: "", userAgent: "" });
    expect((stm.props.scheduledTask as ManagedObjectReference[]).map((r) => r.value)).toEqual([later.ref.value]);
    sim.restore(snap);
    expect((stm.props.scheduledTask as ManagedObjectReference[]).map((r) => r.value)).toEqual([kept.ref.value]);
    expect(sim.inventory.get(later.ref.value)).toBeUndefined();
    // the later task's time passes: nothing runs
    clock.advance(75 * 60_000);
    await settle();
    expect(power()).toBe("poweredOff");
    // the kept one's timer came back with it
    clock.advance(60 * 60_000);
    await settle();
    expect([power(), info(kept).state]).toEqual(["poweredOn", "success"]);
    sim.reset();
    expect(stm.props.scheduledTask).toEqual([]);
  });
});
