// Helpers for HostSystem (host-system.ts): what vCenter learns of a host
// before and after it connects (HostConnectInfo), the host's system
// resource pools (systemResources), its system swap configuration and the
// IPMI settings DPM uses. The vim methods stay on HostSystem.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { ManagedObject } from "./managed-object.ts";
import type { HostSpec } from "../inventory/scenario.ts";

type Obj = DataObject & Record<string, any>;

/** The hardware summary hostd reports for a host of that spec. */
export function hardwareSummaryOf(sim: SimContext, spec: HostSpec): Obj {
  return {
    _type: "HostHardwareSummary", vendor: "VMware, Inc.", model: "VMware Virtual Platform", uuid: sim.ids.uuid("host", spec.name), otherIdentifyingInfo: [],
    memorySize: spec.memoryBytes, cpuModel: spec.cpu.model, cpuMhz: spec.cpu.mhz, numCpuPkgs: spec.cpu.packages, numCpuCores: spec.cpu.cores,
    numCpuThreads: spec.cpu.threads, numNics: new Set(spec.vswitches.flatMap((v) => v.uplinks)).size, numHBAs: 2,
  };
}

/**
 * HostConnectInfo as vpxd assembles it from hostd's answer: the host's
 * summary, its VMs' summaries, the networks and datastores it has. The
 * simulated hosts are all ESXi that vCenter may put in a cluster; a host
 * already in one of this vCenter's HA clusters says so.
 */
export function connectInfo(parts: { serverIp: string; summary: Obj; vms: Obj[]; networks: Obj[]; datastores: Obj[]; capability?: Obj; inDasCluster: boolean }): Obj {
  return {
    _type: "HostConnectInfo",
    serverIp: parts.serverIp,
    inDasCluster: parts.inDasCluster,
    host: parts.summary,
    vm: parts.vms,
    vimAccountNameRequired: false,
    clusterSupported: true,
    network: parts.networks.map((summary) => ({ _type: "HostConnectInfoNetworkInfo", summary })),
    datastore: parts.datastores.map((summary) => ({ _type: "HostDatastoreConnectInfo", summary })),
    capability: parts.capability,
  };
}

function allocation(reservation: number, limit: number, expandable: boolean): Obj {
  return { _type: "ResourceAllocationInfo", reservation, expandableReservation: expandable, limit, shares: { _type: "SharesInfo", shares: 1000, level: "normal" } };
}

function pool(key: string, cpu: [number, number], memMB: [number, number], child: Obj[] = []): Obj {
  return {
    _type: "HostSystemResourceInfo", key,
    config: { _type: "ResourceConfigSpec", entity: undefined, changeVersion: undefined, cpuAllocation: allocation(cpu[0], cpu[1], true), memoryAllocation: allocation(memMB[0], memMB[1], true) },
    child,
  };
}

/**
 * The system resource pools of a fresh ESXi host, as `vim-cmd
 * hostsvc/hostsummary` and the host client list them: host/system (the
 * VMkernel), host/vim (hostd, vpxa), host/iofilters and host/user, with
 * ESXi's default reservations (MHz and MB). The exact figures vary by
 * build; these are ESXi 6.x's defaults as far as we could confirm.
 */
export function defaultSystemResources(): Obj {
  return pool("host/system", [0, -1], [0, -1], [
    pool("host/system/kernel", [0, -1], [0, -1]),
    pool("host/system/vmotion", [0, -1], [0, -1]),
    pool("host/vim", [0, -1], [0, -1], [pool("host/vim/vmvisor", [0, -1], [0, -1])]),
    pool("host/iofilters", [0, -1], [0, -1]),
    pool("host/user", [0, -1], [0, -1]),
  ]);
}

function checkAllocation(a: Obj | undefined, where: string): void {
  if (!a) return;
  const reservation = a.reservation === undefined ? 0 : Number(a.reservation);
  const limit = a.limit === undefined ? -1 : Number(a.limit);
  if (!(reservation >= 0)) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.reservation` });
  if (!(limit === -1 || limit >= reservation)) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.limit` });
  if (a.shares && a.shares.level === "custom" && !(Number(a.shares.shares) >= 0)) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.shares` });
}

/**
 * The tree after UpdateSystemResources: the node `info.key` names (and any
 * of its children `info.child` names) takes the allocations given; the
 * others keep theirs. The API reference gives no faults: an unknown key or an
 * allocation no pool can have is InvalidArgument, our choice. Everything is
 * checked before the tree is rebuilt.
 */
export function applySystemResources(tree: Obj, info: Obj | undefined): Obj {
  if (!info?.key) throw new VimFault("InvalidArgument", { invalidProperty: "resourceInfo.key" });
  const updates = new Map<string, Obj>();
  const collect = (n: Obj, where: string) => {
    if (!find(tree, String(n.key))) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.key` }, `No system resource pool ${String(n.key)}.`);
    checkAllocation(n.config?.cpuAllocation, `${where}.config.cpuAllocation`);
    checkAllocation(n.config?.memoryAllocation, `${where}.config.memoryAllocation`);
    if (n.config) updates.set(String(n.key), n.config);
    ((n.child as Obj[] | undefined) ?? []).forEach((c, i) => collect(c, `${where}.child[${i}]`));
  };
  collect(info, "resourceInfo");
  const rebuild = (n: Obj): Obj => {
    const u = updates.get(n.key);
    const config = u ? {
      ...n.config,
      cpuAllocation: u.cpuAllocation ? { ...n.config.cpuAllocation, ...strip(u.cpuAllocation) } : n.config.cpuAllocation,
      memoryAllocation: u.memoryAllocation ? { ...n.config.memoryAllocation, ...strip(u.memoryAllocation) } : n.config.memoryAllocation,
    } : n.config;
    return { ...n, config, child: ((n.child as Obj[]) ?? []).map(rebuild) };
  };
  return rebuild(tree);
}

function find(n: Obj, key: string): Obj | undefined {
  if (n.key === key) return n;
  for (const c of (n.child as Obj[] | undefined) ?? []) {
    const f = find(c, key);
    if (f) return f;
  }
  return undefined;
}

function strip(o: Obj): Obj {
  const out: Obj = { _type: o._type };
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

/** ESXi's default: swap in the host cache, then on the host's local swap datastore. */
export function defaultSwapConfiguration(): Obj {
  return {
    _type: "HostSystemSwapConfiguration",
    option: [{ _type: "HostSystemSwapConfigurationHostCacheOption", key: 0 }, { _type: "HostSystemSwapConfigurationHostLocalSwapOption", key: 1 }],
  };
}

/**
 * UpdateSystemSwapConfiguration's checks, as the API reference states them:
 * each option type at most once, keys (the order of preference) unique and
 * not negative, the disabled option alone, a datastore option naming a
 * datastore the host mounts. The faults are InvalidArgument (the method
 * declares none); the property paths are ours.
 */
export function checkSwapConfiguration(host: ManagedObject, config: Obj | undefined): Obj {
  const options = (config?.option as Obj[] | undefined) ?? [];
  const types = new Set<string>(), keys = new Set<number>();
  options.forEach((o, i) => {
    const where = `sysSwapConfig.option[${i}]`;
    if (types.has(o._type)) throw new VimFault("InvalidArgument", { invalidProperty: where }, `The swap option ${String(o._type)} is given twice.`);
    types.add(o._type);
    const key = Number(o.key);
    if (!Number.isInteger(key) || key < 0 || keys.has(key)) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.key` });
    keys.add(key);
    if (o._type === "HostSystemSwapConfigurationDatastoreOption") {
      const names = ((host.props.datastore as ManagedObjectReference[] | undefined) ?? []).map((d) => host.sim.inventory.get(d.value)?.props.name);
      if (!names.includes(o.datastore)) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.datastore` }, `The host has no datastore ${String(o.datastore)}.`);
    }
  });
  if (types.has("HostSystemSwapConfigurationDisabledOption") && options.length > 1) throw new VimFault("InvalidArgument", { invalidProperty: "sysSwapConfig.option" }, "System swap cannot be disabled and configured at once.");
  return { _type: "HostSystemSwapConfiguration", option: options.map(strip) };
}

/**
 * UpdateIpmi's checks. vCenter reaches the BMC at bmcIpAddress with the
 * login given and compares the MAC the BMC reports with bmcMacAddress: the
 * simulated BMC answers with a seeded MAC (`observed`) and takes any login
 * with a password. A malformed address is InvalidArgument (our choice).
 */
export function checkIpmi(info: Obj | undefined, observed: string): Obj {
  const ip = String(info?.bmcIpAddress ?? "");
  if (!/^(\d{1,3})(\.\d{1,3}){3}$/.test(ip) || ip.split(".").some((p) => Number(p) > 255)) throw new VimFault("InvalidArgument", { invalidProperty: "ipmiInfo.bmcIpAddress" });
  if (!info?.login || !info.password) throw new VimFault("InvalidIpmiLoginInfo", {}, "Invalid IPMI/iLO login information.");
  const mac = String(info.bmcMacAddress ?? "");
  if (mac.toLowerCase() !== observed.toLowerCase()) {
    throw new VimFault("InvalidIpmiMacAddress", { userProvidedMacAddress: mac, observedMacAddress: observed }, `The MAC address ${mac} given for the BMC is not the MAC address ${observed} the BMC reports.`);
  }
  // the password is write-only: hostd does not give it back
  return { _type: "HostIpmiInfo", bmcIpAddress: ip, bmcMacAddress: observed, login: String(info.login) };
}
