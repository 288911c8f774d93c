// OverheadMemoryManager (vCenter 6.0 and later): the memory a VM would
// cost a host beyond its own, as vCenter's admission control reckons it.
// The figure is the one QueryMemoryOverheadEx gives for the VM's
// configuration (host-power.ts has the formula); the host only has to be a
// host, as ESXi's overhead does not depend on which one in this simulator.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import { overheadOfConfig } from "./host-power.ts";

export class OverheadMemoryManager extends ManagedObject {
  private resolve(ref: unknown, argument: string, type: string): ManagedObject {
    const r = ref as ManagedObjectReference | undefined;
    if (!r || typeof r !== "object" || typeof r.value !== "string") throw new VimFault("InvalidArgument", { invalidProperty: argument });
    const o = this.sim.inventory.get(r.value);
    if (!o) throw new VimFault("ManagedObjectNotFound", { obj: r });
    if (!o.isA(type)) throw new VimFault("InvalidType", { argument }, `The argument ${argument} is not a ${type}.`);
    return o;
  }

  LookupVmOverheadMemory(args: Args): number {
    const vm = this.resolve(args.vm, "vm", "VirtualMachine");
    this.resolve(args.host, "host", "HostSystem");
    return overheadOfConfig(vm.props.config as DataObject & Record<string, unknown>);
  }
}
