// A container VM's configuration as VIC 0.4/0.5 keeps it in guestinfo
// (lib/metadata/container_vm.go, lib/config/executor/container_vm.go; the
// fields and their tags are in ../shared/spec/vic.md §3.4). The port layer
// writes it, tether reads it and writes back `started` and `status`, and
// `docker ps -a` is read from it.
import type { Schema } from "./extraconfig.ts";

export interface Common {
  id?: string;
  name?: string;
  /** unix seconds */
  created?: number;
  notes?: string;
  executionEnvironment?: string;
}

export interface ExitLog {
  time: Date;
  exitStatus: number;
  message: string;
}

export interface Diagnostics {
  debugLevel?: number;
  resurrectionCount?: number;
  exitLogs?: ExitLog[];
}

export interface Cmd {
  path: string;
  args?: string[];
  env?: string[];
  dir?: string;
}

export interface SessionConfig {
  common?: Common;
  cmd: Cmd;
  attach?: boolean;
  /** keep stdin open for an attach (docker -i); its end of input ends the process's (later versions' `openstdin`) */
  openStdin?: boolean;
  tty?: boolean;
  /** written by tether when the process exits */
  exitStatus?: number;
  /** "true" once launched, or the launch error */
  started?: string;
  restart?: boolean;
  /** hold the process until an attach arrives (v1.1's RunBlock; 0.4/0.5 lost output made before attach) */
  runBlock?: boolean;
  diagnostics?: Diagnostics;
  user?: string;
  group?: string;
}

export interface MountSpec {
  /** e.g. label://<disk label> */
  source: string;
  path: string;
  mode?: string;
}

export interface IpNet {
  ip: Buffer;
  mask: Buffer;
}

export interface ContainerNetwork {
  common?: Common;
  gateway?: IpNet;
  default?: boolean;
  nameservers?: Buffer[];
  aliases?: string[];
}

export interface NetworkEndpoint {
  /** ID is the PCI slot; Name the interface name to rename to */
  common?: Common;
  staticIp?: IpNet;
  assigned?: IpNet;
  network?: ContainerNetwork;
}

export interface ExecutorConfig {
  common: Common;
  diagnostics?: Diagnostics;
  sessions: Record<string, SessionConfig>;
  mounts?: Record<string, MountSpec>;
  networks?: Record<string, NetworkEndpoint>;
  /** PEM of the container's SSH host key */
  key?: Buffer;
  layerId?: string;
  repoName?: string;
  stopSignal?: string;
}

export const COMMON: Schema = [
  { prop: "id", key: "id", type: "string" },
  { prop: "name", key: "name", type: "string" },
  { prop: "created", key: "created", type: "int" },
  { prop: "notes", key: "notes", scope: "hidden", type: "string" },
  { prop: "executionEnvironment", key: "ExecutionEnvironment", type: "string" },
];

export const DIAGNOSTICS: Schema = [
  { prop: "debugLevel", key: "debug", scope: "read-only", type: "int" },
  { prop: "resurrectionCount", key: "resurrections", scope: "read-write", type: "int" },
  {
    prop: "exitLogs", key: "exitlogs", scope: "read-write",
    type: { slice: { struct: [
      { prop: "time", key: "Time", type: "time" },
      { prop: "exitStatus", key: "ExitStatus", type: "int" },
      { prop: "message", key: "Message", type: "string" },
    ] } },
  },
];

const IPNET: Schema = [
  { prop: "ip", key: "IP", type: "bytes" },
  { prop: "mask", key: "Mask", type: "bytes" },
];

export const SESSION: Schema = [
  { prop: "common", key: "common", scope: "read-only", type: { struct: COMMON } },
  { prop: "cmd", key: "cmd", scope: "read-only", type: { struct: [
    { prop: "path", key: "Path", type: "string" },
    { prop: "args", key: "Args", type: { slice: "string" } },
    { prop: "env", key: "Env", type: { slice: "string" } },
    { prop: "dir", key: "Dir", type: "string" },
  ] } },
  { prop: "attach", key: "attach", scope: "read-only", type: "bool" },
  { prop: "openStdin", key: "openstdin", scope: "read-only", type: "bool" },
  { prop: "tty", key: "tty", scope: "read-only", type: "bool" },
  { prop: "exitStatus", key: "status", scope: "read-write", type: "int" },
  { prop: "started", key: "started", scope: "read-write", type: "string" },
  { prop: "restart", key: "restart", scope: "read-only", type: "bool" },
  { prop: "runBlock", key: "runblock", scope: "read-only", type: "bool" },
  { prop: "diagnostics", key: "diagnostics", type: { struct: DIAGNOSTICS } },
  { prop: "user", key: "User", type: "string" },
  { prop: "group", key: "Group", type: "string" },
];

export const EXECUTOR_CONFIG: Schema = [
  { prop: "common", key: "common", scope: "read-only", type: { struct: COMMON } },
  { prop: "diagnostics", key: "diagnostics", type: { struct: DIAGNOSTICS } },
  { prop: "sessions", key: "sessions", scope: "read-only", type: { map: { struct: SESSION } } },
  { prop: "mounts", key: "mounts", scope: "read-only", type: { map: { struct: [
    { prop: "source", key: "source", type: "string" },
    { prop: "path", key: "dest", type: "string" },
    { prop: "mode", key: "mode", type: "string" },
  ] } } },
  { prop: "networks", key: "networks", scope: "read-only", type: { map: { struct: [
    { prop: "common", key: "Common", type: { struct: COMMON } },
    { prop: "staticIp", key: "staticip", type: { struct: IPNET } },
    { prop: "assigned", key: "ip", scope: "read-write", type: { struct: IPNET } },
    { prop: "network", key: "network", type: { struct: [
      { prop: "common", key: "Common", type: { struct: COMMON } },
      { prop: "gateway", key: "gateway", type: { struct: IPNET } },
      { prop: "default", key: "default", type: "bool" },
      { prop: "nameservers", key: "dns", type: { slice: "bytes" } },
      { prop: "aliases", key: "aliases", scope: "hidden", type: { slice: "string" } },
    ] } },
  ] } } },
  { prop: "key", key: "key", scope: "read-only", type: "bytes" },
  { prop: "layerId", key: "layerid", scope: "read-only", type: "string" },
  { prop: "repoName", key: "repo", scope: "read-only", type: "string" },
  { prop: "stopSignal", key: "stopSignal", scope: "read-only", type: "string" },
];

/** net.IP as Go stores an IPv4 address: 16 bytes, v4-in-v6. */
export function ipv4(addr: string): Buffer {
  const b = Buffer.alloc(16);
  b[10] = 0xff;
  b[11] = 0xff;
  addr.split(".").forEach((o, i) => (b[12 + i] = Number(o)));
  return b;
}

/** the 4-byte netmask of a prefix length: 24 -> 255.255.255.0 */
export function ipv4Mask(prefix: number): Buffer {
  return Buffer.from([0, 0, 0, 0].map((_, i) => (0xff00 >> Math.min(8, Math.max(0, prefix - 8 * i))) & 0xff));
}
