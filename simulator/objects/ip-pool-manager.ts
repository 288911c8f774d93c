// IpPoolManager: vCenter's IP pools, one list per datacenter, from which
// vApps and extensions (vSphere Replication, NSX-era solutions, OVF
// deployments with transient IP allocation) take IPv4 and IPv6 addresses.
// A pool's ranges are "start#length" lists inside its subnet; an
// allocation is keyed by the caller and its allocation ID, so asking again
// gives the same address back; QueryIpPools reports how many addresses are
// allocated and still free.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext, type SavedState } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

type Config = DataObject & { subnetAddress: string; netmask: string; gateway: string; range: string; dns: string[]; dhcpServerAvailable: boolean; ipPoolEnabled: boolean };
type Pool = DataObject & {
  id: number; name: string; ipv4Config: Config; ipv6Config: Config; dnsDomain: string; dnsSearchPath: string; hostPrefix: string; httpProxy: string;
  networkAssociation: DataObject[];
};
interface Allocation {
  /** who allocated: the vCenter extension, here the session's user (see allocate) */
  owner: string;
  allocationId: string;
  ip: string;
  v6: boolean;
}
interface Entry {
  dc: string;
  pool: Pool;
  allocations: Allocation[];
}
type State = SavedState & { pools: [number, Entry][]; nextId: number };

export class IpPoolManager extends ManagedObject {
  private pools = new Map<number, Entry>();
  private nextId = 1;

  constructor(sim: SimContext, value: string) {
    super(sim, "IpPoolManager", value);
  }

  private datacenter(ref: ManagedObjectReference | undefined): ManagedObject {
    const dc = ref ? this.sim.inventory.get(ref.value) : undefined;
    if (!dc || !dc.isA("Datacenter")) throw new VimFault("ManagedObjectNotFound", { obj: ref });
    return dc;
  }

  /** The reference names these privileges on the datacenter; the schema leaves the methods open. */
  private check(ctx: CallContext, dc: ManagedObject, privId: string): void {
    if (ctx.session) this.sim.authorization.checkSession(ctx.session, dc.ref, privId);
  }

  private entry(dc: ManagedObject, id: unknown, property: string): Entry {
    const e = typeof id === "number" ? this.pools.get(id) : undefined;
    if (!e || e.dc !== dc.ref.value) throw new VimFault("InvalidArgument", { invalidProperty: property }, `A specified parameter was not correct: ${property}`);
    return e;
  }

  QueryIpPools(args: Args, ctx: CallContext): DataObject[] {
    const dc = this.datacenter(args.dc);
    this.check(ctx, dc, "System.Read");
    return [...this.pools.values()].filter((e) => e.dc === dc.ref.value).map((e) => this.report(e));
  }

  CreateIpPool(args: Args, ctx: CallContext): number {
    const dc = this.datacenter(args.dc);
    this.check(ctx, dc, "Datacenter.IpPoolConfig");
    const given = (args.pool ?? {}) as Record<string, any>;
    const name = typeof given.name === "string" ? given.name : "";
    if (!name.trim()) throw invalid("pool.name");
    this.checkName(dc, name, undefined);
    const pool: Pool = {
      _type: "IpPool", id: 0, name,
      ipv4Config: mergeConfig(defaultConfig(), given.ipv4Config),
      ipv6Config: mergeConfig(defaultConfig(), given.ipv6Config),
      dnsDomain: str(given.dnsDomain), dnsSearchPath: str(given.dnsSearchPath), hostPrefix: str(given.hostPrefix), httpProxy: str(given.httpProxy),
      networkAssociation: this.associations(dc, given.networkAssociation ?? [], undefined),
    };
    checkConfig(pool.ipv4Config, V4, "pool.ipv4Config");
    checkConfig(pool.ipv6Config, V6, "pool.ipv6Config");
    // the server picks the ID (the reference: one set by the caller is not used)
    const id = this.nextId;
    this.pools = new Map(this.pools).set(id, { dc: dc.ref.value, pool: { ...pool, id }, allocations: [] });
    this.nextId = id + 1;
    return id;
  }

  UpdateIpPool(args: Args, ctx: CallContext): void {
    const dc = this.datacenter(args.dc);
    this.check(ctx, dc, "Datacenter.IpPoolConfig");
    const given = (args.pool ?? {}) as Record<string, any>;
    const e = this.entry(dc, given.id, "pool.id");
    const old = e.pool;
    // unset fields keep their values (the reference); so does an empty dns list
    const name = given.name === undefined ? old.name : str(given.name);
    if (!name.trim()) throw invalid("pool.name");
    if (name !== old.name) this.checkName(dc, name, old.id);
    const pool: Pool = {
      ...old, name,
      ipv4Config: mergeConfig(old.ipv4Config, given.ipv4Config),
      ipv6Config: mergeConfig(old.ipv6Config, given.ipv6Config),
      dnsDomain: given.dnsDomain ?? old.dnsDomain, dnsSearchPath: given.dnsSearchPath ?? old.dnsSearchPath,
      hostPrefix: given.hostPrefix ?? old.hostPrefix, httpProxy: given.httpProxy ?? old.httpProxy,
      networkAssociation: given.networkAssociation?.length ? this.associations(dc, given.networkAssociation, old.id) : old.networkAssociation,
    };
    checkConfig(pool.ipv4Config, V4, "pool.ipv4Config");
    checkConfig(pool.ipv6Config, V6, "pool.ipv6Config");
    // an address the new ranges no longer hold is released (the reference's words on AllocateIpv4Address)
    const v4 = addresses(pool.ipv4Config, V4);
    const v6 = addresses(pool.ipv6Config, V6);
    const allocations = e.allocations.filter((a) => (a.v6 ? v6 : v4).has(a.ip));
    this.pools = new Map(this.pools).set(old.id, { ...e, pool, allocations });
  }

  DestroyIpPool(args: Args, ctx: CallContext): void {
    const dc = this.datacenter(args.dc);
    this.check(ctx, dc, "Datacenter.IpPoolConfig");
    const e = this.entry(dc, args.id, "id");
    // in use: some address of it is allocated (a choice: the reference does not define "in use")
    if (e.allocations.length && !args.force) {
      throw new VimFault("InvalidState", {}, `The IP pool '${e.pool.name}' is in use: ${e.allocations.length} of its addresses are allocated.`);
    }
    const pools = new Map(this.pools);
    pools.delete(e.pool.id);
    this.pools = pools;
  }

  AllocateIpv4Address(args: Args, ctx: CallContext): string {
    return this.allocate(args, ctx, false);
  }

  AllocateIpv6Address(args: Args, ctx: CallContext): string {
    return this.allocate(args, ctx, true);
  }

  /**
   * The reference says the caller must be a vCenter extension and keys
   * allocations by extension; this simulator has no extension logins, so the
   * session's user stands for the extension (QueryIPAllocations' extensionKey
   * names it). No free address, or a pool not enabled, answers the empty
   * string, as the reference says, not a fault.
   */
  private allocate(args: Args, ctx: CallContext, v6: boolean): string {
    const dc = this.datacenter(args.dc);
    this.check(ctx, dc, "Datacenter.IpPoolReleaseIp");
    const e = this.entry(dc, args.poolId, "poolId");
    const allocationId = str(args.allocationId);
    if (!allocationId) throw invalid("allocationId");
    const owner = ctx.session?.userName ?? "";
    const mine = e.allocations.find((a) => a.v6 === v6 && a.owner === owner && a.allocationId === allocationId);
    if (mine) return mine.ip;
    const config = v6 ? e.pool.ipv6Config : e.pool.ipv4Config;
    if (!config.ipPoolEnabled) return "";
    const taken = new Set(e.allocations.filter((a) => a.v6 === v6).map((a) => a.ip));
    const ip = addresses(config, v6 ? V6 : V4).firstFree(taken);
    if (ip === undefined) return "";
    this.pools = new Map(this.pools).set(e.pool.id, { ...e, allocations: [...e.allocations, { owner, allocationId, ip, v6 }] });
    return ip;
  }

  /** Releasing what is not allocated does nothing, as the reference says (idempotent releases). */
  ReleaseIpAllocation(args: Args, ctx: CallContext): void {
    const dc = this.datacenter(args.dc);
    this.check(ctx, dc, "Datacenter.IpPoolReleaseIp");
    const e = this.entry(dc, args.poolId, "poolId");
    const owner = ctx.session?.userName ?? "";
    const allocations = e.allocations.filter((a) => !(a.owner === owner && a.allocationId === args.allocationId));
    if (allocations.length !== e.allocations.length) this.pools = new Map(this.pools).set(e.pool.id, { ...e, allocations });
  }

  QueryIPAllocations(args: Args, ctx: CallContext): DataObject[] {
    const dc = this.datacenter(args.dc);
    this.check(ctx, dc, "Datacenter.IpPoolQueryAllocations");
    const e = this.entry(dc, args.poolId, "poolId");
    return e.allocations.filter((a) => a.owner === args.extensionKey).map((a) => ({ _type: "IpPoolManagerIpAllocation", ipAddress: a.ip, allocationId: a.allocationId }));
  }

  private checkName(dc: ManagedObject, name: string, except: number | undefined): void {
    // the reference: InvalidArgument when the datacenter has a pool of that name
    if ([...this.pools.values()].some((e) => e.dc === dc.ref.value && e.pool.id !== except && e.pool.name === name)) throw invalid("pool.name");
  }

  /** Networks of the datacenter, each in one pool at most (a choice, as the vSphere Client has it). */
  private associations(dc: ManagedObject, list: DataObject[], except: number | undefined): DataObject[] {
    const inDc = new Set(((dc.get("network") as ManagedObjectReference[] | undefined) ?? []).map((r) => r.value));
    const elsewhere = new Set([...this.pools.values()].filter((e) => e.pool.id !== except).flatMap((e) => e.pool.networkAssociation.map((a) => (a.network as ManagedObjectReference | undefined)?.value)));
    const seen = new Set<string>();
    return list.map((a, i) => {
      const ref = (a as Record<string, any>).network as ManagedObjectReference | undefined;
      const net = ref ? this.sim.inventory.get(ref.value) : undefined;
      if (!ref || !net || !inDc.has(ref.value) || elsewhere.has(ref.value) || seen.has(ref.value)) throw invalid(`pool.networkAssociation[${i}].network`);
      seen.add(ref.value);
      return { _type: "IpPoolAssociation", network: net.ref, networkName: String(net.get("name")) };
    });
  }

  private report(e: Entry): DataObject {
    const count = (v6: boolean) => e.allocations.filter((a) => a.v6 === v6).length;
    const size = (c: Config, fam: Family) => addresses(c, fam).size;
    return {
      ...e.pool,
      availableIpv4Addresses: size(e.pool.ipv4Config, V4) - count(false),
      availableIpv6Addresses: size(e.pool.ipv6Config, V6) - count(true),
      allocatedIpv4Addresses: count(false),
      allocatedIpv6Addresses: count(true),
    };
  }

  // Entries are replaced, never changed in place, so a shallow copy is the state.
  override saveState(): State {
    return { ...super.saveState(), pools: [...this.pools], nextId: this.nextId };
  }

  override loadState(s: State): void {
    super.loadState(s);
    this.pools = new Map(s.pools);
    this.nextId = s.nextId;
  }
}

function invalid(property: string): VimFault {
  return new VimFault("InvalidArgument", { invalidProperty: property }, `A specified parameter was not correct: ${property}`);
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function defaultConfig(): Config {
  return { _type: "IpPoolIpPoolConfigInfo", subnetAddress: "", netmask: "", gateway: "", range: "", dns: [], dhcpServerAvailable: false, ipPoolEnabled: false };
}

/** Fields the caller set replace the old ones; an empty dns list keeps them, [""] clears them (the reference). */
function mergeConfig(old: Config, given: Record<string, any> | undefined): Config {
  if (!given) return old;
  const out: Config = { ...old };
  for (const k of ["subnetAddress", "netmask", "gateway", "range"] as const) if (typeof given[k] === "string") out[k] = given[k].trim();
  for (const k of ["dhcpServerAvailable", "ipPoolEnabled"] as const) if (typeof given[k] === "boolean") out[k] = given[k];
  const dns = (given.dns as string[] | undefined) ?? [];
  if (dns.length) out.dns = dns.length === 1 && dns[0] === "" ? [] : dns.map((d) => d.trim());
  return out;
}

// ---- addresses ----

interface Family {
  bits: number;
  parse(s: string): bigint | undefined;
  format(n: bigint): string;
}

const V4: Family = {
  bits: 32,
  parse(s) {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
    if (!m) return undefined;
    const parts = m.slice(1).map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return parts.reduce((n, p) => (n << 8n) | BigInt(p), 0n);
  },
  format(n) {
    return [24n, 16n, 8n, 0n].map((sh) => String((n >> sh) & 255n)).join(".");
  },
};

const V6: Family = {
  bits: 128,
  parse(s) {
    const t = s.trim().toLowerCase();
    if (!/^[0-9a-f:]+$/.test(t) || t.split("::").length > 2) return undefined;
    const [head, tail] = t.includes("::") ? t.split("::") : [t, undefined];
    const group = (g: string) => (g === "" ? [] : g.split(":"));
    const h = group(head);
    const tl = tail === undefined ? [] : group(tail);
    const missing = 8 - h.length - tl.length;
    if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
    const all = [...h, ...Array(Math.max(0, missing)).fill("0"), ...tl];
    if (all.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
    return all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
  },
  // RFC 5952: lower case, no leading zeros, the longest run of zero groups (two or more) as ::
  format(n) {
    const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
    let best = -1, bestLen = 1;
    for (let i = 0; i < 8;) {
      if (groups[i] !== 0) { i++; continue; }
      let j = i;
      while (j < 8 && groups[j] === 0) j++;
      if (j - i > bestLen) { best = i; bestLen = j - i; }
      i = j;
    }
    const hex = groups.map((g) => g.toString(16));
    if (best < 0) return hex.join(":");
    return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
  },
};

function maskBits(mask: bigint, fam: Family): number | undefined {
  const full = (1n << BigInt(fam.bits)) - 1n;
  for (let len = 0; len <= fam.bits; len++) {
    if (mask === (full ^ ((1n << BigInt(fam.bits - len)) - 1n))) return len;
  }
  return undefined;
}

function parseRanges(range: string, fam: Family): { start: bigint; length: number }[] | undefined {
  if (!range.trim()) return [];
  const out: { start: bigint; length: number }[] = [];
  for (const part of range.split(",")) {
    const m = /^\s*([^#\s]+)\s*#\s*(\d+)\s*$/.exec(part);
    const start = m ? fam.parse(m[1]) : undefined;
    if (!m || start === undefined || Number(m[2]) < 1) return undefined;
    out.push({ start, length: Number(m[2]) });
  }
  return out;
}

/** The addresses of the config's ranges (checked, so they do not overlap), without listing a /8's worth of them. */
function addresses(c: Config, fam: Family): { size: number; has(ip: string): boolean; firstFree(taken: Set<string>): string | undefined } {
  const ranges = parseRanges(c.range, fam) ?? [];
  return {
    size: ranges.reduce((n, r) => n + r.length, 0),
    has(ip) {
      const a = fam.parse(ip);
      return a !== undefined && ranges.some((r) => a >= r.start && a < r.start + BigInt(r.length));
    },
    firstFree(taken) {
      // of any taken.size + 1 addresses one is free: no range is walked further
      for (const r of ranges) {
        for (let i = 0; i < r.length && i <= taken.size; i++) {
          const ip = fam.format(r.start + BigInt(i));
          if (!taken.has(ip)) return ip;
        }
      }
      return undefined;
    },
  };
}

/**
 * What vCenter's IP pool editor refuses (the field names of the fault are
 * this simulator's choice): malformed addresses, a netmask that is not a
 * prefix, a subnet address with host bits, a gateway or range outside the
 * subnet, ranges that overlap or hold the gateway, DNS servers that are
 * not addresses of the family.
 */
function checkConfig(c: Config, fam: Family, path: string): void {
  const bad = (field: string) => invalid(`${path}.${field}`);
  const subnet = c.subnetAddress ? fam.parse(c.subnetAddress) : undefined;
  if (c.subnetAddress && subnet === undefined) throw bad("subnetAddress");
  const mask = c.netmask ? fam.parse(c.netmask) : undefined;
  if (c.netmask && (mask === undefined || maskBits(mask, fam) === undefined)) throw bad("netmask");
  if (subnet !== undefined && mask !== undefined && (subnet & mask) !== subnet) throw bad("subnetAddress");
  const inSubnet = (a: bigint) => subnet === undefined || mask === undefined || (a & mask) === subnet;
  const gateway = c.gateway ? fam.parse(c.gateway) : undefined;
  if (c.gateway && (gateway === undefined || !inSubnet(gateway))) throw bad("gateway");
  const ranges = parseRanges(c.range, fam);
  if (!ranges) throw bad("range");
  if (ranges.length && (subnet === undefined || mask === undefined)) throw bad("range");
  const limit = 1n << BigInt(fam.bits);
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : 1));
  for (const [i, r] of sorted.entries()) {
    const last = r.start + BigInt(r.length - 1);
    if (last >= limit || !inSubnet(r.start) || !inSubnet(last)) throw bad("range");
    if (i > 0) {
      const prev = sorted[i - 1];
      if (prev.start + BigInt(prev.length) > r.start) throw bad("range");
    }
    if (gateway !== undefined && gateway >= r.start && gateway <= last) throw bad("range");
  }
  for (const d of c.dns) if (fam.parse(d) === undefined) throw bad("dns");
}
