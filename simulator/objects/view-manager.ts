import { VimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { ContainerView, ListView, type ManagedObjectView } from "./container-view.ts";
import { InventoryView } from "./inventory-view.ts";

export class ViewManager extends ManagedObject {
  constructor(sim: SimContext, value: string) {
    super(sim, "ViewManager", value);
    this.props.viewList = [];
  }

  /** viewList lists sessions' views, which outlive a simulator restore. */
  override inSnapshots(): boolean {
    return false;
  }

  private register(view: ManagedObjectView, ctx: CallContext): ManagedObjectReference {
    const session = ctx.session!;
    view.sessionKey = session.key;
    this.sim.inventory.add(view);
    session.objects.add(view);
    this.update({ viewList: [...(this.props.viewList as ManagedObjectReference[]), view.ref] });
    return view.ref;
  }

  private newValue(ctx: CallContext): string {
    return `session[${ctx.session!.key}]${this.sim.ids.nextUuid("view")}`;
  }

  CreateContainerView(args: Args, ctx: CallContext): ManagedObjectReference {
    const container = this.sim.inventory.get(args.container.value);
    if (!container) throw new VimFault("ManagedObjectNotFound", { obj: args.container });
    const ok = ["Folder", "Datacenter", "ComputeResource", "ResourcePool", "HostSystem"].some((t) => container.isA(t));
    if (!ok) throw new VimFault("InvalidArgument", { invalidProperty: "container" });
    return this.register(new ContainerView(this.sim, this.newValue(ctx), container.ref, args.type ?? [], !!args.recursive), ctx);
  }

  CreateInventoryView(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.register(new InventoryView(this.sim, this.newValue(ctx)), ctx);
  }

  CreateListView(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.register(new ListView(this.sim, this.newValue(ctx), args.obj ?? []), ctx);
  }

  CreateListViewFromView(args: Args, ctx: CallContext): ManagedObjectReference {
    const v = this.sim.inventory.get(args.view.value);
    if (!v) throw new VimFault("ManagedObjectNotFound", { obj: args.view });
    return this.register(new ListView(this.sim, this.newValue(ctx), (v.get("view") as ManagedObjectReference[]) ?? []), ctx);
  }
}
