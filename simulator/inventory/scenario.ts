// The in-memory shape of a scenario: what a YAML scenario file parses into
// (scenario-loader.ts) and what the inventory builder turns into managed
// objects. Every field the builder needs has a value here: defaults are
// applied by the loader, not guessed later.

export type ScenarioModel = "esx" | "vcenter";

export interface Scenario {
  /** folder name or file stem, e.g. "homelab" */
  name: string;
  /** file the scenario came from (for messages) */
  file?: string;
  model: ScenarioModel;
  about: AboutSpec;
  credentials: { username: string; password: string };
  /** seeds morefs-independent ids: UUIDs, MACs, thumbprints */
  seed: string;
  datacenters: DatacenterSpec[];
}

export interface AboutSpec {
  /** product version, e.g. "6.0.0" */
  version: string;
  build: string;
  /** vim25 API version, e.g. "6.0" */
  apiVersion: string;
}

export interface DatacenterSpec {
  /** "ha-datacenter" on esx (exactly one datacenter there) */
  name: string;
  /** VM folder paths below the datacenter's vm folder, e.g. ["prod", "prod/web"] */
  vmFolders: string[];
  datastores: DatastoreSpec[];
  /** standalone hosts (on esx: exactly one, the host itself) */
  hosts: HostSpec[];
  clusters: ClusterSpec[];
  dvSwitches: DvsSpec[];
  /** files placed on datastores before the VMs are registered (ISOs, disks, .vmx files) */
  files: FileFixtureSpec[];
  /** VMs registered from .vmx files on the datastores: customer layouts, reproduced */
  vms: VmFixtureSpec[];
}

export interface FileFixtureSpec {
  datastore: string;
  /** path on the datastore, e.g. "VCH001/VCH001.vmx" */
  path: string;
  /** contents read from the scenario's folder, or a sparse file of `size` zeros */
  data?: Buffer;
  size?: number;
  /** a thin disk: descriptor at `path` plus its extent, optionally a delta on `parent` */
  disk?: { capacityBytes: number; parent?: string };
  /** where the contents came from (for messages) */
  source?: string;
}

export interface VmFixtureSpec {
  datastore: string;
  /** the .vmx path on the datastore */
  vmx: string;
  powerState: "poweredOn" | "poweredOff" | "suspended";
  /** VM folder path below the datacenter's vm folder ("" = the vm folder) */
  folder: string;
  /** host (standalone) or cluster name whose root pool, or a pool path below it, holds the VM; "" = the first */
  computeResource: string;
  pool: string;
  template: boolean;
  /** what the VM runs when powered on, instead of what its CD-ROM holds (e.g. the built-in generic-linux) */
  guest?: { program: string; hostName?: string; ipAddress?: string };
}

export interface DatastoreSpec {
  name: string;
  /** the VMFS/NFS volume UUID (`/vmfs/volumes/<uuid>`); derived from the seed when not given */
  uuid?: string;
  type: "VMFS" | "NFS" | "vsan";
  capacityBytes: number;
  /** bytes already used by files the scenario does not model */
  usedBytes: number;
  /** an NFS datastore's export (HostDatastoreSystem.CreateNasDatastore sets it) */
  remoteHost?: string;
  remotePath?: string;
}

export interface HostSpec {
  /** DNS name, e.g. "esxi01.think-v.com" */
  name: string;
  cpu: { packages: number; cores: number; threads: number; mhz: number; model: string };
  memoryBytes: number;
  /** names of datastores of the datacenter this host mounts (default: all) */
  datastores: string[];
  vswitches: VSwitchSpec[];
  firewall: FirewallSpec;
  license: LicenseSpec;
  /** child resource pools of the host's root pool (standalone hosts only) */
  resourcePools: ResourcePoolSpec[];
  /** management IP reported in config.network */
  managementIp: string;
  /** blank local disks beside the datastores' own, for CreateVmfsDatastore and friends */
  disks: DiskSpec[];
}

export interface DiskSpec {
  capacityBytes: number;
  /** reported as a flash device (HostScsiDisk.ssd) */
  ssd: boolean;
}

export interface VSwitchSpec {
  name: string;
  /** physical uplinks, e.g. ["vmnic0"] */
  uplinks: string[];
  /** `subnet`: the port group's guest subnet, "127.A.B.0/24" (derived from the seed when not given) */
  portgroups: { name: string; vlan: number; subnet?: string }[];
}

export interface FirewallSpec {
  /** false: the default policy allows everything in and out (`esxcli network firewall set --enabled false`) */
  enabled: boolean;
  rulesets: RulesetSpec[];
}

export interface RulesetSpec {
  key: string;
  label: string;
  enabled: boolean;
  required: boolean;
  /** allowedHosts.allIp */
  allowedAll: boolean;
  rules: { port: number; endPort?: number; direction: "inbound" | "outbound"; protocol: "tcp" | "udp"; portType?: "src" | "dst" }[];
}

export interface LicenseSpec {
  licenseKey: string;
  editionKey: string;
  name: string;
  /** feature keys, e.g. ["serialuri", "dvs"] */
  features: string[];
}

export interface ClusterSpec {
  name: string;
  drs: { enabled: boolean; behavior: "manual" | "partiallyAutomated" | "fullyAutomated" };
  ha: { enabled: boolean };
  hosts: HostSpec[];
  resourcePools: ResourcePoolSpec[];
}

export interface ResourcePoolSpec {
  name: string;
  cpu: AllocationSpec;
  memory: AllocationSpec;
  children: ResourcePoolSpec[];
}

export interface AllocationSpec {
  reservation: number;
  expandableReservation: boolean;
  /** -1: unlimited */
  limit: number;
  shares: "low" | "normal" | "high";
}

export interface DvsSpec {
  name: string;
  version: string;
  /** names of hosts (standalone or in clusters of the datacenter) that join the switch */
  hosts: string[];
  portgroups: { name: string; vlan: number; numPorts: number; subnet?: string }[];
}
