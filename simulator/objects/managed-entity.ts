// ManagedEntity: what every inventory object shares: name, parent, status,
// permissions and the entity methods Rename_Task, Destroy_Task, Reload.
import { VimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import type { Datacenter } from "./datacenter.ts";

export class ManagedEntity extends ManagedObject {
  constructor(sim: SimContext, type: string, value: string, name: string, parent?: ManagedObjectReference) {
    super(sim, type, value);
    Object.assign(this.props, {
      name,
      parent,
      overallStatus: "green",
      configStatus: "green",
      alarmActionsEnabled: true,
      effectiveRole: [-1],
      disabledMethod: [],
      recentTask: [],
      declaredAlarmState: [],
      triggeredAlarmState: [],
      permission: [],
      value: [],
      availableField: [],
      customValue: [],
      tag: [],
    });
  }

  get name(): string {
    return this.props.name as string;
  }

  parentObject(): ManagedObject | undefined {
    const p = this.props.parent as ManagedObjectReference | undefined;
    return p ? this.sim.inventory.get(p.value) : undefined;
  }

  /** Children as inventory containment sees them (folders, pools, clusters override). */
  children(): ManagedObjectReference[] {
    return [];
  }

  /** Inventory path as govc and SearchIndex.FindByInventoryPath see it: /dc/vm/folder/name */
  inventoryPath(): string {
    const parts: string[] = [];
    for (let o: ManagedObject | undefined = this; o && o instanceof ManagedEntity; o = o.parentObject()) {
      if (!o.props.parent) break; // the root folder has no name in paths
      parts.unshift(o.name);
    }
    return "/" + parts.join("/");
  }

  Reload(_args: Args, _ctx: CallContext): void {}

  Rename_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const newName = String(args.newName);
    return this.sim.tasks.run(this, "Rename_Task", `${this.type}.rename`, ctx.session?.userName ?? "", () => {
      if (!newName || newName.length > 80) throw new VimFault("InvalidName", { name: newName, entity: this.ref });
      const parent = this.parentObject();
      if (parent instanceof ManagedEntity) {
        for (const sib of this.sim.inventory.named(newName)) {
          if (sib !== this && parent.children().some((r) => r.value === sib.ref.value)) throw new VimFault("DuplicateName", { name: newName, object: sib.ref });
        }
      }
      this.rename(newName, ctx.session?.userName ?? "");
    });
  }

  /** Rename_Task's change, once the name has passed the common checks; types that repeat their name elsewhere override it. */
  protected rename(newName: string, _userName: string): void {
    this.update({ name: newName });
  }

  Destroy_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "Destroy_Task", `${this.type}.destroy`, ctx.session?.userName ?? "", () => this.destroy());
  }

  /** Remove from the inventory; subclasses check preconditions and clean up first. */
  destroy(): void {
    const parent = this.parentObject();
    if (parent instanceof ManagedEntity) parent.detachChild(this);
    // a linked child of a vApp (UpdateLinkedChildren) leaves its childLink too
    const linker = this.sim.vAppLinks.get(this.ref.value);
    if (linker) (this.sim.inventory.get(linker) as (ManagedObject & { dropLink?(r: ManagedObjectReference): void }) | undefined)?.dropLink?.(this.ref);
    this.sim.inventory.remove(this);
    this.sim.tasks.entityGone(this);
  }

  /** Leave the current parent without leaving the inventory (moves). */
  destroyLinkOnly(): void {
    const parent = this.parentObject();
    if (parent instanceof ManagedEntity) parent.detachChild(this);
  }

  /** Called on a parent when a child leaves it. */
  detachChild(_child: ManagedEntity): void {}
}

/** The datacenter an entity lies in (itself, for a datacenter), found by walking up its parents. */
export function datacenterOf(e: ManagedEntity | undefined): Datacenter | undefined {
  for (let o: unknown = e; o instanceof ManagedEntity; o = o.parentObject()) if (o.type === "Datacenter") return o as Datacenter;
  return undefined;
}
