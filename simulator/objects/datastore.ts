// Datastore: capacity and free space, host mounts and the browser. Its
// files live in `volume`, whose usage drives summary.freeSpace, so free
// space follows real bytes (and thin files cost only what was written).
import { moref, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import type { Args, ManagedObject, SavedState } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import type { DatastoreSpec } from "../inventory/scenario.ts";
import { DatastoreVolume } from "../datastore/datastore-volume.ts";
import { HostDatastoreBrowser } from "./host-datastore-browser.ts";

export class Datastore extends ManagedEntity {
  readonly uuid: string;
  /** the datastore's files; the scenario's `used` bytes count against it without files */
  readonly volume: DatastoreVolume;
  constructor(sim: SimContext, value: string, spec: DatastoreSpec, parent: ManagedObjectReference, uuid: string, browser: ManagedObjectReference) {
    super(sim, "Datastore", value, spec.name, parent);
    this.uuid = uuid;
    this.volume = new DatastoreVolume({
      name: spec.name, capacity: spec.capacityBytes, reservedBytes: spec.usedBytes, clock: sim.clock,
      onUsage: (used) => this.setUsed(used),
    });
    const nfs = spec.type === "NFS";
    const url = nfs ? `ds:///vmfs/volumes/${uuid}/` : `ds:///vmfs/volumes/${uuid}/`;
    const free = spec.capacityBytes - spec.usedBytes;
    const common = { name: spec.name, url, freeSpace: free, maxFileSize: 62 * 2 ** 40, maxVirtualDiskCapacity: 62 * 2 ** 40, maxMemoryFileSize: 62 * 2 ** 40, timestamp: sim.clock.now(), containerId: nfs ? undefined : uuid };
    Object.assign(this.props, {
      browser,
      host: [],
      vm: [],
      capability: {
        _type: "DatastoreCapability",
        directoryHierarchySupported: true, rawDiskMappingsSupported: !nfs, perFileThinProvisioningSupported: true,
        storageIORMSupported: true, nativeSnapshotSupported: false, topLevelDirectoryCreateSupported: true, seSparseSupported: !nfs,
      },
      summary: {
        _type: "DatastoreSummary", datastore: this.ref, name: spec.name, url, capacity: spec.capacityBytes, freeSpace: free,
        uncommitted: 0, accessible: true, multipleHostAccess: false, type: spec.type, maintenanceMode: "normal",
      },
      info: nfs
        ? { _type: "NasDatastoreInfo", ...common, nas: { _type: "HostNasVolume", type: "NFS", name: spec.name, capacity: spec.capacityBytes, remoteHost: spec.remoteHost ?? "nfs.local", remotePath: spec.remotePath ?? `/export/${spec.name}`, userName: undefined, accessMode: "readWrite" } }
        : { _type: "VmfsDatastoreInfo", ...common, vmfs: { _type: "HostVmfsVolume", type: "VMFS", name: spec.name, capacity: spec.capacityBytes, blockSizeMb: 1, blockSize: 1024, unmapGranularity: 1024, unmapPriority: "low", maxBlocks: 63963136, majorVersion: 5, version: "5.61", uuid, extent: [{ _type: "HostScsiDiskPartition", diskName: `naa.${sim.ids.hex("naa", spec.name, 32)}`, partition: 1 }], vmfsUpgradable: false, ssd: false, local: true } },
      iormConfiguration: { _type: "StorageIORMInfo", enabled: false, congestionThreshold: 30, statsCollectionEnabled: false, statsAggregationDisabled: false },
    });
  }

  override saveState(): SavedState & { volume: unknown } {
    return { ...super.saveState(), volume: this.volume.snapshot() };
  }

  // the files first: their usage updates summary, which the saved properties then set exactly
  override loadState(s: SavedState & { volume: unknown }): void {
    this.volume.restore(s.volume);
    super.loadState(s);
    this.volume.name = this.name;
  }

  /**
   * A new datastore of `dc`, in its datastore folder and list: the
   * scenario's, and NFS mounts made at run time. vpxd gives each datastore a
   * browser of its own; hostd has one, the host's.
   */
  static create(sim: SimContext, dc: ManagedObject & { addDatastore(r: ManagedObjectReference): void }, spec: DatastoreSpec, uuid: string): Datastore {
    const value = sim.isVCenter ? sim.newRef("datastore-") : uuid;
    const browser = moref("HostDatastoreBrowser", sim.isVCenter ? `datastoreBrowser-${value}` : "ha-host-datastorebrowser");
    const folder = sim.inventory.get((dc.props.datastoreFolder as ManagedObjectReference).value) as ManagedEntity & { attachChild(c: ManagedEntity): void };
    const d = sim.inventory.add(new Datastore(sim, value, spec, folder.ref, uuid, browser));
    HostDatastoreBrowser.ensure(sim, browser.value).addDatastore(d.ref);
    folder.attachChild(d);
    dc.addDatastore(d.ref);
    return d;
  }

  /** Mounted on `host`: its browser sees it, and the host's and its compute resource's datastore lists name it. */
  mountOn(host: ManagedObjectReference): void {
    const h = this.sim.inventory.get(host.value);
    // the host's own browser sees every datastore the host mounts
    const hostBrowser = h?.props.datastoreBrowser as ManagedObjectReference | undefined;
    if (hostBrowser) HostDatastoreBrowser.ensure(this.sim, hostBrowser.value).addDatastore(this.ref);
    const mounts = [...(this.props.host as DataObject[]), {
      _type: "DatastoreHostMount", key: host,
      mountInfo: { _type: "HostMountInfo", path: `/vmfs/volumes/${this.uuid}`, accessMode: "readWrite", mounted: true, accessible: true },
    }];
    this.update({ host: mounts, "summary.multipleHostAccess": mounts.length > 1 });
    const cr = h ? this.sim.inventory.get((h.props.parent as ManagedObjectReference).value) : undefined;
    for (const o of [h, cr]) {
      if (o && !datastoresOf(o).some((r) => r.value === this.ref.value)) o.update({ datastore: [...datastoresOf(o), this.ref] });
    }
  }

  /** No longer mounted on `host`; its compute resource keeps it while another of its hosts mounts it. */
  unmountFrom(host: ManagedObjectReference): void {
    const h = this.sim.inventory.get(host.value)!;
    // the host's own browser stops seeing it (on hostd that browser is the datastore's, which withdraw empties)
    const hostBrowser = h.props.datastoreBrowser as ManagedObjectReference | undefined;
    if (hostBrowser && hostBrowser.value !== (this.props.browser as ManagedObjectReference).value) this.dropFrom(this.sim.inventory.get(hostBrowser.value));
    const mounts = (this.props.host as (DataObject & { key: ManagedObjectReference })[]).filter((m) => m.key.value !== host.value);
    this.update({ host: mounts, "summary.multipleHostAccess": mounts.length > 1 });
    this.dropFrom(h);
    const cr = this.sim.inventory.get((h.props.parent as ManagedObjectReference).value)!;
    const stillMounted = (cr.props.host as ManagedObjectReference[]).some((r) => datastoresOf(this.sim.inventory.get(r.value)!).some((d) => d.value === this.ref.value));
    if (!stillMounted) this.dropFrom(cr);
  }

  /** Out of `o`'s datastore list (a host's, compute resource's, browser's or datacenter's). */
  private dropFrom(o: ManagedObject | undefined): void {
    o?.update({ datastore: datastoresOf(o).filter((r) => r.value !== this.ref.value) });
  }

  /**
   * The last host let go (RemoveDatastore, or the host left the inventory):
   * the datastore leaves the inventory, its browser's and datacenter's lists.
   */
  withdraw(): void {
    this.dropFrom(this.sim.inventory.get((this.props.browser as ManagedObjectReference).value));
    this.dropFrom(datacenterOf(this));
    this.destroy();
  }

  /** Hosts that mount it. */
  get mounts(): number {
    return (this.props.host as unknown[]).length;
  }

  /** Bytes the datastore holds; the file layer calls this as files come and go. */
  setUsed(usedBytes: number): void {
    const capacity = (this.props.summary as { capacity: number }).capacity;
    const free = Math.max(0, capacity - usedBytes);
    this.update({ "summary.freeSpace": free, "info.freeSpace": free, "info.timestamp": this.sim.clock.now() });
  }

  override update(changes: Record<string, unknown>): void {
    super.update(changes);
    // a renamed datastore's paths and faults carry the new name
    if (typeof changes.name === "string" && this.volume && changes.name !== this.volume.name) {
      this.volume.name = changes.name;
      super.update({ "summary.name": changes.name, "info.name": changes.name });
    }
    // a datastore cluster's summary sums its datastores' space
    const pod = this.parentObject() as (ManagedObject & { refreshSummary?(): void }) | undefined;
    if (pod?.type === "StoragePod" && Object.keys(changes).some((k) => k.startsWith("summary"))) pod.refreshSummary?.();
  }

  RefreshDatastore(_args: Args): void {
    this.update({ "info.timestamp": this.sim.clock.now() });
  }

  RefreshDatastoreStorageInfo(_args: Args): void {}
}

function datastoresOf(o: ManagedObject): ManagedObjectReference[] {
  return (o.props.datastore as ManagedObjectReference[] | undefined) ?? [];
}
