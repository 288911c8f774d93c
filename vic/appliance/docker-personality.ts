// The Docker API personality (docker-engine-server): the Docker Engine API
// on 2376 with TLS, 2375 without, on every address the appliance has, as
// 0.4 listened on 0.0.0.0. TLS takes the config's HostCertificate; client
// certificates are required only when the config carries CAs (--tlsverify).
// We advertise API 1.47 with a floor of 1.24 rather than 0.4's 1.23: the
// reasons are in ../shared/spec/docker.md §1.
import http from "node:http";
import https from "node:https";
import type { Server, Socket } from "node:net";
import type { Component, PortLayer } from "./port-layer.ts";
import type { ComponentLog, VchContext } from "./vch-context.ts";

export const API_VERSION = "1.47";
export const MIN_API_VERSION = "1.24";
export const VIC_VERSION = "0.4.0";
const KERNEL = "4.4.8-esx";

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void;

/** The Docker JSON error: the CLI unwraps the message only with exactly this content type (spec docker.md §0.6). */
export function apiError(res: http.ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ message });
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

export class DockerPersonality {
  constructor(private readonly vch: VchContext, private readonly portLayer: PortLayer, private readonly log: ComponentLog) {}

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
    return undefined;
  }

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
      // the image store arrives with the container work; until then there are none
      Images: 0,
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
    })();
    return {
      ready,
      exited,
      stop: () => {
        for (const l of listeners) l.close();
        server.closeAllConnections?.();
        exit(new Error("stopped"));
      },
    };
  }
}
