// vCenter's content library service (com.vmware.content), local libraries
// only: libraries backed by a datastore, their items, the items' files, and
// the update and download sessions files travel through. The vAPI REST face
// is server/vapi-content-library.ts; this file keeps the rules, whatever the
// transport.
//
// Files live on the backing datastore as vCenter keeps them:
// `contentlib-<library id>/<item id>/<file name>`, real files of the
// datastore volume (seen over /folder, part of the datastore snapshots). An
// upload in flight is written below the item's folder, in
// `.update-<session id>/`, and moved into place when its session completes,
// so a failed or cancelled session leaves the item as it was.
//
// Libraries and items are plain data, saved and loaded whole by the
// simulator's snapshots. Update and download sessions are not: a restore
// drops them (uploads in flight need not survive one).
import { createHash, type Hash } from "node:crypto";
import type { Clock } from "../clock.ts";
import type { IdSource } from "../inventory/ids.ts";
import type { DatastoreVolume } from "../datastore/datastore-volume.ts";
import { VapiError, type LocalizableMessage } from "../tagging/tagging-service.ts";

export interface StorageBacking {
  type: "DATASTORE";
  datastore_id: string;
}

export interface LibraryCreateSpec {
  name: string;
  description?: string;
  storage_backings: StorageBacking[];
}

export interface LibraryUpdateSpec {
  name?: string;
  description?: string;
}

export interface LibraryFind {
  name?: string;
  type?: string;
}

export interface ItemCreateSpec {
  library_id: string;
  name: string;
  description?: string;
  type?: string;
}

export interface ItemUpdateSpec {
  name?: string;
  description?: string;
  type?: string;
}

export interface ItemFind {
  name?: string;
  library_id?: string;
  type?: string;
  cached?: boolean;
  source_id?: string;
}

export interface Checksum {
  algorithm: string;
  checksum: string;
}

export interface FileAddSpec {
  name: string;
  source_type: string;
  size?: number;
  checksum_info?: { algorithm?: string; checksum: string };
}

interface LibraryRecord {
  id: string;
  name: string;
  description: string;
  storage_backings: StorageBacking[];
  creation_time: string;
  last_modified_time: string;
  version: number;
}

interface ItemFileRecord {
  name: string;
  size: number;
  checksum: Checksum;
  version: number;
}

interface ItemRecord {
  id: string;
  library_id: string;
  name: string;
  description: string;
  type: string;
  creation_time: string;
  last_modified_time: string;
  content_version: number;
  metadata_version: number;
  files: ItemFileRecord[];
}

interface ContentLibraryState {
  libraries: LibraryRecord[];
  items: ItemRecord[];
  tokens: [string, string][];
}

type SessionState = "ACTIVE" | "DONE" | "ERROR" | "CANCELED";
type UpdateFileStatus = "WAITING_FOR_TRANSFER" | "TRANSFERRING" | "READY" | "VALIDATING" | "ERROR";

interface UpdateFile {
  name: string;
  size?: number;
  declaredChecksum?: Checksum;
  status: UpdateFileStatus;
  bytes: number;
  checksum?: Checksum;
  error?: LocalizableMessage;
  /** the upload running into this file, if one is */
  sink?: UploadSink;
}

interface UpdateSession {
  id: string;
  itemId: string;
  contentVersion: number;
  state: SessionState;
  clientProgress: number;
  expiration: Date;
  error?: LocalizableMessage;
  files: Map<string, UpdateFile>;
  /** files of the item this session removes when it completes */
  removed: Set<string>;
}

interface DownloadSession {
  id: string;
  itemId: string;
  contentVersion: number;
  state: SessionState;
  clientProgress: number;
  expiration: Date;
  error?: LocalizableMessage;
  /** the files prepared for download, by name */
  prepared: Set<string>;
}

/** An upload or download the /rest/com/vmware/cis/data endpoint refuses: the HTTP status and why. */
export class TransferRefused extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

// Not confirmed: the API reference gives five minutes as the default idle
// expiry of a session. The time is reported (expiration_time) and pushed on
// by keep-alive and use, but sessions are not reaped: the simulator keeps
// them until they are deleted or a snapshot is restored.
const SESSION_IDLE_MS = 5 * 60 * 1000;

/** The vAPI checksum algorithms and node's names for them. */
const ALGORITHMS: Record<string, string> = { SHA1: "sha1", MD5: "md5", SHA256: "sha256", SHA512: "sha512" };

const notFound = (what: string, id: string) => new VapiError("not_found", "com.vmware.vdcs.cls-main.not_found", `The ${what} ${id} does not exist.`, [id]);
const invalid = (message: string, args: string[] = []) => new VapiError("invalid_argument", "vapi.invalid.argument", message, args);
const notAllowed = (message: string, args: string[] = []) => new VapiError("not_allowed_in_current_state", "com.vmware.vdcs.cls-main.not_allowed_in_current_state", message, args);

const libraryDir = (libraryId: string) => `contentlib-${libraryId}`;
const itemDir = (libraryId: string, itemId: string) => `${libraryDir(libraryId)}/${itemId}`;
const stagingDir = (libraryId: string, itemId: string, sessionId: string) => `${itemDir(libraryId, itemId)}/.update-${sessionId}`;

/** A file name as the content library takes it: one path segment. */
function checkFileName(name: string): void {
  if (!name || name === "." || name === ".." || /[/\\\0]/.test(name) || name.startsWith(".update-")) {
    throw invalid(`The file name ${JSON.stringify(name)} is not valid.`, [name]);
  }
}

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * One HTTP PUT of a file's bytes, written to the datastore as they arrive:
 * `write` for each chunk, then `end` (or `abort` when the request broke off).
 */
export class UploadSink {
  private written = 0;
  private readonly sha1: Hash = createHash("sha1");
  private readonly declared?: Hash;
  private done = false;

  constructor(private readonly service: ContentLibraryService, private readonly session: UpdateSession, private readonly file: UpdateFile,
    private readonly volume: DatastoreVolume, readonly path: string) {
    if (file.declaredChecksum && file.declaredChecksum.algorithm !== "SHA1") this.declared = createHash(ALGORITHMS[file.declaredChecksum.algorithm]);
    volume.writeFile(path, Buffer.alloc(0));
  }

  write(chunk: Buffer): void {
    if (this.done) return;
    if (this.file.sink !== this) this.fail(409, `The update session of ${this.file.name} ended during its upload.`);
    if (this.file.size !== undefined && this.written + chunk.length > this.file.size) {
      this.fail(413, `More than the ${this.file.size} bytes declared for ${this.file.name}.`);
    }
    try {
      this.volume.appendFile(this.path, chunk);
    } catch (e) {
      const type = (e as { type?: string }).type;
      this.fail(type === "NoDiskSpace" ? 507 : 500, `${this.file.name} could not be written: ${(e as Error).message}`);
    }
    this.written += chunk.length;
    this.file.bytes = this.written;
    this.sha1.update(chunk);
    this.declared?.update(chunk);
  }

  end(): void {
    if (this.done) return;
    if (this.file.sink !== this) this.fail(409, `The update session of ${this.file.name} ended during its upload.`);
    if (this.file.size !== undefined && this.written !== this.file.size) {
      this.fail(400, `${this.file.name} was declared as ${this.file.size} bytes; ${this.written} arrived.`);
    }
    const sha1 = this.sha1.digest("hex");
    const d = this.file.declaredChecksum;
    if (d) {
      const got = d.algorithm === "SHA1" ? sha1 : this.declared!.digest("hex");
      if (got.toLowerCase() !== d.checksum.toLowerCase()) this.fail(400, `The ${d.algorithm} checksum of ${this.file.name} is ${got}, not ${d.checksum} as declared.`);
    }
    this.done = true;
    this.file.sink = undefined;
    this.file.status = "READY";
    this.file.checksum = { algorithm: "SHA1", checksum: sha1 };
    this.file.error = undefined;
    this.service.touchSession(this.session);
  }

  abort(message: string): void {
    if (this.done) return;
    try {
      this.fail(400, message);
    } catch {
      // the client is gone: nobody reads the refusal
    }
  }

  private fail(status: number, message: string): never {
    this.done = true;
    this.file.sink = undefined;
    this.file.status = "ERROR";
    this.file.error = { id: "com.vmware.vdcs.cls-main.file_transfer_failed", default_message: message, args: [this.file.name] };
    try {
      if (this.volume.exists(this.path)) this.volume.delete(this.path);
    } catch {
      // the staging file is gone with its item already
    }
    throw new TransferRefused(status, message);
  }
}

export class ContentLibraryService {
  private libraries = new Map<string, LibraryRecord>();
  private items = new Map<string, ItemRecord>();
  /** client_token -> the id the creation it came with made */
  private tokens = new Map<string, string>();
  private updates = new Map<string, UpdateSession>();
  private downloads = new Map<string, DownloadSession>();

  /**
   * `volumeOf` names a datastore's file store by moref value, undefined
   * when no datastore has it; `serverGuid` is vCenter's instance UUID.
   */
  constructor(private readonly ids: IdSource, private readonly clock: Clock,
    private readonly volumeOf: (datastoreId: string) => DatastoreVolume | undefined, private readonly serverGuid: string) {}

  save(): ContentLibraryState {
    return {
      libraries: [...this.libraries.values()].map((l) => ({ ...l, storage_backings: l.storage_backings.map((b) => ({ ...b })) })),
      items: [...this.items.values()].map((i) => ({ ...i, files: i.files.map((f) => ({ ...f, checksum: { ...f.checksum } })) })),
      tokens: [...this.tokens],
    };
  }

  load(saved: unknown): void {
    const s = saved as ContentLibraryState | undefined;
    this.libraries = new Map((s?.libraries ?? []).map((l) => [l.id, { ...l, storage_backings: l.storage_backings.map((b) => ({ ...b })) }]));
    this.items = new Map((s?.items ?? []).map((i) => [i.id, { ...i, files: i.files.map((f) => ({ ...f, checksum: { ...f.checksum } })) }]));
    this.tokens = new Map(s?.tokens ?? []);
    // sessions are no part of a snapshot: uploads in flight end here
    for (const u of this.updates.values()) for (const f of u.files.values()) f.sink = undefined;
    this.updates = new Map();
    this.downloads = new Map();
  }

  private now(): string {
    return this.clock.now().toISOString();
  }

  /** An idempotent creation: the id a client token made before, if it still names something. */
  private byToken(token: string | undefined, exists: (id: string) => boolean, create: () => string): string {
    if (token !== undefined) {
      const prior = this.tokens.get(token);
      if (prior !== undefined && exists(prior)) return prior;
    }
    const id = create();
    if (token !== undefined) this.tokens.set(token, id);
    return id;
  }

  // ---- libraries ----

  listLibraries(): string[] {
    return [...this.libraries.keys()];
  }

  getLibrary(id: string): Record<string, unknown> {
    const l = this.library(id);
    return {
      id: l.id, name: l.name, description: l.description, type: "LOCAL",
      storage_backings: l.storage_backings.map((b) => ({ ...b })),
      creation_time: l.creation_time, last_modified_time: l.last_modified_time,
      version: String(l.version), server_guid: this.serverGuid,
      // Not confirmed in detail: a local library that is not published reads so
      publish_info: { authentication_method: "NONE", persist_json_enabled: false, published: false },
    };
  }

  /** Name compares without case, as govmomi documents; a type other than LOCAL finds nothing here. */
  findLibraries(spec: LibraryFind): string[] {
    return [...this.libraries.values()]
      .filter((l) => (spec.name === undefined || sameName(l.name, spec.name)) && (spec.type === undefined || spec.type === "LOCAL"))
      .map((l) => l.id);
  }

  createLibrary(spec: LibraryCreateSpec, clientToken?: string): string {
    return this.byToken(clientToken, (id) => this.libraries.has(id), () => {
      this.checkLibraryName(spec.name);
      if (!spec.storage_backings.length) throw invalid("A local library needs a storage backing.", ["storage_backings"]);
      // Not confirmed: vCenter takes one datastore backing for a local library; more are refused here
      if (spec.storage_backings.length > 1) throw invalid("A local library has exactly one storage backing.", ["storage_backings"]);
      const b = spec.storage_backings[0];
      const volume = this.volumeOf(b.datastore_id);
      if (!volume) throw invalid(`The datastore ${b.datastore_id} of the storage backing does not exist.`, [b.datastore_id]);
      const id = this.ids.nextUuid("content-library");
      volume.mkdir(libraryDir(id), { parents: true });
      const now = this.now();
      this.libraries.set(id, {
        id, name: spec.name, description: spec.description ?? "", storage_backings: [{ type: "DATASTORE", datastore_id: b.datastore_id }],
        creation_time: now, last_modified_time: now, version: 1,
      });
      return id;
    });
  }

  updateLibrary(id: string, spec: LibraryUpdateSpec): void {
    const l = this.library(id);
    if (spec.name !== undefined && spec.name !== l.name) this.checkLibraryName(spec.name, l.id);
    if (spec.name !== undefined) l.name = spec.name;
    if (spec.description !== undefined) l.description = spec.description;
    l.version++;
    l.last_modified_time = this.now();
  }

  /** A library goes with its items, their sessions and its folder on the datastore. */
  deleteLibrary(id: string): void {
    const l = this.library(id);
    for (const item of [...this.items.values()]) if (item.library_id === l.id) this.dropItem(item);
    this.libraries.delete(l.id);
    this.deletePath(l, libraryDir(l.id));
  }

  // ---- items ----

  listItems(libraryId: string): string[] {
    const l = this.library(libraryId);
    return [...this.items.values()].filter((i) => i.library_id === l.id).map((i) => i.id);
  }

  getItem(id: string): Record<string, unknown> {
    const i = this.item(id);
    return {
      id: i.id, library_id: i.library_id, name: i.name, description: i.description, type: i.type,
      size: i.files.reduce((n, f) => n + f.size, 0), cached: i.files.length > 0,
      content_version: String(i.content_version), metadata_version: String(i.metadata_version), version: String(i.metadata_version),
      creation_time: i.creation_time, last_modified_time: i.last_modified_time,
    };
  }

  /** Name compares without case, like the library's (not confirmed for items). */
  findItems(spec: ItemFind): string[] {
    return [...this.items.values()].filter((i) =>
      (spec.name === undefined || sameName(i.name, spec.name)) &&
      (spec.library_id === undefined || i.library_id === spec.library_id) &&
      (spec.type === undefined || i.type === spec.type) &&
      (spec.cached === undefined || (i.files.length > 0) === spec.cached) &&
      // a local item has no source: a source_id finds nothing
      spec.source_id === undefined,
    ).map((i) => i.id);
  }

  createItem(spec: ItemCreateSpec, clientToken?: string): string {
    return this.byToken(clientToken, (id) => this.items.has(id), () => {
      const l = this.library(spec.library_id);
      this.checkItemName(l, spec.name);
      const id = this.ids.nextUuid("content-library-item");
      const volume = this.volumeOfLibrary(l);
      volume.mkdir(itemDir(l.id, id), { parents: true });
      const now = this.now();
      this.items.set(id, {
        id, library_id: l.id, name: spec.name, description: spec.description ?? "", type: spec.type ?? "",
        creation_time: now, last_modified_time: now, content_version: 1, metadata_version: 1, files: [],
      });
      l.last_modified_time = now;
      return id;
    });
  }

  updateItem(id: string, spec: ItemUpdateSpec): void {
    const i = this.item(id);
    if (spec.name !== undefined && spec.name !== i.name) this.checkItemName(this.library(i.library_id), spec.name, i.id);
    if (spec.name !== undefined) i.name = spec.name;
    if (spec.description !== undefined) i.description = spec.description;
    if (spec.type !== undefined) i.type = spec.type;
    i.metadata_version++;
    i.last_modified_time = this.now();
  }

  deleteItem(id: string): void {
    this.dropItem(this.item(id));
  }

  listItemFiles(itemId: string): Record<string, unknown>[] {
    return this.item(itemId).files.map(fileInfo);
  }

  getItemFile(itemId: string, name: string): Record<string, unknown> {
    const f = this.item(itemId).files.find((x) => x.name === name);
    if (!f) throw notFound("file", name);
    return fileInfo(f);
  }

  // ---- update sessions ----

  listUpdateSessions(): string[] {
    return [...this.updates.keys()];
  }

  getUpdateSession(id: string): Record<string, unknown> {
    return sessionInfo(this.update(id));
  }

  /** One ACTIVE update session per item, as the API reference says; a second is resource_busy. */
  createUpdateSession(itemId: string, clientToken?: string): string {
    return this.byToken(clientToken, (id) => this.updates.has(id), () => {
      const item = this.item(itemId);
      const busy = [...this.updates.values()].find((u) => u.itemId === item.id && u.state === "ACTIVE");
      if (busy) throw new VapiError("resource_busy", "com.vmware.vdcs.cls-main.update_session_exists", `Library item ${item.id} already has an active update session, ${busy.id}.`, [item.id, busy.id]);
      const id = this.ids.nextUuid("content-library-update-session");
      this.updates.set(id, {
        id, itemId: item.id, contentVersion: item.content_version, state: "ACTIVE", clientProgress: 0,
        expiration: this.expiry(), files: new Map(), removed: new Set(),
      });
      return id;
    });
  }

  keepAliveUpdateSession(id: string, progress?: number): void {
    const u = this.activeUpdate(id);
    if (progress !== undefined) u.clientProgress = progress;
    this.touchSession(u);
  }

  /** Every file must have arrived whole; then the item's files are the session's. */
  completeUpdateSession(id: string): void {
    const u = this.activeUpdate(id);
    const item = this.item(u.itemId);
    const result = this.validate(u);
    if (result.has_errors) {
      const names = [...result.missing_files, ...result.invalid_files.map((f) => f.name)];
      throw notAllowed(`The update session ${u.id} cannot complete: ${names.join(", ")} did not arrive whole.`, [u.id, ...names]);
    }
    const l = this.library(item.library_id);
    const volume = this.volumeOfLibrary(l);
    const staging = stagingDir(l.id, item.id, u.id);
    const files = item.files.filter((f) => !u.removed.has(f.name) && !u.files.has(f.name));
    for (const name of u.removed) this.deletePath(l, `${itemDir(l.id, item.id)}/${name}`);
    for (const f of u.files.values()) {
      volume.move(`${staging}/${f.name}`, `${itemDir(l.id, item.id)}/${f.name}`, { overwrite: true });
      const prior = item.files.find((x) => x.name === f.name);
      files.push({ name: f.name, size: f.bytes, checksum: { ...f.checksum! }, version: (prior?.version ?? 0) + 1 });
    }
    this.deletePath(l, staging);
    item.files = files;
    if (u.files.size || u.removed.size) item.content_version++;
    item.last_modified_time = this.now();
    u.state = "DONE";
  }

  cancelUpdateSession(id: string): void {
    const u = this.activeUpdate(id);
    this.endUpdate(u, "CANCELED");
  }

  failUpdateSession(id: string, message?: string): void {
    const u = this.activeUpdate(id);
    this.endUpdate(u, "ERROR");
    u.error = { id: "com.vmware.vdcs.cls-main.client_error", default_message: message ?? "The client failed the session.", args: [] };
  }

  /** Any state: an active session's uploads are dropped with it. */
  deleteUpdateSession(id: string): void {
    const u = this.update(id);
    if (u.state === "ACTIVE") this.endUpdate(u, "CANCELED");
    this.updates.delete(u.id);
  }

  /** A file to upload (PUSH) in an update session; adding a name again starts that file over. */
  addFile(sessionId: string, spec: FileAddSpec, endpointBase: string): Record<string, unknown> {
    const u = this.activeUpdate(sessionId);
    checkFileName(spec.name);
    // Not served: PULL (the server fetching a URL) and NONE
    if (spec.source_type !== "PUSH") throw invalid(`Source type ${spec.source_type} is not supported; the simulator takes PUSH uploads only.`, ["source_type", spec.source_type]);
    if (spec.size !== undefined && (!Number.isSafeInteger(spec.size) || spec.size < 0)) throw invalid(`The size ${spec.size} is not valid.`, ["size"]);
    let checksum: Checksum | undefined;
    if (spec.checksum_info) {
      const algorithm = spec.checksum_info.algorithm ?? "SHA1";
      if (!ALGORITHMS[algorithm]) throw invalid(`Checksum algorithm ${algorithm} is not one of ${Object.keys(ALGORITHMS).join(", ")}.`, ["checksum_info.algorithm", algorithm]);
      if (!/^[0-9a-fA-F]+$/.test(spec.checksum_info.checksum)) throw invalid("The checksum must be hexadecimal.", ["checksum_info.checksum"]);
      checksum = { algorithm, checksum: spec.checksum_info.checksum };
    }
    const old = u.files.get(spec.name);
    if (old?.sink) throw new VapiError("resource_busy", "com.vmware.vdcs.cls-main.file_transferring", `${spec.name} is being uploaded.`, [spec.name]);
    this.dropStaged(u, spec.name);
    const f: UpdateFile = { name: spec.name, size: spec.size, declaredChecksum: checksum, status: "WAITING_FOR_TRANSFER", bytes: 0 };
    u.files.set(spec.name, f);
    u.removed.delete(spec.name);
    this.touchSession(u);
    return this.updateFileInfo(u, f, endpointBase);
  }

  getUpdateFile(sessionId: string, name: string, endpointBase: string): Record<string, unknown> {
    const u = this.update(sessionId);
    const f = u.files.get(name);
    if (!f) throw notFound("file", name);
    return this.updateFileInfo(u, f, endpointBase);
  }

  listUpdateFiles(sessionId: string, endpointBase: string): Record<string, unknown>[] {
    const u = this.update(sessionId);
    return [...u.files.values()].map((f) => this.updateFileInfo(u, f, endpointBase));
  }

  /** A file added in the session is dropped from it; one of the item is removed when the session completes. */
  removeFile(sessionId: string, name: string): void {
    const u = this.activeUpdate(sessionId);
    const item = this.item(u.itemId);
    if (u.files.has(name)) {
      if (u.files.get(name)!.sink) throw new VapiError("resource_busy", "com.vmware.vdcs.cls-main.file_transferring", `${name} is being uploaded.`, [name]);
      this.dropStaged(u, name);
      u.files.delete(name);
      return;
    }
    if (!item.files.some((f) => f.name === name)) throw notFound("file", name);
    u.removed.add(name);
  }

  validateFiles(sessionId: string): { has_errors: boolean; missing_files: string[]; invalid_files: { name: string; error_message: LocalizableMessage }[] } {
    return this.validate(this.activeUpdate(sessionId));
  }

  /** Files not uploaded yet are missing; those whose upload failed (or is still running) are invalid. */
  private validate(u: UpdateSession) {
    const missing_files: string[] = [];
    const invalid_files: { name: string; error_message: LocalizableMessage }[] = [];
    for (const f of u.files.values()) {
      if (f.status === "WAITING_FOR_TRANSFER") missing_files.push(f.name);
      else if (f.status === "ERROR") invalid_files.push({ name: f.name, error_message: { ...f.error! } });
      else if (f.status !== "READY") invalid_files.push({ name: f.name, error_message: { id: "com.vmware.vdcs.cls-main.file_transferring", default_message: `${f.name} is still being uploaded.`, args: [f.name] } });
    }
    return { has_errors: missing_files.length + invalid_files.length > 0, missing_files, invalid_files };
  }

  /** The upload of one file of an update session: its URL's session and name. */
  beginUpload(sessionId: string, name: string, contentLength?: number): UploadSink {
    const u = this.updates.get(sessionId);
    const f = u?.files.get(name);
    if (!u || !f) throw new TransferRefused(404, `No upload of ${name} in update session ${sessionId}.`);
    // Not confirmed: vCenter's status for a session that has ended; 409 says the URL was one, but is no longer open
    if (u.state !== "ACTIVE") throw new TransferRefused(409, `Update session ${u.id} is ${u.state}, not ACTIVE.`);
    if (f.sink) throw new TransferRefused(409, `${name} is being uploaded already.`);
    // a body that cannot be the declared size is refused before a byte is written, and changes nothing
    if (contentLength !== undefined && Number.isFinite(contentLength) && f.size !== undefined && contentLength !== f.size) {
      throw new TransferRefused(contentLength > f.size ? 413 : 400, `${name} was declared as ${f.size} bytes, not ${contentLength}.`);
    }
    const item = this.items.get(u.itemId);
    const l = item && this.libraries.get(item.library_id);
    const volume = l && this.volumeOf(l.storage_backings[0].datastore_id);
    if (!item || !l || !volume) throw new TransferRefused(404, `The library item of update session ${u.id} is gone.`);
    const dir = stagingDir(l.id, item.id, u.id);
    try {
      volume.mkdir(dir, { parents: true });
      f.status = "TRANSFERRING";
      f.bytes = 0;
      f.error = undefined;
      f.sink = new UploadSink(this, u, f, volume, `${dir}/${name}`);
    } catch (e) {
      f.status = "ERROR";
      f.sink = undefined;
      throw new TransferRefused(500, `${name} could not be created: ${(e as Error).message}`);
    }
    this.touchSession(u);
    return f.sink;
  }

  // ---- download sessions ----

  listDownloadSessions(): string[] {
    return [...this.downloads.keys()];
  }

  getDownloadSession(id: string): Record<string, unknown> {
    return sessionInfo(this.download(id));
  }

  createDownloadSession(itemId: string, clientToken?: string): string {
    return this.byToken(clientToken, (id) => this.downloads.has(id), () => {
      const item = this.item(itemId);
      const id = this.ids.nextUuid("content-library-download-session");
      this.downloads.set(id, { id, itemId: item.id, contentVersion: item.content_version, state: "ACTIVE", clientProgress: 0, expiration: this.expiry(), prepared: new Set() });
      return id;
    });
  }

  keepAliveDownloadSession(id: string, progress?: number): void {
    const d = this.activeDownload(id);
    if (progress !== undefined) d.clientProgress = progress;
    d.expiration = this.expiry();
  }

  cancelDownloadSession(id: string): void {
    this.activeDownload(id).state = "CANCELED";
  }

  failDownloadSession(id: string, message?: string): void {
    const d = this.activeDownload(id);
    d.state = "ERROR";
    d.error = { id: "com.vmware.vdcs.cls-main.client_error", default_message: message ?? "The client failed the session.", args: [] };
  }

  deleteDownloadSession(id: string): void {
    this.downloads.delete(this.download(id).id);
  }

  listDownloadFiles(sessionId: string, endpointBase: string): Record<string, unknown>[] {
    const d = this.download(sessionId);
    return (this.items.get(d.itemId)?.files ?? []).map((f) => this.downloadFileInfo(d, f, endpointBase));
  }

  getDownloadFile(sessionId: string, name: string, endpointBase: string): Record<string, unknown> {
    const d = this.download(sessionId);
    return this.downloadFileInfo(d, this.downloadable(d, name), endpointBase);
  }

  /** Prepared at once: the file is on the datastore already. */
  prepareDownloadFile(sessionId: string, name: string, endpointBase: string): Record<string, unknown> {
    const d = this.activeDownload(sessionId);
    const f = this.downloadable(d, name);
    d.prepared.add(f.name);
    d.expiration = this.expiry();
    return this.downloadFileInfo(d, f, endpointBase);
  }

  /** Where a prepared file's bytes are: its volume, path and size. */
  openDownload(sessionId: string, name: string): { volume: DatastoreVolume; path: string; size: number } {
    const d = this.downloads.get(sessionId);
    const item = d && this.items.get(d.itemId);
    const f = item?.files.find((x) => x.name === name);
    if (!d || !item || !f || !d.prepared.has(name)) throw new TransferRefused(404, `No prepared download of ${name} in download session ${sessionId}.`);
    if (d.state !== "ACTIVE") throw new TransferRefused(409, `Download session ${d.id} is ${d.state}, not ACTIVE.`);
    const l = this.libraries.get(item.library_id);
    const volume = l && this.volumeOf(l.storage_backings[0].datastore_id);
    const path = `${itemDir(item.library_id, item.id)}/${f.name}`;
    const st = volume?.stat(path);
    if (!volume || !st || st.isDirectory) throw new TransferRefused(404, `${name} is no longer on the library's datastore.`);
    d.expiration = this.expiry();
    return { volume, path, size: st.size };
  }

  // ---- internals ----

  touchSession(u: UpdateSession): void {
    u.expiration = this.expiry();
  }

  private expiry(): Date {
    return new Date(this.clock.now().getTime() + SESSION_IDLE_MS);
  }

  private library(id: string): LibraryRecord {
    return found(this.libraries, id, "library");
  }

  private item(id: string): ItemRecord {
    return found(this.items, id, "library item");
  }

  private update(id: string): UpdateSession {
    return found(this.updates, id, "update session");
  }

  private activeUpdate(id: string): UpdateSession {
    return active(this.update(id), "update");
  }

  private download(id: string): DownloadSession {
    return found(this.downloads, id, "download session");
  }

  private activeDownload(id: string): DownloadSession {
    return active(this.download(id), "download");
  }

  private downloadable(d: DownloadSession, name: string): ItemFileRecord {
    const f = this.items.get(d.itemId)?.files.find((x) => x.name === name);
    if (!f) throw notFound("file", name);
    return f;
  }

  private volumeOfLibrary(l: LibraryRecord): DatastoreVolume {
    const v = this.volumeOf(l.storage_backings[0].datastore_id);
    // the datastore left the inventory under the library
    if (!v) throw new VapiError("not_found", "com.vmware.vdcs.cls-main.storage_not_found", `The datastore ${l.storage_backings[0].datastore_id} of library ${l.name} does not exist.`, [l.storage_backings[0].datastore_id]);
    return v;
  }

  /** Delete a file or folder of a library, if its datastore and the path are still there. */
  private deletePath(l: LibraryRecord, path: string): void {
    const v = this.volumeOf(l.storage_backings[0].datastore_id);
    try {
      if (v?.exists(path)) v.delete(path);
    } catch {
      // gone already
    }
  }

  private dropStaged(u: UpdateSession, name: string): void {
    const item = this.items.get(u.itemId);
    const l = item && this.libraries.get(item.library_id);
    if (l && item) this.deletePath(l, `${stagingDir(l.id, item.id, u.id)}/${name}`);
  }

  private endUpdate(u: UpdateSession, state: SessionState): void {
    for (const f of u.files.values()) f.sink = undefined;
    const item = this.items.get(u.itemId);
    const l = item && this.libraries.get(item.library_id);
    if (l && item) this.deletePath(l, stagingDir(l.id, item.id, u.id));
    u.state = state;
  }

  private dropItem(item: ItemRecord): void {
    for (const u of [...this.updates.values()]) if (u.itemId === item.id) {
      if (u.state === "ACTIVE") this.endUpdate(u, "CANCELED");
      this.updates.delete(u.id);
    }
    for (const d of [...this.downloads.values()]) if (d.itemId === item.id) this.downloads.delete(d.id);
    this.items.delete(item.id);
    const l = this.libraries.get(item.library_id);
    if (l) {
      this.deletePath(l, itemDir(l.id, item.id));
      l.last_modified_time = this.now();
    }
  }

  private checkLibraryName(name: string, self?: string): void {
    if (!name.trim()) throw invalid("The library name must not be empty.", ["name"]);
    // Not confirmed: vCenter's names of libraries are taken to be unique without regard to case, as find compares them
    if ([...this.libraries.values()].some((l) => l.id !== self && sameName(l.name, name))) {
      throw new VapiError("already_exists", "com.vmware.vdcs.cls-main.duplicate_library_name", `A library with name ${name} already exists.`, [name]);
    }
  }

  private checkItemName(l: LibraryRecord, name: string, self?: string): void {
    if (!name.trim()) throw invalid("The library item name must not be empty.", ["name"]);
    if ([...this.items.values()].some((i) => i.id !== self && i.library_id === l.id && sameName(i.name, name))) {
      throw new VapiError("already_exists", "com.vmware.vdcs.cls-main.duplicate_item_name", `A library item with name ${name} already exists in library ${l.name}.`, [name, l.name]);
    }
  }

  private updateFileInfo(u: UpdateSession, f: UpdateFile, endpointBase: string): Record<string, unknown> {
    const out: Record<string, unknown> = {
      name: f.name, source_type: "PUSH", status: f.status, bytes_transferred: f.bytes,
      upload_endpoint: { uri: `${endpointBase}/${u.id}/${encodeURIComponent(f.name)}` },
    };
    if (f.size !== undefined) out.size = f.size;
    const checksum = f.checksum ?? f.declaredChecksum;
    if (checksum) out.checksum_info = { ...checksum };
    if (f.error) out.error_message = { ...f.error };
    return out;
  }

  private downloadFileInfo(d: DownloadSession, f: ItemFileRecord, endpointBase: string): Record<string, unknown> {
    const prepared = d.prepared.has(f.name);
    const out: Record<string, unknown> = {
      name: f.name, size: f.size, checksum_info: { ...f.checksum }, status: prepared ? "PREPARED" : "UNPREPARED", bytes_transferred: 0,
    };
    if (prepared) out.download_endpoint = { uri: `${endpointBase}/${d.id}/${encodeURIComponent(f.name)}` };
    return out;
  }
}

function fileInfo(f: ItemFileRecord): Record<string, unknown> {
  return { name: f.name, size: f.size, checksum_info: { ...f.checksum }, cached: true, version: String(f.version) };
}

function sessionInfo(s: UpdateSession | DownloadSession): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: s.id, library_item_id: s.itemId, library_item_content_version: String(s.contentVersion),
    state: s.state, client_progress: s.clientProgress, expiration_time: s.expiration.toISOString(),
  };
  if (s.error) out.error_message = { ...s.error };
  return out;
}

function found<T>(records: Map<string, T>, id: string, what: string): T {
  const r = records.get(id);
  if (!r) throw notFound(what, id);
  return r;
}

function active<T extends { id: string; state: string }>(session: T, kind: string): T {
  if (session.state !== "ACTIVE") throw notAllowed(`The ${kind} session ${session.id} is ${session.state}, not ACTIVE.`, [session.id, session.state]);
  return session;
}
