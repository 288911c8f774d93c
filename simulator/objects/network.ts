// Network: a standard port group as the inventory shows it (hostd names it HaNetwork-<name>).
// DestroyNetwork removes one that no host and no VM uses (ResourceInUse
// otherwise); a host's port group keeps its network, so on hostd, whose one
// host has every network it shows, the answer is always ResourceInUse.
import { VimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import type { Args, CallContext, ManagedObject } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

export class Network extends ManagedEntity {
  constructor(sim: SimContext, type: string, value: string, name: string, parent: ManagedObjectReference) {
    super(sim, type, value, name, parent);
    Object.assign(this.props, {
      host: [],
      vm: [],
      summary: { _type: "NetworkSummary", network: this.ref, name, accessible: true, ipPoolName: "" },
    });
  }

  addHost(host: ManagedObjectReference): void {
    this.update({ host: [...(this.props.host as ManagedObjectReference[]), host] });
  }

  removeHost(host: ManagedObjectReference): void {
    this.update({ host: (this.props.host as ManagedObjectReference[]).filter((r) => r.value !== host.value) });
  }

  DestroyNetwork(_args: Args, _ctx: CallContext): void {
    const inUse = refs(this, "vm").length || refs(this, "host").length;
    if (inUse) throw new VimFault("ResourceInUse", { type: "Network", name: this.name }, `The resource '${this.name}' is in use.`);
    datacenterOf(this)?.removeNetwork(this.ref);
    this.destroy();
  }
}

const refs = (o: ManagedObject, prop: string) => (o.props[prop] as ManagedObjectReference[] | undefined) ?? [];
const has = (o: ManagedObject, prop: string, ref: ManagedObjectReference) => refs(o, prop).some((r) => r.value === ref.value);

/** The host reaches `net`: the network lists the host, the host and its compute resource list the network. */
export function linkNetwork(sim: SimContext, net: Network, host: ManagedObjectReference): void {
  const h = sim.inventory.get(host.value);
  if (!has(net, "host", host)) net.addHost(host);
  if (!h) return;
  if (!has(h, "network", net.ref)) h.update({ network: [...refs(h, "network"), net.ref] });
  const cr = h instanceof ManagedEntity ? h.parentObject() : undefined;
  if (cr && !has(cr, "network", net.ref)) cr.update({ network: [...refs(cr, "network"), net.ref] });
}

/** The host no longer reaches `net`; its compute resource keeps the network while another of its hosts has it. */
export function unlinkNetwork(sim: SimContext, net: Network, host: ManagedObjectReference): void {
  if (has(net, "host", host)) net.removeHost(host);
  const h = sim.inventory.get(host.value);
  if (!h) return;
  if (has(h, "network", net.ref)) h.update({ network: refs(h, "network").filter((r) => r.value !== net.ref.value) });
  const cr = h instanceof ManagedEntity ? h.parentObject() : undefined;
  if (!cr || !has(cr, "network", net.ref)) return;
  const stillThere = refs(cr, "host").some((r) => r.value !== host.value && sim.inventory.get(r.value) && has(sim.inventory.get(r.value)!, "network", net.ref));
  if (!stillThere) cr.update({ network: refs(cr, "network").filter((r) => r.value !== net.ref.value) });
}
