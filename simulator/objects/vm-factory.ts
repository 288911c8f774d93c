// Building a VirtualMachine: from a VirtualMachineConfigSpec (CreateVM_Task)
// or from a .vmx already on a datastore (RegisterVM_Task, scenario fixtures).
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import { VirtualMachine, managedByFromSpec, mergeExtraConfig, type ConfigInfo, type VmStorage } from "./virtual-machine.ts";
import { applyDeviceChanges, defaultDevices, kindOf, type Device } from "./vm-devices.ts";
import { guestFullName, hardwareVersionOf } from "../formats/vmx-config.ts";
import { hardwareVersionKey, newestHardwareVersion, supportedHardwareVersions, versionNotRun } from "./hardware-versions.ts";
import { datastoreRefusal, hostTakesVms, mounts } from "./vm-placement.ts";
import { applyVmConfigSpec } from "./vapp-config.ts";
import { bindDvPorts } from "./dv-ports.ts";

export interface Placement {
  folder: ManagedEntity & { attachChild(c: ManagedEntity): void };
  pool: ManagedObjectReference;
  host: ManagedObjectReference;
}

/** The host a new VM runs on: the one asked for, or the first of the pool's compute resource that sees the datastore. */
export function placeVm(sim: SimContext, pool: ManagedObjectReference, host: ManagedObjectReference | undefined, datastore?: ManagedObjectReference): ManagedObjectReference {
  const rp = sim.inventory.get(pool.value);
  if (!rp || !rp.isA("ResourcePool")) throw new VimFault("ManagedObjectNotFound", { obj: pool });
  const owner = sim.inventory.get((rp.props.owner as ManagedObjectReference).value);
  const hosts = ((owner?.props.host as ManagedObjectReference[]) ?? []);
  if (host) {
    if (!hosts.some((h) => h.value === host.value)) throw new VimFault("InvalidArgument", { invalidProperty: "host" }, "The host is not part of the resource pool's compute resource.");
    return host;
  }
  // a host that takes VMs and mounts the datastore first; a VM may still be registered on one that does not (it cannot power on there)
  const withDs = (h: ManagedObjectReference) => !datastore || mounts(sim.inventory.get(h.value), datastore);
  const takes = (h: ManagedObjectReference) => hostTakesVms(sim.inventory.get(h.value));
  const chosen = hosts.find((h) => takes(h) && withDs(h)) ?? hosts.find(takes) ?? hosts.find(withDs) ?? hosts[0];
  if (!chosen) throw new VimFault("NoHost", {}, "No host is available in the resource pool's compute resource.");
  return chosen;
}

export function checkName(sim: SimContext, folder: ManagedEntity, name: string): void {
  if (!name || name.length > 80) throw new VimFault("InvalidName", { name, entity: folder.ref });
  for (const c of sim.inventory.named(name)) {
    if (c.type === "VirtualMachine" && folder.children().some((r) => r.value === c.ref.value)) throw new VimFault("DuplicateName", { name, object: c.ref });
  }
}

/**
 * The hardware version a new VM gets: the one asked for, which the hosts
 * must run, or the newest they run (what hostd and vpxd use when the spec
 * names none). A version no host runs is vpxd's NoCompatibleHost (Packer and
 * Terraform report it as "No host is compatible with the virtual machine");
 * hostd, with no placement to fail, refuses the argument.
 */
function hardwareVersionFor(sim: SimContext, asked: unknown): string {
  const release = sim.scenario.about.version;
  if (asked === undefined) return hardwareVersionKey(newestHardwareVersion(release));
  const n = typeof asked === "string" ? hardwareVersionOf(asked) : undefined;
  if (n === undefined) throw new VimFault("InvalidArgument", { invalidProperty: "version" });
  if (!supportedHardwareVersions(release).includes(n)) {
    if (sim.isVCenter) throw new VimFault("NoCompatibleHost", {}, "No host is compatible with the virtual machine.");
    throw versionNotRun(String(asked));
  }
  return String(asked);
}

/** The config a CreateVM_Task spec describes, before any file exists. */
export function configFromSpec(sim: SimContext, spec: Record<string, any>, value: string, vmPathName: string, dir: string): { config: ConfigInfo; devices: ReturnType<typeof applyDeviceChanges> } {
  if (spec.guestId !== undefined && !sim.schema.enumValues("VirtualMachineGuestOsIdentifier")?.includes(spec.guestId)) throw new VimFault("InvalidArgument", { invalidProperty: "guestId" });
  const guestId = spec.guestId ?? "otherGuest";
  const version = hardwareVersionFor(sim, spec.version);
  const memoryMB = spec.memoryMB ?? 32;
  if (memoryMB < 4 || memoryMB % 4 !== 0) throw new VimFault("InvalidArgument", { invalidProperty: "memoryMB" }, "Memory size must be a multiple of 4 MB.");
  const numCPU = spec.numCPUs ?? 1;
  if (numCPU < 1 || numCPU > 128) throw new VimFault("InvalidArgument", { invalidProperty: "numCPUs" });
  const devices = applyDeviceChanges(sim.schema, defaultDevices(), spec.deviceChange ?? [], { poweredOn: false });
  const now = sim.clock.now();
  const config: ConfigInfo = {
    _type: "VirtualMachineConfigInfo",
    changeVersion: now.toISOString(),
    modified: now,
    name: spec.name,
    guestFullName: guestFullName(guestId),
    version,
    uuid: spec.uuid ?? sim.ids.uuid("vm.bios", value),
    createDate: now,
    instanceUuid: spec.instanceUuid ?? sim.ids.uuid("vm.instance", value),
    npivTemporaryDisabled: true,
    locationId: spec.locationId ?? sim.ids.uuid("vm.location", value),
    template: false,
    guestId,
    alternateGuestName: spec.alternateGuestName ?? "",
    annotation: spec.annotation,
    managedBy: spec.managedBy === undefined ? undefined : managedByFromSpec(spec.managedBy),
    vAppConfig: spec.vAppConfig ? applyVmConfigSpec(undefined, spec.vAppConfig, "spec.vAppConfig") : undefined,
    files: { _type: "VirtualMachineFileInfo", vmPathName, snapshotDirectory: dir, suspendDirectory: dir, logDirectory: dir },
    tools: { _type: "ToolsConfigInfo", toolsVersion: 0, afterPowerOn: true, afterResume: true, beforeGuestStandby: true, beforeGuestShutdown: true, toolsUpgradePolicy: "manual", syncTimeWithHost: false, ...(spec.tools ?? {}) },
    flags: { _type: "VirtualMachineFlagInfo", disableAcceleration: false, enableLogging: true, useToe: false, runWithDebugInfo: false, monitorType: "release", htSharing: "any", snapshotDisabled: false, snapshotLocked: false, diskUuidEnabled: false, virtualMmuUsage: "automatic", virtualExecUsage: "hvAuto", snapshotPowerOffBehavior: "powerOff", recordReplayEnabled: false, faultToleranceType: "unset", cbrcCacheEnabled: false, ...(spec.flags ?? {}) },
    defaultPowerOps: { _type: "VirtualMachineDefaultPowerOpInfo", powerOffType: "soft", suspendType: "hard", resetType: "soft", defaultPowerOffType: "soft", defaultSuspendType: "hard", defaultResetType: "soft", standbyAction: "checkpoint" },
    hardware: { _type: "VirtualHardware", numCPU, numCoresPerSocket: spec.numCoresPerSocket ?? 1, memoryMB, virtualICH7MPresent: false, virtualSMCPresent: false, device: devices.devices },
    cpuAllocation: { _type: "ResourceAllocationInfo", reservation: 0, expandableReservation: false, limit: -1, shares: { _type: "SharesInfo", shares: 1000 * numCPU, level: "normal" }, ...(spec.cpuAllocation ?? {}) },
    memoryAllocation: { _type: "ResourceAllocationInfo", reservation: 0, expandableReservation: false, limit: -1, shares: { _type: "SharesInfo", shares: 10 * memoryMB, level: "normal" }, ...(spec.memoryAllocation ?? {}) },
    memoryHotAddEnabled: spec.memoryHotAddEnabled ?? false,
    cpuHotAddEnabled: spec.cpuHotAddEnabled ?? false,
    cpuHotRemoveEnabled: spec.cpuHotRemoveEnabled ?? false,
    extraConfig: mergeExtraConfig([], spec.extraConfig ?? []),
    bootOptions: { _type: "VirtualMachineBootOptions", bootDelay: 0, enterBIOSSetup: false, efiSecureBootEnabled: false, bootRetryEnabled: false, bootRetryDelay: 10000, networkBootProtocol: "ipv4", ...(spec.bootOptions ?? {}) },
    swapPlacement: spec.swapPlacement ?? "inherit",
    changeTrackingEnabled: spec.changeTrackingEnabled ?? false,
    firmware: spec.firmware ?? "bios",
    maxMksConnections: 40,
    guestAutoLockEnabled: false,
    memoryReservationLockedToMax: false,
    initialOverhead: { _type: "VirtualMachineConfigInfoOverheadInfo", initialMemoryReservation: 0, initialSwapReservation: 0 },
    nestedHVEnabled: spec.nestedHVEnabled ?? false,
    vPMCEnabled: spec.vPMCEnabled ?? false,
    scheduledHardwareUpgradeInfo: { _type: "ScheduledHardwareUpgradeInfo", upgradePolicy: "never", scheduledHardwareUpgradeStatus: "none" },
    vFlashCacheReservation: 0,
    messageBusTunnelEnabled: false,
  };
  return { config, devices };
}

/** "[ds]", "[ds] dir" or "[ds] dir/name.vmx" → the .vmx path and the VM's folder. */
export function vmxPathFor(vmPathName: string, name: string, exists: (dsPath: string) => boolean): { vmPathName: string; dir: string } {
  const m = /^\[([^\]]+)\]\s*(.*)$/.exec(vmPathName);
  if (!m) throw new VimFault("InvalidDatastorePath", { datastorePath: vmPathName }, `Invalid datastore path '${vmPathName}'.`);
  const ds = m[1];
  const rest = m[2].replace(/\/+$/, "");
  if (rest.toLowerCase().endsWith(".vmx")) {
    const dir = rest.includes("/") ? rest.slice(0, rest.lastIndexOf("/")) : "";
    if (exists(`[${ds}] ${rest}`)) throw new VimFault("FileAlreadyExists", { file: `[${ds}] ${rest}` }, `Cannot complete the operation because the file or folder [${ds}] ${rest} already exists`);
    return { vmPathName: `[${ds}] ${rest}`, dir: `[${ds}] ${dir}` };
  }
  // a folder of the VM's name; a clash gets " (1)" as hostd does
  const base = rest ? `${rest}/${name}` : name;
  let folder = base;
  for (let i = 1; exists(`[${ds}] ${folder}`); i++) folder = `${base} (${i})`;
  return { vmPathName: `[${ds}] ${folder}/${name}.vmx`, dir: `[${ds}] ${folder}` };
}

export function newVirtualMachine(sim: SimContext, storage: VmStorage, value: string, config: ConfigInfo, place: Placement): VirtualMachine {
  const vm = new VirtualMachine(sim, value, config, place.folder.ref, place.pool, place.host, storage);
  for (const d of config.hardware.device) if (kindOf(sim.schema, d._type) === "nic" && !d.macAddress) vm.assignMac(d, config.hardware.device);
  return vm;
}

/** Put a built VM into the inventory and tell everyone who holds it. */
export function enterInventory(sim: SimContext, vm: VirtualMachine, place: Placement): void {
  sim.inventory.add(vm);
  place.folder.attachChild(vm);
  vm.refresh();
  vm.attach();
}


/** RegisterVM_Task's work: a VM from the .vmx at `path`, devices and guestinfo included. */
/** A .vmx path a VM may take (RegisterVM_Task, reloadVirtualMachineFromPath_Task): a datastore path no other registered VM has. */
export function checkVmxPath(sim: SimContext, path: string, except?: VirtualMachine): void {
  if (!/^\[[^\]]+\]\s*\S/.test(path)) throw new VimFault("InvalidDatastorePath", { datastorePath: path }, `Invalid datastore path '${path}'.`);
  for (const o of sim.inventory.ofType("VirtualMachine")) {
    if (o !== except && (o.props.config as { files?: { vmPathName?: string } }).files?.vmPathName === path) throw new VimFault("AlreadyExists", { name: path }, `The specified key, name, or identifier '${path}' already exists.`);
  }
}

export function registerVm(sim: SimContext, folder: Placement["folder"], path: string, pool: ManagedObjectReference, hostRef: ManagedObjectReference | undefined, opts: { name?: string; asTemplate?: boolean } = {}): VirtualMachine {
  checkVmxPath(sim, path);
  const storage = sim.vmStorage;
  const ds = storage.datastoreOf(path, folder);
  const host = placeVm(sim, pool, hostRef, ds.ref);
  const value = sim.newRef(sim.isVCenter ? "vm-" : "");
  const { config, vmx } = storage.readVmConfig(path, value, folder);
  if (opts.name) config.name = opts.name;
  if (opts.asTemplate) config.template = true;
  checkName(sim, folder, config.name);
  const place = { folder, pool, host };
  const vm = newVirtualMachine(sim, storage, value, config, place);
  vm.vmx = vmx;
  // the .vmx's dvs.portId is kept when that port is free, else the NIC gets another (and the .vmx says so)
  const bound = bindDvPorts(sim, vm.ref, config.hardware.device, false);
  if (bound !== config.hardware.device) {
    config.hardware = { ...config.hardware, device: bound };
    storage.persist(vm, config);
  }
  enterInventory(sim, vm, place);
  vm.snapshots.loadFromVmsd();
  return vm;
}

/** CreateVM_Task's work: the VM, its folder on the datastore, its disks and .vmx, in `folder` and `pool`. */
export function createVm(sim: SimContext, folder: Placement["folder"], spec: Record<string, any>, pool: ManagedObjectReference, hostRef: ManagedObjectReference | undefined): VirtualMachine {
  if (!spec.name) throw new VimFault("InvalidVmConfig", { property: "configSpec.name" }, "Invalid virtual machine configuration: a name is required.");
  if (!spec.files?.vmPathName) throw new VimFault("InvalidVmConfig", { property: "configSpec.files.vmPathName" }, "Invalid virtual machine configuration: files.vmPathName is required.");
  checkName(sim, folder, spec.name);
  const storage = sim.vmStorage;
  const ds = storage.datastoreOf(spec.files.vmPathName, folder);
  const closed = datastoreRefusal(ds);
  if (closed) throw closed;
  const host = placeVm(sim, pool, hostRef, ds.ref);
  const place = { folder, pool, host };
  const value = sim.newRef(sim.isVCenter ? "vm-" : "");
  const where = vmxPathFor(spec.files.vmPathName, spec.name, (p) => storage.exists(p, folder));
  // a spec without a version gets the datacenter's default (ReconfigureDatacenter_Task), if one is set
  const dcDefault = spec.version === undefined ? ((datacenterOf(folder)?.props.configuration as { defaultHardwareVersionKey?: string } | undefined)?.defaultHardwareVersionKey) : undefined;
  const { config, devices } = configFromSpec(sim, dcDefault ? { ...spec, version: dcDefault } : spec, value, where.vmPathName, where.dir);
  const vm = newVirtualMachine(sim, storage, value, config, place);
  // NICs on static distributed port groups get their ports (the MACs are in by now)
  config.hardware = { ...config.hardware, device: bindDvPorts(sim, vm.ref, config.hardware.device, false) };
  const pooled = sim.inventory.get(pool.value);
  if (pooled?.type === "VirtualApp") vm.props.parentVApp = pooled.ref;
  const specs = new Map<Device, DataObject & Record<string, any>>();
  for (const [i, d] of devices.placed) specs.set(d, (spec.deviceChange ?? [])[i]);
  storage.createVmFiles(vm, config, { added: devices.added, removed: [], edited: [], specs });
  enterInventory(sim, vm, place);
  vm.trackChanges();
  return vm;
}
