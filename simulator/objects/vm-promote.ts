// PromoteDisks_Task: a linked clone's disks stop depending on disks other
// VMs share. With unlink, each delta chain is copied into one flat disk of the
// VM's own, in its folder, and the deltas only this VM used go; without it,
// the deltas only this VM uses could merge, and a linked clone has one such
// delta on its shared base, so there is nothing to do.
import { VimFault } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { ConfigInfo, VirtualMachine } from "./virtual-machine.ts";
import { kindOf, type Device } from "./vm-devices.ts";
import { datacenterOf } from "./managed-entity.ts";
import { basename, dirname, formatDatastorePath, joinPath, type ResolvedPath } from "../datastore/datastore-path.ts";
import { createDiskFiles, diskChain, extentFile, flattenChain, newDiskDescriptor, readDescriptor, removeDisk, volumeOf, type DiskLink } from "../datastore/disk-files.ts";
import { capacityBytes } from "../formats/vmdk.ts";

const fileKey = (f: ResolvedPath) => `${f.datastore.ref.value}:${f.path}`;

export function promoteDisks(sim: SimContext, vm: VirtualMachine, unlink: boolean, only: { key?: number }[] | undefined): void {
  if (vm.powerState !== "poweredOff") throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: vm.powerState });
  // a snapshot's disks are the VM's own deltas too: which of them a promotion
  // folds is the reference's silence, so a VM with snapshots is refused (a choice)
  if (vm.snapshots.roots.length) throw new VimFault("InvalidState", {}, "The virtual machine has snapshots: remove them before promoting its disks.");
  const storage = sim.vmStorage;
  const dc = datacenterOf(vm);
  const wanted = only?.length ? new Set(only.map((d) => d.key)) : undefined;
  const disks = vm.config.hardware.device.filter((d) => kindOf(sim.schema, d._type) === "disk" && d.backing?.parent && (!wanted || wanted.has(d.key)));
  if (wanted) {
    for (const key of wanted) {
      if (!vm.config.hardware.device.some((d) => d.key === key && kindOf(sim.schema, d._type) === "disk")) throw new VimFault("InvalidArgument", { invalidProperty: "disks" });
    }
  }
  if (!unlink || disks.length === 0) return;
  const usedElsewhere = filesOfOtherVms(sim, vm);
  const vmx = storage.resolve(vm.config.files.vmPathName, vm);
  const dir: ResolvedPath = { datastore: vmx.datastore, path: dirname(vmx.path), datastorePath: formatDatastorePath(vmx.datastore.name, dirname(vmx.path)) };
  const vol = volumeOf(dir);
  const made: ResolvedPath[] = [];
  const replaced = new Map<number, Device>();
  const dropped: DiskLink[] = [];
  try {
    for (const d of disks) {
      const chain = diskChain(sim, storage.resolve(d.backing!.fileName, vm), dc);
      // the disk keeps its name without the delta's "-000001"
      const stem = basename(chain[0].file.path).replace(/\.vmdk$/i, "").replace(/-\d{6}$/, "");
      let rel = joinPath(dir.path, `${stem}.vmdk`);
      for (let i = 1; vol.exists(rel); i++) rel = joinPath(dir.path, `${stem}_${i}.vmdk`);
      const target: ResolvedPath = { datastore: dir.datastore, path: rel, datastorePath: formatDatastorePath(dir.datastore.name, rel) };
      const descriptor = newDiskDescriptor(sim, target, {
        bytes: capacityBytes(chain[chain.length - 1].descriptor), thin: d.backing?.thinProvisioned !== false,
        hwVersion: Number(String(vm.config.version).replace("vmx-", "")) || 11,
      });
      createDiskFiles(target, descriptor);
      made.push(target);
      flattenChain(chain, extentFile(target, descriptor.extents[0]));
      const base = chain[chain.length - 1];
      replaced.set(d.key, {
        ...d,
        backing: { ...d.backing!, fileName: target.datastorePath, datastore: dir.datastore.ref, parent: undefined, contentId: descriptor.cid },
        capacityInBytes: capacityBytes(base.descriptor),
      } as Device);
      // only deltas in the VM's own folder go: a base elsewhere (a source VM's, an image store's) stays even when no VM uses it now
      for (const link of chain) if (!usedElsewhere.has(fileKey(link.file)) && link.file.datastore === dir.datastore && dirname(link.file.path) === dir.path) dropped.push(link);
    }
  } catch (e) {
    for (const f of made) if (vol.exists(f.path)) removeDisk(f, readDescriptor(f));
    throw e;
  }
  const config: ConfigInfo = { ...vm.config, hardware: { ...vm.config.hardware, device: vm.config.hardware.device.map((d) => replaced.get(d.key) ?? d) } };
  vm.applyConfig(config);
  for (const { file, descriptor } of dropped) removeDisk(file, descriptor);
  storage.log(vm, `Promoted ${replaced.size} disk(s): each now stands alone`);
}

/** Every disk file some other VM's disks (or their snapshots') read through. */
function filesOfOtherVms(sim: SimContext, vm: VirtualMachine): Set<string> {
  const used = new Set<string>();
  for (const other of sim.inventory.ofType("VirtualMachine") as VirtualMachine[]) {
    if (other === vm) continue;
    const configs = [other.config, ...other.snapshots.all().map((s) => s.config)];
    for (const config of configs) {
      for (const d of config.hardware.device) {
        if (kindOf(sim.schema, d._type) !== "disk" || !d.backing?.fileName) continue;
        try {
          for (const link of diskChain(sim, sim.vmStorage.resolve(d.backing.fileName, other), datacenterOf(other))) used.add(fileKey(link.file));
        } catch {
          // a broken chain of another VM's keeps what it names, as far as it goes
          used.add(fileKey(sim.vmStorage.resolve(d.backing.fileName, other)));
        }
      }
    }
  }
  return used;
}
