// HostStorageSystem: the host's storage adapters, the disks behind its VMFS
// datastores and the file systems it mounts. Two local SATA adapters (the
// hardware summary's numHBAs); every VMFS datastore the host mounts sits on a
// local disk of vmhba0 named as its extent (naa.…), one target per disk, one
// active path each. `fileSystemVolumeInfo` lists the mounted datastores; it
// follows the host's mounts as HostDatastoreSystem changes them (follow()),
// and the rescans and refresh read them again (a renamed datastore, say).
// The host's config.storageDevice, config.multipathState and
// config.fileSystemVolume are the same information and are kept in step.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

type Ref = ManagedObjectReference;
const BLOCK = 512;
// the partition table and VMFS metadata ahead of the volume: 1 MiB
const DISK_OVERHEAD_BLOCKS = 2048;
const HBAS = [
  { device: "vmhba0", pci: "0000:00:11.5" },
  { device: "vmhba1", pci: "0000:00:17.0" },
];
// the file system types an ESXi 6.0 host knows
const VOLUME_TYPES = ["VMFS", "NFS", "NFS41", "vsan", "VFFS", "VVOL", "OTHER"];

interface DatastoreLike {
  ref: Ref;
  name: string;
  uuid: string;
  props: Record<string, unknown>;
}

export class HostStorageSystem extends ManagedObject {
  constructor(sim: SimContext, value: string, readonly host: Ref) {
    super(sim, "HostStorageSystem", value);
    Object.assign(this.props, this.compute());
    this.sim.inventory.get(host.value)?.update(this.hostConfig(this.props));
  }

  private hostObj(): ManagedObject | undefined {
    return this.sim.inventory.get(this.host.value);
  }

  private mounted(): DatastoreLike[] {
    const refs = (this.hostObj()?.props.datastore as Ref[] | undefined) ?? [];
    return refs.map((r) => this.sim.inventory.get(r.value) as unknown as DatastoreLike | undefined).filter((d): d is DatastoreLike => !!d && typeof d.uuid === "string");
  }

  private compute(): Record<string, unknown> {
    const datastores = this.mounted();
    const hbas = HBAS.map((h) => ({
      _type: "HostBlockHba", key: `key-vim.host.BlockHba-${h.device}`, device: h.device, bus: 0, status: "unknown",
      model: "Lewisburg SATA AHCI Controller", driver: "vmw_ahci", pci: h.pci,
    }));
    const vmfs = datastores.filter((d) => (d.props.info as DataObject | undefined)?.vmfs);
    const luns: DataObject[] = [];
    const targets: DataObject[] = [];
    const units: DataObject[] = [];
    const paths: DataObject[] = [];
    const seen = new Set<string>();
    for (const ds of vmfs) {
      const volume = (ds.props.info as { vmfs: { capacity: number; extent?: { diskName: string }[] } }).vmfs;
      const canonical = volume.extent?.[0]?.diskName ?? `naa.${this.sim.ids.hex("naa", ds.name, 32)}`;
      if (seen.has(canonical)) continue;
      seen.add(canonical);
      const t = targets.length;
      const id = canonical.replace(/^naa\./, "");
      const uuid = `0200000000${id}566972747561`;
      const key = `key-vim.host.ScsiDisk-${uuid}`;
      const pathName = `vmhba0:C0:T${t}:L0`;
      const unitKey = `key-vim.host.MultipathInfo.LogicalUnit-${uuid}`;
      const devicePath = `/vmfs/devices/disks/${canonical}`;
      luns.push({
        _type: "HostScsiDisk", deviceName: devicePath, deviceType: "disk", key, uuid, canonicalName: canonical,
        displayName: `Local ATA Disk (${canonical})`, lunType: "disk", vendor: "ATA     ", model: "VMware Virtual S", revision: "0001",
        scsiLevel: 5, serialNumber: "unavailable", queueDepth: 31, operationalState: ["ok"],
        capabilities: { _type: "ScsiLunCapabilities", updateDisplayNameSupported: true }, vStorageSupport: "vStorageUnsupported",
        capacity: { _type: "HostDiskDimensionsLba", blockSize: BLOCK, block: Math.ceil(volume.capacity / BLOCK) + DISK_OVERHEAD_BLOCKS },
        devicePath, ssd: false, localDisk: true, physicalLocation: [], emulatedDIXDIFEnabled: false, scsiDiskType: "native512",
      });
      targets.push({
        _type: "HostScsiTopologyTarget", key: `key-vim.host.ScsiTopology.Target-vmhba0:0:${t}`, target: t,
        lun: [{ _type: "HostScsiTopologyLun", key: `key-vim.host.ScsiTopology.Lun-${uuid}`, lun: 0, scsiLun: key }],
        transport: { _type: "HostBlockAdapterTargetTransport" },
      });
      const path = {
        _type: "HostMultipathInfoPath", key: `key-vim.host.MultipathInfo.Path-${pathName}`, name: pathName, pathState: "active", state: "active",
        isWorkingPath: true, adapter: "key-vim.host.BlockHba-vmhba0", lun: unitKey, transport: { _type: "HostBlockAdapterTargetTransport" },
      };
      paths.push(path);
      units.push({
        _type: "HostMultipathInfoLogicalUnit", key: unitKey, id: uuid, lun: key, path: [path],
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
          adapter: hbas.map((h) => ({ _type: "HostScsiTopologyInterface", key: `key-vim.host.ScsiTopology.Interface-${h.device}`, adapter: h.key, target: h.device === "vmhba0" ? targets : [] })),
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
}
