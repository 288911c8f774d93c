// Edits of a host's HostNetworkInfo (vSwitches and port groups), made on a
// draft so that a batch (UpdateNetworkConfig) is all or nothing: a fault
// half-way through leaves the host as it was. The draft also notes which
// port groups gain or lose their Network, for the caller to apply in order.
import { VimFault, type DataObject } from "../../vim25/soap/index.ts";

export type PortgroupSpec = DataObject & { name: string; vlanId: number; vswitchName: string; policy?: DataObject };
export type Portgroup = DataObject & { key: string; vswitch: string; spec: PortgroupSpec };
export type VirtualSwitchSpec = DataObject & { numPorts?: number; bridge?: DataObject & { nicDevice?: unknown }; mtu?: number; policy?: DataObject };
export type VirtualSwitch = DataObject & { name: string; key: string; numPorts: number; numPortsAvailable: number; mtu?: number; portgroup: string[]; pnic: string[]; spec: VirtualSwitchSpec };
export type IpConfig = DataObject & { dhcp?: boolean; ipAddress?: string; subnetMask?: string };
export type DvPortConnection = DataObject & { switchUuid?: string; portgroupKey?: string; portKey?: string; connectionCookie?: number };
export type VirtualNicSpec = DataObject & { ip?: IpConfig; mac?: string; mtu?: number; tsoEnabled?: boolean; portgroup?: string; distributedVirtualPort?: DvPortConnection };
export type VirtualNic = DataObject & { device: string; key: string; portgroup: string; spec: VirtualNicSpec; port?: string };
export type PortgroupPort = DataObject & { key: string; mac: string[]; type: string };
export type RouteEntry = DataObject & { network: string; prefixLength: number; gateway: string; deviceName?: string };
export type DnsConfig = DataObject & { dhcp: boolean; virtualNicDevice?: string; hostName: string; domainName: string; address: string[]; searchDomain: string[] };
export type RouteConfig = DataObject & { defaultGateway?: string; gatewayDevice?: string; ipV6DefaultGateway?: string; ipV6GatewayDevice?: string };
export type NetInfo = DataObject & {
  vswitch: VirtualSwitch[];
  portgroup: Portgroup[];
  pnic?: (DataObject & { key: string; device: string })[];
  vnic?: VirtualNic[];
  dnsConfig?: DnsConfig;
  ipRouteConfig?: RouteConfig;
  routeTableInfo?: DataObject & { ipRoute?: RouteEntry[]; ipv6Route?: RouteEntry[] };
};

/**
 * What a vmkernel NIC on a distributed port needs from the switch, which
 * the caller (HostNetworkSystem, which sees the inventory) provides: the
 * port it gets, or a fault.
 */
export type DvPortBinder = (conn: DvPortConnection, device: string) => DvPortConnection;

export type NetworkEffect = { op: "add" | "remove"; name: string };

/** How hostd reports a port group's and a vSwitch's identity. */
export const portgroupKey = (name: string) => `key-vim.host.PortGroup-${name}`;
export const vswitchKey = (name: string) => `key-vim.host.VirtualSwitch-${name}`;
const pnicKey = (device: string) => `key-vim.host.PhysicalNic-${device}`;
const vnicKey = (device: string) => `key-vim.host.VirtualNic-${device}`;
const portKey = (id: number) => `key-vim.host.PortGroup.Port-${id}`;
// the port ID hostd gave vmk0 on a fresh install; later ports count on from it
const FIRST_PORT_ID = 33554436;

// ESXi caps a standard vSwitch at 4088 ports (4096 less the 8 it keeps for itself)
const MAX_PORTS = 4088;
// hostd refuses vSwitch names longer than this
const MAX_VSWITCH_NAME = 32;

const alreadyExists = (name: string) => new VimFault("AlreadyExists", { name }, `The specified key, name, or identifier '${name}' already exists.`);
const notFound = (what: string) => new VimFault("NotFound", {}, `The object or item referred to could not be found: ${what}`);
const inUse = (name: string) => new VimFault("ResourceInUse", { name }, `The resource '${name}' is in use.`);
const invalid = (property: string, why: string) => new VimFault("InvalidArgument", { invalidProperty: property }, `A specified parameter was not correct: ${property} (${why})`);
const hostConfigFault = (message: string) => new VimFault("HostConfigFault", {}, message);

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const ipv4 = (s: unknown): s is string => typeof s === "string" && IPV4.test(s);
const toInt = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
const fromInt = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
const maskOf = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
/** The prefix length of a contiguous IPv4 netmask, or -1. */
function prefixOf(mask: string): number {
  const n = toInt(mask);
  for (let p = 0; p <= 32; p++) if (maskOf(p) === n) return p;
  return -1;
}
const networkOf = (ip: string, prefix: number) => fromInt((toInt(ip) & maskOf(prefix)) >>> 0);
/** IPv6 as hostd's resolver list takes it: hex groups, one "::" at most. */
const ipv6 = (s: string) => /^[0-9a-f:.]+$/i.test(s) && s.includes(":") && (s.match(/::/g) ?? []).length <= 1 && s.split(":").every((g) => g.length <= 4 || IPV4.test(g));
// RFC 1123 labels: what hostd accepts for the host name and each domain label
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;
// the vmkernel MTU range ESXi accepts (1280 is IPv6's minimum)
const MIN_MTU = 1280;
const MAX_MTU = 9000;

export class NetworkDraft {
  info: NetInfo;
  readonly effects: NetworkEffect[] = [];
  /** port groups that have a Network in the inventory (hostd lists none for vmkernel-only ones) */
  private readonly withNetwork: Set<string>;

  constructor(info: NetInfo, networkNames: Iterable<string>, private readonly usedByVm: (pgName: string) => boolean) {
    this.info = { ...info, vswitch: [...(info.vswitch ?? [])], portgroup: [...(info.portgroup ?? [])], vnic: [...(info.vnic ?? [])] };
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

  // ---- vmkernel NICs ----

  private vnic(device: unknown): VirtualNic | undefined {
    return typeof device === "string" ? this.info.vnic!.find((v) => v.device === device) : undefined;
  }

  /** The static address and prefix of each vmkernel NIC (DHCP ones have none to route by). */
  private subnets(except?: string): { device: string; ip: string; prefix: number }[] {
    return this.info.vnic!.filter((v) => v.device !== except && !v.spec.ip?.dhcp && ipv4(v.spec.ip?.ipAddress) && ipv4(v.spec.ip?.subnetMask))
      .map((v) => ({ device: v.device, ip: v.spec.ip!.ipAddress!, prefix: prefixOf(v.spec.ip!.subnetMask!) }));
  }

  /** The vmkernel NIC whose subnet holds `ip`, as the host's routing would pick it. */
  private deviceFor(ip: string): string | undefined {
    return this.subnets().find((s) => networkOf(s.ip, s.prefix) === networkOf(ip, s.prefix))?.device;
  }

  private checkIp(ip: IpConfig | undefined, prop: string, self?: string): IpConfig {
    if (!ip || typeof ip !== "object") throw invalid(prop, "an IP configuration is required");
    if (ip.dhcp) return { _type: "HostIpConfig", dhcp: true };
    if (!ipv4(ip.ipAddress)) throw invalid(`${prop}.ipAddress`, `${JSON.stringify(ip.ipAddress ?? "")} is not an IPv4 address`);
    const prefix = ipv4(ip.subnetMask) ? prefixOf(ip.subnetMask) : -1;
    if (prefix < 1) throw invalid(`${prop}.subnetMask`, `${JSON.stringify(ip.subnetMask ?? "")} is not a subnet mask`);
    const taken = this.subnets(self).find((s) => s.ip === ip.ipAddress);
    // hostd's vmknic layer refuses a second interface with the same address
    if (taken) throw hostConfigFault(`Unable to set IP address ${ip.ipAddress} on the vmkernel NIC: the address is in use by ${taken.device}.`);
    return { _type: "HostIpConfig", dhcp: false, ipAddress: ip.ipAddress, subnetMask: ip.subnetMask };
  }

  private checkMtu(mtu: unknown, prop: string): void {
    if (mtu !== undefined && (!Number.isInteger(mtu) || (mtu as number) < MIN_MTU || (mtu as number) > MAX_MTU)) throw invalid(prop, `MTU ${String(mtu)} is outside ${MIN_MTU}-${MAX_MTU}`);
  }

  /** The next port ID of the host's vSwitches: one past the highest a vmkernel NIC or a port group's port holds. */
  private nextPortId(): number {
    const ids = [...this.info.vnic!.map((v) => v.port), ...this.info.portgroup.flatMap((p) => ((p.port ?? []) as PortgroupPort[]).map((x) => x.key))]
      .map((k) => Number(/-(\d+)$/.exec(String(k ?? ""))?.[1] ?? NaN)).filter((n) => Number.isFinite(n));
    return ids.length ? Math.max(...ids) + 1 : FIRST_PORT_ID;
  }

  private setPorts(pgName: string, edit: (ports: PortgroupPort[]) => PortgroupPort[]): void {
    this.info.portgroup = this.info.portgroup.map((p) => (p.spec.name === pgName ? { ...p, port: edit([...((p.port ?? []) as PortgroupPort[])]) } : p));
  }

  private checkStandardTarget(pgName: unknown, prop: string): Portgroup {
    const pg = typeof pgName === "string" ? this.portgroup(pgName) : undefined;
    if (!pg) throw notFound(`port group ${String(pgName)}`);
    // a standard port group carries one vmkernel NIC at most
    if (this.vnicsOn(pg.spec.name).length) throw new VimFault("AlreadyExists", { name: pg.spec.name }, `The specified key, name, or identifier '${pg.spec.name}' already exists (${prop} already has a vmkernel NIC).`);
    return pg;
  }

  /**
   * AddVirtualNic: on the standard port group `pgName`, or (pgName empty) on
   * the distributed port the spec names. Returns the new device, the lowest
   * vmkN free, as the vmkernel numbers them.
   */
  addVirtualNic(pgName: unknown, spec: VirtualNicSpec | undefined, macFor: (device: string, attempt: number) => string, bindDv: DvPortBinder | undefined): string {
    if (!spec || typeof spec !== "object") throw invalid("nic", "a vmkernel NIC specification is required");
    const dv = spec.distributedVirtualPort;
    if (dv && pgName) throw invalid("portgroup", "a NIC on a distributed port names no standard port group");
    const pg = dv ? undefined : this.checkStandardTarget(pgName, "portgroup");
    if (dv && !bindDv) throw notFound(`distributed virtual switch ${String(dv.switchUuid)}`);
    const ip = this.checkIp(spec.ip, "nic.ip");
    this.checkMtu(spec.mtu, "nic.mtu");
    const macs = new Set(this.info.vnic!.map((v) => String(v.spec.mac ?? "").toLowerCase()));
    if (spec.mac !== undefined && spec.mac !== "") {
      if (!MAC.test(spec.mac)) throw invalid("nic.mac", `${spec.mac} is not a MAC address`);
      if (macs.has(spec.mac.toLowerCase())) throw hostConfigFault(`The MAC address ${spec.mac} is in use by another vmkernel NIC.`);
    }
    let n = 0;
    while (this.vnic(`vmk${n}`)) n++;
    const device = `vmk${n}`;
    let mac = spec.mac || macFor(device, 0);
    for (let attempt = 1; macs.has(mac.toLowerCase()); attempt++) mac = macFor(device, attempt);
    // the switch's port is taken last: nothing after it can fail
    const port = dv ? bindDv!(dv, device) : undefined;
    const id = this.nextPortId();
    const nic: VirtualNic = {
      _type: "HostVirtualNic", device, key: vnicKey(device), portgroup: pg ? pg.spec.name : "",
      spec: { _type: "HostVirtualNicSpec", ip, mac, distributedVirtualPort: port, mtu: spec.mtu ?? 1500, tsoEnabled: spec.tsoEnabled ?? true },
      port: pg ? portKey(id) : undefined,
    };
    this.info.vnic = [...this.info.vnic!, nic];
    if (pg) this.setPorts(pg.spec.name, (ports) => [...ports, { _type: "HostPortGroupPort", key: portKey(id), mac: [mac], type: "host" }]);
    this.refreshRoutes();
    return device;
  }

  /** UpdateVirtualNic: address, MTU, TSO and the standard port group; the MAC address stays what it is. */
  updateVirtualNic(device: unknown, spec: VirtualNicSpec | undefined): void {
    const nic = this.vnic(device);
    if (!nic) throw notFound(`vmkernel NIC ${String(device)}`);
    if (!spec || typeof spec !== "object") throw invalid("nic", "a vmkernel NIC specification is required");
    const ip = spec.ip === undefined ? nic.spec.ip : this.checkIp(spec.ip, "nic.ip", nic.device);
    this.checkMtu(spec.mtu, "nic.mtu");
    const moveTo = spec.portgroup && spec.portgroup !== nic.portgroup ? spec.portgroup : undefined;
    if (moveTo && !nic.portgroup) throw new VimFault("NotSupported", {}, "Moving a vmkernel NIC from a distributed port to a standard port group is not supported by this simulator.");
    if (spec.distributedVirtualPort) throw new VimFault("NotSupported", {}, "Moving a vmkernel NIC to a distributed port is not supported by this simulator.");
    const target = moveTo ? this.checkStandardTarget(moveTo, "nic.portgroup") : undefined;
    const next: VirtualNic = { ...nic, portgroup: target ? target.spec.name : nic.portgroup, spec: { ...nic.spec, ip, mtu: spec.mtu ?? nic.spec.mtu, tsoEnabled: spec.tsoEnabled ?? nic.spec.tsoEnabled } };
    this.info.vnic = this.info.vnic!.map((v) => (v === nic ? next : v));
    if (target && nic.port) {
      const moved = ((this.portgroup(nic.portgroup)?.port ?? []) as PortgroupPort[]).find((p) => p.key === nic.port);
      this.setPorts(nic.portgroup, (ports) => ports.filter((p) => p.key !== nic.port));
      if (moved) this.setPorts(target.spec.name, (ports) => [...ports, moved]);
    }
    this.refreshRoutes();
  }

  /** RemoveVirtualNic; returns the NIC that went, so a distributed port it held can be let go. */
  removeVirtualNic(device: unknown): VirtualNic {
    const nic = this.vnic(device);
    if (!nic) throw notFound(`vmkernel NIC ${String(device)}`);
    this.info.vnic = this.info.vnic!.filter((v) => v !== nic);
    if (nic.portgroup && nic.port) this.setPorts(nic.portgroup, (ports) => ports.filter((p) => p.key !== nic.port));
    this.refreshRoutes();
    return nic;
  }

  /**
   * The routing table as `esxcli network ip route ipv4 list` shows it: the
   * default route, one for each vmkernel NIC's own subnet (gateway
   * 0.0.0.0), then the static routes, each through the NIC that reaches its
   * gateway.
   */
  refreshRoutes(): void {
    const old = (this.info.routeTableInfo?.ipRoute ?? []) as RouteEntry[];
    const statics = old.filter((r) => r.prefixLength > 0 && r.gateway !== "0.0.0.0");
    const out: RouteEntry[] = [];
    const gw = this.info.ipRouteConfig?.defaultGateway;
    if (ipv4(gw)) out.push({ _type: "HostIpRouteEntry", network: "0.0.0.0", prefixLength: 0, gateway: gw, deviceName: this.info.ipRouteConfig?.gatewayDevice || this.deviceFor(gw) || "vmk0" });
    for (const s of this.subnets()) {
      const network = networkOf(s.ip, s.prefix);
      if (!out.some((r) => r.network === network && r.prefixLength === s.prefix)) out.push({ _type: "HostIpRouteEntry", network, prefixLength: s.prefix, gateway: "0.0.0.0", deviceName: s.device });
    }
    for (const r of statics) {
      const dev = this.deviceFor(r.gateway);
      // a route whose gateway no NIC reaches any more goes, as the kernel drops it with the interface
      if (dev) out.push({ ...r, deviceName: dev });
    }
    this.info.routeTableInfo = { _type: "HostIpRouteTableInfo", ...this.info.routeTableInfo, ipRoute: out };
  }

  // ---- DNS and routing ----

  /** UpdateDnsConfig: what the config sets replaces what the host has; what it leaves unset stays. */
  updateDns(config: (Partial<DnsConfig> & DataObject) | undefined): void {
    if (!config || typeof config !== "object") throw invalid("config", "a DNS configuration is required");
    const cur = this.info.dnsConfig ?? { _type: "HostDnsConfig", dhcp: false, hostName: "localhost", domainName: "localdomain", address: [], searchDomain: [] };
    const domain = (d: unknown) => typeof d === "string" && (d === "" || d.replace(/\.$/, "").split(".").every((l) => LABEL.test(l)));
    // hostName and domainName are required fields, so pyVmomi sends "" for ones the caller left out: an empty
    // host name keeps the one the host has (a host is never nameless), an empty domain clears it
    const hostName = config.hostName === "" ? undefined : config.hostName;
    if (hostName !== undefined && (typeof hostName !== "string" || !LABEL.test(hostName))) throw invalid("config.hostName", `${JSON.stringify(hostName)} is not a host name`);
    if (config.domainName !== undefined && !domain(config.domainName)) throw invalid("config.domainName", `${JSON.stringify(config.domainName)} is not a domain name`);
    const address = config.address === undefined ? cur.address : [config.address].flat();
    for (const a of address) if (typeof a !== "string" || !(ipv4(a) || ipv6(a))) throw invalid("config.address", `${JSON.stringify(a)} is not an IP address`);
    const searchDomain = config.searchDomain === undefined ? cur.searchDomain : [config.searchDomain].flat();
    for (const d of searchDomain) if (!domain(d) || d === "") throw invalid("config.searchDomain", `${JSON.stringify(d)} is not a domain name`);
    const dhcp = config.dhcp ?? cur.dhcp;
    let virtualNicDevice: string | undefined;
    if (dhcp) {
      virtualNicDevice = config.virtualNicDevice ?? cur.virtualNicDevice;
      const nic = this.vnic(virtualNicDevice);
      if (!nic) throw notFound(`vmkernel NIC ${String(virtualNicDevice)}`);
      // the servers come from that NIC's lease; a static NIC has none (hostd's exact fault text is not known to us)
      if (!nic.spec.ip?.dhcp) throw hostConfigFault(`DNS from DHCP needs a vmkernel NIC that uses DHCP; ${nic.device} has a static address.`);
    }
    this.info.dnsConfig = {
      _type: "HostDnsConfig", dhcp, virtualNicDevice, hostName: hostName ?? cur.hostName, domainName: config.domainName ?? cur.domainName,
      address: address as string[], searchDomain: searchDomain as string[],
    };
  }

  private reachable(gateway: string, device: string | undefined, what: string): void {
    const via = device ? this.subnets().filter((s) => s.device === device) : this.subnets();
    // the vmkernel refuses a next hop outside every connected subnet ("Network unreachable"); the fault is the declared HostConfigFault
    if (!via.some((s) => networkOf(s.ip, s.prefix) === networkOf(gateway, s.prefix))) throw hostConfigFault(`Unable to set ${what} ${gateway}: Network unreachable.`);
  }

  /** UpdateIpRouteConfig: the IPv4 default gateway (and the NIC it goes through). */
  updateIpRoute(config: RouteConfig | undefined): void {
    if (!config || typeof config !== "object") throw invalid("config", "a route configuration is required");
    const cur = this.info.ipRouteConfig ?? { _type: "HostIpRouteConfig" };
    const gateway = config.defaultGateway ?? cur.defaultGateway;
    if (!ipv4(gateway)) throw invalid("config.defaultGateway", `${JSON.stringify(gateway ?? "")} is not an IPv4 address`);
    const device = config.gatewayDevice || undefined;
    if (device !== undefined && !this.vnic(device)) throw invalid("config.gatewayDevice", `${device} is not a vmkernel NIC of this host`);
    this.reachable(gateway, device, "the default gateway");
    this.info.ipRouteConfig = { ...cur, _type: "HostIpRouteConfig", defaultGateway: gateway, gatewayDevice: device, ipV6DefaultGateway: config.ipV6DefaultGateway ?? cur.ipV6DefaultGateway, ipV6GatewayDevice: config.ipV6GatewayDevice ?? cur.ipV6GatewayDevice };
    this.refreshRoutes();
  }

  /** UpdateIpRouteTableConfig: static IPv4 routes added and removed, in the order given. */
  updateRouteTable(config: (DataObject & { ipRoute?: unknown; ipv6Route?: unknown }) | undefined): void {
    if (!config || typeof config !== "object") throw invalid("config", "a route table configuration is required");
    if ([config.ipv6Route ?? []].flat().length) throw new VimFault("NotSupported", {}, "IPv6 static routes are not supported by this simulator.");
    for (const [i, op] of ([config.ipRoute ?? []].flat() as (DataObject & { changeOperation?: string; route?: RouteEntry })[]).entries()) {
      const at = `config.ipRoute[${i}]`;
      if (op?.changeOperation !== "add" && op?.changeOperation !== "remove") throw invalid(`${at}.changeOperation`, `${JSON.stringify(op?.changeOperation)} is neither add nor remove`);
      const r = op.route;
      if (!r || !ipv4(r.network)) throw invalid(`${at}.route.network`, "not an IPv4 network");
      // the default route is UpdateIpRouteConfig's; a table entry names a proper network
      if (!Number.isInteger(r.prefixLength) || r.prefixLength < 1 || r.prefixLength > 32) throw invalid(`${at}.route.prefixLength`, `${String(r.prefixLength)} is not 1-32`);
      if (networkOf(r.network, r.prefixLength) !== r.network) throw invalid(`${at}.route.network`, `${r.network} has host bits set for /${r.prefixLength}`);
      if (!ipv4(r.gateway)) throw invalid(`${at}.route.gateway`, "not an IPv4 address");
      const routes = (this.info.routeTableInfo?.ipRoute ?? []) as RouteEntry[];
      const same = (x: RouteEntry) => x.network === r.network && x.prefixLength === r.prefixLength && x.gateway !== "0.0.0.0";
      const existing = routes.find(same);
      if (op.changeOperation === "add") {
        if (existing) throw hostConfigFault(`Unable to add route ${r.network}/${r.prefixLength}: the route already exists.`);
        this.reachable(r.gateway, undefined, `the gateway of ${r.network}/${r.prefixLength}`);
        this.info.routeTableInfo = { _type: "HostIpRouteTableInfo", ...this.info.routeTableInfo, ipRoute: [...routes, { _type: "HostIpRouteEntry", network: r.network, prefixLength: r.prefixLength, gateway: r.gateway }] };
      } else {
        if (!existing || existing.gateway !== r.gateway) throw hostConfigFault(`Unable to remove route ${r.network}/${r.prefixLength} via ${r.gateway}: no such route.`);
        this.info.routeTableInfo = { ...this.info.routeTableInfo!, ipRoute: routes.filter((x) => x !== existing) };
      }
      this.refreshRoutes();
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
