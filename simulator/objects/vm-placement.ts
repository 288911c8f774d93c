// Where a VM may run: hosts that are connected, out of maintenance mode and
// mount its datastore. CreateVM_Task and its kin take the first such host of
// the compute resource (as before, so inventories stay predictable);
// ClusterComputeResource.PlaceVm recommends as DRS does, the eligible host
// with the most memory not yet given to running VMs, and the eligible
// datastore with the most free space.
import { VimFault, localizedFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { ManagedObject } from "./managed-object.ts";
import { parseDatastorePath } from "../datastore/datastore-path.ts";
import { supportedHardwareVersions } from "./hardware-versions.ts";
import { hardwareVersionOf } from "../formats/vmx-config.ts";
import { hostNotConnected } from "./host-power.ts";

type HostRuntime = { connectionState?: string; inMaintenanceMode?: boolean };

/** A host new VMs may land on: vCenter can reach it and it is not being serviced. */
export function hostTakesVms(host: ManagedObject | undefined): boolean {
  const rt = host?.props.runtime as HostRuntime | undefined;
  return !!rt && rt.connectionState === "connected" && !rt.inMaintenanceMode;
}

/**
 * Why vpxd would put no VM on this host: HostNotConnected, or InvalidHostState
 * in maintenance mode (relocation refuses with it, the checkers report it).
 */
export function hostRefusal(host: ManagedObject): VimFault | undefined {
  const rt = host.props.runtime as HostRuntime;
  const name = String(host.props.name);
  if (rt.connectionState !== "connected") return hostNotConnected(host);
  if (rt.inMaintenanceMode) return new VimFault("InvalidHostState", { host: host.ref }, `The operation is not allowed in the current state of the host ${name} (maintenance mode).`);
  return undefined;
}

/**
 * VirtualHardwareVersionNotSupported when the host's ESXi release cannot run
 * `version` ("vmx-13"): RelocateVM_Task refuses it, the checkers report it
 * (the fault vCenter's migration checks name; the message is ours).
 */
export function versionRefusal(sim: SimContext, host: ManagedObject, version: string | undefined): VimFault | undefined {
  const n = hardwareVersionOf(version);
  const release = String((host.props.summary as { config?: { product?: { version?: string } } } | undefined)?.config?.product?.version ?? sim.scenario.about.version);
  if (n === undefined || supportedHardwareVersions(release).includes(n)) return undefined;
  const hostName = String(host.props.name);
  return new VimFault("VirtualHardwareVersionNotSupported", { hostName, host: host.ref }, `The virtual machine version (${version}) is not supported by the host ${hostName}.`);
}

/**
 * CannotAccessNetwork for each network adapter whose network the host does not
 * have (a standard port group it lacks, a distributed port group of a switch
 * it is not on). `connected`: the adapter is or starts connected, which vCenter
 * refuses; one that is not is only a warning.
 */
export function networkRefusals(sim: SimContext, host: ManagedObject, nics: (DataObject & Record<string, any>)[]): { fault: VimFault; connected: boolean }[] {
  const hostNets = (host.props.network as ManagedObjectReference[] | undefined) ?? [];
  const out: { fault: VimFault; connected: boolean }[] = [];
  for (const d of nics) {
    const key = d.backing?.port?.portgroupKey as string | undefined;
    const net = (d.backing?.network as ManagedObjectReference | undefined) ?? (key ? sim.inventory.get(key)?.ref : undefined);
    if (!net || hostNets.some((r) => r.value === net.value)) continue;
    const name = String(sim.inventory.get(net.value)?.get("name") ?? d.backing?.deviceName ?? net.value);
    const label = String(d.deviceInfo?.label ?? `Network adapter ${d.key}`);
    const connected = !!(d.connectable?.connected || d.connectable?.startConnected);
    out.push({
      connected,
      fault: new VimFault("CannotAccessNetwork", { device: label, backing: name, connected, network: net },
        `${connected ? "Currently connected network" : "Network"} interface '${label}' uses network '${name}', which is not accessible.`),
    });
  }
  return out;
}

/**
 * InvalidDatastoreState for a datastore in maintenance mode or entering it
 * (vCenter's; ESXi has none): vCenter puts no new VM, clone or relocated
 * file on it, and its placement passes it over. The fault is the one the API
 * reference gives for "a datastore in an invalid state (e.g., maintenance mode)".
 */
export function datastoreRefusal(ds: ManagedObject | undefined): VimFault | undefined {
  const mode = (ds?.props.summary as { maintenanceMode?: string } | undefined)?.maintenanceMode;
  if (!ds || !mode || mode === "normal") return undefined;
  const name = String(ds.props.name);
  return new VimFault("InvalidDatastoreState", { datastoreName: name }, `The datastore '${name}' is ${mode === "inMaintenance" ? "in" : "entering"} maintenance mode.`);
}

export function mounts(host: ManagedObject | undefined, datastore: ManagedObjectReference): boolean {
  return ((host?.props.datastore as ManagedObjectReference[] | undefined) ?? []).some((d) => d.value === datastore.value);
}

/** Memory of the host that running VMs have not taken, in MB. */
export function freeMemoryMB(sim: SimContext, host: ManagedObject): number {
  const total = Number((host.props.hardware as { memorySize?: number } | undefined)?.memorySize ?? 0) / (1024 * 1024);
  let used = 0;
  for (const vm of sim.inventory.ofType("VirtualMachine")) {
    const rt = vm.props.runtime as { host?: ManagedObjectReference; powerState?: string };
    if (rt.host?.value === host.ref.value && rt.powerState === "poweredOn") used += Number((vm.props.config as { hardware?: { memoryMB?: number } }).hardware?.memoryMB ?? 0);
  }
  return total - used;
}

function freeSpace(sim: SimContext, ds: ManagedObjectReference): number {
  return Number((sim.inventory.get(ds.value)?.props.summary as { freeSpace?: number } | undefined)?.freeSpace ?? 0);
}

/**
 * ClusterComputeResource.PlaceVm: one recommendation (a PlacementAction with
 * its relocate spec) for creating, cloning, relocating or reconfiguring a VM,
 * or a drsFault saying why no host will do.
 */
export function placeVmInCluster(sim: SimContext, cluster: ManagedObject, spec: DataObject & Record<string, any>): DataObject {
  const clusterHosts = (cluster.props.host as ManagedObjectReference[] | undefined) ?? [];
  if (clusterHosts.length === 0) throw new VimFault("InvalidState", {}, "The cluster has no hosts to place a virtual machine on.");
  const type = String(spec.placementType ?? "");
  if (!["create", "clone", "relocate", "reconfigure"].includes(type)) throw new VimFault("InvalidArgument", { invalidProperty: "placementSpec.placementType" });
  const vm = spec.vm ? sim.inventory.get((spec.vm as ManagedObjectReference).value) : undefined;
  if (spec.vm && (!vm || vm.type !== "VirtualMachine")) throw new VimFault("ManagedObjectNotFound", { obj: spec.vm });
  if (type !== "create" && !vm) throw new VimFault("InvalidArgument", { invalidProperty: "placementSpec.vm" });
  if ((type === "create" || type === "reconfigure") && !spec.configSpec) throw new VimFault("InvalidArgument", { invalidProperty: "placementSpec.configSpec" });
  for (const h of (spec.hosts ?? []) as ManagedObjectReference[]) {
    if (!clusterHosts.some((c) => c.value === h.value)) throw new VimFault("InvalidArgument", { invalidProperty: "placementSpec.hosts" });
  }

  // the datastores the VM may use: those named, else the one its files name, else the cluster's
  const named = (spec.datastores ?? []) as ManagedObjectReference[];
  const fromFiles = datastoreNamed(sim, cluster, spec.relocateSpec?.datastore ?? spec.configSpec?.files?.vmPathName);
  const stay = type === "reconfigure" && vm ? ((vm.props.datastore as ManagedObjectReference[] | undefined) ?? []).slice(0, 1) : [];
  const datastores = (named.length ? named : fromFiles ? [fromFiles] : stay.length ? stay : ((cluster.props.datastore as ManagedObjectReference[] | undefined) ?? []))
    .filter((d) => type === "reconfigure" || !datastoreRefusal(sim.inventory.get(d.value)));

  const candidates = ((spec.hosts as ManagedObjectReference[] | undefined)?.length ? spec.hosts : clusterHosts) as ManagedObjectReference[];
  const current = (vm?.props.runtime as { host?: ManagedObjectReference } | undefined)?.host;
  const hosts = (type === "reconfigure" && current ? candidates.filter((h) => h.value === current.value) : candidates)
    .map((h) => sim.inventory.get(h.value))
    .filter((h): h is ManagedObject => hostTakesVms(h) && datastores.some((d) => mounts(h, d)));
  if (hosts.length === 0) {
    const fault = localizedFault(new VimFault("NoCompatibleHost", { host: candidates }, "No host is compatible with the virtual machine."));
    return { _type: "PlacementResult", drsFault: { _type: "ClusterDrsFaults", reason: "xvmotionPlacement", faultsByVm: [{ _type: "ClusterDrsFaultsFaultsByVm", vm: spec.vm, fault: [fault] }] } };
  }
  const host = hosts.reduce((best, h) => (freeMemoryMB(sim, h) > freeMemoryMB(sim, best) ? h : best));
  const datastore = datastores.filter((d) => mounts(host, d)).reduce((best, d) => (freeSpace(sim, d) > freeSpace(sim, best) ? d : best));
  const relocateSpec = { _type: "VirtualMachineRelocateSpec", datastore, host: host.ref, pool: spec.relocateSpec?.pool ?? cluster.props.resourcePool };
  // the codes vpxd gives placements (vcsim answers xvmotionPlacement too); a reconfigure stays where it is
  const reason = type === "reconfigure" ? "checkResource" : "xvmotionPlacement";
  return {
    _type: "PlacementResult",
    recommendations: [{
      _type: "ClusterRecommendation", key: String(sim.ids.next("placement")), type: "V1", time: sim.clock.now(), rating: 5,
      reason, reasonText: `Placement of ${vm ? String(vm.props.name) : String(spec.configSpec?.name ?? spec.cloneName ?? "a new virtual machine")} on ${String(host.props.name)}`,
      target: cluster.ref,
      action: [{ _type: "PlacementAction", type: "PlacementV1", target: cluster.ref, vm: spec.vm, targetHost: host.ref, relocateSpec }],
    }],
  };
}

/** The cluster's datastore a "[ds] path" (or a datastore reference) names, if any. */
function datastoreNamed(sim: SimContext, cluster: ManagedObject, where: unknown): ManagedObjectReference | undefined {
  if (!where) return undefined;
  if (typeof where === "object") return where as ManagedObjectReference;
  let name: string;
  try {
    name = parseDatastorePath(String(where)).datastore;
  } catch {
    return undefined;
  }
  return ((cluster.props.datastore as ManagedObjectReference[] | undefined) ?? []).find((d) => sim.inventory.get(d.value)?.props.name === name);
}
