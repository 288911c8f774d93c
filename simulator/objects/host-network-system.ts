// HostNetworkSystem: the host's vSwitches and port groups. Every change is
// worked out on a draft first and committed whole, to both networkInfo and
// the host's config.network; port groups that come or go take their Network
// (and the host, compute resource and datacenter `network` lists) with them,
// as hostd does.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { NetworkDraft, type NetInfo } from "./host-network-config.ts";

export class HostNetworkSystem extends ManagedObject {
  constructor(sim: SimContext, value: string, readonly host: ManagedObjectReference, info: DataObject) {
    super(sim, "HostNetworkSystem", value);
    this.props.networkInfo = info;
    this.props.capabilities = { _type: "HostNetCapabilities", canSetPhysicalNicLinkSpeed: true, supportsNicTeaming: true, nicTeamingPolicy: ["loadbalance_ip", "loadbalance_srcmac", "loadbalance_srcid", "failover_explicit"], supportsVlan: true, usesServiceConsoleNic: false, supportsNetworkHints: true, maxPortGroupsPerVswitch: 512, vswitchConfigSupported: true, vnicConfigSupported: true, ipRouteConfigSupported: true, dnsConfigSupported: true, dhcpOnVnicSupported: true, ipV6Supported: true };
  }

  private info(): NetInfo {
    return this.props.networkInfo as NetInfo;
  }

  private draft(): NetworkDraft {
    const hostNets = (this.sim.inventory.get(this.host.value)?.props.network as ManagedObjectReference[] | undefined) ?? [];
    const names = hostNets.map((r) => this.sim.inventory.get(r.value)).filter((n) => n?.type === "Network").map((n) => String(n!.get("name")));
    return new NetworkDraft(this.info(), names, (pg) => this.sim.portgroupInUse(this.host, pg));
  }

  /** Run `edit` on a draft; only a draft that got through whole reaches the host. */
  private change(edit: (d: NetworkDraft) => void): void {
    const d = this.draft();
    edit(d);
    this.update({ networkInfo: d.info });
    this.sim.inventory.get(this.host.value)?.update({ "config.network": d.info });
    for (const e of d.effects) {
      if (e.op === "add") this.sim.portgroupAdded(this.host, e.name);
      else this.sim.portgroupRemoved(this.host, e.name);
    }
  }

  AddVirtualSwitch(args: Args): void {
    this.change((d) => d.addVirtualSwitch(args.vswitchName, args.spec));
  }

  UpdateVirtualSwitch(args: Args): void {
    this.change((d) => d.updateVirtualSwitch(args.vswitchName, args.spec));
  }

  RemoveVirtualSwitch(args: Args): void {
    this.change((d) => d.removeVirtualSwitch(args.vswitchName));
  }

  AddPortGroup(args: Args): void {
    this.change((d) => d.addPortgroup(args.portgrp));
  }

  UpdatePortGroup(args: Args): void {
    this.change((d) => d.updatePortgroup(args.pgName, args.portgrp));
  }

  RemovePortGroup(args: Args): void {
    this.change((d) => d.removePortgroup(args.pgName));
  }

  /** vSwitch and port group changes only; the rest of a HostNetworkConfig is left as it is. */
  UpdateNetworkConfig(args: Args): DataObject {
    const mode = args.changeMode ?? "modify";
    if (mode !== "modify") throw new VimFault("NotSupported", {}, `changeMode ${String(mode)} is not supported by this simulator; use modify.`);
    const config = args.config;
    if (!config || typeof config !== "object") throw new VimFault("InvalidArgument", { invalidProperty: "config" });
    this.change((d) => d.apply(config));
    return { _type: "HostNetworkConfigResult", vnicDevice: [], consoleVnicDevice: [] };
  }

  /** No CDP/LLDP peers and no observed subnets: every NIC answers with an empty hint. */
  QueryNetworkHint(args: Args): DataObject[] {
    const pnics = (this.info().pnic ?? []).map((p) => p.device);
    const asked = Array.isArray(args.device) && args.device.length ? (args.device as unknown[]) : pnics;
    return asked.map((device) => {
      if (typeof device !== "string" || !pnics.includes(device)) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: physical NIC ${String(device)}`);
      return { _type: "PhysicalNicHintInfo", device, subnet: [], network: [] };
    });
  }

  RefreshNetworkSystem(_args: Args): void {}
}
