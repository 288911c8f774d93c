// Seeded identifiers: the same scenario gives the same UUIDs, MACs and
// session keys on every run, so fixtures and golden files stay stable.
import crypto, { createHash } from "node:crypto";

// crypto.hash (node 20.12) skips the stream object createHash builds, which
// cost more than the digest for these short inputs; a session or task id is
// made on every Login and every task.
const sha256: (data: string) => Buffer = typeof crypto.hash === "function"
  ? (data) => crypto.hash("sha256", data, "buffer") as unknown as Buffer
  : (data) => createHash("sha256").update(data).digest();

/** murmur3's 32-bit finalizer: a bijection, so distinct inputs stay distinct */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hex8(x: number): string {
  return x.toString(16).padStart(8, "0");
}

/** 32 hex digits as 8-4-4-4-12 */
function uuidOf(h: string): string {
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export class IdSource {
  private counters = new Map<string, number>();
  /** per namespace, the four words a sequence's UUIDs are mixed from */
  private readonly sequenceBases = new Map<string, Uint32Array>();
  constructor(readonly seed: string) {}

  /** the digest every id of (seed, namespace, name) is cut from */
  private digest(namespace: string, name: string): Buffer {
    return sha256(`${this.seed}\0${namespace}\0${name}`);
  }

  /** 16 bytes derived from the seed, a namespace and a name */
  private bytes(namespace: string, name: string): Buffer {
    return this.digest(namespace, name).subarray(0, 16);
  }

  /** An RFC 4122 version-4-shaped UUID, stable for (seed, namespace, name). */
  uuid(namespace: string, name: string): string {
    const b = Buffer.from(this.bytes(namespace, name));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    return uuidOf(b.toString("hex"));
  }

  /**
   * Next UUID in a sequence, for things with no stable name (sessions,
   * property collectors, filters, views). Every login and every task wait
   * makes some, so the digest is taken once per namespace and each id mixes
   * the counter into it: each word is a bijection of the counter, so ids of
   * one namespace never repeat.
   */
  nextUuid(namespace: string): string {
    const n = this.next(namespace);
    let base = this.sequenceBases.get(namespace);
    if (!base) {
      const d = this.digest("sequence", namespace);
      base = new Uint32Array([d.readUInt32BE(0), d.readUInt32BE(4), d.readUInt32BE(8), d.readUInt32BE(12)]);
      this.sequenceBases.set(namespace, base);
    }
    const w0 = fmix32(base[0] ^ n);
    const w1 = ((fmix32(base[1] ^ Math.imul(n, 0x9e3779b9)) & 0xffff0fff) | 0x4000) >>> 0;
    const w2 = ((fmix32(base[2] ^ Math.imul(n, 0x85ebca77)) & 0x3fffffff) | 0x80000000) >>> 0;
    const w3 = fmix32(base[3] ^ Math.imul(n, 0xc2b2ae3d));
    return uuidOf(hex8(w0) + hex8(w1) + hex8(w2) + hex8(w3));
  }

  next(namespace: string): number {
    const n = (this.counters.get(namespace) ?? 0) + 1;
    this.counters.set(namespace, n);
    return n;
  }

  save(): ReadonlyMap<string, number> {
    return new Map(this.counters);
  }

  /** Back to saved counters, except the namespaces `keep` names: those go on counting, so ids still in use stay unique. */
  load(saved: ReadonlyMap<string, number>, keep: (namespace: string) => boolean): void {
    const next = new Map<string, number>();
    for (const [ns, n] of saved) if (!keep(ns)) next.set(ns, n);
    for (const [ns, n] of this.counters) if (keep(ns)) next.set(ns, n);
    this.counters = next;
  }

  hex(namespace: string, name: string, chars: number): string {
    return this.digest(namespace, name).toString("hex").slice(0, chars);
  }

  /** A MAC in VMware's generated range 00:0c:29 (as ESXi assigns to VMs). */
  mac(name: string): string {
    const h = this.hex("mac", name, 6);
    return `00:0c:29:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`;
  }
}
