// Disks a scenario asks for by size: a thin base disk, or a delta on a
// parent disk, named by its descriptor path.
import type { SimContext } from "../sim-context.ts";
import type { ResolvedPath } from "./datastore-path.ts";
import { createDiskFiles, newDiskDescriptor, readDescriptor } from "./disk-files.ts";

export function createFixtureDisk(sim: SimContext, target: ResolvedPath, capacityBytes: number, parent?: ResolvedPath): void {
  createDiskFiles(target, newDiskDescriptor(sim, target, parent ? { parent: { file: parent, descriptor: readDescriptor(parent) } } : { bytes: capacityBytes }));
}
