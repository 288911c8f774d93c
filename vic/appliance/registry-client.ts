// The pull side of imagec: the Distribution API v2 flow as the engine runs
// it (../shared/spec/docker.md §5), over the appliance's own NIC. Docker
// Hub's names are looked up in the port group's DNS; a registry whose
// address is in 127.0.0.0/8 or that --insecure-registry names is reached
// without certificate verification, as dockerd treats its insecure CIDRs.
import { createHash } from "node:crypto";
import https from "node:https";
import tls from "node:tls";
import { gunzipSync } from "node:zlib";
import type { GuestNic } from "../../hardware/guest-hardware.ts";

export const MANIFEST_TYPES = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
];
const INDEX_TYPES = new Set(["application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.oci.image.index.v1+json"]);
const HUB = "docker.io";
const HUB_ENDPOINT = "registry-1.docker.io";

export interface ImageReference {
  /** docker.io, or host[:port] */
  registry: string;
  /** library/hello-world */
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
}

/** What the CLI sends (fromImage, tag) to a full reference: "hello-world" is docker.io/library/hello-world. */
export function parseReference(fromImage: string, tag?: string): ImageReference {
  let name = fromImage.trim();
  let t = tag || undefined;
  let digest: string | undefined;
  const at = name.indexOf("@");
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
  }
  const lastColon = name.lastIndexOf(":");
  if (lastColon > name.lastIndexOf("/")) {
    t = t ?? name.slice(lastColon + 1);
    name = name.slice(0, lastColon);
  }
  if (t?.startsWith("sha256:")) {
    digest = t;
    t = undefined;
  }
  const parts = name.split("/");
  let registry = HUB;
  if (parts.length > 1 && (parts[0].includes(".") || parts[0].includes(":") || parts[0] === "localhost")) registry = parts.shift()!;
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = HUB;
  let repository = parts.join("/").toLowerCase();
  if (registry === HUB && !repository.includes("/")) repository = `library/${repository}`;
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repository)) throw new PullError(400, `invalid reference format: repository name (${repository}) must be lowercase`);
  if (digest && !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new PullError(400, `invalid reference format: ${digest}`);
  return { registry, repository, tag: digest ? t : t ?? "latest", digest };
}

/** "hello-world:latest" for Docker Hub's library images, "docker.io/me/x:1" shortened the CLI's way */
export function familiarName(ref: ImageReference): string {
  const repo = ref.registry === HUB ? ref.repository.replace(/^library\//, "") : `${ref.registry}/${ref.repository}`;
  return repo;
}

export class PullError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface LayerDescriptor {
  digest: string;
  size: number;
  diffId: string;
}

export interface ResolvedImage {
  ref: ImageReference;
  /** the digest of what the tag points at (an index's, when it is one): the RepoDigest */
  digest: string;
  config: Buffer;
  configDigest: string;
  layers: LayerDescriptor[];
}

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

export class RegistryClient {
  private readonly tokens = new Map<string, string>();

  constructor(
    private readonly nic: GuestNic,
    private readonly opts: { insecure?: string[]; mirror?: string; userAgent?: string } = {},
  ) {}

  private endpoint(ref: ImageReference): string {
    if (ref.registry === HUB) return this.opts.mirror ? this.opts.mirror.replace(/\/+$/, "") : `https://${HUB_ENDPOINT}`;
    return `https://${ref.registry}`;
  }

  /** one HTTP exchange over the NIC */
  private request(url: URL, method: string, headers: Record<string, string | string[]> = {}, maxBytes = 512 * 1024 * 1024): Promise<Res> {
    const host = url.hostname;
    const ip = this.nic.lookup(host);
    if (!ip) return Promise.reject(new PullError(500, `Get "${url.origin}/v2/": dial tcp: lookup ${host}: no such host`));
    const insecure = ip.startsWith("127.") || (this.opts.insecure ?? []).some((r) => r === url.host || r === host);
    const port = Number(url.port || (url.protocol === "http:" ? 80 : 443));
    return new Promise((resolve, reject) => {
      const req = https.request({
        host, port, path: `${url.pathname}${url.search}`, method,
        headers: { "User-Agent": this.opts.userAgent ?? "vic-imagec/0.4.0", ...headers },
        createConnection: () => tls.connect({ socket: this.nic.connect(host, port), servername: host, rejectUnauthorized: !insecure }),
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) req.destroy(new PullError(500, `${url}: more than ${maxBytes} bytes`));
          else chunks.push(c);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      });
      req.setTimeout(60_000, () => req.destroy(new PullError(500, `${url}: timed out`)));
      req.on("error", reject);
      req.end();
    });
  }

  /** a request with the repository's Bearer token, fetched on the first 401 as the challenge says */
  private async authed(ref: ImageReference, path: string, method: string, headers: Record<string, string | string[]> = {}): Promise<Res> {
    const url = new URL(`${this.endpoint(ref)}/v2/${ref.repository}/${path}`);
    const key = `${url.host}/${ref.repository}`;
    const withToken = () => ({ ...headers, ...(this.tokens.has(key) ? { Authorization: `Bearer ${this.tokens.get(key)}` } : {}) });
    let res = await this.request(url, method, withToken());
    if (res.status !== 401) return res;
    const challenge = String(res.headers["www-authenticate"] ?? "");
    const m = /^Bearer\s+(.*)$/i.exec(challenge);
    if (!m) return res;
    const params = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (!params.realm) return res;
    const tokenUrl = new URL(params.realm);
    tokenUrl.searchParams.set("scope", `repository:${ref.repository}:pull`);
    if (params.service) tokenUrl.searchParams.set("service", params.service);
    const t = await this.request(tokenUrl, "GET");
    if (t.status !== 200) throw new PullError(500, `Get "${tokenUrl.origin}${tokenUrl.pathname}": unexpected status ${t.status} from the token service`);
    const body = JSON.parse(t.body.toString("utf8")) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new PullError(500, "the token service answered without a token");
    this.tokens.set(key, token);
    res = await this.request(url, method, withToken());
    return res;
  }

  private denied(ref: ImageReference): PullError {
    return new PullError(404, `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`);
  }

  private async manifest(ref: ImageReference, reference: string): Promise<{ type: string; body: Buffer; digest: string }> {
    const res = await this.authed(ref, `manifests/${reference}`, "GET", { Accept: MANIFEST_TYPES });
    if (res.status === 401 || (res.status === 404 && /NAME_UNKNOWN/.test(res.body.toString()))) throw this.denied(ref);
    if (res.status === 404) throw new PullError(404, `manifest for ${familiarName(ref)}:${reference} not found: manifest unknown: manifest unknown`);
    if (res.status !== 200) throw new PullError(500, `${familiarName(ref)}:${reference}: the registry answered ${res.status}`);
    const digest = sha256(res.body);
    if (reference.startsWith("sha256:") && digest !== reference) throw new PullError(500, `manifest verification failed for digest ${reference}`);
    const type = String(res.headers["content-type"] ?? "").split(";")[0].trim();
    if (type === "application/vnd.docker.distribution.manifest.v1+json" || type === "application/vnd.docker.distribution.manifest.v1+prettyjws") throw new PullError(500, `[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed: ${familiarName(ref)}`);
    return { type, body: res.body, digest };
  }

  /** The tag (or digest) to the linux/amd64 image: its config and layer list. Errors here come before any progress. */
  async resolve(ref: ImageReference): Promise<ResolvedImage> {
    const top = await this.manifest(ref, ref.digest ?? ref.tag ?? "latest");
    let m = top;
    if (INDEX_TYPES.has(top.type)) {
      const index = JSON.parse(top.body.toString("utf8")) as { manifests: { digest: string; platform?: { os: string; architecture: string } }[] };
      const entry = index.manifests.find((e) => !e.platform || (e.platform.os === "linux" && e.platform.architecture === "amd64"));
      if (!entry) throw new PullError(404, "no matching manifest for linux/amd64 in the manifest list entries");
      m = await this.manifest(ref, entry.digest);
    }
    const manifest = JSON.parse(m.body.toString("utf8")) as { config: { digest: string }; layers: { digest: string; size: number }[] };
    const cfg = await this.authed(ref, `blobs/${manifest.config.digest}`, "GET");
    if (cfg.status !== 200) throw new PullError(500, `config blob ${manifest.config.digest}: the registry answered ${cfg.status}`);
    if (sha256(cfg.body) !== manifest.config.digest) throw new PullError(500, "image config verification failed");
    const config = JSON.parse(cfg.body.toString("utf8")) as { rootfs?: { diff_ids?: string[] } };
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length) throw new PullError(500, "the image config's diff_ids do not match the manifest's layers");
    return { ref, digest: top.digest, config: cfg.body, configDigest: manifest.config.digest, layers: manifest.layers.map((l, i) => ({ digest: l.digest, size: l.size, diffId: diffIds[i] })) };
  }

  /** one layer, checked against its digest and, unpacked, its diff ID */
  async layer(ref: ImageReference, l: LayerDescriptor): Promise<Buffer> {
    const res = await this.authed(ref, `blobs/${l.digest}`, "GET");
    if (res.status !== 200) throw new PullError(500, `layer ${l.digest}: the registry answered ${res.status}`);
    if (sha256(res.body) !== l.digest) throw new PullError(500, `filesystem layer verification failed for digest ${l.digest}`);
    const tar = res.body.subarray(0, 2).equals(Buffer.from([0x1f, 0x8b])) ? gunzipSync(res.body) : res.body;
    if (sha256(tar) !== l.diffId) throw new PullError(500, `layer ${l.digest}: the unpacked content does not match its diff ID`);
    return tar;
  }
}
