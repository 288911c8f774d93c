// GuestFileManager: file transfers to and from a running guest. hostd
// answers with a one-time URL on its own /guestFile (host written as "*",
// which clients replace with the host they called); the data then moves by
// HTTP PUT or GET, and the guest program (GuestInstance.files) reads or
// writes it.
import { VimFault, type DataObject } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { askGuest, guestFor } from "./guest-process-manager.ts";

export class GuestFileManager extends ManagedObject {
  constructor(sim: SimContext, value: string) {
    super(sim, "GuestFileManager", value);
  }

  InitiateFileTransferToGuest(args: Args): string {
    const g = guestFor(this.sim, args, (i) => i.files);
    const path = String(args.guestFilePath ?? "");
    if (!path.startsWith("/")) throw new VimFault("InvalidArgument", { invalidProperty: "guestFilePath" });
    const size = Number(args.fileSize);
    if (!Number.isSafeInteger(size) || size < 0) throw new VimFault("InvalidArgument", { invalidProperty: "fileSize" });
    const overwrite = !!args.overwrite;
    // an existing file without overwrite is refused now, not when the data arrives
    if (!overwrite) {
      let exists = true;
      try {
        g.handler.read(path);
      } catch (e) {
        if ((e as { code?: string }).code === "ENOENT") exists = false;
      }
      if (exists) throw new VimFault("FileAlreadyExists", { file: path }, `File ${path} already exists`);
    }
    return this.sim.guests.newTransfer({ vm: g.vm, direction: "toGuest", path, size, overwrite });
  }

  InitiateFileTransferFromGuest(args: Args): DataObject {
    const g = guestFor(this.sim, args, (i) => i.files);
    const path = String(args.guestFilePath ?? "");
    const data = askGuest(g.os, () => g.handler.read(path), { file: path });
    return {
      _type: "FileTransferInformation",
      attributes: { _type: "GuestPosixFileAttributes", modificationTime: this.sim.clock.now(), accessTime: this.sim.clock.now(), permissions: 0o644 },
      size: data.length,
      url: this.sim.guests.newTransfer({ vm: g.vm, direction: "fromGuest", path, size: data.length, overwrite: false }),
    };
  }
}
