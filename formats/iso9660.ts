// ISO 9660 (ECMA-119) images: the CD-ROM media a VM boots from. The writer
// makes the images this project hands to guests (a primary tree with
// uppercase level 2 names for strict readers, and a Joliet tree that keeps the
// real names); the reader opens those and images made by genisoimage/mkisofs,
// so an ISO a customer uploads to a datastore can be looked into too.
// Everything happens in memory: boot media are at most a few hundred MiB.

import { constants as bufferConstants } from "node:buffer";

/** Logical sector and logical block size of every image we write. */
export const SECTOR = 2048;
const FIRST_DESCRIPTOR = 16; // sectors 0-15 are the system area
const MAX_EXTENT = 0xffff_ffff; // a directory record's data length is 32 bits
/** genisoimage -joliet-long's limit; Joliet says 64, but Linux, Windows and isoinfo read these. */
const JOLIET_MAX_NAME = 103;
const JOLIET_FORBIDDEN = /[*/:;?\\\u0000-\u001f]/;
/** ECMA-119 6.8.2.1: eight levels, the root being the first, counted as genisoimage counts them (a file is a level). */
const MAX_COMPONENTS = 7;
const MAX_ISO_PATH = 255;
const FLAG_DIRECTORY = 0x02;
const FLAG_ASSOCIATED = 0x04;
const FLAG_MULTI_EXTENT = 0x80;

export class IsoFormatError extends Error {
  override name = "IsoFormatError";
}

// ------------------------------------------------------------------ writer

export interface IsoFileInput {
  /** `/sbin/tether` or `sbin/tether`; directories are implied by the files in them */
  path: string;
  data: Uint8Array;
  /** defaults to `now` */
  mtime?: Date;
}

export interface BuildIsoOptions {
  /** at most 32 printable ASCII characters, written as given (as genisoimage -V does) */
  volumeId: string;
  files: readonly IsoFileInput[];
  /** every date in the image that no file supplies, so that the same input gives the same bytes */
  now: Date;
}

interface WDir { kind: "dir"; name: string; children: Map<string, WNode> }
interface WFile { kind: "file"; name: string; data: Uint8Array; mtime: Date; location: number }
type WNode = WDir | WFile;

/** One directory of one tree (primary or Joliet), in the tree's path table order. */
interface TDir {
  node: WDir;
  id: Buffer;
  /** index of the parent in the tree's directory list; the root is its own parent */
  parent: number;
  entries: { id: Buffer; node: WNode; dir?: number }[];
  offsets: number[];
  sectors: number;
  location: number;
}

interface Tree {
  dirs: TDir[];
  pathTableSize: number;
  lPathTable: number;
  mPathTable: number;
}

export function buildIso(opts: BuildIsoOptions): Buffer {
  const { volumeId, now } = opts;
  checkDate(now, "now");
  if (!/^[\x20-\x7e]{1,32}$/.test(volumeId)) throw new Error(`volume id ${JSON.stringify(volumeId)}: 1 to 32 printable ASCII characters`);
  const root = fileTree(opts.files, now);

  const primary = layoutTree(root, primaryIds, compareIsoIds);
  const joliet = layoutTree(root, jolietIds, Buffer.compare);
  checkPrimaryPaths(primary);

  // Descriptors, then the four path tables, the directories of both trees,
  // and the file data, which both trees share.
  let next = FIRST_DESCRIPTOR + 3;
  for (const tree of [primary, joliet]) {
    const sectors = Math.ceil(tree.pathTableSize / SECTOR);
    tree.lPathTable = next;
    tree.mPathTable = next + sectors;
    next += 2 * sectors;
  }
  for (const tree of [primary, joliet]) {
    for (const dir of tree.dirs) {
      dir.location = next;
      next += dir.sectors;
    }
  }
  for (const dir of primary.dirs) {
    for (const { node } of dir.entries) {
      if (node.kind !== "file") continue;
      if (node.data.length === 0) continue; // location 0: an empty file has no extent to point at
      node.location = next;
      next += Math.ceil(node.data.length / SECTOR);
    }
  }
  if (next * SECTOR > bufferConstants.MAX_LENGTH) throw new Error(`image of ${next * SECTOR} bytes is larger than a Buffer can hold`);

  const image = Buffer.alloc(next * SECTOR);
  writeVolumeDescriptor(image, FIRST_DESCRIPTOR, primary, { volumeId, volumeSectors: next, now, joliet: false });
  writeVolumeDescriptor(image, FIRST_DESCRIPTOR + 1, joliet, { volumeId, volumeSectors: next, now, joliet: true });
  const terminator = (FIRST_DESCRIPTOR + 2) * SECTOR;
  image[terminator] = 255;
  image.write("CD001", terminator + 1, "latin1");
  image[terminator + 6] = 1;
  for (const tree of [primary, joliet]) {
    writePathTable(image, tree, tree.lPathTable, false);
    writePathTable(image, tree, tree.mPathTable, true);
    writeDirectories(image, tree, now);
  }
  for (const dir of primary.dirs) {
    for (const { node } of dir.entries) if (node.kind === "file") image.set(node.data, node.location * SECTOR);
  }
  return image;
}

function checkDate(d: Date, what: string): void {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new Error(`${what}: not a valid date`);
}

function fileTree(files: readonly IsoFileInput[], now: Date): WDir {
  const root: WDir = { kind: "dir", name: "", children: new Map() };
  for (const file of files) {
    const parts = file.path.replace(/^\//, "").split("/");
    if (parts.some((p) => p === "" || p === "." || p === ".." || p.includes("\0"))) throw new Error(`file path ${JSON.stringify(file.path)}: empty, '.', '..' or NUL component`);
    if (parts.length > MAX_COMPONENTS) throw new Error(`file path ${file.path}: ISO 9660 allows ${MAX_COMPONENTS} levels below the root, this is ${parts.length}`);
    if (file.data.length > MAX_EXTENT) throw new Error(`file ${file.path}: ${file.data.length} bytes, more than one extent holds (4 GiB - 1)`);
    const mtime = file.mtime ?? now;
    checkDate(mtime, `mtime of ${file.path}`);
    let dir = root;
    parts.forEach((name, i) => {
      const existing = dir.children.get(name);
      if (i === parts.length - 1) {
        if (existing) throw new Error(`file path ${file.path}: given twice, or also a directory`);
        dir.children.set(name, { kind: "file", name, data: file.data, mtime, location: 0 });
      } else if (!existing) {
        const child: WDir = { kind: "dir", name, children: new Map() };
        dir.children.set(name, child);
        dir = child;
      } else if (existing.kind === "file") {
        throw new Error(`file path ${file.path}: ${parts.slice(0, i + 1).join("/")} is a file`);
      } else {
        dir = existing;
      }
    });
  }
  return root;
}

/** Code unit order, so that name clashes resolve the same way whatever order the files came in. */
function byName(a: WNode, b: WNode): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function layoutTree(root: WDir, ids: (dir: WDir) => Map<WNode, Buffer>, compare: (a: Buffer, b: Buffer) => number): Tree {
  const dirs: TDir[] = [{ node: root, id: Buffer.from([0]), parent: 0, entries: [], offsets: [], sectors: 0, location: 0 }];
  // Breadth first with each directory's children in order gives the path
  // table order ECMA-119 6.9.1 asks for: by level, parent number, identifier.
  for (let i = 0; i < dirs.length; i++) {
    const dir = dirs[i]!;
    const names = ids(dir.node);
    dir.entries = [...dir.node.children.values()].map((node) => ({ id: names.get(node)!, node })).sort((a, b) => compare(a.id, b.id));
    for (const entry of dir.entries) {
      if (entry.node.kind !== "dir") continue;
      entry.dir = dirs.length;
      dirs.push({ node: entry.node, id: entry.id, parent: i, entries: [], offsets: [], sectors: 0, location: 0 });
    }
    const packed = packRecords([1, 1, ...dir.entries.map((e) => e.id.length)].map(recordLength));
    dir.offsets = packed.offsets;
    dir.sectors = packed.sectors;
  }
  const pathTableSize = dirs.reduce((sum, d) => sum + 8 + d.id.length + (d.id.length & 1), 0);
  return { dirs, pathTableSize, lPathTable: 0, mPathTable: 0 };
}

function recordLength(idLength: number): number {
  return 33 + idLength + (idLength & 1 ? 0 : 1);
}

/** A directory record may not cross a sector boundary (ECMA-119 6.8.1.1). */
function packRecords(lengths: number[]): { offsets: number[]; sectors: number } {
  const offsets: number[] = [];
  let pos = 0;
  for (const len of lengths) {
    if ((pos % SECTOR) + len > SECTOR) pos = Math.ceil(pos / SECTOR) * SECTOR;
    offsets.push(pos);
    pos += len;
  }
  return { offsets, sectors: Math.max(1, Math.ceil(pos / SECTOR)) };
}

// Primary tree names: d-characters only, level 2 lengths (31 characters),
// NAME.EXT;1 for files. Clashes (Makefile and makefile, long names cut to the
// same prefix) take a _N suffix.
function primaryIds(dir: WDir): Map<WNode, Buffer> {
  const ids = new Map<WNode, Buffer>();
  const taken = new Set<string>();
  for (const node of [...dir.children.values()].sort(byName)) {
    const dot = node.kind === "file" ? node.name.lastIndexOf(".") : -1;
    let base = dChars(dot > 0 ? node.name.slice(0, dot) : node.name);
    let ext = dot > 0 ? dChars(node.name.slice(dot + 1)) : "";
    const room = node.kind === "file" ? 30 : 31; // level 2: name and extension together at most 30, plus the dot
    if (base.length + ext.length > room) {
      ext = ext.slice(0, 8);
      base = base.slice(0, room - ext.length);
    }
    // "A" the directory and "A." the file read back as the same name once
    // readers drop the empty extension's dot, so they clash too.
    const key = (b: string) => (ext ? `${b}.${ext}` : b);
    let unique = base;
    for (let n = 1; taken.has(key(unique)); n++) unique = base.slice(0, room - ext.length - `_${n}`.length) + `_${n}`;
    taken.add(key(unique));
    ids.set(node, Buffer.from(node.kind === "file" ? `${unique}.${ext};1` : unique, "latin1"));
  }
  return ids;
}

function dChars(s: string): string {
  let out = "";
  for (const ch of s) out += /^[A-Z0-9_]$/.test(ch) ? ch : /^[a-z]$/.test(ch) ? ch.toUpperCase() : "_";
  return out;
}

function jolietIds(dir: WDir): Map<WNode, Buffer> {
  const ids = new Map<WNode, Buffer>();
  for (const node of dir.children.values()) {
    if (node.name.length > JOLIET_MAX_NAME) throw new Error(`name ${node.name}: Joliet names are at most ${JOLIET_MAX_NAME} UTF-16 units, this is ${node.name.length}`);
    if (JOLIET_FORBIDDEN.test(node.name)) throw new Error(`name ${JSON.stringify(node.name)}: Joliet forbids control characters and * / : ; ? \\`);
    ids.set(node, ucs2(node.name));
  }
  return ids;
}

function ucs2(s: string): Buffer {
  return Buffer.from(s, "utf16le").swap16();
}

/** ECMA-119 9.3: name, then extension, each padded with spaces; then version, highest first. */
function compareIsoIds(a: Buffer, b: Buffer): number {
  const split = (id: Buffer) => {
    const s = id.toString("latin1");
    const semi = s.indexOf(";");
    const nameExt = semi < 0 ? s : s.slice(0, semi);
    const dot = nameExt.indexOf(".");
    return {
      name: dot < 0 ? nameExt : nameExt.slice(0, dot),
      ext: dot < 0 ? "" : nameExt.slice(dot + 1),
      version: semi < 0 ? 0 : Number(s.slice(semi + 1)),
    };
  };
  const padded = (x: string, y: string) => {
    const n = Math.max(x.length, y.length);
    const [px, py] = [x.padEnd(n, " "), y.padEnd(n, " ")];
    return px < py ? -1 : px > py ? 1 : 0;
  };
  const [x, y] = [split(a), split(b)];
  return padded(x.name, y.name) || padded(x.ext, y.ext) || y.version - x.version;
}

function checkPrimaryPaths(tree: Tree): void {
  const paths = new Map<number, string>([[0, ""]]);
  tree.dirs.forEach((dir, i) => {
    const path = paths.get(i)!;
    for (const entry of dir.entries) {
      const full = `${path}/${entry.id.toString("latin1")}`;
      if (full.length - 1 > MAX_ISO_PATH) throw new Error(`ISO 9660 path ${full} is longer than ${MAX_ISO_PATH} characters`);
      if (entry.dir !== undefined) paths.set(entry.dir, full);
    }
  });
}

function writeBoth16(buf: Buffer, off: number, value: number): void {
  buf.writeUInt16LE(value, off);
  buf.writeUInt16BE(value, off + 2);
}

function writeBoth32(buf: Buffer, off: number, value: number): void {
  buf.writeUInt32LE(value, off);
  buf.writeUInt32BE(value, off + 4);
}

/** A text field: ASCII padded with spaces, or for Joliet UCS-2 padded with U+0020. */
function writeText(buf: Buffer, off: number, length: number, text: string, joliet: boolean): void {
  if (joliet) {
    const units = Math.floor(length / 2);
    ucs2(text.slice(0, units).padEnd(units, " ")).copy(buf, off);
  } else {
    buf.write(text.slice(0, length).padEnd(length, " "), off, length, "latin1");
  }
}

const two = (n: number) => String(n).padStart(2, "0");

/** ECMA-119 8.4.26.1: digits for year to hundredths, then the offset from GMT in 15 minute units; we write UTC. */
function volumeDate(d: Date | undefined): Buffer {
  const out = Buffer.alloc(17);
  if (!d) {
    out.write("0".repeat(16), 0, "latin1"); // "not specified"
    return out;
  }
  if (d.getUTCFullYear() < 1 || d.getUTCFullYear() > 9999) throw new Error(`date ${d.toISOString()}: out of ISO 9660's years 1 to 9999`);
  const text = String(d.getUTCFullYear()).padStart(4, "0") + two(d.getUTCMonth() + 1) + two(d.getUTCDate())
    + two(d.getUTCHours()) + two(d.getUTCMinutes()) + two(d.getUTCSeconds()) + two(Math.floor(d.getUTCMilliseconds() / 10));
  out.write(text, 0, "latin1");
  return out;
}

/** ECMA-119 9.1.5: years since 1900 and the rest in single bytes, UTC. */
function recordDate(d: Date): Buffer {
  const year = d.getUTCFullYear() - 1900;
  if (year < 0 || year > 255) throw new Error(`date ${d.toISOString()}: directory records hold years 1900 to 2155`);
  return Buffer.from([year, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), 0]);
}

function writeRecord(buf: Buffer, off: number, r: { id: Buffer; location: number; size: number; date: Buffer; directory: boolean }): void {
  buf[off] = recordLength(r.id.length);
  writeBoth32(buf, off + 2, r.location);
  writeBoth32(buf, off + 10, r.size);
  r.date.copy(buf, off + 18);
  buf[off + 25] = r.directory ? FLAG_DIRECTORY : 0;
  writeBoth16(buf, off + 28, 1); // volume sequence number
  buf[off + 32] = r.id.length;
  r.id.copy(buf, off + 33);
}

function writeVolumeDescriptor(image: Buffer, sector: number, tree: Tree, v: { volumeId: string; volumeSectors: number; now: Date; joliet: boolean }): void {
  const off = sector * SECTOR;
  const d = image.subarray(off, off + SECTOR);
  d[0] = v.joliet ? 2 : 1;
  d.write("CD001", 1, "latin1");
  d[6] = 1;
  writeText(d, 8, 32, "", v.joliet); // system identifier
  writeText(d, 40, 32, v.volumeId, v.joliet); // Joliet keeps the first 16 characters
  writeBoth32(d, 80, v.volumeSectors);
  if (v.joliet) d.write("%/E", 88, "latin1"); // UCS-2 level 3
  writeBoth16(d, 120, 1); // volume set size
  writeBoth16(d, 124, 1); // volume sequence number
  writeBoth16(d, 128, SECTOR);
  writeBoth32(d, 132, tree.pathTableSize);
  d.writeUInt32LE(tree.lPathTable, 140);
  d.writeUInt32BE(tree.mPathTable, 148);
  const root = tree.dirs[0]!;
  writeRecord(d, 156, { id: Buffer.from([0]), location: root.location, size: root.sectors * SECTOR, date: recordDate(v.now), directory: true });
  writeText(d, 190, 128, "", v.joliet); // volume set
  writeText(d, 318, 128, "", v.joliet); // publisher
  writeText(d, 446, 128, "", v.joliet); // data preparer
  writeText(d, 574, 128, "VSPHERE-SIM", v.joliet); // application
  writeText(d, 702, 37, "", v.joliet); // copyright file
  writeText(d, 739, 37, "", v.joliet); // abstract file
  writeText(d, 776, 37, "", v.joliet); // bibliographic file
  volumeDate(v.now).copy(d, 813); // creation
  volumeDate(v.now).copy(d, 830); // modification
  volumeDate(undefined).copy(d, 847); // expiration
  volumeDate(undefined).copy(d, 864); // effective
  d[881] = 1; // file structure version
}

function writePathTable(image: Buffer, tree: Tree, sector: number, bigEndian: boolean): void {
  let off = sector * SECTOR;
  for (const dir of tree.dirs) {
    image[off] = dir.id.length;
    if (bigEndian) {
      image.writeUInt32BE(dir.location, off + 2);
      image.writeUInt16BE(dir.parent + 1, off + 6);
    } else {
      image.writeUInt32LE(dir.location, off + 2);
      image.writeUInt16LE(dir.parent + 1, off + 6);
    }
    dir.id.copy(image, off + 8);
    off += 8 + dir.id.length + (dir.id.length & 1);
  }
}

function writeDirectories(image: Buffer, tree: Tree, now: Date): void {
  const dirDate = recordDate(now);
  for (const dir of tree.dirs) {
    const parent = tree.dirs[dir.parent]!;
    const base = dir.location * SECTOR;
    const records = [
      { id: Buffer.from([0]), location: dir.location, size: dir.sectors * SECTOR, date: dirDate, directory: true },
      { id: Buffer.from([1]), location: parent.location, size: parent.sectors * SECTOR, date: dirDate, directory: true },
      ...dir.entries.map(({ id, node, dir: index }) => {
        if (node.kind === "file") return { id, location: node.location, size: node.data.length, date: recordDate(node.mtime), directory: false };
        const child = tree.dirs[index!]!;
        return { id, location: child.location, size: child.sectors * SECTOR, date: dirDate, directory: true };
      }),
    ];
    records.forEach((r, i) => writeRecord(image, base + dir.offsets[i]!, r));
  }
}

// ------------------------------------------------------------------ reader

/** Which names the reader shows: Rock Ridge's, Joliet's, or the primary tree's bare ISO 9660 names. */
export type IsoNames = "rockridge" | "joliet" | "iso9660";

export interface IsoEntry {
  /** absolute, `/sbin/tether` */
  path: string;
  type: "file" | "directory" | "symlink";
  size: number;
  mtime: Date;
  /** a Rock Ridge symbolic link's target */
  target?: string;
}

export interface IsoOpenOptions {
  /** read this tree instead of the best one the image has */
  names?: IsoNames;
}

interface Node extends IsoEntry {
  extents: { location: number; size: number }[];
}

interface RawRecord {
  length: number;
  offset: number; // in the image
  location: number;
  size: number;
  mtime: Date;
  flags: number;
  id: Buffer;
}

interface RockRidge {
  name?: string;
  mode?: number;
  target?: string;
  childLink?: number;
  relocated: boolean;
}

/**
 * An image opened for reading. The volume descriptors and every directory
 * are read (and checked) when it is opened; file data only on `read`.
 */
export class IsoImage {
  readonly volumeId: string;
  readonly names: IsoNames;
  readonly blockSize: number;
  private readonly image: Buffer;
  private readonly entries = new Map<string, Node>();
  private readonly suspSkip: number = 0;

  constructor(image: Buffer, options: IsoOpenOptions = {}) {
    this.image = image;
    const { pvd, joliet } = readDescriptors(image);
    this.blockSize = both16(pvd, 128, "primary volume descriptor: logical block size");
    if (![512, 1024, 2048].includes(this.blockSize)) throw new IsoFormatError(`primary volume descriptor: logical block size ${this.blockSize}, not 512, 1024 or 2048`);
    const volumeBlocks = both32(pvd, 80, "primary volume descriptor: volume space size");
    if (volumeBlocks * this.blockSize > image.length) {
      throw new IsoFormatError(`truncated: the volume is ${volumeBlocks} blocks of ${this.blockSize} bytes (${volumeBlocks * this.blockSize} bytes), the image only ${image.length} bytes`);
    }
    this.volumeId = pvd.toString("latin1", 40, 72).replace(/[ \0]+$/, "");

    const primaryRoot = this.rootRecord(pvd, "primary volume descriptor");
    const sp = this.rockRidgeSkip(primaryRoot);
    const available: IsoNames[] = [...(sp !== undefined ? ["rockridge" as const] : []), ...(joliet ? ["joliet" as const] : []), "iso9660"];
    const names = options.names ?? available[0]!;
    if (!available.includes(names)) throw new IsoFormatError(`this image has no ${names} names (it has ${available.join(", ")})`);
    this.names = names;
    if (names === "rockridge") this.suspSkip = sp!;
    this.walk(names === "joliet" ? this.rootRecord(joliet!, "Joliet volume descriptor") : primaryRoot);
  }

  /** Files, directories and symbolic links in directory order, parents before children. */
  list(): IsoEntry[] {
    return [...this.entries.values()].map(({ extents: _, ...entry }) => ({ ...entry, mtime: new Date(entry.mtime) }));
  }

  stat(path: string): IsoEntry | undefined {
    const node = this.entries.get(absolute(path));
    if (!node) return undefined;
    const { extents: _, ...entry } = node;
    return { ...entry, mtime: new Date(entry.mtime) };
  }

  /** A file's bytes. A single-extent file's Buffer shares memory with the image (no copy). */
  read(path: string): Buffer {
    const node = this.entries.get(absolute(path));
    if (!node) throw new Error(`${absolute(path)}: no such file in the image`);
    if (node.type !== "file") throw new Error(`${node.path}: a ${node.type}, not a file`);
    const parts = node.extents.map(({ location, size }) => this.image.subarray(location * this.blockSize, location * this.blockSize + size));
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  private rootRecord(descriptor: Buffer, what: string): RawRecord {
    if (descriptor[156] !== 34) throw new IsoFormatError(`${what}: root directory record is ${descriptor[156]} bytes, not 34`);
    const root = parseRecord(descriptor, 156, 34);
    // The descriptor is a view into the image, so its offset is known.
    root.offset = descriptor.byteOffset - this.image.byteOffset + 156;
    if (!(root.flags & FLAG_DIRECTORY)) throw new IsoFormatError(`${what}: the root directory record is not a directory`);
    return root;
  }

  /** SUSP (IEEE P1281) marks its use with an SP entry in the root's "." record; its last byte is how many bytes every other record skips. */
  private rockRidgeSkip(root: RawRecord): number | undefined {
    const dot = this.directoryRecords(root, "/")[0];
    if (!dot || !isDot(dot.id, 0)) return undefined;
    const su = this.image.subarray(dot.offset + systemUseOffset(dot.id.length), dot.offset + dot.length);
    if (su.length >= 7 && su.toString("latin1", 0, 2) === "SP" && su[2]! >= 7 && su[4] === 0xbe && su[5] === 0xef) return su[6]!;
    return undefined;
  }

  private directoryRecords(dir: { location: number; size: number }, path: string): RawRecord[] {
    const start = dir.location * this.blockSize;
    const end = start + dir.size;
    if (dir.size === 0 || end > this.image.length) {
      throw new IsoFormatError(`directory ${path}: extent at block ${dir.location} (${dir.size} bytes) lies outside the image (${this.image.length} bytes)`);
    }
    const records: RawRecord[] = [];
    let pos = start;
    while (pos < end) {
      const length = this.image[pos]!;
      if (length === 0) {
        // the rest of this sector is padding: records never cross sector boundaries
        pos = start + (Math.floor((pos - start) / SECTOR) + 1) * SECTOR;
        continue;
      }
      if (length < 34 || pos + length > end) throw new IsoFormatError(`directory ${path}: record at byte ${pos} has a bad length ${length}`);
      const record = parseRecord(this.image, pos, length);
      if (33 + record.id.length > length) throw new IsoFormatError(`directory ${path}: record at byte ${pos} has a ${record.id.length} byte name in a ${length} byte record`);
      records.push(record);
      pos += length;
    }
    return records;
  }

  private walk(root: RawRecord): void {
    const visited = new Set<number>();
    const pending: { path: string; location: number; size: number }[] = [{ path: "", location: root.location, size: root.size }];
    while (pending.length > 0) {
      const dir = pending.pop()!;
      if (visited.has(dir.location)) throw new IsoFormatError(`directory ${dir.path || "/"}: loops back to the directory at block ${dir.location}`);
      visited.add(dir.location);
      const subdirs: typeof pending = [];
      const partial = new Map<string, Node>(); // multi-extent files waiting for their last extent
      for (const record of this.directoryRecords(dir, dir.path || "/")) {
        if (isDot(record.id, 0) || isDot(record.id, 1)) continue;
        if (record.flags & FLAG_ASSOCIATED) continue;
        const rr = this.names === "rockridge" ? this.rockRidge(record, dir.path) : undefined;
        if (rr?.relocated) continue; // shown where its child link stands
        const name = rr?.name ?? this.recordName(record);
        if (!name || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
          throw new IsoFormatError(`directory ${dir.path || "/"}: bad name ${JSON.stringify(name.slice(0, 64))} in the record at byte ${record.offset}`);
        }
        const path = `${dir.path}/${name}`;
        let location = record.location;
        let size = record.size;
        let directory = (record.flags & FLAG_DIRECTORY) !== 0;
        if (rr?.childLink !== undefined) {
          // Rock Ridge deep relocation: this placeholder stands for a directory moved to rr_moved.
          location = rr.childLink;
          const dot = this.image.subarray(location * this.blockSize, location * this.blockSize + 34);
          if (dot.length < 34 || dot[0]! < 34) throw new IsoFormatError(`${path}: child link to block ${location}, which holds no directory`);
          size = dot.readUInt32LE(10);
          directory = true;
        }
        if (directory) {
          if (this.entries.has(path)) throw new IsoFormatError(`directory ${dir.path || "/"}: two entries named ${name}`);
          this.entries.set(path, { path, type: "directory", size, mtime: record.mtime, extents: [] });
          subdirs.push({ path, location, size });
          continue;
        }
        if (size > 0 && location * this.blockSize + size > this.image.length) {
          throw new IsoFormatError(`${path}: data at block ${location} (${size} bytes) lies beyond the end of the image (${this.image.length} bytes)`);
        }
        const node = partial.get(path) ?? { path, type: rr?.mode !== undefined && (rr.mode & 0o170000) === 0o120000 ? "symlink" : "file", size: 0, mtime: record.mtime, extents: [] };
        if (!partial.has(path) && this.entries.has(path)) throw new IsoFormatError(`directory ${dir.path || "/"}: two entries named ${name}`);
        node.extents.push({ location, size });
        node.size += size;
        if (record.flags & FLAG_MULTI_EXTENT) {
          partial.set(path, node);
          continue;
        }
        partial.delete(path);
        if (node.type === "symlink") {
          node.target = rr?.target ?? "";
          node.extents = [];
        }
        this.entries.set(path, node);
      }
      if (partial.size > 0) throw new IsoFormatError(`multi-extent file ${[...partial.keys()][0]} has no last extent`);
      // depth first, in directory order
      pending.push(...subdirs.reverse());
    }
  }

  private recordName(record: RawRecord): string {
    if (this.names === "joliet") {
      const even = record.id.subarray(0, record.id.length & ~1);
      return Buffer.from(even).swap16().toString("utf16le").replace(/;\d*$/, "");
    }
    const name = record.id.toString("latin1").replace(/;\d*$/, "");
    return record.flags & FLAG_DIRECTORY ? name : name.replace(/\.$/, "");
  }

  /** The Rock Ridge (RRIP) entries of a record's system use area, continuation areas included. */
  private rockRidge(record: RawRecord, dirPath: string): RockRidge {
    const rr: RockRidge = { relocated: false };
    let area = this.image.subarray(record.offset + systemUseOffset(record.id.length) + this.suspSkip, record.offset + record.length);
    let name: string[] | undefined;
    let target: string[] | undefined;
    for (let hops = 0; ; hops++) {
      let next: { location: number; offset: number; length: number } | undefined;
      for (let p = 0; p + 4 <= area.length;) {
        const sig = area.toString("latin1", p, p + 2);
        const len = area[p + 2]!;
        if (len < 4 || p + len > area.length || sig === "ST") break; // padding or the end
        const e = area.subarray(p, p + len);
        if (sig === "CE" && len >= 28) next = { location: e.readUInt32LE(4), offset: e.readUInt32LE(12), length: e.readUInt32LE(20) };
        else if (sig === "NM" && len >= 5 && !(e[4]! & 0x06)) (name ??= []).push(e.toString("utf8", 5));
        else if (sig === "PX" && len >= 12) rr.mode = e.readUInt32LE(4);
        else if (sig === "SL" && len >= 5) (target ??= []).push(...symlinkComponents(e.subarray(5)));
        else if (sig === "CL" && len >= 12) rr.childLink = e.readUInt32LE(4);
        else if (sig === "RE") rr.relocated = true;
        p += len;
      }
      if (!next) break;
      if (hops >= 32) throw new IsoFormatError(`directory ${dirPath || "/"}: record at byte ${record.offset} has more than 32 Rock Ridge continuation areas`);
      const start = next.location * this.blockSize + next.offset;
      if (start + next.length > this.image.length) throw new IsoFormatError(`directory ${dirPath || "/"}: record at byte ${record.offset} continues at byte ${start}, beyond the end of the image`);
      area = this.image.subarray(start, start + next.length);
    }
    if (name) rr.name = name.join("");
    if (target) rr.target = joinSymlink(target);
    return rr;
  }
}

/** SL component records: flags (1 continue, 2 ".", 4 "..", 8 root), length, text. Continued pieces are glued to the previous one. */
function symlinkComponents(data: Buffer): string[] {
  const out: string[] = [];
  let glue = false;
  for (let p = 0; p + 2 <= data.length;) {
    const flags = data[p]!;
    const len = data[p + 1]!;
    const text = flags & 0x02 ? "." : flags & 0x04 ? ".." : flags & 0x08 ? "" : data.toString("utf8", p + 2, Math.min(p + 2 + len, data.length));
    if (glue && out.length > 0) out[out.length - 1] += text;
    else out.push(text);
    glue = (flags & 0x01) !== 0;
    p += 2 + len;
  }
  return out;
}

function joinSymlink(components: string[]): string {
  const joined = components.join("/");
  return joined === "" && components.length === 1 ? "/" : joined;
}

function systemUseOffset(idLength: number): number {
  return 33 + idLength + (idLength & 1 ? 0 : 1);
}

function isDot(id: Buffer, which: 0 | 1): boolean {
  return id.length === 1 && id[0] === which;
}

function absolute(path: string): string {
  return `/${path.replace(/^\/+/, "").replace(/\/+$/, "")}`;
}

function parseRecord(buf: Buffer, off: number, length: number): RawRecord {
  const idLength = buf[off + 32]!;
  return {
    length,
    offset: off,
    location: buf.readUInt32LE(off + 2),
    size: buf.readUInt32LE(off + 10),
    mtime: readRecordDate(buf.subarray(off + 18, off + 25)),
    flags: buf[off + 25]!,
    id: buf.subarray(off + 33, Math.min(off + 33 + idLength, off + length)),
  };
}

function readRecordDate(d: Buffer): Date {
  const offsetMinutes = d.readInt8(6) * 15;
  return new Date(Date.UTC(1900 + d[0]!, d[1]! - 1, d[2]!, d[3]!, d[4]!, d[5]!) - offsetMinutes * 60_000);
}

function both16(buf: Buffer, off: number, what: string): number {
  const [le, be] = [buf.readUInt16LE(off), buf.readUInt16BE(off + 2)];
  if (le !== be) throw new IsoFormatError(`${what}: the little-endian (${le}) and big-endian (${be}) copies differ`);
  return le;
}

function both32(buf: Buffer, off: number, what: string): number {
  const [le, be] = [buf.readUInt32LE(off), buf.readUInt32BE(off + 4)];
  if (le !== be) throw new IsoFormatError(`${what}: the little-endian (${le}) and big-endian (${be}) copies differ`);
  return le;
}

function readDescriptors(image: Buffer): { pvd: Buffer; joliet?: Buffer } {
  if (image.length < (FIRST_DESCRIPTOR + 1) * SECTOR) {
    throw new IsoFormatError(`not an ISO 9660 image: ${image.length} bytes, too short for a volume descriptor at byte ${FIRST_DESCRIPTOR * SECTOR}`);
  }
  let pvd: Buffer | undefined;
  let joliet: Buffer | undefined;
  for (let sector = FIRST_DESCRIPTOR; ; sector++) {
    const off = sector * SECTOR;
    if (off + SECTOR > image.length) throw new IsoFormatError(`truncated: the volume descriptor set has no terminator before the end of the image (sector ${sector})`);
    const d = image.subarray(off, off + SECTOR);
    if (d.toString("latin1", 1, 6) !== "CD001") {
      throw new IsoFormatError(sector === FIRST_DESCRIPTOR
        ? `not an ISO 9660 image: no "CD001" volume descriptor at sector ${FIRST_DESCRIPTOR}`
        : `volume descriptor at sector ${sector} has no "CD001" identifier: the set is not terminated`);
    }
    if (d[0] === 255) break;
    if (d[0] === 1) pvd ??= d;
    // Joliet: a supplementary descriptor whose escape sequence names UCS-2 level 1, 2 or 3
    if (d[0] === 2 && d[88] === 0x25 && d[89] === 0x2f && [0x40, 0x43, 0x45].includes(d[90]!)) joliet ??= d;
  }
  if (!pvd) throw new IsoFormatError("no primary volume descriptor in the volume descriptor set");
  return { pvd, joliet };
}

/** Every regular file of an image, by absolute path. */
export function readIso(image: Buffer, options: IsoOpenOptions = {}): { volumeId: string; names: IsoNames; files: Map<string, Buffer> } {
  const iso = new IsoImage(image, options);
  const files = new Map<string, Buffer>();
  for (const entry of iso.list()) if (entry.type === "file") files.set(entry.path, iso.read(entry.path));
  return { volumeId: iso.volumeId, names: iso.names, files };
}

// ------------------------------------------------------------------ guest media

/** Where an image built by this project names its guest program. */
export const GUEST_MANIFEST_PATH = "/manifest.json";
const MAX_MANIFEST = 64 * 1024;

export interface GuestManifest {
  guest: string;
  version?: string;
}

export function buildGuestIso(
  program: string,
  files: readonly IsoFileInput[],
  now: Date,
  options: { volumeId?: string; version?: string } = {},
): Buffer {
  if (typeof program !== "string" || program === "") throw new Error("guest program: a non-empty name");
  if (files.some((f) => absolute(f.path) === GUEST_MANIFEST_PATH)) throw new Error(`${GUEST_MANIFEST_PATH} is written by buildGuestIso, not given`);
  const manifest: GuestManifest = { guest: program, ...(options.version !== undefined ? { version: options.version } : {}) };
  return buildIso({
    volumeId: options.volumeId ?? program.slice(0, 32),
    files: [{ path: GUEST_MANIFEST_PATH, data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), mtime: now }, ...files],
    now,
  });
}

/**
 * The guest program an image names, or undefined for anything else: no
 * manifest, a manifest that is not ours, an image that is not ISO 9660 at
 * all. Boot treats all of these as a VM without a guest OS, so this never
 * throws.
 */
export function readGuestManifest(image: Buffer): GuestManifest | undefined {
  try {
    const iso = new IsoImage(image);
    // a plain ISO 9660 image without Joliet or Rock Ridge shows /MANIFEST.JSON
    const entry = iso.stat(GUEST_MANIFEST_PATH) ?? iso.list().find((e) => e.path.toLowerCase() === GUEST_MANIFEST_PATH);
    if (!entry || entry.type !== "file" || entry.size > MAX_MANIFEST) return undefined;
    const value: unknown = JSON.parse(iso.read(entry.path).toString("utf8").replace(/^\uFEFF/, ""));
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    const { guest, version } = value as Record<string, unknown>;
    if (typeof guest !== "string" || guest === "") return undefined;
    return { guest, ...(typeof version === "string" ? { version } : {}) };
  } catch {
    return undefined;
  }
}
