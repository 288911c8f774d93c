// The hermetic registry: the Distribution API v2 as Docker Hub serves it
// (../shared/spec/docker.md §5), for the images built from scenario
// folders. Bearer token auth with Docker Hub's challenge; manifests by tag
// with Accept negotiation (OCI index, Docker manifest list, schema 2, OCI
// manifest) and by digest as stored; blobs with HEAD and Range. The
// simulated network resolves Docker Hub's names to it (index.ts), so a pull
// of `hello-world` inside the simulator never leaves the machine.
import { createHmac } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "../clock.ts";
import { MEDIA, type Blob, type RegistryImage, type TagManifests } from "./image-builder.ts";

/** Docker Hub's service name, in challenges and token requests */
export const HUB_SERVICE = "registry.docker.io";
export const HUB_NAMES = ["registry-1.docker.io", "auth.docker.io", "index.docker.io", "docker.io", "registry.hub.docker.com"];
const TOKEN_SECONDS = 300;

type ErrorCode = "UNAUTHORIZED" | "NAME_UNKNOWN" | "MANIFEST_UNKNOWN" | "BLOB_UNKNOWN" | "DIGEST_INVALID" | "UNSUPPORTED" | "DENIED" | "NAME_INVALID";

function registryError(res: ServerResponse, status: number, code: ErrorCode, message: string, detail?: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ errors: [{ code, message, detail: detail ?? null }] });
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), "Docker-Distribution-Api-Version": "registry/2.0", ...headers });
  res.end(body);
}

/** What the client accepts, from any number of Accept headers (Go sends one per type, Node joins them). */
function accepted(req: IncomingMessage): Set<string> {
  const raw = req.headersDistinct?.accept ?? (req.headers.accept ? [req.headers.accept] : []);
  return new Set(raw.flatMap((h) => h.split(",")).map((t) => t.split(";")[0].trim()).filter(Boolean));
}

/** The document a tag resolves to for this Accept set: the richest the client takes; schema 2 when it says nothing. */
function negotiate(tag: TagManifests, accept: Set<string>): Blob | undefined {
  if (accept.size === 0 || accept.has("*/*")) return tag.dockerManifest;
  const order: [string, Blob][] = [[MEDIA.ociIndex, tag.ociIndex], [MEDIA.dockerList, tag.dockerList], [MEDIA.dockerManifest, tag.dockerManifest], [MEDIA.ociManifest, tag.ociManifest]];
  return order.find(([t]) => accept.has(t))?.[1];
}

export class Registry {
  constructor(
    readonly images: ReadonlyMap<string, RegistryImage>,
    private readonly secret: string,
    private readonly clock: Clock,
  ) {}

  /** a token for these scopes, good for TOKEN_SECONDS: an HMAC, so the registry keeps no state */
  private token(scopes: string[], issued: number): string {
    const payload = Buffer.from(JSON.stringify({ s: scopes, e: issued + TOKEN_SECONDS * 1000 })).toString("base64url");
    return `${payload}.${createHmac("sha256", this.secret).update(payload).digest("base64url")}`;
  }

  /** the scopes of a token this registry issued and that has not expired; undefined for any other */
  private tokenScopes(auth: string | undefined): string[] | undefined {
    const m = /^Bearer\s+([\w-]+)\.([\w-]+)$/.exec(auth ?? "");
    if (!m || createHmac("sha256", this.secret).update(m[1]).digest("base64url") !== m[2]) return undefined;
    try {
      const { s, e } = JSON.parse(Buffer.from(m[1], "base64url").toString("utf8")) as { s: string[]; e: number };
      return e < this.clock.now().getTime() ? undefined : s;
    } catch {
      return undefined;
    }
  }

  private tokenAllows(auth: string | undefined, repository: string): boolean {
    return (this.tokenScopes(auth) ?? []).some((scope) => {
      const [kind, name, actions] = scope.split(":");
      return kind === "repository" && name === repository && (actions ?? "").split(",").includes("pull");
    });
  }


  private challenge(req: IncomingMessage, scope?: string): Record<string, string> {
    const proto = (req.socket as { encrypted?: boolean }).encrypted ? "https" : "http";
    const host = req.headers.host ?? "registry-1.docker.io";
    // Docker Hub names auth.docker.io; inside the simulated network that name is this server too
    const realm = host.startsWith("registry-1.docker.io") ? "https://auth.docker.io/token" : `${proto}://${host}/token`;
    return { "WWW-Authenticate": `Bearer realm="${realm}",service="${HUB_SERVICE}"${scope ? `,scope="${scope}"` : ""}` };
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://registry");
    const method = req.method ?? "GET";
    if (url.pathname === "/token") return this.issueToken(url, res);
    if (url.pathname === "/v2/" || url.pathname === "/v2") {
      if (!this.tokenAllowsAny(req.headers.authorization)) return registryError(res, 401, "UNAUTHORIZED", "authentication required", null, this.challenge(req));
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": 2, "Docker-Distribution-Api-Version": "registry/2.0" });
      return void res.end(method === "HEAD" ? undefined : "{}");
    }
    // <name> may hold slashes: match greedily up to /manifests/ or /blobs/
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!m) return registryError(res, 404, "UNSUPPORTED", "the operation is unsupported");
    const [, name, kind, ref] = m;
    if (method !== "GET" && method !== "HEAD") return registryError(res, 405, "UNSUPPORTED", "the operation is unsupported", null, { Allow: "GET, HEAD" });
    const scope = `repository:${name}:pull`;
    const image = this.images.get(name);
    // Docker Hub answers an unknown repository with 401 before anything else: a client cannot tell it from a private one
    if (!this.tokenAllows(req.headers.authorization, name)) return registryError(res, 401, "UNAUTHORIZED", "authentication required", [{ Type: "repository", Name: name, Action: "pull" }], this.challenge(req, scope));
    if (!image) return registryError(res, 404, "NAME_UNKNOWN", "repository name not known to registry", { name });
    if (kind === "manifests") return this.manifest(req, res, image, ref);
    return this.blob(req, res, image, ref);
  };

  private tokenAllowsAny(auth: string | undefined): boolean {
    return this.tokenScopes(auth) !== undefined;
  }


  private issueToken(url: URL, res: ServerResponse): void {
    const scopes = url.searchParams.getAll("scope").flatMap((s) => s.split(" ")).filter(Boolean);
    const now = this.clock.now();
    const token = this.token(scopes, now.getTime());
    const body = JSON.stringify({ token, access_token: token, expires_in: TOKEN_SECONDS, issued_at: now.toISOString() });
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  }

  private manifest(req: IncomingMessage, res: ServerResponse, image: RegistryImage, ref: string): void {
    let doc: Blob | undefined;
    if (ref.startsWith("sha256:")) {
      doc = image.manifests.get(ref);
      if (!doc) return registryError(res, 404, "MANIFEST_UNKNOWN", "manifest unknown", { Tag: ref });
    } else {
      const tag = image.tags.get(ref);
      if (!tag) return registryError(res, 404, "MANIFEST_UNKNOWN", "manifest unknown", { Tag: ref });
      doc = negotiate(tag, accepted(req));
      if (!doc) return registryError(res, 404, "MANIFEST_UNKNOWN", `manifest unknown: none of the accepted media types is available for ${ref}`, { Tag: ref });
    }
    res.writeHead(200, {
      "Content-Type": doc.mediaType,
      "Content-Length": doc.data.length,
      "Docker-Content-Digest": doc.digest,
      "Docker-Distribution-Api-Version": "registry/2.0",
      Etag: `"${doc.digest}"`,
    });
    res.end(req.method === "HEAD" ? undefined : doc.data);
  }

  private blob(req: IncomingMessage, res: ServerResponse, image: RegistryImage, digest: string): void {
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) return registryError(res, 400, "DIGEST_INVALID", "provided digest did not match uploaded content", { digest });
    const b = image.blobs.get(digest);
    if (!b) return registryError(res, 404, "BLOB_UNKNOWN", "blob unknown to registry", { digest });
    const headers: Record<string, string | number> = { "Content-Type": "application/octet-stream", "Docker-Content-Digest": b.digest, "Accept-Ranges": "bytes", Etag: `"${b.digest}"` };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), b.data.length - 1) : b.data.length - 1;
      if (start >= b.data.length || start > end) {
        res.writeHead(416, { "Content-Range": `bytes */${b.data.length}` });
        return void res.end();
      }
      res.writeHead(206, { ...headers, "Content-Length": end - start + 1, "Content-Range": `bytes ${start}-${end}/${b.data.length}` });
      return void res.end(req.method === "HEAD" ? undefined : b.data.subarray(start, end + 1));
    }
    res.writeHead(200, { ...headers, "Content-Length": b.data.length });
    res.end(req.method === "HEAD" ? undefined : b.data);
  }
}
