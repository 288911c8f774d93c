// GuestOperationsManager: the door to guest operations. hostd hands them to
// the VM's tools; here the running guest program answers them
// (GuestInstance.processes), so a guest without that handler is a guest
// whose tools cannot do operations.
import { ManagedObject } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { moref } from "../../vim25/soap/index.ts";

export class GuestOperationsManager extends ManagedObject {
  constructor(sim: SimContext, value: string, processManager: string, fileManager: string) {
    super(sim, "GuestOperationsManager", value);
    this.props.processManager = moref("GuestProcessManager", processManager);
    this.props.fileManager = moref("GuestFileManager", fileManager);
  }
}
