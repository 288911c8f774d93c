// ClusterEVCManager (vSphere 6.0): a cluster's Enhanced vMotion
// Compatibility. evcState lists the EVC modes of the hosts' CPU vendor that
// every host of the cluster can run, and the one set (currentEVCModeKey,
// which the cluster's summary and its hosts' summaries repeat).
//
// The simulated hosts report Intel CPUs (HostCpuPackage.vendor "intel")
// recent enough for every mode their ESXi release knows: ESXi 6.0 up to
// intel-broadwell, 6.5 and 6.7 up to intel-skylake (the modes vCenter 6.0
// and 6.7 list). Feature masks (guaranteedCPUFeatures, featureCapability,
// featureMask, featureRequirement) are left out: the simulator models no
// CPUID bits.
import { VimFault, localizedFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { checkHostConnectSpec } from "./host-system.ts";

const INTEL: [string, string][] = [
  ["intel-merom", "Intel® \"Merom\" Generation"],
  ["intel-penryn", "Intel® \"Penryn\" Generation"],
  ["intel-nehalem", "Intel® \"Nehalem\" Generation"],
  ["intel-westmere", "Intel® \"Westmere\" Generation"],
  ["intel-sandybridge", "Intel® \"Sandy Bridge\" Generation"],
  ["intel-ivybridge", "Intel® \"Ivy Bridge\" Generation"],
  ["intel-haswell", "Intel® \"Haswell\" Generation"],
  ["intel-broadwell", "Intel® \"Broadwell\" Generation"],
  ["intel-skylake", "Intel® \"Skylake\" Generation"],
];
const AMD = ["amd-rev-e", "amd-rev-f", "amd-greyhound-no3dnow", "amd-greyhound", "amd-bulldozer", "amd-piledriver", "amd-steamroller", "amd-zen"];

/** How many of the Intel modes a host of that ESXi release runs. */
function intelModes(release: string): number {
  return Number(release.split(".")[0]) > 6 || /^6\.[5-9]/.test(release) ? 9 : 8;
}

function releaseOf(host: ManagedObject | undefined, sim: SimContext): string {
  return String((host?.props.summary as { config?: { product?: { version?: string } } } | undefined)?.config?.product?.version ?? sim.scenario.about.version);
}

/** The newest EVC mode the host runs (its summary's maxEVCModeKey on vCenter). */
export function maxEvcModeOf(host: ManagedObject | undefined, sim: SimContext): string {
  return INTEL[intelModes(releaseOf(host, sim)) - 1][0];
}

// its tasks are the cluster's (TaskInfo.entity must be a ManagedEntity; vCenter lists them on the cluster)
export class ClusterEVCManager extends ManagedObject {
  constructor(sim: SimContext, value: string, private readonly cluster: ManagedObject) {
    super(sim, "ClusterEVCManager", value);
    this.props.managedCluster = cluster.ref;
    this.props.evcState = this.state((cluster.props.summary as { currentEVCModeKey?: string } | undefined)?.currentEVCModeKey);
  }

  private hosts(): ManagedObject[] {
    return ((this.cluster.props.host as ManagedObjectReference[] | undefined) ?? []).map((r) => this.sim.inventory.get(r.value)).filter((h): h is ManagedObject => !!h);
  }

  /** The modes every host runs: an empty cluster takes the vCenter release's. */
  private supported(): [string, string][] {
    const n = Math.min(...(this.hosts().length ? this.hosts().map((h) => intelModes(releaseOf(h, this.sim))) : [intelModes(this.sim.scenario.about.version)]));
    return INTEL.slice(0, n);
  }

  private state(current: string | undefined): DataObject {
    return {
      _type: "ClusterEVCManagerEVCState",
      supportedEVCMode: this.supported().map(([key, label], i) => ({ _type: "EVCMode", key, label, summary: label, vendor: "intel", vendorTier: i, track: INTEL.slice(0, i + 1).map(([k]) => k).reverse() })),
      currentEVCModeKey: current,
    };
  }

  /**
   * Why the cluster cannot take the mode, or undefined. An unknown key is
   * InvalidArgument; another vendor's EVCModeIllegalByVendor; one a host
   * cannot run EVCModeUnsupportedByHosts; lowering the baseline (or setting
   * one) while VMs run is EVCAdmissionFailedVmActive inside EVCConfigFault,
   * as vCenter refuses a mode running VMs may already exceed.
   */
  private refusal(key: string): VimFault | undefined {
    const all = INTEL.map(([k]) => k);
    if (AMD.includes(key)) return new VimFault("EVCModeIllegalByVendor", { clusterCPUVendor: "intel", modeCPUVendor: "amd" }, `The EVC mode ${key} is for AMD hosts; the cluster's hosts have Intel CPUs.`);
    if (!all.includes(key)) return new VimFault("InvalidArgument", { invalidProperty: "evcModeKey" }, `${key} is not an EVC mode.`);
    const index = all.indexOf(key);
    const lacking = this.hosts().filter((h) => intelModes(releaseOf(h, this.sim)) <= index);
    if (lacking.length) return new VimFault("EVCModeUnsupportedByHosts", { evcMode: key, host: lacking.map((h) => h.ref), hostName: lacking.map((h) => String(h.props.name)) }, `The hosts ${lacking.map((h) => String(h.props.name)).join(", ")} cannot run the EVC mode ${key}.`);
    const current = (this.props.evcState as { currentEVCModeKey?: string }).currentEVCModeKey;
    const lowering = current === undefined || index < all.indexOf(current);
    const running = this.hosts().some((h) => ((h.props.vm as ManagedObjectReference[] | undefined) ?? []).some((v) => (this.sim.inventory.get(v.value)?.props.runtime as { powerState?: string } | undefined)?.powerState === "poweredOn"));
    if (lowering && running) {
      return new VimFault("EVCConfigFault", { faults: [localizedFault(new VimFault("EVCAdmissionFailedVmActive", {}, "The cluster has powered-on virtual machines that may use CPU features the EVC mode would hide."))] },
        `Cannot configure EVC mode ${key}: the cluster has powered-on virtual machines.`);
    }
    return undefined;
  }

  /** The mode in the manager, the cluster's summary and its hosts' summaries, in one go. */
  private setMode(key: string | undefined): void {
    this.update({ evcState: this.state(key) });
    this.cluster.update({ "summary.currentEVCModeKey": key });
    for (const h of this.hosts()) h.update({ "summary.currentEVCModeKey": key });
  }

  ConfigureEvcMode_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this.cluster, "ConfigureEvcMode_Task", "ClusterEVCManager.configureEvc", ctx.session?.userName ?? "", () => {
      const key = String(args.evcModeKey ?? "");
      const fault = this.refusal(key);
      if (fault) throw fault;
      this.setMode(key);
    });
  }

  DisableEvcMode_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this.cluster, "DisableEvcMode_Task", "ClusterEVCManager.disableEvc", ctx.session?.userName ?? "", () => this.setMode(undefined));
  }

  /** What ConfigureEvcMode_Task would refuse, as check results (none: it would succeed). */
  CheckConfigureEvcMode_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this.cluster, "CheckConfigureEvcMode_Task", "ClusterEVCManager.checkConfigureEvc", ctx.session?.userName ?? "", () => {
      const key = String(args.evcModeKey ?? "");
      const fault = this.refusal(key);
      if (!fault) return [];
      const hosts = (fault.fault as { host?: ManagedObjectReference[] }).host ?? [];
      return [{ _type: "ClusterEVCManagerCheckResult", evcModeKey: key, error: localizedFault(fault), host: hosts }];
    }, { resultType: { type: "ClusterEVCManagerCheckResult", array: true } });
  }

  /**
   * Could the host the spec names join the cluster under its EVC mode? The
   * connect spec is checked as AddHost_Task checks it (NoHost,
   * SSLVerifyFault, InvalidLogin, AlreadyConnected); a host the simulator
   * would add runs the vCenter release's ESXi, so its answer is the
   * comparison of that release's newest mode with the cluster's.
   */
  CheckAddHostEvc_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this.cluster, "CheckAddHostEvc_Task", "ClusterEVCManager.checkAddHost", ctx.session?.userName ?? "", () => {
      checkHostConnectSpec(this.sim, args.cnxSpec);
      const current = (this.props.evcState as { currentEVCModeKey?: string }).currentEVCModeKey;
      if (!current || INTEL.findIndex(([k]) => k === current) < intelModes(this.sim.scenario.about.version)) return [];
      const fault = new VimFault("EVCModeUnsupportedByHosts", { evcMode: current, hostName: [String(args.cnxSpec?.hostName)] }, `The host cannot run the cluster's EVC mode ${current}.`);
      return [{ _type: "ClusterEVCManagerCheckResult", evcModeKey: current, error: localizedFault(fault), host: [] }];
    }, { resultType: { type: "ClusterEVCManagerCheckResult", array: true } });
  }
}
