// Helpers of HostStorageSystem for the software iSCSI adapter (its vim
// methods stay on HostStorageSystem): the adapter's configuration as state,
// the HostInternetScsiHba it shows, and the checks hostd makes on what a
// client sends. The adapter reaches its targets through the host's vmkernel
// NICs; the scenario's targets expose no LUNs, so a rescan finds nothing new.
//
// Choices not confirmed against a real host: CHAP secrets are write-only
// (never read back, as the host client never shows them); a malformed iSCSI
// name or address is InvalidArgument naming the field; adding a target that
// is already configured changes nothing (Ansible's vmware_host_iscsi checks
// before it adds, so hostd's answer is not visible there); removing one that
// is not configured is NotFound.
import { Typed, VimFault, type DataObject } from "../../vim25/soap/index.ts";

export interface IscsiTarget {
  address: string;
  port: number;
  /** static targets only */
  iScsiName?: string;
  auth?: DataObject;
  digest?: DataObject;
  options?: DataObject[];
}

/** The software adapter's configuration while it is enabled. */
export interface IscsiConfig {
  device: string;
  name: string;
  alias: string;
  discovery: DataObject;
  auth: DataObject;
  digest: DataObject;
  ip: DataObject;
  options: DataObject[];
  sendTargets: IscsiTarget[];
  staticTargets: IscsiTarget[];
}

export const ISCSI_PORT = 3260;
const CHAP_TYPES = ["chapProhibited", "chapDiscouraged", "chapPreferred", "chapRequired"];
const DIGEST_TYPES = ["digestProhibited", "digestDiscouraged", "digestPreferred", "digestRequired"];
// the iSCSI parameters the software adapter lets a client set (esxcli iscsi adapter param list), with their kind
const PARAMS: Record<string, "long" | "bool"> = {
  ErrorRecoveryLevel: "long", LoginRetryMax: "long", MaxOutstandingR2T: "long", FirstBurstLength: "long", MaxBurstLength: "long",
  MaxRecvDataSegment: "long", MaxCommands: "long", DefaultTimeToWait: "long", DefaultTimeToRetain: "long", LoginTimeout: "long",
  LogoutTimeout: "long", RecoveryTimeout: "long", NoopTimeout: "long", NoopInterval: "long", InitR2T: "bool", ImmediateData: "bool", DelayedAck: "bool",
};
// RFC 3720 names: iqn.yyyy-mm.reversed.domain[:anything] or eui. and 16 hex digits
const IQN = /^(iqn\.\d{4}-(0[1-9]|1[0-2])\.[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[^\s]+)?|eui\.[0-9A-Fa-f]{16}|naa\.[0-9A-Fa-f]{16}([0-9A-Fa-f]{16})?)$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

const invalid = (prop: string, message: string) => new VimFault("InvalidArgument", { invalidProperty: prop }, `A specified parameter was not correct: ${prop} (${message})`);

/** A fresh software adapter, as `esxcli iscsi software set --enabled=true` makes it. */
export function newIscsiConfig(device: string, name: string): IscsiConfig {
  return {
    device, name, alias: "",
    discovery: { _type: "HostInternetScsiHbaDiscoveryProperties", iSnsDiscoveryEnabled: false, slpDiscoveryEnabled: false, staticTargetDiscoveryEnabled: true, sendTargetsDiscoveryEnabled: true },
    auth: { _type: "HostInternetScsiHbaAuthenticationProperties", chapAuthEnabled: false, chapAuthenticationType: "chapProhibited", chapInherited: false, mutualChapAuthenticationType: "chapProhibited", mutualChapInherited: false },
    digest: { _type: "HostInternetScsiHbaDigestProperties", headerDigestType: "digestProhibited", headerDigestInherited: false, dataDigestType: "digestProhibited", dataDigestInherited: false },
    ip: { _type: "HostInternetScsiHbaIPProperties", dhcpConfigurationEnabled: false, ipv4Enabled: true, ipv6Enabled: false },
    options: [],
    sendTargets: [],
    staticTargets: [],
  };
}

export function checkIscsiName(name: unknown, prop = "iScsiName"): string {
  const s = String(name ?? "");
  if (!IQN.test(s) || s.length > 223) throw invalid(prop, `${JSON.stringify(s)} is not an iSCSI name`);
  return s;
}

/** HostInternetScsiHbaAuthenticationProperties checked; the secrets are not kept. */
export function checkAuth(p: Record<string, any> | undefined, prop = "authenticationProperties"): DataObject {
  if (!p) throw invalid(prop, "missing");
  for (const k of ["chapAuthenticationType", "mutualChapAuthenticationType"]) {
    if (p[k] !== undefined && p[k] !== null && !CHAP_TYPES.includes(p[k])) throw invalid(`${prop}.${k}`, `unknown CHAP type ${String(p[k])}`);
  }
  const chap = p.chapAuthEnabled === true || (p.chapAuthenticationType && p.chapAuthenticationType !== "chapProhibited");
  if (chap && !p.chapInherited && !String(p.chapName ?? "")) throw invalid(`${prop}.chapName`, "CHAP needs a name");
  const mutual = p.mutualChapAuthenticationType && p.mutualChapAuthenticationType !== "chapProhibited";
  // RFC 3720: mutual CHAP only on top of CHAP the target requires
  if (mutual && p.chapAuthenticationType !== "chapRequired") throw invalid(`${prop}.mutualChapAuthenticationType`, "mutual CHAP needs chapRequired");
  if (mutual && !p.mutualChapInherited && !String(p.mutualChapName ?? "")) throw invalid(`${prop}.mutualChapName`, "mutual CHAP needs a name");
  return {
    _type: "HostInternetScsiHbaAuthenticationProperties", chapAuthEnabled: !!chap, chapName: chap ? p.chapName : undefined,
    chapAuthenticationType: p.chapAuthenticationType ?? (chap ? "chapRequired" : "chapProhibited"), chapInherited: !!p.chapInherited,
    mutualChapName: mutual ? p.mutualChapName : undefined, mutualChapAuthenticationType: p.mutualChapAuthenticationType ?? "chapProhibited", mutualChapInherited: !!p.mutualChapInherited,
  };
}

export function checkDigest(p: Record<string, any> | undefined, prop = "digestProperties"): DataObject {
  if (!p) throw invalid(prop, "missing");
  for (const k of ["headerDigestType", "dataDigestType"]) {
    if (p[k] !== undefined && p[k] !== null && !DIGEST_TYPES.includes(p[k])) throw invalid(`${prop}.${k}`, `unknown digest type ${String(p[k])}`);
  }
  return {
    _type: "HostInternetScsiHbaDigestProperties", headerDigestType: p.headerDigestType ?? "digestProhibited", headerDigestInherited: !!p.headerDigestInherited,
    dataDigestType: p.dataDigestType ?? "digestProhibited", dataDigestInherited: !!p.dataDigestInherited,
  };
}

/** HostInternetScsiHbaParamValue[] checked against the adapter's parameters; a later value of a key replaces an earlier one. */
export function mergeOptions(old: DataObject[], given: Record<string, any>[] | undefined, prop = "options"): DataObject[] {
  const out = new Map(old.map((o) => [String(o.key), o]));
  (given ?? []).forEach((o, i) => {
    const kind = PARAMS[String(o.key)];
    if (!kind) throw invalid(`${prop}[${i}].key`, `unknown iSCSI parameter ${String(o.key)}`);
    const value = kind === "bool" ? o.value : Number(o.value);
    if (kind === "bool" ? typeof value !== "boolean" : !Number.isInteger(value) || value < 0) throw invalid(`${prop}[${i}].value`, `bad value for ${String(o.key)}`);
    out.set(String(o.key), { _type: "HostInternetScsiHbaParamValue", key: String(o.key), value, isInherited: !!o.isInherited });
  });
  return [...out.values()];
}

export function checkDiscovery(p: Record<string, any> | undefined): DataObject {
  if (!p) throw invalid("discoveryProperties", "missing");
  // the software adapter discovers by SendTargets and static entries only (its discoveryCapabilities)
  if (p.iSnsDiscoveryEnabled) throw invalid("discoveryProperties.iSnsDiscoveryEnabled", "the software adapter has no iSNS discovery");
  if (p.slpDiscoveryEnabled) throw invalid("discoveryProperties.slpDiscoveryEnabled", "the software adapter has no SLP discovery");
  return { _type: "HostInternetScsiHbaDiscoveryProperties", iSnsDiscoveryEnabled: false, slpDiscoveryEnabled: false, staticTargetDiscoveryEnabled: p.staticTargetDiscoveryEnabled !== false, sendTargetsDiscoveryEnabled: p.sendTargetsDiscoveryEnabled !== false };
}

export function checkIp(p: Record<string, any> | undefined): DataObject {
  if (!p) throw invalid("ipProperties", "missing");
  for (const k of ["address", "subnetMask", "defaultGateway", "primaryDnsServerAddress", "alternateDnsServerAddress"]) {
    if (p[k] !== undefined && p[k] !== null && p[k] !== "" && !IPV4.test(String(p[k]))) throw invalid(`ipProperties.${k}`, `${JSON.stringify(p[k])} is not an IPv4 address`);
  }
  if (!p.dhcpConfigurationEnabled && p.address && !p.subnetMask) throw invalid("ipProperties.subnetMask", "a static address needs a subnet mask");
  if (p.mtu !== undefined && p.mtu !== null && (!Number.isInteger(Number(p.mtu)) || Number(p.mtu) < 1280 || Number(p.mtu) > 9000)) throw invalid("ipProperties.mtu", "MTU outside 1280-9000");
  const keep = ["mac", "address", "subnetMask", "defaultGateway", "primaryDnsServerAddress", "alternateDnsServerAddress", "mtu", "jumboFramesEnabled", "arpRedirectEnabled"];
  const out: DataObject = { _type: "HostInternetScsiHbaIPProperties", dhcpConfigurationEnabled: !!p.dhcpConfigurationEnabled, ipv4Enabled: p.ipv4Enabled !== false, ipv6Enabled: !!p.ipv6Enabled };
  for (const k of keep) if (p[k] !== undefined && p[k] !== null) out[k] = p[k];
  return out;
}

/** A target a client names: address (IPv4 or host name, with an optional ":port"), port, and for static ones the target's iSCSI name. */
export function readTarget(t: Record<string, any>, prop: string, isStatic: boolean): IscsiTarget {
  let address = String(t.address ?? "");
  let port = t.port === undefined || t.port === null ? ISCSI_PORT : Number(t.port);
  const m = /^(.*):(\d+)$/.exec(address);
  if (m && !address.includes("[")) { address = m[1]!; port = Number(m[2]); }
  if (!address || !(IPV4.test(address) || HOSTNAME.test(address))) throw invalid(`${prop}.address`, `${JSON.stringify(address)} is not a target address`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`${prop}.port`, `${port} is not a TCP port`);
  const out: IscsiTarget = { address, port };
  if (isStatic) out.iScsiName = checkIscsiName(t.iScsiName, `${prop}.iScsiName`);
  if (t.authenticationProperties) out.auth = checkAuth(t.authenticationProperties, `${prop}.authenticationProperties`);
  if (t.digestProperties) out.digest = checkDigest(t.digestProperties, `${prop}.digestProperties`);
  if (t.advancedOptions) out.options = mergeOptions([], t.advancedOptions, `${prop}.advancedOptions`);
  return out;
}

export const sameTarget = (a: IscsiTarget, b: IscsiTarget) => a.address === b.address && a.port === b.port && a.iScsiName === b.iScsiName;

function targetObject(t: IscsiTarget, isStatic: boolean): DataObject {
  return {
    _type: isStatic ? "HostInternetScsiHbaStaticTarget" : "HostInternetScsiHbaSendTarget", address: t.address, port: t.port,
    ...(isStatic ? { iScsiName: t.iScsiName, discoveryMethod: "staticMethod" } : {}),
    authenticationProperties: t.auth ?? { _type: "HostInternetScsiHbaAuthenticationProperties", chapAuthEnabled: false, chapInherited: true, mutualChapInherited: true },
    digestProperties: t.digest ?? { _type: "HostInternetScsiHbaDigestProperties", headerDigestInherited: true, dataDigestInherited: true },
    advancedOptions: wireOptions(t.options ?? []),
  };
}

/** Numbers in OptionValue's anyType slot go out as xsd:long. */
function wireOptions(options: DataObject[]): DataObject[] {
  return options.map((o) => (typeof o.value === "number" ? { ...o, value: new Typed({ type: "long" }, o.value) } : o));
}

/** The adapter as storageDeviceInfo.hostBusAdapter lists it. */
export function iscsiHba(c: IscsiConfig): DataObject {
  return {
    _type: "HostInternetScsiHba", key: `key-vim.host.InternetScsiHba-${c.device}`, device: c.device, bus: 0, status: "online",
    model: "iSCSI Software Adapter", driver: "iscsi_vmk", isSoftwareBased: true, canBeDisabled: true, networkBindingSupport: "optional",
    discoveryCapabilities: { _type: "HostInternetScsiHbaDiscoveryCapabilities", iSnsDiscoverySettable: false, slpDiscoverySettable: false, staticTargetDiscoverySettable: false, sendTargetsDiscoverySettable: false },
    discoveryProperties: c.discovery,
    authenticationCapabilities: { _type: "HostInternetScsiHbaAuthenticationCapabilities", chapAuthSettable: true, krb5AuthSettable: false, srpAuthSettable: false, spkmAuthSettable: false, mutualChapSettable: true, targetChapSettable: true, targetMutualChapSettable: true },
    authenticationProperties: c.auth,
    digestCapabilities: { _type: "HostInternetScsiHbaDigestCapabilities", headerDigestSettable: true, dataDigestSettable: true, targetHeaderDigestSettable: true, targetDataDigestSettable: true },
    digestProperties: c.digest,
    ipCapabilities: {
      _type: "HostInternetScsiHbaIPCapabilities", addressSettable: false, ipConfigurationMethodSettable: false, subnetMaskSettable: false, defaultGatewaySettable: false,
      primaryDnsServerAddressSettable: false, alternateDnsServerAddressSettable: false, ipv6Supported: false, arpRedirectSettable: false, mtuSettable: false, hostNameAsTargetAddress: true, nameAliasSettable: true,
    },
    ipProperties: c.ip,
    advancedOptions: wireOptions(c.options),
    iScsiName: c.name, iScsiAlias: c.alias,
    configuredSendTarget: c.sendTargets.map((t) => targetObject(t, false)),
    configuredStaticTarget: c.staticTargets.map((t) => targetObject(t, true)),
  };
}
