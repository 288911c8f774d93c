// Disks a scenario asks for by size: a thin base disk, or a delta on a
// parent disk, named by its descriptor path.
import type { SimContext } from "../sim-context.ts";
import { basename, type ResolvedPath } from "./datastore-path.ts";
import { createDiskFiles, parentFileNameHint, readDescriptor } from "./disk-files.ts";
import { ddbUuid, deltaDescriptor, flatDescriptor } from "../formats/vmdk.ts";

export function createFixtureDisk(sim: SimContext, target: ResolvedPath, capacityBytes: number, parent?: ResolvedPath): void {
  const stem = basename(target.path).replace(/\.vmdk$/i, "");
  const cid = sim.ids.hex("cid", target.datastorePath, 8);
  const longContentId = sim.ids.hex("disk.lcid", target.datastorePath, 32);
  if (parent) {
    createDiskFiles(target, deltaDescriptor({ parent: readDescriptor(parent), parentHint: parentFileNameHint(parent, target), deltaFile: `${stem}-delta.vmdk`, cid, longContentId }));
    return;
  }
  createDiskFiles(target, flatDescriptor({
    flatFile: `${stem}-flat.vmdk`, bytes: capacityBytes, cid, uuid: ddbUuid(sim.ids.hex("disk.uuid", target.datastorePath, 32)),
    adapterType: "lsilogic", thin: true, hwVersion: 11, longContentId,
  }));
}
