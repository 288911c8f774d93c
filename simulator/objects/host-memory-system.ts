// HostMemorySystem: the memory the host keeps back, by the two policies of
// ESX classic: the service console's reservation and the one for all
// running VMs. ESXi has no service console, and hostd reports neither
// (consoleReservationInfo and virtualMachineReservationInfo unset, as
// config.consoleReservation and config.virtualMachineReservation are on a
// real ESXi 6.x host); vpxd passes the host's view on. Both reconfigure
// methods are therefore refused with NotSupported, once their input has
// passed the checks the API types imply: an argument that could never be
// right is InvalidArgument first. Nothing here is state.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

const ALLOCATION_POLICIES = ["swapNone", "swapSome", "swapMost"];

const invalid = (property: string, why: string) => new VimFault("InvalidArgument", { invalidProperty: property }, `A specified parameter was not correct: ${property} (${why})`);

export class HostMemorySystem extends ManagedObject {
  constructor(sim: SimContext, value: string, readonly host: ManagedObjectReference) {
    super(sim, "HostMemorySystem", value);
  }

  private memorySize(): number {
    return Number((this.sim.inventory.get(this.host.value)?.props.hardware as { memorySize?: number } | undefined)?.memorySize ?? 0);
  }

  /** The range a reservation in bytes can have on this host: none below zero, none above its memory. */
  private checkBytes(v: unknown, property: string): void {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > this.memorySize()) throw invalid(property, `${String(v)} is not between 0 and the host's ${this.memorySize()} bytes`);
  }

  ReconfigureServiceConsoleReservation(args: Args): void {
    this.checkBytes(args.cfgBytes, "cfgBytes");
    throw new VimFault("NotSupported", {}, "The operation is not supported on the object: ESXi has no service console.");
  }

  ReconfigureVirtualMachineReservation(args: Args): void {
    const spec = args.spec as (DataObject & { virtualMachineReserved?: unknown; allocationPolicy?: unknown }) | undefined;
    if (!spec || typeof spec !== "object") throw invalid("spec", "a reservation specification is required");
    if (spec.virtualMachineReserved !== undefined) this.checkBytes(spec.virtualMachineReserved, "spec.virtualMachineReserved");
    if (spec.allocationPolicy !== undefined && !ALLOCATION_POLICIES.includes(String(spec.allocationPolicy))) {
      throw invalid("spec.allocationPolicy", `${JSON.stringify(spec.allocationPolicy)} is not swapNone, swapSome or swapMost`);
    }
    // hostd's answer once the spec is sound is not confirmed: the policy it would set is one ESXi does not have
    throw new VimFault("NotSupported", {}, "The operation is not supported on the object: ESXi keeps no virtual machine memory reservation of its own.");
  }
}
