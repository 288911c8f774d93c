// ContainerView: the objects of some types below a container, kept current
// as the inventory changes. `view` is derived, recomputed lazily after a
// change and announced through the store so filters on it update.
import { VimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import type { ChangeEvent } from "../inventory/store.ts";

// The properties through which vSphere's inventory contains things.
const CONTAINMENT: Record<string, string[]> = {
  Folder: ["childEntity"],
  Datacenter: ["vmFolder", "hostFolder", "datastoreFolder", "networkFolder"],
  ComputeResource: ["host", "resourcePool"],
  ResourcePool: ["resourcePool", "vm"],
  HostSystem: ["vm"],
};
const CONTAINMENT_PROPS = new Set(Object.values(CONTAINMENT).flat());

export function containedBy(obj: ManagedObject): ManagedObjectReference[] {
  for (const [type, props] of Object.entries(CONTAINMENT)) {
    if (!obj.isA(type)) continue;
    const out: ManagedObjectReference[] = [];
    for (const p of props) {
      const v = obj.get(p);
      if (Array.isArray(v)) out.push(...(v as ManagedObjectReference[]));
      else if (v) out.push(v as ManagedObjectReference);
    }
    return out;
  }
  return [];
}

export class ManagedObjectView extends ManagedObject {
  DestroyView(_args: Args, ctx: CallContext): void {
    this.dispose();
    this.sim.inventory.remove(this);
    ctx.session?.objects.delete(this);
    const vm = this.sim.inventory.get((this.sim.content.viewManager as ManagedObjectReference).value);
    if (vm) vm.update({ viewList: ((vm.props.viewList as ManagedObjectReference[]) ?? []).filter((r) => r.value !== this.ref.value) });
  }
}

export class ContainerView extends ManagedObjectView {
  private cached?: ManagedObjectReference[];
  private readonly unlisten: () => void;

  constructor(sim: SimContext, value: string, container: ManagedObjectReference, types: string[], recursive: boolean) {
    super(sim, "ContainerView", value);
    for (const t of types) if (!sim.schema.isManagedType(t)) throw new VimFault("InvalidArgument", { invalidProperty: "type" });
    Object.assign(this.props, { container, type: types, recursive });
    this.unlisten = sim.inventory.listen((ev) => this.observe(ev));
  }

  override get(name: string): unknown {
    if (name === "view") return (this.cached ??= this.compute());
    return super.get(name);
  }

  private observe(ev: ChangeEvent): void {
    if (ev.obj === this || this.cached === undefined) return;
    if (ev.kind === "modify" && !ev.props.some((p) => CONTAINMENT_PROPS.has(p))) return;
    this.cached = undefined;
    this.sim.inventory.touch(this, ["view"]);
  }

  private compute(): ManagedObjectReference[] {
    const root = this.sim.inventory.get((this.props.container as ManagedObjectReference).value);
    if (!root) return [];
    const types = this.props.type as string[];
    const recursive = this.props.recursive as boolean;
    const seen = new Set<string>([root.ref.value]);
    const out: ManagedObjectReference[] = [];
    const visit = (o: ManagedObject) => {
      for (const r of containedBy(o)) {
        if (seen.has(r.value)) continue;
        seen.add(r.value);
        const child = this.sim.inventory.get(r.value);
        if (!child) continue;
        if (!types.length || types.some((t) => child.isA(t))) out.push(child.ref);
        if (recursive) visit(child);
      }
    };
    visit(root);
    return out;
  }

  override dispose(): void {
    this.unlisten();
  }
}

export class ListView extends ManagedObjectView {
  constructor(sim: SimContext, value: string, objs: ManagedObjectReference[]) {
    super(sim, "ListView", value);
    this.props.view = [];
    this.set(objs);
  }

  private set(objs: ManagedObjectReference[]): ManagedObjectReference[] {
    const unresolved: ManagedObjectReference[] = [];
    const view: ManagedObjectReference[] = [];
    const seen = new Set<string>();
    for (const r of objs) {
      const o = this.sim.inventory.get(r.value);
      if (!o) unresolved.push(r);
      else if (!seen.has(r.value)) { seen.add(r.value); view.push(o.ref); }
    }
    this.update({ view });
    return unresolved;
  }

  ModifyListView(args: Args): ManagedObjectReference[] {
    const remove = new Set(((args.remove ?? []) as ManagedObjectReference[]).map((r) => r.value));
    const kept = (this.props.view as ManagedObjectReference[]).filter((r) => !remove.has(r.value));
    return this.set([...kept, ...((args.add ?? []) as ManagedObjectReference[])]);
  }

  ResetListView(args: Args): ManagedObjectReference[] {
    return this.set((args.obj ?? []) as ManagedObjectReference[]);
  }

  ResetListViewFromView(args: Args): void {
    const v = this.sim.inventory.get(args.view.value);
    if (!v) throw new VimFault("ManagedObjectNotFound", { obj: args.view });
    this.set((v.get("view") as ManagedObjectReference[]) ?? []);
  }
}
