// HostSnmpSystem: the SNMP agent of an ESXi host (configManager.snmpSystem,
// ha-snmp-agent) or of vCenter itself (the service content's snmpSystem).
// `configuration` is the agent's HostSnmpConfigSpec; ReconfigureSnmpAgent
// replaces the fields it is given and keeps the others, once the whole spec
// has passed the checks (nothing is half-applied). `limits` are the agent's
// bounds, which the checks use: ESXi's esxcli documents up to ten
// communities of at most 64 characters and three trap targets; vCenter's
// settings have four receivers. A test notification goes nowhere (there
// is no network to send a trap on), but it is refused as the agent would
// refuse it: when it is off or has no target.
import { VimFault, type DataObject } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

type Destination = DataObject & { hostName: string; port: number; community: string };
type Config = DataObject & { enabled?: boolean; port?: number; readOnlyCommunities?: string[]; trapTargets?: Destination[]; option?: DataObject[] };
type Limits = DataObject & { maxReadOnlyCommunities: number; maxTrapDestinations: number; maxCommunityLength: number; maxBufferSize: number; capability: string };

const invalid = (property: string, why: string) => new VimFault("InvalidArgument", { invalidProperty: property }, `A specified parameter was not correct: ${property} (${why})`);
const list = <T>(v: unknown): T[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]) as T[];
const isPort = (v: unknown) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;

export class HostSnmpSystem extends ManagedObject {
  constructor(sim: SimContext, value: string) {
    super(sim, "HostSnmpSystem", value);
    // a fresh install: the agent off on ESXi, on at vCenter; port 161 on both. maxBufferSize is not documented: ours
    this.props.configuration = { _type: "HostSnmpConfigSpec", enabled: sim.isVCenter, port: 161, readOnlyCommunities: [], trapTargets: [], option: [] };
    this.props.limits = {
      _type: "HostSnmpSystemAgentLimits", maxReadOnlyCommunities: 10, maxTrapDestinations: sim.isVCenter ? 4 : 3,
      maxCommunityLength: 64, maxBufferSize: 1472, capability: "COMPLETE",
    };
  }

  private get config(): Config {
    return this.props.configuration as Config;
  }

  private get limits(): Limits {
    return this.props.limits as Limits;
  }

  private community(v: unknown, property: string): string {
    if (typeof v !== "string" || !v || v.length > this.limits.maxCommunityLength) throw invalid(property, `a community is 1 to ${this.limits.maxCommunityLength} characters`);
    return v;
  }

  ReconfigureSnmpAgent(args: Args): void {
    const spec = args.spec as Config | undefined;
    if (!spec || typeof spec !== "object") throw invalid("spec", "an SNMP agent configuration is required");
    const next: Config = { ...this.config };
    if (spec.enabled !== undefined) next.enabled = !!spec.enabled;
    if (spec.port !== undefined) {
      if (!isPort(spec.port)) throw invalid("spec.port", `${String(spec.port)} is not a UDP port`);
      next.port = spec.port;
    }
    if (spec.readOnlyCommunities !== undefined) {
      const cs = list<unknown>(spec.readOnlyCommunities);
      if (cs.length > this.limits.maxReadOnlyCommunities) throw invalid("spec.readOnlyCommunities", `at most ${this.limits.maxReadOnlyCommunities} communities`);
      next.readOnlyCommunities = cs.map((c, i) => this.community(c, `spec.readOnlyCommunities[${i}]`));
    }
    if (spec.trapTargets !== undefined) {
      const ts = list<Destination>(spec.trapTargets);
      if (ts.length > this.limits.maxTrapDestinations) throw invalid("spec.trapTargets", `at most ${this.limits.maxTrapDestinations} trap targets`);
      next.trapTargets = ts.map((t, i) => {
        const at = `spec.trapTargets[${i}]`;
        if (!t || typeof t !== "object") throw invalid(at, "not a HostSnmpDestination");
        if (typeof t.hostName !== "string" || !t.hostName.trim() || /\s/.test(t.hostName)) throw invalid(`${at}.hostName`, `${JSON.stringify(t.hostName)} is not a host name or address`);
        if (!isPort(t.port)) throw invalid(`${at}.port`, `${String(t.port)} is not a UDP port`);
        return { _type: "HostSnmpDestination", hostName: t.hostName, port: t.port, community: this.community(t.community, `${at}.community`) };
      });
    }
    if (spec.option !== undefined) {
      next.option = list<DataObject & { key?: unknown; value?: unknown }>(spec.option).map((o, i) => {
        if (!o || typeof o.key !== "string" || !o.key) throw invalid(`spec.option[${i}].key`, "an option needs a key");
        return { _type: "KeyValue", key: o.key, value: String(o.value ?? "") };
      });
    }
    this.update({ configuration: next });
  }

  SendTestNotification(_args: Args): void {
    // the method declares NotFound and InsufficientResourcesFault; NotFound for "no agent or target to send to" is our reading
    if (!this.config.enabled) throw new VimFault("NotFound", {}, "The object or item referred to could not be found: the SNMP agent is not enabled.");
    if (!this.config.trapTargets?.length) throw new VimFault("NotFound", {}, "The object or item referred to could not be found: the SNMP agent has no trap target.");
  }
}
