// StoragePod: a datastore cluster. A Folder that holds only datastores, in a
// vCenter datacenter's datastore folder (Folder.CreateStoragePod); its
// summary (capacity, free space) follows its datastores, and
// podStorageDrsEntry holds its Storage DRS configuration, which
// StorageResourceManager.ConfigureStorageDrsForPod_Task changes, and the
// history of the placements applied in it. All its state is in props, so a
// simulator snapshot keeps it.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import { Folder } from "./folder.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";

/**
 * The pod configuration a new datastore cluster reads. Storage DRS starts
 * off: vCenter's CreateStoragePod leaves it to a ConfigureStorageDrsForPod
 * call (Terraform's and the vSphere client's wizards make one); vcsim starts
 * it on. The thresholds are vCenter's documented defaults (80% utilization,
 * 5% difference, 15 ms latency, 8 hour interval). A choice: not confirmed
 * against a live vCenter.
 */
export function defaultPodConfig(): DataObject {
  return {
    _type: "StorageDrsPodConfigInfo", enabled: false, ioLoadBalanceEnabled: true, defaultVmBehavior: "manual",
    loadBalanceInterval: 480, defaultIntraVmAffinity: true,
    spaceLoadBalanceConfig: { _type: "StorageDrsSpaceLoadBalanceConfig", spaceThresholdMode: "utilization", spaceUtilizationThreshold: 80, freeSpaceThresholdGB: 50, minSpaceUtilizationDifference: 5 },
    ioLoadBalanceConfig: { _type: "StorageDrsIoLoadBalanceConfig", ioLatencyThreshold: 15, ioLoadImbalanceThreshold: 5 },
    rule: [], option: [],
  };
}

export class StoragePod extends Folder {
  constructor(sim: SimContext, value: string, name: string, parent: ManagedObjectReference) {
    super(sim, value, name, parent, ["Datastore"], "StoragePod");
    this.props.summary = { _type: "StoragePodSummary", name, capacity: 0, freeSpace: 0 };
    this.props.podStorageDrsEntry = {
      _type: "PodStorageDrsEntry",
      storageDrsConfig: { _type: "StorageDrsConfigInfo", podConfig: defaultPodConfig(), vmConfig: [] },
      recommendation: [], drsFault: [], actionHistory: [],
    };
  }

  get sdrsEnabled(): boolean {
    return !!(this.props.podStorageDrsEntry as { storageDrsConfig: { podConfig: { enabled: boolean } } }).storageDrsConfig.podConfig.enabled;
  }

  /** The pod's datastores. */
  datastores(): ManagedObjectReference[] {
    return this.children();
  }

  /** summary.capacity and summary.freeSpace: the sums over its datastores (a datastore calls this when its space changes). */
  refreshSummary(): void {
    let capacity = 0;
    let freeSpace = 0;
    for (const r of this.children()) {
      const s = this.sim.inventory.get(r.value)?.props.summary as { capacity?: number; freeSpace?: number } | undefined;
      capacity += Number(s?.capacity ?? 0);
      freeSpace += Number(s?.freeSpace ?? 0);
    }
    const now = this.props.summary as { capacity: number; freeSpace: number };
    if (now.capacity !== capacity || now.freeSpace !== freeSpace) this.update({ "summary.capacity": capacity, "summary.freeSpace": freeSpace });
  }

  override attachChild(child: ManagedEntity): void {
    super.attachChild(child);
    this.refreshSummary();
  }

  override detachChild(child: ManagedEntity): void {
    super.detachChild(child);
    this.refreshSummary();
  }

  /**
   * MoveIntoFolder_Task into the pod: what Folder checks (only datastores:
   * NotSupported otherwise), and the datastore must be of the pod's own
   * datacenter. vCenter's fault for another datacenter's datastore is not
   * documented; InvalidFolder ("a wrong kind of container") is a choice.
   */
  protected override moveIn(r: ManagedObjectReference): void {
    const o = this.sim.inventory.get(r.value);
    if (o instanceof ManagedEntity && o.type === "Datastore" && datacenterOf(o) !== datacenterOf(this)) throw new VimFault("InvalidFolder", { target: this.ref });
    super.moveIn(r);
  }

  protected override rename(newName: string, userName: string): void {
    super.rename(newName, userName);
    this.update({ "summary.name": newName });
  }

  /**
   * Destroy_Task: the datastores leave the cluster for its parent folder
   * (as removing a datastore cluster in vCenter does: the datastores are
   * kept, only the cluster goes), then the pod leaves the inventory.
   */
  override destroy(): void {
    const parent = this.parentObject();
    for (const r of [...this.children()]) {
      const ds = this.sim.inventory.get(r.value);
      if (!(ds instanceof ManagedEntity)) continue;
      ds.destroyLinkOnly();
      if (parent instanceof Folder) parent.attachChild(ds);
    }
    super.destroy();
  }

  /** A placement applied in the pod: it joins actionHistory. */
  recordAction(action: DataObject): void {
    const entry = this.props.podStorageDrsEntry as { actionHistory?: DataObject[] };
    this.update({ "podStorageDrsEntry.actionHistory": [...(entry.actionHistory ?? []), { _type: "ClusterActionHistory", action, time: this.sim.clock.now() }] });
  }
}
