// ScheduledTask: one of vCenter's scheduled tasks. Its scheduler says when
// it runs (once, after startup, hourly, daily, weekly, monthly, all in UTC
// on the simulator's clock); its MethodAction is a method of its object,
// which a run invokes as the user who created the task, through the same
// path a client's call takes (privileges, injected faults, the method).
// info follows the run: state, prevRunTime and nextRunTime, activeTask while
// the method's Task runs, then its result or error. Reconfigure, Remove and
// Run come from the API; the manager (scheduled-task-manager.ts) creates
// them and checks names.
import { Typed, VimFault, localizedFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { FieldDef, MethodDef } from "../../vim25/schema/index.ts";
import { ManagedObject, type Args, type CallContext, type SavedState } from "./managed-object.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import type { SimContext } from "../sim-context.ts";
import type { Session } from "../dispatch/session.ts";
import { invokeMethod } from "../dispatch/dispatcher.ts";

export type Spec = DataObject & Record<string, any> & { name: string };
export type ScheduledTaskInfo = DataObject & Record<string, any> & { name: string; entity: ManagedObjectReference; taskObject: ManagedObjectReference; state: string };

/** What the ScheduledTaskManager does for its tasks. */
export interface ScheduledTaskOwner {
  checkSpec(spec: unknown, obj: ManagedObject, except?: ScheduledTask): Spec;
  removed(task: ScheduledTask): void;
}

type State = SavedState & { owner: string; created: Date; lastFired?: Date };

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const OFFSETS = ["first", "second", "third", "fourth", "last"];

export class ScheduledTask extends ManagedObject {
  /** the user the action runs as: who created the task */
  private owner: string;
  /** when it was created: a schedule without an activeTime starts then */
  private created: Date;
  /** when the scheduler last fired it: the next run comes after that */
  private lastFired?: Date;
  private cancelTimer?: () => void;
  private stopFollowing?: () => void;

  constructor(sim: SimContext, value: string, info: ScheduledTaskInfo, owner: string, private readonly manager: ScheduledTaskOwner) {
    super(sim, "ScheduledTask", value);
    this.owner = owner;
    this.created = sim.clock.now();
    const next = info.enabled ? nextRun(info.scheduler, this.created, undefined, this.created) : undefined;
    Object.assign(this.props, { info: { ...info, nextRunTime: next }, value: [], availableField: [] });
    this.arm();
  }

  get info(): ScheduledTaskInfo {
    return this.props.info as ScheduledTaskInfo;
  }

  private setInfo(changes: Record<string, unknown>): void {
    this.update({ info: { ...this.info, ...changes } });
  }

  private busy(): void {
    if (this.info.state === "running") throw new VimFault("InvalidState", {}, `The scheduled task '${this.info.name}' is running.`);
  }

  ReconfigureScheduledTask(args: Args, ctx: CallContext): void {
    this.busy();
    const obj = this.sim.inventory.get(this.info.taskObject.value);
    if (!obj) throw new VimFault("ManagedObjectNotFound", { obj: this.info.taskObject });
    const spec = this.manager.checkSpec(args.spec, obj, this);
    const { _type: _t, ...fields } = spec;
    const user = ctx.session?.userName ?? "";
    this.update({ info: { ...this.info, notification: "", ...fields, _type: "ScheduledTaskInfo", lastModifiedTime: this.sim.clock.now(), lastModifiedUser: user } });
    // a new schedule starts afresh: a once task given a new time runs again
    this.lastFired = undefined;
    this.schedule();
    this.post("ScheduledTaskReconfiguredEvent", `Reconfigured task ${this.info.name} on ${this.entityName()}${this.inDatacenter()}`, user);
  }

  RemoveScheduledTask(_args: Args, ctx: CallContext): void {
    this.busy();
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.post("ScheduledTaskRemovedEvent", `Removed task ${this.info.name} on ${this.entityName()}${this.inDatacenter()}`, ctx.session?.userName ?? "");
    this.manager.removed(this);
  }

  /** Runs the action now; the schedule is left as it is (a choice: the reference says only that it runs). */
  async RunScheduledTask(): Promise<void> {
    this.busy();
    await this.run();
  }

  // ---- the schedule ----

  /** nextRunTime from the scheduler, and a timer on the simulator's clock for it. */
  private schedule(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const next = this.info.enabled ? nextRun(this.info.scheduler, this.created, this.lastFired, this.sim.clock.now()) : undefined;
    if ((this.info.nextRunTime as Date | undefined)?.getTime() !== next?.getTime()) this.setInfo({ nextRunTime: next });
    this.arm();
  }

  /** The timer alone, for a restore: state is as saved, only the clock's timer is new. */
  private arm(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const next = this.info.nextRunTime as Date | undefined;
    if (!next) return;
    this.cancelTimer = this.sim.clock.setTimeout(() => this.fire(next), Math.max(0, next.getTime() - this.sim.clock.now().getTime()));
  }


  private fire(at: Date): void {
    this.cancelTimer = undefined;
    // gone (removed, or a restore went back to before it was created)
    if (this.sim.inventory.get(this.ref.value) !== this) return;
    this.lastFired = at;
    // a run still going when the next is due: that one is skipped (a choice)
    if (this.info.state !== "running") void this.run();
    this.schedule();
  }

  // ---- a run ----

  private async run(): Promise<void> {
    const sim = this.sim;
    const action = this.info.action as Record<string, any>;
    this.setInfo({ state: "running", prevRunTime: sim.clock.now(), progress: 0, error: undefined, result: undefined, activeTask: undefined });
    this.post("ScheduledTaskStartedEvent", `Running task ${this.info.name} on ${this.entityName()}${this.inDatacenter()}`, "");
    try {
      const obj = sim.inventory.get(this.info.taskObject.value);
      if (!obj) throw new VimFault("ManagedObjectNotFound", { obj: this.info.taskObject });
      const def = sim.schema.method(obj.type, String(action.name))!;
      const args: Record<string, unknown> = {};
      ((action.argument ?? []) as DataObject[]).forEach((a, i) => {
        const v = unwrap((a as Record<string, unknown>).value);
        if (v !== undefined && v !== null) args[def.params[i].name] = v;
      });
      const result = await invokeMethod(sim, obj, String(action.name), def, args, this.context());
      if (def.result?.ref === "Task" && result) {
        this.setInfo({ activeTask: result });
        this.follow(result as ManagedObjectReference);
        return;
      }
      this.finish(result === undefined || result === null || !def.result ? undefined : new Typed(def.result, result), undefined);
    } catch (e) {
      const fault = e instanceof VimFault ? e : new VimFault("SystemError", { reason: String((e as Error)?.message ?? e) });
      this.finish(undefined, localizedFault(fault));
    }
  }

  /** A session for the action: the owner's, made for this run (the scheduler has no client session). */
  private context(): CallContext {
    const now = this.sim.clock.now();
    const session: Session = {
      key: `scheduledTask-${this.ref.value}`, userName: this.owner, fullName: this.owner, loginTime: now, lastActiveTime: now,
      locale: "en", messageLocale: "en", ipAddress: "127.0.0.1", userAgent: "vpxd scheduler", callCount: 0, objects: new Set(),
    };
    return { session, aborted: new Promise<void>(() => {}), remoteAddress: "127.0.0.1", userAgent: "vpxd scheduler" };
  }

  /** The method's Task decides how the run ends. */
  private follow(taskRef: ManagedObjectReference): void {
    this.stopFollowing?.();
    const check = (): boolean => {
      const task = this.sim.inventory.get(taskRef.value);
      const info = task?.props.info as { state?: string; result?: unknown; error?: DataObject } | undefined;
      if (!task) {
        this.finish(undefined, localizedFault(new VimFault("ManagedObjectNotFound", { obj: taskRef })));
        return true;
      }
      if (info?.state !== "success" && info?.state !== "error") return false;
      this.finish(info.state === "success" ? info.result : undefined, info.state === "error" ? info.error : undefined);
      return true;
    };
    const unlisten = this.sim.inventory.listen((ev) => {
      if (ev.obj.ref.value !== taskRef.value) return;
      if (check()) this.stopFollowing?.();
    });
    this.stopFollowing = () => {
      unlisten();
      this.stopFollowing = undefined;
    };
  }

  private finish(result: unknown, error: DataObject | undefined): void {
    this.stopFollowing?.();
    if (this.sim.inventory.get(this.ref.value) !== this) return;
    this.setInfo({ state: error ? "error" : "success", result, error, activeTask: undefined, progress: undefined });
    const where = `${this.entityName()}${this.inDatacenter()}`;
    if (error) {
      this.post("ScheduledTaskFailedEvent", `Task ${this.info.name} on ${where} cannot be completed: ${String((error as Record<string, unknown>).localizedMessage ?? "")}`, "", { reason: error });
    } else {
      this.post("ScheduledTaskCompletedEvent", `Task ${this.info.name} on ${where} completed successfully`, "");
    }
  }

  // ---- events ----

  private entityName(): string {
    return String(this.sim.inventory.get(this.info.entity.value)?.get("name") ?? this.info.entity.value);
  }

  private inDatacenter(): string {
    const e = this.sim.inventory.get(this.info.entity.value);
    const dc = e instanceof ManagedEntity ? datacenterOf(e) : undefined;
    return dc ? ` in datacenter ${dc.name}` : "";
  }

  post(type: string, message: string, userName: string, extra: Record<string, unknown> = {}): void {
    const e = this.sim.inventory.get(this.info.entity.value);
    const dc = e instanceof ManagedEntity ? datacenterOf(e) : undefined;
    const refs: Record<string, { name: string; ref: ManagedObjectReference }> = {};
    if (dc) refs.datacenter = { name: dc.name, ref: dc.ref };
    if (e?.isA("VirtualMachine")) refs.vm = { name: this.entityName(), ref: e.ref };
    if (e?.isA("HostSystem")) refs.host = { name: this.entityName(), ref: e.ref };
    this.sim.events.post(type, message, userName, refs, {
      scheduledTask: { _type: "ScheduledTaskEventArgument", name: this.info.name, scheduledTask: this.ref },
      entity: { _type: "ManagedEntityEventArgument", name: this.entityName(), entity: this.info.entity },
      ...extra,
    });
  }

  // ---- snapshots ----

  override saveState(): State {
    return { ...super.saveState(), owner: this.owner, created: this.created, lastFired: this.lastFired };
  }

  /**
   * Back to a saved state with a timer for its nextRunTime. A run the
   * snapshot caught going follows its Task again; one whose method had not
   * given a Task yet cannot go on and ends in error.
   */
  override loadState(s: State): void {
    super.loadState(s);
    this.owner = s.owner;
    this.created = s.created;
    this.lastFired = s.lastFired;
    this.stopFollowing?.();
    if (this.info.state === "running") {
      const active = this.info.activeTask as ManagedObjectReference | undefined;
      if (active) this.follow(active);
      else this.props.info = { ...this.info, state: "error", error: localizedFault(new VimFault("SystemError", { reason: "restored to a snapshot taken while the task ran" })) };
    }
    this.arm();
  }

  /** Removed: its timer and the run it follows go too. */
  override dispose(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.stopFollowing?.();
  }
}

function unwrap(v: unknown): unknown {
  return v instanceof Typed ? v.value : v;
}

// ---- checking a spec ----

function invalid(property: string): VimFault {
  return new VimFault("InvalidArgument", { invalidProperty: property }, `A specified parameter was not correct: ${property}`);
}

const SCHEDULERS = new Set(["OnceTaskScheduler", "AfterStartupTaskScheduler", "HourlyTaskScheduler", "DailyTaskScheduler", "WeeklyTaskScheduler", "MonthlyByDayTaskScheduler", "MonthlyByWeekdayTaskScheduler"]);

/**
 * The scheduler's fields as the reference bounds them (interval 1 or more,
 * minute 0-59, hour 0-23, day 1-31, a weekday for a weekly task). A once
 * task's runAt in the past and an expireTime before the activeTime are
 * refused too: a choice, the reference does not say.
 */
export function checkScheduler(s: Record<string, any> | undefined, now: Date): void {
  const p = "spec.scheduler";
  if (!s || !SCHEDULERS.has(s._type)) throw invalid(p);
  const int = (v: unknown, lo: number, hi: number) => typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi;
  if (s.activeTime && s.expireTime && (s.expireTime as Date) <= (s.activeTime as Date)) throw invalid(`${p}.expireTime`);
  if (s._type === "OnceTaskScheduler") {
    if (s.runAt && (s.runAt as Date).getTime() < now.getTime()) throw invalid(`${p}.runAt`);
    return;
  }
  if (s._type === "AfterStartupTaskScheduler") {
    if (!int(s.minute, 0, Number.MAX_SAFE_INTEGER)) throw invalid(`${p}.minute`);
    return;
  }
  if (!int(s.interval, 1, Number.MAX_SAFE_INTEGER)) throw invalid(`${p}.interval`);
  if (!int(s.minute, 0, 59)) throw invalid(`${p}.minute`);
  if (s._type === "HourlyTaskScheduler") return;
  if (!int(s.hour, 0, 23)) throw invalid(`${p}.hour`);
  if (s._type === "WeeklyTaskScheduler" && !WEEKDAYS.some((d) => s[d] === true)) throw invalid(p);
  if (s._type === "MonthlyByDayTaskScheduler" && !int(s.day, 1, 31)) throw invalid(`${p}.day`);
  if (s._type === "MonthlyByWeekdayTaskScheduler") {
    if (!OFFSETS.includes(s.offset)) throw invalid(`${p}.offset`);
    if (!WEEKDAYS.includes(s.weekday)) throw invalid(`${p}.weekday`);
  }
}

/**
 * A MethodAction naming a method of `obj`'s type with arguments that fit
 * its parameters in order (missing ones must be optional). Other actions
 * (e-mail, SNMP, scripts) are refused: a choice, the simulator sends none.
 */
export function checkAction(a: Record<string, any> | undefined, obj: ManagedObject, sim: SimContext): void {
  if (!a || a._type !== "MethodAction") throw invalid("spec.action");
  const def: MethodDef | undefined = typeof a.name === "string" ? sim.schema.method(obj.type, a.name) : undefined;
  if (!def) throw invalid("spec.action.name");
  const argsGiven = (a.argument ?? []) as Record<string, unknown>[];
  if (argsGiven.length > def.params.length) throw invalid("spec.action.argument");
  def.params.forEach((param, i) => {
    const v = unwrap(argsGiven[i]?.value);
    if (v === undefined || v === null) {
      if (!param.optional) throw invalid(`spec.action.argument[${i}]`);
      return;
    }
    if (!fits(v, param, sim)) throw invalid(`spec.action.argument[${i}]`);
  });
}

function fits(v: unknown, param: FieldDef, sim: SimContext): boolean {
  if (param.array) return Array.isArray(v) && v.every((x) => fits(x, { ...param, array: false }, sim));
  if (Array.isArray(v)) return false;
  const t = param.type;
  if (t === "anyType") return true;
  if (t === "ManagedObjectReference") return (v as DataObject)?._type === "ManagedObjectReference";
  if (sim.schema.isEnum(t)) return typeof v === "string" && sim.schema.enumValues(t)!.includes(v);
  switch (t) {
    case "string": case "anyURI": return typeof v === "string";
    case "boolean": return typeof v === "boolean";
    case "byte": case "short": case "int": case "long": return typeof v === "number" && Number.isInteger(v);
    case "float": case "double": return typeof v === "number";
    case "dateTime": return v instanceof Date;
    case "base64Binary": return Buffer.isBuffer(v);
  }
  const dt = (v as DataObject)?._type;
  return typeof dt === "string" && sim.schema.isA(dt, t);
}

/** Argument values as info shows them: an array in an anyType slot needs its type named. */
export function storableAction(a: Record<string, any>): DataObject {
  const argument = ((a.argument ?? []) as Record<string, unknown>[]).map((x) => {
    const v = x.value;
    if (!Array.isArray(v) || !v.length) return { _type: "MethodActionArgument", value: Array.isArray(v) ? undefined : v };
    const first = v[0] as DataObject | string | number | boolean;
    const type = typeof first === "string" ? "string" : typeof first === "boolean" ? "boolean" : typeof first === "number" ? (Number.isInteger(first) ? "int" : "double") : String(first._type);
    return { _type: "MethodActionArgument", value: new Typed({ type, array: true }, v) };
  });
  return { _type: "MethodAction", name: a.name, ...(argument.length ? { argument } : {}) };
}

// ---- when it runs ----

/**
 * The first run of `s` at or after `anchor` (the task's creation) and its
 * activeTime, not in the past and after `lastFired`, or none
 * (expired, a once task that ran, or after startup: vCenter has started
 * already, and the simulator never restarts). Times are UTC.
 */
export function nextRun(s: Record<string, any>, anchor: Date, lastFired: Date | undefined, now: Date): Date | undefined {
  const a = Math.max(anchor.getTime(), (s.activeTime as Date | undefined)?.getTime() ?? 0);
  const after = lastFired ? lastFired.getTime() : -Infinity;
  // a recurring schedule counts its intervals from `a`, but runs nothing in the past
  const ok = (t: number) => t >= a && t >= now.getTime() && t > after;
  let at: number | undefined;
  switch (s._type) {
    case "OnceTaskScheduler": {
      const t = (s.runAt as Date | undefined)?.getTime() ?? a;
      at = lastFired ? undefined : t;
      break;
    }
    case "AfterStartupTaskScheduler":
      at = undefined;
      break;
    case "HourlyTaskScheduler":
    case "DailyTaskScheduler": {
      const hourly = s._type === "HourlyTaskScheduler";
      const period = (hourly ? HOUR : DAY) * s.interval;
      const d = new Date(a);
      let base = hourly ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), s.minute) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), s.hour, s.minute);
      if (base < a) base += hourly ? HOUR : DAY;
      const from = Math.max(a, after, now.getTime());
      let k = Math.max(0, Math.ceil((from - base) / period));
      while (!ok(base + k * period)) k++;
      at = base + k * period;
      break;
    }
    case "WeeklyTaskScheduler": {
      const d = new Date(a);
      const day0 = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      const week0 = day0 - d.getUTCDay() * DAY;
      const startDay = Math.max(day0, Math.floor(Math.max(a, after, now.getTime()) / DAY) * DAY);
      for (let day = startDay; day < startDay + (7 * s.interval + 8) * DAY; day += DAY) {
        const week = Math.floor((day - week0) / (7 * DAY));
        const t = day + s.hour * HOUR + s.minute * 60_000;
        if (week % s.interval === 0 && s[WEEKDAYS[new Date(day).getUTCDay()]] && ok(t)) {
          at = t;
          break;
        }
      }
      break;
    }
    case "MonthlyByDayTaskScheduler":
    case "MonthlyByWeekdayTaskScheduler": {
      const d = new Date(a);
      const m0 = d.getUTCFullYear() * 12 + d.getUTCMonth();
      const f = new Date(Math.max(a, after, now.getTime()));
      const from = f.getUTCFullYear() * 12 + f.getUTCMonth();
      for (let m = from; m <= from + 2 * s.interval + 1; m++) {
        if ((m - m0) % s.interval !== 0) continue;
        const t = Date.UTC(Math.floor(m / 12), m % 12, monthDay(s, Math.floor(m / 12), m % 12), s.hour, s.minute);
        if (ok(t)) {
          at = t;
          break;
        }
      }
      break;
    }
  }
  if (at === undefined) return undefined;
  const expire = (s.expireTime as Date | undefined)?.getTime();
  return expire !== undefined && at > expire ? undefined : new Date(at);
}

/** The day of the month a monthly task runs: a day past the month's end is its last (a choice). */
function monthDay(s: Record<string, any>, year: number, month: number): number {
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  if (s._type === "MonthlyByDayTaskScheduler") return Math.min(s.day, last);
  const wd = WEEKDAYS.indexOf(s.weekday);
  const firstWd = new Date(Date.UTC(year, month, 1)).getUTCDay();
  const first = 1 + ((wd - firstWd + 7) % 7);
  if (s.offset === "last") return first + 7 * Math.floor((last - first) / 7);
  return first + 7 * OFFSETS.indexOf(s.offset);
}
