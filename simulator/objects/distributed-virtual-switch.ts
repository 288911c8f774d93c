// A vSphere Distributed Switch (vCenter only): its port groups, the uplink
// port group first, and the hosts that join it. The scenario builder and
// Folder.CreateDVS_Task make switches through the same createDistributedSwitch.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import type { Args, CallContext, SavedState } from "./managed-object.ts";
import { PortStore, fetchDvPorts, type DvPort } from "./dv-ports.ts";
import type { Datacenter } from "./datacenter.ts";
import {
  DistributedVirtualPortgroup, checkPortgroupSpec, mergeSetting, nextVersion, postNetworkEvent, vlanSetting, vmsOn,
  type PortgroupConfigSpec,
} from "./distributed-virtual-portgroup.ts";
import type { SimContext } from "../sim-context.ts";

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
      },
      capability: { _type: "DVSCapability", dvsOperationSupported: true, dvPortGroupOperationSupported: true, dvPortOperationSupported: true },
      networkResourcePool: [],
      runtime: { _type: "DVSRuntimeInfo", hostMemberRuntime: [] },
    });
  }

  override saveState(): SavedState & { ports: ReturnType<PortStore["save"]> } {
    return { ...super.saveState(), ports: this.store.save() };
  }

  override loadState(s: SavedState & { ports?: ReturnType<PortStore["save"]> }): void {
    super.loadState(s);
    this.store.load(s.ports);
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
    const names = this.config.uplinkPortPolicy.uplinkPortName;
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
  newPortgroup(spec: PortgroupConfigSpec, uplink = false): DistributedVirtualPortgroup {
    const sim = this.sim;
    const folder = this.parentObject() as ManagedEntity & { attachChild(c: ManagedEntity): void };
    const vlan = spec.defaultPortConfig?.vlan?._type === "VmwareDistributedVirtualSwitchVlanIdSpec" ? Number(spec.defaultPortConfig.vlan.vlanId) : 0;
    const numPorts = spec.numPorts ?? 0;
    const pg = sim.inventory.add(new DistributedVirtualPortgroup(sim, sim.newRef("dvportgroup-"), spec.name!, folder.ref, this.ref, vlan, numPorts, uplink));
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

    if (rename !== undefined) this.applyName(rename, userName);
    const changes: Record<string, unknown> = { "config.configVersion": nextVersion(cfg.configVersion) };
    for (const k of ["numStandalonePorts", "maxPorts", "description", "maxMtu", "linkDiscoveryProtocolConfig", "contact", "switchIpAddress", "defaultProxySwitchMaxNumPorts", "lacpApiVersion", "multicastFilteringMode"]) {
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
function checkSwitchName(sim: SimContext, folder: ManagedEntity | undefined, name: string, self?: ManagedEntity): void {
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
  hosts: ManagedObjectReference[];
  portgroups: { name: string; vlan: number; numPorts: number }[];
}

const switchUuid = (sim: SimContext, key: string) => sim.ids.hex("dvs", key, 32).replace(/(..)/g, "$1 ").trim().replace(/^((?:.. ){7}..) /, "$1-");

/**
 * A switch, its uplink port group and its port groups in `folder`, joined by
 * `hosts`: morefs in the order vpxd hands them out (switch, uplinks, port groups).
 */
export function createDistributedSwitch(sim: SimContext, folder: ManagedEntity & { attachChild(c: ManagedEntity): void }, plan: SwitchPlan): DistributedVirtualSwitch {
  const value = sim.newRef("dvs-");
  const uuid = switchUuid(sim, plan.uuidKey ?? `${plan.name}/${value}`);
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
