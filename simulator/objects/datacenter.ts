import { VimFault, localizedFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import type { Args, CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { checkHostConnectSpec, hostThumbprint } from "./host-system.ts";
import { connectInfo } from "./host-settings.ts";
import { drsBehaviorFor, placementRecommendation } from "./cluster-drs.ts";
import { hardwareVersionOf } from "../formats/vmx-config.ts";
import { defaultHostSpec } from "../inventory/scenario-loader.ts";
import { hardwareSummaryOf } from "./host-settings.ts";

export class Datacenter extends ManagedEntity {
  constructor(sim: SimContext, value: string, name: string, parent: ManagedObjectReference, folders: { vm: ManagedObjectReference; host: ManagedObjectReference; datastore: ManagedObjectReference; network: ManagedObjectReference }) {
    super(sim, "Datacenter", value, name, parent);
    Object.assign(this.props, {
      vmFolder: folders.vm,
      hostFolder: folders.host,
      datastoreFolder: folders.datastore,
      networkFolder: folders.network,
      datastore: [],
      network: [],
      configuration: { _type: "DatacenterConfigInfo", defaultHardwareVersionKey: undefined },
    });
  }

  override children(): ManagedObjectReference[] {
    return ["vmFolder", "hostFolder", "datastoreFolder", "networkFolder"].map((p) => this.props[p] as ManagedObjectReference);
  }

  addDatastore(ref: ManagedObjectReference): void {
    this.update({ datastore: [...(this.props.datastore as ManagedObjectReference[]), ref] });
  }

  addNetwork(ref: ManagedObjectReference): void {
    this.update({ network: [...(this.props.network as ManagedObjectReference[]), ref] });
  }

  removeNetwork(ref: ManagedObjectReference): void {
    this.update({ network: (this.props.network as ManagedObjectReference[]).filter((r) => r.value !== ref.value) });
  }

  /**
   * Power on several VMs at once, as vCenter's DRS does: each in a task of its
   * own (listed as attempted); a VM that is not of this datacenter is not
   * attempted, with the fault that says why. A powered-off VM of a cluster
   * whose DRS is manual for it is not powered on: DRS's placement comes back
   * in recommendations (and in the cluster's recommendation list, for
   * ClusterComputeResource.ApplyRecommendation; cluster-drs.ts picks the
   * host); with no host to run it, it is not attempted (NoCompatibleHost).
   * hostd has no DRS: NotSupported.
   */
  PowerOnMultiVM_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "PowerOnMultiVM_Task", "Datacenter.powerOnVm", ctx.session?.userName ?? "", () => {
      if (!this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
      const attempted: DataObject[] = [];
      const notAttempted: DataObject[] = [];
      const recommendations: DataObject[] = [];
      for (const ref of (args.vm ?? []) as ManagedObjectReference[]) {
        const vm = this.sim.inventory.get(ref.value);
        if (!(vm instanceof ManagedEntity) || vm.type !== "VirtualMachine" || datacenterOf(vm) !== this) {
          notAttempted.push({ _type: "ClusterNotAttemptedVmInfo", vm: ref, fault: localizedFault(new VimFault("ManagedObjectNotFound", { obj: ref }, `${ref.value} is not a virtual machine of ${this.name}.`)) });
          continue;
        }
        const cluster = (vm.props.runtime as { host?: ManagedObjectReference }).host ? (this.sim.inventory.get((vm.props.runtime as { host: ManagedObjectReference }).host.value) as ManagedEntity | undefined)?.parentObject() : undefined;
        if (cluster instanceof ManagedEntity && cluster.type === "ClusterComputeResource" && drsBehaviorFor(cluster, ref) === "manual" && (vm.props.runtime as { powerState: string }).powerState === "poweredOff") {
          const rec = placementRecommendation(cluster, vm);
          if (!rec) {
            notAttempted.push({ _type: "ClusterNotAttemptedVmInfo", vm: ref, fault: localizedFault(new VimFault("NoCompatibleHost", { host: [], error: [] }, `No host in ${cluster.name} can run ${vm.name}.`)) });
            continue;
          }
          (cluster as unknown as { addRecommendation(r: DataObject): void }).addRecommendation(rec);
          recommendations.push(rec);
          continue;
        }
        const powerOn = (vm as unknown as { PowerOnVM_Task(a: Args, c: CallContext): ManagedObjectReference }).PowerOnVM_Task;
        attempted.push({ _type: "ClusterAttemptedVmInfo", vm: ref, task: powerOn.call(vm, {}, ctx) });
      }
      return { _type: "ClusterPowerOnVmResult", attempted, notAttempted, recommendations };
    }, { resultType: { type: "ClusterPowerOnVmResult" } });
  }

  /**
   * What vCenter learns of a host before adding it (QueryConnectionInfo,
   * QueryConnectionInfoViaSpec): the connect spec is checked as
   * AddStandaloneHost_Task checks it (host-system.ts: NoHost, SSLVerifyFault
   * with the host's thumbprint, InvalidLogin, AlreadyConnected), and the
   * answer describes the host the simulator would add: the default host
   * (4 cores, its local datastore1, the standard port groups), no VMs.
   */
  private connectInfoFor(spec: DataObject & Record<string, any>): DataObject {
    if (!this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
    const name = checkHostConnectSpec(this.sim, spec);
    const host = defaultHostSpec(name, /^\d+\.\d+\.\d+\.\d+$/.test(name) ? name : "");
    const summary = {
      _type: "HostListSummary", hardware: hardwareSummaryOf(this.sim, host),
      config: { _type: "HostConfigSummary", name, port: Number(spec.port ?? 443), sslThumbprint: hostThumbprint(this.sim, name), product: this.hostAbout(), vmotionEnabled: false, faultToleranceEnabled: false },
      quickStats: { _type: "HostListSummaryQuickStats" }, overallStatus: "gray", rebootRequired: false,
    };
    const capacity = 500 * 1024 ** 3, free = capacity - 1.5 * 1024 ** 3;
    return connectInfo({
      serverIp: host.managementIp || name, summary, vms: [],
      networks: host.vswitches.flatMap((v) => v.portgroups).filter((p) => p.name !== "Management Network").map((p) => ({ _type: "NetworkSummary", name: p.name, accessible: true, ipPoolName: "" })),
      datastores: [{ _type: "DatastoreSummary", name: "datastore1", url: "", capacity, freeSpace: free, type: "VMFS", accessible: true, multipleHostAccess: false }],
      inDasCluster: false,
    });
  }

  /** The product a host the simulator adds runs: the ESXi release every simulated host of this vCenter reports. */
  private hostAbout(): DataObject | undefined {
    const any = this.sim.inventory.ofType("HostSystem")[0];
    return (any?.props.config as { product?: DataObject } | undefined)?.product;
  }

  QueryConnectionInfo(args: Args): DataObject {
    return this.connectInfoFor({ _type: "HostConnectSpec", hostName: args.hostname, port: args.port, userName: args.username, password: args.password, sslThumbprint: args.sslThumbprint });
  }

  QueryConnectionInfoViaSpec(args: Args): DataObject {
    return this.connectInfoFor(args.spec ?? {});
  }

  /**
   * The short form for many hosts at once: each spec gets its answer, a host
   * that cannot be reached or logged in to its fault in `error` (the call
   * itself does not fail).
   */
  BatchQueryConnectInfo(args: Args): DataObject[] {
    if (!this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
    return ((args.hostSpecs as (DataObject & Record<string, any>)[] | undefined) ?? []).map((spec) => {
      const hostname = String(spec.hostName ?? "");
      try {
        const info = this.connectInfoFor(spec) as Record<string, any>;
        const hw = info.host.hardware as Record<string, unknown>;
        return { _type: "DatacenterBasicConnectInfo", hostname, serverIp: info.serverIp, numVm: 0, numPoweredOnVm: 0, hostProductInfo: info.host.config.product, hardwareVendor: hw.vendor, hardwareModel: hw.model };
      } catch (e) {
        if (!(e instanceof VimFault)) throw e;
        return { _type: "DatacenterBasicConnectInfo", hostname, error: localizedFault(e) };
      }
    });
  }

  /** The compute resources of the datacenter (below its host folder). */
  private computeResources(): ManagedEntity[] {
    const out: ManagedEntity[] = [];
    const walk = (r: ManagedObjectReference) => {
      const o = this.sim.inventory.get(r.value);
      if (!(o instanceof ManagedEntity)) return;
      if (o.type === "Folder") o.children().forEach(walk);
      else if (o.type === "ComputeResource" || o.type === "ClusterComputeResource") out.push(o);
    };
    walk(this.props.hostFolder as ManagedObjectReference);
    return out;
  }

  /**
   * The hardware versions the datacenter's hosts run, as their compute
   * resources' EnvironmentBrowsers give them, each with every host that
   * runs it; the default is the one configuration.defaultHardwareVersionKey
   * names, else the newest every host runs.
   */
  queryDatacenterConfigOptionDescriptor(_args: Args): DataObject[] {
    const byKey = new Map<string, DataObject & Record<string, any>>();
    for (const cr of this.computeResources()) {
      const env = this.sim.inventory.get(((cr.props.environmentBrowser as ManagedObjectReference | undefined) ?? { value: "" }).value) as (ManagedEntity & { QueryConfigOptionDescriptor(): (DataObject & Record<string, any>)[] }) | undefined;
      for (const d of env?.QueryConfigOptionDescriptor() ?? []) {
        const seen = byKey.get(d.key);
        byKey.set(d.key, seen ? { ...seen, host: [...seen.host, ...d.host] } : { ...d });
      }
    }
    const descriptors = [...byKey.values()].sort((a, b) => (hardwareVersionOf(a.key) ?? 0) - (hardwareVersionOf(b.key) ?? 0));
    const everywhere = descriptors.filter((d) => d.host.length === Math.max(...descriptors.map((x) => x.host.length)));
    const chosen = (this.props.configuration as { defaultHardwareVersionKey?: string }).defaultHardwareVersionKey ?? everywhere[everywhere.length - 1]?.key;
    return descriptors.map((d) => ({ ...d, defaultConfigOption: d.key === chosen }));
  }

  /**
   * DatacenterConfigSpec: defaultHardwareVersionKey must be one of the keys
   * queryDatacenterConfigOptionDescriptor lists (InvalidArgument otherwise,
   * as the API reference says of an invalid spec). modify false replaces the
   * configuration, true changes only what the spec sets.
   */
  ReconfigureDatacenter_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "ReconfigureDatacenter_Task", "Datacenter.reconfigure", ctx.session?.userName ?? "", () => {
      if (!this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
      const spec = (args.spec ?? {}) as Record<string, any>;
      const key = spec.defaultHardwareVersionKey as string | undefined;
      if (key !== undefined && !this.queryDatacenterConfigOptionDescriptor({}).some((d) => (d as unknown as { key: string }).key === key)) {
        throw new VimFault("InvalidArgument", { invalidProperty: "spec.defaultHardwareVersionKey" }, `${key} is not a hardware version the hosts of ${this.name} run.`);
      }
      const cur = this.props.configuration as Record<string, unknown>;
      this.update({ configuration: { _type: "DatacenterConfigInfo", defaultHardwareVersionKey: args.modify ? (key ?? cur.defaultHardwareVersionKey) : key } });
    });
  }

  override destroy(): void {
    if (!this.sim.isVCenter) throw new VimFault("NotSupported", {});
    for (const r of this.children()) {
      const f = this.sim.inventory.get(r.value);
      if (f instanceof ManagedEntity) {
        for (const c of f.children()) {
          const o = this.sim.inventory.get(c.value);
          if (o instanceof ManagedEntity) o.destroy();
        }
        this.sim.inventory.remove(f);
      }
    }
    super.destroy();
  }
}
