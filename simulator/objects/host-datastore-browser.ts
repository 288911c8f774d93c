// HostDatastoreBrowser: what the vSphere client's file chooser, govc
// datastore.ls and vic-machine's image store checks use to look at a
// datastore. A search lists one folder (or every folder below one) and
// keeps the entries a query type and the match patterns accept; the file
// kind follows the name as hostd's does (`.vmdk` but not its extents,
// `vmware*.log`, ...), and VMDK and VMX details come from the files.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import type { Datastore } from "./datastore.ts";
import type { DatastoreVolume } from "../datastore/datastore-volume.ts";
import type { FileStat } from "../datastore/volume-api.ts";
import { formatDatastorePath, joinPath, parseDatastorePath, dirname } from "../datastore/datastore-path.ts";

/** FileQuery type -> the FileInfo type of what it finds */
const QUERY_INFO: Record<string, string> = {
  FolderFileQuery: "FolderFileInfo",
  VmDiskFileQuery: "VmDiskFileInfo",
  VmConfigFileQuery: "VmConfigFileInfo",
  TemplateConfigFileQuery: "TemplateConfigFileInfo",
  IsoImageFileQuery: "IsoImageFileInfo",
  FloppyImageFileQuery: "FloppyImageFileInfo",
  VmLogFileQuery: "VmLogFileInfo",
  VmNvramFileQuery: "VmNvramFileInfo",
  VmSnapshotFileQuery: "VmSnapshotFileInfo",
};

// A disk's data files are part of the disk, not disks of their own.
const DISK_EXTENT = /-(flat|delta|sesparse|ctk|rdm|rdmp|s\d{3})\.vmdk$/i;

/** The FileInfo type hostd gives an entry, by its name. */
export function fileKind(name: string, isDirectory: boolean): string {
  if (isDirectory) return "FolderFileInfo";
  const lower = name.toLowerCase();
  if (lower.endsWith(".vmdk")) return DISK_EXTENT.test(lower) ? "FileInfo" : "VmDiskFileInfo";
  if (lower.endsWith(".vmx")) return "VmConfigFileInfo";
  if (lower.endsWith(".vmtx")) return "TemplateConfigFileInfo";
  if (lower.endsWith(".iso")) return "IsoImageFileInfo";
  if (lower.endsWith(".flp") || lower.endsWith(".img")) return "FloppyImageFileInfo";
  if (/^vmware.*\.log$/.test(lower)) return "VmLogFileInfo";
  if (lower.endsWith(".nvram")) return "VmNvramFileInfo";
  if (lower.endsWith(".vmsn")) return "VmSnapshotFileInfo";
  return "FileInfo";
}

/** A matchPattern glob (`*`, `?`, `[abc]`) as an anchored RegExp. */
export function globToRegExp(glob: string, caseInsensitive = false): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        const body = glob.slice(i + 1, end).replace(/\\/g, "\\\\");
        re += "[" + (body.startsWith("!") ? "^" + body.slice(1) : body) + "]";
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, caseInsensitive ? "is" : "s");
}

interface DiskDescriptor {
  createType?: string;
  extents: { sectors: number; file?: string }[];
  ddb: Record<string, string>;
}

function parseDescriptor(text: string): DiskDescriptor | undefined {
  if (!/createType\s*=/.test(text)) return undefined;
  const d: DiskDescriptor = { extents: [], ddb: {} };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    let m = /^createType\s*=\s*"?([^"]*)"?$/.exec(line);
    if (m) {
      d.createType = m[1];
      continue;
    }
    m = /^(?:RW|RDONLY|NOACCESS)\s+(\d+)\s+\S+(?:\s+"([^"]*)")?/.exec(line);
    if (m) {
      d.extents.push({ sectors: Number(m[1]), file: m[2] });
      continue;
    }
    m = /^(ddb\.[\w.]+)\s*=\s*"?([^"]*)"?$/.exec(line);
    if (m) d.ddb[m[1]] = m[2];
  }
  return d;
}

function diskTypeOf(createType: string | undefined): string {
  switch ((createType ?? "").toLowerCase()) {
    case "sesparse":
      return "VirtualDiskSeSparseBackingInfo";
    case "monolithicsparse":
    case "twogbmaxextentsparse":
    case "streamoptimized":
      return "VirtualDiskSparseVer2BackingInfo";
    case "vmfsrdm":
    case "vmfsrawdevicemap":
    case "vmfspassthroughrawdevicemap":
      return "VirtualDiskRawDiskMappingVer1BackingInfo";
    default:
      // flat disks and the vmfsSparse deltas that sit on them
      return "VirtualDiskFlatVer2BackingInfo";
  }
}

const CONTROLLER_TYPES: Record<string, string> = {
  lsilogic: "VirtualLsiLogicController",
  buslogic: "VirtualBusLogicController",
  ide: "VirtualIDEController",
  pvscsi: "ParaVirtualSCSIController",
  lsisas1068: "VirtualLsiLogicSASController",
};

const SUPPORTED_TYPES: DataObject[] = [
  { _type: "FolderFileQuery" },
  { _type: "VmConfigFileQuery", details: { _type: "VmConfigFileQueryFlags", configVersion: true } },
  { _type: "TemplateConfigFileQuery", details: { _type: "VmConfigFileQueryFlags", configVersion: true } },
  { _type: "VmDiskFileQuery", details: { _type: "VmDiskFileQueryFlags", diskType: true, capacityKb: true, hardwareVersion: true, controllerType: true, diskExtents: true, thin: true } },
  { _type: "VmSnapshotFileQuery" },
  { _type: "VmNvramFileQuery" },
  { _type: "VmLogFileQuery" },
  { _type: "IsoImageFileQuery" },
  { _type: "FloppyImageFileQuery" },
];

/** What hostd reads out of a file for a query's details. */
const PEEK_BYTES = 64 * 1024;

interface SearchSpec {
  query?: DataObject[];
  details?: { fileType?: boolean; fileSize?: boolean; modification?: boolean; fileOwner?: boolean };
  searchCaseInsensitive?: boolean;
  matchPattern?: string[];
  sortFoldersFirst?: boolean;
}

export class HostDatastoreBrowser extends ManagedObject {
  constructor(sim: SimContext, value: string) {
    super(sim, "HostDatastoreBrowser", value);
    this.props.datastore = [];
    this.props.supportedType = SUPPORTED_TYPES;
  }

  /** The browser at `value`, taking the place of a plain placeholder object if one is there. */
  static ensure(sim: SimContext, value: string): HostDatastoreBrowser {
    const cur = sim.inventory.get(value);
    if (cur instanceof HostDatastoreBrowser) return cur;
    if (cur) sim.inventory.remove(cur);
    return sim.inventory.add(new HostDatastoreBrowser(sim, value));
  }

  addDatastore(ref: ManagedObjectReference): void {
    const list = this.props.datastore as ManagedObjectReference[];
    if (!list.some((r) => r.value === ref.value)) this.update({ datastore: [...list, ref] });
  }

  private datastores(): Datastore[] {
    return (this.props.datastore as ManagedObjectReference[])
      .map((r) => this.sim.inventory.get(r.value) as Datastore | undefined)
      .filter((d): d is Datastore => d !== undefined && "volume" in d);
  }

  /** `[ds] path` against the datastores this browser sees. */
  private resolve(datastorePath: string): { datastore: Datastore; path: string } {
    const p = parseDatastorePath(datastorePath);
    const datastore = this.datastores().find((d) => d.name === p.datastore);
    if (!datastore) throw new VimFault("InvalidDatastore", { name: p.datastore }, `Invalid datastore path '${datastorePath}'.`);
    return { datastore, path: p.path };
  }

  SearchDatastore_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.search(args, ctx, false);
  }

  SearchDatastoreSubFolders_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.search(args, ctx, true);
  }

  /** The old, task-less way to delete one file. */
  DeleteFile(args: Args): void {
    const { datastore, path } = this.resolve(String(args.datastorePath));
    datastore.volume.delete(path);
  }

  private search(args: Args, ctx: CallContext, recursive: boolean): ManagedObjectReference {
    const datastorePath = String(args.datastorePath ?? "");
    const spec = (args.searchSpec ?? {}) as SearchSpec;
    // TaskInfo.entity must be a ManagedEntity: the datastore searched, or for
    // a path that names none (the task reports it) the browser's first one
    let entity: ManagedObject | undefined;
    try {
      entity = this.resolve(datastorePath).datastore;
    } catch {
      entity = this.datastores()[0] ?? this.sim.inventory.get((this.sim.content.rootFolder as ManagedObjectReference).value);
    }
    const method = recursive ? "SearchDatastoreSubFolders_Task" : "SearchDatastore_Task";
    const description = recursive ? "HostDatastoreBrowser.searchSubFolders" : "HostDatastoreBrowser.search";
    return this.sim.tasks.run(entity ?? this, method, description, ctx.session?.userName ?? "", () => {
      const { datastore, path } = this.resolve(datastorePath);
      const st = datastore.volume.stat(path);
      if (!st || !st.isDirectory) {
        throw new VimFault("FileNotFound", { file: formatDatastorePath(datastore.name, path) }, `File ${formatDatastorePath(datastore.name, path)} was not found`);
      }
      if (!recursive) return this.searchFolder(datastore, path, spec);
      const out: DataObject[] = [];
      const walk = (dir: string) => {
        out.push(this.searchFolder(datastore, dir, spec));
        for (const name of datastore.volume.readdir(dir)) {
          const sub = joinPath(dir, name);
          if (datastore.volume.stat(sub)?.isDirectory) walk(sub);
        }
      };
      walk(path);
      return out;
    }, { resultType: { type: "HostDatastoreBrowserSearchResults", array: recursive } });
  }

  private searchFolder(ds: Datastore, dir: string, spec: SearchSpec): DataObject {
    const vol = ds.volume;
    const patterns = (spec.matchPattern ?? []).map((g) => globToRegExp(g, !!spec.searchCaseInsensitive));
    const folders: DataObject[] = [];
    const others: DataObject[] = [];
    for (const name of vol.readdir(dir)) {
      if (patterns.length && !patterns.some((re) => re.test(name))) continue;
      const rel = joinPath(dir, name);
      const st = vol.stat(rel);
      if (!st) continue;
      const info = this.fileInfo(ds, rel, name, st, spec);
      if (info) (st.isDirectory && spec.sortFoldersFirst ? folders : others).push(info);
    }
    const files = [...folders, ...others];
    return { _type: "HostDatastoreBrowserSearchResults", datastore: ds.ref, folderPath: formatDatastorePath(ds.name, dir), file: files };
  }

  /** The entry as the spec's queries see it, or undefined if none accepts it. */
  private fileInfo(ds: Datastore, rel: string, name: string, st: FileStat, spec: SearchSpec): DataObject | undefined {
    const kind = fileKind(name, st.isDirectory);
    const queries = spec.query ?? [];
    const specific = queries.find((q) => QUERY_INFO[q._type] === kind && this.accepts(ds, rel, kind, q));
    const generic = !queries.length || queries.some((q) => q._type === "FileQuery");
    if (!specific && !generic) return undefined;
    const type = specific ? kind : spec.details?.fileType ? kind : "FileInfo";
    const info: DataObject = { _type: type, path: name };
    const d = spec.details;
    if (d?.fileSize) info.fileSize = st.size;
    if (d?.modification) info.modification = st.mtime;
    if (d?.fileOwner) info.owner = "root";
    if (specific?._type === "VmDiskFileQuery") Object.assign(info, this.diskDetails(ds, rel, specific.details as Record<string, boolean> | undefined));
    if (specific && (specific._type === "VmConfigFileQuery" || specific._type === "TemplateConfigFileQuery") && (specific.details as { configVersion?: boolean } | undefined)?.configVersion) {
      info.configVersion = this.configVersion(ds.volume, rel);
    }
    return info;
  }

  /** A query's filter, for the query types that have one. */
  private accepts(ds: Datastore, rel: string, kind: string, q: DataObject): boolean {
    const filter = q.filter as Record<string, unknown> | undefined;
    if (!filter) return true;
    if (kind === "VmDiskFileInfo") {
      const disk = this.diskDetails(ds, rel, { diskType: true, hardwareVersion: true, controllerType: true, thin: true });
      const f = filter as { diskType?: string[]; matchHardwareVersion?: number[]; controllerType?: string[]; thin?: boolean };
      if (f.diskType?.length && !f.diskType.includes(disk.diskType as string)) return false;
      if (f.matchHardwareVersion?.length && !f.matchHardwareVersion.includes(disk.hardwareVersion as number)) return false;
      if (f.controllerType?.length && !f.controllerType.includes(disk.controllerType as string)) return false;
      if (f.thin !== undefined && f.thin !== null && f.thin !== (disk.thin ?? false)) return false;
      return true;
    }
    if (kind === "VmConfigFileInfo" || kind === "TemplateConfigFileInfo") {
      const versions = (filter as { matchConfigVersion?: number[] }).matchConfigVersion;
      return !versions?.length || versions.includes(this.configVersion(ds.volume, rel) as number);
    }
    return true;
  }

  private peek(vol: DatastoreVolume, rel: string): string {
    try {
      return vol.readRange(rel, 0, PEEK_BYTES).toString("utf8");
    } catch {
      return "";
    }
  }

  private configVersion(vol: DatastoreVolume, rel: string): number | undefined {
    const m = /^\s*config\.version\s*=\s*"?(\d+)"?/im.exec(this.peek(vol, rel));
    return m ? Number(m[1]) : undefined;
  }

  private diskDetails(ds: Datastore, rel: string, flags: Record<string, boolean> | undefined): Record<string, unknown> {
    const desc = parseDescriptor(this.peek(ds.volume, rel));
    if (!desc || !flags) return {};
    const out: Record<string, unknown> = {};
    if (flags.diskType) out.diskType = diskTypeOf(desc.createType);
    if (flags.capacityKb) out.capacityKb = Math.floor(desc.extents.reduce((n, e) => n + e.sectors, 0) / 2);
    if (flags.hardwareVersion && desc.ddb["ddb.virtualHWVersion"]) out.hardwareVersion = Number(desc.ddb["ddb.virtualHWVersion"]);
    if (flags.controllerType && desc.ddb["ddb.adapterType"]) out.controllerType = CONTROLLER_TYPES[desc.ddb["ddb.adapterType"].toLowerCase()];
    if (flags.diskExtents) {
      out.diskExtents = desc.extents.filter((e) => e.file).map((e) =>
        e.file!.startsWith("/") ? e.file! : formatDatastorePath(ds.name, joinPath(dirname(rel), e.file!)));
    }
    if (flags.thin) out.thin = desc.ddb["ddb.thinProvisioned"] === "1";
    return out;
  }
}
