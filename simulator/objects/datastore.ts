// Datastore: capacity and free space, host mounts and the browser. Its
// files live in `volume`, whose usage drives summary.freeSpace, so free
// space follows real bytes (and thin files cost only what was written).
//
// A rename (RenameDatastore or Rename_Task) changes every "[name] path" the
// API shows: ESXi keys files by volume UUID, and the .vmx names files outside
// the VM's folder by /vmfs/volumes/<uuid>/, so nothing on the volume changes.
// DestroyDatastore is HostDatastoreSystem.RemoveDatastore on every host that
// mounts it. Maintenance mode without Storage DRS (KB 313420): the task
// returned in StoragePlacementResult waits, the datastore
// "enteringMaintenance", until no VM is left on it; recommendations and
// drsFault are only for datastores of an SDRS-enabled cluster, which this
// simulator does not model. Choices not confirmed against a real vCenter:
// DatastoreExitMaintenanceMode_Task while entering cancels the waiting task
// (RequestCanceled); hostd answers both maintenance calls NotSupported.
import { VimFault, moref, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import type { Args, CallContext, ManagedObject, SavedState } from "./managed-object.ts";
import { Task } from "./task.ts";
import type { VirtualMachine } from "./virtual-machine.ts";
import type { SimContext } from "../sim-context.ts";
import type { DatastoreSpec } from "../inventory/scenario.ts";
import { DatastoreVolume } from "../datastore/datastore-volume.ts";
import { mapConfigPaths } from "../datastore/config-paths.ts";
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
      // Storage I/O Control starts off, in the automatic mode at 90% of peak throughput (the API reference's
      // defaults); StorageResourceManager.ConfigureDatastoreIORM_Task changes it
      iormConfiguration: {
        _type: "StorageIORMInfo", enabled: false, congestionThresholdMode: "automatic", congestionThreshold: 30, percentOfPeakThroughput: 90,
        statsCollectionEnabled: false, reservationEnabled: true, statsAggregationDisabled: false,
      },
    });
  }

  /** the task DatastoreEnterMaintenanceMode returned, while it waits for the VMs to leave */
  private maintenanceTask: ManagedObjectReference | undefined;
  /** stops watching that task for CancelTask */
  private unwatch: (() => void) | undefined;

  override saveState(): SavedState & { volume: unknown; maintenanceTask: ManagedObjectReference | undefined } {
    return { ...super.saveState(), volume: this.volume.snapshot(), maintenanceTask: this.maintenanceTask };
  }

  // the files first: their usage updates summary, which the saved properties then set exactly
  override loadState(s: SavedState & { volume: unknown; maintenanceTask?: ManagedObjectReference }): void {
    this.volume.restore(s.volume);
    // an extended VMFS volume's size goes back with its summary
    this.volume.capacity = (s.props.summary as { capacity: number }).capacity;
    super.loadState(s);
    this.volume.name = this.name;
    this.maintenanceTask = s.maintenanceTask;
    this.watchMaintenanceTask();
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
      const info = this.props.info as { vmfs?: unknown; nas?: unknown };
      super.update({ "summary.name": changes.name, "info.name": changes.name, ...(info.vmfs ? { "info.vmfs.name": changes.name } : {}), ...(info.nas ? { "info.nas.name": changes.name } : {}) });
    }
    // the last VM gone: a datastore entering maintenance mode is in it
    if ("vm" in changes && this.maintenanceMode === "enteringMaintenance" && !(this.props.vm as unknown[]).length) this.finishEntering();
    // a datastore cluster's summary sums its datastores' space
    const pod = this.parentObject() as (ManagedObject & { refreshSummary?(): void }) | undefined;
    if (pod?.type === "StoragePod" && Object.keys(changes).some((k) => k.startsWith("summary"))) pod.refreshSummary?.();
  }

  /** HostDatastoreSystem.ExtendVmfsDatastore and ExpandVmfsDatastore: the VMFS volume now spans `extent` and holds `capacity` bytes. */
  resizeVmfs(capacity: number, extent: DataObject[]): void {
    this.volume.capacity = capacity;
    const free = Math.max(0, capacity - this.volume.usedBytes());
    this.update({ "summary.capacity": capacity, "summary.freeSpace": free, "info.freeSpace": free, "info.vmfs.capacity": capacity, "info.vmfs.extent": extent, "info.timestamp": this.sim.clock.now() });
  }

  RefreshDatastore(_args: Args): void {
    this.update({ "info.timestamp": this.sim.clock.now() });
  }

  RefreshDatastoreStorageInfo(_args: Args): void {}

  // ---- rename ----

  RenameDatastore(args: Args, ctx: CallContext): void {
    const newName = String(args.newName ?? "");
    if (newName === this.name) return;
    this.rename(newName, ctx.session?.userName ?? "");
  }

  /**
   * Rename_Task and RenameDatastore: names are unique in the datacenter,
   * and every path the API shows follows the new name (VM configurations,
   * their snapshots' and the .vmx's companions as layoutEx lists them).
   */
  protected override rename(newName: string, userName: string): void {
    // hostd's limit for a volume label, as CreateNasDatastore's localPath
    if (!newName.trim() || newName.length > 42 || /[/\\%]/.test(newName)) throw new VimFault("InvalidName", { name: newName, entity: this.ref }, `The name '${newName}' is not a valid datastore name.`);
    const dc = datacenterOf(this);
    const others = dc ? ((dc.props.datastore as ManagedObjectReference[]) ?? []).map((r) => this.sim.inventory.get(r.value)) : this.sim.inventory.ofType("Datastore");
    const dup = others.find((d) => d && d !== this && d.get("name") === newName);
    if (dup) throw new VimFault("DuplicateName", { name: newName, object: dup.ref }, `The name '${newName}' already exists.`);
    const old = this.name;
    const vms = this.vmsNaming(old);
    this.update({ name: newName });
    const from = `[${old}]`, to = `[${newName}]`;
    const path = (s: string) => (s.startsWith(from) ? to + s.slice(from.length) : s);
    for (const vm of vms) {
      vm.applyConfig(mapConfigPaths(vm.config, path));
      vm.snapshots.relocated(path, (c) => mapConfigPaths(c, path));
    }
    // the hosts' file system volumes carry the name too
    for (const m of this.props.host as { key: ManagedObjectReference }[]) this.datastoreSystemOf(m.key)?.follow?.();
    this.sim.events.post("DatastoreRenamedEvent", `Renamed datastore from ${old} to ${newName} in ${dc?.name ?? ""}`, userName,
      dc ? { datacenter: { name: dc.name, ref: dc.ref } } : {},
      { datastore: { _type: "DatastoreEventArgument", name: newName, datastore: this.ref }, oldName: old, newName });
  }

  /** VMs of this datastore's datacenter whose configuration (or a snapshot's) names it as `[name]`. */
  private vmsNaming(name: string): VirtualMachine[] {
    const dc = datacenterOf(this);
    const tag = `[${name}]`;
    return this.sim.inventory.ofType("VirtualMachine")
      .filter((vm) => datacenterOf(vm as ManagedEntity) === dc)
      .map((vm) => vm as VirtualMachine)
      .filter((vm) => [vm.config, ...vm.snapshots.all().map((s) => s.config)].some((c) => JSON.stringify(c).includes(JSON.stringify(tag).slice(1, -1))));
  }

  private datastoreSystemOf(host: ManagedObjectReference): (ManagedObject & { follow?(): void; RemoveDatastore?(a: Args, c: CallContext): void }) | undefined {
    const sys = (this.sim.inventory.get(host.value)?.props.configManager as { datastoreSystem?: ManagedObjectReference } | undefined)?.datastoreSystem;
    return sys ? this.sim.inventory.get(sys.value) : undefined;
  }

  // ---- destroy ----

  /**
   * Every host lets go (HostDatastoreSystem.RemoveDatastore, with its
   * events), and with the last one the datastore and its files leave: a
   * VMFS volume is deleted, an NFS export unmounted.
   */
  DestroyDatastore(_args: Args, ctx: CallContext): void {
    const vms = (this.props.vm as ManagedObjectReference[]) ?? [];
    if (vms.length) throw new VimFault("ResourceInUse", { type: "Datastore", name: this.name }, `The resource '${this.name}' is in use.`);
    const hosts = (this.props.host as { key: ManagedObjectReference }[]).map((m) => m.key);
    for (const h of hosts) this.datastoreSystemOf(h)?.RemoveDatastore?.({ datastore: this.ref }, ctx);
    // a datastore no host mounts (its hosts left) still leaves
    if (this.sim.inventory.get(this.ref.value) === this) this.withdraw();
  }

  override destroy(): void {
    this.stopWatching();
    super.destroy();
  }

  // ---- maintenance mode ----

  get maintenanceMode(): string {
    return (this.props.summary as { maintenanceMode?: string }).maintenanceMode ?? "normal";
  }

  DatastoreEnterMaintenanceMode(_args: Args, ctx: CallContext): DataObject {
    if (!this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
    if (this.maintenanceMode !== "normal") throw new VimFault("InvalidState", {}, `The datastore ${this.name} is already ${this.maintenanceMode === "inMaintenance" ? "in" : "entering"} maintenance mode.`);
    const task = this.sim.tasks.create(this, "DatastoreEnterMaintenanceMode", "Datastore.enterMaintenanceMode", ctx.session?.userName ?? "", true);
    task.update({ "info.state": "running", "info.startTime": this.sim.clock.now(), "info.progress": 0 });
    this.maintenanceTask = task.ref;
    this.update({ "summary.maintenanceMode": "enteringMaintenance" });
    if ((this.props.vm as unknown[]).length) this.watchMaintenanceTask();
    else this.finishEntering();
    return { _type: "StoragePlacementResult", task: task.ref };
  }

  DatastoreExitMaintenanceMode_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "DatastoreExitMaintenanceMode_Task", "Datastore.exitMaintenanceMode", ctx.session?.userName ?? "", () => {
      if (!this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
      if (this.maintenanceMode === "normal") throw new VimFault("InvalidState", {}, `The datastore ${this.name} is not in maintenance mode.`);
      if (this.maintenanceMode === "enteringMaintenance") this.cancelEntering();
      else this.update({ "summary.maintenanceMode": "normal" });
    });
  }

  private pendingTask(): Task | undefined {
    const t = this.maintenanceTask ? this.sim.inventory.get(this.maintenanceTask.value) : undefined;
    return t instanceof Task && !t.finished ? t : undefined;
  }

  private finishEntering(): void {
    this.stopWatching();
    this.update({ "summary.maintenanceMode": "inMaintenance" });
    this.pendingTask()?.SetTaskState({ state: "success" });
    this.maintenanceTask = undefined;
  }

  private cancelEntering(): void {
    this.stopWatching();
    this.update({ "summary.maintenanceMode": "normal" });
    const t = this.pendingTask();
    if (t) {
      t.update({ "info.cancelled": true });
      t.SetTaskState({ state: "error", fault: { _type: "LocalizedMethodFault", fault: new VimFault("RequestCanceled", {}).fault, localizedMessage: "The task was canceled by a user." } });
    }
    this.maintenanceTask = undefined;
  }

  /** While entering, a CancelTask on the waiting task takes the datastore back to normal. */
  private watchMaintenanceTask(): void {
    this.stopWatching();
    if (this.maintenanceMode !== "enteringMaintenance" || !this.pendingTask()) return;
    const value = this.maintenanceTask!.value;
    this.unwatch = this.sim.inventory.listen((ev) => {
      // a restore may have taken this datastore out of the inventory
      if (this.sim.inventory.get(this.ref.value) !== this) return this.stopWatching();
      if (ev.obj.ref.value === value && ev.obj instanceof Task && ev.obj.cancelRequested && !ev.obj.finished) this.cancelEntering();
    });
  }

  private stopWatching(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }

  // ---- after a resignature ----

  /**
   * Absolute paths (`/vmfs/volumes/<old>/...`) in the VM files on this
   * datastore now name the datastore each pair gives: the text of every
   * .vmx, .vmsd and disk descriptor, and the configuration of the VMs
   * registered from here (whose .vmx is then written from it). Only vCenter
   * has the method. Pairs whose new path is the old one are ignored, as the
   * API reference says. Refusing a powered-on VM (ResourceInUse) is this
   * simulator's choice: the reference only warns against using the files
   * meanwhile.
   */
  UpdateVirtualMachineFiles_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "UpdateVirtualMachineFiles_Task", "Datastore.updateVirtualMachineFiles", ctx.session?.userName ?? "", () => {
      if (!this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
      const pairs = ((args.mountPathDatastoreMapping as { oldMountPath?: string; datastore?: ManagedObjectReference }[] | undefined) ?? []).map((p, i) => {
        const ds = p.datastore ? this.sim.inventory.get(p.datastore.value) : undefined;
        if (!(ds instanceof Datastore)) throw new VimFault("InvalidDatastore", { datastore: p.datastore }, `Invalid datastore in mountPathDatastoreMapping[${i}].`);
        const old = String(p.oldMountPath ?? "").replace(/\/+$/, "");
        if (!/^\/vmfs\/volumes\/[^/]+$/.test(old)) throw new VimFault("InvalidArgument", { invalidProperty: `mountPathDatastoreMapping[${i}].oldMountPath` });
        return { old, now: `/vmfs/volumes/${ds.uuid}`, ds };
      }).filter((p) => p.old !== p.now);
      const vms = ((this.props.vm as ManagedObjectReference[]) ?? []).map((r) => this.sim.inventory.get(r.value) as VirtualMachine);
      const on = vms.find((vm) => vm.powerState !== "poweredOff");
      if (on) throw new VimFault("ResourceInUse", { type: "VirtualMachine", name: on.name }, `The virtual machine ${on.name} is powered on.`);
      const failed: DataObject[] = [];
      // the registered VMs' own .vmx files are written from their configurations below
      const registered = new Set(vms.map((vm) => vm.config.files.vmPathName));
      for (const file of this.vmFiles("")) {
        const dsPath = `[${this.name}] ${file}`;
        if (registered.has(dsPath)) continue;
        try {
          const text = this.volume.readFile(file).toString("utf8");
          const next = pairs.reduce((t, p) => t.split(p.old + "/").join(p.now + "/"), text);
          if (next !== text) this.volume.writeFile(file, Buffer.from(next, "utf8"));
        } catch (e) {
          failed.push({ _type: "UpdateVirtualMachineFilesResultFailedVmFileInfo", vmFile: dsPath, fault: { _type: "LocalizedMethodFault", fault: (e instanceof VimFault ? e : new VimFault("FileFault", { file: dsPath })).fault, localizedMessage: String((e as Error).message) } });
        }
      }
      for (const vm of vms) this.remapVm(vm, pairs);
      return { _type: "UpdateVirtualMachineFilesResult", failedVmFile: failed };
    }, { resultType: { type: "UpdateVirtualMachineFilesResult" } });
  }

  /**
   * The VVol failover counterpart of UpdateVirtualMachineFiles_Task, for a
   * VVol storage container only; every datastore here is VMFS or NFS. Like
   * its counterpart it is vCenter's (hostd: NotSupported). On vCenter a
   * datastore of another type fails the task with InvalidDatastore, a
   * declared fault of the method; which of NotSupported and InvalidDatastore
   * vpxd picks for it is not confirmed.
   */
  UpdateVVolVirtualMachineFiles_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "UpdateVVolVirtualMachineFiles_Task", "Datastore.updateVVolVirtualMachineFiles", ctx.session?.userName ?? "", () => {
      if (!this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
      const type = String((this.props.summary as { type?: string }).type ?? "");
      if (type !== "VVOL") throw new VimFault("InvalidDatastore", { datastore: this.ref, name: this.name }, `The datastore '${this.name}' is not a VVol datastore.`);
      return { _type: "VVolVmConfigFileUpdateResult", succeededVmConfigFile: [], failedVmConfigFile: [] };
    }, { resultType: { type: "VVolVmConfigFileUpdateResult" } });
  }

  /** .vmx, .vmsd and disk descriptors below `dir` (descriptors are small text; extents are not read). */
  private vmFiles(dir: string): string[] {
    const out: string[] = [];
    for (const name of this.volume.readdir(dir)) {
      const path = dir ? `${dir}/${name}` : name;
      const st = this.volume.stat(path);
      if (!st) continue;
      if (st.isDirectory) out.push(...this.vmFiles(path));
      else if (/\.(vmx|vmsd)$/i.test(name) || (/\.vmdk$/i.test(name) && !/-(flat|delta|sesparse)\.vmdk$/i.test(name) && st.size < 64 * 1024)) out.push(path);
    }
    return out;
  }

  /** A registered VM's paths through the mapping: `/vmfs/volumes/<old>/x` becomes `[<datastore>] x`. */
  private remapVm(vm: VirtualMachine, pairs: { old: string; ds: Datastore }[]): void {
    const path = (s: string): string => {
      for (const { old, ds } of pairs) if (s.startsWith(old + "/")) return `[${ds.name}] ${s.slice(old.length + 1)}`;
      return s;
    };
    const datastoreOf = (fileName: string, old: unknown) => pairs.find((p) => fileName.startsWith(`[${p.ds.name}]`))?.ds.ref ?? old;
    const config = mapConfigPaths(vm.config, path, datastoreOf);
    if (JSON.stringify(config) === JSON.stringify(vm.config)) return;
    vm.leave();
    try {
      vm.applyConfig(config);
      vm.snapshots.relocated(path, (c) => mapConfigPaths(c, path, datastoreOf));
    } finally {
      vm.attach();
    }
  }
}

function datastoresOf(o: ManagedObject): ManagedObjectReference[] {
  return (o.props.datastore as ManagedObjectReference[] | undefined) ?? [];
}
