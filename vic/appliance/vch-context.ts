// What the appliance's components share: the VCH config read from
// guestinfo, the addresses init gave each network role, the component logs
// (/var/log/vic/<component>.log, served by vicadmin), and one vSphere
// session, made with the credentials in the config as VIC 0.4 did on ESX.
import type { GuestClock, GuestHardware } from "../../hardware/guest-hardware.ts";
import { VimClient } from "../../vim25/client/index.ts";

/** well inside the 30 minutes after which ESXi ends an idle session */
const KEEPALIVE_MS = 5 * 60_000;
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { VirtualContainerHostConfigSpec } from "../lib/vch-config.ts";

/** The appliance's log files: bounded, so a chatty component cannot grow the guest's memory without end. */
export class ApplianceLogs {
  private readonly files = new Map<string, string[]>();
  private static readonly MAX_LINES = 5000;

  constructor(private readonly clock: GuestClock) {}

  /** a logrus-style line in /var/log/vic/<name>.log */
  line(name: string, level: "INFO" | "WARN" | "ERRO" | "DEBU", message: string): void {
    const lines = this.files.get(name) ?? [];
    lines.push(`${level}[${this.clock.now().toISOString().replace(/\.\d+Z$/, "Z")}] ${message}`);
    if (lines.length > ApplianceLogs.MAX_LINES) lines.splice(0, lines.length - ApplianceLogs.MAX_LINES);
    this.files.set(name, lines);
  }

  logger(name: string): ComponentLog {
    return {
      info: (m) => this.line(name, "INFO", m),
      warn: (m) => this.line(name, "WARN", m),
      error: (m) => this.line(name, "ERRO", m),
      debug: (m) => this.line(name, "DEBU", m),
    };
  }

  /** file names, "init.log", ... */
  names(): string[] {
    return [...this.files.keys()].map((n) => `${n}.log`).sort();
  }

  read(file: string): string | undefined {
    const lines = this.files.get(file.replace(/\.log$/, ""));
    return file.endsWith(".log") && lines ? `${lines.join("\n")}\n` : undefined;
  }
}

export interface ComponentLog {
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
  debug(m: string): void;
}

export class VchContext {
  private session: Promise<VimClient> | undefined;
  /** role (client, external, management, bridge) -> the address init configured */
  readonly addresses = new Map<string, string>();
  /** closed at halt: sessions, servers */
  private readonly closers: (() => void)[] = [];

  constructor(
    readonly hw: GuestHardware,
    readonly config: VirtualContainerHostConfigSpec,
    readonly logs: ApplianceLogs,
  ) {}

  get name(): string {
    return this.config.init.common.name ?? this.hw.vm.name;
  }

  onHalt(fn: () => void): void {
    this.closers.push(fn);
  }

  private halted = false;

  halt(): void {
    this.halted = true;
    for (const fn of this.closers.splice(0)) {
      try {
        fn();
      } catch {
        // a component that fails to close is gone with the power anyway
      }
    }
    this.stopKeepalive();
    const s = this.session;
    this.session = undefined;
    s?.then((c) => c.close(), () => {});
  }

  private dcPath: string | undefined;

  /** the datacenter's inventory path (what /folder's dcPath wants), found from the appliance VM up */
  async datacenterPath(): Promise<string> {
    if (this.dcPath) return this.dcPath;
    const c = await this.vsphere();
    let ref: ManagedObjectReference | undefined = { _type: "ManagedObjectReference", type: "VirtualMachine", value: this.hw.vm.moref };
    const above: string[] = [];
    let dc: string | undefined;
    while (ref) {
      const r = await c.retrieveOne(ref, ["name", "parent"]);
      if (ref.type === "Datacenter") dc = String(r.name);
      else if (dc !== undefined && r.parent) above.unshift(String(r.name));
      ref = r.parent as ManagedObjectReference | undefined;
    }
    this.dcPath = [...above, dc ?? "ha-datacenter"].join("/");
    return this.dcPath;
  }

  private stopKeepalive: () => void = () => {};

  /**
   * The vSphere session, logged in once with the config's target and
   * credentials; a failed login is retried on the next call. A keepalive
   * (VIC's `Keepalive`) reads the session every few minutes, so an idle
   * VCH keeps its session; a session the server has ended anyway is dropped,
   * and the next call logs in again.
   */
  vsphere(): Promise<VimClient> {
    if (!this.session) {
      const [user, ...rest] = (this.config.userPassword ?? "").split(":");
      const s = VimClient.connect(this.config.target, {
        username: user ?? "", password: rest.join(":"),
        thumbprint: this.config.targetThumbprint || undefined,
        insecure: !this.config.targetThumbprint,
        userAgent: `vic-appliance/${this.config.version ?? "0.4"}`,
      });
      this.session = s;
      s.then(() => this.keepalive(s), () => {
        if (this.session === s) this.session = undefined;
      });
    }
    return this.session;
  }

  private keepalive(s: Promise<VimClient>): void {
    this.stopKeepalive();
    const tick = () => {
      this.stopKeepalive = this.hw.clock.setTimeout(() => {
        // the session's own record: any call refreshes it, and an ended session reads as none
        // (CurrentTime would not do: it answers without a session)
        const alive = s.then(async (c) => {
          const r = await c.retrieveOne(c.content.sessionManager!, ["currentSession"]);
          if (!r.currentSession) throw new Error("the session has ended");
        });
        void alive.then(tick, () => {
          if (this.session !== s) return;
          // the server ended the session: log in again now, not at the next request
          this.session = undefined;
          void s.then((c) => c.close(), () => {});
          if (!this.halted) void this.vsphere().catch(() => {});
        });
      }, KEEPALIVE_MS);
    };
    tick();
  }
}
