// ResourcePool: CPU and memory allocation with reservations checked against
// the parent's unreserved capacity, as hostd and DRS do.
//
// RegisterChildVM_Task registers a .vmx (Folder.RegisterVM_Task's parsing)
// into this pool: a vApp holds the VM itself, a pool's VM is listed in the
// datacenter's VM folder. UpdateChildResourceConfiguration sets the
// allocations of child pools and VMs, all checked before any is applied:
// a pool's as UpdateConfig checks them, the sum of the new reservations
// against what this pool can give. A VM's shares follow its size (per vCPU,
// per MB), as for ReconfigVM_Task. Not confirmed, so chosen here: an entity
// that is not a direct child is InvalidArgument (spec.entity);
// changeVersion is not compared; QueryResourceConfigOption's share range
// is 0..1000000 around the "normal" level's value, as the environment
// browser reports for VMs.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import type { Args, CallContext, ManagedObject } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import type { AllocationSpec } from "../inventory/scenario.ts";
import { registerVm } from "./vm-factory.ts";

// vSphere's share values for the named levels (per pool: CPU, memory).
const SHARES = { cpu: { low: 2000, normal: 4000, high: 8000 }, memory: { low: 81920, normal: 163840, high: 327680 } };
// a VM's: per virtual CPU, and per MB of memory
const VM_SHARES = { cpu: { low: 500, normal: 1000, high: 2000 }, memory: { low: 5, normal: 10, high: 20 } };

export function allocation(kind: "cpu" | "memory", a: AllocationSpec): DataObject {
  return {
    _type: "ResourceAllocationInfo",
    reservation: a.reservation,
    expandableReservation: a.expandableReservation,
    limit: a.limit,
    shares: { _type: "SharesInfo", shares: SHARES[kind][a.shares], level: a.shares },
    overheadLimit: undefined,
  };
}

type Alloc = { reservation?: number; expandableReservation?: boolean; limit?: number; shares?: { level?: string; shares?: number } };

/** A VM as a pool moves it (VirtualMachine: leave its lists, join new ones). */
type MovableVm = ManagedEntity & { leave(): void; attach(): void };

export class ResourcePool extends ManagedEntity {
  constructor(sim: SimContext, type: "ResourcePool" | "VirtualApp", value: string, name: string, parent: ManagedObjectReference, owner: ManagedObjectReference, config: { cpu: DataObject; memory: DataObject }) {
    super(sim, type, value, name, parent);
    Object.assign(this.props, {
      owner,
      resourcePool: [],
      vm: [],
      childConfiguration: [],
    });
    this.setConfig(config.cpu, config.memory);
  }

  override children(): ManagedObjectReference[] {
    return [...((this.props.resourcePool as ManagedObjectReference[]) ?? []), ...((this.props.vm as ManagedObjectReference[]) ?? [])];
  }

  private cpu(): Alloc {
    return (this.props.config as DataObject).cpuAllocation as Alloc;
  }
  private memory(): Alloc {
    return (this.props.config as DataObject).memoryAllocation as Alloc;
  }

  private setConfig(cpu: DataObject, memory: DataObject): void {
    const config = { _type: "ResourceConfigSpec", entity: this.ref, changeVersion: String(this.sim.ids.next(`cv:${this.ref.value}`)), lastModified: this.sim.clock.now(), cpuAllocation: cpu, memoryAllocation: memory };
    const usage = (a: Alloc, max: number) => ({
      _type: "ResourcePoolResourceUsage",
      reservationUsed: this.reservedByChildren(a === cpu ? "cpu" : "memory"),
      reservationUsedForVm: 0,
      unreservedForPool: Math.max(0, (a.reservation ?? 0) - this.reservedByChildren(a === cpu ? "cpu" : "memory")),
      unreservedForVm: Math.max(0, (a.reservation ?? 0) - this.reservedByChildren(a === cpu ? "cpu" : "memory")),
      overallUsage: 0,
      maxUsage: max,
    });
    const runtime = {
      _type: "ResourcePoolRuntimeInfo",
      cpu: usage(cpu as Alloc, (cpu as Alloc).limit ?? -1),
      memory: usage(memory as Alloc, (memory as Alloc).limit ?? -1),
      overallStatus: "green",
    };
    this.update({
      config,
      runtime,
      summary: {
        _type: this.type === "VirtualApp" ? "VirtualAppSummary" : "ResourcePoolSummary",
        name: this.props.name,
        config,
        runtime,
        quickStats: { _type: "ResourcePoolQuickStats", overallCpuUsage: 0, guestMemoryUsage: 0, hostMemoryUsage: 0 },
        configuredMemoryMB: 0,
      },
    });
  }

  private childPools(): ResourcePool[] {
    return ((this.props.resourcePool as ManagedObjectReference[]) ?? []).map((r) => this.sim.inventory.get(r.value)).filter((o): o is ResourcePool => o instanceof ResourcePool);
  }

  private reservedByChildren(kind: "cpu" | "memory"): number {
    return this.childPools().reduce((n, c) => n + ((kind === "cpu" ? c.cpu() : c.memory()).reservation ?? 0), 0);
  }

  /** What a child may still reserve: own unreserved plus, if expandable, the parent's. */
  available(kind: "cpu" | "memory"): number {
    const a = kind === "cpu" ? this.cpu() : this.memory();
    const own = Math.max(0, (a.reservation ?? 0) - this.reservedByChildren(kind));
    const parent = this.parentObject();
    if (a.expandableReservation && parent instanceof ResourcePool) return own + parent.available(kind);
    return own;
  }

  protected checkFits(kind: "cpu" | "memory", alloc: Alloc, current = 0): void {
    const need = (alloc.reservation ?? 0) - current;
    if (need <= 0) return;
    if (need > this.available(kind)) {
      throw new VimFault("InsufficientResourcesFault", {}, `Insufficient ${kind === "cpu" ? "CPU" : "memory"} resources: the parent pool cannot reserve ${alloc.reservation}.`);
    }
  }

  protected normalise(kind: "cpu" | "memory", a: Alloc | undefined, base?: Alloc): DataObject {
    const merged: Alloc = { ...(base ?? { reservation: 0, expandableReservation: true, limit: -1, shares: { level: "normal" } }), ...(a ?? {}) };
    const level = merged.shares?.level ?? "normal";
    if (merged.reservation !== undefined && merged.reservation < 0) throw new VimFault("InvalidArgument", { invalidProperty: `${kind}Allocation.reservation` });
    if (merged.limit !== undefined && merged.limit !== -1 && merged.limit < (merged.reservation ?? 0)) throw new VimFault("InvalidArgument", { invalidProperty: `${kind}Allocation.limit` });
    const shares = level === "custom" ? merged.shares?.shares ?? 0 : SHARES[kind][level as "low" | "normal" | "high"];
    return { _type: "ResourceAllocationInfo", reservation: merged.reservation, expandableReservation: merged.expandableReservation, limit: merged.limit, shares: { _type: "SharesInfo", shares, level } };
  }

  /** A child pool's name checked against `siblings` and its allocations against what this pool can give. */
  private newChild(name: string, spec: Record<string, any> | undefined, siblings: ManagedObjectReference[]): { cpu: DataObject; memory: DataObject } {
    if (!name || name.length > 80) throw new VimFault("InvalidName", { name, entity: this.ref });
    for (const r of siblings) {
      const c = this.sim.inventory.get(r.value);
      if (c && c.get("name") === name) throw new VimFault("DuplicateName", { name, object: c.ref });
    }
    const cpu = this.normalise("cpu", spec?.cpuAllocation);
    const memory = this.normalise("memory", spec?.memoryAllocation);
    this.checkFits("cpu", cpu as Alloc);
    this.checkFits("memory", memory as Alloc);
    return { cpu, memory };
  }

  CreateResourcePool(args: Args): ManagedObjectReference {
    if (this.type === "VirtualApp") throw new VimFault("NotSupported", {}, "Use CreateVApp for a vApp's children.");
    const name = String(args.name);
    const { cpu, memory } = this.newChild(name, args.spec, this.children());
    const rp = new ResourcePool(this.sim, "ResourcePool", this.sim.newRef(this.sim.isVCenter ? "resgroup-" : "pool"), name, this.ref, this.props.owner as ManagedObjectReference, { cpu, memory });
    this.sim.inventory.add(rp);
    this.update({ resourcePool: [...(this.props.resourcePool as ManagedObjectReference[]), rp.ref] });
    this.refresh();
    return rp.ref;
  }

  /** A root pool's allocations when the hosts of its compute resource change (a host joins a cluster). */
  setRootCapacity(cpu: DataObject, memory: DataObject): void {
    this.setConfig(cpu, memory);
  }

  /** Recompute runtime usage after children change. */
  refresh(): void {
    this.setConfig(this.cpu() as DataObject, this.memory() as DataObject);
  }

  UpdateConfig(args: Args): void {
    if (args.name !== undefined && args.name !== this.props.name) {
      const parent = this.parentObject();
      if (parent instanceof ManagedEntity) {
        for (const r of parent.children()) {
          const c = this.sim.inventory.get(r.value);
          if (c && c !== this && c.get("name") === args.name) throw new VimFault("DuplicateName", { name: args.name, object: c.ref });
        }
      }
      if (!this.props.parent || !(this.parentObject() instanceof ResourcePool)) throw new VimFault("NotSupported", {}, "The root resource pool cannot be renamed.");
    }
    const cpu = args.config ? this.normalise("cpu", args.config.cpuAllocation, this.cpu()) : (this.cpu() as DataObject);
    const memory = args.config ? this.normalise("memory", args.config.memoryAllocation, this.memory()) : (this.memory() as DataObject);
    const parent = this.parentObject();
    if (parent instanceof ResourcePool) {
      parent.checkFits("cpu", cpu as Alloc, this.cpu().reservation ?? 0);
      parent.checkFits("memory", memory as Alloc, this.memory().reservation ?? 0);
    }
    if (args.name !== undefined) this.update({ name: args.name });
    this.setConfig(cpu, memory);
    if (parent instanceof ResourcePool) parent.refresh();
  }

  /** VMs join a pool (or vApp) through their own attach(); nothing else to link here. */
  attachChild(_child: ManagedEntity): void {}

  override detachChild(child: ManagedEntity): void {
    this.update({
      resourcePool: (this.props.resourcePool as ManagedObjectReference[]).filter((r) => r.value !== child.ref.value),
      vm: (this.props.vm as ManagedObjectReference[]).filter((r) => r.value !== child.ref.value),
    });
    this.refresh();
  }

  override destroy(): void {
    const parent = this.parentObject();
    if (!(parent instanceof ResourcePool)) throw new VimFault("NotSupported", {}, "The root resource pool cannot be destroyed.");
    // hostd moves what a destroyed pool held up to its parent
    for (const c of this.childPools()) parent.adoptPool(c, this);
    for (const vm of this.vmsHere()) parent.adoptVm(vm, this);
    super.destroy();
  }

  CreateVApp(args: Args): ManagedObjectReference {
    // vApps are a vCenter feature; hostd does not have them
    if (!this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
    const name = String(args.name);
    // a vApp inside a vApp is that vApp's child (parentVApp) and listed in no folder: vmFolder must then be unset
    const nested = this.type === "VirtualApp";
    if (nested && args.vmFolder) throw new VimFault("InvalidArgument", { invalidProperty: "vmFolder" }, "A child vApp takes no VM folder.");
    const folder = nested ? undefined : this.vmFolderOf(args.vmFolder);
    const { cpu, memory } = this.newChild(name, args.resSpec, [...this.children(), ...(folder?.children() ?? [])]);
    const app = this.sim.newVirtualApp(this.sim.newRef("resgroup-v"), name, this.ref, this.props.owner as ManagedObjectReference, { cpu, memory }, folder?.ref, args.configSpec ?? {});
    if (nested) app.props.parentVApp = this.ref;
    this.update({ resourcePool: [...(this.props.resourcePool as ManagedObjectReference[]), app.ref] });
    folder?.update({ childEntity: [...folder.children(), app.ref] });
    this.refresh();
    return app.ref;
  }

  /** The VM folder a new vApp (or an imported VM) is listed in: the one given, or the datacenter's. */
  private vmFolderOf(ref: ManagedObjectReference | undefined): ManagedEntity {
    if (ref) {
      const f = this.sim.inventory.get(ref.value);
      if (!(f instanceof ManagedEntity) || f.type !== "Folder") throw new VimFault("ManagedObjectNotFound", { obj: ref });
      return f;
    }
    for (let o: ManagedEntity | undefined = this; o; o = o.parentObject() as ManagedEntity | undefined) {
      if (o.type === "Datacenter") return this.sim.inventory.get((o.props.vmFolder as ManagedObjectReference).value) as ManagedEntity;
    }
    throw new VimFault("InvalidArgument", { invalidProperty: "vmFolder" });
  }

  CreateChildVM_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "CreateChildVM_Task", "ResourcePool.createChildVm", ctx.session?.userName ?? "", () => {
      if (this.type !== "VirtualApp") throw new VimFault("NotSupported", {}, "Only a vApp creates child VMs.");
      return this.sim.createVmIn(this, args.config, args.host, ctx.session?.userName ?? "");
    }, { resultType: { type: "ManagedObjectReference" } });
  }

  ImportVApp(args: Args, ctx: CallContext): ManagedObjectReference {
    // a vApp's VMs are its children; a pool's go in the folder given, or the datacenter's
    const folder = this.type === "VirtualApp" ? this : this.vmFolderOf(args.folder);
    return this.sim.importVApp(this, args.spec, folder, args.host, ctx.session?.userName ?? "");
  }

  /**
   * Pools, vApps and VMs of the same compute resource move under this pool,
   * all checked before any moves: not the root pool, not this pool or one
   * above it (InvalidArgument), no child pool of the same name
   * (DuplicateName), reservations this pool can give
   * (InsufficientResourcesFault). ResourcePoolMovedEvent and
   * VmResourcePoolMovedEvent follow each move.
   */
  MoveIntoResourcePool(args: Args, ctx: CallContext): void {
    const owner = (this.props.owner as ManagedObjectReference).value;
    const items = ((args.list as ManagedObjectReference[] | undefined) ?? []).map((r) => {
      const o = this.sim.inventory.get(r.value);
      if (!(o instanceof ManagedEntity) || !(o instanceof ResourcePool || o.type === "VirtualMachine")) throw new VimFault("ManagedObjectNotFound", { obj: r });
      const from = o instanceof ResourcePool ? o.parentObject() : this.sim.inventory.get((o.props.resourcePool as ManagedObjectReference | undefined)?.value ?? "");
      const ownerOf = o instanceof ResourcePool ? o.props.owner : from?.props.owner;
      if ((ownerOf as ManagedObjectReference | undefined)?.value !== owner) throw new VimFault("InvalidArgument", { invalidProperty: "list" }, `${o.name} is not in this pool's compute resource.`);
      if (o instanceof ResourcePool) {
        if (!(from instanceof ResourcePool)) throw new VimFault("InvalidArgument", { invalidProperty: "list" }, "The root resource pool cannot be moved.");
        for (let p: ManagedObject | undefined = this; p instanceof ResourcePool; p = p.parentObject()) {
          if (p === o) throw new VimFault("InvalidArgument", { invalidProperty: "list" }, `${o.name} cannot move into itself or a pool below it.`);
        }
        if (from !== this) {
          const clash = this.childPools().find((c) => c.name === o.name);
          if (clash) throw new VimFault("DuplicateName", { name: o.name, object: clash.ref });
          this.checkFits("cpu", o.cpu());
          this.checkFits("memory", o.memory());
        }
      }
      return { o, from: from as ResourcePool | undefined };
    });
    const user = ctx.session?.userName ?? "";
    for (const { o, from } of items) {
      if (!from || from === this) continue;
      if (o instanceof ResourcePool) {
        this.adoptPool(o, from);
        this.postMoved("ResourcePoolMovedEvent", `Moved resource pool ${o.name} from ${from.name} to ${this.name}`, user, { resourcePool: o }, from);
      } else {
        this.adoptVm(o as MovableVm, from);
        this.postMoved("VmResourcePoolMovedEvent", `Moved ${o.name} from resource pool ${from.name} to ${this.name}`, user, { vm: o }, from);
      }
    }
    this.refresh();
  }

  /** A child pool (or vApp) of `from` now lives under this pool. */
  private adoptPool(o: ResourcePool, from: ResourcePool): void {
    from.detachChild(o);
    o.update({ parent: this.ref });
    this.update({ resourcePool: [...(this.props.resourcePool as ManagedObjectReference[]), o.ref] });
  }

  /** A VM of `from` now in this pool: out of the old lists, into the new ones. */
  private adoptVm(vm: MovableVm, from: ResourcePool): void {
    vm.leave();
    vm.update({ resourcePool: this.ref });
    vm.attach();
    from.refresh();
  }

  private vmsHere(): MovableVm[] {
    return ((this.props.vm as ManagedObjectReference[]) ?? []).map((r) => this.sim.inventory.get(r.value)).filter((o): o is MovableVm => !!o);
  }

  private postMoved(type: string, message: string, userName: string, what: { resourcePool?: ManagedEntity; vm?: ManagedEntity }, from: ResourcePool): void {
    const cr = this.sim.inventory.get((this.props.owner as ManagedObjectReference).value) as ManagedEntity;
    const dc = datacenterOf(cr);
    const arg = (p: ManagedEntity) => ({ _type: "ResourcePoolEventArgument", name: p.name, resourcePool: p.ref });
    this.sim.events.post(type, `${message} on ${cr.name}${dc ? ` in ${dc.name}` : ""}`, userName,
      { computeResource: { name: cr.name, ref: cr.ref }, ...(dc ? { datacenter: { name: dc.name, ref: dc.ref } } : {}), ...(what.vm ? { vm: { name: what.vm.name, ref: what.vm.ref } } : {}) },
      { oldParent: arg(from), newParent: arg(this), ...(what.resourcePool ? { resourcePool: arg(what.resourcePool) } : {}) });
  }

  RegisterChildVM_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "RegisterChildVM_Task", "ResourcePool.registerVm", user, () => {
      const folder = (this.type === "VirtualApp" ? this : this.vmFolderOf(undefined)) as ManagedEntity & { attachChild(c: ManagedEntity): void };
      const vm = registerVm(this.sim, folder, String(args.path ?? ""), this.ref, args.host, { name: args.name });
      const host = this.sim.inventory.get((vm.props.runtime as { host: ManagedObjectReference }).host.value);
      vm.event("VmRegisteredEvent", `Registered ${vm.name} on ${host?.get("name") ?? ""}`, user);
      return vm.ref;
    }, { resultType: { type: "ManagedObjectReference" } });
  }

  UpdateChildResourceConfiguration(args: Args): void {
    type Vm = ManagedEntity & { config: { template?: boolean; hardware: { numCPU: number; memoryMB: number }; cpuAllocation?: Alloc; memoryAllocation?: Alloc }; reconfigure(spec: Record<string, unknown>): void };
    const specs = (args.spec as (DataObject & { entity?: ManagedObjectReference; cpuAllocation?: Alloc; memoryAllocation?: Alloc })[] | undefined) ?? [];
    const pools: { pool: ResourcePool; cpu: DataObject; memory: DataObject }[] = [];
    const vms: { vm: Vm; cpu: DataObject; memory: DataObject }[] = [];
    specs.forEach((spec, i) => {
      const ref = spec.entity;
      const o = ref ? this.sim.inventory.get(ref.value) : undefined;
      if (!o || !ref) throw new VimFault("ManagedObjectNotFound", { obj: ref }, `The object has already been deleted or has not been completely created.`);
      if (!this.children().some((c) => c.value === ref.value)) throw new VimFault("InvalidArgument", { invalidProperty: `spec[${i}].entity` }, `${String(o.get("name"))} is not a child of ${this.name}.`);
      if (o instanceof ResourcePool) {
        pools.push({ pool: o, cpu: o.normalise("cpu", spec.cpuAllocation, o.cpu()), memory: o.normalise("memory", spec.memoryAllocation, o.memory()) });
      } else {
        const vm = o as Vm;
        if (vm.config.template) throw new VimFault("InvalidState", {}, "The operation is not allowed on a template.");
        vms.push({ vm, cpu: vmAllocation("cpu", spec.cpuAllocation, vm.config.cpuAllocation, vm.config.hardware.numCPU), memory: vmAllocation("memory", spec.memoryAllocation, vm.config.memoryAllocation, vm.config.hardware.memoryMB) });
      }
    });
    for (const kind of ["cpu", "memory"] as const) {
      const more = pools.reduce((n, p) => n + ((p[kind] as Alloc).reservation ?? 0) - ((kind === "cpu" ? p.pool.cpu() : p.pool.memory()).reservation ?? 0), 0);
      if (more > 0) this.checkFits(kind, { reservation: more });
    }
    for (const p of pools) p.pool.setConfig(p.cpu, p.memory);
    for (const v of vms) v.vm.reconfigure({ cpuAllocation: v.cpu, memoryAllocation: v.memory });
    this.refresh();
  }

  QueryResourceConfigOption(_args: Args): DataObject {
    const option = (kind: "cpu" | "memory") => ({
      _type: "ResourceAllocationOption",
      sharesOption: { _type: "SharesOption", sharesOption: { _type: "IntOption", valueIsReadonly: false, min: 0, max: 1000000, defaultValue: SHARES[kind].normal }, defaultLevel: "normal" },
    });
    return { _type: "ResourceConfigOption", cpuAllocationOption: option("cpu"), memoryAllocationOption: option("memory") };
  }

  RefreshRuntime(_args: Args): void {
    this.refresh();
  }

  DestroyChildren(_args: Args): void {
    for (const c of this.childPools()) c.destroy();
  }

  override Destroy_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "Destroy_Task", "ResourcePool.destroy", ctx.session?.userName ?? "", () => this.destroy());
  }
}

/** A VM's allocation with `given` laid over its current one, checked as a pool's is. */
function vmAllocation(kind: "cpu" | "memory", given: Alloc | undefined, current: Alloc | undefined, units: number): DataObject {
  const merged: Alloc = { reservation: 0, limit: -1, ...(current ?? {}), ...(given ?? {}), shares: { level: "normal", ...(current?.shares ?? {}), ...(given?.shares ?? {}) } };
  if ((merged.reservation ?? 0) < 0) throw new VimFault("InvalidArgument", { invalidProperty: `${kind}Allocation.reservation` });
  if (merged.limit !== undefined && merged.limit !== -1 && merged.limit < (merged.reservation ?? 0)) throw new VimFault("InvalidArgument", { invalidProperty: `${kind}Allocation.limit` });
  const level = merged.shares!.level ?? "normal";
  if (!["low", "normal", "high", "custom"].includes(level)) throw new VimFault("InvalidArgument", { invalidProperty: `${kind}Allocation.shares.level` });
  const shares = level === "custom" ? merged.shares!.shares ?? 0 : VM_SHARES[kind][level as "low" | "normal" | "high"] * units;
  return { _type: "ResourceAllocationInfo", reservation: merged.reservation, expandableReservation: merged.expandableReservation ?? false, limit: merged.limit, shares: { _type: "SharesInfo", shares, level } };
}

/**
 * A root pool's fixed allocations for hosts of this hardware: what they can
 * give, minus hostd's own share.
 */
export function rootAllocations(hosts: { cpuMhz: number; numCpuCores: number; memorySize: number }[]): [DataObject, DataObject] {
  const cpu = hosts.reduce((n, h) => n + h.numCpuCores * h.cpuMhz, 0);
  const memMB = Math.floor(hosts.reduce((n, h) => n + h.memorySize, 0) / 1048576);
  const fixed = (limit: number) => ({ reservation: limit, expandableReservation: false, limit, shares: "high" as const });
  return [allocation("cpu", fixed(Math.floor(cpu * 0.9))), allocation("memory", fixed(Math.floor(memMB * 0.9)))];
}
