// StorageResourceManager: Storage DRS on vCenter. ConfigureStorageDrsForPod_Task
// changes a datastore cluster's (storage-pod.ts) configuration;
// RecommendDatastores answers an initial placement (create, clone, relocate,
// reconfigure) in a pod with ClusterRecommendations, one per datastore of the
// pod that a candidate host mounts, best first (the most free space first);
// ApplyStorageDrsRecommendation_Task carries one out (CreateVM_Task's,
// CloneVM_Task's or RelocateVM_Task's work, on the recommended datastore),
// CancelStorageDrsRecommendation forgets it. The recommendations waiting to
// be applied live here (vCenter keeps initial placements apart from a pod's
// own load-balancing `recommendation` list, which stays empty), and are part
// of simulator snapshots through saveState/loadState. ValidateStoragePodConfig
// runs ConfigureStorageDrsForPod_Task's checks without applying anything.
//
// Storage I/O Control: ConfigureDatastoreIORM_Task merges a
// StorageIORMConfigSpec into the datastore's iormConfiguration (saved with the
// datastore's properties); QueryIORMConfigOption gives the ranges;
// QueryDatastorePerformanceSummary gives the (idle) statistics. SIOC runs on
// VMFS and NFS v3 datastores (vSphere 5.0 on), not on NFS 4.1 nor on VMFS
// spanning several extents (the vSphere Resource Management guide).
//
// hostd has a StorageResourceManager too: the reference says a host answers
// QueryIORMConfigOption itself (ignoring `host`) and ConfigureDatastoreIORM_Task
// with NotSupported ("called directly on a host"); Storage DRS and the
// performance summary stay NotImplemented there.
import { VimFault, localizedFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext, type SavedState } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { StoragePod, defaultPodConfig } from "./storage-pod.ts";
import { Folder } from "./folder.ts";
import { datacenterOf, type ManagedEntity } from "./managed-entity.ts";
import { createVm } from "./vm-factory.ts";
import { cloneVm } from "./vm-clone.ts";
import { relocateVm } from "./vm-relocate.ts";
import { datastoreRefusal, hostTakesVms, mounts } from "./vm-placement.ts";
import type { VirtualMachine } from "./virtual-machine.ts";

type Spec = DataObject & Record<string, any>;

/** A recommendation RecommendDatastores gave and nobody applied or cancelled yet. */
interface Pending {
  pod: ManagedObjectReference;
  destination: ManagedObjectReference;
  spec: Spec;
  action: DataObject;
  /** the keys of the same RecommendDatastores answer: applying one drops them all */
  siblings: string[];
}

const TYPES = ["create", "clone", "relocate", "reconfigure"];

export class StorageResourceManager extends ManagedObject {
  private pending = new Map<string, Pending>();

  constructor(sim: SimContext, value: string) {
    super(sim, "StorageResourceManager", value);
  }

  override saveState(): SavedState & { pending: Map<string, Pending> } {
    return { ...super.saveState(), pending: new Map(this.pending) };
  }

  override loadState(s: SavedState & { pending?: Map<string, Pending> }): void {
    super.loadState(s);
    this.pending = new Map(s.pending ?? []);
  }

  /**
   * A task's entity (TaskInfo.entity is a ManagedEntity, which this manager
   * is not): the pod it works on, else the root folder (a choice).
   */
  private taskEntity(pod: ManagedObjectReference | undefined): ManagedObject {
    const o = pod ? this.sim.inventory.get(pod.value) : undefined;
    return o instanceof StoragePod ? o : this.sim.inventory.get((this.sim.content.rootFolder as ManagedObjectReference).value)!;
  }

  private pod(ref: ManagedObjectReference | undefined, property: string): StoragePod {
    if (!ref) throw new VimFault("InvalidArgument", { invalidProperty: property });
    const pod = this.sim.inventory.get(ref.value);
    if (!(pod instanceof StoragePod)) throw new VimFault("ManagedObjectNotFound", { obj: ref });
    return pod;
  }

  /** Storage DRS is vpxd's: hostd's manager answers as for a method it lacks. */
  private vcenterOnly(method: string): void {
    if (!this.sim.isVCenter) throw new VimFault("NotImplemented", {}, `${this.ref.type}.${method} is not implemented by this simulator.`);
  }

  ConfigureStorageDrsForPod_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    this.vcenterOnly("ConfigureStorageDrsForPod_Task");
    return this.sim.tasks.run(this.taskEntity(args.pod), "ConfigureStorageDrsForPod_Task", "StorageResourceManager.configureStorageDrsForPod", ctx.session?.userName ?? "", () => {
      const pod = this.pod(args.pod, "pod");
      const { podConfig, vmConfig } = this.podConfigFor(pod, (args.spec ?? {}) as Spec, args.modify !== false);
      pod.update({ "podStorageDrsEntry.storageDrsConfig": { _type: "StorageDrsConfigInfo", podConfig, vmConfig } });
    });
  }

  /**
   * Whether `spec` would configure the pod: the fault ConfigureStorageDrsForPod_Task
   * would fail with, or nothing. The spec applies as with modify=true (a
   * choice: the method has no modify flag and the reference does not say).
   */
  ValidateStoragePodConfig(args: Args): DataObject | undefined {
    this.vcenterOnly("ValidateStoragePodConfig");
    const pod = this.pod(args.pod, "pod");
    try {
      this.podConfigFor(pod, (args.spec ?? {}) as Spec, true);
      return undefined;
    } catch (e) {
      if (e instanceof VimFault) return localizedFault(e);
      throw e;
    }
  }

  /** The pod's configuration after `spec`, checked whole before anyone applies it. */
  private podConfigFor(pod: StoragePod, spec: Spec, modify: boolean): { podConfig: Spec; vmConfig: Spec[] } {
    const entry = pod.props.podStorageDrsEntry as { storageDrsConfig: { podConfig: Spec; vmConfig?: Spec[] } };
    // modify=false replaces the configuration: what the spec leaves out goes back to the defaults
    const base = modify ? entry.storageDrsConfig.podConfig : defaultPodConfig();
    const podConfig: Spec = { ...base };
    for (const [k, v] of Object.entries((spec.podConfigSpec ?? {}) as Spec)) {
      if (k === "_type" || v === undefined || v === null) continue;
      // rules and options are specs (add, edit, remove) in StorageDrsPodConfigSpec; the simulator keeps none
      if (k === "rule" || k === "option") continue;
      podConfig[k] = v;
    }
    if (podConfig.spaceLoadBalanceConfig) podConfig.spaceLoadBalanceConfig = { ...podConfig.spaceLoadBalanceConfig, _type: "StorageDrsSpaceLoadBalanceConfig" };
    if (podConfig.ioLoadBalanceConfig) podConfig.ioLoadBalanceConfig = { ...podConfig.ioLoadBalanceConfig, _type: "StorageDrsIoLoadBalanceConfig" };
    if (podConfig.automationOverrides) podConfig.automationOverrides = { ...podConfig.automationOverrides, _type: "StorageDrsAutomationConfig" };
    if (podConfig.defaultVmBehavior !== undefined && !["manual", "automated"].includes(String(podConfig.defaultVmBehavior))) {
      throw new VimFault("InvalidArgument", { invalidProperty: "spec.podConfigSpec.defaultVmBehavior" });
    }
    // the ranges the API reference gives for these thresholds; which property vpxd names is not confirmed
    const range = (v: unknown, min: number, max: number, property: string) => {
      if (v !== undefined && v !== null && (Number(v) < min || Number(v) > max)) {
        throw new VimFault("InvalidArgument", { invalidProperty: property }, `${property} must be between ${min} and ${max}.`);
      }
    };
    const space = (podConfig.spaceLoadBalanceConfig ?? {}) as Spec;
    range(space.spaceUtilizationThreshold, 50, 100, "spec.podConfigSpec.spaceLoadBalanceConfig.spaceUtilizationThreshold");
    range(space.minSpaceUtilizationDifference, 1, 50, "spec.podConfigSpec.spaceLoadBalanceConfig.minSpaceUtilizationDifference");
    const io = (podConfig.ioLoadBalanceConfig ?? {}) as Spec;
    range(io.ioLatencyThreshold, 5, 100, "spec.podConfigSpec.ioLoadBalanceConfig.ioLatencyThreshold");
    range(io.ioLoadImbalanceThreshold, 1, 100, "spec.podConfigSpec.ioLoadBalanceConfig.ioLoadImbalanceThreshold");
    const vmConfig = this.vmConfig(entry.storageDrsConfig.vmConfig ?? [], (spec.vmConfigSpec ?? []) as Spec[]);
    return { podConfig, vmConfig };
  }

  private datastore(ref: ManagedObjectReference | undefined): ManagedObject {
    if (!ref) throw new VimFault("InvalidArgument", { invalidProperty: "datastore" });
    const ds = this.sim.inventory.get(ref.value);
    if (!ds || ds.type !== "Datastore") throw new VimFault("ManagedObjectNotFound", { obj: ref });
    return ds;
  }

  ConfigureDatastoreIORM_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    if (!this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
    const ds = this.datastore(args.datastore);
    return this.sim.tasks.run(ds, "ConfigureDatastoreIORM_Task", "StorageResourceManager.ConfigureDatastoreIORM", ctx.session?.userName ?? "", () => {
      const spec = (args.spec ?? {}) as Spec;
      const summary = ds.props.summary as { accessible?: boolean; name: string; type: string };
      if (summary.accessible === false) throw new VimFault("InaccessibleDatastore", { datastore: ds.ref, name: summary.name });
      const extents = ((ds.props.info as Spec).vmfs?.extent ?? []) as unknown[];
      if (summary.type === "NFS41" || extents.length > 1) {
        throw new VimFault("NotSupported", {}, `Storage I/O Control is not supported on datastore ${summary.name}.`);
      }
      const mode = spec.congestionThresholdMode;
      if (mode !== undefined && mode !== null && !["automatic", "manual"].includes(String(mode))) {
        throw new VimFault("InvalidArgument", { invalidProperty: "spec.congestionThresholdMode" });
      }
      if (spec.congestionThreshold !== undefined && spec.congestionThreshold !== null) {
        // the reference: a threshold needs the mode set to manual in the same spec
        if (mode !== "manual") throw new VimFault("InvalidArgument", { invalidProperty: "spec.congestionThresholdMode" }, "To set congestionThreshold, congestionThresholdMode must be manual.");
        const t = Number(spec.congestionThreshold);
        if (t < 5 || t > 100) throw new VimFault("InvalidArgument", { invalidProperty: "spec.congestionThreshold" }, "congestionThreshold must be between 5 and 100 milliseconds.");
      }
      const pct = spec.percentOfPeakThroughput;
      if (pct !== undefined && pct !== null && (Number(pct) < 50 || Number(pct) > 100)) {
        throw new VimFault("InvalidArgument", { invalidProperty: "spec.percentOfPeakThroughput" }, "percentOfPeakThroughput must be between 50 and 100.");
      }
      const now = { ...(ds.props.iormConfiguration as Spec) };
      for (const [k, v] of Object.entries(spec)) {
        if (k === "_type" || v === undefined || v === null) continue;
        now[k] = v;
      }
      ds.update({ iormConfiguration: { ...now, _type: "StorageIORMInfo" } });
    });
  }

  /** The same options from every host: the simulated hosts are alike. */
  QueryIORMConfigOption(args: Args): DataObject {
    if (this.sim.isVCenter) {
      const host = args.host as ManagedObjectReference | undefined;
      if (!host) throw new VimFault("InvalidArgument", { invalidProperty: "host" });
      if (this.sim.inventory.get(host.value)?.type !== "HostSystem") throw new VimFault("ManagedObjectNotFound", { obj: host });
    }
    const bool = (defaultValue: boolean) => ({ _type: "BoolOption", valueIsReadonly: false, supported: true, defaultValue });
    return {
      _type: "StorageIORMConfigOption",
      enabledOption: bool(false),
      congestionThresholdOption: { _type: "IntOption", valueIsReadonly: false, min: 5, max: 100, defaultValue: 30 },
      statsCollectionEnabledOption: bool(false),
      reservationEnabledOption: bool(true),
    };
  }

  /**
   * The datastore's latency and IOPS percentiles. The simulated guests do no
   * disk I/O, so every figure is 0 and SIOC was never active. vCenter's
   * intervals and percentiles are not documented (the method is marked
   * experimental): a choice of one summary per day and per week, at the
   * 50th, 90th and 99th percentiles.
   */
  QueryDatastorePerformanceSummary(args: Args): DataObject[] {
    this.vcenterOnly("QueryDatastorePerformanceSummary");
    const ref = args.datastore as ManagedObjectReference | undefined;
    const ds = ref ? this.sim.inventory.get(ref.value) : undefined;
    if (!ds || ds.type !== "Datastore") throw new VimFault("NotFound", {}, "The datastore was not found.");
    const percentile = [50, 90, 99];
    const zeros = () => percentile.map(() => 0);
    return [86400, 604800].map((interval) => ({
      _type: "StoragePerformanceSummary", interval, percentile,
      datastoreReadLatency: zeros(), datastoreWriteLatency: zeros(), datastoreVmLatency: zeros(),
      datastoreReadIops: zeros(), datastoreWriteIops: zeros(), siocActivityDuration: 0,
    }));
  }

  /** StorageDrsVmConfigSpec: add, edit or remove (removeKey: the VM) per-VM overrides. */
  private vmConfig(now: Spec[], specs: Spec[]): Spec[] {
    let out = [...now];
    const same = (a: Spec | undefined, vm: ManagedObjectReference | undefined) => !!vm && a?.vm?.value === vm.value;
    for (const s of specs) {
      const info = { ...(s.info ?? {}), _type: "StorageDrsVmConfigInfo" } as Spec;
      if (s.operation === "add") {
        if (out.some((c) => same(c, info.vm))) throw new VimFault("InvalidArgument", { invalidProperty: "spec.vmConfigSpec.info.vm" });
        out.push(info);
      } else if (s.operation === "edit") {
        const i = out.findIndex((c) => same(c, info.vm));
        if (i < 0) throw new VimFault("InvalidArgument", { invalidProperty: "spec.vmConfigSpec.info.vm" });
        out[i] = { ...out[i], ...Object.fromEntries(Object.entries(info).filter(([, v]) => v !== undefined)) };
      } else if (s.operation === "remove") {
        const key = s.removeKey as ManagedObjectReference | undefined;
        if (!out.some((c) => same(c, key))) throw new VimFault("InvalidArgument", { invalidProperty: "spec.vmConfigSpec.removeKey" });
        out = out.filter((c) => !same(c, key));
      } else throw new VimFault("InvalidArgument", { invalidProperty: "spec.vmConfigSpec.operation" });
    }
    return out;
  }

  /**
   * Where a VM's storage should go in a pod. A pod whose Storage DRS is off
   * answers InvalidArgument on podSelectionSpec.storagePod (vcsim does the
   * same; the method declares no fault of its own, and vCenter's exact
   * answer could not be confirmed: the clients we know check `enabled`
   * themselves before asking).
   */
  RecommendDatastores(args: Args): DataObject {
    this.vcenterOnly("RecommendDatastores");
    const spec = (args.storageSpec ?? {}) as Spec;
    const type = String(spec.type ?? "");
    if (!TYPES.includes(type)) throw new VimFault("InvalidArgument", { invalidProperty: "storageSpec.type" });
    const sel = (spec.podSelectionSpec ?? {}) as Spec;
    const pod = this.pod(sel.storagePod ?? sel.initialVmConfig?.[0]?.storagePod, "podSelectionSpec.storagePod");
    if (!pod.sdrsEnabled) throw new VimFault("InvalidArgument", { invalidProperty: "podSelectionSpec.storagePod" }, `Storage DRS is disabled on datastore cluster ${pod.name}.`);
    const vm = spec.vm ? this.sim.inventory.get((spec.vm as ManagedObjectReference).value) as VirtualMachine | undefined : undefined;
    if (spec.vm && vm?.type !== "VirtualMachine") throw new VimFault("ManagedObjectNotFound", { obj: spec.vm });
    if (type === "create") {
      if (!spec.resourcePool) throw new VimFault("InvalidArgument", { invalidProperty: "resourcePool" });
      if (!spec.configSpec) throw new VimFault("InvalidArgument", { invalidProperty: "configSpec" });
    } else if (!vm) throw new VimFault("InvalidArgument", { invalidProperty: "vm" });
    if (type === "clone") {
      if (!spec.cloneSpec) throw new VimFault("InvalidArgument", { invalidProperty: "cloneSpec" });
      if (!spec.cloneName) throw new VimFault("InvalidArgument", { invalidProperty: "cloneName" });
      if (!spec.folder) throw new VimFault("InvalidArgument", { invalidProperty: "folder" });
    }
    if (type === "reconfigure" && !spec.configSpec) throw new VimFault("InvalidArgument", { invalidProperty: "configSpec" });

    const hosts = this.candidateHosts(spec, type, vm);
    const demand = this.spaceDemand(spec, type, vm);
    const datastores = pod.datastores()
      .map((r) => this.sim.inventory.get(r.value))
      .filter((d): d is ManagedObject => !!d && hosts.some((h) => mounts(h, d.ref)) && !datastoreRefusal(d))
      .sort((a, b) => free(b) - free(a));
    if (datastores.length === 0) {
      const fault = localizedFault(new VimFault("NoCompatibleDatastore", {}, "Storage DRS cannot find a compatible datastore in the datastore cluster."));
      return { _type: "StoragePlacementResult", recommendations: [], drsFault: { _type: "ClusterDrsFaults", reason: "storagePlacement", faultsByVm: [{ _type: "ClusterDrsFaultsFaultsByVm", vm: spec.vm, fault: [fault] }] } };
    }
    const keys = datastores.map(() => String(this.sim.ids.next("storage-recommendation")));
    const recommendations = datastores.map((ds, i) => {
      const summary = ds.props.summary as { capacity: number; freeSpace: number };
      const pct = (used: number) => (summary.capacity ? (used / summary.capacity) * 100 : 0);
      const used = summary.capacity - summary.freeSpace;
      const action = {
        _type: "StoragePlacementAction", type: "StoragePlacementV1", target: undefined, vm: spec.vm,
        relocateSpec: { _type: "VirtualMachineRelocateSpec", datastore: ds.ref, diskMoveType: "moveAllDiskBackingsAndAllowSharing" },
        destination: ds.ref,
        spaceUtilBefore: pct(used), spaceDemandBefore: pct(used), spaceUtilAfter: pct(used + demand), spaceDemandAfter: pct(used + demand), ioLatencyBefore: 0,
      };
      this.pending.set(keys[i], { pod: pod.ref, destination: ds.ref, spec, action, siblings: keys });
      // ratings run 1 (least) to 5; the best datastore gets 5, the others less (a choice: vCenter's scale for these is not documented)
      return {
        _type: "ClusterRecommendation", key: keys[i], type: "V1", time: this.sim.clock.now(), rating: Math.max(1, 5 - i),
        reason: "storagePlacement", reasonText: "Satisfy storage initial placement requests", action: [action], target: pod.ref,
      };
    });
    return { _type: "StoragePlacementResult", recommendations };
  }

  /** The hosts the VM may run on: the one named, else the compute resource's of the pool (or the VM's own host). */
  private candidateHosts(spec: Spec, type: string, vm: VirtualMachine | undefined): ManagedObject[] {
    const inv = this.sim.inventory;
    const named = (spec.host ?? spec.cloneSpec?.location?.host ?? spec.relocateSpec?.host) as ManagedObjectReference | undefined;
    if (named) return [inv.get(named.value)].filter((h): h is ManagedObject => !!h);
    const poolRef = (spec.resourcePool ?? spec.cloneSpec?.location?.pool ?? spec.relocateSpec?.pool) as ManagedObjectReference | undefined;
    if (poolRef) {
      const pool = inv.get(poolRef.value);
      if (!pool) throw new VimFault("ManagedObjectNotFound", { obj: poolRef });
      const owner = inv.get((pool.props.owner as ManagedObjectReference).value);
      return ((owner?.props.host as ManagedObjectReference[] | undefined) ?? []).map((h) => inv.get(h.value)).filter((h): h is ManagedObject => hostTakesVms(h));
    }
    const current = (vm?.props.runtime as { host?: ManagedObjectReference } | undefined)?.host;
    void type;
    return current ? [inv.get(current.value)].filter((h): h is ManagedObject => !!h) : [];
  }

  /** Bytes the placement adds to a datastore: new disks for a create or reconfigure, the VM's committed storage for a clone or relocate. */
  private spaceDemand(spec: Spec, type: string, vm: VirtualMachine | undefined): number {
    if (type === "clone" || type === "relocate") return Number((vm?.props.summary as { storage?: { committed?: number } } | undefined)?.storage?.committed ?? 0);
    let bytes = 0;
    for (const c of (spec.configSpec?.deviceChange ?? []) as Spec[]) {
      if (c.operation !== "add" || c.device?._type !== "VirtualDisk") continue;
      bytes += Number(c.device.capacityInBytes ?? Number(c.device.capacityInKB ?? 0) * 1024);
    }
    return bytes;
  }

  ApplyStorageDrsRecommendation_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    this.vcenterOnly("ApplyStorageDrsRecommendation_Task");
    const keys = ((args.key ?? []) as unknown[]).map(String);
    return this.applyTask("ApplyStorageDrsRecommendation_Task", "StorageResourceManager.applyRecommendation", keys, undefined, ctx);
  }

  ApplyStorageDrsRecommendationToPod_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    this.vcenterOnly("ApplyStorageDrsRecommendationToPod_Task");
    return this.applyTask("ApplyStorageDrsRecommendationToPod_Task", "StorageResourceManager.applyRecommendationToPod", [String(args.key ?? "")], args.pod, ctx);
  }

  private applyTask(method: string, descriptionId: string, keys: string[], pod: ManagedObjectReference | undefined, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this.taskEntity(pod ?? this.pending.get(keys[0] ?? "")?.pod), method, descriptionId, user, () => {
      if (pod) this.pod(pod, "pod");
      for (const k of keys) {
        const p = this.pending.get(k);
        if (!p || (pod && p.pod.value !== pod.value)) throw new VimFault("InvalidArgument", { invalidProperty: "key" }, `No recommendation ${k} to apply.`);
      }
      let vm: ManagedObjectReference | undefined;
      for (const k of keys) {
        const p = this.pending.get(k);
        if (!p) throw new VimFault("InvalidArgument", { invalidProperty: "key" }, `No recommendation ${k} to apply.`);
        vm = this.apply(p, user) ?? vm;
        for (const s of p.siblings) this.pending.delete(s);
        const podObj = this.sim.inventory.get(p.pod.value);
        if (podObj instanceof StoragePod) podObj.recordAction({ ...p.action, vm: vm ?? (p.action as Spec).vm });
      }
      return { _type: "ApplyStorageRecommendationResult", vm };
    }, { resultType: { type: "ApplyStorageRecommendationResult" } });
  }

  /** The placement's work, on the recommended datastore; the new VM for a create or clone. */
  private apply(p: Pending, user: string): ManagedObjectReference | undefined {
    const inv = this.sim.inventory;
    const ds = inv.get(p.destination.value);
    if (!ds) throw new VimFault("ManagedObjectNotFound", { obj: p.destination });
    const spec = p.spec;
    switch (spec.type) {
      case "create": {
        const pool = spec.resourcePool as ManagedObjectReference;
        const folder = this.vmFolderFor(spec.folder, pool);
        const files = { _type: "VirtualMachineFileInfo", ...(spec.configSpec.files ?? {}), vmPathName: `[${ds.get("name")}]` };
        const vm = createVm(this.sim, folder, { ...spec.configSpec, files }, pool, spec.host);
        vm.event("VmCreatedEvent", `Created virtual machine ${vm.name} on ${inv.get(vm.host.value)?.get("name") ?? ""}`, user);
        return vm.ref;
      }
      case "clone": {
        const source = inv.get(spec.vm.value) as VirtualMachine;
        const folder = this.vmFolderFor(spec.folder, undefined);
        const location = { _type: "VirtualMachineRelocateSpec", ...(spec.cloneSpec.location ?? {}), datastore: ds.ref };
        return source.withGuestDisks(() => cloneVm(this.sim, source, folder, String(spec.cloneName), { ...spec.cloneSpec, location }, user));
      }
      case "relocate": {
        const vm = inv.get(spec.vm.value) as VirtualMachine;
        relocateVm(this.sim, vm, { _type: "VirtualMachineRelocateSpec", ...(spec.relocateSpec ?? {}), datastore: ds.ref }, user);
        return undefined;
      }
      default:
        // a reconfigure's new disks would go to the datastore: not built yet
        throw new VimFault("NotSupported", {}, "Applying a reconfigure placement is not supported by this simulator.");
    }
  }

  /** The folder a new VM goes in: the one named, else the VM folder of the pool's datacenter. */
  private vmFolderFor(ref: ManagedObjectReference | undefined, pool: ManagedObjectReference | undefined): Folder {
    const inv = this.sim.inventory;
    if (ref) {
      const f = inv.get(ref.value);
      if (!(f instanceof Folder)) throw new VimFault("ManagedObjectNotFound", { obj: ref });
      return f;
    }
    const dc = datacenterOf(pool ? (inv.get(pool.value) as ManagedEntity | undefined) : undefined);
    const f = dc ? inv.get((dc.props.vmFolder as ManagedObjectReference).value) : undefined;
    if (!(f instanceof Folder)) throw new VimFault("InvalidArgument", { invalidProperty: "folder" });
    return f;
  }

  /** Forget recommendations; keys nobody holds are passed over (a choice: vCenter's answer for them is not documented). */
  CancelStorageDrsRecommendation(args: Args): void {
    this.vcenterOnly("CancelStorageDrsRecommendation");
    for (const k of ((args.key ?? []) as unknown[]).map(String)) this.pending.delete(k);
  }

  /** Storage DRS's periodic run, on demand: the simulator balances nothing, so nothing changes. */
  RefreshStorageDrsRecommendation(args: Args): void {
    this.vcenterOnly("RefreshStorageDrsRecommendation");
    this.pod(args.pod, "pod");
  }

  RefreshStorageDrsRecommendationsForPod_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    this.vcenterOnly("RefreshStorageDrsRecommendationsForPod_Task");
    return this.sim.tasks.run(this.taskEntity(args.pod), "RefreshStorageDrsRecommendationsForPod_Task", "StorageResourceManager.refreshRecommendationsForPod", ctx.session?.userName ?? "", () => {
      this.pod(args.pod, "pod");
    });
  }
}

function free(ds: ManagedObject): number {
  return Number((ds.props.summary as { freeSpace?: number } | undefined)?.freeSpace ?? 0);
}
