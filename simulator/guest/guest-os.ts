// One boot of a guest program: the GuestHardware it is given, the tools
// state it reports, and what it holds (listeners, sockets, leases) so that
// a halt (power off, reboot, crash) releases all of it. The VMX side that
// outlives a guest reboot (serial connections) is VmxProcess's.
import net from "node:net";
import type { GuestDisk, GuestHardware, GuestInstance, GuestMedia, GuestNic, GuestProgram, GuestSerialPort } from "../../hardware/guest-hardware.ts";
import { fsError, type FileTree, type GuestFs } from "./file-tree.ts";
import type { MountedChain } from "../datastore/disk-layers.ts";
import { Userland } from "./userland/userland.ts";
import type { SerialPortLink } from "./serial-port.ts";
import type { GuestNetwork } from "./guest-network.ts";
import type { Clock } from "../clock.ts";

/** What a guest OS needs from its VM; VmxProcess supplies it. */
export interface GuestVmPort {
  readonly name: string;
  readonly moref: string;
  readonly uuid: string;
  readonly clock: Clock;
  readonly network: GuestNetwork;
  extraConfig(): { key: string; value: unknown }[];
  setGuestInfo(key: string, value: string): void;
  /** publish the tools' view: undefined when the tools are not running */
  publish(tools: ToolsReport | undefined, heartbeat: "green" | "red" | "gray"): void;
  log(message: string): void;
  /** mount a disk's chain ("[ds] path" of its top) */
  mountDisk(fileName: string): MountedChain;
  /** save a mount's changes into its top disk */
  saveDisk(m: MountedChain): void;
  powerOff(): void;
  reboot(): void;
  standby(): void;
}

export interface ToolsReport {
  hostName?: string;
  nics: { deviceKey: number; macAddress: string; network: string; ipAddress?: string; prefixLength: number }[];
  guestOperationsReady: boolean;
}

export interface DiskDevice {
  key: number;
  fileName: string;
  capacityBytes: number;
}

export interface NicDevice {
  key: number;
  macAddress: string;
  network: string;
  pciSlotNumber?: number;
}

export class GuestOs implements GuestHardware {
  readonly vm: GuestHardware["vm"];
  readonly guestinfo: GuestHardware["guestinfo"];
  readonly serial: GuestSerialPort[];
  readonly nics: GuestNicImpl[];
  private readonly diskMap = new Map<number, GuestDiskImpl>();
  private readonly diskListeners = { added: new Set<(d: GuestDisk) => void>(), removed: new Set<(key: number) => void>() };
  instance: GuestInstance | undefined;
  private hostName: string | undefined;
  private toolsRunning = false;
  private halted = false;
  private readonly cleanups = new Set<() => void>();
  private readonly haltListeners = new Set<() => void>();
  private readonly inputListeners = new Set<(text: string) => void>();
  readonly console: GuestHardware["console"] = {
    onInput: (l) => {
      const guarded = this.guard(l);
      this.inputListeners.add(guarded);
      return this.hold(() => this.inputListeners.delete(guarded));
    },
    // the screen has no pixels to draw on (vm-console.ts): what the guest shows there is not kept
    write: () => {},
  };

  constructor(
    private readonly port: GuestVmPort,
    readonly programName: string,
    readonly media: GuestMedia | undefined,
    readonly options: Readonly<Record<string, unknown>>,
    links: SerialPortLink[],
    nics: NicDevice[],
    disks: DiskDevice[],
  ) {
    this.vm = { name: port.name, moref: port.moref, uuid: port.uuid };
    this.guestinfo = {
      get: (key) => {
        checkKey(key);
        const e = port.extraConfig().find((o) => o.key === key);
        return e === undefined ? undefined : String(e.value);
      },
      set: (key, value) => {
        checkKey(key);
        if (this.halted) return;
        port.setGuestInfo(key, String(value));
      },
      keys: () => port.extraConfig().map((o) => o.key).filter((k) => k.startsWith("guestinfo.")),
    };
    this.serial = links.map((l) => this.serialView(l));
    this.nics = nics.map((n) => new GuestNicImpl(this, n, port.network));
    for (const d of disks) this.diskMap.set(d.key, new GuestDiskImpl(port, d));
  }

  get disks(): GuestDisk[] {
    return [...this.diskMap.values()];
  }

  onDiskAdded(listener: (d: GuestDisk) => void): () => void {
    this.diskListeners.added.add(listener);
    return () => this.diskListeners.added.delete(listener);
  }

  onDiskRemoved(listener: (key: number) => void): () => void {
    this.diskListeners.removed.add(listener);
    return () => this.diskListeners.removed.delete(listener);
  }

  /** Save every mounted disk (before the simulator changes disk files under the guest: snapshots, clones, hot-remove). */
  syncDisks(): void {
    for (const d of this.diskMap.values()) {
      try {
        d.sync();
      } catch (e) {
        this.port.log(`vmx| W115: Guest: cannot save ${d.fileName}: ${(e as Error).message}`);
      }
    }
  }

  /** The VM's disks changed: hot-added ones appear, removed ones go, moved ones (a new snapshot delta on top) are remounted. */
  disksChanged(devices: DiskDevice[]): void {
    if (this.halted) return;
    const now = new Map(devices.map((d) => [d.key, d]));
    for (const [key, disk] of this.diskMap) {
      const dev = now.get(key);
      if (!dev) {
        this.diskMap.delete(key);
        disk.detach();
        for (const l of [...this.diskListeners.removed]) this.guard(l)(key);
      } else if (dev.fileName !== disk.fileName) {
        try {
          disk.moveTo(dev);
        } catch (e) {
          this.port.log(`vmx| W115: Guest: cannot remount ${dev.fileName}: ${(e as Error).message}`);
        }
      }
    }
    for (const dev of devices) {
      if (this.diskMap.has(dev.key)) continue;
      const disk = new GuestDiskImpl(this.port, dev);
      this.diskMap.set(dev.key, disk);
      for (const l of [...this.diskListeners.added]) this.guard(l)(disk);
    }
  }

  /** The VM's clock, with the guest's timers guarded (a throw is a crash) and gone at halt. */
  get clock(): Clock {
    const port = this.port;
    return {
      now: () => port.clock.now(),
      setTimeout: (fn, ms) => {
        let release = () => {};
        const cancel = port.clock.setTimeout(() => {
          release();
          this.guard(fn)();
        }, ms);
        release = this.hold(cancel);
        return release;
      },
    };
  }

  /**
   * Sockets a guest gets: whatever its own listeners throw is a crashed guest
   * (the socket is dropped), not an exception in the simulator's event loop.
   */
  guardSocket<T extends net.Socket>(sock: T): T {
    const emit = sock.emit.bind(sock) as (event: string | symbol, ...args: unknown[]) => boolean;
    sock.emit = ((event: string | symbol, ...args: unknown[]) => {
      try {
        return emit(event, ...args);
      } catch (e) {
        this.crash(e);
        sock.destroy();
        return false;
      }
    }) as T["emit"];
    return sock;
  }

  get isHalted(): boolean {
    return this.halted;
  }

  /** Run the program; its return starts the tools, its throw is a crash. */
  /** Run the guest program; `onToolsRunning` hears when its tools are up (what vpxd waits for to run a customization). */
  start(program: GuestProgram, onToolsRunning?: () => void): void {
    this.port.log(`vmx| I125: Guest: starting guest program "${this.programName}"${this.media ? ` from ${this.media.path}` : ""}`);
    void Promise.resolve()
      .then(() => program(this))
      .then(
        (inst) => {
          if (this.halted) return;
          this.instance = inst ?? {};
          this.toolsRunning = true;
          this.port.log(`vmx| I125: Tools: running (guest program "${this.programName}")`);
          this.report();
          onToolsRunning?.();
        },
        (e) => this.crash(e),
      );
  }

  /** A guest that throws: log it, stop the tools, drop what it holds. The VM stays powered on, as after a kernel panic. */
  crash(e: unknown): void {
    if (this.halted) return;
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    this.port.log(`vmx| W115: Guest: guest program "${this.programName}" crashed: ${what}`);
    this.halt();
    this.port.publish(undefined, "red");
  }

  /** The power went, or the guest reboots: tell the program, then release everything it held. */
  halt(): void {
    if (this.halted) return;
    this.halted = true;
    for (const l of [...this.haltListeners]) {
      try {
        l();
      } catch {
        // a guest that fails while going down is down all the same
      }
    }
    this.haltListeners.clear();
    // power off is a clean unmount: what the guest wrote is on its disks
    this.syncDisks();
    for (const d of this.diskMap.values()) d.detach();
    for (const c of [...this.cleanups]) c();
    for (const n of this.nics) n.release();
    this.toolsRunning = false;
  }

  /** Something the tools report changed (host name, an address): publish it. */
  report(): void {
    if (this.halted || !this.toolsRunning) return;
    this.port.publish({
      hostName: this.hostName,
      nics: this.nics.map((n) => ({ deviceKey: n.deviceKey, macAddress: n.macAddress, network: n.network, ipAddress: n.ipAddress, prefixLength: n.prefixLength })),
      guestOperationsReady: !!this.instance?.processes,
    }, "green");
  }

  get tools(): boolean {
    // halt() clears it
    return this.toolsRunning;
  }

  /** Keep a resource to release at halt; returns the function that releases it now. */
  hold(release: () => void): () => void {
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      this.cleanups.delete(once);
      release();
    };
    this.cleanups.add(once);
    return once;
  }

  /** Run guest code from a simulator callback: a throw is a crash. */
  guard<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void {
    return (...a: A) => {
      if (this.halted) return;
      try {
        fn(...a);
      } catch (e) {
        this.crash(e);
      }
    };
  }

  userland(root: GuestFs, hostname: string, opts: { nics?: readonly GuestNic[] } = {}): Userland {
    if (this.halted) throw new Error("the guest is not running");
    const ul = new Userland({ root, hostname, clock: this.clock, nics: opts.nics });
    // power off takes every process with it
    this.hold(() => {
      for (const p of ul.processes()) if (p.running) p.kill("SIGKILL", this.clock.now());
    });
    return ul;
  }

  setHostName(name: string): void {
    this.hostName = String(name);
    this.report();
  }

  log(message: string): void {
    this.port.log(/^\w+\| /.test(message) ? message : `guest| I125: ${message}`);
  }

  powerOff(): void {
    if (!this.halted) this.port.powerOff();
  }

  reboot(): void {
    if (!this.halted) this.port.reboot();
  }

  /** Keys typed at the console (PutUsbScanCodes) reach whatever listens there. */
  type(text: string): void {
    if (this.halted) return;
    for (const l of [...this.inputListeners]) l(text);
  }

  onHalt(listener: () => void): () => void {
    this.haltListeners.add(listener);
    return () => this.haltListeners.delete(listener);
  }

  private serialView(link: SerialPortLink): GuestSerialPort {
    const sub = (add: (l: never) => () => void, l: (...a: never[]) => void) => this.hold(add(this.guard(l) as never));
    return {
      index: link.index,
      name: link.name,
      get connected() {
        return link.connected;
      },
      write: (d) => {
        if (!this.halted) link.write(d);
      },
      onData: (l) => sub((x) => link.onData(x), l),
      onConnect: (l) => sub((x) => link.onConnect(x), l),
      onDisconnect: (l) => sub((x) => link.onDisconnect(x), l),
    };
  }
}

function checkKey(key: string): void {
  if (typeof key !== "string" || !key.startsWith("guestinfo.")) throw new Error(`guestinfo: ${JSON.stringify(key)} is not a guestinfo key (they start with "guestinfo.")`);
}

class GuestNicImpl implements GuestNic {
  readonly deviceKey: number;
  readonly macAddress: string;
  readonly network: string;
  readonly pciSlotNumber: number | undefined;
  ipAddress: string | undefined;
  readonly prefixLength = 24;

  constructor(private readonly os: GuestOs, dev: NicDevice, private readonly net: GuestNetwork) {
    this.deviceKey = dev.key;
    this.macAddress = dev.macAddress;
    this.network = dev.network;
    this.pciSlotNumber = dev.pciSlotNumber;
  }

  dhcp(): string {
    this.ipAddress = this.net.lease(this.network, this.macAddress);
    this.os.report();
    return this.ipAddress;
  }

  setAddress(ip: string): void {
    this.net.claim(ip, this.macAddress);
    this.ipAddress = ip;
    this.os.report();
  }

  release(): void {
    if (this.ipAddress) this.net.release(this.macAddress);
    this.ipAddress = undefined;
  }

  private address(): string {
    if (this.os.isHalted) throw new Error("the guest is not running");
    if (!this.ipAddress) throw new Error(`${this.network}: the NIC has no address (dhcp() or setAddress() first)`);
    return this.ipAddress;
  }

  listen(port: number, onConnection: (socket: net.Socket) => void): Promise<net.Server> {
    let host: string;
    try {
      host = this.address();
    } catch (e) {
      return Promise.reject(e);
    }
    const sockets = new Set<net.Socket>();
    // a TCP stack allows half-close: a peer's FIN ends its side only (the docker CLI half-closes attach connections)
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      this.os.guard(onConnection)(this.os.guardSocket(s));
    });
    const release = this.os.hold(() => {
      server.close();
      for (const s of sockets) s.destroy();
    });
    const mapped = this.net.mode === "mapped";
    server.on("close", () => {
      release();
      this.net.closed(host, port);
    });
    return new Promise((resolve, reject) => {
      server.once("error", (e) => {
        release();
        reject(e);
      });
      // mapped: a free port on 127.0.0.1 stands for HOST:PORT
      server.listen(mapped ? 0 : port, this.net.bindAddress(host), () => {
        this.net.listening(host, port, (server.address() as net.AddressInfo).port);
        resolve(server);
      });
    });
  }

  lookup(name: string): string | undefined {
    return this.net.resolve(name);
  }

  connect(host: string, port: number): net.Socket {
    const local = this.address();
    const ip = this.net.resolve(host);
    if (!ip) {
      // the simulated network's DNS knows no such name: never ask the real one
      const s = new net.Socket();
      process.nextTick(() => s.destroy(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND", hostname: host })));
      return s;
    }
    const to = this.net.route(ip, port);
    const s = this.os.guardSocket(net.connect({ host: to.host, port: to.port, ...(this.net.mode === "loopback" ? { localAddress: local } : {}) }));
    const release = this.os.hold(() => s.destroy());
    s.on("close", release);
    return s;
  }
}

class GuestDiskImpl implements GuestDisk {
  readonly deviceKey: number;
  fileName: string;
  capacityBytes: number;
  private mounted: MountedChain | undefined;

  constructor(private readonly port: GuestVmPort, dev: DiskDevice) {
    this.deviceKey = dev.key;
    this.fileName = dev.fileName;
    this.capacityBytes = dev.capacityBytes;
  }

  get fs(): GuestFs | undefined {
    return this.mounted?.tree;
  }

  mount(): GuestFs {
    if (this.mounted) throw fsError("EBUSY", this.fileName);
    this.mounted = this.port.mountDisk(this.fileName);
    return this.mounted.tree;
  }

  sync(): void {
    if (this.mounted) this.port.saveDisk(this.mounted);
  }

  unmount(): void {
    if (!this.mounted) return;
    this.sync();
    this.mounted = undefined;
  }

  /** Gone from the VM: forget the mount (its changes were synced before the disk went). */
  detach(): void {
    this.mounted = undefined;
  }

  /** The disk's top changed (a snapshot put a delta on it, a consolidation took one away): mount the new chain under the same tree. */
  moveTo(dev: DiskDevice): void {
    this.fileName = dev.fileName;
    this.capacityBytes = dev.capacityBytes;
    if (!this.mounted) return;
    const kept: FileTree = this.mounted.tree;
    const fresh = this.port.mountDisk(dev.fileName);
    kept.replaceWith(fresh.tree);
    this.mounted = { ...fresh, tree: kept };
  }
}
