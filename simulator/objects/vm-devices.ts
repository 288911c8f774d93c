// A VM's virtual hardware: the devices every VM has, the keys ESXi gives
// new devices, and applying a VirtualDeviceConfigSpec list (add, edit,
// remove; negative temporary keys; unit numbers on controllers) as hostd
// validates it. File operations (disk creation) are the caller's.
import { VimFault, type DataObject } from "../../vim25/soap/index.ts";
import type { Schema } from "../../vim25/schema/index.ts";

export type Device = DataObject & {
  key: number;
  controllerKey?: number;
  unitNumber?: number;
  deviceInfo?: { label: string; summary: string };
  backing?: DataObject & Record<string, any>;
  connectable?: DataObject & { startConnected: boolean; allowGuestControl: boolean; connected: boolean; status?: string };
  device?: number[];
  busNumber?: number;
  capacityInKB?: number;
  capacityInBytes?: number;
  macAddress?: string;
  addressType?: string;
};

const desc = (label: string, summary: string) => ({ _type: "Description", label, summary });

/** The devices hostd gives every VM, whatever the spec says. */
export function defaultDevices(): Device[] {
  return [
    { _type: "VirtualIDEController", key: 200, deviceInfo: desc("IDE 0", "IDE 0"), busNumber: 0, device: [] },
    { _type: "VirtualIDEController", key: 201, deviceInfo: desc("IDE 1", "IDE 1"), busNumber: 1, device: [] },
    { _type: "VirtualPS2Controller", key: 300, deviceInfo: desc("PS2 controller 0", "PS2 controller 0"), busNumber: 0, device: [600, 700] },
    { _type: "VirtualPCIController", key: 100, deviceInfo: desc("PCI controller 0", "PCI controller 0"), busNumber: 0, device: [500, 12000] },
    { _type: "VirtualSIOController", key: 400, deviceInfo: desc("SIO controller 0", "SIO controller 0"), busNumber: 0, device: [] },
    { _type: "VirtualKeyboard", key: 600, deviceInfo: desc("Keyboard ", "Keyboard"), controllerKey: 300, unitNumber: 0 },
    { _type: "VirtualPointingDevice", key: 700, deviceInfo: desc("Pointing device", "Pointing device; Device"), backing: { _type: "VirtualPointingDeviceDeviceBackingInfo", deviceName: "", useAutoDetect: false, hostPointingDevice: "autodetect" }, controllerKey: 300, unitNumber: 1 },
    { _type: "VirtualMachineVideoCard", key: 500, deviceInfo: desc("Video card ", "Video card"), controllerKey: 100, unitNumber: 0, videoRamSizeInKB: 4096, numDisplays: 1, useAutoDetect: false, enable3DSupport: false, use3dRenderer: "automatic", graphicsMemorySizeInKB: 262144 },
    { _type: "VirtualMachineVMCIDevice", key: 12000, deviceInfo: desc("VMCI device", "Device on the virtual machine PCI bus that provides support for the virtual machine communication interface"), controllerKey: 100, unitNumber: 17, id: -1, allowUnrestrictedCommunication: false, filterEnable: true },
  ];
}

type Kind = "scsi" | "ide" | "sata" | "nvme" | "pci" | "sio" | "ps2" | "usb" | "disk" | "cdrom" | "nic" | "serial" | "parallel" | "floppy" | "other";

export function kindOf(schema: Schema, type: string): Kind {
  return schema.memo("vm-device-kind", type, () => classify(schema, type));
}

function classify(schema: Schema, type: string): Kind {
  const is = (t: string) => schema.isA(type, t);
  if (is("VirtualSCSIController")) return "scsi";
  if (is("VirtualIDEController")) return "ide";
  if (is("VirtualSATAController")) return "sata";
  if (is("VirtualNVMEController")) return "nvme";
  if (is("VirtualPCIController")) return "pci";
  if (is("VirtualSIOController")) return "sio";
  if (is("VirtualPS2Controller")) return "ps2";
  if (is("VirtualUSBController") || is("VirtualUSBXHCIController")) return "usb";
  if (is("VirtualDisk")) return "disk";
  if (is("VirtualCdrom")) return "cdrom";
  if (is("VirtualEthernetCard")) return "nic";
  if (is("VirtualSerialPort")) return "serial";
  if (is("VirtualParallelPort")) return "parallel";
  if (is("VirtualFloppy")) return "floppy";
  return "other";
}

const LABEL: Partial<Record<Kind, string>> = {
  scsi: "SCSI controller", ide: "IDE", sata: "SATA controller", nvme: "NVME controller", usb: "USB controller", disk: "Hard disk",
  cdrom: "CD/DVD drive", nic: "Network adapter", serial: "Serial port", parallel: "Parallel port", floppy: "Floppy drive",
};

// Units a controller offers; SCSI unit 7 is the controller itself.
function unitsOf(kind: Kind): number[] {
  switch (kind) {
    case "scsi": return [...Array(16).keys()].filter((u) => u !== 7);
    case "ide": return [0, 1];
    case "sata": return [...Array(30).keys()];
    case "nvme": return [...Array(15).keys()];
    case "sio": return [0, 1, 2, 3];
    default: return [...Array(32).keys()];
  }
}

/**
 * The key hostd gives a new device: controllers by bus, disks by controller
 * and unit (scsi0:1 → 2001, scsi1:0 → 2016), the rest the next free key of
 * their range.
 */
function newKey(schema: Schema, d: Device, byKey: Map<number, Device>): number {
  const kind = kindOf(schema, d._type);
  const ctrl = d.controllerKey !== undefined ? byKey.get(d.controllerKey) : undefined;
  const ctrlKind = ctrl ? kindOf(schema, ctrl._type) : undefined;
  const bus = ctrl?.busNumber ?? 0;
  const unit = d.unitNumber ?? 0;
  let k: number;
  switch (kind) {
    case "scsi": k = 1000 + (d.busNumber ?? 0); break;
    case "ide": k = 200 + (d.busNumber ?? 0); break;
    case "sata": k = 15000 + (d.busNumber ?? 0); break;
    case "nvme": k = 31000 + (d.busNumber ?? 0); break;
    case "usb": k = 7000; break;
    case "disk": k = ctrlKind === "scsi" ? 2000 + bus * 16 + unit : ctrlKind === "sata" ? 16000 + bus * 30 + unit : ctrlKind === "nvme" ? 32000 + bus * 15 + unit : 3000 + bus * 2 + unit; break;
    case "cdrom": k = ctrlKind === "sata" ? 16000 + bus * 30 + unit : 3000 + bus * 2 + unit; break;
    case "nic": k = 4000; break;
    case "serial": k = 9000; break;
    case "parallel": k = 10000; break;
    case "floppy": k = 8000; break;
    default: k = 13000;
  }
  while (byKey.has(k)) k++;
  return k;
}

function invalid(index: number, msg: string, property?: string): VimFault {
  return new VimFault("InvalidDeviceSpec", { property, deviceIndex: index }, `Invalid configuration for device '${index}'.${msg ? " " + msg : ""}`);
}

export interface DeviceChangeResult {
  devices: Device[];
  added: Device[];
  removed: Device[];
  edited: Device[];
  /** spec index → the device as placed (for file operations) */
  placed: Map<number, Device>;
}

/** Apply `changes` to `current` (not mutated). Throws InvalidDeviceSpec as hostd would. */
export function applyDeviceChanges(schema: Schema, current: Device[], changes: (DataObject & Record<string, any>)[], opts: { poweredOn: boolean }): DeviceChangeResult {
  const devices: Device[] = current.map((d) => ({ ...d, device: d.device ? [...d.device] : undefined }));
  const byKey = new Map<number, Device>(devices.map((d) => [d.key, d]));
  const temp = new Map<number, number>();
  const added: Device[] = [], removed: Device[] = [], edited: Device[] = [];
  const placed = new Map<number, Device>();

  // temporary keys first: a disk may name a controller added later in the list
  const order = changes.map((c, i) => ({ c, i })).sort((a, b) => rank(schema, a.c) - rank(schema, b.c) || a.i - b.i);
  for (const { c, i } of order) {
    const op = c.operation as string | undefined;
    const dev = { ...(c.device as Device) };
    if (!dev || !dev._type) throw invalid(i, "The device is missing.");
    if (!op) throw invalid(i, "No operation.");
    if (op === "add") {
      const kind = kindOf(schema, dev._type);
      if (dev.controllerKey !== undefined && dev.controllerKey < 0) {
        const mapped = temp.get(dev.controllerKey);
        if (mapped === undefined) throw invalid(i, `Controller ${dev.controllerKey} is not part of this change.`, "device.controllerKey");
        dev.controllerKey = mapped;
      }
      if (["scsi", "ide", "sata", "nvme"].includes(kind)) {
        if (opts.poweredOn) throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: "poweredOn" }, "Controllers cannot be added while the VM is powered on.");
        const taken = devices.filter((d) => kindOf(schema, d._type) === kind).map((d) => d.busNumber ?? 0);
        dev.busNumber ??= 0;
        if (taken.includes(dev.busNumber)) throw invalid(i, `Bus ${dev.busNumber} is in use.`, "device.busNumber");
        dev.device = [];
      }
      if (dev.controllerKey === undefined) dev.controllerKey = defaultController(schema, kind, devices);
      const ctrl = dev.controllerKey !== undefined ? byKey.get(dev.controllerKey) : undefined;
      if (dev.controllerKey !== undefined && !ctrl) throw invalid(i, `Controller ${dev.controllerKey} does not exist.`, "device.controllerKey");
      if (ctrl && ["disk", "cdrom", "floppy"].includes(kind)) {
        const used = new Set(devices.filter((d) => d.controllerKey === ctrl.key).map((d) => d.unitNumber));
        if (dev.unitNumber === undefined || dev.unitNumber === null) {
          const free = unitsOf(kindOf(schema, ctrl._type)).find((u) => !used.has(u));
          if (free === undefined) throw invalid(i, "The controller has no free unit.", "device.unitNumber");
          dev.unitNumber = free;
        } else if (used.has(dev.unitNumber) || !unitsOf(kindOf(schema, ctrl._type)).includes(dev.unitNumber)) {
          throw invalid(i, `Unit ${dev.unitNumber} on controller ${ctrl.key} is not available.`, "device.unitNumber");
        }
      }
      if (opts.poweredOn && !["disk", "nic", "cdrom", "serial"].includes(kind)) throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: "poweredOn" });
      const given = dev.key;
      dev.key = given !== undefined && given > 0 && !byKey.has(given) ? given : newKey(schema, dev, byKey);
      if (given !== undefined && given < 0) {
        if (temp.has(given)) throw invalid(i, `Key ${given} is used twice.`, "device.key");
        temp.set(given, dev.key);
      }
      if (kind === "disk" && !dev.capacityInKB && !dev.capacityInBytes && c.fileOperation === "create") throw invalid(i, "A new disk needs a capacity.", "device.capacityInKB");
      if (kind === "disk") {
        const kb = dev.capacityInKB ?? Math.ceil((dev.capacityInBytes ?? 0) / 1024);
        dev.capacityInKB = kb;
        dev.capacityInBytes = dev.capacityInBytes ?? kb * 1024;
      }
      if (dev.connectable) dev.connectable = { status: "untried", ...dev.connectable, _type: "VirtualDeviceConnectInfo", connected: false };
      devices.push(dev);
      byKey.set(dev.key, dev);
      if (ctrl) ctrl.device = [...(ctrl.device ?? []), dev.key];
      added.push(dev);
      placed.set(i, dev);
    } else if (op === "remove") {
      const key = dev.key < 0 ? temp.get(dev.key) : dev.key;
      const existing = key !== undefined ? byKey.get(key) : undefined;
      if (!existing) throw invalid(i, `Device ${dev.key} does not exist.`, "device.key");
      const kind = kindOf(schema, existing._type);
      if (opts.poweredOn && !["disk", "nic", "cdrom", "serial"].includes(kind)) throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: "poweredOn" });
      if (devices.some((d) => d.controllerKey === existing.key)) throw invalid(i, "The controller still has devices.", "device");
      devices.splice(devices.indexOf(existing), 1);
      byKey.delete(existing.key);
      const ctrl = existing.controllerKey !== undefined ? byKey.get(existing.controllerKey) : undefined;
      if (ctrl?.device) ctrl.device = ctrl.device.filter((k) => k !== existing.key);
      removed.push(existing);
      placed.set(i, existing);
    } else if (op === "edit") {
      const existing = byKey.get(dev.key);
      if (!existing) throw invalid(i, `Device ${dev.key} does not exist.`, "device.key");
      if (existing._type !== dev._type) throw invalid(i, "A device's type cannot change.", "device");
      const kind = kindOf(schema, existing._type);
      if (kind === "disk") {
        const kb = dev.capacityInKB ?? (dev.capacityInBytes !== undefined ? Math.ceil(dev.capacityInBytes / 1024) : existing.capacityInKB!);
        if (kb < (existing.capacityInKB ?? 0)) throw new VimFault("InvalidDeviceOperation", { deviceIndex: i, badOp: "edit" }, "Disks cannot shrink.");
        dev.capacityInKB = kb;
        dev.capacityInBytes = kb * 1024;
      }
      const merged: Device = { ...existing, ...stripUndefined(dev), key: existing.key, controllerKey: existing.controllerKey, unitNumber: existing.unitNumber, device: existing.device };
      if (dev.connectable) merged.connectable = { ...existing.connectable!, ...dev.connectable, connected: dev.connectable.connected ?? existing.connectable?.connected ?? false };
      devices[devices.indexOf(existing)] = merged;
      byKey.set(merged.key, merged);
      edited.push(merged);
      placed.set(i, merged);
    } else throw invalid(i, `Unknown operation ${op}.`, "operation");
  }
  labelDevices(schema, devices);
  return { devices, added, removed, edited, placed };
}

function rank(schema: Schema, c: Record<string, any>): number {
  const kind = c.device?._type ? kindOf(schema, c.device._type) : "other";
  return c.operation === "add" && ["scsi", "ide", "sata", "nvme", "usb"].includes(kind) ? 0 : 1;
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

/** NICs and PCI devices sit on the PCI controller, serial ports on SIO, CD-ROMs on the first IDE with room. */
function defaultController(schema: Schema, kind: Kind, devices: Device[]): number | undefined {
  if (["nic", "scsi", "sata", "nvme", "usb"].includes(kind)) return 100;
  if (kind === "serial" || kind === "parallel" || kind === "floppy") return 400;
  if (kind === "cdrom") {
    for (const ide of devices.filter((d) => kindOf(schema, d._type) === "ide")) {
      if (devices.filter((d) => d.controllerKey === ide.key).length < 2) return ide.key;
    }
  }
  return undefined;
}

/** deviceInfo labels as the vSphere client shows them: "Hard disk 1", "Network adapter 2". */
export function labelDevices(schema: Schema, devices: Device[]): void {
  const counters = new Map<Kind, number>();
  for (const d of [...devices].sort((a, b) => a.key - b.key)) {
    const kind = kindOf(schema, d._type);
    const base = LABEL[kind];
    if (!base) continue;
    const n = (counters.get(kind) ?? 0) + 1;
    counters.set(kind, n);
    const label = ["scsi", "ide", "sata", "nvme"].includes(kind) ? `${base} ${d.busNumber ?? 0}` : kind === "usb" ? base : `${base} ${n}`;
    d.deviceInfo = { label, summary: summaryOf(kind, d) };
  }
}

function summaryOf(kind: Kind, d: Device): string {
  switch (kind) {
    case "disk": return `${thousands(d.capacityInKB ?? 0)} KB`;
    case "nic": return String(d.backing?.deviceName ?? d.backing?.port?.portgroupKey ?? "");
    case "cdrom": return d.backing?.fileName ? `ISO ${d.backing.fileName}` : "Remote device";
    case "serial": return d.backing?.serviceURI ? `Remote ${d.backing.serviceURI}` : d.backing?.fileName ? `File ${d.backing.fileName}` : "";
    case "scsi": return d._type === "ParaVirtualSCSIController" ? "VMware paravirtual SCSI" : d._type.replace(/^Virtual/, "");
    default: return d.deviceInfo?.summary ?? "";
  }
}

// "1,048,576": what the vSphere client shows; Intl formatting is too slow for a hot path
function thousands(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
