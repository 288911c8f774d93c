// HostVirtualNicManager: which vmkernel NICs carry which traffic
// (management, vMotion, FT logging, replication, ...). Every vmkernel NIC of
// the host's network config is a candidate for every type, listed under a key
// of its own (`vmotion.key-vim.host.VirtualNic-vmk0`, as hostd names them),
// and `selectedVnic` holds those keys. vmk0 carries management from the
// start. The host's config.virtualNicManagerInfo is the same information and
// summary.config.vmotionEnabled follows the vMotion selection. NICs that
// HostNetworkSystem adds become candidates at once; one it removes leaves
// every selection (a later NIC of the same name starts unselected).
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type SavedState } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

// the types an ESXi 6.0 host serves, in hostd's order; each may carry several NICs
const NIC_TYPES = ["faultToleranceLogging", "management", "vSphereProvisioning", "vSphereReplication", "vSphereReplicationNFC", "vmotion", "vsan"];

type Vnic = DataObject & { device: string; key: string };
type Selection = Record<string, string[]>;
type NicManagerState = SavedState & { selected: Selection };

export class HostVirtualNicManager extends ManagedObject {
  /** nicType -> selected devices */
  private selected: Selection = { management: ["vmk0"] };

  constructor(sim: SimContext, value: string, readonly host: ManagedObjectReference) {
    super(sim, "HostVirtualNicManager", value);
    this.props.info = this.compute();
    this.sim.inventory.get(host.value)?.update({ "config.virtualNicManagerInfo": this.props.info });
  }

  /** The host's vmkernel NICs, as its network config lists them now. */
  private vnics(): Vnic[] {
    const config = this.sim.inventory.get(this.host.value)?.props.config as { network?: { vnic?: Vnic[] } } | undefined;
    return config?.network?.vnic ?? [];
  }

  private netConfig(nicType: string, vnics: Vnic[]): DataObject {
    const chosen = this.selected[nicType] ?? [];
    const candidates = vnics.map((v) => ({ ...v, key: `${nicType}.${v.key}` }));
    return {
      _type: "VirtualNicManagerNetConfig", nicType, multiSelectAllowed: true,
      candidateVnic: candidates,
      selectedVnic: candidates.filter((c) => chosen.includes(c.device)).map((c) => c.key),
    };
  }

  private compute(): DataObject {
    const vnics = this.vnics();
    return { _type: "HostVirtualNicManagerInfo", netConfig: NIC_TYPES.map((t) => this.netConfig(t, vnics)) };
  }

  /** Publish the selection (and NICs that came or went) to info and the host. */
  private publish(): void {
    const info = this.compute();
    if (JSON.stringify(info) === JSON.stringify(this.props.info)) return;
    this.update({ info });
    const vmotion = ((info.netConfig as { nicType: string; selectedVnic: string[] }[]).find((c) => c.nicType === "vmotion")?.selectedVnic.length ?? 0) > 0;
    this.sim.inventory.get(this.host.value)?.update({ "config.virtualNicManagerInfo": info, "summary.config.vmotionEnabled": vmotion });
  }

  private nicType(v: unknown): string {
    if (typeof v !== "string" || !NIC_TYPES.includes(v)) {
      throw new VimFault("InvalidArgument", { invalidProperty: "nicType" }, `A specified parameter was not correct: nicType (${JSON.stringify(v)} is not a nic type of this host)`);
    }
    return v;
  }

  private device(v: unknown): string {
    if (typeof v !== "string" || !this.vnics().some((n) => n.device === v)) {
      throw new VimFault("InvalidArgument", { invalidProperty: "device" }, `A specified parameter was not correct: device (${JSON.stringify(v)} is not a vmkernel NIC of this host)`);
    }
    return v;
  }

  QueryNetConfig(args: Args): DataObject {
    const nicType = this.nicType(args.nicType);
    this.publish();
    return this.netConfig(nicType, this.vnics());
  }

  SelectVnicForNicType(args: Args): void {
    const nicType = this.nicType(args.nicType);
    const device = this.device(args.device);
    const now = this.selected[nicType] ?? [];
    if (!now.includes(device)) this.selected = { ...this.selected, [nicType]: [...now, device] };
    this.publish();
  }

  DeselectVnicForNicType(args: Args): void {
    const nicType = this.nicType(args.nicType);
    const device = this.device(args.device);
    const now = this.selected[nicType] ?? [];
    if (!now.includes(device)) {
      throw new VimFault("InvalidArgument", { invalidProperty: "device" }, `A specified parameter was not correct: device (${device} is not selected for ${nicType})`);
    }
    this.selected = { ...this.selected, [nicType]: now.filter((d) => d !== device) };
    this.publish();
  }

  /** HostNetworkSystem added, changed or removed vmkernel NICs. */
  vnicsChanged(): void {
    const present = new Set(this.vnics().map((v) => v.device));
    const kept = Object.fromEntries(Object.entries(this.selected).map(([t, ds]) => [t, ds.filter((d) => present.has(d))]));
    if (JSON.stringify(kept) !== JSON.stringify(this.selected)) this.selected = kept;
    this.publish();
  }

  override saveState(): NicManagerState {
    return { ...super.saveState(), selected: this.selected };
  }

  override loadState(s: NicManagerState): void {
    super.loadState(s);
    this.selected = s.selected ?? { management: ["vmk0"] };
  }
}
