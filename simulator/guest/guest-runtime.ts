// The guests of one simulator. A powered-on VM has a VmxProcess, as a real
// host has a VMX process per running VM: it holds the serial connections and
// boots what the VM's CD-ROM holds (or the program the scenario gives it),
// as a GuestOs. Power off stops the process; guestinfo the guest wrote is
// written to the .vmx then, so it survives. All of this is live state, like
// sockets: a simulator snapshot does not hold it, and a restore boots the
// guests of the VMs the restored state has powered on, afresh (reconcile()).
import type { DataObject, ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { VirtualMachine } from "../objects/virtual-machine.ts";
import { kindOf, type Device } from "../objects/vm-devices.ts";
import { customizationEvents, customizationOptions } from "../objects/vm-customization.ts";
import { IsoImage, readGuestManifest } from "../../formats/iso9660.ts";
import { GuestProgramTable } from "./guest-programs.ts";
import { GuestNetwork } from "./guest-network.ts";
import { GuestOs, type DiskDevice, type GuestVmPort, type NicDevice, type ToolsReport } from "./guest-os.ts";
import { mountChain, saveChain } from "../datastore/disk-layers.ts";
import { datacenterOf } from "../objects/managed-entity.ts";
import { RefusedEndpoints, SerialPortLink } from "./serial-port.ts";
import type { GuestMedia, GuestProgram } from "../../hardware/guest-hardware.ts";

/** The tools version our guests report: open-vm-tools 10.3.x's number, reported as unmanaged (guestToolsUnmanaged), as OS-packaged tools are. */
const TOOLS_VERSION = "10304";

export interface DeclaredGuest {
  program: string;
  options: Record<string, unknown>;
}

/** A file transfer GuestFileManager set up: one use, for a while. */
export interface GuestTransfer {
  vm: VirtualMachine;
  direction: "toGuest" | "fromGuest";
  path: string;
  size: number;
  overwrite: boolean;
  expires: number;
}

const TRANSFER_TTL_MS = 10 * 60_000;

export class GuestRuntime {
  readonly programs = new GuestProgramTable();
  /** the HTTPS port clients reach this simulator on, for the URLs GuestFileManager hands out */
  port: number | undefined;
  private readonly transfers = new Map<string, GuestTransfer & { token: string }>();
  private transferCount = 0;
  readonly network: GuestNetwork;
  readonly refusals: RefusedEndpoints;
  private readonly processes = new Map<string, VmxProcess>();
  /** guests the scenario gives fixture VMs, by VM moref: booted instead of the CD-ROM */
  private readonly declared = new Map<string, DeclaredGuest>();

  constructor(readonly sim: SimContext, subnets: Record<string, string> = {}) {
    this.network = new GuestNetwork(sim.scenario.seed, subnets);
    this.refusals = new RefusedEndpoints(sim.clock);
  }

  declare(vm: string, guest: DeclaredGuest): void {
    this.declared.set(vm, guest);
  }

  declaredFor(vm: string): DeclaredGuest | undefined {
    return this.declared.get(vm);
  }

  /** Until start(), power changes start no guests (the inventory is being built, the network not yet seeded). */
  private started = false;

  /** Boot the guests of every powered-on VM, and from now on those of each VM that powers on. */
  start(): void {
    this.started = true;
    this.reconcile();
  }

  /** The VM's power state changed (VirtualMachine calls this after its update). */
  powerChanged(vm: VirtualMachine, state: string): void {
    if (!this.started) return;
    const p = this.processes.get(vm.ref.value);
    if (p) {
      this.processes.delete(vm.ref.value);
      p.stop(true);
    }
    if (state === "poweredOn") {
      const np = new VmxProcess(this, vm);
      this.processes.set(vm.ref.value, np);
      np.start();
    }
  }

  of(vm: VirtualMachine): VmxProcess | undefined {
    const p = this.processes.get(vm.ref.value);
    return p && p.vm === vm ? p : undefined;
  }

  /**
   * After a restore: every guest starts again from the restored state. A
   * guest that kept running would hold memory (tools state, its own view of
   * guestinfo) of a past that the restore undid.
   */
  reconcile(): void {
    this.stopAll();
    if (!this.started) return;
    for (const vm of this.sim.inventory.ofType("VirtualMachine") as VirtualMachine[]) {
      if (vm.powerState === "poweredOn" && !this.processes.has(vm.ref.value)) {
        const np = new VmxProcess(this, vm);
        this.processes.set(vm.ref.value, np);
        np.start();
      }
    }
  }

  /** A /guestFile URL for a transfer (hostd writes "*" for the host; clients put theirs in). */
  newTransfer(t: Omit<GuestTransfer, "expires">): string {
    const now = this.sim.clock.now().getTime();
    for (const [k, t] of this.transfers) if (t.expires < now) this.transfers.delete(k);
    const id = String(++this.transferCount);
    const token = this.sim.ids.hex("guestfile", `${id}:${now}:${this.sim.ids.next("guestfile")}`, 32);
    this.transfers.set(id, { ...t, expires: now + TRANSFER_TTL_MS, token });
    return `https://*${this.port ? `:${this.port}` : ""}/guestFile?id=${id}&token=${token}`;
  }

  /** The transfer a /guestFile request names, used up; undefined if unknown, expired or used. */
  takeTransfer(id: string, token: string, direction: GuestTransfer["direction"]): GuestTransfer | undefined {
    const t = this.transfers.get(id);
    if (!t || t.token !== token || t.direction !== direction) return undefined;
    this.transfers.delete(id);
    return t.expires >= this.sim.clock.now().getTime() ? t : undefined;
  }

  /** The simulator is closing: every connection and listener goes. */
  stopAll(): void {
    for (const p of this.processes.values()) p.stop(false);
    this.processes.clear();
  }
}

/** What runs for one powered-on VM. */
export class VmxProcess {
  private links: SerialPortLink[] = [];
  os: GuestOs | undefined;
  private stopped = false;
  private guestInfoDirty = false;
  /** has the guest's tools state been published (so power off has something to take back)? */
  private published = false;

  constructor(private readonly runtime: GuestRuntime, readonly vm: VirtualMachine) {}

  private get sim(): SimContext {
    return this.runtime.sim;
  }

  log(message: string): void {
    try {
      this.sim.vmStorage.log(this.vm, message);
    } catch {
      // a log line that cannot be written (datastore full) is not worth failing power on
    }
  }

  start(): void {
    this.log(`vmx| I125: Powering on ${this.vm.name}`);
    const devices = this.vm.config.hardware.device;
    const serials = devices.filter((d) => kindOf(this.sim.schema, d._type) === "serial");
    this.links = serials.filter((d) => d.connectable?.startConnected !== false && d.backing).map((d) => {
      const index = serials.indexOf(d);
      const link = new SerialPortLink(index, `serial${index}`, d.backing as never, {
        clock: this.sim.clock,
        log: (m) => this.log(m),
        allowsOutbound: (port) => this.allowsOutbound(port),
        refusals: this.runtime.refusals,
        route: (host, port) => this.runtime.network.route(host, port),
        appendFile: (path, data) => {
          try {
            this.sim.vmStorage.appendFile(path, data, this.vm);
          } catch (e) {
            this.log(`vmx| W115: serial${index}: cannot write to ${path}: ${(e as Error).message}`);
          }
        },
        connectedChanged: (c) => {
          if (!this.stopped) this.vm.setDeviceConnected(d.key, c);
        },
        guestFault: (e) => this.os?.crash(e),
      });
      return link;
    });
    for (const l of this.links) l.start();
    this.boot();
  }

  private allowsOutbound(port: number): boolean {
    const host = this.sim.inventory.get(this.vm.host.value);
    const ref = (host?.props.configManager as { firewallSystem?: ManagedObjectReference } | undefined)?.firewallSystem;
    const fw = ref ? (this.sim.inventory.get(ref.value) as unknown as { allowsOutbound?(port: number): boolean } | undefined) : undefined;
    return fw?.allowsOutbound ? fw.allowsOutbound(port) : true;
  }

  /** Find what to run: the scenario's guest, else the first connected CD-ROM's ISO and the program its manifest names. */
  private boot(): void {
    const declared = this.runtime.declaredFor(this.vm.ref.value) ?? this.vm.inheritedGuest;
    let programName: string | undefined;
    let media: GuestMedia | undefined;
    let options: Record<string, unknown> = {};
    if (declared) {
      programName = declared.program;
      options = declared.options;
    } else {
      const cd = this.vm.config.hardware.device.find((d) => kindOf(this.sim.schema, d._type) === "cdrom" && d.connectable?.startConnected !== false && /IsoBackingInfo$/.test(String(d.backing?._type)) && d.backing?.fileName);
      if (cd) {
        const path = String(cd.backing!.fileName);
        let image: Buffer | undefined;
        let found = false;
        try {
          // the primary volume descriptor first: a file that is no ISO 9660 image (a sparse placeholder) is not read whole
          const pvd = this.sim.vmStorage.readRange(path, 16 * 2048, 17 * 2048, this.vm);
          found = pvd !== undefined;
          if (pvd?.toString("latin1", 1, 6) === "CD001") image = this.sim.vmStorage.readFile(path, this.vm);
        } catch {
          image = undefined;
        }
        if (!found) this.log(`vmx| W115: CDROM: cannot open ${path}: file not found`);
        else if (!image) this.log(`vmx| I125: CDROM: ${path} names no guest program`);
        else {
          const manifest = readGuestManifest(image);
          if (manifest) {
            programName = manifest.guest;
            options = { ...manifest };
            media = mediaOf(path, image);
          } else this.log(`vmx| I125: CDROM: ${path} names no guest program`);
        }
      }
    }
    if (!programName) {
      this.log("vmx| I125: Guest: no operating system found; the VM runs without a guest OS");
      return;
    }
    const program: GuestProgram | undefined = this.runtime.programs.get(programName);
    if (!program) {
      this.log(`vmx| W115: Guest: guest program "${programName}" is not in this simulator's table (${this.runtime.programs.names().join(", ")}); the VM runs without a guest OS`);
      return;
    }
    // a pending customization reaches the guest with its boot options, and vpxd hears how it went once tools are up
    const cust = this.vm.pendingCustomization;
    const wanted = cust ? customizationOptions(cust, this.vm.name) : undefined;
    if (wanted) options = { ...options, ...(wanted.hostName ? { hostName: wanted.hostName } : {}), ipAddresses: wanted.ipAddresses };
    const os = new GuestOs(this.port(), programName, media, options, this.links, this.nicDevices(), this.diskDevices());
    this.os = os;
    os.start(program, wanted && (() => {
      if (this.vm.pendingCustomization !== cust) return;
      this.vm.pendingCustomization = undefined;
      // an address the guest could not take (outside 127.0.0.0/8, or another NIC's) is a failed network setup
      customizationEvents(this.vm, wanted.ipAddresses.some((ip, i) => ip !== undefined && os.nics[i]?.ipAddress !== ip));
    }));
  }

  private nicDevices(): NicDevice[] {
    return this.vm.config.hardware.device
      .filter((d) => kindOf(this.sim.schema, d._type) === "nic" && d.connectable?.startConnected !== false)
      .map((d) => ({ key: d.key, macAddress: String(d.macAddress ?? ""), network: this.networkName(d), pciSlotNumber: (d.slotInfo as { pciSlotNumber?: number } | undefined)?.pciSlotNumber }));
  }

  private diskDevices(): DiskDevice[] {
    return this.vm.config.hardware.device
      .filter((d) => kindOf(this.sim.schema, d._type) === "disk" && d.backing?.fileName)
      .map((d) => ({ key: d.key, fileName: String(d.backing!.fileName), capacityBytes: Number(d.capacityInBytes ?? (d.capacityInKB ?? 0) * 1024) }));
  }

  /** Before the simulator changes disk files under a running guest: what it wrote goes to disk first. */
  syncDisks(): void {
    this.os?.syncDisks();
  }

  /** After: the guest sees disks come, go, or move to a new top. */
  devicesChanged(): void {
    this.os?.disksChanged(this.diskDevices());
  }

  private networkName(d: Device): string {
    if (d.backing?.deviceName) return String(d.backing.deviceName);
    const key = d.backing?.port?.portgroupKey as string | undefined;
    const pg = key ? this.sim.inventory.get(key) : undefined;
    return pg ? String(pg.get("name")) : "";
  }

  private port(): GuestVmPort {
    const vm = this.vm;
    const later = (fn: () => void) => setImmediate(() => {
      if (!this.stopped) fn();
    });
    return {
      name: vm.name,
      moref: vm.ref.value,
      uuid: vm.config.uuid,
      clock: this.sim.clock,
      network: this.runtime.network,
      extraConfig: () => vm.config.extraConfig ?? [],
      setGuestInfo: (key, value) => {
        if (this.stopped) return;
        this.guestInfoDirty = true;
        vm.setGuestInfo(key, value);
      },
      publish: (tools, heartbeat) => {
        if (this.stopped) return;
        this.published = true;
        vm.setGuest(guestInfoOf(vm, tools), heartbeat);
      },
      log: (m) => this.log(m),
      mountDisk: (fileName) => mountChain(this.sim, this.sim.vmStorage.resolve(fileName, vm), () => this.sim.clock.now(), datacenterOf(vm)),
      saveDisk: (m) => saveChain(m),
      powerOff: () => later(() => vm.forcePower("poweredOff", "")),
      standby: () => later(() => vm.forcePower("suspended", "")),
      reboot: () => later(() => this.rebootGuest()),
    };
  }

  /** The guest restarts; the VMX process (and its serial connections) stays. */
  rebootGuest(): void {
    if (this.stopped) return;
    this.log("vmx| I125: Guest: rebooting");
    this.os?.halt();
    this.os = undefined;
    if (this.published) this.vm.setGuest(guestInfoOf(this.vm, undefined), "gray");
    this.boot();
  }

  /** ShutdownGuest, RebootGuest, StandbyGuest: the guest's own answer, or what any OS does. */
  guestRequest(kind: "shutdown" | "reboot" | "standby"): void {
    const os = this.os;
    if (!os) return;
    const own = os.instance?.[kind];
    this.log(`vmx| I125: Tools: ${kind} requested`);
    setImmediate(() => {
      if (this.stopped || os.isHalted) return;
      if (own) os.guard(() => own.call(os.instance))();
      else if (kind === "shutdown") os.powerOff();
      else if (kind === "reboot") os.reboot();
      else this.vm.forcePower("suspended", "");
    });
  }

  /** Power is gone. `persist`: write guestinfo the guest set to the .vmx (not after a restore or at close). */
  stop(persist: boolean): void {
    if (this.stopped) return;
    this.os?.halt();
    this.stopped = true;
    for (const l of this.links) l.stop();
    if (!persist) return;
    this.log(`vmx| I125: Powering off ${this.vm.name}`);
    if (this.published) this.vm.setGuest(guestInfoOf(this.vm, undefined), "gray");
    if (this.guestInfoDirty && this.sim.inventory.get(this.vm.ref.value) === this.vm) this.vm.applyConfig(this.vm.config);
  }
}

function mediaOf(path: string, image: Buffer): GuestMedia | undefined {
  try {
    const iso = new IsoImage(image);
    return {
      path,
      volumeId: iso.volumeId,
      read: (p) => {
        const e = iso.stat(p.startsWith("/") ? p : `/${p}`);
        return e && e.type === "file" ? iso.read(e.path) : undefined;
      },
      list: () => iso.list().filter((e) => e.type === "file").map((e) => e.path),
    };
  } catch {
    return undefined;
  }
}

/** The VM's `guest` property for a tools report (undefined: tools not running). */
export function guestInfoOf(vm: VirtualMachine, tools: ToolsReport | undefined): DataObject {
  const current = vm.props.guest as DataObject;
  const installed = current.toolsVersion !== undefined && current.toolsVersion !== "0";
  if (!tools) {
    return {
      ...current,
      toolsStatus: installed ? "toolsNotRunning" : "toolsNotInstalled",
      toolsRunningStatus: "guestToolsNotRunning",
      guestState: "notRunning",
      hostName: undefined,
      ipAddress: undefined,
      net: [],
      guestOperationsReady: false,
      interactiveGuestOperationsReady: false,
    };
  }
  const config = vm.config as DataObject & { guestId: string; guestFullName?: string };
  const nics = tools.nics.map((n) => ({
    _type: "GuestNicInfo",
    network: n.network,
    ipAddress: n.ipAddress ? [n.ipAddress] : [],
    macAddress: n.macAddress,
    connected: true,
    deviceConfigId: n.deviceKey,
    ipConfig: { _type: "NetIpConfigInfo", ipAddress: n.ipAddress ? [{ _type: "NetIpConfigInfoIpAddress", ipAddress: n.ipAddress, prefixLength: n.prefixLength, state: "preferred" }] : [] },
  }));
  return {
    ...current,
    toolsStatus: "toolsOk",
    toolsVersionStatus: "guestToolsUnmanaged",
    toolsVersionStatus2: "guestToolsUnmanaged",
    toolsRunningStatus: "guestToolsRunning",
    toolsVersion: TOOLS_VERSION,
    guestId: config.guestId,
    guestFullName: config.guestFullName,
    guestFamily: /windows/i.test(config.guestId) ? "windowsGuest" : "linuxGuest",
    guestState: "running",
    hostName: tools.hostName,
    ipAddress: tools.nics.find((n) => n.ipAddress)?.ipAddress,
    net: nics,
    guestOperationsReady: tools.guestOperationsReady,
    interactiveGuestOperationsReady: false,
    guestStateChangeSupported: true,
  };
}
