// The streamOptimized VMDK writer behind OVF exports, read back by the
// sparse VMDK reader behind imports; and its on-disk structure (header,
// markers, grain tables and directory, footer), checked by hand.
import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { bufferSource, populatedBytes, STREAM_FLAGS, writeStreamOptimized, type DiskSource } from "../../simulator/formats/stream-vmdk.ts";
import { readSparseExtent } from "../../simulator/formats/sparse-vmdk.ts";
import { parseDescriptor } from "../../simulator/formats/vmdk.ts";

const MiB = 1024 * 1024;
const GRAIN = 64 * 1024;
const opts = { fileName: "disk-0.vmdk", cid: "0badcafe" };

/** A disk of `capacity` bytes holding `writes` (offset → bytes), allocated in 1 MiB chunks as a thin extent is; nothing is held at full size. */
function disk(capacity: number, writes: Record<number, Buffer | string>): DiskSource {
  const pieces = Object.entries(writes).map(([at, data]) => ({ at: Number(at), data: Buffer.isBuffer(data) ? data : Buffer.from(data) }));
  const chunks = new Set<number>();
  for (const { at, data } of pieces) for (let c = Math.floor(at / MiB); c * MiB < at + data.length; c++) chunks.add(c);
  const ranges = [...chunks].sort((a, b) => a - b).map((c) => ({ offset: c * MiB, length: Math.min(MiB, capacity - c * MiB) }));
  return { capacity, ranges, read: (s, e) => readPieces(pieces, s, Math.min(e, capacity)) };
}

function readPieces(pieces: { at: number; data: Buffer }[], s: number, e: number): Buffer {
  const out = Buffer.alloc(Math.max(0, e - s));
  for (const { at, data } of pieces) {
    const from = Math.max(s, at);
    const to = Math.min(e, at + data.length);
    if (from < to) data.copy(out, from - s, from - at, to - at);
  }
  return out;
}

/** What a stream decodes to through the import side's reader: the capacity, the grains' offsets, and a reader over them. */
function decode(stream: Buffer): { capacity: number; offsets: number[]; read(s: number, e: number): Buffer } {
  const r = readSparseExtent(stream);
  const pieces = r.grains.map((g) => ({ at: g.offset, data: g.data }));
  return { capacity: r.capacity, offsets: r.grains.map((g) => g.offset), read: (s, e) => readPieces(pieces, s, Math.min(e, r.capacity)) };
}

/** The two disks read the same over these ranges, and the decoded one holds nothing elsewhere. */
function sameDisk(a: DiskSource, b: ReturnType<typeof decode>): void {
  expect(b.capacity).toBe(a.capacity);
  for (const r of a.ranges) expect(b.read(r.offset, r.offset + r.length).equals(a.read(r.offset, r.offset + r.length)), `range at ${r.offset}`).toBe(true);
  const covered = (o: number) => a.ranges.some((r) => o >= r.offset && o < r.offset + r.length);
  expect(b.offsets.filter((o) => !covered(o))).toEqual([]);
}

describe("writeStreamOptimized", () => {
  it("round-trips through the reader: what was written comes back, at its offsets", () => {
    const random = Buffer.from(Array.from({ length: 3 * GRAIN + 17 }, (_, i) => (i * 7919) % 251));
    const src = disk(64 * MiB, { 0: "boot sector", [5 * MiB + 3]: "data written later", [40 * MiB - 100]: random });
    const back = decode(writeStreamOptimized(src, opts).data);
    sameDisk(src, back);
    expect(back.read(5 * MiB + 3, 5 * MiB + 21).toString()).toBe("data written later");
    expect(back.read(40 * MiB - 100, 40 * MiB - 100 + random.length).equals(random)).toBe(true);
  });

  it("leaves out grains never written and grains of zeros", () => {
    // a 1 GiB disk with 3 grains of data; one allocated chunk also holds only zeros
    const src = disk(1024 * MiB, { 0: "a", [700 * MiB]: "b", [700 * MiB + GRAIN]: "c", [900 * MiB]: Buffer.alloc(10) });
    const out = writeStreamOptimized(src, opts);
    expect(decode(out.data).offsets).toEqual([0, 700 * MiB, 700 * MiB + GRAIN]);
    expect(out.grains).toBe(3);
    expect(out.populated).toBe(3 * GRAIN);
    expect(populatedBytes(src)).toBe(3 * GRAIN);
    // a few KiB, not a GiB
    expect(out.data.length).toBeLessThan(100 * 1024);
  });

  it("writes an empty disk as header, descriptor, directory, footer and end of stream", () => {
    const out = writeStreamOptimized({ capacity: 16 * MiB, ranges: [], read: (s, e) => Buffer.alloc(e - s) }, opts);
    expect(out.grains).toBe(0);
    const back = decode(out.data);
    expect([back.capacity, back.offsets]).toEqual([16 * MiB, []]);
  });

  it("has VMware's header, descriptor, grain tables, directory and footer", () => {
    const src = disk(100 * MiB, { 0: "first", [40 * MiB]: "second table" });
    const s = writeStreamOptimized(src, opts).data;
    expect(s.subarray(0, 4).toString("latin1")).toBe("KDMV");
    expect(s.readUInt32LE(4)).toBe(3);
    expect(s.readUInt32LE(8)).toBe(STREAM_FLAGS);
    expect(STREAM_FLAGS & 0x30000).toBe(0x30000);
    expect(Number(s.readBigUInt64LE(12))).toBe((100 * MiB) / 512);
    expect(Number(s.readBigUInt64LE(20))).toBe(128);
    expect(s.readBigUInt64LE(56)).toBe(0xffffffffffffffffn); // the directory is at the end
    expect(s.subarray(73, 77).toString("latin1")).toBe("\n \r\n");
    expect(s.readUInt16LE(77)).toBe(1); // deflate
    const descSectors = Number(s.readBigUInt64LE(36));
    const desc = parseDescriptor(s.subarray(512, 512 * (1 + descSectors)).toString("utf8").replace(/\0+$/, ""));
    expect(desc).toMatchObject({ createType: "streamOptimized", cid: "0badcafe", parentCid: "ffffffff", extents: [{ access: "RW", sectors: (100 * MiB) / 512, type: "SPARSE", file: "disk-0.vmdk" }] });
    // the last two sectors: the footer (a header with the directory's offset), then end of stream
    expect(s.length % 512).toBe(0);
    const eos = s.subarray(s.length - 512);
    expect(eos.every((b) => b === 0)).toBe(true);
    const footer = s.subarray(s.length - 1024, s.length - 512);
    const footerMarker = s.subarray(s.length - 1536, s.length - 1024);
    expect([Number(footerMarker.readBigUInt64LE(0)), footerMarker.readUInt32LE(8), footerMarker.readUInt32LE(12)]).toEqual([1, 0, 3]);
    expect(footer.subarray(0, 4).toString("latin1")).toBe("KDMV");
    const gd = Number(footer.readBigUInt64LE(56));
    const gdMarker = s.subarray((gd - 1) * 512, gd * 512);
    expect(gdMarker.readUInt32LE(12)).toBe(2);
    // 100 MiB: 4 directory entries (32 MiB per table); tables 0 and 1 hold grains, 2 and 3 none
    const entries = [0, 1, 2, 3].map((i) => s.readUInt32LE(gd * 512 + i * 4));
    expect(entries[2]).toBe(0);
    expect(entries[3]).toBe(0);
    for (const [t, grainOffset, text] of [[entries[0], 0, "first"], [entries[1], 40 * MiB, "second table"]] as const) {
      expect(s.readUInt32LE((t - 1) * 512 + 12)).toBe(1); // a grain table marker before the table
      const gte = s.readUInt32LE(t * 512 + ((grainOffset / GRAIN) % 512) * 4);
      // the entry points at the grain's marker: its LBA, then the deflated grain
      expect(Number(s.readBigUInt64LE(gte * 512))).toBe(grainOffset / 512);
      const size = s.readUInt32LE(gte * 512 + 8);
      const grain = inflateSync(s.subarray(gte * 512 + 12, gte * 512 + 12 + size));
      expect(grain.length).toBe(GRAIN);
      expect(grain.subarray(0, text.length).toString()).toBe(text);
    }
  });

  it("writes the last grain of a disk that is not a whole number of grains whole, and the reader keeps the disk's size", () => {
    const capacity = 10 * MiB + 512 * 3;
    const src = disk(capacity, { [capacity - 10]: "0123456789" });
    const back = decode(writeStreamOptimized(src, opts).data);
    sameDisk(src, back);
    expect(back.read(capacity - 10, capacity + 100).toString()).toBe("0123456789");
  });

  it("takes a disk in a buffer", () => {
    const buf = Buffer.alloc(2 * MiB);
    buf.write("hello", MiB);
    const back = decode(writeStreamOptimized(bufferSource(buf), opts).data);
    expect(back.offsets).toEqual([MiB]);
    expect(back.read(0, 2 * MiB).equals(buf)).toBe(true);
  });
});
