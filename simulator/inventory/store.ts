// The object store and its one door for change: update(). Every property
// change is applied copy-on-write (values already handed out are never
// mutated) and announced to listeners, which is all the PropertyCollector,
// events and file writers ever observe.
import { moref, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { ManagedObject } from "../objects/managed-object.ts";

export interface ChangeEvent {
  kind: "enter" | "modify" | "leave";
  obj: ManagedObject;
  /** top-level property names that changed (modify only) */
  props: string[];
}

export type ChangeListener = (ev: ChangeEvent) => void;

export class Inventory {
  private readonly objects = new Map<string, ManagedObject>();
  private readonly listeners = new Set<ChangeListener>();
  // objects by their `name` property, and the name each is filed under
  private readonly byName = new Map<string, Set<ManagedObject>>();
  private readonly filedName = new Map<ManagedObject, string>();
  private readonly noObjects: ReadonlySet<ManagedObject> = new Set();
  /** bumps on every change; cheap staleness checks compare it */
  version = 0;

  get(value: string): ManagedObject | undefined {
    return this.objects.get(value);
  }

  /** Resolve a moref; the type must match the object's type or one it derives from. */
  resolve(ref: ManagedObjectReference): ManagedObject | undefined {
    const obj = this.objects.get(ref.value);
    if (!obj) return undefined;
    return obj.ref.type === ref.type || obj.isA(ref.type) ? obj : undefined;
  }

  has(value: string): boolean {
    return this.objects.has(value);
  }

  all(): IterableIterator<ManagedObject> {
    return this.objects.values();
  }

  ofType(type: string): ManagedObject[] {
    const out: ManagedObject[] = [];
    for (const o of this.objects.values()) if (o.isA(type)) out.push(o);
    return out;
  }

  /**
   * The objects whose `name` property is `name`, kept as names change. A
   * DuplicateName check looks here instead of reading every sibling's name:
   * a folder of thousands of VMs made each CreateVM_Task walk all of them.
   */
  named(name: string): ReadonlySet<ManagedObject> {
    return this.byName.get(name) ?? this.noObjects;
  }

  private fileName(obj: ManagedObject, present: boolean): void {
    const old = this.filedName.get(obj);
    const name = present && typeof obj.props.name === "string" ? obj.props.name : undefined;
    if (old === name) return;
    if (old !== undefined) {
      const set = this.byName.get(old)!;
      set.delete(obj);
      if (!set.size) this.byName.delete(old);
      this.filedName.delete(obj);
    }
    if (name !== undefined) {
      let set = this.byName.get(name);
      if (!set) this.byName.set(name, (set = new Set()));
      set.add(obj);
      this.filedName.set(obj, name);
    }
  }

  add<T extends ManagedObject>(obj: T): T {
    if (this.objects.has(obj.ref.value)) throw new Error(`duplicate moref ${obj.ref.type}:${obj.ref.value}`);
    this.objects.set(obj.ref.value, obj);
    this.fileName(obj, true);
    this.version++;
    this.emit({ kind: "enter", obj, props: [] });
    return obj;
  }

  remove(obj: ManagedObject): void {
    if (!this.objects.delete(obj.ref.value)) return;
    this.fileName(obj, false);
    this.version++;
    this.emit({ kind: "leave", obj, props: [] });
  }

  /** Put `first` ahead of the rest, in that order: a simulator restore brings back its snapshot's order, which ofType() and all() follow. */
  reorder(first: Iterable<ManagedObject>): void {
    const rest = new Map(this.objects);
    this.objects.clear();
    for (const o of first) {
      if (rest.get(o.ref.value) !== o) continue;
      this.objects.set(o.ref.value, o);
      rest.delete(o.ref.value);
    }
    for (const [k, o] of rest) this.objects.set(k, o);
  }

  /**
   * Apply property changes given as dotted paths (`runtime.powerState`) or
   * whole top-level properties. `undefined` unsets. Intermediate data objects
   * along a path are copied, never mutated.
   */
  update(obj: ManagedObject, changes: Record<string, unknown>): void {
    const touched = new Set<string>();
    for (const [path, value] of Object.entries(changes)) {
      const parts = path.split(".");
      touched.add(parts[0]);
      obj.props[parts[0]] = setIn(obj.props[parts[0]], parts.slice(1), value);
      if (obj.props[parts[0]] === undefined) delete obj.props[parts[0]];
    }
    if (!touched.size) return;
    if (touched.has("name")) this.fileName(obj, this.objects.get(obj.ref.value) === obj);
    this.version++;
    this.emit({ kind: "modify", obj, props: [...touched] });
  }

  /** Announce that computed properties changed (views, whose value is derived). */
  touch(obj: ManagedObject, props: string[]): void {
    // a restore sets properties directly, then touches what changed
    if (props.includes("name")) this.fileName(obj, this.objects.get(obj.ref.value) === obj);
    this.version++;
    this.emit({ kind: "modify", obj, props });
  }

  listen(fn: ChangeListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(ev: ChangeEvent): void {
    for (const l of [...this.listeners]) l(ev);
  }
}

function setIn(container: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const base = (container && typeof container === "object" ? container : {}) as Record<string, unknown>;
  const copy: Record<string, unknown> = { ...base };
  const next = setIn(base[path[0]], path.slice(1), value);
  if (next === undefined) delete copy[path[0]];
  else copy[path[0]] = next;
  return copy;
}

export { moref };
