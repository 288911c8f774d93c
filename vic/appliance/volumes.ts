// Volumes (0.5 lib/portlayer/storage/vsphere/volume.go; spec §6): a volume
// is a VMDK in a volume store named on create (`--volume-store
// label:ds/path`), at `[ds] <path>/VIC/volumes/<name>/<name>.vmdk` with its
// metadata in `imageMetadata/` beside it. A container gets the disk in
// independent_persistent mode and a MountSpec `label://<name>` -> its path,
// which tether mounts. Everything is on the datastore: `docker volume ls`
// after an appliance restart reads it back.
import type { VimClient } from "../../vim25/client/index.ts";
import { isVimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { parseDsUrl } from "../lib/vch-config.ts";
import type { ComponentLog, VchContext } from "./vch-context.ts";

const DEFAULT_CAPACITY_MB = 1024;
export const DEFAULT_STORE = "default";

export interface VolumeRecord {
  name: string;
  store: string;
  /** "[ds] path/VIC/volumes/<name>/<name>.vmdk" */
  disk: string;
  capacityMB: number;
  created: string;
  labels: Record<string, string>;
}

export class VolumeError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class Volumes {
  constructor(private readonly vch: VchContext, private readonly log: ComponentLog) {}

  private client(): Promise<VimClient> {
    return this.vch.vsphere();
  }

  /** the store's "[ds] path/VIC/volumes" pieces */
  private store(label: string): { datastore: string; path: string } {
    const store = parseDsUrl(this.vch.config.volumeLocations?.[label]);
    if (!store) throw new VolumeError(404, `No volume store named (${label}) exists`);
    return { datastore: store.datastore, path: `${store.path ? `${store.path}/` : ""}VIC/volumes` };
  }

  stores(): string[] {
    return Object.keys(this.vch.config.volumeLocations ?? {}).sort();
  }

  private async mkdir(c: VimClient, dsPath: string): Promise<void> {
    try {
      await c.call("MakeDirectory", c.content.fileManager!, { name: dsPath, createParentDirectories: true });
    } catch (e) {
      if (!(isVimFault(e) && e.type === "FileAlreadyExists")) throw e;
    }
  }

  async create(name: string, opts: { store?: string; capacityMB?: number; labels?: Record<string, string> } = {}): Promise<VolumeRecord> {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw new VolumeError(400, `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed`);
    if (await this.get(name)) throw new VolumeError(409, `volume ${name} already exists`);
    const label = opts.store ?? DEFAULT_STORE;
    const s = this.store(label);
    const c = await this.client();
    const dir = `[${s.datastore}] ${s.path}/${name}`;
    await this.mkdir(c, `${dir}/imageMetadata`);
    const capacityMB = opts.capacityMB ?? DEFAULT_CAPACITY_MB;
    const vdm = c.content.virtualDiskManager!;
    await c.waitForTask((await c.call("CreateVirtualDisk_Task", vdm, {
      name: `${dir}/${name}.vmdk`,
      spec: { _type: "FileBackedVirtualDiskSpec", diskType: "thin", adapterType: "lsiLogic", capacityKb: capacityMB * 1024 },
    })) as ManagedObjectReference);
    const rec: VolumeRecord = { name, store: label, disk: `${dir}/${name}.vmdk`, capacityMB, created: this.vch.hw.clock.now().toISOString(), labels: opts.labels ?? {} };
    await c.uploadFile(s.datastore, `${s.path}/${name}/imageMetadata/metaData`, Buffer.from(JSON.stringify(rec)), { dcPath: await this.vch.datacenterPath() });
    this.log.info(`volume ${name} created in store ${label}`);
    return rec;
  }

  /** every volume of every store, read from the datastores */
  async list(): Promise<VolumeRecord[]> {
    const c = await this.client();
    const out: VolumeRecord[] = [];
    for (const label of this.stores()) {
      const s = this.store(label);
      let names: string[] = [];
      try {
        const browser = await this.browser(c, s.datastore);
        const found = (await c.waitForTask((await c.call("SearchDatastore_Task", browser, { datastorePath: `[${s.datastore}] ${s.path}`, searchSpec: { _type: "HostDatastoreBrowserSearchSpec", matchPattern: ["*"] } })) as ManagedObjectReference)) as { file?: { path: string }[] };
        names = (found.file ?? []).map((f) => f.path.replace(/\/$/, ""));
      } catch (e) {
        if (isVimFault(e) && e.type === "FileNotFound") continue;
        throw e;
      }
      for (const n of names.sort()) {
        try {
          const raw = await c.downloadFile(s.datastore, `${s.path}/${n}/imageMetadata/metaData`, { dcPath: await this.vch.datacenterPath() });
          out.push(JSON.parse(raw.toString("utf8")) as VolumeRecord);
        } catch (e) {
          if ((e as { status?: number }).status !== 404) throw e;
        }
      }
    }
    return out;
  }

  async get(name: string): Promise<VolumeRecord | undefined> {
    return (await this.list()).find((v) => v.name === name);
  }

  async remove(v: VolumeRecord): Promise<void> {
    const c = await this.client();
    const dir = v.disk.replace(/\/[^/]+$/, "");
    await c.waitForTask((await c.call("DeleteDatastoreFile_Task", c.content.fileManager!, { name: dir })) as ManagedObjectReference);
    this.log.info(`volume ${v.name} removed`);
  }

  private async browser(c: VimClient, datastore: string): Promise<ManagedObjectReference> {
    const all = await c.retrieveFromContainer(c.content.rootFolder, "Datastore", ["name", "browser"]);
    for (const r of all.values()) if (r.name === datastore) return r.browser as ManagedObjectReference;
    throw new VolumeError(500, `datastore ${datastore} not found`);
  }
}
