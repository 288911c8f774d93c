// InventoryView: the tree a UI's navigation panel shows. The view starts as
// the root folder alone; OpenInventoryViewFolder adds an entity's children
// (a datacenter child brings its vm and host folders along, a compute
// resource its root pool and hosts, as the API reference says), opening the
// entity's ancestors first when it is not in the view yet, and
// CloseInventoryViewFolder takes them out again. Both answer the entities
// they could not resolve, as the reference says; the view itself follows
// the inventory while folders are open, so a PropertyCollector filter on it
// sees entities come and go.
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { Args } from "./managed-object.ts";
import type { ManagedObject } from "./managed-object.ts";
import { ManagedEntity } from "./managed-entity.ts";
import type { SimContext } from "../sim-context.ts";
import type { ChangeEvent } from "../inventory/store.ts";
import { ManagedObjectView, containedBy } from "./container-view.ts";

export class InventoryView extends ManagedObjectView {
  /** moref values of the open entities, in the order they were opened */
  private opened: string[] = [];
  private readonly unlisten: () => void;

  constructor(sim: SimContext, value: string) {
    super(sim, "InventoryView", value);
    this.props.view = [this.root()];
    this.unlisten = sim.inventory.listen((ev) => this.observe(ev));
  }

  private root(): ManagedObjectReference {
    return this.sim.content.rootFolder as ManagedObjectReference;
  }

  private entity(ref: ManagedObjectReference | undefined): ManagedEntity | undefined {
    const o = ref ? this.sim.inventory.get(ref.value) : undefined;
    return o instanceof ManagedEntity ? o : undefined;
  }

  OpenInventoryViewFolder(args: Args): ManagedObjectReference[] {
    const failed: ManagedObjectReference[] = [];
    const opened = [...this.opened];
    for (const ref of (args.entity ?? []) as ManagedObjectReference[]) {
      const e = this.entity(ref);
      if (!e) {
        failed.push(ref);
        continue;
      }
      // an entity outside the view opens the entities above it, as far as it takes to show it
      const above: string[] = [];
      for (let o: ManagedObject | undefined = e.parentObject(); o instanceof ManagedEntity; o = o.parentObject()) above.unshift(o.ref.value);
      const path = [...above, e.ref.value];
      for (let i = 0; i + 1 < path.length; i++) {
        if (this.compute(opened).some((r) => r.value === path[i + 1])) continue;
        if (!opened.includes(path[i])) opened.push(path[i]);
      }
      if (!opened.includes(e.ref.value)) opened.push(e.ref.value);
    }
    this.opened = opened;
    this.refresh();
    return failed;
  }

  /**
   * Closing an entity takes its children out of the view and closes what
   * was open below it (a choice: the reference says only that the
   * containers stay open "until their parent is closed").
   */
  CloseInventoryViewFolder(args: Args): ManagedObjectReference[] {
    const failed: ManagedObjectReference[] = [];
    let opened = [...this.opened];
    for (const ref of (args.entity ?? []) as ManagedObjectReference[]) {
      const e = this.entity(ref);
      if (!e) {
        failed.push(ref);
        continue;
      }
      opened = opened.filter((v) => !this.isAtOrBelow(v, e.ref.value));
    }
    this.opened = opened;
    this.refresh();
    return failed;
  }

  private isAtOrBelow(value: string, ancestor: string): boolean {
    for (let o: ManagedObject | undefined = this.sim.inventory.get(value); o instanceof ManagedEntity; o = o.parentObject()) {
      if (o.ref.value === ancestor) return true;
    }
    return false;
  }

  /** The root folder, then the children of every open entity that is itself in the view (the implicit ones count). */
  private compute(openList = this.opened): ManagedObjectReference[] {
    const root = this.root();
    const out: ManagedObjectReference[] = [root];
    const seen = new Set([root.value]);
    const add = (r: ManagedObjectReference | undefined) => {
      if (!r || seen.has(r.value) || !this.sim.inventory.has(r.value)) return;
      seen.add(r.value);
      out.push(r);
    };
    const open = new Set(openList);
    for (let i = 0; i < out.length; i++) {
      const o = this.sim.inventory.get(out[i].value);
      if (!o || !open.has(o.ref.value)) continue;
      for (const r of containedBy(o)) {
        add(r);
        const child = this.sim.inventory.get(r.value);
        if (child?.isA("Datacenter")) for (const p of ["vmFolder", "hostFolder"]) add(child.get(p) as ManagedObjectReference);
        if (child?.isA("ComputeResource")) {
          add(child.get("resourcePool") as ManagedObjectReference);
          for (const h of (child.get("host") as ManagedObjectReference[] | undefined) ?? []) add(h);
        }
      }
    }
    return out;
  }

  private refresh(): void {
    const view = this.compute();
    const now = this.props.view as ManagedObjectReference[];
    if (view.length === now.length && view.every((r, i) => r.value === now[i].value)) return;
    this.update({ view });
  }

  private observe(ev: ChangeEvent): void {
    if (ev.obj === this || !this.opened.length || !(ev.obj instanceof ManagedEntity)) return;
    if (ev.kind === "modify" && !ev.props.some((p) => CONTAINMENT.has(p))) return;
    if (ev.kind === "leave") this.opened = this.opened.filter((v) => v !== ev.obj.ref.value);
    this.refresh();
  }

  override dispose(): void {
    this.unlisten();
  }
}

const CONTAINMENT = new Set(["childEntity", "vmFolder", "hostFolder", "datastoreFolder", "networkFolder", "host", "resourcePool", "vm", "parent"]);
