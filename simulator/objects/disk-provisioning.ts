// A disk's provisioning (thin, lazy- or eager-zeroed thick) as the rest of
// the inventory sees it, for VirtualDiskManager and the first-class disk
// manager alike: which VMs hold a disk open, and what they and the FCD
// catalog show once its provisioning changed.
//
// The simulator keeps eager against lazy zeroing where the API shows it and
// nowhere else: in a VM disk backing's eagerlyScrub and an FCD's
// provisioningType. A descriptor says only whether a disk is thin, as on
// VMFS (where zeroing is a property of the file's blocks), and an unwritten
// block reads as zeros either way, so an eager-zeroed disk's files are the
// same as a lazy-zeroed one's.
import { VimFault, type DataObject } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { VirtualMachine } from "./virtual-machine.ts";
import { kindOf, type Device } from "./vm-devices.ts";
import { vStorageObjectManager } from "./vcenter-vstorage-object-manager.ts";
import { resolveDatastorePath, type ResolvedPath } from "../datastore/datastore-path.ts";
import { allocateExtents, inflateShortfall, readDescriptor, volumeOf, writeDescriptor } from "../datastore/disk-files.ts";
import { NO_PARENT, ddbGet, type VmdkDescriptor } from "../formats/vmdk.ts";

function sameFile(sim: SimContext, name: unknown, f: ResolvedPath): boolean {
  if (typeof name !== "string" || !name) return false;
  try {
    const r = resolveDatastorePath(sim, name);
    return r.datastore === f.datastore && r.path === f.path;
  } catch {
    // a backing on a datastore that is gone names no file here
    return false;
  }
}

/** Whether a backing or one of its parents is `f`. */
function backingOpens(sim: SimContext, b: Record<string, any> | undefined, f: ResolvedPath): boolean {
  for (let x = b; x; x = x.parent) if (sameFile(sim, x.fileName, f)) return true;
  return false;
}

/** VMs with a disk whose chain holds `f`: its own file, or a parent it reads through. */
export function vmsOpening(sim: SimContext, f: ResolvedPath): VirtualMachine[] {
  return (sim.inventory.ofType("VirtualMachine") as VirtualMachine[]).filter((vm) =>
    (vm.config?.hardware?.device ?? []).some((d) => kindOf(sim.schema, d._type) === "disk" && backingOpens(sim, d.backing, f)));
}

/**
 * A running VM holds its disks (and the parents under them) locked, so
 * hostd cannot open them for a change: FileLocked, as for any file a VMX
 * process has open.
 */
export function refuseLocked(sim: SimContext, f: ResolvedPath): void {
  if (vmsOpening(sim, f).some((vm) => vm.powerState === "poweredOn")) {
    throw new VimFault("FileLocked", { file: f.datastorePath }, `Unable to access file ${f.datastorePath} since it is locked`);
  }
}

/** Refuse what no provisioning change can be applied to; returns the descriptor. */
function baseDisk(f: ResolvedPath, what: string): VmdkDescriptor {
  const desc = readDescriptor(f);
  // a delta's allocation is its parent's plus what it holds; the API reference speaks of base disks only
  if (desc.parentCid !== NO_PARENT) throw new VimFault("NotSupported", {}, `Cannot ${what} ${f.datastorePath}: it is a delta disk with a parent.`);
  return desc;
}

/**
 * Thin to eager-zeroed thick: every extent allocated in full, the descriptor
 * no longer thin. The whole shortfall is checked against the datastore
 * before anything changes. A disk that is thick already is only marked
 * eager-zeroed (not confirmed against hostd, which may refuse it).
 */
export function inflateDisk(sim: SimContext, f: ResolvedPath): void {
  const desc = baseDisk(f, "inflate");
  refuseLocked(sim, f);
  const thin = ddbGet(desc, "thinProvisioned") === "1";
  const need = inflateShortfall(f, desc);
  if (need > volumeOf(f).freeBytes()) {
    throw new VimFault("NoDiskSpace", { file: f.datastorePath, datastore: f.datastore.name }, `Insufficient disk space on datastore '${f.datastore.name}'.`);
  }
  allocateExtents(f, desc);
  if (thin) {
    // the CID stays: the disk reads as it did, and children made on it must still find it
    desc.ddb = desc.ddb.filter(([k]) => k !== "thinProvisioned");
    writeDescriptor(f, desc);
  }
  showProvisioning(sim, f, false, true);
}

/**
 * Lazy- to eager-zeroed thick. The API reference has it zero "unaccessed
 * parts of a zeroedthick disk", a no-op on one eager-zeroed already. A thin
 * disk has no allocated parts left to zero: refused, a choice made without
 * confirmation from hostd.
 */
export function eagerZeroDisk(sim: SimContext, f: ResolvedPath): void {
  const desc = baseDisk(f, "eagerly zero");
  refuseLocked(sim, f);
  if (ddbGet(desc, "thinProvisioned") === "1") {
    throw new VimFault("NotSupported", {}, `Cannot eagerly zero ${f.datastorePath}: it is thin-provisioned (inflate it instead).`);
  }
  showProvisioning(sim, f, false, true);
}

/** The VMs' disk backings and the FCD that have `f` in them show its provisioning. */
export function showProvisioning(sim: SimContext, f: ResolvedPath, thin: boolean, eager: boolean): void {
  updateBackings(sim, f, { thinProvisioned: thin, eagerlyScrub: eager });
  const fcd = vStorageObjectManager(sim)?.byPath(f.datastorePath);
  if (fcd) fcd.rec.provisioningType = thin ? "thin" : eager ? "eagerZeroedThick" : "lazyZeroedThick";
}

/** Every VM disk backing (or parent backing) that is `f` takes `patch`; each VM changed gets its config and .vmx rewritten. */
export function updateBackings(sim: SimContext, f: ResolvedPath, patch: Record<string, unknown>): void {
  const mark = (b: Record<string, any> | undefined): Record<string, any> | undefined => {
    if (!b) return b;
    const parent = mark(b.parent);
    const own = sameFile(sim, b.fileName, f) && Object.entries(patch).some(([k, v]) => b[k] !== v);
    if (!own && parent === b.parent) return b;
    const out = { ...b };
    if (own) Object.assign(out, patch);
    if (parent !== b.parent) out.parent = parent;
    return out;
  };
  for (const vm of vmsOpening(sim, f)) {
    let changed = false;
    const device = vm.config.hardware.device.map((d): Device => {
      if (kindOf(sim.schema, d._type) !== "disk") return d;
      const backing = mark(d.backing);
      if (backing === d.backing) return d;
      changed = true;
      return { ...d, backing: backing as DataObject & Record<string, any> };
    });
    if (changed) vm.applyConfig({ ...vm.config, hardware: { ...vm.config.hardware, device } });
  }
}
