// GuestOperationsManager: the door to guest operations. hostd hands them to
// the VM's tools; here the running guest program answers them
// (GuestInstance.processes), so a guest without that handler is a guest
// whose tools cannot do operations.
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { moref, VimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { VirtualMachine } from "./virtual-machine.ts";

const PROCESS_METHODS = ["StartProgramInGuest", "ListProcessesInGuest", "TerminateProcessInGuest", "ReadEnvironmentVariableInGuest"];
const TRANSFER_METHODS = ["InitiateFileTransferToGuest", "InitiateFileTransferFromGuest"];
const TREE_METHODS = [
  "ListFilesInGuest", "MakeDirectoryInGuest", "DeleteFileInGuest", "DeleteDirectoryInGuest", "MoveFileInGuest", "MoveDirectoryInGuest",
  "CreateTemporaryFileInGuest", "CreateTemporaryDirectoryInGuest", "ChangeFileAttributesInGuest",
];

export class GuestOperationsManager extends ManagedObject {
  constructor(sim: SimContext, value: string, processManager: string, fileManager: string) {
    super(sim, "GuestOperationsManager", value);
    this.props.processManager = moref("GuestProcessManager", processManager);
    this.props.fileManager = moref("GuestFileManager", fileManager);
  }

  /**
   * What the VM's tools say they will not do: the process and file methods
   * whose handler the running guest lacks (the ones GuestProcessManager and
   * GuestFileManager would answer GuestOperationsUnavailable). Only those two
   * managers are served here, so methods of the auth, alias and registry
   * managers are not listed (a choice: real tools list what their
   * configuration disables among all of them).
   */
  QueryGuestOperationsDisabledMethods(args: Args): string[] {
    const ref = args.vm as ManagedObjectReference;
    const vm = this.sim.inventory.get(ref?.value) as VirtualMachine | undefined;
    if (!vm || vm.type !== "VirtualMachine") throw new VimFault("ManagedObjectNotFound", { obj: ref });
    if (vm.powerState !== "poweredOn") throw new VimFault("InvalidPowerState", { requestedState: "poweredOn", existingState: vm.powerState });
    const os = this.sim.guests.of(vm)?.os;
    const guest = os?.tools ? os.instance : undefined;
    if (!guest) throw new VimFault("GuestOperationsUnavailable", {}, "The guest operations agent could not be contacted.");
    const out: string[] = [];
    if (!guest.processes) out.push(...PROCESS_METHODS);
    else if (!guest.processes.environment) out.push("ReadEnvironmentVariableInGuest");
    if (!guest.files) out.push(...TRANSFER_METHODS);
    if (!guest.files?.fs) out.push(...TREE_METHODS);
    return out;
  }
}
