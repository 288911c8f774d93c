// An OVF descriptor (DMTF DSP0243 1.x, as ovftool, govc export.ovf and
// vSphere write it) read into what a VM import needs: the virtual system's
// name, guest, CPUs and memory, its controllers, disks (with their files
// and capacities), NICs and CD-ROMs by CIM resource type, and the
// extraConfig VMware keeps in vmw:ExtraConfig; for a vApp (a
// VirtualSystemCollection, parseOvfTree) the same of each member, with the
// collection's products and start order. Errors name the element.
import { parseXml, type XmlElement } from "../../vim25/soap/index.ts";

const OVF_NS = ["http://schemas.dmtf.org/ovf/envelope/1", "http://schemas.dmtf.org/ovf/envelope/2"];

/** A vim25 fault for the problem (OvfXmlFormat, OvfMissingElement...): what OvfManager reports in a result's error list. */
export interface OvfFaultInfo {
  type: string;
  fields: Record<string, unknown>;
}

export class OvfError extends Error {
  constructor(message: string, readonly fault?: OvfFaultInfo) {
    super(message);
  }
}

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
  /** the VirtualSystem's ProductSections: the vApp properties a deployment fills in */
  products: OvfProductDef[];
  /** VirtualHardwareSection ovf:transport: how the guest gets its OVF environment (com.vmware.guestInfo, iso) */
  transport: string[];
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
  throw new OvfError(`unknown allocation units "${units}"`, { type: "OvfInvalidValueFormatMalformed", fields: { lineNumber: 0, elementName: "", attributeName: "AllocationUnits", value: units } });
}

/** The descriptor's Envelope; an OvfError carrying the OVF fault when the text is not XML or not an OVF envelope. */
function envelopeOf(descriptor: string): XmlElement {
  let root: XmlElement;
  try {
    root = parseXml(descriptor);
  } catch (e) {
    const message = (e as Error).message;
    // the XML parser's messages start "line:column: "
    const line = /^(\d+):\d+: /.exec(message);
    throw new OvfError(`the descriptor is not XML: ${message}`, { type: "OvfXmlFormat", fields: { lineNumber: line ? Number(line[1]) : 0, description: message } });
  }
  if (root.local !== "Envelope") throw new OvfError("the descriptor's root is not an OVF Envelope (http://schemas.dmtf.org/ovf/envelope/1)", { type: "OvfWrongElement", fields: { lineNumber: 0, name: root.local } });
  if (!OVF_NS.includes(root.uri)) throw new OvfError(`the descriptor's root is not an OVF Envelope: its namespace is "${root.uri}", not http://schemas.dmtf.org/ovf/envelope/1`, { type: "OvfWrongNamespace", fields: { lineNumber: 0, namespaceName: root.uri } });
  return root;
}

function filesOf(root: XmlElement): Map<string, OvfFile> {
  const files = new Map<string, OvfFile>();
  for (const f of children(child(root, "References") ?? root, "File")) {
    const id = attr(f, "id");
    const href = attr(f, "href");
    if (!id || !href) throw new OvfError("References/File needs ovf:id and ovf:href", { type: "OvfMissingAttribute", fields: { lineNumber: 0, elementName: "File", attributeName: id ? "ovf:href" : "ovf:id" } });
    const size = attr(f, "size");
    files.set(id, { id, href, size: size === undefined ? undefined : Number(size) });
  }
  return files;
}

interface DiskEntry {
  capacityBytes: number;
  populatedSize?: number;
  file?: OvfFile;
}

function disksOf(root: XmlElement, files: Map<string, OvfFile>): Map<string, DiskEntry> {
  const disks = new Map<string, DiskEntry>();
  for (const d of children(child(root, "DiskSection") ?? root, "Disk")) {
    const diskId = attr(d, "diskId");
    const capacity = Number(attr(d, "capacity"));
    if (!diskId || !Number.isFinite(capacity) || capacity <= 0) {
      throw new OvfError(`DiskSection/Disk ${diskId ?? "(no ovf:diskId)"} needs a positive ovf:capacity`, { type: "OvfInvalidValueFormatMalformed", fields: { lineNumber: 0, elementName: "Disk", attributeName: "ovf:capacity", value: attr(d, "capacity") ?? "" } });
    }
    const ref = attr(d, "fileRef");
    if (ref !== undefined && !files.has(ref)) throw new OvfError(`Disk ${diskId} names file ${ref}, which References does not list`, { type: "OvfInvalidValueReference", fields: { lineNumber: 0, elementName: "Disk", attributeName: "ovf:fileRef", value: ref } });
    const populated = attr(d, "populatedSize");
    disks.set(diskId, {
      capacityBytes: capacity * unitFactor(attr(d, "capacityAllocationUnits"), 1),
      populatedSize: populated === undefined ? undefined : Number(populated),
      file: ref === undefined ? undefined : files.get(ref),
    });
  }
  return disks;
}

export function parseOvf(descriptor: string): OvfSystem {
  const root = envelopeOf(descriptor);
  const files = filesOf(root);
  const disks = disksOf(root, files);
  const networks = children(child(root, "NetworkSection") ?? root, "Network").map((n) => attr(n, "name") ?? "").filter(Boolean);
  const vs = child(root, "VirtualSystem");
  if (!vs) throw new OvfError(child(root, "VirtualSystemCollection") ? "a VirtualSystemCollection (a vApp) is not one VirtualSystem: import it as a vApp (parseOvfTree)" : "the Envelope has no VirtualSystem");
  return systemOf(vs, files, disks, networks);
}

/** A vApp's start settings for one child, from the collection's StartupSection (ovf:id names the child). */
export interface OvfStartupItem {
  id: string;
  order: number;
  startDelay: number;
  waitingForGuest: boolean;
  startAction: string;
  stopDelay: number;
  stopAction: string;
}

/** What an import makes: a VM, or a vApp of VMs and vApps. */
export type OvfTree =
  | { kind: "system"; system: OvfSystem }
  | { kind: "collection"; id: string; name: string; annotation?: string; products: OvfProductDef[]; startup: OvfStartupItem[]; children: OvfTree[] };

/** The descriptor's VirtualSystem, or its VirtualSystemCollection with everything inside, ready to import. */
export function parseOvfTree(descriptor: string): OvfTree {
  const root = envelopeOf(descriptor);
  const files = filesOf(root);
  const disks = disksOf(root, files);
  const networks = children(child(root, "NetworkSection") ?? root, "Network").map((n) => attr(n, "name") ?? "").filter(Boolean);
  const top = root.children.find((c) => c.local === "VirtualSystem" || c.local === "VirtualSystemCollection");
  if (!top) throw new OvfError("the Envelope has no VirtualSystem or VirtualSystemCollection", { type: "OvfMissingElement", fields: { lineNumber: 0, name: "VirtualSystem" } });
  const tree = (e: XmlElement): OvfTree => {
    if (e.local === "VirtualSystem") return { kind: "system", system: systemOf(e, files, disks, networks) };
    const id = attr(e, "id");
    if (!id) throw new OvfError("VirtualSystemCollection needs ovf:id", { type: "OvfMissingAttribute", fields: { lineNumber: 0, elementName: e.local, attributeName: "ovf:id" } });
    const members = e.children.filter((c) => c.local === "VirtualSystem" || c.local === "VirtualSystemCollection").map(tree);
    const ids = members.map((m) => (m.kind === "system" ? m.system.id : m.id));
    const startup = children(child(e, "StartupSection") ?? e, "Item").map((i): OvfStartupItem => {
      const n = (local: string, dflt: number) => {
        const v = attr(i, local);
        return v === undefined || !Number.isFinite(Number(v)) ? dflt : Number(v);
      };
      return {
        id: attr(i, "id") ?? "", order: n("order", 0), startDelay: n("startDelay", 0), waitingForGuest: attr(i, "waitingForGuest") === "true",
        startAction: attr(i, "startAction") ?? "powerOn", stopDelay: n("stopDelay", 0), stopAction: attr(i, "stopAction") ?? "powerOff",
      };
    });
    for (const item of startup) {
      if (!ids.includes(item.id)) throw new OvfError(`StartupSection of ${id}: Item ${item.id || "(no ovf:id)"} names no member of the collection`, { type: "OvfInvalidValueReference", fields: { lineNumber: 0, elementName: "Item", attributeName: "ovf:id", value: item.id } });
    }
    const annotation = child(e, "AnnotationSection");
    return {
      kind: "collection", id, name: text(child(e, "Name")) || id, products: children(e, "ProductSection").map(productOf), startup, children: members,
      ...(annotation ? { annotation: text(child(annotation, "Annotation")) } : {}),
    };
  };
  return tree(top);
}

function systemOf(vs: XmlElement, files: Map<string, OvfFile>, disks: Map<string, DiskEntry>, networks: string[]): OvfSystem {
  const id = attr(vs, "id") ?? "vm";
  const hw = child(vs, "VirtualHardwareSection");
  if (!hw) throw new OvfError(`VirtualSystem ${id} has no VirtualHardwareSection`);
  const system: OvfSystem = {
    id, name: text(child(vs, "Name")) || id, cpus: 1, memoryMB: 32, controllers: [], disks: [], nics: [], cdroms: [], extraConfig: [], networks, files: [...files.values()],
    products: children(vs, "ProductSection").map(productOf), transport: (attr(hw, "transport") ?? "").split(/\s+/).filter(Boolean),
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

// ---- the package as a whole (OvfManager.ParseDescriptor, ValidateHost) ----

export interface OvfPropertyDef {
  key: string;
  /** ovf:type (string, boolean, uint8...), and its qualifiers (MinLen(1), ValueMap{"a","b"}, Ip) */
  type: string;
  qualifiers: string[];
  password: boolean;
  userConfigurable: boolean;
  value?: string;
  /** per-deployment-option values: <Value ovf:value ovf:configuration> */
  values: { value: string; configuration: string }[];
  label?: string;
  description?: string;
  category?: string;
}

export interface OvfProductDef {
  classId?: string;
  instanceId?: string;
  product?: string;
  vendor?: string;
  version?: string;
  fullVersion?: string;
  vendorUrl?: string;
  productUrl?: string;
  appUrl?: string;
  properties: OvfPropertyDef[];
}

export interface OvfSection {
  name: string;
  info: string;
  required: boolean;
}

/** A VirtualSystem or VirtualSystemCollection and what its sections say. */
export interface OvfEntity {
  id: string;
  name?: string;
  collection: boolean;
  /** VirtualSystemType of a VirtualSystem's hardware ("vmx-11", "vmx-07 vmx-10") */
  hardwareVersion?: string;
  annotation?: string;
  products: OvfProductDef[];
  eulas: string[];
  ipAssignment?: { schemes: string[]; protocols: string[] };
  children: OvfEntity[];
  /** sections this reader does not know: what a consumer must refuse when they are required */
  unknownSections: OvfSection[];
}

export interface OvfPackage {
  files: OvfFile[];
  disks: (DiskEntry & { diskId: string })[];
  networks: { name: string; description: string }[];
  deploymentOptions: { id: string; label: string; description: string; isDefault: boolean }[];
  root: OvfEntity;
  unknownSections: OvfSection[];
}

const KNOWN_SECTIONS = new Set([
  "DiskSection", "NetworkSection", "DeploymentOptionSection", "AnnotationSection", "ProductSection", "EulaSection",
  "OperatingSystemSection", "VirtualHardwareSection", "StartupSection", "ResourceAllocationSection", "InstallSection",
  "IpAssignmentSection", "BootOrderSection", "StorageGroupSection", "StorageSection", "EncryptionSection",
]);

const split = (v: string | undefined, sep: RegExp) => (v ?? "").split(sep).map((s) => s.trim()).filter(Boolean);

function unknownSections(e: XmlElement): OvfSection[] {
  return e.children
    .filter((c) => c.local.endsWith("Section") && !KNOWN_SECTIONS.has(c.local))
    // OVF 1.x: a section is required unless it says ovf:required="false"
    .map((c) => ({ name: c.local, info: text(child(c, "Info")), required: attr(c, "required") !== "false" }));
}

function productOf(p: XmlElement): OvfProductDef {
  const t = (local: string) => (child(p, local) ? text(child(p, local)) : undefined);
  const product: OvfProductDef = {
    classId: attr(p, "class"), instanceId: attr(p, "instance"), product: t("Product"), vendor: t("Vendor"), version: t("Version"),
    fullVersion: t("FullVersion"), vendorUrl: t("VendorUrl"), productUrl: t("ProductUrl"), appUrl: t("AppUrl"), properties: [],
  };
  let category: string | undefined;
  for (const c of p.children) {
    if (c.local === "Category") category = text(c) || undefined;
    if (c.local !== "Property") continue;
    const key = attr(c, "key");
    if (!key) throw new OvfError("ProductSection/Property needs ovf:key", { type: "OvfMissingAttribute", fields: { lineNumber: 0, elementName: "Property", attributeName: "ovf:key" } });
    const type = attr(c, "type");
    if (!type) throw new OvfError(`Property ${key} needs ovf:type`, { type: "OvfMissingAttribute", fields: { lineNumber: 0, elementName: "Property", attributeName: "ovf:type" } });
    const qualifiers: string[] = [];
    // ValueMap{"a", "b"} holds commas and spaces: qualifiers are split where a new one starts
    const written = [...c.attrs].filter(([k]) => k === "qualifiers" || k.endsWith("}qualifiers")).map(([, v]) => v.value).join(" ");
    for (const m of written.matchAll(/[A-Za-z]+(?::[^\s,{(]+)?(?:\([^)]*\)|\{[^}]*\})?/g)) if (!qualifiers.includes(m[0])) qualifiers.push(m[0]);
    product.properties.push({
      key, type, qualifiers,
      password: attr(c, "password") === "true",
      userConfigurable: attr(c, "userConfigurable") === "true",
      value: attr(c, "value"),
      values: children(c, "Value").map((v) => ({ value: attr(v, "value") ?? "", configuration: attr(v, "configuration") ?? "" })),
      label: child(c, "Label") ? text(child(c, "Label")) : undefined,
      description: child(c, "Description") ? text(child(c, "Description")) : undefined,
      category,
    });
  }
  return product;
}

function entityOf(e: XmlElement): OvfEntity {
  const id = attr(e, "id");
  if (!id) throw new OvfError(`${e.local} needs ovf:id`, { type: "OvfMissingAttribute", fields: { lineNumber: 0, elementName: e.local, attributeName: "ovf:id" } });
  const collection = e.local === "VirtualSystemCollection";
  const entity: OvfEntity = {
    id, name: child(e, "Name") ? text(child(e, "Name")) : undefined, collection,
    products: children(e, "ProductSection").map(productOf),
    eulas: children(e, "EulaSection").map((s) => text(child(s, "License"))),
    children: [], unknownSections: unknownSections(e),
  };
  const annotation = child(e, "AnnotationSection");
  if (annotation) entity.annotation = text(child(annotation, "Annotation"));
  const ip = child(e, "IpAssignmentSection");
  if (ip) entity.ipAssignment = { schemes: split(attr(ip, "schemes"), /[,\s]+/), protocols: split(attr(ip, "protocols"), /[,\s]+/) };
  if (collection) {
    entity.children = e.children.filter((c) => c.local === "VirtualSystem" || c.local === "VirtualSystemCollection").map(entityOf);
  } else {
    const hw = child(e, "VirtualHardwareSection");
    if (!hw) throw new OvfError(`VirtualSystem ${id} has no VirtualHardwareSection`, { type: "OvfMissingElement", fields: { lineNumber: 0, name: "VirtualHardwareSection" } });
    entity.hardwareVersion = text(child(child(hw, "System") ?? hw, "VirtualSystemType")) || undefined;
  }
  return entity;
}

/** The whole package: envelope sections and the entity tree (a vApp's too), not only what a VM import needs. */
export function describeOvf(descriptor: string): OvfPackage {
  const root = envelopeOf(descriptor);
  const files = filesOf(root);
  const disks = disksOf(root, files);
  const top = root.children.find((c) => c.local === "VirtualSystem" || c.local === "VirtualSystemCollection");
  if (!top) throw new OvfError("the Envelope has no VirtualSystem or VirtualSystemCollection", { type: "OvfMissingElement", fields: { lineNumber: 0, name: "VirtualSystem" } });
  const options = children(child(root, "DeploymentOptionSection") ?? root, "Configuration").map((c) => ({
    id: attr(c, "id") ?? "", label: text(child(c, "Label")), description: text(child(c, "Description")), isDefault: attr(c, "default") === "true",
  }));
  return {
    files: [...files.values()],
    disks: [...disks].map(([diskId, d]) => ({ diskId, ...d })),
    networks: children(child(root, "NetworkSection") ?? root, "Network").map((n) => ({ name: attr(n, "name") ?? "", description: text(child(n, "Description")) })).filter((n) => n.name),
    deploymentOptions: options,
    root: entityOf(top),
    unknownSections: unknownSections(root),
  };
}
