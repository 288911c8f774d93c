// EnvironmentBrowser: what a compute resource offers a VM. The hardware
// versions its hosts run (QueryConfigOptionDescriptor), what each version
// allows (QueryConfigOption, QueryConfigOptionEx: guest operating systems,
// limits, devices, the devices a new VM gets), and the datastores, networks
// and host devices a VM there can use (QueryConfigTarget). Terraform's
// vSphere provider, Ansible's vmware_guest and Juju read these before they
// create or upgrade a VM; govmomi's VirtualMachine.QueryConfigTarget reaches
// it through the VM's environmentBrowser property.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { FieldDef, Schema } from "../../vim25/schema/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { guestFullName, hardwareVersionOf } from "../formats/vmx-config.ts";
import { defaultDevices } from "./vm-devices.ts";
import { vmCapability } from "./virtual-machine.ts";
import { hardwareVersionKey, newestHardwareVersion, supportedHardwareVersions } from "./hardware-versions.ts";

type Ref = ManagedObjectReference;

// what vSphere calls each version in its compatibility lists
const DESCRIPTIONS: Record<number, string> = {
  4: "ESX 3.x virtual machine", 7: "ESX/ESXi 4.x virtual machine", 8: "ESXi 5.0 virtual machine", 9: "ESXi 5.1 virtual machine",
  10: "ESXi 5.5 virtual machine", 11: "ESXi 6.0 virtual machine", 13: "ESXi 6.5 virtual machine", 14: "ESXi 6.7 virtual machine",
  15: "ESXi 6.7 U2 virtual machine", 17: "ESXi 7.0 virtual machine", 18: "ESXi 7.0 U1 virtual machine", 19: "ESXi 7.0 U2 virtual machine",
  20: "ESXi 8.0 virtual machine", 21: "ESXi 8.0 U2 virtual machine",
};

// per version: most vCPUs and memory (MB) a VM may have (VMware KB 1003746's configuration maximums)
function limits(hw: number): { cpus: number; memoryMB: number } {
  if (hw >= 17) return { cpus: 256, memoryMB: 6128 * 1024 };
  if (hw >= 11) return { cpus: 128, memoryMB: 4080 * 1024 };
  if (hw >= 8) return { cpus: 64, memoryMB: 1011 * 1024 };
  if (hw === 7) return { cpus: 8, memoryMB: 255 * 1024 };
  return { cpus: 4, memoryMB: 64 * 1024 };
}

export class EnvironmentBrowser extends ManagedObject {
  constructor(sim: SimContext, value: string, private readonly computeResource: Ref, browser: Ref | undefined) {
    super(sim, "EnvironmentBrowser", value);
    this.props.datastoreBrowser = browser;
  }

  private hosts(): Ref[] {
    return (this.sim.inventory.get(this.computeResource.value)?.props.host as Ref[] | undefined) ?? [];
  }

  private release(): string {
    return this.sim.scenario.about.version;
  }

  private checkHost(host: Ref | undefined): Ref | undefined {
    if (host && !this.hosts().some((h) => h.value === host.value)) {
      throw new VimFault("InvalidArgument", { invalidProperty: "host" }, "A specified parameter was not correct: host (not a host of this compute resource)");
    }
    return host;
  }

  QueryConfigOptionDescriptor(): DataObject[] {
    const newest = newestHardwareVersion(this.release());
    return supportedHardwareVersions(this.release()).map((v) => ({
      _type: "VirtualMachineConfigOptionDescriptor",
      key: hardwareVersionKey(v),
      description: DESCRIPTIONS[v],
      host: this.hosts(),
      createSupported: true,
      defaultConfigOption: v === newest,
      runSupported: true,
      upgradeSupported: true,
    }));
  }

  QueryConfigOption(args: Args): DataObject | undefined {
    this.checkHost(args.host);
    return this.configOption(args.key, undefined);
  }

  QueryConfigOptionEx(args: Args): DataObject | undefined {
    const spec = (args.spec ?? {}) as Record<string, any>;
    this.checkHost(spec.host);
    return this.configOption(spec.key, spec.guestId?.length ? (spec.guestId as string[]) : undefined);
  }

  /** The options of hardware version `key` (the newest when unset); none for a key the hosts do not run. */
  private configOption(key: string | undefined, guestIds: string[] | undefined): DataObject | undefined {
    const versions = supportedHardwareVersions(this.release());
    const hw = key === undefined || key === "" ? newestHardwareVersion(this.release()) : hardwareVersionOf(key);
    if (hw === undefined || !versions.includes(hw)) return undefined;
    const schema = this.sim.schema;
    const ids = schema.enumValues("VirtualMachineGuestOsIdentifier") ?? [];
    const wanted = guestIds ? ids.filter((id) => guestIds.includes(id)) : ids;
    const lim = limits(hw);
    return {
      _type: "VirtualMachineConfigOption",
      version: hardwareVersionKey(hw),
      description: DESCRIPTIONS[hw],
      guestOSDescriptor: wanted.map((id) => guestOsDescriptor(schema, id, hw)),
      guestOSDefaultIndex: Math.max(0, wanted.indexOf("otherGuest")),
      hardwareOptions: fill(schema, "VirtualHardwareOption", {
        hwVersion: hw,
        virtualDeviceOption: deviceOptions(schema, hw),
        deviceListReadonly: false,
        numCPU: Array.from({ length: lim.cpus }, (_, i) => i + 1),
        numCoresPerSocket: intOption(1, lim.cpus, 1),
        numCpuReadonly: false,
        memoryMB: longOption(4, lim.memoryMB, 32),
        numPCIControllers: intOption(1, 1, 1),
        numIDEControllers: intOption(2, 2, 2),
        numUSBControllers: intOption(0, 1, 0),
        numUSBXHCIControllers: intOption(0, hw >= 8 ? 1 : 0, 0),
        numSIOControllers: intOption(1, 1, 1),
        numPS2Controllers: intOption(1, 1, 1),
        numSupportedWwnPorts: intOption(1, 16, 4),
        numSupportedWwnNodes: intOption(1, 1, 1),
        resourceConfigOption: fill(schema, "ResourceConfigOption", {
          cpuAllocationOption: allocationOption(schema, lim.cpus * 1000),
          memoryAllocationOption: allocationOption(schema, 10),
        }),
      }),
      capabilities: vmCapability(),
      datastore: { _type: "DatastoreOption", unsupportedVolumes: [] },
      defaultDevice: defaultDevices(),
      supportedMonitorType: ["release", "debug", "stats"],
      supportedOvfEnvironmentTransport: ["com.vmware.guestInfo", "iso"],
      supportedOvfInstallTransport: ["com.vmware.guestInfo"],
    };
  }

  /** What a VM on these hosts can use: their datastores, networks and CPUs. */
  QueryConfigTarget(args: Args): DataObject {
    const host = this.checkHost(args.host);
    const hosts = (host ? [host] : this.hosts()).map((r) => this.sim.inventory.get(r.value)).filter((h): h is ManagedObject => !!h);
    const seen = new Set<string>();
    const unique = (refs: Ref[]) => refs.filter((r) => !seen.has(r.value) && !!seen.add(r.value));
    const datastores = unique(hosts.flatMap((h) => (h.props.datastore as Ref[]) ?? [])).map((r) => this.sim.inventory.get(r.value)!).filter(Boolean);
    const networks = unique(hosts.flatMap((h) => (h.props.network as Ref[]) ?? [])).map((r) => this.sim.inventory.get(r.value)!).filter(Boolean);
    let cpus = 0, cores = 0, memory = 0;
    for (const h of hosts) {
      const hw = (h.props.summary as { hardware: { numCpuThreads: number; numCpuCores: number; memorySize: number } }).hardware;
      cpus = Math.max(cpus, hw.numCpuThreads);
      cores = Math.max(cores, hw.numCpuCores);
      memory = Math.max(memory, Math.floor(hw.memorySize / 1048576));
    }
    return {
      _type: "ConfigTarget",
      numCpus: cpus,
      numCpuCores: cores,
      numNumaNodes: 1,
      smcPresent: false,
      maxMemMBOptimalPerf: memory,
      datastore: datastores.map((d) => ({
        _type: "VirtualMachineDatastoreInfo",
        name: String(d.get("name")),
        datastore: d.props.summary,
        capability: d.props.capability,
        maxFileSize: 62 * 1024 ** 4,
        maxVirtualDiskCapacity: 62 * 1024 ** 4,
        mode: "readWrite",
      })),
      network: networks.filter((n) => n.type === "Network").map((n) => ({ _type: "VirtualMachineNetworkInfo", name: String(n.get("name")), network: n.props.summary })),
      distributedVirtualPortgroup: networks.filter((n) => n.type === "DistributedVirtualPortgroup").map((n) => {
        const cfg = n.props.config as { distributedVirtualSwitch: Ref; key: string; type: string } | undefined;
        const dvs = cfg ? this.sim.inventory.get(cfg.distributedVirtualSwitch.value) : undefined;
        return {
          _type: "DistributedVirtualPortgroupInfo",
          switchName: String(dvs?.get("name") ?? ""),
          switchUuid: String(dvs?.get("uuid") ?? ""),
          portgroupName: String(n.get("name")),
          portgroupKey: cfg?.key ?? n.ref.value,
          portgroupType: cfg?.type ?? "earlyBinding",
          uplinkPortgroup: (n as ManagedObject & { isUplink?: boolean }).isUplink === true,
          portgroup: n.ref,
        };
      }),
      cdRom: [],
      serial: [],
      parallel: [],
      sound: [],
      usb: [],
      floppy: [],
      scsiPassthrough: [],
      scsiDisk: [],
      ideDisk: [],
      legacyNetworkInfo: [],
      pciPassthrough: [],
      sriov: [],
      vFlashModule: [],
      sharedGpuPassthroughTypes: [],
    };
  }

  QueryTargetCapabilities(args: Args): DataObject | undefined {
    const host = this.checkHost(args.host) ?? this.hosts()[0];
    return host ? (this.sim.inventory.get(host.value)?.props.capability as DataObject | undefined) : undefined;
  }
}

// ---- the data a config option is made of ----

function intOption(min: number, max: number, defaultValue: number): DataObject {
  return { _type: "IntOption", valueIsReadonly: false, min, max, defaultValue };
}

function longOption(min: number, max: number, defaultValue: number): DataObject {
  return { _type: "LongOption", valueIsReadonly: false, min, max, defaultValue };
}

function boolOption(supported: boolean, defaultValue: boolean): DataObject {
  return { _type: "BoolOption", valueIsReadonly: false, supported, defaultValue };
}

function allocationOption(schema: Schema, sharesPerUnit: number): DataObject {
  return fill(schema, "ResourceAllocationOption", {
    sharesOption: { _type: "SharesOption", sharesOption: intOption(0, 1000000, sharesPerUnit), defaultLevel: "normal" },
  });
}

/**
 * A data object of `type` with `given` values and every other required field
 * at its type's zero (false, 0, an empty list, an option that allows
 * nothing): a well-formed object where vSphere's own values would not tell
 * a client anything it acts on.
 */
function fill(schema: Schema, type: string, given: Record<string, unknown> = {}): DataObject {
  const out: DataObject = { _type: type };
  for (const f of schema.fields(type)) {
    if (given[f.name] !== undefined) out[f.name] = given[f.name];
    else if (!f.optional) out[f.name] = zero(schema, f);
  }
  return out;
}

function zero(schema: Schema, f: FieldDef): unknown {
  if (f.array) return [];
  switch (f.type) {
    case "boolean": return false;
    case "string": return "";
    case "int": case "long": case "short": case "byte": case "float": case "double": return 0;
    case "IntOption": return intOption(0, 0, 0);
    case "LongOption": return longOption(0, 0, 0);
    case "BoolOption": return boolOption(false, false);
  }
  if (schema.isEnum(f.type)) return schema.enumValues(f.type)![0];
  if (schema.isDataType(f.type)) return fill(schema, f.type);
  return undefined;
}

function familyOf(id: string): string {
  if (/^win/.test(id)) return "windowsGuest";
  if (/^darwin/.test(id)) return "darwinGuestFamily";
  if (/^solaris/.test(id)) return "solarisGuest";
  if (/^netware/.test(id)) return "netwareGuest";
  if (/^(other(Guest|Guest64)$|dos|os2|eComStation|freebsd|openServer|unixWare|vmkernel)/.test(id)) return "otherGuestFamily";
  return "linuxGuest";
}

function guestOsDescriptor(schema: Schema, id: string, hw: number): DataObject {
  const family = familyOf(id);
  const is64 = /64/.test(id) || id === "vmwarePhoton64Guest";
  const windows = family === "windowsGuest";
  const modern = /^(windows[789]|windowsHyperV|rhel[678]|centos[678]|oracleLinux[678]|sles1[1-5]|ubuntu|debian([89]|10)|coreos|vmwarePhoton|other[34]xLinux|amazonlinux|fedora|opensuse)/.test(id);
  const lim = limits(hw);
  const maxMem = is64 ? lim.memoryMB : Math.min(lim.memoryMB, 8192);
  const scsi = ["VirtualBusLogicController", "VirtualLsiLogicController", "VirtualLsiLogicSASController", "ParaVirtualSCSIController"];
  const nics = ["VirtualE1000", "VirtualE1000e", "VirtualPCNet32", "VirtualVmxnet2", "VirtualVmxnet3"];
  const recommendedScsi = windows ? "VirtualLsiLogicSASController" : modern ? "ParaVirtualSCSIController" : "VirtualLsiLogicController";
  return fill(schema, "GuestOsDescriptor", {
    id,
    family,
    fullName: guestFullName(id),
    supportedMaxCPUs: lim.cpus,
    numSupportedPhysicalSockets: lim.cpus,
    numSupportedCoresPerSocket: lim.cpus,
    supportedMinMemMB: 4,
    supportedMaxMemMB: maxMem,
    recommendedMemMB: windows ? 4096 : modern ? 2048 : 1024,
    recommendedColorDepth: 24,
    supportedDiskControllerList: [...scsi, "VirtualIDEController", ...(hw >= 10 ? ["VirtualAHCIController"] : [])],
    recommendedSCSIController: recommendedScsi,
    recommendedDiskController: recommendedScsi,
    supportedNumDisks: 60,
    recommendedDiskSizeMB: windows ? 40960 : 16384,
    recommendedCdromController: "VirtualIDEController",
    supportedEthernetCard: nics,
    recommendedEthernetCard: windows ? "VirtualE1000e" : modern ? "VirtualVmxnet3" : "VirtualE1000",
    supportsSlaveDisk: true,
    smcRequired: family === "darwinGuestFamily",
    supportsWakeOnLan: true,
    supportsVMI: false,
    supportsMemoryHotAdd: modern,
    supportsCpuHotAdd: modern,
    supportsCpuHotRemove: false,
    supportedFirmware: ["bios", "efi"],
    recommendedFirmware: family === "darwinGuestFamily" ? "efi" : "bios",
    supportedUSBControllerList: ["VirtualUSBController", ...(hw >= 8 ? ["VirtualUSBXHCIController"] : [])],
    recommendedUSBController: "VirtualUSBController",
    supports3D: windows || modern,
    recommended3D: false,
    smcRecommended: family === "darwinGuestFamily",
    ich7mRecommended: family === "darwinGuestFamily",
    usbRecommended: family === "darwinGuestFamily",
    supportLevel: "supported",
    supportedForCreate: true,
    vRAMSizeInKB: intOption(1024, 524288, 4096),
    numSupportedFloppyDevices: 2,
    wakeOnLanEthernetCard: ["VirtualE1000", "VirtualE1000e", "VirtualVmxnet3"],
    supportsPvscsiControllerForBoot: modern || windows,
    diskUuidEnabled: false,
    supportsHotPlugPCI: modern,
  });
}

/** One option per device type a VM of this version may have, with the limits clients check. */
function deviceOptions(schema: Schema, hw: number): DataObject[] {
  const dev = (type: string, optionType: string, extra: Record<string, unknown> = {}) =>
    fill(schema, optionType, { type, deprecated: false, plugAndPlay: false, hotRemoveSupported: false, autoAssignController: boolOption(true, true), ...extra });
  const scsi = (type: string, optionType: string) => dev(type, optionType, {
    devices: intOption(0, 15, 0), numSCSIDisks: intOption(0, 15, 0), numSCSICdroms: intOption(0, 15, 0), numSCSIPassthrough: intOption(0, 15, 0),
    sharing: ["noSharing", "virtualSharing", "physicalSharing"], defaultSharedIndex: 0, hotAddRemove: boolOption(true, true), scsiCtlrUnitNumber: 7,
  });
  const nic = (type: string, optionType: string) => dev(type, optionType, {
    plugAndPlay: true, hotRemoveSupported: true,
    supportedOUI: { _type: "ChoiceOption", valueIsReadonly: false, choiceInfo: [{ _type: "ElementDescription", label: "00:50:56", summary: "00:50:56", key: "00:50:56" }], defaultIndex: 0 },
    macType: { _type: "ChoiceOption", valueIsReadonly: false, choiceInfo: ["manual", "generated", "assigned"].map((k) => ({ _type: "ElementDescription", label: k, summary: k, key: k })), defaultIndex: 1 },
    wakeOnLanEnabled: boolOption(true, true),
    vmDirectPathGen2Supported: type === "VirtualVmxnet3",
  });
  return [
    dev("VirtualIDEController", "VirtualIDEControllerOption", { devices: intOption(0, 2, 0), numIDEDisks: intOption(0, 2, 0), numIDECdroms: intOption(0, 2, 0) }),
    dev("VirtualPCIController", "VirtualPCIControllerOption", { devices: intOption(0, 30, 0), numSCSIControllers: intOption(0, 4, 0), numEthernetCards: intOption(0, 10, 0), numVideoCards: intOption(1, 1, 1), numParaVirtualSCSIControllers: intOption(0, 4, 0), numVmxnet3EthernetCards: intOption(0, 10, 0), numSasSCSIControllers: intOption(0, 4, 0), numSATAControllers: intOption(0, hw >= 10 ? 4 : 0, 0) }),
    dev("VirtualPS2Controller", "VirtualPS2ControllerOption", { devices: intOption(0, 2, 0), numKeyboards: intOption(1, 1, 1), numPointingDevices: intOption(1, 1, 1) }),
    dev("VirtualSIOController", "VirtualSIOControllerOption", { devices: intOption(0, 7, 0), numFloppyDrives: intOption(0, 2, 0), numSerialPorts: intOption(0, 4, 0), numParallelPorts: intOption(0, 3, 0) }),
    scsi("ParaVirtualSCSIController", "ParaVirtualSCSIControllerOption"),
    scsi("VirtualLsiLogicController", "VirtualLsiLogicControllerOption"),
    scsi("VirtualLsiLogicSASController", "VirtualLsiLogicSASControllerOption"),
    scsi("VirtualBusLogicController", "VirtualBusLogicControllerOption"),
    ...(hw >= 10 ? [dev("VirtualAHCIController", "VirtualAHCIControllerOption", { devices: intOption(0, 30, 0), numSATADisks: intOption(0, 30, 0), numSATACdroms: intOption(0, 30, 0) })] : []),
    dev("VirtualUSBController", "VirtualUSBControllerOption", { devices: intOption(0, 20, 0), autoConnectDevices: boolOption(true, true), ehciSupported: boolOption(true, true), supportedSpeeds: ["low", "full", "high"] }),
    ...(hw >= 8 ? [dev("VirtualUSBXHCIController", "VirtualUSBXHCIControllerOption", { devices: intOption(0, 20, 0), autoConnectDevices: boolOption(true, true), supportedSpeeds: ["low", "full", "high", "superSpeed"] })] : []),
    dev("VirtualDisk", "VirtualDiskOption", { plugAndPlay: true, hotRemoveSupported: true, capacityInKB: longOption(1, 62 * 1024 ** 3, 1024 * 1024), ioAllocationOption: fill(schema, "StorageIOAllocationOption", { limitOption: longOption(-1, Number.MAX_SAFE_INTEGER, -1), sharesOption: fill(schema, "SharesOption", { sharesOption: intOption(100, 4000, 1000), defaultLevel: "normal" }) }) }),
    dev("VirtualCdrom", "VirtualCdromOption", { plugAndPlay: true, hotRemoveSupported: true }),
    dev("VirtualFloppy", "VirtualFloppyOption"),
    nic("VirtualE1000", "VirtualE1000Option"),
    nic("VirtualE1000e", "VirtualE1000eOption"),
    nic("VirtualPCNet32", "VirtualPCNet32Option"),
    nic("VirtualVmxnet2", "VirtualVmxnet2Option"),
    nic("VirtualVmxnet3", "VirtualVmxnet3Option"),
    dev("VirtualSerialPort", "VirtualSerialPortOption", { yieldOnPoll: boolOption(true, true) }),
    dev("VirtualParallelPort", "VirtualParallelPortOption"),
    dev("VirtualMachineVideoCard", "VirtualVideoCardOption", { videoRamSizeInKB: longOption(1024, 524288, 4096), numDisplays: intOption(1, 10, 1), useAutoDetect: boolOption(true, false), support3D: boolOption(true, false) }),
    dev("VirtualMachineVMCIDevice", "VirtualMachineVMCIDeviceOption", { allowUnrestrictedCommunication: boolOption(true, false) }),
    dev("VirtualKeyboard", "VirtualKeyboardOption"),
    dev("VirtualPointingDevice", "VirtualPointingDeviceOption"),
  ];
}
