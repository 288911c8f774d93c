// HostServiceSystem: the daemons of an ESXi 6.0 host (`serviceInfo`), their
// start policy, and starting, stopping and restarting them. The host's
// config.service is the same information and is kept in step.
//
// Starting a running service or stopping a stopped one is no fault: the API
// reference says InvalidState is sent for these only by ESX/ESXi 4.1 and
// earlier, and "hosts running later versions of ESXi do not throw a fault in
// this case". A restart of a stopped service leaves it running.
//
// A service's firewall ruleset is named in `ruleset` only: starting or
// stopping a service leaves HostFirewallSystem's rulesets as they are.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

export type HostService = DataObject & {
  key: string; label: string; required: boolean; uninstallable: boolean; running: boolean; ruleset: string[]; policy: string;
  sourcePackage?: DataObject;
};

const POLICIES = ["on", "off", "automatic"];

const ESX_BASE = { _type: "HostServiceSourcePackage", sourcePackageName: "esx-base", description: "This VIB contains all of the base functionality of vSphere ESXi." };
const ESX_XSERVER = { _type: "HostServiceSourcePackage", sourcePackageName: "esx-xserver", description: "This VIB contains X Server used for virtual machine 3D hardware acceleration." };

/** The services of a fresh ESXi 6.0 install, in hostd's order (by key); vpxa runs once a vCenter manages the host. */
export function defaultServices(managedByVCenter: boolean): HostService[] {
  const s = (key: string, label: string, running: boolean, policy: string, ruleset: string[] = [], extra: Partial<HostService> = {}): HostService =>
    ({ _type: "HostService", key, label, required: false, uninstallable: false, running, ruleset, policy, sourcePackage: ESX_BASE, ...extra });
  return [
    s("DCUI", "Direct Console UI", true, "on"),
    s("TSM", "ESXi Shell", false, "off"),
    s("TSM-SSH", "SSH", false, "off", ["sshServer"]),
    s("lbtd", "Load-Based Teaming Daemon", true, "on"),
    s("lwsmd", "Active Directory Service", false, "off"),
    s("ntpd", "NTP Daemon", false, "off", ["ntpClient"]),
    s("pcscd", "PC/SC Smart Card Daemon", false, "off"),
    s("sfcbd-watchdog", "CIM Server", false, "on", ["CIMHttpServer", "CIMHttpsServer"]),
    s("snmpd", "SNMP Server", false, "on", ["snmp"]),
    s("vmsyslogd", "Syslog Server", true, "on", [], { required: true }),
    s("vprobed", "VProbe Daemon", false, "off"),
    s("vpxa", "VMware vCenter Agent", managedByVCenter, "on", ["vpxHeartbeats"]),
    s("xorg", "X.Org Server", false, "on", [], { sourcePackage: ESX_XSERVER }),
  ];
}

export class HostServiceSystem extends ManagedObject {
  constructor(sim: SimContext, value: string, readonly host: ManagedObjectReference, services: HostService[]) {
    super(sim, "HostServiceSystem", value);
    const info = { _type: "HostServiceInfo", service: services };
    this.props.serviceInfo = info;
    this.sim.inventory.get(host.value)?.update({ "config.service": info });
  }

  services(): HostService[] {
    return (this.props.serviceInfo as { service: HostService[] }).service;
  }

  /** Is service `key` installed and running? (false for one that is not installed) */
  isRunning(key: string): boolean {
    return this.services().some((s) => s.key === key && s.running);
  }

  private set(services: HostService[]): void {
    const info = { _type: "HostServiceInfo", service: services };
    this.update({ serviceInfo: info });
    this.sim.inventory.get(this.host.value)?.update({ "config.service": info });
  }

  private find(id: unknown): HostService {
    const svc = this.services().find((s) => s.key === id);
    if (!svc) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: service ${String(id)}`);
    return svc;
  }

  private change(id: unknown, fn: (s: HostService) => HostService): void {
    const svc = this.find(id);
    const next = fn(svc);
    if (next === svc) return;
    this.set(this.services().map((s) => (s === svc ? next : s)));
  }

  StartService(args: Args): void {
    this.change(args.id, (s) => (s.running ? s : { ...s, running: true }));
  }

  StopService(args: Args): void {
    this.change(args.id, (s) => (s.running ? { ...s, running: false } : s));
  }

  RestartService(args: Args): void {
    // the daemon goes down and comes back: a new value even when it was running
    this.change(args.id, (s) => ({ ...s, running: true }));
  }

  UpdateServicePolicy(args: Args): void {
    const policy = args.policy;
    this.find(args.id);
    if (typeof policy !== "string" || !POLICIES.includes(policy)) {
      throw new VimFault("InvalidArgument", { invalidProperty: "policy" }, `A specified parameter was not correct: policy (${JSON.stringify(policy)} is not one of ${POLICIES.join(", ")})`);
    }
    this.change(args.id, (s) => (s.policy === policy ? s : { ...s, policy }));
  }

  /** Nothing changes on a simulated host behind hostd's back. */
  RefreshServices(_args: Args): void {}

  /** Every service of a stock ESXi 6.0 reads uninstallable=false; one that is uninstallable stops and goes. */
  UninstallService(args: Args): void {
    const svc = this.find(args.id);
    if (!svc.uninstallable) throw new VimFault("HostConfigFault", {}, `Service ${svc.key} cannot be uninstalled.`);
    this.set(this.services().filter((s) => s !== svc));
  }
}
