// LicenseManager and LicenseAssignmentManager: the licenses the scenario
// gives each host, with their feature keys (VIC looks for serialuri and dvs).
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

export class LicenseManager extends ManagedObject {
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
  }

  private find(key: string): DataObject | undefined {
    return (this.props.licenses as DataObject[]).find((l) => l.licenseKey === key);
  }

  DecodeLicense(args: Args): DataObject {
    const l = this.find(args.licenseKey);
    if (!l) throw new VimFault("InvalidArgument", { invalidProperty: "licenseKey" }, "A specified parameter was not correct: licenseKey");
    return l;
  }

  AddLicense(args: Args): DataObject {
    const key = String(args.licenseKey);
    if (!/^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$/.test(key)) throw new VimFault("InvalidArgument", { invalidProperty: "licenseKey" }, "A specified parameter was not correct: licenseKey");
    const existing = this.find(key);
    if (existing) return existing;
    const l = licenseInfo({ licenseKey: key, editionKey: "esx.enterprisePlus.cpuPackage", name: "VMware vSphere 6 Enterprise Plus", features: ["serialuri", "dvs", "vmotion", "drs", "ha"] }, 0, 0);
    this.update({ licenses: [...(this.props.licenses as DataObject[]), l] });
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
