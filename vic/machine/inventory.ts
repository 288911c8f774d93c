// What vic-machine needs to know of the target: the datacenter, its compute
// resources, pools, hosts, datastores and networks, with inventory paths as
// govc and VIC print them (/ha-datacenter/host/esxi01/esxi01), read with
// container views through vim25/client.
import { toRecord, viewSpec, type VimClient } from "../../vim25/client/index.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

export interface Entity {
  ref: ManagedObjectReference;
  name: string;
  path: string;
}

export interface ComputeEntity extends Entity {
  isCluster: boolean;
  rootPool: ManagedObjectReference;
  hosts: ManagedObjectReference[];
  datastores: ManagedObjectReference[];
  drsEnabled: boolean;
}

export interface NetworkEntity extends Entity {
  /** DistributedVirtualPortgroup or Network */
  type: string;
  /** the switch's uplink port group: not a network a VM uses */
  uplink: boolean;
}

export class Inventory {
  readonly isVC: boolean;
  datacenter!: Entity & { vmFolder: ManagedObjectReference; hostFolder: ManagedObjectReference; networkFolder: ManagedObjectReference };
  computes: ComputeEntity[] = [];
  hosts = new Map<string, Entity>();
  datastores: (Entity & { hosts: string[]; capacity: number; freeSpace: number })[] = [];
  networks: NetworkEntity[] = [];
  /** moref value -> inventory path, for everything read */
  private readonly paths = new Map<string, string>();

  constructor(readonly client: VimClient) {
    this.isVC = client.content.about?.apiType === "VirtualCenter";
  }

  static async load(client: VimClient, datacenter: string | undefined): Promise<Inventory> {
    const inv = new Inventory(client);
    await inv.loadDatacenter(datacenter);
    return inv;
  }

  private async loadDatacenter(name: string | undefined): Promise<void> {
    const c = this.client;
    const dcs = [...(await c.retrieveFromContainer(c.content.rootFolder, "Datacenter", ["name", "vmFolder", "hostFolder", "networkFolder", "parent"])).entries()];
    const chosen = name === undefined ? dcs : dcs.filter(([, r]) => r.name === name);
    if (!chosen.length) throw new Error(name ? `Datacenter "${name}" was not found (found: ${dcs.map(([, r]) => r.name).join(", ") || "none"})` : "no datacenter was found");
    if (chosen.length > 1) throw new Error(`More than one datacenter: specify one in --target (found: ${dcs.map(([, r]) => r.name).join(", ")})`);
    const [value, r] = chosen[0];
    const dcName = String(r.name);
    this.datacenter = {
      ref: { _type: "ManagedObjectReference", type: "Datacenter", value }, name: dcName, path: `/${dcName}`,
      vmFolder: r.vmFolder as ManagedObjectReference, hostFolder: r.hostFolder as ManagedObjectReference, networkFolder: r.networkFolder as ManagedObjectReference,
    };
    const dcRef = this.datacenter.ref;

    // compute resources and their hosts, with paths below <dc>/host
    const folders = await c.retrieveFromContainer(dcRef, "Folder", ["name", "parent"]);
    const crs = await c.retrieveFromContainer(dcRef, "ComputeResource", ["name", "parent", "resourcePool", "host", "datastore", "configurationEx"]);
    const pathOf = (value: string, name: string, parent: ManagedObjectReference | undefined): string => {
      const segs = [name];
      let p = parent;
      while (p && p.value !== dcRef.value) {
        const f = folders.get(p.value);
        if (!f) break;
        segs.unshift(String(f.name));
        p = f.parent as ManagedObjectReference | undefined;
      }
      const path = `/${dcName}/${segs.join("/")}`;
      this.paths.set(value, path);
      return path;
    };
    for (const [value, cr] of crs) {
      const ref: ManagedObjectReference = { _type: "ManagedObjectReference", type: "ComputeResource", value };
      const path = pathOf(value, String(cr.name), cr.parent as ManagedObjectReference);
      const cfg = cr.configurationEx as { _type?: string; drsConfig?: { enabled?: boolean } } | undefined;
      const isCluster = cfg?._type === "ClusterConfigInfoEx";
      if (isCluster) ref.type = "ClusterComputeResource";
      this.computes.push({
        ref, name: String(cr.name), path, isCluster,
        rootPool: cr.resourcePool as ManagedObjectReference,
        hosts: (cr.host as ManagedObjectReference[] | undefined) ?? [],
        datastores: (cr.datastore as ManagedObjectReference[] | undefined) ?? [],
        drsEnabled: !!cfg?.drsConfig?.enabled,
      });
    }
    const hosts = await c.retrieveFromContainer(dcRef, "HostSystem", ["name", "parent"]);
    for (const [value, h] of hosts) {
      const parentPath = this.paths.get((h.parent as ManagedObjectReference).value) ?? `/${dcName}/host`;
      const path = `${parentPath}/${h.name}`;
      this.paths.set(value, path);
      this.hosts.set(value, { ref: { _type: "ManagedObjectReference", type: "HostSystem", value }, name: String(h.name), path });
    }
    const dss = await c.retrieveFromContainer(dcRef, "Datastore", ["name", "host", "summary"]);
    for (const [value, d] of dss) {
      const s = d.summary as { capacity: number; freeSpace: number };
      this.datastores.push({
        ref: { _type: "ManagedObjectReference", type: "Datastore", value }, name: String(d.name), path: `/${dcName}/datastore/${d.name}`,
        hosts: ((d.host as { key: ManagedObjectReference }[] | undefined) ?? []).map((m) => m.key.value),
        capacity: Number(s.capacity), freeSpace: Number(s.freeSpace),
      });
    }
    const nets = await c.retrieveFromContainer(dcRef, "Network", ["name"]);
    const uplinks = new Set<string>();
    const dvpgs = new Set<string>();
    if (this.isVC) {
      const pgs = await c.retrieveFromContainer(dcRef, "DistributedVirtualPortgroup", ["config.uplink"]);
      for (const [value, pg] of pgs) {
        dvpgs.add(value);
        if (pg["config.uplink"]) uplinks.add(value);
      }
    }
    for (const [value, n] of nets) {
      const type = dvpgs.has(value) ? "DistributedVirtualPortgroup" : "Network";
      this.networks.push({ ref: { _type: "ManagedObjectReference", type, value }, type, name: String(n.name), path: `/${dcName}/network/${n.name}`, uplink: uplinks.has(value) });
    }
  }

  /** the pools and vApps below `root`, with their real types */
  async pools(root: ManagedObjectReference): Promise<{ ref: ManagedObjectReference; name: string; parent: ManagedObjectReference | undefined; vms: ManagedObjectReference[] }[]> {
    const v = await this.client.containerView(root, ["ResourcePool"], true);
    try {
      const contents = await this.client.retrieve([viewSpec(v.view, "ResourcePool", ["name", "parent", "vm"])]);
      return contents.map((c) => {
        const r = toRecord(c);
        return { ref: c.obj, name: String(r.name), parent: r.parent as ManagedObjectReference | undefined, vms: (r.vm as ManagedObjectReference[] | undefined) ?? [] };
      });
    } finally {
      await v.destroyView();
    }
  }

  pathOf(ref: ManagedObjectReference): string | undefined {
    return this.paths.get(ref.value);
  }

  /** a VM-usable network by name */
  network(name: string): NetworkEntity | undefined {
    return this.networks.find((n) => n.name === name && !n.uplink);
  }

  usableNetworks(): string[] {
    return [...new Set(this.networks.filter((n) => !n.uplink).map((n) => n.name))].sort();
  }
}
