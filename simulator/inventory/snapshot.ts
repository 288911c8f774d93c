// A whole simulator's state at one moment, and the way back to it. Objects
// keep their own state (ManagedObject.saveState: properties, which are
// copy-on-write, plus what a subclass holds outside them, datastore files
// included); the simulator adds what lives beside the inventory (counters,
// the event log) as named parts.
//
// A restore puts the very same object instances back, so references held
// anywhere (a VM's snapshot tree, a client's moref) stay good, and then
// tells the inventory's listeners what changed, as any update would: the
// PropertyCollector, container views and history collectors of the
// sessions, which live on, simply see the changes.
import type { ManagedObject, SavedState } from "../objects/managed-object.ts";
import { Task } from "../objects/task.ts";
import type { Inventory } from "./store.ts";

/** Something beside the inventory that a snapshot keeps (counters, the event log). */
export interface SnapshotPart {
  save(): unknown;
  load(saved: unknown): void;
}

/** Opaque: take one with `snapshot()`, give it back to `restore()` of the same simulator, as often as you like. */
export class SimSnapshot {
  constructor(
    readonly owner: object,
    readonly objects: ReadonlyMap<ManagedObject, SavedState>,
    readonly parts: ReadonlyMap<string, unknown>,
  ) {}
}

export function takeSnapshot(owner: object, inventory: Inventory, parts: Record<string, SnapshotPart>): SimSnapshot {
  const objects = new Map<ManagedObject, SavedState>();
  for (const o of inventory.all()) if (o.inSnapshots()) objects.set(o, o.saveState());
  return new SimSnapshot(owner, objects, new Map(Object.entries(parts).map(([k, p]) => [k, p.save()])));
}

export function restoreSnapshot(owner: object, inventory: Inventory, snap: SimSnapshot, parts: Record<string, SnapshotPart>): void {
  if (!(snap instanceof SimSnapshot) || snap.owner !== owner) throw new Error("not a snapshot of this simulator");
  for (const [k, p] of Object.entries(parts)) p.load(snap.parts.get(k));

  // Objects that came after the snapshot go first: one of them may hold a
  // moref a saved object needs back (counters were rewound in between).
  const gone: ManagedObject[] = [];
  for (const o of inventory.all()) if (o.inSnapshots() && !snap.objects.has(o)) gone.push(o);

  const changed: [ManagedObject, string[]][] = [];
  const back: ManagedObject[] = [];
  for (const [o, state] of snap.objects) {
    if (inventory.get(o.ref.value) === o) {
      const names = differing(o.props, state.props);
      if (names.length) changed.push([o, names]);
    } else back.push(o);
    o.loadState(state);
  }

  for (const o of gone) {
    // a task still queued must not run its body against the restored state
    if (o instanceof Task) o.cancelRequested = true;
    inventory.remove(o);
  }
  for (const o of back) inventory.add(o);
  if (back.length) inventory.reorder(snap.objects.keys());
  for (const [o, names] of changed) inventory.touch(o, names);
  for (const o of [...inventory.all()]) if (!o.inSnapshots()) o.afterRestore();
}

/** Top-level names whose values differ; values are copy-on-write, so identity is enough. */
function differing(now: Record<string, unknown>, saved: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k in now) if (now[k] !== saved[k] || !(k in saved)) out.push(k);
  for (const k in saved) if (!(k in now)) out.push(k);
  return out;
}
