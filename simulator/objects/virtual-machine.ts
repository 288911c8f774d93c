// VirtualMachine: configuration, power, lifecycle. Its .vmx on the datastore
// is rewritten after every configuration change (VmStorage does the files),
// so what a client reads over /folder is what the API shows.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import type { Args, CallContext, SavedState } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { promoteDisks } from "./vm-promote.ts";
import { applyDeviceChanges, kindOf, type Device } from "./vm-devices.ts";
import { guestFullName, hardwareVersionOf } from "../formats/vmx-config.ts";
import { generatedMac, vpxMac } from "../formats/vmx-config.ts";
import { VmSnapshots, type SavedTree } from "./vm-snapshots.ts";
import { cloneVm } from "./vm-clone.ts";
import { checkVmxPath } from "./vm-factory.ts";
import { checkCustomization } from "./vm-customization.ts";
import { relocateVm } from "./vm-relocate.ts";
import { instantClone } from "./vm-instant-clone.ts";
import { exportLease } from "./ovf-export.ts";
import { attachDisk, detachDisk, firstClassDisksOnDestroy } from "./vm-first-class-disks.ts";
import { changedAreas } from "../datastore/change-tracking.ts";
import { createScreenshot, putUsbScanCodes, sendNmi, setDisplayTopology, setScreenResolution } from "./vm-console.ts";
import { bindDvPorts } from "./dv-ports.ts";
import { applyVmConfigSpec, ovfEnvironment, type VmConfigInfo } from "./vapp-config.ts";
import { hardwareVersionKey, newestHardwareVersion, supportedHardwareVersions, versionNotRun } from "./hardware-versions.ts";
import type { Folder } from "./folder.ts";
import { hostNotConnected } from "./host-power.ts";

export type ConfigInfo = DataObject & {
  name: string;
  uuid: string;
  instanceUuid: string;
  guestId: string;
  template: boolean;
  files: DataObject & { vmPathName: string; snapshotDirectory?: string; suspendDirectory?: string; logDirectory?: string };
  hardware: DataObject & { numCPU: number; numCoresPerSocket: number; memoryMB: number; device: Device[] };
  extraConfig: (DataObject & { key: string; value: unknown })[];
  annotation?: string;
  managedBy?: DataObject;
  /** vApp options (properties, OVF environment transports): vapp-config.ts */
  vAppConfig?: VmConfigInfo;
  version: string;
};

/** What the VM needs from the storage layer; the simulator supplies it. */
export interface VmStorage {
  /** write (or rewrite) the VM's .vmx and companions from `config` */
  persist(vm: VirtualMachine, config: ConfigInfo): void;
  /** create the files of new disks (setting their backings), delete those of removed ones */
  applyDiskFiles(vm: VirtualMachine, config: ConfigInfo, changes: { added: Device[]; removed: Device[]; edited: Device[]; specs: Map<Device, DataObject & Record<string, any>> }): void;
  /** remove the VM's folder and everything in it */
  deleteFiles(vm: VirtualMachine, keep?: Set<string>): void;
  /** bytes the VM's files take: committed and not yet committed (thin) */
  usage(vm: VirtualMachine, config: ConfigInfo): { datastore: ManagedObjectReference; committed: number; uncommitted: number; files: { name: string; type: string; size: number }[] }[];
  /** the datastores and networks the config refers to */
  datastoresOf(vm: VirtualMachine, config: ConfigInfo): ManagedObjectReference[];
  /** the disks tracked (CBT) as config.changeTrackingEnabled says, backings with their change IDs; the same array when nothing changed */
  changeTracking(vm: VirtualMachine, config: ConfigInfo): Device[];
  /** files in the VM's folder none of `configs` (the VM's, its snapshots') nor `snapshotFiles` own */
  unownedFiles(vm: VirtualMachine, configs: ConfigInfo[], snapshotFiles: string[]): string[];
  /** write a new `<vm>-N<suffix>` file in the VM's folder; returns its `[ds] path` */
  writeNumbered(vm: VirtualMachine, suffix: string, data: Buffer): string;
  /** a line in the VM's vmware.log */
  log(vm: VirtualMachine, message: string): void;
  /** the configuration a .vmx holds (NotFound when there is none) */
  readVmConfig(vmPathName: string, value: string, near: ManagedEntity): { config: ConfigInfo; vmx: unknown };
}

/**
 * ConfigSpec.managedBy as vpxd applies it: the extension's key and type,
 * unchecked against registered extensions (the client falls back to the
 * default icon), and a ManagedByInfo with an empty extensionKey unsets it
 * (VM Operator's cleanup sends exactly that to clear its own mark).
 */
export function managedByFromSpec(spec: DataObject & { extensionKey?: string; type?: string }): DataObject | undefined {
  if (!spec.extensionKey) return undefined;
  return { _type: "ManagedByInfo", extensionKey: spec.extensionKey, type: spec.type ?? "" };
}

const POWER_EVENTS = { poweredOn: "VmPoweredOnEvent", poweredOff: "VmPoweredOffEvent", suspended: "VmSuspendedEvent" } as const;

export class VirtualMachine extends ManagedEntity {
  /** the on-disk .vmx document, kept so keys the API does not model survive rewrites */
  vmx?: unknown;
  readonly snapshots: VmSnapshots;
  /** a CustomizationSpec awaiting the guest's next boot (vm-customization.ts) */
  pendingCustomization: (DataObject & Record<string, any>) | undefined;
  /** the guest a clone's disks carry: its source's (the scenario declares the others' in GuestRuntime) */
  inheritedGuest: { program: string; options: Record<string, unknown> } | undefined;
  /** the CD-ROM's backing that MountToolsInstaller put aside, back at unmount */
  private toolsInstallerPrior: { key: number; backing: unknown } | undefined;

  constructor(sim: SimContext, value: string, config: ConfigInfo, folder: ManagedObjectReference, pool: ManagedObjectReference, host: ManagedObjectReference, readonly storage: VmStorage) {
    super(sim, "VirtualMachine", value, config.name, folder);
    this.snapshots = new VmSnapshots(sim, this);
    Object.assign(this.props, {
      config,
      resourcePool: pool,
      environmentBrowser: undefined,
      guestHeartbeatStatus: "gray",
      layout: undefined,
      snapshot: undefined,
      rootSnapshot: [],
      capability: vmCapability(),
      runtime: {
        _type: "VirtualMachineRuntimeInfo",
        device: [],
        host,
        connectionState: "connected",
        powerState: "poweredOff",
        faultToleranceState: "notConfigured",
        toolsInstallerMounted: false,
        suspendInterval: 0,
        maxCpuUsage: 0,
        maxMemoryUsage: config.hardware.memoryMB,
        numMksConnections: 0,
        recordReplayState: "inactive",
        consolidationNeeded: false,
        onlineStandby: false,
        paused: false,
        snapshotInBackground: false,
      },
      guest: {
        _type: "GuestInfo",
        toolsStatus: "toolsNotInstalled",
        toolsVersionStatus: "guestToolsNotInstalled",
        toolsVersionStatus2: "guestToolsNotInstalled",
        toolsRunningStatus: "guestToolsNotRunning",
        toolsVersion: "0",
        guestId: undefined,
        guestState: "notRunning",
        net: [],
        ipStack: [],
        disk: [],
        screen: { _type: "GuestScreenInfo", width: 0, height: 0 },
        appHeartbeatStatus: "appStatusGray",
        guestOperationsReady: false,
        interactiveGuestOperationsReady: false,
        guestStateChangeSupported: false,
        generationInfo: [],
      },
    });
  }

  get config(): ConfigInfo {
    return this.props.config as ConfigInfo;
  }
  get powerState(): string {
    return (this.props.runtime as { powerState: string }).powerState;
  }
  get host(): ManagedObjectReference {
    return (this.props.runtime as { host: ManagedObjectReference }).host;
  }

  // the .vmx document is replaced, never edited, so keeping the reference keeps it
  override saveState(): SavedState & { vmx: unknown; snapshots: SavedTree; pendingCustomization: unknown; inheritedGuest: unknown; toolsInstallerPrior: unknown } {
    return { ...super.saveState(), vmx: this.vmx, snapshots: this.snapshots.save(), pendingCustomization: this.pendingCustomization, inheritedGuest: this.inheritedGuest, toolsInstallerPrior: this.toolsInstallerPrior };
  }

  override loadState(s: SavedState & { vmx: unknown; snapshots: SavedTree; pendingCustomization: unknown; inheritedGuest?: unknown; toolsInstallerPrior?: unknown }): void {
    super.loadState(s);
    this.toolsInstallerPrior = s.toolsInstallerPrior as VirtualMachine["toolsInstallerPrior"];
    this.vmx = s.vmx;
    this.snapshots.load(s.snapshots);
    this.pendingCustomization = s.pendingCustomization as VirtualMachine["pendingCustomization"];
    this.inheritedGuest = s.inheritedGuest as VirtualMachine["inheritedGuest"];
  }

  /** vpxd reaches a VM through its host: with the host disconnected, no task of the VM can run. */
  override checkTask(_method: string): void {
    if ((this.props.runtime as { connectionState: string }).connectionState === "disconnected") {
      throw hostNotConnected();
    }
  }

  /** The VM as vCenter sees it when its host connects or disconnects. */
  setConnectionState(state: "connected" | "disconnected"): void {
    this.refresh({ runtime: { ...(this.props.runtime as DataObject), connectionState: state } });
  }

  /** Network adapters, which a CustomizationSpec's nicSettingMap must match one for one. */
  nicCount(): number {
    return this.config.hardware.device.filter((d) => kindOf(this.sim.schema, d._type) === "nic").length;
  }

  CustomizeVM_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "CustomizeVM_Task", "VirtualMachine.customize", this.userName(ctx), () => {
      this.pendingCustomization = checkCustomization(this.sim, args.spec, this, this.nicCount());
    });
  }

  /**
   * CheckCustomizationSpec: the checks CustomizeVM_Task makes of the spec
   * against this VM (the identity its guest takes, one adapter setting per
   * NIC, the addresses), without applying it; the VM's power state and a
   * pending customization are the customization's business, not the spec's.
   */
  CheckCustomizationSpec(args: Args): void {
    checkCustomization(this.sim, args.spec, { powerState: "poweredOff" }, this.nicCount());
  }

  /** Recompute what follows from config and runtime, in one update. */
  refresh(extra: Record<string, unknown> = {}): void {
    const config = (extra.config as ConfigInfo | undefined) ?? this.config;
    const runtime = (extra.runtime as DataObject | undefined) ?? (this.props.runtime as DataObject);
    const guest = (extra.guest as DataObject | undefined) ?? (this.props.guest as DataObject);
    const heartbeat = extra.guestHeartbeatStatus ?? this.props.guestHeartbeatStatus;
    const devices = config.hardware.device;
    const usage = this.storage.usage(this, config);
    const now = this.sim.clock.now();
    const committed = usage.reduce((n, u) => n + u.committed, 0);
    const uncommitted = usage.reduce((n, u) => n + u.uncommitted, 0);
    const networks = devices.filter((d) => kindOf(this.sim.schema, d._type) === "nic").map((d) => d.backing?.network ?? this.portgroupOf(d)).filter((n): n is ManagedObjectReference => !!n);
    const uniq = (refs: ManagedObjectReference[]) => [...new Map(refs.map((r) => [r.value, r])).values()];
    const fileKeys = new Map<string, number>();
    const files = usage.flatMap((u) => u.files).map((f, i) => {
      fileKeys.set(f.name, i);
      return { _type: "VirtualMachineFileLayoutExFileInfo", key: i, name: f.name, type: f.type, size: f.size, uniqueSize: f.size, accessible: true };
    });
    const before = { datastore: this.props.datastore as ManagedObjectReference[] | undefined, network: this.props.network as ManagedObjectReference[] | undefined };
    const datastores = uniq(this.storage.datastoresOf(this, config));
    const nets = uniq(networks);
    // a NIC moved to another network, a disk to another datastore: their `vm` lists follow (once the VM is in the inventory; attach() lists a new one)
    if (this.sim.inventory.get(this.ref.value) === this) {
      this.relist(before.datastore, datastores);
      this.relist(before.network, nets);
    }
    this.update({
      ...extra,
      datastore: datastores,
      network: nets,
      summary: {
        _type: "VirtualMachineSummary",
        vm: this.ref,
        runtime,
        guest: {
          _type: "VirtualMachineGuestSummary",
          guestId: guest.guestId,
          guestFullName: guest.guestFullName,
          toolsStatus: guest.toolsStatus,
          toolsVersionStatus: guest.toolsVersionStatus,
          toolsVersionStatus2: guest.toolsVersionStatus2,
          toolsRunningStatus: guest.toolsRunningStatus,
          hostName: guest.hostName,
          ipAddress: guest.ipAddress,
        },
        config: {
          _type: "VirtualMachineConfigSummary",
          name: config.name,
          template: config.template,
          vmPathName: config.files.vmPathName,
          memorySizeMB: config.hardware.memoryMB,
          cpuReservation: 0,
          memoryReservation: 0,
          numCpu: config.hardware.numCPU,
          numEthernetCards: devices.filter((d) => kindOf(this.sim.schema, d._type) === "nic").length,
          numVirtualDisks: devices.filter((d) => kindOf(this.sim.schema, d._type) === "disk").length,
          uuid: config.uuid,
          instanceUuid: config.instanceUuid,
          guestId: config.guestId,
          guestFullName: config.guestFullName,
          annotation: config.annotation ?? "",
          installBootRequired: false,
          managedBy: config.managedBy,
        },
        storage: { _type: "VirtualMachineStorageSummary", committed, uncommitted, unshared: committed, timestamp: now },
        quickStats: {
          _type: "VirtualMachineQuickStats", overallCpuUsage: 0, overallCpuDemand: 0, guestMemoryUsage: 0, hostMemoryUsage: 0,
          guestHeartbeatStatus: heartbeat, distributedCpuEntitlement: 0, distributedMemoryEntitlement: 0,
          staticCpuEntitlement: 0, staticMemoryEntitlement: 0, privateMemory: 0, sharedMemory: 0, swappedMemory: 0, balloonedMemory: 0,
          consumedOverheadMemory: 0, ftLogBandwidth: -1, ftSecondaryLatency: -1, ftLatencyStatus: "gray", compressedMemory: 0, uptimeSeconds: 0, ssdSwappedMemory: 0,
        },
        overallStatus: "green",
        customValue: this.props.customValue,
      },
      storage: {
        _type: "VirtualMachineStorageInfo",
        perDatastoreUsage: usage.map((u) => ({ _type: "VirtualMachineUsageOnDatastore", datastore: u.datastore, committed: u.committed, uncommitted: u.uncommitted, unshared: u.committed })),
        timestamp: now,
      },
      layoutEx: {
        _type: "VirtualMachineFileLayoutEx",
        file: files,
        disk: devices.filter((d) => kindOf(this.sim.schema, d._type) === "disk").map((d) => ({
          _type: "VirtualMachineFileLayoutExDiskLayout",
          key: d.key,
          chain: diskChain(d).map((name) => ({ _type: "VirtualMachineFileLayoutExDiskUnit", fileKey: [name, name.replace(/\.vmdk$/, "-flat.vmdk"), name.replace(/\.vmdk$/, "-delta.vmdk")].map((n) => fileKeys.get(n)).filter((k): k is number => k !== undefined) })),
        })),
        snapshot: [],
        timestamp: now,
      },
    });
  }

  private portgroupOf(d: Device): ManagedObjectReference | undefined {
    const key = d.backing?.port?.portgroupKey as string | undefined;
    return key ? this.sim.inventory.get(key)?.ref : undefined;
  }

  private userName(ctx: CallContext): string {
    return ctx.session?.userName ?? "";
  }

  event(type: string, message: string, userName: string, extra: Record<string, unknown> = {}): void {
    const hostObj = this.sim.inventory.get(this.host.value);
    this.sim.events.post(type, message, userName, {
      vm: { name: this.name, ref: this.ref },
      host: hostObj ? { name: String(hostObj.get("name")), ref: hostObj.ref } : undefined,
      datacenter: this.datacenterArg(),
    }, extra);
  }

  private datacenterArg(): { name: string; ref: ManagedObjectReference } | undefined {
    for (let o: ManagedEntity | undefined = this; o; o = o.parentObject() as ManagedEntity | undefined) {
      if (o.type === "Datacenter") return { name: o.name, ref: o.ref };
      if (!(o instanceof ManagedEntity)) break;
    }
    return undefined;
  }

  // ---- configuration ----

  ReconfigVM_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "ReconfigVM_Task", "VirtualMachine.reconfigure", this.userName(ctx), () => {
      const spec = args.spec ?? {};
      if (spec.deviceChange?.length) this.withGuestDisks(() => this.reconfigure(spec));
      else this.reconfigure(spec);
      this.event("VmReconfiguredEvent", `Reconfigured ${this.name} on ${this.hostName()} in ${this.datacenterArg()?.name ?? ""}`, this.userName(ctx), { configSpec: args.spec });
    });
  }

  private hostName(): string {
    return String(this.sim.inventory.get(this.host.value)?.get("name") ?? "");
  }

  /** Objects the VM stopped using drop it from their `vm` list, new ones add it. */
  private relist(before: ManagedObjectReference[] | undefined, after: ManagedObjectReference[]): void {
    const was = before ?? [];
    if (was.length === after.length && was.every((r, i) => r.value === after[i].value)) return;
    const now = new Set(after.map((r) => r.value));
    const had = new Set(was.map((r) => r.value));
    for (const r of was) if (!now.has(r.value)) this.unlistFrom(r);
    for (const r of after) if (!had.has(r.value)) this.listIn(r);
  }

  /** Apply a VirtualMachineConfigSpec: validate everything first, then change files and state. */
  reconfigure(spec: Record<string, any>): void {
    if (this.config.template) throw new VimFault("InvalidState", {}, "The operation is not allowed on a template.");
    const poweredOn = this.powerState !== "poweredOff";
    const config: ConfigInfo = { ...this.config, hardware: { ...this.config.hardware } };
    if (spec.name !== undefined && spec.name !== config.name) {
      if (!spec.name || String(spec.name).length > 80) throw new VimFault("InvalidName", { name: spec.name, entity: this.ref });
      config.name = spec.name;
    }
    if (spec.numCPUs !== undefined) {
      if (spec.numCPUs < 1 || spec.numCPUs > 128) throw new VimFault("InvalidArgument", { invalidProperty: "numCPUs" });
      if (poweredOn && spec.numCPUs !== config.hardware.numCPU) throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: this.powerState });
      config.hardware.numCPU = spec.numCPUs;
    }
    if (spec.numCoresPerSocket !== undefined) config.hardware.numCoresPerSocket = spec.numCoresPerSocket;
    if (spec.memoryMB !== undefined) {
      if (spec.memoryMB < 4 || spec.memoryMB % 4 !== 0) throw new VimFault("InvalidArgument", { invalidProperty: "memoryMB" }, "Memory size must be a multiple of 4 MB.");
      if (poweredOn && spec.memoryMB !== config.hardware.memoryMB) throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: this.powerState });
      config.hardware.memoryMB = spec.memoryMB;
    }
    if (spec.guestId !== undefined) {
      if (!this.sim.schema.enumValues("VirtualMachineGuestOsIdentifier")?.includes(spec.guestId)) throw new VimFault("InvalidArgument", { invalidProperty: "guestId" });
      config.guestId = spec.guestId;
      config.guestFullName = guestFullName(spec.guestId);
    }
    for (const k of ["annotation", "cpuAllocation", "memoryAllocation", "firmware", "bootOptions", "tools", "flags", "swapPlacement", "cpuHotAddEnabled", "memoryHotAddEnabled", "cpuHotRemoveEnabled", "changeTrackingEnabled", "nestedHVEnabled", "vPMCEnabled"]) {
      if (spec[k] !== undefined) (config as Record<string, unknown>)[k] = typeof spec[k] === "object" && !Array.isArray(spec[k]) ? { ...(config[k] as object | undefined), ...spec[k] } : spec[k];
    }
    if (spec.extraConfig?.length) config.extraConfig = mergeExtraConfig(config.extraConfig, spec.extraConfig);
    if (spec.managedBy !== undefined) config.managedBy = managedByFromSpec(spec.managedBy);
    if (spec.vAppConfigRemoved) config.vAppConfig = undefined;
    else if (spec.vAppConfig) config.vAppConfig = applyVmConfigSpec(config.vAppConfig, spec.vAppConfig, "spec.vAppConfig");
    let diskWork: Parameters<VmStorage["applyDiskFiles"]>[2] | undefined;
    if (spec.deviceChange?.length) {
      const r = applyDeviceChanges(this.sim.schema, config.hardware.device, spec.deviceChange, { poweredOn });
      const specs = new Map<Device, DataObject & Record<string, any>>();
      for (const [i, d] of r.placed) specs.set(d, spec.deviceChange[i]);
      for (const d of r.added) if (kindOf(this.sim.schema, d._type) === "nic") this.assignMac(d, r.devices);
      config.hardware.device = r.devices;
      diskWork = { added: r.added, removed: r.removed, edited: r.edited, specs };
    }
    // distributed ports: a NIC on a static port group gets (or keeps) a port, a removed or moved one frees it
    config.hardware = { ...config.hardware, device: bindDvPorts(this.sim, this.ref, config.hardware.device, poweredOn) };
    config.changeVersion = this.sim.clock.now().toISOString();
    config.modified = this.sim.clock.now();
    if (diskWork) this.storage.applyDiskFiles(this, config, diskWork);
    // tracking starts at once, even powered on, where ESXi waits for the next stun (a snapshot, a power cycle)
    if (spec.changeTrackingEnabled !== undefined || (config.changeTrackingEnabled && diskWork)) {
      config.hardware = { ...config.hardware, device: this.storage.changeTracking(this, config) };
    }
    this.storage.persist(this, config);
    this.refresh({ config, name: config.name });
  }

  /** With changed block tracking on, the disks' backings show the change IDs as of now (after a snapshot operation). */
  trackChanges(): void {
    if (!this.config.changeTrackingEnabled) return;
    const device = this.storage.changeTracking(this, this.config);
    if (device !== this.config.hardware.device) this.applyConfig({ ...this.config, hardware: { ...this.config.hardware, device } });
  }

  /**
   * QueryChangedDiskAreas: what changed on a disk since a change ID, as of a
   * snapshot (or now, for a VM powered off); "*" gives the areas in use.
   */
  QueryChangedDiskAreas(args: Args): DataObject {
    let config: ConfigInfo;
    if (args.snapshot) {
      const snap = this.snapshots.all().find((s) => s.ref.value === args.snapshot.value);
      if (!snap) throw new VimFault("ManagedObjectNotFound", { obj: args.snapshot }, `The object '${args.snapshot.type ?? "VirtualMachineSnapshot"}:${args.snapshot.value}' has already been deleted or has not been completely created`);
      config = snap.config;
    } else {
      // without a snapshot only a disk nothing writes to can be read
      if (this.powerState !== "poweredOff") throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: this.powerState }, "Changes of a running virtual machine's disk are queried against a snapshot.");
      config = this.config;
    }
    const disk = config.hardware.device.find((d) => d.key === Number(args.deviceKey) && kindOf(this.sim.schema, d._type) === "disk" && d.backing?.fileName);
    if (!disk) throw new VimFault("NotFound", {}, `The virtual disk with device key ${args.deviceKey} was not found.`);
    const f = this.sim.vmStorage.resolve(disk.backing!.fileName, this);
    const r = changedAreas(this.sim, f, Number(args.startOffset), String(args.changeId ?? ""), datacenterOf(this));
    return { _type: "DiskChangeInfo", startOffset: r.startOffset, length: r.length, changedArea: r.changedArea.map((a) => ({ _type: "DiskChangeExtent", start: a.start, length: a.length })) };
  }

  /**
   * The virtual hardware to the version named ("vmx-13"; Ansible sends
   * "vmx-09" with the zero), or the newest the host runs. Never down:
   * the version the VM has, or an older one, is AlreadyUpgraded (which
   * Ansible's vmware_guest catches as "nothing to do"). A version the host
   * does not run is an InvalidArgument naming `version`.
   */
  UpgradeVM_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "UpgradeVM_Task", "VirtualMachine.upgradeVirtualHardware", this.userName(ctx), () => {
      if (this.config.template) throw new VimFault("InvalidState", {}, "The operation is not allowed on a template.");
      if (this.powerState !== "poweredOff") throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: this.powerState });
      const release = this.sim.scenario.about.version;
      let target = newestHardwareVersion(release);
      if (args.version !== undefined && args.version !== "") {
        target = hardwareVersionOf(String(args.version)) ?? NaN;
        if (!supportedHardwareVersions(release).includes(target)) {
          throw versionNotRun(String(args.version));
        }
      }
      const current = hardwareVersionOf(this.config.version) ?? 0;
      if (target <= current) throw new VimFault("AlreadyUpgraded", {}, "The virtual machine's hardware is already at the requested version.");
      const version = hardwareVersionKey(target);
      const dc = this.datacenterArg()?.name ?? "";
      this.event("VmUpgradingEvent", `Upgrading virtual machine compatibility of ${this.name} in ${dc} to ${version}`, this.userName(ctx), { version });
      const now = this.sim.clock.now();
      const config: ConfigInfo = { ...this.config, version, changeVersion: now.toISOString(), modified: now };
      this.storage.persist(this, config);
      this.refresh({ config });
      this.event("VmUpgradeCompleteEvent", `Virtual machine compatibility upgraded to ${version}`, this.userName(ctx), { version });
    });
  }

  /** hostd derives generated MACs from the VM's UUID (vpxd from the instance UUID); a clash moves 10 on, as the .vmx mapping does. */
  assignMac(nic: Device, devices: Device[]): void {
    const type = nic.addressType ?? (this.sim.isVCenter ? "assigned" : "generated");
    nic.addressType = type;
    if (type === "manual") {
      if (!nic.macAddress || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(nic.macAddress)) throw new VimFault("InvalidArgument", { invalidProperty: "macAddress" });
      return;
    }
    if (nic.macAddress) return;
    const taken = new Set(devices.filter((d) => d !== nic && d.macAddress).map((d) => d.macAddress!.toLowerCase()));
    const vpx = type === "assigned" || this.sim.isVCenter;
    for (let offset = 0; ; offset += 10) {
      const mac = vpx ? vpxMac(this.config.instanceUuid, offset) : generatedMac(this.config.uuid, offset);
      if (!taken.has(mac)) {
        nic.macAddress = mac;
        return;
      }
    }
  }

  // ---- power ----

  /** Make `config` the VM's configuration: its .vmx first, then the properties. */
  applyConfig(config: ConfigInfo): void {
    const device = bindDvPorts(this.sim, this.ref, config.hardware.device, this.powerState !== "poweredOff");
    if (device !== config.hardware.device) config = { ...config, hardware: { ...config.hardware, device } };
    this.storage.persist(this, config);
    this.refresh({ config });
  }

  /** Power state changes a snapshot revert makes, without the checks a client request gets. */
  forcePower(state: "poweredOn" | "poweredOff" | "suspended", userName: string): void {
    this.setPower(state, userName);
  }

  private setPower(state: "poweredOn" | "poweredOff" | "suspended", userName: string): void {
    // the installer image is the running VMX's: it goes when the VM stops
    if (state === "poweredOff" && this.toolsInstallerPrior) this.unmountToolsInstaller();
    const now = this.sim.clock.now();
    const runtime = { ...(this.props.runtime as DataObject), powerState: state, bootTime: state === "poweredOn" ? now : state === "poweredOff" ? undefined : (this.props.runtime as DataObject).bootTime, suspendTime: state === "suspended" ? now : undefined };
    // a serial port is connected once its VMX side is (a TCP peer, a listener, a file): the guest runtime says when
    const connectsLater = (d: Device) => kindOf(this.sim.schema, d._type) === "serial";
    const devices = this.config.hardware.device.map((d) => {
      if (!d.connectable) return d;
      const on = state === "poweredOn" && !!d.connectable.startConnected && !connectsLater(d);
      return { ...d, connectable: { ...d.connectable, connected: on, status: on ? "ok" : "untried" } };
    });
    // ephemeral ports come at power on and go at power off; lateBinding ones come at the first power on
    const bound = bindDvPorts(this.sim, this.ref, devices, state !== "poweredOff");
    let config: ConfigInfo = { ...this.config, hardware: { ...this.config.hardware, device: bound } };
    const env = state === "poweredOn" ? this.ovfEnvForGuestInfo(config) : undefined;
    if (env !== undefined) config = { ...config, extraConfig: mergeExtraConfig(config.extraConfig, [{ _type: "OptionValue", key: "guestinfo.ovfEnv", value: env }]) };
    if (bound !== devices || env !== undefined) this.storage.persist(this, config);
    this.refresh({ runtime, config });
    this.event(POWER_EVENTS[state], `${this.name} on ${this.hostName()} in ${this.datacenterArg()?.name ?? ""} is ${state === "poweredOn" ? "powered on" : state === "poweredOff" ? "powered off" : "suspended"}`, userName);
    this.sim.guests.powerChanged(this, state);
  }

  /**
   * The OVF environment vCenter puts in guestinfo.ovfEnv at power on, when
   * the VM's vApp options name the com.vmware.guestInfo transport. hostd
   * alone writes none (ovftool's --X:injectOvfEnv exists for ESXi for that).
   */
  private ovfEnvForGuestInfo(config: ConfigInfo): string | undefined {
    const vApp = config.vAppConfig;
    if (!vApp || !this.sim.isVCenter || !(vApp.ovfEnvironmentTransport ?? []).includes("com.vmware.guestInfo")) return undefined;
    return this.ovfEnvironment(config);
  }

  private ovfEnvironment(config: ConfigInfo): string {
    const host = this.sim.inventory.get(this.host.value);
    const version = (host?.props.config as { product?: { version?: string } } | undefined)?.product?.version ?? this.sim.scenario.about.version;
    const nics = config.hardware.device.filter((d) => kindOf(this.sim.schema, d._type) === "nic").map((d) => {
      const net = d.backing?.network ?? this.portgroupOf(d);
      return { mac: d.macAddress, network: String((net ? this.sim.inventory.get(net.value)?.get("name") : d.backing?.deviceName) ?? ""), unitNumber: d.unitNumber };
    });
    return ovfEnvironment(config.vAppConfig!, { version, vCenterId: this.sim.isVCenter ? this.ref.value : undefined }, nics);
  }

  /** ExtractOvfEnvironment: the document the guest would get now; empty for a VM without vApp options. */
  ExtractOvfEnvironment(_args: Args): string {
    return this.config.vAppConfig ? this.ovfEnvironment(this.config) : "";
  }

  // ---- what the guest runtime reports ----

  /**
   * Change disk files under a running guest: what it wrote is saved to its
   * disks first, and afterwards it sees disks come, go, or gain a delta.
   */
  withGuestDisks<T>(fn: () => T): T {
    this.sim.guests.of(this)?.syncDisks();
    try {
      return fn();
    } finally {
      this.sim.guests.of(this)?.devicesChanged();
    }
  }

  /** The tools' view of the guest (guest, summary.guest, guestHeartbeatStatus). */
  setGuest(guest: DataObject, heartbeat: string): void {
    this.refresh({ guest, guestHeartbeatStatus: heartbeat });
  }

  /** A guestinfo key the guest set: in config.extraConfig now, in the .vmx at power off. */
  setGuestInfo(key: string, value: string): void {
    this.refresh({ config: { ...this.config, extraConfig: mergeExtraConfig(this.config.extraConfig, [{ _type: "OptionValue", key, value }]) } });
  }

  /** A device's connectable.connected, as its backing really is. */
  setDeviceConnected(key: number, connected: boolean): void {
    if (this.powerState === "poweredOff") return;
    const devices = this.config.hardware.device.map((d) => (d.key === key && d.connectable ? { ...d, connectable: { ...d.connectable, connected, status: connected ? "ok" : "untried" } } : d));
    this.refresh({ config: { ...this.config, hardware: { ...this.config.hardware, device: devices } } });
  }

  PowerOnVM_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "PowerOnVM_Task", "VirtualMachine.powerOn", this.userName(ctx), () => {
      if (this.config.template) throw new VimFault("InvalidState", {}, "Cannot power on a template.");
      if (this.powerState === "poweredOn") throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: "poweredOn" });
      const host = this.sim.inventory.get(this.host.value);
      if ((host?.props.runtime as { inMaintenanceMode?: boolean } | undefined)?.inMaintenanceMode) throw new VimFault("InvalidState", {}, "The host is in maintenance mode.");
      this.event("VmStartingEvent", `${this.name} on ${this.hostName()} is starting`, this.userName(ctx));
      this.setPower("poweredOn", this.userName(ctx));
    });
  }

  PowerOffVM_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "PowerOffVM_Task", "VirtualMachine.powerOff", this.userName(ctx), () => {
      if (this.powerState === "poweredOff") throw new VimFault("InvalidPowerState", { requestedState: "poweredOn", existingState: "poweredOff" });
      this.setPower("poweredOff", this.userName(ctx));
    });
  }

  SuspendVM_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "SuspendVM_Task", "VirtualMachine.suspend", this.userName(ctx), () => {
      if (this.powerState !== "poweredOn") throw new VimFault("InvalidPowerState", { requestedState: "poweredOn", existingState: this.powerState });
      this.setPower("suspended", this.userName(ctx));
    });
  }

  /** TerminateVM: the VMX process killed, the VM off at once, no task; only a running VM has a VMX process (InvalidState). */
  TerminateVM(_args: Args, ctx: CallContext): void {
    if (this.powerState !== "poweredOn") throw new VimFault("InvalidState", {}, `The attempted operation cannot be performed in the current state (${this.powerState === "suspended" ? "Suspended" : "Powered off"}).`);
    this.setPower("poweredOff", this.userName(ctx));
  }

  /**
   * ResetGuestInformation: what the tools last reported and hostd keeps
   * while the VM is off (guest OS, host name, addresses, disks, screen) is
   * forgotten, so a stale address is not offered again. Powered off only.
   */
  ResetGuestInformation(_args: Args): void {
    if (this.powerState !== "poweredOff") throw new VimFault("InvalidState", {}, "Guest information can be cleared only when the virtual machine is powered off.");
    const guest = this.props.guest as DataObject;
    this.setGuest({
      ...guest, guestId: undefined, guestFullName: undefined, guestFamily: undefined, hostName: undefined, ipAddress: undefined,
      net: [], ipStack: [], disk: [], screen: { _type: "GuestScreenInfo", width: 0, height: 0 }, generationInfo: [],
    }, this.props.guestHeartbeatStatus as string);
  }

  // ---- the console ----

  CreateScreenshot_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "CreateScreenshot_Task", "VirtualMachine.createScreenshot", this.userName(ctx), () => createScreenshot(this), { resultType: { type: "string" } });
  }

  SetScreenResolution(args: Args): void {
    setScreenResolution(this, args);
  }

  SetDisplayTopology(args: Args): void {
    setDisplayTopology(this, args);
  }

  SendNMI(_args: Args): void {
    sendNmi(this);
  }

  PutUsbScanCodes(args: Args): number {
    return putUsbScanCodes(this, args);
  }

  // ---- files ----

  /** QueryUnownedFiles: what sits in the VM's folder that is not the VM's (a copy left there, an upload). */
  QueryUnownedFiles(_args: Args): string[] {
    const snaps = this.snapshots.all();
    return this.storage.unownedFiles(this, [this.config, ...snaps.map((s) => s.config)], snaps.map((s) => s.vmsn));
  }

  /** DefragmentAllDisks: the VM powered off; sparse extents in memory have nothing to defragment. */
  DefragmentAllDisks(_args: Args): void {
    if (this.powerState !== "poweredOff") throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: this.powerState });
    this.storage.log(this, "vmx| I125: Defragmenting all disks: nothing to move");
  }

  ResetVM_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "ResetVM_Task", "VirtualMachine.reset", this.userName(ctx), () => {
      if (this.powerState !== "poweredOn") throw new VimFault("InvalidPowerState", { requestedState: "poweredOn", existingState: this.powerState });
      this.setPower("poweredOff", this.userName(ctx));
      this.setPower("poweredOn", this.userName(ctx));
      this.event("VmResettingEvent", `${this.name} on ${this.hostName()} is reset`, this.userName(ctx));
    });
  }

  // ---- the VMware Tools installer ----

  /**
   * The host's tools image for the guest's family on the first CD-ROM, as
   * hostd mounts it for an interactive install (Ansible's and PowerCLI's
   * tools-install steps). The drive's own medium comes back at unmount.
   */
  MountToolsInstaller(_args: Args): void {
    if (this.powerState !== "poweredOn") throw new VimFault("InvalidPowerState", { requestedState: "poweredOn", existingState: this.powerState });
    if (this.toolsInstallerPrior) throw new VimFault("InvalidState", {}, "The VMware Tools installer is already mounted.");
    const cdrom = this.config.hardware.device.find((d) => kindOf(this.sim.schema, d._type) === "cdrom");
    if (!cdrom) throw new VimFault("VmConfigFault", {}, "The virtual machine has no CD-ROM drive to mount the VMware Tools installer on.");
    this.toolsInstallerPrior = { key: cdrom.key, backing: cdrom.backing };
    const iso: DataObject = { _type: "VirtualCdromIsoBackingInfo", fileName: `[] /usr/lib/vmware/isoimages/${toolsImageOf(String(this.config.guestId ?? ""))}.iso` };
    this.setCdrom(cdrom.key, iso, true);
  }

  UnmountToolsInstaller(_args: Args): void {
    if (!this.toolsInstallerPrior) throw new VimFault("InvalidState", {}, "The VMware Tools installer is not mounted.");
    this.unmountToolsInstaller();
  }

  private unmountToolsInstaller(): void {
    const prior = this.toolsInstallerPrior!;
    this.toolsInstallerPrior = undefined;
    this.setCdrom(prior.key, prior.backing as DataObject, false);
  }

  private setCdrom(key: number, backing: DataObject, mounted: boolean): void {
    const device = this.config.hardware.device.map((d) => (d.key === key ? { ...d, backing, connectable: d.connectable ? { ...d.connectable, connected: mounted || d.connectable.connected } : undefined } : d));
    this.applyConfig({ ...this.config, hardware: { ...this.config.hardware, device } });
    this.refresh({ runtime: { ...(this.props.runtime as DataObject), toolsInstallerMounted: mounted } });
  }

  private needTools(): never {
    throw new VimFault("ToolsUnavailable", {}, "Cannot complete operation because VMware Tools is not running in this virtual machine.");
  }

  /** Are the VM's tools running (a guest that answers ShutdownGuest)? */
  toolsRunning(): boolean {
    return !!this.sim.guests.of(this)?.os?.tools;
  }

  /** ShutdownGuest and its kin: the tools must run; the guest acts after the call returns. */
  private guestRequest(kind: "shutdown" | "reboot" | "standby"): void {
    if (this.powerState !== "poweredOn") throw new VimFault("InvalidPowerState", { requestedState: "poweredOn", existingState: this.powerState });
    const p = this.sim.guests.of(this);
    if (!p?.os?.tools) this.needTools();
    p.guestRequest(kind);
  }

  ShutdownGuest(_args: Args): void {
    this.guestRequest("shutdown");
  }

  RebootGuest(_args: Args): void {
    this.guestRequest("reboot");
  }

  StandbyGuest(_args: Args): void {
    this.guestRequest("standby");
  }

  // ---- snapshots ----

  CreateSnapshot_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "CreateSnapshot_Task", "VirtualMachine.createSnapshot", this.userName(ctx), () => {
      return this.withGuestDisks(() => this.snapshots.create(String(args.name), String(args.description ?? ""), !!args.memory, !!args.quiesce));
    }, { resultType: { type: "ManagedObjectReference" } });
  }

  /** CreateSnapshotEx_Task (6.5): CreateSnapshot_Task with a quiesce spec in place of the flag; a spec asks for quiescing, which needs running Tools as before. */
  CreateSnapshotEx_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "CreateSnapshotEx_Task", "VirtualMachine.createSnapshotEx", this.userName(ctx), () => {
      return this.withGuestDisks(() => this.snapshots.create(String(args.name), String(args.description ?? ""), !!args.memory, !!args.quiesceSpec));
    }, { resultType: { type: "ManagedObjectReference" } });
  }

  RevertToCurrentSnapshot_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "RevertToCurrentSnapshot_Task", "VirtualMachine.revertToCurrentSnapshot", this.userName(ctx), () => {
      if (!this.snapshots.current) throw new VimFault("NotFound", {}, "The virtual machine has no current snapshot.");
      const current = this.snapshots.current;
      this.withGuestDisks(() => this.snapshots.revert(current, !!args.suppressPowerOn, this.userName(ctx)));
    });
  }

  RemoveAllSnapshots_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "RemoveAllSnapshots_Task", "VirtualMachine.removeAllSnapshots", this.userName(ctx), () => this.withGuestDisks(() => this.snapshots.removeAll()));
  }

  PromoteDisks_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "PromoteDisks_Task", "VirtualMachine.promoteDisks", this.userName(ctx), () => promoteDisks(this.sim, this, !!args.unlink, args.disks));
  }

  /** ConsolidateVMDisks_Task: the deltas a RemoveSnapshot_Task with consolidate false left, folded into their parents. */
  ConsolidateVMDisks_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "ConsolidateVMDisks_Task", "VirtualMachine.consolidateDisks", this.userName(ctx), () => this.withGuestDisks(() => this.snapshots.consolidateRedundant()));
  }

  /** The free space consolidating would take, per datastore (nothing when nothing needs it). */
  EstimateStorageForConsolidateSnapshots_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "EstimateStorageForConsolidateSnapshots_Task", "VirtualMachine.estimateStorageRequirementForConsolidate", this.userName(ctx), () => {
      this.sim.guests.of(this)?.syncDisks();
      return this.snapshots.consolidationEstimate();
    }, { resultType: { type: "StorageRequirement", array: true } });
  }

  // ---- lifecycle ----

  CloneVM_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "CloneVM_Task", "VirtualMachine.clone", this.userName(ctx), () => {
      const folder = this.sim.inventory.get(args.folder.value);
      if (!folder || folder.type !== "Folder") throw new VimFault("ManagedObjectNotFound", { obj: args.folder });
      return this.withGuestDisks(() => cloneVm(this.sim, this, folder as Folder, String(args.name), args.spec ?? {}, this.userName(ctx)));
    }, { resultType: { type: "ManagedObjectReference" } });
  }

  /** InstantClone_Task (6.7): a running clone on the disks this VM leaves for fresh deltas (vm-instant-clone.ts). */
  InstantClone_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "InstantClone_Task", "VirtualMachine.instantClone", this.userName(ctx), () => {
      return this.withGuestDisks(() => instantClone(this.sim, this, args.spec ?? {}, this.userName(ctx)));
    }, { resultType: { type: "ManagedObjectReference" } });
  }

  RelocateVM_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "RelocateVM_Task", "VirtualMachine.relocate", this.userName(ctx), () => {
      relocateVm(this.sim, this, args.spec ?? {}, this.userName(ctx));
    });
  }

  /**
   * MigrateVM_Task, the older call for what RelocateVM_Task does with a pool
   * and a host alone (vMotion while on, a cold migration while off): a
   * `state` given is the power state the VM must be in (InvalidPowerState
   * otherwise); `priority` only orders real vMotions.
   */
  MigrateVM_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "MigrateVM_Task", "VirtualMachine.migrate", this.userName(ctx), () => {
      if (args.state && args.state !== this.powerState) throw new VimFault("InvalidPowerState", { requestedState: args.state, existingState: this.powerState });
      relocateVm(this.sim, this, { _type: "VirtualMachineRelocateSpec", pool: args.pool, host: args.host }, this.userName(ctx));
    });
  }

  /** An OVF export: a lease whose device URLs serve this VM's disks (ovf-export.ts). */
  ExportVm(_args: Args): ManagedObjectReference {
    return exportLease(this.sim, this, [this]);
  }

  MarkAsTemplate(_args: Args): void {
    if (this.powerState !== "poweredOff") throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: this.powerState });
    if (this.config.template) throw new VimFault("NotSupported", {});
    this.setTemplate(true);
  }

  MarkAsVirtualMachine(args: Args): void {
    if (!this.config.template) throw new VimFault("NotSupported", {});
    if (args.pool) this.props.resourcePool = args.pool;
    this.setTemplate(false);
  }

  private setTemplate(template: boolean): void {
    const config = { ...this.config, template };
    this.storage.persist(this, config);
    this.refresh({ config });
  }

  override Rename_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const newName = String(args.newName);
    return this.sim.tasks.run(this, "Rename_Task", "VirtualMachine.rename", this.userName(ctx), () => {
      const parent = this.parentObject();
      if (parent instanceof ManagedEntity && parent.children().some((r) => r.value !== this.ref.value && this.sim.inventory.get(r.value)?.get("name") === newName)) {
        throw new VimFault("DuplicateName", { name: newName, object: this.ref });
      }
      const old = this.name;
      this.reconfigure({ name: newName });
      this.event("VmRenamedEvent", `Renamed ${old} to ${newName} in ${this.datacenterArg()?.name ?? ""}`, this.userName(ctx), { oldName: old, newName });
    });
  }

  UnregisterVM(_args: Args, ctx: CallContext): void {
    this.unregister(this.userName(ctx));
  }

  /** Leave the inventory, files kept (UnregisterVM, a vApp's unregisterVApp_Task). */
  unregister(userName: string): void {
    if (this.powerState !== "poweredOff") throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: this.powerState });
    this.event("VmRemovedEvent", `Removed ${this.name} on ${this.hostName()} from ${this.datacenterArg()?.name ?? ""}`, userName);
    this.detach();
  }

  AttachDisk_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return attachDisk(this, args, this.userName(ctx));
  }

  DetachDisk_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return detachDisk(this, args, this.userName(ctx));
  }

  override Destroy_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "Destroy_Task", "VirtualMachine.destroy", this.userName(ctx), () => this.destroyWithFiles(this.userName(ctx)));
  }

  /** Leave the inventory and the datastore (Destroy_Task, a destroyed vApp's VMs); first-class disks stay. */
  destroyWithFiles(userName: string): void {
    if (this.powerState !== "poweredOff") throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: this.powerState });
    const fcds = firstClassDisksOnDestroy(this);
    this.storage.deleteFiles(this, fcds.keep);
    fcds.forget();
    for (const snap of this.snapshots.all()) this.sim.inventory.remove(snap);
    this.event("VmRemovedEvent", `Removed ${this.name} on ${this.hostName()} from ${this.datacenterArg()?.name ?? ""}`, userName);
    this.detach();
  }

  /** Leave the inventory: folder, pool, host, datastores and networks forget the VM. */
  detach(): void {
    this.leave();
    super.destroy();
  }

  /** Leave the lists of pool, host, datastores and networks: before removal, or a move (attach() joins the new ones). */
  leave(): void {
    this.unlistFrom(this.props.resourcePool as ManagedObjectReference);
    this.unlistFrom(this.host);
    for (const d of (this.props.datastore as ManagedObjectReference[]) ?? []) this.unlistFrom(d);
    for (const n of (this.props.network as ManagedObjectReference[]) ?? []) this.unlistFrom(n);
  }

  /** The object `ref` names (pool, host, datastore, network) stops listing this VM in its `vm`. */
  private unlistFrom(ref: ManagedObjectReference | undefined): void {
    const o = ref ? this.sim.inventory.get(ref.value) : undefined;
    const list = (o?.props.vm as ManagedObjectReference[] | undefined) ?? [];
    if (o && list.some((r) => r.value === this.ref.value)) o.update({ vm: list.filter((r) => r.value !== this.ref.value) });
  }

  /** The object `ref` names lists this VM in its `vm`. */
  private listIn(ref: ManagedObjectReference | undefined): void {
    const o = ref ? this.sim.inventory.get(ref.value) : undefined;
    const list = (o?.props.vm as ManagedObjectReference[] | undefined) ?? [];
    if (o && !list.some((r) => r.value === this.ref.value)) o.update({ vm: [...list, this.ref] });
  }

  /** Join pool, host, datastores and networks after creation or registration. */
  attach(): void {
    // the VM's environment is its compute resource's (govmomi's QueryConfigTarget reads it here)
    const computeResource = this.sim.inventory.get(this.host.value)?.props.parent as ManagedObjectReference | undefined;
    const env = computeResource ? this.sim.inventory.get(computeResource.value)?.props.environmentBrowser : undefined;
    if (env !== this.props.environmentBrowser) this.update({ environmentBrowser: env });
    this.listIn(this.props.resourcePool as ManagedObjectReference);
    this.listIn(this.host);
    for (const d of (this.props.datastore as ManagedObjectReference[]) ?? []) this.listIn(d);
    for (const n of (this.props.network as ManagedObjectReference[]) ?? []) this.listIn(n);
  }

  /**
   * Reload: hostd reads the .vmx again, so a hand edit (a support engineer's
   * fix to a customer's file) shows in the API: devices, guestinfo, name,
   * everything in it. A running VM's VMX holds its configuration, so a
   * powered-on VM keeps what it has (unconfirmed: hostd may merge some keys).
   */
  override Reload(_args: Args, _ctx: CallContext): void {
    if (this.powerState !== "poweredOff") return;
    this.reloadConfig(this.config.files.vmPathName);
  }

  /**
   * reloadVirtualMachineFromPath_Task: the same VM (moref, inventory place,
   * permissions) from another .vmx, and its snapshots from the .vmsd beside
   * it. Powered off only; a .vmx another VM has registered is AlreadyExists.
   */
  reloadVirtualMachineFromPath_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const path = String(args.configurationPath ?? "");
    return this.sim.tasks.run(this, "reloadVirtualMachineFromPath_Task", "VirtualMachine.reloadFromPath", this.userName(ctx), () => {
      if (this.powerState !== "poweredOff") throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: this.powerState });
      checkVmxPath(this.sim, path, this);
      this.reloadConfig(path);
      this.snapshots.reread();
      this.event("VmReloadFromPathEvent", `Virtual machine ${this.name} on ${this.hostName()} reloaded from new configuration ${path}.`, this.userName(ctx), { configPath: path });
    });
  }

  /** The configuration the .vmx at `path` holds, in place of this VM's; what the simulator keeps outside it (managedBy, vApp options: their .vmx keys are not known) stays. */
  private reloadConfig(path: string): void {
    let read: ReturnType<VmStorage["readVmConfig"]>;
    try {
      read = this.storage.readVmConfig(path, this.ref.value, this);
    } catch (e) {
      if (e instanceof VimFault && e.type === "NotFound") throw new VimFault("FileNotFound", { file: path }, `File ${path} was not found`);
      throw e;
    }
    const { config, vmx } = read;
    config.managedBy = this.config.managedBy;
    config.vAppConfig = this.config.vAppConfig;
    config.hardware = { ...config.hardware, device: bindDvPorts(this.sim, this.ref, config.hardware.device, false) };
    this.vmx = vmx;
    // refresh() moves the VM between the datastores' and networks' lists
    this.refresh({ config, name: config.name });
  }

  RefreshStorageInfo(_args: Args): void {
    this.refresh();
  }
}

export function mergeExtraConfig(current: ConfigInfo["extraConfig"], changes: (DataObject & { key: string; value?: unknown })[]): ConfigInfo["extraConfig"] {
  const out = [...(current ?? [])];
  for (const ch of changes) {
    const i = out.findIndex((o) => o.key === ch.key);
    // an empty value removes the key, as hostd does
    const empty = ch.value === undefined || ch.value === null || ch.value === "";
    if (empty) {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = { _type: "OptionValue", key: ch.key, value: ch.value };
    else out.push({ _type: "OptionValue", key: ch.key, value: ch.value });
  }
  return out;
}

function diskChain(d: Device): string[] {
  const out: string[] = [];
  for (let b: Record<string, any> | undefined = d.backing; b; b = b.parent) if (b.fileName) out.unshift(b.fileName);
  return out;
}

/** What a VM of this simulator can do: also the capabilities of every EnvironmentBrowser config option. */
export function vmCapability(): DataObject {
  const yes = ["snapshotOperationsSupported", "multipleSnapshotsSupported", "snapshotConfigSupported", "poweredOffSnapshotsSupported", "memorySnapshotsSupported", "revertToSnapshotSupported", "quiescedSnapshotsSupported", "consolePreferencesSupported", "cpuFeatureMaskSupported", "s1AcpiManagementSupported", "settingScreenResolutionSupported", "toolsAutoUpdateSupported", "vmNpivWwnSupported", "npivWwnOnNonRdmVmSupported", "swapPlacementSupported", "toolsSyncTimeSupported", "virtualMmuUsageSupported", "diskSharesSupported", "bootOptionsSupported", "bootRetryOptionsSupported", "settingVideoRamSizeSupported", "settingDisplayTopologySupported", "recordReplaySupported", "changeTrackingSupported", "multipleCoresPerSocketSupported", "hostBasedReplicationSupported", "guestAutoLockSupported", "memoryReservationLockSupported", "featureRequirementSupported", "poweredOnMonitorTypeChangeSupported", "seSparseDiskSupported", "nestedHVSupported", "vPMCSupported"];
  const out: DataObject = { _type: "VirtualMachineCapability", disableSnapshotsSupported: false, lockSnapshotsSupported: false };
  for (const k of yes) out[k] = true;
  return out;
}

/** The host's tools image for a guest OS identifier (windows9_64Guest, rhel7_64Guest, darwin15_64Guest, ...). */
function toolsImageOf(guestId: string): string {
  const id = guestId.toLowerCase();
  if (id.startsWith("win")) return "windows";
  if (id.startsWith("darwin")) return "darwin";
  if (id.startsWith("solaris")) return "solaris";
  if (id.startsWith("freebsd")) return "freebsd";
  if (id.startsWith("netware")) return "netware";
  return "linux";
}
