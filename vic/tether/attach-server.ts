// tether's attach extension: an SSH server on ttyS0 (spec §4 "Protocol on
// top"). After the serial handshake the port layer connects as SSH client
// `daemon`; the host key is the ExecutorConfig's `key`; no client auth.
//
// VIC 0.4 sent a global request `container-ids` and opened a channel of its
// own type `attach` with the session ID as extra data. The ssh2 library
// offers neither custom global requests nor custom channel types, so the
// same conversation rides on session channels: `exec container-ids`
// answers the IDs, one per line, and `exec attach <id>` is the attach
// channel. Inside it everything is as VIC had it: stdout as data, stderr as
// extended data, stdin written to the channel, `window-change` and `signal`
// requests (RFC 4254).
import ssh2 from "ssh2";
import type { ServerChannel } from "ssh2";
import type { GuestHardware } from "../../hardware/guest-hardware.ts";
import type { ExecutorConfig } from "../lib/executor-config.ts";
import { handshakeServer, LinkClosed, linkStream, type ByteLink } from "../lib/serial-link.ts";

export type AttachStream = ServerChannel;

export interface AttachTarget {
  ids(): string[];
  /** false: refused (not started, exited, unknown) */
  attach(id: string, stream: AttachStream): boolean;
  resize(rows: number, cols: number): void;
  signal(name: string): boolean;
  alive(): boolean;
  debug(m: string): void;
}

export function serveAttach(hw: GuestHardware, config: ExecutorConfig, target: AttachTarget): void {
  const tty = hw.serial[0];
  if (!tty || !config.key?.length) {
    target.debug("no serial0 or no host key: attach is off");
    return;
  }
  const link: ByteLink = { write: (d) => tty.write(d), onData: (l) => tty.onData(l) };
  const server = new ssh2.Server({ hostKeys: [config.key] });
  server.on("connection", (client) => {
    client.on("error", (e) => target.debug(`ssh: ${e.message}`));
    client.on("authentication", (ctx) => ctx.accept());
    client.on("session", (accept) => {
      const session = accept();
      session.on("exec", (acceptExec, reject, info) => {
        const [verb, id] = info.command.trim().split(/\s+/);
        if (verb === "container-ids") {
          const ch = acceptExec();
          ch.end(`${target.ids().join("\n")}\n`);
          ch.exit(0);
          return;
        }
        if (verb === "attach" && id) {
          const ch = acceptExec();
          if (!target.attach(id, ch)) {
            ch.stderr.write(`session ${id} is not running\n`);
            ch.exit(1);
            ch.end();
          }
          return;
        }
        reject?.();
      });
      session.on("window-change", (acc, _rej, info) => {
        target.resize(info.rows, info.cols);
        acc?.();
      });
      session.on("signal", (acc, rej, info) => {
        if (target.signal(info.name)) acc?.();
        else rej?.();
      });
    });
  });

  // one SSH conversation per serial connection; a new handshake after the link drops (an appliance restart)
  const serve = async () => {
    while (target.alive()) {
      let leftover: Buffer;
      try {
        leftover = await handshakeServer(link, (fn, ms) => hw.clock.setTimeout(fn, ms), target.alive);
      } catch (e) {
        if (e instanceof LinkClosed) return;
        throw e;
      }
      target.debug("serial link up: handshake done");
      const closed = new Promise<void>((resolve) => {
        let done = () => {};
        const stream = linkStream(link, leftover, (close) => {
          const offDisconnect = tty.onDisconnect(() => close());
          done = () => {
            offDisconnect();
            resolve();
          };
        });
        stream.on("close", () => done());
        stream.on("error", () => done());
        server.injectSocket(stream as unknown as import("node:net").Socket);
      });
      await closed;
      target.debug("serial link down");
    }
  };
  serve().catch((e) => target.debug(`attach: ${(e as Error).message}`));
  hw.onHalt(() => server.close());
}
