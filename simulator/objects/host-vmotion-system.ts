// HostVMotionSystem: the vMotion NIC as the API before 4.0 saw it, one
// vmkernel NIC at most. It keeps no selection of its own: it reads and
// changes HostVirtualNicManager's "vmotion" selection, so both APIs always
// agree. netConfig lists every vmkernel NIC as a candidate under hostd's key
// (`VMotionConfig.vmotion.key-vim.host.VirtualNic-vmk0`) and names the
// selected one; ipConfig is that NIC's address, unset when none is
// selected. The host's config.vmotion is the same information.
// UpdateIpConfig changes the selected NIC's address through
// HostNetworkSystem, which checks it as UpdateVirtualNic does.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import type { ChangeEvent } from "../inventory/store.ts";
import type { HostVirtualNicManager } from "./host-virtual-nic-manager.ts";
import type { HostNetworkSystem } from "./host-network-system.ts";

type Vnic = DataObject & { device: string; key: string; spec: DataObject & { ip?: DataObject } };
type NicTypeConfig = DataObject & { nicType: string; selectedVnic?: string[] };

const KEY_PREFIX = "VMotionConfig.vmotion.";

export class HostVMotionSystem extends ManagedObject {
  constructor(sim: SimContext, value: string, readonly host: ManagedObjectReference) {
    super(sim, "HostVMotionSystem", value);
    this.refresh();
    sim.inventory.listen((ev) => this.observe(ev));
  }

  private manager<T>(name: "virtualNicManager" | "networkSystem"): T | undefined {
    const ref = (this.sim.inventory.get(this.host.value)?.props.configManager as Record<string, ManagedObjectReference | undefined> | undefined)?.[name];
    return ref ? (this.sim.inventory.get(ref.value) as T | undefined) : undefined;
  }

  private vnics(): Vnic[] {
    return (this.sim.inventory.get(this.host.value)?.props.config as { network?: { vnic?: Vnic[] } } | undefined)?.network?.vnic ?? [];
  }

  /** The devices the NIC manager has selected for vMotion, in its order. */
  private selected(): string[] {
    const info = this.manager<HostVirtualNicManager>("virtualNicManager")?.props.info as { netConfig?: NicTypeConfig[] } | undefined;
    const keys = info?.netConfig?.find((c) => c.nicType === "vmotion")?.selectedVnic ?? [];
    return keys.map((k) => k.slice(k.lastIndexOf("-") + 1));
  }

  /** netConfig and ipConfig from the host's NICs and the NIC manager's selection; published only when they changed. */
  private refresh(): void {
    const vnics = this.vnics();
    const device = this.selected().find((d) => vnics.some((v) => v.device === d));
    const candidates = vnics.map((v) => ({ ...v, key: `${KEY_PREFIX}${v.key}` }));
    const chosen = candidates.find((c) => c.device === device);
    const netConfig = { _type: "HostVMotionNetConfig", candidateVnic: candidates, selectedVnic: chosen?.key };
    const ipConfig = chosen?.spec.ip;
    if (JSON.stringify([netConfig, ipConfig]) === JSON.stringify([this.props.netConfig, this.props.ipConfig])) return;
    this.update({ netConfig, ipConfig });
    this.sim.inventory.get(this.host.value)?.update({ "config.vmotion": { _type: "HostVMotionInfo", netConfig, ipConfig } });
  }

  /** The NIC manager's selection or the host's NICs changed. */
  private observe(ev: ChangeEvent): void {
    if (ev.kind !== "modify" || this.sim.inventory.get(this.ref.value) !== this) return;
    const nics = ev.obj.ref.value === this.host.value && ev.props.includes("config");
    const selection = ev.obj.type === "HostVirtualNicManager" && ev.props.includes("info") && (ev.obj as HostVirtualNicManager).host?.value === this.host.value;
    if (nics || selection) this.refresh();
  }

  private nicManager(): HostVirtualNicManager {
    const m = this.manager<HostVirtualNicManager>("virtualNicManager");
    if (!m) throw new VimFault("HostConfigFault", {}, "The host has no virtual NIC manager.");
    return m;
  }

  /** The one vMotion NIC: the device is selected for "vmotion" and every other one deselected. */
  SelectVnic(args: Args): void {
    const m = this.nicManager();
    // the NIC manager checks the device first (InvalidArgument, as the reference has it for an unknown NIC)
    m.SelectVnicForNicType({ nicType: "vmotion", device: args.device });
    // the old API selects one NIC; that it drops the others the new API may have added is our reading, not confirmed
    for (const d of this.selected()) if (d !== args.device) m.DeselectVnicForNicType({ nicType: "vmotion", device: d });
  }

  /** No NIC carries vMotion; without one selected there is nothing to do. */
  DeselectVnic(_args: Args): void {
    const m = this.nicManager();
    for (const d of this.selected()) m.DeselectVnicForNicType({ nicType: "vmotion", device: d });
  }

  UpdateIpConfig(args: Args): void {
    const device = this.selected()[0];
    // the reference's NotFound, for a host with no vMotion NIC to address
    if (!device) throw new VimFault("NotFound", {}, "The object or item referred to could not be found: no vmkernel NIC is selected for vMotion.");
    const ns = this.manager<HostNetworkSystem>("networkSystem");
    if (!ns) throw new VimFault("HostConfigFault", {}, "The host has no network system.");
    ns.UpdateVirtualNic({ device, nic: { _type: "HostVirtualNicSpec", ip: args.ipConfig } });
  }
}
