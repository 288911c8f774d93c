// Runs the body of every *_Task method: creates the Task, answers the
// caller with its moref at once, then runs the body asynchronously with
// state changes stamped by the injected clock.
import { Typed, VimFault, localizedFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { TypeRef } from "../../vim25/schema/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { ManagedObject } from "../objects/managed-object.ts";
import { Task } from "../objects/task.ts";

/** hostd and vpxd keep a bounded list of recent tasks */
const RECENT_TASKS = 200;
/**
 * TaskManager.recentTask lists completed tasks "that completed within the
 * past 10 minutes" (vSphere API reference); then they are gone, Task object
 * and all, and a client that still asks for one gets ManagedObjectNotFound.
 */
export const TASK_RETENTION_MS = 10 * 60 * 1000;

export class TaskRunner {
  /** retention timers of finished tasks, cancelled when a task goes sooner (a timer would keep the Task alive) */
  private readonly expiries = new Map<string, () => void>();
  /** tasks whose run() body has returned or thrown: nothing will move one a restore left unfinished */
  private readonly bodyDone = new WeakSet<Task>();

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
    // a fault a test injected ends the task in it, instead of the body's work
    const injected = sim.faults.take(method, entity.ref.value);
    setImmediate(() => {
      task.update({ "info.state": "running", "info.startTime": sim.clock.now(), "info.progress": 0 });
      const go = async () => {
        try {
          if (task.cancelRequested) throw new VimFault("RequestCanceled", {});
          if (injected) throw injected;
          entity.checkTask(method);
          const result = await body(task);
          const typed = result === undefined || result === null ? undefined : opts.resultType ? new Typed(opts.resultType, result) : result;
          this.bodyDone.add(task);
          task.update({ "info.state": "success", "info.result": typed, "info.progress": 100, "info.completeTime": sim.clock.now() });
          this.completed(task);
        } catch (e) {
          const fault = e instanceof VimFault ? e : new VimFault("SystemError", { reason: String((e as Error)?.message ?? e) }, String((e as Error)?.message ?? e));
          this.bodyDone.add(task);
          this.fail(task, fault);
          this.completed(task);
        }
      };
      if (delay > 0) sim.clock.setTimeout(() => void go(), delay);
      else void go();
    });
    return task.ref;
  }

  /**
   * A task has finished (its body returned or threw, or SetTaskState said
   * so): it leaves the recent lists after the retention time, or now if
   * newer tasks have already pushed it out of every list. Without this every
   * Task ever made stayed in the inventory: 5 per container VM's life in the
   * benchmark, 12 MB of heap per thousand VMs that no GC could free.
   */
  completed(task: Task): void {
    if (!this.listed(task)) return this.drop(task);
    this.retain(task, TASK_RETENTION_MS);
  }

  /** Out of the lists and the inventory in `ms` (at once if that has passed). */
  private retain(task: Task, ms: number): void {
    const value = task.ref.value;
    this.expiries.get(value)?.();
    this.expiries.delete(value);
    if (ms <= 0) return this.expire(task);
    this.expiries.set(value, this.sim.clock.setTimeout(() => {
      this.expiries.delete(value);
      this.expire(task);
    }, ms));
  }

  /**
   * After a restore: the restored tasks keep the retention rule, counted from
   * when they completed (a task that completed more than 10 minutes ago goes
   * at once), whether or not their timer outlived the snapshot. A task the
   * snapshot caught running whose body has finished since is stuck: nothing
   * will move it, and a client waiting for it would wait forever, so it
   * fails. Timers of tasks the restore removed are cancelled.
   */
  restored(): void {
    for (const [value, cancel] of [...this.expiries]) {
      if (!(this.sim.inventory.get(value) instanceof Task)) {
        cancel();
        this.expiries.delete(value);
      }
    }
    const now = this.sim.clock.now().getTime();
    for (const task of this.sim.inventory.ofType("Task")) {
      if (!(task instanceof Task)) continue;
      if (!task.finished && this.bodyDone.has(task)) {
        this.fail(task, new VimFault("SystemError", { reason: "restored to a snapshot taken while the task ran" }, "A general system error occurred: the simulator was restored to a snapshot taken while this task ran."));
      }
      if (!task.finished) continue;
      if (!this.listed(task)) {
        this.drop(task);
        continue;
      }
      const completeTime = task.info.completeTime instanceof Date ? task.info.completeTime.getTime() : now;
      this.retain(task, completeTime + TASK_RETENTION_MS - now);
    }
  }

  private fail(task: Task, fault: VimFault): void {
    task.update({
      "info.state": "error",
      "info.error": localizedFault(fault),
      "info.completeTime": this.sim.clock.now(),
    });
  }

  /** An entity has left the inventory, and its recentTask with it: its finished tasks TaskManager no longer lists go too. */
  entityGone(entity: ManagedObject): void {
    for (const ref of recentTasks(entity)) this.release(ref);
  }

  /** A finished task no recent list names any more is gone; one still running stays until it finishes. */
  private release(ref: ManagedObjectReference): void {
    const t = this.sim.inventory.get(ref.value);
    if (t instanceof Task && t.finished && !this.listed(t)) this.drop(t);
  }

  private drop(task: Task): void {
    this.sim.inventory.remove(task);
    this.expiries.get(task.ref.value)?.();
    this.expiries.delete(task.ref.value);
  }

  private taskManager(): ManagedObject | undefined {
    return this.sim.inventory.get((this.sim.content.taskManager as ManagedObjectReference).value);
  }

  private addRecent(entity: ManagedObject, task: Task): void {
    const tm = this.taskManager();
    const dropped: ManagedObjectReference[] = [];
    const push = (obj: ManagedObject) => {
      const list = [...recentTasks(obj), task.ref];
      if (list.length > RECENT_TASKS) dropped.push(...list.splice(0, list.length - RECENT_TASKS));
      obj.update({ recentTask: list });
    };
    if (tm) push(tm);
    if (this.sim.schema.property(entity.type, "recentTask")) push(entity);
    for (const ref of dropped) this.release(ref);
  }

  /** Whether the TaskManager's or the task's entity's recentTask still names the task. */
  private listed(task: Task): boolean {
    return this.listsOf(task).some((obj) => recentTasks(obj).some((r) => r.value === task.ref.value));
  }

  /** The objects whose recentTask may name the task: TaskManager and the task's entity, while they exist. */
  private listsOf(task: Task): ManagedObject[] {
    return [this.taskManager(), this.sim.inventory.get((task.info.entity as ManagedObjectReference).value)].filter((o): o is ManagedObject => !!o);
  }

  /** Retention over: out of the lists and out of the inventory (unless a restore has replaced it meanwhile). */
  private expire(task: Task): void {
    if (this.sim.inventory.get(task.ref.value) !== task) return;
    for (const obj of this.listsOf(task)) {
      const list = recentTasks(obj);
      if (list.some((r) => r.value === task.ref.value)) obj.update({ recentTask: list.filter((r) => r.value !== task.ref.value) });
    }
    this.sim.inventory.remove(task);
  }
}

function recentTasks(obj: ManagedObject): ManagedObjectReference[] {
  return (obj.props.recentTask as ManagedObjectReference[] | undefined) ?? [];
}
