// HostNetworkSystem: the host's vSwitches and port groups. Adding a port
// group also makes the matching Network appear in the inventory, as hostd does.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

type NetInfo = DataObject & { vswitch: (DataObject & { name: string; key: string; portgroup: string[] })[]; portgroup: (DataObject & { key: string; spec: { name: string } })[] };

export class HostNetworkSystem extends ManagedObject {
  constructor(sim: SimContext, value: string, readonly host: ManagedObjectReference, info: DataObject) {
    super(sim, "HostNetworkSystem", value);
    this.props.networkInfo = info;
    this.props.capabilities = { _type: "HostNetCapabilities", canSetPhysicalNicLinkSpeed: true, supportsNicTeaming: true, nicTeamingPolicy: ["loadbalance_ip", "loadbalance_srcmac", "loadbalance_srcid", "failover_explicit"], supportsVlan: true, usesServiceConsoleNic: false, supportsNetworkHints: true, maxPortGroupsPerVswitch: 512, vswitchConfigSupported: true, vnicConfigSupported: true, ipRouteConfigSupported: true, dnsConfigSupported: true, dhcpOnVnicSupported: true, ipV6Supported: true };
  }

  private info(): NetInfo {
    return this.props.networkInfo as NetInfo;
  }

  private set(info: NetInfo): void {
    this.update({ networkInfo: info });
    this.sim.inventory.get(this.host.value)?.update({ "config.network": info });
  }

  AddPortGroup(args: Args): void {
    const spec = args.portgrp as { name: string; vlanId: number; vswitchName: string; policy?: DataObject };
    const info = this.info();
    if (info.portgroup.some((p) => p.spec.name === spec.name)) throw new VimFault("AlreadyExists", { name: spec.name }, `The specified key, name, or identifier '${spec.name}' already exists.`);
    const vs = info.vswitch.find((v) => v.name === spec.vswitchName);
    if (!vs) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: vSwitch ${spec.vswitchName}`);
    if (spec.vlanId < 0 || spec.vlanId > 4095) throw new VimFault("InvalidArgument", { invalidProperty: "portgrp.vlanId" });
    const key = `key-vim.host.PortGroup-${spec.name}`;
    const pg = { _type: "HostPortGroup", key, port: [], vswitch: vs.key, computedPolicy: { _type: "HostNetworkPolicy" }, spec: { _type: "HostPortGroupSpec", name: spec.name, vlanId: spec.vlanId, vswitchName: spec.vswitchName, policy: spec.policy ?? { _type: "HostNetworkPolicy" } } };
    this.set({
      ...info,
      portgroup: [...info.portgroup, pg],
      vswitch: info.vswitch.map((v) => (v === vs ? { ...v, portgroup: [...v.portgroup, key] } : v)),
    });
    this.sim.portgroupAdded(this.host, spec.name);
  }

  RemovePortGroup(args: Args): void {
    const name = String(args.pgName);
    const info = this.info();
    const pg = info.portgroup.find((p) => p.spec.name === name);
    if (!pg) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: port group ${name}`);
    if (this.sim.portgroupInUse(this.host, name)) throw new VimFault("ResourceInUse", { name }, `The resource '${name}' is in use.`);
    this.set({
      ...info,
      portgroup: info.portgroup.filter((p) => p !== pg),
      vswitch: info.vswitch.map((v) => ({ ...v, portgroup: v.portgroup.filter((k) => k !== pg.key) })),
    });
    this.sim.portgroupRemoved(this.host, name);
  }

  RefreshNetworkSystem(_args: Args): void {}
}
