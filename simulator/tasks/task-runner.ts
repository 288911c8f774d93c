// Runs the body of every *_Task method: creates the Task, answers the
// caller with its moref at once, then runs the body asynchronously with
// state changes stamped by the injected clock.
import { Typed, VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { TypeRef } from "../../vim25/schema/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { ManagedObject } from "../objects/managed-object.ts";
import { Task } from "../objects/task.ts";

/** hostd and vpxd keep a bounded list of recent tasks */
const RECENT_TASKS = 200;

export class TaskRunner {
  constructor(private readonly sim: SimContext) {}

  /**
   * Start a task on `entity` for SOAP method `method` (e.g. "PowerOnVM_Task"),
   * described as `descriptionId` (e.g. "VirtualMachine.powerOn").
   */
  /** A queued Task on `entity`, listed in recentTask; nothing runs it yet. */
  create(entity: ManagedObject, method: string, descriptionId: string, userName: string, cancelable = false): Task {
    const sim = this.sim;
    const n = sim.ids.next("task");
    const value = sim.isVCenter ? sim.newRef("task-") : `haTask-${entity.ref.value}-vim.${descriptionId}-${n}`;
    const task = new Task(sim, "Task", value);
    const entityName = (entity.get("name") as string | undefined) ?? entity.ref.value;
    task.props.info = {
      _type: "TaskInfo",
      key: value,
      task: task.ref,
      name: method.replace(/_Task$/, ""),
      descriptionId,
      entity: entity.ref,
      entityName,
      state: "queued",
      cancelled: false,
      cancelable,
      reason: { _type: "TaskReasonUser", userName },
      queueTime: sim.clock.now(),
      eventChainId: n,
    } satisfies DataObject;
    sim.inventory.add(task);
    this.addRecent(entity, task);
    return task;
  }

  /**
   * Start a task on `entity` for SOAP method `method` (e.g. "PowerOnVM_Task"),
   * described as `descriptionId` (e.g. "VirtualMachine.powerOn").
   */
  run(
    entity: ManagedObject,
    method: string,
    descriptionId: string,
    userName: string,
    body: (task: Task) => Promise<unknown> | unknown,
    opts: { cancelable?: boolean; resultType?: TypeRef } = {},
  ): ManagedObjectReference {
    const sim = this.sim;
    const task = this.create(entity, method, descriptionId, userName, opts.cancelable);
    const delay = sim.taskDelays[method] ?? sim.taskDelays["*"] ?? 0;
    setImmediate(() => {
      task.update({ "info.state": "running", "info.startTime": sim.clock.now(), "info.progress": 0 });
      const go = async () => {
        try {
          if (task.cancelRequested) throw new VimFault("RequestCanceled", {});
          const result = await body(task);
          const typed = result === undefined || result === null ? undefined : opts.resultType ? new Typed(opts.resultType, result) : result;
          task.update({ "info.state": "success", "info.result": typed, "info.progress": 100, "info.completeTime": sim.clock.now() });
        } catch (e) {
          const fault = e instanceof VimFault ? e : new VimFault("SystemError", { reason: String((e as Error)?.message ?? e) }, String((e as Error)?.message ?? e));
          task.update({
            "info.state": "error",
            "info.error": { _type: "LocalizedMethodFault", fault: fault.fault, localizedMessage: fault.message },
            "info.completeTime": sim.clock.now(),
          });
        }
      };
      if (delay > 0) sim.clock.setTimeout(() => void go(), delay);
      else void go();
    });
    return task.ref;
  }

  private addRecent(entity: ManagedObject, task: Task): void {
    const tm = this.sim.inventory.get((this.sim.content.taskManager as ManagedObjectReference).value);
    if (tm) tm.update({ recentTask: [...((tm.props.recentTask as ManagedObjectReference[]) ?? []), task.ref].slice(-RECENT_TASKS) });
    if (this.sim.schema.property(entity.type, "recentTask")) {
      entity.update({ recentTask: [...((entity.props.recentTask as ManagedObjectReference[]) ?? []), task.ref].slice(-RECENT_TASKS) });
    }
    // finished tasks leave recentTask lists, as in hostd, a while after completion
  }
}
