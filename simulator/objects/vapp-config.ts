// The vApp options a vApp and a VM share (VmConfigSpec, VmConfigInfo):
// products and properties edited by ArrayUpdateSpec, IP assignment, EULAs,
// OVF sections, the OVF environment's transports, install boot; and the OVF
// environment document vCenter hands a VM's guest (guestinfo.ovfEnv with the
// com.vmware.guestInfo transport), the one ExtractOvfEnvironment returns.
import { VimFault, escapeXml, type DataObject } from "../../vim25/soap/index.ts";

export type VmConfigInfo = DataObject & {
  product?: (DataObject & Record<string, unknown>)[];
  property?: (DataObject & { key: number; id?: string; classId?: string; instanceId?: string; value?: string; defaultValue?: string } & Record<string, unknown>)[];
  ovfEnvironmentTransport?: string[];
} & Record<string, unknown>;

type Entry = DataObject & { key: number } & Record<string, unknown>;

/**
 * An ArrayUpdateSpec list (VAppProductSpec, VAppPropertySpec,
 * VAppOvfSectionSpec) applied to entries keyed by `key`: add needs a new
 * key, edit and remove an existing one, else InvalidArgument naming the
 * field.
 */
export function applyArrayUpdates(current: Entry[], specs: (DataObject & Record<string, any>)[] | undefined, field: string, type: string): Entry[] {
  const out = [...current];
  for (const s of specs ?? []) {
    if (s.operation === "remove") {
      const i = out.findIndex((e) => e.key === Number(s.removeKey));
      if (i < 0) throw new VimFault("InvalidArgument", { invalidProperty: `${field}.removeKey` });
      out.splice(i, 1);
      continue;
    }
    const info = (s.info ?? {}) as Record<string, unknown>;
    const key = Number(info.key);
    if (!Number.isInteger(key)) throw new VimFault("InvalidArgument", { invalidProperty: `${field}.info.key` });
    const i = out.findIndex((e) => e.key === key);
    if (s.operation === "add") {
      if (i >= 0) throw new VimFault("InvalidArgument", { invalidProperty: `${field}.info.key` });
      out.push({ ...info, _type: type, key });
    } else if (s.operation === "edit") {
      if (i < 0) throw new VimFault("InvalidArgument", { invalidProperty: `${field}.info.key` });
      out[i] = { ...out[i], ...Object.fromEntries(Object.entries(info).filter(([, v]) => v !== undefined)), _type: type, key };
    } else {
      throw new VimFault("InvalidArgument", { invalidProperty: `${field}.operation` });
    }
  }
  return out;
}

/** A VmConfigSpec applied to what is there (nothing, for a VM without vApp options): checked whole before the caller keeps it. */
export function applyVmConfigSpec(current: VmConfigInfo | undefined, spec: DataObject & Record<string, any>, field: string): VmConfigInfo {
  const cur = current ?? ({ _type: "VmConfigInfo", product: [], property: [], ipAssignment: { _type: "VAppIPAssignmentInfo" }, eula: [], ovfSection: [], ovfEnvironmentTransport: [], installBootRequired: false, installBootStopDelay: 0 } as VmConfigInfo);
  const next: VmConfigInfo = { ...cur };
  // a product spec without an operation adds (VIC's installer sends its product that way)
  if (spec.product?.length) next.product = applyArrayUpdates((cur.product ?? []) as Entry[], spec.product.map((p: Record<string, any>) => ({ ...p, operation: p.operation ?? "add" })), `${field}.product`, "VAppProductInfo");
  if (spec.property?.length) next.property = applyArrayUpdates((cur.property ?? []) as Entry[], spec.property, `${field}.property`, "VAppPropertyInfo") as VmConfigInfo["property"];
  if (spec.ovfSection?.length) next.ovfSection = applyArrayUpdates((cur.ovfSection ?? []) as Entry[], spec.ovfSection, `${field}.ovfSection`, "VAppOvfSectionInfo");
  for (const k of ["ipAssignment", "eula", "ovfEnvironmentTransport", "installBootRequired", "installBootStopDelay"]) if (spec[k] !== undefined) next[k] = spec[k];
  return next;
}

/** The OVF key of a property: classId.id.instanceId, the parts that are set (OVF 1.1, ProductSection). */
function ovfKey(p: NonNullable<VmConfigInfo["property"]>[number]): string {
  return [p.classId, p.id, p.instanceId].filter((x) => x).join(".");
}

/**
 * The OVF environment document as vSphere writes it (the guest reads it
 * with `vmtoolsd --cmd "info-get guestinfo.ovfEnv"`): the platform, each
 * property's value (its default when none is set), and each NIC's MAC and
 * network. `vCenterId` is the VM's moref, on vCenter only.
 */
export function ovfEnvironment(vApp: VmConfigInfo, platform: { version: string; vCenterId?: string }, nics: { mac?: string; network: string; unitNumber?: number }[]): string {
  const x = (v: unknown) => escapeXml(String(v ?? ""));
  const props = (vApp.property ?? []).map((p) => `         <Property oe:key="${x(ovfKey(p))}" oe:value="${x(p.value ?? p.defaultValue ?? "")}"/>`);
  const adapters = nics.map((n) => `      <ve:Adapter ve:mac="${x(n.mac)}" ve:network="${x(n.network)}" ve:unitNumber="${x(n.unitNumber ?? 0)}"/>`);
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<Environment`,
    `     xmlns="http://schemas.dmtf.org/ovf/environment/1"`,
    `     xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`,
    `     xmlns:oe="http://schemas.dmtf.org/ovf/environment/1"`,
    `     xmlns:ve="http://www.vmware.com/schema/ovfenv"`,
    `     oe:id=""${platform.vCenterId ? `\n     ve:vCenterId="${x(platform.vCenterId)}"` : ""}>`,
    `   <PlatformSection>`,
    `      <Kind>VMware ESXi</Kind>`,
    `      <Version>${x(platform.version)}</Version>`,
    `      <Vendor>VMware, Inc.</Vendor>`,
    `      <Locale>en</Locale>`,
    `   </PlatformSection>`,
    `   <PropertySection>`,
    ...props,
    `   </PropertySection>`,
    `   <ve:EthernetAdapterSection>`,
    ...adapters,
    `   </ve:EthernetAdapterSection>`,
    `</Environment>`,
  ].join("\n");
}
