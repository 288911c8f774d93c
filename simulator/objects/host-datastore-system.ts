// HostDatastoreSystem: the datastores a host mounts, NFS mounts made at run
// time (govc datastore.create -type nfs, Terraform's vsphere_nas_datastore)
// and VMFS volumes made on the host's blank disks (govc datastore.create
// -type vmfs, Ansible's vmware_host_datastore, PowerCLI's New-Datastore
// -Vmfs). Mounting an export that another host of the datacenter already
// mounts under the same name joins that datastore, as vCenter's shared NFS
// datastores do; the same name on another export is a DuplicateName. An
// NFS server's size is not the simulator's to know: a new export holds 1 TiB.
//
// A VMFS volume is made the way hostd builds it: the create options give one
// GPT partition over the whole disk (sector 2048 to the last usable one) and
// a HostVmfsSpec (VMFS 5, or 6 from ESXi 6.5 on); CreateVmfsDatastore writes
// that table (HostStorageSystem keeps it) and formats the partition; the new
// datastore holds the partition in whole 1 MiB blocks and is mounted on this
// host only, the disks being local. Extending adds a blank disk's partition
// as an extent; expanding grows a partition into free space after it on the
// same disk (disks themselves never grow here). A disk that holds a mounted
// VMFS volume, or is detached, is refused with HostConfigFault, the fault
// hostd declares for a device it cannot repartition.
//
// RemoveDatastore unmounts, refused while a VM of this host keeps files
// there; the datastore leaves the inventory with its last host, and a VMFS
// volume's partitions go with it (the disk is blank again, as after
// deleting a datastore in the host client).
//
// Choices not confirmed against a real host: an unknown disk in a create
// spec is HostConfigFault (NotFound is not declared there); create options
// for a disk in use are an empty list; RemoveDatastoreEx_Task gives one
// result per datastore, with a fault where that one failed; a datastore that
// is not mounted here is DatastoreNotWritableOnHost for
// UpdateLocalSwapDatastore. CreateLocalDatastore is NotSupported (the
// capability says so); a VVol datastore needs a VASA provider's storage
// container, and there is none, so its scId is NotFound; nothing is
// unresolved, so a resignature names devices with no snapshot volume
// (HostConfigFault); ConfigureDatastorePrincipal wants maintenance mode
// (InvalidState, as the reference says) and, on ESXi, a local account
// (HostConfigFault otherwise; vCenter's hosts' accounts are not modelled).
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { Datastore } from "./datastore.ts";
import { datacenterOf, type ManagedEntity } from "./managed-entity.ts";
import type { Datacenter } from "./datacenter.ts";
import { FIRST_SECTOR, blockRange, lastUsable, partitionLayout, partitionSpec, readPartitionSpec, vmfsBytes, type Disk, type HostStorageSystem, type Partition, type PartitionTable } from "./host-storage-system.ts";

type Ref = ManagedObjectReference;
const NFS_CAPACITY = 1024 ** 4;

/** A checked HostVmfsSpec: what the new volume will be. */
export interface VmfsPlan {
  name: string;
  majorVersion: number;
}

type VmfsVolume = DataObject & { capacity: number; extent: (DataObject & { diskName: string; partition: number })[] };

function hostConfigFault(message: string): VimFault {
  return new VimFault("HostConfigFault", {}, message);
}

export class HostDatastoreSystem extends ManagedObject {
  constructor(sim: SimContext, value: string, private readonly host: Ref) {
    super(sim, "HostDatastoreSystem", value);
    Object.assign(this.props, {
      datastore: [],
      capabilities: { _type: "HostDatastoreSystemCapabilities", nfsMountCreationRequired: true, nfsMountCreationSupported: true, localDatastoreSupported: false, vmfsExtentExpansionSupported: true },
    });
  }

  private hostObj(): ManagedObject {
    return this.sim.inventory.get(this.host.value)!;
  }

  /** The host mounted or unmounted a datastore: this object's list follows the host's. */
  follow(): void {
    this.update({ datastore: [...((this.hostObj().props.datastore as Ref[] | undefined) ?? [])] });
    // the host's HostStorageSystem lists the same mounts as file system volumes
    const storage = (this.hostObj().props.configManager as { storageSystem?: Ref } | undefined)?.storageSystem;
    (storage && (this.sim.inventory.get(storage.value) as (ManagedObject & { follow?(): void }) | undefined))?.follow?.();
  }

  CreateNasDatastore(args: Args, ctx: CallContext): Ref {
    const spec = (args.spec ?? {}) as Record<string, any>;
    const name = String(spec.localPath ?? "");
    const remoteHost = String(spec.remoteHost ?? "");
    const remotePath = String(spec.remotePath ?? "");
    if (!name || name.length > 42 || /[/\\%]/.test(name)) throw new VimFault("InvalidArgument", { invalidProperty: "spec.localPath" }, `A specified parameter was not correct: spec.localPath (${JSON.stringify(name)} is not a datastore name)`);
    if (!remoteHost || !remotePath.startsWith("/")) throw new VimFault("InvalidArgument", { invalidProperty: !remoteHost ? "spec.remoteHost" : "spec.remotePath" }, "An NFS mount needs a remote host and an absolute remote path.");
    const host = this.hostObj();
    const dc = datacenterOf(host as ManagedEntity) as Datacenter;
    const same = ((dc.props.datastore as Ref[]) ?? []).map((r) => this.sim.inventory.get(r.value) as Datastore | undefined).find((d) => d?.name === name);
    let ds: Datastore;
    if (same) {
      const nas = (same.props.info as { nas?: { remoteHost: string; remotePath: string } }).nas;
      if (!nas || nas.remoteHost !== remoteHost || nas.remotePath !== remotePath) throw new VimFault("DuplicateName", { name, object: same.ref }, `The name '${name}' already exists.`);
      if ((host.props.datastore as Ref[]).some((r) => r.value === same.ref.value)) throw new VimFault("AlreadyExists", { name }, `The specified key, name, or identifier '${name}' already exists.`);
      ds = same;
    } else {
      const nfsExport = `${remoteHost}:${remotePath}`;
      const uuid = `${this.sim.ids.hex("nfs", nfsExport, 8)}-${this.sim.ids.hex("nfs2", nfsExport, 8)}`;
      ds = Datastore.create(this.sim, dc, { name, type: "NFS", capacityBytes: NFS_CAPACITY, usedBytes: 0, remoteHost, remotePath }, uuid);
    }
    ds.mountOn(host.ref);
    this.follow();
    this.sim.events.post("NASDatastoreCreatedEvent", `Created NAS datastore ${name} on ${host.get("name")} in ${dc.name}`, ctx.session?.userName ?? "",
      { host: { name: String(host.get("name")), ref: host.ref }, datacenter: { name: dc.name, ref: dc.ref } },
      { datastore: { _type: "DatastoreEventArgument", name, datastore: ds.ref }, datastoreUrl: (ds.props.summary as { url: string }).url });
    return ds.ref;
  }

  RemoveDatastore(args: Args, ctx: CallContext): void {
    const host = this.hostObj();
    const ds = this.sim.inventory.get((args.datastore as Ref).value);
    if (!(ds instanceof Datastore) || !(host.props.datastore as Ref[]).some((r) => r.value === ds.ref.value)) {
      throw new VimFault("NotFound", {}, `The datastore is not mounted on ${host.get("name")}.`);
    }
    const vms = ((ds.props.vm as Ref[]) ?? []).filter((v) => ((host.props.vm as Ref[]) ?? []).some((h) => h.value === v.value));
    if (vms.length) throw new VimFault("ResourceInUse", { type: "Datastore", name: ds.name }, `The datastore ${ds.name} holds files of ${vms.length} virtual machine(s) on ${host.get("name")}.`);
    const extents = (ds.props.info as { vmfs?: VmfsVolume }).vmfs?.extent ?? [];
    ds.unmountFrom(host.ref);
    // the host no longer swaps to a datastore it does not mount
    if ((host.props.config as { localSwapDatastore?: Ref } | undefined)?.localSwapDatastore?.value === ds.ref.value) host.update({ "config.localSwapDatastore": undefined });
    this.follow();
    const dc = datacenterOf(host as ManagedEntity) as Datacenter;
    this.sim.events.post("DatastoreRemovedOnHostEvent", `Removed datastore ${ds.name} from ${host.get("name")} in ${dc.name}`, ctx.session?.userName ?? "",
      { host: { name: String(host.get("name")), ref: host.ref }, datacenter: { name: dc.name, ref: dc.ref } },
      { datastore: { _type: "DatastoreEventArgument", name: ds.name, datastore: ds.ref } });
    if (!ds.mounts) {
      ds.withdraw();
      if (extents.length) this.storage().volumeDeleted(extents);
    }
  }

  /** Several at once, each on its own: one result per datastore, with the fault RemoveDatastore gave where it failed. */
  RemoveDatastoreEx_Task(args: Args, ctx: CallContext): Ref {
    const refs = (args.datastore as Ref[]) ?? [];
    return this.sim.tasks.run(this.hostObj(), "RemoveDatastoreEx_Task", "host.DatastoreSystem.removeDatastoreEx", ctx.session?.userName ?? "", () =>
      refs.map((key) => {
        try {
          this.RemoveDatastore({ datastore: key }, ctx);
          return { _type: "HostDatastoreSystemDatastoreResult", key };
        } catch (e) {
          if (!(e instanceof VimFault)) throw e;
          return { _type: "HostDatastoreSystemDatastoreResult", key, fault: { _type: "LocalizedMethodFault", fault: e.fault, localizedMessage: e.message } };
        }
      }), { resultType: { type: "HostDatastoreSystemDatastoreResult", array: true } });
  }

  // ---- VMFS ----

  private storage(): HostStorageSystem {
    const ref = (this.hostObj().props.configManager as { storageSystem: Ref }).storageSystem;
    return this.sim.inventory.get(ref.value) as unknown as HostStorageSystem;
  }

  /** A VMFS datastore this host mounts, or NotFound. */
  private mountedVmfs(ref: Ref | undefined): Datastore & { vmfs: VmfsVolume } {
    const host = this.hostObj();
    const ds = ref ? this.sim.inventory.get(ref.value) : undefined;
    const vmfs = ds instanceof Datastore ? (ds.props.info as { vmfs?: VmfsVolume }).vmfs : undefined;
    if (!(ds instanceof Datastore) || !vmfs || !(host.props.datastore as Ref[]).some((r) => r.value === ds.ref.value)) {
      throw new VimFault("NotFound", {}, `The object or item referred to could not be found: no VMFS datastore ${ref?.value ?? ""} on ${host.get("name")}.`);
    }
    return Object.assign(ds, { vmfs }) as Datastore & { vmfs: VmfsVolume };
  }

  private diskAt(devicePath: unknown): Disk {
    const d = this.storage().diskByPath(String(devicePath ?? ""));
    if (!d) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: device ${String(devicePath)}.`);
    return d;
  }

  /** VMFS 6 came with ESXi 6.5. */
  private vmfsVersions(): number[] {
    return Number.parseFloat(this.sim.scenario.about.apiVersion) >= 6.5 ? [5, 6] : [5];
  }

  private defaultVmfsVersion(): number {
    return Math.max(...this.vmfsVersions());
  }

  private vmfsSpec(d: Disk, majorVersion: number): DataObject {
    return {
      _type: "HostVmfsSpec", extent: { _type: "HostScsiDiskPartition", diskName: d.canonical, partition: 1 }, blockSizeMb: 1, majorVersion, volumeName: "",
      ...(majorVersion >= 6 ? { blockSize: 1024, unmapGranularity: 1024, unmapPriority: "low" } : {}),
    };
  }

  /** The whole disk as one VMFS partition, as hostd proposes it. */
  private wholeDisk(d: Disk): { table: PartitionTable; partition: Partition } {
    const partition = { partition: 1, startSector: FIRST_SECTOR, endSector: lastUsable(d.blocks), type: "vmfs" };
    return { table: { format: "gpt", partitions: [partition] }, partition };
  }

  /** The volume's name and version, checked before anything changes; `dup` is the fault for a name in use. */
  checkNewVmfs(vmfs: Record<string, any> | undefined, dup: "DuplicateName" | "AlreadyExists", prop = "spec.vmfs"): VmfsPlan {
    const name = String(vmfs?.volumeName ?? "");
    if (!name.trim() || name.length > 42 || /[/\\%]/.test(name)) throw new VimFault("InvalidArgument", { invalidProperty: `${prop}.volumeName` }, `A specified parameter was not correct: ${prop}.volumeName (${JSON.stringify(name)} is not a datastore name)`);
    const majorVersion = Number(vmfs?.majorVersion ?? this.defaultVmfsVersion());
    if (!this.vmfsVersions().includes(majorVersion)) throw new VimFault("InvalidArgument", { invalidProperty: `${prop}.majorVersion` }, `A specified parameter was not correct: ${prop}.majorVersion (VMFS ${majorVersion} is not supported on this host)`);
    const dc = datacenterOf(this.hostObj() as ManagedEntity) as Datacenter;
    const same = ((dc.props.datastore as Ref[]) ?? []).map((r) => this.sim.inventory.get(r.value) as Datastore | undefined).find((d) => d?.name === name);
    if (same) throw dup === "DuplicateName" ? new VimFault("DuplicateName", { name, object: same.ref }, `The name '${name}' already exists.`) : new VimFault("AlreadyExists", { name }, `The specified key, name, or identifier '${name}' already exists.`);
    return { name, majorVersion };
  }

  /** A new VMFS datastore over these (already written) partitions, mounted on this host. */
  newVmfs(plan: VmfsPlan, extents: { disk: Disk; partition: Partition }[], ctx: CallContext): Datastore {
    const host = this.hostObj();
    const dc = datacenterOf(host as ManagedEntity) as Datacenter;
    const capacity = extents.reduce((n, e) => n + vmfsBytes(e.partition), 0);
    const key = `${host.get("name")}/${extents[0]!.disk.canonical}/${this.sim.ids.next("vmfs-volume")}`;
    const uuid = `${this.sim.ids.hex("vmfs", key, 8)}-${this.sim.ids.hex("vmfs2", key, 8)}-${this.sim.ids.hex("vmfs3", key, 4)}-${this.sim.ids.hex("vmfs4", key, 12)}`;
    // a new volume's system files are not modelled: it starts empty
    const ds = Datastore.create(this.sim, dc, { name: plan.name, type: "VMFS", capacityBytes: capacity, usedBytes: 0 }, uuid);
    const vmfs = (ds.props.info as { vmfs: DataObject }).vmfs;
    ds.update({
      "info.vmfs": {
        ...vmfs, majorVersion: plan.majorVersion, version: plan.majorVersion >= 6 ? "6.82" : "5.61",
        extent: extents.map((e) => ({ _type: "HostScsiDiskPartition", diskName: e.disk.canonical, partition: e.partition.partition })),
        ssd: extents.every((e) => e.disk.ssd), local: extents.every((e) => e.disk.local),
      },
    });
    ds.mountOn(host.ref);
    this.follow();
    this.sim.events.post("VMFSDatastoreCreatedEvent", `Created VMFS datastore ${plan.name} (${(ds.props.summary as { url: string }).url}) on ${host.get("name")} in ${dc.name}`, ctx.session?.userName ?? "",
      { host: { name: String(host.get("name")), ref: host.ref }, datacenter: { name: dc.name, ref: dc.ref } },
      // datastoreUrl came with API 6.5
      { datastore: { _type: "DatastoreEventArgument", name: plan.name, datastore: ds.ref }, ...(this.vmfsVersions().includes(6) ? { datastoreUrl: (ds.props.summary as { url: string }).url } : {}) });
    return ds;
  }

  /** Blank disks a new VMFS volume (or an extent of `datastore`) may use. */
  QueryAvailableDisksForVmfs(args: Args): DataObject[] {
    if (args.datastore) this.mountedVmfs(args.datastore as Ref);
    const storage = this.storage();
    return storage.disks().filter((d) => storage.available(d)).map((d) => storage.scsiDisk(d));
  }

  QueryVmfsDatastoreCreateOptions(args: Args): DataObject[] {
    const d = this.diskAt(args.devicePath);
    const major = args.vmfsMajorVersion === undefined || args.vmfsMajorVersion === null ? this.defaultVmfsVersion() : Number(args.vmfsMajorVersion);
    if (!this.vmfsVersions().includes(major)) throw new VimFault("InvalidArgument", { invalidProperty: "vmfsMajorVersion" }, `A specified parameter was not correct: vmfsMajorVersion (VMFS ${major} is not supported on this host)`);
    if (this.storage().refusal(d)) return [];
    const { table, partition } = this.wholeDisk(d);
    return [{
      _type: "VmfsDatastoreOption",
      info: { _type: "VmfsDatastoreAllExtentOption", layout: partitionLayout(d, table), partitionFormatChange: d.table.format === "mbr", vmfsExtent: blockRange(partition) },
      spec: { _type: "VmfsDatastoreCreateSpec", diskUuid: d.uuid, partition: partitionSpec(d, table), vmfs: this.vmfsSpec(d, major), extent: [] },
    }];
  }

  CreateVmfsDatastore(args: Args, ctx: CallContext): Ref {
    const spec = (args.spec ?? {}) as Record<string, any>;
    const storage = this.storage();
    const d = storage.diskByUuid(String(spec.diskUuid ?? ""));
    if (!d) throw hostConfigFault(`No disk with UUID ${String(spec.diskUuid)} on ${this.hostObj().get("name")}.`);
    const refused = storage.refusal(d);
    if (refused) throw refused;
    const table = readPartitionSpec(d, spec.partition);
    const head = (spec.vmfs?.extent ?? {}) as { diskName?: string; partition?: number };
    const partition = table.partitions.find((p) => p.partition === Number(head.partition) && p.type === "vmfs");
    if (head.diskName !== d.canonical || !partition) throw hostConfigFault(`spec.vmfs.extent must name a VMFS partition of ${d.canonical} in spec.partition.`);
    // more extents at creation time would need their own tables: hostd takes them, this simulator does not
    if (((spec.extent as unknown[]) ?? []).length) throw hostConfigFault("A VMFS datastore is created on one extent here; add more with ExtendVmfsDatastore.");
    const plan = this.checkNewVmfs(spec.vmfs, "DuplicateName");
    storage.writeTable(d, table);
    return this.newVmfs(plan, [{ disk: d, partition }], ctx).ref;
  }

  QueryVmfsDatastoreExtendOptions(args: Args): DataObject[] {
    this.mountedVmfs(args.datastore as Ref);
    const d = this.diskAt(args.devicePath);
    if (!this.storage().available(d)) return [];
    const { table, partition } = this.wholeDisk(d);
    return [{
      _type: "VmfsDatastoreOption",
      info: { _type: "VmfsDatastoreAllExtentOption", layout: partitionLayout(d, table), partitionFormatChange: d.table.format === "mbr", vmfsExtent: blockRange(partition) },
      spec: { _type: "VmfsDatastoreExtendSpec", diskUuid: d.uuid, partition: partitionSpec(d, table), extent: [{ _type: "HostScsiDiskPartition", diskName: d.canonical, partition: 1 }] },
    }];
  }

  ExtendVmfsDatastore(args: Args, ctx: CallContext): Ref {
    const ds = this.mountedVmfs(args.datastore as Ref);
    const spec = (args.spec ?? {}) as Record<string, any>;
    const storage = this.storage();
    const d = storage.diskByUuid(String(spec.diskUuid ?? ""));
    if (!d) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: no disk with UUID ${String(spec.diskUuid)}.`);
    const refused = storage.refusal(d);
    if (refused) throw refused;
    const table = readPartitionSpec(d, spec.partition);
    const wanted = (spec.extent as { diskName?: string; partition?: number }[]) ?? [];
    const added = wanted.map((e) => {
      const p = table.partitions.find((x) => x.partition === Number(e.partition) && x.type === "vmfs");
      if (e.diskName !== d.canonical || !p) throw hostConfigFault(`spec.extent must name VMFS partitions of ${d.canonical} in spec.partition.`);
      return p;
    });
    if (!added.length) throw hostConfigFault("spec.extent names no partition to add.");
    storage.writeTable(d, table);
    this.addExtent(ds, d, added, ctx);
    return ds.ref;
  }

  /** Partitions of `d` (already written) join the volume: ExtendVmfsDatastore, and HostStorageSystem.AttachVmfsExtent. */
  addExtent(datastore: ManagedObject, d: Disk, added: Partition | Partition[], ctx: CallContext): void {
    const ds = this.mountedVmfs(datastore.ref);
    const parts = Array.isArray(added) ? added : [added];
    ds.resizeVmfs(ds.vmfs.capacity + parts.reduce((n, p) => n + vmfsBytes(p), 0),
      [...ds.vmfs.extent, ...parts.map((p) => ({ _type: "HostScsiDiskPartition", diskName: d.canonical, partition: p.partition }))]);
    this.grown(ds, "VMFSDatastoreExtendedEvent", "extended", ctx);
  }

  /** HostStorageSystem.ExpandVmfsExtent: partition `n` of `d` grows into the free space after it, and the volume with it. */
  expandExtent(datastore: ManagedObject, d: Disk, n: number, ctx: CallContext): void {
    const ds = this.mountedVmfs(datastore.ref);
    if (d.off) throw hostConfigFault(`The device ${d.canonical} is detached.`);
    const grown = this.expansion(d, n);
    if (!grown) throw hostConfigFault(`There is no free space after partition ${n} of ${d.canonical}.`);
    const old = d.table.partitions.find((p) => p.partition === n)!;
    const now = grown.partitions.find((p) => p.partition === n)!;
    this.storage().writeTable(d, grown);
    ds.resizeVmfs(ds.vmfs.capacity + vmfsBytes(now) - vmfsBytes(old), ds.vmfs.extent);
    this.grown(ds, "VMFSDatastoreExpandedEvent", "expanded", ctx);
  }

  /** Free space after one of the volume's partitions, on one of this host's blank disks (a datastore's own disk is always full). */
  QueryVmfsDatastoreExpandOptions(args: Args): DataObject[] {
    const ds = this.mountedVmfs(args.datastore as Ref);
    const storage = this.storage();
    const out: DataObject[] = [];
    for (const e of ds.vmfs.extent) {
      const d = storage.diskByName(e.diskName);
      const grown = d && this.expansion(d, e.partition);
      if (!d || !grown) continue;
      const p = grown.partitions.find((x) => x.partition === e.partition)!;
      out.push({
        _type: "VmfsDatastoreOption",
        info: { _type: "VmfsDatastoreSingleExtentOption", layout: partitionLayout(d, grown), partitionFormatChange: false, vmfsExtent: blockRange(p) },
        spec: { _type: "VmfsDatastoreExpandSpec", diskUuid: d.uuid, partition: partitionSpec(d, grown), extent: { _type: "HostScsiDiskPartition", diskName: d.canonical, partition: e.partition } },
      });
    }
    return out;
  }

  /** The table with partition `n` of `d` grown to the end of the free space after it, or undefined when there is none. */
  expansion(d: Disk, n: number): PartitionTable | undefined {
    if (!d.spare || d.off) return undefined;
    const p = d.table.partitions.find((x) => x.partition === n);
    if (!p) return undefined;
    const next = d.table.partitions.filter((x) => x.startSector > p.endSector).reduce((m, x) => Math.min(m, x.startSector), lastUsable(d.blocks, d.table.format) + 1);
    if (next - 1 - p.endSector < FIRST_SECTOR) return undefined;
    return { ...d.table, partitions: d.table.partitions.map((x) => (x === p ? { ...x, endSector: next - 1 } : x)) };
  }

  ExpandVmfsDatastore(args: Args, ctx: CallContext): Ref {
    const ds = this.mountedVmfs(args.datastore as Ref);
    const spec = (args.spec ?? {}) as Record<string, any>;
    const storage = this.storage();
    const d = storage.diskByUuid(String(spec.diskUuid ?? ""));
    if (!d) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: no disk with UUID ${String(spec.diskUuid)}.`);
    const extent = (spec.extent ?? {}) as { diskName?: string; partition?: number };
    const n = Number(extent.partition);
    if (extent.diskName !== d.canonical || !ds.vmfs.extent.some((e) => e.diskName === d.canonical && e.partition === n)) throw hostConfigFault(`spec.extent is not an extent of ${ds.name} on ${d.canonical}.`);
    if (d.off) throw hostConfigFault(`The device ${d.canonical} is detached.`);
    if (!d.spare) throw hostConfigFault(`There is no free space after partition ${n} of ${d.canonical}.`);
    const table = readPartitionSpec(d, spec.partition);
    const old = d.table.partitions.find((p) => p.partition === n)!;
    const now = table.partitions.find((p) => p.partition === n);
    const others = (t: PartitionTable) => JSON.stringify(t.partitions.filter((p) => p.partition !== n));
    if (!now || now.type !== "vmfs" || now.startSector !== old.startSector || now.endSector < old.endSector || others(table) !== others(d.table)) {
      throw hostConfigFault(`spec.partition must keep ${d.canonical}'s partitions and grow partition ${n} from its start.`);
    }
    storage.writeTable(d, table);
    ds.resizeVmfs(ds.vmfs.capacity + vmfsBytes(now) - vmfsBytes(old), ds.vmfs.extent);
    this.grown(ds, "VMFSDatastoreExpandedEvent", "expanded", ctx);
    return ds.ref;
  }

  private grown(ds: Datastore, event: string, verb: string, ctx: CallContext): void {
    const host = this.hostObj();
    const dc = datacenterOf(host as ManagedEntity) as Datacenter;
    this.follow();
    this.sim.events.post(event, `Datastore ${ds.name} ${verb} on ${host.get("name")} in ${dc.name}`, ctx.session?.userName ?? "",
      { host: { name: String(host.get("name")), ref: host.ref }, datacenter: { name: dc.name, ref: dc.ref } },
      { datastore: { _type: "DatastoreEventArgument", name: ds.name, datastore: ds.ref } });
  }

  /** Where VMs of this host put their swap files when their cluster says "hostLocal"; none given, none is set. */
  UpdateLocalSwapDatastore(args: Args): void {
    const host = this.hostObj();
    const ref = args.datastore as Ref | undefined;
    if (!ref) return host.update({ "config.localSwapDatastore": undefined });
    const ds = this.sim.inventory.get(ref.value);
    const mount = ds instanceof Datastore ? (ds.props.host as { key: Ref; mountInfo: { accessible: boolean; accessMode: string } }[]).find((m) => m.key.value === host.ref.value) : undefined;
    const name = ds instanceof Datastore ? ds.name : ref.value;
    if (!mount || mount.mountInfo.accessMode !== "readWrite") throw new VimFault("DatastoreNotWritableOnHost", { datastore: ref, name, host: host.ref }, `The datastore ${name} is not writable on ${host.get("name")}.`);
    if (!mount.mountInfo.accessible) throw new VimFault("InaccessibleDatastore", { datastore: ref, name }, `The datastore ${name} is not accessible on ${host.get("name")}.`);
    host.update({ "config.localSwapDatastore": ref });
  }

  /** Snapshot or replicated VMFS copies waiting for a resignature: this simulator's disks never hold one. */
  QueryUnresolvedVmfsVolumes(_args: Args): DataObject[] {
    return [];
  }

  /** Nothing is unresolved here: the task fails as hostd's does for devices that hold no snapshot volume. */
  ResignatureUnresolvedVmfsVolume_Task(args: Args, ctx: CallContext): Ref {
    const refused = this.storage().resolutionRefused(args.resolutionSpec as Record<string, any>, true);
    return this.sim.tasks.run(this.hostObj(), "ResignatureUnresolvedVmfsVolume_Task", "host.DatastoreSystem.resignatureUnresolvedVmfsVolume", ctx.session?.userName ?? "", () => {
      throw refused;
    }, { resultType: { type: "HostResignatureRescanResult" } });
  }

  /** capabilities.localDatastoreSupported is false: hostd answers NotSupported, as for any host since ESX 3. */
  CreateLocalDatastore(_args: Args): Ref {
    throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
  }

  /**
   * VVol datastores need a storage container from a registered VASA
   * provider; there is none, so every scId is NotFound (after the name checks).
   */
  CreateVvolDatastore(args: Args): Ref {
    const spec = (args.spec ?? {}) as { name?: string; scId?: string };
    const name = String(spec.name ?? "");
    if (!name.trim() || name.length > 42 || /[/\\%]/.test(name)) throw new VimFault("InvalidName", { name }, `The name '${name}' is not a valid datastore name.`);
    throw new VimFault("NotFound", {}, `The object or item referred to could not be found: storage container ${String(spec.scId)}.`);
  }

  /**
   * The user VM file I/O runs as. The reference asks for the host in
   * maintenance mode (InvalidState otherwise); the user must be one of the
   * host's local accounts where this simulator has them (ESXi). An unknown
   * user is HostConfigFault (not confirmed: the fault for "other failures").
   */
  ConfigureDatastorePrincipal(args: Args): void {
    const host = this.hostObj();
    const user = String(args.userName ?? "");
    if (!(host.props.runtime as { inMaintenanceMode: boolean }).inMaintenanceMode) throw new VimFault("InvalidState", {}, `The operation is not allowed in the current state: ${host.get("name")} is not in maintenance mode.`);
    const accounts = this.sim.localAccounts;
    if (!user || (accounts && !this.sim.isVCenter && !accounts.has(user))) throw hostConfigFault(`There is no local user ${JSON.stringify(user)} on ${host.get("name")}.`);
    host.update({ "config.datastorePrincipal": user });
  }
}
