// What every managed object can reach: the one simulator instance it
// belongs to. No module-level state: two simulators in one process share
// nothing but the (constant) schema.
import type { Schema } from "../vim25/schema/index.ts";
import type { DataObject, ManagedObjectReference } from "../vim25/soap/index.ts";
import type { Clock } from "./clock.ts";
import type { IdSource } from "./inventory/ids.ts";
import type { Inventory } from "./inventory/store.ts";
import type { Scenario } from "./inventory/scenario.ts";
import type { Session, SessionRegistry } from "./dispatch/session.ts";
import type { ManagedObject } from "./objects/managed-object.ts";
import type { ManagedEntity } from "./objects/managed-entity.ts";
import type { VmStorageService } from "./datastore/vm-storage.ts";
import type { TaskRunner } from "./tasks/task-runner.ts";
import type { EventLog } from "./tasks/event-log.ts";
import type { GuestRuntime } from "./guest/guest-runtime.ts";
import type { FaultInjector } from "./dispatch/fault-injection.ts";
import type { AuthorizationManager } from "./objects/authorization-manager.ts";
import type { HostLocalAccountManager } from "./objects/host-local-account-manager.ts";

export interface SimContext {
  schema: Schema;
  inventory: Inventory;
  clock: Clock;
  ids: IdSource;
  scenario: Scenario;
  sessions: SessionRegistry;
  tasks: TaskRunner;
  events: EventLog;
  /** ServiceInstance.content */
  content: DataObject & Record<string, ManagedObjectReference | unknown>;
  isVCenter: boolean;
  /** allocates a moref value: vCenter-style `vm-12`, or the fixed ESXi names */
  newRef(prefix: string): string;
  /** this session's instance of the default PropertyCollector (same moref, own filters) */
  newSessionCollector(session: Session): ManagedObject;
  /** CreateDatacenter's work: the datacenter and its four folders */
  createDatacenter(parent: ManagedObject & { attachChild(c: ManagedObject): void }, name: string): ManagedObjectReference;
  /** CreateClusterEx's work: a cluster with no hosts in `folder` */
  createCluster(folder: ManagedObject, name: string, cfg: { ha: boolean; drs: boolean; behavior: string }): ManagedEntity;
  /** CreateStoragePod's work: an empty datastore cluster in `folder` (storage-pod.ts) */
  createStoragePod(folder: ManagedObject, name: string): ManagedObjectReference;
  /** AddStandaloneHost_Task's and AddHost_Task's work: a host of default hardware with its local datastore, standalone in a host folder or in a cluster */
  addHost(target: ManagedObject, name: string): ManagedEntity;
  /** a host gained a standard port group: its Network joins the inventory */
  portgroupAdded(host: ManagedObjectReference, name: string): void;
  portgroupRemoved(host: ManagedObjectReference, name: string): void;
  portgroupInUse(host: ManagedObjectReference, name: string): boolean;
  /** the datastore side of VMs: .vmx, disks, folders */
  vmStorage: VmStorageService;
  /** a new vApp (CreateVApp's work, kept here to spare resource-pool.ts an import cycle) */
  newVirtualApp(value: string, name: string, parent: ManagedObjectReference, owner: ManagedObjectReference, config: { cpu: DataObject; memory: DataObject }, folder: ManagedObjectReference | undefined, configSpec: DataObject & Record<string, any>): ManagedObject;
  /** CreateVM_Task's work for a VM whose pool (and parent) is `pool`: vApps use it for their children */
  createVmIn(pool: ManagedObject, config: Record<string, any>, host: ManagedObjectReference | undefined, userName: string): ManagedObjectReference;
  /** ResourcePool.ImportVApp's work: the VM of an OVF import spec and the HttpNfcLease its disks are uploaded through */
  importVApp(pool: ManagedObject, spec: Record<string, any>, folder: ManagedObject, host: ManagedObjectReference | undefined, userName: string): ManagedObjectReference;
  /** running guests: boot media, tools, serial ports, NIC addresses */
  guests: GuestRuntime;
  /** linked children of vApps (UpdateLinkedChildren): entity ref value to the vApp's; derived from every vApp's childLink */
  vAppLinks: Map<string, string>;
  /** per-method task delays in ms (PowerOnVM_Task: 200) */
  taskDelays: Record<string, number>;
  /** faults a test asked for (/_sim/faults): consulted by the dispatcher and the task runner */
  faults: FaultInjector;
  /** the permissions the dispatcher enforces */
  readonly authorization: AuthorizationManager;
  /** an ESXi host's own accounts, which Login checks (none on vCenter) */
  readonly localAccounts: HostLocalAccountManager | undefined;
  /** whether a permission may name this user or group */
  knowsPrincipal(principal: string, group: boolean): boolean;
  /** an account is gone: its permissions go too */
  userRemoved(id: string): void;
}
