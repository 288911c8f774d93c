// HostNetworkSystem: the host's vSwitches and port groups, its vmkernel
// NICs, DNS and IP routes. Every change is worked out on a draft first and
// committed whole, to both networkInfo and the host's config.network; port
// groups that come or go take their Network (and the host, compute resource
// and datacenter `network` lists) with them, as hostd does. vmkernel NICs
// that come or go are news for the host's HostVirtualNicManager, whose
// candidate lists follow them.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { NetworkDraft, type DvPortConnection, type NetInfo, type PortgroupPort } from "./host-network-config.ts";
import { DistributedVirtualSwitch } from "./distributed-virtual-switch.ts";
import type { HostVirtualNicManager } from "./host-virtual-nic-manager.ts";

type LinkInfo = DataObject & { speedMb: number; duplex: boolean };

export class HostNetworkSystem extends ManagedObject {
  constructor(sim: SimContext, value: string, readonly host: ManagedObjectReference, info: DataObject) {
    super(sim, "HostNetworkSystem", value);
    this.props.networkInfo = HostNetworkSystem.complete(info as NetInfo, String(sim.inventory.get(host.value)?.get("name") ?? ""));
    sim.inventory.get(host.value)?.update({ "config.network": this.props.networkInfo });
    this.props.capabilities = { _type: "HostNetCapabilities", canSetPhysicalNicLinkSpeed: true, supportsNicTeaming: true, nicTeamingPolicy: ["loadbalance_ip", "loadbalance_srcmac", "loadbalance_srcid", "failover_explicit"], supportsVlan: true, usesServiceConsoleNic: false, supportsNetworkHints: true, maxPortGroupsPerVswitch: 512, vswitchConfigSupported: true, vnicConfigSupported: true, ipRouteConfigSupported: true, dnsConfigSupported: true, dhcpOnVnicSupported: true, ipV6Supported: true };
  }

  /**
   * What a host built from a scenario reports besides its switches: each
   * vmkernel NIC's port in its port group's list, the resolver settings and
   * the routing table. A host named by its FQDN is that name; one named by an
   * address is "localhost.localdomain", as a fresh install without DHCP is.
   * The resolver is the management subnet's gateway (a guess: the scenario
   * names no DNS server).
   */
  private static complete(info: NetInfo, hostName: string): NetInfo {
    const byAddress = /^[\d.]+$/.test(hostName) || !hostName;
    const [first, ...rest] = byAddress ? ["localhost", "localdomain"] : hostName.split(".");
    const vnics = info.vnic ?? [];
    const portgroup = info.portgroup.map((pg) => {
      const held = vnics.filter((v) => v.portgroup === pg.spec.name && v.port).map((v): PortgroupPort => ({ _type: "HostPortGroupPort", key: v.port!, mac: [String(v.spec.mac ?? "")], type: "host" }));
      return held.length ? { ...pg, port: [...((pg.port ?? []) as PortgroupPort[]), ...held] } : pg;
    });
    const gateway = info.ipRouteConfig?.defaultGateway;
    const domainName = rest.join(".");
    const draft = new NetworkDraft({
      ...info, portgroup,
      dnsConfig: info.dnsConfig ?? { _type: "HostDnsConfig", dhcp: false, hostName: first, domainName, address: gateway ? [gateway] : [], searchDomain: domainName ? [domainName] : [] },
    }, [], () => false);
    draft.refreshRoutes();
    return draft.info;
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
  private change<T>(edit: (d: NetworkDraft) => T): T {
    const d = this.draft();
    const out = edit(d);
    const vnicsBefore = JSON.stringify(this.info().vnic ?? []);
    this.update({ networkInfo: d.info });
    this.sim.inventory.get(this.host.value)?.update({ "config.network": d.info });
    for (const e of d.effects) {
      if (e.op === "add") this.sim.portgroupAdded(this.host, e.name);
      else this.sim.portgroupRemoved(this.host, e.name);
    }
    if (JSON.stringify(d.info.vnic ?? []) !== vnicsBefore) this.nicManager()?.vnicsChanged();
    return out;
  }

  private nicManager(): HostVirtualNicManager | undefined {
    const ref = (this.sim.inventory.get(this.host.value)?.props.configManager as { virtualNicManager?: ManagedObjectReference } | undefined)?.virtualNicManager;
    return ref ? (this.sim.inventory.get(ref.value) as HostVirtualNicManager | undefined) : undefined;
  }

  /**
   * A vmkernel NIC's MAC address: VMware's 00:50:56 OUI, seeded by the host
   * and device. The vmkernel's own generator is not published; the
   * 00:50:56:6x block is where the addresses of vmknics seen in the field
   * sit, so the generated ones stay there, clear of vCenter's 80-bf range.
   */
  private vnicMac(device: string, attempt: number): string {
    const name = `${String(this.sim.inventory.get(this.host.value)?.get("name") ?? this.host.value)}/${device}${attempt ? `/${attempt}` : ""}`;
    const h = this.sim.ids.hex("mac", name, 5);
    return `00:50:56:6${h[0]}:${h.slice(1, 3)}:${h.slice(3, 5)}`;
  }

  /**
   * A port of the distributed port group the connection names, for a
   * vmkernel NIC of this host: the one asked for, or the first free one
   * (growing a group with autoExpand or an ephemeral one, as VM NICs do).
   * The port then names the NIC (dv-ports.ts), so that VM NICs, group
   * shrinking and port removal see it taken.
   */
  private bindDvPort(conn: DvPortConnection, device: string): DvPortConnection {
    const sw = this.sim.inventory.ofType("DistributedVirtualSwitch").find((s) => (s as DistributedVirtualSwitch).uuid === conn.switchUuid) as DistributedVirtualSwitch | undefined;
    if (!sw) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: distributed virtual switch ${String(conn.switchUuid)}`);
    // vpxd's text for a host outside the switch; the fault type is the one AddVirtualNic declares for host-side refusals
    if (!sw.hosts().some((h) => h.value === this.host.value)) throw new VimFault("HostConfigFault", {}, `The host is not a member of the distributed switch ${sw.name}.`);
    const pg = sw.portgroups().find((p) => p.ref.value === conn.portgroupKey && !p.isUplink);
    if (!pg) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: distributed port group ${String(conn.portgroupKey)}`);
    const free = (key: string) => {
      const p = sw.store.ports.get(key);
      return !!p && p.portgroupKey === pg.ref.value && sw.store.isFree(p, sw.uuid);
    };
    let key: string;
    if (conn.portKey !== undefined && conn.portKey !== "") {
      const p = sw.store.ports.get(String(conn.portKey));
      if (!p || p.portgroupKey !== pg.ref.value) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: port ${String(conn.portKey)} of ${pg.name}`);
      if (!free(p.key)) throw new VimFault("ResourceInUse", { name: p.key }, `The resource '${p.key}' is in use.`);
      key = p.key;
    } else {
      const found = sw.store.of(pg.ref.value).find((p) => free(p.key));
      if (found) key = found.key;
      else if (pg.config.type === "ephemeral" || pg.config.autoExpand) key = sw.store.create(pg.ref.value).key;
      // as VM NICs get it (dv-ports.ts): the fault type is the simulator's choice
      else throw new VimFault("DvsFault", {}, `No free port is available in the distributed port group ${pg.name}.`);
    }
    const port = sw.store.ports.get(key)!;
    Object.assign(port, { connectee: undefined, vmknic: { host: this.host.value, device }, cookie: sw.store.nextCookie++, lastStatusChange: this.sim.clock.now() });
    sw.portsChanged(pg);
    return { _type: "DistributedVirtualSwitchPortConnection", switchUuid: sw.uuid, portgroupKey: pg.ref.value, portKey: key, connectionCookie: port.cookie };
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

  AddVirtualNic(args: Args): string {
    const dvs = this.sim.isVCenter ? (c: DvPortConnection, device: string) => this.bindDvPort(c, device) : undefined;
    return this.change((d) => d.addVirtualNic(args.portgroup ?? "", args.nic, (device, attempt) => this.vnicMac(device, attempt), dvs));
  }

  UpdateVirtualNic(args: Args): void {
    this.change((d) => d.updateVirtualNic(args.device, args.nic));
  }

  RemoveVirtualNic(args: Args): void {
    const gone = this.change((d) => d.removeVirtualNic(args.device));
    const c = gone.spec.distributedVirtualPort;
    const sw = c && (this.sim.inventory.ofType("DistributedVirtualSwitch").find((s) => (s as DistributedVirtualSwitch).uuid === c.switchUuid) as DistributedVirtualSwitch | undefined);
    const port = sw && c?.portKey !== undefined ? sw.store.ports.get(String(c.portKey)) : undefined;
    if (!sw || !port) return;
    const pg = sw.portgroups().find((p) => p.ref.value === port.portgroupKey);
    // an ephemeral port lives as long as its connection, as for VM NICs
    if (pg?.config.type === "ephemeral") sw.store.ports.delete(port.key);
    else Object.assign(port, { cookie: undefined, vmknic: undefined, lastStatusChange: this.sim.clock.now() });
    if (pg) sw.portsChanged(pg);
  }

  /** MoveDVPort_Task moved the port a vmkernel NIC of this host holds: the NIC's connection names its new group (or none, for a standalone port). */
  dvPortMoved(device: string, portgroupKey: string | undefined): void {
    this.change((d) => {
      d.info.vnic = (d.info.vnic ?? []).map((v) => {
        const c = v.spec.distributedVirtualPort;
        if (v.device !== device || !c) return v;
        const next: DvPortConnection = { ...c, portgroupKey };
        if (portgroupKey === undefined) delete next.portgroupKey;
        return { ...v, spec: { ...v.spec, distributedVirtualPort: next } };
      });
    });
  }

  UpdateDnsConfig(args: Args): void {
    this.change((d) => d.updateDns(args.config));
  }

  UpdateIpRouteConfig(args: Args): void {
    this.change((d) => d.updateIpRoute(args.config));
  }

  UpdateIpRouteTableConfig(args: Args): void {
    this.change((d) => d.updateRouteTable(args.config));
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

  /**
   * A fixed speed and duplex (one the NIC lists in validLinkSpecification)
   * or, with no linkSpeed, auto-negotiation, which hostd shows as an unset
   * spec.linkSpeed. The link comes back up at the speed set, or at the
   * fastest the NIC knows when negotiating: the simulated switch port takes
   * anything.
   */
  UpdatePhysicalNicLinkSpeed(args: Args): void {
    const device = args.device;
    const pnic = (this.info().pnic ?? []).find((p) => p.device === device);
    if (!pnic) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: physical NIC ${String(device)}`);
    const valid = ((pnic as DataObject).validLinkSpecification as LinkInfo[] | undefined) ?? [];
    const asked = args.linkSpeed as LinkInfo | undefined;
    if (asked && !valid.some((v) => v.speedMb === asked.speedMb && v.duplex === asked.duplex)) {
      throw new VimFault("InvalidArgument", { invalidProperty: "linkSpeed" }, `A specified parameter was not correct: linkSpeed`);
    }
    const best = [...valid].sort((a, b) => b.speedMb - a.speedMb || Number(b.duplex) - Number(a.duplex))[0];
    const now = asked ? { _type: "PhysicalNicLinkInfo", speedMb: asked.speedMb, duplex: asked.duplex } : (best ?? (pnic as DataObject).linkSpeed);
    this.change((d) => {
      d.info.pnic = (d.info.pnic ?? []).map((p) => {
        if (p.device !== device) return p;
        const spec = { ...((p as DataObject).spec as DataObject | undefined ?? { _type: "PhysicalNicSpec" }) };
        if (asked) spec.linkSpeed = { _type: "PhysicalNicLinkInfo", speedMb: asked.speedMb, duplex: asked.duplex };
        else delete spec.linkSpeed;
        return { ...p, linkSpeed: now, spec };
      });
    });
  }

  // ESXi has no service console (that was ESX classic, gone since 5.0):
  // hostd refuses these before looking at their arguments.
  private noServiceConsole(): never {
    throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
  }

  AddServiceConsoleVirtualNic(_args: Args): string {
    return this.noServiceConsole();
  }

  UpdateServiceConsoleVirtualNic(_args: Args): void {
    this.noServiceConsole();
  }

  RemoveServiceConsoleVirtualNic(_args: Args): void {
    this.noServiceConsole();
  }

  RestartServiceConsoleVirtualNic(_args: Args): void {
    this.noServiceConsole();
  }

  UpdateConsoleIpRouteConfig(_args: Args): void {
    this.noServiceConsole();
  }

  RefreshNetworkSystem(_args: Args): void {}
}
