// HostDateTimeSystem: the host's clock, time zone and NTP servers. The host
// keeps time by the simulator's injected clock plus its own offset, which
// UpdateDateTime moves (and a simulator snapshot keeps). Whether ntpd runs is
// HostServiceSystem's business. The host's config.dateTimeInfo is the same
// information and is kept in step.
//
// ESXi keeps its clock in UTC and offers no other zone: QueryAvailableTimeZones
// lists UTC alone, and UpdateDateTimeConfig takes no other.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type SavedState } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

const UTC = { _type: "HostDateTimeSystemTimeZone", key: "UTC", name: "UTC", description: "UTC", gmtOffset: 0 };
// what ESXi 6.0 writes around the servers in /etc/ntp.conf
const CONF_HEAD = ["restrict default kod nomodify notrap nopeer noquery", "restrict 127.0.0.1", "driftfile /etc/ntp.drift"];
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^(?=.*:)[0-9A-Fa-f:.]{2,45}$/;

type DateTimeState = SavedState & { offsetMs: number };

export class HostDateTimeSystem extends ManagedObject {
  /** the host's clock minus the simulator's, in ms */
  private offsetMs = 0;

  constructor(sim: SimContext, value: string, readonly host: ManagedObjectReference, servers: string[] = []) {
    super(sim, "HostDateTimeSystem", value);
    const info = dateTimeInfo(servers);
    this.props.dateTimeInfo = info;
    this.sim.inventory.get(host.value)?.update({ "config.dateTimeInfo": info });
  }

  /** What the host's clock reads now. */
  now(): Date {
    return new Date(this.sim.clock.now().getTime() + this.offsetMs);
  }

  private set(info: DataObject): void {
    this.update({ dateTimeInfo: info });
    this.sim.inventory.get(this.host.value)?.update({ "config.dateTimeInfo": info });
  }

  QueryDateTime(_args: Args): Date {
    return this.now();
  }

  UpdateDateTime(args: Args): void {
    const t = args.dateTime instanceof Date ? args.dateTime.getTime() : Number.NaN;
    if (!Number.isFinite(t)) throw new VimFault("InvalidArgument", { invalidProperty: "dateTime" });
    this.offsetMs = t - this.sim.clock.now().getTime();
  }

  QueryAvailableTimeZones(_args: Args): DataObject[] {
    return [{ ...UTC }];
  }

  /**
   * The NTP servers (`ntpConfig.server`, or the `server` lines of
   * `ntpConfig.configFile` when only that is given; an ntpConfig with
   * neither clears them) and
   * the time zone. An entry is a host name or address, optionally followed by
   * ntp.conf server options; a comment after `#` is dropped.
   */
  UpdateDateTimeConfig(args: Args): void {
    const config = args.config as (DataObject & { timeZone?: unknown; ntpConfig?: DataObject & { server?: unknown; configFile?: unknown } }) | undefined;
    if (!config || typeof config !== "object") throw new VimFault("InvalidArgument", { invalidProperty: "config" });
    if (config.timeZone !== undefined && config.timeZone !== UTC.key) {
      throw new VimFault("InvalidArgument", { invalidProperty: "config.timeZone" }, `A specified parameter was not correct: config.timeZone (${JSON.stringify(config.timeZone)} is not an available time zone)`);
    }
    if (!config.ntpConfig) return;
    const { server, configFile } = config.ntpConfig;
    let entries: unknown[];
    let where = "config.ntpConfig.server";
    if (Array.isArray(server) && server.length) entries = server;
    else if (Array.isArray(configFile) && configFile.length) {
      where = "config.ntpConfig.configFile";
      entries = configFile.map((l) => String(l).replace(/#.*/, "").trim()).filter((l) => /^server\s/.test(l)).map((l) => l.replace(/^server\s+/, ""));
    } else entries = [];
    const servers = entries.map((e) => {
      const text = typeof e === "string" ? e.replace(/#.*/, "").trim() : "";
      const [name = "", ...options] = text.split(/\s+/);
      if (!name || !(IPV4.test(name) || IPV6.test(name) || (HOST_NAME.test(name) && !/^[\d.]+$/.test(name))) || !serverOptions(options)) {
        throw new VimFault("InvalidArgument", { invalidProperty: where }, `A specified parameter was not correct: ${where} (${JSON.stringify(e)} is not a time server)`);
      }
      return text.replace(/\s+/g, " ");
    });
    this.set(dateTimeInfo(servers));
  }

  RefreshDateTimeSystem(_args: Args): void {}

  override saveState(): DateTimeState {
    return { ...super.saveState(), offsetMs: this.offsetMs };
  }

  override loadState(s: DateTimeState): void {
    super.loadState(s);
    this.offsetMs = s.offsetMs ?? 0;
  }
}

// ntp.conf's `server` options: flags, and those that take a number
const FLAGS = new Set(["autokey", "burst", "iburst", "noselect", "preempt", "prefer", "true", "xleave"]);
const NUMERIC = new Set(["key", "minpoll", "maxpoll", "mode", "ttl", "version"]);

function serverOptions(options: string[]): boolean {
  for (let i = 0; i < options.length; i++) {
    if (FLAGS.has(options[i])) continue;
    if (!NUMERIC.has(options[i]) || !/^\d{1,10}$/.test(options[i + 1] ?? "")) return false;
    i++;
  }
  return true;
}

function dateTimeInfo(servers: string[]): DataObject {
  return {
    _type: "HostDateTimeInfo",
    timeZone: { ...UTC },
    ntpConfig: { _type: "HostNtpConfig", server: servers, configFile: [...CONF_HEAD, ...servers.map((s) => `server ${s}`)] },
  };
}
