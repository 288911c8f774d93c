// Datastore files over HTTP, as hostd and vpxd serve them:
//   /folder                                  the datacenters (HTML)
//   /folder?dcPath=DC                        the datacenter's datastores (HTML)
//   /folder/PATH?dcPath=DC&dsName=DS         a file (GET, HEAD, PUT, DELETE) or a directory index
// On an ESXi host dcPath may be left out (it is ha-datacenter). Every request
// needs a session: the vmware_soap_session cookie of a live /sdk session, or
// HTTP Basic credentials, which hostd accepts too.
//
// Status codes a client can tell apart:
//   401 no session (with WWW-Authenticate: Basic realm="VMware HTTP server")
//   400 a `..` segment or a malformed path
//   404 unknown datacenter, datastore or file; PUT into a missing directory
//   409 PUT or GET-as-file on a directory, PUT below a file, DELETE of a non-empty directory
//   507 the datastore cannot hold the upload (hostd says 500; 507 lets a
//       client tell a full datastore from a server error); nothing is written
//   416 a Range that starts past the end of the file
import type { Request, Response } from "express";
import { VimFault, escapeXml } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import { basicCredentials, cgiTarget } from "../dispatch/session.ts";
import { credentialsMatch } from "../objects/session-manager.ts";
import { DATASTORE_FILE_PRIVILEGES } from "../objects/authorization-manager.ts";
import type { Datacenter } from "../objects/datacenter.ts";
import type { Datastore } from "../objects/datastore.ts";
import { datacenterPath, datacenters, datastoresOf, dirname, findDatacenter, joinPath } from "../datastore/datastore-path.ts";

export const FOLDER_REALM = 'Basic realm="VMware HTTP server"';

/** Bytes read from the volume per write to the socket. */
const STREAM_CHUNK = 1 << 20;

class HttpFailure extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** A live session by cookie, or the scenario's user by Basic auth. */
export function folderAuthenticated(sim: SimContext, req: Request): boolean {
  return folderUser(sim, req, false) !== undefined;
}

/**
 * Who a request is: a live session's user by cookie, the scenario's user by
 * Basic auth, or, for /folder itself, the user a generic service ticket
 * (vmware_cgi_ticket cookie) was acquired by, for the one request it names.
 */
function folderUser(sim: SimContext, req: Request, ticketed: boolean): string | undefined {
  const session = sim.sessions.fromCookie(req.headers.cookie);
  if (session) return session.userName;
  if (ticketed) {
    const target = cgiTarget(req.originalUrl);
    const user = sim.sessions.redeemCgiTicket(req.headers.cookie, req.method, target.path, target.query);
    if (user !== undefined) return user;
  }
  const creds = basicCredentials(req.headers.authorization);
  return creds && credentialsMatch(sim, creds.user, creds.password) ? creds.user : undefined;
}

// What a datastore file request needs of its user on the datastore, as hostd
// asks it (the scenario's administrator holds everything).
const FILE_PRIVILEGE: Record<string, string> = {
  GET: DATASTORE_FILE_PRIVILEGES.read, HEAD: DATASTORE_FILE_PRIVILEGES.read, PUT: DATASTORE_FILE_PRIVILEGES.write, DELETE: DATASTORE_FILE_PRIVILEGES.write,
};

function statusOfFault(f: VimFault): number {
  switch (f.type) {
    case "FileNotFound":
      return 404;
    case "NoDiskSpace":
      return 507;
    case "InvalidDatastorePath":
      return 400;
    case "FileTooLarge":
      return 413;
    case "FileAlreadyExists":
    case "CannotCreateFile":
    case "CannotDeleteFile":
    case "NotAFile":
    case "NotADirectory":
      return 409;
    default:
      return 500;
  }
}

function send(res: Response, status: number, body: string, type = "text/plain; charset=utf-8", extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(status).set({ "Content-Type": type, "Content-Length": String(Buffer.byteLength(body)), ...extra });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** The path below /folder, decoded, as datastore-relative segments. */
function relativePath(pathname: string): string {
  const rest = pathname.slice("/folder".length);
  const out: string[] = [];
  for (const raw of rest.split("/")) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      throw new HttpFailure(400, "Bad Request: malformed path encoding\n");
    }
    for (const part of seg.split("/")) {
      if (part === "" || part === ".") continue;
      if (part === "..") throw new HttpFailure(400, "Bad Request: '..' is not allowed in a datastore path\n");
      out.push(part);
    }
  }
  return out.join("/");
}

// hostd's own index pages double-encode dcPath (ha%252ddatacenter); accept both
function lookupDatacenter(sim: SimContext, dcPath: string): Datacenter | undefined {
  const found = findDatacenter(sim, dcPath);
  if (found || !dcPath.includes("%")) return found;
  try {
    return findDatacenter(sim, decodeURIComponent(dcPath));
  } catch {
    return undefined;
  }
}

export function folderUrl(rel: string, dcPath?: string, dsName?: string): string {
  const path = rel ? "/" + rel.split("/").map(encodeURIComponent).join("/") : "";
  const q = new URLSearchParams();
  if (dcPath !== undefined) q.set("dcPath", dcPath);
  if (dsName !== undefined) q.set("dsName", dsName);
  const qs = q.toString();
  return `/folder${path}${qs ? `?${qs}` : ""}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function listingDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

interface Row {
  name: string;
  href: string;
  mtime?: Date;
  size?: number;
}

function indexPage(title: string, parent: string | undefined, rows: Row[]): string {
  const line = (r: Row) =>
    `<tr><td><a href="${escapeXml(r.href)}">${escapeXml(r.name)}</a></td>` +
    `<td align="right">${r.mtime ? listingDate(r.mtime) : "&nbsp;"}</td>` +
    `<td align="right">${r.size === undefined ? "  - " : r.size}</td></tr>\n`;
  return '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN">\n' +
    `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><meta name="robots" content="noindex,nofollow"><title>${escapeXml(title)}</title></head>\n` +
    `<body><h1>${escapeXml(title)}</h1>\n<table>\n<tr><th>Name</th><th>Last modified</th><th>Size</th></tr><tr><th colspan="3"><hr></th></tr>\n` +
    (parent !== undefined ? line({ name: "Parent Directory", href: parent }) : "") +
    rows.map(line).join("") +
    '<tr><th colspan="3"><hr></th></tr>\n</table>\n</body></html>\n';
}

type ByteRange = { start: number; end: number } | "unsatisfiable" | undefined;

/** One `bytes=` range (end exclusive); several ranges or a malformed header are ignored, as RFC 9110 allows. */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size };
  }
  const start = Number(m[1]);
  const last = m[2] === "" ? size - 1 : Number(m[2]);
  if (last < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(size, last + 1) };
}

export function folderHandler(sim: SimContext): (req: Request, res: Response) => void {
  return (req, res) => {
    void handle(sim, req, res).catch((e: unknown) => {
      if (e instanceof HttpFailure) return send(res, e.status, e.message);
      if (e instanceof VimFault) return send(res, statusOfFault(e), `${e.type}: ${e.message}\n`);
      if (res.headersSent) return void res.destroy();
      send(res, 500, `Internal Server Error: ${(e as Error)?.message ?? e}\n`);
    });
  };
}

async function handle(sim: SimContext, req: Request, res: Response): Promise<void> {
  const user = folderUser(sim, req, true);
  if (user === undefined) {
    req.resume();
    return send(res, 401, "Unauthorized\n", "text/plain; charset=utf-8", { "WWW-Authenticate": FOLDER_REALM });
  }
  const method = req.method;
  if (!["GET", "HEAD", "PUT", "DELETE"].includes(method)) {
    req.resume();
    return send(res, 405, "Method Not Allowed\n", "text/plain; charset=utf-8", { Allow: "GET, HEAD, PUT, DELETE" });
  }
  // not through URL: it would resolve the `..` segments this must refuse
  const q = req.originalUrl.indexOf("?");
  const rel = relativePath(q < 0 ? req.originalUrl : req.originalUrl.slice(0, q));
  const params = new URLSearchParams(q < 0 ? "" : req.originalUrl.slice(q + 1));
  const dcPath = params.get("dcPath");
  const dsName = params.get("dsName");

  if (dsName === null) {
    if (rel !== "" || (method !== "GET" && method !== "HEAD")) throw new HttpFailure(404, "Not Found: dsName is required\n");
    if (dcPath === null) {
      const rows = datacenters(sim).map((dc) => ({ name: datacenterPath(dc), href: folderUrl("", datacenterPath(dc)) }));
      return send(res, 200, indexPage("Datacenters", undefined, rows), "text/html; charset=utf-8");
    }
    const dc = lookupDatacenter(sim, dcPath);
    if (!dc) throw new HttpFailure(404, `Not Found: no datacenter ${dcPath}\n`);
    const rows = datastoresOf(sim, dc).map((ds) => ({ name: ds.name, href: folderUrl("", datacenterPath(dc), ds.name) }));
    return send(res, 200, indexPage(`Datastores in ${datacenterPath(dc)}`, folderUrl(""), rows), "text/html; charset=utf-8");
  }

  let dc: Datacenter | undefined;
  if (dcPath !== null) dc = lookupDatacenter(sim, dcPath);
  else if (!sim.isVCenter) dc = datacenters(sim)[0];
  if (!dc) throw new HttpFailure(404, dcPath === null ? "Not Found: dcPath is required\n" : `Not Found: no datacenter ${dcPath}\n`);
  const ds = datastoresOf(sim, dc).find((d) => d.name === dsName);
  if (!ds) throw new HttpFailure(404, `Not Found: no datastore ${dsName} in ${datacenterPath(dc)}\n`);
  // a user whose permissions do not reach the datastore is refused (403: a choice, hostd's status is not documented)
  // an extension's session is privileged (dispatch/session.ts)
  if (sim.sessions.fromCookie(req.headers.cookie)?.extension === undefined && !sim.authorization.holds(user, ds.ref, FILE_PRIVILEGE[method])) {
    req.resume();
    throw new HttpFailure(403, `Forbidden: ${user} lacks ${FILE_PRIVILEGE[method]} on [${ds.name}]\n`);
  }

  switch (method) {
    case "GET":
    case "HEAD":
      return get(req, res, dc, ds, rel);
    case "PUT":
      return put(req, res, ds, rel);
    default:
      return del(res, ds, rel);
  }
}

async function get(req: Request, res: Response, dc: Datacenter, ds: Datastore, rel: string): Promise<void> {
  const vol = ds.volume;
  const st = vol.stat(rel);
  if (!st) throw new HttpFailure(404, "Not Found\n");
  const dcp = datacenterPath(dc);
  if (st.isDirectory) {
    const rows = vol.readdir(rel).map((name) => {
      const s = vol.stat(joinPath(rel, name));
      return { name: s?.isDirectory ? `${name}/` : name, href: folderUrl(joinPath(rel, name), dcp, ds.name), mtime: s?.mtime, size: s?.isDirectory ? undefined : s?.size };
    });
    const parent = rel === "" ? folderUrl("", dcp) : folderUrl(dirname(rel), dcp, ds.name);
    return send(res, 200, indexPage(`Index of ${rel ? `[${ds.name}] ${rel}` : `[${ds.name}]`}`, parent, rows), "text/html; charset=utf-8");
  }
  const range = parseRange(req.headers.range, st.size);
  const headers: Record<string, string> = {
    "Content-Type": "application/octet-stream",
    "Accept-Ranges": "bytes",
    "Last-Modified": st.mtime.toUTCString(),
  };
  if (range === "unsatisfiable") return send(res, 416, "Requested Range Not Satisfiable\n", "text/plain; charset=utf-8", { "Content-Range": `bytes */${st.size}` });
  const { start, end } = range ?? { start: 0, end: st.size };
  if (range) headers["Content-Range"] = `bytes ${start}-${end - 1}/${st.size}`;
  headers["Content-Length"] = String(end - start);
  res.status(range ? 206 : 200).set(headers);
  if (req.method === "HEAD") return void res.end();
  await stream(res, (from, to) => vol.readRange(rel, from, to), start, end);
}

/** Read-as-you-go, so a 40 GiB thin extent never sits in memory whole (content library downloads too). */
export async function stream(res: Response, read: (from: number, to: number) => Buffer, start: number, end: number): Promise<void> {
  for (let off = start; off < end; off += STREAM_CHUNK) {
    if (res.destroyed) return;
    const buf = read(off, Math.min(end, off + STREAM_CHUNK));
    if (!res.write(buf)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      });
    }
  }
  res.end();
}

async function put(req: Request, res: Response, ds: Datastore, rel: string): Promise<void> {
  const vol = ds.volume;
  // The answer waits for the upload to be read (and dropped): node:http closes
  // a connection whose request it did not read to the end, and a client still
  // sending then sees the connection drop instead of the status (Python's
  // urllib and requests raise SSLEOFError, never reading the 404).
  const fail = (status: number, message: string) => {
    if (req.complete) return send(res, status, message);
    req.once("end", () => send(res, status, message));
    req.resume();
  };
  if (rel === "") return fail(409, `Conflict: [${ds.name}] is the datastore's root directory\n`);
  const st = vol.stat(rel);
  if (st?.isDirectory) return fail(409, `Conflict: [${ds.name}] ${rel} is a directory\n`);
  const parent = vol.stat(dirname(rel));
  if (!parent) return fail(404, `Not Found: the directory [${ds.name}] ${dirname(rel)} does not exist\n`);
  if (!parent.isDirectory) return fail(409, `Conflict: [${ds.name}] ${dirname(rel)} is not a directory\n`);
  // what the datastore could hold, counting the file this one replaces
  const limit = vol.freeBytes() + (st?.allocated ?? 0);
  const noSpace = `NoDiskSpace: Insufficient disk space on datastore '${ds.name}'.\n`;
  const declared = req.headers["content-length"] !== undefined ? Number(req.headers["content-length"]) : undefined;
  if (declared !== undefined && declared > limit) return fail(507, noSpace);

  const body = await new Promise<Buffer | undefined>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(over ? undefined : Buffer.concat(chunks, size)));
    req.on("error", reject);
    req.on("close", () => {
      if (!req.complete) reject(new HttpFailure(400, "Bad Request: upload aborted\n"));
    });
  });
  if (!body) return fail(507, noSpace);
  vol.writeFile(rel, body);
  send(res, st ? 200 : 201, "");
}

function del(res: Response, ds: Datastore, rel: string): void {
  const vol = ds.volume;
  if (rel === "") return send(res, 403, `Forbidden: the root of [${ds.name}] cannot be deleted\n`);
  const st = vol.stat(rel);
  if (!st) return send(res, 404, "Not Found\n");
  if (st.isDirectory && vol.readdir(rel).length) return send(res, 409, `Conflict: [${ds.name}] ${rel} is not empty\n`);
  vol.delete(rel);
  res.status(204).end();
}
