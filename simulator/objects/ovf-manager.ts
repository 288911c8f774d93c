// OvfManager.CreateImportSpec: an OVF descriptor and a target (pool,
// datastore, network mapping) into the VirtualMachineImportSpec that
// ResourcePool.ImportVApp takes, and the file items a client uploads through
// the lease (govc import.ova, pyVmomi's deploy_ova, ovftool). A descriptor
// that does not parse, or names what cannot be imported, comes back in the
// result's `error` list as vSphere reports it, not as a fault.
// CreateDescriptor is the other way: the OVF for a VM or vApp (ovf-export.ts).
import { VimFault, localizedFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import { OvfError, parseOvf, type OvfSystem } from "../formats/ovf.ts";
import { hardwareVersionKey, supportedHardwareVersions } from "./hardware-versions.ts";
import { hardwareVersionOf } from "../formats/vmx-config.ts";
import { createDescriptor } from "./ovf-export.ts";

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

export class OvfManager extends ManagedObject {
  CreateImportSpec(args: Args): DataObject {
    const pool = this.sim.inventory.get((args.resourcePool as Ref).value);
    if (!pool || !pool.isA("ResourcePool")) throw new VimFault("ManagedObjectNotFound", { obj: args.resourcePool });
    const ds = this.sim.inventory.get((args.datastore as Ref).value);
    if (!ds || ds.type !== "Datastore") throw new VimFault("ManagedObjectNotFound", { obj: args.datastore });
    const cisp = (args.cisp ?? {}) as Record<string, any>;
    let system: OvfSystem;
    try {
      system = parseOvf(String(args.ovfDescriptor ?? ""));
    } catch (e) {
      if (!(e instanceof OvfError)) throw e;
      return { _type: "OvfCreateImportSpecResult", error: [localized("OvfXmlFormat", { description: e.message, lineNumber: 0 }, `Invalid OVF descriptor: ${e.message}`)] };
    }
    const warnings: DataObject[] = [];
    // VirtualSystemType may list several families ("vmx-07 vmx-10"): the newest this host runs
    const families = (system.hardwareVersion ?? "").split(/\s+/).filter((v) => hardwareVersionOf(v) !== undefined);
    const runs = supportedHardwareVersions(this.sim.scenario.about.version);
    const hw = families.map((v) => hardwareVersionOf(v)!).filter((v) => runs.includes(v)).sort((a, b) => b - a)[0];
    if (families.length && hw === undefined) {
      const message = `Unsupported hardware family '${families.join(" ")}': this host runs ${runs.map(hardwareVersionKey).join(", ")}.`;
      return { _type: "OvfCreateImportSpecResult", error: [localized("OvfUnsupportedAttributeValue", { elementName: "VirtualSystemType", attributeName: "", value: families.join(" "), lineNumber: 0 }, message)] };
    }
    const name = cisp.entityName ? String(cisp.entityName) : system.name;
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
    const fileItems: DataObject[] = [];
    system.disks.forEach((d, i) => {
      const ctrl = controllerKeys.get(d.parent)!;
      devices.push({
        _type: "VirtualDeviceConfigSpec", operation: "add", fileOperation: "create",
        device: {
          _type: "VirtualDisk", key: -1 - i, controllerKey: ctrl.key, unitNumber: d.address, capacityInKB: Math.ceil(d.capacityBytes / 1024),
          backing: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: `[${ds.get("name")}]`, datastore: ds.ref, diskMode: "persistent", thinProvisioned: thin },
        },
      });
      if (d.file) fileItems.push({ _type: "OvfFileItem", deviceId: importKey(name, ctrl.type, ctrl.bus, d.address), path: d.file.href, size: d.file.size, cimType: 17, create: false });
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
      const backing = !net ? undefined : net.type === "DistributedVirtualPortgroup"
        ? { _type: "VirtualEthernetCardDistributedVirtualPortBackingInfo", port: { _type: "DistributedVirtualSwitchPortConnection", switchUuid: this.sim.inventory.get((net.props.config as { distributedVirtualSwitch: Ref }).distributedVirtualSwitch.value)?.get("uuid"), portgroupKey: net.ref.value } }
        : { _type: "VirtualEthernetCardNetworkBackingInfo", deviceName: net.get("name"), network: net.ref };
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
    return {
      _type: "OvfCreateImportSpecResult",
      importSpec: { _type: "VirtualMachineImportSpec", configSpec },
      fileItem: fileItems,
      warning: warnings,
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
