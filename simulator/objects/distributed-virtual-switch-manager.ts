// DistributedVirtualSwitchManager (content.dvSwitchManager): finds switches
// and port groups by the UUIDs and keys NIC backings carry, and says which
// switch versions this vCenter can create.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import { DistributedVirtualSwitch, availableSwitchVersions } from "./distributed-virtual-switch.ts";
import type { SimContext } from "../sim-context.ts";

export class DistributedVirtualSwitchManager extends ManagedObject {
  constructor(sim: SimContext, value: string) {
    super(sim, "DistributedVirtualSwitchManager", value);
  }

  private byUuid(uuid: unknown): DistributedVirtualSwitch {
    const sw = this.sim.inventory.ofType("DistributedVirtualSwitch").find((s) => s instanceof DistributedVirtualSwitch && s.uuid === uuid);
    if (!sw) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: switch ${String(uuid)}`);
    return sw as DistributedVirtualSwitch;
  }

  QueryDvsByUuid(args: Args): ManagedObjectReference {
    return this.byUuid(args.uuid).ref;
  }

  DVSManagerLookupDvPortGroup(args: Args): ManagedObjectReference {
    const pg = this.byUuid(args.switchUuid).portgroups().find((p) => p.ref.value === args.portgroupKey);
    if (!pg) throw new VimFault("NotFound", {}, `The object or item referred to could not be found: port group ${String(args.portgroupKey)}`);
    return pg.ref;
  }

  QueryAvailableDvsSpec(_args: Args): DataObject[] {
    if (!this.sim.isVCenter) return [];
    return availableSwitchVersions(this.sim).map((version) => ({ _type: "DistributedVirtualSwitchProductSpec", name: "DVS", vendor: "VMware, Inc.", version }));
  }
}
