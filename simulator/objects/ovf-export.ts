// OVF export: VirtualMachine.ExportVm and VirtualApp.ExportVApp take a lease
// whose device URLs serve each disk of the powered-off VMs as a
// streamOptimized VMDK (a linked clone's or a snapshotted VM's chain comes
// out flattened, as one disk), and OvfManager.CreateDescriptor writes the OVF
// envelope for what the client downloaded, in the form vSphere writes it, so
// that CreateImportSpec and ImportVApp (ovf-manager.ts, http-nfc-lease.ts)
// make the same VM from it again. This is what govc export.ovf, Packer's
// export step and pyVmomi's export samples do.
import { escapeXml, VimFault, localizedFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { ManagedObject } from "./managed-object.ts";
import { datacenterOf, type ManagedEntity } from "./managed-entity.ts";
import type { VirtualMachine } from "./virtual-machine.ts";
import { kindOf, type Device } from "./vm-devices.ts";
import { importKey } from "./ovf-manager.ts";
import { HttpNfcLease, type ExportedDisk } from "./http-nfc-lease.ts";
import { DatastoreVolume } from "../datastore/datastore-volume.ts";
import { diskChain, extentFile, flattenChain, volumeOf } from "../datastore/disk-files.ts";
import type { ResolvedPath } from "../datastore/datastore-path.ts";
import { capacityBytes, ddbGet } from "../formats/vmdk.ts";
import { populatedBytes, writeStreamOptimized, type DiskSource } from "../formats/stream-vmdk.ts";

type Ref = ManagedObjectReference;

const STREAM_FORMAT = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized";
// the CIM ResourceType of each device an OVF VirtualHardwareSection lists (CIM_ResourceAllocationSettingData)
const RT = { cpu: 3, memory: 4, ide: 5, scsi: 6, ethernet: 10, cdrom: 15, disk: 17, sata: 20, video: 24, other: 1 } as const;
const SCSI_SUBTYPE: Record<string, string> = {
  VirtualLsiLogicController: "lsilogic", VirtualLsiLogicSASController: "lsilogicsas", ParaVirtualSCSIController: "VirtualSCSI", VirtualBusLogicController: "buslogic",
};
const NIC_SUBTYPE: Record<string, string> = {
  VirtualE1000: "E1000", VirtualE1000e: "E1000e", VirtualVmxnet3: "VmxNet3", VirtualVmxnet2: "VmxNet2", VirtualPCNet32: "PCNet32", VirtualVmxnet: "VmxNet",
};

/** The disks that have files among a VM's devices (its own, or a snapshot's), each with the controller it sits on. */
function disksOf(sim: SimContext, devices: Device[]): { disk: Device; ctrl: Device | undefined }[] {
  return devices.filter((d) => kindOf(sim.schema, d._type) === "disk" && d.backing?.fileName).map((disk) => ({ disk, ctrl: devices.find((c) => c.key === disk.controllerKey) }));
}

/** The lease's and the descriptor's name for a disk: "/<vm moref>/<controller type><bus>:<unit>", as vSphere keys an export. */
function deviceKey(vm: VirtualMachine, disk: Device, ctrl: Device | undefined): string {
  return importKey(vm.ref.value, ctrl?._type ?? "", ctrl?.busNumber ?? 0, disk.unitNumber ?? 0);
}

/**
 * What the guest reads through a disk: its own extent when it stands alone
 * (byte for byte), else its chain flattened into a scratch volume that
 * belongs to no datastore, so the export leaves the datastore untouched.
 */
function diskSource(sim: SimContext, vm: VirtualMachine, disk: Device): { source: DiskSource; cid: string; longContentId?: string; hwVersion?: number } {
  const file = sim.vmStorage.resolve(String(disk.backing!.fileName), vm);
  const chain = diskChain(sim, file, datacenterOf(vm));
  const top = chain[0].descriptor;
  const capacity = capacityBytes(top);
  const meta = { cid: top.cid, longContentId: ddbGet(top, "longContentID"), hwVersion: Number(ddbGet(chain[chain.length - 1].descriptor, "virtualHWVersion")) || undefined };
  const only = top.extents[0];
  if (chain.length === 1 && top.extents.length === 1 && only.file && !only.offset) {
    const x = extentFile(file, only);
    const vol = volumeOf(x);
    if (!vol.exists(x.path)) throw new VimFault("FileNotFound", { file: x.datastorePath }, `File ${x.datastorePath} was not found`);
    return { ...meta, source: { capacity, ranges: vol.extents(x.path), read: (s, e) => vol.readRange(x.path, s, e) } };
  }
  const scratch = new DatastoreVolume({ name: "ovf-export", capacity: Number.MAX_SAFE_INTEGER, clock: sim.clock });
  scratch.createSparse("flat", capacity);
  const dst = { datastore: { volume: scratch, name: "ovf-export" }, path: "flat", datastorePath: "[ovf-export] flat" } as unknown as ResolvedPath;
  flattenChain(chain, dst);
  return { ...meta, source: { capacity, ranges: scratch.extents("flat"), read: (s, e) => scratch.readRange("flat", s, e) } };
}

function requirePoweredOff(vm: VirtualMachine): void {
  if (vm.powerState !== "poweredOff") throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: vm.powerState }, `The attempted operation cannot be performed in the current state (${vm.powerState === "poweredOn" ? "Powered on" : "Suspended"}).`);
}

/**
 * ExportVm's and ExportVApp's work: a ready lease whose URLs serve the VMs'
 * disks (disk-0.vmdk, disk-1.vmdk, ... in device order), made now, so what
 * is downloaded is the disks as they were when the lease was taken.
 */
export function exportLease(sim: SimContext, entity: ManagedObject, vms: VirtualMachine[]): Ref {
  for (const vm of vms) requirePoweredOff(vm);
  return lease(sim, entity, vms.map((vm) => ({ vm, devices: vm.config.hardware.device })));
}

/**
 * VirtualMachineSnapshot.ExportSnapshot: the disks as the snapshot froze
 * them (its own devices, each disk's chain from the file it named then), so
 * the VM may run and keep writing to its newer delta meanwhile. The lease's
 * entity is the VM: a snapshot is no entity.
 */
export function exportSnapshotLease(sim: SimContext, vm: VirtualMachine, devices: Device[]): Ref {
  return lease(sim, vm, [{ vm, devices }]);
}

function lease(sim: SimContext, entity: ManagedObject, items: { vm: VirtualMachine; devices: Device[] }[]): Ref {
  const leaseId = sim.ids.nextUuid("nfc-lease");
  const exported = new Map<string, ExportedDisk>();
  const deviceUrl: DataObject[] = [];
  let totalKB = 0;
  for (const { vm, devices } of items) {
    for (const { disk, ctrl } of disksOf(sim, devices)) {
      const file = `disk-${deviceUrl.length}.vmdk`;
      const key = deviceKey(vm, disk, ctrl);
      const { source, ...meta } = diskSource(sim, vm, disk);
      const stream = writeStreamOptimized(source, { fileName: file, adapterType: kindOf(sim.schema, ctrl?._type ?? "") === "ide" ? "ide" : "lsilogic", ...meta });
      exported.set(key, { file, data: stream.data, capacity: source.capacity, populated: stream.populated });
      totalKB += disk.capacityInKB ?? Math.ceil(source.capacity / 1024);
      deviceUrl.push({
        _type: "HttpNfcLeaseDeviceUrl",
        key,
        // only an import names devices as its spec did; the field is required, so an export repeats the key
        importKey: key,
        url: `https://*/nfc/${leaseId}/${file}`,
        sslThumbprint: "",
        disk: true,
        targetId: file,
        fileSize: stream.data.length,
      });
    }
  }
  return sim.inventory.add(new HttpNfcLease(sim, leaseId, entity.ref, deviceUrl, totalKB, { exported })).ref;
}

// ---- the descriptor ----

const x = (s: unknown) => escapeXml(String(s));

/** "<rasd:Name>value</rasd:Name>" for each field set, in the alphabetical order CIM's schema gives them. */
function item(fields: Record<string, string | number | undefined>, extra: string[] = [], required = true): string {
  const inner = Object.keys(fields).sort().filter((k) => fields[k] !== undefined && fields[k] !== "")
    .map((k) => `        <rasd:${k}>${x(fields[k])}</rasd:${k}>`);
  return [`      <Item${required ? "" : ' ovf:required="false"'}>`, ...inner, ...extra.map((e) => `        ${e}`), "      </Item>"].join("\n");
}

/** Bytes as vSphere writes a capacity: the largest of GiB, MiB, KiB that divides it. */
function capacityUnits(bytes: number): [number, string] {
  for (const p of [30, 20, 10]) if (bytes % 2 ** p === 0 && bytes > 0) return [bytes / 2 ** p, `byte * 2^${p}`];
  return [bytes, "byte"];
}

// CIM_OperatingSystem's OsType numbers for the families vSphere maps guest ids to; the osType attribute is what an import reads
function cimOsId(guestId: string): number {
  const g = guestId.toLowerCase();
  const x64 = g.includes("64");
  if (g.startsWith("win")) return x64 ? 103 : 105;
  if (/linux|rhel|centos|ubuntu|debian|sles|suse|oracle|fedora|photon|coreos|asianux|mandr|turbo|redhat|opensuse|genericlinux|vmwarephoton/.test(g)) return x64 ? 101 : 36;
  if (g.startsWith("freebsd")) return x64 ? 78 : 42;
  if (g.startsWith("solaris")) return x64 ? 85 : 29;
  if (g.startsWith("darwin")) return 102;
  return x64 ? 102 : 1;
}

interface DescribedFile {
  id: string;
  href: string;
  size: number;
}

interface DescribeState {
  files: DescribedFile[];
  disks: string[];
  networks: Set<string>;
  fileFor: Map<string, DataObject & Record<string, any>>;
  used: Set<string>;
}

function networkName(sim: SimContext, nic: Device): string {
  const b = (nic.backing ?? {}) as Record<string, any>;
  if (b.deviceName) return String(b.deviceName);
  const pg = b.port?.portgroupKey ? sim.inventory.get(String(b.port.portgroupKey)) : undefined;
  if (pg) return String(pg.get("name"));
  if (b.network) return String(sim.inventory.get(b.network.value)?.get("name") ?? "");
  return String(b.opaqueNetworkId ?? "");
}

/** One VirtualSystem element, adding its disks and networks to the envelope's sections. */
function virtualSystem(sim: SimContext, vm: VirtualMachine, name: string, annotation: string | undefined, options: Set<string>, st: DescribeState, indent: string): string {
  const config = vm.config;
  const devices = config.hardware.device;
  const kind = (d: Device) => kindOf(sim.schema, d._type);
  const items: string[] = [];
  let instance = 1;
  const instanceOf = new Map<number, number>();
  const cores = config.hardware.numCoresPerSocket;
  items.push(item({ AllocationUnits: "hertz * 10^6", Description: "Number of Virtual CPUs", ElementName: `${config.hardware.numCPU} virtual CPU(s)`, InstanceID: instance++, ResourceType: RT.cpu, VirtualQuantity: config.hardware.numCPU },
    cores > 1 ? [`<vmw:CoresPerSocket ovf:required="false">${cores}</vmw:CoresPerSocket>`] : []));
  items.push(item({ AllocationUnits: "byte * 2^20", Description: "Memory Size", ElementName: `${config.hardware.memoryMB}MB of memory`, InstanceID: instance++, ResourceType: RT.memory, VirtualQuantity: config.hardware.memoryMB }));
  for (const d of devices) {
    const k = kind(d);
    if (k !== "scsi" && k !== "sata" && k !== "ide") continue;
    instanceOf.set(d.key, instance);
    if (k === "scsi") items.push(item({ Address: d.busNumber ?? 0, Description: "SCSI Controller", ElementName: `SCSI controller ${d.busNumber ?? 0}`, InstanceID: instance++, ResourceSubType: SCSI_SUBTYPE[d._type] ?? "lsilogic", ResourceType: RT.scsi }));
    else if (k === "sata") items.push(item({ Address: d.busNumber ?? 0, Description: "SATA Controller", ElementName: `SATA controller ${d.busNumber ?? 0}`, InstanceID: instance++, ResourceSubType: "vmware.sata.ahci", ResourceType: RT.sata }));
    else items.push(item({ Address: d.busNumber ?? 0, Description: "IDE Controller", ElementName: `IDE ${d.busNumber ?? 0}`, InstanceID: instance++, ResourceType: RT.ide }));
  }
  let nicIndex = 0;
  for (const d of devices) {
    const k = kind(d);
    const label = d.deviceInfo?.label;
    if (k === "cdrom") {
      const parent = instanceOf.get(d.controllerKey ?? -1);
      if (parent === undefined) continue;
      const iso = d.backing?._type === "VirtualCdromIsoBackingInfo";
      items.push(item({ AddressOnParent: d.unitNumber ?? 0, AutomaticAllocation: String(!!d.connectable?.startConnected), ElementName: label ?? "CD/DVD drive", InstanceID: instance++, Parent: parent, ResourceSubType: iso ? "vmware.cdrom.iso" : "vmware.cdrom.remotepassthrough", ResourceType: RT.cdrom }, [], false));
    } else if (k === "disk" && d.backing?.fileName) {
      const ctrl = devices.find((c) => c.key === d.controllerKey);
      const parent = instanceOf.get(d.controllerKey ?? -1);
      if (parent === undefined || !ctrl) continue;
      const diskId = `vmdisk${st.disks.length + 1}`;
      const key = deviceKey(vm, d, ctrl);
      const byName = importKey(vm.name, ctrl._type, ctrl.busNumber ?? 0, d.unitNumber ?? 0);
      const given = st.fileFor.get(key) ?? st.fileFor.get(byName);
      const bytes = d.capacityInBytes ?? (d.capacityInKB ?? 0) * 1024;
      const [capacity, units] = capacityUnits(bytes);
      let fileRef = "";
      let populated = given?.populatedSize as number | undefined;
      if (given) {
        st.used.add(given.deviceId === key ? key : byName);
        const file = { id: `file${st.files.length + 1}`, href: String(given.path), size: Number(given.size) || 0 };
        st.files.push(file);
        fileRef = ` ovf:fileRef="${file.id}"`;
        populated ??= populatedBytes(diskSource(sim, vm, d).source);
      }
      st.disks.push(`<Disk ovf:capacity="${capacity}" ovf:capacityAllocationUnits="${units}" ovf:diskId="${diskId}"${fileRef} ovf:format="${STREAM_FORMAT}"${populated !== undefined ? ` ovf:populatedSize="${populated}"` : ""}/>`);
      items.push(item({ AddressOnParent: d.unitNumber ?? 0, ElementName: label ?? "Hard disk", HostResource: `ovf:/disk/${diskId}`, InstanceID: instance++, Parent: parent, ResourceType: RT.disk },
        [`<vmw:Config ovf:required="false" vmw:key="backing.writeThrough" vmw:value="${!!d.backing.writeThrough}"/>`]));
    } else if (k === "nic") {
      const net = networkName(sim, d);
      st.networks.add(net);
      const subtype = NIC_SUBTYPE[d._type] ?? "E1000";
      const extra = [`<vmw:Config ovf:required="false" vmw:key="wakeOnLanEnabled" vmw:value="${!!d.wakeOnLanEnabled}"/>`];
      // the MAC address only when asked to (exportOption "mac"): an imported copy gets its own
      items.push(item({ Address: options.has("mac") ? d.macAddress : undefined, AddressOnParent: d.unitNumber ?? 7 + nicIndex, AutomaticAllocation: String(d.connectable?.startConnected !== false), Connection: net, Description: `${subtype} ethernet adapter on "${net}"`, ElementName: label ?? `Network adapter ${nicIndex + 1}`, InstanceID: instance++, ResourceSubType: subtype, ResourceType: RT.ethernet }, extra));
      nicIndex++;
    } else if (d._type === "VirtualMachineVideoCard") {
      items.push(item({ ElementName: label ?? "Video card", InstanceID: instance++, ResourceType: RT.video },
        [`<vmw:Config ovf:required="false" vmw:key="videoRamSizeInKB" vmw:value="${Number(d.videoRamSizeInKB ?? 4096)}"/>`], false));
    } else if (d._type === "VirtualMachineVMCIDevice") {
      items.push(item({ AutomaticAllocation: "false", ElementName: label ?? "VMCI device", InstanceID: instance++, ResourceSubType: "vmware.vmci", ResourceType: RT.other }, [], false));
    }
  }
  const flags = (config.flags ?? {}) as Record<string, unknown>;
  const tools = (config.tools ?? {}) as Record<string, unknown>;
  const vmwConfig: [string, unknown][] = [
    ["cpuHotAddEnabled", config.cpuHotAddEnabled ?? false], ["cpuHotRemoveEnabled", config.cpuHotRemoveEnabled ?? false],
    ["firmware", config.firmware ?? "bios"], ["memoryHotAddEnabled", config.memoryHotAddEnabled ?? false],
    ["tools.syncTimeWithHost", tools.syncTimeWithHost ?? false], ["tools.toolsUpgradePolicy", tools.toolsUpgradePolicy ?? "manual"],
  ];
  if (flags.diskUuidEnabled !== undefined) vmwConfig.push(["flags.diskUuidEnabled", flags.diskUuidEnabled]);
  if (options.has("uuid")) vmwConfig.push(["uuid", config.uuid]);
  const tail = vmwConfig.map(([k, v]) => `      <vmw:Config ovf:required="false" vmw:key="${x(k)}" vmw:value="${x(v)}"/>`);
  // vSphere writes extraConfig only when asked to (exportOption "extraconfig")
  if (options.has("extraconfig")) {
    for (const o of config.extraConfig ?? []) if (o.value !== undefined && o.value !== null) tail.push(`      <vmw:ExtraConfig ovf:required="false" vmw:key="${x(o.key)}" vmw:value="${x(o.value)}"/>`);
  }
  const lines = [
    `<VirtualSystem ovf:id="${x(name)}">`,
    "  <Info>A virtual machine</Info>",
    `  <Name>${x(name)}</Name>`,
    ...(annotation ? ["  <AnnotationSection>", "    <Info>A human-readable annotation</Info>", `    <Annotation>${x(annotation)}</Annotation>`, "  </AnnotationSection>"] : []),
    `  <OperatingSystemSection ovf:id="${cimOsId(config.guestId)}" vmw:osType="${x(config.guestId)}">`,
    "    <Info>The kind of installed guest operating system</Info>",
    "  </OperatingSystemSection>",
    "  <VirtualHardwareSection>",
    "    <Info>Virtual hardware requirements</Info>",
    "    <System>",
    "      <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>",
    "      <vssd:InstanceID>0</vssd:InstanceID>",
    `      <vssd:VirtualSystemIdentifier>${x(name)}</vssd:VirtualSystemIdentifier>`,
    `      <vssd:VirtualSystemType>${x(config.version)}</vssd:VirtualSystemType>`,
    "    </System>",
    ...items.join("\n").split("\n").map((l) => l.slice(2)),
    ...tail.map((l) => l.slice(2)),
    "  </VirtualHardwareSection>",
    "</VirtualSystem>",
  ];
  return lines.map((l) => indent + l).join("\n");
}

/** OvfManager.CreateDescriptor: the envelope for a VM (a VirtualSystem) or a vApp (a VirtualSystemCollection of its VMs). */
export function createDescriptor(sim: SimContext, obj: ManagedObject, cdp: Record<string, any>): DataObject {
  const fileFor = new Map<string, DataObject & Record<string, any>>();
  for (const f of (cdp.ovfFiles ?? []) as (DataObject & Record<string, any>)[]) fileFor.set(String(f.deviceId), f);
  const st: DescribeState = { files: [], disks: [], networks: new Set(), fileFor, used: new Set() };
  const options = new Set(((cdp.exportOption ?? []) as string[]).map((o) => String(o).toLowerCase()));
  const name = cdp.name ? String(cdp.name) : (obj as ManagedEntity).name;
  let body: string;
  if (obj.type === "VirtualMachine") {
    const vm = obj as VirtualMachine;
    body = virtualSystem(sim, vm, name, cdp.description !== undefined ? String(cdp.description) : vm.config.annotation, options, st, "  ");
  } else if (obj.type === "VirtualApp") {
    const vms = ((obj.props.vm as Ref[] | undefined) ?? []).map((r) => sim.inventory.get(r.value) as VirtualMachine | undefined).filter((v): v is VirtualMachine => !!v);
    const annotation = cdp.description !== undefined ? String(cdp.description) : String((obj.props.vAppConfig as { annotation?: string } | undefined)?.annotation ?? "");
    body = [
      `  <VirtualSystemCollection ovf:id="${x(name)}">`,
      "    <Info>A vApp</Info>",
      `    <Name>${x(name)}</Name>`,
      ...(annotation ? ["    <AnnotationSection>", "      <Info>A human-readable annotation</Info>", `      <Annotation>${x(annotation)}</Annotation>`, "    </AnnotationSection>"] : []),
      ...vms.map((vm) => virtualSystem(sim, vm, vm.name, vm.config.annotation, options, st, "    ")),
      "  </VirtualSystemCollection>",
    ].join("\n");
  } else {
    throw new VimFault("InvalidArgument", { invalidProperty: "obj" }, `A descriptor is made for a virtual machine or a vApp, not a ${obj.type}.`);
  }
  const warning: DataObject[] = [];
  for (const id of fileFor.keys()) {
    if (st.used.has(id)) continue;
    warning.push(localizedFault(new VimFault("InvalidArgument", { invalidProperty: "cdp.ovfFiles" }, `No disk of ${name} has the device id ${id}: the file is not in the descriptor.`)));
  }
  const envelope = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
    "  <References>",
    ...st.files.map((f) => `    <File ovf:href="${x(f.href)}" ovf:id="${f.id}" ovf:size="${f.size}"/>`),
    "  </References>",
    "  <DiskSection>",
    "    <Info>Virtual disk information</Info>",
    ...st.disks.map((d) => `    ${d}`),
    "  </DiskSection>",
    "  <NetworkSection>",
    "    <Info>The list of logical networks</Info>",
    ...[...st.networks].map((n) => `    <Network ovf:name="${x(n)}">\n      <Description>The ${x(n)} network</Description>\n    </Network>`),
    "  </NetworkSection>",
    body,
    "</Envelope>",
    "",
  ].join("\n");
  return { _type: "OvfCreateDescriptorResult", ovfDescriptor: envelope, error: [], warning };
}
