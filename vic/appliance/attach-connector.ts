// The port layer's attach server (0.4/0.5 lib/portlayer/attach; spec §4
// "VCH side"): container VMs' serial0 arrive here as TCP connections from
// the ESX host's VMX. For each, the serial handshake (we are its client),
// then SSH as client `daemon` without a host key check, the container's
// session IDs, and a record of who is reachable, which `open` waits on (30
// s, as VIC's interaction handlers did). The channel conventions are
// tether's (vic/tether/attach-server.ts): `exec container-ids`, `exec
// attach <id>`.
import type { Socket } from "node:net";
import ssh2 from "ssh2";
import type { ClientChannel } from "ssh2";
import { handshakeClient, linkStream, type ByteLink } from "../lib/serial-link.ts";
import type { ComponentLog, VchContext } from "./vch-context.ts";

export const INTERACTION_TIMEOUT_MS = 30_000;

export class AttachConnector {
  /** session ID -> the SSH client of the container that runs it */
  private readonly sessions = new Map<string, ssh2.Client>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly sockets = new Set<Socket>();

  constructor(private readonly vch: VchContext, private readonly log: ComponentLog) {}

  /** a VMX's serial connection */
  accept(sock: Socket): void {
    this.sockets.add(sock);
    sock.setNoDelay(true);
    sock.on("error", () => {});
    sock.on("close", () => this.sockets.delete(sock));
    void this.converse(sock).catch((e: Error) => {
      this.log.warn(`attach connection from ${sock.remoteAddress}: ${e.message}`);
      sock.destroy();
    });
  }

  private async converse(sock: Socket): Promise<void> {
    const link: ByteLink = {
      write: (d) => void sock.write(d),
      onData: (l) => {
        sock.on("data", l);
        return () => sock.off("data", l);
      },
    };
    const leftover = await handshakeClient(link, (fn, ms) => this.vch.hw.clock.setTimeout(fn, ms));
    const stream = linkStream(link, leftover, (close) => sock.once("close", close));
    const client = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      client.once("ready", () => resolve());
      client.once("error", reject);
      client.connect({ sock: stream, username: "daemon", hostVerifier: () => true, readyTimeout: 20_000, keepaliveInterval: 0 });
    });
    const ids = (await this.exec(client, "container-ids")).split("\n").map((s) => s.trim()).filter(Boolean);
    this.log.info(`attach: ${ids.map((i) => i.slice(0, 12)).join(", ")} reachable over serial from ${sock.remoteAddress}`);
    for (const id of ids) {
      this.sessions.set(id, client);
      for (const w of this.waiters.get(id) ?? []) w();
      this.waiters.delete(id);
    }
    const forget = () => {
      for (const id of ids) if (this.sessions.get(id) === client) this.sessions.delete(id);
    };
    client.on("close", forget);
    client.on("error", (e) => this.log.warn(`attach ssh: ${e.message}`));
    sock.on("close", () => {
      forget();
      client.end();
    });
  }

  private exec(client: ssh2.Client, command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      client.exec(command, (err, ch) => {
        if (err) return reject(err);
        let out = "";
        ch.on("data", (d: Buffer) => (out += d.toString("utf8")));
        ch.stderr.on("data", () => {});
        ch.on("close", () => resolve(out));
      });
    });
  }

  /** the attach channel of session `id`, once its container is reachable (or an error after the timeout) */
  async open(id: string, timeoutMs = INTERACTION_TIMEOUT_MS, abort?: AbortSignal): Promise<ClientChannel> {
    let client = this.sessions.get(id);
    if (!client) {
      await new Promise<void>((resolve, reject) => {
        const set = this.waiters.get(id) ?? new Set();
        this.waiters.set(id, set);
        const done = () => {
          cancel();
          set.delete(done);
          resolve();
        };
        const cancel = this.vch.hw.clock.setTimeout(() => {
          set.delete(done);
          reject(new Error(`container ${id.slice(0, 12)} did not connect within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        set.add(done);
        abort?.addEventListener("abort", () => {
          cancel();
          set.delete(done);
          reject(new Error("the client went away"));
        }, { once: true });
      });
      client = this.sessions.get(id)!;
    }
    return new Promise((resolve, reject) => {
      client!.exec(`attach ${id}`, (err, ch) => (err ? reject(err) : resolve(ch)));
    });
  }

  reachable(id: string): boolean {
    return this.sessions.has(id);
  }

  close(): void {
    for (const c of new Set(this.sessions.values())) c.end();
    for (const s of this.sockets) s.destroy();
  }
}
