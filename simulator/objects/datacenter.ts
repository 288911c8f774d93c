import { VimFault, localizedFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import type { Args, CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

export class Datacenter extends ManagedEntity {
  constructor(sim: SimContext, value: string, name: string, parent: ManagedObjectReference, folders: { vm: ManagedObjectReference; host: ManagedObjectReference; datastore: ManagedObjectReference; network: ManagedObjectReference }) {
    super(sim, "Datacenter", value, name, parent);
    Object.assign(this.props, {
      vmFolder: folders.vm,
      hostFolder: folders.host,
      datastoreFolder: folders.datastore,
      networkFolder: folders.network,
      datastore: [],
      network: [],
      configuration: { _type: "DatacenterConfigInfo", defaultHardwareVersionKey: undefined },
    });
  }

  override children(): ManagedObjectReference[] {
    return ["vmFolder", "hostFolder", "datastoreFolder", "networkFolder"].map((p) => this.props[p] as ManagedObjectReference);
  }

  addDatastore(ref: ManagedObjectReference): void {
    this.update({ datastore: [...(this.props.datastore as ManagedObjectReference[]), ref] });
  }

  addNetwork(ref: ManagedObjectReference): void {
    this.update({ network: [...(this.props.network as ManagedObjectReference[]), ref] });
  }

  removeNetwork(ref: ManagedObjectReference): void {
    this.update({ network: (this.props.network as ManagedObjectReference[]).filter((r) => r.value !== ref.value) });
  }

  /**
   * Power on several VMs at once, as vCenter's DRS does: each in a task of its
   * own (listed as attempted); a VM that is not of this datacenter is not
   * attempted, with the fault that says why. hostd has no DRS: NotSupported.
   */
  PowerOnMultiVM_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "PowerOnMultiVM_Task", "Datacenter.powerOnVm", ctx.session?.userName ?? "", () => {
      if (!this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
      const attempted: DataObject[] = [];
      const notAttempted: DataObject[] = [];
      for (const ref of (args.vm ?? []) as ManagedObjectReference[]) {
        const vm = this.sim.inventory.get(ref.value);
        if (!(vm instanceof ManagedEntity) || vm.type !== "VirtualMachine" || datacenterOf(vm) !== this) {
          notAttempted.push({ _type: "ClusterNotAttemptedVmInfo", vm: ref, fault: localizedFault(new VimFault("ManagedObjectNotFound", { obj: ref }, `${ref.value} is not a virtual machine of ${this.name}.`)) });
          continue;
        }
        const powerOn = (vm as unknown as { PowerOnVM_Task(a: Args, c: CallContext): ManagedObjectReference }).PowerOnVM_Task;
        attempted.push({ _type: "ClusterAttemptedVmInfo", vm: ref, task: powerOn.call(vm, {}, ctx) });
      }
      return { _type: "ClusterPowerOnVmResult", attempted, notAttempted };
    }, { resultType: { type: "ClusterPowerOnVmResult" } });
  }

  override destroy(): void {
    if (!this.sim.isVCenter) throw new VimFault("NotSupported", {});
    for (const r of this.children()) {
      const f = this.sim.inventory.get(r.value);
      if (f instanceof ManagedEntity) {
        for (const c of f.children()) {
          const o = this.sim.inventory.get(c.value);
          if (o instanceof ManagedEntity) o.destroy();
        }
        this.sim.inventory.remove(f);
      }
    }
    super.destroy();
  }
}
