// A VM's side of first-class disks (vcenter-vstorage-object-manager.ts):
// AttachDisk_Task makes an FCD a VirtualDisk of the VM (its backing the
// FCD's file, `vDiskId` its id), DetachDisk_Task takes it off again (the
// files stay), and Destroy_Task keeps an attached FCD's files when the FCD
// says keepAfterDeleteVm (the default). Both methods are since API 6.5: a
// vCenter without a VStorageObjectManager answers MethodNotFound, as a 6.0
// server does for a method it does not know.
//
// Chosen without confirmation: with no controllerKey the disk goes to the
// first SCSI controller with a free unit (MissingController when the VM has
// none); a disk already attached to a VM is InvalidState; the virtual
// hardware version is not checked (DeviceUnsupportedForVmVersion is never
// raised). vDiskId lives in the VM's configuration, not in the .vmx, so a VM
// registered again from its .vmx shows the disk without it.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { Args } from "./managed-object.ts";
import type { VirtualMachine } from "./virtual-machine.ts";
import { kindOf, type Device } from "./vm-devices.ts";
import { notFound, vStorageObjectManager, type VcenterVStorageObjectManager } from "./vcenter-vstorage-object-manager.ts";

const DISK_CONTROLLERS = ["scsi", "sata", "nvme", "ide"];
const SCSI_UNITS = [...Array(16).keys()].filter((u) => u !== 7);

function manager(vm: VirtualMachine, method: string): VcenterVStorageObjectManager {
  const m = vStorageObjectManager(vm.sim);
  if (!m) throw new VimFault("MethodNotFound", { receiver: vm.ref, method }, `Method ${method} not found on VirtualMachine`);
  return m;
}

function idOf(id: unknown): string {
  return typeof id === "object" && id !== null ? String((id as { id?: unknown }).id ?? "") : String(id ?? "");
}

export function attachDisk(vm: VirtualMachine, args: Args, userName: string): ManagedObjectReference {
  const m = manager(vm, "AttachDisk_Task");
  return vm.sim.tasks.run(vm, "AttachDisk_Task", "VirtualMachine.attachDisk", userName, () => {
    const { rec } = m.record(args.diskId, args.datastore);
    const users = m.attachedTo(rec);
    if (users.length) throw new VimFault("InvalidState", {}, `The disk ${rec.id} is already attached to virtual machine ${String(users[0].get("name"))}.`);
    const devices = vm.config.hardware.device as Device[];
    const schema = vm.sim.schema;
    let controllerKey: number;
    if (args.controllerKey !== undefined && args.controllerKey !== null) {
      const ctrl = devices.find((d) => d.key === Number(args.controllerKey));
      if (!ctrl || !DISK_CONTROLLERS.includes(kindOf(schema, ctrl._type))) {
        throw new VimFault("InvalidController", { controllerKey: Number(args.controllerKey) }, `Device ${args.controllerKey} is not a disk controller of this virtual machine.`);
      }
      controllerKey = ctrl.key;
    } else {
      const scsi = devices.filter((d) => kindOf(schema, d._type) === "scsi");
      if (!scsi.length) throw new VimFault("MissingController", {}, "The virtual machine has no SCSI controller for the disk.");
      const withRoom = scsi.find((c) => devices.filter((d) => d.controllerKey === c.key).length < SCSI_UNITS.length) ?? scsi[0];
      controllerKey = withRoom.key;
    }
    const device: DataObject = {
      _type: "VirtualDisk", key: -100, controllerKey, unitNumber: args.unitNumber ?? undefined, capacityInKB: 0,
      backing: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: rec.path, diskMode: "persistent" },
      vDiskId: { _type: "ID", id: rec.id },
    };
    vm.withGuestDisks(() => vm.reconfigure({ deviceChange: [{ _type: "VirtualDeviceConfigSpec", operation: "add", device }] }));
  });
}

export function detachDisk(vm: VirtualMachine, args: Args, userName: string): ManagedObjectReference {
  manager(vm, "DetachDisk_Task");
  return vm.sim.tasks.run(vm, "DetachDisk_Task", "VirtualMachine.detachDisk", userName, () => {
    const id = idOf(args.diskId);
    const device = (vm.config.hardware.device as Device[]).find((d) => kindOf(vm.sim.schema, d._type) === "disk" && (d.vDiskId as { id?: string } | undefined)?.id === id);
    if (!device) throw notFound(`first-class disk ${id} attached to ${vm.name}`);
    vm.withGuestDisks(() => vm.reconfigure({ deviceChange: [{ _type: "VirtualDeviceConfigSpec", operation: "remove", device: { _type: device._type, key: device.key } }] }));
  });
}

/**
 * Before a VM's files go: the attached FCDs whose files stay (keepAfterDeleteVm),
 * and, once the files are gone, the catalog forgets those that went with the VM.
 */
export function firstClassDisksOnDestroy(vm: VirtualMachine): { keep: Set<string>; forget: () => void } {
  const m = vStorageObjectManager(vm.sim);
  const keep = new Set<string>();
  const gone: (() => void)[] = [];
  if (m) {
    for (const d of vm.config.hardware.device as Device[]) {
      const fileName = d.backing?.fileName as string | undefined;
      if (kindOf(vm.sim.schema, d._type) !== "disk" || !fileName) continue;
      const found = m.byPath(fileName);
      if (!found) continue;
      if (found.rec.keepAfterDeleteVm) keep.add(fileName);
      else gone.push(() => m.forget(found.ds, found.rec.id));
    }
  }
  return { keep, forget: () => gone.forEach((f) => f()) };
}
