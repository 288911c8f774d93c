// VirtualDiskManager: disks as files, with no VM involved. Names are
// `[ds] dir/name.vmdk` (or /folder URLs) resolved in a datacenter, which
// hostd lets the caller leave out. A disk is its descriptor plus the extents
// it names (disk-files.ts); every operation keeps the two together.
//
// Where the simulator parts from ESXi, and why:
// - preallocated, thick and eagerZeroedThick disks are kept in chunks like
//   thin ones, so unwritten blocks cost no memory, but their whole capacity
//   counts against the datastore from creation, as on VMFS.
// - CopyVirtualDisk_Task of a delta disk writes one flat disk holding what
//   the chain shows (as vmkfstools -i does), merging sparse chunks.
// - MoveVirtualDisk_Task keeps the moved disk's own parentFileNameHint
//   valid, but children that name the moved disk by path are not rewritten:
//   hostd does not know them either, and their chain breaks.
// - QueryVirtualDiskInfo_Task is not in the vim25 metadata we serve (pyVmomi
//   6.7 has no such method), so the chain walk is reachable only through
//   copies.
// - Provisioning (disk-provisioning.ts): InflateVirtualDisk_Task allocates a
//   thin disk in full and drops ddb.thinProvisioned, keeping its bytes;
//   EagerZeroVirtualDisk_Task marks a lazy-zeroed thick disk eager-zeroed;
//   VM backings and the FCD catalog follow both. ZeroFillVirtualDisk_Task
//   overwrites what the extents hold with zeros and leaves the allocation
//   as it was (VMFS would allocate a thin disk's every block: not modelled).
//   A running VM's disk is FileLocked to all of these.
// - Shrink, Defragment and QueryVirtualDiskFragmentation concern hosted
//   sparse disks. On VMFS flat and thin disks ESXi answers Shrink with
//   success and changes nothing (govmomi's govc tests against ESXi shrink an
//   inflated disk; govmomi issue 2035), and VixDiskLib's guide says
//   defragmenting a flat disk does nothing and succeeds; so these disks
//   report 0% fragmentation (a value not confirmed against hostd).
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { Datacenter } from "./datacenter.ts";
import { newestHardwareVersion } from "./hardware-versions.ts";
import { basename, datacenterFor, resolveDatastorePath, type ResolvedPath } from "../datastore/datastore-path.ts";
import {
  createDiskFiles, ctkFile, diskChain, extentFile, fileNotFound, flattenChain, growExtent, parentFileNameHint, parentOf, readDescriptor,
  removeDisk, volumeOf, writeDescriptor, zeroExtents,
} from "../datastore/disk-files.ts";
import { eagerZeroDisk, inflateDisk, refuseLocked, updateBackings } from "./disk-provisioning.ts";
import {
  FRESH_CID, NO_PARENT, SECTOR, capacityBytes, ddbGet, ddbSet, flatDescriptor, isDdbUuid, vmfsDiskUuid, type VmdkDescriptor,
} from "../formats/vmdk.ts";

/** VirtualDiskAdapterType -> ddb.adapterType */
const ADAPTERS: Record<string, string> = { ide: "ide", busLogic: "buslogic", lsiLogic: "lsilogic" };

const THICK_TYPES = new Set(["preallocated", "thick", "eagerZeroedThick"]);
/** VirtualDiskType values that name a real format this simulator does not model */
const UNMODELLED_TYPES = new Set(["seSparse", "sparse2Gb", "thick2Gb", "sparseMonolithic", "flatMonolithic"]);

/** ATA geometry tops out at 16383 cylinders of 16 heads; SCSI disks report 255 heads. */
const IDE_HEADS = 16;
const IDE_MAX_CYLINDERS = 16383;

/** ddb keys a new descriptor sets itself; a copy carries the source's other keys over. */
const OWN_DDB_KEYS = new Set(["adapterType", "longContentID", "thinProvisioned", "uuid", "virtualHWVersion"]);

interface DiskFormat {
  thin: boolean;
  /** ddb.adapterType spelling */
  adapterType: string;
}

export class VirtualDiskManager extends ManagedObject {
  // ---- names, specs, ids ----

  private datacenter(ref: ManagedObjectReference | undefined, property: string): Datacenter {
    return datacenterFor(this.sim, ref, property);
  }

  private resolve(name: unknown, dc: Datacenter): ResolvedPath {
    return resolveDatastorePath(this.sim, String(name ?? ""), dc);
  }

  /** A name a new disk will take; its extents are named after its stem, so it has to end in .vmdk. */
  private newDiskPath(name: unknown, dc: Datacenter): ResolvedPath {
    const f = this.resolve(name, dc);
    if (!/\.vmdk$/i.test(f.path)) throw new VimFault("InvalidDatastorePath", { datastorePath: String(name) }, `Invalid datastore path '${String(name)}'.`);
    return f;
  }

  /** TaskInfo.entity must be a ManagedEntity: the datacenter named, or the root folder when none is. */
  private taskEntity(datacenter: ManagedObjectReference | undefined): ManagedObject {
    try {
      return datacenterFor(this.sim, datacenter);
    } catch {
      return this.sim.inventory.get((this.sim.content.rootFolder as ManagedObjectReference).value) ?? this;
    }
  }

  private task(method: string, datacenter: ManagedObjectReference | undefined, ctx: CallContext, body: () => unknown, result?: "string"): ManagedObjectReference {
    const descriptionId = `VirtualDiskManager.${method[0].toLowerCase()}${method.slice(1).replace(/_Task$/, "")}`;
    return this.sim.tasks.run(this.taskEntity(datacenter), method, descriptionId, ctx.session?.userName ?? "", body, result ? { resultType: { type: result } } : {});
  }

  private format(spec: DataObject | undefined, forCreate: boolean): DiskFormat {
    if (!spec || typeof spec !== "object") throw new VimFault("InvalidArgument", { invalidProperty: "spec" });
    if (this.sim.schema.isA(spec._type, "DeviceBackedVirtualDiskSpec")) {
      throw new VimFault("NotSupported", {}, "Disks backed by a raw device are not supported by this simulator.");
    }
    const diskType = String(spec.diskType ?? "");
    const adapterType = ADAPTERS[String(spec.adapterType ?? "")];
    if (!adapterType) throw new VimFault("InvalidArgument", { invalidProperty: "spec.adapterType" }, `A specified parameter was not correct: spec.adapterType`);
    if (UNMODELLED_TYPES.has(diskType)) throw new VimFault("NotSupported", {}, `Disk type ${diskType} is not supported by this simulator.`);
    if (diskType !== "thin" && !THICK_TYPES.has(diskType)) {
      // delta, rdm, rdmp and raw need a parent or a device that a file-backed spec cannot name
      throw new VimFault("InvalidArgument", { invalidProperty: "spec.diskType" }, `A specified parameter was not correct: spec.diskType`);
    }
    if (forCreate) {
      const kb = Number(spec.capacityKb);
      if (!Number.isSafeInteger(kb) || kb <= 0 || kb * 1024 > Number.MAX_SAFE_INTEGER) {
        throw new VimFault("InvalidArgument", { invalidProperty: "spec.capacityKb" }, `A specified parameter was not correct: spec.capacityKb`);
      }
    }
    return { thin: diskType === "thin", adapterType };
  }

  /** Thick disks must fit when made: checked before any file is, so the fault names the disk. */
  private requireSpace(f: ResolvedPath, bytes: number): void {
    const vol = volumeOf(f);
    if (bytes > vol.freeBytes()) {
      throw new VimFault("NoDiskSpace", { file: f.datastorePath, datastore: f.datastore.name }, `Insufficient disk space on datastore '${f.datastore.name}'.`);
    }
  }

  /**
   * ddb.virtualHWVersion for disks this host makes: the newest virtual
   * hardware of its release, as on disks hostd creates for new VMs (the
   * spec's ESXi 6.0 example says 11). Copies keep their source's.
   */
  private hwVersion(): number {
    return newestHardwareVersion(this.sim.scenario.about.version);
  }

  /** A new identity: ddb.uuid and ddb.longContentID, whose last eight digits are the CID as on ESXi. */
  private identity(f: ResolvedPath, cid: string): { uuid: string; longContentId: string } {
    const n = this.sim.ids.next("vdisk");
    return {
      uuid: vmfsDiskUuid(this.sim.ids.hex("vdisk.uuid", `${f.datastorePath}#${n}`, 32)),
      longContentId: this.sim.ids.hex("vdisk.lcid", `${f.datastorePath}#${n}`, 24) + cid,
    };
  }

  /** A base disk's descriptor as hostd writes it for `fmt`. */
  private baseDescriptor(f: ResolvedPath, bytes: number, fmt: DiskFormat, cid: string, hwVersion: number): VmdkDescriptor {
    const stem = basename(f.path).replace(/\.vmdk$/i, "");
    const d = flatDescriptor({ flatFile: `${stem}-flat.vmdk`, bytes, cid, ...this.identity(f, cid), adapterType: fmt.adapterType, thin: fmt.thin, hwVersion });
    if (fmt.adapterType === "ide") setIdeGeometry(d, bytes);
    return d;
  }

  // ---- create, delete ----

  CreateVirtualDisk_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("CreateVirtualDisk_Task", args.datacenter, ctx, () => {
      const f = this.newDiskPath(args.name, this.datacenter(args.datacenter, "datacenter"));
      const fmt = this.format(args.spec, true);
      const bytes = Number(args.spec.capacityKb) * 1024;
      if (volumeOf(f).exists(f.path)) throw fileAlreadyExists(f);
      if (!fmt.thin) this.requireSpace(f, bytes);
      // a disk nothing has written to yet carries the fresh CID
      createDiskFiles(f, this.baseDescriptor(f, bytes, fmt, FRESH_CID, this.hwVersion()));
      return f.datastorePath;
    }, "string");
  }

  DeleteVirtualDisk_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("DeleteVirtualDisk_Task", args.datacenter, ctx, () => {
      const f = this.resolve(args.name, this.datacenter(args.datacenter, "datacenter"));
      // a file that is not a descriptor is refused, not deleted
      removeDisk(f, readDescriptor(f));
    });
  }

  // ---- copy, move ----

  CopyVirtualDisk_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("CopyVirtualDisk_Task", args.sourceDatacenter, ctx, () => {
      const srcDc = this.datacenter(args.sourceDatacenter, "sourceDatacenter");
      const src = this.resolve(args.sourceName, srcDc);
      const dst = this.newDiskPath(args.destName, this.datacenter(args.destDatacenter ?? args.sourceDatacenter, "destDatacenter"));
      const chain = diskChain(this.sim, src, srcDc);
      // the API reference: "The force flag is currently ignored. The
      // FileAlreadyExists fault is thrown if the destination file already exists."
      if (volumeOf(dst).exists(dst.path)) throw fileAlreadyExists(dst);
      // without destSpec the API reference has hostd assume preallocated and busLogic
      const fmt = args.destSpec ? this.format(args.destSpec, false) : { thin: false, adapterType: "buslogic" };
      const top = chain[0].descriptor;
      const bytes = capacityBytes(top);
      if (!fmt.thin) this.requireSpace(dst, bytes);
      const cid = this.sim.ids.hex("cid", dst.datastorePath + this.sim.ids.next("cid"), 8);
      const hw = Number(ddbGet(top, "virtualHWVersion")) || this.hwVersion();
      const desc = this.baseDescriptor(dst, bytes, fmt, cid, hw);
      for (const [k, v] of top.ddb) if (!OWN_DDB_KEYS.has(k) && !k.startsWith("geometry.")) ddbSet(desc, k, v);
      desc.ddb.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const made = createDiskFiles(dst, desc);
      try {
        flattenChain(chain, extentFile(dst, desc.extents[0]));
      } catch (e) {
        for (const x of made) if (volumeOf(x).exists(x.path)) volumeOf(x).delete(x.path);
        throw e;
      }
      return dst.datastorePath;
    }, "string");
  }

  MoveVirtualDisk_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("MoveVirtualDisk_Task", args.sourceDatacenter, ctx, () => {
      const srcDc = this.datacenter(args.sourceDatacenter, "sourceDatacenter");
      const src = this.resolve(args.sourceName, srcDc);
      const dst = this.newDiskPath(args.destName, this.datacenter(args.destDatacenter ?? args.sourceDatacenter, "destDatacenter"));
      const desc = readDescriptor(src);
      const same = src.datastore === dst.datastore && src.path === dst.path;
      if (same) return dst.datastorePath;
      const moved = this.renamed(src, desc, dst, srcDc);
      const moves = desc.extents.flatMap((e, i) => (e.file ? [{ from: extentFile(src, e), to: extentFile(dst, moved.extents[i]) }] : []));
      // the change tracking file goes with the disk, renamed as its extents are
      const ctk = ctkFile(src, desc);
      if (ctk && volumeOf(ctk).exists(ctk.path)) moves.push({ from: ctk, to: ctkFile(dst, moved)! });
      else delete moved.changeTrackPath;
      const dstVol = volumeOf(dst);
      // force must not clear away the disk's own files (b.vmdk onto a-flat.vmdk)
      const own = new Set([src, ...moves.map((m) => m.from)].map((x) => `${x.datastore.ref.value}:${x.path}`));
      const clash = [dst, ...moves.map((m) => m.to)].find((x) => own.has(`${x.datastore.ref.value}:${x.path}`));
      if (clash) throw fileAlreadyExists(clash);
      const taken = [dst, ...moves.map((m) => m.to)].filter((x) => dstVol.exists(x.path));
      if (taken.length && !args.force) throw fileAlreadyExists(taken[0]);
      for (const x of moves) if (!volumeOf(x.from).exists(x.from.path)) throw fileNotFound(x.from);
      if (taken.length) this.clearForMove(dst, moves.map((m) => m.to));
      this.transfer(moves);
      try {
        writeDescriptor(dst, moved);
      } catch (e) {
        for (const m of [...moves].reverse()) moveFile(m.to, m.from);
        throw e;
      }
      volumeOf(src).delete(src.path);
      return dst.datastorePath;
    }, "string");
  }

  /** `desc` as it reads at `dst`: extents named after the new stem, and a parent hint that still finds the parent. */
  private renamed(src: ResolvedPath, desc: VmdkDescriptor, dst: ResolvedPath, dc: Datacenter): VmdkDescriptor {
    const from = basename(src.path).replace(/\.vmdk$/i, "");
    const to = basename(dst.path).replace(/\.vmdk$/i, "");
    const out: VmdkDescriptor = { ...desc, extents: desc.extents.map((e) => ({ ...e })), ddb: desc.ddb.map(([k, v]) => [k, v]) };
    for (const e of out.extents) {
      if (!e.file) continue;
      e.file = e.file.startsWith(from) ? to + e.file.slice(from.length) : `${to}-${e.file}`;
    }
    if (out.changeTrackPath) out.changeTrackPath = out.changeTrackPath.startsWith(from) ? to + out.changeTrackPath.slice(from.length) : `${to}-ctk.vmdk`;
    if (desc.parentFileNameHint && !desc.parentFileNameHint.startsWith("/")) {
      const parent = parentOf(this.sim, src, desc, dc);
      if (parent) out.parentFileNameHint = parentFileNameHint(parent, dst);
    }
    return out;
  }

  /** With force, whatever sits at the destination goes: a disk with its extents, or a lone file. */
  private clearForMove(dst: ResolvedPath, extents: ResolvedPath[]): void {
    const vol = volumeOf(dst);
    if (vol.exists(dst.path)) {
      let old: VmdkDescriptor | undefined;
      try {
        old = readDescriptor(dst);
      } catch {
        old = undefined;
      }
      if (old) removeDisk(dst, old);
      else vol.delete(dst.path);
    }
    for (const x of extents) if (vol.exists(x.path)) vol.delete(x.path);
  }

  /** Rename extents in place, or carry them to another datastore; on failure, put back what moved. */
  private transfer(moves: { from: ResolvedPath; to: ResolvedPath }[]): void {
    const done: { from: ResolvedPath; to: ResolvedPath }[] = [];
    try {
      const across = moves.filter((m) => m.from.datastore !== m.to.datastore);
      if (across.length) {
        const dstVol = volumeOf(across[0].to);
        const need = across.reduce((n, m) => n + (volumeOf(m.from).stat(m.from.path)?.allocated ?? 0), 0);
        if (need > dstVol.freeBytes()) {
          throw new VimFault("NoDiskSpace", { file: across[0].to.datastorePath, datastore: across[0].to.datastore.name }, `Insufficient disk space on datastore '${across[0].to.datastore.name}'.`);
        }
      }
      for (const m of moves) {
        moveFile(m.from, m.to);
        done.push(m);
      }
    } catch (e) {
      for (const m of done.reverse()) moveFile(m.to, m.from);
      throw e;
    }
  }

  // ---- size ----

  ExtendVirtualDisk_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("ExtendVirtualDisk_Task", args.datacenter, ctx, () => {
      const f = this.resolve(args.name, this.datacenter(args.datacenter, "datacenter"));
      const desc = readDescriptor(f);
      const kb = Number(args.newCapacityKb);
      if (!Number.isSafeInteger(kb) || kb <= 0 || kb * 1024 > Number.MAX_SAFE_INTEGER) {
        throw new VimFault("InvalidArgument", { invalidProperty: "newCapacityKb" }, "A specified parameter was not correct: newCapacityKb");
      }
      // a child's size is its parent's; growing one alone would split them
      if (desc.parentCid !== NO_PARENT) throw new VimFault("NotSupported", {}, `Cannot extend ${f.datastorePath}: it is a delta disk with a parent.`);
      if (desc.extents.length !== 1 || !desc.extents[0].file) throw new VimFault("NotSupported", {}, `Cannot extend ${f.datastorePath}: only single-extent disks can be extended.`);
      const bytes = kb * 1024;
      const current = capacityBytes(desc);
      if (bytes < current) {
        throw new VimFault("InvalidArgument", { invalidProperty: "newCapacityKb" },
          `A specified parameter was not correct: newCapacityKb (${kb} KB is smaller than the disk's ${current / 1024} KB; disks cannot shrink)`);
      }
      if (bytes === current) return;
      if (ddbGet(desc, "thinProvisioned") !== "1") this.requireSpace(f, bytes - current);
      growExtent(f, desc, bytes);
      if (ddbGet(desc, "adapterType") === "ide") setIdeGeometry(desc, bytes);
      else {
        const heads = Number(ddbGet(desc, "geometry.heads")) || 255;
        const sectors = Number(ddbGet(desc, "geometry.sectors")) || 63;
        ddbSet(desc, "geometry.cylinders", String(Math.max(1, Math.floor(bytes / SECTOR / (heads * sectors)))));
      }
      writeDescriptor(f, desc);
    });
  }

  // ---- provisioning ----

  InflateVirtualDisk_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("InflateVirtualDisk_Task", args.datacenter, ctx, () => {
      inflateDisk(this.sim, this.resolve(args.name, this.datacenter(args.datacenter, "datacenter")));
    });
  }

  EagerZeroVirtualDisk_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("EagerZeroVirtualDisk_Task", args.datacenter, ctx, () => {
      eagerZeroDisk(this.sim, this.resolve(args.name, this.datacenter(args.datacenter, "datacenter")));
    });
  }

  ZeroFillVirtualDisk_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("ZeroFillVirtualDisk_Task", args.datacenter, ctx, () => {
      const f = this.resolve(args.name, this.datacenter(args.datacenter, "datacenter"));
      const desc = readDescriptor(f);
      // zeros written to a delta would have to hide every block of its parents: not modelled
      if (desc.parentCid !== NO_PARENT) throw new VimFault("NotSupported", {}, `Cannot zero-fill ${f.datastorePath}: it is a delta disk with a parent.`);
      refuseLocked(this.sim, f);
      for (const e of desc.extents) if (e.file && !volumeOf(f).exists(extentFile(f, e).path)) throw fileNotFound(extentFile(f, e));
      zeroExtents(f, desc);
      // new contents, new content ID (whose digits end ddb.longContentID): a child made on the old contents no longer opens
      desc.cid = this.sim.ids.hex("cid", f.datastorePath + this.sim.ids.next("cid"), 8);
      const lcid = ddbGet(desc, "longContentID");
      if (lcid && lcid.length > 8) ddbSet(desc, "longContentID", lcid.slice(0, -8) + desc.cid);
      writeDescriptor(f, desc);
      updateBackings(this.sim, f, { contentId: desc.cid });
    });
  }

  /** Shrink and defragment work on hosted sparse disks; on the VMFS disks modelled here they succeed and change nothing. */
  private unchangedOnVmfs(args: Args): void {
    const f = this.resolve(args.name, this.datacenter(args.datacenter, "datacenter"));
    readDescriptor(f);
    refuseLocked(this.sim, f);
  }

  ShrinkVirtualDisk_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("ShrinkVirtualDisk_Task", args.datacenter, ctx, () => this.unchangedOnVmfs(args));
  }

  DefragmentVirtualDisk_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("DefragmentVirtualDisk_Task", args.datacenter, ctx, () => this.unchangedOnVmfs(args));
  }

  QueryVirtualDiskFragmentation(args: Args): number {
    const f = this.resolve(args.name, this.datacenter(args.datacenter, "datacenter"));
    readDescriptor(f);
    return 0;
  }

  QueryVirtualDiskGeometry(args: Args): DataObject {
    const f = this.resolve(args.name, this.datacenter(args.datacenter, "datacenter"));
    const desc = readDescriptor(f);
    return {
      _type: "HostDiskDimensionsChs",
      cylinder: Number(ddbGet(desc, "geometry.cylinders")) || 0,
      head: Number(ddbGet(desc, "geometry.heads")) || 0,
      sector: Number(ddbGet(desc, "geometry.sectors")) || 0,
    };
  }

  // ---- uuid ----

  QueryVirtualDiskUuid(args: Args): string {
    const f = this.resolve(args.name, this.datacenter(args.datacenter, "datacenter"));
    const desc = readDescriptor(f);
    // a hand-made descriptor may have none: answer a stable one rather than nothing, without writing it
    return ddbGet(desc, "uuid") ?? vmfsDiskUuid(this.sim.ids.hex("vdisk.uuid", f.datastorePath, 32));
  }

  SetVirtualDiskUuid(args: Args): void {
    const f = this.resolve(args.name, this.datacenter(args.datacenter, "datacenter"));
    const uuid = String(args.uuid ?? "");
    // hostd takes only its own spelling ("60 00 C2 9e ... 26 9c-7d 20 ..."), not an RFC 4122 uuid
    if (!isDdbUuid(uuid)) throw new VimFault("InvalidArgument", { invalidProperty: "uuid" }, "A specified parameter was not correct: uuid");
    const desc = readDescriptor(f);
    ddbSet(desc, "uuid", uuid);
    writeDescriptor(f, desc);
  }

  /**
   * Managed and unmanaged snapshots are Virtual Volumes' (a VVol's array-side
   * snapshot brought under vSphere's management, or released from it). The
   * arguments are checked as for any disk; then a disk on a datastore that is
   * not a VVol datastore (every datastore of this simulator) is refused with
   * InvalidDatastore, the fault both methods declare for it (the exact fault a
   * real host answers for VMFS is not confirmed).
   */
  ImportUnmanagedSnapshot(args: Args): void {
    const dc = this.datacenter(args.datacenter, "datacenter");
    if (typeof args.vvolId !== "string" || !args.vvolId) throw new VimFault("InvalidArgument", { invalidProperty: "vvolId" }, "A specified parameter was not correct: vvolId");
    const f = this.resolve(args.vdisk, dc);
    if (!volumeOf(f).exists(f.path)) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: ${f.datastorePath}`);
    this.refuseNonVvol(f);
  }

  ReleaseManagedSnapshot(args: Args): void {
    const f = this.resolve(args.vdisk, this.datacenter(args.datacenter, "datacenter"));
    if (!volumeOf(f).exists(f.path)) throw new VimFault("FileNotFound", { file: f.datastorePath }, `File ${f.datastorePath} was not found`);
    this.refuseNonVvol(f);
  }

  private refuseNonVvol(f: ResolvedPath): void {
    const type = (f.datastore.props.summary as { type?: string } | undefined)?.type;
    if (type !== "VVOL") throw new VimFault("InvalidDatastore", { datastore: f.datastore.ref, name: f.datastore.name }, `The datastore ${f.datastore.name} is not a Virtual Volumes datastore.`);
  }
}

function fileAlreadyExists(f: ResolvedPath): VimFault {
  return new VimFault("FileAlreadyExists", { file: f.datastorePath }, `Cannot complete the operation because the file or folder ${f.datastorePath} already exists`);
}

function setIdeGeometry(d: VmdkDescriptor, bytes: number): void {
  ddbSet(d, "geometry.cylinders", String(Math.max(1, Math.min(IDE_MAX_CYLINDERS, Math.floor(bytes / SECTOR / (IDE_HEADS * 63))))));
  ddbSet(d, "geometry.heads", String(IDE_HEADS));
  ddbSet(d, "geometry.sectors", "63");
}

/** One file to a new name, on the same datastore or another. */
function moveFile(from: ResolvedPath, to: ResolvedPath): void {
  if (from.datastore === to.datastore) {
    volumeOf(from).move(from.path, to.path);
    return;
  }
  volumeOf(to).importTree(to.path, volumeOf(from).exportTree(from.path), { keepTimes: true });
  volumeOf(from).delete(from.path);
}
