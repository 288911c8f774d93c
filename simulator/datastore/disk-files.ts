// A virtual disk on a datastore: a small descriptor and the extent files it
// names, which live beside it in the same folder. VM disks (vm-storage) and
// VirtualDiskManager both go through here, so a disk is read, created, grown
// and removed the same way whoever asks, and a delta disk's parent chain is
// followed and checked in one place.
import { VimFault } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { Datacenter } from "../objects/datacenter.ts";
import type { DatastoreVolume } from "./datastore-volume.ts";
import { basename, dirname, formatDatastorePath, fromFilesystemPath, joinPath, VMFS_VOLUMES, type ResolvedPath } from "./datastore-path.ts";
import { flattenedLayer } from "./disk-layers.ts";
import { layerToTar } from "../guest/layers.ts";
import { writeTar } from "../../formats/tar.ts";
import { ddbGet, ddbUuid, deltaDescriptor, flatDescriptor, formatDescriptor, parseDescriptor, NO_PARENT, SECTOR, type VmdkDescriptor, type VmdkExtent } from "../formats/vmdk.ts";

/**
 * Descriptors are a few hundred bytes. A name that points at something far
 * larger (an extent, an ISO) is refused unread rather than pulled into memory
 * whole, which for a 40 GiB thin extent would be 40 GiB of zeros.
 */
const MAX_DESCRIPTOR_BYTES = 64 * 1024;

/** Extent data is copied in pieces this size, so a big flat file never sits in memory at once. */
const COPY_PIECE = 1 << 20;

export interface DiskLink {
  file: ResolvedPath;
  descriptor: VmdkDescriptor;
}

export function volumeOf(f: ResolvedPath): DatastoreVolume {
  return f.datastore.volume;
}

export function fileNotFound(f: ResolvedPath | string): VimFault {
  const name = typeof f === "string" ? f : f.datastorePath;
  return new VimFault("FileNotFound", { file: name }, `File ${name} was not found`);
}

export function readDescriptor(f: ResolvedPath): VmdkDescriptor {
  const vol = volumeOf(f);
  if (!vol.exists(f.path)) throw fileNotFound(f);
  try {
    const st = vol.stat(f.path);
    if (st && !st.isDirectory && st.size > MAX_DESCRIPTOR_BYTES) throw new Error(`${f.datastorePath}: ${st.size} bytes is too large for a disk descriptor`);
    return parseDescriptor(vol.readFile(f.path).toString("utf8"), f.datastorePath);
  } catch (e) {
    throw new VimFault("InvalidDiskFormat", {}, (e as Error).message);
  }
}

export function writeDescriptor(f: ResolvedPath, d: VmdkDescriptor, opts: { exclusive?: boolean } = {}): void {
  volumeOf(f).writeFile(f.path, Buffer.from(formatDescriptor(d), "utf8"), opts);
}

/** An extent as a path: extent names are relative to the descriptor's folder. */
export function extentFile(f: ResolvedPath, e: VmdkExtent): ResolvedPath {
  const path = joinPath(dirname(f.path), e.file);
  return { datastore: f.datastore, path, datastorePath: formatDatastorePath(f.datastore.name, path) };
}

/**
 * A new disk's extents (sparse, so they cost only what is written) and then
 * its descriptor, none of them overwriting anything. If a step fails, what
 * was created is removed again. Returns the files made, extents first.
 */
export function createDiskFiles(f: ResolvedPath, d: VmdkDescriptor): ResolvedPath[] {
  const vol = volumeOf(f);
  const made: ResolvedPath[] = [];
  try {
    for (const e of d.extents) {
      if (!e.file) continue;
      const x = extentFile(f, e);
      // a flat extent is as long as the disk from the start (thin: nothing allocated yet,
      // thick: all of it); a vmfsSparse delta holds only what was written to it, and grows
      // with it, as on VMFS
      const delta = e.type === "VMFSSPARSE";
      vol.createSparse(x.path, delta ? 0 : e.sectors * SECTOR, { exclusive: true, thick: !delta && ddbGet(d, "thinProvisioned") !== "1" });
      made.push(x);
    }
    writeDescriptor(f, d, { exclusive: true });
    made.push(f);
  } catch (err) {
    for (const x of made) if (vol.exists(x.path)) vol.delete(x.path);
    throw err;
  }
  return made;
}

/** The change tracking (CBT) file the descriptor names, beside it; undefined when it names none. */
export function ctkFile(f: ResolvedPath, d: VmdkDescriptor): ResolvedPath | undefined {
  if (!d.changeTrackPath) return undefined;
  const path = joinPath(dirname(f.path), d.changeTrackPath);
  return { datastore: f.datastore, path, datastorePath: formatDatastorePath(f.datastore.name, path) };
}

/** A disk's files that are there to move or own: the descriptor, its extents, its change tracking file. */
export function diskFiles(f: ResolvedPath, d: VmdkDescriptor): ResolvedPath[] {
  const ctk = ctkFile(f, d);
  return [f, ...d.extents.filter((e) => e.file).map((e) => extentFile(f, e)), ...(ctk && volumeOf(ctk).exists(ctk.path) ? [ctk] : [])];
}

/** The extents that are there, the change tracking file, then the descriptor. */
export function removeDisk(f: ResolvedPath, d: VmdkDescriptor): void {
  const vol = volumeOf(f);
  const ctk = ctkFile(f, d);
  if (ctk && vol.exists(ctk.path)) vol.delete(ctk.path);
  for (const e of d.extents) {
    // a ZERO extent has no file; joining "" would name the folder itself
    if (!e.file) continue;
    const x = extentFile(f, e);
    if (vol.exists(x.path)) vol.delete(x.path);
  }
  vol.delete(f.path);
}

/** Grow a one-extent disk's extent to `bytes` and record the size in `d` (the caller writes it). */
export function growExtent(f: ResolvedPath, d: VmdkDescriptor, bytes: number): void {
  const extent = d.extents[0];
  volumeOf(f).resize(extentFile(f, extent).path, bytes);
  extent.sectors = Math.ceil(bytes / SECTOR);
}

/** How a child's descriptor names its parent: the bare name beside it, else the /vmfs/volumes path. */
export function parentFileNameHint(parent: ResolvedPath, child: ResolvedPath): string {
  return parent.datastore === child.datastore && dirname(parent.path) === dirname(child.path)
    ? basename(parent.path)
    : `${VMFS_VOLUMES}${parent.datastore.uuid}/${parent.path}`;
}

/**
 * The parent a child's parentFileNameHint names: absolute on /vmfs/volumes,
 * or relative to the child's folder. Unlike a .vmx file name, a hint may
 * climb out of that folder with `..` (ESXi writes `../base/base.vmdk`), as
 * long as it stays on the datastore.
 */
export function parentOf(sim: SimContext, child: ResolvedPath, d: VmdkDescriptor, dc?: Datacenter): ResolvedPath | undefined {
  const hint = d.parentFileNameHint;
  if (!hint) return undefined;
  if (hint.startsWith("/")) {
    const p = fromFilesystemPath(sim, hint, dc);
    if (!p) throw fileNotFound(hint);
    return p;
  }
  const segs = dirname(child.path).split("/").filter(Boolean);
  for (const seg of hint.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (!segs.length) throw fileNotFound(hint);
      segs.pop();
    } else segs.push(seg);
  }
  const path = segs.join("/");
  return { datastore: child.datastore, path, datastorePath: formatDatastorePath(child.datastore.name, path) };
}

function brokenChain(child: ResolvedPath, why: string): VimFault {
  return new VimFault("FileFault", { file: child.datastorePath },
    `Cannot open the disk '${child.datastorePath}' or one of the snapshot disks it depends on. ${why}`);
}

/**
 * A disk and its ancestors, child first. Each parent must be there, be a
 * descriptor, and still carry the CID its child recorded when it was made:
 * a parent written since then no longer holds what the child was based on.
 */
export function diskChain(sim: SimContext, f: ResolvedPath, dc?: Datacenter): DiskLink[] {
  const chain: DiskLink[] = [{ file: f, descriptor: readDescriptor(f) }];
  const seen = new Set([`${f.datastore.ref.value}:${f.path}`]);
  for (;;) {
    const { file, descriptor } = chain[chain.length - 1];
    if (descriptor.parentCid === NO_PARENT) return chain;
    const parent = parentOf(sim, file, descriptor, dc);
    if (!parent) throw brokenChain(file, "The disk has a parent content ID but names no parent disk (parentFileNameHint).");
    const key = `${parent.datastore.ref.value}:${parent.path}`;
    if (seen.has(key)) throw brokenChain(file, `The chain of parent disks loops back to ${parent.datastorePath}.`);
    seen.add(key);
    const pd = readDescriptor(parent);
    if (pd.cid !== descriptor.parentCid) {
      throw brokenChain(file, "The parent virtual disk has been modified since the child was created. The content ID of the parent virtual disk does not match the corresponding parent content ID in the child.");
    }
    chain.push({ file: parent, descriptor: pd });
  }
}

/**
 * Write what a chain holds into `dst` (a sparse extent as large as the disk):
 * the base first, then each child's written ranges over it, which is what a
 * guest reads through the chain. A sparse extent's chunk plays the part of a
 * grain: a chunk the child holds hides the parent's whole chunk.
 */
export function flattenChain(chain: DiskLink[], dst: ResolvedPath): void {
  const out = volumeOf(dst);
  // disks that hold filesystem layers flatten to one layer: their bytes do not overlay
  const layer = flattenedLayer(chain);
  if (layer) {
    out.writeAt(dst.path, 0, writeTar(layerToTar(layer)));
    return;
  }
  const capacity = out.stat(dst.path)?.size ?? 0;
  for (const { file, descriptor } of [...chain].reverse()) {
    let base = 0;
    for (const e of descriptor.extents) {
      const size = e.sectors * SECTOR;
      if (e.file) {
        const x = extentFile(file, e);
        const vol = volumeOf(x);
        if (!vol.exists(x.path)) throw fileNotFound(x);
        const skip = (e.offset ?? 0) * SECTOR;
        for (const r of vol.extents(x.path)) {
          const from = Math.max(r.offset, skip);
          const to = Math.min(r.offset + r.length, skip + size, skip + capacity - base);
          for (let at = from; at < to; at += COPY_PIECE) {
            out.writeAt(dst.path, base + at - skip, vol.readRange(x.path, at, Math.min(to, at + COPY_PIECE)));
          }
        }
      }
      base += size;
    }
  }
}

/**
 * The descriptor of a new disk at `target`: a flat disk of `bytes` (thin
 * unless told otherwise), or a delta on `parent` as large as it. Its CID,
 * uuid and content id are seeded from the path, so runs repeat.
 */
export function newDiskDescriptor(
  sim: SimContext,
  target: ResolvedPath,
  opts: { bytes?: number; thin?: boolean; hwVersion?: number; parent?: { file: ResolvedPath; descriptor: VmdkDescriptor } },
): VmdkDescriptor {
  const stem = basename(target.path).replace(/\.vmdk$/i, "");
  const cid = sim.ids.hex("cid", target.datastorePath + sim.ids.next("cid"), 8);
  const longContentId = sim.ids.hex("disk.lcid", target.datastorePath + cid, 32);
  if (opts.parent) {
    return deltaDescriptor({ parent: opts.parent.descriptor, parentHint: parentFileNameHint(opts.parent.file, target), deltaFile: `${stem}-delta.vmdk`, cid, longContentId });
  }
  return flatDescriptor({
    flatFile: `${stem}-flat.vmdk`, bytes: opts.bytes ?? 0, cid, uuid: ddbUuid(sim.ids.hex("disk.uuid", target.datastorePath, 32)),
    adapterType: "lsilogic", thin: opts.thin !== false, hwVersion: opts.hwVersion ?? 11, longContentId,
  });
}

/** The files of a disk's extents (a ZERO extent has none), each with the bytes the descriptor gives it. */
function extentFiles(f: ResolvedPath, d: VmdkDescriptor): { file: ResolvedPath; bytes: number }[] {
  return d.extents.filter((e) => e.file).map((e) => ({ file: extentFile(f, e), bytes: e.sectors * SECTOR }));
}

/** Bytes allocating a disk's extents in full would take beyond what they hold now. */
export function inflateShortfall(f: ResolvedPath, d: VmdkDescriptor): number {
  let n = 0;
  for (const x of extentFiles(f, d)) {
    const st = volumeOf(x.file).stat(x.file.path);
    if (!st || st.isDirectory) throw fileNotFound(x.file);
    n += Math.max(0, Math.max(x.bytes, st.size) - st.allocated);
  }
  return n;
}

/**
 * Allocate every extent in full, keeping what it holds: a thin extent
 * becomes a thick one, one shorter than its descriptor says grows to it.
 * The caller has checked the space (inflateShortfall), so no step fails on it.
 */
export function allocateExtents(f: ResolvedPath, d: VmdkDescriptor): void {
  for (const x of extentFiles(f, d)) {
    const vol = volumeOf(x.file);
    if (vol.stat(x.file.path)!.size < x.bytes) vol.resize(x.file.path, x.bytes);
    if (!vol.isSparse(x.file.path)) continue;
    // the volume flips a sparse file's allocation only by placing it anew; its chunks carry over
    const entries = vol.exportTree(x.file.path).map((e) => (e.kind === "sparse" ? { ...e, thick: true } : e));
    vol.importTree(x.file.path, entries, { overwrite: true });
  }
}

/** Overwrite what each extent holds with zeros; unwritten ranges already read as zeros, and the allocation stays as it was. */
export function zeroExtents(f: ResolvedPath, d: VmdkDescriptor): void {
  const zeros = Buffer.alloc(COPY_PIECE);
  for (const x of extentFiles(f, d)) {
    const vol = volumeOf(x.file);
    if (!vol.exists(x.file.path)) throw fileNotFound(x.file);
    for (const r of vol.extents(x.file.path)) {
      for (let at = r.offset; at < r.offset + r.length; at += COPY_PIECE) {
        vol.writeAt(x.file.path, at, zeros.subarray(0, Math.min(COPY_PIECE, r.offset + r.length - at)));
      }
    }
  }
}
