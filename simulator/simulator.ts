// One simulated ESXi host or vCenter: its inventory, sessions, tasks and
// events, built from a scenario. Everything lives on this instance.
import { vim25Schema, type Schema } from "../vim25/schema/index.ts";
import { moref, type DataObject, type ManagedObjectReference } from "../vim25/soap/index.ts";
import { systemClock, type Clock } from "./clock.ts";
import { IdSource } from "./inventory/ids.ts";
import { Inventory } from "./inventory/store.ts";
import { type SimSnapshot, restoreSnapshot, takeSnapshot, type SnapshotPart } from "./inventory/snapshot.ts";
import type { Scenario, HostSpec, ResourcePoolSpec, DatacenterSpec } from "./inventory/scenario.ts";
import { SessionRegistry, type Session } from "./dispatch/session.ts";
import { TaskRunner } from "./tasks/task-runner.ts";
import { EventLog } from "./tasks/event-log.ts";
import type { SimContext } from "./sim-context.ts";
import { ManagedObject } from "./objects/managed-object.ts";
import { ManagedEntity } from "./objects/managed-entity.ts";
import { ServiceInstance } from "./objects/service-instance.ts";
import { SessionManager } from "./objects/session-manager.ts";
import { PropertyCollector } from "./objects/property-collector.ts";
import { ViewManager } from "./objects/view-manager.ts";
import { TaskManager } from "./objects/task-manager.ts";
import { EventManager } from "./objects/event-manager.ts";
import { OptionManager, SESSION_TIMEOUT_OPTION } from "./objects/option-manager.ts";
import { SearchIndex } from "./objects/search-index.ts";
import { LicenseAssignmentManager, LicenseManager, licenseInfo } from "./objects/license-manager.ts";
import { AuthorizationManager } from "./objects/authorization-manager.ts";
import { CustomFieldsManager } from "./objects/custom-fields-manager.ts";
import { ExtensionManager } from "./objects/extension-manager.ts";
import { Folder } from "./objects/folder.ts";
import { Datacenter } from "./objects/datacenter.ts";
import { ComputeResource } from "./objects/compute-resource.ts";
import { HostSystem, firewallInfo, managementIpOf, networkInfo } from "./objects/host-system.ts";
import { HostFirewallSystem } from "./objects/host-firewall-system.ts";
import { HostNetworkSystem } from "./objects/host-network-system.ts";
import { ResourcePool, allocation, rootAllocations } from "./objects/resource-pool.ts";
import { Datastore } from "./objects/datastore.ts";
import { FileManager } from "./objects/file-manager.ts";
import { VirtualDiskManager } from "./objects/virtual-disk-manager.ts";
import { VcenterVStorageObjectManager, apiAtLeast } from "./objects/vcenter-vstorage-object-manager.ts";
import { Network, unlinkNetwork } from "./objects/network.ts";
import { createDistributedSwitch } from "./objects/distributed-virtual-switch.ts";
import { datacenterOf } from "./objects/managed-entity.ts";
import { defaultHostSpec } from "./inventory/scenario-loader.ts";
import { DistributedVirtualSwitchManager } from "./objects/distributed-virtual-switch-manager.ts";
import { VmStorageService } from "./datastore/vm-storage.ts";
import { createFixtureDisk } from "./datastore/fixture-disks.ts";
import { createVm, registerVm } from "./objects/vm-factory.ts";
import { VirtualApp } from "./objects/virtual-app.ts";
import { GuestRuntime } from "./guest/guest-runtime.ts";
import { GuestOperationsManager } from "./objects/guest-operations-manager.ts";
import { GuestProcessManager } from "./objects/guest-process-manager.ts";
import { GuestFileManager } from "./objects/guest-file-manager.ts";
import type { GuestProgram } from "../hardware/guest-hardware.ts";
import type { AddressMode } from "./guest/guest-network.ts";
import { FaultInjector } from "./dispatch/fault-injection.ts";
import { OvfManager } from "./objects/ovf-manager.ts";
import { PerformanceManager } from "./objects/performance-manager.ts";
import { DiagnosticManager } from "./objects/diagnostic-manager.ts";
import { CustomizationSpecManager } from "./objects/customization-spec-manager.ts";
import { AlarmManager } from "./objects/alarm-manager.ts";
import { HostLocalAccountManager } from "./objects/host-local-account-manager.ts";
import { TaggingService } from "./tagging/tagging-service.ts";
import { ContentLibraryService } from "./content-library/content-library-service.ts";
import { VapiSessionRegistry } from "./dispatch/vapi-sessions.ts";
import { UserDirectory } from "./objects/user-directory.ts";
import { VirtualMachineCompatibilityChecker } from "./objects/virtual-machine-compatibility-checker.ts";
import { VirtualMachineProvisioningChecker } from "./objects/virtual-machine-provisioning-checker.ts";
import { HostDatastoreSystem } from "./objects/host-datastore-system.ts";
import { HostServiceSystem, defaultServices } from "./objects/host-service-system.ts";
import { HostDateTimeSystem } from "./objects/host-date-time-system.ts";
import { HostStorageSystem } from "./objects/host-storage-system.ts";
import { HostVirtualNicManager } from "./objects/host-virtual-nic-manager.ts";
import { HostAutoStartManager } from "./objects/host-auto-start-manager.ts";
import { HostCpuSchedulerSystem } from "./objects/host-cpu-scheduler-system.ts";
import { HostMemorySystem } from "./objects/host-memory-system.ts";
import { HostVMotionSystem } from "./objects/host-vmotion-system.ts";
import { HostSnmpSystem } from "./objects/host-snmp-system.ts";
import { OverheadMemoryManager } from "./objects/overhead-memory-manager.ts";
import { CertificateManager } from "./objects/certificate-manager.ts";
import { ServiceManager } from "./objects/service-manager.ts";
import { importVApp } from "./objects/http-nfc-lease.ts";
import { StoragePod } from "./objects/storage-pod.ts";
import { StorageResourceManager } from "./objects/storage-resource-manager.ts";
import { ScheduledTaskManager } from "./objects/scheduled-task-manager.ts";
import { IpPoolManager } from "./objects/ip-pool-manager.ts";
import { DatastoreNamespaceManager } from "./objects/datastore-namespace-manager.ts";

export interface SimulatorOptions {
  clock?: Clock;
  /** per-method task delays in ms, e.g. { PowerOnVM_Task: 500, "*": 10 } */
  taskDelays?: Record<string, number>;
  /** guest programs by the name an ISO's manifest gives (added to the built-in ones) */
  guestPrograms?: Record<string, GuestProgram>;
  /** port group name -> "127.A.B.0/24", over the scenario's and the derived subnets */
  subnets?: Record<string, string>;
  /** how guests get their addresses (guest/guest-network.ts); default "loopback" */
  guestAddresses?: AddressMode;
  /** leave guests unbooted until `guests.start()` (startSimulator seeds guest addresses with its port first) */
  deferGuests?: boolean;
}

// Id namespaces of session-scoped things (session keys, filters, views,
// collectors, page tokens): sessions outlive a restore, so these counters
// never go back, or a new id could be one still in use.
const SESSION_ID_NAMESPACES = new Set(["session", "filter", "view", "collector", "eventcollector", "vapi-session"]);
const keepsCounting = (ns: string) => SESSION_ID_NAMESPACES.has(ns) || ns.startsWith("token:");

export class Simulator implements SimContext {
  readonly schema: Schema = vim25Schema();
  readonly inventory = new Inventory();
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly sessions: SessionRegistry;
  readonly tasks: TaskRunner;
  readonly events: EventLog;
  readonly isVCenter: boolean;
  readonly taskDelays: Record<string, number>;
  readonly faults: FaultInjector;
  readonly vmStorage: VmStorageService = new VmStorageService(this);
  readonly guests: GuestRuntime;
  readonly vAppLinks = new Map<string, string>();
  /** vCenter's tagging service (vAPI, /rest/com/vmware/cis/tagging); kept on ESXi too but never served there */
  readonly tagging: TaggingService;
  /** vCenter's content library (vAPI, /rest/com/vmware/content); kept on ESXi too but never served there */
  readonly contentLibrary: ContentLibraryService;
  /** sessions of the vAPI /rest endpoint, apart from the SOAP ones as on vCenter */
  readonly vapiSessions: VapiSessionRegistry;
  content!: DataObject & Record<string, ManagedObjectReference | unknown>;
  private refCounter = 0;
  private refCounters = new Map<string, number>();
  /** the state right after construction, for reset() */
  private readonly initial: SimSnapshot;

  constructor(readonly scenario: Scenario, opts: SimulatorOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.ids = new IdSource(scenario.seed);
    this.isVCenter = scenario.model === "vcenter";
    this.sessions = new SessionRegistry(this.clock, this.ids, this.inventory);
    this.tasks = new TaskRunner(this);
    this.tagging = new TaggingService(this.ids, (o) => {
      const obj = this.inventory.get(o.id);
      return obj instanceof ManagedEntity && obj.type === o.type;
    });
    this.vapiSessions = new VapiSessionRegistry(this.clock, this.ids, () => this.sessions.timeoutMs);
    this.contentLibrary = new ContentLibraryService(this.ids, this.clock, (id) => {
      const ds = this.inventory.get(id);
      return ds instanceof Datastore ? ds.volume : undefined;
    }, this.ids.uuid("vcenter", "instance"));
    this.events = new EventLog(this.clock);
    this.taskDelays = { ...(opts.taskDelays ?? {}) };
    this.faults = new FaultInjector(this.schema);
    this.guests = new GuestRuntime(this, { ...scenarioSubnets(scenario), ...(opts.subnets ?? {}) });
    this.guests.network.mode = opts.guestAddresses ?? "loopback";
    for (const [name, program] of Object.entries(opts.guestPrograms ?? {})) this.guests.programs.register(name, program);
    new InventoryBuilder(this).build();
    this.initial = this.snapshot();
    if (!opts.deferGuests) this.guests.start();
  }

  /** The whole simulator now: inventory, datastore files, events and id counters (sessions are not part of it). */
  snapshot(): SimSnapshot {
    return takeSnapshot(this, this.inventory, this.snapshotParts());
  }

  /**
   * Back to `snap`, which may be restored any number of times. Sessions and
   * what they own (filters, views, collectors) stay and see the changes;
   * counters go back too, so what is created next gets the same morefs and
   * UUIDs as after the snapshot the first time.
   */
  restore(snap: SimSnapshot): void {
    restoreSnapshot(this, this.inventory, snap, this.snapshotParts());
    this.vAppLinks.clear();
    for (const app of this.inventory.ofType("VirtualApp")) {
      for (const link of (app.props.childLink as { key: ManagedObjectReference }[] | undefined) ?? []) this.vAppLinks.set(link.key.value, app.ref.value);
    }
    this.tasks.restored();
    this.guests.reconcile();
  }

  /** Stop every running guest: serial connections, listeners, timers. The simulator's state stays. */
  close(): void {
    this.guests.stopAll();
    (this.inventory.get((this.content.sessionManager as ManagedObjectReference).value) as SessionManager).dropLocalTickets();
  }

  /** Back to the state right after construction; injected faults go too (a restore keeps them). */
  reset(): void {
    this.faults.clear();
    this.restore(this.initial);
  }

  private snapshotParts(): Record<string, SnapshotPart> {
    return {
      ids: { save: () => this.ids.save(), load: (s) => this.ids.load(s as ReadonlyMap<string, number>, keepsCounting) },
      events: { save: () => this.events.save(), load: (s) => this.events.load(s as ReturnType<EventLog["save"]>) },
      tagging: { save: () => this.tagging.save(), load: (s) => this.tagging.load(s) },
      contentLibrary: { save: () => this.contentLibrary.save(), load: (s) => this.contentLibrary.load(s) },
      refs: {
        save: () => ({ counter: this.refCounter, counters: new Map(this.refCounters) }),
        load: (s) => {
          const r = s as { counter: number; counters: Map<string, number> };
          this.refCounter = r.counter;
          this.refCounters = new Map(r.counters);
        },
      },
    };
  }

  newRef(prefix: string): string {
    if (this.isVCenter) return `${prefix}${++this.refCounter}`;
    // hostd numbers each kind on its own: VMs 1, 2, ...; pools pool0, pool1, ...
    const n = this.refCounters.get(prefix) ?? (prefix === "" ? 1 : 0);
    this.refCounters.set(prefix, n + 1);
    return `${prefix}${n}`;
  }

  get authorization(): AuthorizationManager {
    return this.inventory.get((this.content.authorizationManager as ManagedObjectReference).value) as AuthorizationManager;
  }

  get localAccounts(): HostLocalAccountManager | undefined {
    const ref = this.content.accountManager as ManagedObjectReference | undefined;
    return ref ? (this.inventory.get(ref.value) as HostLocalAccountManager) : undefined;
  }

  /**
   * Whether a permission may name `principal`: on ESXi, one of the host's
   * accounts (local groups are gone since API 5.1); on vCenter any name, as
   * the simulator keeps no SSO directory to look it up in.
   */
  knowsPrincipal(principal: string, group: boolean): boolean {
    const accounts = this.localAccounts;
    if (!accounts) return true;
    return !group && accounts.has(principal);
  }

  userRemoved(id: string): void {
    this.authorization.dropUser(id);
  }

  newSessionCollector(_session: Session): ManagedObject {
    return new PropertyCollector(this, (this.content.propertyCollector as ManagedObjectReference).value);
  }

  createDatacenter(parent: ManagedObject & { attachChild(c: ManagedObject): void }, name: string): ManagedObjectReference {
    const dc = new InventoryBuilder(this).datacenter(parent as Folder, { name, vmFolders: [], datastores: [], hosts: [], clusters: [], dvSwitches: [], files: [], vms: [] });
    return dc.ref;
  }

  createStoragePod(folder: ManagedObject, name: string): ManagedObjectReference {
    const pod = this.inventory.add(new StoragePod(this, this.newRef("group-p"), name, folder.ref));
    (folder as Folder).attachChild(pod);
    return pod.ref;
  }

  createCluster(folder: ManagedObject, name: string, cfg: { ha: boolean; drs: boolean; behavior: string }): ComputeResource {
    return new InventoryBuilder(this).cluster(folder as Folder, name, cfg);
  }

  addHost(target: ManagedObject, name: string): HostSystem {
    const dc = datacenterOf(target as ManagedEntity)!;
    const ip = /^\d+\.\d+\.\d+\.\d+$/.test(name) ? name : this.nextManagementIp();
    const spec = defaultHostSpec(name, ip);
    // its own local VMFS volume, which vpxd renames when the datacenter already has a datastore1
    const taken = new Set((dc.props.datastore as ManagedObjectReference[]).map((r) => this.inventory.get(r.value)?.get("name")));
    let local = "datastore1";
    for (let n = 1; taken.has(local); n++) local = `datastore1 (${n})`;
    const ds = Datastore.create(this, dc, { name: local, type: "VMFS", capacityBytes: 500 * 1024 ** 3, usedBytes: 1.5 * 1024 ** 3 }, this.vmfsUuid(`${name}/local`));
    const builder = new InventoryBuilder(this);
    const datastores = new Map([[local, ds]]);
    if (target instanceof Folder) return builder.hostsOf(builder.standalone(target, spec, datastores))[0];
    return builder.joinCluster(target as ComputeResource, spec, datastores);
  }

  /** A VMFS volume's UUID (/vmfs/volumes/5a1b...-...), seeded by what names it. */
  vmfsUuid(key: string): string {
    return `${this.ids.hex("ds", key, 8)}-${this.ids.hex("ds2", key, 8)}-${this.ids.hex("ds3", key, 4)}-${this.ids.hex("ds4", key, 12)}`;
  }

  /** The next management address no host has, after those a scenario assigns (10.0.0.x). */
  private nextManagementIp(): string {
    const used = new Set((this.inventory.ofType("HostSystem") as HostSystem[]).map((h) => managementIpOf(h)));
    for (let n = 1; ; n++) {
      const ip = `10.0.${Math.floor((n + 9) / 250)}.${((n + 9) % 250) + 1}`;
      if (!used.has(ip)) return ip;
    }
  }

  newVirtualApp(value: string, name: string, parent: ManagedObjectReference, owner: ManagedObjectReference, config: { cpu: DataObject; memory: DataObject }, folder: ManagedObjectReference | undefined, configSpec: DataObject & Record<string, any>): ManagedObject {
    return this.inventory.add(new VirtualApp(this, value, name, parent, owner, config, folder, configSpec));
  }

  importVApp(pool: ManagedObject, spec: Record<string, any>, folder: ManagedObject, host: ManagedObjectReference | undefined, userName: string): ManagedObjectReference {
    return importVApp(this, pool, spec, folder, host, userName);
  }

  createVmIn(pool: ManagedObject, config: Record<string, any>, host: ManagedObjectReference | undefined, userName: string): ManagedObjectReference {
    const vm = createVm(this, pool as VirtualApp, config, pool.ref, host);
    vm.event("VmCreatedEvent", `Created virtual machine ${vm.name} on ${this.inventory.get(vm.host.value)?.get("name") ?? ""}`, userName);
    return vm.ref;
  }

  private networkFor(host: ManagedObjectReference): { dc: Datacenter; folder: Folder } | undefined {
    for (let o: ManagedObject | undefined = this.inventory.get(host.value); o instanceof ManagedEntity; o = o.parentObject()) {
      if (o instanceof Datacenter) return { dc: o, folder: this.inventory.get((o.props.networkFolder as ManagedObjectReference).value) as Folder };
    }
    return undefined;
  }

  portgroupAdded(host: ManagedObjectReference, name: string): void {
    const where = this.networkFor(host);
    if (!where) return;
    const existing = where.folder.children().map((r) => this.inventory.get(r.value)).find((o) => o?.type === "Network" && o.get("name") === name) as Network | undefined;
    const net = existing ?? this.inventory.add(new Network(this, "Network", this.isVCenter ? this.newRef("network-") : `HaNetwork-${name}`, name, where.folder.ref));
    if (!existing) {
      where.folder.attachChild(net);
      where.dc.addNetwork(net.ref);
    }
    net.addHost(host);
    const h = this.inventory.get(host.value) as HostSystem;
    h.addNetwork(net.ref);
    const cr = h.parentObject();
    if (cr && !(cr.props.network as ManagedObjectReference[]).some((r) => r.value === net.ref.value)) cr.update({ network: [...(cr.props.network as ManagedObjectReference[]), net.ref] });
  }

  portgroupRemoved(host: ManagedObjectReference, name: string): void {
    const where = this.networkFor(host);
    if (!where) return;
    const net = where.folder.children().map((r) => this.inventory.get(r.value)).find((o) => o?.type === "Network" && o.get("name") === name) as Network | undefined;
    if (!net) return;
    unlinkNetwork(this, net, host);
    if (!(net.props.host as ManagedObjectReference[]).length) {
      where.folder.detachChild(net);
      where.dc.removeNetwork(net.ref);
      this.inventory.remove(net);
    }
  }

  portgroupInUse(host: ManagedObjectReference, name: string): boolean {
    const h = this.inventory.get(host.value);
    return ((h?.props.vm as ManagedObjectReference[]) ?? []).some((vm) =>
      ((this.inventory.get(vm.value)?.props.network as ManagedObjectReference[]) ?? []).some((n) => this.inventory.get(n.value)?.get("name") === name));
  }
}

/** The ESXi GA release a vCenter of each API version manages in a scenario (the scenario names no host versions). */
const ESX_RELEASE_UNDER_VCENTER: Record<string, { version: string; build: string; api: string }> = {
  "6.0": { version: "6.0.0", build: "3620759", api: "6.0" },
  "6.5": { version: "6.5.0", build: "4564106", api: "6.5" },
  "6.7": { version: "6.7.0", build: "8169922", api: "6.7" },
};

/** Builds a scenario's inventory with the morefs hostd or vpxd would use. */
class InventoryBuilder {
  constructor(private readonly sim: Simulator) {}

  private plain(type: string, value: string): ManagedObjectReference {
    if (!this.sim.inventory.has(value)) this.sim.inventory.add(new ManagedObject(this.sim, type, value));
    return moref(type, value);
  }

  build(): void {
    const sim = this.sim;
    const s = sim.scenario;
    const vc = sim.isVCenter;
    const about = this.about();
    const r = (type: string, esx: string | undefined, vcv: string | undefined) => {
      const v = vc ? vcv : esx;
      return v ? moref(type, v) : undefined;
    };
    sim.content = {
      _type: "ServiceContent",
      rootFolder: moref("Folder", vc ? "group-d1" : "ha-folder-root"),
      propertyCollector: moref("PropertyCollector", vc ? "propertyCollector" : "ha-property-collector"),
      viewManager: moref("ViewManager", "ViewManager"),
      about,
      setting: r("OptionManager", "HostAgentSettings", "VpxSettings"),
      userDirectory: r("UserDirectory", "ha-user-directory", "UserDirectory"),
      sessionManager: r("SessionManager", "ha-sessionmgr", "SessionManager"),
      authorizationManager: r("AuthorizationManager", "ha-authmgr", "AuthorizationManager"),
      serviceManager: r("ServiceManager", "ha-servicemanager", "ServiceMgr"),
      perfManager: r("PerformanceManager", "ha-perfmgr", "PerfMgr"),
      scheduledTaskManager: r("ScheduledTaskManager", undefined, "ScheduledTaskManager"),
      alarmManager: r("AlarmManager", undefined, "AlarmManager"),
      eventManager: r("EventManager", "ha-eventmgr", "EventManager"),
      taskManager: r("TaskManager", "ha-taskmgr", "TaskManager"),
      extensionManager: r("ExtensionManager", undefined, "ExtensionManager"),
      customizationSpecManager: r("CustomizationSpecManager", undefined, "CustomizationSpecManager"),
      customFieldsManager: r("CustomFieldsManager", undefined, "CustomFieldsManager"),
      accountManager: r("HostLocalAccountManager", "ha-localacctmgr", undefined),
      diagnosticManager: r("DiagnosticManager", "ha-diagnosticmgr", "DiagMgr"),
      licenseManager: r("LicenseManager", "ha-license-manager", "LicenseManager"),
      searchIndex: r("SearchIndex", "ha-searchindex", "SearchIndex"),
      fileManager: r("FileManager", "ha-nfc-file-manager", "FileManager"),
      datastoreNamespaceManager: r("DatastoreNamespaceManager", "ha-datastore-namespace-manager", "DatastoreNamespaceManager"),
      virtualDiskManager: r("VirtualDiskManager", "ha-vdiskmanager", "virtualDiskManager"),
      snmpSystem: r("HostSnmpSystem", undefined, "SnmpSystem"),
      vmProvisioningChecker: r("VirtualMachineProvisioningChecker", undefined, "ProvChecker"),
      vmCompatibilityChecker: r("VirtualMachineCompatibilityChecker", undefined, "CompatChecker"),
      ovfManager: r("OvfManager", "ha-ovf-manager", "OvfManager"),
      ipPoolManager: r("IpPoolManager", undefined, "IpPoolManager"),
      dvSwitchManager: r("DistributedVirtualSwitchManager", "ha-dvsmanager", "DVSManager"),
      hostProfileManager: r("HostProfileManager", undefined, "HostProfileManager"),
      clusterProfileManager: r("ClusterProfileManager", undefined, "ClusterProfileManager"),
      complianceManager: r("ProfileComplianceManager", undefined, "MoComplianceManager"),
      localizationManager: r("LocalizationManager", "ha-l10n-manager", "LocalizationManager"),
      storageResourceManager: r("StorageResourceManager", "ha-storage-resource-manager", "StorageResourceManager"),
      guestOperationsManager: r("GuestOperationsManager", "ha-guest-operations-manager", "guestOperationsManager"),
      overheadMemoryManager: r("OverheadMemoryManager", undefined, "OverheadMemoryManager"),
      certificateManager: r("CertificateManager", undefined, "certificateManager"),
      // first-class disks: a vCenter since API 6.5 (the property is `since` 6.5; a 6.0 vCenter leaves it unset)
      vStorageObjectManager: vc && apiAtLeast(s.about.apiVersion, "6.5") ? moref("VcenterVStorageObjectManager", "VStorageObjectManager") : undefined,
    };
    const c = sim.content as Record<string, ManagedObjectReference | undefined>;
    const add = <T extends ManagedObject>(o: T): T => sim.inventory.add(o);
    add(new ServiceInstance(sim));
    add(new SessionManager(sim, c.sessionManager!.value));
    add(new PropertyCollector(sim, c.propertyCollector!.value));
    add(new ViewManager(sim, c.viewManager!.value));
    add(new TaskManager(sim, c.taskManager!.value));
    add(new EventManager(sim, c.eventManager!.value));
    add(new SearchIndex(sim, "SearchIndex", c.searchIndex!.value));
    add(new OptionManager(sim, c.setting!.value, this.settings(), (key, value) => {
      if (key === SESSION_TIMEOUT_OPTION && Number(value) > 0) sim.sessions.timeoutMs = Number(value) * 60_000;
    }));
    if (c.customFieldsManager) add(new CustomFieldsManager(sim, c.customFieldsManager.value));
    if (c.extensionManager) add(new ExtensionManager(sim, c.extensionManager.value));
    if (c.guestOperationsManager) {
      const processManager = sim.isVCenter ? "guestOperationsProcessManager" : "ha-guest-operations-process-manager";
      const fileManager = sim.isVCenter ? "guestOperationsFileManager" : "ha-guest-operations-file-manager";
      add(new GuestOperationsManager(sim, c.guestOperationsManager.value, processManager, fileManager));
      add(new GuestProcessManager(sim, processManager));
      add(new GuestFileManager(sim, fileManager));
    }
    add(new FileManager(sim, "FileManager", c.fileManager!.value));
    add(new DistributedVirtualSwitchManager(sim, c.dvSwitchManager!.value));
    add(new VirtualDiskManager(sim, "VirtualDiskManager", c.virtualDiskManager!.value));
    if (c.vStorageObjectManager) add(new VcenterVStorageObjectManager(sim, c.vStorageObjectManager.value));
    // Storage DRS is vCenter's (hostd's manager answers NotImplemented for it); hostd serves the IORM option query
    add(new StorageResourceManager(sim, c.storageResourceManager!.value));
    add(new OvfManager(sim, "OvfManager", c.ovfManager!.value));
    add(new PerformanceManager(sim, c.perfManager!.value));
    add(new DiagnosticManager(sim, c.diagnosticManager!.value));
    if (c.customizationSpecManager) add(new CustomizationSpecManager(sim, c.customizationSpecManager.value));
    const alarms = c.alarmManager ? add(new AlarmManager(sim, c.alarmManager.value)) : undefined;
    const accounts = c.accountManager ? add(new HostLocalAccountManager(sim, c.accountManager.value)) : undefined;
    add(new UserDirectory(sim, c.userDirectory!.value, accounts));
    // vCenter only: the properties are unset on ESXi
    if (c.vmCompatibilityChecker) add(new VirtualMachineCompatibilityChecker(sim, c.vmCompatibilityChecker.value));
    if (c.vmProvisioningChecker) add(new VirtualMachineProvisioningChecker(sim, c.vmProvisioningChecker.value));
    if (c.scheduledTaskManager) add(new ScheduledTaskManager(sim, c.scheduledTaskManager.value));
    if (c.ipPoolManager) add(new IpPoolManager(sim, c.ipPoolManager.value));
    if (c.datastoreNamespaceManager) add(new DatastoreNamespaceManager(sim, c.datastoreNamespaceManager.value));
    if (c.snmpSystem) add(new HostSnmpSystem(sim, c.snmpSystem.value));
    if (c.overheadMemoryManager) add(new OverheadMemoryManager(sim, "OverheadMemoryManager", c.overheadMemoryManager.value));
    if (c.certificateManager) add(new CertificateManager(sim, c.certificateManager.value));
    add(new ServiceManager(sim, c.serviceManager!.value));
    // the rest answer NotImplemented per method until they are built
    for (const [key, ref] of Object.entries(c)) {
      if (!ref || typeof ref !== "object" || ref._type !== "ManagedObjectReference") continue;
      if (key === "rootFolder" || key === "licenseManager" || key === "authorizationManager") continue;
      this.plain(ref.type, ref.value);
    }

    const root = add(new Folder(sim, c.rootFolder!.value, vc ? "Datacenters" : "ha-folder-root", undefined, vc ? ["Folder", "Datacenter"] : ["Datacenter"]));
    for (const dcSpec of s.datacenters) this.datacenter(root, dcSpec);
    alarms?.addDefaults(root.ref);
    add(new AuthorizationManager(sim, c.authorizationManager!.value));
    this.licenses();
    // customer VMs come last: they need datastores, networks and pools to land on
    for (const dcSpec of s.datacenters) this.fixtures(dcSpec);
  }

  private about(): DataObject {
    const s = this.sim.scenario;
    if (this.sim.isVCenter) {
      return {
        _type: "AboutInfo", name: "VMware vCenter Server", fullName: `VMware vCenter Server ${s.about.version} build-${s.about.build}`,
        vendor: "VMware, Inc.", version: s.about.version, build: s.about.build, localeVersion: "INTL", localeBuild: "000",
        osType: "linux-x64", productLineId: "vpx", apiType: "VirtualCenter", apiVersion: s.about.apiVersion,
        instanceUuid: this.sim.ids.uuid("vcenter", "instance"), licenseProductName: "VMware VirtualCenter Server", licenseProductVersion: "6.0",
      };
    }
    return this.hostAbout();
  }

  private hostAbout(): DataObject {
    const s = this.sim.scenario;
    // hosts under a vCenter report the ESXi release the vCenter's API matches (6.0 for releases without a known ESXi GA build)
    const managed = ESX_RELEASE_UNDER_VCENTER[s.about.apiVersion] ?? ESX_RELEASE_UNDER_VCENTER["6.0"];
    const version = this.sim.isVCenter ? managed.version : s.about.version;
    const build = this.sim.isVCenter ? managed.build : s.about.build;
    const api = this.sim.isVCenter ? managed.api : s.about.apiVersion;
    return {
      _type: "AboutInfo", name: "VMware ESXi", fullName: `VMware ESXi ${version} build-${build}`, vendor: "VMware, Inc.",
      version, build, localeVersion: "INTL", localeBuild: "000", osType: "vmnix-x86", productLineId: "embeddedEsx",
      apiType: "HostAgent", apiVersion: api, licenseProductName: "VMware ESX Server", licenseProductVersion: api,
    };
  }

  private settings(): Record<string, string | number | boolean> {
    if (this.sim.isVCenter) {
      return { "VirtualCenter.InstanceName": "vcenter", "VirtualCenter.FQDN": "vcenter.local", "config.vpxd.sso.admin.uri": "https://vcenter.local/sso-adminserver/sdk/vsphere.local", [SESSION_TIMEOUT_OPTION]: 30, "event.maxAge": 30 };
    }
    return { "Config.HostAgent.log.level": "info", "Config.HostAgent.plugins.solo.enableMob": false, [SESSION_TIMEOUT_OPTION]: 30, "Vpx.Vpxa.config.vpxa.hostIp": "" };
  }

  datacenter(root: Folder, spec: DatacenterSpec): Datacenter {
    const sim = this.sim;
    const vc = sim.isVCenter;
    const add = <T extends ManagedObject>(o: T): T => sim.inventory.add(o);
    const dcValue = vc ? sim.newRef("datacenter-") : "ha-datacenter";
    const folderRef = (kind: string, prefix: string) => (vc ? sim.newRef(prefix) : `ha-folder-${kind}`);
    const fv = folderRef("vm", "group-v"), fh = folderRef("host", "group-h"), fd = folderRef("datastore", "group-s"), fn = folderRef("network", "group-n");
    const dc = add(new Datacenter(sim, dcValue, spec.name, root.ref, { vm: moref("Folder", fv), host: moref("Folder", fh), datastore: moref("Folder", fd), network: moref("Folder", fn) }));
    root.attachChild(dc);
    const vmFolder = add(new Folder(sim, fv, "vm", dc.ref, ["Folder", "VirtualMachine", "VirtualApp"]));
    const hostFolder = add(new Folder(sim, fh, "host", dc.ref, vc ? ["Folder", "ComputeResource"] : ["ComputeResource"]));
    add(new Folder(sim, fd, "datastore", dc.ref, vc ? ["Folder", "Datastore", "StoragePod"] : ["Datastore"]));
    const netFolder = add(new Folder(sim, fn, "network", dc.ref, vc ? ["Folder", "Network", "DistributedVirtualSwitch"] : ["Network"]));

    for (const path of spec.vmFolders) {
      let parent = vmFolder;
      for (const part of path.split("/").filter(Boolean)) {
        const existing = parent.children().map((r) => sim.inventory.get(r.value)).find((o) => o instanceof Folder && o.name === part) as Folder | undefined;
        if (existing) { parent = existing; continue; }
        const f = add(new Folder(sim, sim.newRef("group-v"), part, parent.ref, ["Folder", "VirtualMachine", "VirtualApp"]));
        parent.attachChild(f);
        parent = f;
      }
    }

    const datastores = new Map<string, Datastore>();
    for (const ds of spec.datastores) {
      const uuid = ds.uuid ?? (ds.type === "NFS" ? `${sim.ids.hex("ds", ds.name, 8)}-${sim.ids.hex("ds2", ds.name, 8)}` : sim.vmfsUuid(ds.name));
      datastores.set(ds.name, Datastore.create(sim, dc, ds, uuid));
    }

    const hostsByName = new Map<string, HostSystem>();
    for (const hs of spec.hosts) {
      const cr = this.standalone(hostFolder, hs, datastores, vc ? sim.newRef("domain-s") : "ha-compute-res");
      hostsByName.set(hs.name, this.hostsOf(cr)[0]);
    }
    for (const cs of spec.clusters) {
      const cl = this.cluster(hostFolder, cs.name, { ha: cs.ha.enabled, drs: cs.drs.enabled, behavior: cs.drs.behavior });
      for (const hs of cs.hosts) hostsByName.set(hs.name, this.joinCluster(cl, hs, datastores));
      this.childPools(this.rootPoolOf(cl), cs.resourcePools);
      cl.refreshSummary();
    }

    for (const dvs of spec.dvSwitches) {
      const hosts = dvs.hosts.map((hn) => hostsByName.get(hn)?.ref).filter((r): r is ManagedObjectReference => !!r);
      createDistributedSwitch(sim, netFolder, { name: dvs.name, version: dvs.version, uuidKey: dvs.name, hosts, portgroups: dvs.portgroups });
    }
    return dc;
  }

  /** A standalone host and its ComputeResource, named after it, in `folder`. */
  standalone(folder: Folder, hs: HostSpec, datastores: Map<string, Datastore>, value = this.sim.newRef("domain-s")): ComputeResource {
    const cr = this.sim.inventory.add(new ComputeResource(this.sim, "ComputeResource", value, hs.name, folder.ref));
    folder.attachChild(cr);
    const pool = this.rootPool(cr, [hs]);
    const host = this.host(cr, hs, datastores);
    cr.update({ host: [host.ref], resourcePool: pool.ref });
    cr.attachEnvironmentBrowser();
    this.childPools(pool, hs.resourcePools);
    cr.refreshSummary();
    return cr;
  }

  /** A cluster with no hosts yet: its configuration, an empty root pool and its EnvironmentBrowser. */
  cluster(folder: Folder, name: string, cfg: { ha: boolean; drs: boolean; behavior: string }): ComputeResource {
    const cl = this.sim.inventory.add(new ComputeResource(this.sim, "ClusterComputeResource", this.sim.newRef("domain-c"), name, folder.ref));
    folder.attachChild(cl);
    cl.update({
      configurationEx: {
        _type: "ClusterConfigInfoEx",
        vmSwapPlacement: "vmDirectory",
        spbmEnabled: true,
        dasConfig: { _type: "ClusterDasConfigInfo", enabled: cfg.ha, vmMonitoring: "vmMonitoringDisabled", hostMonitoring: "enabled", failoverLevel: 1, admissionControlEnabled: true },
        dasVmConfig: [],
        drsConfig: { _type: "ClusterDrsConfigInfo", enabled: cfg.drs, enableVmBehaviorOverrides: true, defaultVmBehavior: cfg.behavior, vmotionRate: 3 },
        drsVmConfig: [],
        rule: [],
        group: [],
        dpmConfigInfo: { _type: "ClusterDpmConfigInfo", enabled: false, defaultDpmBehavior: "automated", hostPowerActionRate: 3 },
        dpmHostConfig: [],
      },
    });
    cl.update({ resourcePool: this.rootPool(cl, []).ref });
    cl.attachEnvironmentBrowser();
    cl.refreshSummary();
    return cl;
  }

  /** A host of `hs` joins cluster `cl`: the root pool holds what the hosts now give. */
  joinCluster(cl: ComputeResource, hs: HostSpec, datastores: Map<string, Datastore>): HostSystem {
    const host = this.host(cl, hs, datastores);
    cl.update({ host: [...this.hostsOf(cl).map((h) => h.ref), host.ref] });
    cl.resizeRootPool();
    // the cluster's browser reads datastores through its first host's
    if (this.hostsOf(cl).length === 1) this.sim.inventory.get((cl.props.environmentBrowser as ManagedObjectReference).value)?.update({ datastoreBrowser: host.props.datastoreBrowser });
    cl.refreshSummary();
    return host;
  }

  hostsOf(cr: ComputeResource): HostSystem[] {
    return (cr.props.host as ManagedObjectReference[]).map((r) => this.sim.inventory.get(r.value) as HostSystem);
  }

  private rootPoolOf(cr: ComputeResource): ResourcePool {
    return this.sim.inventory.get((cr.props.resourcePool as ManagedObjectReference).value) as ResourcePool;
  }

  private rootPool(cr: ComputeResource, hosts: HostSpec[]): ResourcePool {
    const sim = this.sim;
    const [cpu, memory] = rootAllocations(hosts.map((h) => ({ cpuMhz: h.cpu.mhz, numCpuCores: h.cpu.cores, memorySize: h.memoryBytes })));
    return sim.inventory.add(new ResourcePool(sim, "ResourcePool", sim.isVCenter ? sim.newRef("resgroup-") : "ha-root-pool", "Resources", cr.ref, cr.ref, { cpu, memory }));
  }

  private childPools(parent: ResourcePool, specs: ResourcePoolSpec[]): void {
    const sim = this.sim;
    for (const spec of specs) {
      const p = sim.inventory.add(new ResourcePool(sim, "ResourcePool", sim.newRef(sim.isVCenter ? "resgroup-" : "pool"), spec.name, parent.ref, parent.props.owner as ManagedObjectReference, {
        cpu: allocation("cpu", spec.cpu),
        memory: allocation("memory", spec.memory),
      }));
      parent.update({ resourcePool: [...(parent.props.resourcePool as ManagedObjectReference[]), p.ref] });
      this.childPools(p, spec.children);
      parent.refresh();
    }
  }

  private host(cr: ComputeResource, spec: HostSpec, datastores: Map<string, Datastore>): HostSystem {
    const sim = this.sim;
    const vc = sim.isVCenter;
    const value = vc ? sim.newRef("host-") : "ha-host";
    const sub = (type: string, esx: string, prefix: string) => {
      const v = vc ? `${prefix}-${value}` : esx;
      return moref(type, v);
    };
    const firewallRef = sub("HostFirewallSystem", "firewallSystem", "firewallSystem");
    const networkRef = sub("HostNetworkSystem", "networkSystem", "networkSystem");
    const advRef = sub("OptionManager", "ha-adv-options", "EsxHostAdvSettings");
    const configManager: Record<string, ManagedObjectReference | undefined> = {
      firewallSystem: firewallRef,
      networkSystem: networkRef,
      advancedOption: advRef,
      datastoreSystem: sub("HostDatastoreSystem", "ha-datastoresystem", "datastoreSystem"),
      storageSystem: sub("HostStorageSystem", "storageSystem", "storageSystem"),
      cpuScheduler: sub("HostCpuSchedulerSystem", "cpuSchedulerSystem", "cpuSchedulerSystem"),
      memoryManager: sub("HostMemorySystem", "memoryManagerSystem", "memoryManagerSystem"),
      serviceSystem: sub("HostServiceSystem", "serviceSystem", "serviceSystem"),
      dateTimeSystem: sub("HostDateTimeSystem", "dateTimeSystem", "dateTimeSystem"),
      autoStartManager: sub("HostAutoStartManager", "ha-autostart-mgr", "autoStartManager"),
      virtualNicManager: sub("HostVirtualNicManager", "ha-vnic-mgr", "virtualNicManager"),
      vmotionSystem: sub("HostVMotionSystem", "ha-vmotion-system", "vmotionSystem"),
      // the host's own SNMP agent; under vCenter, SNMP is vCenter's (the service content's snmpSystem)
      snmpSystem: vc ? undefined : moref("HostSnmpSystem", "ha-snmp-agent"),
      datastoreBrowser: vc ? moref("HostDatastoreBrowser", `datastoreBrowser-${value}`) : moref("HostDatastoreBrowser", "ha-host-datastorebrowser"),
      licenseManager: vc ? undefined : moref("LicenseManager", "ha-license-manager"),
      // an ESXi host's own accounts; under vCenter they are the host's business, not the API's
      accountManager: vc ? undefined : moref("HostLocalAccountManager", "ha-localacctmgr"),
      userDirectory: vc ? undefined : moref("UserDirectory", "ha-user-directory"),
    };
    const host = sim.inventory.add(new HostSystem(sim, value, spec, cr.ref, this.hostAbout(), configManager));
    sim.inventory.add(new HostFirewallSystem(sim, firewallRef.value, host.ref, firewallInfo(spec.firewall)));
    sim.inventory.add(new HostNetworkSystem(sim, networkRef.value, host.ref, networkInfo(spec, (n) => sim.ids.mac(n))));
    sim.inventory.add(new OptionManager(sim, advRef.value, { "Net.GuestIPHack": 0, "Misc.HostName": spec.name, "UserVars.SuppressShellWarning": 0 }));
    const datastoreSystem = sim.inventory.add(new HostDatastoreSystem(sim, configManager.datastoreSystem!.value, host.ref));
    sim.inventory.add(new HostServiceSystem(sim, configManager.serviceSystem!.value, host.ref, defaultServices(vc)));
    sim.inventory.add(new HostDateTimeSystem(sim, configManager.dateTimeSystem!.value, host.ref));
    sim.inventory.add(new HostStorageSystem(sim, configManager.storageSystem!.value, host.ref, spec.disks));
    sim.inventory.add(new HostVirtualNicManager(sim, configManager.virtualNicManager!.value, host.ref));
    sim.inventory.add(new HostAutoStartManager(sim, configManager.autoStartManager!.value, host.ref));
    sim.inventory.add(new HostCpuSchedulerSystem(sim, configManager.cpuScheduler!.value, host.ref));
    sim.inventory.add(new HostMemorySystem(sim, configManager.memoryManager!.value, host.ref));
    sim.inventory.add(new HostVMotionSystem(sim, configManager.vmotionSystem!.value, host.ref));
    if (configManager.snmpSystem) sim.inventory.add(new HostSnmpSystem(sim, configManager.snmpSystem.value));
    const built = ["firewallSystem", "networkSystem", "advancedOption", "licenseManager", "datastoreSystem", "accountManager", "userDirectory", "serviceSystem", "dateTimeSystem", "storageSystem", "virtualNicManager", "autoStartManager", "cpuScheduler", "memoryManager", "vmotionSystem", "snmpSystem"];
    for (const [k, ref] of Object.entries(configManager)) {
      if (!ref || built.includes(k)) continue;
      this.plain(ref.type, ref.value);
    }
    const mounted = spec.datastores.length ? spec.datastores : [...datastores.keys()];
    for (const name of mounted) {
      const ds = datastores.get(name);
      if (!ds) continue;
      ds.mountOn(host.ref);
    }
    datastoreSystem.follow();
    for (const pg of spec.vswitches.flatMap((v) => v.portgroups)) {
      // the management port group carries vmkernel traffic: hostd lists no Network for it
      if (pg.name === "Management Network") continue;
      sim.portgroupAdded(host.ref, pg.name);
    }
    return host;
  }

  /** Put the scenario's files on their datastores and register its VMs from their .vmx files. */
  private fixtures(spec: DatacenterSpec): void {
    const sim = this.sim;
    if (!spec.files.length && !spec.vms.length) return;
    const dc = sim.inventory.ofType("Datacenter").find((d) => d.get("name") === spec.name) as Datacenter;
    const where = (datastore: string, p: string) => sim.vmStorage.resolve(`[${datastore}] ${p}`, dc);
    for (const f of spec.files) {
      const target = where(f.datastore, f.path);
      const vol = target.datastore.volume;
      const dir = target.path.includes("/") ? target.path.slice(0, target.path.lastIndexOf("/")) : "";
      if (dir && !vol.exists(dir)) vol.mkdir(dir, { parents: true });
      if (f.data) vol.writeFile(target.path, f.data);
      else if (f.size !== undefined) vol.createSparse(target.path, f.size);
      else if (f.disk) createFixtureDisk(sim, target, f.disk.capacityBytes, f.disk.parent ? where(f.datastore, f.disk.parent) : undefined);
    }
    const vmFolder = sim.inventory.get((dc.props.vmFolder as ManagedObjectReference).value) as Folder;
    for (const v of spec.vms) {
      let folder = vmFolder;
      for (const part of v.folder.split("/").filter(Boolean)) folder = folder.children().map((r) => sim.inventory.get(r.value)).find((o) => o instanceof Folder && o.name === part) as Folder;
      const crs = (sim.inventory.get((dc.props.hostFolder as ManagedObjectReference).value) as Folder).children().map((r) => sim.inventory.get(r.value)).filter((o): o is ComputeResource => o instanceof ComputeResource);
      const cr = v.computeResource ? crs.find((c) => c.name === v.computeResource)! : crs[0];
      let pool = sim.inventory.get((cr.props.resourcePool as ManagedObjectReference).value) as ResourcePool;
      for (const part of v.pool.split("/").filter(Boolean)) pool = ((pool.props.resourcePool as ManagedObjectReference[]).map((r) => sim.inventory.get(r.value)).find((o) => o?.get("name") === part) as ResourcePool | undefined) ?? pool;
      const vm = registerVm(sim, folder, `[${v.datastore}] ${v.vmx}`, pool.ref, undefined, { asTemplate: v.template });
      if (v.guest) sim.guests.declare(vm.ref.value, { program: v.guest.program, options: { ...v.guest } });
      if (v.powerState !== "poweredOff") vm.forcePower(v.powerState, "");
    }
  }

  private licenses(): void {
    const sim = this.sim;
    const c = sim.content as Record<string, ManagedObjectReference | undefined>;
    const hosts = sim.inventory.ofType("HostSystem") as HostSystem[];
    const specOf = new Map<string, HostSpec>();
    for (const dc of sim.scenario.datacenters) for (const h of [...dc.hosts, ...dc.clusters.flatMap((cl) => cl.hosts)]) specOf.set(h.name, h);
    const byKey = new Map<string, DataObject>();
    const assignments = new Map<string, { name: string; license: DataObject }>();
    for (const h of hosts) {
      const spec = specOf.get(h.name)!;
      const used = hosts.filter((x) => specOf.get(x.name)?.license.licenseKey === spec.license.licenseKey).reduce((n, x) => n + specOf.get(x.name)!.cpu.packages, 0);
      const info = licenseInfo(spec.license, used, Math.max(used, 32));
      if (!byKey.has(spec.license.licenseKey)) byKey.set(spec.license.licenseKey, info);
      assignments.set(h.ref.value, { name: h.name, license: info });
    }
    let lam: ManagedObjectReference | undefined;
    if (sim.isVCenter) {
      const vcLicense = licenseInfo({ licenseKey: "11111-11111-11111-11111-11111", editionKey: "vc.standard.instance", name: "VMware vCenter Server 6 Standard", features: ["esxHost", "dvs", "serialuri"] }, 1, 1);
      vcLicense.costUnit = "server";
      byKey.set(vcLicense.licenseKey as string, vcLicense);
      assignments.set((sim.content.about as { instanceUuid: string }).instanceUuid, { name: "vcenter", license: vcLicense });
      lam = moref("LicenseAssignmentManager", "LicenseAssignmentManager");
      sim.inventory.add(new LicenseAssignmentManager(sim, lam.value, assignments));
    }
    sim.inventory.add(new LicenseManager(sim, c.licenseManager!.value, [...byKey.values()], lam));
  }
}

function scenarioSubnets(s: Scenario): Record<string, string> {
  const out: Record<string, string> = {};
  for (const dc of s.datacenters) {
    for (const h of [...dc.hosts, ...dc.clusters.flatMap((c) => c.hosts)]) for (const v of h.vswitches) for (const pg of v.portgroups) if (pg.subnet) out[pg.name] = pg.subnet;
    for (const d of dc.dvSwitches) for (const pg of d.portgroups) if (pg.subnet) out[pg.name] = pg.subnet;
  }
  return out;
}
