// Changed block tracking (CBT): the `-ctk.vmdk` file a descriptor names in
// changeTrackPath, and what QueryChangedDiskAreas reads from it.
//
// The simulator has no write path below the guest (its guests save file
// layers, tests write extents over /folder), so changes are found by
// comparing: the ctk file keeps a hash of each 64 KB block of the disk's own
// extents as of the last look, and each block that differs at the next look
// is stamped with the next sequence number. A change ID is "<uuid>/<seq>";
// the changes since it are the blocks stamped later. A look happens whenever
// the state matters: a snapshot freezing the disk, consolidation, a query,
// a change ID handed out. A delta starts with a copy of its parent's stamps,
// so one chain keeps one history; a revert starts a new history (new uuid),
// and change IDs of the old one are refused, so a backup falls back to a full
// copy instead of missing what the revert undid.
//
// The file's content is this simulator's own (JSON after a comment line),
// not VMware's binary format: clients never read it, they ask the API.
import { createHash } from "node:crypto";
import { VimFault } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { Datacenter } from "../objects/datacenter.ts";
import { basename, type ResolvedPath } from "./datastore-path.ts";
import { capacityBytes, SECTOR } from "../formats/vmdk.ts";
import { ctkFile, diskChain, extentFile, readDescriptor, volumeOf, writeDescriptor, type DiskLink } from "./disk-files.ts";

export const CTK_BLOCK = 64 * 1024;
const HEADER = "# change tracking file (vsphere simulator)";
const ZERO_BLOCK = Buffer.alloc(CTK_BLOCK);
/** a DiskChangeInfo answers at most this many areas; the client asks again from where it ends */
const MAX_AREAS = 4096;

interface CtkState {
  uuid: string;
  seq: number;
  /** block index -> sequence number of the look that found it changed */
  stamps: Map<number, number>;
  /** block index -> hash of its content at the last look (all-zero blocks have none) */
  hashes: Map<number, string>;
}

export interface DiskChangeArea {
  start: number;
  length: number;
}

function ctkFileOf(link: DiskLink): ResolvedPath | undefined {
  return ctkFile(link.file, link.descriptor);
}

function readCtk(link: DiskLink): CtkState | undefined {
  const f = ctkFileOf(link);
  if (!f) return undefined;
  const vol = volumeOf(f);
  if (!vol.exists(f.path)) return undefined;
  try {
    const text = vol.readFile(f.path).toString("utf8");
    const o = JSON.parse(text.slice(text.indexOf("\n") + 1)) as { uuid: string; seq: number; stamps: [number, number][]; hashes: [number, string][] };
    return { uuid: o.uuid, seq: o.seq, stamps: new Map(o.stamps), hashes: new Map(o.hashes) };
  } catch {
    // a ctk file this simulator did not write (a customer's fixture) tracks nothing yet
    return undefined;
  }
}

function writeCtk(f: ResolvedPath, s: CtkState): void {
  const body = JSON.stringify({ uuid: s.uuid, seq: s.seq, blockSize: CTK_BLOCK, stamps: [...s.stamps], hashes: [...s.hashes] });
  volumeOf(f).writeFile(f.path, Buffer.from(`${HEADER}\n${body}\n`, "utf8"));
}

/**
 * Each allocated 64 KB block of the disk's own extents, as its virtual
 * offset with the extent file and the byte range of it that the block
 * covers there (blocks are aligned to the virtual disk, not to the file).
 */
function* allocatedBlocks(link: DiskLink): Generator<{ offset: number; file: ResolvedPath; at: number; end: number }> {
  let base = 0;
  for (const e of link.descriptor.extents) {
    const size = e.sectors * SECTOR;
    const x = e.file ? extentFile(link.file, e) : undefined;
    if (x && volumeOf(x).exists(x.path)) {
      const skip = (e.offset ?? 0) * SECTOR;
      for (const r of volumeOf(x).extents(x.path)) {
        const from = Math.max(r.offset, skip), to = Math.min(r.offset + r.length, skip + size);
        for (let v = Math.floor((base + from - skip) / CTK_BLOCK) * CTK_BLOCK; v < base + to - skip; v += CTK_BLOCK) {
          yield { offset: v, file: x, at: Math.max(from, v - base + skip), end: Math.min(to, v + CTK_BLOCK - base + skip) };
        }
      }
    }
    base += size;
  }
}

/** Hashes of the disk's own (non-zero) blocks, by virtual block index. */
function ownHashes(link: DiskLink): Map<number, string> {
  const out = new Map<number, string>();
  for (const { offset, file, at, end } of allocatedBlocks(link)) {
    const data = volumeOf(file).readRange(file.path, at, end);
    if (data.equals(ZERO_BLOCK.subarray(0, data.length))) continue;
    // a block two allocated ranges share is hashed over both pieces
    const h = createHash("sha1");
    const prev = out.get(offset / CTK_BLOCK);
    if (prev) h.update(prev);
    out.set(offset / CTK_BLOCK, h.update(data).digest("hex").slice(0, 20));
  }
  return out;
}

/** A look, and the ctk file written again when it found changes. */
function lookAndSave(link: DiskLink, s: CtkState): void {
  if (look(link, s)) writeCtk(ctkFileOf(link)!, s);
}

/** Stamp what changed since the last look; true when something did. */
function look(link: DiskLink, s: CtkState): boolean {
  const now = ownHashes(link);
  const changed = new Set<number>();
  for (const [b, h] of now) if (s.hashes.get(b) !== h) changed.add(b);
  for (const b of s.hashes.keys()) if (!now.has(b)) changed.add(b);
  s.hashes = now;
  if (!changed.size) return false;
  s.seq++;
  for (const b of changed) s.stamps.set(b, s.seq);
  return true;
}

function newUuid(sim: SimContext, file: ResolvedPath): string {
  const hex = sim.ids.hex("ctk.uuid", file.datastorePath + sim.ids.next("ctk.uuid"), 32);
  const b = ("52" + hex.slice(2)).match(/../g)!;
  return `${b.slice(0, 8).join(" ")}-${b.slice(8).join(" ")}`;
}

function ctkName(link: DiskLink): string {
  return basename(link.file.path).replace(/\.vmdk$/i, "") + "-ctk.vmdk";
}

function startFile(link: DiskLink, s: CtkState): void {
  const name = ctkName(link);
  const named = link.descriptor.changeTrackPath === name;
  link.descriptor.changeTrackPath = name;
  writeCtk(ctkFileOf(link)!, s);
  if (!named) writeDescriptor(link.file, link.descriptor);
}

function linkOf(f: ResolvedPath): DiskLink {
  return { file: f, descriptor: readDescriptor(f) };
}

/**
 * Turn tracking on for the disk at `f` (a VM's current disk): a new history
 * whose first change ID covers nothing; what the disk holds already is what
 * the "*" query answers. A disk already tracked keeps its history.
 */
export function startTracking(sim: SimContext, f: ResolvedPath): void {
  const link = linkOf(f);
  if (readCtk(link)) return;
  startFile(link, { uuid: newUuid(sim, f), seq: 0, stamps: new Map(), hashes: ownHashes(link) });
}

/** Turn tracking off: the ctk files of the chain's disks go, and their descriptors stop naming them. */
export function stopTracking(sim: SimContext, f: ResolvedPath, dc?: Datacenter): void {
  for (const link of diskChain(sim, f, dc)) dropCtk(link);
}

/** Delete the disk's ctk file and its descriptor line. */
function dropCtk(link: DiskLink): void {
  const ctk = ctkFileOf(link);
  if (!ctk) return;
  const vol = volumeOf(ctk);
  if (vol.exists(ctk.path)) vol.delete(ctk.path);
  delete link.descriptor.changeTrackPath;
  writeDescriptor(link.file, link.descriptor);
}

/** The disk's change ID after a look at it (what backing.changeId shows), undefined when untracked. */
export function currentChangeId(f: ResolvedPath): string | undefined {
  const link = linkOf(f);
  const s = readCtk(link);
  if (!s) return undefined;
  lookAndSave(link, s);
  return `${s.uuid}/${s.seq}`;
}

/** The change ID the ctk file holds, without a look (a disk as registered). */
export function trackedChangeId(f: ResolvedPath): string | undefined {
  const s = readCtk(linkOf(f));
  return s ? `${s.uuid}/${s.seq}` : undefined;
}

/** A new delta on a tracked parent carries the parent's history on; `fresh` (a revert) starts a new one. */
export function inheritTracking(sim: SimContext, parent: ResolvedPath, child: ResolvedPath, fresh = false): void {
  const p = linkOf(parent);
  const s = readCtk(p);
  if (!s) return;
  lookAndSave(p, s);
  const c = linkOf(child);
  startFile(c, { uuid: fresh ? newUuid(sim, child) : s.uuid, seq: s.seq, stamps: new Map(s.stamps), hashes: ownHashes(c) });
}

/** Before a delta folds into its parent: its history as of now. */
export function historyBeforeFold(child: ResolvedPath): CtkState | undefined {
  const link = linkOf(child);
  const s = readCtk(link);
  if (s) look(link, s);
  return s;
}

/** After the fold: the parent carries the delta's history, its new bytes not counted as changes again. */
export function historyAfterFold(parent: ResolvedPath, s: CtkState): void {
  const link = linkOf(parent);
  startFile(link, { ...s, hashes: ownHashes(link) });
}

function parseChangeId(changeId: string): { uuid: string; seq: number } | undefined {
  const m = /^(.+)\/(\d+)$/.exec(changeId.trim());
  return m ? { uuid: m[1], seq: Number(m[2]) } : undefined;
}

function mergeAreas(starts: number[], capacity: number, from: number, unit: number): DiskChangeArea[] {
  const out: DiskChangeArea[] = [];
  for (const s of starts.sort((a, b) => a - b)) {
    const start = Math.max(s, from), end = Math.min(s + unit, capacity);
    if (end <= start) continue;
    const last = out[out.length - 1];
    if (last && last.start + last.length >= start) last.length = Math.max(last.length, end - last.start);
    else out.push({ start, length: end - start });
  }
  return out;
}

/**
 * QueryChangedDiskAreas for the disk at `f` (a snapshot's disk, or a powered
 * off VM's current one): the areas from `startOffset` changed since
 * `changeId`, or with "*" the areas the chain has allocated. The answer
 * covers [startOffset, startOffset + length); a client asks again from its end.
 */
export function changedAreas(sim: SimContext, f: ResolvedPath, startOffset: number, changeId: string, dc?: Datacenter): { startOffset: number; length: number; changedArea: DiskChangeArea[] } {
  const chain = diskChain(sim, f, dc);
  const top = chain[0];
  const s = readCtk(top);
  if (!s) throw new VimFault("FileFault", { file: f.datastorePath }, `Error caused by file ${f.datastorePath}`);
  lookAndSave(top, s);
  const capacity = capacityBytes(top.descriptor);
  if (!Number.isSafeInteger(startOffset) || startOffset < 0 || startOffset >= capacity) {
    throw new VimFault("InvalidArgument", { invalidProperty: "startOffset" }, "A specified parameter was not correct: startOffset");
  }
  let areas: DiskChangeArea[];
  if (changeId.trim() === "*") {
    const starts = chain.flatMap((link) => [...allocatedBlocks(link)].map((b) => b.offset));
    areas = mergeAreas([...new Set(starts)], capacity, startOffset, CTK_BLOCK);
  } else {
    const id = parseChangeId(changeId);
    // another history's ID (before a revert, another disk's) or one from the future cannot be answered
    if (!id || id.uuid !== s.uuid || id.seq > s.seq) throw new VimFault("InvalidArgument", { invalidProperty: "changeId" }, "A specified parameter was not correct: changeId");
    areas = mergeAreas([...s.stamps].filter(([, seq]) => seq > id.seq).map(([b]) => b * CTK_BLOCK), capacity, startOffset, CTK_BLOCK);
  }
  if (areas.length > MAX_AREAS) {
    areas = areas.slice(0, MAX_AREAS);
    const last = areas[areas.length - 1];
    return { startOffset, length: last.start + last.length - startOffset, changedArea: areas };
  }
  return { startOffset, length: capacity - startOffset, changedArea: areas };
}
