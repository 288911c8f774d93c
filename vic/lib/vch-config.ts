// The Virtual Container Host's configuration, as vic-machine writes it into
// the appliance VM's extraConfig and every appliance component reads it back
// (0.4 lib/metadata/virtual_container_host.go; fields in
// ../shared/spec/vic.md §2 "Reading config"). The appliance's own init
// config is an ExecutorConfig under `init`, so its keys read
// `guestinfo./init/sessions|port-layer/cmd/Path` and, for what the init
// writes back, `guestinfo..init.networks|client.ip.IP`.
//
// Where the spec gives no key (CreateBridgeNetwork, ComputeResources,
// BootstrapImagePath, the host certificate, volume locations), the key is
// the field name in VIC's snake_case. As in 0.4, everything is visible to
// the guest, the ESX password and the private keys included (spec §3.4).
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { decode, encode, type Schema } from "./extraconfig.ts";
import { EXECUTOR_CONFIG, type ExecutorConfig } from "./executor-config.ts";

export interface HostCertificate {
  key: Buffer;
  cert: Buffer;
}

export interface VirtualContainerHostConfigSpec {
  init: ExecutorConfig;
  /** the SDK URL, without credentials: https://host/sdk */
  target: string;
  /** "user:password" on ESX, where the appliance logs in with them */
  userPassword?: string;
  insecure?: boolean;
  /** the server's certificate thumbprint, when vic-machine was given one */
  targetThumbprint?: string;
  extensionCert?: Buffer;
  extensionKey?: Buffer;
  extensionName?: string;
  version?: string;
  hostCertificate?: HostCertificate;
  /** PEM CAs that client certificates must chain to (--tlsverify) */
  certificateAuthorities?: Buffer;
  userKeyPem?: Buffer;
  userCertPem?: Buffer;
  /** ds://datastore/path */
  imageStores: string[];
  /** label -> ds://datastore/path */
  volumeLocations?: Record<string, string>;
  /** the vSphere port group behind the "bridge" network */
  bridgeNetwork: string;
  /** vic-machine made the bridge port group (and its vSwitch): delete removes them */
  createBridgeNetwork?: boolean;
  /** docker network name -> vSphere port group */
  containerNetworks?: Record<string, string>;
  bridgeIpRange?: string;
  /** morefs, outermost first, "ResourcePool:resgroup-1"; the last is the VCH's own pool or vApp */
  computeResources: string[];
  /** "[datastore] VCH/bootstrap.iso" */
  bootstrapImagePath: string;
  /** the appliance VM's folder on the image datastore ("VCH001") */
  applianceFolder?: string;
  /** registry mirror URL the appliance pulls through (--registry-mirror) */
  registryMirror?: string;
  insecureRegistries?: string[];
}

export const VCH_CONFIG: Schema = [
  { prop: "init", key: "init", scope: "read-only", type: { struct: EXECUTOR_CONFIG } },
  { prop: "target", key: "target", scope: "read-only", type: "string" },
  { prop: "userPassword", key: "userpw", scope: "read-only", type: "string" },
  { prop: "insecure", key: "insecure", scope: "read-only", type: "bool" },
  { prop: "targetThumbprint", key: "target_thumbprint", scope: "read-only", type: "string" },
  { prop: "extensionCert", key: "extension_cert", scope: "read-only", type: "bytes" },
  { prop: "extensionKey", key: "extension_key", scope: "read-only", type: "bytes" },
  { prop: "extensionName", key: "extension_name", scope: "read-only", type: "string" },
  { prop: "version", key: "version", scope: "read-only", type: "string" },
  { prop: "hostCertificate", key: "host_certificate", scope: "read-only", type: { struct: [
    { prop: "key", key: "Key", type: "bytes" },
    { prop: "cert", key: "Cert", type: "bytes" },
  ] } },
  { prop: "certificateAuthorities", key: "ca_certs", scope: "read-only", type: "bytes" },
  { prop: "userKeyPem", key: "key_pem", scope: "read-only", type: "bytes" },
  { prop: "userCertPem", key: "cert_pem", scope: "read-only", type: "bytes" },
  { prop: "imageStores", key: "image_stores", scope: "read-only", type: { slice: "string" } },
  { prop: "volumeLocations", key: "volume_stores", scope: "read-only", type: { map: "string" } },
  { prop: "bridgeNetwork", key: "bridge_network", scope: "read-only", type: "string" },
  { prop: "createBridgeNetwork", key: "create_bridge_network", scope: "read-only", type: "bool" },
  { prop: "containerNetworks", key: "container_networks", scope: "read-only", type: { map: "string" } },
  { prop: "bridgeIpRange", key: "bridge-ip-range", scope: "read-only", type: "string" },
  { prop: "computeResources", key: "compute_resources", scope: "read-only", type: { slice: "string" } },
  { prop: "bootstrapImagePath", key: "bootstrap_image_path", scope: "read-only", type: "string" },
  { prop: "applianceFolder", key: "appliance_folder", scope: "read-only", type: "string" },
  { prop: "registryMirror", key: "registry_mirror", scope: "read-only", type: "string" },
  { prop: "insecureRegistries", key: "insecure_registries", scope: "read-only", type: { slice: "string" } },
];

export function encodeVchConfig(c: VirtualContainerHostConfigSpec): Map<string, string> {
  return encode(c as unknown as Record<string, unknown>, VCH_CONFIG);
}

export function decodeVchConfig(source: Map<string, string> | Record<string, string> | { key: string; value: unknown }[]): VirtualContainerHostConfigSpec {
  return decode<VirtualContainerHostConfigSpec>(source, VCH_CONFIG);
}

/** the keys the appliance's init writes back, as vic-machine waits for them (management/appliance.go makeSureApplianceRuns) */
export const APPLIANCE_COMPONENTS = ["vicadmin", "docker-personality", "port-layer"] as const;
export const clientIpKey = (): string => "guestinfo..init.networks|client.ip.IP";
export const sessionStartedKey = (session: string): string => `guestinfo..init.sessions|${session}.started`;

/** a net.IP read back from its 16-byte (or 4-byte) form: "10.0.0.5" */
export function ipString(b: Buffer | undefined): string | undefined {
  if (!b || !b.length) return undefined;
  const v4 = b.length === 16 ? b.subarray(12) : b.length === 4 ? b : undefined;
  if (!v4) return undefined;
  const s = [...v4].join(".");
  return s === "0.0.0.0" ? undefined : s;
}

/** "ds://datastore/path/in/it" (the config's image and volume stores) -> its parts; the path without slashes at its ends, "" for the root */
export function parseDsUrl(url: string | undefined): { datastore: string; path: string } | undefined {
  const m = /^ds:\/\/([^/]+)\/?(.*)$/.exec(url ?? "");
  return m ? { datastore: m[1], path: m[2].replace(/^\/+|\/+$/g, "") } : undefined;
}

/** the VCH's own pool or vApp: the last of computeResources ("VirtualApp:resgroup-v12") */
export function vchPool(config: VirtualContainerHostConfigSpec): ManagedObjectReference | undefined {
  const last = config.computeResources[config.computeResources.length - 1] ?? "";
  const i = last.indexOf(":");
  return i > 0 ? { _type: "ManagedObjectReference", type: last.slice(0, i), value: last.slice(i + 1) } : undefined;
}
