// HostStorageSystem: the host's storage adapters, its disks, their partition
// tables and the file systems it mounts. Two local SATA adapters (the
// hardware summary's numHBAs). Every VMFS datastore the host mounts sits on a
// local disk of vmhba0 named as its first extent (naa.…), one target per
// disk, one active path each; that disk exists while the datastore is
// mounted and always holds one VMFS partition of exactly the volume. The
// scenario's blank disks (`disks:` of a host) sit on vmhba1, one target each,
// for good: a partition table written to one (UpdateDiskPartitions,
// CreateVmfsDatastore, ExtendVmfsDatastore) is state of this object, kept in
// simulator snapshots, and a VMFS volume on one is an ordinary Datastore whose
// extents name it.
//
// `fileSystemVolumeInfo` lists the mounted datastores; it follows the host's
// mounts as HostDatastoreSystem changes them (follow()), and the rescans and
// refresh read them again (a renamed datastore, say). The host's
// config.storageDevice, config.multipathState and config.fileSystemVolume are
// the same information and are kept in step.
//
// Partition geometry is GPT's as ESXi writes it: the first partition at
// sector 2048 (1 MiB alignment), the last usable sector 34 before the end
// (the backup table). A VMFS volume holds its partition rounded down to the
// 1 MiB file block; its metadata files are not modelled.
//
// Choices not confirmed against a real host: detaching a disk whose VMFS
// volume is mounted leaves the volume mounted but inaccessible (hostd may ask
// for an unmount first), refused only while a VM of this host has files there;
// detaching a detached disk or attaching an attached one is InvalidState; a
// detached disk's paths stay listed as they were; RetrieveDiskPartitionInfo
// leaves out unknown and detached devices, and its layouts list partitions
// only, not the free ranges between them.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext, type SavedState } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import type { DiskSpec } from "../inventory/scenario.ts";
import type { HostDatastoreSystem } from "./host-datastore-system.ts";

type Ref = ManagedObjectReference;
const BLOCK = 512;
const MIB = 1024 ** 2;
/** where ESXi starts a partition: 1 MiB in */
export const FIRST_SECTOR = 2048;
/** sectors after the last usable one: GPT's backup header and entries */
const GPT_TAIL = 33;
// a datastore's own disk: its VMFS partition is exactly the volume
const DISK_OVERHEAD_BLOCKS = FIRST_SECTOR + GPT_TAIL + 1;
const HBAS = [
  { device: "vmhba0", pci: "0000:00:11.5" },
  { device: "vmhba1", pci: "0000:00:17.0" },
];
// the file system types an ESXi 6.0 host knows
const VOLUME_TYPES = ["VMFS", "NFS", "NFS41", "vsan", "VFFS", "VVOL", "OTHER"];
// GPT partition type GUIDs as partedUtil shows them
const GUIDS: Record<string, string> = {
  vmfs: "AA31E02A400F11DB9590000C2911D1B8",
  vmkDiagnostic: "9D27538040AD11DBBF97000C2911D1B8",
  vffs: "6A8982834E5911E1B5B6001B21A00B31",
  linuxNative: "0FC63DAF848347728E793D69D8477DE4",
  linuxSwap: "0657FD6DA4AB43C484E50933C84B4F4F",
  ntfs: "EBD0A0A2B9E5443387C068B6B72699C7",
};
const PARTITION_TYPES = ["none", "vmfs", "linuxNative", "linuxSwap", "extended", "ntfs", "vmkDiagnostic", "vffs"];

export interface Partition {
  partition: number;
  startSector: number;
  endSector: number;
  type: string;
}

export interface PartitionTable {
  format: "gpt" | "mbr" | "unknown";
  partitions: Partition[];
}

/** One disk as this host sees it. */
export interface Disk {
  canonical: string;
  uuid: string;
  devicePath: string;
  blocks: number;
  /** one of the scenario's blank disks (vmhba1), not a datastore's own */
  spare: boolean;
  off: boolean;
  ssd: boolean;
  local: boolean;
  table: PartitionTable;
}

interface DatastoreLike extends ManagedObject {
  name: string;
  uuid: string;
}

type VmfsVolume = { capacity: number; extent?: { diskName: string; partition: number }[]; ssd?: boolean; local?: boolean };

/** What an administrator changed about a disk (by canonical name). */
interface LunSettings { displayName?: string; ssd?: boolean; local?: boolean; off?: boolean }

interface DiskState {
  spares: { canonical: string; blocks: number; ssd: boolean }[];
  /** partition tables of the blank disks; a disk not listed has none */
  tables: Record<string, PartitionTable>;
  luns: Record<string, LunSettings>;
}

/** The last sector a partition may end on. */
export function lastUsable(blocks: number, format = "gpt"): number {
  return format === "mbr" ? blocks - 1 : blocks - GPT_TAIL - 1;
}

/** Bytes of a VMFS volume on a partition: whole 1 MiB file blocks. */
export function vmfsBytes(p: Partition): number {
  return Math.floor(((p.endSector - p.startSector + 1) * BLOCK) / MIB) * MIB;
}

export function lba(block: number): DataObject {
  return { _type: "HostDiskDimensionsLba", blockSize: BLOCK, block };
}

export function blockRange(p: Partition): DataObject {
  return { _type: "HostDiskPartitionBlockRange", partition: p.partition, type: p.type, start: lba(p.startSector), end: lba(p.endSector) };
}

/** A table as HostDiskPartitionSpec. */
export function partitionSpec(d: Disk, t: PartitionTable): DataObject {
  return {
    _type: "HostDiskPartitionSpec", partitionFormat: t.format, totalSectors: d.blocks,
    partition: t.partitions.map((p) => ({
      _type: "HostDiskPartitionAttributes", partition: p.partition, startSector: p.startSector, endSector: p.endSector, type: p.type,
      guid: t.format === "gpt" ? GUIDS[p.type] : undefined, logical: false, attributes: 0, partitionAlignment: MIB,
    })),
  };
}

export function partitionLayout(d: Disk, t: PartitionTable): DataObject {
  return { _type: "HostDiskPartitionLayout", total: lba(d.blocks), partition: t.partitions.map(blockRange) };
}

const hostConfigFault = (message: string) => new VimFault("HostConfigFault", {}, message);

/**
 * A HostDiskPartitionSpec from a client, checked against the disk the way
 * partedUtil checks a table: known types, inside the usable sectors, no
 * overlaps, unique numbers. hostd reports a refused table as HostConfigFault.
 */
export function readPartitionSpec(d: Disk, spec: Record<string, any> | undefined): PartitionTable {
  const format = String(spec?.partitionFormat ?? "gpt");
  if (format !== "gpt" && format !== "mbr") throw hostConfigFault(`Unsupported partition format "${format}" for ${d.canonical}.`);
  if (format === "mbr" && d.blocks > 2 ** 32) throw hostConfigFault(`An MBR partition table cannot address ${d.canonical}: it is larger than 2 TB.`);
  if (spec?.totalSectors !== undefined && spec.totalSectors !== null && Number(spec.totalSectors) !== d.blocks) {
    throw hostConfigFault(`The partition table is for a disk of ${spec.totalSectors} sectors; ${d.canonical} has ${d.blocks}.`);
  }
  const last = lastUsable(d.blocks, format);
  const first = format === "gpt" ? GPT_TAIL + 1 : 1;
  const parts: Partition[] = ((spec?.partition as Record<string, any>[] | undefined) ?? []).map((p) => ({
    partition: Number(p.partition), startSector: Number(p.startSector), endSector: Number(p.endSector), type: String(p.type ?? ""),
  }));
  const numbers = new Set<number>();
  for (const p of parts) {
    if (!PARTITION_TYPES.includes(p.type) || p.type === "none" || (p.type === "extended" && format === "gpt")) throw hostConfigFault(`Unsupported partition type "${p.type}" for partition ${p.partition} of ${d.canonical}.`);
    if (!Number.isInteger(p.partition) || p.partition < 1 || p.partition > (format === "gpt" ? 128 : 4) || numbers.has(p.partition)) throw hostConfigFault(`Invalid partition number ${p.partition} for ${d.canonical}.`);
    numbers.add(p.partition);
    if (!Number.isInteger(p.startSector) || !Number.isInteger(p.endSector) || p.startSector < first || p.endSector > last || p.startSector > p.endSector) {
      throw hostConfigFault(`Partition ${p.partition} (sectors ${p.startSector}-${p.endSector}) does not fit ${d.canonical} (usable sectors ${first}-${last}).`);
    }
  }
  const sorted = [...parts].sort((a, b) => a.startSector - b.startSector);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.startSector <= sorted[i - 1]!.endSector) throw hostConfigFault(`Partitions ${sorted[i - 1]!.partition} and ${sorted[i]!.partition} of ${d.canonical} overlap.`);
  }
  return { format, partitions: sorted };
}

export class HostStorageSystem extends ManagedObject {
  private state: DiskState;

  constructor(sim: SimContext, value: string, readonly host: Ref, disks: DiskSpec[] = []) {
    super(sim, "HostStorageSystem", value);
    const hostName = String(sim.inventory.get(host.value)?.get("name") ?? host.value);
    this.state = {
      spares: disks.map((d, i) => ({ canonical: `naa.${sim.ids.hex("naa", `${hostName}/disk${i}`, 32)}`, blocks: Math.floor(d.capacityBytes / BLOCK), ssd: d.ssd })),
      tables: {},
      luns: {},
    };
    Object.assign(this.props, this.compute());
    this.sim.inventory.get(host.value)?.update(this.hostConfig(this.props));
  }

  // the partition tables and LUN settings live beside the properties
  override saveState(): SavedState & { disks: DiskState } {
    return { ...super.saveState(), disks: this.state };
  }

  override loadState(s: SavedState & { disks: DiskState }): void {
    super.loadState(s);
    this.state = s.disks;
  }

  private hostObj(): ManagedObject | undefined {
    return this.sim.inventory.get(this.host.value);
  }

  private datastoreSystem(): HostDatastoreSystem {
    const ref = (this.hostObj()?.props.configManager as { datastoreSystem: Ref }).datastoreSystem;
    return this.sim.inventory.get(ref.value) as unknown as HostDatastoreSystem;
  }

  private mounted(): DatastoreLike[] {
    const refs = (this.hostObj()?.props.datastore as Ref[] | undefined) ?? [];
    return refs.map((r) => this.sim.inventory.get(r.value) as DatastoreLike | undefined).filter((d): d is DatastoreLike => !!d && typeof d.uuid === "string");
  }

  private vmfsOf(ds: ManagedObject): VmfsVolume | undefined {
    return (ds.props.info as { vmfs?: VmfsVolume } | undefined)?.vmfs;
  }

  /** Every disk the host sees: the datastores' own (vmhba0), then the blank ones (vmhba1). */
  disks(): Disk[] {
    const spares = new Map(this.state.spares.map((s) => [s.canonical, s]));
    const out: Disk[] = [];
    const disk = (canonical: string, blocks: number, spare: boolean, ssd: boolean, table: PartitionTable): Disk => {
      const id = canonical.replace(/^naa\./, "");
      const lun = this.state.luns[canonical] ?? {};
      return {
        canonical, uuid: `0200000000${id}566972747561`, devicePath: `/vmfs/devices/disks/${canonical}`, blocks, spare,
        off: !!lun.off, ssd: lun.ssd ?? ssd, local: lun.local ?? true, table,
      };
    };
    for (const ds of this.mounted()) {
      const vmfs = this.vmfsOf(ds);
      if (!vmfs) continue;
      const canonical = vmfs.extent?.[0]?.diskName ?? `naa.${this.sim.ids.hex("naa", ds.name, 32)}`;
      if (spares.has(canonical) || out.some((d) => d.canonical === canonical)) continue;
      // the volume less what its extents on blank disks hold
      const onSpares = (vmfs.extent ?? []).slice(1).reduce((n, e) => n + (this.extentBytes(e) ?? 0), 0);
      const blocks = Math.ceil((vmfs.capacity - onSpares) / BLOCK) + DISK_OVERHEAD_BLOCKS;
      out.push(disk(canonical, blocks, false, false, { format: "gpt", partitions: [{ partition: 1, startSector: FIRST_SECTOR, endSector: lastUsable(blocks), type: "vmfs" }] }));
    }
    for (const s of this.state.spares) out.push(disk(s.canonical, s.blocks, true, s.ssd, this.state.tables[s.canonical] ?? { format: "unknown", partitions: [] }));
    return out;
  }

  /** Bytes a VMFS extent on one of the blank disks holds. */
  private extentBytes(e: { diskName: string; partition: number }): number | undefined {
    const p = this.state.tables[e.diskName]?.partitions.find((x) => x.partition === e.partition);
    return p ? vmfsBytes(p) : undefined;
  }

  diskByPath(devicePath: string): Disk | undefined {
    return this.disks().find((d) => d.devicePath === devicePath || d.canonical === devicePath);
  }

  diskByUuid(uuid: string): Disk | undefined {
    return this.disks().find((d) => d.uuid === uuid);
  }

  diskByName(canonical: string): Disk | undefined {
    return this.disks().find((d) => d.canonical === canonical);
  }

  /** The mounted VMFS datastores with an extent on `d`. */
  volumesOn(d: Disk): DatastoreLike[] {
    return this.mounted().filter((ds) => (this.vmfsOf(ds)?.extent ?? []).some((e) => e.diskName === d.canonical));
  }

  /** Free for a new VMFS volume: attached, no VMFS partition, no volume. */
  available(d: Disk): boolean {
    return !d.off && !d.table.partitions.some((p) => p.type === "vmfs") && !this.volumesOn(d).length;
  }

  /** Why `d` cannot take a new partition table or volume, if it cannot. */
  refusal(d: Disk): VimFault | undefined {
    if (d.off) return hostConfigFault(`The device ${d.canonical} is detached.`);
    const used = this.volumesOn(d)[0];
    if (used) return hostConfigFault(`The device ${d.canonical} is in use by the VMFS datastore ${used.name}: its partitions cannot be changed.`);
    return undefined;
  }

  /** A blank disk's new partition table (callers have checked it). */
  writeTable(d: Disk, table: PartitionTable): void {
    this.state = { ...this.state, tables: { ...this.state.tables, [d.canonical]: table } };
  }

  /** A VMFS volume on these disks was deleted: so are its partitions, as hostd's RemoveDatastore leaves the disk blank. */
  volumeDeleted(extents: { diskName: string }[]): void {
    const tables = { ...this.state.tables };
    let changed = false;
    for (const e of extents) if (tables[e.diskName]) { delete tables[e.diskName]; changed = true; }
    if (changed) this.state = { ...this.state, tables };
    this.follow();
  }

  /** The disk as HostScsiDisk, as storageDeviceInfo lists it. */
  scsiDisk(d: Disk): DataObject {
    return (this.props.storageDeviceInfo as { scsiLun: DataObject[] }).scsiLun.find((l) => l.canonicalName === d.canonical)!;
  }

  /** HostDiskPartitionInfo of a disk. */
  partitionInfo(d: Disk, table = d.table): DataObject {
    return { _type: "HostDiskPartitionInfo", deviceName: d.devicePath, spec: partitionSpec(d, table), layout: partitionLayout(d, table) };
  }

  private compute(): Record<string, unknown> {
    const datastores = this.mounted();
    const hbas = HBAS.map((h) => ({
      _type: "HostBlockHba", key: `key-vim.host.BlockHba-${h.device}`, device: h.device, bus: 0, status: "unknown",
      model: "Lewisburg SATA AHCI Controller", driver: "vmw_ahci", pci: h.pci,
    }));
    const luns: DataObject[] = [];
    const targets: Record<string, DataObject[]> = { vmhba0: [], vmhba1: [] };
    const units: DataObject[] = [];
    const paths: DataObject[] = [];
    for (const d of this.disks()) {
      const hba = d.spare ? "vmhba1" : "vmhba0";
      const t = targets[hba]!.length;
      const key = `key-vim.host.ScsiDisk-${d.uuid}`;
      const pathName = `${hba}:C0:T${t}:L0`;
      const unitKey = `key-vim.host.MultipathInfo.LogicalUnit-${d.uuid}`;
      luns.push({
        _type: "HostScsiDisk", deviceName: d.devicePath, deviceType: "disk", key, uuid: d.uuid, canonicalName: d.canonical,
        displayName: this.state.luns[d.canonical]?.displayName ?? `Local ATA Disk (${d.canonical})`, lunType: "disk", vendor: "ATA     ", model: "VMware Virtual S", revision: "0001",
        scsiLevel: 5, serialNumber: "unavailable", queueDepth: 31, operationalState: [d.off ? "off" : "ok"],
        capabilities: { _type: "ScsiLunCapabilities", updateDisplayNameSupported: true }, vStorageSupport: "vStorageUnsupported",
        capacity: lba(d.blocks),
        devicePath: d.devicePath, ssd: d.ssd, localDisk: d.local, physicalLocation: [], emulatedDIXDIFEnabled: false, scsiDiskType: "native512",
      });
      targets[hba]!.push({
        _type: "HostScsiTopologyTarget", key: `key-vim.host.ScsiTopology.Target-${hba}:0:${t}`, target: t,
        lun: [{ _type: "HostScsiTopologyLun", key: `key-vim.host.ScsiTopology.Lun-${d.uuid}`, lun: 0, scsiLun: key }],
        transport: { _type: "HostBlockAdapterTargetTransport" },
      });
      const path = {
        _type: "HostMultipathInfoPath", key: `key-vim.host.MultipathInfo.Path-${pathName}`, name: pathName, pathState: "active", state: "active",
        isWorkingPath: true, adapter: `key-vim.host.BlockHba-${hba}`, lun: unitKey, transport: { _type: "HostBlockAdapterTargetTransport" },
      };
      paths.push(path);
      units.push({
        _type: "HostMultipathInfoLogicalUnit", key: unitKey, id: d.uuid, lun: key, path: [path],
        policy: { _type: "HostMultipathInfoFixedLogicalUnitPolicy", policy: "VMW_PSP_FIXED", prefer: pathName },
        storageArrayTypePolicy: { _type: "HostMultipathInfoLogicalUnitStorageArrayTypePolicy", policy: "VMW_SATP_LOCAL" },
      });
    }
    const mountInfo = datastores.map((ds) => {
      const mount = ((ds.props.host as (DataObject & { key: Ref; mountInfo: DataObject })[] | undefined) ?? []).find((m) => m.key.value === this.host.value)?.mountInfo;
      const info = ds.props.info as { vmfs?: DataObject; nas?: DataObject & { remoteHost: string; remotePath: string; userName?: string; type?: string } };
      const capacity = (ds.props.summary as { capacity: number }).capacity;
      const volume = info.vmfs
        ? { ...info.vmfs, name: ds.name, capacity }
        : { _type: "HostNasVolume", type: info.nas?.type ?? "NFS", name: ds.name, capacity, remoteHost: info.nas?.remoteHost ?? "", remotePath: info.nas?.remotePath ?? "", userName: info.nas?.userName };
      return {
        _type: "HostFileSystemMountInfo",
        mountInfo: mount ?? { _type: "HostMountInfo", path: `/vmfs/volumes/${ds.uuid}`, accessMode: "readWrite", mounted: true, accessible: true },
        volume,
        vStorageSupport: "vStorageUnsupported",
      };
    });
    return {
      storageDeviceInfo: {
        _type: "HostStorageDeviceInfo",
        hostBusAdapter: hbas,
        scsiLun: luns,
        scsiTopology: {
          _type: "HostScsiTopology",
          adapter: hbas.map((h) => ({ _type: "HostScsiTopologyInterface", key: `key-vim.host.ScsiTopology.Interface-${h.device}`, adapter: h.key, target: targets[h.device] ?? [] })),
        },
        multipathInfo: { _type: "HostMultipathInfo", lun: units },
        softwareInternetScsiEnabled: false,
      },
      fileSystemVolumeInfo: { _type: "HostFileSystemVolumeInfo", volumeTypeList: VOLUME_TYPES, mountInfo },
      multipathStateInfo: { _type: "HostMultipathStateInfo", path: paths.map((p) => ({ _type: "HostMultipathStateInfoPath", name: p.name, pathState: p.pathState })) },
      systemFile: [],
    };
  }

  private hostConfig(p: Record<string, unknown>): Record<string, unknown> {
    return { "config.storageDevice": p.storageDeviceInfo, "config.multipathState": p.multipathStateInfo, "config.fileSystemVolume": p.fileSystemVolumeInfo };
  }

  /** Read the host's mounts again; only what changed is announced. */
  follow(): void {
    const next = this.compute();
    const changed: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(next)) if (JSON.stringify(v) !== JSON.stringify(this.props[k])) changed[k] = v;
    if (!Object.keys(changed).length) return;
    this.update(changed);
    this.hostObj()?.update(this.hostConfig(this.props));
  }

  /**
   * A disk's settings changed: the VMFS volumes on it follow (a volume is
   * flash or local when all its extents are; accessible on this host while
   * all its disks are attached), then this object's lists.
   */
  private settingsChanged(): void {
    const disks = new Map(this.disks().map((d) => [d.canonical, d]));
    for (const ds of this.mounted()) {
      const vmfs = this.vmfsOf(ds);
      const mine = (vmfs?.extent ?? []).map((e) => disks.get(e.diskName)).filter((d): d is Disk => !!d);
      if (!vmfs || !mine.length) continue;
      const changes: Record<string, unknown> = {};
      const ssd = mine.every((d) => d.ssd), local = mine.every((d) => d.local);
      if (vmfs.ssd !== ssd) changes["info.vmfs.ssd"] = ssd;
      if (vmfs.local !== local) changes["info.vmfs.local"] = local;
      const accessible = mine.every((d) => !d.off);
      const mounts = (ds.props.host as (DataObject & { key: Ref; mountInfo: DataObject & { accessible: boolean } })[]);
      const mine2 = mounts.find((m) => m.key.value === this.host.value);
      if (mine2 && mine2.mountInfo.accessible !== accessible) {
        const next = mounts.map((m) => (m === mine2 ? { ...m, mountInfo: { ...m.mountInfo, accessible } } : m));
        changes.host = next;
        changes["summary.accessible"] = next.some((m) => m.mountInfo.accessible);
      }
      if (Object.keys(changes).length) ds.update(changes);
    }
    this.follow();
  }

  private setLun(canonical: string, change: LunSettings): void {
    this.state = { ...this.state, luns: { ...this.state.luns, [canonical]: { ...this.state.luns[canonical], ...change } } };
    this.settingsChanged();
  }

  private lunByUuid(uuid: unknown): Disk {
    const d = this.diskByUuid(String(uuid ?? ""));
    if (!d) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: no SCSI LUN with UUID ${String(uuid)}.`);
    return d;
  }

  private userName(ctx: CallContext | undefined): string {
    return ctx?.session?.userName ?? "";
  }

  // ---- rescans ----

  RescanAllHba(_args: Args): void {
    this.follow();
  }

  RescanHba(args: Args): void {
    if (!HBAS.some((h) => h.device === args.hbaDevice)) {
      throw new VimFault("NotFound", {}, `The object or item referred to could not be found: host bus adapter ${String(args.hbaDevice)}`);
    }
    this.follow();
  }

  RescanVmfs(_args: Args): void {
    this.follow();
  }

  RefreshStorageSystem(_args: Args): void {
    this.follow();
  }

  // ---- partitions ----

  RetrieveDiskPartitionInfo(args: Args): DataObject[] {
    return ((args.devicePath as string[]) ?? []).map((p) => this.diskByPath(p)).filter((d): d is Disk => !!d && !d.off).map((d) => this.partitionInfo(d));
  }

  /** The table a layout makes, without writing it: each range that is not "none" becomes a partition. */
  ComputeDiskPartitionInfo(args: Args): DataObject {
    const d = this.diskByPath(String(args.devicePath ?? ""));
    if (!d) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: device ${String(args.devicePath)}.`);
    const ranges = ((args.layout as { partition?: Record<string, any>[] } | undefined)?.partition ?? []).filter((r) => r.type !== "none");
    const table = readPartitionSpec(d, {
      partitionFormat: args.partitionFormat ?? "gpt",
      partition: ranges.map((r, i) => ({ partition: r.partition ?? i + 1, startSector: r.start?.block, endSector: r.end?.block, type: r.type })),
    });
    return this.partitionInfo(d, table);
  }

  UpdateDiskPartitions(args: Args): void {
    const d = this.diskByPath(String(args.devicePath ?? ""));
    if (!d) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: device ${String(args.devicePath)}.`);
    const table = readPartitionSpec(d, args.spec);
    const refused = this.refusal(d);
    if (refused) throw refused;
    this.writeTable(d, table);
    this.follow();
  }

  /** A VMFS volume on an existing partition: the new datastore is mounted here (HostDatastoreSystem makes it). */
  FormatVmfs(args: Args, ctx: CallContext): DataObject {
    const spec = (args.createSpec ?? {}) as Record<string, any>;
    const extent = (spec.extent ?? {}) as { diskName?: string; partition?: number };
    const d = this.diskByName(String(extent.diskName ?? ""));
    if (!d) throw hostConfigFault(`No disk ${String(extent.diskName)} on this host.`);
    const refused = this.refusal(d);
    if (refused) throw refused;
    const p = d.table.partitions.find((x) => x.partition === Number(extent.partition));
    if (!p || p.type !== "vmfs") throw hostConfigFault(`Partition ${String(extent.partition)} of ${d.canonical} is not a VMFS partition.`);
    const dss = this.datastoreSystem();
    const plan = dss.checkNewVmfs(spec, "AlreadyExists");
    const ds = dss.newVmfs(plan, [{ disk: d, partition: p }], ctx);
    return (ds.props.info as { vmfs: DataObject }).vmfs;
  }

  // ---- attach and detach ----

  private detach(d: Disk): void {
    if (d.off) throw new VimFault("InvalidState", {}, `The device ${d.canonical} is already detached.`);
    const hostVms = new Set(((this.hostObj()?.props.vm as Ref[] | undefined) ?? []).map((r) => r.value));
    const busy = this.volumesOn(d).find((ds) => ((ds.props.vm as Ref[] | undefined) ?? []).some((v) => hostVms.has(v.value)));
    if (busy) throw new VimFault("ResourceInUse", { type: "Datastore", name: busy.name }, `The device ${d.canonical} backs datastore ${busy.name}, which holds virtual machine files on this host.`);
    this.setLun(d.canonical, { off: true });
  }

  private attach(d: Disk): void {
    if (!d.off) throw new VimFault("InvalidState", {}, `The device ${d.canonical} is already attached.`);
    this.setLun(d.canonical, { off: false });
  }

  DetachScsiLun(args: Args): void {
    this.detach(this.lunByUuid(args.lunUuid));
  }

  AttachScsiLun(args: Args): void {
    this.attach(this.lunByUuid(args.lunUuid));
  }

  /** Each LUN on its own: one HostStorageSystemScsiLunResult per UUID, a fault where that one failed. */
  private lunTask(method: string, description: string, args: Args, ctx: CallContext, op: (d: Disk) => void): Ref {
    return this.sim.tasks.run(this.hostObj() ?? this, method, description, this.userName(ctx), () =>
      ((args.lunUuid as string[]) ?? []).map((key) => {
        try {
          op(this.lunByUuid(key));
          return { _type: "HostStorageSystemScsiLunResult", key };
        } catch (e) {
          if (!(e instanceof VimFault)) throw e;
          return { _type: "HostStorageSystemScsiLunResult", key, fault: { _type: "LocalizedMethodFault", fault: e.fault, localizedMessage: e.message } };
        }
      }), { resultType: { type: "HostStorageSystemScsiLunResult", array: true } });
  }

  DetachScsiLunEx_Task(args: Args, ctx: CallContext): Ref {
    return this.lunTask("DetachScsiLunEx_Task", "host.StorageSystem.detachScsiLunEx", args, ctx, (d) => this.detach(d));
  }

  AttachScsiLunEx_Task(args: Args, ctx: CallContext): Ref {
    return this.lunTask("AttachScsiLunEx_Task", "host.StorageSystem.attachScsiLunEx", args, ctx, (d) => this.attach(d));
  }

  // ---- LUN settings ----

  UpdateScsiLunDisplayName(args: Args): void {
    const d = this.lunByUuid(args.lunUuid);
    const name = String(args.displayName ?? "");
    if (!name.trim() || name.length > 255) throw new VimFault("InvalidName", { name }, `The name '${name}' is not a valid display name.`);
    const taken = (this.props.storageDeviceInfo as { scsiLun: DataObject[] }).scsiLun.find((l) => l.displayName === name && l.canonicalName !== d.canonical);
    if (taken) throw new VimFault("DuplicateName", { name, object: this.ref }, `The name '${name}' already exists.`);
    this.setLun(d.canonical, { displayName: name });
  }

  private markTask(method: string, description: string, args: Args, ctx: CallContext, change: LunSettings): Ref {
    return this.sim.tasks.run(this.hostObj() ?? this, method, description, this.userName(ctx), () => {
      this.setLun(this.lunByUuid(args.scsiDiskUuid).canonical, change);
    });
  }

  MarkAsSsd_Task(args: Args, ctx: CallContext): Ref {
    return this.markTask("MarkAsSsd_Task", "host.StorageSystem.markAsSsd", args, ctx, { ssd: true });
  }

  MarkAsNonSsd_Task(args: Args, ctx: CallContext): Ref {
    return this.markTask("MarkAsNonSsd_Task", "host.StorageSystem.markAsNonSsd", args, ctx, { ssd: false });
  }

  MarkAsLocal_Task(args: Args, ctx: CallContext): Ref {
    return this.markTask("MarkAsLocal_Task", "host.StorageSystem.markAsLocal", args, ctx, { local: true });
  }

  MarkAsNonLocal_Task(args: Args, ctx: CallContext): Ref {
    return this.markTask("MarkAsNonLocal_Task", "host.StorageSystem.markAsNonLocal", args, ctx, { local: false });
  }
}
