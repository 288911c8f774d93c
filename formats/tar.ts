// tar archives (POSIX ustar with pax extended headers), read and written.
// A guest disk's layer is a tar stream at the start of its extent (see
// README.md, "Disk layers"), and image layers from a registry are tar
// streams too, so both directions are needed. Reading also takes GNU long
// names and base-256 numbers, which other tools write.

export type TarEntryType = "file" | "dir" | "symlink" | "hardlink" | "other";

export interface TarEntry {
  /** relative, '/'-separated, no leading "./" or '/', no trailing '/' */
  path: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  /** symlink or hardlink target */
  linkname?: string;
  data?: Buffer;
}

export class TarFormatError extends Error {
  constructor(message: string) {
    super(`tar: ${message}`);
    this.name = "TarFormatError";
  }
}

const BLOCK = 512;

function field(h: Buffer, off: number, len: number): string {
  const end = h.indexOf(0, off);
  return h.toString("utf8", off, end >= 0 && end < off + len ? end : off + len);
}

function num(h: Buffer, off: number, len: number, what: string): number {
  if (h[off] & 0x80) {
    // base-256 (GNU/star): big-endian, first byte's high bit set
    let v = h[off] & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + h[off + i];
    return v;
  }
  const s = field(h, off, len).trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError(`header field ${what} is not octal: ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

function checksumOf(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  return sum;
}

/** Is this 512-byte block a tar header (its checksum holds)? */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < BLOCK || block.every((b) => b === 0)) return false;
  const s = field(block, 148, 8).trim();
  return /^[0-7]+$/.test(s) && parseInt(s, 8) === checksumOf(block);
}

function normalize(p: string): string {
  return p.replace(/^(\.\/)+/, "").replace(/^\/+/, "").replace(/\/+$/, "").replace(/\/{2,}/g, "/");
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const sp = data.indexOf(0x20, at);
    if (sp < 0) break;
    const len = parseInt(data.toString("ascii", at, sp), 10);
    if (!Number.isFinite(len) || len <= 0 || at + len > data.length) throw new TarFormatError("malformed pax extended header");
    const rec = data.toString("utf8", sp + 1, at + len - 1);
    const eq = rec.indexOf("=");
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    at += len;
  }
  return out;
}

/**
 * The entries of a tar stream, in order. It ends at two zero blocks, at a
 * zero block followed by the end of data, or at the end of data; a stream
 * that is all zeros is an empty archive. `.` and the root are left out.
 */
export function readTar(buf: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let at = 0;
  let pax: Record<string, string> = {};
  let global: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  while (at + BLOCK <= buf.length) {
    const h = buf.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) break;
    if (!isTarHeader(h)) throw new TarFormatError(`bad header checksum at offset ${at}`);
    const size = num(h, 124, 12, "size");
    const flag = String.fromCharCode(h[156] || 0x30);
    const dataStart = at + BLOCK;
    if (dataStart + size > buf.length) throw new TarFormatError(`entry at offset ${at} runs past the end of the archive`);
    const data = buf.subarray(dataStart, dataStart + size);
    at = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (flag === "x") {
      pax = parsePax(data);
      continue;
    }
    if (flag === "g") {
      global = { ...global, ...parsePax(data) };
      continue;
    }
    if (flag === "L") {
      longName = data.toString("utf8").replace(/\0+$/, "");
      continue;
    }
    if (flag === "K") {
      longLink = data.toString("utf8").replace(/\0+$/, "");
      continue;
    }
    const attrs = { ...global, ...pax };
    const magic = h.toString("ascii", 257, 262);
    const prefix = magic === "ustar" ? field(h, 345, 155) : "";
    const name = attrs.path ?? longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    const linkname = attrs.linkpath ?? longLink ?? field(h, 157, 100);
    pax = {};
    longName = longLink = undefined;
    const path = normalize(name);
    const type: TarEntryType = flag === "0" || flag === "7" ? (name.endsWith("/") ? "dir" : "file") : flag === "5" ? "dir" : flag === "2" ? "symlink" : flag === "1" ? "hardlink" : "other";
    if (path === "" || path === ".") continue;
    const mtime = attrs.mtime !== undefined ? Number(attrs.mtime) : num(h, 136, 12, "mtime");
    const entry: TarEntry = {
      path,
      type,
      mode: num(h, 100, 8, "mode") & 0o7777,
      uid: attrs.uid !== undefined ? Number(attrs.uid) : num(h, 108, 8, "uid"),
      gid: attrs.gid !== undefined ? Number(attrs.gid) : num(h, 116, 8, "gid"),
      mtime: new Date(Math.floor(mtime * 1000)),
    };
    if (type === "symlink" || type === "hardlink") entry.linkname = type === "hardlink" ? normalize(linkname) : linkname;
    if (type === "file") entry.data = Buffer.from(data);
    out.push(entry);
  }
  return out;
}

function octal(h: Buffer, off: number, len: number, v: number): void {
  h.write(v.toString(8).padStart(len - 1, "0") + "\0", off, len, "ascii");
}

function header(name: string, e: { mode: number; uid: number; gid: number; mtime: number; size: number; flag: string; linkname?: string }): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, "utf8");
  octal(h, 100, 8, e.mode);
  octal(h, 108, 8, e.uid);
  octal(h, 116, 8, e.gid);
  octal(h, 124, 12, e.size);
  octal(h, 136, 12, e.mtime);
  h.write(e.flag, 156, 1, "ascii");
  if (e.linkname) h.write(e.linkname, 157, 100, "utf8");
  h.write("ustar\0", 257, 6, "ascii");
  h.write("00", 263, 2, "ascii");
  h.write("root", 265, 32, "ascii");
  h.write("root", 297, 32, "ascii");
  h.write(checksumOf(h).toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
  return h;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = Buffer.byteLength(body);
  // the length counts its own digits
  let total = n + String(n).length;
  if (String(total).length !== String(n).length) total = n + String(total).length;
  return `${total}${body}`;
}

const fits = (s: string) => Buffer.byteLength(s) <= 100 && /^[\x20-\x7e]*$/.test(s);

/** A tar stream of `entries` (ustar; pax headers for long or non-ASCII names and large ids), ending in two zero blocks. */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const path = e.type === "dir" ? `${normalize(e.path)}/` : normalize(e.path);
    const data = e.type === "file" ? e.data ?? Buffer.alloc(0) : Buffer.alloc(0);
    const linkname = e.linkname ?? "";
    const mtime = Math.max(0, Math.floor(e.mtime.getTime() / 1000));
    const records: string[] = [];
    if (!fits(path)) records.push(paxRecord("path", path));
    if (linkname && !fits(linkname)) records.push(paxRecord("linkpath", linkname));
    if (e.uid > 0o7777777) records.push(paxRecord("uid", String(e.uid)));
    if (e.gid > 0o7777777) records.push(paxRecord("gid", String(e.gid)));
    if (data.length > 0o77777777777) throw new TarFormatError(`${path}: larger than 8 GiB`);
    if (records.length) {
      const body = Buffer.from(records.join(""), "utf8");
      parts.push(header(`PaxHeaders/${path.slice(0, 80).replace(/[^\x20-\x7e]/g, "_")}`, { mode: 0o644, uid: 0, gid: 0, mtime, size: body.length, flag: "x" }), body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK));
    }
    const flag = { file: "0", dir: "5", symlink: "2", hardlink: "1", other: "0" }[e.type];
    const short = fits(path) ? path : path.slice(-99).replace(/[^\x20-\x7e]/g, "_");
    parts.push(header(short, { mode: e.mode & 0o7777, uid: Math.min(e.uid, 0o7777777), gid: Math.min(e.gid, 0o7777777), mtime, size: data.length, flag, linkname: fits(linkname) ? linkname : "" }));
    if (data.length) parts.push(data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}
