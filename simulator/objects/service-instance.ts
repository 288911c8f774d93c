// ServiceInstance: the root object. Besides the service content it answers
// the old (pre-4.0) vMotion questions, QueryVMotionCompatibility and
// ValidateMigration, from the compatibility checker's tests
// (virtual-machine-compatibility-checker.ts), as vCenter answers the newer
// CheckMigrate_Task from the same checks.
//
// Chosen without confirmation: "cpu" compatibility is the host tests (the
// host takes VMs and runs the VM's hardware version), "software" the
// datastore and network tests; ValidateMigration's events are
// MigrationErrorEvent for an error and MigrationWarningEvent for a warning,
// each carrying its fault, with the destination host as `host`. On ESXi
// (no vMotion without vCenter) both answer NotSupported.
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { datastoresOfVm, objectArg, runChecks, testTypesOf, type TestType } from "./virtual-machine-compatibility-checker.ts";
import type { VirtualMachine } from "./virtual-machine.ts";
import { datacenterOf } from "./managed-entity.ts";

const COMPATIBILITY = ["cpu", "software"];
export class ServiceInstance extends ManagedObject {
  constructor(sim: SimContext) {
    super(sim, "ServiceInstance", "ServiceInstance");
    this.props.content = sim.content;
    this.props.capability = {
      _type: "Capability",
      provisioningSupported: sim.isVCenter,
      multiHostSupported: sim.isVCenter,
      userShellAccessSupported: !sim.isVCenter,
      supportedEVCMode: [],
      networkBackupAndRestoreSupported: false,
    };
  }

  override get(name: string): unknown {
    if (name === "serverClock") return this.sim.clock.now();
    return super.get(name);
  }

  RetrieveServiceContent(_args: Args): DataObject {
    return this.sim.content;
  }

  CurrentTime(_args: Args): Date {
    return this.sim.clock.now();
  }

  private vcenterOnly(): void {
    if (!this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
  }

  QueryVMotionCompatibility(args: Args): DataObject[] {
    this.vcenterOnly();
    const vm = objectArg<VirtualMachine>(this.sim, args.vm, "VirtualMachine", "vm");
    const hosts = listOf<ManagedObjectReference>(args.host).map((r, i) => objectArg(this.sim, r, "HostSystem", `host[${i}]`));
    const asked = listOf<unknown>(args.compatibility).map(String);
    for (const c of asked) if (!COMPATIBILITY.includes(c)) throw new VimFault("InvalidArgument", { invalidProperty: "compatibility" }, `A specified parameter was not correct: compatibility (${c})`);
    const wanted = asked.length ? asked : COMPATIBILITY;
    const datastores = datastoresOfVm(this.sim, vm);
    return hosts.map((host) => {
      const passes = (tests: TestType[]) => runChecks(this.sim, { vm, host, datastores }, new Set(tests)).every((r) => !(r.error as unknown[] | undefined)?.length);
      const ok: Record<string, boolean> = { cpu: passes(["hostTests"]), software: passes(["datastoreTests", "networkTests"]) };
      return { _type: "HostVMotionCompatibility", host: host.ref, compatibility: wanted.filter((c) => ok[c]) };
    });
  }

  ValidateMigration(args: Args, ctx: CallContext): DataObject[] {
    this.vcenterOnly();
    const vms = listOf<ManagedObjectReference>(args.vm);
    if (!vms.length) throw new VimFault("InvalidArgument", { invalidProperty: "vm" });
    const list = vms.map((r, i) => objectArg<VirtualMachine>(this.sim, r, "VirtualMachine", `vm[${i}]`));
    if (args.state !== undefined && !["poweredOff", "poweredOn", "suspended"].includes(String(args.state))) throw new VimFault("InvalidArgument", { invalidProperty: "state" });
    const tests = testTypesOf(args.testType);
    const host = args.host ? objectArg(this.sim, args.host, "HostSystem", "host") : undefined;
    const pool = args.pool ? objectArg(this.sim, args.pool, "ResourcePool", "pool") : undefined;
    const userName = ctx.session?.userName ?? "";
    const now = this.sim.clock.now();
    const out: DataObject[] = [];
    for (const vm of list) {
      for (const r of runChecks(this.sim, { vm, host, pool, state: args.state as string | undefined, datastores: datastoresOfVm(this.sim, vm) }, tests)) {
        const dest = r.host ? this.sim.inventory.get((r.host as ManagedObjectReference).value) : undefined;
        const dc = datacenterOf(vm);
        const event = (type: string, fault: DataObject): DataObject => ({
          // these events describe a migration that did not happen: they are answered, not logged, so they carry no log key (0)
          _type: type, key: 0, chainId: 0, createdTime: now, userName,
          datacenter: dc ? { _type: "DatacenterEventArgument", name: dc.name, datacenter: dc.ref } : undefined,
          host: dest ? { _type: "HostEventArgument", name: String(dest.get("name")), host: dest.ref } : undefined,
          vm: { _type: "VmEventArgument", name: vm.name, vm: vm.ref },
          fullFormattedMessage: `Migration of ${vm.name}${dest ? ` to ${String(dest.get("name"))}` : ""}: ${String((fault as { localizedMessage?: string }).localizedMessage ?? "")}`,
          template: !!vm.config.template, fault,
        });
        for (const f of (r.error as DataObject[] | undefined) ?? []) out.push(event("MigrationErrorEvent", f));
        for (const f of (r.warning as DataObject[] | undefined) ?? []) out.push(event("MigrationWarningEvent", f));
      }
    }
    return out;
  }
}

function listOf<T>(v: unknown): T[] {
  return (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]) as T[];
}
