// The Docker API personality (docker-engine-server): the Docker Engine API
// on 2376 with TLS, 2375 without, on every address the appliance has, as
// 0.4 listened on 0.0.0.0. TLS takes the config's HostCertificate; client
// certificates are required only when the config carries CAs (--tlsverify).
// We advertise API 1.47 with a floor of 1.24 rather than 0.4's 1.23: the
// reasons are in ../shared/spec/docker.md §1.
import http from "node:http";
import https from "node:https";
import type { Server, Socket } from "node:net";
import { ContainerRoutes } from "./docker-containers.ts";
import { PortMapper } from "./port-map.ts";
import { apiError, json } from "./docker-http.ts";
import { chainId, findImage, type ImageRecord } from "./image-store.ts";
import type { Component, PortLayer } from "./port-layer.ts";
import { familiarName, parseReference, PullError } from "./registry-client.ts";
import type { ComponentLog, VchContext } from "./vch-context.ts";

export const API_VERSION = "1.47";
export const MIN_API_VERSION = "1.24";
export const VIC_VERSION = "0.4.0";
const KERNEL = "4.4.8-esx";

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void;

export class DockerPersonality {
  private readonly containerRoutes: ContainerRoutes;
  /** -p: host ports on the client address forwarded to containers on the bridge (memory-only, as 0.5's iptables maps) */
  private readonly ports: PortMapper;

  constructor(private readonly vch: VchContext, private readonly portLayer: PortLayer, private readonly log: ComponentLog) {
    this.ports = new PortMapper(() => this.nic("client", "external"), () => this.nic("bridge"), log);
    this.containerRoutes = new ContainerRoutes(vch, portLayer.containers, portLayer.images, portLayer.attach, portLayer.volumes, log, this.ports);
  }

  /** the appliance's NIC for a network role (the first role that has an address) */
  private nic(...roles: string[]) {
    for (const role of roles) {
      const addr = this.vch.addresses.get(role);
      const nic = addr ? this.vch.hw.nics.find((n) => n.ipAddress === addr) : undefined;
      if (nic) return nic;
    }
    throw new Error(`no ${roles[0]} network interface is configured`);
  }

  get tls(): boolean {
    return !!this.vch.config.hostCertificate?.cert?.length;
  }

  get port(): number {
    return this.tls ? 2376 : 2375;
  }

  /** one request, as the server sees it after TLS: exported for tests that drive it without sockets */
  handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    res.setHeader("Api-Version", API_VERSION);
    res.setHeader("Ostype", "linux");
    res.setHeader("Docker-Experimental", "false");
    res.setHeader("Server", `Docker/${VIC_VERSION} (linux)`);
    const url = new URL(req.url ?? "/", "http://docker");
    const m = /^\/v(\d+)\.(\d+)(\/.*)$/.exec(url.pathname);
    const path = m ? m[3] : url.pathname;
    if (m && (Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 24))) {
      return apiError(res, 400, `client version ${m[1]}.${m[2]} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
    }
    const route = this.route(req.method ?? "GET", path);
    if (!route) return apiError(res, 404, "page not found");
    try {
      await route(req, res);
    } catch (e) {
      this.log.error(`${req.method} ${path}: ${(e as Error).message}`);
      if (!res.headersSent) apiError(res, 500, (e as Error).message);
      else res.destroy();
    }
  };

  private route(method: string, path: string): Route | undefined {
    if (path === "/_ping" && (method === "GET" || method === "HEAD")) return this.ping;
    if (path === "/version" && method === "GET") return this.version;
    if (path === "/info" && method === "GET") return this.info;
    if (path === "/events" && method === "GET") return this.events;
    if (path === "/images/create" && method === "POST") return this.pull;
    if (path === "/images/json" && method === "GET") return this.imageList;
    const img = /^\/images\/(.+)\/json$/.exec(path);
    if (img && method === "GET") return (req, res) => this.imageInspect(req, res, decodeURIComponent(img[1]));
    const rmi = /^\/images\/(.+)$/.exec(path);
    if (rmi && method === "DELETE") return (req, res) => this.imageRemove(req, res, decodeURIComponent(rmi[1]));
    return this.containerRoutes.route(method, path);
  }

  /** 0.5's SubscribeToEvents: a stream that stays open and says nothing (ended at once when `until` is given) */
  private events: Route = (req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.flushHeaders();
    if (new URL(req.url ?? "/", "http://docker").searchParams.has("until")) res.end();
  };

  private ping: Route = (req, res) => {
    res.setHeader("Cache-Control", "no-cache, no-store, must-revalidate");
    res.setHeader("Pragma", "no-cache");
    res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": req.method === "HEAD" ? 0 : 2 });
    res.end(req.method === "HEAD" ? undefined : "OK");
  };

  private version: Route = (_req, res) => {
    const details = { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: "linux", Arch: "amd64", KernelVersion: KERNEL, GitCommit: "", GoVersion: `node${process.versions.node}`, BuildTime: "", Experimental: "false" };
    json(res, 200, {
      Platform: { Name: "vSphere Integrated Containers" },
      Components: [{ Name: "Engine", Version: VIC_VERSION, Details: details }],
      Version: VIC_VERSION,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: "",
      GoVersion: details.GoVersion,
      Os: "linux",
      Arch: "amd64",
      KernelVersion: KERNEL,
      BuildTime: "",
      Experimental: false,
    });
  };

  /** the images, from the store on the datastore (it is the truth; nothing is cached across a restart) */
  private async images(): Promise<ImageRecord[]> {
    return this.portLayer.images.list();
  }

  /** an image by ID prefix or reference; undefined for a reference that does not parse */
  private async findImage(name: string): Promise<ImageRecord | undefined> {
    try {
      return findImage(await this.images(), name, 4);
    } catch {
      return undefined;
    }
  }


  private imageSummary(i: ImageRecord) {
    const repo = familiarName({ registry: i.registry, repository: i.repository, tag: undefined, digest: undefined });
    return {
      Id: i.id,
      ParentId: "",
      RepoTags: i.tags.map((t) => `${repo}:${t}`),
      RepoDigests: i.digests.map((d) => `${repo}@${d}`),
      Created: Math.floor(new Date(i.created).getTime() / 1000),
      Size: i.size,
      SharedSize: -1,
      VirtualSize: i.size,
      Labels: (i.config.config as { Labels?: Record<string, string> } | undefined)?.Labels ?? null,
      Containers: -1,
    };
  }

  private imageList: Route = async (_req, res) => {
    const list = (await this.images()).filter((i) => i.tags.length || i.digests.length).sort((a, b) => b.created.localeCompare(a.created));
    json(res, 200, list.map((i) => this.imageSummary(i)));
  };

  private async imageInspect(_req: http.IncomingMessage, res: http.ServerResponse, name: string): Promise<void> {
    const i = await this.findImage(name);
    if (!i) return apiError(res, 404, `No such image: ${name.includes(":") || /^[0-9a-f]{12,}$/.test(name) ? name : `${name}:latest`}`);
    const c = i.config as { config?: Record<string, unknown>; architecture?: string; os?: string; rootfs?: { diff_ids?: string[] }; created?: string; author?: string };
    const s = this.imageSummary(i);
    json(res, 200, {
      Id: i.id, RepoTags: s.RepoTags, RepoDigests: s.RepoDigests, Parent: "", Comment: "", Created: c.created ?? i.created,
      DockerVersion: "", Author: c.author ?? "", Config: { Hostname: "", Domainname: "", User: "", AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false, OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: "", Volumes: null, WorkingDir: "", Entrypoint: null, OnBuild: null, Labels: null, ...(c.config ?? {}) },
      Architecture: c.architecture ?? "amd64", Os: c.os ?? "linux", Size: i.size, VirtualSize: i.size,
      GraphDriver: { Name: "vsphere", Data: { LayerDisk: this.portLayer.images.layerDisk(i.layer) } },
      RootFS: { Type: "layers", Layers: c.rootfs?.diff_ids ?? [] },
      Metadata: { LastTagTime: "0001-01-01T00:00:00Z" },
    });
  }

  /** docker rmi: untag, and delete the image when no name is left; refused while a container uses it */
  private async imageRemove(req: http.IncomingMessage, res: http.ServerResponse, name: string): Promise<void> {
    const force = /^(1|true|yes)$/i.test(new URL(req.url ?? "/", "http://docker").searchParams.get("force") ?? "");
    const i = await this.findImage(name);
    const shown = name.includes(":") || /^(sha256:)?[0-9a-f]{12,}$/.test(name) ? name : `${name}:latest`;
    if (!i) return apiError(res, 404, `No such image: ${shown}`);
    const byId = /^(sha256:)?[0-9a-f]{4,64}$/.test(name) && i.id.replace("sha256:", "").startsWith(name.replace("sha256:", ""));
    const repo = familiarName({ registry: i.registry, repository: i.repository, tag: undefined, digest: undefined });
    const ref = byId ? undefined : parseReference(name);
    // the last name of an image whose chain a container's disk stands on cannot go: the container's disk would lose its parent
    const lastName = byId || i.tags.length <= 1;
    const users = lastName ? (await this.portLayer.containers.list()).filter((c) => c.config.layerId === i.layer) : [];
    if (users.length) {
      const u = users[0];
      const running = u.state === "running";
      const what = byId ? `image ${name}` : `repository reference "${shown}"`;
      if (!force || running) return apiError(res, 409, `conflict: unable to ${byId ? "delete" : "remove"} ${what} (${running ? "cannot be forced" : "must force"}) - container ${u.id.slice(0, 12)} is using its referenced image ${i.id.slice(7, 19)}`);
      return apiError(res, 409, `conflict: unable to delete ${i.id.slice(7, 19)}: the disks of container ${u.id.slice(0, 12)} are children of this image's; remove the container first`);
    }
    if (byId && i.tags.length > 1 && !force) return apiError(res, 409, `conflict: unable to delete ${name} (must be forced) - image is referenced in multiple repositories`);
    const result = await this.portLayer.images.removeImage(i.layer, byId ? undefined : ref?.tag ?? "latest");
    json(res, 200, [
      ...result.untagged.map((t) => ({ Untagged: `${repo}:${t}` })),
      ...(result.deleted.length ? i.digests.map((d) => ({ Untagged: `${repo}@${d}` })) : []),
      ...result.deleted.map((d) => ({ Deleted: d })),
    ]);
  }

  /** docker pull: resolve first (errors as a status), then stream progress as the engine does */
  private pull: Route = async (req, res) => {
    const url = new URL(req.url ?? "/", "http://docker");
    const fromImage = url.searchParams.get("fromImage");
    if (!fromImage) return apiError(res, 501, "importing an image (fromSrc) is not supported by this VCH");
    let ref;
    let resolved;
    const client = this.portLayer.registryClient();
    try {
      ref = parseReference(fromImage, url.searchParams.get("tag") ?? undefined);
      resolved = await client.resolve(ref);
    } catch (e) {
      const status = e instanceof PullError ? e.status : 500;
      return apiError(res, status, (e as Error).message);
    }
    const name = familiarName(ref);
    const shown = ref.digest ? `${name}@${ref.digest}` : `${name}:${ref.tag}`;
    res.writeHead(200, { "Content-Type": "application/json" });
    res.flushHeaders();
    const send = (o: Record<string, unknown>) => res.write(`${JSON.stringify(o)}\r\n`);
    const store = this.portLayer.images;
    try {
      send({ status: `Pulling from ${ref.repository}`, id: ref.digest ?? ref.tag });
      const ids: string[] = [];
      for (const l of resolved.layers) ids.push(chainId(ids[ids.length - 1], l.diffId));
      const have = await Promise.all(ids.map((id) => store.hasLayer(id)));
      const short = (d: string) => d.replace(/^sha256:/, "").slice(0, 12);
      const before = (await store.list()).find((im) => im.layer === ids[ids.length - 1]);
      const upToDate = have.every(Boolean) && (ref.tag ? !!before?.tags.includes(ref.tag) : !!before?.digests.includes(resolved.digest));
      // an image already here under this name shows no layers, as the engine prints it
      if (!upToDate) resolved.layers.forEach((l, i) => send({ status: have[i] ? "Already exists" : "Pulling fs layer", progressDetail: {}, id: short(l.digest) }));
      let fresh = false;
      for (const [i, l] of resolved.layers.entries()) {
        if (have[i]) continue;
        fresh = true;
        send({ status: "Downloading", progressDetail: { current: 0, total: l.size }, progress: `[>                                                  ]       0B/${l.size}B`, id: short(l.digest) });
        const tar = await client.layer(ref, l);
        send({ status: "Verifying Checksum", progressDetail: {}, id: short(l.digest) });
        send({ status: "Download complete", progressDetail: {}, id: short(l.digest) });
        send({ status: "Extracting", progressDetail: { current: l.size, total: l.size }, id: short(l.digest) });
        await store.writeLayer(ids[i], ids[i - 1], l.diffId, tar);
        send({ status: "Pull complete", progressDetail: {}, id: short(l.digest) });
      }
      const config = JSON.parse(resolved.config.toString("utf8")) as Record<string, unknown>;
      await store.tagImage(ids[ids.length - 1], {
        id: resolved.configDigest, registry: ref.registry, repository: ref.repository,
        tags: ref.tag ? [ref.tag] : [], digests: [resolved.digest], config, created: String(config.created ?? this.vch.hw.clock.now().toISOString()),
      });
      send({ status: `Digest: ${resolved.digest}` });
      send({ status: fresh || !upToDate ? `Status: Downloaded newer image for ${shown}` : `Status: Image is up to date for ${shown}` });
      this.log.info(`pulled ${shown} (${resolved.digest})`);
    } catch (e) {
      this.log.error(`pull ${shown}: ${(e as Error).message}`);
      send({ errorDetail: { message: (e as Error).message }, error: (e as Error).message });
    }
    res.end();
  };

  private info: Route = async (_req, res) => {
    const f = await this.portLayer.figures();
    const c = f.containers;
    const mb = (n: number) => `${Math.round(n / 1048576)} MiB`;
    const driverStatus: [string, string][] = [
      ["VCH CPU limit", `${f.cpuMhz} MHz`],
      ["VCH memory limit", mb(f.memoryBytes)],
      ["VMware Product", f.product.fullName],
      ["VMware OS", f.product.osType],
      ["VMware OS version", f.product.version],
      ["Host", f.hostName],
    ];
    if (f.imageDatastore) driverStatus.push(["Image datastore", `${f.imageDatastore.name} (${mb(f.imageDatastore.freeSpace)} free of ${mb(f.imageDatastore.capacity)})`]);
    json(res, 200, {
      ID: this.vch.hw.vm.uuid,
      Containers: c.running + c.paused + c.stopped,
      ContainersRunning: c.running,
      ContainersPaused: c.paused,
      ContainersStopped: c.stopped,
      Images: (await this.images()).filter((i) => i.tags.length || i.digests.length).length,
      Driver: "vSphere Integrated Containers Backend Engine",
      DriverStatus: driverStatus,
      Plugins: { Volume: ["vsphere"], Network: ["bridge"], Authorization: null, Log: ["json-file"] },
      MemoryLimit: false, SwapLimit: false, KernelMemory: false, CpuCfsPeriod: false, CpuCfsQuota: false,
      CPUShares: false, CPUSet: false, PidsLimit: false, IPv4Forwarding: true, BridgeNfIptables: true, BridgeNfIp6tables: true,
      Debug: (this.vch.config.init.diagnostics?.debugLevel ?? 0) > 0,
      NFd: 0, OomKillDisable: false, NGoroutines: 0, SystemTime: this.vch.hw.clock.now().toISOString(),
      LoggingDriver: "json-file", CgroupDriver: "none", CgroupVersion: "1", NEventsListener: 0,
      KernelVersion: KERNEL, OperatingSystem: `VMware Photon/Linux (${f.product.fullName})`, OSVersion: "1.0", OSType: "linux", Architecture: "x86_64",
      IndexServerAddress: "https://index.docker.io/v1/",
      RegistryConfig: { AllowNondistributableArtifactsCIDRs: null, AllowNondistributableArtifactsHostnames: null, InsecureRegistryCIDRs: [], IndexConfigs: { "docker.io": { Name: "docker.io", Mirrors: this.vch.config.registryMirror ? [this.vch.config.registryMirror] : [], Secure: true, Official: true } }, Mirrors: null },
      NCPU: f.cpus, MemTotal: f.memoryBytes,
      GenericResources: null, DockerRootDir: "", HttpProxy: "", HttpsProxy: "", NoProxy: "",
      Name: this.vch.name, Labels: [], ExperimentalBuild: false, ServerVersion: VIC_VERSION,
      Runtimes: { runc: { path: "runc" } }, DefaultRuntime: "runc",
      Swarm: { NodeID: "", NodeAddr: "", LocalNodeState: "inactive", ControlAvailable: false, Error: "", RemoteManagers: null },
      LiveRestoreEnabled: false, Isolation: "", InitBinary: "", ContainerdCommit: { ID: "" }, RuncCommit: { ID: "" }, InitCommit: { ID: "" },
      SecurityOptions: [], Warnings: null,
    });
  };

  start(): Component {
    const cert = this.vch.config.hostCertificate;
    const ca = this.vch.config.certificateAuthorities;
    // allowHalfOpen: the CLI half-closes attach connections over TLS (spec docker.md §0.3)
    const server: http.Server = this.tls
      ? https.createServer({ key: cert!.key, cert: cert!.cert, allowHalfOpen: true, ...(ca?.length ? { ca, requestCert: true, rejectUnauthorized: true } : {}) }, this.handle)
      : http.createServer(this.handle);
    // hijacked connections (attach) arrive as upgrades
    server.on("upgrade", (req: http.IncomingMessage, socket: import("node:stream").Duplex, head: Buffer) => {
      void this.containerRoutes.upgrade(req, socket, head).catch((e: Error) => {
        this.log.error(`upgrade ${req.url}: ${e.message}`);
        socket.destroy();
      });
    });
    const listeners: Server[] = [];
    let exit!: (e: Error) => void;
    const exited = new Promise<Error>((r) => (exit = r));
    let inUse = cert ? `${cert.key.toString("base64")}\n${cert.cert.toString("base64")}` : "";
    const accept = (sock: Socket) => {
      if (this.tls) {
        // vic-machine may reissue the pair once the address is known: take it for the next connection
        const gi = this.vch.hw.guestinfo;
        const key = gi.get("guestinfo./host_certificate/Key");
        const crt = gi.get("guestinfo./host_certificate/Cert");
        if (key && crt && `${key}\n${crt}` !== inUse) {
          try {
            (server as https.Server).setSecureContext({ key: Buffer.from(key, "base64"), cert: Buffer.from(crt, "base64"), ...(ca?.length ? { ca } : {}) });
            inUse = `${key}\n${crt}`;
            this.log.info("server certificate replaced");
          } catch (e) {
            this.log.error(`new server certificate refused: ${(e as Error).message}`);
          }
        }
      }
      server.emit("connection", sock);
    };
    const ready = (async () => {
      const addrs = new Set<string>();
      for (const nic of this.vch.hw.nics) {
        if (!nic.ipAddress || addrs.has(nic.ipAddress)) continue;
        addrs.add(nic.ipAddress);
        const l = await nic.listen(this.port, accept);
        l.on("error", (e) => exit(e));
        listeners.push(l);
      }
      if (!addrs.size) throw new Error("no network interface has an address");
      this.log.info(`Docker API on ${[...addrs].map((a) => `${a}:${this.port}`).join(", ")}${this.tls ? " (TLS)" : ""}`);
      await this.containerRoutes.resumeAutoRemove().catch((e: Error) => this.log.warn(`auto-remove after restart: ${e.message}`));
    })();
    return {
      ready,
      exited,
      stop: () => {
        for (const l of listeners) l.close();
        this.ports.close();
        server.closeAllConnections?.();
        exit(new Error("stopped"));
      },
    };
  }
}
