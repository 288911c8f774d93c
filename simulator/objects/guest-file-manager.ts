// GuestFileManager: file transfers to and from a running guest. hostd
// answers with a one-time URL on its own /guestFile (host written as "*",
// which clients replace with the host they called); the data then moves by
// HTTP PUT or GET, and the guest program (GuestInstance.files) reads or
// writes it. The directory operations (list, make, delete, move, temporary
// files, attributes: what govc's guest.* commands and Ansible's
// vmware_guest_file_operation call) work on the guest's file tree
// (GuestInstance.files.fs), with the faults VMware Tools answers: FileNotFound,
// FileAlreadyExists, NotAFile, NotADirectory, DirectoryNotEmpty.
import { VimFault, type DataObject } from "../../vim25/soap/index.ts";
import type { FsStat, GuestFs } from "../../hardware/guest-hardware.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { askGuest, guestFor } from "./guest-process-manager.ts";

export class GuestFileManager extends ManagedObject {
  constructor(sim: SimContext, value: string) {
    super(sim, "GuestFileManager", value);
  }

  InitiateFileTransferToGuest(args: Args): string {
    const g = guestFor(this.sim, args, (i) => i.files);
    const path = absolute(args, "guestFilePath");
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

  /** The guest's tree (its login checked) and the path it was asked about. */
  private tree(args: Args, pathArg: string): { fs: GuestFs; path: string; os: Parameters<typeof askGuest>[0] } {
    const g = guestFor(this.sim, args, (i) => i.files?.fs);
    return { fs: g.handler, path: absolute(args, pathArg), os: g.os };
  }

  private attributes(st: FsStat, target?: string): DataObject {
    return {
      _type: "GuestPosixFileAttributes", modificationTime: st.mtime, accessTime: st.mtime,
      ...(target !== undefined ? { symlinkTarget: target } : {}), ownerId: st.uid, groupId: st.gid, permissions: st.mode & 0o7777,
    };
  }

  private info(fs: GuestFs, path: string, name: string): DataObject {
    const st = fs.lstat(path);
    const type = st.type === "dir" ? "directory" : st.type === "symlink" ? "symlink" : "file";
    return { _type: "GuestFileInfo", path: name, type, size: st.type === "file" ? st.size : 0, attributes: this.attributes(st, st.type === "symlink" ? fs.readlink(path) : undefined) };
  }

  /**
   * A directory's entries (without . and ..), or the one file named, from
   * `index` on, at most `maxResults`, names matching `matchPattern` (a
   * regular expression, default all); `remaining` counts what was left out.
   */
  ListFilesInGuest(args: Args): DataObject {
    const { fs, path, os } = this.tree(args, "filePath");
    let pattern: RegExp;
    try {
      pattern = new RegExp(args.matchPattern === undefined || args.matchPattern === "" ? ".*" : String(args.matchPattern));
    } catch {
      throw new VimFault("InvalidArgument", { invalidProperty: "matchPattern" });
    }
    const all = askGuest(os, () => {
      if (fs.stat(path).type !== "dir") return [this.info(fs, path, path)];
      return fs.readdir(path).filter((n) => pattern.test(n)).map((n) => this.info(fs, `${path.replace(/\/+$/, "")}/${n}`, n));
    }, { file: path });
    const index = Math.max(0, Number(args.index ?? 0));
    const max = args.maxResults === undefined ? all.length : Math.max(0, Number(args.maxResults));
    const files = all.slice(index, index + max);
    return { _type: "GuestListFileInfo", files, remaining: Math.max(0, all.length - index - files.length) };
  }

  MakeDirectoryInGuest(args: Args): void {
    const { fs, path, os } = this.tree(args, "directoryPath");
    askGuest(os, () => fs.mkdir(path, { parents: !!args.createParentDirectories }), { file: path });
  }

  DeleteFileInGuest(args: Args): void {
    const { fs, path, os } = this.tree(args, "filePath");
    this.isFile(fs, path, os);
    askGuest(os, () => fs.unlink(path), { file: path });
  }

  DeleteDirectoryInGuest(args: Args): void {
    const { fs, path, os } = this.tree(args, "directoryPath");
    this.isDirectory(fs, path, os);
    if (!args.recursive && askGuest(os, () => fs.readdir(path), { file: path }).length) throw new VimFault("DirectoryNotEmpty", { file: path }, `The directory ${path} is not empty.`);
    askGuest(os, () => fs.rm(path, { recursive: true }), { file: path });
  }

  private isDirectory(fs: GuestFs, path: string, os: Parameters<typeof askGuest>[0]): void {
    if (askGuest(os, () => fs.lstat(path), { file: path }).type !== "dir") throw new VimFault("NotADirectory", { file: path }, `${path} is not a directory.`);
  }

  private isFile(fs: GuestFs, path: string, os: Parameters<typeof askGuest>[0]): void {
    if (askGuest(os, () => fs.lstat(path), { file: path }).type === "dir") throw new VimFault("NotAFile", { file: path }, `${path} is a directory`);
  }

  MoveFileInGuest(args: Args): void {
    const { fs, path: from, os } = this.tree(args, "srcFilePath");
    const to = absolute(args, "dstFilePath");
    this.isFile(fs, from, os);
    if (fs.exists(to) && !args.overwrite) throw new VimFault("FileAlreadyExists", { file: to }, `File ${to} already exists`);
    askGuest(os, () => fs.rename(from, to), { file: from });
  }

  MoveDirectoryInGuest(args: Args): void {
    const { fs, path: from, os } = this.tree(args, "srcDirectoryPath");
    const to = absolute(args, "dstDirectoryPath");
    this.isDirectory(fs, from, os);
    if (fs.exists(to)) throw new VimFault("FileAlreadyExists", { file: to }, `File ${to} already exists`);
    askGuest(os, () => fs.rename(from, to), { file: from });
  }

  CreateTemporaryFileInGuest(args: Args): string {
    return this.temporary(args, (fs, p) => fs.writeFile(p, Buffer.alloc(0), { exclusive: true, mode: 0o600 }));
  }

  CreateTemporaryDirectoryInGuest(args: Args): string {
    return this.temporary(args, (fs, p) => fs.mkdir(p, { mode: 0o700 }));
  }

  /** A new name PREFIX<random>SUFFIX in directoryPath (the guest's /tmp by default), as mkstemp and mkdtemp make them. */
  private temporary(args: Args, make: (fs: GuestFs, path: string) => void): string {
    const dir = args.directoryPath ? String(args.directoryPath) : "/tmp";
    const { fs, os } = this.tree({ ...args, directoryPath: dir }, "directoryPath");
    this.isDirectory(fs, dir, os);
    for (;;) {
      const id = this.sim.ids.hex("guest-temp", String(this.sim.ids.next("guest-temp")), 6);
      const path = `${dir.replace(/\/+$/, "")}/${String(args.prefix ?? "")}${id}${String(args.suffix ?? "")}`;
      if (fs.exists(path)) continue;
      askGuest(os, () => make(fs, path), { file: path });
      return path;
    }
  }

  /** Permissions, as a POSIX guest takes them; owner, group and times stay as they are. */
  ChangeFileAttributesInGuest(args: Args): void {
    const { fs, path, os } = this.tree(args, "guestFilePath");
    const attrs = (args.fileAttributes ?? {}) as DataObject & { permissions?: number };
    askGuest(os, () => {
      fs.lstat(path);
      if (attrs.permissions !== undefined) fs.chmod(path, Number(attrs.permissions) & 0o7777);
    }, { file: path });
  }
}

/** A guest path argument, which VMware Tools takes only absolute. */
function absolute(args: Args, name: string): string {
  const path = String(args[name] ?? "");
  if (!path.startsWith("/")) throw new VimFault("InvalidArgument", { invalidProperty: name });
  return path;
}
