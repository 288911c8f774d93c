// RelocateVM_Task: a VM to another resource pool, host, folder or datastore
// (vCenter's cold migration, vMotion and storage vMotion). Files move for
// real: the VM's folder and its disks go to the target datastore, each
// descriptor still finds its parent, snapshots keep their files, and the
// .vmx is rewritten with the new paths. hostd relocates nothing: it answers
// NotSupported, as it does for clones.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { ConfigInfo, VirtualMachine } from "./virtual-machine.ts";
import type { Datastore } from "./datastore.ts";
import type { Folder } from "./folder.ts";
import type { ManagedObject } from "./managed-object.ts";
import { datacenterOf, type ManagedEntity } from "./managed-entity.ts";
import { kindOf } from "./vm-devices.ts";
import { checkName, placeVm } from "./vm-factory.ts";
import { datastoreRefusal, hostRefusal, networkRefusals, versionRefusal } from "./vm-placement.ts";
import { basename, dirname, formatDatastorePath, joinPath, type ResolvedPath } from "../datastore/datastore-path.ts";
import { mapConfigPaths } from "../datastore/config-paths.ts";
import { diskChain, diskFiles, extentFile, parentFileNameHint, parentOf, readDescriptor, volumeOf, writeDescriptor } from "../datastore/disk-files.ts";
import { DatastoreVolume, type VolumeEntry } from "../datastore/datastore-volume.ts";

type Ref = ManagedObjectReference;
const DISALLOW_SHARING = "moveAllDiskBackingsAndDisallowSharing";
const MOVE_TYPES = new Set([DISALLOW_SHARING, "moveAllDiskBackingsAndAllowSharing", "moveChildMostDiskBacking"]);

/** One file to carry to another datastore: moved, or copied when something else still needs it there. */
interface FileOp {
  from: ResolvedPath;
  to: ResolvedPath;
  copy: boolean;
}

const keyOf = (f: ResolvedPath) => `${f.datastore.ref.value}:${f.path}`;
const at = (ds: Datastore, path: string): ResolvedPath => ({ datastore: ds, path, datastorePath: formatDatastorePath(ds.name, path) });

export function relocateVm(sim: SimContext, vm: VirtualMachine, spec: Record<string, any>, userName: string): void {
  if (!sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
  const inv = sim.inventory;
  const dc = datacenterOf(vm);
  const sameDc = (o: ManagedObject) => datacenterOf(o as ManagedEntity) === dc;
  const notAcrossDatacenters = () => new VimFault("NotSupported", {}, "Relocating a virtual machine to another datacenter is not supported by this simulator.");

  // ---- where to: pool, host, folder ----
  const curPool = inv.get((vm.props.resourcePool as Ref).value)!;
  let pool = curPool;
  if (spec.pool) {
    const rp = inv.get(spec.pool.value);
    if (!rp || !rp.isA("ResourcePool")) throw new VimFault("ManagedObjectNotFound", { obj: spec.pool });
    pool = rp;
  }
  let hostArg: Ref | undefined = spec.host;
  if (hostArg) {
    const h = inv.get(hostArg.value);
    if (!h || h.type !== "HostSystem") throw new VimFault("ManagedObjectNotFound", { obj: hostArg });
    // a host outside the pool's compute resource brings its own root pool
    if (!spec.pool && !hostsOf(sim, pool).some((r) => r.value === h.ref.value)) pool = inv.get((inv.get((h.props.parent as Ref).value)!.props.resourcePool as Ref).value)!;
  } else if (hostsOf(sim, pool).some((r) => r.value === vm.host.value)) hostArg = vm.host;
  if ((pool.type === "VirtualApp" || curPool.type === "VirtualApp") && pool !== curPool) {
    throw new VimFault("NotSupported", {}, "Moving a virtual machine into or out of a vApp is not supported by this simulator.");
  }
  if (!sameDc(pool)) throw notAcrossDatacenters();
  let folder: Folder | undefined;
  if (spec.folder) {
    const f = inv.get(spec.folder.value);
    if (!f || f.type !== "Folder") throw new VimFault("ManagedObjectNotFound", { obj: spec.folder });
    if (!(f.props.childType as string[]).includes("VirtualMachine")) throw new VimFault("NotSupported", {}, `${f.get("name")} is not a folder of virtual machines.`);
    if (!sameDc(f)) throw notAcrossDatacenters();
    if (f.ref.value !== (vm.props.parent as Ref | undefined)?.value) {
      folder = f as Folder;
      checkName(sim, folder, vm.name);
    }
  }

  // ---- where to: datastores ----
  const datastore = (ref: Ref | undefined, what: string): Datastore | undefined => {
    if (!ref) return undefined;
    const d = inv.get(ref.value);
    if (!d || d.type !== "Datastore") throw new VimFault("InvalidDatastore", { datastore: ref }, `Invalid datastore: ${what}.`);
    if (!sameDc(d)) throw notAcrossDatacenters();
    return d as Datastore;
  };
  const moveType = (t: unknown, what: string): string => {
    if (t === undefined) return DISALLOW_SHARING;
    if (t === "createNewChildDiskBacking") throw new VimFault("InvalidArgument", { invalidProperty: what }, `A specified parameter was not correct: ${what} (createNewChildDiskBacking is for clones)`);
    if (!MOVE_TYPES.has(String(t))) throw new VimFault("NotSupported", {}, `diskMoveType ${String(t)} is not supported by this simulator.`);
    return String(t);
  };
  const homeTarget = datastore(spec.datastore, "spec.datastore");
  const defaultMove = moveType(spec.diskMoveType, "spec.diskMoveType");
  const disks = vm.config.hardware.device.filter((d) => kindOf(sim.schema, d._type) === "disk" && d.backing?.fileName);
  const locators = new Map<number, { ds: Datastore; move: string }>();
  ((spec.disk ?? []) as Record<string, any>[]).forEach((l, i) => {
    if (!disks.some((d) => d.key === l.diskId)) throw new VimFault("InvalidArgument", { invalidProperty: `spec.disk[${i}].diskId` }, `A specified parameter was not correct: spec.disk[${i}].diskId (no disk has key ${String(l.diskId)})`);
    locators.set(l.diskId, { ds: datastore(l.datastore, `spec.disk[${i}].datastore`)!, move: l.diskMoveType === undefined ? defaultMove : moveType(l.diskMoveType, `spec.disk[${i}].diskMoveType`) });
  });
  const storage = sim.vmStorage;
  const vmx = storage.resolve(vm.config.files.vmPathName, vm);
  const home = at(vmx.datastore, dirname(vmx.path));
  const host = placeVm(sim, pool.ref, hostArg, (homeTarget ?? home.datastore).ref);
  // vpxd moves no VM onto a host it cannot reach, that is being serviced, whose
  // release cannot run the VM's hardware version, or that lacks the network of
  // a connected adapter (its checkers report the same: virtual-machine-compatibility-checker.ts)
  if (host.value !== vm.host.value) {
    const target = inv.get(host.value)!;
    const nics = vm.config.hardware.device.filter((d) => kindOf(sim.schema, d._type) === "nic");
    const refusal = hostRefusal(target) ?? versionRefusal(sim, target, vm.config.version) ?? networkRefusals(sim, target, nics).find((r) => r.connected)?.fault;
    if (refusal) throw refusal;
  }

  // no file moves onto a datastore in (or entering) maintenance mode
  const receiving = new Set<Datastore>();
  if (homeTarget && homeTarget !== home.datastore) receiving.add(homeTarget);
  for (const d of disks) {
    const l = locators.get(d.key);
    if (l && l.ds !== storage.resolve(String(d.backing!.fileName), vm).datastore) receiving.add(l.ds);
  }
  for (const ds of receiving) {
    const closed = datastoreRefusal(ds);
    if (closed) throw closed;
  }

  // ---- the files ----
  const homeTo = homeTarget && homeTarget !== home.datastore ? homeTarget : undefined;
  if (homeTo && !home.path) throw new VimFault("NotSupported", {}, "A virtual machine whose files sit at the root of its datastore cannot be relocated by this simulator.");
  const inHome = (f: ResolvedPath) => f.datastore === home.datastore && dirname(f.path) === home.path;
  const ops = new Map<string, FileOp>();
  const dirs = new Map<Datastore, ResolvedPath>();
  // the VM's folder on another datastore keeps its name, or gets " (1)" as a new VM's would
  const dirOn = (ds: Datastore): ResolvedPath => {
    if (ds === home.datastore) return home;
    let dir = dirs.get(ds);
    if (!dir) {
      const base = basename(home.path);
      let path = base;
      for (let i = 1; ds.volume.exists(path); i++) path = `${base} (${i})`;
      dir = at(ds, path);
      dirs.set(ds, dir);
    }
    return dir;
  };
  const carry = (from: ResolvedPath, ds: Datastore, copy: boolean) => {
    if (!ops.has(keyOf(from))) ops.set(keyOf(from), { from, to: at(ds, joinPath(dirOn(ds).path, basename(from.path))), copy });
  };
  let othersNeed: Set<string> | undefined;
  const needed = (f: ResolvedPath) => (othersNeed ??= filesOthersNeed(sim, vm)).has(keyOf(f));
  const settled = new Set<string>();
  for (const d of disks) {
    const loc = locators.get(d.key);
    const target = loc?.ds ?? homeTarget;
    const move = loc?.move ?? defaultMove;
    diskChain(sim, storage.resolve(d.backing!.fileName, vm), dc).forEach((link, i) => {
      const files = diskFiles(link.file, link.descriptor);
      for (const f of files) settled.add(keyOf(f));
      // the VM's own links are its top disk and whatever sits in its folder; the rest (image layers, a linked clone's base) is shared
      const own = i === 0 || inHome(link.file);
      if (!target || target === link.file.datastore) return;
      if (move === "moveChildMostDiskBacking" && i > 0) return;
      if (!own && move !== DISALLOW_SHARING) return;
      const copy = !own || needed(link.file);
      for (const f of files) carry(f, target, copy);
    });
  }
  if (homeTo) {
    for (const name of home.datastore.volume.readdir(home.path)) {
      const f = at(home.datastore, joinPath(home.path, name));
      if (!settled.has(keyOf(f))) carry(f, homeTo, needed(f));
    }
  }

  // every datastore the VM will use must be one the host mounts
  const hostDs = (inv.get(host.value)!.props.datastore as Ref[]) ?? [];
  const used = new Set<Datastore>([homeTo ?? home.datastore]);
  for (const d of disks) {
    const f = storage.resolve(d.backing!.fileName, vm);
    used.add(ops.get(keyOf(f))?.to.datastore ?? f.datastore);
  }
  for (const ds of used) {
    if (!hostDs.some((r) => r.value === ds.ref.value)) {
      throw new VimFault("DatastoreNotWritableOnHost", { datastore: ds.ref, name: ds.name, host }, `The datastore '${ds.name}' is not accessible from host '${String(inv.get(host.value)!.get("name"))}'.`);
    }
  }

  const moving = ops.size > 0;
  const run = () => {
    const srcHost = vm.host;
    const srcDs = home.datastore;
    const hostName = (r: Ref) => String(inv.get(r.value)?.get("name") ?? "");
    const hostArgOf = (r: Ref) => ({ _type: "HostEventArgument", name: hostName(r), host: r });
    const dsArgOf = (d: Datastore) => ({ _type: "DatastoreEventArgument", name: d.name, datastore: d.ref });
    const dcArg = dc ? { _type: "DatacenterEventArgument", name: dc.name, datacenter: dc.ref } : undefined;
    const toDs = homeTo ?? home.datastore;
    const hot = vm.powerState === "poweredOn";
    vm.event(hot ? "VmBeingHotMigratedEvent" : "VmBeingRelocatedEvent",
      hot ? `Migrating ${vm.name} from ${hostName(srcHost)}, ${srcDs.name} to ${hostName(host)}, ${toDs.name} in ${dc?.name ?? ""}`
        : `Relocating ${vm.name} from ${hostName(srcHost)}, ${srcDs.name} in ${dc?.name ?? ""} to ${hostName(host)}, ${toDs.name} in ${dc?.name ?? ""}`,
      userName, { destHost: hostArgOf(host), destDatacenter: dcArg, destDatastore: dsArgOf(toDs) });
    const undo = moving ? transfer(sim, [...ops.values()], [...dirs.values()], dc) : undefined;
    const rename = renamer(sim, vm, ops, homeTo ? { from: home, to: dirOn(homeTo) } : undefined);
    // out of the old pool's, host's and datastores' lists, into the new ones'
    vm.leave();
    try {
      if (moving) {
        try {
          vm.applyConfig(rename.config(vm.config));
        } catch (e) {
          undo!();
          throw e;
        }
        vm.snapshots.relocated(rename.path, rename.config);
        for (const op of ops.values()) if (!op.copy && op.from.datastore.volume.exists(op.from.path)) op.from.datastore.volume.delete(op.from.path);
        if (homeTo && home.datastore.volume.exists(home.path) && !home.datastore.volume.readdir(home.path).length) home.datastore.volume.delete(home.path);
      }
      vm.update({ resourcePool: pool.ref });
      vm.refresh({ runtime: { ...(vm.props.runtime as DataObject), host } });
    } finally {
      vm.attach();
    }
    if (folder) {
      vm.destroyLinkOnly();
      folder.attachChild(vm);
    }
    vm.event(hot ? "VmMigratedEvent" : "VmRelocatedEvent",
      hot ? `Migration of virtual machine ${vm.name} from ${hostName(srcHost)}, ${srcDs.name} to ${hostName(host)}, ${toDs.name} completed`
        : `Completed the relocation of the virtual machine`,
      userName, { sourceHost: hostArgOf(srcHost), sourceDatacenter: dcArg, sourceDatastore: dsArgOf(srcDs) });
  };
  if (moving) vm.withGuestDisks(run);
  else run();
}

function hostsOf(sim: SimContext, pool: ManagedObject): Ref[] {
  return (sim.inventory.get((pool.props.owner as Ref).value)?.props.host as Ref[] | undefined) ?? [];
}

/** The disk files (descriptors and extents) other VMs and their snapshots build on: a linked clone's base stays where its children find it. */
function filesOthersNeed(sim: SimContext, vm: VirtualMachine): Set<string> {
  const out = new Set<string>();
  for (const other of sim.inventory.ofType("VirtualMachine") as VirtualMachine[]) {
    if (other === vm) continue;
    for (const config of [other.config, ...other.snapshots.all().map((s) => s.config)]) {
      for (const d of config.hardware.device) {
        for (let b = d.backing as Record<string, any> | undefined; typeof b?.fileName === "string"; b = b.parent) {
          try {
            const f = sim.vmStorage.resolve(b.fileName, other);
            if (out.has(keyOf(f))) continue;
            out.add(keyOf(f));
            if (/\.vmdk$/i.test(f.path)) for (const e of readDescriptor(f).extents) if (e.file) out.add(keyOf(extentFile(f, e)));
          } catch {
            // a backing on a datastore that is gone, or no descriptor: nothing of ours
          }
        }
      }
    }
  }
  return out;
}

/**
 * Copy every file to its new place, space and names checked for all of them
 * first; then point each moved descriptor at its parent's new (or old) place.
 * A failure removes what was written, and so does the undo returned: the
 * sources are untouched until the caller deletes them.
 */
function transfer(sim: SimContext, ops: FileOp[], dirs: ResolvedPath[], dc: ReturnType<typeof datacenterOf>): () => void {
  const trees = ops.map((op) => ({ op, tree: op.from.datastore.volume.exportTree(op.from.path) as VolumeEntry[] }));
  const need = new Map<Datastore, number>();
  for (const { op, tree } of trees) {
    if (op.to.datastore.volume.exists(op.to.path)) throw new VimFault("FileAlreadyExists", { file: op.to.datastorePath }, `Cannot complete the operation because the file or folder ${op.to.datastorePath} already exists`);
    need.set(op.to.datastore, (need.get(op.to.datastore) ?? 0) + DatastoreVolume.allocationOf(tree));
  }
  for (const [ds, bytes] of need) {
    if (bytes > ds.volume.freeBytes()) throw new VimFault("NoDiskSpace", { file: dirs.find((d) => d.datastore === ds)?.datastorePath ?? `[${ds.name}]`, datastore: ds.name }, `Insufficient disk space on datastore '${ds.name}'.`);
  }
  const made: ResolvedPath[] = [];
  const undo = () => {
    for (const f of made.reverse()) if (volumeOf(f).exists(f.path)) volumeOf(f).delete(f.path);
  };
  try {
    for (const dir of dirs) {
      if (!dir.datastore.volume.exists(dir.path)) {
        dir.datastore.volume.mkdir(dir.path, { parents: true });
        made.push(dir);
      }
    }
    for (const { op, tree } of trees) {
      op.to.datastore.volume.importTree(op.to.path, tree, { keepTimes: true });
      made.push(op.to);
    }
    const newPlace = new Map(ops.map((op) => [keyOf(op.from), op.to]));
    for (const op of ops) {
      if (!/\.vmdk$/i.test(op.from.path) || /-(flat|delta|sesparse)\.vmdk$/i.test(op.from.path)) continue;
      let desc;
      try {
        desc = readDescriptor(op.from);
      } catch {
        continue; // not a descriptor: it moves as it is
      }
      const parent = parentOf(sim, op.from, desc, dc);
      if (!parent) continue;
      const hint = parentFileNameHint(newPlace.get(keyOf(parent)) ?? parent, op.to);
      if (hint !== desc.parentFileNameHint) writeDescriptor(op.to, { ...desc, parentFileNameHint: hint });
    }
  } catch (e) {
    undo();
    throw e;
  }
  return undo;
}

/** How the VM's configurations read once its files have moved: every path, and each disk backing's datastore. */
function renamer(sim: SimContext, vm: VirtualMachine, ops: Map<string, FileOp>, homeMove: { from: ResolvedPath; to: ResolvedPath } | undefined): { path: (dsPath: string) => string; config: (c: ConfigInfo) => ConfigInfo } {
  const path = (s: string): string => {
    if (!s.startsWith("[")) return s;
    let f: ResolvedPath;
    try {
      f = sim.vmStorage.resolve(s, vm);
    } catch {
      return s;
    }
    const op = ops.get(keyOf(f));
    if (op) return op.to.datastorePath;
    if (homeMove && keyOf(f) === keyOf(homeMove.from)) return homeMove.to.datastorePath;
    return s;
  };
  return { path, config: (c) => mapConfigPaths(c, path, (fileName) => sim.vmStorage.datastoreOf(fileName, vm).ref) };
}
