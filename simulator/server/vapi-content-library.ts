// vCenter's content library on the vAPI /rest endpoint, local libraries
// only (com.vmware.content.local-library, .library, .library.item and its
// file, update-session, updatesession.file, download-session and
// downloadsession.file services), and the transfer endpoint the sessions'
// files name: /rest/com/vmware/cis/data/<session id>/<file name>, where a
// PUT uploads a file of an update session and a GET downloads a prepared
// file of a download session. The rules are in
// content-library/content-library-service.ts.
import type { Request, Response } from "express";
import type { Simulator } from "../simulator.ts";
import type { FileAddSpec, ItemFind, ItemUpdateSpec, LibraryCreateSpec, LibraryFind, LibraryUpdateSpec, StorageBacking } from "../content-library/content-library-service.ts";
import { TransferRefused } from "../content-library/content-library-service.ts";
import { invalid, optionalString, string, structure } from "./vapi-common.ts";
import { parseRange, stream } from "./folder.ts";

export const DATA_PATH = "/rest/com/vmware/cis/data/";

/** What an operation sees of its request besides the body and the path's id. */
export interface OperationContext {
  query: URLSearchParams;
  /** https://host:port as the client reached the simulator, for the transfer URIs */
  origin: string;
}

export type Operation = (input: Record<string, unknown>, id: string, ctx: OperationContext) => unknown;

export interface OperationDef {
  verb: string;
  /** the path below /rest/com/vmware, without the id segment */
  resource: string;
  withId: boolean;
  action: string | undefined;
  run: Operation;
}

export const op = (verb: string, resource: string, withId: boolean, action: string | undefined, run: Operation): OperationDef => ({ verb, resource, withId, action, run });

const isUnset = (v: unknown) => v === undefined || v === null;

function optionalStructure(input: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  return isUnset(input[name]) ? undefined : structure(input, name);
}

function optionalInteger(input: Record<string, unknown>, name: string): number | undefined {
  const v = input[name];
  if (isUnset(v)) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw invalid(`Field ${name} must be a non-negative integer.`, [name]);
  return v;
}

function optionalBoolean(input: Record<string, unknown>, name: string): boolean | undefined {
  const v = input[name];
  if (isUnset(v)) return undefined;
  if (typeof v !== "boolean") throw invalid(`Field ${name} must be a boolean.`, [name]);
  return v;
}

/** An optional string where govmomi's structs send "" for unset (their fields are not pointers). */
function optionalText(input: Record<string, unknown>, name: string): string | undefined {
  const v = optionalString(input, name);
  return v === "" ? undefined : v;
}

function requiredQuery(ctx: OperationContext, name: string): string {
  const v = ctx.query.get(name);
  if (!v) throw invalid(`The query parameter ${name} is required.`, [name]);
  return v;
}

/** The client token of an idempotent create: in the body, as the vAPI input structure has it, or the query. */
function clientToken(input: Record<string, unknown>, ctx: OperationContext): string | undefined {
  return optionalString(input, "client_token") ?? ctx.query.get("client_token") ?? undefined;
}

function storageBackings(spec: Record<string, unknown>): StorageBacking[] {
  const v = spec.storage_backings;
  if (!Array.isArray(v)) throw invalid("Field storage_backings is missing or not a list.", ["storage_backings"]);
  return v.map((b) => {
    if (typeof b !== "object" || b === null || Array.isArray(b)) throw invalid("A storage backing must be a structure.", ["storage_backings"]);
    const o = b as Record<string, unknown>;
    const type = string(o, "type");
    // Not served: OTHER (a storage_uri on NFS or an SMB share); a datastore backing is what vCenter's UI makes
    if (type !== "DATASTORE") throw invalid(`Storage backing type ${type} is not supported; the simulator backs libraries with datastores.`, ["storage_backings.type", type]);
    const id = string(o, "datastore_id");
    if (!id) throw invalid("Field datastore_id must not be empty.", ["storage_backings.datastore_id"]);
    return { type: "DATASTORE", datastore_id: id };
  });
}

export function contentLibraryOperations(sim: Simulator): OperationDef[] {
  const cl = sim.contentLibrary;
  const data = (ctx: OperationContext) => `${ctx.origin}${DATA_PATH.replace(/\/$/, "")}`;

  function createLibrary(input: Record<string, unknown>, ctx: OperationContext): string {
    const spec = structure(input, "create_spec");
    const type = optionalText(spec, "type");
    if (type !== undefined && type !== "LOCAL") throw invalid(`A local library's type is LOCAL, not ${type}.`, ["type", type]);
    const create: LibraryCreateSpec = { name: string(spec, "name"), description: optionalString(spec, "description"), storage_backings: storageBackings(spec) };
    return cl.createLibrary(create, clientToken(input, ctx));
  }

  const libraryUpdate = (input: Record<string, unknown>): LibraryUpdateSpec => {
    const spec = structure(input, "update_spec");
    return { name: optionalText(spec, "name"), description: optionalString(spec, "description") };
  };

  const libraryFind = (input: Record<string, unknown>): LibraryFind => {
    const spec = structure(input, "spec");
    return { name: optionalText(spec, "name"), type: optionalText(spec, "type") };
  };

  function createItem(input: Record<string, unknown>, ctx: OperationContext): string {
    const spec = structure(input, "create_spec");
    return cl.createItem({
      library_id: string(spec, "library_id"), name: string(spec, "name"),
      description: optionalString(spec, "description"), type: optionalString(spec, "type"),
    }, clientToken(input, ctx));
  }

  const itemUpdate = (input: Record<string, unknown>): ItemUpdateSpec => {
    const spec = structure(input, "update_spec");
    return { name: optionalText(spec, "name"), description: optionalString(spec, "description"), type: optionalText(spec, "type") };
  };

  const itemFind = (input: Record<string, unknown>): ItemFind => {
    const spec = structure(input, "spec");
    return {
      name: optionalText(spec, "name"), library_id: optionalText(spec, "library_id"), type: optionalText(spec, "type"),
      cached: optionalBoolean(spec, "cached"), source_id: optionalText(spec, "source_id"),
    };
  };

  const sessionItem = (input: Record<string, unknown>) => string(structure(input, "create_spec"), "library_item_id");

  function fileSpec(input: Record<string, unknown>): FileAddSpec {
    const spec = structure(input, "file_spec");
    const checksum = optionalStructure(spec, "checksum_info");
    return {
      name: string(spec, "name"), source_type: string(spec, "source_type"), size: optionalInteger(spec, "size"),
      checksum_info: checksum && { algorithm: optionalText(checksum, "algorithm"), checksum: string(checksum, "checksum") },
    };
  }

  const LIB = "content/library";
  const LOCAL = "content/local-library";
  const ITEM = "content/library/item";
  const FILE = "content/library/item/file";
  const UPDATE = "content/library/item/update-session";
  const UPDATE_FILE = "content/library/item/updatesession/file";
  const DOWNLOAD = "content/library/item/download-session";
  const DOWNLOAD_FILE = "content/library/item/downloadsession/file";

  return [
    // libraries: the library service reads, finds and updates any kind; local-library creates and deletes
    op("GET", LIB, false, undefined, () => cl.listLibraries()),
    op("POST", LIB, false, "find", (input) => cl.findLibraries(libraryFind(input))),
    op("GET", LIB, true, undefined, (_i, id) => cl.getLibrary(id)),
    op("PATCH", LIB, true, undefined, (input, id) => cl.updateLibrary(id, libraryUpdate(input))),
    op("GET", LOCAL, false, undefined, () => cl.listLibraries()),
    op("POST", LOCAL, false, undefined, (input, _id, ctx) => createLibrary(input, ctx)),
    op("POST", LOCAL, false, "create", (input, _id, ctx) => createLibrary(input, ctx)),
    op("GET", LOCAL, true, undefined, (_i, id) => cl.getLibrary(id)),
    op("PATCH", LOCAL, true, undefined, (input, id) => cl.updateLibrary(id, libraryUpdate(input))),
    op("DELETE", LOCAL, true, undefined, (_i, id) => cl.deleteLibrary(id)),

    // items
    op("GET", ITEM, false, undefined, (_i, _id, ctx) => cl.listItems(requiredQuery(ctx, "library_id"))),
    op("POST", ITEM, false, undefined, (input, _id, ctx) => createItem(input, ctx)),
    op("POST", ITEM, false, "create", (input, _id, ctx) => createItem(input, ctx)),
    op("POST", ITEM, false, "find", (input) => cl.findItems(itemFind(input))),
    op("GET", ITEM, true, undefined, (_i, id) => cl.getItem(id)),
    op("PATCH", ITEM, true, undefined, (input, id) => cl.updateItem(id, itemUpdate(input))),
    op("DELETE", ITEM, true, undefined, (_i, id) => cl.deleteItem(id)),
    op("GET", FILE, false, undefined, (_i, _id, ctx) => cl.listItemFiles(requiredQuery(ctx, "library_item_id"))),
    op("POST", FILE, true, "get", (input, id) => cl.getItemFile(id, string(input, "name"))),

    // update sessions and their files
    op("GET", UPDATE, false, undefined, () => cl.listUpdateSessions()),
    op("POST", UPDATE, false, undefined, (input, _id, ctx) => cl.createUpdateSession(sessionItem(input), clientToken(input, ctx))),
    op("POST", UPDATE, false, "create", (input, _id, ctx) => cl.createUpdateSession(sessionItem(input), clientToken(input, ctx))),
    op("GET", UPDATE, true, undefined, (_i, id) => cl.getUpdateSession(id)),
    op("DELETE", UPDATE, true, undefined, (_i, id) => cl.deleteUpdateSession(id)),
    op("POST", UPDATE, true, "complete", (_i, id) => cl.completeUpdateSession(id)),
    op("POST", UPDATE, true, "cancel", (_i, id) => cl.cancelUpdateSession(id)),
    op("POST", UPDATE, true, "fail", (input, id) => cl.failUpdateSession(id, optionalString(input, "client_error_message"))),
    op("POST", UPDATE, true, "keep-alive", (input, id) => cl.keepAliveUpdateSession(id, optionalInteger(input, "client_progress"))),
    op("GET", UPDATE_FILE, false, undefined, (_i, _id, ctx) => cl.listUpdateFiles(requiredQuery(ctx, "update_session_id"), data(ctx))),
    op("POST", UPDATE_FILE, true, "add", (input, id, ctx) => cl.addFile(id, fileSpec(input), data(ctx))),
    op("POST", UPDATE_FILE, true, "get", (input, id, ctx) => cl.getUpdateFile(id, string(input, "file_name"), data(ctx))),
    op("POST", UPDATE_FILE, true, "remove", (input, id) => cl.removeFile(id, string(input, "file_name"))),
    op("POST", UPDATE_FILE, true, "validate", (_i, id) => cl.validateFiles(id)),

    // download sessions and their files
    op("GET", DOWNLOAD, false, undefined, () => cl.listDownloadSessions()),
    op("POST", DOWNLOAD, false, undefined, (input, _id, ctx) => cl.createDownloadSession(sessionItem(input), clientToken(input, ctx))),
    op("POST", DOWNLOAD, false, "create", (input, _id, ctx) => cl.createDownloadSession(sessionItem(input), clientToken(input, ctx))),
    op("GET", DOWNLOAD, true, undefined, (_i, id) => cl.getDownloadSession(id)),
    op("DELETE", DOWNLOAD, true, undefined, (_i, id) => cl.deleteDownloadSession(id)),
    op("POST", DOWNLOAD, true, "cancel", (_i, id) => cl.cancelDownloadSession(id)),
    op("POST", DOWNLOAD, true, "fail", (input, id) => cl.failDownloadSession(id, optionalString(input, "client_error_message"))),
    op("POST", DOWNLOAD, true, "keep-alive", (input, id) => cl.keepAliveDownloadSession(id, optionalInteger(input, "progress"))),
    op("GET", DOWNLOAD_FILE, false, undefined, (_i, _id, ctx) => cl.listDownloadFiles(requiredQuery(ctx, "download_session_id"), data(ctx))),
    op("POST", DOWNLOAD_FILE, true, "prepare", (input, id, ctx) => cl.prepareDownloadFile(id, string(input, "file_name"), data(ctx))),
    op("POST", DOWNLOAD_FILE, true, "get", (input, id, ctx) => cl.getDownloadFile(id, string(input, "file_name"), data(ctx))),
  ];
}

function plain(res: Response, status: number, message: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  res.status(status).set({ "Content-Type": "text/plain; charset=utf-8", ...extra }).end(res.req.method === "HEAD" ? undefined : `${message}\n`);
}

/**
 * /rest/com/vmware/cis/data/<session>/<file>. The session's id in the URL
 * is the ticket: no vAPI session is asked for (not confirmed; govmomi sends
 * its session header along, other clients send nothing but the bytes).
 */
export function dataTransfer(sim: Simulator, req: Request, res: Response, pathname: string): void {
  const parts = pathname.slice(DATA_PATH.length).split("/");
  let session: string, name: string;
  try {
    if (parts.length !== 2) throw new Error();
    [session, name] = parts.map((p) => decodeURIComponent(p));
  } catch {
    req.resume();
    return plain(res, 404, "Not Found");
  }
  if (req.method === "PUT") return upload(sim, req, res, session, name);
  req.resume();
  if (req.method === "GET" || req.method === "HEAD") return void download(sim, req, res, session, name).catch(() => res.destroy());
  plain(res, 405, "Method Not Allowed", { Allow: "GET, HEAD, PUT" });
}

function upload(sim: Simulator, req: Request, res: Response, session: string, name: string): void {
  // The answer waits for the request to be read to its end (and dropped), so
  // a client still sending sees the status rather than a closed connection.
  let answered = false;
  const answer = (status: number, message: string) => {
    if (answered) return;
    answered = true;
    if (req.complete || req.destroyed) return status === 200 ? void res.status(200).end() : plain(res, status, message);
    req.once("end", () => (status === 200 ? res.status(200).end() : plain(res, status, message)));
    req.resume();
  };
  const length = req.headers["content-length"];
  let sink;
  try {
    sink = sim.contentLibrary.beginUpload(session, name, length === undefined ? undefined : Number(length));
  } catch (e) {
    return answer(e instanceof TransferRefused ? e.status : 500, (e as Error).message);
  }
  const refuse = (e: unknown) => {
    req.removeAllListeners("data");
    answer(e instanceof TransferRefused ? e.status : 500, (e as Error)?.message ?? String(e));
  };
  req.on("data", (chunk: Buffer) => {
    try {
      sink.write(chunk);
    } catch (e) {
      refuse(e);
    }
  });
  req.on("end", () => {
    if (answered) return;
    try {
      sink.end();
      answer(200, "");
    } catch (e) {
      refuse(e);
    }
  });
  req.on("error", () => sink.abort("The upload broke off."));
  req.on("close", () => {
    if (!req.complete) sink.abort("The upload broke off.");
  });
}

async function download(sim: Simulator, req: Request, res: Response, session: string, name: string): Promise<void> {
  let file;
  try {
    file = sim.contentLibrary.openDownload(session, name);
  } catch (e) {
    return plain(res, e instanceof TransferRefused ? e.status : 500, (e as Error).message);
  }
  const { volume, path, size } = file;
  const range = parseRange(req.headers.range, size);
  if (range === "unsatisfiable") return plain(res, 416, "Requested Range Not Satisfiable", { "Content-Range": `bytes */${size}` });
  const { start, end } = range ?? { start: 0, end: size };
  const headers: Record<string, string> = { "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes", "Content-Length": String(end - start) };
  if (range) headers["Content-Range"] = `bytes ${start}-${end - 1}/${size}`;
  res.status(range ? 206 : 200).set(headers);
  if (req.method === "HEAD") return void res.end();
  await stream(res, (from, to) => volume.readRange(path, from, to), start, end);
}
