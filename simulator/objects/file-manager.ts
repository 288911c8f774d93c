// FileManager: directories and whole files on datastores, by `[ds] path`
// (or a /folder URL) resolved in a datacenter. hostd has one datacenter and
// lets the caller leave it out; vpxd wants it (InvalidArgument otherwise).
// Copies and moves between datastores check the destination's space for
// the whole tree before writing any of it.
import { VimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import { datacenterFor, resolveDatastorePath, type ResolvedPath } from "../datastore/datastore-path.ts";

export class FileManager extends ManagedObject {
  private resolve(name: unknown, datacenter: ManagedObjectReference | undefined, property = "datacenter"): ResolvedPath {
    const dc = datacenterFor(this.sim, datacenter, property);
    return resolveDatastorePath(this.sim, String(name ?? ""), dc);
  }

  /**
   * TaskInfo.entity must be a ManagedEntity (pyVmomi refuses anything else):
   * the datacenter the call names, or the root folder when it names none.
   */
  private taskEntity(datacenter: ManagedObjectReference | undefined): ManagedObject {
    try {
      return datacenterFor(this.sim, datacenter);
    } catch {
      return this.sim.inventory.get((this.sim.content.rootFolder as ManagedObjectReference).value) ?? this;
    }
  }

  MakeDirectory(args: Args): void {
    const target = this.resolve(args.name, args.datacenter);
    target.datastore.volume.mkdir(target.path, { parents: !!args.createParentDirectories });
  }

  DeleteDatastoreFile_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this.taskEntity(args.datacenter), "DeleteDatastoreFile_Task", "FileManager.deleteFile", ctx.session?.userName ?? "", () => {
      const target = this.resolve(args.name, args.datacenter);
      target.datastore.volume.delete(target.path);
    });
  }

  MoveDatastoreFile_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this.taskEntity(args.sourceDatacenter), "MoveDatastoreFile_Task", "FileManager.moveFile", ctx.session?.userName ?? "", () => {
      this.transfer(args, true);
    });
  }

  CopyDatastoreFile_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this.taskEntity(args.sourceDatacenter), "CopyDatastoreFile_Task", "FileManager.copyFile", ctx.session?.userName ?? "", () => {
      this.transfer(args, false);
    });
  }

  /**
   * The reference: "currently not supported", on hostd and vpxd alike. The
   * path is still resolved first, so a bad datastore or a missing file gets
   * its own fault before NotSupported.
   */
  ChangeOwner(args: Args): void {
    const target = this.resolve(args.name, args.datacenter);
    if (!target.datastore.volume.exists(target.path)) throw new VimFault("FileNotFound", { file: target.datastorePath }, `File ${target.datastorePath} was not found`);
    throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
  }

  private transfer(args: Args, move: boolean): void {
    const src = this.resolve(args.sourceName, args.sourceDatacenter, "sourceDatacenter");
    // the destination's datacenter defaults to the source's
    const dst = this.resolve(args.destinationName, args.destinationDatacenter ?? args.sourceDatacenter, "destinationDatacenter");
    const overwrite = !!args.force;
    if (src.datastore === dst.datastore) {
      if (move) src.datastore.volume.move(src.path, dst.path, { overwrite });
      else src.datastore.volume.copy(src.path, dst.path, { overwrite });
      return;
    }
    if (move && src.path === "") throw new VimFault("CannotDeleteFile", { file: src.datastorePath }, `Cannot move the root of ${src.datastorePath}`);
    const tree = src.datastore.volume.exportTree(src.path);
    dst.datastore.volume.importTree(dst.path, tree, { overwrite, keepTimes: move });
    if (move) src.datastore.volume.delete(src.path);
  }
}
