// AlarmManager: vCenter's alarms. An alarm is declared on an entity and
// applies to it and to every entity of its expression's type below it (a
// VM is below its folder, its resource pool and its host). Each entity's
// declaredAlarmState holds one AlarmState per alarm that applies to it,
// triggeredAlarmState the yellow and red ones, and overallStatus the worst.
// States are evaluated as the inventory changes (state expressions: a
// property path compared with isEqual/isUnequal), as events are posted
// (event expressions) or never change (metric expressions: the simulated
// guests use no CPU, memory or disk bandwidth, so none crosses a
// threshold). Monitoring tools read triggeredAlarmState; Ansible's and
// PowerCLI's alarm modules call CreateAlarm, ReconfigureAlarm, RemoveAlarm.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import { ManagedEntity } from "./managed-entity.ts";
import type { SimContext } from "../sim-context.ts";
import type { ChangeEvent } from "../inventory/store.ts";
import { Alarm, notFound, type AlarmInfo, type AlarmOwner } from "./alarm.ts";

type Expr = DataObject & Record<string, any>;
type State = DataObject & { key: string; alarm: ManagedObjectReference; entity: ManagedObjectReference; overallStatus: string };
const RANK: Record<string, number> = { gray: 0, green: 1, yellow: 2, red: 3 };
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export class AlarmManager extends ManagedObject implements AlarmOwner {
  /** entity type -> top-level properties a state expression of some alarm reads; rebuilt when alarms change */
  private watched: Map<string, Set<string>> | undefined;
  /** entity moref value -> the alarms defined on it; rebuilt when alarms change */
  private definedOn: Map<string, Alarm[]> | undefined;
  /** set while this manager writes alarm states, so its own updates do not re-enter it */
  private busy = false;

  constructor(sim: SimContext, value: string) {
    super(sim, "AlarmManager", value);
    const el = (key: string, label: string) => ({ _type: "ElementDescription", key, label, summary: label });
    Object.assign(this.props, {
      defaultExpression: [
        { _type: "StateAlarmExpression", operator: "isEqual", type: "VirtualMachine", statePath: "runtime.powerState" },
        { _type: "EventAlarmExpression", eventType: "Event" },
        { _type: "MetricAlarmExpression", operator: "isAbove", type: "VirtualMachine", metric: { _type: "PerfMetricId", counterId: 2, instance: "" } },
      ],
      description: {
        _type: "AlarmDescription",
        expr: ["StateAlarmExpression", "EventAlarmExpression", "MetricAlarmExpression", "OrAlarmExpression", "AndAlarmExpression"].map((t) => ({ _type: "TypeDescription", key: t, label: t, summary: t })),
        stateOperator: [el("isEqual", "Is equal to"), el("isUnequal", "Not equal to")],
        metricOperator: [el("isAbove", "Is above"), el("isBelow", "Is below")],
        hostSystemConnectionState: [el("connected", "Connected"), el("notResponding", "Not responding"), el("disconnected", "Disconnected")],
        virtualMachinePowerState: [el("poweredOff", "Powered off"), el("poweredOn", "Powered on"), el("suspended", "Suspended")],
        datastoreConnectionState: [el("connected", "Connected"), el("disconnected", "Disconnected")],
        hostSystemPowerState: [el("poweredOn", "Powered on"), el("poweredOff", "Powered off"), el("standBy", "Standby"), el("unknown", "Unknown")],
        virtualMachineGuestHeartbeatStatus: [el("gray", "Gray"), el("green", "Green"), el("yellow", "Yellow"), el("red", "Red")],
        entityStatus: [el("gray", "Gray"), el("green", "Green"), el("yellow", "Yellow"), el("red", "Red")],
        action: ["SendEmailAction", "SendSNMPAction", "RunScriptAction", "MethodAction"].map((t) => ({ _type: "TypeDescription", key: t, label: t, summary: t })),
      },
      lastTriggerId: 0,
    });
    sim.inventory.listen((ev) => this.onChange(ev));
    sim.events.listen((e) => this.onEvent(e));
  }

  /**
   * vCenter's own alarms on the root folder, as an installation has them
   * (two of its many): a host that stops responding turns red; a VM's CPU
   * usage over 75% or 90% (never, here).
   */
  addDefaults(root: ManagedObjectReference): void {
    this.define(root, { _type: "AlarmSpec", name: "Host connection and power state", systemName: "alarm.HostConnectionStateAlarm", description: "Default alarm to monitor host connection and power state", enabled: true,
      expression: { _type: "StateAlarmExpression", operator: "isEqual", type: "HostSystem", statePath: "runtime.connectionState", red: "notResponding" } }, "", 0);
    this.define(root, { _type: "AlarmSpec", name: "Virtual machine CPU usage", systemName: "alarm.VmCPUUsageAlarm", description: "Default alarm to monitor virtual machine CPU usage", enabled: true,
      expression: { _type: "MetricAlarmExpression", operator: "isAbove", type: "VirtualMachine", metric: { _type: "PerfMetricId", counterId: 2, instance: "" }, yellow: 7500, red: 9000 },
      setting: { _type: "AlarmSetting", toleranceRange: 0, reportingFrequency: 300 } }, "", 0);
  }

  private alarms(): Alarm[] {
    return this.sim.inventory.ofType("Alarm") as Alarm[];
  }

  private entity(ref: ManagedObjectReference | undefined, what = "entity"): ManagedEntity {
    if (!ref) throw new VimFault("InvalidArgument", { invalidProperty: what });
    const e = this.sim.inventory.get(ref.value);
    if (!(e instanceof ManagedEntity)) throw notFound(ref);
    return e;
  }

  checkSpec(spec: DataObject | undefined, entity: ManagedObjectReference, except?: Alarm): DataObject & { name: string } {
    const s = spec as (DataObject & Record<string, any>) | undefined;
    const name = typeof s?.name === "string" ? s.name : "";
    if (!name.trim() || name.length > 80) throw new VimFault("InvalidName", { name, entity }, `The name '${name}' is not valid for an alarm.`);
    const clash = this.alarms().find((a) => a !== except && a.info.entity.value === entity.value && a.info.name === name);
    if (clash) throw new VimFault("DuplicateName", { name, object: clash.ref }, `The name '${name}' already exists.`);
    if (!s!.expression) throw new VimFault("InvalidArgument", { invalidProperty: "spec.expression" });
    this.checkExpression(s!.expression, "spec.expression");
    return s as DataObject & { name: string };
  }

  private checkExpression(e: Expr, path: string): void {
    if (e._type === "OrAlarmExpression" || e._type === "AndAlarmExpression") {
      const list = (e.expression as Expr[] | undefined) ?? [];
      if (!list.length) throw new VimFault("InvalidArgument", { invalidProperty: `${path}.expression` });
      list.forEach((x, i) => this.checkExpression(x, `${path}.expression[${i}]`));
      return;
    }
    if (e._type === "StateAlarmExpression" || e._type === "MetricAlarmExpression") {
      if (!this.sim.schema.isA(String(e.type), "ManagedEntity")) throw new VimFault("InvalidArgument", { invalidProperty: `${path}.type` });
      if (e._type === "StateAlarmExpression" && !e.statePath) throw new VimFault("InvalidArgument", { invalidProperty: `${path}.statePath` });
    }
  }

  private define(entity: ManagedObjectReference, spec: DataObject & Record<string, any>, userName: string, eventKey: number, value = this.sim.newRef("alarm-")): Alarm {
    const { _type: _t, ...fields } = spec;
    const info: AlarmInfo = {
      ...fields, _type: "AlarmInfo", key: value, alarm: { _type: "ManagedObjectReference", type: "Alarm", value }, entity,
      lastModifiedTime: this.sim.clock.now(), lastModifiedUser: userName, creationEventId: eventKey,
    } as unknown as AlarmInfo;
    const alarm = this.sim.inventory.add(new Alarm(this.sim, value, info, this));
    this.reevaluate(alarm);
    return alarm;
  }

  CreateAlarm(args: Args, ctx: CallContext): ManagedObjectReference {
    const entity = this.entity(args.entity as ManagedObjectReference | undefined);
    const spec = this.checkSpec(args.spec as DataObject | undefined, entity.ref);
    const user = ctx.session?.userName ?? "";
    const value = this.sim.newRef("alarm-");
    const ev = this.post("AlarmCreatedEvent", `Created alarm '${spec.name}' on ${entity.name}`, user, entity, spec.name, value);
    return this.define(entity.ref, spec as DataObject & Record<string, any>, user, ev.key as number, value).ref;
  }

  GetAlarm(args: Args): ManagedObjectReference[] {
    const entity = args.entity as ManagedObjectReference | undefined;
    if (entity) this.entity(entity);
    return this.alarms().filter((a) => !entity || a.info.entity.value === entity.value).map((a) => a.ref);
  }

  GetAlarmState(args: Args): State[] {
    return (this.entity(args.entity as ManagedObjectReference | undefined).props.declaredAlarmState as State[]) ?? [];
  }

  AcknowledgeAlarm(args: Args, ctx: CallContext): void {
    const alarm = args.alarm as ManagedObjectReference;
    if (!(this.sim.inventory.get(alarm?.value) instanceof Alarm)) throw notFound(alarm);
    const e = this.entity(args.entity as ManagedObjectReference | undefined);
    const ack = (s: State) => (s.alarm.value === alarm.value && !s.acknowledged ? { ...s, acknowledged: true, acknowledgedByUser: ctx.session?.userName ?? "", acknowledgedTime: this.sim.clock.now() } : s);
    if (!(e.props.triggeredAlarmState as State[]).some((s) => s.alarm.value === alarm.value)) return;
    this.write(e, { declaredAlarmState: (e.props.declaredAlarmState as State[]).map(ack), triggeredAlarmState: (e.props.triggeredAlarmState as State[]).map(ack) });
  }

  /**
   * "Reset to green": the yellow and red states the filter picks (their
   * status, the kind of entity, what triggers the alarm; unset picks all)
   * turn green on every entity, each with an AlarmClearedEvent. A state
   * alarm whose condition still holds turns red again at the entity's next
   * change. Since API 6.7: an older vCenter does not know the method.
   */
  ClearTriggeredAlarms(args: Args, ctx: CallContext): void {
    const api = String((this.sim.content.about as { apiVersion: string }).apiVersion);
    if (parseFloat(api) < 6.7) throw new VimFault("MethodNotFound", { receiver: this.ref, method: "ClearTriggeredAlarms" }, "Method ClearTriggeredAlarms not found on AlarmManager");
    const filter = (args.filter ?? {}) as { status?: string[]; typeEntity?: string; typeTrigger?: string };
    const statuses = filter.status ?? [];
    if (statuses.some((st) => !(st in RANK))) throw new VimFault("InvalidArgument", { invalidProperty: "filter.status" });
    const byEntity: Record<string, string | undefined> = { entityTypeAll: undefined, entityTypeHost: "HostSystem", entityTypeVm: "VirtualMachine" };
    if (filter.typeEntity !== undefined && !(filter.typeEntity in byEntity)) throw new VimFault("InvalidArgument", { invalidProperty: "filter.typeEntity" });
    const byTrigger: Record<string, string | undefined> = { triggerTypeAll: undefined, triggerTypeEvent: "EventAlarmExpression", triggerTypeMetric: "MetricAlarmExpression" };
    if (filter.typeTrigger !== undefined && !(filter.typeTrigger in byTrigger)) throw new VimFault("InvalidArgument", { invalidProperty: "filter.typeTrigger" });
    const entityType = filter.typeEntity ? byEntity[filter.typeEntity] : undefined;
    const trigger = filter.typeTrigger ? byTrigger[filter.typeTrigger] : undefined;
    const triggeredBy = (e: Expr, type: string): boolean => (e._type === "OrAlarmExpression" || e._type === "AndAlarmExpression" ? (e.expression as Expr[]).some((x) => triggeredBy(x, type)) : e._type === type);
    const picks = (s: State, o: ManagedEntity) => {
      const alarm = this.sim.inventory.get(s.alarm.value);
      return (!statuses.length || statuses.includes(s.overallStatus)) && (!entityType || o.isA(entityType)) &&
        (!trigger || (alarm instanceof Alarm && triggeredBy(alarm.info.expression, trigger)));
    };
    const user = ctx.session?.userName ?? "";
    for (const o of [...this.sim.inventory.all()]) {
      if (!(o instanceof ManagedEntity)) continue;
      const cleared = ((o.props.triggeredAlarmState as State[] | undefined) ?? []).filter((s) => picks(s, o));
      if (!cleared.length) continue;
      const gone = new Set(cleared.map((s) => s.key));
      const now = this.sim.clock.now();
      this.setStates(o, (o.props.declaredAlarmState as State[]).map((s) => (gone.has(s.key) ? { ...s, overallStatus: "green", time: now, acknowledged: false } : s)));
      for (const s of cleared) {
        const alarm = this.sim.inventory.get(s.alarm.value) as Alarm | undefined;
        if (!alarm) continue;
        const source = this.sim.inventory.get(alarm.info.entity.value) as ManagedEntity | undefined;
        this.busy = true;
        try {
          this.sim.events.post("AlarmClearedEvent", `Manually cleared alarm '${alarm.info.name}' on ${o.name} from ${cap(s.overallStatus)}`, user, {}, {
            alarm: { _type: "AlarmEventArgument", name: alarm.info.name, alarm: alarm.ref },
            source: { _type: "ManagedEntityEventArgument", name: source?.name ?? "", entity: alarm.info.entity },
            entity: { _type: "ManagedEntityEventArgument", name: o.name, entity: o.ref },
            from: s.overallStatus,
          });
        } finally {
          this.busy = false;
        }
      }
    }
  }

  AreAlarmActionsEnabled(args: Args): boolean {
    return this.entity(args.entity as ManagedObjectReference | undefined).props.alarmActionsEnabled !== false;
  }

  EnableAlarmActions(args: Args): void {
    this.entity(args.entity as ManagedObjectReference | undefined).update({ alarmActionsEnabled: !!args.enabled });
  }

  // AlarmOwner: ReconfigureAlarm changed an alarm's definition
  changed(alarm: Alarm, userName: string): void {
    this.post("AlarmReconfiguredEvent", `Reconfigured alarm '${alarm.info.name}' on ${this.nameOf(alarm.info.entity)}`, userName, this.sim.inventory.get(alarm.info.entity.value) as ManagedEntity | undefined, alarm.info.name, alarm);
    this.reevaluate(alarm);
  }

  /** Every entity the alarm may apply to, evaluated anew. */
  private reevaluate(alarm: Alarm): void {
    this.watched = undefined;
    for (const o of [...this.sim.inventory.all()]) if (o instanceof ManagedEntity) this.evaluate(o, [alarm]);
  }

  removed(alarm: Alarm, userName: string): void {
    const entity = this.sim.inventory.get(alarm.info.entity.value);
    for (const o of [...this.sim.inventory.all()]) {
      if (!(o instanceof ManagedEntity)) continue;
      const declared = (o.props.declaredAlarmState as State[]) ?? [];
      if (declared.some((s) => s.alarm.value === alarm.ref.value)) this.setStates(o, declared.filter((s) => s.alarm.value !== alarm.ref.value));
    }
    this.sim.inventory.remove(alarm);
    this.watched = undefined;
    if (entity instanceof ManagedEntity) this.post("AlarmRemovedEvent", `Removed alarm '${alarm.info.name}' on ${entity.name}`, userName, entity, alarm.info.name, alarm);
  }

  private nameOf(ref: ManagedObjectReference): string {
    return String(this.sim.inventory.get(ref.value)?.get("name") ?? ref.value);
  }

  /** `alarm` is its moref value when the event comes first (AlarmCreatedEvent: the alarm's creationEventId names it). */
  private post(type: string, message: string, userName: string, entity: ManagedEntity | undefined, alarmName: string, alarm: Alarm | string): DataObject {
    return this.sim.events.post(type, message, userName, {}, {
      alarm: { _type: "AlarmEventArgument", name: alarmName, alarm: typeof alarm === "string" ? { _type: "ManagedObjectReference", type: "Alarm", value: alarm } : alarm?.ref },
      ...(entity ? { entity: { _type: "ManagedEntityEventArgument", name: entity.name, entity: entity.ref } } : {}),
    });
  }

  /** The entities an entity lies below, itself included: folders and parents, and for a VM its resource pool's and host's. */
  private ancestors(o: ManagedEntity): Set<string> {
    const out = new Set<string>();
    const climb = (start: ManagedObject | undefined) => {
      for (let x = start; x instanceof ManagedEntity && !out.has(x.ref.value); x = x.parentObject()) out.add(x.ref.value);
    };
    climb(o);
    if (o.type === "VirtualMachine") {
      climb(this.sim.inventory.get(((o.props.resourcePool as ManagedObjectReference | undefined) ?? { value: "" }).value));
      climb(this.sim.inventory.get(((o.props.runtime as { host?: ManagedObjectReference } | undefined)?.host ?? { value: "" }).value));
    }
    return out;
  }

  private typeOf(e: Expr): string | undefined {
    if (e._type === "OrAlarmExpression" || e._type === "AndAlarmExpression") return this.typeOf((e.expression as Expr[])[0]);
    if (e._type === "EventAlarmExpression") return e.objectType ? String(e.objectType) : undefined;
    return String(e.type);
  }

  /** Does `alarm` apply to `o`: `o` of its expression's type, at or below the entity it is declared on? */
  private appliesTo(alarm: Alarm, o: ManagedEntity, above = this.ancestors(o)): boolean {
    const type = this.typeOf(alarm.info.expression);
    return (!type || o.isA(type)) && above.has(alarm.info.entity.value);
  }

  private status(e: Expr, o: ManagedEntity, current: string | undefined): string {
    switch (e._type) {
      case "OrAlarmExpression":
        return (e.expression as Expr[]).map((x) => this.status(x, o, current)).reduce((a, b) => (RANK[b] > RANK[a] ? b : a), "green");
      case "AndAlarmExpression":
        return (e.expression as Expr[]).map((x) => this.status(x, o, current)).reduce((a, b) => (RANK[b] < RANK[a] ? b : a), "red");
      case "StateAlarmExpression": {
        if (!o.isA(String(e.type))) return "green";
        let v: unknown = o.props;
        for (const part of String(e.statePath).split(".")) v = v && typeof v === "object" ? (v as Record<string, unknown>)[part] : undefined;
        const value = String(v);
        const hit = (x: unknown) => x !== undefined && x !== null && (e.operator === "isUnequal" ? value !== String(x) : value === String(x));
        return hit(e.red) ? "red" : hit(e.yellow) ? "yellow" : "green";
      }
      // an event expression holds the status the last matching event gave (onEvent)
      case "EventAlarmExpression":
        return current ?? "green";
      default:
        return "green";
    }
  }

  /** Bring `o`'s states of `alarms` (all, by default) up to date. */
  private evaluate(o: ManagedEntity, alarms = this.alarms()): void {
    if (!alarms.length) return;
    const above = this.ancestors(o);
    let declared = (o.props.declaredAlarmState as State[]) ?? [];
    let changed = false;
    const transitions: [Alarm, string, string][] = [];
    for (const alarm of alarms) {
      const i = declared.findIndex((s) => s.alarm.value === alarm.ref.value);
      if (!alarm.info.enabled || !this.appliesTo(alarm, o, above)) {
        if (i >= 0) {
          declared = declared.filter((_, j) => j !== i);
          changed = true;
        }
        continue;
      }
      const before = i >= 0 ? declared[i].overallStatus : undefined;
      const now = this.status(alarm.info.expression, o, before);
      if (now === before) continue;
      const state: State = { _type: "AlarmState", key: `${alarm.ref.value}.${o.ref.value}`, entity: o.ref, alarm: alarm.ref, overallStatus: now, time: this.sim.clock.now(), acknowledged: false };
      declared = i >= 0 ? declared.map((s, j) => (j === i ? state : s)) : [...declared, state];
      changed = true;
      if (before !== undefined || now !== "green") transitions.push([alarm, before ?? "green", now]);
    }
    if (changed) this.setStates(o, declared);
    for (const [alarm, from, to] of transitions) this.announce(alarm, o, from, to);
  }

  private setStates(o: ManagedEntity, declared: State[]): void {
    const triggered = declared.filter((s) => s.overallStatus === "red" || s.overallStatus === "yellow");
    const worst = triggered.reduce((a, s) => (RANK[s.overallStatus] > RANK[a] ? s.overallStatus : a), "green");
    this.write(o, { declaredAlarmState: declared, triggeredAlarmState: triggered, ...(o.props.overallStatus !== worst ? { overallStatus: worst } : {}) });
  }

  private write(o: ManagedObject, changes: Record<string, unknown>): void {
    this.busy = true;
    try {
      o.update(changes);
    } finally {
      this.busy = false;
    }
  }

  private announce(alarm: Alarm, o: ManagedEntity, from: string, to: string): void {
    if (RANK[to] >= RANK.yellow) this.update({ lastTriggerId: (this.props.lastTriggerId as number) + 1 });
    const source = this.sim.inventory.get(alarm.info.entity.value) as ManagedEntity | undefined;
    this.busy = true;
    try {
      this.sim.events.post("AlarmStatusChangedEvent", `Alarm '${alarm.info.name}' on ${o.name} changed from ${cap(from)} to ${cap(to)}`, "", {}, {
        alarm: { _type: "AlarmEventArgument", name: alarm.info.name, alarm: alarm.ref },
        source: { _type: "ManagedEntityEventArgument", name: source?.name ?? "", entity: alarm.info.entity },
        entity: { _type: "ManagedEntityEventArgument", name: o.name, entity: o.ref },
        from, to,
      });
    } finally {
      this.busy = false;
    }
  }

  private alarmsDefinedOn(entity: string): Alarm[] {
    if (!this.definedOn) {
      this.definedOn = new Map();
      for (const a of this.alarms()) {
        const list = this.definedOn.get(a.info.entity.value);
        if (list) list.push(a);
        else this.definedOn.set(a.info.entity.value, [a]);
      }
    }
    return this.definedOn.get(entity) ?? [];
  }

  private watchedProps(): Map<string, Set<string>> {
    if (this.watched) return this.watched;
    const w = new Map<string, Set<string>>();
    const visit = (e: Expr) => {
      if (e._type === "OrAlarmExpression" || e._type === "AndAlarmExpression") return (e.expression as Expr[]).forEach(visit);
      if (e._type !== "StateAlarmExpression") return;
      const set = w.get(String(e.type)) ?? new Set<string>();
      set.add(String(e.statePath).split(".")[0]);
      w.set(String(e.type), set);
    };
    for (const a of this.alarms()) if (a.info.enabled) visit(a.info.expression);
    return (this.watched = w);
  }

  private onChange(ev: ChangeEvent): void {
    if (this.busy) return;
    if (ev.obj instanceof Alarm) {
      this.watched = undefined;
      this.definedOn = undefined;
      return;
    }
    if (!(ev.obj instanceof ManagedEntity)) return;
    if (ev.kind === "leave") {
      // vCenter removes the alarms defined on an object removed from its
      // inventory (vSphere's "Remove an inventory object": "all the tasks and
      // alarms associated with the object"); with the entity gone, no
      // AlarmRemovedEvent names it
      for (const alarm of this.alarmsDefinedOn(ev.obj.ref.value)) this.removed(alarm, "");
      return;
    }
    if (ev.kind === "enter") return this.evaluate(ev.obj);
    // a move changes which alarms apply; a watched property, what they say
    const moved = ev.props.some((p) => p === "parent" || p === "resourcePool");
    const watched = [...this.watchedProps()].some(([type, props]) => ev.obj.isA(type) && ev.props.some((p) => props.has(p)));
    if (moved || watched) this.evaluate(ev.obj);
  }

  private onEvent(e: DataObject): void {
    if (this.busy) return;
    const ev = e as DataObject & Record<string, any>;
    for (const alarm of this.alarms()) {
      if (!alarm.info.enabled) continue;
      const exprs = alarm.info.expression._type === "OrAlarmExpression" ? (alarm.info.expression.expression as Expr[]) : [alarm.info.expression];
      for (const x of exprs) {
        if (x._type !== "EventAlarmExpression") continue;
        const matches = x.eventTypeId ? ev.eventTypeId === x.eventTypeId || ev._type === x.eventTypeId : this.sim.schema.isA(String(ev._type), String(x.eventType));
        if (!matches) continue;
        const target = this.targetOf(ev, x.objectType as string | undefined);
        if (!target || !this.appliesTo(alarm, target)) continue;
        this.setEventStatus(alarm, target, String(x.status ?? "red"));
      }
    }
  }

  private targetOf(ev: Record<string, any>, objectType: string | undefined): ManagedEntity | undefined {
    const refs: [string, ManagedObjectReference | undefined][] = [
      ["VirtualMachine", ev.vm?.vm], ["HostSystem", ev.host?.host], ["Datastore", ev.ds?.datastore], ["ComputeResource", ev.computeResource?.computeResource], ["Datacenter", ev.datacenter?.datacenter],
    ];
    for (const [type, ref] of refs) {
      if (!ref || (objectType && !this.sim.schema.isA(type, objectType) && !this.sim.schema.isA(objectType, type))) continue;
      const o = this.sim.inventory.get(ref.value);
      if (o instanceof ManagedEntity) return o;
    }
    return undefined;
  }

  private setEventStatus(alarm: Alarm, o: ManagedEntity, to: string): void {
    const declared = (o.props.declaredAlarmState as State[]) ?? [];
    const i = declared.findIndex((s) => s.alarm.value === alarm.ref.value);
    const from = i >= 0 ? declared[i].overallStatus : "green";
    if (from === to) return;
    const state: State = { _type: "AlarmState", key: `${alarm.ref.value}.${o.ref.value}`, entity: o.ref, alarm: alarm.ref, overallStatus: to, time: this.sim.clock.now(), acknowledged: false };
    this.setStates(o, i >= 0 ? declared.map((s, j) => (j === i ? state : s)) : [...declared, state]);
    this.announce(alarm, o, from, to);
  }
}
