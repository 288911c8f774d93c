// Port groups as IP subnets. Each port group (standard or distributed) is a
// /24 inside 127.0.0.0/8, so on Linux every guest NIC has an address of its
// own that the host's loopback already routes: a VM listening on
// ADDR:2376 is reachable from the host and from every other VM at ADDR.
// The subnet is derived from the scenario's seed, the port group's name and
// the simulator's port (two simulators on one machine do not collide), or
// given per port group. Leases are live state, like a DHCP server's: not in snapshots.
import { createHash } from "node:crypto";
import net, { isIPv4 } from "node:net";

/**
 * How guest addresses reach the host's network stack: `loopback` binds each
 * guest address itself (Linux routes all of 127.0.0.0/8); `mapped` binds
 * 127.0.0.1 on a free port and maps GUEST_IP:PORT to it, for systems that
 * route only 127.0.0.1 (macOS). Guests see and report their own addresses
 * either way; connections between guests and from serial ports follow the
 * map.
 */
export type AddressMode = "loopback" | "mapped";

/** Can this system bind an address in 127.0.0.0/8 other than 127.0.0.1? */
export function probeLoopbackRange(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(0, "127.45.67.89", () => s.close(() => resolve(true)));
  });
}

export interface Subnet {
  /** "127.23.4.0" */
  network: string;
  prefixLength: 24;
  /** the .1 address, the host side of the port group */
  gateway: string;
}

const octets = (ip: string) => ip.split(".").map(Number);

export function parseSubnet(cidr: string): Subnet {
  const m = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(cidr);
  if (!m || !isIPv4(`${m[1]}.0`) || octets(m[1])[0] !== 127) throw new Error(`subnet ${JSON.stringify(cidr)}: expected a /24 in 127.0.0.0/8, e.g. 127.20.1.0/24`);
  return { network: `${m[1]}.0`, prefixLength: 24, gateway: `${m[1]}.1` };
}

export class GuestNetwork {
  mode: AddressMode = "loopback";
  /** mapped mode: "GUEST_IP:PORT" -> the 127.0.0.1 port that stands for it */
  private readonly ports = new Map<string, number>();
  /** ip -> MAC holding it */
  private readonly leases = new Map<string, string>();
  private readonly subnets = new Map<string, Subnet>();
  private readonly fixed = new Set<string>();
  private salt = "";
  /** the simulated internet's names (Docker Hub's, for the registry) -> address */
  private readonly names = new Map<string, string>();
  /** "IP:PORT" of a simulator service -> the 127.0.0.1 port it listens on, in either mode */
  private readonly services = new Map<string, number>();

  constructor(private readonly seed: string, overrides: Record<string, string> = {}) {
    for (const [name, cidr] of Object.entries(overrides)) {
      this.subnets.set(name, parseSubnet(cidr));
      this.fixed.add(name);
    }
  }

  /**
   * Derive subnets anew with `salt` in the mix (startSimulator passes its
   * port): two simulators of one scenario on one machine then use different
   * addresses, where the same seed alone would give both guests the same
   * IP and their listeners would collide. Leases are dropped; call before
   * guests run, or restart them.
   */
  reseed(salt: string): void {
    this.salt = salt;
    for (const name of [...this.subnets.keys()]) if (!this.fixed.has(name)) this.subnets.delete(name);
    this.leases.clear();
  }

  subnetOf(portgroup: string): Subnet {
    let s = this.subnets.get(portgroup);
    if (!s) {
      const h = createHash("sha256").update(`${this.seed}\0${this.salt}\0${portgroup}`).digest();
      // 127.16.0.0 - 127.254.255.255: clear of 127.0.0.x, where everything else listens
      s = parseSubnet(`127.${16 + (h[0] % 239)}.${h[1]}.0/24`);
      this.subnets.set(portgroup, s);
    }
    return s;
  }

  /** The address this MAC gets on the port group: the same one each time, unless another MAC holds it. */
  lease(portgroup: string, mac: string): string {
    const s = this.subnetOf(portgroup);
    const prefix = s.network.slice(0, s.network.lastIndexOf("."));
    for (const [ip, holder] of this.leases) if (holder === mac && ip.startsWith(`${prefix}.`)) return ip;
    const start = createHash("sha256").update(mac.toLowerCase()).digest().readUInt16BE(0) % 253;
    for (let i = 0; i < 253; i++) {
      const ip = `${prefix}.${2 + ((start + i) % 253)}`;
      if (!this.leases.has(ip)) {
        this.leases.set(ip, mac);
        return ip;
      }
    }
    throw new Error(`port group ${portgroup}: no free address in ${s.network}/24`);
  }

  /** A static address: any in 127.0.0.0/8 that no other MAC holds. */
  claim(ip: string, mac: string): void {
    if (!isIPv4(ip) || octets(ip)[0] !== 127) throw new Error(`address ${ip}: guests live in 127.0.0.0/8 (see scenarios/README.md, "Guest networks")`);
    const holder = this.leases.get(ip);
    if (holder && holder !== mac) throw new Error(`address ${ip} is in use by ${holder}`);
    this.release(mac);
    this.leases.set(ip, mac);
  }

  /** Where a guest listening on `ip` really binds. */
  bindAddress(ip: string): string {
    return this.mode === "mapped" ? "127.0.0.1" : ip;
  }

  /** A guest listener is up (mapped mode records where). */
  listening(ip: string, port: number, hostPort: number): void {
    if (this.mode === "mapped") this.ports.set(`${ip}:${port}`, hostPort);
  }

  closed(ip: string, port: number): void {
    this.ports.delete(`${ip}:${port}`);
  }

  /** Where a connection to HOST:PORT really goes (HOST an address; resolve() names first). */
  route(host: string, port: number): { host: string; port: number } {
    const service = this.services.get(`${host}:${port}`);
    if (service) return { host: "127.0.0.1", port: service };
    const mapped = this.mode === "mapped" ? this.ports.get(`${host}:${port}`) : undefined;
    return mapped ? { host: "127.0.0.1", port: mapped } : { host, port };
  }

  /**
   * A simulator service on the simulated internet: `names` resolve to one
   * address of its own, whose `port` leads to `hostPort` on 127.0.0.1 (a
   * NAT, so port 443 needs no privilege). Returns the address.
   */
  publish(names: string[], port: number, hostPort: number): string {
    const existing = names.map((n) => this.names.get(n.toLowerCase())).find(Boolean);
    const s = this.subnetOf("\0internet");
    const ip = existing ?? `${s.network.slice(0, s.network.lastIndexOf("."))}.${1 + new Set(this.names.values()).size}`;
    for (const n of names) this.names.set(n.toLowerCase(), ip);
    this.services.set(`${ip}:${port}`, hostPort);
    return ip;
  }

  /** the simulated DNS: an address for a name, the address itself for an address, undefined for a name nobody serves */
  resolve(name: string): string | undefined {
    if (isIPv4(name)) return name;
    return this.names.get(name.toLowerCase().replace(/\.$/, ""));
  }

  /** mapped mode: every guest listener and the host port it is reached on */
  mappings(): { guest: string; host: string }[] {
    return [...this.ports].map(([guest, p]) => ({ guest, host: `127.0.0.1:${p}` }));
  }

  release(mac: string): void {
    for (const [ip, holder] of this.leases) if (holder === mac) this.leases.delete(ip);
  }
}
