// The image store (0.5 lib/portlayer/storage/vsphere, spec §6): every layer
// is a VMDK, child of the layer below, the empty 8 GB `scratch` at the
// bottom, under `[ds] <path>/VIC/<appliance UUID>/images/<id>/<id>.vmdk`.
// A layer is written as VIC did: the disk is created and hot-added to the
// appliance VM itself, mounted, the tar unpacked onto it, unmounted and
// detached (the disk keeps what changed against its parents). Each layer's
// metadata is `<id>/imageMetadata/metaData`, and `parentMap` (written as
// parentMap.tmp, then moved) holds the chain, so the store survives an
// appliance restart: nothing of it lives only in memory.
import { createHash } from "node:crypto";
import { readTar } from "../../formats/tar.ts";
import type { GuestDisk } from "../../hardware/guest-hardware.ts";
import type { VimClient } from "../../vim25/client/index.ts";
import { isVimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { untarLayer } from "../lib/untar.ts";
import { parseDsUrl } from "../lib/vch-config.ts";
import { parseReference } from "./registry-client.ts";
import type { ComponentLog, VchContext } from "./vch-context.ts";

export const SCRATCH = "scratch";
/** defaultDiskSize: 8388608 KB */
const DISK_KB = 8 * 1024 * 1024;

export interface ImageRecord {
  /** the image ID: the config's digest */
  id: string;
  /** the top layer's ID in the store */
  layer: string;
  registry: string;
  repository: string;
  tags: string[];
  /** RepoDigests: repository@digest */
  digests: string[];
  config: Record<string, unknown>;
  /** the layers' IDs, bottom first */
  layers: string[];
  /** unpacked bytes of all layers */
  size: number;
  created: string;
}

interface LayerMeta {
  id: string;
  parent: string;
  diffId?: string;
  size: number;
  image?: Omit<ImageRecord, "layer" | "layers" | "size">;
}

/**
 * An image by a unique ID prefix of at least `minIdPrefix` hex digits, or by
 * reference (name, name:tag, name@digest); throws for a reference that does
 * not parse.
 */
export function findImage(images: ImageRecord[], name: string, minIdPrefix: number): ImageRecord | undefined {
  const id = name.replace(/^sha256:/, "");
  if (id.length >= minIdPrefix && /^[0-9a-f]{1,64}$/.test(id)) {
    const byId = images.filter((i) => i.id.replace(/^sha256:/, "").startsWith(id));
    if (byId.length === 1) return byId[0];
  }
  const ref = parseReference(name);
  return images.find((i) => i.registry === ref.registry && i.repository === ref.repository && (ref.digest ? i.digests.includes(ref.digest) : i.tags.includes(ref.tag ?? "latest")));
}

/** the chain ID of a layer over its parent's (OCI image spec), hex: the layer's ID in the store */
export function chainId(parent: string | undefined, diffId: string): string {
  const id = parent ? `sha256:${createHash("sha256").update(`sha256:${parent} ${diffId}`).digest("hex")}` : diffId;
  return id.replace(/^sha256:/, "");
}

export class ImageStore {
  private queue: Promise<unknown> = Promise.resolve();
  private parents: Map<string, string> | undefined;
  private readonly metas = new Map<string, LayerMeta>();

  constructor(private readonly vch: VchContext, private readonly log: ComponentLog) {}

  /** "[ds] path" pieces of the store's root */
  get root(): { datastore: string; path: string } {
    const store = parseDsUrl(this.vch.config.imageStores[0]);
    if (!store) throw new Error(`the VCH has no image store (${this.vch.config.imageStores[0] ?? "none"})`);
    return { datastore: store.datastore, path: `${store.path ? `${store.path}/` : ""}VIC/${this.vch.hw.vm.uuid}/images` };
  }

  private dsPath(rel: string): string {
    const r = this.root;
    return `[${r.datastore}] ${r.path}${rel ? `/${rel}` : ""}`;
  }

  private vmdk(id: string): string {
    return this.dsPath(`${id}/${id}.vmdk`);
  }

  /** one store change at a time: disks hot-add to one controller */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private async client(): Promise<VimClient> {
    return this.vch.vsphere();
  }

  private async download(rel: string): Promise<Buffer | undefined> {
    const c = await this.client();
    try {
      return await c.downloadFile(this.root.datastore, `${this.root.path}/${rel}`, { dcPath: await this.vch.datacenterPath() });
    } catch (e) {
      if ((e as { status?: number }).status === 404) return undefined;
      throw e;
    }
  }

  private async upload(rel: string, data: Buffer): Promise<void> {
    if (rel.includes("/")) await this.mkdir(rel.slice(0, rel.lastIndexOf("/")));
    const c = await this.client();
    await c.uploadFile(this.root.datastore, `${this.root.path}/${rel}`, data, { dcPath: await this.vch.datacenterPath() });
  }

  private async mkdir(rel: string): Promise<void> {
    const c = await this.client();
    try {
      await c.call("MakeDirectory", c.content.fileManager!, { name: this.dsPath(rel), createParentDirectories: true });
    } catch (e) {
      if (!(isVimFault(e) && e.type === "FileAlreadyExists")) throw e;
    }
  }

  private async loadParents(): Promise<Map<string, string>> {
    if (!this.parents) {
      const raw = await this.download("parentMap");
      this.parents = new Map(Object.entries(raw ? (JSON.parse(raw.toString("utf8")) as Record<string, string>) : {}));
    }
    return this.parents;
  }

  private async saveParents(): Promise<void> {
    const c = await this.client();
    await this.upload("parentMap.tmp", Buffer.from(JSON.stringify(Object.fromEntries(this.parents ?? []), null, 1)));
    const task = (await c.call("MoveDatastoreFile_Task", c.content.fileManager!, { sourceName: this.dsPath("parentMap.tmp"), destinationName: this.dsPath("parentMap"), force: true })) as ManagedObjectReference;
    await c.waitForTask(task);
  }

  async hasLayer(id: string): Promise<boolean> {
    return (await this.loadParents()).has(id);
  }

  /**
   * Hot-add a new disk (a child of `parent`, or a fresh one), let `fill`
   * write onto it while mounted in this guest, then detach it, keeping the file.
   */
  private async withNewDisk(id: string, parent: string | undefined, fill: (fs: ReturnType<GuestDisk["mount"]>) => void): Promise<void> {
    const c = await this.client();
    const vm: ManagedObjectReference = { _type: "ManagedObjectReference", type: "VirtualMachine", value: this.vch.hw.vm.moref };
    const devices = ((await c.retrieveOne(vm, ["config.hardware.device"]))["config.hardware.device"] as { _type: string; key: number; controllerKey?: number; unitNumber?: number; busNumber?: number }[]) ?? [];
    const scsi = devices.find((d) => /SCSIController$/.test(d._type) || d._type === "ParaVirtualSCSIController");
    if (!scsi) throw new Error("the appliance has no SCSI controller to attach image disks to");
    const used = new Set(devices.filter((d) => d.controllerKey === scsi.key).map((d) => d.unitNumber));
    const unit = [...Array(16).keys()].find((u) => u !== 7 && !used.has(u));
    if (unit === undefined) throw new Error("the appliance's SCSI controller is full");
    await this.mkdir(id);
    const fileName = this.vmdk(id);
    let off = () => {};
    const seen = new Promise<GuestDisk>((resolve) => {
      off = this.vch.hw.onDiskAdded((d) => {
        if (d.fileName === fileName) resolve(d);
      });
    });
    const add = {
      _type: "VirtualDeviceConfigSpec", operation: "add", fileOperation: "create",
      device: {
        _type: "VirtualDisk", key: -1, controllerKey: scsi.key, unitNumber: unit, capacityInKB: DISK_KB,
        backing: {
          _type: "VirtualDiskFlatVer2BackingInfo", fileName, diskMode: "persistent", thinProvisioned: true,
          ...(parent ? { parent: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: this.vmdk(parent), diskMode: "persistent" } } : {}),
        },
      },
    };
    await c.waitForTask((await c.call("ReconfigVM_Task", vm, { spec: { _type: "VirtualMachineConfigSpec", deviceChange: [add] } })) as ManagedObjectReference);
    const disk = this.vch.hw.disks.find((d) => d.fileName === fileName) ?? (await seen);
    off();
    try {
      const fs = disk.mount();
      try {
        fill(fs);
      } finally {
        disk.unmount();
      }
    } finally {
      const now = ((await c.retrieveOne(vm, ["config.hardware.device"]))["config.hardware.device"] as { _type: string; key: number; backing?: { fileName?: string } }[]) ?? [];
      const dev = now.find((d) => d.backing?.fileName === fileName);
      if (dev) await c.waitForTask((await c.call("ReconfigVM_Task", vm, { spec: { _type: "VirtualMachineConfigSpec", deviceChange: [{ _type: "VirtualDeviceConfigSpec", operation: "remove", device: dev }] } })) as ManagedObjectReference);
    }
  }

  /** the empty bottom of every chain; made once per store */
  private async ensureScratch(): Promise<void> {
    const parents = await this.loadParents();
    if (parents.has(SCRATCH)) return;
    this.log.info(`creating image store ${this.dsPath("")}`);
    await this.mkdir("");
    await this.withNewDisk(SCRATCH, undefined, () => {});
    parents.set(SCRATCH, "");
    await this.upload(`${SCRATCH}/imageMetadata/metaData`, Buffer.from(JSON.stringify({ id: SCRATCH, parent: "", size: 0 })));
    await this.saveParents();
  }

  /** WriteImage: one layer onto its parent (undefined: scratch). Returns the layer's unpacked size. */
  writeLayer(id: string, parent: string | undefined, diffId: string, tar: Buffer): Promise<number> {
    return this.serial(async () => {
      await this.ensureScratch();
      const parents = await this.loadParents();
      const under = parent ?? SCRATCH;
      if (!parents.has(under)) throw new Error(`layer ${id}: parent ${under} is not in the store`);
      const entries = readTar(tar);
      const size = entries.reduce((n, e) => n + (e.data?.length ?? 0), 0);
      if (!parents.has(id)) {
        await this.withNewDisk(id, under, (fs) => untarLayer(fs, entries));
        const meta: LayerMeta = { id, parent: under, diffId, size };
        await this.upload(`${id}/imageMetadata/metaData`, Buffer.from(JSON.stringify(meta)));
        this.metas.set(id, meta);
        parents.set(id, under);
        await this.saveParents();
        this.log.info(`layer ${id.slice(0, 12)} written over ${under.slice(0, 12)} (${entries.length} entries)`);
      }
      return size;
    });
  }

  private async meta(id: string): Promise<LayerMeta | undefined> {
    if (this.metas.has(id)) return this.metas.get(id);
    const raw = await this.download(`${id}/imageMetadata/metaData`);
    if (!raw) return undefined;
    const m = JSON.parse(raw.toString("utf8")) as LayerMeta;
    this.metas.set(id, m);
    return m;
  }

  /** record the image on its top layer: tags move here from any other image of the repository */
  tagImage(layer: string, image: Omit<ImageRecord, "layer" | "layers" | "size">): Promise<void> {
    return this.serial(async () => {
      for (const other of await this.listUnlocked()) {
        if (other.layer === layer || other.repository !== image.repository || other.registry !== image.registry) continue;
        const keep = other.tags.filter((t) => !image.tags.includes(t));
        if (keep.length !== other.tags.length) await this.saveImage(other.layer, { ...this.recordOf(other), tags: keep });
      }
      const current = await this.meta(layer);
      const tags = [...new Set([...(current?.image?.tags ?? []), ...image.tags])];
      const digests = [...new Set([...(current?.image?.digests ?? []), ...image.digests])];
      await this.saveImage(layer, { ...image, tags, digests });
    });
  }

  private recordOf(r: ImageRecord): Omit<ImageRecord, "layer" | "layers" | "size"> {
    const { layer: _l, layers: _ls, size: _s, ...rest } = r;
    return rest;
  }

  private async saveImage(layer: string, image: Omit<ImageRecord, "layer" | "layers" | "size">): Promise<void> {
    const m = await this.meta(layer);
    if (!m) throw new Error(`layer ${layer} is not in the store`);
    const next = { ...m, image };
    await this.upload(`${layer}/imageMetadata/metaData`, Buffer.from(JSON.stringify(next)));
    this.metas.set(layer, next);
  }

  /** ListImages: the images, read back from the datastore */
  list(): Promise<ImageRecord[]> {
    return this.serial(() => this.listUnlocked());
  }

  private async listUnlocked(): Promise<ImageRecord[]> {
    const parents = await this.loadParents();
    const out: ImageRecord[] = [];
    for (const id of parents.keys()) {
      const m = await this.meta(id);
      if (!m?.image) continue;
      const layers: string[] = [];
      let size = 0;
      for (let cur: string | undefined = id; cur && cur !== SCRATCH; cur = parents.get(cur)) {
        layers.unshift(cur);
        size += (await this.meta(cur))?.size ?? 0;
      }
      out.push({ ...m.image, layer: id, layers, size });
    }
    return out;
  }

  /**
   * Drop a tag (or all of the image's names); an image left without names
   * is deleted, with every layer of its chain that no other image stands
   * on. Returns what was untagged and deleted, as `docker rmi` prints it.
   */
  removeImage(layer: string, tag: string | undefined): Promise<{ untagged: string[]; deleted: string[] }> {
    return this.serial(async () => {
      const parents = await this.loadParents();
      const m = await this.meta(layer);
      if (!m?.image) throw new Error(`layer ${layer} holds no image`);
      const image = m.image;
      const untagged = tag ? [tag] : image.tags;
      const left = image.tags.filter((t) => !untagged.includes(t));
      if (left.length) {
        await this.saveImage(layer, { ...image, tags: left });
        return { untagged, deleted: [] };
      }
      // the layers other images (or other layers) still need
      const needed = new Set<string>();
      for (const [id, parent] of parents) {
        if (id !== layer && parent) needed.add(parent);
        if (id !== layer && (await this.meta(id))?.image) for (let cur: string | undefined = id; cur && cur !== SCRATCH; cur = parents.get(cur)) needed.add(cur);
      }
      const deleted: string[] = [];
      const c = await this.client();
      for (let cur: string | undefined = layer; cur && cur !== SCRATCH && !needed.has(cur); ) {
        const next: string | undefined = parents.get(cur);
        try {
          await c.waitForTask((await c.call("DeleteDatastoreFile_Task", c.content.fileManager!, { name: this.dsPath(cur) })) as ManagedObjectReference);
        } catch (e) {
          if (!(isVimFault(e) && e.type === "FileNotFound")) throw e;
        }
        parents.delete(cur);
        this.metas.delete(cur);
        deleted.push(cur);
        cur = next;
      }
      await this.saveParents();
      this.log.info(`image ${image.id.slice(7, 19)} deleted (${deleted.length} layer(s))`);
      return { untagged, deleted: [image.id, ...deleted.map((d) => `sha256:${d}`)] };
    });
  }

  /** the leaf VMDK a container disk is made a child of */
  layerDisk(layer: string): string {
    return this.vmdk(layer);
  }
}
