// CloneVM_Task: a new VM from a VM (or one of its snapshots) with its own
// identity and MACs. Full clones get disks of their own (the source chain
// flattened); linked clones get a delta on top of each source disk.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { Folder } from "./folder.ts";
import type { VirtualApp } from "./virtual-app.ts";
import type { ConfigInfo, VirtualMachine } from "./virtual-machine.ts";
import { VirtualMachineSnapshot } from "./virtual-machine-snapshot.ts";
import { kindOf, type Device } from "./vm-devices.ts";
import { checkName, enterInventory, newVirtualMachine, placeVm, vmxPathFor } from "./vm-factory.ts";
import { checkCustomization } from "./vm-customization.ts";
import { datacenterOf } from "./managed-entity.ts";
import { basename, formatDatastorePath, joinPath, resolveDatastorePath, type ResolvedPath } from "../datastore/datastore-path.ts";
import { createDiskFiles, diskChain, extentFile, flattenChain, newDiskDescriptor, volumeOf } from "../datastore/disk-files.ts";
import { capacityBytes } from "../formats/vmdk.ts";
import { datastoreRefusal } from "./vm-placement.ts";
import { SnapshotFiles } from "../datastore/snapshot-files.ts";
import { bindDvPorts } from "./dv-ports.ts";

const LINKED = "createNewChildDiskBacking";

/**
 * `folder` is a VM folder, or the vApp the clone joins (CloneVApp_Task: a
 * vApp's VMs are its own children). `opts.thin` overrides the source disks'
 * provisioning in a full clone (VAppCloneSpec.provisioning); `opts.from`
 * is the configuration to clone, frozen disks and all (an instant clone).
 */
export function cloneVm(sim: SimContext, source: VirtualMachine, folder: Folder | VirtualApp, name: string, spec: Record<string, any>, userName: string, opts: { thin?: boolean; from?: ConfigInfo } = {}): ManagedObjectReference {
  // cloning is a vCenter service: hostd answers it with NotSupported
  if (!sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
  if (folder.type === "Folder" && !(folder.props.childType as string[]).includes("VirtualMachine")) throw new VimFault("NotSupported", {});
  checkName(sim, folder, name);
  // the clone is powered off with nothing pending: the spec is checked against the source's adapters
  const customization = spec.customization ? checkCustomization(sim, spec.customization, { powerState: "poweredOff" }, source.nicCount()) : undefined;
  // an instant clone builds on the disks the running source has just left (vm-instant-clone.ts)
  let from: ConfigInfo = opts.from ?? source.config;
  if (spec.snapshot) {
    const snap = sim.inventory.get(spec.snapshot.value);
    if (!(snap instanceof VirtualMachineSnapshot) || snap.vm !== source) throw new VimFault("InvalidArgument", { invalidProperty: "snapshot" });
    from = snap.config;
  }
  const loc = (spec.location ?? {}) as Record<string, any>;
  const linked = loc.diskMoveType === LINKED;
  if (linked && source.powerState !== "poweredOff" && !spec.snapshot && !opts.from) throw new VimFault("InvalidState", {}, "A linked clone of a running VM needs a snapshot to build on.");
  const storage = sim.vmStorage;
  const srcVmx = storage.resolve(source.config.files.vmPathName, source);
  const ds = loc.datastore ? sim.inventory.get(loc.datastore.value) : srcVmx.datastore;
  if (!ds || ds.type !== "Datastore") throw new VimFault("InvalidDatastore", { datastore: loc.datastore }, "Invalid datastore.");
  const closed = datastoreRefusal(ds);
  if (closed) throw closed;
  const pool = (loc.pool as ManagedObjectReference | undefined) ?? (source.props.resourcePool as ManagedObjectReference);
  const host = placeVm(sim, pool, loc.host, ds.ref);
  const value = sim.newRef("vm-");
  const where = vmxPathFor(`[${ds.get("name")}]`, name, (p) => storage.exists(p, folder));
  const dir = resolveDatastorePath(sim, where.dir, datacenterOf(folder));
  const now = sim.clock.now();
  const devices: Device[] = from.hardware.device.map((d) => {
    if (kindOf(sim.schema, d._type) !== "nic") return d.connectable ? { ...d, connectable: { ...d.connectable, connected: false } } : d;
    // a clone gets its own addresses, unless the source's were set by hand
    const manual = d.addressType === "manual";
    return { ...d, macAddress: manual ? d.macAddress : undefined, connectable: d.connectable ? { ...d.connectable, connected: false } : undefined };
  });
  const config: ConfigInfo = {
    ...from,
    name,
    uuid: sim.ids.uuid("vm.bios", value),
    instanceUuid: sim.ids.uuid("vm.instance", value),
    locationId: sim.ids.uuid("vm.location", value),
    template: !!spec.template,
    changeVersion: now.toISOString(),
    modified: now,
    createDate: now,
    files: { ...from.files, vmPathName: where.vmPathName, snapshotDirectory: where.dir, suspendDirectory: where.dir, logDirectory: where.dir },
    hardware: { ...from.hardware, device: devices },
  };
  const vm = newVirtualMachine(sim, storage, value, config, { folder, pool, host });
  if (sim.inventory.get(pool.value)?.type === "VirtualApp") vm.props.parentVApp = pool;
  const vol = volumeOf(dir);
  vol.mkdir(dir.path, { parents: true });
  try {
    const snapshots = new SnapshotFiles(sim);
    const disks = config.hardware.device.filter((d) => kindOf(sim.schema, d._type) === "disk" && d.backing?.fileName);
    const stem = basename(where.vmPathName.slice(where.vmPathName.indexOf("] ") + 2)).replace(/\.vmx$/i, "");
    const newDevices = config.hardware.device.map((d): Device => {
      if (!disks.includes(d)) return d;
      const src = storage.resolve(d.backing!.fileName, source);
      if (linked) {
        const delta = snapshots.createDelta(src.datastorePath, dir, "none");
        return { ...d, backing: { ...d.backing!, fileName: delta, parent: d.backing, contentId: undefined, changeId: undefined } };
      }
      const chain = diskChain(sim, src, datacenterOf(folder));
      const bytes = capacityBytes(chain[chain.length - 1].descriptor);
      let rel = joinPath(dir.path, `${stem}.vmdk`);
      for (let i = 1; vol.exists(rel); i++) rel = joinPath(dir.path, `${stem}_${i}.vmdk`);
      const target: ResolvedPath = { datastore: dir.datastore, path: rel, datastorePath: formatDatastorePath(dir.datastore.name, rel) };
      const descriptor = newDiskDescriptor(sim, target, { bytes, thin: opts.thin ?? d.backing?.thinProvisioned !== false, hwVersion: Number(String(config.version).replace("vmx-", "")) || 11 });
      createDiskFiles(target, descriptor);
      flattenChain(chain, extentFile(target, descriptor.extents[0]));
      return { ...d, backing: { ...d.backing, fileName: target.datastorePath, datastore: dir.datastore.ref, parent: undefined, contentId: descriptor.cid, changeId: undefined, ...(opts.thin === undefined ? {} : { thinProvisioned: opts.thin }) } as DataObject & Record<string, any> };
    });
    // the clone's NICs on static distributed port groups get ports of their own
    const finalConfig: ConfigInfo = { ...config, hardware: { ...config.hardware, device: bindDvPorts(sim, vm.ref, newDevices, false) } };
    storage.persist(vm, finalConfig);
    vol.writeFile(joinPath(dir.path, `${stem}.nvram`), Buffer.alloc(8684));
    vol.writeFile(joinPath(dir.path, "vmware.log"), Buffer.from(`${now.toISOString()}| vmx| I120: VM cloned from ${source.config.files.vmPathName}\n`));
    vm.props.config = finalConfig;
  } catch (e) {
    if (vol.exists(dir.path)) vol.delete(dir.path);
    throw e;
  }
  enterInventory(sim, vm, { folder, pool, host });
  vm.event("VmClonedEvent", `Clone of ${source.name} completed`, userName, { sourceVm: { _type: "VmEventArgument", name: source.name, vm: source.ref } });
  if (spec.config) vm.reconfigure(spec.config);
  // a clone's disks start their own change histories
  vm.trackChanges();
  // the clone's disks carry the source's operating system
  vm.inheritedGuest = sim.guests.declaredFor(source.ref.value) ?? source.inheritedGuest;
  vm.pendingCustomization = customization;
  if (spec.powerOn && !config.template) vm.forcePower("poweredOn", userName);
  return vm.ref;
}
