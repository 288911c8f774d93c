// The port layer (port-layer-server): the appliance's view of vSphere, and
// the attach server that container VMs' network serial ports connect to on
// the management address (8080 in 0.4/0.5: lib/portlayer SerialOverLANPort).
// Each connection is handed to the attach connector (serial handshake, then
// SSH to tether); the image store and the containers are its other parts.
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { parseDsUrl, vchPool } from "../lib/vch-config.ts";
import { AttachConnector } from "./attach-connector.ts";
import { Containers } from "./containers.ts";
import { ImageStore } from "./image-store.ts";
import { ATTACH_PORT } from "./port-layer-constants.ts";
import { RegistryClient } from "./registry-client.ts";
import { Volumes } from "./volumes.ts";
import type { ComponentLog, VchContext } from "./vch-context.ts";

export { ATTACH_PORT };

export interface Component {
  /** resolves when the component runs; rejects with why it could not start */
  readonly ready: Promise<void>;
  /** resolves (with the reason) when the component stops on its own */
  readonly exited: Promise<Error>;
  stop(): void;
}

/** What docker info reports: the VCH's real figures, read from vSphere. */
export interface VchFigures {
  cpus: number;
  cpuMhz: number;
  memoryBytes: number;
  containers: { running: number; paused: number; stopped: number };
  product: { fullName: string; osType: string; version: string; name: string };
  imageDatastore: { name: string; capacity: number; freeSpace: number } | undefined;
  hostName: string;
}

export class PortLayer {
  readonly images: ImageStore;
  readonly containers: Containers;
  readonly attach: AttachConnector;
  readonly volumes: Volumes;

  constructor(private readonly vch: VchContext, private readonly log: ComponentLog) {
    this.images = new ImageStore(vch, log);
    this.containers = new Containers(vch, log);
    this.attach = new AttachConnector(vch, log);
    this.volumes = new Volumes(vch, log);
  }

  /** a registry client on the external network's NIC (the default route) */
  registryClient(): RegistryClient {
    const addr = this.vch.addresses.get("external") ?? this.vch.addresses.get("client");
    const nic = this.vch.hw.nics.find((n) => n.ipAddress === addr);
    if (!nic) throw new Error("no external network interface is configured");
    return new RegistryClient(nic, { insecure: this.vch.config.insecureRegistries, mirror: this.vch.config.registryMirror });
  }

  start(): Component {
    const { vch, log } = this;
    let exit!: (e: Error) => void;
    const exited = new Promise<Error>((r) => (exit = r));
    let closeServer: (() => void) | undefined;
    const ready = (async () => {
      // the port layer cannot work without vSphere: a login that fails fails the component
      await vch.vsphere();
      log.info(`logged in to ${new URL(vch.config.target).host}`);
      const nic = this.managementNic();
      const server = await nic.listen(ATTACH_PORT, (sock) => {
        log.info(`attach connection from ${sock.remoteAddress}:${sock.remotePort}`);
        this.attach.accept(sock);
      });
      server.on("error", (e) => exit(e));
      closeServer = () => server.close();
      log.info(`attach server listening on ${nic.ipAddress}:${ATTACH_PORT}`);
    })();
    return {
      ready,
      exited,
      stop: () => {
        closeServer?.();
        this.attach.close();
        exit(new Error("stopped"));
      },
    };
  }

  private managementNic() {
    const addr = this.vch.addresses.get("management") ?? this.vch.addresses.get("client");
    const nic = this.vch.hw.nics.find((n) => n.ipAddress === addr);
    if (!nic) throw new Error("no management network interface is configured");
    return nic;
  }

  async figures(): Promise<VchFigures> {
    const c = await this.vch.vsphere();
    const pool = vchPool(this.vch.config);
    if (!pool) throw new Error("the VCH config names no resource pool");
    const p = await c.retrieveOne(pool, ["owner", "vm"]);
    const owner = p.owner as ManagedObjectReference;
    const o = await c.retrieveOne(owner, ["summary", "host"]);
    const summary = o.summary as { totalCpu?: number; totalMemory?: number; numCpuThreads?: number };
    const hosts = (o.host as ManagedObjectReference[] | undefined) ?? [];
    const vms = ((p.vm as ManagedObjectReference[] | undefined) ?? []).filter((v) => v.value !== this.vch.hw.vm.moref);
    const containers = { running: 0, paused: 0, stopped: 0 };
    if (vms.length) {
      for (const r of (await c.retrieveProperties(vms, ["runtime.powerState"])).values()) {
        const s = r["runtime.powerState"];
        if (s === "poweredOn") containers.running++;
        else if (s === "suspended") containers.paused++;
        else containers.stopped++;
      }
    }
    let imageDatastore: VchFigures["imageDatastore"];
    const ds = parseDsUrl(this.vch.config.imageStores[0])?.datastore;
    if (ds) {
      const all = await c.retrieveFromContainer(c.content.rootFolder, "Datastore", ["summary"]);
      for (const r of all.values()) {
        const s = r.summary as { name: string; capacity: number; freeSpace: number };
        if (s.name === ds) imageDatastore = { name: s.name, capacity: Number(s.capacity), freeSpace: Number(s.freeSpace) };
      }
    }
    const hostName = hosts.length ? String((await c.retrieveOne(hosts[0], ["name"])).name) : "";
    const about = c.content.about as unknown as { fullName: string; osType: string; version: string; name: string };
    return {
      cpus: Number(summary.numCpuThreads ?? 0),
      cpuMhz: Number(summary.totalCpu ?? 0),
      memoryBytes: Number(summary.totalMemory ?? 0),
      containers,
      product: { fullName: about.fullName, osType: about.osType, version: about.version, name: about.name },
      imageDatastore,
      hostName,
    };
  }
}
