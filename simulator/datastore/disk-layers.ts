// Disks as file trees. A disk's own extent (its flat file, or a delta's
// delta file) holds one filesystem layer as a tar stream from offset 0
// (formats/README.md, "Disk layers"); an extent never written is an empty
// layer. Mounting a disk applies its chain's layers base first; saving puts
// what changed into the top disk's extent alone, so parents (image layers)
// stay as they are and are shared.
import { VimFault } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { Datacenter } from "../objects/datacenter.ts";
import type { ResolvedPath } from "./datastore-path.ts";
import { diskChain, extentFile, readDescriptor, volumeOf, type DiskLink } from "./disk-files.ts";
import { capacityBytes, type VmdkDescriptor } from "../formats/vmdk.ts";
import { isTarHeader, readTar, writeTar, TarFormatError } from "../../formats/tar.ts";
import { FileTree, fsError } from "../guest/file-tree.ts";
import { applyLayer, diffLayer, emptyLayer, layerFromTar, layerToTar, treeLayer, type Layer } from "../guest/layers.ts";

const BLOCK = 512;

/** Where a disk's layer lives and how far its written bytes go. */
function extentOf(link: DiskLink): { file: ResolvedPath; written: number } {
  const e = link.descriptor.extents[0];
  if (!e?.file) throw new VimFault("InvalidDiskFormat", {}, `${link.file.datastorePath} has no extent file to hold a filesystem`);
  const x = extentFile(link.file, e);
  const vol = volumeOf(x);
  if (!vol.exists(x.path)) throw new VimFault("FileNotFound", { file: x.datastorePath }, `File ${x.datastorePath} was not found`);
  const written = vol.extents(x.path).reduce((end, r) => Math.max(end, r.offset + r.length), 0);
  return { file: x, written };
}

/**
 * The layer a disk holds itself: empty for an extent never written (or all
 * zeros at the start and nothing after), undefined for one that holds
 * something else (a guest wrote blocks, not files).
 */
export function ownLayer(link: DiskLink): Layer | undefined {
  const { file, written } = extentOf(link);
  if (written === 0) return emptyLayer();
  const vol = volumeOf(file);
  const first = vol.readRange(file.path, 0, BLOCK);
  if (!isTarHeader(first)) {
    // zeros at the start: an empty archive, unless blocks were written further on
    if (!first.every((b) => b === 0)) return undefined;
    return vol.extents(file.path).every((r) => vol.readRange(file.path, r.offset, Math.min(r.offset + r.length, r.offset + (1 << 20))).every((b) => b === 0)) ? emptyLayer() : undefined;
  }
  try {
    return layerFromTar(readTar(vol.readRange(file.path, 0, written)));
  } catch (e) {
    if (e instanceof TarFormatError) return undefined;
    throw e;
  }
}

/** Does this disk's own extent hold a layer with something in it (not empty, not raw blocks)? */
export function holdsLayer(link: DiskLink): boolean {
  const { file, written } = extentOf(link);
  return written > 0 && isTarHeader(volumeOf(file).readRange(file.path, 0, BLOCK));
}

/** Write `layer` as the disk's own; ENOSPC when it does not fit the disk, NoDiskSpace when the datastore is full. */
export function writeOwnLayer(link: DiskLink, layer: Layer): void {
  const { file, written } = extentOf(link);
  const tar = writeTar(layerToTar(layer));
  if (tar.length > capacityBytes(link.descriptor)) throw fsError("ENOSPC", link.file.datastorePath);
  const vol = volumeOf(file);
  vol.writeAt(file.path, 0, tar);
  // what the old, longer layer left behind reads as the end of the archive
  if (written > tar.length) vol.writeAt(file.path, tar.length, Buffer.alloc(Math.min(written, capacityBytes(link.descriptor)) - tar.length));
}

function unknownFs(link: DiskLink): Error {
  return Object.assign(new Error(`${link.file.datastorePath}: wrong fs type: the disk holds no filesystem layer`), { code: "EINVAL" });
}

/** A mounted disk: the view its parents give (lower) and the view with its own layer on top. */
export interface MountedChain {
  top: DiskLink;
  lower: FileTree;
  tree: FileTree;
}

export function mountChain(sim: SimContext, disk: ResolvedPath, now: () => Date, dc?: Datacenter): MountedChain {
  const chain = diskChain(sim, disk, dc);
  const lower = new FileTree(now);
  for (const link of [...chain].reverse().slice(0, -1)) {
    const layer = ownLayer(link);
    if (!layer) throw unknownFs(link);
    applyLayer(lower, layer);
  }
  const own = ownLayer(chain[0]);
  if (!own) throw unknownFs(chain[0]);
  const tree = lower.clone();
  applyLayer(tree, own);
  return { top: chain[0], lower, tree };
}

/** Save what a mount changed into the top disk's extent. */
export function saveChain(m: MountedChain): void {
  // the descriptor may have changed since mount (a disk extended): read it again
  const top = { file: m.top.file, descriptor: readDescriptor(m.top.file) as VmdkDescriptor };
  writeOwnLayer(top, diffLayer(m.lower, m.tree));
}

/** A chain whose disks hold layers, as one layer (a full clone, a consolidating copy); undefined when they hold blocks. */
export function flattenedLayer(chain: DiskLink[]): Layer | undefined {
  if (!chain.some(holdsLayer)) return undefined;
  const tree = new FileTree(() => new Date(0));
  for (const link of [...chain].reverse()) {
    const layer = ownLayer(link);
    if (!layer) return undefined;
    applyLayer(tree, layer);
  }
  return treeLayer(tree);
}
