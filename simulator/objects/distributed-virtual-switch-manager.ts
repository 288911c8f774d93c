// DistributedVirtualSwitchManager (content.dvSwitchManager): finds switches
// and port groups by the UUIDs and keys NIC backings carry, says which
// switch versions this vCenter can create, which hosts can join a switch of
// a version (a host runs a switch of its own ESXi release or older), what a
// switch version can do, and which switches and port groups a host reaches.
import { VimFault, localizedFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import { DistributedVirtualSwitch, availableSwitchVersions } from "./distributed-virtual-switch.ts";
import type { SimContext } from "../sim-context.ts";

const cmpVersion = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });
/** ESXi releases a vCenter of these versions manages, oldest first */
const ESX_RELEASES = ["5.0.0", "5.1.0", "5.5.0", "6.0.0", "6.5.0", "6.7.0"];

export class DistributedVirtualSwitchManager extends ManagedObject {
  constructor(sim: SimContext, value: string) {
    super(sim, "DistributedVirtualSwitchManager", value);
  }

  private byUuid(uuid: unknown): DistributedVirtualSwitch {
    const sw = this.sim.inventory.ofType("DistributedVirtualSwitch").find((s) => s instanceof DistributedVirtualSwitch && s.uuid === uuid);
    if (!sw) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: switch ${String(uuid)}`);
    return sw as DistributedVirtualSwitch;
  }

  QueryDvsByUuid(args: Args): ManagedObjectReference {
    return this.byUuid(args.uuid).ref;
  }

  DVSManagerLookupDvPortGroup(args: Args): ManagedObjectReference {
    const pg = this.byUuid(args.switchUuid).portgroups().find((p) => p.ref.value === args.portgroupKey);
    if (!pg) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: port group ${String(args.portgroupKey)}`);
    return pg.ref;
  }

  QueryAvailableDvsSpec(_args: Args): DataObject[] {
    if (!this.sim.isVCenter) return [];
    return availableSwitchVersions(this.sim).map((version) => ({ _type: "DistributedVirtualSwitchProductSpec", name: "DVS", vendor: "VMware, Inc.", version }));
  }

  /** A product spec's switch version; unset means the newest this vCenter creates. Versions it cannot create are refused (our choice of fault). */
  private versionOf(spec: unknown, where: string): string {
    const versions = availableSwitchVersions(this.sim);
    const v = (spec as { version?: unknown } | undefined)?.version;
    if (v === undefined || v === null) return versions.at(-1)!;
    if (typeof v !== "string" || !versions.includes(v)) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.version` });
    return v;
  }

  private switchArg(ref: unknown, where: string): DistributedVirtualSwitch {
    const sw = ref && typeof ref === "object" ? this.sim.inventory.get((ref as ManagedObjectReference).value) : undefined;
    if (!(sw instanceof DistributedVirtualSwitch)) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: ${where}`);
    return sw;
  }

  /** The ESXi releases, from the switch's on up to this vCenter's own, that can join a switch of `version`. */
  private hostReleases(version: string): string[] {
    const own = String((this.sim.content.about as { version?: string } | undefined)?.version ?? "6.0.0");
    return ESX_RELEASES.filter((r) => cmpVersion(r, version) >= 0 && cmpVersion(r, own) <= 0);
  }

  QueryDvsCompatibleHostSpec(args: Args): DataObject[] {
    const version = this.versionOf(args.switchProductSpec, "switchProductSpec");
    return this.hostReleases(version).map((v) => ({ _type: "DistributedVirtualSwitchHostProductSpec", productLineId: "embeddedEsx", version: v }));
  }

  QueryDvsFeatureCapability(args: Args): DataObject {
    return featureCapability(this.versionOf(args.switchProductSpec, "switchProductSpec"));
  }

  /** Switches (and their port groups) a host is a member of, or every switch when no host is named; `dvs` narrows to one switch. */
  QueryDvsConfigTarget(args: Args): DataObject {
    const host = args.host ? this.sim.inventory.get((args.host as ManagedObjectReference).value) : undefined;
    if (args.host && !host?.isA("HostSystem")) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: host ${String((args.host as ManagedObjectReference).value)}`);
    let switches = this.sim.inventory.ofType("DistributedVirtualSwitch").filter((s): s is DistributedVirtualSwitch => s instanceof DistributedVirtualSwitch);
    if (args.dvs) switches = [this.switchArg(args.dvs, "dvs")];
    if (host) switches = switches.filter((s) => s.hosts().some((h) => h.value === host.ref.value));
    return {
      _type: "DVSManagerDvsConfigTarget",
      distributedVirtualPortgroup: switches.flatMap((s) => s.portgroups().map((pg) => ({
        _type: "DistributedVirtualPortgroupInfo", switchName: s.name, switchUuid: s.uuid, portgroupName: pg.name, portgroupKey: pg.ref.value,
        portgroupType: pg.config.type, uplinkPortgroup: pg.isUplink, portgroup: pg.ref,
      }))),
      distributedVirtualSwitch: switches.map((s) => ({ _type: "DistributedVirtualSwitchInfo", switchName: s.name, switchUuid: s.uuid, distributedVirtualSwitch: s.ref })),
    };
  }

  /** Hosts under `container` (a datacenter, folder or compute resource): its own, or with `recursive` those of every folder below too. */
  private hostsUnder(container: unknown, recursive: unknown, where: string): ManagedEntity[] {
    const root = container && typeof container === "object" ? this.sim.inventory.get((container as ManagedObjectReference).value) : undefined;
    if (!(root instanceof ManagedEntity)) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: ${where}`);
    if (!["Datacenter", "Folder", "ComputeResource", "HostSystem"].some((t) => root.isA(t))) throw new VimFault("InvalidArgument", { invalidProperty: where });
    const out: ManagedEntity[] = [];
    const get = (r: ManagedObjectReference) => this.sim.inventory.get(r.value);
    const visit = (o: ManagedEntity, top: boolean): void => {
      if (o.isA("HostSystem")) out.push(o);
      else if (o.isA("ComputeResource")) for (const h of (o.props.host as ManagedObjectReference[] | undefined) ?? []) { const x = get(h); if (x instanceof ManagedEntity) out.push(x); }
      else if (o.isA("Datacenter")) { const f = get(o.props.hostFolder as ManagedObjectReference); if (f instanceof ManagedEntity) visit(f, top); }
      else if (o.isA("Folder") && (top || recursive === true)) for (const c of o.children()) { const x = get(c); if (x instanceof ManagedEntity) visit(x, false); }
    };
    visit(root, true);
    return [...new Set(out)];
  }

  private compatible(host: ManagedEntity, version: string): boolean {
    return cmpVersion(hostRelease(host), version) >= 0;
  }

  QueryCompatibleHostForNewDvs(args: Args): ManagedObjectReference[] {
    const version = this.versionOf(args.switchProductSpec, "switchProductSpec");
    return this.hostsUnder(args.container, args.recursive, "container").filter((h) => this.compatible(h, version)).map((h) => h.ref);
  }

  /** Hosts of the switch's datacenter that could run it (members included). */
  QueryCompatibleHostForExistingDvs(args: Args): ManagedObjectReference[] {
    const sw = this.switchArg(args.dvs, "dvs");
    const version = String((sw.config.productInfo as { version?: string }).version);
    const dc = datacenterOf(sw);
    return this.hostsUnder(args.container, args.recursive, "container").filter((h) => datacenterOf(h) === dc && this.compatible(h, version)).map((h) => h.ref);
  }

  QueryDvsCheckCompatibility(args: Args): DataObject[] {
    const hc = args.hostContainer as { container?: unknown; recursive?: unknown } | undefined;
    if (!hc) throw new VimFault("InvalidArgument", { invalidProperty: "hostContainer" });
    const spec = args.dvsProductSpec as { newSwitchProductSpec?: unknown; distributedVirtualSwitch?: unknown } | undefined;
    const version = spec?.distributedVirtualSwitch
      ? String((this.switchArg(spec.distributedVirtualSwitch, "dvsProductSpec.distributedVirtualSwitch").config.productInfo as { version?: string }).version)
      : this.versionOf(spec?.newSwitchProductSpec, "dvsProductSpec.newSwitchProductSpec");
    let hosts = this.hostsUnder(hc.container, hc.recursive, "hostContainer.container");
    const filters = (Array.isArray(args.hostFilterSpec) ? args.hostFilterSpec : args.hostFilterSpec ? [args.hostFilterSpec] : []) as (DataObject & Record<string, any>)[];
    filters.forEach((f, i) => {
      let match: Set<string>;
      if (f._type === "DistributedVirtualSwitchManagerHostArrayFilter") match = new Set(((Array.isArray(f.host) ? f.host : f.host ? [f.host] : []) as ManagedObjectReference[]).map((h) => h.value));
      else if (f._type === "DistributedVirtualSwitchManagerHostContainerFilter") match = new Set(this.hostsUnder(f.hostContainer?.container, f.hostContainer?.recursive, `hostFilterSpec[${i}].hostContainer.container`).map((h) => h.ref.value));
      else if (f._type === "DistributedVirtualSwitchManagerHostDvsMembershipFilter") match = new Set(this.switchArg(f.distributedVirtualSwitch, `hostFilterSpec[${i}].distributedVirtualSwitch`).hosts().map((h) => h.value));
      else throw new VimFault("InvalidArgument", { invalidProperty: `hostFilterSpec[${i}]` });
      const inclusive = f.inclusive !== false;
      hosts = hosts.filter((h) => match.has(h.ref.value) === inclusive);
    });
    return hosts.map((h) => {
      const release = hostRelease(h);
      const ok = cmpVersion(release, version) >= 0;
      // vCenter's reason for a host too old for the switch (NotSupportedHost naming the host's product) is our best reading of the reference
      return {
        _type: "DistributedVirtualSwitchManagerCompatibilityResult", host: h.ref,
        error: ok ? undefined : [localizedFault(new VimFault("NotSupportedHost", { productName: "VMware ESXi", productVersion: release }, `Host ${h.name} (ESXi ${release}) is not compatible with the vSphere Distributed Switch version ${version}.`))],
      };
    });
  }
}

function hostRelease(host: ManagedEntity): string {
  const product = (host.props.config as { product?: { version?: string } } | undefined)?.product
    ?? (host.props.summary as { config?: { product?: { version?: string } } } | undefined)?.config?.product;
  return String(product?.version ?? "0.0.0");
}

/** What a switch of `version` supports (VMwareDVSFeatureCapability), by the release each feature came with. */
function featureCapability(version: string): DataObject {
  const at = (v: string) => cmpVersion(version, v) >= 0;
  return {
    _type: "VMwareDVSFeatureCapability",
    networkResourceManagementSupported: true,
    vmDirectPathGen2Supported: true,
    nicTeamingPolicy: ["loadbalance_ip", "loadbalance_srcmac", "loadbalance_srcid", "failover_explicit", "loadbalance_loadbased"],
    networkResourcePoolHighShareValue: 100,
    networkResourceManagementCapability: {
      _type: "DVSNetworkResourceManagementCapability", networkResourceManagementSupported: true, networkResourcePoolHighShareValue: 100, qosSupported: true,
      userDefinedNetworkResourcePoolsSupported: true, networkResourceControlVersion3Supported: at("6.0.0"),
    },
    healthCheckCapability: at("5.1.0") ? { _type: "VMwareDVSHealthCheckCapability", vlanMtuSupported: true, teamingSupported: true } : undefined,
    rollbackCapability: at("5.1.0") ? { _type: "DVSRollbackCapability", rollbackSupported: true } : undefined,
    backupRestoreCapability: at("5.1.0") ? { _type: "DVSBackupRestoreCapability", backupRestoreSupported: true } : undefined,
    networkFilterSupported: at("5.5.0"),
    vspanSupported: true,
    lldpSupported: true,
    ipfixSupported: true,
    multicastSnoopingSupported: at("6.0.0"),
    lacpCapability: { _type: "VMwareDvsLacpCapability", lacpSupported: true, multiLacpGroupSupported: at("5.5.0") },
  };
}
