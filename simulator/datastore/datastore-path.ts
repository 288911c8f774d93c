// Datastore paths in their three spellings: the API's `[ds] dir/file`, the
// host's `/vmfs/volumes/<uuid>/dir/file` (which a .vmx uses for files outside
// the VM's own folder), and the `/folder/...?dcPath=&dsName=` URL that
// FileManager also accepts. Resolving a name to a Datastore object goes
// through the datacenter, since datastore names are unique only there.
import { VimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import { Datacenter } from "../objects/datacenter.ts";
import { Datastore } from "../objects/datastore.ts";

export interface DatastorePath {
  datastore: string;
  /** '/'-separated, no leading or trailing '/', "" for the datastore's root */
  path: string;
}

export const VMFS_VOLUMES = "/vmfs/volumes/";

/**
 * A file of the host itself rather than of a datastore: hostd shows the tools
 * images it mounts as "[] /usr/lib/vmware/isoimages/linux.iso", and the .vmx
 * holds the bare path. The absolute path, or undefined for a datastore path.
 */
export function hostFileOf(dsPath: string): string | undefined {
  const m = /^\[\]\s*(\/.*)$/.exec(dsPath);
  return m ? m[1] : undefined;
}

/** The API's form of a host file a .vmx names (the inverse of hostFileOf), for the host's image folders. */
export function hostFileDatastorePath(vmxPath: string): string | undefined {
  return /^\/(usr\/lib\/vmware\/isoimages|vmimages)\//.test(vmxPath) ? `[] ${vmxPath}` : undefined;
}

function invalidPath(datastorePath: string): VimFault {
  return new VimFault("InvalidDatastorePath", { datastorePath }, `Invalid datastore path '${datastorePath}'.`);
}

/** The segments of a relative path; `..` would escape the datastore, so it is refused. */
export function normalizeRelative(path: string, whole = path): string {
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") throw invalidPath(whole);
    out.push(seg);
  }
  return out.join("/");
}

/** `[mydatastore] VCH001/VCH001.vmx` -> { datastore: "mydatastore", path: "VCH001/VCH001.vmx" }; `[ds]` is the root. */
export function parseDatastorePath(p: string): DatastorePath {
  const m = /^\s*\[([^\][]*)\]\s*(.*)$/s.exec(p);
  if (!m || m[1].trim() === "") throw invalidPath(p);
  return { datastore: m[1], path: normalizeRelative(m[2].replace(/\s+$/, ""), p) };
}

export function formatDatastorePath(datastore: string, path: string): string {
  const rel = normalizeRelative(path);
  return rel ? `[${datastore}] ${rel}` : `[${datastore}]`;
}

export function joinPath(dir: string, name: string): string {
  if (!name) return dir;
  return dir ? `${dir}/${name}` : name;
}

export function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

// ---------------------------------------------------------------------------
// Resolution against the inventory

export function datacenters(sim: SimContext): Datacenter[] {
  return sim.inventory.ofType("Datacenter").filter((o): o is Datacenter => o instanceof Datacenter);
}

/** The datacenter's inventory path as `dcPath` carries it: `dc1`, `folder/dc1`, `ha-datacenter`. */
export function datacenterPath(dc: Datacenter): string {
  return dc.inventoryPath().replace(/^\//, "");
}

/** A datacenter by its inventory path (leading and trailing '/' optional). */
export function findDatacenter(sim: SimContext, dcPath: string): Datacenter | undefined {
  const want = dcPath.split("/").filter(Boolean).join("/");
  return datacenters(sim).find((dc) => datacenterPath(dc) === want);
}

export function datastoresOf(sim: SimContext, dc: Datacenter): Datastore[] {
  return ((dc.props.datastore as ManagedObjectReference[]) ?? [])
    .map((r) => sim.inventory.get(r.value))
    .filter((o): o is Datastore => o instanceof Datastore);
}

/** Every datastore of the simulator, each once. */
export function allDatastores(sim: SimContext): Datastore[] {
  return sim.inventory.ofType("Datastore").filter((o): o is Datastore => o instanceof Datastore);
}

/**
 * The datacenter a call names, or the one it implies. hostd has one and
 * takes a missing moref to mean it; vpxd needs it (InvalidArgument).
 */
export function datacenterFor(sim: SimContext, ref: ManagedObjectReference | undefined, property = "datacenter"): Datacenter {
  if (ref) {
    const dc = sim.inventory.get(ref.value);
    if (!(dc instanceof Datacenter)) throw new VimFault("ManagedObjectNotFound", { obj: ref });
    return dc;
  }
  const all = datacenters(sim);
  if (sim.isVCenter || all.length !== 1) throw new VimFault("InvalidArgument", { invalidProperty: property });
  return all[0];
}

/** A datastore by name within a datacenter (or anywhere when none is given); unknown -> InvalidDatastore. */
export function findDatastore(sim: SimContext, name: string, dc?: Datacenter): Datastore {
  const pool = dc ? datastoresOf(sim, dc) : allDatastores(sim);
  const ds = pool.find((d) => d.name === name);
  if (!ds) throw new VimFault("InvalidDatastore", { name }, `Invalid datastore '${name}'.`);
  return ds;
}

/** A datastore by the name or UUID a `/vmfs/volumes/` path uses. */
export function findDatastoreByVolume(sim: SimContext, volume: string, dc?: Datacenter): Datastore | undefined {
  const pool = dc ? datastoresOf(sim, dc) : allDatastores(sim);
  return pool.find((d) => d.uuid === volume) ?? pool.find((d) => d.name === volume);
}

export interface ResolvedPath {
  datastore: Datastore;
  /** relative to the datastore's root */
  path: string;
  /** the `[ds] path` spelling, for fault messages */
  datastorePath: string;
}

/**
 * A name as FileManager and the browser take it: `[ds] path`, or a
 * `https://host/folder/path?dcPath=&dsName=` URL.
 */
export function resolveDatastorePath(sim: SimContext, name: string, dc?: Datacenter): ResolvedPath {
  if (/^https?:\/\//i.test(name)) return resolveFolderUrl(sim, name, dc);
  const p = parseDatastorePath(name);
  const datastore = findDatastore(sim, p.datastore, dc);
  return { datastore, path: p.path, datastorePath: formatDatastorePath(datastore.name, p.path) };
}

function resolveFolderUrl(sim: SimContext, name: string, dc?: Datacenter): ResolvedPath {
  let url: URL;
  try {
    url = new URL(name);
  } catch {
    throw invalidPath(name);
  }
  if (!url.pathname.startsWith("/folder")) throw invalidPath(name);
  const rel = url.pathname.slice("/folder".length).split("/").map((s) => decodeURIComponent(s)).join("/");
  const dsName = url.searchParams.get("dsName");
  if (!dsName) throw invalidPath(name);
  const dcPath = url.searchParams.get("dcPath");
  const where = dcPath ? findDatacenter(sim, dcPath) : dc;
  if (dcPath && !where) throw new VimFault("InvalidDatastore", { name: dsName }, `Invalid datacenter path '${dcPath}'.`);
  const datastore = findDatastore(sim, dsName, where);
  const path = normalizeRelative(rel, name);
  return { datastore, path, datastorePath: formatDatastorePath(datastore.name, path) };
}

// ---------------------------------------------------------------------------
// Host filesystem paths

/** `[ds] dir/file` of `ds` as the host's filesystem names it: `/vmfs/volumes/<uuid>/dir/file`. */
export function filesystemPath(ds: Datastore, path: string): string {
  const rel = normalizeRelative(path);
  return rel ? `${VMFS_VOLUMES}${ds.uuid}/${rel}` : `${VMFS_VOLUMES}${ds.uuid}`;
}

/** `/vmfs/volumes/<uuid-or-name>/dir/file` back to the datastore and its relative path; undefined if not on one. */
export function fromFilesystemPath(sim: SimContext, fsPath: string, dc?: Datacenter): ResolvedPath | undefined {
  if (!fsPath.startsWith(VMFS_VOLUMES)) return undefined;
  const rest = fsPath.slice(VMFS_VOLUMES.length);
  const slash = rest.indexOf("/");
  const volume = slash < 0 ? rest : rest.slice(0, slash);
  const datastore = findDatastoreByVolume(sim, volume, dc);
  if (!datastore) return undefined;
  const path = normalizeRelative(slash < 0 ? "" : rest.slice(slash + 1), fsPath);
  return { datastore, path, datastorePath: formatDatastorePath(datastore.name, path) };
}

/**
 * How a .vmx names `file` given the VM's own folder `vmDir`: the bare name
 * when it sits beside the .vmx, relative below it, else the absolute
 * `/vmfs/volumes/<uuid>/...` path (seed: the container VM's bootstrap.iso).
 */
export function vmxFileName(vmDir: { datastore: Datastore; path: string }, file: { datastore: Datastore; path: string }): string {
  const dir = normalizeRelative(vmDir.path);
  const rel = normalizeRelative(file.path);
  if (file.datastore === vmDir.datastore && dir !== "" && rel.startsWith(dir + "/")) return rel.slice(dir.length + 1);
  if (file.datastore === vmDir.datastore && dir === "") return rel;
  return filesystemPath(file.datastore, rel);
}

/** A .vmx file name read back: absolute `/vmfs/volumes/...` or relative to the VM's folder. */
export function resolveVmxFileName(sim: SimContext, vmDir: { datastore: Datastore; path: string }, fileName: string, dc?: Datacenter): ResolvedPath | undefined {
  if (fileName.startsWith("/")) return fromFilesystemPath(sim, fileName, dc);
  const path = normalizeRelative(joinPath(normalizeRelative(vmDir.path), fileName));
  return { datastore: vmDir.datastore, path, datastorePath: formatDatastorePath(vmDir.datastore.name, path) };
}
