// A logged-in vSphere session: ServiceContent, the PropertyCollector helpers
// every client writes sooner or later, tasks, and datastore files.
import { moref, type ManagedObjectReference } from "../soap/index.ts";
import type { Schema } from "../schema/index.ts";
import { SoapClient } from "./soap-client.ts";
import { createContainerView, viewSpec, type ContainerView } from "./container-view.ts";
import { downloadFile, uploadFile, type DatastoreFileOptions } from "./datastore-file.ts";
import { faultOf, throwIfMissing, toRecord } from "./object-content.ts";
import { propertiesSpec, retrieveAll, type RetrieveOptions } from "./property-retrieval.ts";
import { waitForProperties, type WaitForPropertiesOptions } from "./property-wait.ts";
import type {
  ObjectContent, PropertyFilterSpec, PropertyRecord, ServiceContent, TaskInfo, UpdateSet, UserSession,
} from "./types.ts";

export interface ConnectOptions {
  username: string;
  password: string;
  /** pin the server certificate by its SHA-1 thumbprint (AA:BB:...) */
  thumbprint?: string;
  /** accept any server certificate */
  insecure?: boolean;
  /** PEM CA bundle to verify the server certificate against */
  ca?: string;
  userAgent?: string;
  locale?: string;
  schema?: Schema;
}

export const SERVICE_INSTANCE = moref("ServiceInstance", "ServiceInstance");

// Our schema is pyVmomi 6.7's: asking a newer server for its own version
// would invite fields the decoder does not know.
const NEWEST_KNOWN_VERSION = "6.7";

function versionAtMost(v: string, max: string): string {
  const a = v.split(".").map(Number);
  const b = max.split(".").map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (Number.isNaN(d)) return max;
    if (d !== 0) return d < 0 ? v : max;
  }
  return v;
}

export class VimClient {
  private constructor(
    readonly soap: SoapClient,
    readonly content: ServiceContent,
    readonly session: UserSession,
  ) {}

  static async connect(url: string, opts: ConnectOptions): Promise<VimClient> {
    const soap = new SoapClient(url, {
      thumbprint: opts.thumbprint, insecure: opts.insecure, ca: opts.ca, userAgent: opts.userAgent, schema: opts.schema,
    });
    try {
      const content = (await soap.call("RetrieveServiceContent", SERVICE_INSTANCE)) as ServiceContent;
      if (content.about?.apiVersion) soap.version = versionAtMost(content.about.apiVersion, NEWEST_KNOWN_VERSION);
      if (!content.sessionManager) throw new Error("the server's ServiceContent has no sessionManager");
      const session = (await soap.call("Login", content.sessionManager, {
        userName: opts.username, password: opts.password, locale: opts.locale,
      })) as UserSession;
      return new VimClient(soap, content, session);
    } catch (e) {
      soap.close();
      throw e;
    }
  }

  get url(): URL {
    return this.soap.url;
  }

  call(method: string, thisRef: ManagedObjectReference, args: Record<string, unknown> = {}): Promise<unknown> {
    return this.soap.call(method, thisRef, args);
  }

  /** Logout, then drop the connection. */
  async logout(): Promise<void> {
    try {
      if (this.content.sessionManager) await this.soap.call("Logout", this.content.sessionManager);
    } finally {
      this.soap.close();
    }
  }

  /** Drop the connection without ending the session (it times out on the server). */
  close(): void {
    this.soap.close();
  }

  // ---- properties ----

  /** Every ObjectContent the specs select, across all pages, as the server sent it. */
  retrieve(specSet: PropertyFilterSpec[], opts: RetrieveOptions = {}): Promise<ObjectContent[]> {
    return retrieveAll(this.soap, this.content.propertyCollector, specSet, opts);
  }

  /** Properties by object (moref value) and path; a property that cannot be read throws its fault. */
  async retrieveRecords(specSet: PropertyFilterSpec[], opts: RetrieveOptions = {}): Promise<Map<string, PropertyRecord>> {
    const out = new Map<string, PropertyRecord>();
    for (const c of await this.retrieve(specSet, opts)) {
      throwIfMissing(c);
      out.set(c.obj.value, toRecord(c));
    }
    return out;
  }

  retrieveProperties(refs: ManagedObjectReference[], paths: string[], opts: RetrieveOptions = {}): Promise<Map<string, PropertyRecord>> {
    if (!refs.length) return Promise.resolve(new Map());
    return this.retrieveRecords([propertiesSpec(refs, paths)], opts);
  }

  async retrieveOne(ref: ManagedObjectReference, paths: string[]): Promise<PropertyRecord> {
    return (await this.retrieveProperties([ref], paths)).get(ref.value) ?? {};
  }

  async containerView(container: ManagedObjectReference, types: string[], recursive = true): Promise<ContainerView> {
    if (!this.content.viewManager) throw new Error("the server has no ViewManager");
    return createContainerView(this.soap, this.content.viewManager, container, types, recursive);
  }

  /** `paths` of every `type` object below `container`, through a view destroyed afterwards. */
  async retrieveFromContainer(container: ManagedObjectReference, type: string, paths: string[], opts: RetrieveOptions = {}): Promise<Map<string, PropertyRecord>> {
    const v = await this.containerView(container, [type], true);
    try {
      return await this.retrieveRecords([viewSpec(v.view, type, paths)], opts);
    } finally {
      await v.destroyView();
    }
  }

  // ---- updates and tasks ----

  waitForUpdatesEx(
    version: string,
    options: { maxWaitSeconds?: number; maxObjectUpdates?: number } = {},
    collector: ManagedObjectReference = this.content.propertyCollector,
  ): Promise<UpdateSet | undefined> {
    return this.soap.call("WaitForUpdatesEx", collector, { version, options: { _type: "WaitOptions", ...options } }) as Promise<UpdateSet | undefined>;
  }

  waitForProperties(
    ref: ManagedObjectReference, paths: string[], predicate: (values: PropertyRecord) => boolean, opts: WaitForPropertiesOptions = {},
  ): Promise<PropertyRecord> {
    return waitForProperties(this.soap, this.content.propertyCollector, ref, paths, predicate, opts);
  }

  /** The task's result once it succeeds; its fault, thrown as VimFault, if it fails. */
  async waitForTask(task: ManagedObjectReference, opts: WaitForPropertiesOptions = {}): Promise<unknown> {
    const done = await this.waitForProperties(task, ["info"], (r) => {
      const state = (r.info as TaskInfo | undefined)?.state;
      return state === "success" || state === "error";
    }, opts);
    const info = done.info as TaskInfo;
    if (info.state === "error") throw faultOf(info.error);
    return info.result;
  }

  // ---- datastore files ----

  uploadFile(datastore: string, path: string, data: Buffer, opts: DatastoreFileOptions = {}): Promise<void> {
    return uploadFile(this.soap.transport, this.soap.url, datastore, path, data, opts);
  }

  downloadFile(datastore: string, path: string, opts: DatastoreFileOptions = {}): Promise<Buffer> {
    return downloadFile(this.soap.transport, this.soap.url, datastore, path, opts);
  }
}
