// HostFirewallSystem: rulesets and the default policy. The host's
// config.firewall is the same information and is kept in step.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

type Ruleset = DataObject & { key: string; enabled: boolean; required: boolean };

export class HostFirewallSystem extends ManagedObject {
  constructor(sim: SimContext, value: string, readonly host: ManagedObjectReference, info: DataObject) {
    super(sim, "HostFirewallSystem", value);
    this.props.firewallInfo = info;
  }

  private info(): DataObject & { ruleset: Ruleset[] } {
    return this.props.firewallInfo as DataObject & { ruleset: Ruleset[] };
  }

  private set(info: DataObject): void {
    this.update({ firewallInfo: info });
    const h = this.sim.inventory.get(this.host.value);
    if (h) h.update({ "config.firewall": info });
  }

  private withRuleset(id: string, fn: (r: Ruleset) => Ruleset): void {
    const info = this.info();
    if (!info.ruleset.some((r) => r.key === id)) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: ruleset ${id}`);
    this.set({ ...info, ruleset: info.ruleset.map((r) => (r.key === id ? fn(r) : r)) });
  }

  EnableRuleset(args: Args): void {
    this.withRuleset(args.id, (r) => ({ ...r, enabled: true }));
  }

  DisableRuleset(args: Args): void {
    this.withRuleset(args.id, (r) => {
      if (r.required) throw new VimFault("HostConfigFault", {}, `Ruleset ${args.id} is required and cannot be disabled.`);
      return { ...r, enabled: false };
    });
  }

  UpdateRuleset(args: Args): void {
    this.withRuleset(args.id, (r) => ({ ...r, allowedHosts: args.spec.allowedHosts }));
  }

  UpdateDefaultPolicy(args: Args): void {
    const info = this.info();
    const p = { ...(info.defaultPolicy as DataObject) };
    if (args.defaultPolicy.incomingBlocked !== undefined) p.incomingBlocked = args.defaultPolicy.incomingBlocked;
    if (args.defaultPolicy.outgoingBlocked !== undefined) p.outgoingBlocked = args.defaultPolicy.outgoingBlocked;
    this.set({ ...info, defaultPolicy: p });
  }

  RefreshFirewall(_args: Args): void {}

  /** Does the firewall let this host open an outbound TCP connection to `port`? */
  allowsOutbound(port: number, protocol: "tcp" | "udp" = "tcp"): boolean {
    const info = this.info();
    if (!(info.defaultPolicy as { outgoingBlocked: boolean }).outgoingBlocked) return true;
    return info.ruleset.some((r) => r.enabled && (r.rule as { port: number; endPort?: number; direction: string; protocol: string }[]).some((x) =>
      x.direction === "outbound" && x.protocol === protocol && port >= x.port && port <= (x.endPort ?? x.port)));
  }
}
