// ComputeResource (a standalone host's parent) and ClusterComputeResource.
import { VimFault, localizedFault, moref, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import type { Args, CallContext, ManagedObject } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { EnvironmentBrowser } from "./environment-browser.ts";
import { checkHostConnectSpec, type HostSystem } from "./host-system.ts";
import { rootAllocations } from "./resource-pool.ts";
import { freeMemoryMB, hostTakesVms, mounts, placeVmInCluster } from "./vm-placement.ts";
import { applyGroupSpec, applyRulesSpec, rulesNaming, stampRules } from "./cluster-rules.ts";
import { balanceRecommendation, findRecommendation, hostsFor, migrationAction } from "./cluster-drs.ts";
import { ClusterEVCManager } from "./cluster-evc-manager.ts";
import { relocateVm } from "./vm-relocate.ts";
import type { VirtualMachine } from "./virtual-machine.ts";

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
    if (type === "ClusterComputeResource") this.props.recommendation = [];
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
        ? { _type: "ClusterComputeResourceSummary", ...base, currentFailoverLevel: (this.props.configurationEx as DataObject & { dasConfig: { enabled: boolean } }).dasConfig.enabled ? 1 : 0, numVmotions: 0, currentEVCModeKey: (this.props.summary as { currentEVCModeKey?: string } | undefined)?.currentEVCModeKey }
        : { _type: "ComputeResourceSummary", ...base },
    });
  }

  ReconfigureComputeResource_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "ReconfigureComputeResource_Task", `${this.type}.reconfigureEx`, ctx.session?.userName ?? "", () => this.reconfigure(args.spec));
  }

  /** The API's older form (ClusterConfigSpec): the same change as ReconfigureComputeResource_Task. */
  ReconfigureCluster_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "ReconfigureCluster_Task", "ClusterComputeResource.reconfigure", ctx.session?.userName ?? "", () => this.reconfigure(args.spec));
  }

  /** Everything is computed and checked before configurationEx changes, in one update. */
  private reconfigure(spec: DataObject & Record<string, any>): void {
    const cur = this.props.configurationEx as DataObject & Record<string, any>;
    const next: Record<string, unknown> = { ...cur };
    if (this.type === "ClusterComputeResource") {
      if (spec.drsConfig) next.drsConfig = { ...cur.drsConfig, ...strip(spec.drsConfig), _type: "ClusterDrsConfigInfo" };
      if (spec.dasConfig) next.dasConfig = { ...cur.dasConfig, ...strip(spec.dasConfig), _type: "ClusterDasConfigInfo" };
      if (spec.dpmConfig) next.dpmConfigInfo = { ...cur.dpmConfigInfo, ...strip(spec.dpmConfig), _type: "ClusterDpmConfigInfo" };
      const groups = spec.groupSpec?.length ? applyGroupSpec(this, cur.group ?? [], spec.groupSpec) : cur.group;
      if (spec.groupSpec?.length) next.group = groups;
      if (spec.rulesSpec?.length) next.rule = applyRulesSpec(this, cur.rule ?? [], spec.rulesSpec, groups ?? []);
    } else if (spec._type === "ClusterConfigSpecEx") {
      throw new VimFault("InvalidArgument", { invalidProperty: "spec" });
    }
    if (spec.vmSwapPlacement) next.vmSwapPlacement = spec.vmSwapPlacement;
    this.update({ configurationEx: next });
    this.refreshSummary();
  }

  /** The rules of configurationEx.rule that name the VM, itself or through a VM group. */
  FindRulesForVm(args: Args): DataObject[] {
    const vm = this.sim.inventory.get((args.vm as ManagedObjectReference).value);
    if (!vm || vm.type !== "VirtualMachine") throw new VimFault("ManagedObjectNotFound", { obj: args.vm });
    return rulesNaming(this.props.configurationEx as DataObject & Record<string, any>, vm.ref);
  }

  /**
   * Hosts of the cluster where the VM could power on (or, running, move
   * to), best first, by the placement logic of vm-placement.ts: connected,
   * out of maintenance mode, mounting all the VM's datastores, ranked by
   * the memory running VMs leave free. The rating (1 to 5) is that free
   * share in fifths: DRS's own figure is not documented. A VM from outside
   * the cluster needs the pool it would join (InvalidArgument otherwise, our
   * choice); no fitting host is an empty answer, as the API reference says.
   */
  RecommendHostsForVm(args: Args): DataObject[] {
    const vm = this.sim.inventory.get((args.vm as ManagedObjectReference).value);
    if (!vm || vm.type !== "VirtualMachine") throw new VimFault("ManagedObjectNotFound", { obj: args.vm });
    const hosts = (this.props.host as ManagedObjectReference[]) ?? [];
    const rt = vm.props.runtime as { host?: ManagedObjectReference; powerState: string };
    const inCluster = hosts.some((h) => h.value === rt.host?.value);
    if (args.pool) {
      const pool = this.sim.inventory.get((args.pool as ManagedObjectReference).value);
      if (!pool || !pool.isA("ResourcePool")) throw new VimFault("ManagedObjectNotFound", { obj: args.pool });
      if ((pool.props.owner as ManagedObjectReference).value !== this.ref.value) throw new VimFault("InvalidArgument", { invalidProperty: "pool" }, `${String(pool.props.name)} is not a resource pool of ${this.name}.`);
    } else if (!inCluster) throw new VimFault("InvalidArgument", { invalidProperty: "pool" }, "A virtual machine from outside the cluster needs the resource pool it would join.");
    const datastores = (vm.props.datastore as ManagedObjectReference[] | undefined) ?? [];
    const candidates = hosts
      .filter((h) => !(rt.powerState === "poweredOn" && h.value === rt.host?.value))
      .map((h) => this.sim.inventory.get(h.value)!)
      .filter((h) => hostTakesVms(h) && datastores.every((d) => mounts(h, d)))
      .map((h) => ({ h, free: freeMemoryMB(this.sim, h), total: Number((h.props.hardware as { memorySize: number }).memorySize) / 1048576 }));
    candidates.sort((a, b) => b.free - a.free);
    return candidates.map(({ h, free, total }) => ({ _type: "ClusterHostRecommendation", host: h.ref, rating: Math.min(5, Math.max(1, Math.ceil((5 * free) / (total || 1)))) }));
  }

  /**
   * What the cluster's hosts give and what is taken: CPU and memory of the
   * hosts that are up, memory as the running VMs were given it (the
   * simulator's VMs use what they have), CPU as their quick stats report
   * it, storage from the cluster's datastores. pMem (6.7) is left unset.
   */
  GetResourceUsage(_args: Args): DataObject {
    const MB = 1048576;
    let cpuCapacityMHz = 0, memCapacity = 0, cpuUsedMHz = 0, memUsedMB = 0, storageCapacity = 0, storageFree = 0;
    for (const r of (this.props.host as ManagedObjectReference[]) ?? []) {
      const h = this.sim.inventory.get(r.value)!;
      const rt = h.props.runtime as { connectionState: string; powerState: string };
      if (rt.connectionState !== "connected" || rt.powerState !== "poweredOn") continue;
      const hw = (h.props.summary as DataObject).hardware as { cpuMhz: number; numCpuCores: number; memorySize: number };
      cpuCapacityMHz += hw.cpuMhz * hw.numCpuCores;
      memCapacity += hw.memorySize;
      for (const v of (h.props.vm as ManagedObjectReference[] | undefined) ?? []) {
        const vm = this.sim.inventory.get(v.value);
        if ((vm?.props.runtime as { powerState?: string } | undefined)?.powerState !== "poweredOn") continue;
        memUsedMB += Number((vm!.props.config as { hardware: { memoryMB: number } }).hardware.memoryMB);
        cpuUsedMHz += Number(((vm!.props.summary as DataObject | undefined)?.quickStats as { overallCpuUsage?: number } | undefined)?.overallCpuUsage ?? 0);
      }
    }
    for (const d of (this.props.datastore as ManagedObjectReference[]) ?? []) {
      const s = this.sim.inventory.get(d.value)?.props.summary as { capacity?: number; freeSpace?: number } | undefined;
      storageCapacity += Number(s?.capacity ?? 0);
      storageFree += Number(s?.freeSpace ?? 0);
    }
    return {
      _type: "ClusterResourceUsageSummary",
      cpuUsedMHz, cpuCapacityMHz, memUsedMB, memCapacityMB: Math.floor(memCapacity / MB),
      storageUsedMB: Math.floor((storageCapacity - storageFree) / MB), storageCapacityMB: Math.floor(storageCapacity / MB),
    };
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

  private requireCluster(): void {
    if (this.type !== "ClusterComputeResource" || !this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
  }

  private get recommendations(): (DataObject & Record<string, any>)[] {
    return (this.props.recommendation as (DataObject & Record<string, any>)[] | undefined) ?? [];
  }

  /** Datacenter.PowerOnMultiVM_Task's placements in a manual DRS cluster wait here for ApplyRecommendation. */
  addRecommendation(rec: DataObject): void {
    this.update({ recommendation: [...this.recommendations, rec] });
  }

  /**
   * Carries out a recommendation of the cluster's list, which it leaves:
   * placements power the VM on where they say (moving it there first),
   * migrations move the running VM, a maintenance action puts its host in
   * maintenance mode. Every action is checked before any runs: a VM or
   * host no longer as the recommendation found it is InvalidState (vpxd's
   * fault for a stale recommendation is not confirmed).
   */
  ApplyRecommendation(args: Args, ctx: CallContext): void {
    this.requireCluster();
    const rec = findRecommendation(this, args.key);
    const user = ctx.session?.userName ?? "";
    const stale = (what: string) => new VimFault("InvalidState", {}, `The recommendation ${String(rec.key)} no longer applies: ${what}.`);
    const steps: (() => void)[] = [];
    for (const a of rec.action as (DataObject & Record<string, any>)[]) {
      if (a._type === "ClusterInitialPlacementAction") {
        const vm = this.sim.inventory.get(a.target.value) as VirtualMachine | undefined;
        const host = this.sim.inventory.get(a.targetHost.value);
        if (!vm || vm.powerState === "poweredOn") throw stale("the virtual machine is gone or running");
        if (!host || !hostsFor(this, vm).includes(host)) throw stale(`${String(host?.props.name ?? a.targetHost.value)} cannot run the virtual machine`);
        steps.push(() => {
          if (vm.host.value !== host.ref.value) relocateVm(this.sim, vm, { host: host.ref }, user);
          vm.PowerOnVM_Task({}, ctx);
        });
      } else if (a._type === "ClusterMigrationAction") {
        const m = a.drsMigration as Record<string, any>;
        const vm = this.sim.inventory.get(m.vm.value) as VirtualMachine | undefined;
        const dest = this.sim.inventory.get(m.destination.value);
        if (!vm || vm.powerState !== "poweredOn" || vm.host.value !== m.source.value) throw stale("the virtual machine moved or stopped");
        if (!dest || !hostsFor(this, vm, vm.host).includes(dest)) throw stale(`${String(dest?.props.name ?? m.destination.value)} cannot run the virtual machine`);
        steps.push(() => relocateVm(this.sim, vm, { host: dest.ref }, user));
      } else if (a.type === "HostMaintenanceV1") {
        const host = this.sim.inventory.get(a.target.value);
        if (!host) throw stale("the host is gone");
        steps.push(() => host.update({ "runtime.inMaintenanceMode": true, "summary.runtime.inMaintenanceMode": true }));
      }
    }
    this.update({ recommendation: this.recommendations.filter((r) => r !== rec) });
    for (const step of steps) step();
  }

  CancelRecommendation(args: Args): void {
    this.requireCluster();
    const rec = findRecommendation(this, args.key);
    this.update({ recommendation: this.recommendations.filter((r) => r !== rec) });
  }

  /**
   * DRS looks again (cluster-drs.ts has the rule): balancing recommendations
   * are made anew, placements and maintenance plans waiting for the user stay.
   * A fully automated DRS would carry a move out itself; this one only
   * recommends when the cluster's default behaviour is manual or
   * partiallyAutomated.
   */
  RefreshRecommendation(_args: Args): void {
    this.requireCluster();
    const drs = (this.props.configurationEx as DataObject & { drsConfig?: { enabled?: boolean; defaultVmBehavior?: string } }).drsConfig;
    const kept = this.recommendations.filter((r) => r.reason !== "fairnessMemAvg");
    const fresh = drs?.enabled && drs.defaultVmBehavior !== "fullyAutomated" ? balanceRecommendation(this) : undefined;
    this.update({ recommendation: fresh ? [...kept, fresh] : kept });
  }

  /**
   * DRS's plan for putting hosts in maintenance mode: per host, one
   * recommendation that moves its running VMs to the cluster's other hosts
   * (not those entering too; most free memory first, counting the VMs the
   * plan already moved there) and then puts it in maintenance mode; it joins
   * the cluster's list for ApplyRecommendation. A host with a running VM that
   * has nowhere to go gets no recommendation; the VM is in the result's
   * fault (NoCompatibleHost, our choice: DRS's own fault is not confirmed).
   * Hosts already in maintenance mode need no plan.
   */
  ClusterEnterMaintenanceMode(args: Args): DataObject {
    this.requireCluster();
    const members = (this.props.host as ManagedObjectReference[]) ?? [];
    const hosts: ManagedObject[] = [];
    for (const r of (args.host as ManagedObjectReference[] | undefined) ?? []) {
      const h = this.sim.inventory.get(r.value);
      if (!h || h.type !== "HostSystem") throw new VimFault("ManagedObjectNotFound", { obj: r });
      if (!members.some((m) => m.value === r.value)) throw new VimFault("InvalidArgument", { invalidProperty: "host" }, `${String(h.props.name)} is not a host of ${this.name}.`);
      hosts.push(h);
    }
    const leaving = new Set(hosts.map((h) => h.ref.value));
    const planned = new Map<string, number>();
    const recommendations: DataObject[] = [];
    const faultsByVm: DataObject[] = [];
    for (const h of hosts) {
      if ((h.props.runtime as { inMaintenanceMode?: boolean }).inMaintenanceMode) continue;
      const running = ((h.props.vm as ManagedObjectReference[] | undefined) ?? []).map((r) => this.sim.inventory.get(r.value)!).filter((v) => (v.props.runtime as { powerState: string }).powerState === "poweredOn");
      const actions: DataObject[] = [];
      let stuck = false;
      for (const vm of running) {
        const free = (t: ManagedObject) => freeMemoryMB(this.sim, t) - (planned.get(t.ref.value) ?? 0);
        const mem = Number((vm.props.config as { hardware: { memoryMB: number } }).hardware.memoryMB);
        const dest = hostsFor(this, vm, h.ref).filter((t) => !leaving.has(t.ref.value) && free(t) >= mem).sort((a, b) => free(b) - free(a))[0];
        if (!dest) {
          stuck = true;
          faultsByVm.push({ _type: "ClusterDrsFaultsFaultsByVm", vm: vm.ref, fault: [localizedFault(new VimFault("NoCompatibleHost", { host: [], error: [] }, `No host in ${this.name} can run ${String(vm.props.name)} while ${String(h.props.name)} is in maintenance mode.`))] });
          continue;
        }
        planned.set(dest.ref.value, (planned.get(dest.ref.value) ?? 0) + mem);
        actions.push(migrationAction(this, vm, h, dest));
      }
      if (stuck) continue;
      actions.push({ _type: "ClusterAction", type: "HostMaintenanceV1", target: h.ref });
      const rec = {
        _type: "ClusterRecommendation", key: String(this.sim.ids.next(`drs-recommendation:${this.ref.value}`)), type: "V1", time: this.sim.clock.now(),
        rating: 5, reason: "hostMaint", reasonText: `Host ${String(h.props.name)} is entering maintenance mode`, target: this.ref, action: actions,
      };
      recommendations.push(rec);
    }
    if (recommendations.length) this.update({ recommendation: [...this.recommendations, ...recommendations] });
    return {
      _type: "ClusterEnterMaintenanceResult", recommendations,
      fault: faultsByVm.length ? { _type: "ClusterDrsFaults", reason: "hostMaint", faultsByVm } : undefined,
    };
  }

  /** The cluster's EVC manager, made on first asking (vpxd's moref for it is not confirmed: ours is named after the cluster). */
  EvcManager(_args: Args): ManagedObjectReference {
    this.requireCluster();
    const value = this.ref.value.replace(/^domain-/, "evcmanager-");
    const existing = this.sim.inventory.get(value);
    if (existing) return existing.ref;
    return this.sim.inventory.add(new ClusterEVCManager(this.sim, value, this)).ref;
  }

  /**
   * HA's view of the cluster, for an FDM (vSphere 5.0 and later) cluster:
   * the heartbeat datastores (as HA picks them by default: up to two
   * datastores that at least two of the cluster's hosts mount, by name,
   * each with the hosts that mount it) and whether its hosts can protect VMs
   * from APD and PDL (ESXi 6.0 and later can). dasHostInfo is the legacy AAM
   * agent's (ClusterDasAamHostInfo, before 5.0) and stays unset. With HA
   * off there is nothing to report but the capability.
   */
  RetrieveDasAdvancedRuntimeInfo(_args: Args): DataObject {
    this.requireCluster();
    const ha = !!(this.props.configurationEx as { dasConfig?: { enabled?: boolean } }).dasConfig?.enabled;
    const hosts = (this.props.host as ManagedObjectReference[]) ?? [];
    const heartbeat = ((this.props.datastore as ManagedObjectReference[]) ?? [])
      .map((d) => ({ d, name: String(this.sim.inventory.get(d.value)?.props.name ?? ""), on: hosts.filter((h) => mounts(this.sim.inventory.get(h.value), d)) }))
      .filter((x) => x.on.length >= 2)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .slice(0, 2);
    return {
      _type: "ClusterDasAdvancedRuntimeInfo",
      vmcpSupported: { _type: "ClusterDasAdvancedRuntimeInfoVmcpCapabilityInfo", storageAPDSupported: true, storagePDLSupported: true },
      heartbeatDatastoreInfo: ha ? heartbeat.map((x) => ({ _type: "DasHeartbeatDatastoreInfo", datastore: x.d, hosts: x.on })) : [],
    };
  }

  StampAllRulesWithUuid_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "StampAllRulesWithUuid_Task", "ClusterComputeResource.stampAllRulesWithUuid", ctx.session?.userName ?? "", () => {
      this.requireCluster();
      const rules = stampRules(this, ((this.props.configurationEx as { rule?: (DataObject & Record<string, any>)[] }).rule) ?? []);
      if (rules) this.update({ "configurationEx.rule": rules });
    });
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

  /**
   * One host joins the cluster with its VMs (running or not). A standalone
   * host's ComputeResource goes; with resourcePool, its root pool's child
   * pools and VMs move under that pool of this cluster, which must be one
   * (InvalidArgument), without a pool of the same name there (DuplicateName);
   * without it they land in the cluster's root pool and its pools go. A host
   * of another cluster must be in maintenance mode (InvalidState), and
   * resourcePool means nothing for it. A host already here: nothing to do
   * (vpxd's answer for it is not confirmed).
   */
  MoveHostInto_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "MoveHostInto_Task", "ClusterComputeResource.moveHostInto", ctx.session?.userName ?? "", () => {
      this.moveHostIn(args.host, args.resourcePool);
    });
  }

  /** MoveHostInto_Task's work, which Folder.BatchAddHostsToCluster_Task shares (see there). */
  moveHostIn(hostRef: ManagedObjectReference, resourcePool?: ManagedObjectReference): void {
    if (this.type !== "ClusterComputeResource") throw new VimFault("NotSupported", {});
    const h = this.sim.inventory.get(hostRef.value);
    if (!(h instanceof ManagedEntity) || h.type !== "HostSystem") throw new VimFault("ManagedObjectNotFound", { obj: hostRef });
    if (datacenterOf(h) !== datacenterOf(this)) throw new VimFault("InvalidArgument", { invalidProperty: "host" }, `${h.name} is not in the cluster's datacenter.`);
    const from = h.parentObject() as ComputeResource;
    if (from === this) return;
    if (from.type === "ClusterComputeResource" && !(h.props.runtime as { inMaintenanceMode: boolean }).inMaintenanceMode) {
      throw new VimFault("InvalidState", {}, `${h.name} must be in maintenance mode to leave its cluster.`);
    }
    let graft: (ManagedEntity & { refresh(): void }) | undefined;
    if (resourcePool && from.type === "ComputeResource") {
      const pool = this.sim.inventory.get((resourcePool as ManagedObjectReference).value);
      if (!(pool instanceof ManagedEntity) || !pool.isA("ResourcePool")) throw new VimFault("ManagedObjectNotFound", { obj: resourcePool });
      if ((pool.props.owner as ManagedObjectReference).value !== this.ref.value) throw new VimFault("InvalidArgument", { invalidProperty: "resourcePool" }, `${pool.name} is not a resource pool of ${this.name}.`);
      const taken = new Map(((pool.props.resourcePool as ManagedObjectReference[]) ?? []).map((r) => [String(this.sim.inventory.get(r.value)?.props.name), r]));
      for (const c of this.childPoolsOf(from)) {
        const clash = taken.get(c.name);
        if (clash) throw new VimFault("DuplicateName", { name: c.name, object: clash });
      }
      graft = pool as ManagedEntity & { refresh(): void };
    }
    this.adopt(h, graft);
  }

  private childPoolsOf(cr: ComputeResource): ManagedEntity[] {
    const root = this.sim.inventory.get((cr.props.resourcePool as ManagedObjectReference).value);
    return (((root?.props.resourcePool as ManagedObjectReference[]) ?? []).map((r) => this.sim.inventory.get(r.value)).filter(Boolean)) as ManagedEntity[];
  }

  /**
   * The host and its VMs are the cluster's now. With `graft`, a standalone
   * host's pool tree hangs below that pool (the VMs of its root pool go
   * there, the others stay in their pools); without, every VM lands in the
   * cluster's root pool and the standalone pools go with their
   * ComputeResource.
   */
  private adopt(h: ManagedEntity, graft?: ManagedEntity & { refresh(): void }): void {
    const from = h.parentObject() as ComputeResource;
    const vms = ((h.props.vm as ManagedObjectReference[]) ?? []).map((r) => this.sim.inventory.get(r.value) as ManagedObject & { leave(): void; attach(): void });
    const fromRoot = (from.props.resourcePool as ManagedObjectReference).value;
    for (const vm of vms) vm.leave();
    if (from.type === "ClusterComputeResource") from.detachChild(h);
    h.update({ parent: this.ref });
    this.update({ host: [...(this.props.host as ManagedObjectReference[]), h.ref] });
    if (graft) {
      const carried = this.childPoolsOf(from);
      this.sim.inventory.get(fromRoot)!.update({ resourcePool: [] });
      for (const c of carried) c.update({ parent: graft.ref });
      graft.update({ resourcePool: [...((graft.props.resourcePool as ManagedObjectReference[]) ?? []), ...carried.map((c) => c.ref)] });
      const below = [...carried];
      while (below.length) {
        const p = below.pop()!;
        p.update({ owner: this.ref });
        below.push(...(((p.props.resourcePool as ManagedObjectReference[]) ?? []).map((r) => this.sim.inventory.get(r.value)).filter(Boolean) as ManagedEntity[]));
      }
    }
    for (const vm of vms) {
      const pool = vm.props.resourcePool as ManagedObjectReference | undefined;
      const stays = graft && pool && pool.value !== fromRoot;
      if (!stays) vm.update({ resourcePool: graft ? graft.ref : this.props.resourcePool });
      vm.attach();
    }
    if (from.type === "ComputeResource") {
      // what was the standalone host's own: its compute resource, pools and browser
      from.update({ host: [] });
      from.destroy();
    } else from.relist();
    graft?.refresh();
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
