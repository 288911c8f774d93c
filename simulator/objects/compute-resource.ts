// ComputeResource (a standalone host's parent) and ClusterComputeResource.
import { VimFault, moref, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import type { Args, CallContext, ManagedObject } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { EnvironmentBrowser } from "./environment-browser.ts";
import { checkHostConnectSpec, type HostSystem } from "./host-system.ts";
import { rootAllocations } from "./resource-pool.ts";
import { placeVmInCluster } from "./vm-placement.ts";

export class ComputeResource extends ManagedEntity {
  constructor(sim: SimContext, type: "ComputeResource" | "ClusterComputeResource", value: string, name: string, parent: ManagedObjectReference) {
    super(sim, type, value, name, parent);
    Object.assign(this.props, {
      host: [],
      datastore: [],
      network: [],
      configurationEx: { _type: "ComputeResourceConfigInfo", vmSwapPlacement: "vmDirectory", spbmEnabled: false },
      configIssue: [],
    });
  }

  override children(): ManagedObjectReference[] {
    return [...((this.props.host as ManagedObjectReference[]) ?? []), this.props.resourcePool as ManagedObjectReference].filter(Boolean);
  }

  /**
   * Its EnvironmentBrowser, made once its hosts are known: vpxd numbers it
   * after the compute resource (domain-c7, envbrowser-7), hostd has one,
   * ha-env-browser. Datastores are browsed through the first host's browser.
   */
  attachEnvironmentBrowser(): void {
    const value = this.sim.isVCenter ? this.ref.value.replace(/^domain-[a-z]/, "envbrowser-") : "ha-env-browser";
    const firstHost = this.sim.inventory.get(((this.props.host as ManagedObjectReference[])[0] ?? { value: "" }).value);
    this.sim.inventory.add(new EnvironmentBrowser(this.sim, value, this.ref, firstHost?.props.datastoreBrowser as ManagedObjectReference | undefined));
    this.update({ environmentBrowser: moref("EnvironmentBrowser", value) });
  }

  /** Recompute the summary from the member hosts. */
  refreshSummary(): void {
    let totalCpu = 0, totalMemory = 0, cores = 0, threads = 0;
    const hosts = (this.props.host as ManagedObjectReference[]).map((r) => this.sim.inventory.get(r.value)).filter(Boolean);
    for (const h of hosts) {
      const hw = (h!.props.summary as DataObject).hardware as Record<string, number>;
      totalCpu += hw.cpuMhz * hw.numCpuCores;
      totalMemory += hw.memorySize;
      cores += hw.numCpuCores;
      threads += hw.numCpuThreads;
    }
    const base = {
      totalCpu, totalMemory, numCpuCores: cores, numCpuThreads: threads,
      effectiveCpu: Math.floor(totalCpu * 0.9), effectiveMemory: Math.floor((totalMemory / 1048576) * 0.9),
      numHosts: hosts.length, numEffectiveHosts: hosts.length, overallStatus: "green",
    };
    this.update({
      summary: this.type === "ClusterComputeResource"
        ? { _type: "ClusterComputeResourceSummary", ...base, currentFailoverLevel: (this.props.configurationEx as DataObject & { dasConfig: { enabled: boolean } }).dasConfig.enabled ? 1 : 0, numVmotions: 0, currentEVCModeKey: undefined }
        : { _type: "ComputeResourceSummary", ...base },
    });
  }

  ReconfigureComputeResource_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "ReconfigureComputeResource_Task", `${this.type}.reconfigureEx`, ctx.session?.userName ?? "", () => {
      const spec = args.spec as DataObject & Record<string, any>;
      const cur = this.props.configurationEx as DataObject & Record<string, any>;
      const next: Record<string, unknown> = { ...cur };
      if (this.type === "ClusterComputeResource") {
        if (spec.drsConfig) next.drsConfig = { ...cur.drsConfig, ...strip(spec.drsConfig), _type: "ClusterDrsConfigInfo" };
        if (spec.dasConfig) next.dasConfig = { ...cur.dasConfig, ...strip(spec.dasConfig), _type: "ClusterDasConfigInfo" };
        if (spec.dpmConfig) next.dpmConfigInfo = { ...cur.dpmConfigInfo, ...strip(spec.dpmConfig), _type: "ClusterDpmConfigInfo" };
      } else if (spec._type === "ClusterConfigSpecEx") {
        throw new VimFault("InvalidArgument", { invalidProperty: "spec" });
      }
      if (spec.vmSwapPlacement) next.vmSwapPlacement = spec.vmSwapPlacement;
      this.update({ configurationEx: next });
      this.refreshSummary();
    });
  }

  /** The root pool holds what the hosts give now (a host joined or left). */
  resizeRootPool(): void {
    const pool = this.sim.inventory.get((this.props.resourcePool as ManagedObjectReference).value) as ManagedEntity & { setRootCapacity(cpu: DataObject, memory: DataObject): void };
    const hardware = (this.props.host as ManagedObjectReference[]).map((r) => (this.sim.inventory.get(r.value)!.props.summary as DataObject).hardware as { cpuMhz: number; numCpuCores: number; memorySize: number });
    pool.setRootCapacity(...rootAllocations(hardware));
  }

  /** A host left (HostSystem.Destroy_Task): the lists, the root pool and the summary follow. */
  override detachChild(child: ManagedEntity): void {
    if (child.type !== "HostSystem") return;
    const hosts = (this.props.host as ManagedObjectReference[]).filter((r) => r.value !== child.ref.value);
    this.update({ host: hosts });
    this.resizeRootPool();
    this.refreshSummary();
  }

  /** DRS's recommendation for where a VM should go (ClusterComputeResource only: the schema gives a standalone host's none). */
  PlaceVm(args: Args): DataObject {
    return placeVmInCluster(this.sim, this, args.placementSpec ?? {});
  }

  AddHost_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "AddHost_Task", "ClusterComputeResource.addHost", user, () => {
      if (this.type !== "ClusterComputeResource") throw new VimFault("NotSupported", {});
      const name = checkHostConnectSpec(this.sim, args.spec);
      const host = this.sim.addHost(this, name);
      (host as HostSystem).joined(args.asConnected !== false, user);
      return host.ref;
    }, { resultType: { type: "ManagedObjectReference" } });
  }

  /**
   * Hosts of the same datacenter join this cluster with their VMs, which
   * land in its root pool: a standalone host's ComputeResource and pools
   * go; a host of another cluster must be in maintenance mode (vpxd's
   * InvalidState otherwise). Every host is checked before any moves.
   */
  MoveInto_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "MoveInto_Task", "ClusterComputeResource.moveInto", ctx.session?.userName ?? "", () => {
      if (this.type !== "ClusterComputeResource") throw new VimFault("NotSupported", {});
      const dc = datacenterOf(this);
      const hosts: ManagedEntity[] = [];
      for (const r of (args.host as ManagedObjectReference[] | undefined) ?? []) {
        const h = this.sim.inventory.get(r.value);
        if (!(h instanceof ManagedEntity) || h.type !== "HostSystem") throw new VimFault("ManagedObjectNotFound", { obj: r });
        if (datacenterOf(h) !== dc) throw new VimFault("InvalidArgument", { invalidProperty: "host" }, `${h.name} is not in the cluster's datacenter.`);
        const from = h.parentObject();
        if (from === this) continue;
        if (from?.type === "ClusterComputeResource" && !(h.props.runtime as { inMaintenanceMode: boolean }).inMaintenanceMode) {
          throw new VimFault("InvalidState", {}, `${h.name} must be in maintenance mode to leave its cluster.`);
        }
        hosts.push(h);
      }
      for (const h of hosts) this.adopt(h);
    });
  }

  private adopt(h: ManagedEntity): void {
    const from = h.parentObject() as ComputeResource;
    const vms = ((h.props.vm as ManagedObjectReference[]) ?? []).map((r) => this.sim.inventory.get(r.value) as ManagedObject & { leave(): void; attach(): void });
    for (const vm of vms) vm.leave();
    if (from.type === "ClusterComputeResource") from.detachChild(h);
    h.update({ parent: this.ref });
    this.update({ host: [...(this.props.host as ManagedObjectReference[]), h.ref] });
    for (const vm of vms) {
      vm.update({ resourcePool: this.props.resourcePool });
      vm.attach();
    }
    if (from.type === "ComputeResource") {
      // what was the standalone host's own: its compute resource, pools and browser
      from.update({ host: [] });
      from.destroy();
    } else from.relist();
    this.relist();
    this.resizeRootPool();
    const env = this.sim.inventory.get((this.props.environmentBrowser as ManagedObjectReference).value);
    if (env && !env.props.datastoreBrowser) env.update({ datastoreBrowser: h.props.datastoreBrowser });
    this.refreshSummary();
  }

  /** Its datastore and network lists: what its hosts have. */
  relist(): void {
    const union = (prop: string) => {
      const seen = new Map<string, ManagedObjectReference>();
      for (const h of this.props.host as ManagedObjectReference[]) for (const r of (this.sim.inventory.get(h.value)?.props[prop] as ManagedObjectReference[]) ?? []) seen.set(r.value, r);
      return [...seen.values()];
    };
    this.update({ datastore: union("datastore"), network: union("network") });
  }

  override destroy(): void {
    const vms = (this.props.host as ManagedObjectReference[]).flatMap((h) => (this.sim.inventory.get(h.value)?.props.vm as ManagedObjectReference[]) ?? []);
    if (vms.length) throw new VimFault("ResourceInUse", {}, "The resource is in use by virtual machines.");
    for (const h of this.props.host as ManagedObjectReference[]) {
      const o = this.sim.inventory.get(h.value) as (ManagedEntity & { leaveInventory(): void }) | undefined;
      if (!o) continue;
      o.leaveInventory();
      this.sim.inventory.remove(o);
    }
    // the pool tree goes whole: child pools and vApps have no other parent
    const pools = [this.props.resourcePool as ManagedObjectReference];
    while (pools.length) {
      const rp = this.sim.inventory.get(pools.pop()!.value);
      if (!rp) continue;
      pools.push(...((rp.props.resourcePool as ManagedObjectReference[]) ?? []));
      this.sim.inventory.remove(rp);
    }
    const env = this.props.environmentBrowser ? this.sim.inventory.get((this.props.environmentBrowser as ManagedObjectReference).value) : undefined;
    if (env) this.sim.inventory.remove(env);
    super.destroy();
  }
}

function strip(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (k !== "_type" && v !== undefined) out[k] = v;
  return out;
}
