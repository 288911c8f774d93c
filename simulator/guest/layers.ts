// Filesystem layers: what one disk of a chain holds (formats/README.md,
// "Disk layers"). A layer is a set of entries and whiteouts, as an OCI image
// layer: `.wh.NAME` deletes NAME from the layers below, `.wh..wh..opq` in a
// directory hides everything the layers below had in it. A disk's view is
// its chain's layers applied base first; what a guest changed is the diff
// between that view before and after, which becomes the top disk's layer.
import type { TarEntry } from "../../formats/tar.ts";
import { FileTree, type FsNode } from "./file-tree.ts";

export interface Layer {
  /** path -> node ("" is never an entry) */
  entries: Map<string, FsNode>;
  /** paths deleted from the layers below (with everything under them) */
  whiteouts: Set<string>;
  /** directories whose contents in the layers below are hidden */
  opaque: Set<string>;
}

export const WHITEOUT = ".wh.";
export const OPAQUE = ".wh..wh..opq";

export const emptyLayer = (): Layer => ({ entries: new Map(), whiteouts: new Set(), opaque: new Set() });

const parentOf = (p: string) => (p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "");
const baseOf = (p: string) => p.slice(p.lastIndexOf("/") + 1);
const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);

export function layerFromTar(entries: readonly TarEntry[]): Layer {
  const layer = emptyLayer();
  for (const e of entries) {
    const name = baseOf(e.path);
    const dir = parentOf(e.path);
    if (name === OPAQUE) {
      layer.opaque.add(dir);
      continue;
    }
    if (name.startsWith(WHITEOUT)) {
      layer.whiteouts.add(join(dir, name.slice(WHITEOUT.length)));
      continue;
    }
    const meta = { mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime };
    if (e.type === "dir") layer.entries.set(e.path, { type: "dir", ...meta });
    else if (e.type === "symlink") layer.entries.set(e.path, { type: "symlink", target: e.linkname ?? "", ...meta });
    else if (e.type === "hardlink") {
      // a hard link to an earlier entry of the same archive: a file with the same contents
      const target = layer.entries.get(e.linkname ?? "");
      layer.entries.set(e.path, target?.type === "file" ? { ...target, ...meta, mode: target.mode } : { type: "file", data: Buffer.alloc(0), ...meta });
    } else if (e.type === "file") layer.entries.set(e.path, { type: "file", data: e.data ?? Buffer.alloc(0), ...meta });
    // devices, fifos: a container layer may carry them; a simulated guest has no use for them
  }
  return layer;
}

export function layerToTar(layer: Layer): TarEntry[] {
  const out: TarEntry[] = [];
  const epoch = new Date(0);
  const marker = (path: string): TarEntry => ({ path, type: "file", mode: 0o644, uid: 0, gid: 0, mtime: epoch, data: Buffer.alloc(0) });
  for (const dir of [...layer.opaque].sort()) out.push(marker(join(dir, OPAQUE)));
  for (const p of [...layer.whiteouts].sort()) out.push(marker(join(parentOf(p), WHITEOUT + baseOf(p))));
  // parents before children: sorting by path puts "a" before "a/b"
  for (const p of [...layer.entries.keys()].sort()) {
    const n = layer.entries.get(p)!;
    const meta = { path: p, mode: n.mode, uid: n.uid, gid: n.gid, mtime: n.mtime };
    if (n.type === "dir") out.push({ ...meta, type: "dir" });
    else if (n.type === "symlink") out.push({ ...meta, type: "symlink", linkname: n.target });
    else out.push({ ...meta, type: "file", data: n.data });
  }
  return out;
}

/** Apply a layer on top of `tree`: opaque directories and whiteouts first, then the entries. */
export function applyLayer(tree: FileTree, layer: Layer): void {
  for (const dir of layer.opaque) {
    if (tree.node(dir)?.type === "dir") for (const k of tree.childrenOf(dir)) tree.removeSubtree(join(dir, k));
  }
  for (const p of layer.whiteouts) tree.removeSubtree(p);
  for (const p of [...layer.entries.keys()].sort()) tree.put(p, layer.entries.get(p)!);
}

/**
 * What turns `lower` into `upper`, as a layer: nodes that are not lower's
 * (by identity: a tree cloned from lower shares its unchanged nodes) and
 * whiteouts for what is gone, the topmost gone path only.
 */
export function diffLayer(lower: FileTree, upper: FileTree): Layer {
  const layer = emptyLayer();
  for (const p of upper.paths()) {
    if (p === "") continue;
    if (upper.node(p) !== lower.node(p)) layer.entries.set(p, upper.node(p)!);
  }
  for (const p of lower.paths()) {
    if (p === "" || upper.node(p)) continue;
    const parent = upper.node(parentOf(p));
    // under a path that is gone or no longer a directory, the parent's own change covers it
    if (parent?.type === "dir" && (parentOf(p) === "" || lower.node(parentOf(p))?.type === "dir")) layer.whiteouts.add(p);
  }
  return layer;
}

/** `top` folded into `base`: one layer that does what applying both in turn does (consolidation). */
export function mergeLayers(base: Layer, top: Layer): Layer {
  const out: Layer = { entries: new Map(base.entries), whiteouts: new Set(base.whiteouts), opaque: new Set(base.opaque) };
  const under = (p: string, dir: string) => dir === "" || p.startsWith(`${dir}/`);
  for (const dir of top.opaque) {
    for (const p of [...out.entries.keys()]) if (under(p, dir) && p !== dir) out.entries.delete(p);
    for (const p of [...out.whiteouts]) if (under(p, dir) && p !== dir) out.whiteouts.delete(p);
    out.opaque.add(dir);
  }
  for (const w of top.whiteouts) {
    for (const p of [...out.entries.keys()]) if (p === w || p.startsWith(`${w}/`)) out.entries.delete(p);
    out.whiteouts.add(w);
  }
  for (const [p, n] of top.entries) {
    const old = out.entries.get(p);
    // a directory replaced by a file takes what was under it
    if (old?.type === "dir" && n.type !== "dir") for (const q of [...out.entries.keys()]) if (q.startsWith(`${p}/`)) out.entries.delete(q);
    out.entries.set(p, n);
  }
  return out;
}

/** A whole tree as one layer without whiteouts (a flattened disk). */
export function treeLayer(tree: FileTree): Layer {
  const layer = emptyLayer();
  for (const p of tree.paths()) if (p !== "") layer.entries.set(p, tree.node(p)!);
  return layer;
}
