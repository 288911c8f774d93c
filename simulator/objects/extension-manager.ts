// ExtensionManager (vCenter): solutions register themselves here (VIC 0.5+
// registers the VCH as an extension with its certificate).
import { VimFault, type DataObject } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

export class ExtensionManager extends ManagedObject {
  constructor(sim: SimContext, value: string) {
    super(sim, "ExtensionManager", value);
    this.props.extensionList = [];
  }

  private list(): (DataObject & { key: string })[] {
    return this.props.extensionList as (DataObject & { key: string })[];
  }

  RegisterExtension(args: Args): void {
    const ext = args.extension as DataObject & { key: string };
    if (!ext.key) throw new VimFault("InvalidArgument", { invalidProperty: "extension.key" });
    if (this.list().some((e) => e.key === ext.key)) throw new VimFault("InvalidArgument", { invalidProperty: "extension.key" }, `An extension with key ${ext.key} is already registered.`);
    this.update({ extensionList: [...this.list(), { ...ext, lastHeartbeatTime: this.sim.clock.now() }] });
  }

  UnregisterExtension(args: Args): void {
    if (!this.list().some((e) => e.key === args.extensionKey)) throw new VimFault("NotFound", {});
    this.update({ extensionList: this.list().filter((e) => e.key !== args.extensionKey) });
  }

  UpdateExtension(args: Args): void {
    const ext = args.extension as DataObject & { key: string };
    if (!this.list().some((e) => e.key === ext.key)) throw new VimFault("NotFound", {});
    this.update({ extensionList: this.list().map((e) => (e.key === ext.key ? { ...ext, lastHeartbeatTime: this.sim.clock.now() } : e)) });
  }

  FindExtension(args: Args): DataObject | undefined {
    return this.list().find((e) => e.key === args.extensionKey);
  }

  SetExtensionCertificate(args: Args): void {
    if (!this.list().some((e) => e.key === args.extensionKey)) throw new VimFault("NotFound", {});
  }
}
