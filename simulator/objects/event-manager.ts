// EventManager and EventHistoryCollector: QueryEvents with the common
// filters (entity and recursion, types, time, user), and paged collectors.
import { VimFault, parseXml, type DataObject, type ManagedObjectReference, type XmlElement } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { ManagedEntity } from "./managed-entity.ts";

type Filter = Record<string, any> | undefined;

function refsIn(ev: DataObject): string[] {
  const out: string[] = [];
  // `entity`: what a GeneralUserEvent (LogUserEvent) is about
  for (const k of ["datacenter", "computeResource", "host", "vm", "ds", "net", "dvs", "entity"]) {
    const arg = ev[k] as Record<string, ManagedObjectReference> | undefined;
    if (!arg) continue;
    for (const v of Object.values(arg)) if (v && typeof v === "object" && (v as ManagedObjectReference)._type === "ManagedObjectReference") out.push(v.value);
  }
  return out;
}

export function matchEvents(sim: SimContext, events: DataObject[], filter: Filter): DataObject[] {
  if (!filter) return [...events];
  let scope: Set<string> | undefined;
  if (filter.entity) {
    const root = sim.inventory.get(filter.entity.entity.value);
    if (!root) throw new VimFault("ManagedObjectNotFound", { obj: filter.entity.entity });
    scope = new Set([root.ref.value]);
    const recursion = filter.entity.recursion ?? "self";
    if (recursion !== "self") {
      const walk = (o: ManagedObject, depth: number) => {
        if (!(o instanceof ManagedEntity)) return;
        for (const c of o.children()) {
          const child = sim.inventory.get(c.value);
          if (!child) continue;
          if (recursion === "all" || (recursion === "children" && depth === 0)) scope!.add(c.value);
          if (recursion === "all") walk(child, depth + 1);
        }
      };
      walk(root, 0);
    }
  }
  const types = filter.eventTypeId as string[] | undefined;
  const begin = filter.time?.beginTime as Date | undefined;
  const end = filter.time?.endTime as Date | undefined;
  const users = filter.userName?.userList as string[] | undefined;
  const chain = filter.eventChainId as number | undefined;
  const out = events.filter((e) =>
    (!scope || refsIn(e).some((r) => scope!.has(r))) &&
    (!types?.length || types.includes(e._type)) &&
    (!begin || (e.createdTime as Date) >= begin) &&
    (!end || (e.createdTime as Date) <= end) &&
    (!users?.length || users.includes(e.userName as string)) &&
    (chain === undefined || e.chainId === chain));
  return filter.maxCount ? out.slice(-filter.maxCount) : out;
}

// EventEx types of vCenter's and ESXi's catalogues with their arguments
// (name, type), as their messages use them ({1}, {snapshotName}).
const BUILT_IN_EVENT_ARGUMENTS: Record<string, [string, string][]> = {
  "com.vmware.vc.vm.VmStateRevertedToSnapshot": [["snapshotName", "string"], ["snapshotId", "int"]],
  "esx.problem.vmfs.heartbeat.timedout": [["1", "string"], ["2", "vim.event.DatastoreEventArgument"]],
  "esx.problem.vmfs.heartbeat.recovered": [["1", "string"], ["2", "vim.event.DatastoreEventArgument"]],
  "esx.problem.net.vmnic.linkstate.down": [["1", "string"]],
  "esx.clear.net.vmnic.linkstate.up": [["1", "string"]],
};

/**
 * The <argument>s of an extension's event type:
 * <EventType>...<arguments><argument><name/><type/></argument></arguments></EventType>.
 * A schema that does not parse declares none.
 */
function argumentsOfSchema(xml: string): [string, string][] {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch {
    return [];
  }
  const out: [string, string][] = [];
  const walk = (e: XmlElement): void => {
    if (e.local === "argument") {
      const field = (local: string) => e.children.find((c) => c.local === local)?.text.trim();
      const name = field("name");
      if (name) out.push([name, field("type") ?? "string"]);
      return;
    }
    e.children.forEach(walk);
  };
  walk(root);
  return out;
}

export class EventManager extends ManagedObject {
  constructor(sim: SimContext, value: string) {
    super(sim, "EventManager", value);
    Object.assign(this.props, {
      description: { _type: "EventDescription", category: [], eventInfo: [] },
      maxCollector: sim.isVCenter ? 32 : 10,
    });
    // latestEvent follows the log
    sim.events.listen((e) => this.update({ latestEvent: e }));
  }

  QueryEvents(args: Args): DataObject[] {
    return matchEvents(this.sim, this.sim.events.events, args.filter).reverse();
  }

  /** A user's note on an entity, as vSphere client's "log an event" posts it. */
  LogUserEvent(args: Args, ctx: CallContext): void {
    const entity = this.sim.inventory.get((args.entity as ManagedObjectReference).value);
    if (!(entity instanceof ManagedEntity)) throw new VimFault("ManagedObjectNotFound", { obj: args.entity });
    const msg = String(args.msg ?? "");
    this.sim.events.post("GeneralUserEvent", `User logged event: ${msg}`, ctx.session?.userName ?? "", {}, {
      message: msg,
      entity: { _type: "ManagedEntityEventArgument", name: entity.name, entity: entity.ref },
    });
  }

  PostEvent(args: Args, ctx: CallContext): void {
    const ev = args.eventToPost as DataObject;
    this.sim.events.post(ev._type, String(ev.fullFormattedMessage ?? ""), ctx.session?.userName ?? "", {}, Object.fromEntries(Object.entries(ev).filter(([k]) => !["_type", "key", "chainId", "createdTime", "userName"].includes(k))));
  }

  /**
   * The arguments of an EventEx or ExtendedEvent type: vCenter's and ESXi's
   * own (a few of their catalogue's, below) and those an extension declares
   * in its eventTypeSchema (ExtensionManager); an id nobody declares has none.
   */
  RetrieveArgumentDescription(args: Args): DataObject[] {
    const id = String(args.eventTypeId ?? "");
    const arg = ([name, type]: [string, string]) => ({ _type: "EventArgDesc", name, type });
    const builtIn = BUILT_IN_EVENT_ARGUMENTS[id];
    if (builtIn) return builtIn.map(arg);
    const extensions = this.sim.content.extensionManager as ManagedObjectReference | undefined;
    const list = ((extensions && this.sim.inventory.get(extensions.value)?.props.extensionList) ?? []) as { eventList?: { eventID: string; eventTypeSchema?: string }[] }[];
    for (const ext of list) {
      const declared = (ext.eventList ?? []).find((e) => e.eventID === id);
      if (declared) return argumentsOfSchema(declared.eventTypeSchema ?? "").map(arg);
    }
    return [];
  }

  CreateCollectorForEvents(args: Args, ctx: CallContext): ManagedObjectReference {
    const session = ctx.session!;
    const c = new EventHistoryCollector(this.sim, `session[${session.key}]${this.sim.ids.nextUuid("eventcollector")}`, args.filter);
    c.sessionKey = session.key;
    this.sim.inventory.add(c);
    session.objects.add(c);
    return c.ref;
  }
}

export class EventHistoryCollector extends ManagedObject {
  private pageSize = 10;
  /** index into the matching events: ReadNext reads forward from it, ReadPrevious back */
  private cursor: number;
  private readonly unlisten: () => void;

  constructor(sim: SimContext, value: string, readonly filter: Filter) {
    super(sim, "EventHistoryCollector", value);
    this.props.filter = filter ?? { _type: "EventFilterSpec" };
    this.cursor = this.matching().length;
    this.refreshPage();
    this.unlisten = sim.events.listen(() => this.refreshPage());
  }

  private matching(): DataObject[] {
    return matchEvents(this.sim, this.sim.events.events, this.filter ? { ...this.filter, maxCount: undefined } : undefined);
  }

  private refreshPage(): void {
    this.update({ latestPage: this.matching().slice(-this.pageSize).reverse() });
  }

  SetCollectorPageSize(args: Args): void {
    if (args.maxCount < 0) throw new VimFault("InvalidArgument", { invalidProperty: "maxCount" });
    this.pageSize = args.maxCount;
    this.refreshPage();
  }

  ReadNextEvents(args: Args): DataObject[] {
    const all = this.matching();
    const out = all.slice(this.cursor, this.cursor + args.maxCount);
    this.cursor += out.length;
    return out;
  }

  ReadPreviousEvents(args: Args): DataObject[] {
    const all = this.matching();
    const start = Math.max(0, this.cursor - args.maxCount);
    const out = all.slice(start, this.cursor).reverse();
    this.cursor = start;
    return out;
  }

  ResetCollector(_args: Args): void {
    this.cursor = this.matching().length;
  }

  RewindCollector(_args: Args): void {
    this.cursor = 0;
  }

  // the event log went back under the collector: its page follows, its cursor stays inside
  override afterRestore(): void {
    try {
      this.cursor = Math.min(this.cursor, this.matching().length);
      this.refreshPage();
    } catch {
      // its entity is gone (ManagedObjectNotFound): the page stays, as when the entity is destroyed
    }
  }

  DestroyCollector(_args: Args, ctx: CallContext): void {
    this.dispose();
    this.sim.inventory.remove(this);
    ctx.session?.objects.delete(this);
  }

  override dispose(): void {
    this.unlisten();
  }
}
