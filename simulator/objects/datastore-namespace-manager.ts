// DatastoreNamespaceManager: top-level directories of datastores whose
// volumes cannot make them with FileManager.MakeDirectory (vSAN and VVol
// namespaces, addressed as /vmfs/volumes/<datastore-uuid>/<directory-uuid>).
// The simulator's datastores are VMFS and NFS volumes, which have no
// namespaces (their capability topLevelDirectoryCreateSupported is true), so
// after the argument checks every call ends in InvalidDatastore, the fault
// the reference gives for "a datastore not supported by the
// DatastoreNamespaceManager" (govmomi's vcsim answers the same for
// ConvertNamespacePathToUuidPath on a datastore that is not vSAN).
import { VimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { Datastore } from "./datastore.ts";
import { datacenterFor, datastoresOf } from "../datastore/datastore-path.ts";

function unsupported(ds: Datastore): VimFault {
  return new VimFault("InvalidDatastore", { datastore: ds.ref, name: ds.name }, `The datastore '${ds.name}' does not support top-level directory operations: it is not a vSAN or Virtual Volumes datastore.`);
}

export class DatastoreNamespaceManager extends ManagedObject {
  constructor(sim: SimContext, value: string) {
    super(sim, "DatastoreNamespaceManager", value);
  }

  CreateDirectory(args: Args): string {
    const ref = args.datastore as ManagedObjectReference | undefined;
    const ds = ref ? this.sim.inventory.get(ref.value) : undefined;
    if (!(ds instanceof Datastore)) throw new VimFault("ManagedObjectNotFound", { obj: ref });
    throw unsupported(ds);
  }

  /** The path must be a top-level directory of a datastore of the datacenter: /vmfs/volumes/<volume>/<directory>. */
  DeleteDirectory(args: Args): void {
    const path = String(args.datastorePath ?? "");
    const m = /^\/vmfs\/volumes\/([^/]+)\/([^/]+)\/?$/.exec(path);
    const ds = this.volume(args.datacenter, m?.[1], path);
    throw unsupported(ds);
  }

  ConvertNamespacePathToUuidPath(args: Args): string {
    const url = String(args.namespaceUrl ?? "");
    const m = /^(?:ds:\/\/)?\/vmfs\/volumes\/([^/]+)(?:\/.*)?$/.exec(url);
    const ds = this.volume(args.datacenter, m?.[1], url);
    throw unsupported(ds);
  }

  /** The datastore a /vmfs/volumes path names, by UUID or name, in the call's datacenter (vpxd needs it, hostd has one). */
  private volume(datacenter: ManagedObjectReference | undefined, volume: string | undefined, path: string): Datastore {
    const dc = datacenterFor(this.sim, datacenter);
    const ds = volume === undefined ? undefined : datastoresOf(this.sim, dc).find((d) => d.uuid === volume || d.name === volume);
    if (!ds) throw new VimFault("InvalidDatastorePath", { datastorePath: path }, `Invalid datastore path '${path}'.`);
    return ds;
  }
}
