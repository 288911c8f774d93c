// HostAutoStartManager: which VMs of one host start and stop with it, in
// which order, and how (`config`, which the host's config.autoStart
// mirrors). ReconfigureAutostart merges what it is given into what the host
// has, as hostd does: a VM's entry replaces the one it had, the others stay.
// Start orders are kept 1..n: a VM given an order takes that place and the
// ones from there move up one (the API reference's collision rule), a VM
// leaving the ordered list (startOrder -1, "any order") closes its gap. A VM
// whose startAction and stopAction are both "none" leaves powerInfo.
//
// AutoStartPowerOn and AutoStartPowerOff run the sequence a host boot or
// shutdown would, at once: the delays and heartbeat waits are not simulated
// (the clock is the caller's; nothing waits on it). A VM that is destroyed,
// unregistered or moved to another host leaves powerInfo.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import type { ChangeEvent } from "../inventory/store.ts";

type Defaults = DataObject & { enabled: boolean; startDelay: number; stopDelay: number; waitForHeartbeat: boolean; stopAction: string };
type PowerInfo = DataObject & { key: ManagedObjectReference; startOrder: number; startDelay: number; waitForHeartbeat: string; startAction: string; stopDelay: number; stopAction: string };
type Config = DataObject & { defaults: Defaults; powerInfo: PowerInfo[] };

const START_ACTIONS = ["none", "powerOn", "systemDefault"];
const STOP_ACTIONS = ["none", "systemDefault", "powerOff", "suspend", "guestShutdown"];
const HEARTBEAT = ["yes", "no", "systemDefault"];

/**
 * A fresh ESXi host: autostart off, 120 s delays (the API reference's
 * defaults). hostd spells the default stop action "PowerOff", capitalised,
 * unlike the per-VM values; we could not check that against a 6.0 host.
 */
function freshConfig(): Config {
  return { _type: "HostAutoStartManagerConfig", defaults: { _type: "AutoStartDefaults", enabled: false, startDelay: 120, stopDelay: 120, waitForHeartbeat: false, stopAction: "PowerOff" }, powerInfo: [] };
}

const invalid = (property: string, why: string) => new VimFault("InvalidArgument", { invalidProperty: property }, `A specified parameter was not correct: ${property} (${why})`);

type VmLike = ManagedObject & {
  name: string;
  powerState: string;
  host: ManagedObjectReference;
  config: { template?: boolean };
  forcePower(state: "poweredOn" | "poweredOff" | "suspended", userName: string): void;
  ShutdownGuest(args: Args): void;
  event(type: string, message: string, userName: string): void;
};

export class HostAutoStartManager extends ManagedObject {
  constructor(sim: SimContext, value: string, readonly host: ManagedObjectReference) {
    super(sim, "HostAutoStartManager", value);
    this.props.config = freshConfig();
    sim.inventory.get(host.value)?.update({ "config.autoStart": this.props.config });
    sim.inventory.listen((ev) => this.observe(ev));
  }

  private get config(): Config {
    return this.props.config as Config;
  }

  private set(config: Config): void {
    this.update({ config });
    this.sim.inventory.get(this.host.value)?.update({ "config.autoStart": config });
  }

  /** A VM of this host, by moref; anything else is refused before the config changes. */
  private vmOf(ref: unknown, at: string): VmLike {
    const r = ref as ManagedObjectReference | undefined;
    if (!r || typeof r !== "object" || typeof r.value !== "string") throw invalid(`${at}.key`, "a virtual machine is required");
    const vm = this.sim.inventory.get(r.value);
    // hostd resolves the moref before the method runs: an unknown one is ManagedObjectNotFound
    if (!vm || vm.type !== "VirtualMachine") throw new VimFault("ManagedObjectNotFound", { obj: r });
    const v = vm as VmLike;
    // vpxd hands the call to the host, which does not know another host's VM; the fault vCenter then sends is our choice
    if (v.host?.value !== this.host.value) throw invalid(`${at}.key`, `${v.name} is not on this host`);
    return v;
  }

  private static int(v: unknown, prop: string, min: number): number {
    if (!Number.isInteger(v) || (v as number) < min) throw invalid(prop, `${JSON.stringify(v)} is not an integer of at least ${min}`);
    return v as number;
  }

  /** The entries in start order: 1..n first, then the "any order" ones as they were added. */
  private static ordered(list: PowerInfo[]): PowerInfo[] {
    const numbered = list.filter((p) => p.startOrder > 0).sort((a, b) => a.startOrder - b.startOrder);
    return [...numbered.map((p, i) => (p.startOrder === i + 1 ? p : { ...p, startOrder: i + 1 })), ...list.filter((p) => p.startOrder <= 0)];
  }

  ReconfigureAutostart(args: Args): void {
    const spec = args.spec as (DataObject & { defaults?: Partial<Defaults>; powerInfo?: unknown }) | undefined;
    if (!spec || typeof spec !== "object") throw invalid("spec", "a configuration is required");
    let defaults = this.config.defaults;
    if (spec.defaults) {
      const d = spec.defaults;
      if (d.startDelay !== undefined) HostAutoStartManager.int(d.startDelay, "spec.defaults.startDelay", 0);
      if (d.stopDelay !== undefined) HostAutoStartManager.int(d.stopDelay, "spec.defaults.stopDelay", 0);
      // any case: hostd reports "PowerOff" and takes back what it reports
      if (d.stopAction !== undefined && !["powerOff", "suspend", "guestShutdown", "none"].some((a) => a.toLowerCase() === String(d.stopAction).toLowerCase())) {
        throw invalid("spec.defaults.stopAction", `${JSON.stringify(d.stopAction)} is not a stop action`);
      }
      defaults = {
        ...defaults,
        ...Object.fromEntries(Object.entries(d).filter(([k, v]) => v !== undefined && k !== "_type")),
        _type: "AutoStartDefaults",
      } as Defaults;
    }
    // one entry at a time, each onto the list the ones before it left
    let list = HostAutoStartManager.ordered(this.config.powerInfo);
    const given = (spec.powerInfo === undefined ? [] : [spec.powerInfo].flat()) as (DataObject & Partial<PowerInfo>)[];
    given.forEach((p, i) => {
      const at = `spec.powerInfo[${i}]`;
      if (!p || typeof p !== "object") throw invalid(at, "not an AutoStartPowerInfo");
      const vm = this.vmOf(p.key, at);
      if (!START_ACTIONS.includes(String(p.startAction))) throw invalid(`${at}.startAction`, `${JSON.stringify(p.startAction)} is not none, powerOn or systemDefault`);
      if (!STOP_ACTIONS.includes(String(p.stopAction))) throw invalid(`${at}.stopAction`, `${JSON.stringify(p.stopAction)} is not a stop action`);
      if (!HEARTBEAT.includes(String(p.waitForHeartbeat))) throw invalid(`${at}.waitForHeartbeat`, `${JSON.stringify(p.waitForHeartbeat)} is not yes, no or systemDefault`);
      const startDelay = HostAutoStartManager.int(p.startDelay, `${at}.startDelay`, -1);
      const stopDelay = HostAutoStartManager.int(p.stopDelay, `${at}.stopDelay`, -1);
      const order = p.startOrder;
      // the reference: -1 or a positive order; -1 whenever startAction is none
      if (!Number.isInteger(order) || (order !== -1 && order! < 1)) throw invalid(`${at}.startOrder`, `${JSON.stringify(order)} is neither -1 nor a positive order`);
      if (p.startAction === "none" && order !== -1) throw invalid(`${at}.startOrder`, "a VM that does not start has start order -1");
      const rest = list.filter((x) => x.key.value !== vm.ref.value);
      const numbered = rest.filter((x) => x.startOrder > 0);
      // an order past the end of the sequence (4 when there are 3) is refused, as the reference says
      if (order! > numbered.length + 1) throw invalid(`${at}.startOrder`, `${order} is past the ${numbered.length + 1} places of the start order`);
      if (p.startAction === "none" && p.stopAction === "none") {
        list = HostAutoStartManager.ordered(rest);
        return;
      }
      const entry: PowerInfo = { _type: "AutoStartPowerInfo", key: vm.ref, startOrder: order!, startDelay, waitForHeartbeat: String(p.waitForHeartbeat), startAction: String(p.startAction), stopDelay, stopAction: String(p.stopAction) };
      if (order === -1) {
        list = HostAutoStartManager.ordered([...rest, entry]);
        return;
      }
      numbered.splice(order! - 1, 0, entry);
      list = HostAutoStartManager.ordered([...numbered.map((x, n) => ({ ...x, startOrder: n + 1 })), ...rest.filter((x) => x.startOrder <= 0)]);
    });
    this.set({ _type: "HostAutoStartManagerConfig", defaults, powerInfo: list });
  }

  /** What a host boot does: the VMs set to start, in start order, those still off powered on. */
  AutoStartPowerOn(_args: Args, ctx: CallContext): void {
    const { defaults, powerInfo } = this.config;
    // with autostart off the host starts nothing, whatever the VMs say (whether an explicit call overrides that is not documented)
    if (!defaults.enabled) return;
    const user = ctx?.session?.userName ?? "";
    for (const p of HostAutoStartManager.ordered(powerInfo)) {
      if (p.startAction !== "powerOn" && p.startAction !== "systemDefault") continue;
      const vm = this.sim.inventory.get(p.key.value) as VmLike | undefined;
      if (!vm || vm.config.template || vm.powerState === "poweredOn") continue;
      vm.event("VmStartingEvent", `${vm.name} on ${String(this.sim.inventory.get(this.host.value)?.get("name") ?? "")} is starting`, user);
      vm.forcePower("poweredOn", user);
    }
  }

  /**
   * What a host shutdown does: the VMs in reverse start order (the "any
   * order" ones last), each as its stopAction says. guestShutdown asks the
   * guest's tools; without tools the VM is powered off, as hostd does once
   * the stop delay runs out.
   */
  AutoStartPowerOff(_args: Args, ctx: CallContext): void {
    const { defaults, powerInfo } = this.config;
    if (!defaults.enabled) return;
    const user = ctx?.session?.userName ?? "";
    const ordered = HostAutoStartManager.ordered(powerInfo);
    const sequence = [...ordered.filter((p) => p.startOrder > 0).reverse(), ...ordered.filter((p) => p.startOrder <= 0)];
    for (const p of sequence) {
      const action = (p.stopAction === "systemDefault" ? defaults.stopAction : p.stopAction).toLowerCase();
      const vm = this.sim.inventory.get(p.key.value) as VmLike | undefined;
      if (!vm || vm.powerState !== "poweredOn" || action === "none") continue;
      if (action === "suspend") vm.forcePower("suspended", user);
      else if (action === "guestshutdown") {
        try {
          vm.ShutdownGuest({});
        } catch {
          vm.forcePower("poweredOff", user);
        }
      } else vm.forcePower("poweredOff", user);
    }
  }

  /** A VM that leaves the inventory or this host leaves powerInfo, and the orders close up. */
  private observe(ev: ChangeEvent): void {
    if (ev.obj.type !== "VirtualMachine" || !this.config.powerInfo.length) return;
    if (this.sim.inventory.get(this.ref.value) !== this) return;
    const gone = ev.kind === "leave" || (ev.kind === "modify" && ev.props.includes("runtime") && (ev.obj as VmLike).host?.value !== this.host.value);
    if (!gone || !this.config.powerInfo.some((p) => p.key.value === ev.obj.ref.value)) return;
    this.set({ ...this.config, powerInfo: HostAutoStartManager.ordered(this.config.powerInfo.filter((p) => p.key.value !== ev.obj.ref.value)) });
  }
}
