// VirtualApp (vCenter): a resource pool that is also an entity in a VM
// folder, with product information, child VMs made by CreateChildVM_Task, and
// power operations that start and stop all of them. VIC's installer puts
// each VCH in one.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { Args, CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { ResourcePool } from "./resource-pool.ts";
import type { VirtualMachine } from "./virtual-machine.ts";
import { exportLease } from "./ovf-export.ts";

export class VirtualApp extends ResourcePool {
  constructor(sim: SimContext, value: string, name: string, parent: ManagedObjectReference, owner: ManagedObjectReference, config: { cpu: DataObject; memory: DataObject }, folder: ManagedObjectReference, configSpec: DataObject & Record<string, any>) {
    super(sim, "VirtualApp", value, name, parent, owner, config);
    const product = ((configSpec.product ?? []) as (DataObject & { info?: DataObject })[]).map((p, i) => ({ _type: "VAppProductInfo", key: i, classId: "", instanceId: "", ...(p.info ?? {}) }));
    Object.assign(this.props, {
      parentFolder: folder,
      datastore: [],
      network: [],
      childLink: [],
      vAppConfig: {
        _type: "VAppConfigInfo",
        product,
        property: [],
        ipAssignment: { _type: "VAppIPAssignmentInfo", ipAllocationPolicy: "fixedPolicy", ipProtocol: "IPv4", supportedIpProtocol: ["IPv4"] },
        eula: [],
        ovfSection: [],
        ovfEnvironmentTransport: [],
        installBootRequired: false,
        installBootStopDelay: 0,
        entityConfig: [],
        annotation: configSpec.annotation ?? "",
        instanceUuid: configSpec.instanceUuid ?? sim.ids.uuid("vapp", value),
        managedBy: configSpec.managedBy,
      },
    });
    this.props.summary = { ...(this.props.summary as DataObject), _type: "VirtualAppSummary", product: product[0], vAppState: "stopped", suspended: false, installBootRequired: false, instanceUuid: (this.props.vAppConfig as { instanceUuid: string }).instanceUuid };
  }

  private vms(): VirtualMachine[] {
    return ((this.props.vm as ManagedObjectReference[]) ?? []).map((r) => this.sim.inventory.get(r.value) as VirtualMachine).filter(Boolean);
  }

  private setState(state: string): void {
    this.update({ "summary.vAppState": state });
  }

  PowerOnVApp_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "PowerOnVApp_Task", "VirtualApp.powerOn", ctx.session?.userName ?? "", () => {
      if ((this.props.summary as { vAppState: string }).vAppState === "started") throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: "poweredOn" });
      this.setState("starting");
      for (const vm of this.vms()) if (vm.powerState !== "poweredOn" && !vm.config.template) vm.forcePower("poweredOn", ctx.session?.userName ?? "");
      this.setState("started");
    });
  }

  PowerOffVApp_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "PowerOffVApp_Task", "VirtualApp.powerOff", ctx.session?.userName ?? "", () => {
      this.setState("stopping");
      for (const vm of this.vms()) if (vm.powerState !== "poweredOff") vm.forcePower("poweredOff", ctx.session?.userName ?? "");
      this.setState("stopped");
    });
  }

  SuspendVApp_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "SuspendVApp_Task", "VirtualApp.suspend", ctx.session?.userName ?? "", () => {
      for (const vm of this.vms()) if (vm.powerState === "poweredOn") vm.forcePower("suspended", ctx.session?.userName ?? "");
      this.update({ "summary.suspended": true });
    });
  }

  /** An OVF export of all the vApp's VMs, which must be off (ovf-export.ts). */
  ExportVApp(_args: Args): ManagedObjectReference {
    return exportLease(this.sim, this, this.vms());
  }

  UpdateVAppConfig(args: Args): void {
    const spec = (args.spec ?? {}) as Record<string, any>;
    const cur = this.props.vAppConfig as DataObject & Record<string, unknown>;
    const next: Record<string, unknown> = { ...cur };
    if (spec.annotation !== undefined) next.annotation = spec.annotation;
    if (spec.product?.length) next.product = spec.product.map((p: Record<string, any>, i: number) => ({ _type: "VAppProductInfo", key: i, classId: "", instanceId: "", ...(p.info ?? {}) }));
    this.update({ vAppConfig: next });
  }

  override destroy(): void {
    // a vApp goes with its VMs, which must be off
    for (const vm of this.vms()) {
      if (vm.powerState !== "poweredOff") throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: vm.powerState });
    }
    for (const vm of this.vms()) {
      this.sim.vmStorage.deleteFiles(vm);
      vm.detach();
    }
    const folder = this.sim.inventory.get((this.props.parentFolder as ManagedObjectReference).value) as (ReturnType<SimContext["inventory"]["get"]> & { detachChild?(c: unknown): void }) | undefined;
    folder?.detachChild?.(this);
    this.update({ vm: [] });
    super.destroy();
  }
}
