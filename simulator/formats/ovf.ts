// An OVF descriptor (DMTF DSP0243 1.x, as ovftool, govc export.ovf and
// vSphere write it) read into what a VM import needs: the virtual system's
// name, guest, CPUs and memory, its controllers, disks (with their files
// and capacities), NICs and CD-ROMs by CIM resource type, and the
// extraConfig VMware keeps in vmw:ExtraConfig. Errors name the element.
import { parseXml, type XmlElement } from "../../vim25/soap/index.ts";

const OVF_NS = ["http://schemas.dmtf.org/ovf/envelope/1", "http://schemas.dmtf.org/ovf/envelope/2"];

export class OvfError extends Error {}

export interface OvfFile {
  id: string;
  href: string;
  size?: number;
}

export interface OvfDisk {
  diskId: string;
  capacityBytes: number;
  file?: OvfFile;
  /** the InstanceID of the controller Item the disk sits on, and its unit there */
  parent: string;
  address: number;
}

export interface OvfController {
  instanceId: string;
  kind: "scsi" | "ide" | "sata";
  /** lsilogic, lsilogicsas, VirtualSCSI, buslogic; empty for IDE and SATA */
  subtype: string;
  bus: number;
}

export interface OvfNic {
  subtype: string;
  network: string;
  connected: boolean;
}

export interface OvfCdrom {
  parent: string;
  address: number;
}

export interface OvfSystem {
  id: string;
  name: string;
  osType?: string;
  annotation?: string;
  cpus: number;
  memoryMB: number;
  controllers: OvfController[];
  disks: OvfDisk[];
  nics: OvfNic[];
  cdroms: OvfCdrom[];
  extraConfig: { key: string; value: string }[];
  hardwareVersion?: string;
  networks: string[];
  files: OvfFile[];
}

// CIM ResourceType values (CIM_ResourceAllocationSettingData)
const RT = { cpu: 3, memory: 4, ide: 5, scsi: 6, ethernet: 10, cdrom: 15, dvd: 16, disk: 17, sata: 20 } as const;

const child = (e: XmlElement, local: string) => e.children.find((c) => c.local === local);
const children = (e: XmlElement, local: string) => e.children.filter((c) => c.local === local);
const attr = (e: XmlElement, local: string): string | undefined => {
  for (const [k, v] of e.attrs) if (k === local || k.endsWith(`}${local}`)) return v.value;
  return undefined;
};
const text = (e: XmlElement | undefined) => (e ? e.text.trim() : "");

/** "byte * 2^20" (MB), "byte * 2^30", "MegaBytes", "GigaBytes": the factor to bytes. */
function unitFactor(units: string | undefined, dflt: number): number {
  if (!units) return dflt;
  const u = units.replace(/\s+/g, "").toLowerCase();
  const pow = /^byte\*2\^(\d+)$/.exec(u);
  if (pow) return 2 ** Number(pow[1]);
  const mul = /^byte\*(\d+)$/.exec(u);
  if (mul) return Number(mul[1]);
  const named: Record<string, number> = { byte: 1, bytes: 1, kilobytes: 1024, kb: 1024, megabytes: 2 ** 20, mb: 2 ** 20, gigabytes: 2 ** 30, gb: 2 ** 30 };
  if (u in named) return named[u];
  throw new OvfError(`unknown allocation units "${units}"`);
}

export function parseOvf(descriptor: string): OvfSystem {
  let root: XmlElement;
  try {
    root = parseXml(descriptor);
  } catch (e) {
    throw new OvfError(`the descriptor is not XML: ${(e as Error).message}`);
  }
  if (root.local !== "Envelope" || !OVF_NS.includes(root.uri)) throw new OvfError("the descriptor's root is not an OVF Envelope (http://schemas.dmtf.org/ovf/envelope/1)");
  const files = new Map<string, OvfFile>();
  for (const f of children(child(root, "References") ?? root, "File")) {
    const id = attr(f, "id");
    const href = attr(f, "href");
    if (!id || !href) throw new OvfError("References/File needs ovf:id and ovf:href");
    const size = attr(f, "size");
    files.set(id, { id, href, size: size === undefined ? undefined : Number(size) });
  }
  const disks = new Map<string, { capacityBytes: number; file?: OvfFile }>();
  for (const d of children(child(root, "DiskSection") ?? root, "Disk")) {
    const diskId = attr(d, "diskId");
    const capacity = Number(attr(d, "capacity"));
    if (!diskId || !Number.isFinite(capacity) || capacity <= 0) throw new OvfError(`DiskSection/Disk ${diskId ?? "(no ovf:diskId)"} needs a positive ovf:capacity`);
    const ref = attr(d, "fileRef");
    if (ref !== undefined && !files.has(ref)) throw new OvfError(`Disk ${diskId} names file ${ref}, which References does not list`);
    disks.set(diskId, { capacityBytes: capacity * unitFactor(attr(d, "capacityAllocationUnits"), 1), file: ref === undefined ? undefined : files.get(ref) });
  }
  const networks = children(child(root, "NetworkSection") ?? root, "Network").map((n) => attr(n, "name") ?? "").filter(Boolean);
  const vs = child(root, "VirtualSystem");
  if (!vs) throw new OvfError(child(root, "VirtualSystemCollection") ? "a VirtualSystemCollection (a vApp) cannot be imported by this simulator: one VirtualSystem only" : "the Envelope has no VirtualSystem");
  const id = attr(vs, "id") ?? "vm";
  const hw = child(vs, "VirtualHardwareSection");
  if (!hw) throw new OvfError(`VirtualSystem ${id} has no VirtualHardwareSection`);
  const system: OvfSystem = {
    id, name: text(child(vs, "Name")) || id, cpus: 1, memoryMB: 32, controllers: [], disks: [], nics: [], cdroms: [], extraConfig: [], networks, files: [...files.values()],
  };
  const os = child(vs, "OperatingSystemSection");
  if (os) system.osType = attr(os, "osType");
  const annotation = child(vs, "AnnotationSection");
  if (annotation) system.annotation = text(child(annotation, "Annotation"));
  system.hardwareVersion = text(child(child(hw, "System") ?? hw, "VirtualSystemType")) || undefined;
  const buses = { scsi: 0, ide: 0, sata: 0 };
  for (const item of [...children(hw, "Item"), ...children(hw, "StorageItem"), ...children(hw, "EthernetPortItem")]) {
    const field = (local: string) => text(child(item, local));
    const type = Number(field("ResourceType"));
    const instanceId = field("InstanceID");
    const where = `Item ${instanceId || "(no InstanceID)"} (${field("ElementName") || `ResourceType ${type}`})`;
    switch (type) {
      case RT.cpu:
        system.cpus = Number(field("VirtualQuantity")) || 1;
        break;
      case RT.memory:
        system.memoryMB = Math.round((Number(field("VirtualQuantity")) * unitFactor(field("AllocationUnits"), 2 ** 20)) / 2 ** 20);
        if (!(system.memoryMB > 0)) throw new OvfError(`${where}: memory needs a positive VirtualQuantity`);
        break;
      case RT.ide: case RT.scsi: case RT.sata: {
        const kind = type === RT.ide ? "ide" : type === RT.scsi ? "scsi" : "sata";
        system.controllers.push({ instanceId, kind, subtype: field("ResourceSubType"), bus: Number(field("Address") || buses[kind]) });
        buses[kind]++;
        break;
      }
      case RT.ethernet:
        system.nics.push({ subtype: field("ResourceSubType"), network: field("Connection"), connected: field("AutomaticAllocation") !== "false" });
        break;
      case RT.cdrom: case RT.dvd:
        system.cdroms.push({ parent: field("Parent"), address: Number(field("AddressOnParent") || 0) });
        break;
      case RT.disk: {
        const host = field("HostResource");
        const m = /^ovf:\/(?:disk|file)\/(.+)$/.exec(host);
        const disk = m ? disks.get(m[1]) : undefined;
        if (!disk) throw new OvfError(`${where}: HostResource "${host}" names no disk of the DiskSection`);
        system.disks.push({ diskId: m![1], capacityBytes: disk.capacityBytes, file: disk.file, parent: field("Parent"), address: Number(field("AddressOnParent") || 0) });
        break;
      }
      default:
        // sound cards, USB, video, floppies...: a VM gets what it needs of these by default
        break;
    }
  }
  for (const c of children(hw, "ExtraConfig").concat(children(hw, "Config"))) {
    const key = attr(c, "key");
    const value = attr(c, "value");
    if (key && value !== undefined && c.local === "ExtraConfig") system.extraConfig.push({ key, value });
  }
  for (const d of system.disks) {
    if (!system.controllers.some((c) => c.instanceId === d.parent)) throw new OvfError(`disk ${d.diskId}: its Parent ${d.parent || "(none)"} is not a controller Item`);
  }
  return system;
}
