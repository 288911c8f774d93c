// VcenterVStorageObjectManager: first-class disks (FCDs, "improved virtual
// disks") on a vCenter whose API is 6.5 or newer, as the vSphere CSI driver
// and govc disk.* use them. An FCD is an ordinary VMDK (descriptor plus
// sparse extent, disk-files.ts) with an identity of its own (a UUID), a name
// and a creation time, kept in a catalog per datastore. Like vCenter, new
// disks go to `fcd/<32 hex digits>.vmdk` on the datastore (the hex is not the
// FCD's id: vCenter names the file by a backing object id of its own).
//
// What this simulator chose where it could not confirm vCenter's behaviour:
// - The catalog lives in this object (saved and restored with simulator
//   snapshots), not in the datastore's hidden `catalog/` folder that VMFS
//   keeps; the disks' files are on the datastore as usual.
// - A VslmCreateSpec.backingSpec.path is taken as the new disk's path (a
//   `[ds] dir/name.vmdk`, or relative to the datastore; ending in `/` names
//   a folder for `<hex>.vmdk`). Real vCenters have been reported to refuse
//   some spellings (pyvmomi issue 1081).
// - A snapshot adds a delta `<stem>-00000N.vmdk` on top of the chain, which
//   becomes the FCD's backing file; DeleteSnapshot_Task merges the layer
//   above the snapshot's into it. Snapshots, their deletion and ExtendDisk
//   are refused (InvalidState) while a VM has the disk attached (6.7 had no
//   online extension; VM-side snapshot handling is not modelled).
// - A disk attached to a VM cannot be attached again (InvalidState), and
//   DeleteVStorageObject_Task refuses an attached disk with InvalidState.
// - RegisterDisk with no name names the disk after its file's stem.
// - InflateDisk_Task is VirtualDiskManager's inflation (disk-provisioning.ts)
//   on the FCD's file; it is refused (InvalidState) while a powered-on VM has
//   the disk attached or the disk has snapshots, as ExtendDisk is.
// - CloneVStorageObject_Task writes a new FCD (new id, new backing object id,
//   its own files in `fcd/` or at backingSpec.path) holding what the source's
//   chain shows, on the datastore backingSpec names, in the provisioning it
//   names (the source's when it names none). A running VM's guest writes
//   are flushed first, so a clone of an attached disk is a crash-consistent copy.
// - RelocateVStorageObject_Task moves the FCD's file to another datastore:
//   same id, name, backing object id, ddb.uuid and content ID, the chain
//   flattened into one disk. It is refused (InvalidState, a fault the method
//   declares) while the disk is attached to a VM or has snapshots; a relocation
//   to the datastore the disk is on changes nothing. Neither is confirmed
//   against a real vCenter.
// - consumerId stays empty.
// - Control flags are the vslmVStorageObjectControlFlag values: keepAfterDeleteVm
//   is the record's own flag, disableRelocation makes RelocateVStorageObject_Task
//   answer InvalidState (our choice of fault), enableChangedBlockTracking shows
//   in config.changedBlockTrackingEnabled. An unknown flag is InvalidArgument.
// - Tags are the vAPI tagging service's (simulator/tagging/), named by category
//   and tag name; an FCD is not an inventory object, so which tags an FCD
//   carries is kept in its record here (tag ids), and a tag deleted over /rest
//   simply stops being listed. A category's cardinality and associable types
//   are not checked.
// - CreateDiskFromSnapshot_Task writes a new FCD holding what the snapshot
//   froze (flattened, thin unless the source is not), on the same datastore.
//   RevertVStorageObject_Task drops the layers above the snapshot's, and the
//   snapshots taken after it, and puts a new delta on top, so the snapshot
//   itself stays; both refuse an attached disk (InvalidState).
// - There is no storage policy service: UpdateVStorageObjectPolicy_Task keeps
//   the profile ids given (an empty profile clears them), and the
//   infrastructure policy of a datastore (its FCD folder, name "fcd") is
//   the profile id last given to UpdateVStorageInfrastructureObjectPolicy_Task;
//   nothing checks that a profile exists.
import { VimFault, localizedFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext, type SavedState } from "./managed-object.ts";
import type { TaggingService } from "../tagging/tagging-service.ts";
import type { SimContext } from "../sim-context.ts";
import { Datastore } from "./datastore.ts";
import { newestHardwareVersion } from "./hardware-versions.ts";
import { basename, dirname, formatDatastorePath, joinPath, resolveDatastorePath, type ResolvedPath } from "../datastore/datastore-path.ts";
import {
  createDiskFiles, diskChain, extentFile, flattenChain, growExtent, newDiskDescriptor, parentFileNameHint, readDescriptor, removeDisk, volumeOf, writeDescriptor,
  type DiskLink,
} from "../datastore/disk-files.ts";
import { SECTOR, capacityBytes, ddbGet, ddbSet, type VmdkDescriptor } from "../formats/vmdk.ts";
import { inflateDisk } from "./disk-provisioning.ts";
import type { VirtualMachine } from "./virtual-machine.ts";

const MB = 1024 * 1024;
const FCD_FOLDER = "fcd";
const PROVISIONING = ["thin", "eagerZeroedThick", "lazyZeroedThick"];

/** Whether API version `have` ("6.7") is at least `want` ("6.5"). */
export function apiAtLeast(have: string, want: string): boolean {
  const a = have.split(".").map(Number), b = want.split(".").map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0, y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

interface FcdSnapshot {
  id: string;
  description: string;
  createTime: string;
  /** the layer this snapshot froze */
  file: string;
}

export interface FcdRecord {
  id: string;
  name: string;
  createTime: string;
  keepAfterDeleteVm: boolean;
  provisioningType: string;
  /** the chain's top: the file a VM attaches */
  path: string;
  backingObjectId: string;
  snapshots: FcdSnapshot[];
  /** SetVStorageObjectControlFlags' flags other than keepAfterDeleteVm (which is the field above) */
  controlFlags?: string[];
  /** tagging-service tag ids attached (AttachTagToVStorageObject) */
  tags?: string[];
  /** storage policy ids given to UpdateVStorageObjectPolicy_Task */
  profileIds?: string[];
}

const CONTROL_FLAGS = ["keepAfterDeleteVm", "disableRelocation", "enableChangedBlockTracking"];

/** vmodl names of the task methods (TaskInfo.descriptionId is vslm.vcenter.VStorageObjectManager.<name>) */
const TASK_NAMES: Record<string, string> = {
  CreateDisk_Task: "createDisk", DeleteVStorageObject_Task: "deleteVStorageObject", ExtendDisk_Task: "extendDisk",
  VStorageObjectCreateSnapshot_Task: "createSnapshot", DeleteSnapshot_Task: "deleteSnapshot", ReconcileDatastoreInventory_Task: "reconcileDatastoreInventory",
  InflateDisk_Task: "inflateDisk", CloneVStorageObject_Task: "cloneVStorageObject", RelocateVStorageObject_Task: "relocateVStorageObject",
  CreateDiskFromSnapshot_Task: "createDiskFromSnapshot", RevertVStorageObject_Task: "revertVStorageObject", UpdateVStorageObjectPolicy_Task: "updateVStorageObjectPolicy",
  UpdateVStorageInfrastructureObjectPolicy_Task: "updateVStorageInfrastructureObjectPolicy",
};

export function notFound(what: string): VimFault {
  return new VimFault("NotFound", {}, `The object or item referred to could not be found. (${what})`);
}

export class VcenterVStorageObjectManager extends ManagedObject {
  /** datastore moref value -> FCD id -> record */
  private catalog = new Map<string, Map<string, FcdRecord>>();
  /** datastore moref value -> the storage policy id of its FCD infrastructure object */
  private infraPolicy = new Map<string, string>();

  constructor(sim: SimContext, value: string) {
    super(sim, "VcenterVStorageObjectManager", value);
  }

  // ---- simulator snapshots ----

  override saveState(): SavedState & { catalog: [string, FcdRecord[]][]; infraPolicy: [string, string][] } {
    return { ...super.saveState(), catalog: [...this.catalog].map(([ds, m]) => [ds, [...m.values()].map((r) => structuredClone(r))]), infraPolicy: [...this.infraPolicy] };
  }

  override loadState(s: SavedState & { catalog?: [string, FcdRecord[]][]; infraPolicy?: [string, string][] }): void {
    super.loadState(s);
    this.catalog = new Map((s.catalog ?? []).map(([ds, rs]) => [ds, new Map(rs.map((r) => [r.id, structuredClone(r)]))]));
    this.infraPolicy = new Map(s.infraPolicy ?? []);
  }

  // ---- lookups ----

  datastore(ref: ManagedObjectReference | undefined): Datastore {
    const ds = ref ? this.sim.inventory.get(ref.value) : undefined;
    if (!(ds instanceof Datastore)) throw new VimFault("InvalidDatastore", { datastore: ref }, `Invalid datastore ${ref?.value ?? ""}.`);
    return ds;
  }

  private records(ds: Datastore): Map<string, FcdRecord> {
    let m = this.catalog.get(ds.ref.value);
    if (!m) this.catalog.set(ds.ref.value, (m = new Map()));
    return m;
  }

  /** The FCD `id` (an ID data object) on `datastore`: NotFound when the catalog has none. */
  record(id: unknown, datastore: ManagedObjectReference | undefined): { ds: Datastore; rec: FcdRecord } {
    const ds = this.datastore(datastore);
    const key = idOf(id);
    const rec = this.records(ds).get(key);
    if (!rec) throw notFound(`first-class disk ${key} on datastore ${ds.name}`);
    return { ds, rec };
  }

  /** The record whose backing is `dsPath`, on any datastore. */
  byPath(dsPath: string): { ds: Datastore; rec: FcdRecord } | undefined {
    for (const [dsValue, m] of this.catalog) {
      for (const rec of m.values()) {
        if (rec.path === dsPath) return { ds: this.sim.inventory.get(dsValue) as Datastore, rec };
      }
    }
    return undefined;
  }

  forget(ds: Datastore, id: string): void {
    this.records(ds).delete(id);
  }

  /** VMs with a disk backed by the FCD's file. */
  attachedTo(rec: FcdRecord): ManagedObject[] {
    return this.sim.inventory.ofType("VirtualMachine").filter((vm) => {
      const devices = ((vm.props.config as { hardware?: { device?: Record<string, any>[] } } | undefined)?.hardware?.device) ?? [];
      return devices.some((d) => d.backing?.fileName === rec.path);
    });
  }

  private file(ds: Datastore, path: string): ResolvedPath {
    return { datastore: ds, path, datastorePath: formatDatastorePath(ds.name, path) };
  }

  private resolve(dsPath: string): ResolvedPath {
    return resolveDatastorePath(this.sim, dsPath);
  }

  /** The VStorageObject a client sees: size from the descriptor, the chain's parents as backing.parent. */
  vStorageObject(ds: Datastore, rec: FcdRecord): DataObject {
    const chain = diskChain(this.sim, this.resolve(rec.path));
    let parent: DataObject | undefined;
    for (let i = chain.length - 1; i >= 1; i--) {
      parent = { _type: "BaseConfigInfoFileBackingInfo", datastore: chain[i].file.datastore.ref, filePath: chain[i].file.datastorePath, parent };
    }
    return {
      _type: "VStorageObject",
      config: {
        _type: "VStorageObjectConfigInfo",
        id: { _type: "ID", id: rec.id },
        name: rec.name,
        createTime: new Date(rec.createTime),
        keepAfterDeleteVm: rec.keepAfterDeleteVm,
        relocationDisabled: !!rec.controlFlags?.includes("disableRelocation"),
        nativeSnapshotSupported: false,
        changedBlockTrackingEnabled: !!rec.controlFlags?.includes("enableChangedBlockTracking"),
        backing: {
          _type: "BaseConfigInfoDiskFileBackingInfo", datastore: ds.ref, filePath: rec.path, backingObjectId: rec.backingObjectId, parent,
          provisioningType: rec.provisioningType,
        },
        iofilter: [],
        capacityInMB: Math.floor(capacityBytes(chain[0].descriptor) / MB),
        consumptionType: ["disk"],
        consumerId: [],
      },
    };
  }

  /** vCenter runs FCD tasks on a host that mounts the datastore. */
  private taskEntity(ds: Datastore | undefined): ManagedObject {
    const mount = ((ds?.props.host as { key: ManagedObjectReference }[] | undefined) ?? [])[0];
    return (mount && this.sim.inventory.get(mount.key.value)) || ds || this;
  }

  private task(method: string, ds: ManagedObjectReference | undefined, ctx: CallContext, body: () => unknown, resultType?: string): ManagedObjectReference {
    let entity: Datastore | undefined;
    try {
      entity = this.datastore(ds);
    } catch {
      entity = undefined;
    }
    return this.sim.tasks.run(this.taskEntity(entity), method, `vslm.vcenter.VStorageObjectManager.${TASK_NAMES[method]}`, ctx.session?.userName ?? "", body,
      resultType ? { resultType: { type: resultType } } : {});
  }

  private now(): string {
    return this.sim.clock.now().toISOString();
  }

  // ---- create, register ----

  CreateDisk_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const spec = (args.spec ?? {}) as Record<string, any>;
    return this.task("CreateDisk_Task", spec.backingSpec?.datastore, ctx, () => {
      const name = String(spec.name ?? "");
      if (!name) throw invalidArgument("spec.name");
      const mb = Number(spec.capacityInMB);
      if (!Number.isSafeInteger(mb) || mb <= 0 || mb * MB > Number.MAX_SAFE_INTEGER) throw invalidArgument("spec.capacityInMB");
      const backing = spec.backingSpec as Record<string, any> | undefined;
      if (!backing || !this.sim.schema.isA(backing._type, "VslmCreateSpecDiskFileBackingSpec")) throw invalidArgument("spec.backingSpec");
      const ds = this.datastore(backing.datastore);
      // the reference leaves the default open; vCenter 6.7 creates thin disks when none is named (govc disk.create does not name one)
      const provisioningType = String(backing.provisioningType ?? "thin");
      if (!PROVISIONING.includes(provisioningType)) throw invalidArgument("spec.backingSpec.provisioningType");
      const id = this.sim.ids.uuid("fcd", `${ds.ref.value}/${name}#${this.sim.ids.next("fcd.n")}`);
      const backingObjectId = this.sim.ids.hex("fcd.backing", id, 32);
      const target = this.newPath(ds, backing.path, backingObjectId);
      const vol = volumeOf(target);
      if (vol.exists(target.path)) throw new VimFault("FileAlreadyExists", { file: target.datastorePath }, `Cannot complete the operation because the file or folder ${target.datastorePath} already exists`);
      const bytes = mb * MB;
      const thin = provisioningType === "thin";
      if (!thin && bytes > vol.freeBytes()) {
        throw new VimFault("NoDiskSpace", { file: target.datastorePath, datastore: ds.name }, `Insufficient disk space on datastore '${ds.name}'.`);
      }
      const folder = dirname(target.path);
      if (folder && !vol.exists(folder)) vol.mkdir(folder, { parents: true });
      createDiskFiles(target, newDiskDescriptor(this.sim, target, { bytes, thin, hwVersion: newestHardwareVersion(this.sim.scenario.about.version) }));
      const rec: FcdRecord = {
        id, name, createTime: this.now(), keepAfterDeleteVm: spec.keepAfterDeleteVm !== false, provisioningType, path: target.datastorePath, backingObjectId, snapshots: [],
      };
      this.records(ds).set(id, rec);
      return this.vStorageObject(ds, rec);
    }, "VStorageObject");
  }

  /** `fcd/<hex>.vmdk`, or where backingSpec.path says. */
  private newPath(ds: Datastore, path: unknown, hex: string): ResolvedPath {
    if (path === undefined || path === null || path === "") return this.file(ds, joinPath(FCD_FOLDER, `${hex}.vmdk`));
    let rel = String(path);
    if (rel.startsWith("[")) {
      const f = this.resolve(rel);
      if (f.datastore !== ds) throw invalidArgument("spec.backingSpec.path");
      rel = f.path;
    }
    rel = rel.replace(/^\/+/, "");
    if (rel === "" || rel.endsWith("/")) rel = joinPath(rel.replace(/\/+$/, ""), `${hex}.vmdk`);
    if (!/\.vmdk$/i.test(rel) || rel.split("/").includes("..")) throw invalidArgument("spec.backingSpec.path");
    return this.file(ds, rel);
  }

  RegisterDisk(args: Args): DataObject {
    const f = this.resolve(String(args.path ?? ""));
    if (!/\.vmdk$/i.test(f.path)) throw invalidArgument("path");
    const desc = readDescriptor(f);
    if (this.byPath(f.datastorePath)) throw new VimFault("AlreadyExists", { name: f.datastorePath }, `The specified key, name, or identifier '${f.datastorePath}' already exists.`);
    const ds = f.datastore;
    const id = this.sim.ids.uuid("fcd", `${f.datastorePath}#${this.sim.ids.next("fcd.n")}`);
    const rec: FcdRecord = {
      id, name: args.name ? String(args.name) : basename(f.path).replace(/\.vmdk$/i, ""), createTime: this.now(), keepAfterDeleteVm: true,
      provisioningType: ddbGet(desc, "thinProvisioned") === "1" ? "thin" : "lazyZeroedThick", path: f.datastorePath,
      backingObjectId: this.sim.ids.hex("fcd.backing", id, 32), snapshots: [],
    };
    this.records(ds).set(id, rec);
    return this.vStorageObject(ds, rec);
  }

  // ---- read ----

  RetrieveVStorageObject(args: Args): DataObject {
    const { ds, rec } = this.record(args.id, args.datastore);
    return this.vStorageObject(ds, rec);
  }

  RetrieveVStorageObjectState(args: Args): DataObject {
    this.record(args.id, args.datastore);
    return { _type: "VStorageObjectStateInfo", tentative: false };
  }

  ListVStorageObject(args: Args): DataObject[] {
    const ds = this.datastore(args.datastore);
    return [...this.records(ds).keys()].map((id) => ({ _type: "ID", id }));
  }

  // ---- change ----

  RenameVStorageObject(args: Args): void {
    const { rec } = this.record(args.id, args.datastore);
    const name = String(args.name ?? "");
    if (!name) throw invalidArgument("name");
    rec.name = name;
  }

  ExtendDisk_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("ExtendDisk_Task", args.datastore, ctx, () => {
      const { rec } = this.record(args.id, args.datastore);
      const mb = Number(args.newCapacityInMB);
      if (!Number.isSafeInteger(mb) || mb <= 0 || mb * MB > Number.MAX_SAFE_INTEGER) throw invalidArgument("newCapacityInMB");
      this.refuseAttached(rec, "extended");
      if (rec.snapshots.length) throw new VimFault("InvalidState", {}, `The disk ${rec.id} has snapshots and cannot be extended.`);
      const f = this.resolve(rec.path);
      const desc = readDescriptor(f);
      const bytes = mb * MB;
      const current = capacityBytes(desc);
      if (bytes < current) throw new VimFault("InvalidArgument", { invalidProperty: "newCapacityInMB" }, `A specified parameter was not correct: newCapacityInMB (disks cannot shrink from ${current / MB} MB)`);
      if (bytes === current) return;
      if (ddbGet(desc, "thinProvisioned") !== "1" && bytes - current > volumeOf(f).freeBytes()) {
        throw new VimFault("NoDiskSpace", { file: f.datastorePath, datastore: f.datastore.name }, `Insufficient disk space on datastore '${f.datastore.name}'.`);
      }
      growExtent(f, desc, bytes);
      const heads = Number(ddbGet(desc, "geometry.heads")) || 255;
      const sectors = Number(ddbGet(desc, "geometry.sectors")) || 63;
      ddbSet(desc, "geometry.cylinders", String(Math.max(1, Math.floor(bytes / SECTOR / (heads * sectors)))));
      writeDescriptor(f, desc);
    });
  }

  InflateDisk_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("InflateDisk_Task", args.datastore, ctx, () => {
      const { rec } = this.record(args.id, args.datastore);
      if (rec.snapshots.length) throw new VimFault("InvalidState", {}, `The disk ${rec.id} has snapshots and cannot be inflated.`);
      const running = this.attachedTo(rec).find((vm) => (vm as VirtualMachine).powerState === "poweredOn");
      if (running) throw new VimFault("InvalidState", {}, `The disk ${rec.id} is attached to virtual machine ${String(running.get("name"))}, which is powered on, and cannot be inflated.`);
      inflateDisk(this.sim, this.resolve(rec.path));
    });
  }

  // ---- clone, relocate ----

  /** Where a clone or relocation goes, and in which provisioning: backingSpec's, else the source's. */
  private migrateTarget(spec: Record<string, any>, rec: FcdRecord): { ds: Datastore; provisioningType: string; path: unknown } {
    const backing = spec.backingSpec as Record<string, any> | undefined;
    if (!backing) throw invalidArgument("spec.backingSpec");
    const ds = this.datastore(backing.datastore);
    const provisioningType = String(backing.provisioningType ?? rec.provisioningType);
    if (!PROVISIONING.includes(provisioningType)) throw invalidArgument("spec.backingSpec.provisioningType");
    return { ds, provisioningType, path: backing.path };
  }

  /**
   * A one-extent disk at `target` holding what `chain` shows, its descriptor
   * `desc`. Space is checked first (a thin copy needs at most what the chain
   * holds); a failure part way removes what was made.
   */
  private writeFlattened(target: ResolvedPath, desc: VmdkDescriptor, chain: DiskLink[]): void {
    const vol = volumeOf(target);
    if (vol.exists(target.path)) throw new VimFault("FileAlreadyExists", { file: target.datastorePath }, `Cannot complete the operation because the file or folder ${target.datastorePath} already exists`);
    const bytes = capacityBytes(desc);
    const held = chain.reduce((n, l) => n + l.descriptor.extents.reduce((m, e) => {
      if (!e.file) return m;
      const x = extentFile(l.file, e);
      return m + (volumeOf(x).stat(x.path)?.allocated ?? 0);
    }, 0), 0);
    const need = ddbGet(desc, "thinProvisioned") === "1" ? Math.min(held, bytes) : bytes;
    if (need > vol.freeBytes()) {
      throw new VimFault("NoDiskSpace", { file: target.datastorePath, datastore: target.datastore.name }, `Insufficient disk space on datastore '${target.datastore.name}'.`);
    }
    const folder = dirname(target.path);
    if (folder && !vol.exists(folder)) vol.mkdir(folder, { parents: true });
    const made = createDiskFiles(target, desc);
    try {
      flattenChain(chain, extentFile(target, desc.extents[0]));
    } catch (e) {
      for (const x of made) if (vol.exists(x.path)) vol.delete(x.path);
      throw e;
    }
  }

  /** What a running guest wrote to the disk goes to its files before they are read. */
  private flushGuests(rec: FcdRecord): void {
    for (const vm of this.attachedTo(rec)) this.sim.guests.of(vm as VirtualMachine)?.syncDisks();
  }

  CloneVStorageObject_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const spec = (args.spec ?? {}) as Record<string, any>;
    return this.task("CloneVStorageObject_Task", args.datastore, ctx, () => {
      const { rec } = this.record(args.id, args.datastore);
      const name = String(spec.name ?? "");
      if (!name) throw invalidArgument("spec.name");
      const { ds, provisioningType, path } = this.migrateTarget(spec, rec);
      this.flushGuests(rec);
      const chain = diskChain(this.sim, this.resolve(rec.path));
      const id = this.sim.ids.uuid("fcd", `${ds.ref.value}/${name}#${this.sim.ids.next("fcd.n")}`);
      const backingObjectId = this.sim.ids.hex("fcd.backing", id, 32);
      const target = this.newPath(ds, path, backingObjectId);
      const top = chain[0].descriptor;
      const hwVersion = Number(ddbGet(top, "virtualHWVersion")) || newestHardwareVersion(this.sim.scenario.about.version);
      this.writeFlattened(target, newDiskDescriptor(this.sim, target, { bytes: capacityBytes(top), thin: provisioningType === "thin", hwVersion }), chain);
      const clone: FcdRecord = {
        id, name, createTime: this.now(), keepAfterDeleteVm: spec.keepAfterDeleteVm !== false, provisioningType, path: target.datastorePath, backingObjectId, snapshots: [],
      };
      this.records(ds).set(id, clone);
      return this.vStorageObject(ds, clone);
    }, "VStorageObject");
  }

  RelocateVStorageObject_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const spec = (args.spec ?? {}) as Record<string, any>;
    return this.task("RelocateVStorageObject_Task", args.datastore, ctx, () => {
      const { ds: from, rec } = this.record(args.id, args.datastore);
      const { ds, provisioningType, path } = this.migrateTarget(spec, rec);
      if (rec.controlFlags?.includes("disableRelocation")) throw new VimFault("InvalidState", {}, `The disk ${rec.id} has relocation disabled (control flag disableRelocation).`);
      this.refuseAttached(rec, "relocated");
      if (rec.snapshots.length) throw new VimFault("InvalidState", {}, `The disk ${rec.id} has snapshots and cannot be relocated.`);
      if (ds === from) return this.vStorageObject(from, rec);
      const source = this.resolve(rec.path);
      const chain = diskChain(this.sim, source);
      const top = chain[0].descriptor;
      const target = this.newPath(ds, path, rec.backingObjectId);
      // the disk keeps its identity: ddb.uuid, content ID and adapter travel with it
      const desc = newDiskDescriptor(this.sim, target, { bytes: capacityBytes(top), thin: provisioningType === "thin", hwVersion: Number(ddbGet(top, "virtualHWVersion")) || newestHardwareVersion(this.sim.scenario.about.version) });
      desc.cid = top.cid;
      for (const k of ["adapterType", "longContentID", "uuid"]) {
        const v = ddbGet(top, k);
        if (v !== undefined) ddbSet(desc, k, v);
      }
      this.writeFlattened(target, desc, chain);
      // only the FCD's own file goes: parents below a registered delta may be other disks'
      removeDisk(source, top);
      this.forget(from, rec.id);
      rec.path = target.datastorePath;
      rec.provisioningType = provisioningType;
      this.records(ds).set(rec.id, rec);
      return this.vStorageObject(ds, rec);
    }, "VStorageObject");
  }

  DeleteVStorageObject_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("DeleteVStorageObject_Task", args.datastore, ctx, () => {
      const { ds, rec } = this.record(args.id, args.datastore);
      this.refuseAttached(rec, "deleted");
      this.deleteFiles(rec);
      this.forget(ds, rec.id);
    });
  }

  /** The whole chain's files, top first. */
  deleteFiles(rec: FcdRecord): void {
    for (const link of diskChain(this.sim, this.resolve(rec.path))) removeDisk(link.file, link.descriptor);
  }

  private refuseAttached(rec: FcdRecord, what: string): void {
    const vms = this.attachedTo(rec);
    if (vms.length) throw new VimFault("InvalidState", {}, `The disk ${rec.id} is attached to virtual machine ${String(vms[0].get("name"))} and cannot be ${what}.`);
  }

  ReconcileDatastoreInventory_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("ReconcileDatastoreInventory_Task", args.datastore, ctx, () => this.reconcile(args.datastore));
  }

  ScheduleReconcileDatastoreInventory(args: Args): void {
    this.reconcile(args.datastore);
  }

  /** Records whose disk is gone from the datastore leave the catalog. */
  private reconcile(ref: ManagedObjectReference | undefined): void {
    const ds = this.datastore(ref);
    const m = this.records(ds);
    for (const rec of [...m.values()]) {
      const f = this.resolve(rec.path);
      if (!volumeOf(f).exists(f.path)) m.delete(rec.id);
    }
  }

  // ---- snapshots ----

  VStorageObjectCreateSnapshot_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("VStorageObjectCreateSnapshot_Task", args.datastore, ctx, () => {
      const { rec } = this.record(args.id, args.datastore);
      this.refuseAttached(rec, "snapshotted by the disk manager");
      const top = this.resolve(rec.path);
      const delta = this.newDelta(top);
      const id = this.sim.ids.uuid("fcd.snapshot", `${rec.id}#${this.sim.ids.next("fcd.snapshot.n")}`);
      rec.snapshots.push({ id, description: String(args.description ?? ""), createTime: this.now(), file: top.datastorePath });
      rec.path = delta.datastorePath;
      return { _type: "ID", id };
    }, "ID");
  }

  /** A new delta `<stem>-00000N.vmdk` on top of `top`: the file the disk writes to from now on. */
  private newDelta(top: ResolvedPath): ResolvedPath {
    const topDesc = readDescriptor(top);
    const stem = basename(top.path).replace(/\.vmdk$/i, "").replace(/-\d{6}$/, "");
    const vol = volumeOf(top);
    let path = "";
    for (let n = 1; ; n++) {
      path = joinPath(dirname(top.path), `${stem}-${String(n).padStart(6, "0")}.vmdk`);
      if (!vol.exists(path)) break;
    }
    const delta = this.file(top.datastore, path);
    createDiskFiles(delta, newDiskDescriptor(this.sim, delta, { parent: { file: top, descriptor: topDesc } }));
    return delta;
  }

  RetrieveSnapshotInfo(args: Args): DataObject {
    const { rec } = this.record(args.id, args.datastore);
    return {
      _type: "VStorageObjectSnapshotInfo",
      snapshots: rec.snapshots.map((s) => ({
        _type: "VStorageObjectSnapshotInfoVStorageObjectSnapshot", id: { _type: "ID", id: s.id }, backingObjectId: this.sim.ids.hex("fcd.snapshot.backing", s.id, 32),
        createTime: new Date(s.createTime), description: s.description,
      })),
    };
  }

  DeleteSnapshot_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("DeleteSnapshot_Task", args.datastore, ctx, () => {
      const { rec } = this.record(args.id, args.datastore);
      const sid = idOf(args.snapshotId);
      const i = rec.snapshots.findIndex((s) => s.id === sid);
      if (i < 0) throw notFound(`snapshot ${sid} of first-class disk ${rec.id}`);
      this.refuseAttached(rec, "changed by the disk manager");
      // layers base..top; snapshot i froze layer i; the layer above it merges down into it
      const layers = diskChain(this.sim, this.resolve(rec.path)).reverse();
      const keep = layers[i], above = layers[i + 1], next = layers[i + 2];
      const into = extentFile(keep.file, keep.descriptor.extents[0]);
      const from = extentFile(above.file, above.descriptor.extents[0]);
      const src = volumeOf(from), dst = volumeOf(into);
      for (const r of src.extents(from.path)) {
        for (let at = r.offset; at < r.offset + r.length; at += MB) dst.writeAt(into.path, at, src.readRange(from.path, at, Math.min(r.offset + r.length, at + MB)));
      }
      if (next) {
        next.descriptor.parentCid = keep.descriptor.cid;
        next.descriptor.parentFileNameHint = parentFileNameHint(keep.file, next.file);
        writeDescriptor(next.file, next.descriptor);
      } else {
        rec.path = keep.file.datastorePath;
      }
      removeDisk(above.file, above.descriptor);
      if (rec.snapshots[i + 1]) rec.snapshots[i + 1].file = keep.file.datastorePath;
      rec.snapshots.splice(i, 1);
    });
  }

  private snapshotOf(rec: FcdRecord, snapshotId: unknown): number {
    const sid = idOf(snapshotId);
    const i = rec.snapshots.findIndex((s) => s.id === sid);
    if (i < 0) throw notFound(`snapshot ${sid} of first-class disk ${rec.id}`);
    return i;
  }

  CreateDiskFromSnapshot_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("CreateDiskFromSnapshot_Task", args.datastore, ctx, () => {
      const { ds, rec } = this.record(args.id, args.datastore);
      const i = this.snapshotOf(rec, args.snapshotId);
      const name = String(args.name ?? "");
      if (!name) throw invalidArgument("name");
      this.flushGuests(rec);
      // what the snapshot froze: its layer and those below it
      const chain = diskChain(this.sim, this.resolve(rec.snapshots[i].file));
      const id = this.sim.ids.uuid("fcd", `${ds.ref.value}/${name}#${this.sim.ids.next("fcd.n")}`);
      const backingObjectId = this.sim.ids.hex("fcd.backing", id, 32);
      const target = this.newPath(ds, args.path, backingObjectId);
      const top = chain[0].descriptor;
      const hwVersion = Number(ddbGet(top, "virtualHWVersion")) || newestHardwareVersion(this.sim.scenario.about.version);
      this.writeFlattened(target, newDiskDescriptor(this.sim, target, { bytes: capacityBytes(top), thin: rec.provisioningType === "thin", hwVersion }), chain);
      const disk: FcdRecord = {
        id, name, createTime: this.now(), keepAfterDeleteVm: true, provisioningType: rec.provisioningType, path: target.datastorePath, backingObjectId, snapshots: [],
        profileIds: profileIdsOf(args.profile),
      };
      this.records(ds).set(id, disk);
      return this.vStorageObject(ds, disk);
    }, "VStorageObject");
  }

  RevertVStorageObject_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("RevertVStorageObject_Task", args.datastore, ctx, () => {
      const { rec } = this.record(args.id, args.datastore);
      const i = this.snapshotOf(rec, args.snapshotId);
      this.refuseAttached(rec, "reverted");
      // layers base..top: snapshot i froze layer i; everything above it goes, with the snapshots taken later
      const layers = diskChain(this.sim, this.resolve(rec.path)).reverse();
      const keep = layers[i];
      for (const l of layers.slice(i + 1).reverse()) removeDisk(l.file, l.descriptor);
      const delta = this.newDelta(keep.file);
      rec.path = delta.datastorePath;
      rec.snapshots = rec.snapshots.slice(0, i + 1);
    });
  }

  // ---- associations, control flags, tags, policies ----

  /** The FCD `id` on whichever datastore has it. */
  private anywhere(id: unknown): { ds: Datastore; rec: FcdRecord } {
    const key = idOf(id);
    for (const [dsValue, m] of this.catalog) {
      const rec = m.get(key);
      if (rec) return { ds: this.sim.inventory.get(dsValue) as Datastore, rec };
    }
    throw notFound(`first-class disk ${key}`);
  }

  RetrieveVStorageObjectAssociations(args: Args): DataObject[] {
    return listOf<{ id?: unknown; datastore?: ManagedObjectReference }>(args.ids).map((spec) => {
      const id = { _type: "ID", id: idOf(spec?.id) };
      try {
        const { rec } = this.record(spec?.id, spec?.datastore);
        const vmDiskAssociations = this.attachedTo(rec).flatMap((vm) => {
          const devices = ((vm.props.config as { hardware?: { device?: Record<string, any>[] } } | undefined)?.hardware?.device) ?? [];
          return devices.filter((d) => d.backing?.fileName === rec.path).map((d) => ({ _type: "VStorageObjectAssociationsVmDiskAssociations", vmId: vm.ref.value, diskKey: d.key }));
        });
        return { _type: "VStorageObjectAssociations", id, vmDiskAssociations };
      } catch (e) {
        // one bad id does not fail the others: its fault is its answer
        if (!(e instanceof VimFault)) throw e;
        return { _type: "VStorageObjectAssociations", id, fault: localizedFault(e) };
      }
    });
  }

  private flags(args: Args): string[] {
    const flags = listOf<unknown>(args.controlFlags).map(String);
    for (const f of flags) if (!CONTROL_FLAGS.includes(f)) throw invalidArgument("controlFlags");
    return flags;
  }

  SetVStorageObjectControlFlags(args: Args): void {
    const { rec } = this.record(args.id, args.datastore);
    const flags = this.flags(args);
    if (flags.includes("keepAfterDeleteVm")) rec.keepAfterDeleteVm = true;
    rec.controlFlags = [...new Set([...(rec.controlFlags ?? []), ...flags.filter((f) => f !== "keepAfterDeleteVm")])];
  }

  ClearVStorageObjectControlFlags(args: Args): void {
    const { rec } = this.record(args.id, args.datastore);
    const flags = this.flags(args);
    if (flags.includes("keepAfterDeleteVm")) rec.keepAfterDeleteVm = false;
    rec.controlFlags = (rec.controlFlags ?? []).filter((f) => !flags.includes(f));
  }

  private get tagging(): TaggingService {
    // the simulator's vAPI tagging service (the same one /rest serves); not on SimContext, which only the vim objects share
    return (this.sim as SimContext & { tagging: TaggingService }).tagging;
  }

  /** A tag by category and tag name: NotFound when either is unknown. */
  private tagNamed(category: unknown, tag: unknown): string {
    const t = this.tagging;
    const cat = t.listCategories().map((id) => t.getCategory(id)).find((c) => c.name === String(category ?? ""));
    if (!cat) throw notFound(`tag category ${String(category ?? "")}`);
    const found = t.listTagsForCategory(cat.id).map((id) => t.getTag(id)).find((x) => x.name === String(tag ?? ""));
    if (!found) throw notFound(`tag ${String(tag ?? "")} in category ${cat.name}`);
    return found.id;
  }

  /** The record's tags that still exist. */
  private liveTags(rec: FcdRecord): string[] {
    const known = new Set(this.tagging.listTags());
    return (rec.tags ?? []).filter((t) => known.has(t));
  }

  AttachTagToVStorageObject(args: Args): void {
    const tag = this.tagNamed(args.category, args.tag);
    const { rec } = this.anywhere(args.id);
    const tags = this.liveTags(rec);
    if (!tags.includes(tag)) rec.tags = [...tags, tag];
  }

  DetachTagFromVStorageObject(args: Args): void {
    const tag = this.tagNamed(args.category, args.tag);
    const { rec } = this.anywhere(args.id);
    const tags = this.liveTags(rec);
    // the reference declares NotFound: a tag the disk does not carry is one (our reading)
    if (!tags.includes(tag)) throw notFound(`tag ${String(args.tag)} on first-class disk ${rec.id}`);
    rec.tags = tags.filter((t) => t !== tag);
  }

  ListVStorageObjectsAttachedToTag(args: Args): DataObject[] {
    const tag = this.tagNamed(args.category, args.tag);
    return [...this.catalog.values()].flatMap((m) => [...m.values()]).filter((r) => r.tags?.includes(tag)).map((r) => ({ _type: "ID", id: r.id }));
  }

  ListTagsAttachedToVStorageObject(args: Args): DataObject[] {
    const { rec } = this.anywhere(args.id);
    const t = this.tagging;
    return this.liveTags(rec).map((id) => {
      const tag = t.getTag(id);
      return { _type: "VslmTagEntry", tagName: tag.name, parentCategoryName: t.getCategory(tag.category_id).name };
    });
  }

  UpdateVStorageObjectPolicy_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("UpdateVStorageObjectPolicy_Task", args.datastore, ctx, () => {
      const { rec } = this.record(args.id, args.datastore);
      rec.profileIds = profileIdsOf(args.profile);
    });
  }

  UpdateVStorageInfrastructureObjectPolicy_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const spec = (args.spec ?? {}) as { datastore?: ManagedObjectReference; profile?: unknown };
    return this.task("UpdateVStorageInfrastructureObjectPolicy_Task", spec.datastore, ctx, () => {
      const ds = this.datastore(spec.datastore);
      const ids = profileIdsOf(spec.profile);
      if (ids.length) this.infraPolicy.set(ds.ref.value, ids[0]);
      else this.infraPolicy.delete(ds.ref.value);
    });
  }

  RetrieveVStorageInfrastructureObjectPolicy(args: Args): DataObject[] {
    const ds = this.datastore(args.datastore);
    const profileId = this.infraPolicy.get(ds.ref.value);
    if (profileId === undefined) return [];
    return [{ _type: "vslmInfrastructureObjectPolicy", name: FCD_FOLDER, backingObjectId: this.sim.ids.hex("fcd.infra", ds.ref.value, 32), profileId }];
  }
}

function idOf(id: unknown): string {
  return typeof id === "object" && id !== null ? String((id as { id?: unknown }).id ?? "") : String(id ?? "");
}

function listOf<T>(v: unknown): T[] {
  return (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]) as T[];
}

/** VirtualMachineProfileSpec[]: the defined profiles' ids (an empty profile spec names none). */
function profileIdsOf(profile: unknown): string[] {
  return listOf<{ profileId?: unknown }>(profile).filter((p) => p && p.profileId !== undefined).map((p) => String(p.profileId));
}

function invalidArgument(property: string): VimFault {
  return new VimFault("InvalidArgument", { invalidProperty: property }, `A specified parameter was not correct: ${property}`);
}

/** The simulator's VStorageObjectManager, when its API has one. */
export function vStorageObjectManager(sim: SimContext): VcenterVStorageObjectManager | undefined {
  const ref = sim.content.vStorageObjectManager as ManagedObjectReference | undefined;
  const o = ref ? sim.inventory.get(ref.value) : undefined;
  return o instanceof VcenterVStorageObjectManager ? o : undefined;
}
