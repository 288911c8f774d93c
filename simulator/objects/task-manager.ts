import { VimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

export class TaskManager extends ManagedObject {
  constructor(sim: SimContext, value: string) {
    super(sim, "TaskManager", value);
    Object.assign(this.props, {
      recentTask: [],
      maxCollector: sim.isVCenter ? 32 : 0,
      description: { _type: "TaskDescription", methodInfo: [], state: [], reason: [] },
    });
  }

  // An extension's task: it moves only when the extension says so (SetTaskState).
  CreateTask(args: Args, ctx: CallContext): unknown {
    const entity = this.sim.inventory.get(args.obj.value);
    if (!entity) throw new VimFault("ManagedObjectNotFound", { obj: args.obj });
    return this.sim.tasks.create(entity, String(args.taskTypeId), String(args.taskTypeId), ctx.session?.userName ?? "", !!args.cancelable).props.info;
  }

  CreateCollectorForTasks(_args: Args): ManagedObjectReference {
    if (!this.sim.isVCenter) throw new VimFault("NotSupported", {});
    throw new VimFault("NotImplemented", {});
  }
}
