// One datastore's files: an in-memory tree (mem-tree.ts) for directories and
// ordinary files, and a side table of fixed-size chunks for thin (sparse)
// files, so a 40 GiB thin extent costs what has been written to it and
// nothing more. A thick extent is kept the same way but holds its whole size
// against capacity from the start, as VMFS allocates it. The tree keeps an
// empty placeholder at a sparse file's path, which is what makes it show up
// in directory listings and move with its directory.
//
// Every mutation checks capacity before it touches anything: a write that
// does not fit throws NoDiskSpace and leaves the volume as it was.
import { MemTree } from "./mem-tree.ts";
import { constants as bufferConstants } from "node:buffer";
import { VimFault } from "../../vim25/soap/index.ts";
import type { Clock } from "../clock.ts";
import type { DatastoreVolumeApi, FileStat } from "./volume-api.ts";
import { normalizeRelative, dirname, joinPath } from "./datastore-path.ts";

/** Allocation unit of sparse files (VMFS 5 allocates in 1 MiB blocks too). */
export const SPARSE_CHUNK = 1 << 20;

interface SparseFile {
  size: number;
  /** chunk index -> SPARSE_CHUNK bytes */
  chunks: Map<number, Buffer>;
  /** allocated in full, written or not (a thick disk's extent) */
  thick?: boolean;
}

/** One node of an exported tree; `path` is relative to the exported root ("" is the root itself). */
export type VolumeEntry =
  | { path: string; kind: "dir"; mtime: number }
  | { path: string; kind: "file"; mtime: number; data: Buffer }
  | { path: string; kind: "sparse"; mtime: number; size: number; chunks: [number, Buffer][]; thick?: boolean };

/** Every node by its path from the root ("" is the root itself); entries are never modified once taken. */
interface VolumeSnapshot {
  nodes: ReadonlyMap<string, VolumeEntry>;
  /** fileBytes at the time */
  bytes: number;
}

export interface DatastoreVolumeOptions {
  name: string;
  capacity: number;
  /** bytes held by files the scenario does not model; they count against capacity */
  reservedBytes?: number;
  clock: Clock;
  /** told the datastore's used bytes (reserved included) whenever they change */
  onUsage?: (usedBytes: number) => void;
}

/** `thick` only when set, so thin files and their exported entries keep their old shape. */
function sparseFile(size: number, chunks: Map<number, Buffer>, thick: boolean | undefined): SparseFile {
  return thick ? { size, chunks, thick: true } : { size, chunks };
}

function sparseAllocation(f: SparseFile): number {
  if (f.thick) return f.size;
  let n = 0;
  for (const i of f.chunks.keys()) n += Math.max(0, Math.min(SPARSE_CHUNK, f.size - i * SPARSE_CHUNK));
  return n;
}

export class DatastoreVolume implements DatastoreVolumeApi {
  name: string;
  /** grows when a VMFS volume is extended or expanded (Datastore.resizeVmfs) */
  capacity: number;
  private readonly reserved: number;
  private readonly clock: Clock;
  private readonly onUsage?: (usedBytes: number) => void;
  private fs: MemTree;
  private sparse = new Map<string, SparseFile>();
  /** bytes of files on this volume (reserved excluded), kept incrementally */
  private fileBytes = 0;
  /**
   * The last snapshot taken or restored, and what changed since: nodes
   * whose own data or time changed, and paths whose whole subtree may
   * differ (deleted, moved, imported). A snapshot re-exports only those and
   * a restore rewrites only those, so both cost what changed, not what the
   * volume holds.
   */
  private base?: VolumeSnapshot;
  private readonly changedNodes = new Set<string>();
  private readonly changedTrees = new Set<string>();

  constructor(opts: DatastoreVolumeOptions) {
    this.name = opts.name;
    this.capacity = opts.capacity;
    this.reserved = opts.reservedBytes ?? 0;
    this.clock = opts.clock;
    this.onUsage = opts.onUsage;
    this.fs = new MemTree(() => this.clock.now());
  }

  usedBytes(): number {
    return this.reserved + this.fileBytes;
  }

  freeBytes(): number {
    return Math.max(0, this.capacity - this.usedBytes());
  }

  // ---- paths and faults ----

  private rel(path: string): string {
    return normalizeRelative(path, this.dsPath(path));
  }

  private abs(rel: string): string {
    return "/" + rel;
  }

  /** `[ds] path`, as hostd names files in faults */
  dsPath(rel: string): string {
    return rel ? `[${this.name}] ${rel}` : `[${this.name}]`;
  }

  private fault(type: string, rel: string, message?: string): VimFault {
    return new VimFault(type, { file: this.dsPath(rel) }, message ?? hostdText(type, this.dsPath(rel)));
  }

  private noSpace(rel: string): VimFault {
    return new VimFault("NoDiskSpace", { file: this.dsPath(rel), datastore: this.name }, `Insufficient disk space on datastore '${this.name}'.`);
  }

  private ensureSpace(delta: number, rel: string): void {
    if (delta > 0 && this.usedBytes() + delta > this.capacity) throw this.noSpace(rel);
  }

  private account(delta: number): void {
    if (delta === 0) return;
    this.fileBytes += delta;
    this.onUsage?.(this.usedBytes());
  }

  /** Every change stamps the nodes it changes, so this is where node changes are noted. */
  private touch(rel: string): void {
    if (this.base) this.changedNodes.add(rel);
    const now = this.clock.now();
    try {
      this.fs.utimesSync(this.abs(rel), now, now);
    } catch {
      // stamping is best effort: a missing node has no time to keep
    }
  }

  // a path through a file (ENOTDIR) names nothing, like a missing one
  private statOf(rel: string) {
    try {
      return this.fs.statSync(this.abs(rel), { bigint: false, throwIfNoEntry: false });
    } catch {
      // ENOTDIR: a path through a file names nothing
      return undefined;
    }
  }

  private kind(rel: string): "dir" | "file" | undefined {
    const st = this.statOf(rel);
    return st === undefined ? undefined : st.isDirectory() ? "dir" : "file";
  }

  /** The parent must be a directory for anything to be created in it. */
  private requireParent(rel: string): void {
    const parent = dirname(rel);
    const k = this.kind(parent);
    if (k === undefined) throw this.fault("FileNotFound", rel, `Cannot create ${this.dsPath(rel)}: the directory ${this.dsPath(parent)} does not exist`);
    if (k !== "dir") throw this.fault("CannotCreateFile", rel, `Cannot create ${this.dsPath(rel)}: ${this.dsPath(parent)} is not a directory`);
  }

  /** Bytes a file or whole tree holds against capacity. */
  private allocationOf(rel: string): number {
    const k = this.kind(rel);
    if (k === undefined) return 0;
    if (k === "file") {
      const sp = this.sparse.get(rel);
      return sp ? sparseAllocation(sp) : this.statOf(rel)!.size;
    }
    let n = 0;
    for (const name of this.fs.readdirSync(this.abs(rel)) as string[]) n += this.allocationOf(joinPath(rel, name));
    return n;
  }

  // ---- reading ----

  exists(path: string): boolean {
    return this.kind(this.rel(path)) !== undefined;
  }

  stat(path: string): FileStat | undefined {
    const rel = this.rel(path);
    const st = this.statOf(rel);
    if (!st) return undefined;
    const isDirectory = st.isDirectory();
    const sp = isDirectory ? undefined : this.sparse.get(rel);
    const size = isDirectory ? 0 : sp ? sp.size : Number(st.size);
    return { path: rel, isDirectory, size, allocated: isDirectory ? 0 : sp ? sparseAllocation(sp) : size, mtime: new Date(st.mtime.getTime()) };
  }

  /** Whether a file is thin (its allocation follows what is written, not its size). */
  isSparse(path: string): boolean {
    return this.sparse.has(this.rel(path));
  }

  readdir(path: string): string[] {
    const rel = this.rel(path);
    const k = this.kind(rel);
    if (k === undefined) throw this.fault("FileNotFound", rel);
    if (k !== "dir") throw this.fault("NotADirectory", rel);
    return (this.fs.readdirSync(this.abs(rel)) as string[]).slice().sort();
  }

  private requireFile(rel: string): void {
    const k = this.kind(rel);
    if (k === undefined) throw this.fault("FileNotFound", rel);
    if (k !== "file") throw this.fault("NotAFile", rel);
  }

  readFile(path: string): Buffer {
    const rel = this.rel(path);
    this.requireFile(rel);
    const sp = this.sparse.get(rel);
    if (!sp) return Buffer.from(this.fs.readFileSync(this.abs(rel)) as Buffer);
    if (sp.size > bufferConstants.MAX_LENGTH) {
      throw new VimFault("FileTooLarge", { file: this.dsPath(rel), datastore: this.name, fileSize: sp.size }, `The file ${this.dsPath(rel)} is too large to read at once.`);
    }
    return this.readSparse(sp, 0, sp.size);
  }

  readRange(path: string, start: number, end: number): Buffer {
    const rel = this.rel(path);
    this.requireFile(rel);
    const sp = this.sparse.get(rel);
    const size = sp ? sp.size : Number(this.statOf(rel)!.size);
    const from = Math.max(0, Math.min(start, size));
    const to = Math.max(from, Math.min(end, size));
    if (sp) return this.readSparse(sp, from, to);
    const out = Buffer.alloc(to - from);
    if (out.length === 0) return out;
    const fd = this.fs.openSync(this.abs(rel), "r");
    try {
      let done = 0;
      while (done < out.length) {
        const n = this.fs.readSync(fd, out, done, out.length - done, from + done);
        if (n <= 0) break;
        done += n;
      }
    } finally {
      this.fs.closeSync(fd);
    }
    return out;
  }

  private readSparse(sp: SparseFile, from: number, to: number): Buffer {
    const out = Buffer.alloc(to - from);
    for (let i = Math.floor(from / SPARSE_CHUNK); i * SPARSE_CHUNK < to; i++) {
      const chunk = sp.chunks.get(i);
      if (!chunk) continue;
      const base = i * SPARSE_CHUNK;
      const s = Math.max(from, base), e = Math.min(to, base + SPARSE_CHUNK);
      chunk.copy(out, s - from, s - base, e - base);
    }
    return out;
  }

  /** Byte ranges of a file that hold data: all of an ordinary file, the written chunks of a sparse one. */
  extents(path: string): { offset: number; length: number }[] {
    const rel = this.rel(path);
    this.requireFile(rel);
    const sp = this.sparse.get(rel);
    if (!sp) {
      const size = Number(this.statOf(rel)!.size);
      return size ? [{ offset: 0, length: size }] : [];
    }
    return [...sp.chunks.keys()].sort((a, b) => a - b)
      .map((i) => ({ offset: i * SPARSE_CHUNK, length: Math.max(0, Math.min(SPARSE_CHUNK, sp.size - i * SPARSE_CHUNK)) }))
      .filter((x) => x.length > 0);
  }

  // ---- writing ----

  mkdir(path: string, opts: { parents?: boolean } = {}): void {
    const rel = this.rel(path);
    const k = this.kind(rel);
    if (k === "dir") {
      if (opts.parents) return;
      throw this.fault("FileAlreadyExists", rel);
    }
    if (k === "file") throw this.fault(opts.parents ? "CannotCreateFile" : "FileAlreadyExists", rel);
    if (!opts.parents) {
      this.requireParent(rel);
      this.fs.mkdirSync(this.abs(rel));
      this.touch(rel);
      this.touch(dirname(rel));
      return;
    }
    // check the whole chain first, so a file in the way creates nothing
    const parts = rel.split("/");
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join("/");
      if (this.kind(p) === "file") throw this.fault("CannotCreateFile", rel);
    }
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join("/");
      if (this.kind(p) !== undefined) continue;
      this.fs.mkdirSync(this.abs(p));
      this.touch(p);
      this.touch(dirname(p));
    }
  }

  /** Checks shared by every call that creates or replaces a regular file; returns the bytes it frees. */
  private prepareCreate(rel: string, exclusive: boolean | undefined): number {
    if (rel === "") throw this.fault("CannotCreateFile", rel);
    const k = this.kind(rel);
    if (k !== undefined && exclusive) throw this.fault("FileAlreadyExists", rel);
    if (k === "dir") throw this.fault("CannotCreateFile", rel, `Cannot create file ${this.dsPath(rel)}: a directory of that name exists`);
    if (k === undefined) this.requireParent(rel);
    return k === "file" ? this.allocationOf(rel) : 0;
  }

  writeFile(path: string, data: Buffer, opts: { exclusive?: boolean } = {}): void {
    const rel = this.rel(path);
    const freed = this.prepareCreate(rel, opts.exclusive);
    this.ensureSpace(data.length - freed, rel);
    this.sparse.delete(rel);
    this.fs.writeFileSync(this.abs(rel), data);
    this.touch(rel);
    this.touch(dirname(rel));
    this.account(data.length - freed);
  }

  appendFile(path: string, data: Buffer): void {
    const rel = this.rel(path);
    const k = this.kind(rel);
    if (k === undefined) return this.writeFile(rel, data);
    if (k === "dir") throw this.fault("NotAFile", rel);
    const sp = this.sparse.get(rel);
    if (sp) return this.writeAt(rel, sp.size, data);
    this.ensureSpace(data.length, rel);
    this.fs.appendFileSync(this.abs(rel), data);
    this.touch(rel);
    this.account(data.length);
  }

  createSparse(path: string, size: number, opts: { exclusive?: boolean; thick?: boolean } = {}): void {
    const rel = this.rel(path);
    if (!Number.isSafeInteger(size) || size < 0) throw new VimFault("InvalidArgument", { invalidProperty: "size" });
    const freed = this.prepareCreate(rel, opts.exclusive);
    const file = sparseFile(size, new Map(), opts.thick);
    const held = sparseAllocation(file);
    this.ensureSpace(held - freed, rel);
    this.fs.writeFileSync(this.abs(rel), Buffer.alloc(0));
    this.sparse.set(rel, file);
    this.touch(rel);
    this.touch(dirname(rel));
    this.account(held - freed);
  }

  writeAt(path: string, offset: number, data: Buffer): void {
    const rel = this.rel(path);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new VimFault("InvalidArgument", { invalidProperty: "offset" });
    this.requireFile(rel);
    const sp = this.sparse.get(rel);
    if (!sp) {
      const old = Number(this.statOf(rel)!.size);
      const grow = Math.max(0, offset + data.length - old);
      this.ensureSpace(grow, rel);
      const fd = this.fs.openSync(this.abs(rel), "r+");
      try {
        if (offset > old) this.fs.ftruncateSync(fd, offset);
        this.fs.writeSync(fd, data, 0, data.length, offset);
      } finally {
        this.fs.closeSync(fd);
      }
      this.touch(rel);
      this.account(grow);
      return;
    }
    const newSize = Math.max(sp.size, offset + data.length);
    const first = Math.floor(offset / SPARSE_CHUNK);
    const last = data.length ? Math.floor((offset + data.length - 1) / SPARSE_CHUNK) : first - 1;
    const after: SparseFile = { ...sp, size: newSize, chunks: new Map(sp.chunks) };
    for (let i = first; i <= last; i++) if (!after.chunks.has(i)) after.chunks.set(i, Buffer.alloc(0));
    const before = sparseAllocation(sp);
    const delta = sparseAllocation(after) - before;
    this.ensureSpace(delta, rel);
    for (let i = first; i <= last; i++) {
      let chunk = sp.chunks.get(i);
      if (!chunk) {
        chunk = Buffer.alloc(SPARSE_CHUNK);
        sp.chunks.set(i, chunk);
      }
      const base = i * SPARSE_CHUNK;
      const s = Math.max(offset, base), e = Math.min(offset + data.length, base + SPARSE_CHUNK);
      data.copy(chunk, s - base, s - offset, e - offset);
    }
    sp.size = newSize;
    this.touch(rel);
    this.account(delta);
  }

  resize(path: string, size: number): void {
    const rel = this.rel(path);
    this.requireFile(rel);
    if (!Number.isSafeInteger(size)) throw new VimFault("InvalidArgument", { invalidProperty: "size" });
    const sp = this.sparse.get(rel);
    const current = sp ? sp.size : Number(this.statOf(rel)!.size);
    if (size < current) throw new VimFault("InvalidArgument", { invalidProperty: "size" }, `Cannot shrink ${this.dsPath(rel)} from ${current} to ${size} bytes.`);
    if (size === current) return;
    if (sp) {
      // a partly written last chunk grows into its block
      const delta = sparseAllocation({ ...sp, size }) - sparseAllocation(sp);
      this.ensureSpace(delta, rel);
      sp.size = size;
      this.touch(rel);
      this.account(delta);
      return;
    }
    this.ensureSpace(size - current, rel);
    this.fs.truncateSync(this.abs(rel), size);
    this.touch(rel);
    this.account(size - current);
  }

  // ---- removing, moving, copying ----

  delete(path: string): void {
    const rel = this.rel(path);
    if (rel === "") throw this.fault("CannotDeleteFile", rel);
    if (this.kind(rel) === undefined) throw this.fault("FileNotFound", rel);
    this.remove(rel);
    this.touch(dirname(rel));
  }

  private remove(rel: string): void {
    if (this.base) this.changedTrees.add(rel);
    const freed = this.allocationOf(rel);
    const k = this.kind(rel);
    if (k === "dir") {
      this.fs.rmSync(this.abs(rel), { recursive: true, force: true });
      for (const key of [...this.sparse.keys()]) if (key.startsWith(rel + "/")) this.sparse.delete(key);
    } else {
      this.fs.unlinkSync(this.abs(rel));
      this.sparse.delete(rel);
    }
    this.account(-freed);
  }

  /** src and dst checked as move and copy need them; returns whether dst exists. */
  private checkTransfer(src: string, dst: string, overwrite: boolean | undefined): boolean {
    if (this.kind(src) === undefined) throw this.fault("FileNotFound", src);
    if (dst === "") throw this.fault("FileAlreadyExists", dst);
    // into itself, or over one of its own ancestors
    if (dst.startsWith(src + "/") || src === "" || src.startsWith(dst + "/")) throw this.fault("CannotCreateFile", dst);
    this.requireParent(dst);
    const exists = this.kind(dst) !== undefined;
    if (exists && !overwrite) throw this.fault("FileAlreadyExists", dst);
    return exists;
  }

  move(src: string, dst: string, opts: { overwrite?: boolean } = {}): void {
    const s = this.rel(src), d = this.rel(dst);
    if (s === d) {
      if (this.kind(s) === undefined) throw this.fault("FileNotFound", s);
      return;
    }
    if (this.checkTransfer(s, d, opts.overwrite)) this.remove(d);
    if (this.base) this.changedTrees.add(s).add(d);
    this.fs.renameSync(this.abs(s), this.abs(d));
    for (const [key, f] of [...this.sparse]) {
      if (key === s) {
        this.sparse.delete(key);
        this.sparse.set(d, f);
      } else if (key.startsWith(s + "/")) {
        this.sparse.delete(key);
        this.sparse.set(d + key.slice(s.length), f);
      }
    }
    this.touch(dirname(s));
    this.touch(dirname(d));
  }

  copy(src: string, dst: string, opts: { overwrite?: boolean } = {}): void {
    const s = this.rel(src), d = this.rel(dst);
    if (s === d) {
      if (this.kind(s) === undefined) throw this.fault("FileNotFound", s);
      throw this.fault("FileAlreadyExists", d);
    }
    this.checkTransfer(s, d, opts.overwrite);
    this.importTree(d, this.exportTree(s), { overwrite: opts.overwrite });
  }

  /** A deep copy of a file or directory tree, for copies across datastores (and snapshots). */
  exportTree(path: string): VolumeEntry[] {
    const root = this.rel(path);
    if (this.kind(root) === undefined) throw this.fault("FileNotFound", root);
    const out: VolumeEntry[] = [];
    const walk = (rel: string, sub: string) => {
      const st = this.statOf(rel)!;
      const mtime = st.mtime.getTime();
      if (st.isDirectory()) {
        out.push({ path: sub, kind: "dir", mtime });
        for (const name of (this.fs.readdirSync(this.abs(rel)) as string[]).slice().sort()) walk(joinPath(rel, name), joinPath(sub, name));
        return;
      }
      const sp = this.sparse.get(rel);
      if (sp) out.push(sparseEntry(sub, mtime, sp));
      else out.push({ path: sub, kind: "file", mtime, data: Buffer.from(this.fs.readFileSync(this.abs(rel)) as Buffer) });
    };
    walk(root, "");
    return out;
  }

  /** Bytes an exported tree will take once imported. */
  static allocationOf(entries: VolumeEntry[]): number {
    let n = 0;
    for (const e of entries) {
      if (e.kind === "file") n += e.data.length;
      else if (e.kind === "sparse") n += sparseAllocation(sparseFile(e.size, new Map(e.chunks), e.thick));
    }
    return n;
  }

  /**
   * Place an exported tree at `path` (its parent must exist). Space is
   * checked for the whole tree first; the tree's buffers become the volume's.
   */
  importTree(path: string, entries: VolumeEntry[], opts: { overwrite?: boolean; keepTimes?: boolean } = {}): void {
    const root = this.rel(path);
    if (!entries.length) return;
    if (root === "") throw this.fault("FileAlreadyExists", root);
    this.requireParent(root);
    const exists = this.kind(root) !== undefined;
    if (exists && !opts.overwrite) throw this.fault("FileAlreadyExists", root);
    const freed = exists ? this.allocationOf(root) : 0;
    const needed = DatastoreVolume.allocationOf(entries);
    this.ensureSpace(needed - freed, root);
    if (exists) this.remove(root);
    if (this.base) this.changedTrees.add(root);
    this.place(root, entries, opts.keepTimes ? undefined : this.clock.now());
    this.touch(dirname(root));
    this.account(needed);
  }

  /** Write entries below `root` (already checked); `stamp` replaces their times unless undefined. */
  private place(root: string, entries: VolumeEntry[], stamp: Date | undefined): void {
    for (const e of entries) {
      const rel = joinPath(root, e.path);
      if (e.kind === "dir") {
        if (rel !== "") this.fs.mkdirSync(this.abs(rel));
      } else if (e.kind === "file") {
        this.fs.writeFileSync(this.abs(rel), e.data);
      } else {
        this.fs.writeFileSync(this.abs(rel), Buffer.alloc(0));
        this.sparse.set(rel, sparseFile(e.size, new Map(e.chunks), e.thick));
      }
    }
    // times last: creating something in a directory stamps it with the clock's now
    for (const e of entries) {
      const t = stamp ?? new Date(e.mtime);
      this.fs.utimesSync(this.abs(joinPath(root, e.path)), t, t);
    }
  }

  // ---- snapshots ----

  snapshot(): unknown {
    const base = this.base;
    if (base && !this.changedNodes.size && !this.changedTrees.size) return base;
    const nodes = new Map<string, VolumeEntry>();
    if (!base) this.collect("", true, nodes);
    else {
      // unchanged entries are shared with the base: nothing ever modifies one
      const trees = topmost(this.changedTrees);
      for (const [p, e] of base.nodes) if (!under(p, trees) && !this.changedNodes.has(p)) nodes.set(p, e);
      for (const p of trees) if (this.kind(p) !== undefined) this.collect(p, true, nodes);
      for (const p of this.changedNodes) if (!under(p, trees) && this.kind(p) !== undefined) this.collect(p, false, nodes);
    }
    return this.rebase({ nodes, bytes: this.fileBytes });
  }

  /** Back to a snapshot of this volume (or of another one); the snapshot stays as it was, to be restored again. */
  restore(snap: unknown): void {
    const target = snap as VolumeSnapshot;
    const base = this.base;
    if (!base) this.rebuild(target);
    else if (target !== base || this.changedNodes.size || this.changedTrees.size) {
      // what may differ from the target: what changed since the base, and where base and target differ
      const trees = new Set(this.changedTrees);
      const nodes = new Set(this.changedNodes);
      if (target !== base) {
        for (const [p, e] of base.nodes) {
          const t = target.nodes.get(p);
          if (t !== e) (t?.kind === "dir" && e.kind === "dir" ? nodes : trees).add(p);
        }
        for (const p of target.nodes.keys()) if (!base.nodes.has(p)) trees.add(p);
      }
      // only a directory on both sides keeps its node (and just takes the target's time); anything else is replaced
      for (const p of nodes) {
        if (target.nodes.get(p)?.kind !== "dir" || this.kind(p) !== "dir") {
          trees.add(p);
          nodes.delete(p);
        }
      }
      const roots = topmost(trees);
      if (roots.has("")) this.rebuild(target);
      else {
        for (const r of roots) {
          if (this.kind(r) !== undefined) this.unlinkTree(r);
          // removing it stamped the parent with the clock's now
          nodes.add(dirname(r));
        }
        const placed = [...target.nodes.values()].filter((e) => under(e.path, roots)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
        this.place("", placed.map(ownCopy), undefined);
        for (const p of nodes) {
          const t = target.nodes.get(p);
          if (t?.kind === "dir" && !under(p, roots) && this.kind(p) === "dir") this.fs.utimesSync(this.abs(p), new Date(t.mtime), new Date(t.mtime));
        }
      }
    }
    this.rebase(target);
    const before = this.fileBytes;
    this.fileBytes = target.bytes;
    if (target.bytes !== before) this.onUsage?.(this.usedBytes());
  }

  private rebase(snap: VolumeSnapshot): VolumeSnapshot {
    this.base = snap;
    this.changedNodes.clear();
    this.changedTrees.clear();
    return snap;
  }

  /** One node (deep: and everything below it) as snapshot entries, keyed by path from the root; data copied. */
  private collect(rel: string, deep: boolean, into: Map<string, VolumeEntry>): void {
    const st = this.statOf(rel)!;
    const mtime = st.mtime.getTime();
    if (st.isDirectory()) {
      into.set(rel, { path: rel, kind: "dir", mtime });
      if (deep) for (const name of this.fs.readdirSync(this.abs(rel)) as string[]) this.collect(joinPath(rel, name), true, into);
      return;
    }
    const sp = this.sparse.get(rel);
    into.set(rel, sp
      ? sparseEntry(rel, mtime, sp)
      : { path: rel, kind: "file", mtime, data: Buffer.from(this.fs.readFileSync(this.abs(rel)) as Buffer) });
  }

  private rebuild(target: VolumeSnapshot): void {
    this.fs = new MemTree(() => this.clock.now());
    this.sparse = new Map();
    const all = [...target.nodes.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    this.place("", all.map(ownCopy), undefined);
  }

  /** Take a node and what is below it off the tree, without accounting: a restore sets the bytes at the end. */
  private unlinkTree(rel: string): void {
    if (this.kind(rel) === "dir") this.fs.rmSync(this.abs(rel), { recursive: true, force: true });
    else this.fs.unlinkSync(this.abs(rel));
    for (const key of [...this.sparse.keys()]) if (key === rel || key.startsWith(rel + "/")) this.sparse.delete(key);
  }
}

/** A sparse file as an exported entry, its chunks copied. */
function sparseEntry(path: string, mtime: number, sp: SparseFile): VolumeEntry {
  return { path, kind: "sparse", mtime, size: sp.size, chunks: [...sp.chunks].map(([i, b]) => [i, Buffer.from(b)]), ...(sp.thick ? { thick: true } : {}) };
}

/** A snapshot keeps its buffers (it may be restored again); the volume writes into its own. */
function ownCopy(e: VolumeEntry): VolumeEntry {
  if (e.kind === "file") return { ...e, data: Buffer.from(e.data) };
  if (e.kind === "sparse") return { ...e, chunks: e.chunks.map(([i, b]) => [i, Buffer.from(b)]) };
  return e;
}

/** The paths of `paths` with no ancestor among them. */
function topmost(paths: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const p of paths) {
    let covered = false;
    for (let q = p; q !== "" && !covered;) {
      q = dirname(q);
      covered = paths.has(q);
    }
    if (!covered) out.add(p);
  }
  return out;
}

/** Whether `p` is one of `roots` or below one. */
function under(p: string, roots: ReadonlySet<string>): boolean {
  if (!roots.size) return false;
  for (let q = p; ; q = dirname(q)) {
    if (roots.has(q)) return true;
    if (q === "") return false;
  }
}

// hostd's wording, so a client printing the fault reads what it would from ESXi
function hostdText(type: string, file: string): string {
  switch (type) {
    case "FileNotFound":
      return `File ${file} was not found`;
    case "FileAlreadyExists":
      return `Cannot complete the operation because the file or folder ${file} already exists`;
    case "CannotCreateFile":
      return `Cannot complete file creation operation: ${file}`;
    case "CannotDeleteFile":
      return `Cannot delete file ${file}`;
    case "NotADirectory":
      return `${file} is not a directory`;
    case "NotAFile":
      return `${file} is not a file`;
    default:
      return `${type}: ${file}`;
  }
}
