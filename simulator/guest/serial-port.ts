// A VM's serial port while it is powered on, as the ESXi VMX process runs it:
// a network-backed port with direction=client is a real TCP connection to
// the port's serviceURI, opened at power on and reopened with backoff when it
// drops (VIC's container VMs reach their appliance this way); with
// direction=server the port listens; a file-backed port appends what the
// guest writes to its datastore file. The guest sees all of them as its
// ttyS<n>.
import net from "node:net";
import type { Clock } from "../clock.ts";
import type { GuestSerialPort } from "../../hardware/guest-hardware.ts";

export interface SerialBacking {
  _type: string;
  direction?: string;
  serviceURI?: string;
  fileName?: string;
}

export interface SerialPortHost {
  clock: Clock;
  /** a vmware.log line */
  log(message: string): void;
  /** where a connection to HOST:PORT really goes (guest addresses mapped to 127.0.0.1 ports) */
  route(host: string, port: number): { host: string; port: number };
  /** may the host open an outbound TCP connection to this port (the firewall's answer)? */
  allowsOutbound(port: number): boolean;
  /** refused connections this host's serial ports have met lately, shared by all of them */
  refusals: RefusedEndpoints;
  /** append to a datastore file ("[ds] path") */
  appendFile(dsPath: string, data: Buffer): void;
  /** the port's connectable.connected changed */
  connectedChanged(connected: boolean): void;
  /** guest code threw in a listener: the guest crashed */
  guestFault(e: unknown): void;
}

const BACKOFF_FIRST_MS = 200;
// a peer that stays away (a VCH being recreated) is retried every 30 s at most, so a host full of such VMs is not a busy loop
const BACKOFF_MAX_MS = 30_000;

// How long one refused connection answers the retries of every port aimed at
// the same address. Short beside the first backoff step, so a listener that
// comes up is reached as soon as it would have been, give or take this much.
const REFUSAL_MEMORY_MS = 100;
const endpoint = (host: string, port: number) => `${host}:${port}`;

/**
 * Refused connections by address, for one host. When an appliance is down, a
 * thousand container VMs retry the same address; a refusal answers the
 * retries that fall due just after it, so a host full of such VMs costs one
 * socket per moment rather than one per VM per retry. Only a refusal is
 * remembered: it is immediate and certain, where a timeout is neither.
 */
export class RefusedEndpoints {
  private readonly until = new Map<string, number>();
  constructor(private readonly clock: Clock) {}

  refused(host: string, port: number): boolean {
    const key = endpoint(host, port);
    const t = this.until.get(key);
    if (t === undefined) return false;
    if (this.clock.now().getTime() < t) return true;
    this.until.delete(key);
    return false;
  }

  noteRefused(host: string, port: number): void {
    this.until.set(endpoint(host, port), this.clock.now().getTime() + REFUSAL_MEMORY_MS);
  }

  noteAccepted(host: string, port: number): void {
    this.until.delete(endpoint(host, port));
  }
}

export function parseServiceUri(uri: string): { host: string; port: number } | undefined {
  const m = /^(?:tcp|telnet|tcp4):\/\/(\[[^\]]*\]|[^:/]*):(\d+)\/?$/i.exec(uri.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

export class SerialPortLink implements GuestSerialPort {
  readonly name: string;
  private socket?: net.Socket;
  private server?: net.Server;
  private cancelRetry?: () => void;
  private backoff = BACKOFF_FIRST_MS;
  private closed = false;
  private isConnected = false;
  private deviceConnected = false;
  private blockedLogged = false;
  private failureLogged = false;
  private readonly listeners = { data: new Set<(d: Buffer) => void>(), connect: new Set<() => void>(), disconnect: new Set<() => void>() };

  constructor(readonly index: number, private readonly device: string, private readonly backing: SerialBacking, private readonly host: SerialPortHost) {
    this.name = `ttyS${index}`;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  start(): void {
    const b = this.backing;
    if (/URIBackingInfo$/.test(b._type)) {
      const target = parseServiceUri(b.serviceURI ?? "");
      if (!target) {
        this.host.log(`vmx| W115: ${this.device}: cannot use serviceURI ${JSON.stringify(b.serviceURI ?? "")}: expected tcp://HOST:PORT or telnet://HOST:PORT`);
        return;
      }
      if (b.direction === "server") this.listen(target);
      else this.connect(target);
    } else if (/FileBackingInfo$/.test(b._type) && b.fileName) {
      this.host.log(`vmx| I125: ${this.device}: writing to file ${b.fileName}`);
      this.setConnected(true);
    } else {
      this.host.log(`vmx| I125: ${this.device}: ${b._type} backing is not connected to anything in the simulator`);
    }
  }

  /** Power off: close everything and stop retrying. */
  stop(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelRetry?.();
    this.socket?.destroy();
    this.server?.close();
    this.server = undefined;
    this.setConnected(false);
    for (const set of Object.values(this.listeners)) set.clear();
  }

  write(data: Buffer | string): void {
    if (this.closed) return;
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const b = this.backing;
    if (/FileBackingInfo$/.test(b._type) && b.fileName) {
      this.host.appendFile(b.fileName, buf);
      return;
    }
    if (this.socket && this.isConnected) this.socket.write(buf);
  }

  onData(l: (d: Buffer) => void): () => void {
    return this.on("data", l);
  }
  onConnect(l: () => void): () => void {
    return this.on("connect", l);
  }
  onDisconnect(l: () => void): () => void {
    return this.on("disconnect", l);
  }

  private on<K extends keyof SerialPortLink["listeners"]>(kind: K, l: SerialPortLink["listeners"][K] extends Set<infer F> ? F : never): () => void {
    const set = this.listeners[kind] as Set<typeof l>;
    set.add(l);
    return () => set.delete(l);
  }

  private emit(kind: "data", d: Buffer): void;
  private emit(kind: "connect" | "disconnect"): void;
  private emit(kind: keyof SerialPortLink["listeners"], d?: Buffer): void {
    for (const l of [...this.listeners[kind]]) {
      try {
        (l as (d?: Buffer) => void)(d);
      } catch (e) {
        this.host.guestFault(e);
      }
    }
  }

  /** Both sides of "connected": the device's (connectable.connected) and the line's (a peer is there). A server port's device is connected while it listens; its line only while a peer is attached. */
  private setConnected(c: boolean, device = true): void {
    if (device && c !== this.deviceConnected) {
      this.deviceConnected = c;
      this.host.connectedChanged(c);
    }
    if (c === this.isConnected) return;
    this.isConnected = c;
    if (!this.closed) this.emit(c ? "connect" : "disconnect");
  }

  /** `retrying`: a backoff retry, which another port's fresh refusal may answer; power on always dials, as a new VMX process knows of no other's failures. */
  private connect(target: { host: string; port: number }, retrying = false): void {
    if (this.closed) return;
    const uri = this.backing.serviceURI;
    if (!this.host.allowsOutbound(target.port)) {
      if (!this.blockedLogged) {
        this.host.log(`vmx| W115: ${this.device}: connection to ${uri} not made: the host firewall blocks outgoing TCP port ${target.port} (enable the remoteSerialPort ruleset)`);
        this.blockedLogged = true;
      }
      this.retry(target);
      return;
    }
    this.blockedLogged = false;
    const to = this.host.route(target.host, target.port);
    if (retrying && this.host.refusals.refused(to.host, to.port)) {
      this.connectFailed("ECONNREFUSED");
      this.retry(target);
      return;
    }
    const s = net.connect({ host: to.host, port: to.port });
    this.socket = s;
    s.setNoDelay(true);
    s.on("connect", () => {
      if (this.closed) return void s.destroy();
      this.backoff = BACKOFF_FIRST_MS;
      this.failureLogged = false;
      this.host.refusals.noteAccepted(to.host, to.port);
      this.host.log(`vmx| I125: ${this.device}: connected to ${uri}`);
      this.setConnected(true);
    });
    s.on("data", (d: Buffer) => this.emit("data", d));
    s.on("error", (e: NodeJS.ErrnoException) => {
      if (this.closed || this.isConnected) return;
      if (e.code === "ECONNREFUSED") this.host.refusals.noteRefused(to.host, to.port);
      this.connectFailed(e.code ?? e.message);
    });
    s.on("close", () => {
      if (this.socket !== s) return;
      this.socket = undefined;
      if (this.isConnected && !this.closed) this.host.log(`vmx| I125: ${this.device}: connection to ${uri} closed`);
      this.setConnected(false);
      this.retry(target);
    });
  }

  /** one "cannot connect" line per outage, not one per retry */
  private connectFailed(reason: string): void {
    if (this.failureLogged) return;
    this.failureLogged = true;
    this.host.log(`vmx| W115: ${this.device}: cannot connect to ${this.backing.serviceURI}: ${reason}; retrying`);
  }

  private retry(target: { host: string; port: number }): void {
    if (this.closed) return;
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.cancelRetry = this.host.clock.setTimeout(() => this.connect(target, true), wait);
  }

  private listen(target: { host: string; port: number }): void {
    const uri = this.backing.serviceURI;
    const server = net.createServer((s) => {
      if (this.socket) {
        // one peer at a time, as the VMX's serial port server
        s.destroy();
        return;
      }
      this.socket = s;
      s.setNoDelay(true);
      this.host.log(`vmx| I125: ${this.device}: accepted a connection on ${uri}`);
      s.on("data", (d: Buffer) => this.emit("data", d));
      s.on("error", () => {});
      s.on("close", () => {
        if (this.socket !== s) return;
        this.socket = undefined;
        this.setConnected(false, this.closed);
      });
      this.setConnected(true, false);
    });
    this.server = server;
    server.on("error", (e: NodeJS.ErrnoException) => this.host.log(`vmx| W115: ${this.device}: cannot listen on ${uri}: ${e.code ?? e.message}`));
    server.listen(target.port, target.host || "127.0.0.1", () => {
      if (this.closed) return void server.close();
      this.host.log(`vmx| I125: ${this.device}: listening on ${uri}`);
      this.deviceConnected = true;
      this.host.connectedChanged(true);
    });
  }
}
