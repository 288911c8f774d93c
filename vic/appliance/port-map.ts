// Port mapping (docker run -p): VIC 0.4/0.5 did it in the appliance with
// iptables (backends/portmap/portmap.go, spec vic.md §7): a DNAT from the
// host port on the client interface to the container's bridge IP and port.
// The appliance has no kernel here, so the same mapping is a TCP forwarder:
// a listener on the client NIC's address at the host port (through the
// GuestHardware NIC, as the Docker API listens on 2376) that connects from
// the bridge NIC to CONTAINER_IP:PORT and pipes both ways, each side ended
// when the other ends. Host-IP bindings and host port ranges are refused at
// create, as 0.5's validateCreateConfig did; a port without a host port
// gets one from the ephemeral range (docker's portallocator); a host port
// that is taken is refused at start. The maps are memory-only, as 0.5's
// iptables rules were: an appliance restart loses them (spec vic.md §5).
import { createHash } from "node:crypto";
import type { Server, Socket } from "node:net";
import type { GuestNic } from "../../hardware/guest-hardware.ts";
import type { ComponentLog } from "./vch-context.ts";

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}
/** HostConfig.PortBindings / NetworkSettings.Ports: "80/tcp" -> bindings */
export type PortMap = Record<string, PortBinding[] | null>;

/** docker's portallocator range (net.ipv4.ip_local_port_range's default) */
export const EPHEMERAL_FIRST = 32768;
export const EPHEMERAL_LAST = 60999;

export class PortMapError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** 0.5's validateCreateConfig; the message, or undefined when the bindings are acceptable */
export function validateBindings(bindings: PortMap | null | undefined): string | undefined {
  for (const [key, list] of Object.entries(bindings ?? {})) {
    for (const b of list ?? []) {
      if (b.HostIp) return "host IP is not supported for port bindings";
      const [start, end] = String(b.HostPort ?? "").split("-");
      if (end !== undefined && Number(end) !== Number(start)) return "host port ranges are not supported for port bindings";
    }
    // the forwarder is TCP; 0.5's iptables carried UDP too, which this appliance cannot
    if (!/\/tcp$/.test(key) && key.includes("/")) return `port ${key}: only tcp ports can be published by this VCH`;
  }
  return undefined;
}

/** "80/tcp" or "80" -> [80, "tcp"] */
export function splitPort(key: string): [number, string] {
  const [p, proto] = key.split("/");
  return [Number(p), proto || "tcp"];
}

export interface Mapping {
  /** "80/tcp" */
  key: string;
  hostPort: number;
  privatePort: number;
}

interface Held extends Mapping {
  containerId: string;
  token: number;
  server: Server;
}

export class PortMapper {
  private readonly held = new Map<number, Held>();
  /** host ports being bound now, so two starts cannot take one */
  private readonly reserved = new Set<number>();
  private next = EPHEMERAL_FIRST;
  private tokens = 0;
  private readonly open = new Set<Socket>();

  constructor(
    /** the client (external) interface the host ports are on */
    private readonly clientNic: () => GuestNic,
    /** the bridge interface the containers are reached through */
    private readonly bridgeNic: () => GuestNic,
    private readonly log: ComponentLog,
  ) {}

  /** the container's mappings now, in the order they were made */
  of(containerId: string): Mapping[] {
    return [...this.held.values()].filter((h) => h.containerId === containerId).map(({ key, hostPort, privatePort }) => ({ key, hostPort, privatePort }));
  }

  /**
   * Map every wanted port (hostPort undefined: one from the ephemeral range)
   * to the container, all or none. `target` gives the container's bridge
   * address when a connection arrives. Returns a token for unmap.
   */
  async map(container: { id: string; name: string }, wanted: { key: string; hostPort: number | undefined }[], target: () => Promise<string | undefined>): Promise<number> {
    const token = ++this.tokens;
    const made: Held[] = [];
    const endpoint = createHash("sha256").update(`${container.id}/bridge`).digest("hex");
    const failed = (why: string) => new PortMapError(500, `driver failed programming external connectivity on endpoint ${container.name} (${endpoint}): ${why}`);
    // another container's map, as docker's portallocator refuses it; something else of the appliance's (2376, the attach server's 8080), as docker-proxy's bind fails
    const taken = (port: number) => failed(`Bind for 0.0.0.0:${port} failed: port is already allocated`);
    const inUse = (port: number) => failed(`Error starting userland proxy: listen tcp4 0.0.0.0:${port}: bind: address already in use`);
    try {
      for (const w of wanted) {
        const [privatePort] = splitPort(w.key);
        let server: Server | undefined;
        let hostPort = w.hostPort;
        if (hostPort !== undefined) {
          if (this.held.has(hostPort) || this.reserved.has(hostPort)) throw taken(hostPort);
          server = await this.listen(hostPort, privatePort, target);
          if (!server) throw inUse(hostPort);
        } else {
          for (let tries = 0; !server && tries <= EPHEMERAL_LAST - EPHEMERAL_FIRST; tries++) {
            const p = this.next;
            this.next = p >= EPHEMERAL_LAST ? EPHEMERAL_FIRST : p + 1;
            if (this.held.has(p) || this.reserved.has(p)) continue;
            server = await this.listen(p, privatePort, target);
            if (server) hostPort = p;
          }
          if (!server || hostPort === undefined) throw new PortMapError(500, `Bind for 0.0.0.0:0 failed: no free port in the range ${EPHEMERAL_FIRST}-${EPHEMERAL_LAST}`);
        }
        const h: Held = { key: w.key, hostPort, privatePort, containerId: container.id, token, server };
        this.held.set(hostPort, h);
        made.push(h);
      }
    } catch (e) {
      for (const h of made) this.release(h);
      throw e;
    }
    if (made.length) this.log.info(`container ${container.id.slice(0, 12)}: mapped ${made.map((h) => `${h.hostPort}->${h.key}`).join(", ")}`);
    return token;
  }

  /** drop the container's mappings (only those of `token`, when given): the host ports are free again */
  unmap(containerId: string, token?: number): void {
    const gone = [...this.held.values()].filter((h) => h.containerId === containerId && (token === undefined || h.token === token));
    for (const h of gone) this.release(h);
    if (gone.length) this.log.info(`container ${containerId.slice(0, 12)}: unmapped ${gone.map((h) => h.hostPort).join(", ")}`);
  }

  close(): void {
    for (const h of [...this.held.values()]) this.release(h);
    for (const s of this.open) s.destroy();
  }

  private release(h: Held): void {
    if (this.held.get(h.hostPort) === h) this.held.delete(h.hostPort);
    h.server.close();
  }

  /** a listener on the client address at `hostPort`, or undefined when the address and port are in use */
  private async listen(hostPort: number, privatePort: number, target: () => Promise<string | undefined>): Promise<Server | undefined> {
    this.reserved.add(hostPort);
    try {
      return await this.clientNic().listen(hostPort, (client) => this.forward(client, privatePort, target));
    } catch (e) {
      if ((e as { code?: string }).code === "EADDRINUSE" || (e as { code?: string }).code === "EACCES") return undefined;
      throw e;
    } finally {
      this.reserved.delete(hostPort);
    }
  }

  /** one connection: to CONTAINER_IP:PORT from the bridge NIC, bytes both ways, an end for an end */
  private forward(client: Socket, port: number, target: () => Promise<string | undefined>): void {
    this.open.add(client);
    client.on("close", () => this.open.delete(client));
    client.on("error", () => {});
    client.pause();
    void target().then((ip) => {
      if (!ip || client.destroyed) return void client.destroy();
      let up: Socket;
      try {
        up = this.bridgeNic().connect(ip, port);
      } catch (e) {
        this.log.warn(`port ${port}: ${(e as Error).message}`);
        return void client.destroy();
      }
      this.open.add(up);
      // one side gone without its end (reset, destroyed): the other goes too
      up.on("close", () => {
        this.open.delete(up);
        if (!client.writableEnded) client.destroy();
      });
      client.on("close", () => {
        if (!up.writableEnded) up.destroy();
      });
      // a refused connection resets the client, as a DNAT to a closed port does
      up.on("error", () => client.resetAndDestroy?.() ?? client.destroy());
      client.pipe(up);
      up.pipe(client);
      client.resume();
    }, () => client.destroy());
  }
}
