// Network: a standard port group as the inventory shows it (hostd names it HaNetwork-<name>).
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedEntity } from "./managed-entity.ts";
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
}
