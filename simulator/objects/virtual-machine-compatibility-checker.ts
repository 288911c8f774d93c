// VirtualMachineCompatibilityChecker (vCenter's "CompatChecker"): can this VM
// power on and run on that host, in that pool? Each call is a Task whose
// result is CheckResult[] (one per VM and host tested), every problem a
// LocalizedMethodFault in `error` (fatal) or `warning`. The tests themselves
// live here and the ProvisioningChecker (virtual-machine-provisioning-checker.ts)
// runs the same ones for migrations, relocations and clones.
//
// The faults are the ones the real operations of this simulator raise
// wherever they refuse the same thing (DatastoreNotWritableOnHost, DuplicateName,
// NoDiskSpace, InvalidArgument for a host outside the pool's compute resource,
// HostNotConnected for a VM whose host is disconnected or a target host that
// is, InvalidHostState for a target host in maintenance mode (the fault of
// "the operation is not allowed in the current state of the host"; chosen from
// the vim25 fault types, not confirmed against a real vpxd), InvalidPowerState,
// NotSupported for vApps and other datacenters, and, chosen likewise,
// VirtualHardwareVersionNotSupported for a VM whose hardware version the
// host's release does not run, CannotAccessNetwork for a network adapter
// whose network the host does not have: an error for an adapter that is (or
// starts) connected, which RelocateVM_Task refuses, a warning for one that is
// not). The refusals RelocateVM_Task shares live in vm-placement.ts.
import { VimFault, localizedFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { VirtualMachine } from "./virtual-machine.ts";
import type { Datastore } from "./datastore.ts";
import { datacenterOf, type ManagedEntity } from "./managed-entity.ts";
import { kindOf } from "./vm-devices.ts";
import { checkName } from "./vm-factory.ts";
import { datastoreRefusal, hostRefusal, hostTakesVms, mounts, networkRefusals, versionRefusal } from "./vm-placement.ts";
import { dirname } from "../datastore/datastore-path.ts";
import { hostNotConnected } from "./host-power.ts";
import { diskChain, extentFile } from "../datastore/disk-files.ts";

type Ref = ManagedObjectReference;
export type TestType = "sourceTests" | "hostTests" | "resourcePoolTests" | "datastoreTests" | "networkTests";
const TEST_TYPES: TestType[] = ["sourceTests", "hostTests", "resourcePoolTests", "datastoreTests", "networkTests"];
const POWER_STATES = ["poweredOff", "poweredOn", "suspended"];

/** CheckTestType[] → the tests to run: all when unset or empty; an unknown name is InvalidArgument. */
export function testTypesOf(arg: unknown): Set<TestType> {
  const list = (Array.isArray(arg) ? arg : arg === undefined || arg === null ? [] : [arg]).map(String);
  for (const t of list) if (!TEST_TYPES.includes(t as TestType)) throw new VimFault("InvalidArgument", { invalidProperty: "testType" }, `A specified parameter was not correct: testType (${t})`);
  return new Set(list.length ? (list as TestType[]) : TEST_TYPES);
}

/** An argument that must name an object of `type`: ManagedObjectNotFound when it names nothing, InvalidArgument when something else. */
export function objectArg<T extends ManagedObject = ManagedObject>(sim: SimContext, ref: unknown, type: string, name: string): T {
  const r = ref as Ref | undefined;
  if (!r || typeof r !== "object" || typeof r.value !== "string") throw new VimFault("InvalidArgument", { invalidProperty: name }, `A specified parameter was not correct: ${name}`);
  const o = sim.inventory.get(r.value);
  if (!o) throw new VimFault("ManagedObjectNotFound", { obj: r }, `The object '${r.type}:${r.value}' has already been deleted or has not been completely created`);
  if (!o.isA(type)) throw new VimFault("InvalidArgument", { invalidProperty: name }, `A specified parameter was not correct: ${name} (${o.ref.type} ${o.ref.value} is not a ${type})`);
  return o as T;
}

export function fault(type: string, fields: Record<string, unknown>, message: string): DataObject {
  return localizedFault(new VimFault(type, fields, message));
}

const faultOf = localizedFault;

/** What one check is about: the VM (or none, for a config), where it would run, and what it would use there. */
export interface CheckInput {
  vm?: VirtualMachine;
  /** the host asked for, if any */
  host?: ManagedObject;
  /** the hosts to test, when the operation itself picks one (RelocateVM_Task and CloneVM_Task through placeVm) */
  hosts?: ManagedObject[];
  /** the pool asked for, if any (else the VM's own) */
  pool?: ManagedObject;
  /** the power state the VM would have: the `state` argument, else its own */
  state?: string;
  /** the datastores the VM's files would be on: its own unless a spec moves them */
  datastores?: Datastore[];
  /** bytes each target datastore must take (disks copied or moved) */
  copies?: Map<Datastore, number>;
  /** the hardware version to run ("vmx-11"); the VM's own when unset */
  version?: string;
  /** network adapters (devices) to check: the VM's own when unset */
  nics?: (DataObject & Record<string, any>)[];
  /** the folder and name the VM takes (a clone, or a relocation to another folder): DuplicateName */
  folderName?: { folder: ManagedEntity; name: string };
  /** a clone: the source stays where it is (no vApp move) */
  cloning?: boolean;
  /** power on: the VM must be off and not a template */
  powerOn?: boolean;
}

/** Run the tests asked for: one CheckResult per host tested. */
export function runChecks(sim: SimContext, input: CheckInput, tests: Set<TestType>): DataObject[] {
  const inv = sim.inventory;
  const vm = input.vm;
  const curPool = vm ? inv.get((vm.props.resourcePool as Ref).value) : undefined;
  const pool = input.pool ?? curPool;
  const owner = pool ? inv.get((pool.props.owner as Ref).value) : undefined;
  const poolHosts = ((owner?.props.host as Ref[] | undefined) ?? []);
  const inPool = (h: Ref) => poolHosts.some((r) => r.value === h.value);

  // the hosts to test: those the operation picks (relocate, clone), or the one asked for; else the VM's own when no pool is named;
  // else each host of the pool's compute resource that takes VMs (a standalone host, or a DRS cluster's connected hosts out of maintenance mode)
  let hosts: (ManagedObject | undefined)[];
  if (input.hosts?.length) hosts = input.hosts;
  else if (input.host) hosts = [input.host];
  else if (vm && !input.pool) hosts = [inv.get(vm.host.value)];
  else {
    const eligible = poolHosts.map((h) => inv.get(h.value)).filter((h) => hostTakesVms(h));
    hosts = eligible.length ? eligible : poolHosts.length ? poolHosts.map((h) => inv.get(h.value)) : [undefined];
  }

  return hosts.map((host) => {
    const error: DataObject[] = [];
    const warning: DataObject[] = [];
    const hostName = String(host?.get("name") ?? "");
    const hostRef = host?.ref;

    if (tests.has("sourceTests") && vm) {
      // vpxd reaches the VM through its host: RelocateVM_Task, CloneVM_Task and PowerOnVM_Task all answer HostNotConnected (VirtualMachine.checkTask)
      if ((vm.props.runtime as { connectionState?: string }).connectionState === "disconnected") {
        error.push(faultOf(hostNotConnected()));
      }
      if (input.powerOn) {
        if (vm.config.template) error.push(fault("InvalidState", {}, "Cannot power on a template."));
        else if (vm.powerState === "poweredOn") error.push(fault("InvalidPowerState", { requestedState: "poweredOff", existingState: "poweredOn" }, "The attempted operation cannot be performed in the current state (Powered on)."));
      } else if (input.state && input.state !== vm.powerState) {
        // CheckMigrate's `state`: the VM must be in it (as MigrateVM_Task's `state` says: it migrates only if its state matches)
        error.push(fault("InvalidPowerState", { requestedState: input.state, existingState: vm.powerState }, `The attempted operation cannot be performed in the current state (${vm.powerState}).`));
      }
      if (input.folderName) {
        const f = input.folderName.folder;
        if (!((f.props.childType as string[] | undefined) ?? []).includes("VirtualMachine")) error.push(fault("NotSupported", {}, "The operation is not supported on the object."));
        else {
          try {
            checkName(sim, f, input.folderName.name);
          } catch (e) {
            if (!(e instanceof VimFault)) throw e;
            error.push(faultOf(e));
          }
        }
      }
    }

    if (tests.has("resourcePoolTests") && pool) {
      if (hostRef && !inPool(hostRef)) {
        // placeVm's answer in RelocateVM_Task and CloneVM_Task
        error.push(fault("InvalidArgument", { invalidProperty: "host" }, "The host is not part of the resource pool's compute resource."));
      }
      if (curPool && (pool.type === "VirtualApp" || curPool.type === "VirtualApp") && pool !== curPool && !input.cloning) {
        error.push(fault("NotSupported", {}, "Moving a virtual machine into or out of a vApp is not supported by this simulator."));
      }
      if (vm && datacenterOf(pool as ManagedEntity) !== datacenterOf(vm)) {
        error.push(fault("NotSupported", {}, "Relocating a virtual machine to another datacenter is not supported by this simulator."));
      }
    }

    if (tests.has("hostTests") && host) {
      const refusal = hostRefusal(host);
      if (refusal) error.push(faultOf(refusal));
      const unsupported = versionRefusal(sim, host, input.version ?? vm?.config.version);
      if (unsupported) error.push(faultOf(unsupported));
    }

    if (tests.has("datastoreTests") && host) {
      for (const ds of input.datastores ?? []) {
        if (!mounts(host, ds.ref)) {
          // the fault RelocateVM_Task raises for the same datastore
          error.push(fault("DatastoreNotWritableOnHost", { datastore: ds.ref, name: ds.name, host: hostRef }, `The datastore '${ds.name}' is not accessible from host '${hostName}'.`));
        }
      }
      for (const [ds, bytes] of input.copies ?? []) {
        const closed = datastoreRefusal(ds);
        if (closed) error.push(faultOf(closed));
        if (bytes > ds.volume.freeBytes()) error.push(fault("NoDiskSpace", { file: `[${ds.name}]`, datastore: ds.name }, `Insufficient disk space on datastore '${ds.name}'.`));
      }
    }

    if (tests.has("networkTests") && host) {
      const nics = input.nics ?? (vm ? vm.config.hardware.device.filter((d) => kindOf(sim.schema, d._type) === "nic") : []);
      for (const { fault: f, connected } of networkRefusals(sim, host, nics)) (connected ? error : warning).push(faultOf(f));
    }

    return { _type: "CheckResult", vm: vm?.ref, host: hostRef, warning, error };
  });
}

/** Bytes a file or folder holds on its datastore. */
function allocated(ds: Datastore, path: string): number {
  const st = ds.volume.stat(path);
  if (!st) return 0;
  if (!st.isDirectory) return st.allocated;
  return ds.volume.readdir(path).reduce((n, name) => n + allocated(ds, path ? `${path}/${name}` : name), 0);
}

/**
 * Where a RelocateVM_Task spec puts the VM's files, and what it has to copy
 * where. An estimate, counted as RelocateVM_Task's transfer would for the
 * default move type: a disk going elsewhere takes its whole chain along
 * (moveChildMostDiskBacking only its top), a home going elsewhere takes
 * every file of the VM's folder; disks staying put cost nothing.
 */
export function relocationFootprint(sim: SimContext, vm: VirtualMachine, spec: Record<string, any>): { datastores: Datastore[]; copies: Map<Datastore, number> } {
  const dsOf = (ref: Ref | undefined, what: string): Datastore | undefined => (ref ? objectArg<Datastore>(sim, ref, "Datastore", what) : undefined);
  const storage = sim.vmStorage;
  const dc = datacenterOf(vm);
  const vmx = storage.resolve(vm.config.files.vmPathName, vm);
  const homeTarget = dsOf(spec.datastore, "spec.datastore");
  const used = new Set<Datastore>([homeTarget ?? vmx.datastore]);
  const copies = new Map<Datastore, number>();
  const counted = new Set<string>();
  const add = (to: Datastore, from: Datastore, path: string) => {
    const k = `${from.ref.value}:${path}`;
    if (counted.has(k)) return;
    counted.add(k);
    copies.set(to, (copies.get(to) ?? 0) + allocated(from, path));
  };
  const disks = vm.config.hardware.device.filter((d) => kindOf(sim.schema, d._type) === "disk" && d.backing?.fileName);
  const locators = new Map<number, Record<string, any>>(((spec.disk ?? []) as Record<string, any>[]).map((l) => [l.diskId, l]));
  for (const d of disks) {
    const l = locators.get(d.key);
    const target = dsOf(l?.datastore, "spec.disk.datastore") ?? homeTarget;
    const file = storage.resolve(d.backing!.fileName, vm);
    used.add(target ?? file.datastore);
    if (!target || target === file.datastore) continue;
    const childMost = (l?.diskMoveType ?? spec.diskMoveType) === "moveChildMostDiskBacking";
    diskChain(sim, file, dc).forEach((link, i) => {
      if (childMost && i > 0) return;
      add(target, link.file.datastore, link.file.path);
      for (const e of link.descriptor.extents) if (e.file) add(target, link.file.datastore, extentFile(link.file, e).path);
    });
  }
  if (homeTarget && homeTarget !== vmx.datastore) {
    const home = dirname(vmx.path);
    for (const name of vmx.datastore.volume.readdir(home)) add(homeTarget, vmx.datastore, home ? `${home}/${name}` : name);
  }
  return { datastores: [...used], copies };
}

/** The datastores a VM's files are on now. */
export function datastoresOfVm(sim: SimContext, vm: VirtualMachine): Datastore[] {
  return ((vm.props.datastore as Ref[] | undefined) ?? []).map((r) => sim.inventory.get(r.value)).filter((d): d is Datastore => !!d && d.type === "Datastore") as Datastore[];
}

/** The task every check runs in: on the VM when there is one (TaskInfo.entity must be a ManagedEntity), else the root folder. */
export function checkTask(sim: SimContext, self: ManagedObject, method: string, vm: Ref | undefined, ctx: CallContext, body: () => DataObject[]): Ref {
  // the entity: the named VM's datacenter, else the root folder (not the VM: a VM whose host is disconnected runs no task,
  // and that is what the check reports); argument faults end the task
  const named = vm && typeof vm === "object" ? sim.inventory.get(vm.value) : undefined;
  const dc = named?.type === "VirtualMachine" ? datacenterOf(named as VirtualMachine) : undefined;
  const entity = dc ?? sim.inventory.get((sim.content.rootFolder as Ref).value) ?? self;
  // vim.vm.check.CompatibilityChecker → "vm.check.CompatibilityChecker.checkCompatibility" (the pattern of "VirtualMachine.relocate"; unconfirmed)
  const descriptionId = `vm.check.${self.type === "VirtualMachineCompatibilityChecker" ? "CompatibilityChecker" : "ProvisioningChecker"}.${method[0].toLowerCase()}${method.slice(1).replace(/_Task$/, "")}`;
  return sim.tasks.run(entity, method, descriptionId, ctx.session?.userName ?? "", body, { resultType: { type: "CheckResult", array: true } });
}

function vcenterOnly(sim: SimContext): void {
  if (!sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
}

export class VirtualMachineCompatibilityChecker extends ManagedObject {
  constructor(sim: SimContext, value: string) {
    super(sim, "VirtualMachineCompatibilityChecker", value);
  }

  /** Can the VM power on and run on the host (or the pool's hosts)? */
  CheckCompatibility_Task(args: Args, ctx: CallContext): Ref {
    return checkTask(this.sim, this, "CheckCompatibility_Task", args.vm, ctx, () => {
      vcenterOnly(this.sim);
      const vm = objectArg<VirtualMachine>(this.sim, args.vm, "VirtualMachine", "vm");
      const host = args.host ? objectArg(this.sim, args.host, "HostSystem", "host") : undefined;
      const pool = args.pool ? objectArg(this.sim, args.pool, "ResourcePool", "pool") : undefined;
      return runChecks(this.sim, { vm, host, pool, datastores: datastoresOfVm(this.sim, vm) }, testTypesOf(args.testType));
    });
  }

  /** Would PowerOnVM_Task succeed (on the host or pool given, else where the VM is)? */
  CheckPowerOn_Task(args: Args, ctx: CallContext): Ref {
    return checkTask(this.sim, this, "CheckPowerOn_Task", args.vm, ctx, () => {
      vcenterOnly(this.sim);
      const vm = objectArg<VirtualMachine>(this.sim, args.vm, "VirtualMachine", "vm");
      const host = args.host ? objectArg(this.sim, args.host, "HostSystem", "host") : undefined;
      const pool = args.pool ? objectArg(this.sim, args.pool, "ResourcePool", "pool") : undefined;
      return runChecks(this.sim, { vm, host, pool, powerOn: true, datastores: datastoresOfVm(this.sim, vm) }, testTypesOf(args.testType));
    });
  }

  /** Could a VM of this config (a new one, or `vm` reconfigured) run on the host or pool? */
  CheckVmConfig_Task(args: Args, ctx: CallContext): Ref {
    return checkTask(this.sim, this, "CheckVmConfig_Task", args.vm, ctx, () => {
      vcenterOnly(this.sim);
      const spec = args.spec as Record<string, any> | undefined;
      if (!spec || typeof spec !== "object") throw new VimFault("InvalidArgument", { invalidProperty: "spec" });
      const vm = args.vm ? objectArg<VirtualMachine>(this.sim, args.vm, "VirtualMachine", "vm") : undefined;
      const host = args.host ? objectArg(this.sim, args.host, "HostSystem", "host") : undefined;
      const pool = args.pool ? objectArg(this.sim, args.pool, "ResourcePool", "pool") : undefined;
      if (!vm && !host && !pool) throw new VimFault("InvalidArgument", { invalidProperty: "host" }, "A specified parameter was not correct: host or pool (needed without a vm)");
      const datastores = vm ? datastoresOfVm(this.sim, vm) : [];
      if (spec.files?.vmPathName) {
        try {
          const ds = this.sim.vmStorage.datastoreOf(String(spec.files.vmPathName), (pool ?? host ?? vm) as ManagedEntity);
          if (!datastores.includes(ds)) datastores.push(ds);
        } catch (e) {
          if (!(e instanceof VimFault)) throw e;
          throw new VimFault("InvalidArgument", { invalidProperty: "spec.files.vmPathName" }, e.message);
        }
      }
      const added = ((spec.deviceChange ?? []) as Record<string, any>[]).filter((c) => c.operation === "add" && c.device && kindOf(this.sim.schema, c.device._type) === "nic").map((c) => c.device);
      const own = vm ? vm.config.hardware.device.filter((d) => kindOf(this.sim.schema, d._type) === "nic") : [];
      return runChecks(this.sim, { vm, host, pool, version: spec.version, datastores, nics: [...own, ...added] }, testTypesOf(args.testType));
    });
  }
}
