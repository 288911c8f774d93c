// The serial link between the port layer and tether (0.4/0.5
// pkg/serial/handshake.go; spec §4 "Handshake"): over the container VM's
// serial0, which the ESX host's VMX connects to the VCH's attach server.
// The port layer is the handshake's client: SYN and a random byte n; tether
// answers ACK, n+1 and its own m; the client acknowledges m+1; a mismatch
// is NAKed and tried again. Then a lossiness check: tether sends a known
// string, the client echoes it, tether compares and ACKs. What follows is
// SSH (the port layer its client, tether its server) over the same bytes,
// through the Duplex that `linkStream` makes.
import { randomInt } from "node:crypto";
import { Duplex } from "node:stream";

export const SYN = 0x16;
export const ACK = 0x06;
export const NAK = 0x15;
/** the lossiness check: a coloured "hello world", 23 bytes */
export const ECHO_CHECK = Buffer.from("\x1b[32mhello world\x1b[39m\r\n", "latin1");

/** A byte stream either end holds: a TCP socket on the VCH, ttyS0 in the guest. */
export interface ByteLink {
  write(data: Buffer): void;
  /** returns a function that removes the listener */
  onData(listener: (data: Buffer) => void): () => void;
}

export class LinkClosed extends Error {}

/** Bytes as they arrive, read a few at a time with deadlines. */
export class LinkReader {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private readonly off: () => void;
  private closed = false;

  constructor(link: ByteLink, private readonly setTimer: (fn: () => void, ms: number) => () => void) {
    this.off = link.onData((d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
  }

  purge(): void {
    this.buf = Buffer.alloc(0);
  }

  close(): void {
    this.closed = true;
    this.waiter?.();
  }

  /** exactly n bytes, or undefined after `ms` */
  async read(n: number, ms: number): Promise<Buffer | undefined> {
    if (this.buf.length < n && !this.closed) {
      await new Promise<void>((resolve) => {
        const cancel = this.setTimer(() => {
          this.waiter = undefined;
          resolve();
        }, ms);
        this.waiter = () => {
          if (this.buf.length >= n || this.closed) {
            cancel();
            this.waiter = undefined;
            resolve();
          }
        };
      });
    }
    if (this.closed && this.buf.length < n) throw new LinkClosed("the serial link closed");
    if (this.buf.length < n) return undefined;
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** stop reading; what arrived and was not read is handed back */
  detach(): Buffer {
    this.off();
    return this.buf;
  }
}

type Timer = (fn: () => void, ms: number) => () => void;

/** The port layer's side: returns once the link is proven, with any bytes that came after. */
export async function handshakeClient(link: ByteLink, setTimer: Timer, attempts = 200): Promise<Buffer> {
  const r = new LinkReader(link, setTimer);
  try {
    for (let i = 0; i < attempts; i++) {
      r.purge();
      const n = randomInt(256);
      link.write(Buffer.from([SYN, n]));
      const ack = await r.read(3, 50);
      if (!ack) continue;
      if (ack[0] !== ACK || ack[1] !== ((n + 1) & 0xff)) {
        link.write(Buffer.from([NAK]));
        continue;
      }
      link.write(Buffer.from([ACK, (ack[2] + 1) & 0xff]));
      const check = await r.read(ECHO_CHECK.length, 1000);
      if (!check) continue;
      link.write(check);
      const ok = await r.read(1, 1000);
      if (ok?.[0] === ACK) return r.detach();
    }
    throw new Error("the serial link never completed its handshake");
  } finally {
    r.detach();
  }
}

/** tether's side: waits for the client's SYN (polling, as tether does), answers, and checks the echo. */
export async function handshakeServer(link: ByteLink, setTimer: Timer, isAlive: () => boolean = () => true): Promise<Buffer> {
  const r = new LinkReader(link, setTimer);
  try {
    while (isAlive()) {
      const syn = await r.read(1, 10);
      if (!syn || syn[0] !== SYN) continue;
      const n = await r.read(1, 50);
      if (!n) continue;
      const m = randomInt(256);
      link.write(Buffer.from([ACK, (n[0] + 1) & 0xff, m]));
      const ack = await r.read(2, 50);
      if (!ack || ack[0] !== ACK || ack[1] !== ((m + 1) & 0xff)) continue;
      link.write(ECHO_CHECK);
      const echo = await r.read(ECHO_CHECK.length, 1000);
      if (!echo || !echo.equals(ECHO_CHECK)) {
        link.write(Buffer.from([NAK]));
        continue;
      }
      link.write(Buffer.from([ACK]));
      return r.detach();
    }
    throw new LinkClosed("stopped waiting for a handshake");
  } finally {
    r.detach();
  }
}

/** The link as a Duplex for SSH, starting with bytes that came in with the handshake. */
export function linkStream(link: ByteLink, leftover: Buffer, onClose?: (fn: () => void) => void): Duplex {
  let off = () => {};
  const d = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      try {
        link.write(chunk);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    final(cb) {
      cb();
    },
    destroy(err, cb) {
      off();
      cb(err);
    },
  });
  if (leftover.length) d.push(leftover);
  off = link.onData((data) => d.push(data));
  onClose?.(() => {
    off();
    d.push(null);
    d.destroy();
  });
  return d;
}
