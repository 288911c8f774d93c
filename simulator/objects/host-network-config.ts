// Edits of a host's HostNetworkInfo (vSwitches and port groups), made on a
// draft so that a batch (UpdateNetworkConfig) is all or nothing: a fault
// half-way through leaves the host as it was. The draft also notes which
// port groups gain or lose their Network, for the caller to apply in order.
import { VimFault, type DataObject } from "../../vim25/soap/index.ts";

export type PortgroupSpec = DataObject & { name: string; vlanId: number; vswitchName: string; policy?: DataObject };
export type Portgroup = DataObject & { key: string; vswitch: string; spec: PortgroupSpec };
export type VirtualSwitchSpec = DataObject & { numPorts?: number; bridge?: DataObject & { nicDevice?: unknown }; mtu?: number; policy?: DataObject };
export type VirtualSwitch = DataObject & { name: string; key: string; numPorts: number; numPortsAvailable: number; mtu?: number; portgroup: string[]; pnic: string[]; spec: VirtualSwitchSpec };
export type NetInfo = DataObject & {
  vswitch: VirtualSwitch[];
  portgroup: Portgroup[];
  pnic?: (DataObject & { key: string; device: string })[];
  vnic?: (DataObject & { device: string; portgroup: string })[];
};

export type NetworkEffect = { op: "add" | "remove"; name: string };

/** How hostd reports a port group's and a vSwitch's identity. */
export const portgroupKey = (name: string) => `key-vim.host.PortGroup-${name}`;
export const vswitchKey = (name: string) => `key-vim.host.VirtualSwitch-${name}`;
const pnicKey = (device: string) => `key-vim.host.PhysicalNic-${device}`;

// ESXi caps a standard vSwitch at 4088 ports (4096 less the 8 it keeps for itself)
const MAX_PORTS = 4088;
// hostd refuses vSwitch names longer than this
const MAX_VSWITCH_NAME = 32;

const alreadyExists = (name: string) => new VimFault("AlreadyExists", { name }, `The specified key, name, or identifier '${name}' already exists.`);
const notFound = (what: string) => new VimFault("NotFound", {}, `The object or item referred to could not be found: ${what}`);
const inUse = (name: string) => new VimFault("ResourceInUse", { name }, `The resource '${name}' is in use.`);

export class NetworkDraft {
  info: NetInfo;
  readonly effects: NetworkEffect[] = [];
  /** port groups that have a Network in the inventory (hostd lists none for vmkernel-only ones) */
  private readonly withNetwork: Set<string>;

  constructor(info: NetInfo, networkNames: Iterable<string>, private readonly usedByVm: (pgName: string) => boolean) {
    this.info = { ...info, vswitch: [...(info.vswitch ?? [])], portgroup: [...(info.portgroup ?? [])] };
    const names = new Set(networkNames);
    this.withNetwork = new Set(this.info.portgroup.map((p) => p.spec.name).filter((n) => names.has(n)));
  }

  private vswitch(name: string): VirtualSwitch | undefined {
    return this.info.vswitch.find((v) => v.name === name);
  }

  private portgroup(name: string): Portgroup | undefined {
    return this.info.portgroup.find((p) => p.spec.name === name);
  }

  private vnicsOn(pgName: string): string[] {
    return (this.info.vnic ?? []).filter((v) => v.portgroup === pgName).map((v) => v.device);
  }

  /** The uplinks a spec names, checked against the host's pnics and the other vSwitches. */
  private uplinks(spec: VirtualSwitchSpec | undefined, self: string | undefined): string[] {
    const bridge = spec?.bridge;
    if (!bridge || typeof bridge !== "object") return [];
    const raw = bridge.nicDevice;
    const nics = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    const out: string[] = [];
    for (const nic of nics) {
      if (typeof nic !== "string" || out.includes(nic)) throw new VimFault("InvalidArgument", { invalidProperty: "spec.bridge.nicDevice" });
      if (!(this.info.pnic ?? []).some((p) => p.device === nic)) throw notFound(`physical NIC ${nic}`);
      const owner = this.info.vswitch.find((v) => v.name !== self && v.pnic.includes(pnicKey(nic)));
      if (owner) throw new VimFault("ResourceInUse", { type: "PhysicalNic", name: nic }, `The resource '${nic}' is in use by ${owner.name}.`);
      out.push(nic);
    }
    return out;
  }

  private checkSpec(spec: VirtualSwitchSpec | undefined): void {
    if (spec === undefined) return;
    if (!spec || typeof spec !== "object") throw new VimFault("InvalidArgument", { invalidProperty: "spec" });
    const n = spec.numPorts;
    if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > MAX_PORTS)) throw new VimFault("InvalidArgument", { invalidProperty: "spec.numPorts" });
    const mtu = spec.mtu;
    if (mtu !== undefined && (!Number.isInteger(mtu) || mtu < 1280 || mtu > 9000)) throw new VimFault("InvalidArgument", { invalidProperty: "spec.mtu" });
  }

  private static bridgeFor(nics: string[], given: VirtualSwitchSpec["bridge"]): DataObject | undefined {
    if (!nics.length) return undefined;
    // keep what the caller said about beacons and link discovery; the NIC list is ours
    const base = given && given._type === "HostVirtualSwitchBondBridge" ? given : {};
    return { ...base, _type: "HostVirtualSwitchBondBridge", nicDevice: nics };
  }

  addVirtualSwitch(name: unknown, spec: VirtualSwitchSpec | undefined): void {
    if (typeof name !== "string" || !name || name.length > MAX_VSWITCH_NAME || /[\s/\\]/.test(name)) throw new VimFault("InvalidArgument", { invalidProperty: "vswitchName" });
    if (this.vswitch(name)) throw alreadyExists(name);
    this.checkSpec(spec);
    const nics = this.uplinks(spec, undefined);
    const numPorts = spec?.numPorts ?? 128;
    const mtu = spec?.mtu ?? 1500;
    this.info.vswitch.push({
      _type: "HostVirtualSwitch",
      name,
      key: vswitchKey(name),
      // ESXi 6 vSwitches grow on demand: the host reports its elastic maximum, the spec what was asked
      numPorts: 1536,
      numPortsAvailable: 1536 - nics.length,
      mtu,
      portgroup: [],
      pnic: nics.map(pnicKey),
      spec: { _type: "HostVirtualSwitchSpec", numPorts, bridge: NetworkDraft.bridgeFor(nics, spec?.bridge), policy: spec?.policy, mtu },
    });
  }

  updateVirtualSwitch(name: unknown, spec: VirtualSwitchSpec | undefined): void {
    const vs = typeof name === "string" ? this.vswitch(name) : undefined;
    if (!vs) throw notFound(`vSwitch ${String(name)}`);
    if (!spec || typeof spec !== "object") throw new VimFault("InvalidArgument", { invalidProperty: "spec" });
    this.checkSpec(spec);
    const nics = this.uplinks(spec, vs.name);
    const mtu = spec.mtu ?? vs.spec.mtu ?? 1500;
    const next: VirtualSwitch = {
      ...vs,
      mtu,
      pnic: nics.map(pnicKey),
      numPortsAvailable: vs.numPortsAvailable + vs.pnic.length - nics.length,
      spec: { ...vs.spec, numPorts: spec.numPorts ?? vs.spec.numPorts, bridge: NetworkDraft.bridgeFor(nics, spec.bridge), policy: spec.policy ?? vs.spec.policy, mtu },
    };
    this.info.vswitch = this.info.vswitch.map((v) => (v === vs ? next : v));
  }

  removeVirtualSwitch(name: unknown): void {
    const vs = typeof name === "string" ? this.vswitch(name) : undefined;
    if (!vs) throw notFound(`vSwitch ${String(name)}`);
    const pgs = this.info.portgroup.filter((p) => p.vswitch === vs.key);
    for (const pg of pgs) this.checkRemovable(pg);
    for (const pg of pgs) this.dropPortgroup(pg);
    this.info.vswitch = this.info.vswitch.filter((v) => v.name !== vs.name);
  }

  private checkPortgroupSpec(spec: PortgroupSpec | undefined): asserts spec is PortgroupSpec {
    if (!spec || typeof spec !== "object") throw new VimFault("InvalidArgument", { invalidProperty: "portgrp" });
    if (typeof spec.name !== "string" || !spec.name) throw new VimFault("InvalidArgument", { invalidProperty: "portgrp.name" });
    if (!Number.isInteger(spec.vlanId) || spec.vlanId < 0 || spec.vlanId > 4095) throw new VimFault("InvalidArgument", { invalidProperty: "portgrp.vlanId" });
  }

  addPortgroup(spec: PortgroupSpec | undefined): void {
    this.checkPortgroupSpec(spec);
    if (this.portgroup(spec.name)) throw alreadyExists(spec.name);
    const vs = this.vswitch(spec.vswitchName);
    if (!vs) throw notFound(`vSwitch ${spec.vswitchName}`);
    const key = portgroupKey(spec.name);
    this.info.portgroup.push({
      _type: "HostPortGroup", key, port: [], vswitch: vs.key, computedPolicy: { _type: "HostNetworkPolicy" },
      spec: { _type: "HostPortGroupSpec", name: spec.name, vlanId: spec.vlanId, vswitchName: vs.name, policy: spec.policy ?? { _type: "HostNetworkPolicy" } },
    });
    this.info.vswitch = this.info.vswitch.map((v) => (v === vs ? { ...v, portgroup: [...v.portgroup, key] } : v));
    this.withNetwork.add(spec.name);
    this.effects.push({ op: "add", name: spec.name });
  }

  private checkRemovable(pg: Portgroup): void {
    const name = pg.spec.name;
    if (this.vnicsOn(name).length || this.usedByVm(name)) throw inUse(name);
  }

  private dropPortgroup(pg: Portgroup): void {
    this.info.portgroup = this.info.portgroup.filter((p) => p !== pg);
    this.info.vswitch = this.info.vswitch.map((v) => (v.key === pg.vswitch ? { ...v, portgroup: v.portgroup.filter((k) => k !== pg.key) } : v));
    if (this.withNetwork.delete(pg.spec.name)) this.effects.push({ op: "remove", name: pg.spec.name });
  }

  removePortgroup(name: unknown): void {
    const pg = typeof name === "string" ? this.portgroup(name) : undefined;
    if (!pg) throw notFound(`port group ${String(name)}`);
    this.checkRemovable(pg);
    this.dropPortgroup(pg);
  }

  /**
   * UpdatePortGroup: name, VLAN, policy and vSwitch. A rename replaces the
   * Network (its name is its identity), which VMs on it would lose; vmkernel
   * NICs follow the rename, as they do on ESXi.
   */
  updatePortgroup(pgName: unknown, spec: PortgroupSpec | undefined): void {
    const pg = typeof pgName === "string" ? this.portgroup(pgName) : undefined;
    if (!pg) throw notFound(`port group ${String(pgName)}`);
    if (!spec || typeof spec !== "object") throw new VimFault("InvalidArgument", { invalidProperty: "portgrp" });
    const merged = { ...pg.spec, ...Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined && v !== "")) } as PortgroupSpec;
    this.checkPortgroupSpec(merged);
    const oldName = pg.spec.name;
    const renamed = merged.name !== oldName;
    if (renamed && this.portgroup(merged.name)) throw alreadyExists(merged.name);
    if (renamed && this.usedByVm(oldName)) throw inUse(oldName);
    const vs = this.vswitch(merged.vswitchName);
    if (!vs) throw notFound(`vSwitch ${merged.vswitchName}`);
    const key = portgroupKey(merged.name);
    const next: Portgroup = { ...pg, key, vswitch: vs.key, spec: { ...merged, _type: "HostPortGroupSpec", vswitchName: vs.name, policy: merged.policy ?? { _type: "HostNetworkPolicy" } } };
    this.info.portgroup = this.info.portgroup.map((p) => (p === pg ? next : p));
    this.info.vswitch = this.info.vswitch.map((v) => {
      const without = v.portgroup.filter((k) => k !== pg.key);
      return v.key === vs.key ? { ...v, portgroup: [...without, key] } : without.length !== v.portgroup.length ? { ...v, portgroup: without } : v;
    });
    if (!renamed) return;
    if (this.info.vnic?.some((v) => v.portgroup === oldName)) {
      this.info.vnic = this.info.vnic.map((v) => (v.portgroup === oldName ? { ...v, portgroup: merged.name } : v));
    }
    if (this.withNetwork.delete(oldName)) {
      this.withNetwork.add(merged.name);
      this.effects.push({ op: "remove", name: oldName }, { op: "add", name: merged.name });
    }
  }

  /**
   * UpdateNetworkConfig in "modify" mode: vSwitches are added and edited
   * first, so port groups may name them, and removed last, after their
   * port groups have moved or gone.
   */
  apply(config: DataObject & { vswitch?: unknown; portgroup?: unknown }): void {
    const list = (v: unknown) => (Array.isArray(v) ? v : []) as (DataObject & Record<string, any>)[];
    const op = (c: DataObject & Record<string, any>, what: string) => {
      const o = c?.changeOperation ?? "edit";
      if (o !== "add" && o !== "edit" && o !== "remove") throw new VimFault("InvalidArgument", { invalidProperty: `${what}.changeOperation` });
      return o as "add" | "edit" | "remove";
    };
    const vswitches = list(config.vswitch);
    const portgroups = list(config.portgroup);
    for (const c of vswitches) {
      const o = op(c, "vswitch");
      if (o === "add") this.addVirtualSwitch(c.name, c.spec);
      else if (o === "edit") this.updateVirtualSwitch(c.name, c.spec);
    }
    for (const c of portgroups) {
      const o = op(c, "portgroup");
      if (o === "add") this.addPortgroup(c.spec);
      else if (o === "edit") this.updatePortgroup(c.spec?.name, c.spec);
      else this.removePortgroup(c.spec?.name);
    }
    for (const c of vswitches) if (op(c, "vswitch") === "remove") this.removeVirtualSwitch(c.name);
  }
}
