// What a guest program sees of its VM: the only door between a guest and the
// fake hardware. A guest program runs in the simulator's process, but through
// this object alone, as an OS on real hardware would: guestinfo by the tools
// RPC, serial ports as byte streams, NICs with addresses, the boot media, the
// power button. The simulator implements it (simulator/guest/); vic/ code
// that boots in a VM (the appliance, tether) is written against it. It lives
// in neither half, so neither imports the other: types only, and the one
// constant both sides must agree on.
import type { Server, Socket } from "node:net";

/** the first line of every busybox link target: `#!/sim/busybox` runs the multi-call binary */
export const BUSYBOX_BINARY = "#!/sim/busybox\n";

/** Time as the guest's hardware keeps it (the simulator's injected clock). */
export interface GuestClock {
  now(): Date;
  /** schedule `fn` after `ms` of this clock's time; returns a cancel function */
  setTimeout(fn: () => void, ms: number): () => void;
}

export interface FsStat {
  type: "file" | "dir" | "symlink";
  mode: number;
  size: number;
  uid: number;
  gid: number;
  mtime: Date;
}

/** A mounted file tree. Paths are absolute ('/etc/hosts'); errors carry POSIX `code`s (ENOENT, EEXIST, ENOTDIR, ...). */
export interface GuestFs {
  exists(p: string): boolean;
  stat(p: string): FsStat;
  lstat(p: string): FsStat;
  readFile(p: string): Buffer;
  writeFile(p: string, data: Buffer | string, opts?: { mode?: number; append?: boolean; exclusive?: boolean }): void;
  mkdir(p: string, opts?: { parents?: boolean; mode?: number }): void;
  readdir(p: string): string[];
  unlink(p: string): void;
  rmdir(p: string): void;
  rm(p: string, opts?: { recursive?: boolean; force?: boolean }): void;
  rename(from: string, to: string): void;
  symlink(target: string, p: string): void;
  readlink(p: string): string;
  chmod(p: string, mode: number): void;
}

export interface ExitStatus {
  exitCode: number;
  /** the signal that ended it, if one did */
  signal?: string;
}

export interface Tty {
  rows: number;
  cols: number;
}

/** One end of a pipe: a process's stdin (written) or stdout/stderr (read). */
export interface GuestStream {
  write(data: Buffer | string): boolean;
  end(): void;
  readonly isEnded: boolean;
  /** the next chunk, or null at end of stream */
  read(abort?: AbortSignal): Promise<Buffer | null>;
  readAll(abort?: AbortSignal): Promise<Buffer>;
  onData(listener: (d: Buffer) => void): void;
  onEnd(listener: () => void): void;
}

/** A process in the simulated userland. With a terminal, stdout carries both streams and stderr stays empty. */
export interface GuestProcess {
  readonly pid: number;
  readonly argv: string[];
  readonly user: string;
  readonly name: string;
  readonly startTime: Date;
  readonly endTime: Date | undefined;
  readonly status: ExitStatus | undefined;
  readonly running: boolean;
  readonly stdin: GuestStream;
  readonly stdout: GuestStream;
  readonly stderr: GuestStream;
  wait(): Promise<ExitStatus>;
  /** the terminal's new size (SIGWINCH) */
  resize(rows: number, cols: number): void;
}

export interface SpawnOptions {
  argv: string[];
  env?: Record<string, string> | Map<string, string>;
  cwd?: string;
  /** a terminal of this size (docker run -t) */
  tty?: Tty;
  user?: string;
}

/** A process namespace over a file tree: the simulated shell and busybox applets. */
export interface Userland {
  spawn(opts: SpawnOptions): GuestProcess;
  processes(): GuestProcess[];
  get(pid: number): GuestProcess | undefined;
  /** false: no such running process */
  kill(pid: number, signal: string): boolean;
}

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
  /** its PCI slot (ethernetN.pciSlotNumber), by which a guest tells its NICs apart, as VIC's init renames them */
  readonly pciSlotNumber: number | undefined;
  /** the address the guest has configured, if any */
  readonly ipAddress: string | undefined;
  readonly prefixLength: number;
  /** take an address from the port group's lease pool (the same MAC gets the same address again) */
  dhcp(): string;
  /** configure a static address on the port group's subnet */
  setAddress(ip: string): void;
  /** a TCP server bound to this NIC's address; closed at power off */
  listen(port: number, onConnection: (socket: Socket) => void): Promise<Server>;
  /** the port group's DNS: the address of a name (Docker Hub's names lead to the simulator's registry), undefined if none */
  lookup(name: string): string | undefined;
  /** a TCP connection from this NIC's address, to an address or a name lookup() knows; destroyed at power off */
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
  readonly clock: GuestClock;
  /** the VM's console: keys typed at it (PutUsbScanCodes), text the guest shows on it */
  readonly console: GuestConsole;
  /**
   * A process namespace over a file tree (a container's root): the
   * simulated userland's shell, applets and processes. Its processes are
   * killed when the guest halts. `nics` are the interfaces its network
   * applets (nc) listen and connect on: the guest's own, that it brought up.
   */
  userland(root: GuestFs, hostname: string, opts?: { nics?: readonly GuestNic[] }): Userland;
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

/** The console's keyboard and screen, as a terminal sees them. */
export interface GuestConsole {
  /** typed text, as a terminal receives it: "\r" for Enter, "\x03" for Ctrl+C, escape sequences for arrows */
  onInput(listener: (text: string) => void): () => void;
  /** text shown on the screen */
  write(text: string): void;
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
    /** the whole tree, for GuestFileManager's directory operations (ListFilesInGuest, MakeDirectoryInGuest, ...); without it they are unavailable */
    fs?: GuestFs;
  };
}

/**
 * A guest program: started when the VM boots media that names it. Whatever it
 * throws (or its promise rejects with) is a crashed guest, not a crashed
 * simulator. The tools count as running once it has returned.
 */
export type GuestProgram = (hw: GuestHardware) => GuestInstance | void | Promise<GuestInstance | void>;
