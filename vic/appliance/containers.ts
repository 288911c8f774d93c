// The port layer's containers (spec §5.2-5.3, §8): a container is a VM in
// the VCH's pool, named by its ID, whose extraConfig holds its
// ExecutorConfig. Create builds the whole spec and makes the VM in one call
// (0.4/0.5's handle and commit); start powers it on and waits for tether's
// `started`; list and inspect are read back from the VMs' extraConfig and
// power state every time, never from memory, so they survive an appliance
// restart; stop and kill go through the guest operations `kill` program as
// VIC did; remove destroys the VM and its folder and keeps the image disks.
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { datastoreFolderOf, type VimClient } from "../../vim25/client/index.ts";
import { isVimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { decode, encode } from "../lib/extraconfig.ts";
import { EXECUTOR_CONFIG, type ExecutorConfig } from "../lib/executor-config.ts";
import type { ImageRecord } from "./image-store.ts";
import { ATTACH_PORT } from "./port-layer-constants.ts";
import { parseDsUrl, vchPool } from "../lib/vch-config.ts";
import type { ComponentLog, VchContext } from "./vch-context.ts";

/** defaultDiskSize for a container's own disk: 8388608 KB */
const DISK_KB = 8 * 1024 * 1024;
const START_TIMEOUT_MS = 3 * 60_000;
const BRIDGE_SLOT = 192;
/** what a container's state is read from */
const INFO_PATHS = ["config.extraConfig", "runtime.powerState", "config.files.vmPathName", "config.createDate"];

export class ContainerError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface CreateSpec {
  name: string;
  image: ImageRecord;
  /** the image's leaf layer disk, which the container's disk is made a child of */
  imageDisk: string;
  /** the reference the user gave ("hello-world", "busybox:latest") */
  imageName: string;
  path: string;
  args: string[];
  env: string[];
  dir: string;
  tty: boolean;
  openStdin: boolean;
  attach: boolean;
  stopSignal?: string;
  /** volumes: their disks attached independent_persistent, mounted by tether at `path` */
  volumes: { name: string; disk: string; path: string; mode: "rw" | "ro" }[];
  /** what the personality keeps about the container, in extraConfig too (hidden from the guest) */
  personality: Record<string, unknown>;
}

export interface ContainerInfo {
  id: string;
  name: string;
  vm: ManagedObjectReference;
  powerState: string;
  config: ExecutorConfig;
  /** "created", "running" or "exited" */
  state: "created" | "running" | "exited";
  exitCode: number;
  startedAt: string | undefined;
  finishedAt: string | undefined;
  created: Date;
  personality: Record<string, unknown>;
  vmPathName: string;
}

/** VIC's containerVM extraConfig that is not the ExecutorConfig (lib/spec/spec.go) */
const FIXED_EXTRA_CONFIG: Record<string, string> = {
  "disk.EnableUUID": "true",
  "answer.msg.disk.duplicateUUID": "Yes",
  "answer.msg.serial.file.open": "Append",
  "sched.mem.lpage.maxSharedPages": "256",
  "vmotion.checkpointSVGAPrimarySize": "4194304",
  "serial0.hardwareFlowControl": "TRUE",
  "memory.noHotAddOver4GB": "FALSE",
  "memory.maxGrow": "512",
  "tools.remindInstall": "FALSE",
  "tools.upgrade.policy": "manual",
};
/** the personality's own record of a container (HostConfig and the like): hidden from the guest */
const PERSONALITY_KEY = "vic.docker.personality";

/** SHA1-based UUID of `name` in the namespace `ns` (RFC 4122 version 5), as 0.5 derived container BIOS UUIDs */
export function uuidV5(ns: string, name: string): string {
  const nsBytes = Buffer.from(ns.replace(/-/g, ""), "hex");
  const h = createHash("sha1").update(Buffer.concat([nsBytes.length === 16 ? nsBytes : Buffer.alloc(16), Buffer.from(name)])).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export class Containers {
  constructor(private readonly vch: VchContext, private readonly log: ComponentLog) {}

  private client(): Promise<VimClient> {
    return this.vch.vsphere();
  }

  private pool(): ManagedObjectReference {
    const pool = vchPool(this.vch.config);
    if (!pool) throw new ContainerError(500, "the VCH config names no resource pool");
    return pool;
  }

  private datastore(): string {
    return parseDsUrl(this.vch.config.imageStores[0])?.datastore ?? "";
  }

  private async vmFolder(c: VimClient): Promise<ManagedObjectReference> {
    // the appliance's own folder: containers go beside it
    const vm: ManagedObjectReference = { _type: "ManagedObjectReference", type: "VirtualMachine", value: this.vch.hw.vm.moref };
    return (await c.retrieveOne(vm, ["parent"])).parent as ManagedObjectReference;
  }

  /** a new 64-hex container ID */
  newId(): string {
    return randomBytes(32).toString("hex");
  }

  async create(id: string, spec: CreateSpec): Promise<ManagedObjectReference> {
    const c = await this.client();
    const ds = this.datastore();
    const mgmt = this.vch.addresses.get("management") ?? this.vch.addresses.get("client");
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const config: ExecutorConfig = {
      common: { id, name: spec.name, created: Math.floor(this.vch.hw.clock.now().getTime() / 1000) },
      sessions: {
        [id]: {
          common: { id, name: spec.name },
          cmd: { path: spec.path, args: spec.args, env: spec.env, dir: spec.dir },
          tty: spec.tty,
          attach: spec.attach,
          openStdin: spec.openStdin,
          restart: false,
        },
      },
      networks: {
        bridge: { common: { id: String(BRIDGE_SLOT), name: "bridge" }, network: { common: { id: this.vch.config.bridgeNetwork, name: "bridge" }, default: true } },
      },
      key: Buffer.from(privateKey.export({ type: "pkcs1", format: "pem" }) as string),
      mounts: spec.volumes.length ? Object.fromEntries(spec.volumes.map((v) => [v.name, { source: `label://${v.name}`, path: v.path, mode: v.mode }])) : undefined,
      layerId: spec.image.layer,
      repoName: spec.imageName,
      stopSignal: spec.stopSignal,
    };
    const extra = new Map<string, string>(Object.entries(FIXED_EXTRA_CONFIG));
    for (const [k, v] of encode(config as unknown as Record<string, unknown>, EXECUTOR_CONFIG)) extra.set(k, v);
    extra.set(PERSONALITY_KEY, Buffer.from(JSON.stringify(spec.personality)).toString("base64"));
    const bridge = await this.bridgeBacking(c);
    const devices = [
      { _type: "ParaVirtualSCSIController", key: -100, busNumber: 0, sharedBus: "noSharing" },
      {
        _type: "VirtualDisk", key: -101, controllerKey: -100, unitNumber: 0, capacityInKB: DISK_KB,
        backing: {
          _type: "VirtualDiskFlatVer2BackingInfo", fileName: `[${ds}] ${id}/${id}.vmdk`, diskMode: "persistent", thinProvisioned: true,
          parent: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: spec.imageDisk, diskMode: "persistent" },
        },
      },
      ...spec.volumes.map((v, i) => ({
        _type: "VirtualDisk", key: -110 - i, controllerKey: -100, unitNumber: 1 + i + (i >= 6 ? 1 : 0),
        backing: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: v.disk, diskMode: "independent_persistent" },
      })),
      {
        _type: "VirtualCdrom", key: -102, controllerKey: 200, unitNumber: 0,
        backing: { _type: "VirtualCdromIsoBackingInfo", fileName: this.vch.config.bootstrapImagePath },
        connectable: { _type: "VirtualDeviceConnectInfo", startConnected: true, allowGuestControl: true, connected: false },
      },
      {
        _type: "VirtualSerialPort", key: -103, yieldOnPoll: true,
        backing: { _type: "VirtualSerialPortURIBackingInfo", direction: "client", serviceURI: `tcp://${mgmt}:${ATTACH_PORT}` },
        connectable: { _type: "VirtualDeviceConnectInfo", startConnected: true, allowGuestControl: false, connected: true },
      },
      {
        _type: "VirtualSerialPort", key: -104, yieldOnPoll: true,
        backing: { _type: "VirtualSerialPortFileBackingInfo", fileName: `[${ds}] ${id}/${id}.debug` },
        connectable: { _type: "VirtualDeviceConnectInfo", startConnected: true, allowGuestControl: false, connected: true },
      },
      {
        _type: "VirtualSerialPort", key: -105, yieldOnPoll: true,
        backing: { _type: "VirtualSerialPortFileBackingInfo", fileName: `[${ds}] ${id}/${id}.log` },
        connectable: { _type: "VirtualDeviceConnectInfo", startConnected: true, allowGuestControl: false, connected: true },
      },
      {
        _type: "VirtualVmxnet3", key: -106, addressType: "generated", backing: bridge,
        slotInfo: { _type: "VirtualDevicePciBusSlotInfo", pciSlotNumber: BRIDGE_SLOT },
        connectable: { _type: "VirtualDeviceConnectInfo", startConnected: true, allowGuestControl: true, connected: false },
      },
    ];
    const vmSpec = {
      _type: "VirtualMachineConfigSpec",
      name: id,
      uuid: uuidV5(this.vch.hw.vm.uuid, id),
      guestId: "other3xLinux64Guest",
      numCPUs: 2,
      memoryMB: 2048,
      files: { _type: "VirtualMachineFileInfo", vmPathName: `[${ds}]` },
      // the container's own disk is made; volume disks exist already
      deviceChange: devices.map((device) => ({ _type: "VirtualDeviceConfigSpec", operation: "add", ...(device.key === -101 ? { fileOperation: "create" } : {}), device })),
      extraConfig: [...extra].map(([key, value]) => ({ _type: "OptionValue", key, value })),
    };
    const pool = this.pool();
    const task = pool.type === "VirtualApp"
      ? await c.call("CreateChildVM_Task", pool, { config: vmSpec })
      : await c.call("CreateVM_Task", await this.vmFolder(c), { config: vmSpec, pool });
    const vm = (await c.waitForTask(task as ManagedObjectReference)) as ManagedObjectReference;
    this.log.info(`container ${id.slice(0, 12)} (${spec.name}) created as ${vm.value}`);
    return vm;
  }

  private async bridgeBacking(c: VimClient): Promise<Record<string, unknown>> {
    // the appliance's own bridge NIC says which backing the bridge port group has
    const vm: ManagedObjectReference = { _type: "ManagedObjectReference", type: "VirtualMachine", value: this.vch.hw.vm.moref };
    const devices = ((await c.retrieveOne(vm, ["config.hardware.device"]))["config.hardware.device"] as { macAddress?: string; backing?: Record<string, unknown>; slotInfo?: { pciSlotNumber?: number } }[]) ?? [];
    const slot = Number(this.vch.config.init.networks?.bridge?.common?.id);
    const nic = devices.find((d) => d.macAddress !== undefined && d.slotInfo?.pciSlotNumber === slot);
    if (!nic?.backing) throw new ContainerError(500, "the appliance has no bridge network interface");
    const { _type, deviceName, network, port } = nic.backing as Record<string, unknown> & { port?: Record<string, unknown> };
    return port ? { _type, port: { _type: "DistributedVirtualSwitchPortConnection", switchUuid: port.switchUuid, portgroupKey: port.portgroupKey } } : { _type, deviceName, network };
  }

  /** every container VM in the VCH's pool, read from vSphere now */
  async list(): Promise<ContainerInfo[]> {
    const c = await this.client();
    let others: ManagedObjectReference[] = [];
    let props: Map<string, Record<string, unknown>> | undefined;
    // a container removed between reading the pool and its VMs (a concurrent rm): read again
    for (let attempt = 0; !props; attempt++) {
      const vms = ((await c.retrieveOne(this.pool(), ["vm"])).vm as ManagedObjectReference[] | undefined) ?? [];
      others = vms.filter((v) => v.value !== this.vch.hw.vm.moref);
      if (!others.length) return [];
      try {
        props = await c.retrieveProperties(others, INFO_PATHS);
      } catch (e) {
        if (!(isVimFault(e) && e.type === "ManagedObjectNotFound") || attempt >= 5) throw e;
      }
    }
    const out: ContainerInfo[] = [];
    for (const vm of others) {
      const r = props.get(vm.value);
      if (!r) continue;
      const info = this.infoOf(vm, r);
      if (info) out.push(info);
    }
    return out.sort((a, b) => b.created.getTime() - a.created.getTime());
  }

  private infoOf(vm: ManagedObjectReference, r: Record<string, unknown>): ContainerInfo | undefined {
    const ec = (r["config.extraConfig"] as { key: string; value: unknown }[] | undefined) ?? [];
    let config: ExecutorConfig;
    try {
      config = decode<ExecutorConfig>(ec, EXECUTOR_CONFIG);
    } catch {
      return undefined;
    }
    const id = config.common?.id;
    if (!id || !config.sessions?.[id]) return undefined;
    const session = config.sessions[id];
    const powerState = String(r["runtime.powerState"]);
    const raw = ec.find((o) => o.key === PERSONALITY_KEY)?.value;
    let personality: Record<string, unknown> = {};
    try {
      personality = raw ? (JSON.parse(Buffer.from(String(raw), "base64").toString("utf8")) as Record<string, unknown>) : {};
    } catch {
      // a container made by something else: no personality record
    }
    const started = session.started;
    // a start that failed (started holds the error) leaves the container created, as Docker shows it
    const state = powerState === "poweredOn" ? "running" : started === undefined || started !== "true" ? "created" : "exited";
    const exitLogs = session.diagnostics?.exitLogs ?? [];
    const lastExit = exitLogs[exitLogs.length - 1];
    return {
      id, name: config.common.name ?? id.slice(0, 12), vm, powerState, config, state,
      exitCode: session.exitStatus ?? (started !== undefined && started !== "true" ? 127 : 0),
      startedAt: typeof personality.startedAt === "string" ? personality.startedAt : undefined,
      finishedAt: lastExit ? lastExit.time.toISOString() : undefined,
      // the VM's creation time orders containers made within one second (`ps -l`); the config's seconds otherwise
      created: r["config.createDate"] ? new Date(r["config.createDate"] as string | Date) : new Date((config.common.created ?? 0) * 1000),
      personality,
      vmPathName: String(r["config.files.vmPathName"] ?? ""),
    };
  }

  /** by full ID, unique ID prefix, or name ("/x" as docker gives it) */
  async find(ref: string): Promise<ContainerInfo | undefined> {
    const all = await this.list();
    const name = ref.replace(/^\//, "");
    const exact = all.find((x) => x.id === ref || x.name === name);
    if (exact) return exact;
    const byPrefix = /^[0-9a-f]+$/.test(ref) ? all.filter((x) => x.id.startsWith(ref)) : [];
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  async refresh(info: ContainerInfo): Promise<ContainerInfo | undefined> {
    const c = await this.client();
    try {
      const r = await c.retrieveOne(info.vm, INFO_PATHS);
      return this.infoOf(info.vm, r);
    } catch (e) {
      if (isVimFault(e) && e.type === "ManagedObjectNotFound") return undefined;
      throw e;
    }
  }

  /** merge into the personality's record (StartedAt and the like) */
  async annotate(info: ContainerInfo, patch: Record<string, unknown>): Promise<void> {
    const c = await this.client();
    const value = Buffer.from(JSON.stringify({ ...info.personality, ...patch })).toString("base64");
    await c.waitForTask((await c.call("ReconfigVM_Task", info.vm, { spec: { _type: "VirtualMachineConfigSpec", extraConfig: [{ _type: "OptionValue", key: PERSONALITY_KEY, value }] } })) as ManagedObjectReference);
  }

  /**
   * Power on and wait for tether's `started` (anything but "true" is the
   * error). With `runBlock`, tether holds the process until an attach
   * arrives, so a waiting `docker run` sees all of its output.
   */
  async start(info: ContainerInfo, runBlock = false): Promise<void> {
    const c = await this.client();
    // a restart: clear what the last run left, so `started` is this run's
    const key = `guestinfo..sessions|${info.id}.started`;
    const extraConfig = [
      { _type: "OptionValue", key, value: "" },
      { _type: "OptionValue", key: `guestinfo..sessions|${info.id}.status`, value: "" },
      { _type: "OptionValue", key: `guestinfo./sessions|${info.id}/runblock`, value: runBlock ? "true" : "false" },
    ];
    await c.waitForTask((await c.call("ReconfigVM_Task", info.vm, { spec: { _type: "VirtualMachineConfigSpec", extraConfig } })) as ManagedObjectReference);
    await c.waitForTask((await c.call("PowerOnVM_Task", info.vm)) as ManagedObjectReference);
    let started = "";
    await c.waitForProperties(info.vm, ["config.extraConfig", "runtime.powerState"], (r) => {
      const ec = (r["config.extraConfig"] as { key: string; value: unknown }[] | undefined) ?? [];
      started = String(ec.find((o) => o.key === key)?.value ?? "");
      return started !== "" || r["runtime.powerState"] === "poweredOff";
    }, { timeoutMs: START_TIMEOUT_MS });
    if (started !== "true") throw new ContainerError(500, started || "the container stopped before it started");
  }

  /** wait until the VM is powered off (resolves at once if it is) */
  async waitStopped(info: ContainerInfo, timeoutMs?: number): Promise<boolean> {
    const c = await this.client();
    try {
      await c.waitForProperties(info.vm, ["runtime.powerState"], (r) => r["runtime.powerState"] !== "poweredOn", { timeoutMs });
      return true;
    } catch (e) {
      if ((e as Error).name === "WaitTimeoutError") return false;
      if (isVimFault(e) && e.type === "ManagedObjectNotFound") return true;
      throw e;
    }
  }

  /** a signal through the guest operations `kill` program, authenticated as the container (VIC's Signal) */
  async signal(info: ContainerInfo, signal: string): Promise<void> {
    const c = await this.client();
    const gom = c.content.guestOperationsManager as ManagedObjectReference | undefined;
    if (!gom) throw new ContainerError(500, "the host has no guest operations manager");
    const pm = (await c.retrieveOne(gom, ["processManager"])).processManager as ManagedObjectReference;
    await c.call("StartProgramInGuest", pm, {
      vm: info.vm,
      auth: { _type: "NamePasswordAuthentication", username: info.id, password: "", interactiveSession: false },
      spec: { _type: "GuestProgramSpec", programPath: "kill", arguments: signal },
    });
  }

  /** StopSignal, the grace period, SIGKILL, then power off (spec §4 "Stop and kill") */
  async stop(info: ContainerInfo, graceSeconds: number): Promise<void> {
    const stopSignal = info.config.stopSignal || "TERM";
    try {
      await this.signal(info, stopSignal);
      if (await this.waitStopped(info, graceSeconds * 1000)) return;
      await this.signal(info, "KILL");
      if (await this.waitStopped(info, 5_000)) return;
    } catch (e) {
      this.log.warn(`stop ${info.id.slice(0, 12)}: ${(e as Error).message}; powering off`);
    }
    const c = await this.client();
    try {
      await c.waitForTask((await c.call("PowerOffVM_Task", info.vm)) as ManagedObjectReference);
    } catch (e) {
      if (!(isVimFault(e) && e.type === "InvalidPowerState")) throw e;
    }
  }

  /** the VM and its folder; the image disks it was a child of, and its volumes, stay (VIC's DeleteExceptDisks) */
  async remove(info: ContainerInfo): Promise<void> {
    const c = await this.client();
    const devices = ((await c.retrieveOne(info.vm, ["config.hardware.device"]))["config.hardware.device"] as { _type: string; backing?: { diskMode?: string } }[]) ?? [];
    const volumes = devices.filter((d) => d._type === "VirtualDisk" && d.backing?.diskMode === "independent_persistent");
    if (volumes.length) await c.waitForTask((await c.call("ReconfigVM_Task", info.vm, { spec: { _type: "VirtualMachineConfigSpec", deviceChange: volumes.map((device) => ({ _type: "VirtualDeviceConfigSpec", operation: "remove", device })) } })) as ManagedObjectReference);
    await c.waitForTask((await c.call("Destroy_Task", info.vm)) as ManagedObjectReference);
    const folder = datastoreFolderOf(info.vmPathName);
    if (folder) {
      try {
        await c.waitForTask((await c.call("DeleteDatastoreFile_Task", c.content.fileManager!, { name: `[${folder.datastore}] ${folder.path}` })) as ManagedObjectReference);
      } catch (e) {
        if (!(isVimFault(e) && e.type === "FileNotFound")) throw e;
      }
    }
    this.log.info(`container ${info.id.slice(0, 12)} removed`);
  }

  /** the container's log (serial2's file), as docker logs reads it */
  async logs(info: ContainerInfo): Promise<Buffer> {
    const c = await this.client();
    const folder = datastoreFolderOf(info.vmPathName);
    if (!folder) return Buffer.alloc(0);
    try {
      return await c.downloadFile(folder.datastore, `${folder.path}/${info.id}.log`, { dcPath: await this.vch.datacenterPath() });
    } catch (e) {
      if ((e as { status?: number }).status === 404) return Buffer.alloc(0);
      throw e;
    }
  }
}
