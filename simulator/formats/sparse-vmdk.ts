// Hosted sparse VMDK extents (VMware Virtual Disk Format 1.1, §4): the
// streamOptimized disks OVF packages carry (deflated grains behind markers)
// and monolithicSparse ones (a grain directory and tables), read into the
// ranges of data they hold, so an import can write them into a flat extent.
import { inflateRawSync, inflateSync } from "node:zlib";

const MAGIC = 0x564d444b; // "KDMV"
const SECTOR = 512;
const COMPRESSED = 1 << 16;
const MARKERS = 1 << 17;
const MARKER_EOS = 0;

export class SparseVmdkError extends Error {}

export interface SparseExtent {
  /** the disk's size in bytes */
  capacity: number;
  /** grains that hold data, in file order: byte offset in the disk and the bytes there */
  grains: { offset: number; data: Buffer }[];
}

export function isSparseExtent(buf: Buffer): boolean {
  return buf.length >= SECTOR && buf.readUInt32LE(0) === MAGIC;
}

function u64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v);
}

function inflate(data: Buffer, where: number): Buffer {
  try {
    return inflateSync(data);
  } catch {
    try {
      return inflateRawSync(data);
    } catch (e) {
      throw new SparseVmdkError(`the grain at byte ${where} does not inflate: ${(e as Error).message}`);
    }
  }
}

export function readSparseExtent(buf: Buffer): SparseExtent {
  if (!isSparseExtent(buf)) throw new SparseVmdkError("not a sparse VMDK extent (no KDMV header)");
  const flags = buf.readUInt32LE(8);
  const capacity = u64(buf, 12) * SECTOR;
  const grainBytes = u64(buf, 20) * SECTOR;
  const numGTEsPerGT = buf.readUInt32LE(44);
  const gdOffset = u64(buf, 56);
  const overHead = u64(buf, 64);
  if (!Number.isFinite(capacity) || !grainBytes || grainBytes > 1 << 24) throw new SparseVmdkError("the sparse header's capacity or grain size is not valid");
  const grains: SparseExtent["grains"] = [];
  if (flags & COMPRESSED && flags & MARKERS) {
    // streamOptimized: grain and metadata markers, sector aligned, until end-of-stream
    for (let pos = overHead * SECTOR; pos + 12 <= buf.length;) {
      const lba = u64(buf, pos);
      const size = buf.readUInt32LE(pos + 8);
      if (size === 0) {
        const type = pos + 16 <= buf.length ? buf.readUInt32LE(pos + 12) : MARKER_EOS;
        if (type === MARKER_EOS) break;
        pos += SECTOR + lba * SECTOR;
        continue;
      }
      if (pos + 12 + size > buf.length) throw new SparseVmdkError(`the grain at byte ${pos} runs past the end of the file`);
      const data = inflate(buf.subarray(pos + 12, pos + 12 + size), pos);
      const offset = lba * SECTOR;
      if (offset >= capacity && data.length) throw new SparseVmdkError(`the grain at byte ${pos} lies beyond the disk's capacity`);
      // the last grain of a disk that is not a whole number of grains is written whole (VMware, qemu-img): what lies past the end is not the disk's
      grains.push({ offset, data: offset + data.length > capacity ? data.subarray(0, capacity - offset) : data });
      pos = Math.ceil((pos + 12 + size) / SECTOR) * SECTOR;
    }
    return { capacity, grains };
  }
  if (flags & COMPRESSED) throw new SparseVmdkError("compressed grains without markers are not a streamOptimized disk");
  // monolithicSparse: the grain directory points at grain tables, which point at grains
  const gdes = Math.ceil(capacity / (grainBytes * numGTEsPerGT));
  if (!Number.isFinite(gdOffset) || (gdOffset + Math.ceil((gdes * 4) / SECTOR)) * SECTOR > buf.length) throw new SparseVmdkError("the grain directory lies outside the file");
  for (let g = 0; g < gdes; g++) {
    const gt = buf.readUInt32LE(gdOffset * SECTOR + g * 4);
    if (!gt) continue;
    if ((gt * SECTOR) + numGTEsPerGT * 4 > buf.length) throw new SparseVmdkError(`grain table ${g} lies outside the file`);
    for (let e = 0; e < numGTEsPerGT; e++) {
      const at = buf.readUInt32LE(gt * SECTOR + e * 4);
      if (at <= 1) continue; // 0: never written, 1: zeroed
      const offset = (g * numGTEsPerGT + e) * grainBytes;
      if (offset >= capacity) continue;
      const start = at * SECTOR;
      if (start + grainBytes > buf.length) throw new SparseVmdkError(`grain ${g * numGTEsPerGT + e} lies outside the file`);
      grains.push({ offset, data: buf.subarray(start, start + Math.min(grainBytes, capacity - offset)) });
    }
  }
  return { capacity, grains };
}
