// Datastore file transfer over HTTP, as ESXi and vCenter serve it:
// GET/PUT https://host/folder/<path>?dcPath=<datacenter>&dsName=<datastore>,
// authenticated by the same vmware_soap_session cookie as /sdk.
import { HttpError, type HttpsTransport } from "./https-transport.ts";

export interface DatastoreFileOptions {
  /** the datacenter's inventory path; hostd's only datacenter is "ha-datacenter" */
  dcPath?: string;
}

/** `[datastore] path/in/it` split into its parts. */
export function parseDatastorePath(p: string): { datastore: string; path: string } {
  const m = /^\[([^\]]+)\]\s*(.*)$/.exec(p);
  if (!m) throw new Error(`not a datastore path: ${JSON.stringify(p)}`);
  return { datastore: m[1], path: m[2] };
}

/** The folder a file is in, "[ds] vm/vm.vmx" -> { datastore: "ds", path: "vm" }; undefined for a file at the datastore's root or a path that is not one. */
export function datastoreFolderOf(p: string): { datastore: string; path: string } | undefined {
  const m = /^\[([^\]]+)\]\s*(.*)\/[^/]+$/.exec(p);
  return m ? { datastore: m[1], path: m[2] } : undefined;
}

export function datastoreFileUrl(serviceUrl: URL, datastore: string, path: string, opts: DatastoreFileOptions = {}): URL {
  const u = new URL(serviceUrl.href);
  const segments = path.split("/").filter((s) => s !== "");
  u.pathname = "/folder/" + segments.map(encodeURIComponent).join("/");
  u.search = new URLSearchParams({ dcPath: opts.dcPath ?? "ha-datacenter", dsName: datastore }).toString();
  u.hash = "";
  return u;
}

export async function uploadFile(
  transport: HttpsTransport, serviceUrl: URL, datastore: string, path: string, data: Buffer, opts: DatastoreFileOptions = {},
): Promise<void> {
  const url = datastoreFileUrl(serviceUrl, datastore, path, opts);
  const res = await transport.request("PUT", url, data, { "Content-Type": "application/octet-stream" });
  if (res.status < 200 || res.status > 299) throw new HttpError(res.status, "PUT", url.href, res.body.toString("utf8"));
}

export async function downloadFile(
  transport: HttpsTransport, serviceUrl: URL, datastore: string, path: string, opts: DatastoreFileOptions = {},
): Promise<Buffer> {
  const url = datastoreFileUrl(serviceUrl, datastore, path, opts);
  const res = await transport.request("GET", url);
  if (res.status < 200 || res.status > 299) throw new HttpError(res.status, "GET", url.href, res.body.toString("utf8"));
  return res.body;
}
