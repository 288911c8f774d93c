// The files of VM snapshots: a delta disk on top of each disk, the .vmsn
// holding the configuration of the moment, the .vmsd listing them all, and
// consolidation that folds a delta back into its parent.
import type { SimContext } from "../sim-context.ts";
import type { DatastoreVolumeApi } from "./volume-api.ts";
import type { Datastore } from "../objects/datastore.ts";
import { basename, dirname, formatDatastorePath, joinPath, resolveDatastorePath, type ResolvedPath } from "./datastore-path.ts";
import { deltaDescriptor, formatDescriptor, parseDescriptor, NO_PARENT, type VmdkDescriptor } from "../formats/vmdk.ts";
import { VimFault } from "../../vim25/soap/index.ts";

function volumeOf(ds: Datastore): DatastoreVolumeApi {
  return (ds as Datastore & { volume: DatastoreVolumeApi }).volume;
}

export class SnapshotFiles {
  constructor(private readonly sim: SimContext) {}

  private resolve(dsPath: string): ResolvedPath {
    return resolveDatastorePath(this.sim, dsPath);
  }

  read(f: ResolvedPath): VmdkDescriptor {
    const vol = volumeOf(f.datastore);
    if (!vol.exists(f.path)) throw new VimFault("FileNotFound", { file: f.datastorePath }, `File ${f.datastorePath} was not found`);
    return parseDescriptor(vol.readFile(f.path).toString("utf8"), f.datastorePath);
  }

  private write(f: ResolvedPath, d: VmdkDescriptor): void {
    volumeOf(f.datastore).writeFile(f.path, Buffer.from(formatDescriptor(d), "utf8"));
  }

  /** How a child descriptor in `childDir` names its parent: bare when beside it, else by /vmfs/volumes path. */
  private hint(parent: ResolvedPath, child: ResolvedPath): string {
    return parent.datastore === child.datastore && dirname(parent.path) === dirname(child.path)
      ? basename(parent.path)
      : `/vmfs/volumes/${parent.datastore.uuid}/${parent.path}`;
  }

  /** A new delta disk `<stem>-00000N.vmdk` in `dir` on top of `parentDsPath`; returns its `[ds] path`. */
  createDelta(parentDsPath: string, dir: ResolvedPath): string {
    const parent = this.resolve(parentDsPath);
    const parentDesc = this.read(parent);
    const vol = volumeOf(dir.datastore);
    // the chain keeps the base disk's stem: disk.vmdk, disk-000001.vmdk, disk-000002.vmdk
    const stem = basename(parent.path).replace(/(-\d{6})?\.vmdk$/i, "");
    let n = 1;
    let path = "";
    for (; ; n++) {
      path = joinPath(dir.path, `${stem}-${String(n).padStart(6, "0")}.vmdk`);
      if (!vol.exists(path)) break;
    }
    const child: ResolvedPath = { datastore: dir.datastore, path, datastorePath: formatDatastorePath(dir.datastore.name, path) };
    const extent = basename(path).replace(/\.vmdk$/i, "-delta.vmdk");
    const cid = this.sim.ids.hex("cid", child.datastorePath + this.sim.ids.next("cid"), 8);
    const desc = deltaDescriptor({ parent: parentDesc, parentHint: this.hint(parent, child), deltaFile: extent, cid, longContentId: this.sim.ids.hex("lcid", child.datastorePath + cid, 32) });
    const size = desc.extents.reduce((s, e) => s + e.sectors * 512, 0);
    vol.createSparse(joinPath(dir.path, extent), size, { exclusive: true });
    this.write(child, desc);
    return child.datastorePath;
  }

  /** Remove a delta disk (descriptor and extents). */
  deleteDisk(dsPath: string): void {
    const f = this.resolve(dsPath);
    const vol = volumeOf(f.datastore);
    if (!vol.exists(f.path)) return;
    const desc = this.read(f);
    for (const e of desc.extents) {
      const p = joinPath(dirname(f.path), e.file);
      if (vol.exists(p)) vol.delete(p);
    }
    vol.delete(f.path);
  }

  /**
   * Fold `childDsPath`'s written blocks into its parent, as consolidation
   * does; the parent's CID changes, and `dependents` (descriptors whose
   * parent was the child) are pointed at the parent instead.
   */
  consolidate(childDsPath: string, parentDsPath: string, dependents: string[]): void {
    const child = this.resolve(childDsPath);
    const parent = this.resolve(parentDsPath);
    const childDesc = this.read(child);
    const parentDesc = this.read(parent);
    if (childDesc.parentCid !== parentDesc.cid) throw new VimFault("InvalidDiskFormat", {}, `The parent of ${child.datastorePath} has changed (CID mismatch)`);
    const cVol = volumeOf(child.datastore);
    const pVol = volumeOf(parent.datastore);
    const cExt = joinPath(dirname(child.path), childDesc.extents[0].file);
    const pExt = joinPath(dirname(parent.path), parentDesc.extents[0].file);
    for (const r of cVol.extents(cExt)) pVol.writeAt(pExt, r.offset, cVol.readRange(cExt, r.offset, r.offset + r.length));
    parentDesc.cid = this.sim.ids.hex("cid", parent.datastorePath + this.sim.ids.next("cid"), 8);
    this.write(parent, parentDesc);
    for (const dep of dependents) {
      const f = this.resolve(dep);
      const d = this.read(f);
      d.parentCid = parentDesc.cid;
      d.parentFileNameHint = this.hint(parent, f);
      this.write(f, d);
    }
    this.deleteDisk(childDsPath);
  }

  /** The parent descriptor's `[ds] path` of a delta, undefined for a base disk. */
  parentOf(dsPath: string): string | undefined {
    const f = this.resolve(dsPath);
    const d = this.read(f);
    if (d.parentCid === NO_PARENT || !d.parentFileNameHint) return undefined;
    const hint = d.parentFileNameHint;
    if (hint.startsWith("/vmfs/volumes/")) {
      const rest = hint.slice("/vmfs/volumes/".length);
      const vol = rest.slice(0, rest.indexOf("/"));
      const ds = this.sim.inventory.ofType("Datastore").find((x) => (x as Datastore).uuid === vol || x.get("name") === vol) as Datastore | undefined;
      return ds ? formatDatastorePath(ds.name, rest.slice(vol.length + 1)) : undefined;
    }
    return formatDatastorePath(f.datastore.name, joinPath(dirname(f.path), hint));
  }

  writeText(dsPath: string, text: string): void {
    const f = this.resolve(dsPath);
    volumeOf(f.datastore).writeFile(f.path, Buffer.from(text, "utf8"));
  }

  createSparse(dsPath: string, size: number): void {
    const f = this.resolve(dsPath);
    volumeOf(f.datastore).createSparse(f.path, size);
  }

  deleteFile(dsPath: string): void {
    const f = this.resolve(dsPath);
    const vol = volumeOf(f.datastore);
    if (vol.exists(f.path)) vol.delete(f.path);
  }
}
