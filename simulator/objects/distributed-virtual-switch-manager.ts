// DistributedVirtualSwitchManager (content.dvSwitchManager): finds switches
// and port groups by the UUIDs and keys NIC backings carry, says which
// switch versions this vCenter can create, which hosts can join a switch of
// a version (a host runs a switch of its own ESXi release or older), what a
// switch version can do, and which switches and port groups a host reaches.
// It also exports switches and port groups as backups (EntityBackupConfig,
// whose blob format distributed-virtual-switch.ts describes) and imports them:
// as new entities, under their original identity, or over an existing one.
//
// Chosen without confirmation against a real vCenter: an import is checked
// whole and refused by the first bad entry's fault (importFault stays empty);
// an entity that already exists under the original identity is DvsFault; the
// switch's hosts are not re-added (the reference says vCenter adds them back:
// here hosts join through ReconfigureDvs_Task); a restored uplink port group
// gets a new key.
import { VimFault, localizedFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import {
  DistributedVirtualSwitch, availableSwitchVersions, checkSwitchName, createDistributedSwitch, readBackup, writeBackup, type Backup,
} from "./distributed-virtual-switch.ts";
import { DistributedVirtualPortgroup, postNetworkEvent } from "./distributed-virtual-portgroup.ts";
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

  // ---- backup and restore ----

  private get root(): ManagedObject {
    return this.sim.inventory.get((this.sim.content.rootFolder as ManagedObjectReference).value)!;
  }

  DVSManagerExportEntity_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this.root, "DVSManagerExportEntity_Task", "DistributedVirtualSwitchManager.exportEntity", ctx.session?.userName ?? "", () => {
      const sets = listOf<DataObject & { dvsUuid?: unknown; portgroupKey?: unknown }>(args.selectionSet);
      if (!sets.length) throw new VimFault("InvalidArgument", { invalidProperty: "selectionSet" });
      const out: DataObject[] = [];
      sets.forEach((sel, i) => {
        if (sel?._type !== "DVSSelection" && sel?._type !== "DVPortgroupSelection") throw new VimFault("InvalidArgument", { invalidProperty: `selectionSet[${i}]` });
        const sw = this.byUuid(sel.dvsUuid);
        if (sel._type === "DVSSelection") {
          out.push(backupConfig("distributedVirtualSwitch", sw.backup(), sw.uuid, sw.name, sw.parentObject()?.ref, sw.config.configVersion));
          return;
        }
        const keys = listOf<unknown>(sel.portgroupKey).map(String);
        if (!keys.length) throw new VimFault("InvalidArgument", { invalidProperty: `selectionSet[${i}].portgroupKey` });
        for (const key of keys) {
          const pg = sw.portgroups().find((g) => g.ref.value === key);
          if (!pg) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: port group ${key} of switch ${sw.name}`);
          out.push(backupConfig("distributedVirtualPortgroup", sw.backupPortgroup(pg), pg.ref.value, pg.name, sw.ref, pg.config.configVersion));
        }
      });
      return out;
    }, { resultType: { type: "EntityBackupConfig", array: true } });
  }

  DVSManagerImportEntity_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this.root, "DVSManagerImportEntity_Task", "DistributedVirtualSwitchManager.importEntity", user, () => {
      const type = args.importType;
      if (typeof type !== "string" || !this.sim.schema.enumValues("EntityImportType")?.includes(type)) throw new VimFault("InvalidArgument", { invalidProperty: "importType" });
      const entries = listOf<DataObject & { entityType?: string; key?: string; name?: string; container?: ManagedObjectReference }>(args.entityBackup);
      if (!entries.length) throw new VimFault("InvalidArgument", { invalidProperty: "entityBackup" });
      // every entry is checked before anything is made or changed
      const names = new Set<string>();
      const plans = entries.map((e, i) => this.importPlan(e, i, type, names));
      const result = { _type: "DistributedVirtualSwitchManagerImportResult", distributedVirtualSwitch: [] as ManagedObjectReference[], distributedVirtualPortgroup: [] as ManagedObjectReference[], importFault: [] };
      for (const run of plans) {
        const made = run(user);
        if (made instanceof DistributedVirtualSwitch) {
          result.distributedVirtualSwitch.push(made.ref);
          postNetworkEvent(this.sim, "DvsImportEvent", `Import operation with type ${type} was performed on ${made.name}`, user, { dvs: made }, { importType: type });
        } else {
          result.distributedVirtualPortgroup.push(made.ref);
        }
      }
      return result;
    }, { resultType: { type: "DistributedVirtualSwitchManagerImportResult" } });
  }

  /** One entry's checks, returning what carries it out. */
  private importPlan(e: DataObject & { entityType?: string; key?: string; name?: string; container?: ManagedObjectReference }, i: number, type: string, names: Set<string>): (user: string) => ManagedEntity {
    const where = `entityBackup[${i}]`;
    const b = readBackup(e);
    if (!b) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.configBlob` }, `A specified parameter was not correct: ${where}.configBlob (not a backup this server wrote)`);
    if (e.entityType !== b.entityType) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.entityType` });
    const inv = this.sim.inventory;
    const claim = (name: string, dc: unknown) => {
      const k = `${String((dc as ManagedEntity | undefined)?.ref.value)}/${name}`;
      if (names.has(k)) throw new VimFault("DuplicateName", { name, object: (dc as ManagedEntity | undefined)?.ref });
      names.add(k);
    };
    const groups = b.portgroups.filter((g) => !g.uplink);
    if (b.entityType === "distributedVirtualSwitch") {
      if (type === "applyToEntitySpecified") {
        const sw = this.byUuid(e.key ?? b.switch.uuid);
        const name = e.name ?? b.switch.name;
        if (name !== sw.name) checkSwitchName(this.sim, sw.parentObject() as ManagedEntity, name, sw);
        const existing = new Map(groups.map((g) => [g.key, sw.portgroups().find((p) => p.ref.value === g.key)]));
        for (const g of groups) sw.checkPortgroupBackup(existing.get(g.key), g.config, undefined);
        return (user) => {
          sw.applyBackup(b, e.name, user);
          for (const g of groups) {
            const pg = existing.get(g.key);
            if (pg) sw.applyPortgroupBackup(pg, g.config, undefined, user);
            else sw.restorePortgroup(g.config, undefined, user, inv.has(g.key) ? undefined : g.key);
          }
          return sw;
        };
      }
      const folder = e.container && typeof e.container === "object" ? inv.get(e.container.value) : undefined;
      if (!(folder instanceof ManagedEntity) || !folder.isA("Folder") || !((folder.props.childType as string[] | undefined) ?? []).includes("DistributedVirtualSwitch")) {
        throw new VimFault("InvalidArgument", { invalidProperty: `${where}.container` });
      }
      const original = type === "createEntityWithOriginalIdentifier";
      // the reference: an original-identity import ignores key and name, a new one takes the name given
      const name = original ? b.switch.name : e.name ?? b.switch.name;
      if (original && this.sim.inventory.ofType("DistributedVirtualSwitch").some((s) => s instanceof DistributedVirtualSwitch && s.uuid === b.switch.uuid)) {
        throw new VimFault("DvsFault", {}, `A vSphere Distributed Switch with the UUID ${b.switch.uuid} already exists.`);
      }
      if (!availableSwitchVersions(this.sim).includes(b.switch.productVersion)) {
        throw new VimFault("DvsFault", {}, `This vCenter Server cannot create a vSphere Distributed Switch of version ${b.switch.productVersion}.`);
      }
      checkSwitchName(this.sim, folder, name);
      const dc = datacenterOf(folder);
      claim(name, folder);
      for (const g of groups) {
        const gname = String(g.config.name);
        const dup = DistributedVirtualPortgroup.named(this.sim, dc, gname);
        if (dup) throw new VimFault("DuplicateName", { name: gname, object: dup.ref });
        if (original && inv.has(g.key)) throw new VimFault("DvsFault", {}, `A distributed port group with the key ${g.key} already exists.`);
        claim(gname, dc);
      }
      return (user) => {
        const cfg = b.switch.config as Record<string, any>;
        const sw = createDistributedSwitch(this.sim, folder as ManagedEntity & { attachChild(c: ManagedEntity): void }, {
          name, version: b.switch.productVersion, hosts: [], portgroups: [], uplinkPortNames: cfg.uplinkPortPolicy?.uplinkPortName,
          ...(original ? { uuid: b.switch.uuid, value: inv.has(b.switch.key) ? undefined : b.switch.key } : {}),
        });
        sw.applyBackup(b, name, user);
        for (const g of groups) sw.restorePortgroup(g.config, undefined, user, original ? g.key : undefined);
        return sw;
      };
    }
    // a port group
    const g = b.portgroups[0];
    if (!g || g.uplink) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.configBlob` });
    if (type === "applyToEntitySpecified") {
      const pg = inv.get(String(e.key ?? g.key));
      if (!(pg instanceof DistributedVirtualPortgroup)) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: port group ${String(e.key ?? g.key)}`);
      const sw = pg.switch()!;
      sw.checkPortgroupBackup(pg, g.config, e.name);
      return (user) => {
        sw.applyPortgroupBackup(pg, g.config, e.name, user);
        return pg;
      };
    }
    const original = type === "createEntityWithOriginalIdentifier";
    let sw: DistributedVirtualSwitch;
    if (original) {
      sw = this.byUuid(b.switch.uuid);
      if (inv.has(g.key)) throw new VimFault("DvsFault", {}, `A distributed port group with the key ${g.key} already exists.`);
    } else {
      const c = e.container && typeof e.container === "object" ? inv.get(e.container.value) : undefined;
      if (!(c instanceof DistributedVirtualSwitch)) throw new VimFault("InvalidArgument", { invalidProperty: `${where}.container` });
      sw = c;
    }
    const name = original ? undefined : e.name;
    sw.checkPortgroupBackup(undefined, g.config, name);
    claim(name ?? String(g.config.name), datacenterOf(sw));
    return (user) => sw.restorePortgroup(g.config, name, user, original ? g.key : undefined);
  }

  /** Re-sync the hosts' proxy switches with every switch they are members of. */
  RectifyDvsOnHost_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    const hosts = listOf<ManagedObjectReference>(args.hosts);
    const first = hosts[0] && typeof hosts[0] === "object" ? this.sim.inventory.get(hosts[0].value) : undefined;
    return this.sim.tasks.run(first?.isA("HostSystem") ? first : this.root, "RectifyDvsOnHost_Task", "DistributedVirtualSwitchManager.rectifyHost", user, () => {
      if (!hosts.length) throw new VimFault("InvalidArgument", { invalidProperty: "hosts" });
      const switches = this.sim.inventory.ofType("DistributedVirtualSwitch").filter((s): s is DistributedVirtualSwitch => s instanceof DistributedVirtualSwitch);
      const work = hosts.map((h) => {
        const host = h && typeof h === "object" ? this.sim.inventory.get(h.value) : undefined;
        if (!host?.isA("HostSystem")) throw new VimFault("ManagedObjectNotFound", { obj: h }, `The object '${h?.type ?? "HostSystem"}:${h?.value ?? ""}' has already been deleted or has not been completely created`);
        const mine = switches.filter((s) => s.hosts().some((m) => m.value === host.ref.value));
        // the only fault the method declares; a host on no switch has no proxy switch to rectify
        if (!mine.length) throw new VimFault("DvsFault", {}, `Host ${String(host.get("name"))} is not a member of any vSphere Distributed Switch.`);
        return { host: host.ref, mine };
      });
      for (const { host, mine } of work) for (const s of mine) s.rectify([host], user);
    });
  }
}

function listOf<T>(v: unknown): T[] {
  return (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]) as T[];
}

function backupConfig(entityType: string, b: Backup, key: string, name: string, container: ManagedObjectReference | undefined, configVersion: string): DataObject {
  return { _type: "EntityBackupConfig", entityType, configBlob: writeBackup(b), key, name, container, configVersion };
}

/** The ESXi release a host runs ("6.0.0"): what decides which switch versions it can join. */
export function hostRelease(host: ManagedEntity): string {
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
