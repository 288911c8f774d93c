// ScheduledTaskManager: vCenter's scheduled tasks (ScheduledTask objects,
// scheduled-task.ts). CreateScheduledTask puts a task on an entity,
// CreateObjectScheduledTask on any managed object; the Retrieve methods
// list them by entity or object, scheduledTask lists them all. Names are
// unique in the whole vCenter (a choice: the reference says only that
// DuplicateName comes when a task of the name exists).
import { VimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import { ManagedEntity } from "./managed-entity.ts";
import type { SimContext } from "../sim-context.ts";
import { ScheduledTask, checkAction, checkScheduler, storableAction, type ScheduledTaskOwner, type Spec } from "./scheduled-task.ts";

/** Longest name accepted (a choice: the reference says only "too long"; alarms use the same bound). */
const MAX_NAME = 80;

export class ScheduledTaskManager extends ManagedObject implements ScheduledTaskOwner {
  constructor(sim: SimContext, value: string) {
    super(sim, "ScheduledTaskManager", value);
    const el = (key: string, label: string) => ({ _type: "ElementDescription", key, label, summary: label });
    const detail = (key: string, label: string, frequency: string) => ({ _type: "ScheduledTaskDetail", key, label, summary: label, frequency });
    Object.assign(this.props, {
      scheduledTask: [],
      description: {
        _type: "ScheduledTaskDescription",
        action: [{ _type: "TypeDescription", key: "MethodAction", label: "Method action", summary: "Invoke a method" }],
        schedulerInfo: [
          detail("OnceTaskScheduler", "Once", "once"),
          detail("AfterStartupTaskScheduler", "After startup", "after vCenter Server starts"),
          detail("HourlyTaskScheduler", "Hourly", "hourly"),
          detail("DailyTaskScheduler", "Daily", "daily"),
          detail("WeeklyTaskScheduler", "Weekly", "weekly"),
          detail("MonthlyByDayTaskScheduler", "Monthly by day", "monthly"),
          detail("MonthlyByWeekdayTaskScheduler", "Monthly by weekday", "monthly"),
        ],
        state: [el("queued", "Queued"), el("running", "Running"), el("success", "Success"), el("error", "Error")],
        dayOfWeek: ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"].map((d) => el(d, d.charAt(0).toUpperCase() + d.slice(1))),
        weekOfMonth: ["first", "second", "third", "fourth", "last"].map((w) => el(w, w.charAt(0).toUpperCase() + w.slice(1))),
      },
    });
    // "When an object is removed from the vCenter Server or the ESXi host,
    // all associated tasks are also removed" (vSphere's task policy rules):
    // the tasks on a destroyed or unregistered entity, or invoking a method
    // of an object that is gone, leave with it. No ScheduledTaskRemovedEvent
    // is posted for them (a choice: the rules name none).
    sim.inventory.listen((ev) => {
      if (ev.kind !== "leave" || ev.obj instanceof ScheduledTask || !(this.props.scheduledTask as ManagedObjectReference[]).length) return;
      const gone = ev.obj.ref.value;
      for (const t of this.tasks()) if (t.info.entity.value === gone || t.info.taskObject.value === gone) this.removed(t);
    });
  }

  private tasks(): ScheduledTask[] {
    return ((this.props.scheduledTask as ManagedObjectReference[]) ?? []).map((r) => this.sim.inventory.get(r.value)).filter((t): t is ScheduledTask => t instanceof ScheduledTask);
  }

  /** The whole spec checked before anything changes; the action's argument values as info keeps them. */
  checkSpec(spec: unknown, obj: ManagedObject, except?: ScheduledTask): Spec {
    const s = (spec ?? {}) as Record<string, any>;
    const name = typeof s.name === "string" ? s.name : "";
    if (!name.trim() || name.length > MAX_NAME) throw new VimFault("InvalidName", { name, entity: obj instanceof ManagedEntity ? obj.ref : undefined }, `The name '${name}' is not valid for a scheduled task.`);
    const clash = this.tasks().find((t) => t !== except && t.info.name === name);
    if (clash) throw new VimFault("DuplicateName", { name, object: clash.ref }, `The name '${name}' already exists.`);
    checkScheduler(s.scheduler, this.sim.clock.now());
    checkAction(s.action, obj, this.sim);
    return {
      _type: "ScheduledTaskSpec", name, description: typeof s.description === "string" ? s.description : "", enabled: s.enabled !== false,
      scheduler: s.scheduler, action: storableAction(s.action), notification: typeof s.notification === "string" ? s.notification : "",
    };
  }

  CreateScheduledTask(args: Args, ctx: CallContext): ManagedObjectReference {
    const entity = this.sim.inventory.get((args.entity as ManagedObjectReference | undefined)?.value ?? "");
    if (!(entity instanceof ManagedEntity)) throw new VimFault("ManagedObjectNotFound", { obj: args.entity });
    return this.create(entity, entity, args.spec, ctx);
  }

  /**
   * A task on an object that is no entity (a ScheduledTaskManager, a
   * VirtualDiskManager) names the root folder as its entity: a choice, the
   * reference only says that info.taskObject is the object.
   */
  CreateObjectScheduledTask(args: Args, ctx: CallContext): ManagedObjectReference {
    const obj = this.sim.inventory.get((args.obj as ManagedObjectReference | undefined)?.value ?? "");
    if (!obj || obj.sessionKey) throw new VimFault("ManagedObjectNotFound", { obj: args.obj });
    const entity = obj instanceof ManagedEntity ? obj : (this.sim.inventory.get((this.sim.content.rootFolder as ManagedObjectReference).value) as ManagedEntity);
    return this.create(entity, obj, args.spec, ctx);
  }

  private create(entity: ManagedEntity, obj: ManagedObject, rawSpec: unknown, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    // the reference's privilege for creating, on the entity (the schema leaves the method open)
    if (ctx.session) this.sim.authorization.checkSession(ctx.session, entity.ref, "ScheduledTask.Create");
    const spec = this.checkSpec(rawSpec, obj);
    const value = this.sim.newRef("schedtask-");
    const ref: ManagedObjectReference = { _type: "ManagedObjectReference", type: "ScheduledTask", value };
    const { _type: _t, ...fields } = spec;
    const info = {
      _type: "ScheduledTaskInfo", ...fields, scheduledTask: ref, entity: entity.ref, lastModifiedTime: this.sim.clock.now(), lastModifiedUser: user,
      state: "queued", taskObject: obj.ref,
    };
    const task = this.sim.inventory.add(new ScheduledTask(this.sim, value, info as never, user, this));
    this.update({ scheduledTask: [...(this.props.scheduledTask as ManagedObjectReference[]), task.ref] });
    task.post("ScheduledTaskCreatedEvent", `Created task ${spec.name} on ${entity.name}${inDatacenter(entity)}`, user);
    return task.ref;
  }

  RetrieveEntityScheduledTask(args: Args): ManagedObjectReference[] {
    const entity = args.entity as ManagedObjectReference | undefined;
    if (entity && !(this.sim.inventory.get(entity.value) instanceof ManagedEntity)) throw new VimFault("ManagedObjectNotFound", { obj: entity });
    return this.tasks().filter((t) => !entity || t.info.entity.value === entity.value).map((t) => t.ref);
  }

  RetrieveObjectScheduledTask(args: Args): ManagedObjectReference[] {
    const obj = args.obj as ManagedObjectReference | undefined;
    if (obj && !this.sim.inventory.get(obj.value)) throw new VimFault("ManagedObjectNotFound", { obj });
    return this.tasks().filter((t) => !obj || t.info.taskObject.value === obj.value).map((t) => t.ref);
  }

  // ScheduledTaskOwner: RemoveScheduledTask's work
  removed(task: ScheduledTask): void {
    task.dispose();
    this.update({ scheduledTask: (this.props.scheduledTask as ManagedObjectReference[]).filter((r) => r.value !== task.ref.value) });
    this.sim.inventory.remove(task);
  }
}

function inDatacenter(e: ManagedEntity): string {
  for (let o: ManagedObject | undefined = e; o instanceof ManagedEntity; o = o.parentObject()) if (o.isA("Datacenter")) return ` in datacenter ${o.name}`;
  return "";
}

