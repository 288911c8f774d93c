// What a guest program sees of its VM: the only door between a guest and the
// simulator. A guest program runs in the simulator's process, but through
// this object alone, as an OS on real hardware would: guestinfo by the tools
// RPC, serial ports as byte streams, NICs with addresses, the boot media, the
// power button. vic/ code that boots in a VM (the appliance, tether) is
// written against this interface, never against simulator objects.
import type { Server, Socket } from "node:net";
import type { Clock } from "../clock.ts";
import type { GuestFs } from "./file-tree.ts";

import type { Userland } from "./userland/userland.ts";

export type { GuestFs, FsStat } from "./file-tree.ts";
export type { Userland, SpawnOptions } from "./userland/userland.ts";
export type { SimProcess, ExitStatus, Tty } from "./userland/process.ts";
export { BUSYBOX_BINARY } from "./userland/userland.ts";

/**
 * A virtual disk as the guest sees it. Mounting shows the disk's parent
 * chain with its own layer on top; writes stay in memory until unmount,
 * sync or power off, which save them to the disk's own extent.
 */
export interface GuestDisk {
  /** device key in config.hardware.device */
  readonly deviceKey: number;
  /** "[datastore] path" of the disk (the top of its chain) */
  readonly fileName: string;
  readonly capacityBytes: number;
  /** the file tree while mounted */
  readonly fs: GuestFs | undefined;
  /** EINVAL: the chain holds something that is not a layer; EBUSY: already mounted */
  mount(): GuestFs;
  /** save what changed (ENOSPC when it does not fit the disk) */
  sync(): void;
  /** sync and let go */
  unmount(): void;
}

/** VMware Tools' guestinfo RPC (`info-get` / `info-set`): keys start with `guestinfo.`. */
export interface GuestInfoRpc {
  /** the value, or undefined where the tools would answer "No value found" */
  get(key: string): string | undefined;
  /** set a key; an empty value removes it, as the VMX does */
  set(key: string, value: string): void;
  /** every guestinfo key the VM has now */
  keys(): string[];
}

/** A serial port as the guest's `ttyS<n>`: bytes in, bytes out. */
export interface GuestSerialPort {
  readonly index: number;
  /** "ttyS0" */
  readonly name: string;
  /** is the far side there (a TCP peer, an open file)? Bytes written while it is not are lost, as on a line without carrier. */
  readonly connected: boolean;
  write(data: Buffer | string): void;
  /** returns a function that removes the listener */
  onData(listener: (data: Buffer) => void): () => void;
  onConnect(listener: () => void): () => void;
  onDisconnect(listener: () => void): () => void;
}

/** A virtual NIC: its MAC and port group, and the address the guest gives it. */
export interface GuestNic {
  /** device key in config.hardware.device */
  readonly deviceKey: number;
  readonly macAddress: string;
  /** the port group (network name) it is on */
  readonly network: string;
  /** the address the guest has configured, if any */
  readonly ipAddress: string | undefined;
  readonly prefixLength: number;
  /** take an address from the port group's lease pool (the same MAC gets the same address again) */
  dhcp(): string;
  /** configure a static address on the port group's subnet */
  setAddress(ip: string): void;
  /** a TCP server bound to this NIC's address; closed at power off */
  listen(port: number, onConnection: (socket: Socket) => void): Promise<Server>;
  /** a TCP connection from this NIC's address; destroyed at power off */
  connect(host: string, port: number): Socket;
}

/** What a guest reads off its boot CD-ROM. */
export interface GuestMedia {
  /** "[datastore] path" of the ISO */
  readonly path: string;
  readonly volumeId: string;
  read(path: string): Buffer | undefined;
  list(): string[];
}

export interface GuestHardware {
  readonly vm: { readonly name: string; readonly moref: string; readonly uuid: string };
  /** the boot ISO, when the VM booted one */
  readonly media: GuestMedia | undefined;
  /** what the image's manifest or the scenario gives the program (hostName, ipAddress, ...) */
  readonly options: Readonly<Record<string, unknown>>;
  readonly guestinfo: GuestInfoRpc;
  readonly serial: readonly GuestSerialPort[];
  readonly nics: readonly GuestNic[];
  /** the VM's disks now: hot-added ones appear, removed ones go */
  readonly disks: readonly GuestDisk[];
  onDiskAdded(listener: (disk: GuestDisk) => void): () => void;
  onDiskRemoved(listener: (deviceKey: number) => void): () => void;
  readonly clock: Clock;
  /**
   * A process namespace over a file tree (a container's root): the
   * simulated userland's shell, applets and processes. Its processes are
   * killed when the guest halts.
   */
  userland(root: GuestFs, hostname: string): Userland;
  /** the name the tools report in guest.hostName */
  setHostName(name: string): void;
  /** a line in the VM's vmware.log */
  log(message: string): void;
  /** the guest halts and the VM powers off, as `poweroff` in a guest does */
  powerOff(): void;
  /** the guest restarts: power stays on, the program starts again */
  reboot(): void;
  /** called once when the power goes (power off, reset, crash); release what you hold */
  onHalt(listener: () => void): () => void;
}

/** A process the guest runs for GuestProcessManager. */
export interface GuestProcessInfo {
  pid: number;
  name: string;
  owner: string;
  cmdLine: string;
  startTime: Date;
  endTime?: Date;
  exitCode?: number;
}

export interface GuestProgramSpec {
  programPath: string;
  arguments: string;
  workingDirectory?: string;
  envVariables?: string[];
}

/** What a running guest answers; each is optional and has the default a tools-less OS would give. */
export interface GuestInstance {
  /** ShutdownGuest: default powers the VM off */
  shutdown?(): void;
  /** RebootGuest: default restarts the program */
  reboot?(): void;
  /** StandbyGuest: default suspends the VM */
  standby?(): void;
  /**
   * GuestProcessManager's calls; without them guest operations are
   * unavailable. Refusals are errors with a `code`: ENOENT (no such
   * program), ESRCH (no such process), EACCES (not allowed); anything
   * else thrown is a crashed guest.
   */
  processes?: {
    /** false: InvalidGuestLogin. Default: every login is good. */
    authenticate?(user: string, password: string): boolean;
    start(spec: GuestProgramSpec, user: string): number;
    list(pids: number[] | undefined): GuestProcessInfo[];
    terminate(pid: number): void;
    environment?(names: string[] | undefined): string[];
  };
  /**
   * GuestFileManager's transfers (/guestFile): refusals are errors with a
   * `code` (ENOENT, EEXIST, EISDIR, EACCES); without this handler, guest
   * operations are unavailable.
   */
  files?: {
    read(path: string): Buffer;
    write(path: string, data: Buffer, overwrite: boolean): void;
  };
}

/**
 * A guest program: started when the VM boots media that names it. Whatever it
 * throws (or its promise rejects with) is a crashed guest, not a crashed
 * simulator. The tools count as running once it has returned.
 */
export type GuestProgram = (hw: GuestHardware) => GuestInstance | void | Promise<GuestInstance | void>;
