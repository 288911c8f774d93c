// PropertyCollector: retrieval (with paging), filters, and updates pushed
// from Inventory.update() changes to waiting WaitForUpdates(Ex) calls.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import type { ChangeEvent } from "../inventory/store.ts";
import type { Session } from "../dispatch/session.ts";
import { PropertyFilter } from "./property-filter.ts";
import { collect, dynamicProperty, objectContent, reach } from "../collector/retrieve.ts";
import { readPath, sameValue, type PathValue } from "../collector/property-path.ts";

type Spec = Record<string, any>;

export class PropertyCollector extends ManagedObject {
  private filters: PropertyFilter[] = [];
  private version = 0;
  private pages = new Map<string, { rest: DataObject[]; max: number }>();
  private wakers = new Set<() => void>();
  private canceled = false;
  private unlisten?: () => void;

  constructor(sim: SimContext, value: string) {
    super(sim, "PropertyCollector", value);
    this.props.filter = [];
  }

  /** Its filters are its sessions': they outlive a simulator restore and see the changes it makes. */
  override inSnapshots(): boolean {
    return false;
  }

  // ---- retrieval ----

  private retrieve(specSet: Spec[], session: Session | undefined): DataObject[] {
    const out: DataObject[] = [];
    const index = new Map<string, DataObject>();
    for (const spec of specSet) {
      this.validate(spec);
      const reached = reach(this.sim, spec, session);
      for (const o of reached.objects) {
        const c = collect(this.sim, o, spec.propSet ?? [], session);
        if (!c) continue;
        const content = objectContent(o, c);
        const prev = index.get(o.ref.value);
        if (prev) {
          const names = new Set((prev.propSet as DataObject[]).map((p) => p.name));
          for (const p of content.propSet as DataObject[]) if (!names.has(p.name)) (prev.propSet as DataObject[]).push(p);
          continue;
        }
        index.set(o.ref.value, content);
        out.push(content);
      }
    }
    return out;
  }

  /** Unknown types in a PropertySpec are a request error, as in hostd. */
  private validate(spec: Spec): void {
    for (const ps of spec.propSet ?? []) {
      if (!this.sim.schema.isManagedType(ps.type)) throw new VimFault("InvalidType", { argument: ps.type }, `Invalid type ${ps.type}`);
    }
    for (const os of spec.objectSet ?? []) {
      if (!os.obj) throw new VimFault("InvalidArgument", { invalidProperty: "objectSet.obj" });
    }
  }

  RetrieveProperties(args: Args, ctx: CallContext): DataObject[] {
    return this.retrieve(args.specSet, ctx.session);
  }

  RetrievePropertiesEx(args: Args, ctx: CallContext): DataObject | undefined {
    const all = this.retrieve(args.specSet, ctx.session);
    return this.page(all, args.options?.maxObjects);
  }

  private page(all: DataObject[], maxObjects: number | undefined): DataObject | undefined {
    if (!all.length) return undefined;
    const max = maxObjects && maxObjects > 0 ? maxObjects : all.length;
    const objects = all.slice(0, max);
    const rest = all.slice(max);
    let token: string | undefined;
    if (rest.length) {
      token = String(this.sim.ids.next(`token:${this.ref.value}`));
      this.pages.set(token, { rest, max });
    }
    return { _type: "RetrieveResult", token, objects };
  }

  ContinueRetrievePropertiesEx(args: Args): DataObject | undefined {
    const page = this.pages.get(args.token);
    if (!page) throw new VimFault("InvalidProperty", { name: "token" }, "token");
    this.pages.delete(args.token);
    return this.page(page.rest, page.max);
  }

  CancelRetrievePropertiesEx(args: Args): void {
    if (!this.pages.delete(args.token)) throw new VimFault("InvalidProperty", { name: "token" }, "token");
  }

  // ---- filters ----

  CreateFilter(args: Args, ctx: CallContext): ManagedObjectReference {
    const spec = args.spec as Spec;
    this.validate(spec);
    for (const ps of spec.propSet ?? []) {
      for (const path of ps.pathSet ?? []) {
        if (!readPath(this.sim.schema, ps.type, path, () => undefined)) throw new VimFault("InvalidProperty", { name: path });
      }
    }
    // the objects must exist now, or the filter could never report them
    for (const os of spec.objectSet ?? []) {
      const o = this.sim.inventory.get(os.obj.value);
      if (!o && !spec.reportMissingObjectsInResults) throw new VimFault("ManagedObjectNotFound", { obj: os.obj });
    }
    const session = ctx.session!;
    const value = `session[${session.key}]${this.sim.ids.nextUuid("filter")}`;
    const f = new PropertyFilter(this.sim, value, spec as DataObject, !!args.partialUpdates, (x) => this.removeFilter(x));
    f.sessionKey = session.key;
    this.sim.inventory.add(f);
    session.objects.add(f);
    this.filters.push(f);
    this.update({ filter: this.filters.map((x) => x.ref) });
    this.listen();
    this.wake();
    return f.ref;
  }

  private removeFilter(f: PropertyFilter): void {
    this.filters = this.filters.filter((x) => x !== f);
    this.sim.inventory.remove(f);
    this.sim.sessions.get(f.sessionKey ?? "")?.objects.delete(f);
    this.update({ filter: this.filters.map((x) => x.ref) });
    if (!this.filters.length) this.stopListening();
  }

  private listen(): void {
    if (this.unlisten) return;
    this.unlisten = this.sim.inventory.listen((ev) => this.observe(ev));
  }

  private stopListening(): void {
    this.unlisten?.();
    this.unlisten = undefined;
  }

  private observe(ev: ChangeEvent): void {
    if (ev.obj instanceof PropertyFilter) {
      if (ev.kind === "leave" && this.filters.includes(ev.obj)) this.removeFilter(ev.obj);
      return;
    }
    if (ev.kind === "leave" && ev.obj === this) {
      for (const f of [...this.filters]) this.removeFilter(f);
      this.stopListening();
      return;
    }
    let changed = false;
    const key = ev.obj.ref.value;
    for (const f of this.filters) {
      if (ev.kind !== "modify") {
        f.structural = true;
        changed = true;
        continue;
      }
      if (f.reported.has(key)) {
        f.dirty.add(key);
        changed = true;
      }
      if (f.visited.has(key) && ev.props.some((p) => f.followed.has(p))) {
        f.structural = true;
        changed = true;
      }
    }
    if (changed) this.wake();
  }

  private wake(): void {
    const ws = [...this.wakers];
    this.wakers.clear();
    for (const w of ws) w();
  }

  // ---- updates ----

  private computeUpdates(maxObjects: number): DataObject | undefined {
    const filterSet: DataObject[] = [];
    let count = 0;
    let truncated = false;
    for (const f of this.filters) {
      const objectSet: DataObject[] = [];
      const missingSet: DataObject[] = [];
      const session = this.sim.sessions.get(f.sessionKey ?? "");
      const propSet = f.spec.propSet ?? [];
      const room = () => {
        if (count < maxObjects) return true;
        truncated = true;
        return false;
      };
      if (f.structural) {
        f.structural = false;
        const r = reach(this.sim, f.spec, session, true);
        f.visited = r.visited;
        const now = new Set<string>();
        for (const o of r.objects) {
          if (!collectable(o, propSet)) continue;
          now.add(o.ref.value);
          if (f.reported.has(o.ref.value)) continue;
          if (!room()) { f.structural = true; break; }
          const c = collect(this.sim, o, propSet, session)!;
          const values = new Map<string, PathValue>();
          const changeSet: DataObject[] = [];
          for (const [name, pv] of c.values) {
            values.set(name, pv);
            if (pv.value !== undefined) changeSet.push(change(name, "assign", pv));
          }
          f.reported.set(o.ref.value, values);
          f.refs.set(o.ref.value, o.ref);
          f.dirty.delete(o.ref.value);
          objectSet.push({ _type: "ObjectUpdate", kind: "enter", obj: o.ref, changeSet, missingSet: c.missing.length ? c.missing : undefined });
          count++;
        }
        if (!f.structural) {
          for (const key of [...f.reported.keys()]) {
            if (now.has(key)) continue;
            if (!room()) { f.structural = true; break; }
            const ref = f.refs.get(key)!;
            f.reported.delete(key);
            f.refs.delete(key);
            f.dirty.delete(key);
            objectSet.push({ _type: "ObjectUpdate", kind: "leave", obj: ref, changeSet: [] });
            count++;
          }
        }
        for (const m of r.missingObjects) missingSet.push({ _type: "MissingObject", obj: m, fault: { _type: "LocalizedMethodFault", fault: { _type: "ManagedObjectNotFound", obj: m }, localizedMessage: "" } });
      }
      for (const key of [...f.dirty]) {
        const o = this.sim.inventory.get(key);
        const before = f.reported.get(key);
        if (!o || !before) { f.dirty.delete(key); continue; }
        const c = collect(this.sim, o, propSet, session);
        if (!c) { f.dirty.delete(key); continue; }
        const changeSet: DataObject[] = [];
        const after = new Map<string, PathValue>();
        for (const [name, pv] of c.values) {
          after.set(name, pv);
          const old = before.get(name);
          if (!old || !sameValue(old.value, pv.value)) changeSet.push(change(name, "assign", pv));
        }
        for (const name of before.keys()) if (!after.has(name)) changeSet.push({ _type: "PropertyChange", name, op: "assign" });
        if (!changeSet.length) { f.dirty.delete(key); continue; }
        if (!room()) break;
        f.dirty.delete(key);
        f.reported.set(key, after);
        objectSet.push({ _type: "ObjectUpdate", kind: "modify", obj: o.ref, changeSet });
        count++;
      }
      if (objectSet.length || missingSet.length) {
        filterSet.push({ _type: "PropertyFilterUpdate", filter: f.ref, objectSet, missingSet: missingSet.length ? missingSet : undefined });
      }
    }
    if (!filterSet.length) return undefined;
    this.version++;
    return { _type: "UpdateSet", version: String(this.version), filterSet, truncated: truncated || undefined };
  }

  private async waitForUpdates(version: string, maxWaitSeconds: number | undefined, maxObjects: number, ctx: CallContext): Promise<DataObject | undefined> {
    if (version === "") for (const f of this.filters) f.reset();
    else if (version !== String(this.version)) throw new VimFault("InvalidCollectorVersion", {});
    this.canceled = false;
    const deadline = maxWaitSeconds === undefined ? undefined : this.sim.clock.now().getTime() + maxWaitSeconds * 1000;
    let aborted = false;
    void ctx.aborted.then(() => {
      aborted = true;
      this.wake();
    });
    for (;;) {
      const set = this.computeUpdates(maxObjects);
      if (set) return set;
      if (aborted) return undefined;
      const left = deadline === undefined ? undefined : deadline - this.sim.clock.now().getTime();
      if (left !== undefined && left <= 0) return undefined;
      let timedOut = false;
      await new Promise<void>((resolve) => {
        let cancelTimer = () => {};
        const w = () => {
          cancelTimer();
          resolve();
        };
        this.wakers.add(w);
        if (left !== undefined) cancelTimer = this.sim.clock.setTimeout(() => { timedOut = true; this.wakers.delete(w); resolve(); }, left);
      });
      if (this.canceled) {
        this.canceled = false;
        throw new VimFault("RequestCanceled", {});
      }
      if (timedOut) return this.computeUpdates(maxObjects);
    }
  }

  async WaitForUpdatesEx(args: Args, ctx: CallContext): Promise<DataObject | undefined> {
    const o = args.options ?? {};
    // vpxd caps maxObjectUpdates at 100 by default; hostd honours what it is given
    const max = o.maxObjectUpdates && o.maxObjectUpdates > 0 ? o.maxObjectUpdates : Infinity;
    return this.waitForUpdates(args.version ?? "", o.maxWaitSeconds, max, ctx);
  }

  async WaitForUpdates(args: Args, ctx: CallContext): Promise<DataObject | undefined> {
    return this.waitForUpdates(args.version ?? "", undefined, Infinity, ctx);
  }

  CheckForUpdates(args: Args, ctx: CallContext): Promise<DataObject | undefined> {
    return this.waitForUpdates(args.version ?? "", 0, Infinity, ctx);
  }

  CancelWaitForUpdates(_args: Args): void {
    if (!this.wakers.size) return;
    this.canceled = true;
    this.wake();
  }

  // ---- collectors ----

  CreatePropertyCollector(_args: Args, ctx: CallContext): ManagedObjectReference {
    const session = ctx.session!;
    const pc = new PropertyCollector(this.sim, `session[${session.key}]${this.sim.ids.nextUuid("collector")}`);
    pc.sessionKey = session.key;
    this.sim.inventory.add(pc);
    session.objects.add(pc);
    return pc.ref;
  }

  DestroyPropertyCollector(_args: Args, ctx: CallContext): void {
    if (!this.sessionKey) throw new VimFault("NotSupported", {}, "The default collector cannot be destroyed.");
    for (const f of [...this.filters]) this.removeFilter(f);
    this.stopListening();
    this.sim.inventory.remove(this);
    ctx.session?.objects.delete(this);
  }

  /** session end: drop filters and stop listening */
  override dispose(): void {
    for (const f of [...this.filters]) this.removeFilter(f);
    this.stopListening();
    this.wake();
  }
}

function collectable(o: ManagedObject, propSet: Spec[]): boolean {
  return propSet.some((ps) => o.isA(ps.type));
}

function change(name: string, op: string, pv: PathValue): DataObject {
  const dp = dynamicProperty(name, pv);
  return { _type: "PropertyChange", name, op, val: dp.val };
}
