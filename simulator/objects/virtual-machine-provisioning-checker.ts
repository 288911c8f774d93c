// VirtualMachineProvisioningChecker (vCenter's "ProvChecker"): would this
// migration, relocation or clone succeed? Each call is a Task whose result is
// CheckResult[]; the tests are the CompatibilityChecker's
// (virtual-machine-compatibility-checker.ts), fed with where the operation
// would put the VM. CheckRelocate_Task and CheckClone_Task pick the target
// host as RelocateVM_Task and CloneVM_Task do (placeVm), so a check that
// passes is a relocation or clone that succeeds, and a refusal both know
// carries the same fault. CheckMigrate_Task follows the API reference: with
// no host, a standalone host is the target, and in a cluster every connected
// host out of maintenance mode is tested. CheckInstantClone_Task (6.7) runs
// CheckClone's tests for a clone whose disks are children of the source's
// (an instant clone shares them), into spec.location.folder or the source's
// own folder; its source must be powered on, and one that is not gets
// InvalidPowerState among the results' errors (our reading: the checks report,
// they do not fail). Instant clones themselves are not simulated.
import { VimFault, localizedFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { VirtualMachine } from "./virtual-machine.ts";
import type { Datastore } from "./datastore.ts";
import { datacenterOf, type ManagedEntity } from "./managed-entity.ts";
import { kindOf } from "./vm-devices.ts";
import { placeVm } from "./vm-factory.ts";
import { diskChain, extentFile } from "../datastore/disk-files.ts";
import { checkTask, datastoresOfVm, objectArg, relocationFootprint, runChecks, testTypesOf, type CheckInput } from "./virtual-machine-compatibility-checker.ts";

type Ref = ManagedObjectReference;

/** The .nvram a clone writes (vm-clone.ts). */
const NVRAM_BYTES = 8684;

function vcenterOnly(sim: SimContext): void {
  if (!sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
}

export class VirtualMachineProvisioningChecker extends ManagedObject {
  constructor(sim: SimContext, value: string) {
    super(sim, "VirtualMachineProvisioningChecker", value);
  }

  private vmArg(ref: unknown): VirtualMachine {
    return objectArg<VirtualMachine>(this.sim, ref, "VirtualMachine", "vm");
  }

  /** Host and pool as RelocateVM_Task resolves them: a host outside the pool's compute resource brings its own root pool. */
  private target(vm: VirtualMachine, hostRef: unknown, poolRef: unknown, what: string): { host?: ManagedObject; pool: ManagedObject; poolGiven: boolean } {
    const inv = this.sim.inventory;
    const host = hostRef ? objectArg(this.sim, hostRef, "HostSystem", `${what}host`) : undefined;
    let pool = poolRef ? objectArg(this.sim, poolRef, "ResourcePool", `${what}pool`) : inv.get((vm.props.resourcePool as Ref).value)!;
    if (host && !poolRef) {
      const owner = inv.get((pool.props.owner as Ref).value);
      if (!((owner?.props.host as Ref[] | undefined) ?? []).some((r) => r.value === host.ref.value)) {
        pool = inv.get((inv.get((host.props.parent as Ref).value)!.props.resourcePool as Ref).value)!;
      }
    }
    return { host, pool, poolGiven: !!poolRef };
  }

  /** The host placeVm would pick when none is named (undefined when the operation keeps the VM's own or names one). */
  private placed(vm: VirtualMachine | undefined, pool: ManagedObject, host: ManagedObject | undefined, datastore: Datastore): ManagedObject[] | undefined {
    if (host) return undefined;
    const owner = this.sim.inventory.get((pool.props.owner as Ref).value);
    const hosts = (owner?.props.host as Ref[] | undefined) ?? [];
    if (vm && hosts.some((h) => h.value === vm.host.value)) return [this.sim.inventory.get(vm.host.value)!];
    try {
      return [this.sim.inventory.get(placeVm(this.sim, pool.ref, undefined, datastore.ref).value)!];
    } catch {
      return undefined; // no host at all: nothing to test against
    }
  }

  /** Would MigrateVM_Task / a vMotion of the VM to the host or pool succeed, the VM in `state`? */
  CheckMigrate_Task(args: Args, ctx: CallContext): Ref {
    return checkTask(this.sim, this, "CheckMigrate_Task", args.vm, ctx, () => {
      vcenterOnly(this.sim);
      const vm = this.vmArg(args.vm);
      const tests = testTypesOf(args.testType);
      if (args.state !== undefined && !["poweredOff", "poweredOn", "suspended"].includes(String(args.state))) throw new VimFault("InvalidArgument", { invalidProperty: "state" });
      // the reference: a template needs a host or a pool to test against
      if (vm.config.template && !args.host && !args.pool) throw new VimFault("InvalidArgument", { invalidProperty: "host" }, "A specified parameter was not correct: host (a template needs a host or a pool)");
      const { host, pool, poolGiven } = this.target(vm, args.host, args.pool, "");
      return runChecks(this.sim, { vm, host, pool: poolGiven || host ? pool : undefined, state: args.state, datastores: datastoresOfVm(this.sim, vm) }, tests);
    });
  }

  /** Would RelocateVM_Task with this spec succeed? */
  CheckRelocate_Task(args: Args, ctx: CallContext): Ref {
    return checkTask(this.sim, this, "CheckRelocate_Task", args.vm, ctx, () => {
      vcenterOnly(this.sim);
      const vm = this.vmArg(args.vm);
      const tests = testTypesOf(args.testType);
      const spec = (args.spec ?? {}) as Record<string, any>;
      // RelocateVM_Task's own argument refusals
      for (const [i, t] of [spec.diskMoveType, ...((spec.disk ?? []) as Record<string, any>[]).map((l) => l.diskMoveType)].entries()) {
        if (t === "createNewChildDiskBacking") throw new VimFault("InvalidArgument", { invalidProperty: i === 0 ? "spec.diskMoveType" : `spec.disk[${i - 1}].diskMoveType` }, "A specified parameter was not correct: diskMoveType (createNewChildDiskBacking is for clones)");
      }
      const { host, pool } = this.target(vm, spec.host, spec.pool, "spec.");
      const input: CheckInput = { vm, host, pool, ...relocationFootprint(this.sim, vm, spec) };
      input.hosts = this.placed(vm, pool, host, input.datastores![0]);
      if (spec.folder) {
        const folder = objectArg<ManagedEntity>(this.sim, spec.folder, "Folder", "spec.folder");
        if (folder.ref.value !== (vm.props.parent as Ref | undefined)?.value) input.folderName = { folder, name: vm.name };
      }
      return runChecks(this.sim, input, tests);
    });
  }

  /** Would CloneVM_Task into `folder` as `name` with this spec succeed? */
  CheckClone_Task(args: Args, ctx: CallContext): Ref {
    return checkTask(this.sim, this, "CheckClone_Task", args.vm, ctx, () => {
      vcenterOnly(this.sim);
      const vm = this.vmArg(args.vm);
      const folder = objectArg<ManagedEntity>(this.sim, args.folder, "Folder", "folder");
      const tests = testTypesOf(args.testType);
      return runChecks(this.sim, this.cloneInput(vm, folder, String(args.name ?? ""), (args.spec ?? {}) as Record<string, any>, "spec."), tests);
    });
  }

  /** Would an instant clone of the running VM with this spec succeed? */
  CheckInstantClone_Task(args: Args, ctx: CallContext): Ref {
    return checkTask(this.sim, this, "CheckInstantClone_Task", args.vm, ctx, () => {
      vcenterOnly(this.sim);
      const vm = this.vmArg(args.vm);
      const tests = testTypesOf(args.testType);
      const spec = args.spec as Record<string, any> | undefined;
      if (!spec || typeof spec !== "object") throw new VimFault("InvalidArgument", { invalidProperty: "spec" });
      if (typeof spec.name !== "string" || !spec.name) throw new VimFault("InvalidArgument", { invalidProperty: "spec.name" });
      const loc = (spec.location ?? {}) as Record<string, any>;
      const folder = loc.folder ? objectArg<ManagedEntity>(this.sim, loc.folder, "Folder", "spec.location.folder") : this.sim.inventory.get((vm.props.parent as Ref).value) as ManagedEntity;
      const input = this.cloneInput(vm, folder, spec.name, { location: { ...loc, diskMoveType: "createNewChildDiskBacking" } }, "spec.");
      const results = runChecks(this.sim, input, tests);
      if (tests.has("sourceTests") && vm.powerState !== "poweredOn") {
        const f = localizedFault(new VimFault("InvalidPowerState", { requestedState: "poweredOn", existingState: vm.powerState }, `The attempted operation cannot be performed in the current state (${vm.powerState}).`));
        for (const r of results) (r.error as DataObject[]).unshift(f);
      }
      return results;
    });
  }

  /** What CheckClone_Task tests: where CloneVM_Task would put the clone and what it would copy there. */
  private cloneInput(vm: VirtualMachine, folder: ManagedEntity, name: string, spec: Record<string, any>, where: string): CheckInput {
    const sim = this.sim;
    const loc = (spec.location ?? {}) as Record<string, any>;
    const host = loc.host ? objectArg(sim, loc.host, "HostSystem", `${where}location.host`) : undefined;
    const pool = loc.pool ? objectArg(sim, loc.pool, "ResourcePool", `${where}location.pool`) : sim.inventory.get((vm.props.resourcePool as Ref).value)!;
    const storage = sim.vmStorage;
    const srcVmx = storage.resolve(vm.config.files.vmPathName, vm);
    const ds = loc.datastore ? objectArg<Datastore>(sim, loc.datastore, "Datastore", `${where}location.datastore`) : srcVmx.datastore;
    const linked = loc.diskMoveType === "createNewChildDiskBacking";
    // a full clone writes each disk's chain flattened onto the datastore; a linked one a delta on the source's disks, which stay where they are
    const datastores = new Set<Datastore>([ds]);
    let bytes = NVRAM_BYTES;
    for (const d of vm.config.hardware.device) {
      if (kindOf(sim.schema, d._type) !== "disk" || !d.backing?.fileName) continue;
      const file = storage.resolve(d.backing.fileName, vm);
      if (linked) {
        datastores.add(file.datastore);
        continue;
      }
      for (const link of diskChain(sim, file, datacenterOf(vm))) {
        for (const e of link.descriptor.extents) {
          if (!e.file) continue;
          const x = extentFile(link.file, e);
          bytes += x.datastore.volume.stat(x.path)?.allocated ?? 0;
        }
      }
    }
    // placeVm picks the first host of the pool's compute resource that takes VMs and mounts the datastore
    let hosts: ManagedObject[] | undefined;
    if (!host) {
      try {
        hosts = [sim.inventory.get(placeVm(sim, pool.ref, undefined, ds.ref).value)!];
      } catch {
        hosts = undefined;
      }
    }
    return { vm, host, hosts, pool, cloning: true, folderName: { folder, name }, datastores: [...datastores], copies: new Map([[ds, bytes]]) };
  }

  /** vMotion compatibility of each VM with each host: the host, datastore and network tests of a migration in the VM's power state. */
  QueryVMotionCompatibilityEx_Task(args: Args, ctx: CallContext): Ref {
    const vms = (args.vm ?? []) as Ref[];
    return checkTask(this.sim, this, "QueryVMotionCompatibilityEx_Task", vms[0], ctx, () => {
      vcenterOnly(this.sim);
      const list = vms.map((r, i) => objectArg<VirtualMachine>(this.sim, r, "VirtualMachine", `vm[${i}]`));
      const hosts = ((args.host ?? []) as Ref[]).map((r, i) => objectArg(this.sim, r, "HostSystem", `host[${i}]`));
      const out: DataObject[] = [];
      for (const vm of list) {
        for (const host of hosts) {
          out.push(...runChecks(this.sim, { vm, host, datastores: datastoresOfVm(this.sim, vm) }, new Set(["sourceTests", "hostTests", "datastoreTests", "networkTests"])));
        }
      }
      return out;
    });
  }
}
