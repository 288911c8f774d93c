// A disk written as a streamOptimized VMDK (VMware Virtual Disk Format 1.1,
// "Stream-Optimized Compressed Sparse Extents"), the form an OVF export
// carries: a sparse header whose grain directory is "at the end", the
// embedded descriptor, then each grain that holds data deflated behind a
// grain marker, a grain table after each run of grains it covers, the grain
// directory, a footer (the header again, with the directory's real offset)
// and the end-of-stream marker. Grains that were never written, or hold only
// zeros, are not in the stream, so an export costs what the disk holds.
// sparse-vmdk.ts reads it back.
import { deflateSync } from "node:zlib";
import { formatDescriptor, geometry, NO_PARENT, type VmdkDescriptor } from "./vmdk.ts";

const MAGIC = 0x564d444b; // "KDMV"
const SECTOR = 512;
const VERSION = 3; // what VMware writes for streamOptimized extents
// bit 0: the newline test characters are valid; 16: compressed grains; 17: markers
export const STREAM_FLAGS = (1 << 0) | (1 << 16) | (1 << 17);
const GRAIN_SECTORS = 128; // 64 KiB, as VMware's exporter uses
const GTES_PER_GT = 512;
const GD_AT_END = 0xffffffffffffffffn;
const COMPRESSION_DEFLATE = 1;
const MARKER_EOS = 0;
const MARKER_GT = 1;
const MARKER_GD = 2;
const MARKER_FOOTER = 3;
// the first grain starts this many sectors in: the descriptor gets room and grains stay aligned
const MIN_OVERHEAD = 128;

/** What a disk holds: its size, the ranges that may hold data (anything else reads as zeros), and a reader. */
export interface DiskSource {
  capacity: number;
  ranges: { offset: number; length: number }[];
  /** bytes [start, end) of the disk; holes as zeros */
  read(start: number, end: number): Buffer;
}

export interface StreamVmdkOptions {
  /** the extent's name in the embedded descriptor (VMware names it after the file) */
  fileName: string;
  cid: string;
  adapterType?: string;
  longContentId?: string;
  hwVersion?: number;
}

export interface StreamVmdk {
  data: Buffer;
  /** bytes of the disk the stream carries (whole grains) */
  populated: number;
  grains: number;
}

/** A disk held in one buffer, as a DiskSource: its non-zero regions are the ranges. */
export function bufferSource(buf: Buffer, capacity = buf.length): DiskSource {
  return { capacity, ranges: [{ offset: 0, length: Math.min(buf.length, capacity) }], read: (s, e) => {
    const out = Buffer.alloc(Math.max(0, e - s));
    buf.copy(out, 0, Math.min(s, buf.length), Math.min(e, buf.length));
    return out;
  } };
}

function header(capacitySectors: number, descriptorSectors: number, overHead: number, gdOffset: bigint): Buffer {
  const h = Buffer.alloc(SECTOR);
  h.writeUInt32LE(MAGIC, 0);
  h.writeUInt32LE(VERSION, 4);
  h.writeUInt32LE(STREAM_FLAGS, 8);
  h.writeBigUInt64LE(BigInt(capacitySectors), 12);
  h.writeBigUInt64LE(BigInt(GRAIN_SECTORS), 20);
  h.writeBigUInt64LE(1n, 28); // the descriptor follows the header
  h.writeBigUInt64LE(BigInt(descriptorSectors), 36);
  h.writeUInt32LE(GTES_PER_GT, 44);
  h.writeBigUInt64LE(0n, 48); // no redundant grain directory in a stream
  h.writeBigUInt64LE(gdOffset, 56);
  h.writeBigUInt64LE(BigInt(overHead), 64);
  h.writeUInt8(0, 72); // cleanly closed
  h.write("\n \r\n", 73, "latin1"); // lets a reader notice a text-mode transfer mangled the file
  h.writeUInt16LE(COMPRESSION_DEFLATE, 77);
  return h;
}

function marker(sectors: number, type: number): Buffer {
  const m = Buffer.alloc(SECTOR);
  m.writeBigUInt64LE(BigInt(sectors), 0);
  m.writeUInt32LE(0, 8);
  m.writeUInt32LE(type, 12);
  return m;
}

const padded = (b: Buffer) => (b.length % SECTOR ? Buffer.concat([b, Buffer.alloc(SECTOR - (b.length % SECTOR))]) : b);

/** The grains of the disk that any range touches, in order. */
function grainsTouched(src: DiskSource, grainBytes: number): number[] {
  const seen = new Set<number>();
  for (const r of src.ranges) {
    const end = Math.min(src.capacity, r.offset + r.length);
    for (let g = Math.floor(r.offset / grainBytes); g * grainBytes < end; g++) seen.add(g);
  }
  return [...seen].sort((a, b) => a - b);
}

/** The bytes of the disk a stream would carry: whole grains that hold anything but zeros (the descriptor's ovf:populatedSize). */
export function populatedBytes(src: DiskSource): number {
  const grainBytes = GRAIN_SECTORS * SECTOR;
  let n = 0;
  for (const grain of grainsTouched(src, grainBytes)) {
    const start = grain * grainBytes;
    const end = Math.min(src.capacity, start + grainBytes);
    if (!src.read(start, end).every((b) => b === 0)) n += end - start;
  }
  return n;
}

export function writeStreamOptimized(src: DiskSource, opts: StreamVmdkOptions): StreamVmdk {
  if (!Number.isSafeInteger(src.capacity) || src.capacity < 0) throw new RangeError(`a disk of ${src.capacity} bytes cannot be written`);
  const grainBytes = GRAIN_SECTORS * SECTOR;
  const capacitySectors = Math.ceil(src.capacity / SECTOR);
  const g = geometry(src.capacity);
  const descriptor: VmdkDescriptor = {
    version: 1, encoding: "UTF-8", cid: opts.cid, parentCid: NO_PARENT, isNativeSnapshot: "no", createType: "streamOptimized",
    extents: [{ access: "RW", sectors: capacitySectors, type: "SPARSE", file: opts.fileName }],
    ddb: [
      ["adapterType", opts.adapterType ?? "lsilogic"],
      ["geometry.cylinders", String(g.cylinders)], ["geometry.heads", String(g.heads)], ["geometry.sectors", String(g.sectors)],
      ...(opts.longContentId ? [["longContentID", opts.longContentId] as [string, string]] : []),
      ["virtualHWVersion", String(opts.hwVersion ?? 4)],
    ],
  };
  const desc = padded(Buffer.from(formatDescriptor(descriptor), "utf8"));
  const descriptorSectors = desc.length / SECTOR;
  const overHead = Math.max(MIN_OVERHEAD, 1 + descriptorSectors);
  const parts: Buffer[] = [header(capacitySectors, descriptorSectors, overHead, GD_AT_END), desc, Buffer.alloc((overHead - 1 - descriptorSectors) * SECTOR)];
  let sector = overHead;
  const push = (b: Buffer) => {
    parts.push(b);
    sector += b.length / SECTOR;
  };
  const gdEntries = Math.ceil(capacitySectors / (GRAIN_SECTORS * GTES_PER_GT));
  const gd = Buffer.alloc(Math.max(1, Math.ceil((gdEntries * 4) / SECTOR)) * SECTOR);
  let table: { index: number; entries: Buffer } | undefined;
  const flushTable = () => {
    if (!table) return;
    push(marker(table.entries.length / SECTOR, MARKER_GT));
    gd.writeUInt32LE(sector, table.index * 4);
    push(table.entries);
    table = undefined;
  };
  let populated = 0;
  let grains = 0;
  for (const grain of grainsTouched(src, grainBytes)) {
    const start = grain * grainBytes;
    let data = src.read(start, Math.min(src.capacity, start + grainBytes));
    if (data.every((b) => b === 0)) continue;
    // a disk whose size is not a whole number of grains still gets a whole last grain, as VMware writes it
    if (data.length < grainBytes) data = Buffer.concat([data, Buffer.alloc(grainBytes - data.length)]);
    const gtIndex = Math.floor(grain / GTES_PER_GT);
    if (table && table.index !== gtIndex) flushTable();
    table ??= { index: gtIndex, entries: Buffer.alloc(GTES_PER_GT * 4) };
    table.entries.writeUInt32LE(sector, (grain % GTES_PER_GT) * 4);
    const z = deflateSync(data);
    const m = Buffer.alloc(12);
    m.writeBigUInt64LE(BigInt(grain * GRAIN_SECTORS), 0);
    m.writeUInt32LE(z.length, 8);
    push(padded(Buffer.concat([m, z])));
    populated += Math.min(grainBytes, src.capacity - start);
    grains++;
  }
  flushTable();
  push(marker(gd.length / SECTOR, MARKER_GD));
  const gdOffset = sector;
  push(gd);
  push(marker(1, MARKER_FOOTER));
  push(header(capacitySectors, descriptorSectors, overHead, BigInt(gdOffset)));
  push(marker(0, MARKER_EOS));
  return { data: Buffer.concat(parts), populated, grains };
}
