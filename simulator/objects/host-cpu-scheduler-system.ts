// HostCpuSchedulerSystem: whether the host schedules on hyperthreads.
// EnableHyperThreading and DisableHyperThreading change only the
// configured value (hyperthreadInfo.config); the scheduler takes it at the
// next boot, as the API reference says, so `active` keeps its value until
// RebootHost_Task (host-power.ts calls hostBooted). The host's
// config.hyperThread is the same information.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

type HyperThreadInfo = DataObject & { available: boolean; active: boolean; config: boolean };

export class HostCpuSchedulerSystem extends ManagedObject {
  constructor(sim: SimContext, value: string, readonly host: ManagedObjectReference) {
    super(sim, "HostCpuSchedulerSystem", value);
    // the host's hardware (HostSystem) says whether its CPUs have hyperthreads
    const given = (sim.inventory.get(host.value)?.props.config as { hyperThread?: HyperThreadInfo } | undefined)?.hyperThread;
    this.props.hyperthreadInfo = given ?? { _type: "HostHyperThreadScheduleInfo", available: false, active: false, config: false };
  }

  private get info(): HyperThreadInfo {
    return this.props.hyperthreadInfo as HyperThreadInfo;
  }

  private set(changes: Partial<HyperThreadInfo>): void {
    const next = { ...this.info, ...changes };
    if (next.active === this.info.active && next.config === this.info.config) return;
    this.update({ hyperthreadInfo: next });
    this.sim.inventory.get(this.host.value)?.update({ "config.hyperThread": next });
  }

  private configure(on: boolean): void {
    // the methods declare no fault; a CPU without hyperthreads is NotSupported here (not confirmed against hostd)
    if (!this.info.available) throw new VimFault("NotSupported", {}, "Hyperthreading is not available on this host.");
    this.set({ config: on });
  }

  EnableHyperThreading(_args: Args): void {
    this.configure(true);
  }

  DisableHyperThreading(_args: Args): void {
    this.configure(false);
  }

  /** The host booted: the scheduler runs as configured. */
  hostBooted(): void {
    this.set({ active: this.info.available && this.info.config });
  }
}
