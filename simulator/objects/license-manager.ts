// LicenseManager and LicenseAssignmentManager: the licenses the scenario
// gives each host, with their feature keys (VIC looks for serialuri and dvs).
// Each licensed entity (an ESXi host; on vCenter every host and the vCenter
// itself) has an edition in use and the optional features it has released;
// the feature queries, CheckLicenseFeature and the properties of the
// manager (licensedEdition, featureInfo, source) follow them.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type SavedState } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import type { LicenseSpec } from "../inventory/scenario.ts";

// What vSphere calls each feature key, as license info shows it.
const FEATURE_NAMES: Record<string, string> = {
  serialuri: "Remote virtual Serial Port Concentrator",
  dvs: "vSphere Distributed Switch",
  vmotion: "vSphere vMotion",
  drs: "vSphere DRS",
  ha: "vSphere HA",
  svmotion: "vSphere Storage vMotion",
  esxHost: "vCenter agent for VMware host",
};

/**
 * The add-ons a client may release and take back (FeatureInfo state
 * "optional"); the rest come with the edition ("enabled") and EnableFeature
 * and DisableFeature refuse them. A choice: since vSphere 4 a key's features
 * come with the key, and the reference names no optional feature.
 */
const OPTIONAL_FEATURES = new Set(["vmotion", "svmotion", "drs", "ha"]);

const LICENSE_KEY = /^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$/;

const invalid = (property: string) => new VimFault("InvalidArgument", { invalidProperty: property }, `A specified parameter was not correct: ${property}`);

export function licenseInfo(spec: LicenseSpec, used: number, total: number): DataObject {
  return {
    _type: "LicenseManagerLicenseInfo",
    licenseKey: spec.licenseKey,
    editionKey: spec.editionKey,
    name: spec.name,
    total,
    used,
    costUnit: "cpuPackage",
    properties: [
      { _type: "KeyAnyValue", key: "ProductName", value: "VMware ESX Server" },
      { _type: "KeyAnyValue", key: "ProductVersion", value: "6.0" },
      ...spec.features.map((f) => ({ _type: "KeyAnyValue", key: "feature", value: { _type: "KeyValue", key: f, value: FEATURE_NAMES[f] ?? f } })),
    ],
    labels: [],
  };
}

/** The feature keys a license carries (its "feature" properties). */
function featuresOf(l: DataObject): string[] {
  return ((l.properties as DataObject[] | undefined) ?? []).filter((p) => p.key === "feature").map((p) => String((p.value as DataObject).key));
}

/** The edition in use on an entity and the optional features released there. */
interface Licensing {
  edition: string;
  disabled: string[];
}

/** What a licensing call acts on: a host, or the vCenter itself (entity id = its instance UUID). */
interface Target {
  id: string;
  host?: ManagedObject;
}

export class LicenseManager extends ManagedObject {
  private licensing = new Map<string, Licensing>();

  constructor(sim: SimContext, value: string, licenses: DataObject[], assignmentManager?: ManagedObjectReference) {
    super(sim, "LicenseManager", value);
    Object.assign(this.props, {
      licenses,
      source: { _type: "LocalLicenseSource", licenseKeys: licenses.map((l) => l.licenseKey).join(",") },
      sourceAvailable: true,
      featureInfo: [],
      licensedEdition: "",
      evaluation: { _type: "LicenseManagerEvaluationInfo", properties: [{ _type: "KeyAnyValue", key: "expirationHours", value: 0 }] },
      licenseAssignmentManager: assignmentManager,
      diagnostics: undefined,
    });
    const own = this.self();
    Object.assign(this.props, { licensedEdition: this.state(own).edition, featureInfo: this.features(own) });
  }

  override saveState(): SavedState & { licensing: [string, Licensing][] } {
    return { ...super.saveState(), licensing: [...this.licensing].map(([k, v]) => [k, { ...v, disabled: [...v.disabled] }]) };
  }

  override loadState(s: SavedState & { licensing: [string, Licensing][] }): void {
    super.loadState(s);
    this.licensing = new Map(s.licensing.map(([k, v]) => [k, { ...v, disabled: [...v.disabled] }]));
  }

  private find(key: string): DataObject | undefined {
    return (this.props.licenses as DataObject[]).find((l) => l.licenseKey === key);
  }

  /** The server the manager is on: hostd's one host, or the vCenter. */
  private self(): Target {
    if (!this.sim.isVCenter) {
      const host = this.sim.inventory.ofType("HostSystem")[0];
      return { id: host?.ref.value ?? "ha-host", host };
    }
    return { id: (this.sim.content.about as { instanceUuid: string }).instanceUuid };
  }

  /**
   * The `host` argument: hostd ignores it (the manager is on the host); vpxd
   * acts on the host named, or on itself when `required` is false and none is.
   */
  private target(args: Args, required: boolean): Target {
    if (!this.sim.isVCenter) return this.self();
    const ref = args.host as ManagedObjectReference | undefined;
    if (!ref) {
      if (required) throw invalid("host");
      return this.self();
    }
    const host = this.sim.inventory.get(ref.value);
    if (!host || host.type !== "HostSystem") throw new VimFault("ManagedObjectNotFound", { obj: ref });
    return { id: host.ref.value, host };
  }

  /** The license the entity runs on: hostd's own license, or the one vpxd assigned it. */
  private licenseOf(t: Target): DataObject | undefined {
    if (!this.sim.isVCenter) return (this.props.licenses as DataObject[])[0];
    const lamRef = this.props.licenseAssignmentManager as ManagedObjectReference | undefined;
    const lam = lamRef ? (this.sim.inventory.get(lamRef.value) as LicenseAssignmentManager | undefined) : undefined;
    const assigned = lam?.assigned(t.id);
    return assigned ? (this.find(String(assigned.licenseKey)) ?? assigned) : undefined;
  }

  private state(t: Target): Licensing {
    return this.licensing.get(t.id) ?? { edition: String(this.licenseOf(t)?.editionKey ?? ""), disabled: [] };
  }

  /** The units the entity's edition costs: its CPU packages for a per-CPU license, else one. */
  private units(t: Target, l: DataObject): number {
    if (l.costUnit !== "cpuPackage" || !t.host) return 1;
    return Number((t.host.props.hardware as { cpuInfo?: { numCpuPackages?: number } } | undefined)?.cpuInfo?.numCpuPackages ?? 1);
  }

  /** FeatureInfo of the entity's license: its edition, then the features the key carries. */
  private features(t: Target): DataObject[] {
    const l = this.licenseOf(t);
    if (!l) return [];
    const info = (key: string, name: string, edition: boolean, state: string) => ({
      _type: "LicenseFeatureInfo", key, featureName: name, featureDescription: name, state, costUnit: String(l.costUnit ?? "cpuPackage"), sourceRestriction: "unrestricted", edition,
    });
    return [
      info(String(l.editionKey), String(l.name), true, "enabled"),
      ...featuresOf(l).map((f) => info(f, FEATURE_NAMES[f] ?? f, false, OPTIONAL_FEATURES.has(f) ? "optional" : "enabled")),
    ];
  }

  /** Whether `feature` is in use on the entity now: licensed, its edition set, not released. */
  private enabled(t: Target, feature: string): boolean {
    const l = this.licenseOf(t);
    const s = this.state(t);
    if (!l || !s.edition) return false;
    if (feature === s.edition) return true;
    return featuresOf(l).includes(feature) && !s.disabled.includes(feature);
  }

  /** Keep the manager's own properties in step when its own entity changed. */
  private commit(t: Target, next: Licensing, extra: Record<string, unknown> = {}): void {
    this.licensing.set(t.id, next);
    if (t.id !== this.self().id) return;
    this.update({ ...extra, licensedEdition: next.edition, featureInfo: this.features(t) });
  }

  QuerySupportedFeatures(args: Args): DataObject[] {
    return this.features(this.target(args, false));
  }

  QueryLicenseSourceAvailability(args: Args): DataObject[] {
    const t = this.target(args, false);
    const l = this.licenseOf(t);
    if (!l) return [];
    const total = Number(l.total ?? 0);
    return this.features(t).map((feature) => ({ _type: "LicenseAvailabilityInfo", feature, total, available: Math.max(0, total - Number(l.used ?? 0)) }));
  }

  QueryLicenseUsage(args: Args): DataObject {
    const t = this.target(args, false);
    const l = this.licenseOf(t);
    const featureInfo = this.features(t);
    return {
      _type: "LicenseUsageInfo",
      source: this.props.source,
      sourceAvailable: this.props.sourceAvailable,
      reservationInfo: l
        ? featureInfo.map((f) => ({ _type: "LicenseReservationInfo", key: f.key, state: this.enabled(t, String(f.key)) ? "licensed" : "notUsed", required: this.enabled(t, String(f.key)) ? this.units(t, l) : 0 }))
        : [],
      featureInfo,
    };
  }

  SetLicenseEdition(args: Args): void {
    const t = this.target(args, true);
    const key = String(args.featureKey ?? "");
    const s = this.state(t);
    // no key: the product becomes unlicensed, as the reference says
    if (key) {
      const editions = new Set((this.props.licenses as DataObject[]).map((l) => String(l.editionKey)));
      if (!editions.has(key)) throw invalid("featureKey");
      // an edition of another product (vCenter's on a host, a host's on vCenter) cannot run here
      const own = this.licenseOf(t);
      if (!own || own.editionKey !== key) throw new VimFault("InvalidState", {}, `The edition '${key}' cannot be used on this system: its license is not assigned to it.`);
    }
    this.commit(t, { edition: key, disabled: key === s.edition ? s.disabled : [] });
  }

  CheckLicenseFeature(args: Args): boolean {
    const t = this.target(args, false);
    const key = String(args.featureKey ?? "");
    const known = new Set([...Object.keys(FEATURE_NAMES), ...(this.props.licenses as DataObject[]).flatMap((l) => [String(l.editionKey), ...featuresOf(l)])]);
    if (!known.has(key)) throw invalid("featureKey");
    return this.enabled(t, key);
  }

  EnableFeature(args: Args): boolean {
    return this.toggle(args, true);
  }

  DisableFeature(args: Args): boolean {
    return this.toggle(args, false);
  }

  private toggle(args: Args, on: boolean): boolean {
    const t = this.target(args, true);
    const key = String(args.featureKey ?? "");
    const l = this.licenseOf(t);
    // not a feature of the entity's license, or one that comes with the edition: not optional
    if (!l || !featuresOf(l).includes(key) || !OPTIONAL_FEATURES.has(key)) throw invalid("featureKey");
    const s = this.state(t);
    if (!s.edition) throw new VimFault("InvalidState", {}, `No edition is set: feature '${key}' cannot be ${on ? "enabled" : "disabled"}.`);
    const disabled = on ? s.disabled.filter((f) => f !== key) : [...new Set([...s.disabled, key])];
    this.commit(t, { ...s, disabled });
    return true;
  }

  /**
   * vpxd takes only a served source and no license server exists here (VMware
   * retired them with vSphere 4), so every change of source on vCenter ends in
   * LicenseServerUnavailable; hostd takes a local source too: its keys become
   * the host's licenses. An evaluation source is refused (a choice: the
   * reference names only served and local sources).
   */
  ConfigureLicenseSource(args: Args): void {
    const t = this.target(args, true);
    const src = args.licenseSource as DataObject & { licenseKeys?: string; licenseServer?: string };
    if (src?._type === "LicenseServerSource") {
      throw new VimFault("LicenseServerUnavailable", { licenseServer: String(src.licenseServer ?? "") }, `The license server '${src.licenseServer ?? ""}' is unavailable.`);
    }
    if (src?._type !== "LocalLicenseSource" || this.sim.isVCenter) throw invalid("licenseSource");
    const blob = String(src.licenseKeys ?? "");
    const keys = blob.split(/[\s,]+/).filter(Boolean);
    if (!keys.length || !keys.every((k) => LICENSE_KEY.test(k))) throw new VimFault("InvalidLicense", { licenseContent: blob }, "The license content is not valid.");
    const licenses = [...new Set(keys)].map((k) => this.find(k) ?? this.newLicense(k));
    const edition = String(licenses[0].editionKey);
    this.update({ source: { _type: "LocalLicenseSource", licenseKeys: blob }, sourceAvailable: true, licenses });
    this.commit(t, { edition, disabled: [] });
  }

  /** A key the simulator has not seen: an Enterprise Plus license of the host's CPU packages. */
  private newLicense(key: string): DataObject {
    const t = this.self();
    const l = licenseInfo({ licenseKey: key, editionKey: "esx.enterprisePlus.cpuPackage", name: "VMware vSphere 6 Enterprise Plus", features: ["serialuri", "dvs", "vmotion", "drs", "ha"] }, 0, 0);
    if (this.sim.isVCenter) return l;
    const used = this.units(t, l);
    return { ...l, used, total: Math.max(used, 32) };
  }

  DecodeLicense(args: Args): DataObject {
    const l = this.find(args.licenseKey);
    if (!l) throw new VimFault("InvalidArgument", { invalidProperty: "licenseKey" }, "A specified parameter was not correct: licenseKey");
    return l;
  }

  AddLicense(args: Args): DataObject {
    const key = String(args.licenseKey);
    if (!LICENSE_KEY.test(key)) throw new VimFault("InvalidArgument", { invalidProperty: "licenseKey" }, "A specified parameter was not correct: licenseKey");
    const existing = this.find(key);
    if (existing) return existing;
    const l = licenseInfo({ licenseKey: key, editionKey: "esx.enterprisePlus.cpuPackage", name: "VMware vSphere 6 Enterprise Plus", features: ["serialuri", "dvs", "vmotion", "drs", "ha"] }, 0, 0);
    this.update({ licenses: [...(this.props.licenses as DataObject[]), l] });
    return l;
  }

  /**
   * hostd: the host's license becomes this key, in place of all it had (the
   * reference: as RemoveLicense of each and AddLicense), labels applied.
   * vpxd licenses hosts through AddLicense and LicenseAssignmentManager, and
   * a key replacing every license it holds would unlicense them all: it is
   * refused there (a choice, not confirmed on a real vCenter).
   */
  UpdateLicense(args: Args): DataObject {
    if (this.sim.isVCenter) throw new VimFault("NotSupported", {}, "UpdateLicense is not supported by vCenter Server; use AddLicense and LicenseAssignmentManager.");
    const key = String(args.licenseKey ?? "");
    if (!LICENSE_KEY.test(key)) throw invalid("licenseKey");
    const labels = new Map<string, unknown>();
    for (const kv of (args.labels ?? []) as DataObject[]) labels.set(String(kv.key), kv.value);
    const base = this.find(key) ?? this.newLicense(key);
    const l: DataObject = { ...base, labels: [...labels].map(([k, v]) => ({ _type: "KeyValue", key: k, value: v })) };
    this.update({ licenses: [l], source: { _type: "LocalLicenseSource", licenseKeys: key } });
    this.commit(this.self(), { edition: String(l.editionKey), disabled: [] });
    return l;
  }

  RemoveLicense(args: Args): void {
    const l = this.find(args.licenseKey);
    if (!l) throw new VimFault("InvalidArgument", { invalidProperty: "licenseKey" });
    if ((l.used as number) > 0) throw new VimFault("ResourceInUse", {});
    this.update({ licenses: (this.props.licenses as DataObject[]).filter((x) => x !== l) });
  }

  UpdateLicenseLabel(args: Args): void {
    const l = this.find(args.licenseKey);
    if (!l) throw new VimFault("InvalidArgument", { invalidProperty: "licenseKey" });
    const labels = ((l.labels as DataObject[]) ?? []).filter((x) => x.key !== args.labelKey);
    labels.push({ _type: "KeyValue", key: args.labelKey, value: args.labelValue });
    this.update({ licenses: (this.props.licenses as DataObject[]).map((x) => (x === l ? { ...l, labels } : x)) });
  }

  /** Removing a label the license does not have changes nothing (a choice: the reference names no fault). */
  RemoveLicenseLabel(args: Args): void {
    const l = this.find(args.licenseKey);
    if (!l) throw invalid("licenseKey");
    const labels = ((l.labels as DataObject[]) ?? []).filter((x) => x.key !== args.labelKey);
    if (labels.length === ((l.labels as DataObject[]) ?? []).length) return;
    this.update({ licenses: (this.props.licenses as DataObject[]).map((x) => (x === l ? { ...l, labels } : x)) });
  }
}

export class LicenseAssignmentManager extends ManagedObject {
  /** entityId (host moref value, or the vCenter instance uuid) → assignment */
  constructor(sim: SimContext, value: string, private readonly assignments: Map<string, { name: string; license: DataObject }>) {
    super(sim, "LicenseAssignmentManager", value);
  }

  // UpdateAssignedLicense changes an assignment in place: a snapshot copies each
  override saveState(): SavedState & { assignments: [string, { name: string; license: DataObject }][] } {
    return { ...super.saveState(), assignments: [...this.assignments].map(([k, a]) => [k, { ...a }]) };
  }

  override loadState(s: SavedState & { assignments: [string, { name: string; license: DataObject }][] }): void {
    super.loadState(s);
    this.assignments.clear();
    for (const [k, a] of s.assignments) this.assignments.set(k, { ...a });
  }

  /** The license assigned to an entity (a host's moref value, or the vCenter's instance UUID). */
  assigned(entityId: string): DataObject | undefined {
    return this.assignments.get(entityId)?.license;
  }

  QueryAssignedLicenses(args: Args): DataObject[] {
    const out: DataObject[] = [];
    for (const [entityId, a] of this.assignments) {
      if (args.entityId && args.entityId !== entityId) continue;
      out.push({ _type: "LicenseAssignmentManagerLicenseAssignment", entityId, scope: undefined, entityDisplayName: a.name, assignedLicense: a.license, properties: [] });
    }
    return out;
  }

  UpdateAssignedLicense(args: Args): DataObject {
    const a = this.assignments.get(args.entity);
    if (!a) throw new VimFault("InvalidArgument", { invalidProperty: "entity" });
    const lm = this.sim.inventory.get((this.sim.content.licenseManager as ManagedObjectReference).value);
    const l = (lm?.props.licenses as DataObject[] | undefined)?.find((x) => x.licenseKey === args.licenseKey);
    if (!l) throw new VimFault("InvalidArgument", { invalidProperty: "licenseKey" });
    a.license = l;
    return l;
  }

  RemoveAssignedLicense(args: Args): void {
    if (!this.assignments.delete(args.entityId)) throw new VimFault("InvalidArgument", { invalidProperty: "entityId" });
  }
}
