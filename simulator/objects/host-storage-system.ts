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
// A VMFS volume can be unmounted and mounted again by UUID: it stays in the
// host's datastore list with mounted=false and accessible=false (as hostd
// shows an unmounted volume), refused while a VM of this host keeps files
// there. The software iSCSI adapter (host-iscsi.ts), disabled paths, LUN
// path selection policies, the NFS 4.1 Kerberos user and the one VFFS volume
// (flash read cache, on blank SSDs only) are state of this object, beside the
// partition tables, and in snapshots.
//
// Choices not confirmed against a real host: detaching a disk whose VMFS
// volume is mounted leaves the volume mounted but inaccessible (hostd may ask
// for an unmount first), refused only while a VM of this host has files there;
// detaching a detached disk or attaching an attached one is InvalidState; a
// detached disk's paths stay listed as they were; RetrieveDiskPartitionInfo
// leaves out unknown and detached devices, and its layouts list partitions
// only, not the free ranges between them. Unmapping an unmounted volume is
// InvalidState; DeleteVmfsVolumeState, DeleteScsiLunState and
// DeleteVffsVolumeState only check (what hostd forgets is not visible
// through the API); ExpandVmfsExtent grows the partition itself into the
// free space after it (hostd expects the table grown first, which this
// object refuses for a disk in use); a resolution spec naming devices with no
// unresolved volume is HostConfigFault; disabling any path, even a LUN's
// last, is allowed; locator LEDs always light; the NFS user's password is not
// kept; the software iSCSI adapter takes IP settings although its
// capabilities say they are not settable (they come from its bound vmknic
// on a real host).
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext, type SavedState } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import type { DiskSpec } from "../inventory/scenario.ts";
import type { HostDatastoreSystem } from "./host-datastore-system.ts";
import { checkAuth, checkDigest, checkDiscovery, checkIp, checkIscsiName, iscsiHba, mergeOptions, newIscsiConfig, readTarget, sameTarget, type IscsiConfig, type IscsiTarget } from "./host-iscsi.ts";

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
  /** paths an administrator disabled, by name */
  disabledPaths: string[];
  /** path selection policies set on LUNs, by LUN uuid */
  policies: Record<string, DataObject>;
  /** the software iSCSI adapter, while enabled */
  iscsi?: IscsiConfig;
  /** the NFS 4.1 Kerberos user (SetNFSUser) */
  nfsUser?: string;
  /** the host's one VFFS (flash read cache) volume */
  vffs?: VffsState;
}

interface VffsState { uuid: string; name: string; majorVersion: number; extent: { diskName: string; partition: number }[]; mounted: boolean }

// what `esxcli storage nmp psp list` and `satp list` name on ESXi 6.x
const PSPS: [string, string][] = [
  ["VMW_PSP_MRU", "Most Recently Used Path Selection"], ["VMW_PSP_RR", "Round Robin Path Selection"], ["VMW_PSP_FIXED", "Fixed Path Selection"],
];
const SATPS: [string, string][] = [
  ["VMW_SATP_MSA", "Placeholder (plugin not loaded)"], ["VMW_SATP_ALUA", "Supports non-specific arrays that use the ALUA protocol"],
  ["VMW_SATP_DEFAULT_AP", "Placeholder (plugin not loaded)"], ["VMW_SATP_SVC", "Placeholder (plugin not loaded)"],
  ["VMW_SATP_EQL", "Placeholder (plugin not loaded)"], ["VMW_SATP_INV", "Placeholder (plugin not loaded)"],
  ["VMW_SATP_EVA", "Placeholder (plugin not loaded)"], ["VMW_SATP_ALUA_CX", "Placeholder (plugin not loaded)"],
  ["VMW_SATP_SYMM", "Placeholder (plugin not loaded)"], ["VMW_SATP_CX", "Placeholder (plugin not loaded)"],
  ["VMW_SATP_LSI", "Placeholder (plugin not loaded)"], ["VMW_SATP_DEFAULT_AA", "Supports non-specific active/active arrays"],
  ["VMW_SATP_LOCAL", "Supports direct attached devices"],
];
const FIRST_SOFTWARE_HBA = 64;
// unmap bandwidth limits of ESXi 6.7, MB/s
const UNMAP_MB = { min: 100, max: 2000 };

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
      disabledPaths: [],
      policies: {},
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
    return !d.off && !d.table.partitions.some((p) => p.type === "vmfs") && !this.volumesOn(d).length && !this.inVffs(d);
  }

  /** Why `d` cannot take a new partition table or volume, if it cannot. */
  refusal(d: Disk): VimFault | undefined {
    if (d.off) return hostConfigFault(`The device ${d.canonical} is detached.`);
    const used = this.volumesOn(d)[0];
    if (used) return hostConfigFault(`The device ${d.canonical} is in use by the VMFS datastore ${used.name}: its partitions cannot be changed.`);
    if (this.inVffs(d)) return hostConfigFault(`The device ${d.canonical} is in use by the VFFS volume ${this.state.vffs!.name}: its partitions cannot be changed.`);
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
    const hbas: DataObject[] = HBAS.map((h) => ({
      _type: "HostBlockHba", key: `key-vim.host.BlockHba-${h.device}`, device: h.device, bus: 0, status: "unknown",
      model: "Lewisburg SATA AHCI Controller", driver: "vmw_ahci", pci: h.pci,
    }));
    if (this.state.iscsi) hbas.push(iscsiHba(this.state.iscsi));
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
      const on = !this.state.disabledPaths.includes(pathName);
      const path = {
        _type: "HostMultipathInfoPath", key: `key-vim.host.MultipathInfo.Path-${pathName}`, name: pathName, pathState: on ? "active" : "disabled", state: on ? "active" : "disabled",
        isWorkingPath: on, adapter: `key-vim.host.BlockHba-${hba}`, lun: unitKey, transport: { _type: "HostBlockAdapterTargetTransport" },
      };
      paths.push(path);
      units.push({
        _type: "HostMultipathInfoLogicalUnit", key: unitKey, id: d.uuid, lun: key, path: [path],
        policy: this.state.policies[d.uuid] ?? { _type: "HostMultipathInfoFixedLogicalUnitPolicy", policy: "VMW_PSP_FIXED", prefer: pathName },
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
    const vffs = this.state.vffs;
    if (vffs) {
      mountInfo.push({
        _type: "HostFileSystemMountInfo",
        mountInfo: { _type: "HostMountInfo", path: `/vmfs/volumes/${vffs.uuid}`, accessMode: "readWrite", mounted: vffs.mounted, accessible: vffs.mounted },
        volume: { _type: "HostVffsVolume", type: "VFFS", name: vffs.name, capacity: this.vffsCapacity(vffs), majorVersion: vffs.majorVersion, version: `${vffs.majorVersion}.00`, uuid: vffs.uuid, extent: vffs.extent.map((e) => ({ _type: "HostScsiDiskPartition", ...e })) } as never,
        vStorageSupport: "vStorageUnsupported",
      });
    }
    return {
      storageDeviceInfo: {
        _type: "HostStorageDeviceInfo",
        hostBusAdapter: hbas,
        scsiLun: luns,
        scsiTopology: {
          _type: "HostScsiTopology",
          adapter: hbas.map((h) => ({ _type: "HostScsiTopologyInterface", key: `key-vim.host.ScsiTopology.Interface-${h.device}`, adapter: h.key, target: targets[String(h.device)] ?? [] })),
        },
        multipathInfo: { _type: "HostMultipathInfo", lun: units },
        softwareInternetScsiEnabled: !!this.state.iscsi,
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
      const mounts = (ds.props.host as (DataObject & { key: Ref; mountInfo: DataObject & { accessible: boolean; mounted?: boolean } })[]);
      const mine2 = mounts.find((m) => m.key.value === this.host.value);
      const accessible = mine.every((d) => !d.off) && mine2?.mountInfo.mounted !== false;
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
    if (!HBAS.some((h) => h.device === args.hbaDevice) && this.state.iscsi?.device !== args.hbaDevice) {
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

  // ---- VMFS volumes ----

  /** The VMFS datastore this host knows by volume UUID (mounted or not), or NotFound. */
  private volumeByUuid(uuid: unknown): DatastoreLike & { mount: DataObject & { mounted: boolean; accessible: boolean } } {
    const ds = this.mounted().find((x) => this.vmfsOf(x) && (this.vmfsOf(x) as { uuid?: string }).uuid === String(uuid ?? ""));
    const mount = ds && (ds.props.host as (DataObject & { key: Ref; mountInfo: DataObject & { mounted: boolean; accessible: boolean } })[]).find((m) => m.key.value === this.host.value)?.mountInfo;
    if (!ds || !mount) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: no VMFS volume with UUID ${String(uuid)} on this host.`);
    return Object.assign(ds, { mount });
  }

  /** A VM registered on this host with files on `ds`: the volume is in use. */
  private busyOn(ds: DatastoreLike): VimFault | undefined {
    const hostVms = new Set(((this.hostObj()?.props.vm as Ref[] | undefined) ?? []).map((r) => r.value));
    if (((ds.props.vm as Ref[] | undefined) ?? []).some((v) => hostVms.has(v.value))) {
      return new VimFault("ResourceInUse", { type: "Datastore", name: ds.name }, `The resource '${ds.name}' is in use: virtual machines on this host have files on it.`);
    }
    return undefined;
  }

  private setMounted(ds: DatastoreLike, mounted: boolean): void {
    const mounts = ds.props.host as (DataObject & { key: Ref; mountInfo: DataObject })[];
    const next = mounts.map((m) => (m.key.value === this.host.value ? { ...m, mountInfo: { ...m.mountInfo, mounted, accessible: mounted } } : m));
    ds.update({ host: next, "summary.accessible": next.some((m) => (m.mountInfo as unknown as { accessible: boolean }).accessible) });
    // a remounted volume is accessible only while its disks are attached
    this.settingsChanged();
  }

  private unmountVolume(uuid: unknown): void {
    const ds = this.volumeByUuid(uuid);
    if (!ds.mount.mounted) throw new VimFault("InvalidState", {}, `The VMFS volume ${ds.name} is not mounted on this host.`);
    const busy = this.busyOn(ds);
    if (busy) throw busy;
    this.setMounted(ds, false);
  }

  private mountVolume(uuid: unknown): void {
    const ds = this.volumeByUuid(uuid);
    if (ds.mount.mounted) throw new VimFault("InvalidState", {}, `The VMFS volume ${ds.name} is already mounted on this host.`);
    this.setMounted(ds, true);
  }

  UnmountVmfsVolume(args: Args): void {
    this.unmountVolume(args.vmfsUuid);
  }

  MountVmfsVolume(args: Args): void {
    this.mountVolume(args.vmfsUuid);
  }

  /** Each volume on its own: one HostStorageSystemVmfsVolumeResult per UUID, with the fault where that one failed. */
  private volumeTask(method: string, description: string, args: Args, ctx: CallContext, op: (uuid: string) => void): Ref {
    return this.sim.tasks.run(this.hostObj() ?? this, method, description, this.userName(ctx), () =>
      ((args.vmfsUuid as string[]) ?? []).map((key) => {
        try {
          op(key);
          return { _type: "HostStorageSystemVmfsVolumeResult", key };
        } catch (e) {
          if (!(e instanceof VimFault)) throw e;
          return { _type: "HostStorageSystemVmfsVolumeResult", key, fault: { _type: "LocalizedMethodFault", fault: e.fault, localizedMessage: e.message } };
        }
      }), { resultType: { type: "HostStorageSystemVmfsVolumeResult", array: true } });
  }

  UnmountVmfsVolumeEx_Task(args: Args, ctx: CallContext): Ref {
    return this.volumeTask("UnmountVmfsVolumeEx_Task", "host.StorageSystem.unmountVmfsVolumeEx", args, ctx, (u) => this.unmountVolume(u));
  }

  MountVmfsVolumeEx_Task(args: Args, ctx: CallContext): Ref {
    return this.volumeTask("MountVmfsVolumeEx_Task", "host.StorageSystem.mountVmfsVolumeEx", args, ctx, (u) => this.mountVolume(u));
  }

  /** Reclaiming free blocks changes nothing a client sees; an unmounted volume cannot be unmapped. */
  UnmapVmfsVolumeEx_Task(args: Args, ctx: CallContext): Ref {
    return this.volumeTask("UnmapVmfsVolumeEx_Task", "host.StorageSystem.unmapVmfsVolumeEx", args, ctx, (u) => {
      const ds = this.volumeByUuid(u);
      if (!ds.mount.mounted || !ds.mount.accessible) throw new VimFault("InvalidState", {}, `The VMFS volume ${ds.name} is not mounted and accessible on this host.`);
    });
  }

  /**
   * Automatic unmap is a VMFS 6 setting. The method declares no faults: an
   * unknown UUID or a VMFS 5 volume is InvalidArgument here (not confirmed).
   */
  private vmfs6(uuid: unknown): DatastoreLike {
    const ds = this.mounted().find((x) => (this.vmfsOf(x) as { uuid?: string } | undefined)?.uuid === String(uuid ?? ""));
    if (!ds) throw new VimFault("InvalidArgument", { invalidProperty: "vmfsUuid" }, `A specified parameter was not correct: vmfsUuid (${String(uuid)})`);
    if (((this.vmfsOf(ds) as { majorVersion?: number }).majorVersion ?? 5) < 6) throw new VimFault("InvalidArgument", { invalidProperty: "vmfsUuid" }, `A specified parameter was not correct: vmfsUuid (${ds.name} is VMFS 5: space reclamation settings need VMFS 6)`);
    return ds;
  }

  UpdateVmfsUnmapPriority(args: Args): void {
    const ds = this.vmfs6(args.vmfsUuid);
    const priority = String(args.unmapPriority ?? "");
    if (!["none", "low"].includes(priority)) throw new VimFault("InvalidArgument", { invalidProperty: "unmapPriority" }, `A specified parameter was not correct: unmapPriority (${priority})`);
    ds.update({ "info.vmfs.unmapPriority": priority });
    this.follow();
  }

  UpdateVmfsUnmapBandwidth(args: Args): void {
    const ds = this.vmfs6(args.vmfsUuid);
    const spec = (args.unmapBandwidthSpec ?? {}) as Record<string, unknown>;
    const [lo, hi] = [UNMAP_MB.min, UNMAP_MB.max];
    const n = (k: string) => Number(spec[k] ?? 0);
    const bad = (k: string) => new VimFault("InvalidArgument", { invalidProperty: `unmapBandwidthSpec.${k}` }, `A specified parameter was not correct: unmapBandwidthSpec.${k}`);
    if (spec.policy !== "fixed" && spec.policy !== "dynamic") throw bad("policy");
    if (spec.policy === "fixed" && (n("fixedValue") < lo || n("fixedValue") > hi)) throw bad("fixedValue");
    if (spec.policy === "dynamic") {
      if (n("dynamicMin") < lo || n("dynamicMin") > hi) throw bad("dynamicMin");
      if (n("dynamicMax") < n("dynamicMin") || n("dynamicMax") > hi) throw bad("dynamicMax");
    }
    ds.update({ "info.vmfs.unmapBandwidthSpec": { _type: "VmfsUnmapBandwidthSpec", policy: spec.policy, fixedValue: n("fixedValue"), dynamicMin: n("dynamicMin"), dynamicMax: n("dynamicMax") } });
    this.follow();
  }

  /** VMFS 6's block size and unmap settings (1 MiB blocks, 1 MiB unmap granularity; bandwidth in MB/s from 6.7). */
  QueryVmfsConfigOption(_args: Args): DataObject[] {
    const bw = Number.parseFloat(this.sim.scenario.about.apiVersion) >= 6.7;
    const opt = (def: number) => ({ _type: "LongOption", valueIsReadonly: false, min: UNMAP_MB.min, max: UNMAP_MB.max, defaultValue: def });
    return [{
      _type: "VmfsConfigOption", blockSizeOption: 1024, unmapGranularityOption: [1024],
      ...(bw ? { unmapBandwidthFixedValue: opt(UNMAP_MB.min), unmapBandwidthDynamicMin: opt(UNMAP_MB.min), unmapBandwidthDynamicMax: opt(UNMAP_MB.max), unmapBandwidthIncrement: 100 } : {}),
    }];
  }

  /** A volume named the way vmfsPath arguments name it: /vmfs/volumes/<uuid or name>, or the bare name. */
  volumeByPath(path: unknown): DatastoreLike | undefined {
    const p = String(path ?? "").replace(/^\/vmfs\/volumes\//, "").replace(/\/$/, "");
    return this.mounted().find((ds) => this.vmfsOf(ds) && (ds.uuid === p || ds.name === p || (this.vmfsOf(ds) as { uuid?: string }).uuid === p));
  }

  private volumeAt(path: unknown): DatastoreLike {
    const ds = this.volumeByPath(path);
    if (!ds) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: no VMFS volume at ${String(path)}.`);
    return ds;
  }

  /** VMFS 3 upgrades in place to VMFS 5; a VMFS 5 or 6 volume has nothing to upgrade to (6 is a new format, not an upgrade). */
  UpgradeVmfs(args: Args): void {
    const ds = this.volumeAt(args.vmfsPath);
    const vmfs = this.vmfsOf(ds) as { majorVersion?: number };
    if ((vmfs.majorVersion ?? 5) !== 3) throw hostConfigFault(`The VMFS volume ${ds.name} is already at VMFS ${vmfs.majorVersion ?? 5}: it cannot be upgraded.`);
    ds.update({ "info.vmfs.majorVersion": 5, "info.vmfs.version": "5.61", "info.vmfs.vmfsUpgradable": false });
    this.follow();
  }

  /** VMs' directories were laid out for VMFS 3 on ESX 2.x; nothing on these volumes predates that. */
  UpgradeVmLayout(_args: Args): void {}

  /** A VMFS partition of a blank disk joins the volume, as ExtendVmfsDatastore does once the table is written. */
  AttachVmfsExtent(args: Args, ctx: CallContext): void {
    const ds = this.volumeAt(args.vmfsPath);
    const extent = (args.extent ?? {}) as { diskName?: string; partition?: number };
    const d = this.diskByName(String(extent.diskName ?? ""));
    if (!d) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: no disk ${String(extent.diskName)}.`);
    const refused = this.refusal(d);
    if (refused) throw refused;
    const p = d.table.partitions.find((x) => x.partition === Number(extent.partition));
    if (!p || p.type !== "vmfs") throw hostConfigFault(`Partition ${String(extent.partition)} of ${d.canonical} is not a VMFS partition.`);
    this.datastoreSystem().addExtent(ds, d, p, ctx);
  }

  /** The extent's partition grows into the free space after it and the volume with it, as ExpandVmfsDatastore does. */
  ExpandVmfsExtent(args: Args, ctx: CallContext): void {
    const ds = this.volumeAt(args.vmfsPath);
    const extent = (args.extent ?? {}) as { diskName?: string; partition?: number };
    const d = this.diskByName(String(extent.diskName ?? ""));
    if (!d) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: no disk ${String(extent.diskName)}.`);
    const n = Number(extent.partition);
    if (!(this.vmfsOf(ds)?.extent ?? []).some((e) => e.diskName === d.canonical && e.partition === n)) throw hostConfigFault(`Partition ${n} of ${d.canonical} is not an extent of ${ds.name}.`);
    this.datastoreSystem().expandExtent(ds, d, n, ctx);
  }

  /** The partition's table with `partition` ending where blockRange ends, without writing it. */
  ComputeDiskPartitionInfoForResize(args: Args): DataObject {
    const part = (args.partition ?? {}) as { diskName?: string; partition?: number };
    const d = this.diskByName(String(part.diskName ?? ""));
    const p = d?.table.partitions.find((x) => x.partition === Number(part.partition));
    if (!d || !p) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: partition ${String(part.partition)} of ${String(part.diskName)}.`);
    const range = (args.blockRange ?? {}) as { start?: { block?: number }; end?: { block?: number } };
    const start = range.start?.block ?? p.startSector;
    if (Number(start) !== p.startSector) throw hostConfigFault(`Partition ${p.partition} of ${d.canonical} starts at sector ${p.startSector}: a resize keeps its start.`);
    const table = readPartitionSpec(d, {
      partitionFormat: args.partitionFormat ?? (d.table.format === "unknown" ? "gpt" : d.table.format),
      partition: d.table.partitions.map((x) => (x === p ? { ...x, endSector: Number(range.end?.block) } : x)),
    });
    return this.partitionInfo(d, table);
  }

  /**
   * Forgetting an unmounted volume's state (for a device that is being
   * detached for good). What hostd keeps is not visible through the API: the
   * checks are all there is (HostConfigFault, the one fault it declares).
   */
  DeleteVmfsVolumeState(args: Args): void {
    const ds = this.mounted().find((x) => (this.vmfsOf(x) as { uuid?: string } | undefined)?.uuid === String(args.vmfsUuid ?? ""));
    if (!ds) throw hostConfigFault(`No VMFS volume with UUID ${String(args.vmfsUuid)} on this host.`);
    const mount = (ds.props.host as { key: Ref; mountInfo: { mounted: boolean } }[]).find((m) => m.key.value === this.host.value);
    if (mount?.mountInfo.mounted) throw hostConfigFault(`The VMFS volume ${ds.name} is mounted: unmount it first.`);
  }

  /** As DeleteVmfsVolumeState, for a detached device. */
  DeleteScsiLunState(args: Args): void {
    const d = this.diskByName(String(args.lunCanonicalName ?? ""));
    if (!d) throw hostConfigFault(`No SCSI LUN ${String(args.lunCanonicalName)} on this host.`);
    if (!d.off) throw hostConfigFault(`The device ${d.canonical} is attached: detach it first.`);
  }

  // ---- unresolved (snapshot) volumes: this host's disks never hold one ----

  QueryUnresolvedVmfsVolume(_args: Args): DataObject[] {
    return [];
  }

  /** Checks a resolution spec: every device it names is one no unresolved volume is on, which hostd refuses. */
  resolutionRefused(spec: Record<string, any> | undefined, resignatureOnly = false): VimFault {
    const how = spec?.uuidResolution;
    if (!resignatureOnly && how !== "resignature" && how !== "forceMount") return new VimFault("InvalidArgument", { invalidProperty: "resolutionSpec.uuidResolution" }, `A specified parameter was not correct: resolutionSpec.uuidResolution (${String(how)})`);
    const paths = (spec?.extentDevicePath as string[] | undefined) ?? [];
    if (!paths.length) return new VimFault("InvalidArgument", { invalidProperty: "resolutionSpec.extentDevicePath" }, "A specified parameter was not correct: resolutionSpec.extentDevicePath");
    return hostConfigFault(`No unresolved VMFS volume has an extent on ${paths.join(", ")}.`);
  }

  ResolveMultipleUnresolvedVmfsVolumes(args: Args): DataObject[] {
    const specs = (args.resolutionSpec as Record<string, any>[]) ?? [];
    if (!specs.length) return [];
    throw this.resolutionRefused(specs[0]);
  }

  ResolveMultipleUnresolvedVmfsVolumesEx_Task(args: Args, ctx: CallContext): Ref {
    return this.sim.tasks.run(this.hostObj() ?? this, "ResolveMultipleUnresolvedVmfsVolumesEx_Task", "host.StorageSystem.resolveMultipleUnresolvedVmfsVolumesEx", this.userName(ctx),
      () => this.ResolveMultipleUnresolvedVmfsVolumes(args), { resultType: { type: "HostUnresolvedVmfsResolutionResult", array: true } });
  }

  /** No volume here was force-mounted: a known one is refused, an unknown one is NotFound. */
  UnmountForceMountedVmfsVolume(args: Args): void {
    const ds = this.volumeByUuid(args.vmfsUuid);
    throw hostConfigFault(`The VMFS volume ${ds.name} was not force-mounted.`);
  }

  // ---- software iSCSI ----

  private iscsi(device: unknown): IscsiConfig {
    const c = this.state.iscsi;
    if (!c || c.device !== String(device ?? "")) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: iSCSI adapter ${String(device)}.`);
    return c;
  }

  private setIscsi(c: IscsiConfig | undefined): void {
    this.state = { ...this.state, iscsi: c };
    this.follow();
  }

  /**
   * Turning the software adapter on adds it (vmhba64, the first number
   * esxcli gives a software adapter) with a seeded IQN; turning it off
   * removes it with its configuration. hostd refuses that while a mounted
   * datastore lives on its LUNs; this adapter's targets expose none.
   */
  UpdateSoftwareInternetScsiEnabled(args: Args): void {
    const on = args.enabled === true || args.enabled === "true";
    if (on === !!this.state.iscsi) return;
    if (!on) return this.setIscsi(undefined);
    const used = new Set(HBAS.map((h) => h.device));
    let n = FIRST_SOFTWARE_HBA;
    while (used.has(`vmhba${n}`)) n++;
    const hostName = String(this.hostObj()?.get("name") ?? this.host.value);
    const short = hostName.split(".")[0]!.toLowerCase().replace(/[^a-z0-9-]/g, "");
    this.setIscsi(newIscsiConfig(`vmhba${n}`, `iqn.1998-01.com.vmware:${short}-${this.sim.ids.hex("iscsi", hostName, 8)}`));
  }

  UpdateInternetScsiName(args: Args): void {
    const c = this.iscsi(args.iScsiHbaDevice);
    this.setIscsi({ ...c, name: checkIscsiName(args.iScsiName) });
  }

  UpdateInternetScsiAlias(args: Args): void {
    const c = this.iscsi(args.iScsiHbaDevice);
    const alias = String(args.iScsiAlias ?? "");
    if (alias.length > 255) throw new VimFault("InvalidArgument", { invalidProperty: "iScsiAlias" }, "A specified parameter was not correct: iScsiAlias");
    this.setIscsi({ ...c, alias });
  }

  UpdateInternetScsiDiscoveryProperties(args: Args): void {
    const c = this.iscsi(args.iScsiHbaDevice);
    this.setIscsi({ ...c, discovery: checkDiscovery(args.discoveryProperties as Record<string, any>) });
  }

  UpdateInternetScsiIPProperties(args: Args): void {
    const c = this.iscsi(args.iScsiHbaDevice);
    this.setIscsi({ ...c, ip: checkIp(args.ipProperties as Record<string, any>) });
  }

  /** A setting for the adapter, or for the targets of targetSet (each must be configured). */
  private perTarget(c: IscsiConfig, set: Record<string, any> | undefined, change: (t: IscsiTarget) => IscsiTarget, adapter: (c: IscsiConfig) => IscsiConfig): IscsiConfig {
    const statics = ((set?.staticTargets as Record<string, any>[]) ?? []).map((t, i) => readTarget(t, `targetSet.staticTargets[${i}]`, true));
    const sends = ((set?.sendTargets as Record<string, any>[]) ?? []).map((t, i) => readTarget(t, `targetSet.sendTargets[${i}]`, false));
    if (!statics.length && !sends.length) return adapter(c);
    for (const t of statics) if (!c.staticTargets.some((x) => sameTarget(x, t))) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: static target ${t.address}:${t.port} ${t.iScsiName}.`);
    for (const t of sends) if (!c.sendTargets.some((x) => sameTarget(x, t))) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: send target ${t.address}:${t.port}.`);
    return {
      ...c,
      staticTargets: c.staticTargets.map((x) => (statics.some((t) => sameTarget(x, t)) ? change(x) : x)),
      sendTargets: c.sendTargets.map((x) => (sends.some((t) => sameTarget(x, t)) ? change(x) : x)),
    };
  }

  UpdateInternetScsiAuthenticationProperties(args: Args): void {
    const c = this.iscsi(args.iScsiHbaDevice);
    const auth = checkAuth(args.authenticationProperties as Record<string, any>);
    this.setIscsi(this.perTarget(c, args.targetSet as Record<string, any>, (t) => ({ ...t, auth }), (x) => ({ ...x, auth: { ...auth, chapInherited: false, mutualChapInherited: false } })));
  }

  UpdateInternetScsiDigestProperties(args: Args): void {
    const c = this.iscsi(args.iScsiHbaDevice);
    const digest = checkDigest(args.digestProperties as Record<string, any>);
    this.setIscsi(this.perTarget(c, args.targetSet as Record<string, any>, (t) => ({ ...t, digest }), (x) => ({ ...x, digest: { ...digest, headerDigestInherited: false, dataDigestInherited: false } })));
  }

  UpdateInternetScsiAdvancedOptions(args: Args): void {
    const c = this.iscsi(args.iScsiHbaDevice);
    const given = args.options as Record<string, any>[];
    mergeOptions([], given);
    this.setIscsi(this.perTarget(c, args.targetSet as Record<string, any>, (t) => ({ ...t, options: mergeOptions(t.options ?? [], given) }), (x) => ({ ...x, options: mergeOptions(x.options, given) })));
  }

  private targets(args: Args, isStatic: boolean, add: boolean): void {
    const c = this.iscsi(args.iScsiHbaDevice);
    const key = isStatic ? "staticTargets" : "sendTargets";
    const given = ((args.targets as Record<string, any>[]) ?? []).map((t, i) => readTarget(t, `targets[${i}]`, isStatic));
    let list = c[key];
    for (const t of given) {
      const has = list.some((x) => sameTarget(x, t));
      if (add) { if (!has) list = [...list, t]; continue; }
      if (!has) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: target ${t.address}:${t.port}${t.iScsiName ? ` ${t.iScsiName}` : ""}.`);
      list = list.filter((x) => !sameTarget(x, t));
    }
    this.setIscsi({ ...c, [key]: list });
  }

  AddInternetScsiSendTargets(args: Args): void {
    this.targets(args, false, true);
  }

  RemoveInternetScsiSendTargets(args: Args): void {
    this.targets(args, false, false);
  }

  AddInternetScsiStaticTargets(args: Args): void {
    this.targets(args, true, true);
  }

  RemoveInternetScsiStaticTargets(args: Args): void {
    this.targets(args, true, false);
  }

  /** Marks an adapter to be taken out at the next reboot; nothing about it changes before then. */
  MarkForRemoval(args: Args): void {
    const name = String(args.hbaName ?? "");
    if (!HBAS.some((h) => h.device === name) && this.state.iscsi?.device !== name) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: host bus adapter ${name}.`);
  }

  /** FCoE needs a NIC with an FCoE offload; the host's ixgbe uplinks are plain 10 GbE here. */
  DiscoverFcoeHbas(args: Args): void {
    const pnic = String((args.fcoeSpec as { underlyingPnic?: string } | undefined)?.underlyingPnic ?? "");
    const pnics = ((this.hostObj()?.props.config as { network?: { pnic?: { device: string }[] } } | undefined)?.network?.pnic ?? []).map((p) => p.device);
    if (!pnics.includes(pnic)) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: physical NIC ${pnic}.`);
    throw hostConfigFault(`The physical NIC ${pnic} is not FCoE capable.`);
  }

  // ---- multipathing ----

  private pathNames(): string[] {
    return (this.props.multipathStateInfo as { path: { name: string }[] }).path.map((p) => p.name);
  }

  private setPath(args: Args, on: boolean): void {
    const name = String(args.pathName ?? "").replace(/^key-vim\.host\.MultipathInfo\.Path-/, "");
    if (!this.pathNames().includes(name)) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: path ${String(args.pathName)}.`);
    const rest = this.state.disabledPaths.filter((p) => p !== name);
    this.state = { ...this.state, disabledPaths: on ? rest : [...rest, name] };
    this.follow();
  }

  EnableMultipathPath(args: Args): void {
    this.setPath(args, true);
  }

  DisableMultipathPath(args: Args): void {
    this.setPath(args, false);
  }

  SetMultipathLunPolicy(args: Args): void {
    const id = String(args.lunId ?? "");
    const unit = (this.props.storageDeviceInfo as { multipathInfo: { lun: { id: string; path: { name: string }[] }[] } }).multipathInfo.lun.find((u) => u.id === id);
    if (!unit) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: logical unit ${id}.`);
    const p = (args.policy ?? {}) as { policy?: string; prefer?: string };
    if (!PSPS.some(([k]) => k === p.policy)) throw new VimFault("InvalidArgument", { invalidProperty: "policy.policy" }, `A specified parameter was not correct: policy.policy (${String(p.policy)})`);
    let policy: DataObject = { _type: "HostMultipathInfoLogicalUnitPolicy", policy: p.policy };
    if (p.policy === "VMW_PSP_FIXED") {
      const prefer = p.prefer ?? unit.path[0]!.name;
      if (!unit.path.some((x) => x.name === prefer)) throw new VimFault("InvalidArgument", { invalidProperty: "policy.prefer" }, `A specified parameter was not correct: policy.prefer (${prefer})`);
      policy = { _type: "HostMultipathInfoFixedLogicalUnitPolicy", policy: p.policy, prefer };
    }
    this.state = { ...this.state, policies: { ...this.state.policies, [id]: policy } };
    this.follow();
  }

  QueryPathSelectionPolicyOptions(_args: Args): DataObject[] {
    return PSPS.map(([key, summary]) => ({ _type: "HostPathSelectionPolicyOption", policy: { _type: "ElementDescription", key, label: key, summary } }));
  }

  QueryStorageArrayTypePolicyOptions(_args: Args): DataObject[] {
    return SATPS.map(([key, summary]) => ({ _type: "HostStorageArrayTypePolicyOption", policy: { _type: "ElementDescription", key, label: key, summary } }));
  }

  /** One result per disk: an unknown UUID is NotFound there. The LED's state is not a property, so nothing else changes. */
  private ledTask(method: string, description: string, args: Args, ctx: CallContext): Ref {
    return this.sim.tasks.run(this.hostObj() ?? this, method, description, this.userName(ctx), () =>
      ((args.scsiDiskUuids as string[]) ?? []).map((key) => {
        if (this.diskByUuid(key)) return { _type: "HostStorageSystemDiskLocatorLedResult", key };
        const e = new VimFault("NotFound", {}, `The object or item referred to could not be found: no SCSI disk with UUID ${key}.`);
        return { _type: "HostStorageSystemDiskLocatorLedResult", key, fault: { _type: "LocalizedMethodFault", fault: e.fault, localizedMessage: e.message } };
      }), { resultType: { type: "HostStorageSystemDiskLocatorLedResult", array: true } });
  }

  TurnDiskLocatorLedOn_Task(args: Args, ctx: CallContext): Ref {
    return this.ledTask("TurnDiskLocatorLedOn_Task", "host.StorageSystem.turnDiskLocatorLedOn", args, ctx);
  }

  TurnDiskLocatorLedOff_Task(args: Args, ctx: CallContext): Ref {
    return this.ledTask("TurnDiskLocatorLedOff_Task", "host.StorageSystem.turnDiskLocatorLedOff", args, ctx);
  }

  // ---- NFS 4.1 Kerberos credentials ----

  /** The host's one Kerberos user for NFS 4.1 mounts (esxcli storage nfs41 ... sec=SEC_KRB5); the password is not kept. */
  SetNFSUser(args: Args): void {
    const user = String(args.user ?? "");
    if (!user.trim()) throw new VimFault("InvalidArgument", { invalidProperty: "user" }, "A specified parameter was not correct: user");
    if (!String(args.password ?? "")) throw new VimFault("InvalidArgument", { invalidProperty: "password" }, "A specified parameter was not correct: password");
    this.state = { ...this.state, nfsUser: user };
  }

  ChangeNFSUserPassword(args: Args): void {
    if (!this.state.nfsUser) throw new VimFault("NotFound", {}, "The object or item referred to could not be found: no NFS user is set on this host.");
    if (!String(args.password ?? "")) throw new VimFault("InvalidArgument", { invalidProperty: "password" }, "A specified parameter was not correct: password");
  }

  QueryNFSUser(_args: Args): DataObject | undefined {
    return this.state.nfsUser ? { _type: "HostNasVolumeUserInfo", user: this.state.nfsUser } : undefined;
  }

  ClearNFSUser(_args: Args): void {
    this.state = { ...this.state, nfsUser: undefined };
  }

  // ---- VFFS (flash read cache) ----

  private inVffs(d: Disk): boolean {
    return !!this.state.vffs?.extent.some((e) => e.diskName === d.canonical);
  }

  private vffsCapacity(v: VffsState): number {
    return v.extent.reduce((n, e) => n + (this.extentBytes(e) ?? 0), 0);
  }

  private vffsAt(path: unknown): VffsState {
    const v = this.state.vffs;
    const p = String(path ?? "").replace(/^\/vmfs\/volumes\//, "").replace(/\/$/, "");
    if (!v || (p !== v.uuid && p !== v.name)) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: no VFFS volume at ${String(path)}.`);
    return v;
  }

  /** A flash disk for VFFS: attached, solid state, nothing on it (hostd formats VFFS on SSDs only). */
  private flashDisk(devicePath: unknown): Disk {
    const d = this.diskByPath(String(devicePath ?? ""));
    if (!d) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: device ${String(devicePath)}.`);
    const refused = this.refusal(d);
    if (refused) throw refused;
    if (!d.ssd) throw hostConfigFault(`The device ${d.canonical} is not a flash device: VFFS needs one.`);
    if (d.table.partitions.length) throw new VimFault("ResourceInUse", { type: "ScsiDisk", name: d.canonical }, `The resource '${d.canonical}' is in use: it has partitions.`);
    return d;
  }

  private vffsPartition(d: Disk, spec: Record<string, any> | undefined): PartitionTable {
    const table = spec ? readPartitionSpec(d, spec) : { format: "gpt" as const, partitions: [{ partition: 1, startSector: FIRST_SECTOR, endSector: lastUsable(d.blocks), type: "vffs" }] };
    if (table.partitions.length !== 1 || table.partitions[0]!.type !== "vffs") throw hostConfigFault(`The partition table for ${d.canonical} must hold one VFFS partition.`);
    return table;
  }

  FormatVffs(args: Args): DataObject {
    const spec = (args.createSpec ?? {}) as Record<string, any>;
    const name = String(spec.volumeName ?? "");
    if (this.state.vffs) throw new VimFault("AlreadyExists", { name: this.state.vffs.name }, `The specified key, name, or identifier '${this.state.vffs.name}' already exists.`);
    if (!name.trim() || name.length > 42 || /[/\\%]/.test(name)) throw new VimFault("InvalidArgument", { invalidProperty: "createSpec.volumeName" }, `A specified parameter was not correct: createSpec.volumeName`);
    if (Number(spec.majorVersion) !== 1) throw new VimFault("InvalidArgument", { invalidProperty: "createSpec.majorVersion" }, `A specified parameter was not correct: createSpec.majorVersion (VFFS ${String(spec.majorVersion)})`);
    const d = this.flashDisk(spec.devicePath);
    const table = this.vffsPartition(d, spec.partition);
    const hostName = String(this.hostObj()?.get("name") ?? "");
    const key = `${hostName}/${d.canonical}/${this.sim.ids.next("vffs-volume")}`;
    const uuid = `${this.sim.ids.hex("vffs", key, 8)}-${this.sim.ids.hex("vffs2", key, 8)}-${this.sim.ids.hex("vffs3", key, 4)}-${this.sim.ids.hex("vffs4", key, 12)}`;
    this.writeTable(d, table);
    this.state = { ...this.state, vffs: { uuid, name, majorVersion: 1, extent: [{ diskName: d.canonical, partition: table.partitions[0]!.partition }], mounted: true } };
    this.follow();
    return this.vffsVolume();
  }

  private vffsVolume(): DataObject {
    return (this.props.fileSystemVolumeInfo as { mountInfo: { volume: DataObject }[] }).mountInfo.find((m) => m.volume._type === "HostVffsVolume")!.volume;
  }

  ExtendVffs(args: Args): void {
    const v = this.vffsAt(args.vffsPath);
    const d = this.flashDisk(args.devicePath);
    const table = this.vffsPartition(d, args.spec as Record<string, any> | undefined);
    this.writeTable(d, table);
    this.state = { ...this.state, vffs: { ...v, extent: [...v.extent, { diskName: d.canonical, partition: table.partitions[0]!.partition }] } };
    this.follow();
  }

  /** The volume and its partitions go; flash read cache reservations of VMs are not modelled, so none hold it. */
  DestroyVffs(args: Args): void {
    const v = this.vffsAt(args.vffsPath);
    const tables = { ...this.state.tables };
    for (const e of v.extent) delete tables[e.diskName];
    this.state = { ...this.state, tables, vffs: undefined };
    this.follow();
  }

  private mountVffs(uuid: unknown, mounted: boolean): void {
    const v = this.state.vffs;
    if (!v || v.uuid !== String(uuid ?? "")) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: no VFFS volume with UUID ${String(uuid)}.`);
    if (v.mounted === mounted) throw new VimFault("InvalidState", {}, `The VFFS volume ${v.name} is already ${mounted ? "mounted" : "unmounted"}.`);
    this.state = { ...this.state, vffs: { ...v, mounted } };
    this.follow();
  }

  MountVffsVolume(args: Args): void {
    this.mountVffs(args.vffsUuid, true);
  }

  UnmountVffsVolume(args: Args): void {
    this.mountVffs(args.vffsUuid, false);
  }

  /** As DeleteVmfsVolumeState: only the checks are visible. */
  DeleteVffsVolumeState(args: Args): void {
    const v = this.state.vffs;
    if (!v || v.uuid !== String(args.vffsUuid ?? "")) throw hostConfigFault(`No VFFS volume with UUID ${String(args.vffsUuid)} on this host.`);
    if (v.mounted) throw hostConfigFault(`The VFFS volume ${v.name} is mounted: unmount it first.`);
  }

  RescanVffs(_args: Args): void {
    this.follow();
  }

  /** Flash disks a VFFS volume could take (or, with vffsPath, be extended with): attached, blank. */
  QueryAvailableSsds(args: Args): DataObject[] {
    if (args.vffsPath !== undefined && args.vffsPath !== null) this.vffsAt(args.vffsPath);
    return this.disks().filter((d) => d.ssd && !d.off && !d.table.partitions.length && !this.volumesOn(d).length).map((d) => this.scsiDisk(d));
  }
}
