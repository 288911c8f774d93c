// A VM's configuration as vim25 shows it (VirtualMachineConfigInfo) and the
// .vmx keys ESXi stores it in, both ways. The .vmx is the truth on disk:
// writeVmx renders a config into a file (updating an existing one in place,
// so keys it does not know keep their place), readVmx turns a file back into
// the config hostd would report, which is what RegisterVM_Task and customer
// fixtures need. The decisions (device keys, PCI slots, MACs, what is
// extraConfig) are explained in README.md beside this file.
import { createHash } from "node:crypto";
import { VmxFile } from "./vmx.ts";

export { VmxFile, VmxParseError } from "./vmx.ts";
import type { DataObject, ManagedObjectReference } from "../../vim25/soap/values.ts";
import { vim25Schema } from "../../vim25/schema/index.ts";

// vim25 values are open-ended plain objects; the mapping reads nested
// backings and allocations without a declared type for each of them.
type Obj = DataObject & Record<string, any>;

export type VmxDevice = Obj & { key: number; controllerKey?: number; unitNumber?: number };

/** VirtualMachineConfigInfo, as far as the mapping reads or fills it. */
export type VmConfigInfo = Obj & {
  name?: string;
  guestId?: string;
  version?: string;
  uuid?: string;
  instanceUuid?: string;
  hardware?: Obj & { numCPU?: number; numCoresPerSocket?: number; memoryMB?: number; device?: VmxDevice[] };
  extraConfig?: Obj[];
};

/** What the mapping cannot know by itself: where files live, which networks exist. */
export interface VmxContext {
  /** the VM's own folder, as the API writes it: "[mydatastore] VCH001" */
  vmDirectory: string;
  /** the .vmx itself; defaults to config.files.vmPathName, then <vmDirectory>/<name>.vmx */
  vmPathName?: string;
  /** "[ds] dir/file" → what the .vmx says: a bare name in the VM's folder, else /vmfs/volumes/<uuid>/dir/file */
  toVmxPath(dsPath: string): string;
  /** the inverse of toVmxPath */
  fromVmxPath(vmxPath: string): string;
  networkByName(name: string): ManagedObjectReference | undefined;
  portgroupByKey(dvsUuid: string, portgroupKey: string): ManagedObjectReference | undefined;
  datastoreByName?(name: string): ManagedObjectReference | undefined;
  /** what the disk layer knows of a VMDK (capacity, thin, uuid, parent chain), merged into the backing */
  diskInfo?(dsPath: string): { capacityInKB?: number; backing?: Record<string, unknown> } | undefined;
  isVCenter: boolean;
  /** virtualHW.version when the config names none; 11 (ESXi 6.0) by default */
  hardwareVersion?: number;
  /** config.modified / changeVersion on read; the epoch when not given, to stay deterministic */
  now?: Date;
  /** uuid.bios for a file without one (a hand-written fixture); else derived from the .vmx path */
  defaultUuid?: string;
  /** instanceUuid for a file without vc.uuid; else derived from the BIOS UUID */
  defaultInstanceUuid?: string;
}

// ---------------------------------------------------------------- values

const TRUE_RE = /^(true|yes|1|on)$/i;
// lookups by names read from a file must not reach Object.prototype ("constructor")
const own = <T>(rec: Record<string, T>, key: string): T | undefined => (Object.hasOwn(rec, key) ? rec[key] : undefined);
const isTrue = (v: string | undefined): boolean => v !== undefined && TRUE_RE.test(v.trim());
const isFalse = (v: string | undefined): boolean => v !== undefined && /^(false|no|0|off)$/i.test(v.trim());
const flag = (b: boolean): string => (b ? "TRUE" : "FALSE");
const int = (v: string | undefined): number | undefined => {
  if (v === undefined || !/^\s*-?\d+\s*$/.test(v)) return undefined;
  return parseInt(v, 10);
};

/** config.uuid "564d8c2e-3f1a-9b07-5d21-c4e0771f3a90" → uuid.bios "56 4d 8c 2e 3f 1a 9b 07-5d 21 c4 e0 77 1f 3a 90" */
export function toVmxUuid(uuid: string): string {
  const hex = uuid.replace(/[^0-9a-fA-F]/g, "").toLowerCase();
  if (hex.length !== 32) throw new Error(`not a UUID: ${uuid}`);
  const bytes = hex.match(/../g)!;
  return `${bytes.slice(0, 8).join(" ")}-${bytes.slice(8).join(" ")}`;
}

/** uuid.bios (any spacing or case) → the API's dashed form; undefined if it is not 16 bytes of hex */
export function fromVmxUuid(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const hex = v.replace(/[\s-]/g, "").toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// A VM whose config has no UUID still needs one, and the same input must give
// the same answer on every run; so it is a name-based UUID, VMware-prefixed.
function derivedUuid(kind: string, seed: string): string {
  const h = createHash("sha1").update(`${kind}\0${seed}`).digest("hex");
  const prefix = kind === "instance" ? "52" : "564d";
  return fromVmxUuid(prefix + h.slice(prefix.length, 32))!;
}

/** the low 24 bits of a UUID, which ESXi puts in the last three bytes of a generated MAC */
function uuidTail(uuid: string): number {
  const hex = uuid.replace(/[^0-9a-fA-F]/g, "");
  return parseInt(hex.slice(-6), 16);
}

const macOf = (prefix: string, n: number): string =>
  `${prefix}:${[16, 8, 0].map((s) => ((n >> s) & 0xff).toString(16).padStart(2, "0")).join(":")}`;

/** ESXi's generated address: 00:0c:29 + (last 3 bytes of uuid.bios + offset) */
export function generatedMac(uuid: string, offset: number): string {
  return macOf("00:0c:29", (uuidTail(uuid) + offset) & 0xffffff);
}

/** vCenter's address: 00:50:56 in its 80:00:00–bf:ff:ff range, from the instance UUID */
export function vpxMac(uuid: string, offset: number): string {
  return macOf("00:50:56", 0x800000 | ((uuidTail(uuid) + offset) & 0x3fffff));
}

/** ESXi fills the four PCIe root ports (pciBridge4–7) function by function: 160, 192, 224, 256, 1184, ... */
export function pciSlotOrder(): number[] {
  const out: number[] = [];
  for (let fn = 0; fn < 8; fn++) for (let bridge = 0; bridge < 4; bridge++) out.push(160 + 32 * bridge + 1024 * fn);
  return out;
}

// ---------------------------------------------------------------- guest OS

// guestOS values that do not follow "drop Guest, lower-case, 64 → -64"
const GUEST_OS_EXCEPTIONS: Record<string, string> = {
  otherGuest64: "other-64",
  winLonghornGuest: "longhorn",
  winLonghorn64Guest: "longhorn-64",
  windows7Server64Guest: "windows7srv-64",
  windows8Server64Guest: "windows8srv-64",
  windows9Server64Guest: "windows9srv-64",
  windowsHyperVGuest: "winHyperV",
  vmwarePhoton64Guest: "vmware-photon-64",
};
const GUEST_OS_ALIASES: Record<string, string> = { linux: "otherLinuxGuest", nt4: "winNTGuest", win2000: "win2000ProGuest", whistler: "winXPHomeGuest" };

/** the .vmx guestOS for a guestId: other3xLinux64Guest → "other3xlinux-64" */
export function vmxGuestOs(guestId: string): string {
  const special = own(GUEST_OS_EXCEPTIONS, guestId);
  if (special) return special;
  const base = guestId.replace(/Guest/, "").replace(/_?64$/, "-64");
  if (/^freebsd/i.test(base)) return base.replace(/^freebsd/i, "freeBSD");
  // the Windows and eComStation names keep their capitals in .vmx files
  if (/^(win(?!dows|Vista)|eComStation)/.test(base)) return base;
  return base.toLowerCase();
}

/** the guestId for a .vmx guestOS (compared without case, as ESXi does); otherGuest if unknown */
export function guestIdFromVmx(guestOs: string | undefined): string {
  if (!guestOs) return "otherGuest";
  const want = guestOs.toLowerCase();
  const alias = own(GUEST_OS_ALIASES, want);
  if (alias) return alias;
  const ids = vim25Schema().enumValues("VirtualMachineGuestOsIdentifier") ?? [];
  return ids.find((id) => vmxGuestOs(id).toLowerCase() === want) ?? "otherGuest";
}

const GUEST_FULL_NAMES: Record<string, string> = {
  otherGuest: "Other (32-bit)",
  otherGuest64: "Other (64-bit)",
  otherLinuxGuest: "Other Linux (32-bit)",
  otherLinux64Guest: "Other Linux (64-bit)",
  other26xLinuxGuest: "Other 2.6.x Linux (32-bit)",
  other26xLinux64Guest: "Other 2.6.x Linux (64-bit)",
  other3xLinuxGuest: "Other 3.x Linux (32-bit)",
  other3xLinux64Guest: "Other 3.x Linux (64-bit)",
  other4xLinux64Guest: "Other 4.x or later Linux (64-bit)",
  vmwarePhoton64Guest: "VMware Photon OS (64-bit)",
  ubuntuGuest: "Ubuntu Linux (32-bit)",
  ubuntu64Guest: "Ubuntu Linux (64-bit)",
  debian8_64Guest: "Debian GNU/Linux 8 (64-bit)",
  debian9_64Guest: "Debian GNU/Linux 9 (64-bit)",
  centos64Guest: "CentOS 4/5/6/7 (64-bit)",
  centos7_64Guest: "CentOS 7 (64-bit)",
  rhel7_64Guest: "Red Hat Enterprise Linux 7 (64-bit)",
  sles12_64Guest: "SUSE Linux Enterprise 12 (64-bit)",
  windows9_64Guest: "Microsoft Windows 10 (64-bit)",
  windows8Server64Guest: "Microsoft Windows Server 2012 (64-bit)",
  windows9Server64Guest: "Microsoft Windows Server 2016 (64-bit)",
};

/** The full name vSphere shows for a guestId; the id itself for the ones not listed. */
export function guestFullName(guestId: string): string {
  return own(GUEST_FULL_NAMES, guestId) ?? guestId;
}

// ---------------------------------------------------------------- devices

type DevClass =
  | "scsi" | "sata" | "ide" | "pci" | "ps2" | "sio" | "usb" | "xhci" | "disk" | "cdrom" | "floppy"
  | "nic" | "serial" | "parallel" | "video" | "vmci" | "keyboard" | "pointing" | "other";

const SCSI_DEV: Record<string, string> = {
  ParaVirtualSCSIController: "pvscsi",
  VirtualLsiLogicController: "lsilogic",
  VirtualLsiLogicSASController: "lsisas1068",
  VirtualBusLogicController: "buslogic",
};
const SCSI_SUMMARY: Record<string, string> = {
  ParaVirtualSCSIController: "VMware paravirtual SCSI",
  VirtualLsiLogicController: "LSI Logic",
  VirtualLsiLogicSASController: "LSI Logic SAS",
  VirtualBusLogicController: "BusLogic",
};
const NIC_DEV: Record<string, string> = {
  VirtualVmxnet3: "vmxnet3",
  VirtualVmxnet3Vrdma: "vrdma",
  VirtualVmxnet2: "vmxnet",
  VirtualVmxnet: "vmxnet",
  VirtualE1000: "e1000",
  VirtualE1000e: "e1000e",
  VirtualPCNet32: "vlance",
};
// Enhanced vmxnet is plain vmxnet with this feature mask
const VMXNET2_FEATURES = "15";
const SHARED_BUS: Record<string, string> = { noSharing: "none", virtualSharing: "virtual", physicalSharing: "physical" };

const FIXED_CLASS: Record<string, DevClass> = {
  VirtualAHCIController: "sata",
  VirtualSATAController: "sata",
  VirtualIDEController: "ide",
  VirtualPCIController: "pci",
  VirtualPS2Controller: "ps2",
  VirtualSIOController: "sio",
  VirtualUSBController: "usb",
  VirtualUSBXHCIController: "xhci",
  VirtualDisk: "disk",
  VirtualCdrom: "cdrom",
  VirtualFloppy: "floppy",
  VirtualSerialPort: "serial",
  VirtualParallelPort: "parallel",
  VirtualMachineVideoCard: "video",
  VirtualMachineVMCIDevice: "vmci",
  VirtualKeyboard: "keyboard",
  VirtualPointingDevice: "pointing",
};

function classOf(type: string): DevClass {
  if (own(SCSI_DEV, type)) return "scsi";
  if (own(NIC_DEV, type)) return "nic";
  return own(FIXED_CLASS, type) ?? "other";
}

// The suffixes the mapping owns under each device prefix. Other keys under a
// device's prefix (serial0.hardwareFlowControl, scsi0:0.redo) are extraConfig.
const OWNED: Record<string, Set<string>> = {
  ethernet: new Set(["present", "virtualdev", "features", "networkname", "addresstype", "generatedaddress",
    "generatedaddressoffset", "address", "pcislotnumber", "uptcompatibility", "startconnected",
    "allowguestconnectioncontrol", "wakeonpcktrcv", "dvs.switchid", "dvs.portgroupid", "dvs.portid",
    "dvs.connectionid", "opaquenetwork.id", "opaquenetwork.type"]),
  scsi: new Set(["present", "virtualdev", "pcislotnumber", "sharedbus"]),
  sata: new Set(["present", "pcislotnumber"]),
  unit: new Set(["present", "devicetype", "filename", "mode", "startconnected", "allowguestconnectioncontrol",
    "clientdevice", "writethrough", "autodetect", "exclusive", "ctkenabled"]),
  serial: new Set(["present", "filetype", "filename", "network.endpoint", "pipe.endpoint", "yieldonmsrread", "vspc",
    "startconnected", "allowguestconnectioncontrol", "trynorxloss", "autodetect"]),
  parallel: new Set(["present", "filetype", "filename", "startconnected", "allowguestconnectioncontrol", "autodetect"]),
  floppy: new Set(["present", "filetype", "filename", "startconnected", "allowguestconnectioncontrol", "clientdevice", "autodetect"]),
  svga: new Set(["present", "vramsize", "autodetect", "numdisplays", "graphicsmemorykb"]),
  vmci: new Set(["present", "id", "pcislotnumber", "unrestricted"]),
  usb: new Set(["present", "pcislotnumber"]),
  pcibridge: new Set(["present", "virtualdev", "functions", "pcislotnumber"]),
};

function ownerOfPrefix(lprefix: string): string | undefined {
  if (/^ethernet\d+$/.test(lprefix)) return "ethernet";
  if (/^scsi\d+$/.test(lprefix)) return "scsi";
  if (/^sata\d+$/.test(lprefix)) return "sata";
  if (/^(scsi|sata|ide)\d+:\d+$/.test(lprefix)) return "unit";
  if (/^serial\d+$/.test(lprefix)) return "serial";
  if (/^parallel\d+$/.test(lprefix)) return "parallel";
  if (/^floppy\d+$/.test(lprefix)) return "floppy";
  if (lprefix === "svga") return "svga";
  if (/^vmci\d+$/.test(lprefix)) return "vmci";
  if (lprefix === "usb" || lprefix === "ehci" || lprefix === "usb_xhci") return "usb";
  if (/^pcibridge\d+$/.test(lprefix)) return "pcibridge";
  return undefined;
}

// Settings the mapping owns outright: identity, sizing, platform devices.
const OWNED_KEYS = new Set([
  ".encoding", "config.version", "virtualhw.version", "virtualhw.productcompatibility", "nvram", "displayname",
  "guestos", "memsize", "numvcpus", "cpuid.corespersocket", "uuid.bios", "uuid.location", "vc.uuid", "annotation",
  "cleanshutdown", "extendedconfigfile", "templatevm", "firmware", "hpet0.present", "workingdir", "suspend.directory",
  "mem.hotadd", "vcpu.hotadd", "vcpu.hotremove", "ctkenabled", "vhv.enable", "vpmc.enable", "mks.enable3d",
  "powertype.poweroff", "powertype.suspend", "powertype.reset",
  "sched.cpu.min", "sched.cpu.max", "sched.cpu.shares", "sched.cpu.units",
  "sched.mem.min", "sched.mem.minsize", "sched.mem.max", "sched.mem.shares", "sched.mem.pin",
]);

/**
 * Whether hostd shows a .vmx key in config.extraConfig: every key the mapping
 * does not turn into another property (guestinfo.*, tools.*, disk.EnableUUID,
 * unknown keys, unknown sub-keys of devices).
 */
export function isExtraConfigKey(key: string): boolean {
  // most keys a VM carries are guestinfo: no device or setting owns them
  if (key.startsWith("guestinfo.")) return true;
  const lk = key.toLowerCase();
  if (OWNED_KEYS.has(lk)) return false;
  // a device prefix is everything before the first dot ("serial0", "scsi0:1")
  const dot = lk.indexOf(".");
  if (dot > 0) {
    const owner = ownerOfPrefix(lk.slice(0, dot));
    if (owner && OWNED[owner]!.has(lk.slice(dot + 1))) return false;
  }
  return true;
}

interface Placed {
  dev: VmxDevice;
  cls: DevClass;
  prefix: string;
}

// Order in which a new file lists devices: controllers, then what hangs on
// them, then NICs and ports; the same order hands out PCI slots.
const WRITE_RANK: Partial<Record<DevClass, number>> = {
  video: 0, scsi: 1, sata: 2, usb: 3, xhci: 4, disk: 5, cdrom: 6, floppy: 7, nic: 8, serial: 9, parallel: 10, vmci: 11,
};

function placeDevices(devices: VmxDevice[]): Placed[] {
  const byKey = new Map(devices.map((d) => [d.key, d]));
  const used = new Set<string>();
  const out: Placed[] = [];
  const indexed = (d: VmxDevice, name: string, base: number, max: number): string => {
    const fromKey = d.key - base;
    if (fromKey >= 0 && fromKey < max && !used.has(`${name}${fromKey}`)) return `${name}${fromKey}`;
    for (let i = 0; i < max; i++) if (!used.has(`${name}${i}`)) return `${name}${i}`;
    throw new Error(`no free ${name} slot for device ${d.key}`);
  };
  const ctrlPrefix = (d: VmxDevice): string | undefined => {
    const c = d.controllerKey !== undefined ? byKey.get(d.controllerKey) : undefined;
    if (c) {
      const cls = classOf(c._type);
      const bus = (c.busNumber as number | undefined) ?? 0;
      if (cls === "scsi") return `scsi${bus}`;
      if (cls === "sata") return `sata${bus}`;
      if (cls === "ide") return `ide${bus}`;
      return undefined;
    }
    // the default IDE controllers may be left out of a config: ESXi's keys say which
    if (d.controllerKey === 200 || d.controllerKey === 201) return `ide${d.controllerKey - 200}`;
    return undefined;
  };
  const sorted = devices
    .map((dev, i) => ({ dev, i, cls: classOf(dev._type) }))
    .filter((x) => WRITE_RANK[x.cls] !== undefined)
    .sort((a, b) => WRITE_RANK[a.cls]! - WRITE_RANK[b.cls]! || a.dev.key - b.dev.key || a.i - b.i);
  for (const { dev, cls } of sorted) {
    let prefix: string;
    switch (cls) {
      case "video": prefix = "svga"; break;
      case "vmci": prefix = "vmci0"; break;
      case "usb": prefix = "usb"; break;
      case "xhci": prefix = "usb_xhci"; break;
      case "scsi": prefix = `scsi${(dev.busNumber as number | undefined) ?? dev.key - 1000}`; break;
      case "sata": prefix = `sata${(dev.busNumber as number | undefined) ?? dev.key - 15000}`; break;
      case "disk":
      case "cdrom": {
        const ctrl = ctrlPrefix(dev);
        if (!ctrl || dev.unitNumber === undefined) throw new Error(`device ${dev.key} (${dev._type}) has no controller and unit the .vmx can name`);
        prefix = `${ctrl}:${dev.unitNumber}`;
        break;
      }
      case "nic": prefix = indexed(dev, "ethernet", 4000, 10); break;
      case "serial": prefix = indexed(dev, "serial", 9000, 32); break;
      case "parallel": prefix = indexed(dev, "parallel", 10000, 3); break;
      case "floppy": prefix = indexed(dev, "floppy", 8000, 2); break;
      default: continue;
    }
    if (used.has(prefix)) throw new Error(`two devices map to ${prefix} (key ${dev.key})`);
    used.add(prefix);
    out.push({ dev, cls, prefix });
  }
  return out;
}

/** prefixes of the devices a .vmx declares present, lower-cased */
function presentDevices(vmx: VmxFile): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of vmx.entries()) {
    const m = /^(.+)\.present$/i.exec(k);
    if (!m || !isTrue(v)) continue;
    const p = m[1]!.toLowerCase();
    const owner = ownerOfPrefix(p);
    if (owner && owner !== "svga" && owner !== "vmci" && owner !== "pcibridge") out.add(p);
  }
  return out;
}

/**
 * Writes one device's keys: keeps each key where it stands, leaves out a
 * default value the file does not already carry (as ESXi does), and at the
 * end drops the keys of its prefix it owns but no longer wants.
 */
class DeviceKeys {
  private readonly touched = new Set<string>();
  /** the device's keys as the file had them, lower-cased suffix → value */
  readonly before = new Map<string, string>();

  constructor(private readonly vmx: VmxFile, readonly prefix: string, private readonly owner: string) {
    for (const [k, v] of vmx.entries(`${prefix}.`)) this.before.set(k.slice(prefix.length + 1).toLowerCase(), v);
  }

  has(suffix: string): boolean {
    return this.vmx.has(`${this.prefix}.${suffix}`);
  }

  /** leave a key the config says nothing about as the file has it */
  keep(suffix: string): void {
    this.touched.add(suffix.toLowerCase());
  }

  put(suffix: string, value: string | undefined, dflt?: string): void {
    const key = `${this.prefix}.${suffix}`;
    if (value === undefined) return;
    if (value === dflt && !this.vmx.has(key)) return;
    this.touched.add(suffix.toLowerCase());
    this.vmx.set(key, value);
  }

  finish(): void {
    const owned = OWNED[this.owner]!;
    for (const k of this.vmx.keys(`${this.prefix}.`)) {
      const suffix = k.slice(this.prefix.length + 1).toLowerCase();
      if (owned.has(suffix) && !this.touched.has(suffix)) this.vmx.delete(k);
    }
  }
}

function ownerOfClass(cls: DevClass): string {
  switch (cls) {
    case "nic": return "ethernet";
    case "disk": case "cdrom": return "unit";
    case "video": return "svga";
    case "xhci": return "usb";
    default: return cls;
  }
}

function connectKeys(w: DeviceKeys, dev: VmxDevice, suffix: "allow" | "start"): void {
  const c = dev.connectable as Obj | undefined;
  if (!c) return;
  if (suffix === "allow") w.put("allowGuestConnectionControl", flag(c.allowGuestControl !== false), "TRUE");
  else w.put("startConnected", flag(c.startConnected !== false), "TRUE");
}

// ---------------------------------------------------------------- write

/**
 * Render `config` as a .vmx. With `existing`, the file is updated where its
 * keys stand (unknown keys and their order kept, keys of removed devices
 * dropped, new keys appended); without it, a new file is laid out as ESXi 6.0
 * lays out a VM created through the API. `existing` is not modified.
 */
export function writeVmx(config: VmConfigInfo, ctx: VmxContext, existing?: VmxFile): VmxFile {
  const fresh = existing === undefined;
  const vmPath = (config.files?.vmPathName as string | undefined) ?? ctx.vmPathName ?? `${ctx.vmDirectory}/${config.name ?? "vm"}.vmx`;
  const baseName = fileNameOf(vmPath).replace(/\.vmx$/i, "");
  const vmx = existing ? existing.clone() : new VmxFile(vmPath);
  const uuid = fromVmxUuid(config.uuid) ?? fromVmxUuid(vmx.get("uuid.bios")) ?? derivedUuid("bios", vmPath);
  const instanceUuid = fromVmxUuid(config.instanceUuid) ?? fromVmxUuid(vmx.get("vc.uuid"));
  const hw = hardwareVersionOf(config.version) ?? int(vmx.get("virtualHW.version")) ?? ctx.hardwareVersion ?? 11;
  const hardware: NonNullable<VmConfigInfo["hardware"]> = config.hardware ?? { _type: "VirtualHardware" };
  const devices = (hardware.device ?? []) as VmxDevice[];
  const placed = placeDevices(devices);
  const put = (key: string, value: string | undefined, dflt?: string) => {
    if (value === undefined) vmx.delete(key);
    else if (value !== dflt || vmx.has(key)) vmx.set(key, value);
  };

  // Devices gone from the config lose all their keys; a device new at a
  // prefix starts clean, without what a removed one left behind.
  const before = presentDevices(vmx);
  const after = new Set(placed.filter((p) => p.cls !== "video" && p.cls !== "vmci").map((p) => p.prefix.toLowerCase()));
  if (after.has("usb") && placed.some((p) => p.cls === "usb" && p.dev.ehciEnabled)) after.add("ehci");
  for (const p of before) if (!after.has(p)) for (const k of vmx.keys(`${p}.`)) vmx.delete(k);
  if (before.has("floppy0") && !after.has("floppy0")) vmx.set("floppy0.present", "FALSE");
  for (const p of after) if (!before.has(p)) for (const k of vmx.keys(`${p}.`)) vmx.delete(k);

  if (fresh) {
    vmx.set(".encoding", "UTF-8");
    vmx.set("config.version", "8");
  }
  vmx.set("virtualHW.version", String(hw));
  if (fresh) {
    vmx.set("nvram", `${baseName}.nvram`);
    vmx.set("pciBridge0.present", "TRUE");
    vmx.set("svga.present", "TRUE");
    for (let b = 4; b <= 7; b++) {
      vmx.set(`pciBridge${b}.present`, "TRUE");
      vmx.set(`pciBridge${b}.virtualDev`, "pcieRootPort");
      vmx.set(`pciBridge${b}.functions`, "8");
    }
    vmx.set("vmci0.present", "TRUE");
    vmx.set("hpet0.present", "TRUE");
    vmx.set("floppy0.present", flag(after.has("floppy0")));
  }
  vmx.set("numvcpus", String(hardware.numCPU ?? int(vmx.get("numvcpus")) ?? 1));
  if (hardware.numCoresPerSocket !== undefined) put("cpuid.coresPerSocket", String(hardware.numCoresPerSocket), "1");
  vmx.set("memSize", String(hardware.memoryMB ?? int(vmx.get("memSize")) ?? 32));
  if (fresh) vmx.set("sched.cpu.units", "mhz");
  const boolSetting = (key: string, v: unknown) => {
    if (typeof v === "boolean") put(key, flag(v), "FALSE");
  };
  boolSetting("mem.hotadd", config.memoryHotAddEnabled);
  boolSetting("vcpu.hotadd", config.cpuHotAddEnabled);
  boolSetting("vcpu.hotremove", config.cpuHotRemoveEnabled);

  const writers = new Map<Placed, DeviceKeys>();
  for (const p of placed) {
    const w = new DeviceKeys(vmx, p.prefix, ownerOfClass(p.cls));
    writers.set(p, w);
    writeDevice(w, p, ctx, vmx);
  }

  vmx.set("displayName", config.name ?? vmx.get("displayName") ?? baseName);
  vmx.set("guestOS", vmxGuestOs(config.guestId ?? guestIdFromVmx(vmx.get("guestOS"))));
  vmx.set("uuid.bios", toVmxUuid(uuid));
  const location = fromVmxUuid(config.locationId as string | undefined) ?? fromVmxUuid(vmx.get("uuid.location")) ?? uuid;
  vmx.set("uuid.location", toVmxUuid(location));

  // Addresses and slots come after the identity, as in a file ESXi wrote.
  const nics = placed.filter((p) => p.cls === "nic");
  const usedMacs = new Set<string>();
  for (const p of nics) {
    const given = (p.dev.macAddress as string | undefined)?.toLowerCase();
    const vpx = p.dev.addressType === "assigned" || (p.dev.addressType !== "manual" && ctx.isVCenter);
    const mac = given ?? keptMac(writers.get(p)!, vpx);
    if (mac) usedMacs.add(mac);
  }
  for (const p of nics) writeMac(writers.get(p)!, p, uuid, instanceUuid, ctx.isVCenter, usedMacs);
  const pci = [...placed.filter((p) => p.cls === "scsi"), ...nics];
  const slots = assignSlots(pci, vmx);
  for (const p of nics) {
    const w = writers.get(p)!;
    w.put("pciSlotNumber", String(slots.get(p)));
    if (p.dev._type === "VirtualVmxnet3") w.put("uptCompatibility", flag(p.dev.uptCompatibilityEnabled !== false));
  }
  for (const p of pci) if (p.cls !== "nic") writers.get(p)!.put("pciSlotNumber", String(slots.get(p)));
  const vmci = placed.find((p) => p.cls === "vmci");
  const vmciId = vmci && typeof vmci.dev.id === "number" && vmci.dev.id !== -1 ? vmci.dev.id : int(vmx.get("vmci0.id")) ?? uuidTail32(uuid);
  if (vmci) writers.get(vmci)!.put("id", String(vmciId));
  else vmx.set("vmci0.id", String(vmciId));
  for (const w of writers.values()) w.finish();

  if (fresh) vmx.set("cleanShutdown", "TRUE");
  if (fresh && ctx.isVCenter) vmx.set("extendedConfigFile", `${baseName}.vmxf`);
  if (config.firmware !== undefined) put("firmware", String(config.firmware), "bios");
  boolSetting("templateVM", config.template);
  boolSetting("ctkEnabled", config.changeTrackingEnabled);
  boolSetting("vhv.enable", config.nestedHVEnabled);
  boolSetting("vpmc.enable", config.vPMCEnabled);
  boolSetting("sched.mem.pin", config.memoryReservationLockedToMax);
  writeDirectories(config, ctx, vmx);
  writePowerOps(config.defaultPowerOps as Obj | undefined, put);
  put("annotation", config.annotation ? String(config.annotation) : undefined);

  writeExtraConfig(vmx, config.extraConfig, before, after);

  if (instanceUuid && (ctx.isVCenter || vmx.has("vc.uuid"))) vmx.set("vc.uuid", toVmxUuid(instanceUuid));
  writeAllocation(vmx, "cpu", config.cpuAllocation as Obj | undefined, ctx.isVCenter && fresh);
  writeAllocation(vmx, "mem", config.memoryAllocation as Obj | undefined, ctx.isVCenter && fresh);
  return vmx;
}

/** 11 for "vmx-11" (or "vmx-011"); undefined for anything that is not such a key. */
export function hardwareVersionOf(version: string | undefined): number | undefined {
  const m = version ? /^vmx-(\d+)$/.exec(version) : null;
  return m ? parseInt(m[1]!, 10) : undefined;
}

// vmci0.id is a signed 32-bit number; ESXi draws it at random, here it
// follows from the BIOS UUID so that it is the same on every run.
function uuidTail32(uuid: string): number {
  return parseInt(uuid.replace(/-/g, "").slice(-8), 16) | 0;
}

function writeDevice(w: DeviceKeys, p: Placed, ctx: VmxContext, vmx: VmxFile): void {
  const d = p.dev;
  const b = (d.backing ?? {}) as Obj;
  switch (p.cls) {
    case "video": {
      w.put("present", "TRUE");
      if (typeof d.videoRamSizeInKB === "number") w.put("vramSize", String(d.videoRamSizeInKB * 1024), "4194304");
      else w.keep("vramSize");
      if (typeof d.useAutoDetect === "boolean") w.put("autodetect", flag(d.useAutoDetect), "FALSE");
      else w.keep("autodetect");
      if (typeof d.numDisplays === "number") w.put("numDisplays", String(d.numDisplays), "1");
      else w.keep("numDisplays");
      if (typeof d.graphicsMemorySizeInKB === "number") w.put("graphicsMemoryKB", String(d.graphicsMemorySizeInKB), "262144");
      else w.keep("graphicsMemoryKB");
      if (typeof d.enable3DSupport === "boolean" && (d.enable3DSupport || vmx.has("mks.enable3d"))) vmx.set("mks.enable3d", flag(d.enable3DSupport));
      return;
    }
    case "vmci":
      w.put("present", "TRUE");
      if (typeof d.allowUnrestrictedCommunication === "boolean") w.put("unrestricted", flag(d.allowUnrestrictedCommunication), "FALSE");
      else w.keep("unrestricted");
      // slots on the root bus (VMCI, USB, SATA) are ESXi's business at power-on; they stay as written
      w.keep("pciSlotNumber");
      return;
    case "scsi":
      w.put("virtualDev", SCSI_DEV[d._type]);
      w.put("present", "TRUE");
      w.put("sharedBus", SHARED_BUS[(d.sharedBus as string | undefined) ?? "noSharing"] ?? "none", "none");
      return;
    case "sata":
    case "xhci":
      w.put("present", "TRUE");
      w.keep("pciSlotNumber");
      return;
    case "usb":
      w.put("present", "TRUE");
      w.keep("pciSlotNumber");
      if (d.ehciEnabled) vmx.set("ehci.present", "TRUE");
      return;
    case "disk": {
      const bus = p.prefix.slice(0, p.prefix.indexOf(":")).replace(/\d+$/, "");
      w.put("deviceType", bus === "scsi" ? "scsi-hardDisk" : bus === "ide" ? "ata-hardDisk" : undefined);
      w.put("fileName", ctx.toVmxPath(String(b.fileName ?? "")));
      w.put("present", "TRUE");
      w.put("mode", String(b.diskMode ?? "persistent").replace(/_/g, "-"), "persistent");
      if (typeof b.writeThrough === "boolean") w.put("writeThrough", flag(b.writeThrough), "FALSE");
      // a tracked disk (its backing has a change ID) is marked as such; once marked, the key stays, FALSE when tracking stops
      w.put("ctkEnabled", flag(typeof b.changeId === "string"), "FALSE");
      return;
    }
    case "cdrom": {
      const t = b._type as string | undefined;
      if (t === "VirtualCdromRemotePassthroughBackingInfo" || t === "VirtualCdromRemoteAtapiBackingInfo") {
        w.put("deviceType", t === "VirtualCdromRemotePassthroughBackingInfo" ? "cdrom-raw" : "atapi-cdrom");
        w.put("clientDevice", "TRUE");
        w.put("fileName", b.deviceName ? String(b.deviceName) : "emptyBackingString");
        if (typeof b.useAutoDetect === "boolean") w.put("autodetect", flag(b.useAutoDetect), "FALSE");
        if (t === "VirtualCdromRemotePassthroughBackingInfo") w.put("exclusive", flag(b.exclusive === true), "FALSE");
      } else if (t === "VirtualCdromAtapiBackingInfo" || t === "VirtualCdromPassthroughBackingInfo") {
        w.put("deviceType", t === "VirtualCdromAtapiBackingInfo" ? "atapi-cdrom" : "cdrom-raw");
        w.put("fileName", String(b.deviceName ?? ""));
        if (typeof b.useAutoDetect === "boolean") w.put("autodetect", flag(b.useAutoDetect), "FALSE");
        if (t === "VirtualCdromPassthroughBackingInfo") w.put("exclusive", flag(b.exclusive === true), "FALSE");
      } else {
        w.put("deviceType", "cdrom-image");
        w.put("fileName", ctx.toVmxPath(String(b.fileName ?? "")));
      }
      w.put("present", "TRUE");
      connectKeys(w, d, "start");
      connectKeys(w, d, "allow");
      return;
    }
    case "nic": {
      w.put("virtualDev", NIC_DEV[d._type]);
      if (d._type === "VirtualVmxnet2") w.put("features", VMXNET2_FEATURES);
      const bt = b._type as string | undefined;
      if (bt === "VirtualEthernetCardDistributedVirtualPortBackingInfo") {
        const port = (b.port ?? {}) as Obj;
        w.put("dvs.switchId", port.switchUuid as string | undefined);
        w.put("dvs.portgroupId", port.portgroupKey as string | undefined);
        w.put("dvs.portId", port.portKey as string | undefined);
        w.put("dvs.connectionId", port.connectionCookie !== undefined ? String(port.connectionCookie) : undefined);
      } else if (bt === "VirtualEthernetCardOpaqueNetworkBackingInfo") {
        w.put("opaqueNetwork.id", String(b.opaqueNetworkId ?? ""));
        w.put("opaqueNetwork.type", String(b.opaqueNetworkType ?? ""));
      } else if (b.deviceName !== undefined) {
        w.put("networkName", String(b.deviceName));
      }
      const type = (d.addressType as string | undefined) ?? "generated";
      if (type === "manual") {
        w.put("addressType", "static");
        w.put("address", d.macAddress as string | undefined);
      } else {
        w.put("addressType", type === "assigned" || ctx.isVCenter ? "vpx" : "generated");
      }
      connectKeys(w, d, "allow");
      connectKeys(w, d, "start");
      if (typeof d.wakeOnLanEnabled === "boolean") w.put("wakeOnPcktRcv", flag(d.wakeOnLanEnabled), "FALSE");
      w.put("present", "TRUE");
      return;
    }
    case "serial":
    case "parallel":
    case "floppy": {
      connectKeys(w, d, "allow");
      const t = b._type as string | undefined;
      if (t?.endsWith("URIBackingInfo")) {
        w.put("fileType", "network");
        w.put("fileName", String(b.serviceURI ?? ""));
        w.put("network.endPoint", String(b.direction ?? "client"));
        w.put("vspc", b.proxyURI as string | undefined);
      } else if (t?.endsWith("PipeBackingInfo")) {
        w.put("fileType", "pipe");
        w.put("fileName", String(b.pipeName ?? ""));
        w.put("pipe.endPoint", String(b.endpoint ?? "server"));
        if (typeof b.noRxLoss === "boolean") w.put("tryNoRxLoss", flag(b.noRxLoss), "FALSE");
      } else if (t?.endsWith("RemoteDeviceBackingInfo")) {
        w.put("fileType", "device");
        w.put("clientDevice", "TRUE");
        w.put("fileName", b.deviceName ? String(b.deviceName) : "vmware-null-remote-floppy");
      } else if (t?.endsWith("DeviceBackingInfo")) {
        w.put("fileType", "device");
        w.put("fileName", String(b.deviceName ?? ""));
        if (typeof b.useAutoDetect === "boolean") w.put("autodetect", flag(b.useAutoDetect), "FALSE");
      } else if (t) {
        w.put("fileType", "file");
        w.put("fileName", ctx.toVmxPath(String(b.fileName ?? "")));
      }
      if (p.cls === "serial") w.put("yieldOnMsrRead", flag(d.yieldOnPoll === true), "FALSE");
      w.put("present", "TRUE");
      connectKeys(w, d, "start");
      return;
    }
    default:
      return;
  }
}

function keptMac(w: DeviceKeys, vpx: boolean): string | undefined {
  const had = w.before.get("generatedaddress");
  return had && (w.before.get("addresstype")?.toLowerCase() === "vpx") === vpx ? had.toLowerCase() : undefined;
}

function writeMac(w: DeviceKeys, p: Placed, uuid: string, instanceUuid: string | undefined, isVCenter: boolean, used: Set<string>): void {
  const d = p.dev;
  const type = (d.addressType as string | undefined) ?? "generated";
  if (type === "manual") return;
  const vpx = type === "assigned" || isVCenter;
  const n = parseInt(p.prefix.slice("ethernet".length), 10);
  let mac = (d.macAddress as string | undefined)?.toLowerCase();
  let offset: number | undefined;
  // a NIC keeps the address it was given, until its type of address changes
  const had = keptMac(w, vpx);
  if (!mac && had) {
    mac = had;
    if (w.has("generatedAddressOffset")) w.keep("generatedAddressOffset");
  }
  if (!mac) {
    // ESXi spaces the NICs of one VM 10 addresses apart; skip any taken
    offset = 10 * n;
    const make = (o: number) => (vpx ? vpxMac(instanceUuid ?? uuid, o) : generatedMac(uuid, o));
    while (used.has(make(offset))) offset += 10;
    mac = make(offset);
    used.add(mac);
  } else if (!vpx && mac.startsWith("00:0c:29:")) {
    const delta = (parseInt(mac.slice(9).replace(/:/g, ""), 16) - uuidTail(uuid)) & 0xffffff;
    // an address given by the caller keeps an offset the file already has, and gains none
    if (delta < 0x10000 && w.has("generatedAddressOffset")) offset = delta;
  }
  w.put("generatedAddress", mac);
  if (!vpx && offset !== undefined) w.put("generatedAddressOffset", String(offset));
}

/** slots for PCI devices: the config's slotInfo, else the one in the file, else the next free one */
function assignSlots(pci: Placed[], vmx: VmxFile): Map<Placed, number> {
  const out = new Map<Placed, number>();
  const taken = new Set<number>();
  for (const p of pci) {
    const given = (p.dev.slotInfo as Obj | undefined)?.pciSlotNumber as number | undefined;
    if (typeof given === "number") {
      out.set(p, given);
      taken.add(given);
    }
  }
  for (const p of pci) {
    if (out.has(p)) continue;
    const kept = int(vmx.get(`${p.prefix}.pciSlotNumber`));
    if (kept !== undefined && kept >= 0 && !taken.has(kept)) {
      out.set(p, kept);
      taken.add(kept);
    }
  }
  const order = pciSlotOrder();
  for (const p of pci) {
    if (out.has(p)) continue;
    const slot = order.find((s) => !taken.has(s));
    if (slot === undefined) throw new Error(`no free PCI slot for ${p.prefix}`);
    out.set(p, slot);
    taken.add(slot);
  }
  return out;
}

// workingDir holds snapshots (and, unless suspend.directory says otherwise,
// the suspend state); a key that already means the VM's own folder stays.
function writeDirectories(config: VmConfigInfo, ctx: VmxContext, vmx: VmxFile): void {
  const files = config.files as Obj | undefined;
  if (!files) return;
  const trim = (d: string) => d.replace(/\/+$/, "");
  const ownDir = trim(ctx.vmDirectory);
  const resolve = (key: string): string => {
    const v = vmx.get(key);
    return v === undefined || v === "." || v === "" ? ownDir : trim(ctx.fromVmxPath(v));
  };
  const place = (key: string, want: string, otherwise: string) => {
    if (trim(want) === resolve(key)) return;
    if (trim(want) === otherwise) vmx.delete(key);
    else vmx.set(key, ctx.toVmxPath(trim(want)));
  };
  if (typeof files.snapshotDirectory === "string" && files.snapshotDirectory !== "") place("workingDir", files.snapshotDirectory, ownDir);
  const working = resolve("workingDir");
  if (typeof files.suspendDirectory === "string" && files.suspendDirectory !== "") place("suspend.directory", files.suspendDirectory, working);
}

function writePowerOps(ops: Obj | undefined, put: (k: string, v: string | undefined, d?: string) => void): void {
  if (!ops) return;
  const one = (key: string, v: unknown) => put(key, typeof v === "string" && v !== "preset" ? v : undefined);
  one("powerType.powerOff", ops.powerOffType);
  one("powerType.suspend", ops.suspendType);
  one("powerType.reset", ops.resetType);
}

const SHARES_PER_UNIT = { cpu: { low: 500, normal: 1000, high: 2000 }, mem: { low: 5, normal: 10, high: 20 } };

function writeAllocation(vmx: VmxFile, kind: "cpu" | "mem", alloc: Obj | undefined, always: boolean): void {
  if (!alloc) return;
  const put = (key: string, value: string | undefined, dflt: string) => {
    if (value === undefined) vmx.delete(key);
    else if (always || value !== dflt || vmx.has(key)) vmx.set(key, value);
  };
  const reservation = typeof alloc.reservation === "number" ? alloc.reservation : 0;
  put(`sched.${kind}.min`, String(reservation), "0");
  if (kind === "mem" && vmx.has("sched.mem.minSize")) vmx.set("sched.mem.minSize", String(reservation));
  const limit = typeof alloc.limit === "number" ? alloc.limit : -1;
  put(`sched.${kind}.max`, limit >= 0 ? String(limit) : undefined, "");
  const shares = alloc.shares as Obj | undefined;
  const level = (shares?.level as string | undefined) ?? "normal";
  put(`sched.${kind}.shares`, level === "custom" ? String(shares?.shares ?? 0) : level, "normal");
}

/**
 * `existing` with only its extraConfig keys brought in line with `options`:
 * what writeVmx gives when nothing but extraConfig changed, without the
 * work of writing every device again (guestinfo updates are most changes).
 */
export function rewriteExtraConfig(existing: VmxFile, options: Obj[] | undefined): VmxFile {
  const vmx = existing.clone();
  writeExtraConfig(vmx, options, new Set(), new Set());
  return vmx;
}

function writeExtraConfig(vmx: VmxFile, options: Obj[] | undefined, before: Set<string>, after: Set<string>): void {
  const removed = [...before].filter((p) => !after.has(p));
  const ofRemovedDevice = (lk: string) => removed.some((p) => lk.startsWith(`${p}.`));
  const wanted = new Set<string>();
  for (const o of options ?? []) {
    const key = String(o.key ?? "");
    if (!key || !isExtraConfigKey(key)) continue;
    const lk = key.toLowerCase();
    // this is the configuration as it stands: an empty string is a value
    // (scsi0:0.redo = ""); only an option without one means "no key"
    if (ofRemovedDevice(lk) || o.value === undefined || o.value === null) continue;
    wanted.add(lk);
    vmx.set(key, String(o.value));
  }
  for (const k of vmx.keys()) if (isExtraConfigKey(k) && !wanted.has(k.toLowerCase())) vmx.delete(k);
}

// ---------------------------------------------------------------- read

/** The configuration hostd reports for a .vmx: every device with ESXi's keys, the rest as extraConfig. */
export function readVmx(vmx: VmxFile, ctx: VmxContext): VmConfigInfo {
  const values = new Map<string, string>();
  for (const [k, v] of vmx.entries()) values.set(k.toLowerCase(), v);
  const get = (k: string) => values.get(k.toLowerCase());
  const fileBase = fileNameOf(vmx.fileName);
  const displayName = get("displayName") ?? fileBase.replace(/\.vmx$/i, "");
  const vmPathName = ctx.vmPathName ?? `${joinDs(ctx.vmDirectory, /\.vmx$/i.test(fileBase) ? fileBase : `${displayName}.vmx`)}`;
  const uuid = fromVmxUuid(get("uuid.bios")) ?? fromVmxUuid(ctx.defaultUuid) ?? derivedUuid("bios", vmPathName);
  const instanceUuid = fromVmxUuid(get("vc.uuid")) ?? fromVmxUuid(ctx.defaultInstanceUuid) ?? derivedUuid("instance", uuid);
  const hw = int(get("virtualHW.version")) ?? ctx.hardwareVersion ?? 11;
  const numCPU = int(get("numvcpus")) ?? 1;
  const memoryMB = int(get("memSize")) ?? 32;
  const guestId = guestIdFromVmx(get("guestOS"));
  const now = ctx.now ?? new Date(0);
  const dirOf = (key: string): string => {
    const v = get(key);
    const d = v && v !== "." ? ctx.fromVmxPath(v) : ctx.vmDirectory;
    return d.endsWith("/") ? d : `${d}/`;
  };

  const config: VmConfigInfo = {
    _type: "VirtualMachineConfigInfo",
    changeVersion: now.toISOString(),
    modified: now,
    name: displayName,
    guestFullName: guestFullName(guestId),
    version: `vmx-${String(hw).padStart(2, "0")}`,
    uuid,
    instanceUuid,
    locationId: fromVmxUuid(get("uuid.location")) ?? uuid,
    template: isTrue(get("templateVM")),
    guestId,
    alternateGuestName: "",
    annotation: get("annotation") ?? "",
    files: {
      _type: "VirtualMachineFileInfo",
      vmPathName,
      snapshotDirectory: dirOf("workingDir"),
      suspendDirectory: get("suspend.directory") ? dirOf("suspend.directory") : dirOf("workingDir"),
      logDirectory: ctx.vmDirectory.endsWith("/") ? ctx.vmDirectory : `${ctx.vmDirectory}/`,
    },
    tools: {
      _type: "ToolsConfigInfo",
      toolsVersion: 0,
      afterPowerOn: true,
      afterResume: true,
      beforeGuestStandby: true,
      beforeGuestShutdown: true,
      beforeGuestReboot: true,
      toolsUpgradePolicy: get("tools.upgrade.policy") === "upgradeAtPowerCycle" ? "upgradeAtPowerCycle" : "manual",
      syncTimeWithHost: isTrue(get("tools.syncTime")),
    },
    flags: {
      _type: "VirtualMachineFlagInfo",
      disableAcceleration: false,
      enableLogging: !isFalse(get("logging")),
      useToe: false,
      runWithDebugInfo: false,
      monitorType: "release",
      htSharing: "any",
      snapshotDisabled: false,
      snapshotLocked: false,
      diskUuidEnabled: isTrue(get("disk.EnableUUID")),
      virtualMmuUsage: "automatic",
      virtualExecUsage: "hvAuto",
      snapshotPowerOffBehavior: "powerOff",
      recordReplayEnabled: false,
    },
    defaultPowerOps: {
      _type: "VirtualMachineDefaultPowerOpInfo",
      powerOffType: get("powerType.powerOff") ?? "preset",
      suspendType: get("powerType.suspend") ?? "preset",
      resetType: get("powerType.reset") ?? "preset",
      defaultPowerOffType: "soft",
      defaultSuspendType: "hard",
      defaultResetType: "soft",
      standbyAction: "checkpoint",
    },
    hardware: {
      _type: "VirtualHardware",
      numCPU,
      numCoresPerSocket: int(get("cpuid.coresPerSocket")) ?? 1,
      memoryMB,
      virtualICH7MPresent: false,
      virtualSMCPresent: false,
      device: readDevices(get, uuid, instanceUuid, ctx),
    },
    cpuAllocation: readAllocation(get, "cpu", numCPU),
    memoryAllocation: readAllocation(get, "mem", memoryMB),
    memoryReservationLockedToMax: isTrue(get("sched.mem.pin")),
    memoryHotAddEnabled: isTrue(get("mem.hotadd")),
    cpuHotAddEnabled: isTrue(get("vcpu.hotadd")),
    cpuHotRemoveEnabled: isTrue(get("vcpu.hotremove")),
    extraConfig: vmx.entries().filter(([k]) => isExtraConfigKey(k)).map(([key, value]) => ({ _type: "OptionValue", key, value })),
    swapPlacement: "inherit",
    changeTrackingEnabled: isTrue(get("ctkEnabled")),
    firmware: get("firmware")?.toLowerCase() === "efi" ? "efi" : "bios",
    nestedHVEnabled: isTrue(get("vhv.enable")),
    vPMCEnabled: isTrue(get("vpmc.enable")),
  };
  return config;
}

/** the last component of "[ds] dir/file" or "/path/file" */
function fileNameOf(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("]")) + 1).trim();
}

function joinDs(dir: string, name: string): string {
  return dir.endsWith("]") ? `${dir} ${name}` : `${dir.replace(/\/+$/, "")}/${name}`;
}

function readAllocation(get: (k: string) => string | undefined, kind: "cpu" | "mem", units: number): Obj {
  const raw = get(`sched.${kind}.shares`)?.toLowerCase() ?? "normal";
  const per = SHARES_PER_UNIT[kind];
  const shares = Object.hasOwn(per, raw)
    ? { _type: "SharesInfo", level: raw, shares: per[raw as keyof typeof per] * units }
    : { _type: "SharesInfo", level: "custom", shares: int(raw) ?? per.normal * units };
  return {
    _type: "ResourceAllocationInfo",
    reservation: int(get(`sched.${kind}.min`)) ?? 0,
    expandableReservation: false,
    limit: int(get(`sched.${kind}.max`)) ?? -1,
    shares,
  };
}

const desc = (label: string, summary: string): Obj => ({ _type: "Description", label, summary });
const connectInfo = (get: (k: string) => string | undefined, prefix: string): Obj => ({
  _type: "VirtualDeviceConnectInfo",
  startConnected: !isFalse(get(`${prefix}.startConnected`)),
  allowGuestControl: !isFalse(get(`${prefix}.allowGuestConnectionControl`)),
  connected: false,
  status: "untried",
});

function readDevices(get: (k: string) => string | undefined, uuid: string, instanceUuid: string, ctx: VmxContext): VmxDevice[] {
  const present = (p: string) => isTrue(get(`${p}.present`));
  const datastoreOf = (dsPath: string): ManagedObjectReference | undefined => {
    const m = /^\[([^\]]*)\]/.exec(dsPath);
    return m && ctx.datastoreByName ? ctx.datastoreByName(m[1]!) : undefined;
  };
  const withDatastore = (backing: Obj): Obj => {
    const ds = datastoreOf(String(backing.fileName ?? ""));
    return ds ? { ...backing, datastore: ds } : backing;
  };

  const ide: VmxDevice[] = [0, 1].map((bus) => ({ _type: "VirtualIDEController", key: 200 + bus, deviceInfo: desc(`IDE ${bus}`, `IDE ${bus}`), busNumber: bus, device: [] }));
  const ps2: VmxDevice = { _type: "VirtualPS2Controller", key: 300, deviceInfo: desc("PS2 controller 0", "PS2 controller 0"), busNumber: 0, device: [] };
  const pciCtl: VmxDevice = { _type: "VirtualPCIController", key: 100, deviceInfo: desc("PCI controller 0", "PCI controller 0"), busNumber: 0, device: [] };
  const sio: VmxDevice = { _type: "VirtualSIOController", key: 400, deviceInfo: desc("SIO controller 0", "SIO controller 0"), busNumber: 0, device: [] };
  const keyboard: VmxDevice = { _type: "VirtualKeyboard", key: 600, deviceInfo: desc("Keyboard ", "Keyboard"), controllerKey: 300, unitNumber: 0 };
  const pointing: VmxDevice = {
    _type: "VirtualPointingDevice", key: 700, deviceInfo: desc("Pointing device", "Pointing device; Device"),
    backing: { _type: "VirtualPointingDeviceDeviceBackingInfo", deviceName: "", useAutoDetect: false, hostPointingDevice: "autodetect" },
    controllerKey: 300, unitNumber: 1,
  };
  const vram = int(get("svga.vramSize"));
  const video: VmxDevice = {
    _type: "VirtualMachineVideoCard", key: 500, deviceInfo: desc("Video card ", "Video card"), controllerKey: 100, unitNumber: 0,
    videoRamSizeInKB: vram !== undefined ? Math.floor(vram / 1024) : 4096,
    numDisplays: int(get("svga.numDisplays")) ?? 1,
    useAutoDetect: isTrue(get("svga.autodetect")),
    enable3DSupport: isTrue(get("mks.enable3d")),
    use3dRenderer: "automatic",
    graphicsMemorySizeInKB: int(get("svga.graphicsMemoryKB")) ?? 262144,
  };
  const vmci: VmxDevice = {
    _type: "VirtualMachineVMCIDevice", key: 12000,
    deviceInfo: desc("VMCI device", "Device on the virtual machine PCI bus that provides support for the virtual machine communication interface"),
    controllerKey: 100, unitNumber: 17,
    id: int(get("vmci0.id")) ?? uuidTail32(uuid),
    allowUnrestrictedCommunication: isTrue(get("vmci0.unrestricted")),
    filterEnable: true,
  };

  const slot = (p: string): Obj | undefined => {
    const n = int(get(`${p}.pciSlotNumber`));
    return n !== undefined ? { _type: "VirtualDevicePciBusSlotInfo", pciSlotNumber: n } : undefined;
  };

  const controllers: VmxDevice[] = [];
  const ctlByPrefix = new Map<string, VmxDevice>(ide.map((c) => [`ide${c.busNumber}`, c]));
  for (let bus = 0; bus < 4; bus++) {
    const p = `scsi${bus}`;
    if (!present(p)) continue;
    const dev = (get(`${p}.virtualDev`) ?? "lsilogic").toLowerCase();
    const type = Object.keys(SCSI_DEV).find((t) => SCSI_DEV[t] === dev) ?? "VirtualLsiLogicController";
    const shared = get(`${p}.sharedBus`)?.toLowerCase();
    const c: VmxDevice = {
      _type: type, key: 1000 + bus, deviceInfo: desc(`SCSI controller ${bus}`, SCSI_SUMMARY[type]!),
      slotInfo: slot(p), controllerKey: 100, unitNumber: 3 + bus, busNumber: bus, device: [],
      hotAddRemove: true,
      sharedBus: Object.keys(SHARED_BUS).find((k) => SHARED_BUS[k] === shared) ?? "noSharing",
      scsiCtlrUnitNumber: 7,
    };
    if (!c.slotInfo) delete c.slotInfo;
    controllers.push(c);
    ctlByPrefix.set(p, c);
  }
  for (let bus = 0; bus < 4; bus++) {
    const p = `sata${bus}`;
    if (!present(p)) continue;
    const c: VmxDevice = {
      _type: "VirtualAHCIController", key: 15000 + bus, deviceInfo: desc(`SATA controller ${bus}`, "AHCI"),
      controllerKey: 100, unitNumber: 24 + bus, busNumber: bus, device: [],
    };
    controllers.push(c);
    ctlByPrefix.set(p, c);
  }
  if (present("usb")) {
    controllers.push({
      _type: "VirtualUSBController", key: 7000, deviceInfo: desc("USB controller ", "Auto connect Disabled"),
      controllerKey: 100, unitNumber: 22, busNumber: 0, device: [], autoConnectDevices: false, ehciEnabled: present("ehci"),
    });
  }
  if (present("usb_xhci")) {
    controllers.push({
      _type: "VirtualUSBXHCIController", key: 14000, deviceInfo: desc("USB xHCI controller ", "USB xHCI controller "),
      controllerKey: 100, unitNumber: 23, busNumber: 0, device: [], autoConnectDevices: false,
    });
  }

  // Disks and CD-ROMs: ESXi's keys follow the slot (scsi1:0 → 2016, ide1:0 → 3002, sata0:0 → 16000).
  const disks: VmxDevice[] = [];
  const cdroms: VmxDevice[] = [];
  const unitKey = (bus: string, busNo: number, unit: number): number =>
    bus === "scsi" ? 2000 + busNo * 16 + unit : bus === "sata" ? 16000 + busNo * 30 + unit : 3000 + busNo * 2 + unit;
  for (const [bus, buses, units] of [["scsi", 4, 16], ["ide", 2, 2], ["sata", 4, 30]] as const) {
    for (let b = 0; b < buses; b++) {
      const ctl = ctlByPrefix.get(`${bus}${b}`);
      if (!ctl) continue;
      for (let u = 0; u < units; u++) {
        const p = `${bus}${b}:${u}`;
        if (!present(p)) continue;
        const type = (get(`${p}.deviceType`) ?? "").toLowerCase();
        const fileName = get(`${p}.fileName`) ?? "";
        const key = unitKey(bus, b, u);
        const isCd = type.startsWith("cdrom") || type === "atapi-cdrom" || (type === "" && bus === "ide" && !/\.vmdk$/i.test(fileName));
        if (isCd) {
          cdroms.push({
            _type: "VirtualCdrom", key, backing: cdromBacking(get, p, type, fileName, ctx, withDatastore),
            connectable: connectInfo(get, p), controllerKey: ctl.key, unitNumber: u,
          });
        } else {
          const dsPath = ctx.fromVmxPath(fileName);
          const info = ctx.diskInfo?.(dsPath);
          const kb = info?.capacityInKB ?? 0;
          const backing: Obj = withDatastore({
            _type: "VirtualDiskFlatVer2BackingInfo",
            fileName: dsPath,
            diskMode: (get(`${p}.mode`) ?? "persistent").toLowerCase().replace(/-/g, "_"),
            split: false,
            writeThrough: isTrue(get(`${p}.writeThrough`)),
            ...(info?.backing ?? {}),
          });
          disks.push({
            _type: "VirtualDisk", key, backing, controllerKey: ctl.key, unitNumber: u,
            capacityInKB: kb, capacityInBytes: kb * 1024,
          });
        }
      }
    }
  }

  // Floppies, serial and parallel ports all sit on the SIO controller (key 400), keyed by slot.
  const sioPorts = (kind: keyof typeof PORT_TYPES, count: number, _type: string, keyBase: number, extra: (p: string) => Record<string, unknown> = () => ({})): VmxDevice[] => {
    const out: VmxDevice[] = [];
    for (let n = 0; n < count; n++) {
      const p = `${kind}${n}`;
      if (!present(p)) continue;
      out.push({
        _type, key: keyBase + n, backing: portBacking(get, p, kind, ctx, withDatastore),
        connectable: connectInfo(get, p), controllerKey: 400, unitNumber: n, ...extra(p),
      });
    }
    return out;
  };
  const floppies = sioPorts("floppy", 2, "VirtualFloppy", 8000);

  const nics: VmxDevice[] = [];
  for (let n = 0; n < 10; n++) {
    const p = `ethernet${n}`;
    if (!present(p)) continue;
    nics.push(readNic(get, p, n, uuid, instanceUuid, ctx, slot(p)));
  }

  const serials = sioPorts("serial", 32, "VirtualSerialPort", 9000, (p) => ({ yieldOnPoll: isTrue(get(`${p}.yieldOnMsrRead`)) }));
  const parallels = sioPorts("parallel", 3, "VirtualParallelPort", 10000);

  const all: VmxDevice[] = [
    ...ide, ps2, pciCtl, sio, keyboard, pointing, video, vmci,
    ...controllers, ...cdroms, ...disks, ...floppies, ...nics, ...serials, ...parallels,
  ];
  const byKey = new Map(all.map((d) => [d.key, d]));
  for (const d of all) {
    if (d.controllerKey === undefined) continue;
    (byKey.get(d.controllerKey)?.device as number[] | undefined)?.push(d.key);
  }
  labelDevices(all);
  return all;
}

function cdromBacking(get: (k: string) => string | undefined, p: string, type: string, fileName: string, ctx: VmxContext, withDatastore: (b: Obj) => Obj): Obj {
  const client = isTrue(get(`${p}.clientDevice`));
  const deviceName = fileName === "emptyBackingString" ? "" : fileName;
  const useAutoDetect = isTrue(get(`${p}.autodetect`));
  if (client && type === "cdrom-raw") return { _type: "VirtualCdromRemotePassthroughBackingInfo", deviceName, useAutoDetect, exclusive: isTrue(get(`${p}.exclusive`)) };
  if (client) return { _type: "VirtualCdromRemoteAtapiBackingInfo", deviceName, useAutoDetect };
  if (type === "atapi-cdrom") return { _type: "VirtualCdromAtapiBackingInfo", deviceName: fileName, useAutoDetect };
  if (type === "cdrom-raw") return { _type: "VirtualCdromPassthroughBackingInfo", deviceName: fileName, useAutoDetect, exclusive: isTrue(get(`${p}.exclusive`)) };
  return withDatastore({ _type: "VirtualCdromIsoBackingInfo", fileName: ctx.fromVmxPath(fileName) });
}

const PORT_TYPES = {
  serial: { file: "VirtualSerialPortFileBackingInfo", device: "VirtualSerialPortDeviceBackingInfo" },
  parallel: { file: "VirtualParallelPortFileBackingInfo", device: "VirtualParallelPortDeviceBackingInfo" },
  floppy: { file: "VirtualFloppyImageBackingInfo", device: "VirtualFloppyDeviceBackingInfo" },
} as const;

function portBacking(get: (k: string) => string | undefined, p: string, kind: keyof typeof PORT_TYPES, ctx: VmxContext, withDatastore: (b: Obj) => Obj): Obj {
  const fileType = (get(`${p}.fileType`) ?? (kind === "floppy" ? "device" : "file")).toLowerCase();
  const fileName = get(`${p}.fileName`) ?? "";
  if (kind === "serial" && fileType === "network") {
    const b: Obj = { _type: "VirtualSerialPortURIBackingInfo", serviceURI: fileName, direction: (get(`${p}.network.endPoint`) ?? "server").toLowerCase() };
    const proxy = get(`${p}.vspc`);
    if (proxy) b.proxyURI = proxy;
    return b;
  }
  if (kind === "serial" && fileType === "pipe") {
    return { _type: "VirtualSerialPortPipeBackingInfo", pipeName: fileName, endpoint: (get(`${p}.pipe.endPoint`) ?? "server").toLowerCase(), noRxLoss: isTrue(get(`${p}.tryNoRxLoss`)) };
  }
  if (kind === "floppy" && isTrue(get(`${p}.clientDevice`))) {
    return { _type: "VirtualFloppyRemoteDeviceBackingInfo", deviceName: fileName === "vmware-null-remote-floppy" ? "" : fileName, useAutoDetect: false };
  }
  if (fileType === "device") return { _type: PORT_TYPES[kind].device, deviceName: fileName, useAutoDetect: isTrue(get(`${p}.autodetect`)) };
  return withDatastore({ _type: PORT_TYPES[kind].file, fileName: ctx.fromVmxPath(fileName) });
}

function readNic(get: (k: string) => string | undefined, p: string, n: number, uuid: string, instanceUuid: string, ctx: VmxContext, slotInfo: Obj | undefined): VmxDevice {
  const virtualDev = (get(`${p}.virtualDev`) ?? "vlance").toLowerCase();
  let type = Object.keys(NIC_DEV).find((t) => NIC_DEV[t] === virtualDev && t !== "VirtualVmxnet2") ?? "VirtualPCNet32";
  if (virtualDev === "vmxnet" && get(`${p}.features`) === VMXNET2_FEATURES) type = "VirtualVmxnet2";

  let backing: Obj;
  const switchId = get(`${p}.dvs.switchId`);
  if (switchId !== undefined) {
    const port: Obj = { _type: "DistributedVirtualSwitchPortConnection", switchUuid: switchId };
    const pg = get(`${p}.dvs.portgroupId`);
    const portKey = get(`${p}.dvs.portId`);
    const cookie = int(get(`${p}.dvs.connectionId`));
    if (pg !== undefined) port.portgroupKey = pg;
    if (portKey !== undefined) port.portKey = portKey;
    if (cookie !== undefined) port.connectionCookie = cookie;
    backing = { _type: "VirtualEthernetCardDistributedVirtualPortBackingInfo", port };
  } else if (get(`${p}.opaqueNetwork.id`) !== undefined) {
    backing = { _type: "VirtualEthernetCardOpaqueNetworkBackingInfo", opaqueNetworkId: get(`${p}.opaqueNetwork.id`), opaqueNetworkType: get(`${p}.opaqueNetwork.type`) ?? "" };
  } else {
    const name = get(`${p}.networkName`) ?? "";
    backing = { _type: "VirtualEthernetCardNetworkBackingInfo", deviceName: name, useAutoDetect: false };
    const net = name ? ctx.networkByName(name) : undefined;
    if (net) backing.network = net;
  }

  const vmxType = (get(`${p}.addressType`) ?? "generated").toLowerCase();
  let addressType: string;
  let mac: string | undefined;
  if (vmxType === "static") {
    addressType = "manual";
    mac = get(`${p}.address`);
  } else {
    addressType = vmxType === "vpx" ? "assigned" : "generated";
    mac = get(`${p}.generatedAddress`);
    if (!mac) {
      // ESXi generates it at power-on; the API shows the address it will get
      const offset = int(get(`${p}.generatedAddressOffset`)) ?? 10 * n;
      mac = vmxType === "vpx" ? vpxMac(instanceUuid, offset) : generatedMac(uuid, offset);
    }
  }
  const nic: VmxDevice = {
    _type: type, key: 4000 + n, backing, connectable: connectInfo(get, p), controllerKey: 100, unitNumber: 7 + n,
    addressType, macAddress: mac?.toLowerCase(), wakeOnLanEnabled: isTrue(get(`${p}.wakeOnPcktRcv`)),
  };
  if (slotInfo) nic.slotInfo = slotInfo;
  if (type === "VirtualVmxnet3") nic.uptCompatibilityEnabled = isTrue(get(`${p}.uptCompatibility`));
  return nic;
}

const LABELS: Partial<Record<DevClass, string>> = {
  disk: "Hard disk", cdrom: "CD/DVD drive", nic: "Network adapter", serial: "Serial port", parallel: "Parallel port", floppy: "Floppy drive",
};

/** deviceInfo as the vSphere client shows it: "Hard disk 1", "Network adapter 2" */
function labelDevices(devices: VmxDevice[]): void {
  const counters = new Map<DevClass, number>();
  for (const d of [...devices].sort((a, b) => a.key - b.key)) {
    const cls = classOf(d._type);
    const base = LABELS[cls];
    if (!base) continue;
    const n = (counters.get(cls) ?? 0) + 1;
    counters.set(cls, n);
    d.deviceInfo = desc(`${base} ${n}`, summaryOf(cls, d));
  }
}

function summaryOf(cls: DevClass, d: VmxDevice): string {
  const b = (d.backing ?? {}) as Obj;
  switch (cls) {
    case "disk": return `${Number(d.capacityInKB ?? 0).toLocaleString("en-US")} KB`;
    case "nic": return b.port ? `DVSwitch: ${b.port.switchUuid}` : String(b.deviceName ?? b.opaqueNetworkId ?? "");
    case "cdrom":
      if (b._type === "VirtualCdromIsoBackingInfo") return `ISO ${b.fileName}`;
      return String(b._type).includes("Remote") ? "Remote device" : `ATAPI ${b.deviceName}`;
    case "serial":
      if (b.serviceURI !== undefined) return `Remote ${b.serviceURI}`;
      if (b.pipeName !== undefined) return `Pipe ${b.pipeName}`;
      return b.fileName !== undefined ? `File ${b.fileName}` : `Device ${b.deviceName ?? ""}`;
    default:
      return b.fileName !== undefined ? `File ${b.fileName}` : String(b.deviceName ?? "Remote");
  }
}

// ---------------------------------------------------------------- helpers for callers

/** The networks a VM's NICs are on (VirtualMachine.network), each once, in device order. */
export function vmNetworks(devices: VmxDevice[], ctx: Pick<VmxContext, "networkByName" | "portgroupByKey">): ManagedObjectReference[] {
  const out: ManagedObjectReference[] = [];
  const seen = new Set<string>();
  for (const d of devices) {
    if (classOf(d._type) !== "nic") continue;
    const b = (d.backing ?? {}) as Obj;
    let ref: ManagedObjectReference | undefined;
    if (b.port) ref = b.port.portgroupKey ? ctx.portgroupByKey(String(b.port.switchUuid), String(b.port.portgroupKey)) : undefined;
    else ref = (b.network as ManagedObjectReference | undefined) ?? (b.deviceName ? ctx.networkByName(String(b.deviceName)) : undefined);
    if (ref && !seen.has(`${ref.type}:${ref.value}`)) {
      seen.add(`${ref.type}:${ref.value}`);
      out.push(ref);
    }
  }
  return out;
}

/**
 * The datastore-path translation ESXi applies inside a .vmx: a file in the
 * VM's own folder by its name relative to the folder, any other file on a
 * datastore by /vmfs/volumes/<uuid>/path; anything else (devices, URIs) as is.
 */
export function vmxPaths(vmDirectory: string, volumes: { name: string; uuid: string }[]): Pick<VmxContext, "toVmxPath" | "fromVmxPath"> {
  const dir = /^\[([^\]]*)\]\s*(.*?)\/*$/.exec(vmDirectory);
  if (!dir) throw new Error(`not a datastore path: ${vmDirectory}`);
  const [, dirDs, dirPath] = dir as unknown as [string, string, string];
  return {
    toVmxPath(dsPath: string): string {
      const m = /^\[([^\]]*)\]\s*(.*)$/.exec(dsPath);
      if (!m) return dsPath;
      const [, ds, path] = m as unknown as [string, string, string];
      if (ds === dirDs) {
        if (dirPath === "") return path;
        if (path.startsWith(`${dirPath}/`)) return path.slice(dirPath.length + 1);
      }
      const vol = volumes.find((v) => v.name === ds);
      return `/vmfs/volumes/${vol?.uuid ?? ds}/${path}`;
    },
    fromVmxPath(vmxPath: string): string {
      if (vmxPath === "") return "";
      const m = /^\/vmfs\/volumes\/([^/]+)\/(.*)$/.exec(vmxPath);
      if (m) {
        const vol = volumes.find((v) => v.uuid === m[1] || v.name === m[1]);
        return vol ? `[${vol.name}] ${m[2]}` : vmxPath;
      }
      // host devices and URIs are not datastore files
      if (vmxPath.startsWith("/") || /^[a-z][a-z0-9+.-]*:\/\//i.test(vmxPath)) return vmxPath;
      return dirPath === "" ? `[${dirDs}] ${vmxPath}` : `[${dirDs}] ${dirPath}/${vmxPath}`;
    },
  };
}
