// The files of virtual machines on their datastores: the .vmx (rewritten
// after every change), .nvram, vmware.log, and disks as VMDK descriptors
// with sparse extents, delta disks chained to their parents.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import { datacenterOf, type ManagedEntity } from "../objects/managed-entity.ts";
import type { Datacenter } from "../objects/datacenter.ts";
import type { Datastore } from "../objects/datastore.ts";
import type { ConfigInfo, VirtualMachine, VmStorage } from "../objects/virtual-machine.ts";
import { kindOf, type Device } from "../objects/vm-devices.ts";
import {
  basename, dirname, formatDatastorePath, hostFileDatastorePath, hostFileOf, joinPath, parseDatastorePath, resolveDatastorePath, type ResolvedPath,
} from "./datastore-path.ts";
import { capacityBytes, type VmdkDescriptor } from "../formats/vmdk.ts";
import { currentChangeId, startTracking, stopTracking, trackedChangeId } from "./change-tracking.ts";
import { createDiskFiles, diskChain, diskFiles, growExtent, newDiskDescriptor, readDescriptor, removeDisk, writeDescriptor } from "./disk-files.ts";
import type { DatastoreVolumeApi } from "./volume-api.ts";
import { VmxFile, readVmx, rewriteExtraConfig, writeVmx, type VmxContext } from "../formats/vmx-config.ts";

type DiskChanges = Parameters<VmStorage["applyDiskFiles"]>[2];

// hostd sizes a fresh .nvram at 8 KiB
const NVRAM_BYTES = 8684;

export class VmStorageService implements VmStorage {
  /** the configuration each .vmx document was written from */
  private readonly writtenFrom = new WeakMap<VmxFile, ConfigInfo>();

  constructor(private readonly sim: SimContext) {}

  private volume(ds: Datastore): DatastoreVolumeApi {
    return (ds as Datastore & { volume: DatastoreVolumeApi }).volume;
  }

  resolve(dsPath: string, near?: ManagedEntity): ResolvedPath {
    return resolveDatastorePath(this.sim, dsPath, datacenterOf(near));
  }

  datastoreOf(dsPath: string, near?: ManagedEntity): Datastore {
    return this.resolve(dsPath, near).datastore;
  }

  exists(dsPath: string, near?: ManagedEntity): boolean {
    const r = this.resolve(dsPath, near);
    return this.volume(r.datastore).exists(r.path);
  }

  /** A datastore file's contents ("[ds] path"), or undefined when it is not there. */
  readFile(dsPath: string, near?: ManagedEntity): Buffer | undefined {
    const r = this.resolve(dsPath, near);
    const vol = this.volume(r.datastore);
    return vol.exists(r.path) ? vol.readFile(r.path) : undefined;
  }

  /** Bytes [start, end) of a datastore file, or undefined when it is not there. */
  readRange(dsPath: string, start: number, end: number, near?: ManagedEntity): Buffer | undefined {
    const r = this.resolve(dsPath, near);
    const vol = this.volume(r.datastore);
    const st = vol.stat(r.path);
    if (!st || st.isDirectory) return undefined;
    return vol.readRange(r.path, Math.min(start, st.size), Math.min(end, st.size));
  }

  /** Append to a datastore file, creating it (a file-backed serial port's output). */
  appendFile(dsPath: string, data: Buffer, near?: ManagedEntity): void {
    const r = this.resolve(dsPath, near);
    this.volume(r.datastore).appendFile(r.path, data);
  }

  /** The name the VM's files share: its .vmx's without the extension. */
  private stemOf(vm: VirtualMachine, config: ConfigInfo): string {
    return basename(this.resolve(config.files.vmPathName, vm).path).replace(/\.vmx$/i, "");
  }

  /** The VM's folder, as a resolved path. */
  private vmDir(vm: VirtualMachine, config: ConfigInfo): ResolvedPath {
    const vmx = this.resolve(config.files.vmPathName, vm);
    return { datastore: vmx.datastore, path: dirname(vmx.path), datastorePath: formatDatastorePath(vmx.datastore.name, dirname(vmx.path)) };
  }

  private vmxContext(vm: VirtualMachine | undefined, dir: ResolvedPath): VmxContext {
    const dc = datacenterOf(vm);
    return {
      vmDirectory: dir.datastorePath,
      isVCenter: this.sim.isVCenter,
      toVmxPath: (dsPath: string) => {
        const hostFile = hostFileOf(dsPath);
        if (hostFile) return hostFile;
        const f = resolveDatastorePath(this.sim, dsPath, dc);
        if (f.datastore === dir.datastore && dir.path && f.path.startsWith(dir.path + "/")) return f.path.slice(dir.path.length + 1);
        if (f.datastore === dir.datastore && !dir.path) return f.path;
        return `/vmfs/volumes/${f.datastore.uuid}/${f.path}`;
      },
      fromVmxPath: (vmxPath: string) => {
        if (vmxPath.startsWith("/vmfs/volumes/")) {
          const rest = vmxPath.slice("/vmfs/volumes/".length);
          const vol = rest.slice(0, rest.indexOf("/"));
          const ds = (dc ? (dc.props.datastore as ManagedObjectReference[]).map((r) => this.sim.inventory.get(r.value)) : this.sim.inventory.ofType("Datastore"))
            .find((d) => d && ((d as Datastore).uuid === vol || d.get("name") === vol)) as Datastore | undefined;
          return ds ? formatDatastorePath(ds.name, rest.slice(vol.length + 1)) : vmxPath;
        }
        if (vmxPath.startsWith("[")) return vmxPath;
        const hostFile = hostFileDatastorePath(vmxPath);
        if (hostFile) return hostFile;
        return formatDatastorePath(dir.datastore.name, joinPath(dir.path, vmxPath));
      },
      networkByName: (name: string) => {
        const nets = dc ? (dc.props.network as ManagedObjectReference[]) : this.sim.inventory.ofType("Network").map((n) => n.ref);
        return nets.map((r) => this.sim.inventory.get(r.value)).find((n) => n?.type === "Network" && n.get("name") === name)?.ref;
      },
      portgroupByKey: (_switchUuid: string, key: string) => this.sim.inventory.get(key)?.ref,
      // a registered VM shows its disks' sizes and parent chains, read from the descriptors
      diskInfo: (dsPath: string) => this.diskInfo(dsPath, dc),
    };
  }

  /** Capacity and backing (parent chain included) of the disk whose descriptor is at `dsPath`. */
  private diskInfo(dsPath: string, dc?: Datacenter): { capacityInKB: number; backing: Record<string, unknown> } | undefined {
    let chain;
    try {
      chain = diskChain(this.sim, resolveDatastorePath(this.sim, dsPath, dc), dc);
    } catch {
      return undefined;
    }
    let parent: DataObject | undefined;
    for (let i = chain.length - 1; i >= 1; i--) parent = { ...this.backingFor(chain[i].file, chain[i].descriptor, {}), parent };
    // the .vmx says the mode; the descriptor does not know it
    const backing: Record<string, unknown> = { ...this.backingFor(chain[0].file, chain[0].descriptor, {}), parent };
    delete backing.diskMode;
    return { capacityInKB: Math.ceil(capacityBytes(chain[0].descriptor) / 1024), backing };
  }

  /** A disk's backing as a VM shows it, for a descriptor a .vmsd names. */
  diskBacking(dsPath: string, near: ManagedEntity): Record<string, unknown> | undefined {
    return this.diskInfo(dsPath, datacenterOf(near))?.backing;
  }

  // ---- the .vmx ----

  persist(vm: VirtualMachine, config: ConfigInfo): void {
    const dir = this.vmDir(vm, config);
    const vmxPath = this.resolve(config.files.vmPathName, vm);
    const prev = vm.vmx as VmxFile | undefined;
    const base = prev ? this.writtenFrom.get(prev) : undefined;
    const file = prev && base && onlyExtraConfigDiffers(base, config)
      ? rewriteExtraConfig(prev, config.extraConfig)
      : writeVmx(config, this.vmxContext(vm, dir), prev);
    this.volume(vmxPath.datastore).writeFile(vmxPath.path, Buffer.from(file.toString(), "utf8"));
    this.writtenFrom.set(file, config);
    vm.vmx = file;
  }

  readVmConfig(vmPathName: string, value: string, near: ManagedEntity): { config: ConfigInfo; vmx: VmxFile } {
    const p = this.resolve(vmPathName, near);
    const vol = this.volume(p.datastore);
    if (!vol.exists(p.path)) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: ${p.datastorePath}`);
    const text = vol.readFile(p.path).toString("utf8");
    const vmx = VmxFile.parse(text, p.datastorePath);
    const dir = { datastore: p.datastore, path: dirname(p.path), datastorePath: formatDatastorePath(p.datastore.name, dirname(p.path)) };
    const config = readVmx(vmx, { ...this.vmxContext(near as VirtualMachine, dir), defaultUuid: this.sim.ids.uuid("vm.bios", value), defaultInstanceUuid: this.sim.ids.uuid("vm.instance", value) } as VmxContext) as ConfigInfo;
    config.files = { ...(config.files ?? {}), _type: "VirtualMachineFileInfo", vmPathName: p.datastorePath, snapshotDirectory: dir.datastorePath, suspendDirectory: dir.datastorePath, logDirectory: dir.datastorePath };
    return { config, vmx };
  }

  /** Everything a new VM gets on disk: its folder, disks, .vmx, .nvram and log. Undone if any step fails. */
  createVmFiles(vm: VirtualMachine, config: ConfigInfo, disks: DiskChanges): void {
    const dir = this.vmDir(vm, config);
    const vol = this.volume(dir.datastore);
    const createdDir = !vol.exists(dir.path);
    if (createdDir) vol.mkdir(dir.path, { parents: true });
    try {
      this.applyDiskFiles(vm, config, disks);
      const stem = this.stemOf(vm, config);
      this.persist(vm, config);
      vol.writeFile(joinPath(dir.path, `${stem}.nvram`), Buffer.alloc(NVRAM_BYTES));
      vol.writeFile(joinPath(dir.path, `${stem}.vmsd`), Buffer.alloc(0));
      vol.writeFile(joinPath(dir.path, "vmware.log"), Buffer.from(this.logLine(`vmx| I120: VM created as ${config.files.vmPathName}`), "utf8"));
    } catch (e) {
      if (createdDir && vol.exists(dir.path)) vol.delete(dir.path);
      throw e;
    }
  }

  log(vm: VirtualMachine, message: string): void {
    const dir = this.vmDir(vm, vm.config);
    const vol = this.volume(dir.datastore);
    const path = joinPath(dir.path, "vmware.log");
    if (vol.exists(dir.path)) vol.appendFile(path, Buffer.from(this.logLine(message), "utf8"));
  }

  private logLine(message: string): string {
    return `${this.sim.clock.now().toISOString()}| ${message}\n`;
  }

  /** The VM's folder and its disks elsewhere, but for the disks named in `keep` (first-class disks that outlive the VM). */
  deleteFiles(vm: VirtualMachine, keep?: Set<string>): void {
    const config = vm.config;
    const dir = this.vmDir(vm, config);
    const vol = this.volume(dir.datastore);
    // disks elsewhere that belong to the VM go too; shared parents (image layers) stay
    for (const d of config.hardware.device) {
      if (kindOf(this.sim.schema, d._type) !== "disk" || !d.backing?.fileName || keep?.has(d.backing.fileName)) continue;
      const f = this.resolve(d.backing.fileName, vm);
      if (f.datastore === dir.datastore && (f.path.startsWith(dir.path + "/") || !dir.path)) continue;
      this.deleteDisk(f);
    }
    if (dir.path && vol.exists(dir.path)) vol.delete(dir.path);
    else if (!dir.path) {
      const vmx = this.resolve(config.files.vmPathName, vm);
      if (vol.exists(vmx.path)) vol.delete(vmx.path);
    }
  }

  // ---- disks ----

  applyDiskFiles(vm: VirtualMachine, config: ConfigInfo, changes: DiskChanges): void {
    const created: ResolvedPath[] = [];
    try {
      for (const d of changes.added) {
        if (kindOf(this.sim.schema, d._type) !== "disk") continue;
        const spec = changes.specs.get(d);
        if (spec?.fileOperation === "create") created.push(...this.createDisk(vm, config, d));
        else if (spec?.fileOperation === "replace") throw new VimFault("NotSupported", {}, "fileOperation replace is not supported.");
        else this.attachDisk(vm, d);
      }
      for (const d of changes.edited) {
        if (kindOf(this.sim.schema, d._type) !== "disk" || !d.backing?.fileName) continue;
        this.growDisk(vm, d);
      }
      for (const d of changes.removed) {
        if (kindOf(this.sim.schema, d._type) !== "disk" || !d.backing?.fileName) continue;
        if (changes.specs.get(d)?.fileOperation === "destroy") this.deleteDisk(this.resolve(d.backing.fileName, vm));
      }
    } catch (e) {
      for (const f of created) if (this.volume(f.datastore).exists(f.path)) this.volume(f.datastore).delete(f.path);
      throw e;
    }
  }

  private newDiskName(vm: VirtualMachine, config: ConfigInfo, requested: string | undefined): ResolvedPath {
    const dir = this.vmDir(vm, config);
    let target: ResolvedPath;
    if (!requested || /^\[[^\]]*\]\s*$/.test(requested)) {
      const ds = requested ? this.datastoreOf(requested, vm) : dir.datastore;
      const stem = this.stemOf(vm, config);
      const base = ds === dir.datastore ? dir.path : stem;
      const vol = this.volume(ds);
      if (ds !== dir.datastore && !vol.exists(base)) vol.mkdir(base, { parents: true });
      const taken = new Set(config.hardware.device.map((x) => x.backing?.fileName).filter(Boolean));
      let name = joinPath(base, `${stem}.vmdk`);
      for (let i = 1; vol.exists(name) || taken.has(formatDatastorePath(ds.name, name)); i++) name = joinPath(base, `${stem}_${i}.vmdk`);
      target = { datastore: ds, path: name, datastorePath: formatDatastorePath(ds.name, name) };
    } else {
      target = this.resolve(requested, vm);
      if (!target.path.toLowerCase().endsWith(".vmdk")) throw new VimFault("InvalidDatastorePath", { datastorePath: requested }, `Invalid datastore path '${requested}'.`);
      if (this.volume(target.datastore).exists(target.path)) throw new VimFault("FileAlreadyExists", { file: target.datastorePath }, `Cannot complete the operation because the file or folder ${target.datastorePath} already exists`);
    }
    return target;
  }

  private createDisk(vm: VirtualMachine, config: ConfigInfo, d: Device): ResolvedPath[] {
    const backing = (d.backing ?? { _type: "VirtualDiskFlatVer2BackingInfo" }) as DataObject & Record<string, any>;
    const target = this.newDiskName(vm, config, backing.fileName);
    const bytes = (d.capacityInKB ?? 0) * 1024;
    let descriptor: VmdkDescriptor;
    let parentBacking: DataObject | undefined;
    if (backing.parent?.fileName) {
      // a child of an existing disk: container VMs sit on their image's layers this way
      const parent = this.resolve(backing.parent.fileName, vm);
      const parentDesc = this.readDescriptor(parent);
      descriptor = newDiskDescriptor(this.sim, target, { parent: { file: parent, descriptor: parentDesc } });
      parentBacking = this.backingFor(parent, parentDesc, backing.parent);
      d.capacityInKB = Math.ceil(capacityBytes(parentDesc) / 1024);
      d.capacityInBytes = capacityBytes(parentDesc);
    } else {
      if (bytes <= 0) throw new VimFault("InvalidDeviceSpec", { property: "device.capacityInKB", deviceIndex: 0 }, "A new disk needs a capacity.");
      descriptor = newDiskDescriptor(this.sim, target, { bytes, thin: backing.thinProvisioned !== false, hwVersion: Number(String(config.version).replace("vmx-", "")) || 11 });
    }
    const made = createDiskFiles(target, descriptor);
    d.backing = { ...this.backingFor(target, descriptor, backing), parent: parentBacking };
    return made;
  }

  /** An existing disk named by the spec: it must be there. */
  private attachDisk(vm: VirtualMachine, d: Device): void {
    const name = d.backing?.fileName as string | undefined;
    if (!name) throw new VimFault("InvalidDeviceSpec", { property: "device.backing.fileName", deviceIndex: 0 }, "A disk needs a file or fileOperation create.");
    const f = this.resolve(name, vm);
    if (!this.volume(f.datastore).exists(f.path)) throw new VimFault("FileNotFound", { file: f.datastorePath }, `File ${f.datastorePath} was not found`);
    const desc = this.readDescriptor(f);
    d.capacityInKB = Math.ceil(capacityBytes(desc) / 1024);
    d.capacityInBytes = capacityBytes(desc);
    d.backing = this.backingFor(f, desc, d.backing!);
  }

  private growDisk(vm: VirtualMachine, d: Device): void {
    const f = this.resolve(d.backing!.fileName, vm);
    const desc = this.readDescriptor(f);
    const bytes = (d.capacityInKB ?? 0) * 1024;
    if (bytes <= capacityBytes(desc)) return;
    if (desc.parentCid !== "ffffffff") throw new VimFault("InvalidDeviceOperation", { badOp: "edit" }, "A disk with snapshots or a parent cannot grow.");
    growExtent(f, desc, bytes);
    writeDescriptor(f, desc);
  }

  private deleteDisk(f: ResolvedPath): void {
    const vol = this.volume(f.datastore);
    if (!vol.exists(f.path)) return;
    let desc: VmdkDescriptor;
    try {
      desc = this.readDescriptor(f);
    } catch {
      // a descriptor that does not parse is still deleted
      vol.delete(f.path);
      return;
    }
    removeDisk(f, desc);
  }

  readDescriptor(f: ResolvedPath): VmdkDescriptor {
    return readDescriptor(f);
  }

  private backingFor(f: ResolvedPath, desc: VmdkDescriptor, given: Record<string, any>): DataObject {
    return {
      _type: "VirtualDiskFlatVer2BackingInfo",
      fileName: f.datastorePath,
      datastore: f.datastore.ref,
      diskMode: given.diskMode ?? "persistent",
      split: false,
      writeThrough: false,
      thinProvisioned: desc.ddb.some(([k, v]) => k === "thinProvisioned" && v === "1") || desc.parentCid !== "ffffffff",
      eagerlyScrub: given.eagerlyScrub ?? false,
      uuid: (desc.ddb.find(([k]) => k === "uuid")?.[1] ?? "").replace(/[ -]/g, "").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5"),
      contentId: desc.cid,
      changeId: desc.changeTrackPath ? trackedChangeId(f) : undefined,
      digestEnabled: false,
      sharing: "sharingNone",
    };
  }

  /**
   * The disks of `config` tracked as config.changeTrackingEnabled says (ctk
   * files made or removed), each backing with its change ID as of now.
   * Returns the devices, the same array when nothing changed.
   */
  changeTracking(vm: VirtualMachine, config: ConfigInfo): Device[] {
    const on = config.changeTrackingEnabled === true;
    const dc = datacenterOf(vm);
    let changed = false;
    const device = config.hardware.device.map((d) => {
      if (kindOf(this.sim.schema, d._type) !== "disk" || !d.backing?.fileName) return d;
      if (!on && d.backing.changeId === undefined) return d;
      const f = this.resolve(d.backing.fileName, vm);
      if (!this.volume(f.datastore).exists(f.path)) return d;
      if (on) startTracking(this.sim, f);
      else stopTracking(this.sim, f, dc);
      const changeId = on ? currentChangeId(f) : undefined;
      if (d.backing.changeId === changeId) return d;
      changed = true;
      return { ...d, backing: { ...d.backing, changeId } };
    });
    return changed ? device : config.hardware.device;
  }

  // ---- what the VM's files take ----

  /**
   * QueryUnownedFiles: the files in the VM's folder that are not the VM's
   * own. Its own are its configuration files, logs, swap, the .vmsn and
   * .vmem of `snapshotFiles`, and every file of the disk chains `configs`
   * name (descriptors, extents, ctk files).
   */
  unownedFiles(vm: VirtualMachine, configs: ConfigInfo[], snapshotFiles: string[]): string[] {
    const dir = this.vmDir(vm, vm.config);
    const vol = this.volume(dir.datastore);
    if (!vol.exists(dir.path)) return [];
    const own = new Set<string>();
    const add = (f: ResolvedPath) => own.add(`${f.datastore.ref.value}:${f.path}`);
    for (const s of snapshotFiles) for (const f of [s, s.replace(/\.vmsn$/i, ".vmem")]) add(this.resolve(f, vm));
    for (const config of configs) {
      for (const d of config.hardware.device) {
        if (kindOf(this.sim.schema, d._type) !== "disk" || !d.backing?.fileName) continue;
        let chain;
        try {
          chain = diskChain(this.sim, this.resolve(d.backing.fileName, vm), datacenterOf(vm));
        } catch {
          continue;
        }
        for (const link of chain) for (const f of diskFiles(link.file, link.descriptor)) add(f);
      }
    }
    const stem = this.stemOf(vm, vm.config);
    const ownName = (name: string) => [".vmx", ".vmxf", ".nvram", ".vmsd", ".vswp"].some((x) => name === stem + x) || /^vmware(-\d+)?\.log$/.test(name) || /^vmx-.*\.vswp$/.test(name);
    const out: string[] = [];
    for (const name of vol.readdir(dir.path)) {
      const path = joinPath(dir.path, name);
      if (vol.stat(path)?.isDirectory || ownName(name) || own.has(`${dir.datastore.ref.value}:${path}`)) continue;
      out.push(formatDatastorePath(dir.datastore.name, path));
    }
    return out;
  }

  /** A file in the VM's folder named `<stem>-N<suffix>` with the first free N (a screenshot); returns its `[ds] path`. */
  writeNumbered(vm: VirtualMachine, suffix: string, data: Buffer): string {
    const dir = this.vmDir(vm, vm.config);
    const vol = this.volume(dir.datastore);
    const stem = this.stemOf(vm, vm.config);
    let path = "";
    for (let n = 1; ; n++) {
      path = joinPath(dir.path, `${stem}-${n}${suffix}`);
      if (!vol.exists(path)) break;
    }
    vol.writeFile(path, data, { exclusive: true });
    return formatDatastorePath(dir.datastore.name, path);
  }

  usage(vm: VirtualMachine, config: ConfigInfo): ReturnType<VmStorage["usage"]> {
    const dir = this.vmDir(vm, config);
    const vol = this.volume(dir.datastore);
    const files: { name: string; type: string; size: number }[] = [];
    let committed = 0, uncommitted = 0;
    if (vol.exists(dir.path)) {
      for (const name of vol.readdir(dir.path)) {
        const st = vol.stat(joinPath(dir.path, name));
        if (!st || st.isDirectory) continue;
        committed += st.allocated;
        uncommitted += Math.max(0, st.size - st.allocated);
        files.push({ name: formatDatastorePath(dir.datastore.name, joinPath(dir.path, name)), type: fileType(name), size: st.allocated });
      }
    }
    return [{ datastore: dir.datastore.ref, committed, uncommitted, files }];
  }

  datastoresOf(vm: VirtualMachine, config: ConfigInfo): ManagedObjectReference[] {
    const out = [this.vmDir(vm, config).datastore.ref];
    for (const d of config.hardware.device) {
      const name = d.backing?.fileName as string | undefined;
      if (!name || !name.startsWith("[")) continue;
      try {
        out.push(this.datastoreOf(name, vm).ref);
      } catch {
        // a backing on a datastore that is gone still leaves the VM usable
      }
    }
    return out;
  }
}

// Config objects are replaced on change: the same reference means the same value.
type Obj = Record<string, unknown>;
function changedKeys(a: Obj, b: Obj): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]);
}

const TIMESTAMPS = new Set(["extraConfig", "changeVersion", "modified"]);
function onlyExtraConfigDiffers(a: ConfigInfo, b: ConfigInfo): boolean {
  return changedKeys(a as unknown as Obj, b as unknown as Obj).every((k) => {
    if (TIMESTAMPS.has(k)) return true;
    if (k !== "hardware") return false;
    const ha = a.hardware as unknown as Obj, hb = b.hardware as unknown as Obj;
    return changedKeys(ha, hb).every((hk) => hk === "device" && sameDevicesOnDisk(ha.device as Obj[], hb.device as Obj[]));
  });
}

// Power on and off change every device's connectable.connected and status,
// which are runtime state: the .vmx keeps only startConnected, so devices
// that differ in those alone write the same lines.
const RUNTIME_CONNECT_STATE = new Set(["connected", "status"]);
function sameDevicesOnDisk(a: Obj[], b: Obj[]): boolean {
  return a.length === b.length && a.every((da, i) => {
    const db = b[i];
    return changedKeys(da, db).every((k) => k === "connectable" && !!da[k] && !!db[k] && changedKeys(da[k] as Obj, db[k] as Obj).every((ck) => RUNTIME_CONNECT_STATE.has(ck)));
  });
}

function fileType(name: string): string {
  if (/\.vmx$/i.test(name)) return "config";
  if (/\.nvram$/i.test(name)) return "nvram";
  if (/\.vmsd$/i.test(name)) return "snapshotList";
  if (/\.vmsn$/i.test(name)) return "snapshotData";
  if (/\.log$/i.test(name)) return "log";
  if (/-(flat|delta|sesparse|ctk)\.vmdk$/i.test(name)) return "diskExtent";
  if (/\.vmdk$/i.test(name)) return "diskDescriptor";
  if (/\.vswp$/i.test(name)) return "swap";
  return "extendedConfig";
}

export { parseDatastorePath };
