// A layer tar unpacked onto a mounted disk, as docker's archive.Untar does
// for an image layer: OCI whiteouts first (`.wh.NAME` removes NAME,
// `.wh..wh..opq` empties its directory), then the entries in order, a hard
// link becoming a copy of its target. The disk itself records what changed
// against its parents when it is unmounted.
import type { TarEntry } from "../../formats/tar.ts";
import type { GuestFs } from "../../hardware/guest-hardware.ts";

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";

const abs = (p: string) => `/${p.replace(/^\.?\/+/, "").replace(/\/+$/, "")}`;
const parentOf = (p: string) => p.slice(0, p.lastIndexOf("/")) || "/";
const baseOf = (p: string) => p.slice(p.lastIndexOf("/") + 1);

function clearPath(fs: GuestFs, p: string): void {
  try {
    const st = fs.lstat(p);
    fs.rm(p, { recursive: st.type === "dir", force: true });
  } catch {
    // nothing there
  }
}

/** Unpack `entries` onto `fs`; returns the number of entries written. Paths that climb out (`..`) are refused. */
export function untarLayer(fs: GuestFs, entries: readonly TarEntry[]): number {
  for (const e of entries) if (e.path.split("/").includes("..")) throw new Error(`layer entry ${JSON.stringify(e.path)} leaves the root`);
  for (const e of entries) {
    const p = abs(e.path);
    const name = baseOf(p);
    if (name === OPAQUE) {
      const dir = parentOf(p);
      if (fs.exists(dir)) for (const child of fs.readdir(dir)) clearPath(fs, `${dir === "/" ? "" : dir}/${child}`);
    } else if (name.startsWith(WHITEOUT)) {
      clearPath(fs, `${parentOf(p) === "/" ? "" : parentOf(p)}/${name.slice(WHITEOUT.length)}`);
    }
  }
  let written = 0;
  for (const e of entries) {
    const p = abs(e.path);
    const name = baseOf(p);
    if (p === "/" || name === OPAQUE || name.startsWith(WHITEOUT)) continue;
    fs.mkdir(parentOf(p), { parents: true });
    const existing = fs.exists(p) || isLink(fs, p) ? fs.lstat(p) : undefined;
    if (e.type === "dir") {
      if (existing && existing.type !== "dir") clearPath(fs, p);
      if (!existing || existing.type !== "dir") fs.mkdir(p, { parents: true, mode: e.mode });
      fs.chmod(p, e.mode);
    } else if (e.type === "symlink") {
      if (existing) clearPath(fs, p);
      fs.symlink(e.linkname ?? "", p);
    } else if (e.type === "file" || e.type === "hardlink") {
      const data = e.type === "hardlink" ? fs.readFile(abs(e.linkname ?? "")) : e.data ?? Buffer.alloc(0);
      if (existing) clearPath(fs, p);
      fs.writeFile(p, data, { mode: e.mode });
      fs.chmod(p, e.mode);
    } else {
      // devices and fifos: nothing a simulated guest can use
      continue;
    }
    written++;
  }
  return written;
}

function isLink(fs: GuestFs, p: string): boolean {
  try {
    return fs.lstat(p).type === "symlink";
  } catch {
    return false;
  }
}
