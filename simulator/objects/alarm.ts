// Alarm: one alarm definition of vCenter's AlarmManager, declared on an
// entity and applying to it and what lies under it. RemoveAlarm and
// ReconfigureAlarm; the AlarmManager evaluates it (alarm-manager.ts).
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

export type AlarmInfo = DataObject & { name: string; enabled: boolean; expression: DataObject & Record<string, any>; entity: ManagedObjectReference; key: string };

/** What the AlarmManager does when an alarm's definition changes or it goes. */
export interface AlarmOwner {
  checkSpec(spec: DataObject | undefined, entity: ManagedObjectReference, except?: Alarm): DataObject & { name: string };
  changed(alarm: Alarm, userName: string): void;
  removed(alarm: Alarm, userName: string): void;
}

export class Alarm extends ManagedObject {
  constructor(sim: SimContext, value: string, info: AlarmInfo, private readonly owner: AlarmOwner) {
    super(sim, "Alarm", value);
    Object.assign(this.props, { info, value: [], availableField: [] });
  }

  get info(): AlarmInfo {
    return this.props.info as AlarmInfo;
  }

  RemoveAlarm(_args: Args, ctx: CallContext): void {
    this.owner.removed(this, ctx.session?.userName ?? "");
  }

  ReconfigureAlarm(args: Args, ctx: CallContext): void {
    const spec = this.owner.checkSpec(args.spec as DataObject | undefined, this.info.entity, this);
    const user = ctx.session?.userName ?? "";
    const { _type: _t, ...fields } = spec;
    this.update({ info: { ...this.info, ...fields, _type: "AlarmInfo", lastModifiedTime: this.sim.clock.now(), lastModifiedUser: user } });
    this.owner.changed(this, user);
  }
}

export function notFound(ref: ManagedObjectReference): VimFault {
  return new VimFault("ManagedObjectNotFound", { obj: ref });
}
