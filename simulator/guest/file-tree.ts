// A guest's view of a mounted disk: an in-memory file tree with POSIX-style
// errors (ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, ELOOP), symlinks
// followed as a kernel does. Nodes are immutable and shared between a tree
// and its clones, so "what changed since mount" is "which nodes are not the
// lower tree's" (layers.ts), without copying file contents.

import type { FsStat, GuestFs } from "../../hardware/guest-hardware.ts";

export type { FsStat, GuestFs };

export type FsNode =
  | { readonly type: "file"; readonly data: Buffer; readonly mode: number; readonly uid: number; readonly gid: number; readonly mtime: Date }
  | { readonly type: "dir"; readonly mode: number; readonly uid: number; readonly gid: number; readonly mtime: Date }
  | { readonly type: "symlink"; readonly target: string; readonly mode: number; readonly uid: number; readonly gid: number; readonly mtime: Date };


export class FsError extends Error {
  constructor(readonly code: string, readonly path: string, message: string) {
    super(`${code}: ${message}, '${path}'`);
    this.name = "FsError";
  }
}

const MESSAGES: Record<string, string> = {
  ENOENT: "no such file or directory",
  EEXIST: "file already exists",
  ENOTDIR: "not a directory",
  EISDIR: "illegal operation on a directory",
  ENOTEMPTY: "directory not empty",
  ELOOP: "too many symbolic links encountered",
  EINVAL: "invalid argument",
  EBUSY: "resource busy",
};

export const fsError = (code: string, path: string) => new FsError(code, path, MESSAGES[code] ?? code);

const MAX_SYMLINKS = 40;


/** "/a/b/../c" -> "a/c" (the tree's keys: relative, no leading '/', "" is the root). */
export function normalizePath(p: string, cwd = ""): string {
  const parts = (p.startsWith("/") ? [] : cwd.split("/").filter(Boolean));
  for (const c of p.split("/")) {
    if (c === "" || c === ".") continue;
    if (c === "..") parts.pop();
    else parts.push(c);
  }
  return parts.join("/");
}

const parentOf = (p: string) => (p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "");
const baseOf = (p: string) => p.slice(p.lastIndexOf("/") + 1);

export class FileTree implements GuestFs {
  private readonly nodes = new Map<string, FsNode>();
  private readonly kids = new Map<string, Set<string>>();

  constructor(private readonly now: () => Date = () => new Date()) {
    this.put("", { type: "dir", mode: 0o755, uid: 0, gid: 0, mtime: now() });
  }

  /** Become `other` (its nodes and shape), keeping this object: a remount under a guest that holds the tree. */
  replaceWith(other: FileTree): void {
    this.nodes.clear();
    this.kids.clear();
    for (const [p, n] of other.nodes) this.nodes.set(p, n);
    for (const [p, k] of other.kids) this.kids.set(p, new Set(k));
  }

  /** A tree that starts as this one and changes on its own (nodes shared, maps copied). */
  clone(): FileTree {
    const t = new FileTree(this.now);
    for (const [p, n] of this.nodes) t.nodes.set(p, n);
    for (const [p, k] of this.kids) t.kids.set(p, new Set(k));
    return t;
  }

  // ---- raw access (layers) ----

  node(path: string): FsNode | undefined {
    return this.nodes.get(path);
  }

  paths(): string[] {
    return [...this.nodes.keys()];
  }

  /** Set a node by its key, making missing parent directories and replacing whatever was there (a directory with all below it). */
  put(path: string, node: FsNode): void {
    const old = this.nodes.get(path);
    if (old && old.type === "dir" && node.type !== "dir") this.removeSubtree(path);
    if (path !== "") {
      const parent = parentOf(path);
      const pn = this.nodes.get(parent);
      if (!pn || pn.type !== "dir") this.put(parent, { type: "dir", mode: 0o755, uid: 0, gid: 0, mtime: node.mtime });
      this.kids.get(parent)!.add(baseOf(path));
    }
    this.nodes.set(path, node);
    if (node.type === "dir" && !this.kids.has(path)) this.kids.set(path, new Set());
  }

  /** Remove a key and everything below it. */
  removeSubtree(path: string): void {
    const n = this.nodes.get(path);
    if (!n) return;
    if (n.type === "dir") {
      for (const k of [...(this.kids.get(path) ?? [])]) this.removeSubtree(path ? `${path}/${k}` : k);
      this.kids.delete(path);
    }
    if (path === "") {
      this.kids.set("", new Set());
      return;
    }
    this.nodes.delete(path);
    this.kids.get(parentOf(path))?.delete(baseOf(path));
  }

  childrenOf(path: string): string[] {
    return [...(this.kids.get(path) ?? [])].sort();
  }

  // ---- path resolution ----

  /** The key `p` names: intermediate symlinks followed, the last one only when `follow`. */
  resolve(p: string, follow = true, cwd = ""): string {
    let depth = 0;
    const walk = (path: string, followLast: boolean): string => {
      const parts = normalizePath(path, cwd).split("/").filter(Boolean);
      let at = "";
      for (let i = 0; i < parts.length; i++) {
        const next = at ? `${at}/${parts[i]}` : parts[i];
        const n = this.nodes.get(next);
        const last = i === parts.length - 1;
        if (n?.type === "symlink" && (!last || followLast)) {
          if (++depth > MAX_SYMLINKS) throw fsError("ELOOP", `/${next}`);
          const target = n.target.startsWith("/") ? n.target : `/${at}/${n.target}`;
          const rest = parts.slice(i + 1).join("/");
          return walk(rest ? `${target}/${rest}` : target, followLast);
        }
        if (!last && n && n.type !== "dir") throw fsError("ENOTDIR", `/${next}`);
        if (!last && !n) throw fsError("ENOENT", `/${next}`);
        at = next;
      }
      return at;
    };
    return walk(p.startsWith("/") ? p : `/${normalizePath(p, cwd)}`, follow);
  }

  private existing(p: string, follow = true): [string, FsNode] {
    const key = this.resolve(p, follow);
    const n = this.nodes.get(key);
    if (!n) throw fsError("ENOENT", p);
    return [key, n];
  }

  private parentDir(p: string): string {
    const key = this.resolve(p, false);
    const parent = parentOf(key);
    const pn = this.nodes.get(parent);
    if (!pn) throw fsError("ENOENT", p);
    if (pn.type !== "dir") throw fsError("ENOTDIR", p);
    return key;
  }

  // ---- POSIX-ish operations ----

  exists(p: string): boolean {
    try {
      this.existing(p);
      return true;
    } catch {
      return false;
    }
  }

  stat(p: string): FsStat {
    return statOf(this.existing(p)[1]);
  }

  lstat(p: string): FsStat {
    return statOf(this.existing(p, false)[1]);
  }

  readFile(p: string): Buffer {
    const [, n] = this.existing(p);
    if (n.type === "dir") throw fsError("EISDIR", p);
    return (n as { data: Buffer }).data;
  }

  writeFile(p: string, data: Buffer | string, opts: { mode?: number; append?: boolean; exclusive?: boolean } = {}): void {
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const key = this.resolve(p, true);
    const old = this.nodes.get(key);
    if (old?.type === "dir") throw fsError("EISDIR", p);
    if (old && opts.exclusive) throw fsError("EEXIST", p);
    if (!old) this.parentDir(key === "" ? p : `/${key}`);
    const prev = old?.type === "file" ? old : undefined;
    this.put(key, { type: "file", data: opts.append && prev ? Buffer.concat([prev.data, buf]) : buf, mode: opts.mode ?? prev?.mode ?? 0o644, uid: prev?.uid ?? 0, gid: prev?.gid ?? 0, mtime: this.now() });
  }

  mkdir(p: string, opts: { parents?: boolean; mode?: number } = {}): void {
    const norm = normalizePath(p);
    if (opts.parents) {
      let at = "";
      for (const c of norm.split("/").filter(Boolean)) {
        at = at ? `${at}/${c}` : c;
        const key = this.resolve(`/${at}`);
        const n = this.nodes.get(key);
        if (!n) this.put(key, { type: "dir", mode: opts.mode ?? 0o755, uid: 0, gid: 0, mtime: this.now() });
        else if (n.type !== "dir") throw fsError("ENOTDIR", `/${at}`);
        at = key;
      }
      return;
    }
    const key = this.parentDir(p);
    if (this.nodes.has(key)) throw fsError("EEXIST", p);
    this.put(key, { type: "dir", mode: opts.mode ?? 0o755, uid: 0, gid: 0, mtime: this.now() });
  }

  readdir(p: string): string[] {
    const [key, n] = this.existing(p);
    if (n.type !== "dir") throw fsError("ENOTDIR", p);
    return this.childrenOf(key);
  }

  unlink(p: string): void {
    const [key, n] = this.existing(p, false);
    if (n.type === "dir") throw fsError("EISDIR", p);
    this.removeSubtree(key);
  }

  rmdir(p: string): void {
    const [key, n] = this.existing(p, false);
    if (n.type !== "dir") throw fsError("ENOTDIR", p);
    if (key === "") throw fsError("EBUSY", p);
    if (this.kids.get(key)?.size) throw fsError("ENOTEMPTY", p);
    this.removeSubtree(key);
  }

  /** `rm -r`: a file, a link or a directory with everything below it. */
  rm(p: string, opts: { recursive?: boolean; force?: boolean } = {}): void {
    let key: string;
    let n: FsNode;
    try {
      [key, n] = this.existing(p, false);
    } catch (e) {
      if (opts.force && (e as FsError).code === "ENOENT") return;
      throw e;
    }
    if (n.type === "dir" && !opts.recursive) throw fsError("EISDIR", p);
    if (key === "") {
      this.removeSubtree("");
      return;
    }
    this.removeSubtree(key);
  }

  rename(from: string, to: string): void {
    const [src, n] = this.existing(from, false);
    const dst = this.parentDir(to);
    if (src === dst) return;
    if (dst.startsWith(`${src}/`)) throw fsError("EINVAL", to);
    const there = this.nodes.get(dst);
    if (there?.type === "dir" && n.type !== "dir") throw fsError("EISDIR", to);
    if (there?.type === "dir" && this.kids.get(dst)?.size) throw fsError("ENOTEMPTY", to);
    const moved: [string, FsNode][] = [];
    const collect = (k: string) => {
      moved.push([k, this.nodes.get(k)!]);
      for (const c of this.kids.get(k) ?? []) collect(`${k}/${c}`);
    };
    collect(src);
    this.removeSubtree(src);
    if (there) this.removeSubtree(dst);
    for (const [k, node] of moved) this.put(dst + k.slice(src.length), node);
  }

  symlink(target: string, p: string): void {
    const key = this.parentDir(p);
    if (this.nodes.has(key)) throw fsError("EEXIST", p);
    this.put(key, { type: "symlink", target, mode: 0o777, uid: 0, gid: 0, mtime: this.now() });
  }

  readlink(p: string): string {
    const [, n] = this.existing(p, false);
    if (n.type !== "symlink") throw fsError("EINVAL", p);
    return n.target;
  }

  chmod(p: string, mode: number): void {
    const [key, n] = this.existing(p);
    this.put(key, { ...n, mode: mode & 0o7777 } as FsNode);
  }
}

function statOf(n: FsNode): FsStat {
  return { type: n.type, mode: n.mode, size: n.type === "file" ? n.data.length : n.type === "symlink" ? Buffer.byteLength(n.target) : 4096, uid: n.uid, gid: n.gid, mtime: n.mtime };
}
