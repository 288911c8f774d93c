// Folder: the containment tree. childType says what a folder may hold
// (hostd's ha-folder-vm holds VirtualMachine and VirtualApp, and so on).
// UnregisterAndDestroy_Task (vCenter, VM folders) unregisters every VM and
// vApp below the folder, leaving their files, and removes the folder tree;
// a VM that is powered on (neither off nor suspended) refuses it all with
// InvalidState, a folder of another kind with NotSupported. The datacenter's
// own VM folder is refused with NotSupported too (it cannot leave its
// datacenter); that fault is this simulator's choice.
import { VimFault, localizedFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import type { Args, CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { createVm, registerVm } from "./vm-factory.ts";
import { createSwitchFromSpec } from "./distributed-virtual-switch.ts";
import { checkHostConnectSpec, type HostSystem } from "./host-system.ts";

/** A VM as UnregisterAndDestroy_Task sees it (virtual-machine.ts). */
type UnregisterableVm = ManagedEntity & { powerState: string; host: ManagedObjectReference; event(type: string, message: string, userName: string): void; detach(): void };

export class Folder extends ManagedEntity {
  constructor(sim: SimContext, value: string, name: string, parent: ManagedObjectReference | undefined, childType: string[], type = "Folder") {
    super(sim, type, value, name, parent);
    this.props.childType = childType;
    this.props.childEntity = [];
  }

  override children(): ManagedObjectReference[] {
    return (this.props.childEntity as ManagedObjectReference[]) ?? [];
  }

  attachChild(child: ManagedEntity): void {
    this.update({ childEntity: [...this.children(), child.ref] });
    child.update({ parent: this.ref });
  }

  override detachChild(child: ManagedEntity): void {
    this.update({ childEntity: this.children().filter((r) => r.value !== child.ref.value) });
  }

  protected checkName(name: string): void {
    if (!name || name.length > 80 || /[%/\\]/.test(name)) throw new VimFault("InvalidName", { name, entity: this.ref });
    for (const c of this.sim.inventory.named(name)) {
      if (this.children().some((r) => r.value === c.ref.value)) throw new VimFault("DuplicateName", { name, object: c.ref });
    }
  }

  private allows(type: string): boolean {
    // a StoragePod is a Folder to the schema, but only folders that name it may hold one (datastore folders on vCenter)
    if (type === "StoragePod") return (this.props.childType as string[]).includes("StoragePod");
    return (this.props.childType as string[]).some((t) => this.sim.schema.isA(type, t));
  }

  CreateFolder(args: Args): ManagedObjectReference {
    if (!this.allows("Folder")) throw new VimFault("NotSupported", {});
    // hostd has no folders of its own making: its inventory is fixed
    if (!this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on a standalone host.");
    const name = String(args.name);
    this.checkName(name);
    const f = new Folder(this.sim, this.sim.newRef("group-v"), name, this.ref, this.props.childType as string[]);
    this.sim.inventory.add(f);
    this.attachChild(f);
    return f.ref;
  }

  /** A datastore cluster (storage-pod.ts), in a vCenter datacenter's datastore folder or one below it. */
  CreateStoragePod(args: Args): ManagedObjectReference {
    if (!this.sim.isVCenter || !this.allows("StoragePod")) throw new VimFault("NotSupported", {});
    const name = String(args.name ?? "");
    this.checkName(name);
    return this.sim.createStoragePod(this, name);
  }

  CreateDatacenter(args: Args): ManagedObjectReference {
    if (!this.sim.isVCenter || !this.allows("Datacenter")) throw new VimFault("NotSupported", {});
    const name = String(args.name);
    this.checkName(name);
    return this.sim.createDatacenter(this, name);
  }

  CreateClusterEx(args: Args, ctx: CallContext): ManagedObjectReference {
    if (!this.sim.isVCenter || !this.allows("ComputeResource")) throw new VimFault("NotSupported", {});
    const name = String(args.name ?? "");
    this.checkName(name);
    const spec = (args.spec ?? {}) as Record<string, any>;
    const cl = this.sim.createCluster(this, name, {
      ha: !!spec.dasConfig?.enabled,
      drs: !!spec.drsConfig?.enabled,
      behavior: String(spec.drsConfig?.defaultVmBehavior ?? "fullyAutomated"),
    });
    const dc = datacenterOf(this);
    this.sim.events.post("ClusterCreatedEvent", `Created cluster ${name} in ${dc?.name ?? ""}`, ctx.session?.userName ?? "",
      { ...(dc ? { datacenter: { name: dc.name, ref: dc.ref } } : {}), computeResource: { name, ref: cl.ref } },
      { parent: { _type: "FolderEventArgument", name: this.name, folder: this.ref } });
    return cl.ref;
  }

  /** The API's older form, a ClusterConfigSpec instead of ClusterConfigSpecEx. */
  CreateCluster(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.CreateClusterEx(args, ctx);
  }

  AddStandaloneHost_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "AddStandaloneHost_Task", "Folder.addStandaloneHost", user, () => {
      if (!this.sim.isVCenter || !this.allows("ComputeResource")) throw new VimFault("NotSupported", {});
      return this.addStandaloneHost(args.spec, args.compResSpec, args.addConnected !== false, user).ref;
    }, { resultType: { type: "ManagedObjectReference" } });
  }

  /** One host of AddStandaloneHost_Task or BatchAddStandaloneHosts_Task: its new ComputeResource. */
  private addStandaloneHost(spec: DataObject | undefined, compResSpec: Record<string, any> | undefined, connected: boolean, user: string): ManagedEntity {
    const name = checkHostConnectSpec(this.sim, spec as (DataObject & Record<string, any>) | undefined);
    this.checkName(name);
    const host = this.sim.addHost(this, name);
    const cr = host.parentObject() as ManagedEntity;
    const swap = compResSpec?.vmSwapPlacement;
    if (swap) cr.update({ "configurationEx.vmSwapPlacement": swap });
    (host as HostSystem).joined(connected, user);
    return cr;
  }

  /**
   * Several standalone hosts at once (vSphere 6.7): each FolderNewHostSpec
   * goes through what AddStandaloneHost_Task does for one host; a host that
   * fails (NoHost, SSLVerifyFault, InvalidLogin, AlreadyConnected,
   * DuplicateName) is listed with its fault and the others are added. The
   * license key of a spec is not checked (the simulator's hosts are licensed).
   */
  BatchAddStandaloneHosts_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "BatchAddStandaloneHosts_Task", "Folder.batchAddStandaloneHosts", user, () => {
      if (!this.sim.isVCenter || !this.allows("ComputeResource")) throw new VimFault("NotSupported", {});
      const addedHosts: ManagedObjectReference[] = [];
      const hostsFailedInventoryAdd: DataObject[] = [];
      for (const spec of (args.newHosts as (DataObject & Record<string, any>)[] | undefined) ?? []) {
        try {
          const cr = this.addStandaloneHost(spec.hostCnxSpec, args.compResSpec, args.addConnected !== false, user);
          addedHosts.push((cr.props.host as ManagedObjectReference[])[0]);
        } catch (e) {
          if (!(e instanceof VimFault)) throw e;
          hostsFailedInventoryAdd.push(failedHost(spec.hostCnxSpec?.hostName, undefined, e));
        }
      }
      return { _type: "FolderBatchAddStandaloneHostsResult", addedHosts, hostsFailedInventoryAdd };
    }, { resultType: { type: "FolderBatchAddStandaloneHostsResult" } });
  }

  /**
   * New hosts (FolderNewHostSpec) and hosts already in vCenter into a
   * cluster in one task (vSphere 6.7): a new host is checked as
   * AddHost_Task checks it (a failure goes to hostsFailedInventoryAdd), an
   * existing one moves as MoveHostInto_Task moves it (a failure, such as a
   * host of another cluster out of maintenance mode, to
   * hostsFailedMoveToCluster). desiredState "maintenance" or
   * "nonMaintenance" leaves every host that made it in that mode. vpxd adds
   * new hosts to this folder first and then moves them; the simulator adds
   * them to the cluster directly, which ends the same way.
   */
  BatchAddHostsToCluster_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "BatchAddHostsToCluster_Task", "Folder.batchAddHostsToCluster", user, () => {
      if (!this.sim.isVCenter || !this.allows("ComputeResource")) throw new VimFault("NotSupported", {});
      const cluster = this.sim.inventory.get((args.cluster as ManagedObjectReference).value) as (ManagedEntity & { moveHostIn(h: ManagedObjectReference): void }) | undefined;
      if (!cluster) throw new VimFault("ManagedObjectNotFound", { obj: args.cluster });
      if (cluster.type !== "ClusterComputeResource" || datacenterOf(cluster) !== datacenterOf(this)) throw new VimFault("InvalidArgument", { invalidProperty: "cluster" });
      const state = args.desiredState as string | undefined;
      if (state !== undefined && state !== "maintenance" && state !== "nonMaintenance") throw new VimFault("InvalidArgument", { invalidProperty: "desiredState" });
      const hostsAddedToCluster: ManagedObjectReference[] = [];
      const hostsFailedInventoryAdd: DataObject[] = [];
      const hostsFailedMoveToCluster: DataObject[] = [];
      for (const spec of (args.newHosts as (DataObject & Record<string, any>)[] | undefined) ?? []) {
        try {
          const name = checkHostConnectSpec(this.sim, spec.hostCnxSpec);
          const host = this.sim.addHost(cluster, name);
          (host as HostSystem).joined(true, user);
          hostsAddedToCluster.push(host.ref);
        } catch (e) {
          if (!(e instanceof VimFault)) throw e;
          hostsFailedInventoryAdd.push(failedHost(spec.hostCnxSpec?.hostName, undefined, e));
        }
      }
      for (const ref of (args.existingHosts as ManagedObjectReference[] | undefined) ?? []) {
        try {
          cluster.moveHostIn(ref);
          hostsAddedToCluster.push(ref);
        } catch (e) {
          if (!(e instanceof VimFault)) throw e;
          hostsFailedMoveToCluster.push(failedHost(this.sim.inventory.get(ref.value)?.props.name, ref, e));
        }
      }
      if (state) {
        for (const ref of hostsAddedToCluster) {
          this.sim.inventory.get(ref.value)!.update({ "runtime.inMaintenanceMode": state === "maintenance", "summary.runtime.inMaintenanceMode": state === "maintenance" });
        }
      }
      return { _type: "FolderBatchAddHostsToClusterResult", hostsAddedToCluster, hostsFailedInventoryAdd, hostsFailedMoveToCluster };
    }, { resultType: { type: "FolderBatchAddHostsToClusterResult" } });
  }

  CreateVM_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "CreateVM_Task", "Folder.createVm", user, () => {
      if (!this.allows("VirtualMachine")) throw new VimFault("NotSupported", {});
      const vm = createVm(this.sim, this, args.config, args.pool, args.host);
      vm.event("VmCreatedEvent", `Created virtual machine ${vm.name} on ${this.sim.inventory.get(vm.host.value)?.get("name") ?? ""}`, user);
      return vm.ref;
    }, { resultType: { type: "ManagedObjectReference" } });
  }

  RegisterVM_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "RegisterVM_Task", "Folder.registerVm", user, () => {
      if (!this.allows("VirtualMachine")) throw new VimFault("NotSupported", {});
      const path = String(args.path);
      if (!args.pool && !args.host) throw new VimFault("InvalidArgument", { invalidProperty: "pool" });
      let pool = args.pool as ManagedObjectReference | undefined;
      if (!pool) {
        const h = this.sim.inventory.get(args.host.value);
        if (!(h instanceof ManagedEntity)) throw new VimFault("ManagedObjectNotFound", { obj: args.host });
        pool = h.parentObject()?.props.resourcePool as ManagedObjectReference;
      }
      const vm = registerVm(this.sim, this, path, pool, args.host, { name: args.name, asTemplate: !!args.asTemplate });
      const host = vm.host;
      vm.event("VmRegisteredEvent", `Registered ${vm.name} on ${this.sim.inventory.get(host.value)?.get("name") ?? ""}`, user);
      return vm.ref;
    }, { resultType: { type: "ManagedObjectReference" } });
  }

  CreateDVS_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "CreateDVS_Task", "Folder.createDistributedVirtualSwitch", user, () => {
      if (!this.allows("DistributedVirtualSwitch")) throw new VimFault("NotSupported", {});
      return createSwitchFromSpec(this.sim, this, args.spec, user).ref;
    }, { resultType: { type: "ManagedObjectReference" } });
  }

  MoveIntoFolder_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "MoveIntoFolder_Task", "Folder.moveInto", ctx.session?.userName ?? "", () => {
      for (const r of args.list as ManagedObjectReference[]) this.moveIn(r);
    });
  }

  /** One entity of MoveIntoFolder_Task's list into this folder (a StoragePod checks more first). */
  protected moveIn(r: ManagedObjectReference): void {
    const o = this.sim.inventory.get(r.value);
    if (!(o instanceof ManagedEntity)) throw new VimFault("ManagedObjectNotFound", { obj: r });
    if (!this.allows(o.type)) throw new VimFault("NotSupported", {});
    if (o === this || this.isDescendantOf(o)) throw new VimFault("InvalidFolder", { target: this.ref });
    this.checkName(o.name);
    o.destroyLinkOnly();
    this.attachChild(o);
  }

  UnregisterAndDestroy_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "UnregisterAndDestroy_Task", "Folder.unregisterAndDestroy", user, () => {
      if (!this.sim.isVCenter || !this.allows("VirtualMachine")) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
      if (this.parentObject()?.type === "Datacenter") throw new VimFault("NotSupported", {}, "The virtual machine folder of a datacenter cannot be removed.");
      const { vms, apps } = this.vmsBelow();
      const on = vms.find((vm) => vm.powerState === "poweredOn");
      if (on) throw new VimFault("InvalidState", {}, `The virtual machine ${on.name} is powered on.`);
      for (const vm of vms) {
        vm.event("VmRemovedEvent", `Removed ${vm.name} on ${this.sim.inventory.get(vm.host.value)?.get("name") ?? ""} from ${datacenterOf(this)?.name ?? ""}`, user);
        vm.detach();
      }
      for (const app of apps) app.destroy();
      this.destroy();
    });
  }

  /** Every VM below this folder (a vApp's too) and the vApps, innermost first. */
  private vmsBelow(): { vms: UnregisterableVm[]; apps: ManagedEntity[] } {
    const vms: UnregisterableVm[] = [];
    const apps: ManagedEntity[] = [];
    const walk = (refs: ManagedObjectReference[]) => {
      for (const r of refs) {
        const o = this.sim.inventory.get(r.value);
        if (!(o instanceof ManagedEntity)) continue;
        if (o.type === "VirtualMachine") vms.push(o as UnregisterableVm);
        else if (o.type === "VirtualApp") {
          walk([...((o.props.vm as ManagedObjectReference[]) ?? []), ...((o.props.resourcePool as ManagedObjectReference[]) ?? []).filter((c) => this.sim.inventory.get(c.value)?.type === "VirtualApp")]);
          apps.push(o);
        } else if (o instanceof Folder) walk(o.children());
      }
    };
    walk(this.children());
    return { vms: [...new Map(vms.map((v) => [v.ref.value, v])).values()], apps };
  }

  private isDescendantOf(o: ManagedEntity): boolean {
    for (let p = this.parentObject(); p; p = p instanceof ManagedEntity ? p.parentObject() : undefined) if (p === o) return true;
    return false;
  }

  override destroy(): void {
    if (!this.props.parent) throw new VimFault("NotSupported", {}, "The root folder cannot be destroyed.");
    if (this.children().length) {
      for (const r of [...this.children()]) {
        const c = this.sim.inventory.get(r.value);
        if (c instanceof ManagedEntity) c.destroy();
      }
    }
    super.destroy();
  }
}

/** A host a batch add could not take, with why (FolderFailedHostResult). */
function failedHost(name: unknown, host: ManagedObjectReference | undefined, e: VimFault): DataObject {
  // vpxd's message key for the context is not confirmed; the message is the fault's
  const context = { _type: "LocalizableMessage", key: `com.vmware.vim.vpxd.vmomi.fault.${e.type}`, message: e.message };
  return { _type: "FolderFailedHostResult", hostName: name === undefined ? undefined : String(name), host, context, fault: localizedFault(e) };
}
