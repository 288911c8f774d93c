// VirtualApp (vCenter): a resource pool that is also an entity in a VM
// folder, with product information and properties, child VMs made by
// CreateChildVM_Task, a start order (vAppConfig.entityConfig) that its power
// operations follow, and clones of the whole (CloneVApp_Task). VIC's
// installer puts each VCH in one.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { Args, CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { ResourcePool } from "./resource-pool.ts";
import { VirtualMachine } from "./virtual-machine.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import { managedByFromSpec } from "./virtual-machine.ts";
import { exportLease } from "./ovf-export.ts";
import { cloneVApp } from "./vapp-clone.ts";
import { applyArrayUpdates, applyVmConfigSpec } from "./vapp-config.ts";

// how often a start pause looks for the guest's heartbeat, a stop pause for the guest to be off
const POLL_MS = 100;

type Link = DataObject & { key: ManagedObjectReference; destroyWithParent: boolean };
type EntityConfig = DataObject & { key: ManagedObjectReference; tag?: string; startOrder: number; startDelay: number; waitingForGuest: boolean; startAction: string; stopDelay: number; stopAction: string; destroyWithParent?: boolean };

const START_ACTIONS = ["none", "powerOn"];
const STOP_ACTIONS = ["none", "powerOff", "guestShutdown", "suspend"];

/**
 * What a child gets when it joins: the first start group, powered on and off
 * with the vApp. The 120 s delays are the vSphere Client's defaults for a new
 * member (unconfirmed against the API); with every child in one group they
 * are never waited, there being no next group.
 */
function defaultEntityConfig(ref: ManagedObjectReference, tag: string, link?: Link): EntityConfig {
  return { _type: "VAppEntityConfigInfo", key: ref, tag, startOrder: 1, startDelay: 120, waitingForGuest: false, startAction: "powerOn", stopDelay: 120, stopAction: "powerOff", ...(link ? { destroyWithParent: link.destroyWithParent } : {}) };
}

export class VirtualApp extends ResourcePool {
  constructor(sim: SimContext, value: string, name: string, parent: ManagedObjectReference, owner: ManagedObjectReference, config: { cpu: DataObject; memory: DataObject }, folder: ManagedObjectReference | undefined, configSpec: DataObject & Record<string, any>) {
    super(sim, "VirtualApp", value, name, parent, owner, config);
    const product = ((configSpec.product ?? []) as (DataObject & { info?: DataObject })[]).map((p, i) => ({ _type: "VAppProductInfo", key: i, classId: "", instanceId: "", ...(p.info ?? {}) }));
    const property = applyArrayUpdates([], configSpec.property, "configSpec.property", "VAppPropertyInfo");
    Object.assign(this.props, {
      parentFolder: folder,
      datastore: [],
      network: [],
      childLink: [],
      vAppConfig: {
        _type: "VAppConfigInfo",
        product,
        property,
        ipAssignment: configSpec.ipAssignment ?? { _type: "VAppIPAssignmentInfo", ipAllocationPolicy: "fixedPolicy", ipProtocol: "IPv4", supportedIpProtocol: ["IPv4"] },
        eula: configSpec.eula ?? [],
        ovfSection: [],
        ovfEnvironmentTransport: [],
        installBootRequired: false,
        installBootStopDelay: 0,
        entityConfig: [],
        annotation: configSpec.annotation ?? "",
        instanceUuid: configSpec.instanceUuid ?? sim.ids.uuid("vapp", value),
        managedBy: configSpec.managedBy ? managedByFromSpec(configSpec.managedBy) : undefined,
      },
    });
    this.props.summary = { ...(this.props.summary as DataObject), _type: "VirtualAppSummary", product: product[0], vAppState: "stopped", suspended: false, installBootRequired: false, instanceUuid: (this.props.vAppConfig as { instanceUuid: string }).instanceUuid };
  }

  private vms(): VirtualMachine[] {
    return ((this.props.vm as ManagedObjectReference[]) ?? []).map((r) => this.sim.inventory.get(r.value) as VirtualMachine).filter(Boolean);
  }

  /** The vApps inside this one. */
  childApps(): VirtualApp[] {
    return ((this.props.resourcePool as ManagedObjectReference[]) ?? []).map((r) => this.sim.inventory.get(r.value)).filter((o): o is VirtualApp => o instanceof VirtualApp);
  }

  private setState(state: string): void {
    this.update({ "summary.vAppState": state });
  }

  get entityConfig(): EntityConfig[] {
    return ((this.props.vAppConfig as { entityConfig?: EntityConfig[] }).entityConfig ?? []);
  }

  /** Linked children (UpdateLinkedChildren): entities elsewhere that start, stop and may go with this vApp. */
  links(): Link[] {
    return (this.props.childLink as Link[] | undefined) ?? [];
  }

  private linked(): (VirtualMachine | VirtualApp)[] {
    return this.links().map((l) => this.sim.inventory.get(l.key.value)).filter((o): o is VirtualMachine | VirtualApp => o instanceof VirtualMachine || o instanceof VirtualApp);
  }

  /** The children in start order: by startOrder, ties as listed (started in parallel on vCenter, in list order here). */
  private startOrder(): { entity: VirtualMachine | VirtualApp; config: EntityConfig }[] {
    const byRef = new Map([...this.vms(), ...this.childApps(), ...this.linked()].map((e) => [e.ref.value, e]));
    return this.entityConfig
      .map((config, i) => ({ entity: byRef.get(config.key.value), config, i }))
      .filter((x): x is { entity: VirtualMachine | VirtualApp; config: EntityConfig; i: number } => !!x.entity)
      .sort((a, b) => a.config.startOrder - b.config.startOrder || a.i - b.i);
  }

  /** The children by start order, lowest first: a group starts together, as vCenter starts equal orders in parallel. */
  private startGroups(): { entity: VirtualMachine | VirtualApp; config: EntityConfig }[][] {
    const groups: { entity: VirtualMachine | VirtualApp; config: EntityConfig }[][] = [];
    for (const x of this.startOrder()) {
      const last = groups[groups.length - 1];
      if (last && last[0].config.startOrder === x.config.startOrder) last.push(x);
      else groups.push([x]);
    }
    return groups;
  }

  /**
   * `seconds` on the simulator's clock, or less once `done` holds (polled):
   * the pause vCenter makes before the next start group.
   */
  private pause(seconds: number, done?: () => boolean): Promise<void> {
    const clock = this.sim.clock;
    const end = clock.now().getTime() + seconds * 1000;
    return new Promise((resolve) => {
      const check = () => {
        const left = end - clock.now().getTime();
        if (left <= 0 || done?.()) return resolve();
        clock.setTimeout(check, done ? Math.min(POLL_MS, left) : left);
      };
      check();
    });
  }

  /**
   * Groups in start order; before the next group, each entity's startDelay,
   * cut short by the guest's first heartbeat when waitingForGuest (the API
   * reference's rule for both).
   */
  private async powerOn(userName: string): Promise<void> {
    this.setState("starting");
    const groups = this.startGroups();
    for (const [i, group] of groups.entries()) {
      const pauses: Promise<void>[] = [];
      for (const { entity, config } of group) {
        // startAction none: the entity takes no part in the vApp's start
        if (config.startAction === "none") continue;
        if (entity instanceof VirtualApp) {
          await entity.powerOn(userName);
          continue;
        }
        if (entity.powerState !== "poweredOn" && !entity.config.template) entity.forcePower("poweredOn", userName);
        // after the last group there is nothing to wait for
        if (i < groups.length - 1) pauses.push(this.pause(config.startDelay, config.waitingForGuest ? () => entity.props.guestHeartbeatStatus === "green" : undefined));
      }
      await Promise.all(pauses);
    }
    this.setState("started");
  }

  /**
   * Groups in reverse start order, each entity by its stopAction; `force`
   * powers everything off regardless. guestShutdown asks the guest's tools
   * and waits up to stopDelay for it to go off (the reference's rule); a
   * guest still running then, or one without tools, is powered off (the
   * simulator's choice: what vCenter does then is not confirmed).
   */
  private async powerOff(force: boolean, userName: string): Promise<void> {
    this.setState("stopping");
    for (const group of this.startGroups().reverse()) {
      const pauses: Promise<void>[] = [];
      for (const { entity, config } of group) {
        const action = force ? "powerOff" : config.stopAction;
        if (entity instanceof VirtualApp) {
          if (action !== "none") await entity.powerOff(force, userName);
          continue;
        }
        if (action === "none" || entity.powerState === "poweredOff") continue;
        if (action === "suspend") {
          if (entity.powerState === "poweredOn") entity.forcePower("suspended", userName);
        } else if (action === "guestShutdown" && entity.powerState === "poweredOn" && entity.toolsRunning()) {
          entity.ShutdownGuest({});
          pauses.push(this.pause(config.stopDelay, () => entity.powerState === "poweredOff").then(() => {
            if (entity.powerState !== "poweredOff") entity.forcePower("poweredOff", userName);
          }));
        } else {
          entity.forcePower("poweredOff", userName);
        }
      }
      await Promise.all(pauses);
    }
    this.setState("stopped");
  }

  PowerOnVApp_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "PowerOnVApp_Task", "VirtualApp.powerOn", ctx.session?.userName ?? "", () => {
      if ((this.props.summary as { vAppState: string }).vAppState === "started") throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: "poweredOn" });
      return this.powerOn(ctx.session?.userName ?? "");
    });
  }

  PowerOffVApp_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "PowerOffVApp_Task", "VirtualApp.powerOff", ctx.session?.userName ?? "", () => {
      return this.powerOff(args.force === true, ctx.session?.userName ?? "");
    });
  }

  SuspendVApp_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "SuspendVApp_Task", "VirtualApp.suspend", ctx.session?.userName ?? "", () => {
      for (const vm of this.vms()) if (vm.powerState === "poweredOn") vm.forcePower("suspended", ctx.session?.userName ?? "");
      this.update({ "summary.suspended": true });
    });
  }

  /**
   * CloneVApp_Task: a new vApp in `target` (a resource pool or vApp) with a
   * clone of each child, VMs and vApps alike (vapp-clone.ts).
   */
  CloneVApp_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const userName = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "CloneVApp_Task", "VirtualApp.clone", userName, () => cloneVApp(this.sim, this, String(args.name ?? ""), args.target as ManagedObjectReference, (args.spec ?? {}) as Record<string, any>, userName), { resultType: { type: "ManagedObjectReference" } });
  }

  /** An OVF export of all the vApp's VMs, which must be off (ovf-export.ts). */
  ExportVApp(_args: Args): ManagedObjectReference {
    return exportLease(this.sim, this, this.vms());
  }

  /**
   * UpdateVAppConfig: the annotation, products and properties (add, edit,
   * remove by key), IP assignment, EULAs, OVF environment transports,
   * install boot, managedBy, and per-child start settings (entityConfig,
   * which must name a child of this vApp). All checked before anything
   * changes.
   */
  UpdateVAppConfig(args: Args): void {
    const spec = (args.spec ?? {}) as Record<string, any>;
    const cur = this.props.vAppConfig as DataObject & Record<string, any>;
    const next: Record<string, unknown> = { ...cur, ...applyVmConfigSpec(cur, spec as DataObject & Record<string, any>, "spec"), _type: "VAppConfigInfo" };
    if (spec.annotation !== undefined) next.annotation = spec.annotation;
    if (spec.instanceUuid !== undefined) next.instanceUuid = spec.instanceUuid;
    if (spec.managedBy !== undefined) next.managedBy = managedByFromSpec(spec.managedBy);
    if (spec.entityConfig?.length) next.entityConfig = this.editEntityConfig(spec.entityConfig);
    this.update({ vAppConfig: next });
  }

  private editEntityConfig(specs: (DataObject & Record<string, any>)[]): EntityConfig[] {
    const out = this.entityConfig.map((e) => ({ ...e }));
    for (const s of specs) {
      const i = out.findIndex((e) => e.key.value === s.key?.value);
      if (i < 0) throw new VimFault("InvalidArgument", { invalidProperty: "spec.entityConfig.key" });
      if (s.startAction !== undefined && !START_ACTIONS.includes(s.startAction)) throw new VimFault("InvalidArgument", { invalidProperty: "spec.entityConfig.startAction" });
      if (s.stopAction !== undefined && !STOP_ACTIONS.includes(s.stopAction)) throw new VimFault("InvalidArgument", { invalidProperty: "spec.entityConfig.stopAction" });
      for (const k of ["startOrder", "startDelay", "stopDelay"]) {
        if (s[k] !== undefined && (!Number.isInteger(s[k]) || s[k] < 0)) throw new VimFault("InvalidArgument", { invalidProperty: `spec.entityConfig.${k}` });
      }
      const given = Object.fromEntries(Object.entries(s).filter(([k, v]) => v !== undefined && k !== "_type" && k !== "key"));
      out[i] = { ...out[i], ...given };
    }
    return out;
  }

  /** Children come and go (CreateChildVM_Task, clones, moves, destroy): entityConfig follows, new ones with the defaults. */
  override update(changes: Record<string, unknown>): void {
    super.update(changes);
    if (!("vm" in changes || "resourcePool" in changes || "childLink" in changes) || !this.props.vAppConfig) return;
    const have = new Map(this.entityConfig.map((e) => [e.key.value, e]));
    const links = new Map(this.links().map((l) => [l.key.value, l]));
    const children = [...((this.props.vm as ManagedObjectReference[]) ?? []), ...((this.props.resourcePool as ManagedObjectReference[]) ?? []), ...this.links().map((l) => l.key)];
    const tagOf = (r: ManagedObjectReference) => String(this.sim.inventory.get(r.value)?.get("name") ?? "");
    const next = children.map((r) => {
      const link = links.get(r.value);
      const e = have.get(r.value);
      // a link's destroyWithParent is the link's own, re-set when it is linked again
      return e ? (link && e.destroyWithParent !== link.destroyWithParent ? { ...e, destroyWithParent: link.destroyWithParent } : e) : defaultEntityConfig(r, tagOf(r), link);
    });
    const changed = next.length !== have.size || next.some((e) => have.get(e.key.value) !== e);
    if (changed) super.update({ "vAppConfig.entityConfig": next });
  }

  /** Every VM in this vApp and the vApps inside it. */
  private allVms(): VirtualMachine[] {
    return [...this.vms(), ...this.childApps().flatMap((a) => a.allVms())];
  }

  /** Removal takes the whole vApp, nested vApps included, and every VM in it must be off first. */
  private checkRemovable(): void {
    for (const vm of [...this.allVms(), ...this.goingWith().flatMap((e) => (e instanceof VirtualApp ? e.allVms() : [e]))]) {
      if (vm.powerState !== "poweredOff") throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: vm.powerState });
    }
  }

  /** Out of the VM folder it is listed in (a nested vApp is in none), then out of the inventory. */
  private leaveInventory(): void {
    const folderRef = this.props.parentFolder as ManagedObjectReference | undefined;
    const folder = folderRef ? (this.sim.inventory.get(folderRef.value) as (ReturnType<SimContext["inventory"]["get"]> & { detachChild?(c: unknown): void }) | undefined) : undefined;
    folder?.detachChild?.(this);
    // with no children left, the pool's own destroy hands nothing up to the parent
    super.destroy();
  }

  override Destroy_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    const userName = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "Destroy_Task", "VirtualApp.destroy", userName, () => this.destroyAs(userName));
  }

  override destroy(): void {
    this.destroyAs("");
  }

  /** Linked children whose link says they go when this vApp is destroyed. */
  private goingWith(): (VirtualMachine | VirtualApp)[] {
    const going = new Set(this.links().filter((l) => l.destroyWithParent).map((l) => l.key.value));
    return this.linked().filter((e) => going.has(e.ref.value));
  }

  /** A destroyed vApp takes its VMs (and their files), its nested vApps and the linked children marked destroyWithParent; the other links just end. */
  private destroyAs(userName: string): void {
    this.checkRemovable();
    const going = this.goingWith();
    this.unlinkAll();
    for (const e of going) {
      if (e instanceof VirtualApp) e.destroyAs(userName);
      else e.destroyWithFiles(userName);
    }
    for (const app of this.childApps()) app.destroyAs(userName);
    for (const vm of this.vms()) vm.destroyWithFiles(userName);
    this.leaveInventory();
  }

  private unlinkAll(): void {
    for (const l of this.links()) this.sim.vAppLinks.delete(l.key.value);
    if (this.links().length) this.update({ childLink: [] });
  }

  /** An entity linked here left the inventory, or was linked to another vApp. */
  dropLink(ref: ManagedObjectReference): void {
    if (this.sim.vAppLinks.get(ref.value) === this.ref.value) this.sim.vAppLinks.delete(ref.value);
    const rest = this.links().filter((l) => l.key.value !== ref.value);
    if (rest.length !== this.links().length) this.update({ childLink: rest });
  }

  /**
   * UpdateLinkedChildren: VMs and vApps of the same datacenter that start
   * and stop with this vApp without being in it (the vSphere SDK guide's
   * rules: InvalidArgument for a direct child of a vApp; an entity linked to
   * another vApp moves its link here). All checked before any link changes.
   */
  UpdateLinkedChildren(args: Args): void {
    const add = (args.addChangeSet ?? []) as (DataObject & { key?: ManagedObjectReference; destroyWithParent?: boolean })[];
    const remove = (args.removeSet ?? []) as ManagedObjectReference[];
    const dc = datacenterOf(this);
    const entities = add.map((a) => {
      const e = a.key ? this.sim.inventory.get(a.key.value) : undefined;
      if (!a.key) throw new VimFault("InvalidArgument", { invalidProperty: "addChangeSet.key" });
      if (!e) throw new VimFault("ManagedObjectNotFound", { obj: a.key });
      if (!(e instanceof VirtualMachine || e instanceof VirtualApp) || e === this) throw new VimFault("InvalidArgument", { invalidProperty: "addChangeSet.key" });
      if (e.props.parentVApp) throw new VimFault("InvalidArgument", { invalidProperty: "addChangeSet.key" }, `${e.name} is a direct child of a vApp.`);
      if (datacenterOf(e as ManagedEntity) !== dc) throw new VimFault("InvalidArgument", { invalidProperty: "addChangeSet.key" }, `${e.name} is in another datacenter.`);
      // no cycles: a vApp this one is inside cannot become its linked child
      for (let up: ManagedEntity | undefined = this; up; up = up.parentObject() as ManagedEntity | undefined) if (up === e) throw new VimFault("InvalidArgument", { invalidProperty: "addChangeSet.key" });
      return { link: { _type: "VirtualAppLinkInfo", key: e.ref, destroyWithParent: a.destroyWithParent === true } as Link };
    });
    for (const r of remove) if (this.sim.vAppLinks.get(r.value) === this.ref.value) this.dropLink(r);
    for (const { link } of entities) {
      const other = this.sim.vAppLinks.get(link.key.value);
      if (other && other !== this.ref.value) (this.sim.inventory.get(other) as VirtualApp | undefined)?.dropLink(link.key);
      this.sim.vAppLinks.set(link.key.value, this.ref.value);
      this.update({ childLink: [...this.links().filter((l) => l.key.value !== link.key.value), link] });
    }
  }

  /**
   * unregisterVApp_Task: the vApp, its nested vApps and its VMs leave the
   * inventory; every file stays on its datastore (the VMs register again
   * from their .vmx files).
   */
  unregisterVApp_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    const userName = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "unregisterVApp_Task", "VirtualApp.unregister", userName, () => {
      this.checkRemovable();
      this.unregisterAs(userName);
    });
  }

  private unregisterAs(userName: string): void {
    // links end; the linked entities stay where they are
    this.unlinkAll();
    for (const app of this.childApps()) app.unregisterAs(userName);
    for (const vm of this.vms()) vm.unregister(userName);
    this.leaveInventory();
  }
}
