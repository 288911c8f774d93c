// The container's mount table: the root disk's tree, with volume disks'
// trees mounted at their paths, as one file system for the userland. A path
// goes to the longest mount point it lies under; renaming across mounts is
// EXDEV, as the kernel says; a mount point cannot be removed while mounted
// (EBUSY).
import type { FsStat, GuestFs } from "../../hardware/guest-hardware.ts";

const norm = (p: string) => `/${p.split("/").filter((x) => x && x !== ".").reduce<string[]>((acc, x) => (x === ".." ? acc.slice(0, -1) : [...acc, x]), []).join("/")}`;

function fsError(code: string, path: string, message: string): Error {
  return Object.assign(new Error(`${message}, '${path}'`), { code, path });
}

export class MountTable implements GuestFs {
  private readonly mounts: { at: string; fs: GuestFs }[] = [];

  constructor(private readonly root: GuestFs) {}

  /** mount `fs` at `at` (made in the tree below it if missing) */
  mount(at: string, fs: GuestFs): void {
    const p = norm(at);
    if (p === "/") throw fsError("EINVAL", at, "cannot mount over the root");
    if (this.mounts.some((m) => m.at === p)) throw fsError("EBUSY", at, "already mounted");
    const [under, rel] = this.resolve(p);
    under.mkdir(rel, { parents: true });
    this.mounts.push({ at: p, fs });
    this.mounts.sort((a, b) => b.at.length - a.at.length);
  }

  /** the file system a path lies on, and the path within it */
  private resolve(p: string): [GuestFs, string] {
    const n = norm(p);
    for (const m of this.mounts) {
      if (n === m.at) return [m.fs, "/"];
      if (n.startsWith(`${m.at}/`)) return [m.fs, n.slice(m.at.length)];
    }
    return [this.root, n];
  }

  private isMountPoint(p: string): boolean {
    return this.mounts.some((m) => m.at === norm(p));
  }

  exists(p: string): boolean {
    const [fs, r] = this.resolve(p);
    return fs.exists(r);
  }
  stat(p: string): FsStat {
    const [fs, r] = this.resolve(p);
    return fs.stat(r);
  }
  lstat(p: string): FsStat {
    const [fs, r] = this.resolve(p);
    return fs.lstat(r);
  }
  readFile(p: string): Buffer {
    const [fs, r] = this.resolve(p);
    return fs.readFile(r);
  }
  writeFile(p: string, data: Buffer | string, opts?: { mode?: number; append?: boolean; exclusive?: boolean }): void {
    const [fs, r] = this.resolve(p);
    fs.writeFile(r, data, opts);
  }
  mkdir(p: string, opts?: { parents?: boolean; mode?: number }): void {
    if (this.isMountPoint(p)) {
      if (opts?.parents) return;
      throw fsError("EEXIST", p, "file already exists");
    }
    const [fs, r] = this.resolve(p);
    fs.mkdir(r, opts);
  }
  readdir(p: string): string[] {
    const [fs, r] = this.resolve(p);
    return fs.readdir(r);
  }
  unlink(p: string): void {
    const [fs, r] = this.resolve(p);
    fs.unlink(r);
  }
  rmdir(p: string): void {
    if (this.isMountPoint(p)) throw fsError("EBUSY", p, "resource busy");
    const [fs, r] = this.resolve(p);
    fs.rmdir(r);
  }
  rm(p: string, opts?: { recursive?: boolean; force?: boolean }): void {
    const n = norm(p);
    if (this.isMountPoint(n) || this.mounts.some((m) => m.at.startsWith(`${n === "/" ? "" : n}/`))) throw fsError("EBUSY", p, "resource busy");
    const [fs, r] = this.resolve(n);
    fs.rm(r, opts);
  }
  rename(from: string, to: string): void {
    const [a, ra] = this.resolve(from);
    const [b, rb] = this.resolve(to);
    if (a !== b || this.isMountPoint(from) || this.isMountPoint(to)) throw fsError("EXDEV", from, "cross-device link not permitted");
    a.rename(ra, rb);
  }
  symlink(target: string, p: string): void {
    const [fs, r] = this.resolve(p);
    fs.symlink(target, r);
  }
  readlink(p: string): string {
    const [fs, r] = this.resolve(p);
    return fs.readlink(r);
  }
  chmod(p: string, mode: number): void {
    const [fs, r] = this.resolve(p);
    fs.chmod(r, mode);
  }
}

/** a file system mounted read-only (`-v name:/path:ro`): every change is EROFS */
export function readOnly(fs: GuestFs): GuestFs {
  const refuse = (p: string): never => {
    throw fsError("EROFS", p, "read-only file system");
  };
  return {
    exists: (p) => fs.exists(p),
    stat: (p) => fs.stat(p),
    lstat: (p) => fs.lstat(p),
    readFile: (p) => fs.readFile(p),
    readdir: (p) => fs.readdir(p),
    readlink: (p) => fs.readlink(p),
    writeFile: (p) => refuse(p),
    mkdir: (p, opts) => (opts?.parents && fs.exists(p) ? undefined : refuse(p)),
    unlink: (p) => refuse(p),
    rmdir: (p) => refuse(p),
    rm: (p) => refuse(p),
    rename: (from) => refuse(from),
    symlink: (_t, p) => refuse(p),
    chmod: (p) => refuse(p),
  };
}
