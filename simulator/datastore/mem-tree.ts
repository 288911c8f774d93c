// The in-memory file tree under a datastore volume: directories and
// ordinary files with node's fs error codes, stamped by the simulator's clock.
// It replaces memfs there, which asks the real process for its uid and gid
// (system calls) at every path step and file: a third of what creating a VM
// cost. Only the synchronous calls DatastoreVolume makes are offered.
type Entry = { dir: true; children: Set<string>; mtime: Date } | { dir: false; data: Buffer; mtime: Date };

export interface TreeStat {
  size: number;
  mtime: Date;
  isDirectory(): boolean;
}

function fsError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: ${syscall} '${path}'`) as NodeJS.ErrnoException;
  e.code = code;
  e.syscall = syscall;
  e.path = path;
  return e;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

export class MemTree {
  private readonly entries = new Map<string, Entry>();
  private readonly fds = new Map<number, string>();
  private nextFd = 3;

  constructor(private readonly now: () => Date) {
    this.entries.set("/", { dir: true, children: new Set(), mtime: now() });
  }

  /** The entry at `path`; a path through a file is ENOTDIR, a missing one ENOENT. */
  private get(path: string, syscall: string): Entry {
    const e = this.entries.get(path);
    if (e) return e;
    throw fsError(this.throughFile(path) ? "ENOTDIR" : "ENOENT", syscall, path);
  }

  private throughFile(path: string): boolean {
    for (let p = parentOf(path); p !== "/"; p = parentOf(p)) {
      const up = this.entries.get(p);
      if (up && !up.dir) return true;
    }
    return false;
  }

  private file(path: string, syscall: string): Entry & { dir: false } {
    const e = this.get(path, syscall);
    if (e.dir) throw fsError("EISDIR", syscall, path);
    return e;
  }

  /** A new entry named `path`, whose parent must be a directory. */
  private create(path: string, entry: Entry, syscall: string): void {
    const parent = this.get(parentOf(path), syscall);
    if (!parent.dir) throw fsError("ENOTDIR", syscall, path);
    parent.children.add(baseOf(path));
    parent.mtime = this.now();
    this.entries.set(path, entry);
  }

  statSync(path: string, _opts?: unknown): TreeStat | undefined {
    const e = this.entries.get(path);
    if (!e) {
      // ENOTDIR is an error; ENOENT is "nothing there", asked often, so no Error is built for it
      if (this.throughFile(path)) throw fsError("ENOTDIR", "stat", path);
      return undefined;
    }
    return { size: e.dir ? 0 : e.data.length, mtime: e.mtime, isDirectory: () => e.dir };
  }

  utimesSync(path: string, _atime: Date, mtime: Date): void {
    this.get(path, "utime").mtime = new Date(mtime.getTime());
  }

  readdirSync(path: string): string[] {
    const e = this.get(path, "scandir");
    if (!e.dir) throw fsError("ENOTDIR", "scandir", path);
    return [...e.children];
  }

  mkdirSync(path: string): void {
    if (this.entries.has(path)) throw fsError("EEXIST", "mkdir", path);
    this.create(path, { dir: true, children: new Set(), mtime: this.now() }, "mkdir");
  }

  readFileSync(path: string): Buffer {
    return this.file(path, "open").data;
  }

  writeFileSync(path: string, data: Buffer): void {
    const copy = Buffer.from(data);
    const e = this.entries.get(path);
    if (e) {
      if (e.dir) throw fsError("EISDIR", "open", path);
      e.data = copy;
      e.mtime = this.now();
      return;
    }
    this.create(path, { dir: false, data: copy, mtime: this.now() }, "open");
  }

  appendFileSync(path: string, data: Buffer): void {
    const e = this.entries.get(path);
    if (!e) return this.writeFileSync(path, data);
    if (e.dir) throw fsError("EISDIR", "open", path);
    e.data = Buffer.concat([e.data, data]);
    e.mtime = this.now();
  }

  truncateSync(path: string, size: number): void {
    const e = this.file(path, "open");
    e.data = size <= e.data.length ? e.data.subarray(0, size) : Buffer.concat([e.data, Buffer.alloc(size - e.data.length)]);
    e.mtime = this.now();
  }

  openSync(path: string, _flags: string): number {
    this.file(path, "open");
    const fd = this.nextFd++;
    this.fds.set(fd, path);
    return fd;
  }

  closeSync(fd: number): void {
    this.fds.delete(fd);
  }

  private byFd(fd: number): Entry & { dir: false } {
    const path = this.fds.get(fd);
    if (path === undefined) throw fsError("EBADF", "read", String(fd));
    return this.file(path, "read");
  }

  readSync(fd: number, out: Buffer, offset: number, length: number, position: number): number {
    const e = this.byFd(fd);
    return e.data.copy(out, offset, position, Math.min(e.data.length, position + length));
  }

  writeSync(fd: number, data: Buffer, offset: number, length: number, position: number): number {
    const e = this.byFd(fd);
    const end = position + length;
    if (end > e.data.length) e.data = Buffer.concat([e.data, Buffer.alloc(end - e.data.length)]);
    else e.data = Buffer.from(e.data);
    data.copy(e.data, position, offset, offset + length);
    e.mtime = this.now();
    return length;
  }

  ftruncateSync(fd: number, size: number): void {
    const path = this.fds.get(fd);
    if (path === undefined) throw fsError("EBADF", "ftruncate", String(fd));
    this.truncateSync(path, size);
  }

  unlinkSync(path: string): void {
    this.file(path, "unlink");
    this.remove(path);
  }

  rmSync(path: string, opts: { recursive?: boolean; force?: boolean } = {}): void {
    const e = this.entries.get(path);
    if (!e) {
      if (opts.force) return;
      throw fsError("ENOENT", "rm", path);
    }
    if (e.dir && e.children.size && !opts.recursive) throw fsError("ENOTEMPTY", "rm", path);
    this.remove(path);
  }

  private remove(path: string): void {
    const e = this.entries.get(path);
    if (!e) return;
    if (e.dir) for (const c of [...e.children]) this.remove(path === "/" ? `/${c}` : `${path}/${c}`);
    this.entries.delete(path);
    const parent = this.entries.get(parentOf(path));
    if (parent?.dir) {
      parent.children.delete(baseOf(path));
      parent.mtime = this.now();
    }
  }

  renameSync(from: string, to: string): void {
    const e = this.get(from, "rename");
    if (this.entries.has(to)) {
      const target = this.entries.get(to)!;
      if (target.dir && (!e.dir || target.children.size)) throw fsError(target.dir ? "ENOTEMPTY" : "EISDIR", "rename", to);
      this.remove(to);
    }
    const moved: [string, Entry][] = [];
    for (const [p, x] of this.entries) if (p === from || p.startsWith(from + "/")) moved.push([p, x]);
    const parent = this.get(parentOf(to), "rename");
    if (!parent.dir) throw fsError("ENOTDIR", "rename", to);
    for (const [p] of moved) this.entries.delete(p);
    const old = this.entries.get(parentOf(from));
    if (old?.dir) old.children.delete(baseOf(from));
    for (const [p, x] of moved) this.entries.set(to + p.slice(from.length), x);
    parent.children.add(baseOf(to));
    parent.mtime = this.now();
  }
}
