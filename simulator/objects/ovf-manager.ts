// OvfManager.CreateImportSpec: an OVF descriptor and a target (pool,
// datastore, network mapping) into the VirtualMachineImportSpec that
// ResourcePool.ImportVApp takes, and the file items a client uploads through
// the lease (govc import.ova, pyVmomi's deploy_ova, ovftool). A descriptor
// that does not parse, or names what cannot be imported, comes back in the
// result's `error` list as vSphere reports it, not as a fault.
// CreateDescriptor is the other way: the OVF for a VM or vApp (ovf-export.ts).
// ParseDescriptor and ValidateHost are what a client asks before an import
// (pyVmomi deploy scripts, the vSphere Client's deploy wizard): the
// package's networks, EULAs, properties, deployment options and sizes, and
// whether a host runs its virtual hardware; both report problems in the
// result's error and warning lists, as CreateImportSpec does.
import { VimFault, localizedFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import { OvfError, describeOvf, parseOvfTree, type OvfEntity, type OvfPackage, type OvfProductDef, type OvfPropertyDef, type OvfSystem, type OvfTree } from "../formats/ovf.ts";
import { hardwareVersionKey, supportedHardwareVersions } from "./hardware-versions.ts";
import { hardwareVersionOf } from "../formats/vmx-config.ts";
import { createDescriptor } from "./ovf-export.ts";
import { nicBackingFor } from "./dv-ports.ts";

type Ref = ManagedObjectReference;

const SCSI_TYPES: Record<string, string> = {
  lsilogic: "VirtualLsiLogicController", lsilogicsas: "VirtualLsiLogicSASController", virtualscsi: "ParaVirtualSCSIController",
  pvscsi: "ParaVirtualSCSIController", buslogic: "VirtualBusLogicController",
};
const NIC_TYPES: Record<string, string> = {
  e1000: "VirtualE1000", e1000e: "VirtualE1000e", vmxnet3: "VirtualVmxnet3", vmxnet2: "VirtualVmxnet2", vmxnet: "VirtualVmxnet2", pcnet32: "VirtualPCNet32",
};
// the IDE controllers every VM has (vm-devices.ts defaultDevices)
const IDE_KEYS = [200, 201];
const THICK = new Set(["thick", "flat", "eagerZeroedThick", "monolithicFlat", "twoGbMaxExtentFlat", "thickProvisionedLazyZeroed"]);

/** How a client's upload finds its disk: the same key in the import spec's file items and the lease's device URLs. */
export function importKey(vmName: string, controllerType: string, bus: number, unit: number): string {
  return `/${vmName}/${controllerType}${bus}:${unit}`;
}

function localized(type: string, fields: Record<string, unknown>, message: string): DataObject {
  return localizedFault(new VimFault(type, fields, message));
}

/** An OvfError as the LocalizedMethodFault OvfManager puts in a result's error list. */
function ovfFault(e: OvfError): DataObject {
  const f = e.fault ?? { type: "OvfXmlFormat", fields: { lineNumber: 0, description: e.message } };
  return localized(f.type, f.fields, `Invalid OVF descriptor: ${e.message}`);
}

// no line numbers: the XML reader keeps none per element, so every fault but OvfXmlFormat says 0
function sectionFaults(pkg: OvfPackage): { error: DataObject[]; warning: DataObject[] } {
  const error: DataObject[] = [];
  const warning: DataObject[] = [];
  const all = [...pkg.unknownSections, ...entities(pkg.root).flatMap((e) => e.unknownSections)];
  for (const s of all) {
    (s.required ? error : warning).push(localized("OvfUnsupportedSection", { lineNumber: 0, name: s.name, info: s.info }, `Unsupported ${s.required ? "required " : ""}section "${s.name}" (${s.info})`));
  }
  return { error, warning };
}

/** The entity and all below it, depth first. */
function entities(e: OvfEntity): OvfEntity[] {
  return [e, ...e.children.flatMap(entities)];
}

/** Bytes to download (the References' file sizes), and to deploy with flat disks and with sparse ones. */
function sizes(pkg: OvfPackage): { download: number; flat: number; sparse: number } {
  return {
    download: pkg.files.reduce((n, f) => n + (f.size ?? 0), 0),
    // disks only: whether hostd adds swap and other VM files to its guess is not confirmed
    flat: pkg.disks.reduce((n, d) => n + d.capacityBytes, 0),
    // a sparse disk takes what it holds: ovf:populatedSize, else its file's size (not confirmed when neither is given: 0)
    sparse: pkg.disks.reduce((n, d) => n + (d.populatedSize ?? d.file?.size ?? 0), 0),
  };
}

const INT_TYPES = new Set(["uint8", "sint8", "uint16", "sint16", "uint32", "sint32", "uint64", "sint64"]);

/**
 * The vApp property type (VAppPropertyInfo.type) for an OVF property:
 * string(1..64), password, int(0..10), real, boolean, ip, ip:network,
 * string["a", "b"]. Undefined for an OVF type vSphere has no vApp type for.
 */
function vAppType(p: OvfPropertyDef): string | undefined {
  const arg = (name: string) => /\(([^)]*)\)/.exec(p.qualifiers.find((q) => q.startsWith(`${name}(`)) ?? "")?.[1]?.trim();
  const range = (min: string | undefined, max: string | undefined) => (min === undefined && max === undefined ? "" : `(${min ?? ""}..${max ?? ""})`);
  if (p.type === "string") {
    const ip = p.qualifiers.find((q) => /^Ip(:|$)/.test(q));
    if (ip) return ip === "Ip" ? "ip" : `ip:${ip.slice(3)}`;
    const map = p.qualifiers.find((q) => q.startsWith("ValueMap{"));
    if (map) return `string[${[...map.matchAll(/"([^"]*)"/g)].map((m) => `"${m[1]}"`).join(", ")}]`;
    return (p.password ? "password" : "string") + range(arg("MinLen"), arg("MaxLen"));
  }
  if (p.type === "boolean") return "boolean";
  // OVF's integer widths become "int": whether vSphere adds each width's natural range is not confirmed
  if (INT_TYPES.has(p.type)) return "int" + range(arg("MinValue"), arg("MaxValue"));
  if (p.type === "real32" || p.type === "real64") return "real" + range(arg("MinValue"), arg("MaxValue"));
  return undefined;
}

/** What one CreateImportSpec builds up across the entities of a package. */
interface ImportJob {
  ds: ManagedObject;
  pool: ManagedObject;
  cisp: Record<string, any>;
  warnings: DataObject[];
  fileItems: DataObject[];
  /** property keys the package defines, to warn of a mapping for none of them */
  properties: Set<string>;
}

/** A package the target cannot take: the result's error, not a fault. */
class ImportRefused extends Error {
  constructor(readonly fault: DataObject) {
    super(String((fault as { localizedMessage?: string }).localizedMessage ?? "refused"));
  }
}

export class OvfManager extends ManagedObject {
  CreateImportSpec(args: Args): DataObject {
    const pool = this.sim.inventory.get((args.resourcePool as Ref).value);
    if (!pool || !pool.isA("ResourcePool")) throw new VimFault("ManagedObjectNotFound", { obj: args.resourcePool });
    const ds = this.sim.inventory.get((args.datastore as Ref).value);
    if (!ds || ds.type !== "Datastore") throw new VimFault("ManagedObjectNotFound", { obj: args.datastore });
    const cisp = (args.cisp ?? {}) as Record<string, any>;
    let tree: OvfTree;
    try {
      tree = parseOvfTree(String(args.ovfDescriptor ?? ""));
    } catch (e) {
      if (!(e instanceof OvfError)) throw e;
      return { _type: "OvfCreateImportSpecResult", error: [localized("OvfXmlFormat", { description: e.message, lineNumber: 0 }, `Invalid OVF descriptor: ${e.message}`)] };
    }
    if (tree.kind === "collection" && !this.sim.isVCenter) {
      // vApps are vCenter's; the fault hostd reports for a collection is not confirmed
      return { _type: "OvfCreateImportSpecResult", error: [localized("OvfUnsupportedPackage", { lineNumber: 0 }, "A vApp (VirtualSystemCollection) can be imported only through vCenter Server.")] };
    }
    const job: ImportJob = { ds, pool, cisp, warnings: [], fileItems: [], properties: new Set() };
    let importSpec: DataObject;
    try {
      const name = cisp.entityName ? String(cisp.entityName) : tree.kind === "system" ? tree.system.name : tree.name;
      importSpec = tree.kind === "system" ? this.vmImportSpec(job, tree.system, name) : this.vAppImportSpec(job, tree, name);
    } catch (e) {
      if (e instanceof ImportRefused) return { _type: "OvfCreateImportSpecResult", error: [e.fault] };
      throw e;
    }
    const mapping = ((cisp.propertyMapping ?? []) as { key: string }[]).map((kv) => String(kv.key));
    for (const k of mapping) if (!job.properties.has(k)) job.warnings.push(localized("OvfProperty", { type: "", value: k }, `Property ${k} is not defined in the OVF package`));
    return { _type: "OvfCreateImportSpecResult", importSpec, fileItem: job.fileItems, warning: job.warnings };
  }

  /** A VirtualSystem as the VirtualMachineImportSpec that makes it, named `name`; its disks' uploads join the job's file items. */
  private vmImportSpec(job: ImportJob, system: OvfSystem, name: string): DataObject {
    const { ds, pool, cisp, warnings } = job;
    // VirtualSystemType may list several families ("vmx-07 vmx-10"): the newest this host runs
    const families = (system.hardwareVersion ?? "").split(/\s+/).filter((v) => hardwareVersionOf(v) !== undefined);
    const runs = supportedHardwareVersions(this.sim.scenario.about.version);
    const hw = families.map((v) => hardwareVersionOf(v)!).filter((v) => runs.includes(v)).sort((a, b) => b - a)[0];
    if (families.length && hw === undefined) {
      const message = `Unsupported hardware family '${families.join(" ")}': this host runs ${runs.map(hardwareVersionKey).join(", ")}.`;
      throw new ImportRefused(localized("OvfUnsupportedAttributeValue", { elementName: "VirtualSystemType", attributeName: "", value: families.join(" "), lineNumber: 0 }, message));
    }
    const schema = this.sim.schema;
    let guestId = system.osType ?? "otherGuest";
    if (!schema.enumValues("VirtualMachineGuestOsIdentifier")!.includes(guestId)) {
      warnings.push(localized("OvfUnsupportedAttributeValue", { elementName: "OperatingSystemSection", attributeName: "osType", value: guestId, lineNumber: 0 }, `Unsupported guest OS type "${guestId}": otherGuest instead`));
      guestId = "otherGuest";
    }
    const thin = !THICK.has(String(cisp.diskProvisioning ?? "thin"));
    const devices: DataObject[] = [];
    const controllerKeys = new Map<string, { key: number; type: string; bus: number }>();
    let nextKey = -100;
    for (const c of system.controllers) {
      if (c.kind === "ide") {
        if (c.bus > 1) throw new VimFault("InvalidArgument", { invalidProperty: "ovfDescriptor" }, `IDE controller ${c.instanceId}: a VM has IDE buses 0 and 1 only`);
        controllerKeys.set(c.instanceId, { key: IDE_KEYS[c.bus], type: "VirtualIDEController", bus: c.bus });
        continue;
      }
      const type = c.kind === "sata" ? "VirtualAHCIController" : SCSI_TYPES[c.subtype.toLowerCase()] ?? "VirtualLsiLogicController";
      const key = nextKey--;
      controllerKeys.set(c.instanceId, { key, type, bus: c.bus });
      devices.push({ _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: type, key, busNumber: c.bus, ...(c.kind === "scsi" ? { sharedBus: "noSharing" } : {}) } });
    }
    system.disks.forEach((d, i) => {
      const ctrl = controllerKeys.get(d.parent)!;
      devices.push({
        _type: "VirtualDeviceConfigSpec", operation: "add", fileOperation: "create",
        device: {
          _type: "VirtualDisk", key: -1 - i, controllerKey: ctrl.key, unitNumber: d.address, capacityInKB: Math.ceil(d.capacityBytes / 1024),
          backing: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: `[${ds.get("name")}]`, datastore: ds.ref, diskMode: "persistent", thinProvisioned: thin },
        },
      });
      if (d.file) job.fileItems.push({ _type: "OvfFileItem", deviceId: importKey(name, ctrl.type, ctrl.bus, d.address), path: d.file.href, size: d.file.size, cimType: 17, create: false });
    });
    const mapping = ((cisp.networkMapping ?? []) as { name: string; network: Ref }[]);
    const hostNets = this.networksOf(pool);
    system.nics.forEach((n, i) => {
      const mapped = mapping.find((m) => m.name === n.network)?.network;
      let net = mapped ? this.sim.inventory.get(mapped.value) : hostNets.find((x) => x.get("name") === n.network);
      if (!net) {
        net = hostNets[0];
        warnings.push(localized("OvfNetworkMappingNotSupported", {}, `Network "${n.network}" is not mapped: the NIC joins ${String(net?.get("name") ?? "no network")}`));
      }
      const backing = net ? nicBackingFor(this.sim, net) : undefined;
      devices.push({
        _type: "VirtualDeviceConfigSpec", operation: "add",
        device: { _type: NIC_TYPES[n.subtype.toLowerCase()] ?? "VirtualE1000", key: -300 - i, backing, addressType: "generated", connectable: { _type: "VirtualDeviceConnectInfo", startConnected: n.connected, allowGuestControl: true, connected: false } },
      });
    });
    system.cdroms.forEach((c, i) => {
      const ctrl = controllerKeys.get(c.parent);
      if (!ctrl) return;
      devices.push({
        _type: "VirtualDeviceConfigSpec", operation: "add",
        device: { _type: "VirtualCdrom", key: -400 - i, controllerKey: ctrl.key, unitNumber: c.address, backing: { _type: "VirtualCdromRemotePassthroughBackingInfo", deviceName: "", exclusive: false }, connectable: { _type: "VirtualDeviceConnectInfo", startConnected: false, allowGuestControl: true, connected: false } },
      });
    });
    const configSpec: DataObject = {
      _type: "VirtualMachineConfigSpec", name, guestId, numCPUs: system.cpus, memoryMB: system.memoryMB,
      files: { _type: "VirtualMachineFileInfo", vmPathName: `[${ds.get("name")}]` },
      deviceChange: devices,
      extraConfig: system.extraConfig.map((o) => ({ _type: "OptionValue", key: o.key, value: o.value })),
    };
    if (system.annotation) configSpec.annotation = system.annotation;
    if (hw !== undefined) configSpec.version = hardwareVersionKey(hw);
    const options = this.importVAppOptions(job, system.products);
    if (options.property.length || system.transport.length || system.products.length) {
      configSpec.vAppConfig = { _type: "VmConfigSpec", ...options, ovfEnvironmentTransport: system.transport };
    }
    return { _type: "VirtualMachineImportSpec", configSpec };
  }

  /**
   * A VirtualSystemCollection as the VirtualAppImportSpec that makes a vApp
   * named `name`: its products and properties, default resources, and each
   * member's spec (VMs, nested vApps) with the start settings the
   * collection's StartupSection gives it (entityConfig, tagged with the
   * member's OVF id).
   */
  private vAppImportSpec(job: ImportJob, tree: Extract<OvfTree, { kind: "collection" }>, name: string): DataObject {
    const vAppConfigSpec: DataObject = { _type: "VAppConfigSpec", ...this.importVAppOptions(job, tree.products) };
    if (tree.annotation) vAppConfigSpec.annotation = tree.annotation;
    const child = tree.children.map((c) => {
      const id = c.kind === "system" ? c.system.id : c.id;
      const spec = c.kind === "system" ? this.vmImportSpec(job, c.system, c.system.name) : this.vAppImportSpec(job, c, c.name);
      const start = tree.startup.find((i) => i.id === id);
      spec.entityConfig = {
        _type: "VAppEntityConfigInfo", tag: id,
        ...(start ? { startOrder: start.order, startDelay: start.startDelay, waitingForGuest: start.waitingForGuest, startAction: start.startAction, stopDelay: start.stopDelay, stopAction: start.stopAction } : {}),
      };
      return spec;
    });
    // a new vApp's resources: no reservation (expandable), no limit, normal shares, as CreateVApp gives by default
    const alloc = (shares: number) => ({ _type: "ResourceAllocationInfo", reservation: 0, expandableReservation: true, limit: -1, shares: { _type: "SharesInfo", level: "normal", shares } });
    const resourcePoolSpec = { _type: "ResourceConfigSpec", cpuAllocation: alloc(4000), memoryAllocation: alloc(163840) };
    return { _type: "VirtualAppImportSpec", name, vAppConfigSpec, resourcePoolSpec, child };
  }

  /**
   * An entity's vApp options from its ProductSections: each property with
   * the value cisp.propertyMapping gives it (else its default, for the
   * deployment option chosen). A mapping for a key no entity of the
   * package has is a warning (OvfProperty; vCenter's exact fault there is
   * not confirmed).
   */
  private importVAppOptions(job: ImportJob, products: OvfProductDef[]): { product: DataObject[]; property: DataObject[] } {
    const mapping = new Map(((job.cisp.propertyMapping ?? []) as { key: string; value: string }[]).map((kv) => [String(kv.key), String(kv.value ?? "")]));
    const option = job.cisp.deploymentOption ? String(job.cisp.deploymentOption) : undefined;
    const property: DataObject[] = [];
    const product: DataObject[] = [];
    products.forEach((pr, i) => {
      product.push({ _type: "VAppProductSpec", operation: "add", info: { _type: "VAppProductInfo", key: i, classId: pr.classId, instanceId: pr.instanceId, name: pr.product, vendor: pr.vendor, version: pr.version, fullVersion: pr.fullVersion, vendorUrl: pr.vendorUrl, productUrl: pr.productUrl, appUrl: pr.appUrl } });
      for (const p of pr.properties) {
        const type = vAppType(p);
        if (type === undefined) continue;
        job.properties.add(p.key);
        const defaultValue = (option ? p.values.find((v) => v.configuration === option)?.value : undefined) ?? p.value ?? "";
        property.push({
          _type: "VAppPropertySpec", operation: "add",
          info: { _type: "VAppPropertyInfo", key: property.length, classId: pr.classId, instanceId: pr.instanceId, id: p.key, category: p.category, label: p.label, type, userConfigurable: p.userConfigurable, defaultValue, value: mapping.get(p.key) ?? defaultValue, description: p.description },
        });
      }
    });
    return { product, property };
  }

  /**
   * What the package holds, for the deployment option asked (else the
   * default one). A descriptor that does not parse gives a result with
   * only its error, as hostd answers, not a fault.
   */
  ParseDescriptor(args: Args): DataObject {
    const pdp = (args.pdp ?? {}) as Record<string, any>;
    const empty = { _type: "OvfParseDescriptorResult", annotation: "", defaultEntityName: "", virtualApp: false, defaultDeploymentOption: "" };
    let pkg: OvfPackage;
    try {
      pkg = describeOvf(String(args.ovfDescriptor ?? ""));
    } catch (e) {
      if (!(e instanceof OvfError)) throw e;
      return { ...empty, error: [ovfFault(e)] };
    }
    const { error, warning } = sectionFaults(pkg);
    const options = pkg.deploymentOptions;
    const defaultOption = options.find((o) => o.isDefault)?.id ?? options[0]?.id ?? "";
    let option = defaultOption;
    if (pdp.deploymentOption) {
      if (options.some((o) => o.id === pdp.deploymentOption)) option = String(pdp.deploymentOption);
      // the fault for an option the package does not offer is not confirmed: InvalidArgument
      else error.push(localized("InvalidArgument", { invalidProperty: "pdp.deploymentOption" }, `The OVF package has no deployment option "${String(pdp.deploymentOption)}": ${options.map((o) => o.id).join(", ") || "none"}`));
    }
    const all = entities(pkg.root);
    const property: DataObject[] = [];
    for (const product of all.flatMap((e) => e.products)) {
      for (const p of product.properties) {
        const type = vAppType(p);
        if (type === undefined) {
          error.push(localized("OvfPropertyType", { lineNumber: 0, type: p.type, value: p.key }, `Property ${p.key}: unsupported type "${p.type}"`));
          continue;
        }
        const value = p.values.find((v) => v.configuration === option)?.value ?? p.value ?? "";
        property.push({
          _type: "VAppPropertyInfo",
          // keys as vSphere numbers a vApp's properties, from 0 in descriptor order (not confirmed for ParseDescriptor)
          key: property.length, classId: product.classId, instanceId: product.instanceId, id: p.key, category: p.category,
          label: p.label, type, userConfigurable: p.userConfigurable, defaultValue: value, description: p.description,
        });
      }
    }
    const product = pkg.root.products[0];
    const ip = all.find((e) => e.ipAssignment)?.ipAssignment;
    const size = sizes(pkg);
    const childPaths = (e: OvfEntity, prefix: string): DataObject[] => e.children.flatMap((c) => {
      const path = prefix ? `${prefix}/${c.id}` : c.id;
      return [{ _type: "KeyValue", key: c.name ?? c.id, value: path }, ...childPaths(c, path)];
    });
    return {
      _type: "OvfParseDescriptorResult",
      eula: all.flatMap((e) => e.eulas),
      network: pkg.networks.map((n) => ({ _type: "OvfNetworkInfo", name: n.name, description: n.description })),
      // without an IpAssignmentSection the lists stay empty (what hostd fills in then is not confirmed)
      ipAllocationScheme: ip?.schemes ?? [],
      ipProtocols: ip?.protocols ?? [],
      property,
      productInfo: product && {
        _type: "VAppProductInfo", key: 0, classId: product.classId, instanceId: product.instanceId, name: product.product, vendor: product.vendor,
        version: product.version, fullVersion: product.fullVersion, vendorUrl: product.vendorUrl, productUrl: product.productUrl, appUrl: product.appUrl,
      },
      annotation: pkg.root.annotation ?? "",
      approximateDownloadSize: size.download,
      approximateFlatDeploymentSize: size.flat,
      approximateSparseDeploymentSize: size.sparse,
      // the top-level entity's Name, else its ovf:id (CreateImportSpec names the VM the same way)
      defaultEntityName: pkg.root.name || pkg.root.id,
      virtualApp: pkg.root.collection,
      deploymentOption: options.map((o) => ({ _type: "OvfDeploymentOption", key: o.id, label: o.label, description: o.description })),
      defaultDeploymentOption: defaultOption,
      entityName: childPaths(pkg.root, ""),
      // no OVF consumer extensions are registered, so there is no annotated OST
      error,
      warning,
    };
  }

  /** Whether `host` runs the package's virtual hardware, and what importing it there takes. */
  ValidateHost(args: Args): DataObject {
    const host = this.sim.inventory.get((args.host as Ref | undefined)?.value ?? "");
    if (!host || host.type !== "HostSystem") throw new VimFault("ManagedObjectNotFound", { obj: args.host });
    let pkg: OvfPackage;
    try {
      pkg = describeOvf(String(args.ovfDescriptor ?? ""));
    } catch (e) {
      if (!(e instanceof OvfError)) throw e;
      return { _type: "OvfValidateHostResult", error: [ovfFault(e)] };
    }
    const { error, warning } = sectionFaults(pkg);
    const product = (host.props.config as { product?: { version?: string } } | undefined)?.product;
    const runs = supportedHardwareVersions(product?.version ?? this.sim.scenario.about.version);
    const hostName = String(host.get("name"));
    for (const vs of entities(pkg.root).filter((e) => !e.collection)) {
      // VirtualSystemType may list several families ("vmx-07 vmx-10"): one the host runs is enough
      const families = (vs.hardwareVersion ?? "").split(/\s+/).filter(Boolean);
      const versions = families.map((f) => hardwareVersionOf(f));
      if (!families.length || versions.some((v) => v !== undefined && runs.includes(v))) continue;
      error.push(localized("VirtualHardwareVersionNotSupported", { hostName, host: host.ref },
        `The virtual hardware of ${vs.name ?? vs.id} (${families.join(" ")}) is not supported by host ${hostName}, which runs ${runs.map(hardwareVersionKey).join(", ")}.`));
    }
    const size = sizes(pkg);
    return {
      _type: "OvfValidateHostResult",
      downloadSize: size.download,
      flatDeploymentSize: size.flat,
      sparseDeploymentSize: size.sparse,
      error,
      warning,
      // what a VMFS host provisions; whether hostd also lists the hosted formats (monolithicSparse...) is not confirmed
      supportedDiskProvisioning: ["thin", "thick", "eagerZeroedThick"],
    };
  }

  /** The OVF descriptor for a VM or vApp and the disk files a client downloaded from its export lease (ovf-export.ts). */
  CreateDescriptor(args: Args): DataObject {
    const obj = this.sim.inventory.get((args.obj as Ref | undefined)?.value ?? "");
    if (!obj) throw new VimFault("ManagedObjectNotFound", { obj: args.obj });
    return createDescriptor(this.sim, obj, (args.cdp ?? {}) as Record<string, any>);
  }

  /** The networks the pool's hosts see: where an unmapped NIC can go. */
  private networksOf(pool: ManagedObject): ManagedObject[] {
    const owner = this.sim.inventory.get((pool.props.owner as Ref).value);
    const refs = (owner?.props.network as Ref[] | undefined) ?? [];
    return refs.map((r) => this.sim.inventory.get(r.value)).filter((n): n is ManagedObject => !!n && (n.type === "Network" || n.type === "DistributedVirtualPortgroup") && !(n as ManagedObject & { isUplink?: boolean }).isUplink);
  }
}
