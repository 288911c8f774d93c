// A host's power and lockdown lifecycle, for HostSystem (host-system.ts):
// RebootHost_Task and ShutdownHost_Task, the overhead estimate of
// QueryMemoryOverhead(Ex), and what a host that is off answers. Helpers
// only; the vim methods stay on HostSystem, where the dispatcher finds them.
//
// What the simulator can honestly do with a reboot: it completes at once.
// The host passes through the state vCenter shows while it is down
// (notResponding, power state unknown) and comes back connected with a new
// runtime.bootTime from the injected clock; its running VMs were powered
// off (a forced reboot kills them; hostd does not restart them unless
// autostart says so, which this simulator leaves out). On a standalone ESXi
// host the real client loses its connection and its session at the reboot
// and never sees the task end; the simulator keeps answering, so the task
// ends in success and the session lives on.
// A boot (a new bootTime) is also when settings that wait for one take
// effect: each configuration manager of the host with a hostBooted() gets
// the call (HostCpuSchedulerSystem's hyperthreading).
//
// Standby (PowerDownHostToStandBy_Task, vCenter's DPM operation) is a host
// vCenter powered down and can wake (Wake-on-LAN or IPMI): runtime.powerState
// standBy and standbyMode "in", connectionState still connected (vCenter keeps
// the host; whether it reads notResponding meanwhile is not confirmed). Like
// a shut-down host it answers HostNotConnected, except to
// PowerUpHostFromStandBy_Task, which brings it back with a new bootTime.
// The host must be in maintenance mode first (InvalidState otherwise): the
// simulator's DPM does not evacuate it on its own.
//
// A shut-down host stays off until /_sim/reset or a snapshot restore:
// runtime.powerState poweredOff (the value the API gives for a host the user
// powered off through vCenter) and connectionState notResponding (vCenter
// stops getting heartbeats); its VMs read disconnected, so their tasks answer
// HostNotConnected, as do the host's own methods. On a standalone ESXi host
// nothing would answer at all; the simulator answers as vCenter would.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { ManagedObject } from "./managed-object.ts";

type HostRuntime = { connectionState: string; powerState: string; inMaintenanceMode: boolean; bootTime?: Date; standbyMode?: string; cryptoState?: string; cryptoKeyId?: DataObject; dasHostState?: DataObject };

type PowerableVm = ManagedObject & { powerState: string; forcePower(state: "poweredOff", userName: string): void; setConnectionState(s: "connected" | "disconnected"): void };

/** The host's VMs, as objects. */
export function vmsOf(host: ManagedObject): PowerableVm[] {
  return ((host.props.vm as ManagedObjectReference[] | undefined) ?? []).map((r) => host.sim.inventory.get(r.value) as PowerableVm | undefined).filter((v): v is PowerableVm => !!v);
}

export function runtimeOf(host: ManagedObject): HostRuntime {
  return host.props.runtime as HostRuntime;
}

/**
 * The fault of a call that cannot reach a host: the host's name when the
 * caller knows which (vpxd's message for a VM's own host, reached through
 * the VM, names none).
 */
export function hostNotConnected(host?: ManagedObject): VimFault {
  return new VimFault("HostNotConnected", {}, `Unable to communicate with the remote host${host ? ` ${String(host.props.name)}` : ""}, since it is disconnected.`);
}

/** A host whose methods can reach it: not shut down or in standby, not disconnected from vCenter. */
export function requireReachable(host: ManagedObject): void {
  const rt = runtimeOf(host);
  if (rt.powerState === "poweredOff" || rt.powerState === "standBy" || rt.connectionState !== "connected") throw hostNotConnected(host);
}

/**
 * What RebootHost_Task and ShutdownHost_Task check first: the host answers,
 * supports the operation (HostCapability.rebootSupported,
 * shutdownSupported: NotSupported otherwise), and is in maintenance mode
 * unless force is set (InvalidState: the API reference's one fault for it).
 */
/**
 * What PowerDownHostToStandBy_Task checks: vCenter (hostd cannot wake
 * itself: NotSupported), a reachable host that can stand by
 * (capability.standbySupported), in maintenance mode with no VM running.
 */
export function checkStandby(host: ManagedObject, isVCenter: boolean): void {
  if (!isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
  requireReachable(host);
  if (!(host.props.capability as { standbySupported?: boolean }).standbySupported) throw new VimFault("NotSupported", {});
  if (!runtimeOf(host).inMaintenanceMode) {
    throw new VimFault("InvalidState", {}, `The operation is not allowed in the current state of the host ${String(host.props.name)}: it is not in maintenance mode.`);
  }
  if (vmsOf(host).some((vm) => vm.powerState === "poweredOn")) throw new VimFault("InvalidState", {}, `The host ${String(host.props.name)} has powered-on virtual machines.`);
}

export function checkPowerOp(host: ManagedObject, op: "reboot" | "shutdown", force: boolean): void {
  requireReachable(host);
  const cap = host.props.capability as { rebootSupported?: boolean; shutdownSupported?: boolean };
  if (!(op === "reboot" ? cap.rebootSupported : cap.shutdownSupported)) throw new VimFault("NotSupported", {});
  if (!force && !runtimeOf(host).inMaintenanceMode) {
    throw new VimFault("InvalidState", {}, `The operation is not allowed in the current state of the host ${String(host.props.name)}: it is not in maintenance mode.`);
  }
}

/** The powered-on VMs of the host stop, each with its VmPoweredOffEvent; suspended ones keep their saved state. */
export function stopRunningVms(host: ManagedObject, userName: string): void {
  for (const vm of vmsOf(host)) if (vm.powerState === "poweredOn") vm.forcePower("poweredOff", userName);
}

/** Connection and power state, in runtime and summary.runtime alike. */
export function setHostState(host: ManagedObject, changes: Partial<HostRuntime>): void {
  const paths: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(changes)) {
    paths[`runtime.${k}`] = v;
    paths[`summary.runtime.${k}`] = v;
  }
  host.update(paths);
  if (changes.bootTime !== undefined) hostBooted(host);
}

/** A new bootTime is a boot: the host's configuration managers take up what waited for one (hyperthreading). */
function hostBooted(host: ManagedObject): void {
  const managers = (host.props.configManager as Record<string, ManagedObjectReference | undefined> | undefined) ?? {};
  for (const ref of Object.values(managers)) {
    if (!ref || typeof ref !== "object" || typeof ref.value !== "string") continue;
    (host.sim.inventory.get(ref.value) as (ManagedObject & { hostBooted?: () => void }) | undefined)?.hostBooted?.();
  }
}

/**
 * Overhead memory of a VM, in bytes. A line fitted to the overhead table of
 * the vSphere 6.0 Resource Management Guide ("Overhead Memory on Virtual
 * Machines": 20.29 MB for 1 vCPU and 256 MB up to 168.60 MB for 8 vCPUs
 * and 16 GB): 14.42 MB for the VMX, 3.98 MB per vCPU and 0.74 % of the
 * guest memory for page tables, plus the video RAM, rounded up to whole
 * 4 KB pages. ESXi's own figure also depends on devices it does not expose.
 */
export function memoryOverhead(memoryBytes: number, videoRamBytes: number, numVcpus: number): number {
  const MB = 1024 * 1024;
  const overheadMB = 14.42 + 3.98 * numVcpus + 0.0074 * (memoryBytes / MB);
  return Math.ceil((overheadMB * MB + videoRamBytes) / 4096) * 4096;
}

/** QueryMemoryOverheadEx's input: memory, vCPUs and video RAM of a VirtualMachineConfigInfo. */
export function overheadOfConfig(config: (DataObject & Record<string, any>) | undefined): number {
  const hw = config?.hardware as (DataObject & Record<string, any>) | undefined;
  // a config without its hardware names no VM; the fault is our choice, unconfirmed
  if (!hw || !(Number(hw.memoryMB) > 0)) throw new VimFault("InvalidArgument", { invalidProperty: "vmConfigInfo.hardware.memoryMB" });
  if (!(Number(hw.numCPU) > 0)) throw new VimFault("InvalidArgument", { invalidProperty: "vmConfigInfo.hardware.numCPU" });
  const video = ((hw.device as (DataObject & Record<string, any>)[] | undefined) ?? []).find((d) => d._type === "VirtualMachineVideoCard");
  return memoryOverhead(Number(hw.memoryMB) * 1024 * 1024, Number(video?.videoRamSizeInKB ?? 0) * 1024, Number(hw.numCPU));
}
