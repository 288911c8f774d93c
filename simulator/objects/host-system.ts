// HostSystem: hardware, config (network, firewall, product), runtime and
// summary, built from the scenario's host spec the way hostd reports them.
import type { DataObject, ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import { Network, unlinkNetwork } from "./network.ts";
import type { SimContext } from "../sim-context.ts";
import type { HostSpec } from "../inventory/scenario.ts";
import { VimFault } from "../../vim25/soap/index.ts";
import type { Args, CallContext, ManagedObject } from "./managed-object.ts";
import { checkPowerOp, checkStandby, memoryOverhead, overheadOfConfig, requireReachable, runtimeOf, setHostState, stopRunningVms, vmsOf } from "./host-power.ts";
import type { SavedState } from "./managed-object.ts";
import { applySystemResources, checkIpmi, checkSwapConfiguration, connectInfo, defaultSwapConfiguration, defaultSystemResources } from "./host-settings.ts";
import { parseDatastorePath } from "../datastore/datastore-path.ts";

/** ESXi 6.5 brought VM encryption (HostRuntimeInfo.cryptoState, the crypto methods). */
function cryptoCapable(version: unknown): boolean {
  const [major, minor] = String(version ?? "").split(".").map(Number);
  return major > 6 || (major === 6 && minor >= 5);
}

export function firewallInfo(spec: HostSpec["firewall"]): DataObject {
  return {
    _type: "HostFirewallInfo",
    defaultPolicy: { _type: "HostFirewallDefaultPolicy", incomingBlocked: spec.enabled, outgoingBlocked: spec.enabled },
    ruleset: spec.rulesets.map((r) => ({
      _type: "HostFirewallRuleset",
      key: r.key,
      label: r.label,
      required: r.required,
      rule: r.rules.map((x) => ({ _type: "HostFirewallRule", port: x.port, endPort: x.endPort, direction: x.direction, portType: x.portType, protocol: x.protocol })),
      enabled: r.enabled,
      allowedHosts: { _type: "HostFirewallRulesetIpList", ipAddress: [], ipNetwork: [], allIp: r.allowedAll },
    })),
  };
}

export function networkInfo(spec: HostSpec, mac: (n: string) => string): DataObject {
  const uplinks = [...new Set(spec.vswitches.flatMap((v) => v.uplinks))];
  return {
    _type: "HostNetworkInfo",
    vswitch: spec.vswitches.map((v) => ({
      _type: "HostVirtualSwitch",
      name: v.name,
      key: `key-vim.host.VirtualSwitch-${v.name}`,
      numPorts: 1536,
      numPortsAvailable: 1530,
      mtu: 1500,
      portgroup: v.portgroups.map((p) => `key-vim.host.PortGroup-${p.name}`),
      pnic: v.uplinks.map((u) => `key-vim.host.PhysicalNic-${u}`),
      spec: {
        _type: "HostVirtualSwitchSpec",
        numPorts: 128,
        bridge: v.uplinks.length ? { _type: "HostVirtualSwitchBondBridge", nicDevice: v.uplinks } : undefined,
        mtu: 1500,
      },
    })),
    portgroup: spec.vswitches.flatMap((v) => v.portgroups.map((p) => ({
      _type: "HostPortGroup",
      key: `key-vim.host.PortGroup-${p.name}`,
      port: [],
      vswitch: `key-vim.host.VirtualSwitch-${v.name}`,
      computedPolicy: { _type: "HostNetworkPolicy" },
      spec: { _type: "HostPortGroupSpec", name: p.name, vlanId: p.vlan, vswitchName: v.name, policy: { _type: "HostNetworkPolicy" } },
    }))),
    pnic: uplinks.map((u, i) => ({
      _type: "PhysicalNic",
      key: `key-vim.host.PhysicalNic-${u}`,
      device: u,
      pci: `0000:0${2 + i}:00.0`,
      driver: "ixgbe",
      linkSpeed: { _type: "PhysicalNicLinkInfo", speedMb: 10000, duplex: true },
      // what hostd lists for an ixgbe 10GBASE-T port: the speeds UpdatePhysicalNicLinkSpeed accepts
      validLinkSpecification: [{ _type: "PhysicalNicLinkInfo", speedMb: 1000, duplex: true }, { _type: "PhysicalNicLinkInfo", speedMb: 10000, duplex: true }],
      spec: { _type: "PhysicalNicSpec", linkSpeed: { _type: "PhysicalNicLinkInfo", speedMb: 10000, duplex: true } },
      wakeOnLanSupported: false,
      mac: mac(`${spec.name}/${u}`),
    })),
    vnic: [{
      _type: "HostVirtualNic",
      device: "vmk0",
      key: "key-vim.host.VirtualNic-vmk0",
      portgroup: "Management Network",
      spec: {
        _type: "HostVirtualNicSpec",
        ip: { _type: "HostIpConfig", dhcp: false, ipAddress: spec.managementIp, subnetMask: "255.255.255.0" },
        mac: mac(`${spec.name}/vmk0`),
        mtu: 1500,
        tsoEnabled: true,
      },
      port: "key-vim.host.PortGroup.Port-33554436",
    }],
    ipRouteConfig: { _type: "HostIpRouteConfig", defaultGateway: spec.managementIp.replace(/\.\d+$/, ".1") },
    atBootIpV6Enabled: false,
    ipV6Enabled: false,
  };
}

/** The address of a host's vmk0, as its scenario gave it or the simulator assigned it. */
export function managementIpOf(h: ManagedEntity): string {
  const vnic = (((h.props.config as DataObject | undefined)?.network as DataObject | undefined)?.vnic as DataObject[] | undefined)?.[0];
  return String(((vnic?.spec as DataObject | undefined)?.ip as DataObject | undefined)?.ipAddress ?? "");
}

/**
 * The SHA-1 thumbprint of a simulated host's own certificate (the one its
 * hostd would present on port 443): what vCenter lists in
 * summary.config.sslThumbprint and what HostConnectSpec.sslThumbprint must
 * name to add the host. Seeded, so a scenario's hosts keep theirs.
 */
export function hostThumbprint(sim: SimContext, name: string): string {
  return sim.ids.hex("host-thumbprint", name, 40).toUpperCase().match(/../g)!.join(":");
}

/**
 * What vpxd checks of a HostConnectSpec before a host joins
 * (AddStandaloneHost_Task, AddHost_Task), in its order: the host must
 * answer (NoHost), its certificate must be the one named (SSLVerifyFault
 * carries the real thumbprint: pyVmomi scripts and govc's host.add -noverify
 * read it from the fault and try again), the login must succeed, and the
 * host must not be in this vCenter already (AlreadyConnected). The simulated
 * host has no accounts of its own: any user name with a password logs in.
 */
export function checkHostConnectSpec(sim: SimContext, spec: DataObject & Record<string, any> | undefined): string {
  const name = String(spec?.hostName ?? "").trim();
  if (!name) throw new VimFault("NoHost", { name }, "Cannot contact the specified host.");
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(name) || name.length > 253) throw new VimFault("NoHost", { name }, `Cannot contact the specified host (${name}). The host may not be available on the network, a network configuration problem may exist, or the management services on this host may not be responding.`);
  const thumbprint = hostThumbprint(sim, name);
  if (String(spec?.sslThumbprint ?? "").toUpperCase() !== thumbprint) {
    throw new VimFault("SSLVerifyFault", { selfSigned: true, thumbprint }, "Authenticity of the host's SSL certificate is not verified.");
  }
  if (!spec?.userName || spec.password === undefined || spec.password === null) throw new VimFault("InvalidLogin", {}, "Cannot complete login due to an incorrect user name or password.");
  const existing = sim.inventory.ofType("HostSystem").find((h) => h.get("name") === name);
  if (existing) throw new VimFault("AlreadyConnected", { name }, `The host ${name} is already managed by this vCenter Server.`);
  return name;
}

export class HostSystem extends ManagedEntity {
  constructor(sim: SimContext, value: string, spec: HostSpec, parent: ManagedObjectReference, about: DataObject, configManager: Record<string, ManagedObjectReference | undefined>) {
    super(sim, "HostSystem", value, spec.name, parent);
    const uuid = sim.ids.uuid("host", spec.name);
    const bootTime = sim.clock.now();
    const hardwareSummary = {
      _type: "HostHardwareSummary",
      vendor: "VMware, Inc.",
      model: "VMware Virtual Platform",
      uuid,
      otherIdentifyingInfo: [],
      memorySize: spec.memoryBytes,
      cpuModel: spec.cpu.model,
      cpuMhz: spec.cpu.mhz,
      numCpuPkgs: spec.cpu.packages,
      numCpuCores: spec.cpu.cores,
      numCpuThreads: spec.cpu.threads,
      numNics: new Set(spec.vswitches.flatMap((v) => v.uplinks)).size,
      numHBAs: 2,
    };
    const runtime = {
      _type: "HostRuntimeInfo",
      connectionState: "connected",
      powerState: "poweredOn",
      standbyMode: "none",
      inMaintenanceMode: false,
      inQuarantineMode: false,
      bootTime,
      healthSystemRuntime: undefined,
      dasHostState: undefined,
      // a host that can encrypt starts without a host key (PrepareCrypto, EnableCrypto)
      cryptoState: cryptoCapable(about.version) ? "incapable" : undefined,
    };
    const network = networkInfo(spec, (n) => sim.ids.mac(n));
    Object.assign(this.props, {
      vm: [],
      datastore: [],
      network: [],
      datastoreBrowser: configManager.datastoreBrowser,
      configManager: { _type: "HostConfigManager", ...Object.fromEntries(Object.entries(configManager).filter(([k]) => k !== "datastoreBrowser")) },
      runtime,
      hardware: {
        _type: "HostHardwareInfo",
        systemInfo: { _type: "HostSystemInfo", vendor: "VMware, Inc.", model: "VMware Virtual Platform", uuid, otherIdentifyingInfo: [] },
        cpuInfo: { _type: "HostCpuInfo", numCpuPackages: spec.cpu.packages, numCpuCores: spec.cpu.cores, numCpuThreads: spec.cpu.threads, hz: spec.cpu.mhz * 1_000_000 },
        cpuPkg: Array.from({ length: spec.cpu.packages }, (_, i) => ({
          _type: "HostCpuPackage", index: i, vendor: "intel", hz: spec.cpu.mhz * 1_000_000, busHz: 100_000_000,
          description: spec.cpu.model, threadId: Array.from({ length: spec.cpu.threads / spec.cpu.packages }, (_, t) => i * (spec.cpu.threads / spec.cpu.packages) + t),
        })),
        memorySize: spec.memoryBytes,
        biosInfo: { _type: "HostBIOSInfo", biosVersion: "6.00", releaseDate: new Date("2015-09-21T00:00:00Z") },
        cpuFeature: [],
        cpuPowerManagementInfo: { _type: "HostCpuPowerManagementInfo", currentPolicy: "Balanced", hardwareSupport: "ACPI P-states" },
      },
      capability: {
        _type: "HostCapability",
        recursiveResourcePoolsSupported: true, cpuMemoryResourceConfigurationSupported: true, rebootSupported: true, shutdownSupported: true,
        vmotionSupported: true, standbySupported: sim.isVCenter, ipmiSupported: sim.isVCenter, maxSupportedVMs: 1024, maxRunningVMs: 1024,
        maxSupportedVcpus: 128, maxRegisteredVMs: 1024, datastorePrincipalSupported: false, sanSupported: true, nfsSupported: true,
        iscsiSupported: true, vlanTaggingSupported: true, nicTeamingSupported: true, highGuestMemSupported: true,
        maintenanceModeSupported: true, suspendedRelocateSupported: true, restrictedSnapshotRelocateSupported: true,
        perVmSwapFiles: true, localSwapDatastoreSupported: true, unsharedSwapVMotionSupported: true, backgroundSnapshotsSupported: false,
        preAssignedPCIUnitNumbersSupported: true, screenshotSupported: true, scaledScreenshotSupported: true,
        storageVMotionSupported: true, vmotionWithStorageVMotionSupported: true, hbrNicSelectionSupported: true,
        recordReplaySupported: false, ftSupported: false, loginBySSLThumbprintSupported: true, cloneFromSnapshotSupported: true,
        deltaDiskBackingsSupported: true, perVMNetworkTrafficShapingSupported: false, tpmSupported: false, virtualExecUsageSupported: true,
        storageIORMSupported: true, vmDirectPathGen2Supported: false, vStorageCapable: true, snapshotRelayoutSupported: true,
        firewallIpRulesSupported: true, servicePackageInfoSupported: true, provisioningNicSelectionSupported: true,
        cpuHwMmuSupported: true, supportedVmfsMajorVersion: [5], vmfsDatastoreMountCapable: true,
        cryptoSupported: cryptoCapable(about.version) ? true : undefined,
      },
      config: {
        _type: "HostConfigInfo",
        host: this.ref,
        product: about,
        hyperThread: { _type: "HostHyperThreadScheduleInfo", available: spec.cpu.threads > spec.cpu.cores, active: spec.cpu.threads > spec.cpu.cores, config: true },
        network,
        firewall: firewallInfo(spec.firewall),
        flags: { _type: "HostFlagInfo", backgroundSnapshotsEnabled: false },
        adminDisabled: false,
        lockdownMode: "lockdownDisabled",
        datastorePrincipal: "root",
        // service, dateTimeInfo, storageDevice, multipathState, fileSystemVolume and
        // virtualNicManagerInfo: the configManager objects built with the host set them
        option: [],
        certificate: undefined,
        systemResources: defaultSystemResources(),
        systemSwapConfiguration: defaultSwapConfiguration(),
      },
      summary: {
        _type: "HostListSummary",
        host: this.ref,
        hardware: hardwareSummary,
        runtime,
        config: { _type: "HostConfigSummary", name: spec.name, port: 443, sslThumbprint: sim.isVCenter ? hostThumbprint(sim, spec.name) : undefined, product: about, vmotionEnabled: false, faultToleranceEnabled: false },
        quickStats: { _type: "HostListSummaryQuickStats", overallCpuUsage: 0, overallMemoryUsage: 0, distributedCpuFairness: 0, distributedMemoryFairness: 0, uptime: 0 },
        overallStatus: "green",
        rebootRequired: false,
        managementServerIp: sim.isVCenter ? "127.0.0.1" : undefined,
      },
      licensableResource: { _type: "HostLicensableResourceInfo", resource: [{ _type: "KeyAnyValue", key: "numCpuPackages", value: spec.cpu.packages }] },
      systemResources: defaultSystemResources(),
    });
    this.productLocker = `/locker/packages/${String(about.version)}`;
  }

  /** The VMware Tools repository (QueryProductLockerLocation): no property shows it, so it is kept beside the properties. */
  private productLocker: string;

  override saveState(): SavedState & { productLocker: string } {
    return { ...super.saveState(), productLocker: this.productLocker };
  }

  override loadState(s: SavedState & { productLocker: string }): void {
    super.loadState(s);
    this.productLocker = s.productLocker;
  }

  addNetwork(n: ManagedObjectReference): void {
    this.update({ network: [...(this.props.network as ManagedObjectReference[]), n] });
  }

  private connection(state: "connected" | "disconnected"): void {
    this.update({ "runtime.connectionState": state, "summary.runtime.connectionState": state });
    for (const r of (this.props.vm as ManagedObjectReference[]) ?? []) {
      (this.sim.inventory.get(r.value) as (ManagedObject & { setConnectionState(s: string): void }) | undefined)?.setConnectionState(state);
    }
  }

  postHostEvent(type: string, message: string, userName: string, extra: Record<string, unknown> = {}): void {
    const cr = this.parentObject() as ManagedEntity;
    const dc = datacenterOf(this);
    this.sim.events.post(type, message.replace("%dc", dc?.name ?? ""), userName, { ...(dc ? { datacenter: { name: dc.name, ref: dc.ref } } : {}), computeResource: { name: cr.name, ref: cr.ref }, host: { name: this.name, ref: this.ref } }, extra);
  }

  /**
   * A host that AddStandaloneHost_Task or AddHost_Task brought in: connected
   * (HostAddedEvent, then HostConnectedEvent, as vpxd logs them) or, when the
   * caller asked for it, disconnected.
   */
  joined(connected: boolean, userName: string): void {
    this.postHostEvent("HostAddedEvent", `Added host ${this.name} to datacenter %dc`, userName);
    if (connected) this.postHostEvent("HostConnectedEvent", `Connected to ${this.name} in %dc`, userName);
    else this.connection("disconnected");
  }

  /**
   * vCenter lets go of the host: it and its VMs read disconnected (the VMs
   * keep running on it, out of vCenter's reach: their tasks answer
   * HostNotConnected) until ReconnectHost_Task. hostd has no such method.
   */
  DisconnectHost_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "DisconnectHost_Task", "HostSystem.disconnect", user, () => {
      if (!this.sim.isVCenter) throw new VimFault("NotSupported", {});
      if ((this.props.runtime as { connectionState: string }).connectionState === "disconnected") throw new VimFault("InvalidState", {}, "The host is already disconnected.");
      this.connection("disconnected");
      this.postHostEvent("HostDisconnectedEvent", `Disconnected from ${this.name} in %dc. Reason: The host was disconnected by user request.`, user, { reason: "userRequest" });
    });
  }

  ReconnectHost_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "ReconnectHost_Task", "HostSystem.reconnect", user, () => {
      if (!this.sim.isVCenter) throw new VimFault("NotSupported", {});
      this.connection("connected");
      this.postHostEvent("HostConnectedEvent", `Connected to ${this.name} in %dc`, user);
    });
  }

  EnterMaintenanceMode_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "EnterMaintenanceMode_Task", "HostSystem.enterMaintenanceMode", ctx.session?.userName ?? "", () => {
      if ((this.props.runtime as { inMaintenanceMode: boolean }).inMaintenanceMode) throw new VimFault("InvalidState", {});
      const running = ((this.props.vm as ManagedObjectReference[]) ?? []).some((r) => (this.sim.inventory.get(r.value)?.props.runtime as { powerState?: string } | undefined)?.powerState === "poweredOn");
      if (running && !args.evacuatePoweredOffVms) throw new VimFault("InvalidState", {}, "The host has powered-on virtual machines.");
      this.update({ "runtime.inMaintenanceMode": true, "summary.runtime.inMaintenanceMode": true });
    });
  }

  ExitMaintenanceMode_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "ExitMaintenanceMode_Task", "HostSystem.exitMaintenanceMode", ctx.session?.userName ?? "", () => {
      if (!(this.props.runtime as { inMaintenanceMode: boolean }).inMaintenanceMode) throw new VimFault("InvalidState", {});
      this.update({ "runtime.inMaintenanceMode": false, "summary.runtime.inMaintenanceMode": false });
    });
  }

  /**
   * A shut-down host answers nothing: its tasks end in HostNotConnected
   * (vCenter's answer for a host it cannot reach), except those vCenter
   * runs without the host (disconnect, remove).
   */
  override checkTask(method: string): void {
    const power = runtimeOf(this).powerState;
    if (power === "standBy" && method === "PowerUpHostFromStandBy_Task") return;
    if ((power === "poweredOff" || power === "standBy") && method !== "DisconnectHost_Task" && method !== "Destroy_Task") requireReachable(this);
  }

  /** See host-power.ts: the reboot completes at once, with a new bootTime. */
  RebootHost_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "RebootHost_Task", "HostSystem.reboot", user, () => {
      checkPowerOp(this, "reboot", !!args.force);
      stopRunningVms(this, user);
      // the reason vpxd writes is not confirmed; HostShutdownEvent is the type a reboot logs
      this.postHostEvent("HostShutdownEvent", `Shut down of ${this.name} in %dc: reboot requested`, user, { reason: "reboot requested" });
      // what vCenter shows while the host is down; hostd has no one to tell
      if (this.sim.isVCenter) setHostState(this, { connectionState: "notResponding", powerState: "unknown" });
      setHostState(this, { connectionState: "connected", powerState: "poweredOn", bootTime: this.sim.clock.now() });
      if (this.sim.isVCenter) this.postHostEvent("HostConnectedEvent", `Connected to ${this.name} in %dc`, user);
    });
  }

  /** See host-power.ts: the host stays off until a reset or a snapshot restore. */
  ShutdownHost_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "ShutdownHost_Task", "HostSystem.shutdown", user, () => {
      checkPowerOp(this, "shutdown", !!args.force);
      stopRunningVms(this, user);
      this.postHostEvent("HostShutdownEvent", `Shut down of ${this.name} in %dc: shutdown requested`, user, { reason: "shutdown requested" });
      setHostState(this, { connectionState: "notResponding", powerState: "poweredOff" });
      for (const vm of vmsOf(this)) vm.setConnectionState("disconnected");
      if (this.sim.isVCenter) this.postHostEvent("HostConnectionLostEvent", `Host ${this.name} in %dc is not responding`, user);
    });
  }

  /** Seconds since the host booted, by the simulator's clock (not its own, which HostDateTimeSystem may set). */
  RetrieveHardwareUptime(_args: Args): number {
    requireReachable(this);
    const boot = runtimeOf(this).bootTime;
    return Math.max(0, Math.floor((this.sim.clock.now().getTime() - (boot ? new Date(boot).getTime() : 0)) / 1000));
  }

  /**
   * Overhead of a VM of that size, in bytes (host-power.ts has the formula).
   * The faults for sizes no VM can have are our choice, unconfirmed.
   */
  QueryMemoryOverhead(args: Args): number {
    requireReachable(this);
    const memorySize = Number(args.memorySize), numVcpus = Number(args.numVcpus), videoRamSize = Number(args.videoRamSize ?? 0);
    if (!(memorySize > 0)) throw new VimFault("InvalidArgument", { invalidProperty: "memorySize" });
    if (!(numVcpus > 0)) throw new VimFault("InvalidArgument", { invalidProperty: "numVcpus" });
    if (videoRamSize < 0) throw new VimFault("InvalidArgument", { invalidProperty: "videoRamSize" });
    return memoryOverhead(memorySize, videoRamSize, numVcpus);
  }

  QueryMemoryOverheadEx(args: Args): number {
    requireReachable(this);
    return overheadOfConfig(args.vmConfigInfo);
  }

  /** config.flags takes the flags set in flagInfo; unset ones keep their value. */
  UpdateFlags(args: Args): void {
    requireReachable(this);
    const flags = { ...((this.props.config as DataObject).flags as DataObject) };
    for (const [k, v] of Object.entries((args.flagInfo as Record<string, unknown> | undefined) ?? {})) if (k !== "_type" && v !== undefined && v !== null) flags[k] = v;
    this.update({ "config.flags": flags });
  }

  /**
   * vCenter takes the host's root access away (config.adminDisabled, and
   * config.lockdownMode lockdownNormal as 6.0 reports it). The API reference
   * gives the method to vCenter only: hostd answers NotSupported. Entering
   * twice is AdminDisabled, leaving when not in it AdminNotDisabled.
   */
  EnterLockdownMode(_args: Args, ctx: CallContext): void {
    if (!this.sim.isVCenter) throw new VimFault("NotSupported", {});
    requireReachable(this);
    if ((this.props.config as { adminDisabled?: boolean }).adminDisabled) throw new VimFault("AdminDisabled", {}, `Administrator access to the host ${this.name} is already disabled.`);
    this.update({ "config.adminDisabled": true, "config.lockdownMode": "lockdownNormal" });
    this.postHostEvent("HostAdminDisableEvent", `Administrator access to the host ${this.name} is disabled`, ctx.session?.userName ?? "");
  }

  ExitLockdownMode(_args: Args, ctx: CallContext): void {
    if (!this.sim.isVCenter) throw new VimFault("NotSupported", {});
    requireReachable(this);
    if (!(this.props.config as { adminDisabled?: boolean }).adminDisabled) throw new VimFault("AdminNotDisabled", {}, `Administrator access to the host ${this.name} is not disabled.`);
    this.update({ "config.adminDisabled": false, "config.lockdownMode": "lockdownDisabled" });
    this.postHostEvent("HostAdminEnableEvent", `Administrator access to the host ${this.name} has been restored`, ctx.session?.userName ?? "");
  }

  // ---- standby (host-power.ts) ----

  PowerDownHostToStandBy_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "PowerDownHostToStandBy_Task", "HostSystem.powerDownHostToStandBy", user, () => {
      checkStandby(this, this.sim.isVCenter);
      this.postHostEvent("EnteringStandbyModeEvent", `The host ${this.name} is entering standby mode`, user);
      setHostState(this, { powerState: "standBy", standbyMode: "in" });
      this.postHostEvent("EnteredStandbyModeEvent", `The host ${this.name} is in standby mode`, user);
    });
  }

  /** Only a host in standby wakes (InvalidState otherwise); it boots, still in maintenance mode. */
  PowerUpHostFromStandBy_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "PowerUpHostFromStandBy_Task", "HostSystem.powerUpHostFromStandBy", user, () => {
      if (!this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
      if (runtimeOf(this).powerState !== "standBy") throw new VimFault("InvalidState", {}, `The host ${this.name} is not in standby mode.`);
      this.postHostEvent("ExitingStandbyModeEvent", `The host ${this.name} is exiting standby mode`, user);
      setHostState(this, { powerState: "poweredOn", standbyMode: "none", bootTime: this.sim.clock.now() });
      this.postHostEvent("ExitedStandbyModeEvent", `The host ${this.name} is no longer in standby mode`, user);
    });
  }

  /** What vCenter would learn connecting to the host now (see host-settings.ts). */
  QueryHostConnectionInfo(_args: Args): DataObject {
    requireReachable(this);
    const summaries = (prop: string, of: string) => ((this.props[prop] as ManagedObjectReference[] | undefined) ?? [])
      .map((r) => this.sim.inventory.get(r.value)?.props[of] as DataObject | undefined).filter((x): x is DataObject => !!x);
    const cr = this.parentObject();
    return connectInfo({
      serverIp: managementIpOf(this),
      summary: this.props.summary as DataObject,
      vms: summaries("vm", "summary"),
      networks: summaries("network", "summary"),
      datastores: summaries("datastore", "summary"),
      capability: this.props.capability as DataObject,
      inDasCluster: cr?.type === "ClusterComputeResource" && !!(cr.props.configurationEx as { dasConfig?: { enabled?: boolean } }).dasConfig?.enabled,
    });
  }

  /** The host's system resource pools (host-settings.ts); systemResources and config.systemResources show the same tree. */
  UpdateSystemResources(args: Args): void {
    requireReachable(this);
    const tree = applySystemResources(this.props.systemResources as DataObject & Record<string, any>, args.resourceInfo);
    this.update({ systemResources: tree, "config.systemResources": tree });
  }

  UpdateSystemSwapConfiguration(args: Args): void {
    requireReachable(this);
    this.update({ "config.systemSwapConfiguration": checkSwapConfiguration(this, args.sysSwapConfig) });
  }

  /**
   * vCenter reconfigures the host's HA agent (FDM): the host must be in an
   * HA cluster of this vCenter (DasConfigFault otherwise, reason our
   * choice) and reachable. Its runtime.dasHostState then reads as FDM
   * reports it: the cluster's first connected host out of maintenance mode
   * is the master, the others are connected to it (FDM elects its master
   * itself; which host wins is not something a client can predict, ours is).
   */
  ReconfigureHostForDAS_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "ReconfigureHostForDAS_Task", "HostSystem.reconfigureDAS", user, () => {
      if (!this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
      requireReachable(this);
      const cr = this.parentObject();
      if (cr?.type !== "ClusterComputeResource" || !(cr.props.configurationEx as { dasConfig?: { enabled?: boolean } }).dasConfig?.enabled) {
        throw new VimFault("DasConfigFault", { reason: "HostNetworkMisconfiguration", output: "", event: [] }, `vSphere HA is not enabled on the cluster of ${this.name}.`);
      }
      this.postHostEvent("HostDasEnablingEvent", `Enabling vSphere HA agent on ${this.name} in cluster ${String(cr.props.name)} in %dc`, user);
      const master = ((cr.props.host as ManagedObjectReference[]) ?? []).map((r) => this.sim.inventory.get(r.value)!).find((h) => (h.props.runtime as { connectionState: string; inMaintenanceMode: boolean }).connectionState === "connected" && !(h.props.runtime as { inMaintenanceMode: boolean }).inMaintenanceMode) ?? this;
      const state = master === this ? "master" : "connectedToMaster";
      setHostState(this, { dasHostState: { _type: "ClusterDasFdmHostState", state, stateReporter: master.ref } });
      this.postHostEvent("HostDasEnabledEvent", `vSphere HA agent on ${this.name} in cluster ${String(cr.props.name)} in %dc is enabled`, user);
    });
  }

  /** Where the host keeps the VMware Tools images (a datastore folder once UpdateProductLockerLocation_Task moved it). */
  QueryProductLockerLocation(_args: Args): string {
    requireReachable(this);
    return this.productLocker;
  }

  /**
   * The repository moves to a folder of one of the host's datastores:
   * "/vmfs/volumes/<datastore name or UUID>/<folder>" or "[ds] folder". A
   * path outside the host's datastores is InvalidArgument, a folder that
   * does not exist FileNotFound (the faults the API reference lists). The
   * task's result is the new path, as hostd gives it.
   */
  UpdateProductLockerLocation_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "UpdateProductLockerLocation_Task", "HostSystem.updateProductLockerLocation", ctx.session?.userName ?? "", () => {
      requireReachable(this);
      const path = String(args.path ?? "").replace(/\/+$/, "");
      const datastores = ((this.props.datastore as ManagedObjectReference[]) ?? []).map((r) => this.sim.inventory.get(r.value) as ManagedObject & { volume: { stat(p: string): { isDirectory: boolean } | undefined } });
      let ds: (typeof datastores)[number] | undefined, rel = "";
      const m = /^\/vmfs\/volumes\/([^/]+)(?:\/(.*))?$/.exec(path);
      if (m) {
        ds = datastores.find((d) => d.props.name === m[1] || String((d.props.summary as { url?: string }).url ?? "").includes(`/vmfs/volumes/${m[1]}/`));
        rel = m[2] ?? "";
      } else if (path.startsWith("[")) {
        try {
          const p = parseDatastorePath(path);
          ds = datastores.find((d) => d.props.name === p.datastore);
          rel = p.path;
        } catch {
          ds = undefined;
        }
      }
      if (!ds) throw new VimFault("InvalidArgument", { invalidProperty: "path" }, `${path} is not a folder of a datastore of ${this.name}.`);
      if (!ds.volume.stat(rel)?.isDirectory) throw new VimFault("FileNotFound", { file: path }, `File ${path} was not found`);
      this.productLocker = path;
      return path;
    }, { resultType: { type: "string" } });
  }

  /** A ticket for the host's CIM server (sfcbd, HTTPS on 5989): the session id is seeded, one per call. */
  AcquireCimServicesTicket(_args: Args): DataObject {
    requireReachable(this);
    return {
      _type: "HostServiceTicket", host: this.sim.isVCenter ? this.name : undefined, port: 5989,
      // the certificate the host holds now (CertificateManager may have renewed it), as vCenter lists it
      sslThumbprint: (this.props.summary as { config?: { sslThumbprint?: string } }).config?.sslThumbprint ?? hostThumbprint(this.sim, this.name), service: "cim", serviceVersion: "1.0",
      sessionId: this.sim.ids.nextUuid(`cim-ticket:${this.ref.value}`),
    };
  }

  /** The BMC settings DPM wakes the host with (host-settings.ts checks them); config.ipmi shows them, without the password. */
  UpdateIpmi(args: Args): void {
    requireReachable(this);
    this.update({ "config.ipmi": checkIpmi(args.ipmiInfo, this.sim.ids.mac(`${this.name}/bmc`)) });
  }

  /** The simulated hosts have no TPM (capability.tpmSupported false): hostd answers with nothing. */
  QueryTpmAttestationReport(_args: Args): undefined {
    requireReachable(this);
    return undefined;
  }

  // ---- VM encryption: runtime.cryptoState incapable -> prepared -> safe ----

  private requireCrypto(): string {
    requireReachable(this);
    const state = runtimeOf(this).cryptoState;
    if (state === undefined) throw new VimFault("NotSupported", {}, "The host does not support encryption.");
    return state;
  }

  private cryptoOutOfOrder(state: string): VimFault {
    return new VimFault("InvalidState", {}, `The operation is not allowed in the current crypto state (${state}) of the host ${this.name}.`);
  }

  /** The first step to a host key: only from incapable. */
  PrepareCrypto(_args: Args): void {
    const state = this.requireCrypto();
    if (state !== "incapable") throw this.cryptoOutOfOrder(state);
    setHostState(this, { cryptoState: "prepared" });
  }

  /**
   * The host key arrives (from vCenter's KMS, in the clear): only when
   * prepared. A key without its id or data is InvalidArgument (our choice).
   */
  EnableCrypto(args: Args): void {
    const state = this.requireCrypto();
    const key = args.keyPlain as (DataObject & Record<string, any>) | undefined;
    if (!key?.keyId?.keyId) throw new VimFault("InvalidArgument", { invalidProperty: "keyPlain.keyId" });
    if (!key.keyData) throw new VimFault("InvalidArgument", { invalidProperty: "keyPlain.keyData" });
    if (state !== "prepared") throw this.cryptoOutOfOrder(state);
    setHostState(this, { cryptoState: "safe", cryptoKeyId: { _type: "CryptoKeyId", keyId: String(key.keyId.keyId), providerId: key.keyId.providerId } });
  }

  /**
   * A new host key, on a host that has one already (safe): the one named,
   * or one vCenter would have its KMS make, here a seeded key id with no
   * provider (the simulator models no KMS; what vCenter does without a
   * default provider is not confirmed). The method declares no fault; a host
   * not yet safe is InvalidState, as for the other steps.
   */
  ConfigureCryptoKey(args: Args): void {
    const state = this.requireCrypto();
    if (state !== "safe") throw this.cryptoOutOfOrder(state);
    const given = args.keyId as (DataObject & Record<string, any>) | undefined;
    if (given && !given.keyId) throw new VimFault("InvalidArgument", { invalidProperty: "keyId.keyId" });
    const keyId = given ? { _type: "CryptoKeyId", keyId: String(given.keyId), providerId: given.providerId } : { _type: "CryptoKeyId", keyId: this.sim.ids.nextUuid(`host-key:${this.ref.value}`) };
    setHostState(this, { cryptoKeyId: keyId });
  }

  /**
   * Removing a host from vCenter: a clustered host must be in maintenance
   * mode or disconnected (vpxd refuses otherwise), and hold no VMs; a
   * standalone host goes with its ComputeResource.
   */
  override destroy(): void {
    if (!this.sim.isVCenter) throw new VimFault("NotSupported", {});
    const cr = this.parentObject();
    if (cr instanceof ManagedEntity && cr.type === "ComputeResource") return cr.destroy();
    if (((this.props.vm as ManagedObjectReference[]) ?? []).length) throw new VimFault("ResourceInUse", {});
    const runtime = this.props.runtime as { inMaintenanceMode: boolean; connectionState: string };
    if (runtime.connectionState === "connected" && !runtime.inMaintenanceMode) throw new VimFault("InvalidState", {}, "The host must be in maintenance mode to be removed from the cluster.");
    this.leaveInventory();
    super.destroy();
  }

  /**
   * What goes with a host that leaves the inventory: its mounts (a datastore
   * no other host mounts leaves too), its place on its networks (a standard
   * network no other host has goes), its datastore browser and the objects
   * of its configManager.
   */
  leaveInventory(): void {
    for (const r of [...((this.props.datastore as ManagedObjectReference[]) ?? [])]) {
      const ds = this.sim.inventory.get(r.value) as (ManagedObject & { unmountFrom(h: ManagedObjectReference): void; mounts: number; withdraw(): void }) | undefined;
      if (!ds) continue;
      ds.unmountFrom(this.ref);
      if (!ds.mounts) ds.withdraw();
    }
    for (const r of [...((this.props.network as ManagedObjectReference[]) ?? [])]) {
      const net = this.sim.inventory.get(r.value);
      if (net?.type === "Network") this.sim.portgroupRemoved(this.ref, String(net.get("name")));
      else if (net instanceof Network) unlinkNetwork(this.sim, net, this.ref);
    }
    const own = [this.props.datastoreBrowser, ...Object.entries(this.props.configManager as Record<string, unknown>).filter(([k]) => k !== "licenseManager" && k !== "_type").map(([, v]) => v)];
    for (const ref of own as (ManagedObjectReference | undefined)[]) {
      const o = ref ? this.sim.inventory.get(ref.value) : undefined;
      if (o) this.sim.inventory.remove(o);
    }
  }
}
