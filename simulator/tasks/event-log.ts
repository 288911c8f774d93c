// Events as vSphere records them: a growing chain with keys, served to
// EventManager.latestEvent, QueryEvents and history collectors.
import type { DataObject, ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { Clock } from "../clock.ts";

export interface EntityRefs {
  datacenter?: { name: string; ref: ManagedObjectReference };
  computeResource?: { name: string; ref: ManagedObjectReference };
  host?: { name: string; ref: ManagedObjectReference };
  vm?: { name: string; ref: ManagedObjectReference };
  ds?: { name: string; ref: ManagedObjectReference };
}

export class EventLog {
  readonly events: DataObject[] = [];
  private nextKey = 1;
  /** hostd and vpxd keep a bounded history; older events roll off */
  readonly capacity = 1000;
  private readonly listeners = new Set<(e: DataObject) => void>();

  constructor(private readonly clock: Clock) {}

  post(type: string, message: string, userName: string, refs: EntityRefs = {}, extra: Record<string, unknown> = {}): DataObject {
    const key = this.nextKey++;
    const ev: DataObject = {
      _type: type,
      key,
      chainId: (extra.chainId as number | undefined) ?? key,
      createdTime: this.clock.now(),
      userName,
      ...Object.fromEntries(
        Object.entries(refs).map(([k, v]) => [k, { _type: `${k === "ds" ? "Datastore" : k === "vm" ? "Vm" : k.charAt(0).toUpperCase() + k.slice(1)}EventArgument`, name: v!.name, [k === "ds" ? "datastore" : k]: v!.ref }]),
      ),
      fullFormattedMessage: message,
      ...extra,
    };
    this.events.push(ev);
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
    for (const l of this.listeners) l(ev);
    return ev;
  }

  /** Events are never changed once posted, so copying the list keeps the log. */
  save(): { events: DataObject[]; nextKey: number } {
    return { events: [...this.events], nextKey: this.nextKey };
  }

  /** Back to a saved log; listeners hear nothing (no event was posted). */
  load(s: { events: DataObject[]; nextKey: number }): void {
    this.events.splice(0, this.events.length, ...s.events);
    this.nextKey = s.nextKey;
  }

  latest(): DataObject | undefined {
    return this.events[this.events.length - 1];
  }

  listen(fn: (e: DataObject) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
