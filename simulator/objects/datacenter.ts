import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedEntity } from "./managed-entity.ts";
import type { SimContext } from "../sim-context.ts";
import { VimFault } from "../../vim25/soap/index.ts";

export class Datacenter extends ManagedEntity {
  constructor(sim: SimContext, value: string, name: string, parent: ManagedObjectReference, folders: { vm: ManagedObjectReference; host: ManagedObjectReference; datastore: ManagedObjectReference; network: ManagedObjectReference }) {
    super(sim, "Datacenter", value, name, parent);
    Object.assign(this.props, {
      vmFolder: folders.vm,
      hostFolder: folders.host,
      datastoreFolder: folders.datastore,
      networkFolder: folders.network,
      datastore: [],
      network: [],
      configuration: { _type: "DatacenterConfigInfo", defaultHardwareVersionKey: undefined },
    });
  }

  override children(): ManagedObjectReference[] {
    return ["vmFolder", "hostFolder", "datastoreFolder", "networkFolder"].map((p) => this.props[p] as ManagedObjectReference);
  }

  addDatastore(ref: ManagedObjectReference): void {
    this.update({ datastore: [...(this.props.datastore as ManagedObjectReference[]), ref] });
  }

  addNetwork(ref: ManagedObjectReference): void {
    this.update({ network: [...(this.props.network as ManagedObjectReference[]), ref] });
  }

  removeNetwork(ref: ManagedObjectReference): void {
    this.update({ network: (this.props.network as ManagedObjectReference[]).filter((r) => r.value !== ref.value) });
  }

  override destroy(): void {
    if (!this.sim.isVCenter) throw new VimFault("NotSupported", {});
    for (const r of this.children()) {
      const f = this.sim.inventory.get(r.value);
      if (f instanceof ManagedEntity) {
        for (const c of f.children()) {
          const o = this.sim.inventory.get(c.value);
          if (o instanceof ManagedEntity) o.destroy();
        }
        this.sim.inventory.remove(f);
      }
    }
    super.destroy();
  }
}
