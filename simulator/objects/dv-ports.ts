// Distributed virtual ports (vCenter only): every port of a switch has a key,
// unique on the switch, handed out as "0", "1", ... when ports are created
// (a port group's numPorts at creation, growth by ReconfigureDVPortgroup or
// autoExpand, uplink ports as hosts join). A VM NIC on a port group gets a
// port of that group as the group's binding type says, written into its
// backing's port.portKey and connectionCookie (and so the .vmx's
// ethernetN.dvs.portId / dvs.connectionId):
// - earlyBinding (static): when the VM is configured (CreateVM, ReconfigVM,
//   CloneVM, RegisterVM, a snapshot revert);
// - lateBinding (dynamic): at the first power on, kept afterwards;
// - ephemeral: a port is created at power on and deleted at power off.
// Ports are freed when the NIC goes, moves to another network, or the VM
// leaves the inventory (destroy, unregister): a port whose connectee no
// longer holds it (checked against the VM's NIC) counts as free.
// A vmkernel NIC on a distributed port (HostNetworkSystem.AddVirtualNic)
// holds its port the same way: the port names the host and device, and
// counts as taken while that NIC's spec still names the port; FetchDVPorts
// shows it as a hostVmknic connectee.
// A port may carry its own name, description and setting (laid over its
// group's default, ReconfigureDVPort_Task) and may sit in no group at all
// (a standalone port, MoveDVPort_Task to the switch), where a NIC naming it
// by key alone keeps it.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { ManagedObject } from "./managed-object.ts";
import type { Device } from "./vm-devices.ts";
import { mergeSetting, type DistributedVirtualPortgroup } from "./distributed-virtual-portgroup.ts";

export interface DvPort {
  key: string;
  portgroupKey: string;
  /** uplink ports: the uplink name and the member host the port stands for */
  name?: string;
  host?: string;
  connectee?: { vm: string; nicKey: number };
  /** the vmkernel NIC on this port: the host's moref value and the device (vmk1) */
  vmknic?: { host: string; device: string };
  cookie?: number;
  lastStatusChange: Date;
  /** ReconfigureDVPort_Task's edits: the port's own name and description, its setting laid over its group's, its config version */
  portName?: string;
  description?: string;
  setting?: DataObject;
  configVersion?: string;
}

/** The key a standalone port (one in no port group, MoveDVPort_Task's "moved to the switch") has in `portgroupKey`. */
export const STANDALONE = "";

export const DVPORT_BACKING = "VirtualEthernetCardDistributedVirtualPortBackingInfo";

/** The backing a NIC joining `net` gets: a port connection on a distributed port group (its switch and key), the network's name and ref on a standard one. */
export function nicBackingFor(sim: SimContext, net: ManagedObject): DataObject {
  if (net.type === "DistributedVirtualPortgroup") {
    const dvs = (net.props.config as { distributedVirtualSwitch: ManagedObjectReference }).distributedVirtualSwitch;
    return { _type: DVPORT_BACKING, port: { _type: "DistributedVirtualSwitchPortConnection", switchUuid: sim.inventory.get(dvs.value)?.get("uuid"), portgroupKey: net.ref.value } };
  }
  return { _type: "VirtualEthernetCardNetworkBackingInfo", deviceName: net.get("name"), network: net.ref };
}

/**
 * A port group with no free port grows by this many at a time when its
 * autoExpand is on: the vSphere Networking guide's "elastic" allocation adds
 * "a new set of eight ports". (The API reference only says new ports are added.)
 */
export const AUTO_EXPAND_STEP = 8;

/** The ports of one switch, with the counters their keys and cookies come from; part of simulator snapshots. */
export class PortStore {
  ports = new Map<string, DvPort>();
  nextKey = 0;
  nextCookie = 1;

  constructor(private readonly sim: SimContext) {}

  save(): { ports: DvPort[]; nextKey: number; nextCookie: number } {
    return { ports: [...this.ports.values()].map((p) => ({ ...p, connectee: p.connectee && { ...p.connectee }, vmknic: p.vmknic && { ...p.vmknic } })), nextKey: this.nextKey, nextCookie: this.nextCookie };
  }

  load(s: { ports: DvPort[]; nextKey: number; nextCookie: number } | undefined): void {
    this.ports = new Map((s?.ports ?? []).map((p) => [p.key, { ...p, connectee: p.connectee && { ...p.connectee }, vmknic: p.vmknic && { ...p.vmknic } }]));
    this.nextKey = s?.nextKey ?? 0;
    this.nextCookie = s?.nextCookie ?? 1;
  }

  create(portgroupKey: string, extra: Partial<DvPort> = {}): DvPort {
    const p: DvPort = { key: String(this.nextKey++), portgroupKey, lastStatusChange: this.sim.clock.now(), ...extra };
    this.ports.set(p.key, p);
    return p;
  }

  of(portgroupKey: string): DvPort[] {
    return [...this.ports.values()].filter((p) => p.portgroupKey === portgroupKey);
  }

  dropGroup(portgroupKey: string): void {
    for (const p of this.of(portgroupKey)) this.ports.delete(p.key);
  }

  /** The VM NIC holding `p`, if the VM still has it on this port. */
  holder(p: DvPort, switchUuid: string): { vm: DataObject & Record<string, any>; nic: Device } | undefined {
    if (!p.connectee) return undefined;
    const vm = this.sim.inventory.get(p.connectee.vm);
    if (!vm || vm.type !== "VirtualMachine") return undefined;
    const devices = ((vm.props.config as { hardware?: { device?: Device[] } } | undefined)?.hardware?.device) ?? [];
    const nic = devices.find((d) => d.key === p.connectee!.nicKey && d.backing?._type === DVPORT_BACKING && d.backing.port?.switchUuid === switchUuid && String(d.backing.port?.portKey) === p.key);
    return nic ? { vm: vm as unknown as DataObject & Record<string, any>, nic } : undefined;
  }

  /** The vmkernel NIC holding `p`, if the host still has it on this port: the host and the NIC as its network config lists it. */
  vmkHolder(p: DvPort, switchUuid: string): { host: ManagedObjectReference; nic: DataObject & { device: string; spec: DataObject & { mac?: string } } } | undefined {
    if (!p.vmknic) return undefined;
    const host = this.sim.inventory.get(p.vmknic.host);
    if (!host || host.type !== "HostSystem") return undefined;
    type Vnic = DataObject & { device: string; spec: DataObject & { mac?: string; distributedVirtualPort?: { switchUuid?: string; portKey?: string } } };
    const vnics = ((host.props.config as { network?: { vnic?: Vnic[] } } | undefined)?.network?.vnic) ?? [];
    const nic = vnics.find((v) => v.device === p.vmknic!.device && v.spec.distributedVirtualPort?.switchUuid === switchUuid && String(v.spec.distributedVirtualPort?.portKey) === p.key);
    return nic ? { host: host.ref, nic } : undefined;
  }

  isFree(p: DvPort, switchUuid: string): boolean {
    return !this.holder(p, switchUuid) && !this.vmkHolder(p, switchUuid);
  }

  /** Grow a static group to `n` ports, or shrink it by deleting free ports (the newest first). */
  resize(pg: { key: string; name: string }, n: number, switchUuid: string): void {
    const mine = this.of(pg.key);
    if (n > mine.length) {
      for (let i = mine.length; i < n; i++) this.create(pg.key);
      return;
    }
    this.checkResize(pg, n, switchUuid);
    const free = mine.filter((p) => this.isFree(p, switchUuid)).reverse();
    for (const p of free.slice(0, mine.length - n)) this.ports.delete(p.key);
  }

  /** The fault resize would raise, raised before anything changes. */
  checkResize(pg: { key: string; name: string }, n: number, switchUuid: string): void {
    const mine = this.of(pg.key);
    const inUse = mine.filter((p) => !this.isFree(p, switchUuid)).length;
    // the reference: "If the number cannot be met by deleting free ports, a fault is raised" (which one is not said)
    if (n < inUse) throw new VimFault("InvalidArgument", { invalidProperty: "numPorts" }, `A specified parameter was not correct: numPorts (${pg.name} has ${inUse} ports in use)`);
  }
}

interface SwitchLike {
  uuid: string;
  store: PortStore;
  portgroups(): DistributedVirtualPortgroup[];
  portsChanged(pg: DistributedVirtualPortgroup): void;
}

/**
 * `devices` with their distributed port NICs bound as their port groups say,
 * for the VM `vm` (powered on or not). Faults (a full group without
 * autoExpand) come before anything changes. Returns `devices` itself when no
 * backing changes.
 */
/** Whether the VM's configuration as it stands has a NIC on a distributed port (its ports may need releasing). */
function holdsPorts(sim: SimContext, vm: ManagedObjectReference): boolean {
  const current = (sim.inventory.get(vm.value)?.props.config as { hardware?: { device?: Device[] } } | undefined)?.hardware?.device ?? [];
  return current.some((d) => d.backing?._type === DVPORT_BACKING);
}

export function bindDvPorts(sim: SimContext, vm: ManagedObjectReference, devices: Device[], poweredOn: boolean): Device[] {
  // most VMs have no NIC on a distributed switch, and finding the switches walks the whole inventory: every power change and reconfigure comes here
  if (!devices.some((d) => d.backing?._type === DVPORT_BACKING) && !holdsPorts(sim, vm)) return devices;
  const switches = sim.inventory.ofType("DistributedVirtualSwitch") as unknown as SwitchLike[];
  if (!switches.length) return devices;
  const mine = (p: DvPort) => p.connectee?.vm === vm.value;
  const taken = new Set<DvPort>();
  type Plan = { index: number; sw: SwitchLike; pg?: DistributedVirtualPortgroup; port?: DvPort; create?: boolean };
  const plans: Plan[] = [];
  const growth = new Map<DistributedVirtualPortgroup, number>();
  devices.forEach((d, index) => {
    const conn = d.backing?._type === DVPORT_BACKING ? d.backing.port : undefined;
    if (!conn) return;
    const sw = switches.find((s) => s.uuid === conn.switchUuid);
    // a NIC on a standalone port (a port moved out to the switch) names the port alone and keeps it
    if (sw && conn.portgroupKey === undefined && conn.portKey !== undefined) {
      const own = sw.store.ports.get(String(conn.portKey));
      if (own && own.portgroupKey === STANDALONE && !taken.has(own) && (mine(own) || sw.store.isFree(own, sw.uuid))) {
        taken.add(own);
        plans.push({ index, sw, port: own });
      }
      return;
    }
    const pg = sw?.portgroups().find((p) => p.ref.value === conn.portgroupKey);
    if (!sw || !pg || pg.isUplink) return;
    const type = pg.config.type;
    const usable = (p: DvPort | undefined): p is DvPort => !!p && p.portgroupKey === pg.ref.value && !taken.has(p) && (mine(p) || sw.store.isFree(p, sw.uuid));
    const requested = conn.portKey !== undefined ? sw.store.ports.get(String(conn.portKey)) : undefined;
    let port = usable(requested) ? requested : [...sw.store.ports.values()].find((p) => mine(p) && p.connectee!.nicKey === d.key && usable(p));
    const bind = type === "earlyBinding" || (type === "lateBinding" && (poweredOn || !!port)) || (type === "ephemeral" && poweredOn);
    if (!bind) {
      plans.push({ index, sw, pg });
      return;
    }
    if (!port && type !== "ephemeral") port = sw.store.of(pg.ref.value).find((p) => !mine(p) && usable(p));
    if (port) {
      taken.add(port);
      plans.push({ index, sw, pg, port });
      return;
    }
    if (type !== "ephemeral") {
      if (!pg.config.autoExpand) {
        // vCenter's client shows "No free port is available in Distributed Port Group"; the fault type is our choice (DvsFault, the base of a switch's faults)
        throw new VimFault("DvsFault", {}, `No free port is available in the distributed port group ${pg.name}.`);
      }
      growth.set(pg, (growth.get(pg) ?? 0) + 1);
    }
    plans.push({ index, sw, pg, create: true });
  });

  // commit: release what this VM holds and no NIC keeps, grow full groups, connect
  const now = sim.clock.now();
  const touched = new Set<DistributedVirtualPortgroup>();
  for (const sw of switches) {
    for (const p of [...sw.store.ports.values()]) {
      if (!mine(p) || taken.has(p)) continue;
      const pg = sw.portgroups().find((g) => g.ref.value === p.portgroupKey);
      if (pg) touched.add(pg);
      if (pg?.config.type === "ephemeral") sw.store.ports.delete(p.key);
      else Object.assign(p, { connectee: undefined, cookie: undefined, lastStatusChange: now });
    }
  }
  const extra = new Map<DistributedVirtualPortgroup, DvPort[]>();
  for (const [pg, n] of growth) {
    const sw = switches.find((s) => s.portgroups().includes(pg))!;
    const free = sw.store.of(pg.ref.value).filter((p) => !taken.has(p) && !mine(p) && sw.store.isFree(p, sw.uuid)).length;
    const add = Math.ceil(Math.max(0, n - free) / AUTO_EXPAND_STEP) * AUTO_EXPAND_STEP;
    for (let i = 0; i < add; i++) sw.store.create(pg.ref.value);
    extra.set(pg, sw.store.of(pg.ref.value).filter((p) => !taken.has(p) && !mine(p) && sw.store.isFree(p, sw.uuid)));
  }
  let changed = false;
  const out = devices.map((d, i) => {
    const plan = plans.find((p) => p.index === i);
    if (!plan) return d;
    let port = plan.port;
    if (plan.create && plan.pg) {
      port = plan.pg.config.type === "ephemeral" ? plan.sw.store.create(plan.pg.ref.value) : extra.get(plan.pg)!.shift()!;
      taken.add(port);
    }
    if (port) {
      if (plan.pg) touched.add(plan.pg);
      if (!mine(port) || port.connectee!.nicKey !== d.key || port.cookie === undefined) {
        Object.assign(port, { connectee: { vm: vm.value, nicKey: d.key }, vmknic: undefined, cookie: plan.sw.store.nextCookie++, lastStatusChange: now });
      }
    }
    const conn = d.backing!.port as DataObject & Record<string, unknown>;
    const portKey = port?.key;
    const cookie = port?.cookie;
    if (conn.portKey === portKey && conn.connectionCookie === cookie) return d;
    changed = true;
    const next: DataObject & Record<string, unknown> = { ...conn, portKey, connectionCookie: cookie };
    if (portKey === undefined) delete next.portKey;
    if (cookie === undefined) delete next.connectionCookie;
    return { ...d, backing: { ...d.backing!, port: next } };
  });
  for (const pg of touched) switches.find((s) => s.portgroups().includes(pg))?.portsChanged(pg);
  return changed ? out : devices;
}

type Criteria = DataObject & { connected?: boolean; active?: boolean; uplinkPort?: boolean; scope?: ManagedObjectReference; portgroupKey?: string[]; inside?: boolean; portKey?: string[]; host?: ManagedObjectReference[] };

/** DistributedVirtualSwitch.FetchDVPorts: the switch's ports, in key order, that meet `criteria`. */
export function fetchDvPorts(sim: SimContext, sw: SwitchLike & { config: DataObject & { maxMtu?: number; defaultPortConfig?: DataObject } }, criteria: Criteria | undefined): DataObject[] {
  const groups = new Map(sw.portgroups().map((g) => [g.ref.value, g]));
  const list = (v: unknown) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);
  const pgKeys = list(criteria?.portgroupKey) as string[] | undefined;
  const portKeys = list(criteria?.portKey) as string[] | undefined;
  const hosts = list(criteria?.host) as ManagedObjectReference[] | undefined;
  const out: DataObject[] = [];
  const ports = [...sw.store.ports.values()].sort((a, b) => Number(a.key) - Number(b.key));
  for (const p of ports) {
    const pg = groups.get(p.portgroupKey);
    const held = sw.store.holder(p, sw.uuid);
    const vmk = held ? undefined : sw.store.vmkHolder(p, sw.uuid);
    const vmRuntime = held?.vm.props?.runtime as { host?: ManagedObjectReference; powerState?: string } | undefined;
    const proxyHost = p.host ? { _type: "ManagedObjectReference", type: "HostSystem", value: p.host } as ManagedObjectReference : vmk ? vmk.host : vmRuntime?.host;
    // a vmkernel NIC is up while its host is
    const hostUp = vmk && (sim.inventory.get(vmk.host.value)?.props.runtime as { connectionState?: string; powerState?: string } | undefined);
    const vmkActive = !!hostUp && hostUp.connectionState === "connected" && hostUp.powerState === "poweredOn";
    const active = vmk ? vmkActive : !!held && vmRuntime?.powerState === "poweredOn" && held.nic.connectable?.connected !== false;
    const mac = held ? held.nic.macAddress : vmk?.nic.spec.mac;
    const uplink = !!pg?.isUplink;
    if (criteria) {
      if (criteria.connected !== undefined && criteria.connected !== (!!held || !!vmk)) continue;
      if (criteria.active !== undefined && criteria.active !== active) continue;
      if (criteria.uplinkPort !== undefined && criteria.uplinkPort !== uplink) continue;
      // the reference says "inside" unset with portgroupKey given reads as inside (true)
      if (pgKeys && pgKeys.includes(p.portgroupKey) !== (criteria.inside ?? true)) continue;
      if (!pgKeys && criteria.inside !== undefined && (criteria.inside ? !pg : !!pg)) continue;
      if (portKeys && !portKeys.includes(p.key)) continue;
      if (hosts && !hosts.some((h) => h.value === proxyHost?.value)) continue;
      // ports carry no scope of their own here, so every scope covers them
    }
    const base = (pg?.config.defaultPortConfig ?? sw.config.defaultPortConfig ?? {}) as DataObject;
    const setting = (p.setting ? mergeSetting(base, p.setting) : base) as DataObject & { blocked?: { value?: boolean }; vlan?: { _type?: string; vlanId?: unknown } };
    const vlan = setting.vlan?._type === "VmwareDistributedVirtualSwitchVlanIdSpec" ? Number(setting.vlan.vlanId) : 0;
    const zero = Object.fromEntries(["packetsInMulticast", "packetsOutMulticast", "bytesInMulticast", "bytesOutMulticast", "packetsInUnicast", "packetsOutUnicast", "bytesInUnicast", "bytesOutUnicast", "packetsInBroadcast", "packetsOutBroadcast", "bytesInBroadcast", "bytesOutBroadcast", "packetsInDropped", "packetsOutDropped", "packetsInException", "packetsOutException"].map((k) => [k, 0]));
    out.push({
      _type: "DistributedVirtualPort",
      key: p.key,
      config: { _type: "DVPortConfigInfo", name: p.portName ?? p.name, description: p.description, setting, configVersion: p.configVersion ?? "0" },
      dvsUuid: sw.uuid,
      portgroupKey: p.portgroupKey === STANDALONE ? undefined : p.portgroupKey,
      proxyHost,
      connectee: held ? { _type: "DistributedVirtualSwitchPortConnectee", connectedEntity: held.vm.ref, nicKey: String(p.connectee!.nicKey), type: "vmVnic", addressHint: held.nic.macAddress }
        : vmk ? { _type: "DistributedVirtualSwitchPortConnectee", connectedEntity: vmk.host, nicKey: vmk.nic.device, type: "hostVmknic", addressHint: mac }
        : undefined,
      conflict: false,
      state: {
        _type: "DVPortState",
        runtimeInfo: proxyHost ? {
          _type: "DVPortStatus", linkUp: active || uplink, blocked: !!setting.blocked?.value, trunkingMode: false, mtu: sw.config.maxMtu ?? 1500,
          vlanIds: vlan > 0 ? [{ _type: "NumericRange", start: vlan, end: vlan }] : undefined, macAddress: mac,
        } : undefined,
        stats: { _type: "DistributedVirtualSwitchPortStatistics", ...zero },
      },
      connectionCookie: held || vmk ? p.cookie : undefined,
      lastStatusChange: p.lastStatusChange,
    });
  }
  return out;
}
