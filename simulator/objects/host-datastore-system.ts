// HostDatastoreSystem: the datastores a host mounts, and NFS mounts made at
// run time (govc datastore.create -type nfs, Terraform's vsphere_nas_datastore).
// Mounting an export that another host of the datacenter already mounts
// under the same name joins that datastore, as vCenter's shared NFS
// datastores do; the same name on another export is a DuplicateName. An
// NFS server's size is not the simulator's to know: a new export holds 1 TiB.
// RemoveDatastore unmounts, refused while a VM of this host keeps files
// there; the datastore leaves the inventory with its last host.
import { VimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { Datastore } from "./datastore.ts";
import { datacenterOf, type ManagedEntity } from "./managed-entity.ts";
import type { Datacenter } from "./datacenter.ts";

type Ref = ManagedObjectReference;
const NFS_CAPACITY = 1024 ** 4;

export class HostDatastoreSystem extends ManagedObject {
  constructor(sim: SimContext, value: string, private readonly host: Ref) {
    super(sim, "HostDatastoreSystem", value);
    Object.assign(this.props, {
      datastore: [],
      capabilities: { _type: "HostDatastoreSystemCapabilities", nfsMountCreationRequired: true, nfsMountCreationSupported: true, localDatastoreSupported: false, vmfsExtentExpansionSupported: true },
    });
  }

  private hostObj(): ManagedObject {
    return this.sim.inventory.get(this.host.value)!;
  }

  /** The host mounted or unmounted a datastore: this object's list follows the host's. */
  follow(): void {
    this.update({ datastore: [...((this.hostObj().props.datastore as Ref[] | undefined) ?? [])] });
    // the host's HostStorageSystem lists the same mounts as file system volumes
    const storage = (this.hostObj().props.configManager as { storageSystem?: Ref } | undefined)?.storageSystem;
    (storage && (this.sim.inventory.get(storage.value) as (ManagedObject & { follow?(): void }) | undefined))?.follow?.();
  }

  CreateNasDatastore(args: Args, ctx: CallContext): Ref {
    const spec = (args.spec ?? {}) as Record<string, any>;
    const name = String(spec.localPath ?? "");
    const remoteHost = String(spec.remoteHost ?? "");
    const remotePath = String(spec.remotePath ?? "");
    if (!name || name.length > 42 || /[/\\%]/.test(name)) throw new VimFault("InvalidArgument", { invalidProperty: "spec.localPath" }, `A specified parameter was not correct: spec.localPath (${JSON.stringify(name)} is not a datastore name)`);
    if (!remoteHost || !remotePath.startsWith("/")) throw new VimFault("InvalidArgument", { invalidProperty: !remoteHost ? "spec.remoteHost" : "spec.remotePath" }, "An NFS mount needs a remote host and an absolute remote path.");
    const host = this.hostObj();
    const dc = datacenterOf(host as ManagedEntity) as Datacenter;
    const same = ((dc.props.datastore as Ref[]) ?? []).map((r) => this.sim.inventory.get(r.value) as Datastore | undefined).find((d) => d?.name === name);
    let ds: Datastore;
    if (same) {
      const nas = (same.props.info as { nas?: { remoteHost: string; remotePath: string } }).nas;
      if (!nas || nas.remoteHost !== remoteHost || nas.remotePath !== remotePath) throw new VimFault("DuplicateName", { name, object: same.ref }, `The name '${name}' already exists.`);
      if ((host.props.datastore as Ref[]).some((r) => r.value === same.ref.value)) throw new VimFault("AlreadyExists", { name }, `The specified key, name, or identifier '${name}' already exists.`);
      ds = same;
    } else {
      const nfsExport = `${remoteHost}:${remotePath}`;
      const uuid = `${this.sim.ids.hex("nfs", nfsExport, 8)}-${this.sim.ids.hex("nfs2", nfsExport, 8)}`;
      ds = Datastore.create(this.sim, dc, { name, type: "NFS", capacityBytes: NFS_CAPACITY, usedBytes: 0, remoteHost, remotePath }, uuid);
    }
    ds.mountOn(host.ref);
    this.follow();
    this.sim.events.post("NASDatastoreCreatedEvent", `Created NAS datastore ${name} on ${host.get("name")} in ${dc.name}`, ctx.session?.userName ?? "",
      { host: { name: String(host.get("name")), ref: host.ref }, datacenter: { name: dc.name, ref: dc.ref } },
      { datastore: { _type: "DatastoreEventArgument", name, datastore: ds.ref }, datastoreUrl: (ds.props.summary as { url: string }).url });
    return ds.ref;
  }

  RemoveDatastore(args: Args, ctx: CallContext): void {
    const host = this.hostObj();
    const ds = this.sim.inventory.get((args.datastore as Ref).value);
    if (!(ds instanceof Datastore) || !(host.props.datastore as Ref[]).some((r) => r.value === ds.ref.value)) {
      throw new VimFault("NotFound", {}, `The datastore is not mounted on ${host.get("name")}.`);
    }
    const vms = ((ds.props.vm as Ref[]) ?? []).filter((v) => ((host.props.vm as Ref[]) ?? []).some((h) => h.value === v.value));
    if (vms.length) throw new VimFault("ResourceInUse", { type: "Datastore", name: ds.name }, `The datastore ${ds.name} holds files of ${vms.length} virtual machine(s) on ${host.get("name")}.`);
    ds.unmountFrom(host.ref);
    this.follow();
    const dc = datacenterOf(host as ManagedEntity) as Datacenter;
    this.sim.events.post("DatastoreRemovedOnHostEvent", `Removed datastore ${ds.name} from ${host.get("name")} in ${dc.name}`, ctx.session?.userName ?? "",
      { host: { name: String(host.get("name")), ref: host.ref }, datacenter: { name: dc.name, ref: dc.ref } },
      { datastore: { _type: "DatastoreEventArgument", name: ds.name, datastore: ds.ref } });
    if (!ds.mounts) ds.withdraw();
  }
}
