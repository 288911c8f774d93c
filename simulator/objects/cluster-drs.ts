// DRS in manual mode, for ClusterComputeResource (compute-resource.ts): the
// cluster's `recommendation` list, what ApplyRecommendation carries out, and
// the hosts ClusterEnterMaintenanceMode would move VMs to. Helpers only; the
// vim methods stay on ComputeResource.
//
// vCenter's DRS weighs CPU and memory demand over time; its figures are not
// documented. This simulator's rule is simple and deterministic:
// - placement (a VM powered on through Datacenter.PowerOnMultiVM_Task in a
//   cluster whose DRS is enabled and manual for the VM): the eligible host
//   (connected, out of maintenance mode, mounting the VM's datastores) with
//   the most memory not yet given to running VMs, first in the cluster's
//   host order on a tie; reason "powerOnVm", rating 5.
// - balance (RefreshRecommendation, DRS enabled and not fully automated):
//   the eligible hosts' memory given to running VMs is compared; when moving
//   one running VM from the most to the least loaded host narrows the gap,
//   the VM that narrows it most (the first by moref on a tie) is recommended
//   to move, one recommendation per refresh; reason "fairnessMemAvg", rating
//   3 (DRS rates by the imbalance it fixes; its scale is not documented).
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { ManagedObject } from "./managed-object.ts";
import { freeMemoryMB, hostTakesVms, mounts } from "./vm-placement.ts";

type Obj = DataObject & Record<string, any>;

function hostsOf(cluster: ManagedObject): ManagedObject[] {
  return ((cluster.props.host as ManagedObjectReference[] | undefined) ?? []).map((r) => cluster.sim.inventory.get(r.value)).filter((h): h is ManagedObject => !!h);
}

function memoryOf(vm: ManagedObject): number {
  return Number((vm.props.config as { hardware?: { memoryMB?: number } }).hardware?.memoryMB ?? 0);
}

function runningOn(host: ManagedObject): ManagedObject[] {
  return ((host.props.vm as ManagedObjectReference[] | undefined) ?? [])
    .map((r) => host.sim.inventory.get(r.value))
    .filter((v): v is ManagedObject => (v?.props.runtime as { powerState?: string } | undefined)?.powerState === "poweredOn");
}

/** Hosts that could run the VM, best (most free memory) first; `except` is left out (the host it leaves). */
export function hostsFor(cluster: ManagedObject, vm: ManagedObject, except?: ManagedObjectReference): ManagedObject[] {
  const datastores = (vm.props.datastore as ManagedObjectReference[] | undefined) ?? [];
  const hosts = hostsOf(cluster).filter((h) => h.ref.value !== except?.value && hostTakesVms(h) && datastores.every((d) => mounts(h, d)));
  // a stable sort keeps the cluster's host order on a tie
  return hosts.map((h) => ({ h, free: freeMemoryMB(cluster.sim, h) })).sort((a, b) => b.free - a.free).map((x) => x.h);
}

/** The DRS behaviour that applies to the VM: its override in drsVmConfig, else the cluster's default; undefined when DRS is off. */
export function drsBehaviorFor(cluster: ManagedObject, vm: ManagedObjectReference): string | undefined {
  const cfg = cluster.props.configurationEx as Obj;
  if (!cfg?.drsConfig?.enabled) return undefined;
  const own = ((cfg.drsVmConfig as Obj[] | undefined) ?? []).find((c) => c.key?.value === vm.value);
  return String(own?.behavior ?? cfg.drsConfig.defaultVmBehavior ?? "fullyAutomated");
}

function recommendation(cluster: ManagedObject, reason: string, rating: number, reasonText: string, action: Obj): Obj {
  return {
    _type: "ClusterRecommendation", key: String(cluster.sim.ids.next(`drs-recommendation:${cluster.ref.value}`)), type: "V1",
    time: cluster.sim.clock.now(), rating, reason, reasonText, target: cluster.ref, action: [action],
  };
}

/** A placement recommendation for powering the VM on, or undefined when no host of the cluster can run it. */
export function placementRecommendation(cluster: ManagedObject, vm: ManagedObject): Obj | undefined {
  const host = hostsFor(cluster, vm)[0];
  if (!host) return undefined;
  return recommendation(cluster, "powerOnVm", 5, `Power on ${String(vm.props.name)} on ${String(host.props.name)}`, {
    _type: "ClusterInitialPlacementAction", type: "PlacementV1", target: vm.ref, targetHost: host.ref, pool: vm.props.resourcePool,
  });
}

export function migrationAction(cluster: ManagedObject, vm: ManagedObject, source: ManagedObject, destination: ManagedObject): Obj {
  return {
    _type: "ClusterMigrationAction", type: "MigrationV1", target: vm.ref,
    drsMigration: {
      _type: "ClusterDrsMigration", key: String(cluster.sim.ids.next(`drs-migration:${cluster.ref.value}`)), time: cluster.sim.clock.now(), vm: vm.ref,
      memoryLoad: memoryOf(vm) * 1048576, source: source.ref, destination: destination.ref,
    },
  };
}

/** The balancing recommendation (see the header), or undefined when the cluster is as balanced as one move can make it. */
export function balanceRecommendation(cluster: ManagedObject): Obj | undefined {
  const hosts = hostsOf(cluster).filter(hostTakesVms);
  if (hosts.length < 2) return undefined;
  const load = (h: ManagedObject) => runningOn(h).reduce((s, v) => s + memoryOf(v), 0);
  let from = hosts[0], to = hosts[0];
  for (const h of hosts) {
    if (load(h) > load(from)) from = h;
    if (load(h) < load(to)) to = h;
  }
  const gap = load(from) - load(to);
  let best: ManagedObject | undefined;
  for (const vm of runningOn(from).sort((a, b) => a.ref.value.localeCompare(b.ref.value, undefined, { numeric: true }))) {
    const m = memoryOf(vm);
    const datastores = (vm.props.datastore as ManagedObjectReference[] | undefined) ?? [];
    if (!(m > 0 && m < gap) || !datastores.every((d) => mounts(to, d))) continue;
    if (!best || Math.abs(gap - 2 * m) < Math.abs(gap - 2 * memoryOf(best))) best = vm;
  }
  if (!best) return undefined;
  return recommendation(cluster, "fairnessMemAvg", 3, `Balance average memory load: migrate ${String(best.props.name)} from ${String(from.props.name)} to ${String(to.props.name)}`, migrationAction(cluster, best, from, to));
}

/** The recommendation of the cluster's list with that key, or InvalidArgument (the API reference lists no fault; vpxd's is not confirmed). */
export function findRecommendation(cluster: ManagedObject, key: unknown): Obj {
  const rec = ((cluster.props.recommendation as Obj[] | undefined) ?? []).find((r) => r.key === String(key));
  if (!rec) throw new VimFault("InvalidArgument", { invalidProperty: "key" }, `No recommendation with key ${String(key)}.`);
  return rec;
}
