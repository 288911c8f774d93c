// The files of VM snapshots: a delta disk on top of each disk, the .vmsn
// holding the configuration of the moment, the .vmsd listing them all, and
// consolidation that folds a delta back into its parent.
import type { SimContext } from "../sim-context.ts";
import { holdsLayer, ownLayer, writeOwnLayer } from "./disk-layers.ts";
import { mergeLayers } from "../guest/layers.ts";
import { basename, formatDatastorePath, joinPath, resolveDatastorePath, type ResolvedPath } from "./datastore-path.ts";
import { NO_PARENT } from "../formats/vmdk.ts";
import { VimFault } from "../../vim25/soap/index.ts";
import { historyAfterFold, historyBeforeFold, inheritTracking } from "./change-tracking.ts";
import { createDiskFiles, extentFile, newDiskDescriptor, parentFileNameHint, parentOf, readDescriptor, removeDisk, volumeOf, writeDescriptor } from "./disk-files.ts";

export class SnapshotFiles {
  constructor(private readonly sim: SimContext) {}

  private resolve(dsPath: string): ResolvedPath {
    return resolveDatastorePath(this.sim, dsPath);
  }

  /** Bytes a disk's own extents hold (a delta's written blocks), and the datastore they are on. */
  populated(dsPath: string): { datastore: ResolvedPath["datastore"]; bytes: number } {
    const f = this.resolve(dsPath);
    let bytes = 0;
    for (const e of readDescriptor(f).extents) {
      if (!e.file) continue;
      const x = extentFile(f, e);
      const vol = volumeOf(x);
      if (vol.exists(x.path)) for (const r of vol.extents(x.path)) bytes += r.length;
    }
    return { datastore: f.datastore, bytes };
  }

  /**
   * A new delta disk `<stem>-00000N.vmdk` in `dir` on top of `parentDsPath`;
   * returns its `[ds] path`. A tracked parent's change history carries on
   * into it, or starts anew (a revert), or not at all (a linked clone's disk).
   */
  createDelta(parentDsPath: string, dir: ResolvedPath, tracking: "carry" | "restart" | "none" = "carry"): string {
    const parent = this.resolve(parentDsPath);
    const parentDesc = readDescriptor(parent);
    const vol = volumeOf(dir);
    // the chain keeps the base disk's stem: disk.vmdk, disk-000001.vmdk, disk-000002.vmdk
    const stem = basename(parent.path).replace(/(-\d{6})?\.vmdk$/i, "");
    let path = "";
    for (let n = 1; ; n++) {
      path = joinPath(dir.path, `${stem}-${String(n).padStart(6, "0")}.vmdk`);
      if (!vol.exists(path)) break;
    }
    const child: ResolvedPath = { datastore: dir.datastore, path, datastorePath: formatDatastorePath(dir.datastore.name, path) };
    createDiskFiles(child, newDiskDescriptor(this.sim, child, { parent: { file: parent, descriptor: parentDesc } }));
    if (tracking !== "none") inheritTracking(this.sim, parent, child, tracking === "restart");
    return child.datastorePath;
  }

  /** Remove a delta disk (descriptor and extents). */
  deleteDisk(dsPath: string): void {
    const f = this.resolve(dsPath);
    if (!volumeOf(f).exists(f.path)) return;
    removeDisk(f, readDescriptor(f));
  }

  /**
   * Fold `childDsPath`'s written blocks into its parent, as consolidation
   * does; the parent's CID changes, and `dependents` (descriptors whose
   * parent was the child) are pointed at the parent instead.
   */
  consolidate(childDsPath: string, parentDsPath: string, dependents: string[]): void {
    const child = this.resolve(childDsPath);
    const parent = this.resolve(parentDsPath);
    const childDesc = readDescriptor(child);
    const parentDesc = readDescriptor(parent);
    if (childDesc.parentCid !== parentDesc.cid) throw new VimFault("InvalidDiskFormat", {}, `The parent of ${child.datastorePath} has changed (CID mismatch)`);
    const history = historyBeforeFold(child);
    const childLink = { file: child, descriptor: childDesc };
    const parentLink = { file: parent, descriptor: parentDesc };
    const childLayer = holdsLayer(childLink) ? ownLayer(childLink) : undefined;
    const parentLayer = childLayer ? ownLayer(parentLink) : undefined;
    if (childLayer && parentLayer) {
      // file layers fold as layers; their bytes would not
      writeOwnLayer(parentLink, mergeLayers(parentLayer, childLayer));
    } else {
      const cExt = extentFile(child, childDesc.extents[0]);
      const pExt = extentFile(parent, parentDesc.extents[0]);
      const cVol = volumeOf(cExt);
      const pVol = volumeOf(pExt);
      for (const r of cVol.extents(cExt.path)) pVol.writeAt(pExt.path, r.offset, cVol.readRange(cExt.path, r.offset, r.offset + r.length));
    }
    parentDesc.cid = this.sim.ids.hex("cid", parent.datastorePath + this.sim.ids.next("cid"), 8);
    writeDescriptor(parent, parentDesc);
    // the guest's writes since the parent froze stay changes; the fold's own writes are not
    if (history) historyAfterFold(parent, history);
    for (const dep of dependents) {
      const f = this.resolve(dep);
      const d = readDescriptor(f);
      d.parentCid = parentDesc.cid;
      d.parentFileNameHint = parentFileNameHint(parent, f);
      writeDescriptor(f, d);
    }
    this.deleteDisk(childDsPath);
  }

  /** The parent descriptor's `[ds] path` of a delta, undefined for a base disk. */
  parentOf(dsPath: string): string | undefined {
    const f = this.resolve(dsPath);
    const d = readDescriptor(f);
    if (d.parentCid === NO_PARENT) return undefined;
    return parentOf(this.sim, f, d)?.datastorePath;
  }

  /** A small text file's content, undefined if it is not there. */
  readText(dsPath: string): string | undefined {
    const f = this.resolve(dsPath);
    const vol = volumeOf(f);
    return vol.exists(f.path) ? vol.readFile(f.path).toString("utf8") : undefined;
  }

  writeText(dsPath: string, text: string): void {
    const f = this.resolve(dsPath);
    volumeOf(f).writeFile(f.path, Buffer.from(text, "utf8"));
  }

  createSparse(dsPath: string, size: number): void {
    const f = this.resolve(dsPath);
    volumeOf(f).createSparse(f.path, size);
  }

  deleteFile(dsPath: string): void {
    const f = this.resolve(dsPath);
    const vol = volumeOf(f);
    if (vol.exists(f.path)) vol.delete(f.path);
  }
}
