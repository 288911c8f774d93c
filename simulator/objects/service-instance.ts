import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import type { DataObject } from "../../vim25/soap/index.ts";

export class ServiceInstance extends ManagedObject {
  constructor(sim: SimContext) {
    super(sim, "ServiceInstance", "ServiceInstance");
    this.props.content = sim.content;
    this.props.capability = {
      _type: "Capability",
      provisioningSupported: sim.isVCenter,
      multiHostSupported: sim.isVCenter,
      userShellAccessSupported: !sim.isVCenter,
      supportedEVCMode: [],
      networkBackupAndRestoreSupported: false,
    };
  }

  override get(name: string): unknown {
    if (name === "serverClock") return this.sim.clock.now();
    return super.get(name);
  }

  RetrieveServiceContent(_args: Args): DataObject {
    return this.sim.content;
  }

  CurrentTime(_args: Args): Date {
    return this.sim.clock.now();
  }
}
