// VMDK descriptors as ESXi writes them: a small text file naming its
// extents, its content ID and, for a delta disk, its parent's. A chain is
// valid only while each child's parentCID matches its parent's CID.

export interface VmdkExtent {
  access: "RW" | "RDONLY" | "NOACCESS";
  /** size in 512-byte sectors */
  sectors: number;
  type: string; // VMFS, VMFSSPARSE, SESPARSE, SPARSE, FLAT, VMFSRDM ...
  file: string;
  offset?: number;
}

export interface VmdkDescriptor {
  version: number;
  encoding: string;
  cid: string;
  parentCid: string;
  isNativeSnapshot: string;
  createType: string;
  parentFileNameHint?: string;
  extents: VmdkExtent[];
  /** the change tracking (CBT) file beside the descriptor, while tracking is on */
  changeTrackPath?: string;
  /** ddb.* entries, in order, keys without the "ddb." prefix */
  ddb: [string, string][];
}

export const NO_PARENT = "ffffffff";
export const SECTOR = 512;

export class VmdkParseError extends Error {
  constructor(readonly file: string, readonly line: number, problem: string) {
    super(`${file}:${line}: ${problem}`);
  }
}

export function parseDescriptor(text: string, file = "disk.vmdk"): VmdkDescriptor {
  const d: VmdkDescriptor = { version: 1, encoding: "UTF-8", cid: "", parentCid: NO_PARENT, isNativeSnapshot: "no", createType: "", extents: [], ddb: [] };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const ext = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+(\w+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?$/.exec(line);
    if (ext) {
      d.extents.push({ access: ext[1] as VmdkExtent["access"], sectors: Number(ext[2]), type: ext[3], file: ext[4] ?? "", offset: ext[5] !== undefined ? Number(ext[5]) : undefined });
      return;
    }
    const kv = /^([A-Za-z0-9_.]+)\s*=\s*(?:"([^"]*)"|(\S+))$/.exec(line);
    if (!kv) throw new VmdkParseError(file, i + 1, `cannot read '${line}'`);
    const key = kv[1];
    const value = kv[2] ?? kv[3];
    if (key.startsWith("ddb.")) d.ddb.push([key.slice(4), value]);
    else if (key === "version") d.version = Number(value);
    else if (key === "encoding") d.encoding = value;
    else if (key === "CID") d.cid = value.toLowerCase();
    else if (key === "parentCID") d.parentCid = value.toLowerCase();
    else if (key === "isNativeSnapshot") d.isNativeSnapshot = value;
    else if (key === "createType") d.createType = value;
    else if (key === "parentFileNameHint") d.parentFileNameHint = value;
    else if (key === "changeTrackPath") d.changeTrackPath = value;
    else throw new VmdkParseError(file, i + 1, `unknown key ${key}`);
  });
  if (!d.createType) throw new VmdkParseError(file, lines.length, "no createType: not a disk descriptor");
  if (!d.cid) throw new VmdkParseError(file, lines.length, "no CID");
  return d;
}

export function formatDescriptor(d: VmdkDescriptor): string {
  const out = [
    "# Disk DescriptorFile",
    `version=${d.version}`,
    `encoding="${d.encoding}"`,
    `CID=${d.cid}`,
    `parentCID=${d.parentCid}`,
    `isNativeSnapshot="${d.isNativeSnapshot}"`,
    `createType="${d.createType}"`,
  ];
  if (d.parentFileNameHint !== undefined) out.push(`parentFileNameHint="${d.parentFileNameHint}"`);
  out.push("", "# Extent description");
  for (const e of d.extents) out.push(`${e.access} ${e.sectors} ${e.type}${e.file ? ` "${e.file}"` : ""}${e.offset !== undefined ? ` ${e.offset}` : ""}`);
  if (d.changeTrackPath !== undefined) out.push("", "# Change Tracking File", `changeTrackPath="${d.changeTrackPath}"`);
  out.push("", "# The Disk Data Base", "#DDB", "");
  for (const [k, v] of d.ddb) out.push(`ddb.${k} = "${v}"`);
  return out.join("\n") + "\n";
}

export function ddbGet(d: VmdkDescriptor, key: string): string | undefined {
  return d.ddb.find(([k]) => k === key)?.[1];
}

export function ddbSet(d: VmdkDescriptor, key: string, value: string): void {
  const i = d.ddb.findIndex(([k]) => k === key);
  if (i >= 0) d.ddb[i] = [key, value];
  else d.ddb.push([key, value]);
}

/** Capacity in bytes: the sum of the extents. */
export function capacityBytes(d: VmdkDescriptor): number {
  return d.extents.reduce((n, e) => n + e.sectors * SECTOR, 0);
}

/** Cylinders/heads/sectors as ESXi records them for a disk of this size. */
export function geometry(bytes: number): { cylinders: number; heads: number; sectors: number } {
  const heads = 255, sectors = 63;
  return { cylinders: Math.max(1, Math.floor(bytes / SECTOR / (heads * sectors))), heads, sectors };
}

/** A flat (base) disk: `<name>.vmdk` naming `<name>-flat.vmdk`. */
export function flatDescriptor(o: { flatFile: string; bytes: number; cid: string; uuid: string; adapterType: string; thin: boolean; hwVersion: number; longContentId: string }): VmdkDescriptor {
  const g = geometry(o.bytes);
  const ddb: [string, string][] = [
    ["adapterType", o.adapterType],
    ["geometry.cylinders", String(g.cylinders)],
    ["geometry.heads", String(g.heads)],
    ["geometry.sectors", String(g.sectors)],
    ["longContentID", o.longContentId],
  ];
  if (o.thin) ddb.push(["thinProvisioned", "1"]);
  ddb.push(["uuid", o.uuid], ["virtualHWVersion", String(o.hwVersion)]);
  return {
    version: 1, encoding: "UTF-8", cid: o.cid, parentCid: NO_PARENT, isNativeSnapshot: "no", createType: "vmfs",
    extents: [{ access: "RW", sectors: Math.ceil(o.bytes / SECTOR), type: "VMFS", file: o.flatFile }], ddb,
  };
}

/** A delta (child) disk on top of `parent`, whose descriptor lives at `parentHint`. */
export function deltaDescriptor(o: { parent: VmdkDescriptor; parentHint: string; deltaFile: string; cid: string; longContentId: string }): VmdkDescriptor {
  return {
    version: 1, encoding: "UTF-8", cid: o.cid, parentCid: o.parent.cid, isNativeSnapshot: "no", createType: "vmfsSparse",
    parentFileNameHint: o.parentHint,
    extents: [{ access: "RW", sectors: Math.ceil(capacityBytes(o.parent) / SECTOR), type: "VMFSSPARSE", file: o.deltaFile }],
    ddb: [["longContentID", o.longContentId], ...o.parent.ddb.filter(([k]) => k !== "longContentID" && k !== "thinProvisioned")],
  };
}

/** uuid.bios style ("60 00 C2 9a ...-...") from 16 bytes of hex. */
export function ddbUuid(hex32: string): string {
  const b = hex32.slice(0, 32).match(/../g)!;
  return `${b.slice(0, 8).join(" ")}-${b.slice(8).join(" ")}`;
}

/** The CID hostd gives a disk it has created but nothing has written yet. */
export const FRESH_CID = "fffffffe";

/**
 * ddb.uuid as hostd writes it and QueryVirtualDiskUuid returns it: 16 hex
 * pairs, a dash after the eighth, led by VMware's "60 00 C2 9" (the "C2" in
 * upper case, the rest lower), from 25 hex digits of randomness.
 */
export function vmfsDiskUuid(hex: string): string {
  const b = ("6000c29" + hex.toLowerCase()).slice(0, 32).match(/../g)!;
  b[2] = "C2";
  return `${b.slice(0, 8).join(" ")}-${b.slice(8).join(" ")}`;
}

/** The one spelling SetVirtualDiskUuid accepts (hex digits in either case). */
export function isDdbUuid(s: string): boolean {
  return /^[0-9a-f]{2}( [0-9a-f]{2}){7}-[0-9a-f]{2}( [0-9a-f]{2}){7}$/i.test(s);
}
