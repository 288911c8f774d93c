// GuestProcessManager: StartProgramInGuest and its kin, answered by the
// running guest program. VIC's port layer stops and signals containers with
// StartProgramInGuest (`kill`), so the faults are those a client sees from
// real tools: GuestOperationsUnavailable without tools, InvalidGuestLogin,
// FileNotFound, GuestProcessNotFound, GuestPermissionDenied.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import type { VirtualMachine } from "./virtual-machine.ts";
import type { GuestInstance, GuestProcessInfo } from "../../hardware/guest-hardware.ts";
import type { GuestOs } from "../guest/guest-os.ts";

export class GuestProcessManager extends ManagedObject {
  constructor(sim: SimContext, value: string) {
    super(sim, "GuestProcessManager", value);
  }

  StartProgramInGuest(args: Args): number {
    const g = guestFor(this.sim, args, (i) => i.processes);
    const spec = args.spec as DataObject & { programPath: string; arguments: string; workingDirectory?: string; envVariables?: string[] };
    if (!spec?.programPath) throw new VimFault("InvalidArgument", { invalidProperty: "spec.programPath" });
    return askGuest(g.os, () => g.handler.start({ programPath: spec.programPath, arguments: spec.arguments ?? "", workingDirectory: spec.workingDirectory, envVariables: spec.envVariables ?? [] }, g.user), { file: spec.programPath });
  }

  ListProcessesInGuest(args: Args): DataObject[] {
    const g = guestFor(this.sim, args, (i) => i.processes);
    const pids = (args.pids as number[] | undefined)?.map(Number);
    const list: GuestProcessInfo[] = askGuest(g.os, () => g.handler.list(pids?.length ? pids : undefined), {});
    return list.map((p) => ({ _type: "GuestProcessInfo", name: p.name, pid: p.pid, owner: p.owner, cmdLine: p.cmdLine, startTime: p.startTime, endTime: p.endTime, exitCode: p.exitCode }));
  }

  TerminateProcessInGuest(args: Args): void {
    const g = guestFor(this.sim, args, (i) => i.processes);
    const pid = Number(args.pid);
    askGuest(g.os, () => g.handler.terminate(pid), { pid });
  }

  ReadEnvironmentVariableInGuest(args: Args): string[] {
    const g = guestFor(this.sim, args, (i) => i.processes);
    const names = args.names as string[] | undefined;
    return askGuest(g.os, () => g.handler.environment?.(names?.length ? names : undefined) ?? [], {});
  }
}

/**
 * The running guest that answers guest operations on `args.vm`, after the
 * checks hostd makes: the VM exists and runs, its tools run and do this kind
 * of operation (`pick`), and the login is good.
 */
export function guestFor<H>(sim: SimContext, args: Args, pick: (i: GuestInstance) => H | undefined): { os: GuestOs; handler: H; user: string; vm: VirtualMachine } {
  const ref = args.vm as ManagedObjectReference;
  const vm = sim.inventory.get(ref?.value) as VirtualMachine | undefined;
  if (!vm || vm.type !== "VirtualMachine") throw new VimFault("ManagedObjectNotFound", { obj: ref });
  if (vm.powerState !== "poweredOn") throw new VimFault("InvalidPowerState", { requestedState: "poweredOn", existingState: vm.powerState });
  const os = sim.guests.of(vm)?.os;
  const handler = os?.tools && os.instance ? pick(os.instance) : undefined;
  if (!os || !handler) throw new VimFault("GuestOperationsUnavailable", {}, "The guest operations agent could not be contacted.");
  const auth = args.auth as DataObject & { username?: string; password?: string };
  if (auth?._type !== "NamePasswordAuthentication" || !auth.username) throw new VimFault("InvalidGuestLogin", {}, "Failed to authenticate with the guest operating system using the supplied credentials.");
  const check = os.instance?.processes?.authenticate;
  const ok = check ? askGuest(os, () => check(String(auth.username), String(auth.password ?? "")), {}) : true;
  if (!ok) throw new VimFault("InvalidGuestLogin", {}, "Failed to authenticate with the guest operating system using the supplied credentials.");
  return { os, handler, user: String(auth.username), vm };
}

/** Call into the guest: its refusals become faults, anything else it throws crashes it. */
export function askGuest<T>(os: GuestOs, fn: () => T, ctx: { file?: string; pid?: number }): T {
  try {
    return fn();
  } catch (e) {
    const code = (e as { code?: string }).code;
    const msg = e instanceof Error ? e.message : String(e);
    if (code === "ENOENT") throw new VimFault("FileNotFound", { file: ctx.file ?? "" }, msg);
    if (code === "EEXIST") throw new VimFault("FileAlreadyExists", { file: ctx.file ?? "" }, msg);
    if (code === "EISDIR" || code === "ENOTDIR") throw new VimFault("NotAFile", { file: ctx.file ?? "" }, msg);
    if (code === "ESRCH") throw new VimFault("GuestProcessNotFound", { pid: ctx.pid ?? 0 }, msg);
    if (code === "EACCES") throw new VimFault("GuestPermissionDenied", {}, msg);
    os.crash(e);
    throw new VimFault("GuestOperationsUnavailable", {}, "The guest operations agent could not be contacted.");
  }
}
