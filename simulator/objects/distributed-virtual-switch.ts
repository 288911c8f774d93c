// A vSphere Distributed Switch (vCenter only): its port groups, the uplink
// port group first, and the hosts that join it. The scenario builder and
// Folder.CreateDVS_Task make switches through the same createDistributedSwitch.
// Besides its groups and hosts a switch has per-port configuration and port
// moves, network I/O control pools (the system ones of its version and user
// ones), health check and LACP group settings, and a rollback checkpoint:
// the switch and its groups as they were before its last reconfiguration,
// which DVSRollback_Task and DVPortgroupRollback_Task answer from (vpxd keeps
// it in memory only; here it is part of simulator snapshots).
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import type { Args, CallContext, SavedState } from "./managed-object.ts";
import { PortStore, STANDALONE, fetchDvPorts, type DvPort } from "./dv-ports.ts";
import type { Device } from "./vm-devices.ts";
import type { Datacenter } from "./datacenter.ts";
import {
  DistributedVirtualPortgroup, checkPortgroupSpec, mergeSetting, nextVersion, postNetworkEvent, vlanSetting, vmsOn,
  type PortgroupConfigSpec,
} from "./distributed-virtual-portgroup.ts";
import type { SimContext } from "../sim-context.ts";
import { hostRelease } from "./distributed-virtual-switch-manager.ts";

type HostMember = DataObject & { config: DataObject & { host: ManagedObjectReference } };
type SwitchConfig = DataObject & {
  name: string; numPorts: number; numStandalonePorts: number; configVersion: string; host: HostMember[]; productInfo: DataObject;
  uplinkPortgroup: ManagedObjectReference[]; uplinkPortPolicy: DataObject & { uplinkPortName: string[] }; defaultPortConfig: DataObject;
};

export interface SwitchOptions {
  uplinkPortNames?: string[];
  numStandalonePorts?: number;
  maxPorts?: number;
  description?: string;
  maxMtu?: number;
}

export class DistributedVirtualSwitch extends ManagedEntity {
  /** the switch's ports (dv-ports.ts) */
  readonly store: PortStore;

  constructor(sim: SimContext, value: string, name: string, parent: ManagedObjectReference, uuid: string, version: string, opts: SwitchOptions = {}) {
    super(sim, "VmwareDistributedVirtualSwitch", value, name, parent);
    this.store = new PortStore(sim);
    const productInfo = { _type: "DistributedVirtualSwitchProductSpec", name: "DVS", vendor: "VMware, Inc.", version, build: "3634794" };
    Object.assign(this.props, {
      uuid,
      portgroup: [],
      summary: { _type: "DVSSummary", name, uuid, numPorts: 0, productInfo, hostMember: [], host: [], vm: [], portgroupName: [], description: opts.description },
      config: {
        _type: "VMwareDVSConfigInfo", uuid, name, numStandalonePorts: opts.numStandalonePorts ?? 0, numPorts: 0, maxPorts: opts.maxPorts ?? 2147483647,
        uplinkPortPolicy: { _type: "DVSNameArrayUplinkPortPolicy", uplinkPortName: opts.uplinkPortNames ?? ["uplink1", "uplink2"] },
        uplinkPortgroup: [], defaultPortConfig: vlanSetting(0), host: [], productInfo, extensionKey: undefined, description: opts.description,
        configVersion: "1", createTime: sim.clock.now(), networkResourceManagementEnabled: false,
        defaultProxySwitchMaxNumPorts: 512, maxMtu: opts.maxMtu ?? 1500, linkDiscoveryProtocolConfig: { _type: "LinkDiscoveryProtocolConfig", protocol: "cdp", operation: "listen" },
        lacpApiVersion: "singleLag", multicastFilteringMode: "legacyFiltering",
        // vCenter gives every new switch both health checks, off, at a one-minute interval
        healthCheckConfig: [
          { _type: "VMwareDVSVlanMtuHealthCheckConfig", enable: false, interval: 1 },
          { _type: "VMwareDVSTeamingHealthCheckConfig", enable: false, interval: 1 },
        ],
        lacpGroupConfig: [],
        // a switch made through the API keeps the older NIOC model unless told otherwise (not confirmed against a 6.0 vCenter)
        networkResourceControlVersion: "version2",
      },
      capability: { _type: "DVSCapability", dvsOperationSupported: true, dvPortGroupOperationSupported: true, dvPortOperationSupported: true },
      networkResourcePool: systemPools(version),
      runtime: { _type: "DVSRuntimeInfo", hostMemberRuntime: [] },
    });
  }

  /** what DVSRollback_Task and DVPortgroupRollback_Task hand back: the switch and its groups as they were before the last switch reconfiguration */
  private checkpoint?: Checkpoint;
  /** the counters user-defined network resource pool and LAG keys come from */
  private counters = { pool: 0, lag: 0 };

  override saveState(): SwitchState {
    return { ...super.saveState(), ports: this.store.save(), checkpoint: this.checkpoint, counters: { ...this.counters } };
  }

  override loadState(s: SwitchState): void {
    super.loadState(s);
    this.store.load(s.ports);
    this.checkpoint = s.checkpoint;
    this.counters = { ...(s.counters ?? { pool: 0, lag: 0 }) };
  }

  /** A port group's ports changed: its portKeys, its numPorts (static groups) and the switch's count follow. */
  portsChanged(pg: DistributedVirtualPortgroup): void {
    const keys = this.store.of(pg.ref.value).map((p) => p.key);
    const changes: Record<string, unknown> = { portKeys: keys };
    if (pg.config.type !== "ephemeral" && pg.config.numPorts !== keys.length) changes["config.numPorts"] = keys.length;
    pg.update(changes);
    this.recount();
  }

  /** ReconfigureDVPortgroup's numPorts and type: static groups hold numPorts ports; an ephemeral one only those VMs use. */
  sizePortgroup(pg: DistributedVirtualPortgroup, numPorts: number): void {
    if (pg.config.type === "ephemeral") {
      for (const p of this.store.of(pg.ref.value)) if (this.store.isFree(p, this.uuid)) this.store.ports.delete(p.key);
    } else {
      this.store.resize({ key: pg.ref.value, name: pg.name }, numPorts, this.uuid);
    }
    this.portsChanged(pg);
  }

  /** The fault sizePortgroup would raise for a group of `type`, before anything changes. */
  checkPortgroupSize(pg: DistributedVirtualPortgroup, numPorts: number, type: string): void {
    if (type !== "ephemeral") this.store.checkResize({ key: pg.ref.value, name: pg.name }, numPorts, this.uuid);
  }

  FetchDVPorts(args: Args): DataObject[] {
    return fetchDvPorts(this.sim, this, args.criteria);
  }

  FetchDVPortKeys(args: Args): string[] {
    return fetchDvPorts(this.sim, this, args.criteria).map((p) => p.key as string);
  }

  /** ports are not properties: there is nothing to refresh, but vCenter still refuses keys it does not know */
  RefreshDVPortState(args: Args): void {
    for (const key of listOf<unknown>(args.portKeys)) this.port(key);
  }

  private port(key: unknown): DvPort {
    const p = this.store.ports.get(String(key));
    if (!p) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: port ${String(key)} of switch ${this.name}`);
    return p;
  }

  private groupOf(p: DvPort): DistributedVirtualPortgroup | undefined {
    return p.portgroupKey === STANDALONE ? undefined : this.portgroups().find((g) => g.ref.value === p.portgroupKey);
  }

  private get capability(): DataObject & Record<string, unknown> {
    return this.props.capability as DataObject & Record<string, unknown>;
  }

  /** DVSCapability's *OperationSupported flags: an extension that owns the switch can take these operations away from vCenter users */
  private checkCapability(flag: "dvsOperationSupported" | "dvPortGroupOperationSupported" | "dvPortOperationSupported"): void {
    if (this.capability[flag] === false) throw new VimFault("DvsFault", {}, `The operation is not supported on the vSphere Distributed Switch ${this.name} (${flag} is false).`);
  }

  /** Keep what the switch and its groups are now for rollback, then change the switch's config with its version bumped. */
  private reconfigureConfig(changes: Record<string, unknown>, userName: string): void {
    const old = this.config.configVersion;
    this.saveCheckpoint();
    this.update({ ...changes, "config.configVersion": nextVersion(old) });
    postNetworkEvent(this.sim, "DvsReconfiguredEvent", `The vSphere Distributed Switch ${this.name} in ${datacenterOf(this)?.name ?? ""} was reconfigured.`, userName, { dvs: this }, { configSpec: { _type: "VMwareDVSConfigSpec", configVersion: old } });
  }

  private saveCheckpoint(): void {
    this.checkpoint = { config: this.props.config as DataObject, portgroups: Object.fromEntries(this.portgroups().map((g) => [g.ref.value, g.config as DataObject])) };
  }

  private bumpVersion(): void {
    this.update({ "config.configVersion": nextVersion(this.config.configVersion) });
  }

  // ---- ports ----

  ReconfigureDVPort_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "ReconfigureDVPort_Task", "DistributedVirtualSwitch.reconfigureDVPort", user, () => this.reconfigurePorts(listOf(args.port), user));
  }

  private reconfigurePorts(specs: (DataObject & Record<string, any>)[], userName: string): void {
    this.checkCapability("dvPortOperationSupported");
    if (!specs.length) throw new VimFault("InvalidArgument", { invalidProperty: "port" });
    const seen = new Set<string>();
    const plan = specs.map((spec, i) => {
      const where = `port[${i}]`;
      // the reference lets this method edit or remove existing ports only: ports are added through their groups' numPorts
      if (spec?.operation !== "edit" && spec?.operation !== "remove") throw new VimFault("InvalidArgument", { invalidProperty: `${where}.operation` });
      if (spec.key === undefined || spec.key === null) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.key` });
      const p = this.port(spec.key);
      if (seen.has(p.key)) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.key` });
      seen.add(p.key);
      if (spec.configVersion !== undefined && spec.configVersion !== (p.configVersion ?? "0")) {
        throw new VimFault("ConcurrentAccess", {}, "Cannot complete operation due to concurrent modification by another operation.");
      }
      const pg = this.groupOf(p);
      if (spec.operation === "remove") {
        if (!this.store.isFree(p, this.uuid)) throw new VimFault("ResourceInUse", { type: "DistributedVirtualPort", name: p.key }, `The resource '${p.key}' is in use.`);
        // an uplink port stands for a member host's uplink: it goes when the host leaves (our choice of fault)
        if (pg?.isUplink) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.key` }, `A specified parameter was not correct: ${where}.key (port ${p.key} is an uplink port)`);
      } else if (spec.setting !== undefined) {
        checkPortSetting(spec.setting, pg, `${where}.setting`);
      }
      return { spec, p, pg };
    });

    const edited = plan.filter((x) => x.spec.operation === "edit");
    const removed = plan.filter((x) => x.spec.operation === "remove");
    for (const { spec, p } of edited) {
      if (spec.name !== undefined) p.portName = String(spec.name);
      if (spec.description !== undefined) p.description = String(spec.description);
      if (spec.setting) p.setting = mergeSetting(p.setting ?? { _type: spec.setting._type }, spec.setting);
      // the connectee stays: a port's configuration is not its connection
      p.configVersion = nextVersion(p.configVersion ?? "0");
    }
    const groups = new Set<DistributedVirtualPortgroup>();
    let standalone = 0;
    for (const { p, pg } of removed) {
      this.store.ports.delete(p.key);
      if (pg) groups.add(pg);
      else standalone++;
    }
    if (standalone) this.update({ "config.numStandalonePorts": Math.max(0, this.config.numStandalonePorts - standalone) });
    for (const pg of groups) this.portsChanged(pg);
    this.recount();
    this.bumpVersion();
    const dcName = datacenterOf(this)?.name ?? "";
    if (edited.length) {
      const keys = edited.map((x) => x.p.key);
      postNetworkEvent(this.sim, "DvsPortReconfiguredEvent", `Ports ${keys.join(", ")} were reconfigured in the vSphere Distributed Switch ${this.name} in ${dcName}.`, userName, { dvs: this }, { portKey: keys });
    }
    if (removed.length) {
      const keys = removed.map((x) => x.p.key);
      postNetworkEvent(this.sim, "DvsPortDeletedEvent", `Ports ${keys.join(", ")} were deleted in the vSphere Distributed Switch ${this.name} in ${dcName}.`, userName, { dvs: this }, { portKey: keys });
    }
  }

  MoveDVPort_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "MoveDVPort_Task", "DistributedVirtualSwitch.moveDVPort", user, () => this.movePorts(listOf(args.portKey), args.destinationPortgroupKey, user));
  }

  private movePorts(keys: unknown[], destKey: unknown, userName: string): void {
    this.checkCapability("dvPortOperationSupported");
    if (!keys.length) throw new VimFault("InvalidArgument", { invalidProperty: "portKey" });
    let dest: DistributedVirtualPortgroup | undefined;
    if (destKey !== undefined && destKey !== null) {
      dest = this.portgroups().find((g) => g.ref.value === destKey);
      if (!dest) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: port group ${String(destKey)}`);
      // uplink ports belong to member hosts, and ephemeral groups make and delete their ports with connections: no port moves in
      if (dest.isUplink || dest.config.type === "ephemeral") throw new VimFault("InvalidArgument", { invalidProperty: "destinationPortgroupKey" }, `A specified parameter was not correct: destinationPortgroupKey (${dest.name} is ${dest.isUplink ? "an uplink" : "an ephemeral"} port group)`);
    }
    const live = (g: DistributedVirtualPortgroup | undefined) => !g || (g.config.policy as { livePortMovingAllowed?: boolean } | undefined)?.livePortMovingAllowed === true;
    const seen = new Set<string>();
    const moves = keys.map((key, i) => {
      const p = this.port(key);
      if (seen.has(p.key)) throw new VimFault("InvalidArgument", { invalidProperty: `portKey[${i}]` });
      seen.add(p.key);
      const src = this.groupOf(p);
      if (src && (src.isUplink || src.config.type === "ephemeral")) throw new VimFault("InvalidArgument", { invalidProperty: `portKey[${i}]` }, `A specified parameter was not correct: portKey[${i}] (port ${p.key} is in ${src.isUplink ? "the uplink" : "an ephemeral"} port group ${src.name})`);
      const held = this.store.holder(p, this.uuid);
      const vmk = held ? undefined : this.store.vmkHolder(p, this.uuid);
      // a port whose VM runs is live: both groups must let live ports move (the vCenter QA suite expects InvalidArgument); a vmkernel NIC's always is (our reading)
      const running = !!vmk || (held?.vm.props?.runtime as { powerState?: string } | undefined)?.powerState === "poweredOn";
      if (running && src !== dest && (!live(src) || !live(dest))) {
        throw new VimFault("InvalidArgument", { invalidProperty: `portKey[${i}]` }, `A specified parameter was not correct: portKey[${i}] (port ${p.key} is in use by ${vmk ? `the vmkernel NIC ${vmk.nic.device}` : "a running virtual machine"} and livePortMovingAllowed is false)`);
      }
      return { p, src, held, vmk };
    }).filter((m) => m.src !== dest); // a port already where it is to go stays, as vCenter discards such moves

    const touched = new Set<DistributedVirtualPortgroup>();
    let standalone = 0;
    for (const { p, src } of moves) {
      p.portgroupKey = dest ? dest.ref.value : STANDALONE;
      if (src) touched.add(src);
      else standalone--;
      if (!dest) standalone++;
    }
    if (dest) touched.add(dest);
    // a connected VM NIC follows its port: its backing names the new group (or none)
    for (const { p, held } of moves) {
      if (!held) continue;
      const vm = this.sim.inventory.get(held.vm.ref.value) as unknown as { props: { config: DataObject & { hardware: DataObject & { device: Device[] } } }; applyConfig(c: DataObject): void };
      const config = vm.props.config;
      const device = config.hardware.device.map((d) => {
        if (d.key !== p.connectee!.nicKey) return d;
        const port: DataObject & Record<string, unknown> = { ...(d.backing!.port as DataObject), portgroupKey: dest?.ref.value };
        if (!dest) delete port.portgroupKey;
        return { ...d, backing: { ...d.backing!, port } };
      });
      vm.applyConfig({ ...config, hardware: { ...config.hardware, device } });
    }
    // a vmkernel NIC follows its port too, through its host's network system
    for (const { vmk } of moves) {
      if (!vmk) continue;
      const ns = (this.sim.inventory.get(vmk.host.value)?.props.configManager as { networkSystem?: ManagedObjectReference } | undefined)?.networkSystem;
      (ns && (this.sim.inventory.get(ns.value) as unknown as { dvPortMoved?(device: string, pg: string | undefined): void } | undefined))?.dvPortMoved?.(vmk.nic.device, dest?.ref.value);
    }
    if (standalone) this.update({ "config.numStandalonePorts": this.config.numStandalonePorts + standalone });
    for (const pg of touched) this.portsChanged(pg);
    this.recount();
    this.bumpVersion();
    const dcName = datacenterOf(this)?.name ?? "";
    for (const { p, src } of moves) {
      if (src) postNetworkEvent(this.sim, "DvsPortLeavePortgroupEvent", `Port ${p.key} left the port group ${src.name} in the vSphere Distributed Switch ${this.name} in ${dcName}.`, userName, { dvs: this }, { portKey: p.key, portgroupKey: src.ref.value, portgroupName: src.name });
      if (dest) postNetworkEvent(this.sim, "DvsPortJoinPortgroupEvent", `Port ${p.key} was moved into the port group ${dest.name} in the vSphere Distributed Switch ${this.name} in ${dcName}.`, userName, { dvs: this }, { portKey: p.key, portgroupKey: dest.ref.value, portgroupName: dest.name });
    }
  }

  // ---- capability, network I/O control, health check, LACP ----

  UpdateDvsCapability(args: Args): void {
    const cap = args.capability as (DataObject & Record<string, unknown>) | undefined;
    if (!cap || typeof cap !== "object") throw new VimFault("InvalidArgument", { invalidProperty: "capability" });
    const next: DataObject & Record<string, unknown> = { ...this.capability };
    for (const [k, v] of Object.entries(cap)) if (k !== "_type" && v !== undefined) next[k] = v;
    this.update({ capability: next });
    this.bumpVersion();
  }

  EnableNetworkResourceManagement(args: Args, ctx: CallContext): void {
    if (typeof args.enable !== "boolean") throw new VimFault("InvalidArgument", { invalidProperty: "enable" });
    if (this.config.networkResourceManagementEnabled === args.enable) return;
    this.reconfigureConfig({ "config.networkResourceManagementEnabled": args.enable }, ctx.session?.userName ?? "");
  }

  private get pools(): Pool[] {
    return (this.props.networkResourcePool as Pool[] | undefined) ?? [];
  }

  AddNetworkResourcePool(args: Args, ctx: CallContext): void {
    const specs = listOf<DataObject & Record<string, any>>(args.configSpec);
    if (!specs.length) throw new VimFault("InvalidArgument", { invalidProperty: "configSpec" });
    const names = new Set(this.pools.map((p) => p.name));
    const added: Pool[] = [];
    let n = this.counters.pool;
    specs.forEach((spec, i) => {
      const name = spec?.name;
      // the reference lists InvalidName as this method's fault for a bad name; a name taken is one too (our choice: vCenter's is not confirmed)
      if (typeof name !== "string" || !name.trim() || name.length > 80 || names.has(name)) throw new VimFault("InvalidName", { name: String(name ?? "") });
      names.add(name);
      const allocationInfo = allocation(DEFAULT_ALLOCATION, spec.allocationInfo, `configSpec[${i}].allocationInfo`);
      // the key in the spec is ignored for an add: vCenter names user pools itself (the "NRP-" form is our choice)
      added.push({ _type: "DVSNetworkResourcePool", key: `NRP-${++n}`, name, description: spec.description, configVersion: "0", allocationInfo });
    });
    this.counters.pool = n;
    this.reconfigureConfig({ networkResourcePool: [...this.pools, ...added] }, ctx.session?.userName ?? "");
  }

  UpdateNetworkResourcePool(args: Args, ctx: CallContext): void {
    const specs = listOf<DataObject & Record<string, any>>(args.configSpec);
    if (!specs.length) throw new VimFault("InvalidArgument", { invalidProperty: "configSpec" });
    const next = [...this.pools];
    specs.forEach((spec, i) => {
      const at = next.findIndex((p) => p.key === spec?.key);
      if (at < 0) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: network resource pool ${String(spec?.key)}`);
      const cur = next[at];
      if (spec.configVersion !== undefined && spec.configVersion !== cur.configVersion) throw new VimFault("ConcurrentAccess", {}, "Cannot complete operation due to concurrent modification by another operation.");
      if (spec.name !== undefined && spec.name !== cur.name) {
        const bad = typeof spec.name !== "string" || !spec.name.trim() || spec.name.length > 80 || next.some((p) => p !== cur && p.name === spec.name);
        // the system pools keep their names (our choice of fault: the one the method declares for names)
        if (bad || isSystemPool(cur.key)) throw new VimFault("InvalidName", { name: String(spec.name) });
      }
      next[at] = {
        ...cur, name: spec.name ?? cur.name, description: spec.description ?? cur.description,
        allocationInfo: allocation(cur.allocationInfo, spec.allocationInfo, `configSpec[${i}].allocationInfo`), configVersion: nextVersion(cur.configVersion),
      };
    });
    this.reconfigureConfig({ networkResourcePool: next }, ctx.session?.userName ?? "");
  }

  RemoveNetworkResourcePool(args: Args, ctx: CallContext): void {
    const keys = listOf<unknown>(args.key).map(String);
    if (!keys.length) throw new VimFault("InvalidArgument", { invalidProperty: "key" });
    for (const key of keys) {
      const pool = this.pools.find((p) => p.key === key);
      if (!pool) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: network resource pool ${key}`);
      // the system pools are the switch's own traffic classes (our choice of fault)
      if (isSystemPool(key)) throw new VimFault("DvsFault", {}, `The system network resource pool ${pool.name} cannot be removed.`);
      if (this.poolInUse(key)) throw new VimFault("ResourceInUse", { type: "DVSNetworkResourcePool", name: pool.name }, `The resource '${pool.name}' is in use.`);
    }
    this.reconfigureConfig({ networkResourcePool: this.pools.filter((p) => !keys.includes(p.key)) }, ctx.session?.userName ?? "");
  }

  private poolInUse(key: string): boolean {
    const uses = (s: DataObject | undefined) => (s as { networkResourcePoolKey?: { value?: string } } | undefined)?.networkResourcePoolKey?.value === key;
    return uses(this.config.defaultPortConfig) || this.portgroups().some((g) => uses(g.config.defaultPortConfig)) || [...this.store.ports.values()].some((p) => uses(p.setting));
  }

  UpdateDVSHealthCheckConfig_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "UpdateDVSHealthCheckConfig_Task", "DistributedVirtualSwitch.updateHealthCheckConfig", user, () => {
      const given = listOf<DataObject & { enable?: unknown; interval?: unknown }>(args.healthCheckConfig);
      const types = new Set<string>();
      given.forEach((c, i) => {
        if (!c || !HEALTH_CHECKS.includes(c._type) || types.has(c._type)) throw new VimFault("InvalidArgument", { invalidProperty: `healthCheckConfig[${i}]` });
        types.add(c._type);
        if (c.interval !== undefined && (!Number.isInteger(c.interval) || (c.interval as number) < 0)) throw new VimFault("InvalidArgument", { invalidProperty: `healthCheckConfig[${i}].interval` });
      });
      const cur = (this.config as DataObject & { healthCheckConfig?: (DataObject & { enable?: boolean; interval?: number })[] }).healthCheckConfig ?? [];
      const next = HEALTH_CHECKS.map((type) => {
        const was = cur.find((c) => c._type === type) ?? { _type: type, enable: false, interval: 1 };
        const c = given.find((g) => g._type === type);
        return c ? { ...was, enable: c.enable ?? was.enable, interval: c.interval ?? was.interval } : was;
      });
      this.reconfigureConfig({ "config.healthCheckConfig": next }, user);
    });
  }

  private get lags(): Lag[] {
    return ((this.config as DataObject & { lacpGroupConfig?: Lag[] }).lacpGroupConfig) ?? [];
  }

  UpdateDVSLacpGroupConfig_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "UpdateDVSLacpGroupConfig_Task", "VmwareDistributedVirtualSwitch.updateLacpGroupConfig", user, () => this.updateLags(listOf(args.lacpGroupSpec), user));
  }

  private updateLags(specs: (DataObject & { operation?: string; lacpGroupConfig?: DataObject & Record<string, any> })[], userName: string): void {
    // link aggregation groups of their own exist only under the enhanced LACP API; a singleLag switch configures LACP on its uplink port group
    if ((this.config as DataObject & { lacpApiVersion?: string }).lacpApiVersion !== "multipleLag") {
      throw new VimFault("DvsFault", {}, `The vSphere Distributed Switch ${this.name} does not support multiple link aggregation groups: its lacpApiVersion is not multipleLag.`);
    }
    if (!specs.length) throw new VimFault("InvalidArgument", { invalidProperty: "lacpGroupSpec" });
    let next = this.lags.map((l) => ({ ...l }));
    let n = this.counters.lag;
    const renames: { from: string[]; to: string[] }[] = [];
    specs.forEach((spec, i) => {
      const where = `lacpGroupSpec[${i}]`;
      const op = spec?.operation;
      const cfg = spec?.lacpGroupConfig;
      if (op !== "add" && op !== "edit" && op !== "remove") throw new VimFault("InvalidArgument", { invalidProperty: `${where}.operation` });
      if (!cfg || typeof cfg !== "object") throw new VimFault("InvalidArgument", { invalidProperty: `${where}.lacpGroupConfig` });
      const at = next.findIndex((l) => l.key === cfg.key);
      if (op !== "add" && at < 0) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.lacpGroupConfig.key` }, `A specified parameter was not correct: ${where}.lacpGroupConfig.key (no link aggregation group ${String(cfg.key)})`);
      if (op === "remove") {
        next = next.filter((_, j) => j !== at);
        return;
      }
      const cur = op === "edit" ? next[at] : undefined;
      const name = cfg.name ?? cur?.name;
      if (typeof name !== "string" || !name.trim() || next.some((l) => l !== cur && l.name === name) || (this.config.uplinkPortPolicy.uplinkPortName ?? []).includes(name)) {
        throw new VimFault("InvalidArgument", { invalidProperty: `${where}.lacpGroupConfig.name` });
      }
      const uplinkNum = cfg.uplinkNum ?? cur?.uplinkNum;
      if (!Number.isInteger(uplinkNum) || uplinkNum < 1 || uplinkNum > MAX_LAG_UPLINKS) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.lacpGroupConfig.uplinkNum` });
      const mode = cfg.mode ?? cur?.mode ?? "passive";
      if (!this.sim.schema.enumValues("VMwareUplinkLacpMode")?.includes(mode)) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.lacpGroupConfig.mode` });
      const lb = cfg.loadbalanceAlgorithm ?? cur?.loadbalanceAlgorithm ?? "srcDestIpTcpUdpPortVlan";
      if (!this.sim.schema.enumValues("VMwareDvsLacpLoadBalanceAlgorithm")?.includes(lb)) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.lacpGroupConfig.loadbalanceAlgorithm` });
      // a LAG's uplinks are named after it: lag1-0, lag1-1, ...
      const uplinkName = Array.from({ length: uplinkNum }, (_, j) => `${name}-${j}`);
      const lag: Lag = {
        _type: "VMwareDvsLacpGroupConfig", key: cur?.key ?? `lag-${++n}`, name, mode, uplinkNum, loadbalanceAlgorithm: lb,
        vlan: cfg.vlan ?? cur?.vlan, ipfix: cfg.ipfix ?? cur?.ipfix, uplinkName, uplinkPortKey: [],
      };
      if (cur) {
        if (cur.name !== name) renames.push({ from: cur.uplinkName ?? [], to: uplinkName });
        next[at] = lag;
      } else {
        if (next.length >= MAX_LAGS) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.operation` }, `A specified parameter was not correct: a switch has at most ${MAX_LAGS} link aggregation groups`);
        next.push(lag);
      }
    });
    this.counters.lag = n;
    // a renamed LAG keeps its ports: they take the new uplink names
    const uplinks = this.portgroups().filter((g) => g.isUplink).map((g) => g.ref.value);
    for (const r of renames) {
      for (const p of this.store.ports.values()) {
        const j = uplinks.includes(p.portgroupKey) && p.name ? r.from.indexOf(p.name) : -1;
        if (j >= 0 && j < r.to.length) p.name = r.to[j];
      }
    }
    this.reconfigureConfig({ "config.lacpGroupConfig": next }, userName);
    this.resizeUplinks();
  }

  // ---- rollback ----

  DVSRollback_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "DVSRollback_Task", "DistributedVirtualSwitch.rollback", user, () => {
      let saved: (DataObject & Record<string, unknown>) | undefined;
      if (args.entityBackup) {
        // a backup of this switch (DVSManagerExportEntity_Task): the spec is what it holds
        const blob = readBackup(args.entityBackup);
        if (!blob || blob.entityType !== "distributedVirtualSwitch" || blob.switch.uuid !== this.uuid) {
          throw new VimFault("RollbackFailure", { entityName: this.name, entityType: "distributedVirtualSwitch" }, `Cannot roll back the vSphere Distributed Switch ${this.name}: the backup is not one of this switch.`);
        }
        saved = blob.switch.config;
      } else {
        // the reference: without a backup the spec is the switch's state before its last reconfiguration "if available"; none means no result, not a fault
        saved = this.checkpoint?.config as (DataObject & Record<string, unknown>) | undefined;
      }
      if (!saved) return undefined;
      const cur = this.config as unknown as Record<string, unknown>;
      const fields = ROLLBACK_SWITCH_FIELDS.filter((k) => saved[k] !== undefined);
      if (fields.every((k) => JSON.stringify(saved[k]) === JSON.stringify(cur[k]))) return undefined;
      return { _type: "VMwareDVSConfigSpec", configVersion: this.config.configVersion, ...Object.fromEntries(fields.map((k) => [k, saved[k]])) };
    }, { resultType: { type: "DVSConfigSpec" } });
  }

  /** DistributedVirtualPortgroup.DVPortgroupRollback_Task's answer: the group as a backup of it (or of its switch) or the switch's checkpoint has it, if that differs from now. */
  rollbackPortgroup(pg: DistributedVirtualPortgroup, entityBackup: unknown): DataObject | undefined {
    let saved: (DataObject & Record<string, unknown>) | undefined;
    if (entityBackup) {
      const blob = readBackup(entityBackup);
      saved = blob?.switch.uuid === this.uuid ? blob.portgroups.find((g) => g.key === pg.ref.value)?.config : undefined;
      if (!saved) throw new VimFault("RollbackFailure", { entityName: pg.name, entityType: "distributedVirtualPortgroup" }, `Cannot roll back the distributed port group ${pg.name}: the backup holds no configuration of it.`);
    } else {
      saved = this.checkpoint?.portgroups[pg.ref.value] as (DataObject & Record<string, unknown>) | undefined;
    }
    if (!saved) return undefined;
    const cur = pg.config as unknown as Record<string, unknown>;
    const fields = ROLLBACK_PORTGROUP_FIELDS.filter((k) => saved[k] !== undefined);
    if (fields.every((k) => JSON.stringify(saved[k]) === JSON.stringify(cur[k]))) return undefined;
    return { _type: "DVPortgroupConfigSpec", configVersion: pg.config.configVersion, ...Object.fromEntries(fields.map((k) => [k, saved[k]])) };
  }

  // ---- backup and restore (DistributedVirtualSwitchManager's export and import) ----

  /** The switch's backup: its settings and, as Export-VDSwitch does by default, those of its port groups. */
  backup(): Backup {
    const cfg = this.props.config as DataObject & Record<string, unknown>;
    return {
      format: BACKUP_FORMAT, version: BACKUP_VERSION, entityType: "distributedVirtualSwitch",
      switch: {
        uuid: this.uuid, key: this.ref.value, name: this.name, productVersion: String((cfg.productInfo as { version?: string }).version),
        config: pick(cfg, [...ROLLBACK_SWITCH_FIELDS, ...BACKUP_SWITCH_EXTRA]), networkResourcePool: structuredClone(this.pools),
      },
      portgroups: this.portgroups().map((g) => ({ key: g.ref.value, uplink: g.isUplink, config: pick(g.config as unknown as Record<string, unknown>, ROLLBACK_PORTGROUP_FIELDS) })),
    };
  }

  /** A port group's backup: the group alone, naming its switch. */
  backupPortgroup(pg: DistributedVirtualPortgroup): Backup {
    const b = this.backup();
    return { ...b, entityType: "distributedVirtualPortgroup", portgroups: b.portgroups.filter((g) => g.key === pg.ref.value) };
  }

  /** A backup's switch settings laid over this switch (applyToEntitySpecified): its hosts stay as they are. */
  applyBackup(b: Backup, name: string | undefined, userName: string): void {
    const saved = b.switch.config as Record<string, unknown>;
    const changes: Record<string, unknown> = {};
    for (const k of [...ROLLBACK_SWITCH_FIELDS, ...BACKUP_SWITCH_EXTRA]) {
      if (k !== "name" && saved[k] !== undefined) changes[`config.${k}`] = structuredClone(saved[k]);
    }
    if (saved.description !== undefined) changes["summary.description"] = saved.description;
    changes.networkResourcePool = structuredClone(b.switch.networkResourcePool ?? this.pools);
    this.saveCheckpoint();
    const target = name ?? b.switch.name;
    if (target !== this.name) this.applyName(target, userName);
    this.update({ ...changes, "config.configVersion": nextVersion(this.config.configVersion) });
    this.resizeUplinks();
    postNetworkEvent(this.sim, "DvsRestoreEvent", `Restore operation was performed on vSphere Distributed Switch ${this.name} in ${datacenterOf(this)?.name ?? ""}.`, userName, { dvs: this });
  }

  /** A port group backup's settings laid over `pg`, renamed to `name` when given (its key stays). */
  applyPortgroupBackup(pg: DistributedVirtualPortgroup, saved: Record<string, unknown>, name: string | undefined, userName: string): void {
    const changes: Record<string, unknown> = { "config.configVersion": nextVersion(pg.config.configVersion) };
    for (const k of ROLLBACK_PORTGROUP_FIELDS) if (k !== "name" && k !== "numPorts" && saved[k] !== undefined) changes[`config.${k}`] = structuredClone(saved[k]);
    const target = name ?? (saved.name as string | undefined);
    if (target !== undefined && target !== pg.name) {
      const old = pg.name;
      pg.update({ name: target, "config.name": target, "summary.name": target });
      this.portgroupRenamed(old, target);
    }
    pg.update(changes);
    const numPorts = saved.numPorts as number | undefined;
    if (numPorts !== undefined && numPorts !== pg.config.numPorts) {
      this.sizePortgroup(pg, numPorts);
      if (pg.config.type === "ephemeral") pg.update({ "config.numPorts": numPorts });
    }
    this.recount();
    postNetworkEvent(this.sim, "DVPortgroupReconfiguredEvent", `Reconfigured dvPort group ${pg.name} in ${datacenterOf(this)?.name ?? ""}.`, userName, { net: pg, dvs: this });
  }

  /** The checks applyPortgroupBackup's settings must pass, before anything changes. */
  checkPortgroupBackup(pg: DistributedVirtualPortgroup | undefined, saved: Record<string, unknown>, name: string | undefined): void {
    const target = name ?? (saved.name as string | undefined);
    checkPortgroupSpec({ _type: "DVPortgroupConfigSpec", ...saved, name: target } as PortgroupConfigSpec, true);
    const dup = DistributedVirtualPortgroup.named(this.sim, datacenterOf(this), target!, pg);
    if (dup) throw new VimFault("DuplicateName", { name: target, object: dup.ref });
    if (pg && saved.numPorts !== undefined) this.checkPortgroupSize(pg, saved.numPorts as number, (saved.type as string | undefined) ?? pg.config.type);
  }

  /** A new port group from a backup's settings; `value` keeps its original key (createEntityWithOriginalIdentifier). */
  restorePortgroup(saved: Record<string, unknown>, name: string | undefined, userName: string, value?: string): DistributedVirtualPortgroup {
    const spec = { _type: "DVPortgroupConfigSpec", ...structuredClone(saved), name: name ?? saved.name } as PortgroupConfigSpec;
    const pg = this.newPortgroup(spec, false, value);
    if (spec.type === "ephemeral" && spec.numPorts !== undefined) pg.update({ "config.numPorts": spec.numPorts });
    postNetworkEvent(this.sim, "DVPortgroupCreatedEvent", `dvPort group ${pg.name} in ${datacenterOf(this)?.name ?? ""} was added to switch ${this.name}.`, userName, { net: pg, dvs: this });
    return pg;
  }

  // ---- version upgrade, merge, host re-sync ----

  PerformDvsProductSpecOperation_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "PerformDvsProductSpecOperation_Task", "DistributedVirtualSwitch.performProductSpecOperation", user, () => {
      const op = args.operation;
      if (typeof op !== "string" || !this.sim.schema.enumValues("DistributedVirtualSwitchProductSpecOperationType")?.includes(op)) throw new VimFault("InvalidArgument", { invalidProperty: "operation" });
      // the reference: "For VmwareDistributedVirtualSwitch, only upgrade is valid" (the others are for third-party switches); the fault is our choice
      if (op !== "upgrade") throw new VimFault("InvalidArgument", { invalidProperty: "operation" }, `A specified parameter was not correct: operation (${op} is not supported on a VMware distributed switch)`);
      const spec = args.productSpec as (DataObject & { name?: string; vendor?: string; version?: string }) | undefined;
      if (!spec || typeof spec !== "object" || typeof spec.version !== "string") throw new VimFault("InvalidArgument", { invalidProperty: "productSpec" });
      const info = this.config.productInfo as DataObject & { name: string; vendor: string; version: string };
      if ((spec.name !== undefined && spec.name !== info.name) || (spec.vendor !== undefined && spec.vendor !== info.vendor)) throw new VimFault("InvalidArgument", { invalidProperty: "productSpec" });
      const version = spec.version;
      if (!availableSwitchVersions(this.sim).includes(version)) throw new VimFault("InvalidArgument", { invalidProperty: "productSpec.version" });
      const cmp = version.localeCompare(info.version, undefined, { numeric: true });
      if (cmp === 0) return;
      // a switch is never downgraded: vCenter offers only newer versions (our choice of fault)
      if (cmp < 0) throw new VimFault("InvalidArgument", { invalidProperty: "productSpec.version" }, `A specified parameter was not correct: productSpec.version (${version} is older than the switch's ${info.version})`);
      const old = this.hosts().map((h) => this.sim.inventory.get(h.value)).filter((h): h is ManagedEntity => h instanceof ManagedEntity).find((h) => hostRelease(h).localeCompare(version, undefined, { numeric: true }) < 0);
      if (old) {
        // vCenter's upgrade wizard refuses a switch whose member host runs an older ESXi: the host compatibility check fails (the fault type is our choice: the method's own)
        throw new VimFault("DvsFault", {}, `The vSphere Distributed Switch ${this.name} cannot be upgraded to version ${version}: host ${old.name} runs ESXi ${hostRelease(old)}, which does not support it.`);
      }
      const productInfo = { ...info, version };
      const have = new Set(this.pools.map((p) => p.key));
      const pools = [...this.pools, ...systemPools(version).filter((p) => !have.has(p.key))];
      this.saveCheckpoint();
      this.update({
        "config.productInfo": productInfo, "summary.productInfo": productInfo, "config.configVersion": nextVersion(this.config.configVersion),
        "config.host": this.config.host.map((m) => ({ ...m, productInfo })), networkResourcePool: pools,
      });
      postNetworkEvent(this.sim, "DvsUpgradedEvent", `vSphere Distributed Switch ${this.name} in ${datacenterOf(this)?.name ?? ""} was upgraded.`, user, { dvs: this }, { productInfo });
    });
  }

  MergeDvs_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "MergeDvs_Task", "DistributedVirtualSwitch.merge", user, () => {
      const ref = args.dvs as ManagedObjectReference | undefined;
      const other = ref && typeof ref === "object" ? this.sim.inventory.get(ref.value) : undefined;
      if (!(other instanceof DistributedVirtualSwitch)) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: switch ${ref?.value ?? ""}`);
      if (other === this) throw new VimFault("InvalidArgument", { invalidProperty: "dvs" }, "A specified parameter was not correct: dvs (a switch cannot merge into itself)");
      if (datacenterOf(other) !== datacenterOf(this)) throw new VimFault("InvalidArgument", { invalidProperty: "dvs" }, `A specified parameter was not correct: dvs (${other.name} is in another datacenter)`);
      this.checkCapability("dvsOperationSupported");
      // ports that VMs or vmkernel NICs hold would lose their connections: vCenter moves them, this simulator refuses (ResourceInUse, a fault the method declares)
      const held = [...other.store.ports.values()].find((p) => !other.store.isFree(p, other.uuid));
      if (held) {
        const g = other.groupOf(held);
        throw new VimFault("ResourceInUse", { type: "DistributedVirtualPortgroup", name: g?.name ?? other.name }, `The resource '${g?.name ?? other.name}' is in use.`);
      }
      const version = String((this.config.productInfo as { version?: string }).version);
      const joining = other.hosts().filter((h) => !this.isMember(h));
      for (const h of joining) {
        const host = this.sim.inventory.get(h.value);
        if (!(host instanceof ManagedEntity)) continue;
        const state = (host.props.runtime as { connectionState?: string } | undefined)?.connectionState;
        if (state && state !== "connected") throw new VimFault("InvalidHostState", { host: host.ref }, `The operation is not allowed in the current state of the host ${host.name}.`);
        if (hostRelease(host).localeCompare(version, undefined, { numeric: true }) < 0) throw new VimFault("DvsFault", {}, `Host ${host.name} (ESXi ${hostRelease(host)}) cannot join the vSphere Distributed Switch ${this.name} of version ${version}.`);
      }
      const moving = other.portgroups().filter((g) => !g.isUplink);
      other.update({ portgroup: (other.props.portgroup as ManagedObjectReference[]).filter((r) => !moving.some((g) => g.ref.value === r.value)) });
      other.update({ "summary.portgroupName": other.portgroups().map((g) => g.name) });
      for (const pg of moving) {
        other.store.dropGroup(pg.ref.value);
        pg.update({ "config.distributedVirtualSwitch": this.ref, portKeys: [] });
        this.addPortgroup(pg.ref, pg.name, 0);
        this.sizePortgroup(pg, pg.config.type === "ephemeral" ? 0 : pg.config.numPorts);
        for (const h of this.hosts()) pg.link(h);
      }
      for (const h of joining) this.addHost(h);
      this.recount();
      this.bumpVersion();
      postNetworkEvent(this.sim, "DvsMergedEvent", `vSphere Distributed Switch ${other.name} was merged into ${this.name} in ${datacenterOf(this)?.name ?? ""}.`, user, { dvs: this }, {
        sourceDvs: { _type: "DvsEventArgument", name: other.name, dvs: other.ref }, destinationDvs: { _type: "DvsEventArgument", name: this.name, dvs: this.ref },
      });
      for (const h of other.hosts()) other.removeHost(h);
      other.destroyBy(user);
    });
  }

  RectifyDvsHost_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "RectifyDvsHost_Task", "DistributedVirtualSwitch.rectifyHost", user, () => {
      const given = listOf<ManagedObjectReference>(args.hosts);
      // unset: every member host (the reference)
      const hosts = given.length ? given : this.hosts();
      for (const h of hosts) {
        const host = h && typeof h === "object" ? this.sim.inventory.get(h.value) : undefined;
        if (!host?.isA("HostSystem")) throw new VimFault("ManagedObjectNotFound", { obj: h }, `The object '${h?.type ?? "HostSystem"}:${h?.value ?? ""}' has already been deleted or has not been completely created`);
        if (!this.isMember(host.ref)) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: ${String(host.get("name"))} is not a member of the vSphere Distributed Switch ${this.name}`);
      }
      this.rectify(hosts, user);
    });
  }

  /** A member host's proxy switch brought back in line with the switch: its member entry says up again. */
  rectify(hosts: ManagedObjectReference[], userName: string): void {
    const want = new Set(hosts.map((h) => h.value));
    const changed = this.config.host.filter((m) => want.has(m.config.host.value) && ((m as DataObject & { status?: string }).status !== "up" || (m as DataObject & { statusDetail?: string }).statusDetail));
    if (changed.length) this.update({ "config.host": this.config.host.map((m) => (want.has(m.config.host.value) ? { ...m, status: "up", statusDetail: "" } : m)) });
    for (const m of changed) {
      const host = this.sim.inventory.get(m.config.host.value);
      const old = m as DataObject & { status?: string; statusDetail?: string };
      postNetworkEvent(this.sim, "DvsHostStatusUpdated", `The host ${String(host?.get("name") ?? "")} changed status on the vSphere Distributed Switch ${this.name} in ${datacenterOf(this)?.name ?? ""}.`, userName, { dvs: this }, {
        hostMember: { _type: "HostEventArgument", name: String(host?.get("name") ?? ""), host: m.config.host }, oldStatus: old.status, newStatus: "up", oldStatusDetail: old.statusDetail, newStatusDetail: "",
      });
    }
  }

  // ---- NIOC version 3: VM vNIC network resource pools ----

  private get vnicPools(): VnicPool[] {
    return ((this.config as DataObject & { vmVnicNetworkResourcePool?: VnicPool[] }).vmVnicNetworkResourcePool) ?? [];
  }

  DvsReconfigureVmVnicNetworkResourcePool_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "DvsReconfigureVmVnicNetworkResourcePool_Task", "DistributedVirtualSwitch.reconfigureVmVnicNetworkResourcePool", user, () => {
      // VM vNIC pools are NIOC version 3's; a version2 switch has user-defined network resource pools instead (the fault is the method's own, our choice)
      if ((this.config as DataObject & { networkResourceControlVersion?: string }).networkResourceControlVersion !== "version3") {
        throw new VimFault("DvsFault", {}, `The vSphere Distributed Switch ${this.name} does not use Network I/O Control version 3: virtual machine vNIC network resource pools are not available.`);
      }
      const specs = listOf<DataObject & Record<string, any>>(args.configSpec);
      if (!specs.length) throw new VimFault("InvalidArgument", { invalidProperty: "configSpec" });
      let next = this.vnicPools.map((p) => ({ ...p }));
      specs.forEach((spec, i) => {
        const where = `configSpec[${i}]`;
        const op = spec?.operation;
        if (op !== "add" && op !== "edit" && op !== "remove") throw new VimFault("InvalidArgument", { invalidProperty: `${where}.operation` });
        const quota = spec.allocationInfo?.reservationQuota;
        if (quota !== undefined && quota !== null && (!Number.isInteger(quota) || quota < 0)) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.allocationInfo.reservationQuota` });
        if (op === "add") {
          const name = spec.name;
          if (typeof name !== "string" || !name.trim() || name.length > 80 || next.some((p) => p.name === name)) throw new VimFault("InvalidName", { name: String(name ?? "") });
          // vCenter keys vNIC pools by a UUID of its own; the key in an add spec is ignored
          const key = this.sim.ids.uuid("dvs.vnicpool", `${this.uuid}#${this.sim.ids.next("dvs.vnicpool.n")}`);
          next.push({ _type: "DVSVmVnicNetworkResourcePool", key, name, description: spec.description, configVersion: "1", allocationInfo: { _type: "DvsVmVnicResourceAllocation", reservationQuota: quota ?? 0 } });
          return;
        }
        const at = next.findIndex((p) => p.key === spec.key);
        if (at < 0) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: VM vNIC network resource pool ${String(spec.key)}`);
        const cur = next[at];
        if (spec.configVersion !== undefined && spec.configVersion !== cur.configVersion) throw new VimFault("ConcurrentAccess", {}, "Cannot complete operation due to concurrent modification by another operation.");
        if (op === "remove") {
          if (this.poolInUse(cur.key)) throw new VimFault("ResourceInUse", { type: "DVSVmVnicNetworkResourcePool", name: cur.name }, `The resource '${cur.name}' is in use.`);
          next = next.filter((_, j) => j !== at);
          return;
        }
        if (spec.name !== undefined && spec.name !== cur.name && (typeof spec.name !== "string" || !spec.name.trim() || next.some((p) => p.name === spec.name))) throw new VimFault("InvalidName", { name: String(spec.name) });
        next[at] = {
          ...cur, name: spec.name ?? cur.name, description: spec.description ?? cur.description, configVersion: nextVersion(cur.configVersion),
          allocationInfo: quota !== undefined && quota !== null ? { _type: "DvsVmVnicResourceAllocation", reservationQuota: quota } : cur.allocationInfo,
        };
      });
      this.reconfigureConfig({ "config.vmVnicNetworkResourcePool": next }, user);
    });
  }

  get config(): SwitchConfig {
    return this.props.config as SwitchConfig;
  }

  get uuid(): string {
    return this.props.uuid as string;
  }

  portgroups(): DistributedVirtualPortgroup[] {
    return (this.props.portgroup as ManagedObjectReference[]).map((r) => this.sim.inventory.get(r.value)).filter((p): p is DistributedVirtualPortgroup => p instanceof DistributedVirtualPortgroup);
  }

  hosts(): ManagedObjectReference[] {
    return this.config.host.map((m) => m.config.host);
  }

  private isMember(host: ManagedObjectReference): boolean {
    return this.hosts().some((h) => h.value === host.value);
  }

  addPortgroup(pg: ManagedObjectReference, name: string, ports: number, uplink = false): void {
    const cfg = this.config;
    this.update({
      portgroup: [...(this.props.portgroup as ManagedObjectReference[]), pg],
      "config.numPorts": cfg.numPorts + ports,
      "summary.numPorts": cfg.numPorts + ports,
      "summary.portgroupName": [...((this.props.summary as { portgroupName: string[] }).portgroupName), name],
      ...(uplink ? { "config.uplinkPortgroup": [...cfg.uplinkPortgroup, pg] } : {}),
    });
  }

  removePortgroup(pg: DistributedVirtualPortgroup): void {
    const names = (this.props.summary as { portgroupName: string[] }).portgroupName;
    const i = names.indexOf(pg.name);
    this.update({
      portgroup: (this.props.portgroup as ManagedObjectReference[]).filter((r) => r.value !== pg.ref.value),
      "config.uplinkPortgroup": this.config.uplinkPortgroup.filter((r) => r.value !== pg.ref.value),
      "summary.portgroupName": i < 0 ? names : [...names.slice(0, i), ...names.slice(i + 1)],
    });
    this.store.dropGroup(pg.ref.value);
    this.recount();
  }

  portgroupRenamed(oldName: string, newName: string): void {
    const names = (this.props.summary as { portgroupName: string[] }).portgroupName;
    this.update({ "summary.portgroupName": names.map((n) => (n === oldName ? newName : n)) });
  }

  /** numPorts counts every port group's ports and the standalone ones. */
  recount(): void {
    const n = this.portgroups().reduce((sum, p) => sum + p.config.numPorts, 0) + (this.config.numStandalonePorts ?? 0);
    this.update({ "config.numPorts": n, "summary.numPorts": n });
  }

  /** The uplink port group has a port for each uplink name on each member host. */
  private resizeUplinks(): void {
    // one port per (member host, uplink name): ports of hosts that left or names that went are deleted, missing ones created
    const names = [...this.config.uplinkPortPolicy.uplinkPortName, ...this.lags.flatMap((l) => l.uplinkName ?? [])];
    for (const pg of this.portgroups()) {
      if (!pg.isUplink) continue;
      const want = this.hosts().flatMap((h) => names.map((name) => ({ host: h.value, name })));
      const have = this.store.of(pg.ref.value);
      const wanted = (p: DvPort) => want.some((w) => w.host === p.host && w.name === p.name);
      for (const p of have) if (!wanted(p)) this.store.ports.delete(p.key);
      for (const w of want) if (!have.some((p) => p.host === w.host && p.name === w.name)) this.store.create(pg.ref.value, w);
      this.portsChanged(pg);
    }
    this.recount();
    const uplinkPorts = this.portgroups().filter((g) => g.isUplink).flatMap((g) => this.store.of(g.ref.value));
    const lags = this.lags.map((l) => ({
      ...l, uplinkPortKey: uplinkPorts.filter((p) => p.name && (l.uplinkName ?? []).includes(p.name)).map((p) => p.key).sort((a, b) => Number(a) - Number(b)),
    }));
    if (JSON.stringify(lags) !== JSON.stringify(this.lags)) this.update({ "config.lacpGroupConfig": lags });
  }

  addHost(host: ManagedObjectReference): void {
    const cfg = this.config;
    const member = {
      _type: "DistributedVirtualSwitchHostMember",
      config: { _type: "DistributedVirtualSwitchHostMemberConfigInfo", host, maxProxySwitchPorts: 512, backing: { _type: "DistributedVirtualSwitchHostMemberPnicBacking", pnicSpec: [] } },
      productInfo: cfg.productInfo, status: "up", statusDetail: "",
    };
    const sum = this.props.summary as { hostMember: string[]; host: ManagedObjectReference[] };
    this.update({ "config.host": [...cfg.host, member], "summary.host": [...sum.host, host] });
    for (const pg of this.portgroups()) pg.link(host);
    this.resizeUplinks();
  }

  removeHost(host: ManagedObjectReference): void {
    const sum = this.props.summary as { host: ManagedObjectReference[] };
    this.update({
      "config.host": this.config.host.filter((m) => m.config.host.value !== host.value),
      "summary.host": sum.host.filter((r) => r.value !== host.value),
    });
    for (const pg of this.portgroups()) pg.unlink(host);
    this.resizeUplinks();
  }

  /** A new port group in the switch's folder, reaching every member host. */
  newPortgroup(spec: PortgroupConfigSpec, uplink = false, value?: string): DistributedVirtualPortgroup {
    const sim = this.sim;
    const folder = this.parentObject() as ManagedEntity & { attachChild(c: ManagedEntity): void };
    const vlan = spec.defaultPortConfig?.vlan?._type === "VmwareDistributedVirtualSwitchVlanIdSpec" ? Number(spec.defaultPortConfig.vlan.vlanId) : 0;
    const numPorts = spec.numPorts ?? 0;
    const pg = sim.inventory.add(new DistributedVirtualPortgroup(sim, value ?? sim.newRef("dvportgroup-"), spec.name!, folder.ref, this.ref, vlan, numPorts, uplink));
    const extra: Record<string, unknown> = {};
    if (spec.type) extra["config.type"] = spec.type;
    if (spec.description !== undefined) extra["config.description"] = spec.description;
    if (spec.autoExpand !== undefined) extra["config.autoExpand"] = spec.autoExpand;
    if (spec.policy) extra["config.policy"] = mergeSetting(pg.config.policy as DataObject, spec.policy);
    if (spec.defaultPortConfig) extra["config.defaultPortConfig"] = mergeSetting(pg.config.defaultPortConfig, spec.defaultPortConfig);
    if (Object.keys(extra).length) pg.update(extra);
    folder.attachChild(pg);
    this.addPortgroup(pg.ref, pg.name, numPorts, uplink);
    if (!uplink) this.sizePortgroup(pg, numPorts);
    datacenterOf(this)?.addNetwork(pg.ref);
    for (const h of this.hosts()) pg.link(h);
    return pg;
  }

  private checkNewPortgroups(specs: PortgroupConfigSpec[]): void {
    const dc = datacenterOf(this);
    const seen = new Set<string>();
    specs.forEach((spec, i) => {
      checkPortgroupSpec(spec, true, `spec[${i}].`);
      const dup = DistributedVirtualPortgroup.named(this.sim, dc, spec.name!);
      if (dup) throw new VimFault("DuplicateName", { name: spec.name, object: dup.ref });
      if (seen.has(spec.name!)) throw new VimFault("DuplicateName", { name: spec.name, object: this.ref });
      seen.add(spec.name!);
    });
  }

  private addPortgroups(specs: PortgroupConfigSpec[], userName: string): DistributedVirtualPortgroup[] {
    this.checkCapability("dvPortGroupOperationSupported");
    this.checkNewPortgroups(specs);
    return specs.map((spec) => {
      const pg = this.newPortgroup(spec);
      postNetworkEvent(this.sim, "DVPortgroupCreatedEvent", `dvPort group ${pg.name} in ${datacenterOf(this)?.name ?? ""} was added to switch ${this.name}.`, userName, { net: pg, dvs: this });
      return pg;
    });
  }

  AddDVPortgroup_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "AddDVPortgroup_Task", "DistributedVirtualSwitch.addPortgroups", user, () => {
      this.addPortgroups(Array.isArray(args.spec) ? args.spec : [args.spec], user);
    });
  }

  CreateDVPortgroup_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "CreateDVPortgroup_Task", "DistributedVirtualSwitch.addPortgroup", user, () => this.addPortgroups([args.spec], user)[0].ref, { resultType: { type: "ManagedObjectReference" } });
  }

  LookupDvPortGroup(args: Args): ManagedObjectReference {
    const pg = this.portgroups().find((p) => p.ref.value === args.portgroupKey);
    if (!pg) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: port group ${String(args.portgroupKey)}`);
    return pg.ref;
  }

  QueryUsedVlanIdInDvs(_args: Args): number[] {
    const ids = this.portgroups().filter((p) => !p.isUplink).map((p) => (p.config.defaultPortConfig as { vlan?: { _type?: string; vlanId?: unknown } }).vlan)
      .filter((v) => v?._type === "VmwareDistributedVirtualSwitchVlanIdSpec" && typeof v.vlanId === "number" && v.vlanId > 0).map((v) => v!.vlanId as number);
    return [...new Set(ids)].sort((a, b) => a - b);
  }

  ReconfigureDvs_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "ReconfigureDvs_Task", "DistributedVirtualSwitch.reconfigure", user, () => this.reconfigure(args.spec, user));
  }

  private reconfigure(spec: DataObject & Record<string, any>, userName: string): void {
    if (!spec || typeof spec !== "object") throw new VimFault("InvalidArgument", { invalidProperty: "spec" });
    const cfg = this.config;
    // a spec written against an older configuration would undo what happened since
    if (spec.configVersion !== undefined && spec.configVersion !== cfg.configVersion) {
      throw new VimFault("ConcurrentAccess", {}, "Cannot complete operation due to concurrent modification by another operation.");
    }
    const rename = spec.name !== undefined && spec.name !== this.name ? String(spec.name) : undefined;
    if (rename !== undefined) checkSwitchName(this.sim, this.parentObject() as ManagedEntity, rename, this);
    if (spec.numStandalonePorts !== undefined && (!Number.isInteger(spec.numStandalonePorts) || spec.numStandalonePorts < 0)) throw new VimFault("InvalidArgument", { invalidProperty: "numStandalonePorts" });
    if (spec.maxPorts !== undefined && (!Number.isInteger(spec.maxPorts) || spec.maxPorts < 0)) throw new VimFault("InvalidArgument", { invalidProperty: "maxPorts" });
    if (spec.maxMtu !== undefined && (!Number.isInteger(spec.maxMtu) || spec.maxMtu < 1280 || spec.maxMtu > 9000)) throw new VimFault("InvalidArgument", { invalidProperty: "maxMtu" });
    const uplinkNames = spec.uplinkPortPolicy ? uplinkNamesOf(spec.uplinkPortPolicy) : undefined;
    const ops = hostOps(this.sim, this, spec.host, true, datacenterOf(this));
    const nrc = spec.networkResourceControlVersion;
    if (nrc !== undefined) {
      if (!this.sim.schema.enumValues("DistributedVirtualSwitchNetworkResourceControlVersion")?.includes(nrc)) throw new VimFault("InvalidArgument", { invalidProperty: "networkResourceControlVersion" });
      // NIOC version 3 came with 6.0 switches
      const v = String((cfg.productInfo as { version?: string }).version);
      if (nrc === "version3" && v.localeCompare("6.0.0", undefined, { numeric: true }) < 0) throw new VimFault("InvalidArgument", { invalidProperty: "networkResourceControlVersion" });
    }
    this.checkCapability("dvsOperationSupported");

    this.saveCheckpoint();
    if (rename !== undefined) this.applyName(rename, userName);
    const changes: Record<string, unknown> = { "config.configVersion": nextVersion(cfg.configVersion) };
    for (const k of ["numStandalonePorts", "maxPorts", "description", "maxMtu", "linkDiscoveryProtocolConfig", "contact", "switchIpAddress", "defaultProxySwitchMaxNumPorts", "lacpApiVersion", "multicastFilteringMode", "networkResourceControlVersion"]) {
      if (spec[k] !== undefined) changes[`config.${k}`] = spec[k];
    }
    if (spec.description !== undefined) changes["summary.description"] = spec.description;
    if (spec.defaultPortConfig) changes["config.defaultPortConfig"] = mergeSetting(cfg.defaultPortConfig, spec.defaultPortConfig);
    if (uplinkNames) changes["config.uplinkPortPolicy"] = { _type: "DVSNameArrayUplinkPortPolicy", uplinkPortName: uplinkNames };
    this.update(changes);
    const dcName = datacenterOf(this)?.name ?? "";
    for (const op of ops) {
      const hostName = String(this.sim.inventory.get(op.host.value)?.get("name") ?? op.host.value);
      if (op.operation === "add") {
        this.addHost(op.host);
        postNetworkEvent(this.sim, "DvsHostJoinedEvent", `The host ${hostName} joined the vSphere Distributed Switch ${this.name} in ${dcName}.`, userName, { dvs: this }, { hostJoined: { _type: "HostEventArgument", name: hostName, host: op.host } });
      } else if (op.operation === "remove") {
        this.removeHost(op.host);
        postNetworkEvent(this.sim, "DvsHostLeftEvent", `The host ${hostName} left the vSphere Distributed Switch ${this.name} in ${dcName}.`, userName, { dvs: this }, { hostLeft: { _type: "HostEventArgument", name: hostName, host: op.host } });
      }
    }
    this.resizeUplinks();
    postNetworkEvent(this.sim, "DvsReconfiguredEvent", `The vSphere Distributed Switch ${this.name} in ${dcName} was reconfigured.`, userName, { dvs: this }, { configSpec: spec });
  }

  private applyName(name: string, userName: string): void {
    const old = this.name;
    this.update({ name, "config.name": name, "summary.name": name });
    postNetworkEvent(this.sim, "DvsRenamedEvent", `The vSphere Distributed Switch ${old} in ${datacenterOf(this)?.name ?? ""} was renamed to ${name}.`, userName, { dvs: this }, { oldName: old, newName: name });
  }

  protected override rename(newName: string, userName: string): void {
    checkSwitchName(this.sim, this.parentObject() as ManagedEntity, newName, this);
    this.applyName(newName, userName);
  }

  override Destroy_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "Destroy_Task", "dvs.VmwareDistributedVirtualSwitch.destroy", user, () => this.destroyBy(user));
  }

  override destroy(): void {
    this.destroyBy("");
  }

  private destroyBy(userName: string): void {
    const pgs = this.portgroups();
    const used = pgs.find((p) => vmsOn(this.sim, p.ref).length);
    if (used) throw new VimFault("ResourceInUse", { type: "DistributedVirtualPortgroup", name: used.name }, `The resource '${used.name}' is in use.`);
    postNetworkEvent(this.sim, "DvsDestroyedEvent", `vSphere Distributed Switch ${this.name} in ${datacenterOf(this)?.name ?? ""} was deleted.`, userName, { dvs: this });
    for (const pg of pgs) pg.remove();
    super.destroy();
  }
}

function uplinkNamesOf(policy: DataObject & { uplinkPortName?: unknown }): string[] {
  const names = policy.uplinkPortName;
  if (!Array.isArray(names) || !names.length || names.some((n) => typeof n !== "string" || !n) || new Set(names).size !== names.length) {
    throw new VimFault("InvalidArgument", { invalidProperty: "uplinkPortPolicy.uplinkPortName" });
  }
  return names as string[];
}

/** vpxd keeps switch names unique in a datacenter and among a folder's children. */
export function checkSwitchName(sim: SimContext, folder: ManagedEntity | undefined, name: string, self?: ManagedEntity): void {
  if (!name || name.length > 80 || /[%/\\]/.test(name)) throw new VimFault("InvalidName", { name, entity: folder?.ref });
  const dc = folder ? (folder.type === "Datacenter" ? (folder as Datacenter) : datacenterOf(folder)) : undefined;
  const clash = sim.inventory.ofType("DistributedVirtualSwitch").find((s) => s !== self && s instanceof ManagedEntity && s.name === name && datacenterOf(s) === dc)
    ?? folder?.children().map((r) => sim.inventory.get(r.value)).find((c) => c && c !== self && c.get("name") === name);
  if (clash) throw new VimFault("DuplicateName", { name, object: clash.ref });
}

type HostOp = { operation: "add" | "remove" | "edit"; host: ManagedObjectReference };

/** DistributedVirtualSwitchHostMemberConfigSpec[] checked whole before any host joins or leaves. */
function hostOps(sim: SimContext, sw: { hosts(): ManagedObjectReference[]; portgroups(): DistributedVirtualPortgroup[] } | undefined, specs: unknown, allowLeave: boolean, dc?: Datacenter): HostOp[] {
  const list = (Array.isArray(specs) ? specs : specs ? [specs] : []) as (DataObject & { operation?: string; host?: ManagedObjectReference })[];
  const members = new Set((sw?.hosts() ?? []).map((h) => h.value));
  const out: HostOp[] = [];
  list.forEach((s, i) => {
    const where = `host[${i}]`;
    const op = s?.operation;
    if (op !== "add" && op !== "remove" && op !== "edit") throw new VimFault("InvalidArgument", { invalidProperty: `${where}.operation` });
    if (!allowLeave && op !== "add") throw new VimFault("InvalidArgument", { invalidProperty: `${where}.operation` });
    const ref = s.host;
    const host = ref && typeof ref === "object" ? sim.inventory.get(ref.value) : undefined;
    if (!host || !host.isA("HostSystem")) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: host ${ref && typeof ref === "object" ? ref.value : ""}`);
    const hostDc = datacenterOf(host as ManagedEntity);
    if (dc && hostDc !== dc) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.host` }, `A specified parameter was not correct: ${where}.host (${host.get("name")} is not in datacenter ${dc.name})`);
    if (op === "add") {
      if (members.has(host.ref.value)) throw new VimFault("AlreadyExists", { name: String(host.get("name")) }, `The specified key, name, or identifier '${host.get("name")}' already exists.`);
      members.add(host.ref.value);
    } else {
      if (!members.has(host.ref.value)) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: ${host.get("name")} is not a member of the switch`);
      if (op === "remove") {
        const used = sw!.portgroups().find((p) => vmsOn(sim, p.ref, host.ref).length);
        if (used) throw new VimFault("ResourceInUse", { type: "DistributedVirtualPortgroup", name: used.name }, `The resource '${used.name}' is in use by virtual machines on ${host.get("name")}.`);
        members.delete(host.ref.value);
      }
    }
    out.push({ operation: op, host: host.ref });
  });
  return out;
}

export interface SwitchPlan extends SwitchOptions {
  name: string;
  version: string;
  /** the UUID derives from this; the scenario builder uses the switch's name */
  uuidKey?: string;
  /** a restored switch's own UUID and moref (createEntityWithOriginalIdentifier) */
  uuid?: string;
  value?: string;
  hosts: ManagedObjectReference[];
  portgroups: { name: string; vlan: number; numPorts: number }[];
}

const switchUuid = (sim: SimContext, key: string) => sim.ids.hex("dvs", key, 32).replace(/(..)/g, "$1 ").trim().replace(/^((?:.. ){7}..) /, "$1-");

/**
 * A switch, its uplink port group and its port groups in `folder`, joined by
 * `hosts`: morefs in the order vpxd hands them out (switch, uplinks, port groups).
 */
export function createDistributedSwitch(sim: SimContext, folder: ManagedEntity & { attachChild(c: ManagedEntity): void }, plan: SwitchPlan): DistributedVirtualSwitch {
  const value = plan.value ?? sim.newRef("dvs-");
  const uuid = plan.uuid ?? switchUuid(sim, plan.uuidKey ?? `${plan.name}/${value}`);
  const sw = sim.inventory.add(new DistributedVirtualSwitch(sim, value, plan.name, folder.ref, uuid, plan.version, plan));
  folder.attachChild(sw);
  sw.newPortgroup({ _type: "DVPortgroupConfigSpec", name: `${plan.name}-DVUplinks-${value.replace("dvs-", "")}`, numPorts: 0 }, true);
  for (const pg of plan.portgroups) sw.newPortgroup({ _type: "DVPortgroupConfigSpec", name: pg.name, numPorts: pg.numPorts, defaultPortConfig: vlanSetting(pg.vlan) });
  for (const h of plan.hosts) sw.addHost(h);
  sw.recount();
  return sw;
}

const DVS_VERSIONS = ["5.0.0", "5.1.0", "5.5.0", "6.0.0", "6.5.0", "6.6.0"];

/** The switch versions a vCenter of this release can create (QueryAvailableDvsSpec). */
export function availableSwitchVersions(sim: SimContext): string[] {
  const own = String((sim.content.about as { version?: string } | undefined)?.version ?? "6.0.0");
  const cmp = (a: string, b: string) => {
    const x = a.split(".").map(Number), y = b.split(".").map(Number);
    for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  };
  return DVS_VERSIONS.filter((v) => cmp(v, own) <= 0);
}

/**
 * Folder.CreateDVS_Task's work. vcsim answers a duplicate switch name with
 * InvalidArgument(name); vCenter says DuplicateName, and so do we.
 */
export function createSwitchFromSpec(sim: SimContext, folder: ManagedEntity & { attachChild(c: ManagedEntity): void }, spec: DataObject & Record<string, any>, userName: string): DistributedVirtualSwitch {
  const cfg = spec?.configSpec as (DataObject & Record<string, any>) | undefined;
  if (!cfg || typeof cfg !== "object") throw new VimFault("InvalidArgument", { invalidProperty: "spec.configSpec" });
  const name = cfg.name;
  if (typeof name !== "string") throw new VimFault("InvalidName", { name: "", entity: folder.ref });
  checkSwitchName(sim, folder, name);
  const dc = datacenterOf(folder);
  const version = spec.productInfo?.version ?? availableSwitchVersions(sim).at(-1)!;
  if (!availableSwitchVersions(sim).includes(version)) throw new VimFault("InvalidArgument", { invalidProperty: "spec.productInfo.version" });
  if (cfg.numStandalonePorts !== undefined && (!Number.isInteger(cfg.numStandalonePorts) || cfg.numStandalonePorts < 0)) throw new VimFault("InvalidArgument", { invalidProperty: "spec.configSpec.numStandalonePorts" });
  if (cfg.maxMtu !== undefined && (!Number.isInteger(cfg.maxMtu) || cfg.maxMtu < 1280 || cfg.maxMtu > 9000)) throw new VimFault("InvalidArgument", { invalidProperty: "spec.configSpec.maxMtu" });
  const uplinkPortNames = cfg.uplinkPortPolicy ? uplinkNamesOf(cfg.uplinkPortPolicy) : undefined;
  const ops = hostOps(sim, undefined, cfg.host, false, dc);
  const sw = createDistributedSwitch(sim, folder, {
    name, version, hosts: [], portgroups: [], uplinkPortNames, numStandalonePorts: cfg.numStandalonePorts, maxPorts: cfg.maxPorts, description: cfg.description, maxMtu: cfg.maxMtu,
  });
  const parentArg = { _type: "FolderEventArgument", name: folder.name, folder: folder.ref };
  postNetworkEvent(sim, "DvsCreatedEvent", `A vSphere Distributed Switch ${name} was created in ${dc?.name ?? ""}.`, userName, { dvs: sw }, { parent: parentArg });
  const uplink = sw.portgroups()[0];
  if (uplink) postNetworkEvent(sim, "DVPortgroupCreatedEvent", `dvPort group ${uplink.name} in ${dc?.name ?? ""} was added to switch ${name}.`, userName, { net: uplink, dvs: sw });
  for (const op of ops) {
    sw.addHost(op.host);
    const hostName = String(sim.inventory.get(op.host.value)?.get("name") ?? "");
    postNetworkEvent(sim, "DvsHostJoinedEvent", `The host ${hostName} joined the vSphere Distributed Switch ${name} in ${dc?.name ?? ""}.`, userName, { dvs: sw }, { hostJoined: { _type: "HostEventArgument", name: hostName, host: op.host } });
  }
  return sw;
}

type Pool = DataObject & { key: string; name?: string; description?: string; configVersion: string; allocationInfo: DataObject & Record<string, unknown> };
type Lag = DataObject & { key: string; name: string; mode: string; uplinkNum: number; loadbalanceAlgorithm: string; vlan?: unknown; ipfix?: unknown; uplinkName?: string[]; uplinkPortKey?: string[] };
type Checkpoint = { config: DataObject; portgroups: Record<string, DataObject> };
type VnicPool = DataObject & { key: string; name?: string; description?: string; configVersion: string; allocationInfo?: DataObject & { reservationQuota?: number } };

/**
 * EntityBackupConfig.configBlob as this simulator writes it: the bytes are
 * UTF-8 JSON (so base64 of JSON on the wire), tagged with `format` and
 * `version` so a later layout can still read this one. vCenter's own blob
 * is opaque (a binary of its own); clients only hand it back, which is all
 * that matters here. A switch's blob carries its port groups, as
 * Export-VDSwitch does without -WithoutPortGroups; a port group's carries it
 * alone, naming its switch.
 */
export interface Backup {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_VERSION;
  entityType: "distributedVirtualSwitch" | "distributedVirtualPortgroup";
  switch: { uuid: string; key: string; name: string; productVersion: string; config: DataObject & Record<string, unknown>; networkResourcePool?: DataObject[] };
  portgroups: { key: string; uplink: boolean; config: DataObject & Record<string, unknown> }[];
}
const BACKUP_FORMAT = "vsphere-sim-dvs-backup";
const BACKUP_VERSION = 1;
/** Switch settings a backup keeps beyond those a rollback spec carries. */
const BACKUP_SWITCH_EXTRA = ["networkResourceManagementEnabled", "networkResourceControlVersion", "healthCheckConfig", "lacpGroupConfig", "vmVnicNetworkResourcePool"];

export function writeBackup(b: Backup): Buffer {
  return Buffer.from(JSON.stringify(b), "utf8");
}

/** The backup an EntityBackupConfig carries, or undefined when its blob is none of ours. */
export function readBackup(entityBackup: unknown): Backup | undefined {
  const blob = (entityBackup as { configBlob?: unknown } | undefined)?.configBlob;
  const text = Buffer.isBuffer(blob) ? blob.toString("utf8") : typeof blob === "string" ? Buffer.from(blob, "base64").toString("utf8") : undefined;
  if (!text) return undefined;
  try {
    const b = JSON.parse(text) as Backup;
    if (b?.format !== BACKUP_FORMAT || b.version !== BACKUP_VERSION || !b.switch?.config || !Array.isArray(b.portgroups)) return undefined;
    if (b.entityType !== "distributedVirtualSwitch" && b.entityType !== "distributedVirtualPortgroup") return undefined;
    return b;
  } catch {
    return undefined;
  }
}

function pick(o: Record<string, unknown>, keys: string[]): DataObject & Record<string, unknown> {
  const out: DataObject & Record<string, unknown> = { _type: String(o._type ?? "") };
  for (const k of keys) if (o[k] !== undefined) out[k] = structuredClone(o[k]);
  return out;
}
type SwitchState = SavedState & { ports?: ReturnType<PortStore["save"]>; checkpoint?: Checkpoint; counters?: { pool: number; lag: number } };

function listOf<T>(v: unknown): T[] {
  return (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]) as T[];
}

const HEALTH_CHECKS = ["VMwareDVSVlanMtuHealthCheckConfig", "VMwareDVSTeamingHealthCheckConfig"];
/** vSphere 6.0's configuration maximums: 64 LAGs a switch, 32 ports a LAG */
const MAX_LAGS = 64;
const MAX_LAG_UPLINKS = 32;

/** What a rolled-back switch or group spec carries: the settings ReconfigureDvs_Task and ReconfigureDVPortgroup_Task take (not host membership). */
const ROLLBACK_SWITCH_FIELDS = ["name", "numStandalonePorts", "maxPorts", "uplinkPortPolicy", "defaultPortConfig", "description", "contact", "switchIpAddress", "defaultProxySwitchMaxNumPorts", "maxMtu", "linkDiscoveryProtocolConfig", "lacpApiVersion", "multicastFilteringMode"];
const ROLLBACK_PORTGROUP_FIELDS = ["name", "numPorts", "type", "defaultPortConfig", "description", "policy", "autoExpand"];

/**
 * The system network resource pools (NIOC version 2) of a switch of `version`,
 * as the hosts' proxy switches list them (netsched.pools.persist.*): vsan came
 * with 5.5 and vdp with 6.0. Their names are the vSphere Web Client's.
 */
function systemPools(version: string): Pool[] {
  const at = (v: string) => version.localeCompare(v, undefined, { numeric: true }) >= 0;
  const pools: [string, string, boolean][] = [
    ["ft", "Fault Tolerance (FT) Traffic", true], ["hbr", "vSphere Replication (VR) Traffic", at("5.1.0")], ["iscsi", "iSCSI Traffic", true],
    ["mgmt", "Management Traffic", true], ["nfs", "NFS Traffic", true], ["vdp", "vSphere Data Protection Backup Traffic", at("6.0.0")],
    ["vm", "Virtual Machine Traffic", true], ["vmotion", "vMotion Traffic", true], ["vsan", "Virtual SAN Traffic", at("5.5.0")],
  ];
  return pools.filter(([, , on]) => on).map(([k, name]) => ({
    _type: "DVSNetworkResourcePool", key: `netsched.pools.persist.${k}`, name, description: name, configVersion: "0",
    allocationInfo: { _type: "DVSNetworkResourcePoolAllocationInfo", limit: -1, shares: k === "vm" ? { _type: "SharesInfo", level: "high", shares: 100 } : { _type: "SharesInfo", level: "normal", shares: 50 }, priorityTag: 0 },
  }));
}

const isSystemPool = (key: string) => key.startsWith("netsched.pools.persist.");

const DEFAULT_ALLOCATION = { _type: "DVSNetworkResourcePoolAllocationInfo", limit: -1, shares: { _type: "SharesInfo", level: "normal", shares: 50 }, priorityTag: 0 };
/** NIOC shares: low, normal and high are 25, 50 and 100; custom ones 1 to 100 */
const SHARE_LEVELS: Record<string, number> = { low: 25, normal: 50, high: 100 };

function allocation(cur: DataObject & Record<string, unknown>, given: unknown, where: string): DataObject & Record<string, unknown> {
  if (given === undefined || given === null) return cur;
  const g = given as { limit?: unknown; shares?: { level?: string; shares?: unknown }; priorityTag?: unknown };
  const out: DataObject & Record<string, unknown> = { ...cur, _type: "DVSNetworkResourcePoolAllocationInfo" };
  if (g.limit !== undefined) {
    if (!Number.isInteger(g.limit) || (g.limit as number) < -1 || g.limit === 0) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.limit` });
    out.limit = g.limit;
  }
  if (g.shares !== undefined) {
    const level = g.shares.level;
    if (level === "custom") {
      if (!Number.isInteger(g.shares.shares) || (g.shares.shares as number) < 1 || (g.shares.shares as number) > 100) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.shares.shares` });
      out.shares = { _type: "SharesInfo", level, shares: g.shares.shares };
    } else if (level && level in SHARE_LEVELS) {
      out.shares = { _type: "SharesInfo", level, shares: SHARE_LEVELS[level] };
    } else {
      throw new VimFault("InvalidArgument", { invalidProperty: `${where}.shares.level` });
    }
  }
  if (g.priorityTag !== undefined) {
    if (!Number.isInteger(g.priorityTag) || (g.priorityTag as number) < 0 || (g.priorityTag as number) > 7) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.priorityTag` });
    out.priorityTag = g.priorityTag;
  }
  return out;
}

/** A port setting's policies that differ from its group's need the group's policy to allow the override (vCenter answers InvalidArgument otherwise). */
const OVERRIDES: Record<string, string> = {
  blocked: "blockOverrideAllowed", vlan: "vlanOverrideAllowed", inShapingPolicy: "shapingOverrideAllowed", outShapingPolicy: "shapingOverrideAllowed",
  vendorSpecificConfig: "vendorConfigOverrideAllowed", networkResourcePoolKey: "networkResourcePoolOverrideAllowed", securityPolicy: "securityPolicyOverrideAllowed",
  uplinkTeamingPolicy: "uplinkTeamingOverrideAllowed", ipfixEnabled: "ipfixOverrideAllowed", filterPolicy: "trafficFilterOverrideAllowed", macManagementPolicy: "macManagementOverrideAllowed",
};

function checkPortSetting(setting: unknown, pg: DistributedVirtualPortgroup | undefined, where: string): void {
  if (!setting || typeof setting !== "object") throw new VimFault("InvalidArgument", { invalidProperty: where });
  const s = setting as Record<string, { inherited?: boolean; vlanId?: unknown; _type?: string } | undefined>;
  const vlan = s.vlan;
  if (vlan?._type === "VmwareDistributedVirtualSwitchVlanIdSpec" && (!Number.isInteger(vlan.vlanId) || (vlan.vlanId as number) < 0 || (vlan.vlanId as number) > 4094)) {
    throw new VimFault("InvalidArgument", { invalidProperty: `${where}.vlan.vlanId` });
  }
  // a standalone port has no group policy to answer to
  const policy = pg?.config.policy as Record<string, unknown> | undefined;
  if (!policy) return;
  for (const [k, allowed] of Object.entries(OVERRIDES)) {
    const v = s[k];
    if (v && typeof v === "object" && v.inherited === false && policy[allowed] !== true) {
      throw new VimFault("InvalidArgument", { invalidProperty: `${where}.${k}` }, `A specified parameter was not correct: ${where}.${k} (the port group ${pg!.name} does not allow ${allowed.replace("Allowed", "")})`);
    }
  }
}
