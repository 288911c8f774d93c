// Images for the hermetic registry, built from scenario folders
// (scenarios/images/<name>/image.yaml): each layer a gzip'd tar of a folder
// (plus, where asked, the simulated busybox with a link per applet), an
// image config, a Docker schema 2 and an OCI manifest for linux/amd64, and
// a Docker manifest list and an OCI index above them. Everything is
// deterministic (sorted entries, the image's `created` as every mtime, no
// gzip timestamp), so the digests are the same on every run and machine
// with the same zlib.
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { parse as parseYaml } from "yaml";
import { BUSYBOX_BINARY } from "../../hardware/guest-hardware.ts";
import { writeTar, type TarEntry } from "../../formats/tar.ts";
import { Userland } from "../guest/userland/userland.ts";

export const MEDIA = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  ociLayer: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

export interface Blob {
  digest: string;
  mediaType: string;
  data: Buffer;
}

/** One tag's documents, by kind: the same image four ways. */
export interface TagManifests {
  ociIndex: Blob;
  dockerList: Blob;
  dockerManifest: Blob;
  ociManifest: Blob;
}

export interface RegistryImage {
  /** "library/hello-world" */
  repository: string;
  tags: Map<string, TagManifests>;
  /** every manifest of the repository by digest */
  manifests: Map<string, Blob>;
  /** config and layers by digest */
  blobs: Map<string, Blob>;
  /** the config's digest: the image ID */
  configDigest: string;
}

export class ImageDefinitionError extends Error {}

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const blob = (mediaType: string, data: Buffer): Blob => ({ digest: sha256(data), mediaType, data });
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

interface LayerSpec {
  dir?: string;
  busybox?: string;
  dirs?: string[];
  comment?: string;
}

function folderEntries(root: string, mtime: Date): TarEntry[] {
  const out: TarEntry[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const path = relative(root, full).split("\\").join("/");
      const st = lstatSync(full);
      if (st.isSymbolicLink()) out.push({ path, type: "symlink", mode: 0o777, uid: 0, gid: 0, mtime, linkname: readlinkSync(full) });
      else if (st.isDirectory()) {
        out.push({ path, type: "dir", mode: 0o755, uid: 0, gid: 0, mtime });
        walk(full);
      } else {
        const data = readFileSync(full);
        // git keeps only the executable bit: scripts and our binaries are 755, the rest 644
        const exec = (st.mode & 0o111) !== 0 || data.subarray(0, 2).toString("latin1") === "#!";
        out.push({ path, type: "file", mode: exec ? 0o755 : 0o644, uid: 0, gid: 0, mtime, data });
      }
    }
  };
  walk(root);
  return out;
}

function layerTar(folder: string, spec: LayerSpec, mtime: Date): Buffer {
  const entries = new Map<string, TarEntry>();
  const add = (e: TarEntry) => entries.set(e.path, e);
  const dirsOf = (p: string) => {
    const parts = p.split("/");
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join("/");
      if (!entries.has(d)) add({ path: d, type: "dir", mode: 0o755, uid: 0, gid: 0, mtime });
    }
  };
  if (spec.dir) {
    const root = join(folder, spec.dir);
    if (!existsSync(root)) throw new ImageDefinitionError(`${folder}: layer folder ${spec.dir} does not exist`);
    for (const e of folderEntries(root, mtime)) add(e);
  }
  for (const d of spec.dirs ?? []) {
    const p = d.replace(/^\/+|\/+$/g, "");
    dirsOf(`${p}/x`);
    add({ path: p, type: "dir", mode: p === "tmp" ? 0o1777 : 0o755, uid: 0, gid: 0, mtime });
  }
  if (spec.busybox) {
    const bin = spec.busybox.replace(/^\/+|\/+$/g, "");
    dirsOf(`${bin}/busybox`);
    add({ path: `${bin}/busybox`, type: "file", mode: 0o755, uid: 0, gid: 0, mtime, data: Buffer.from(BUSYBOX_BINARY) });
    for (const a of Userland.applets()) if (a !== "busybox" && !entries.has(`${bin}/${a}`)) add({ path: `${bin}/${a}`, type: "hardlink", mode: 0o755, uid: 0, gid: 0, mtime, linkname: `${bin}/busybox` });
  }
  for (const p of [...entries.keys()]) dirsOf(p);
  // by path, hard links last: a link's target must come before it in the archive
  const byPath = [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return writeTar([...byPath.filter((e) => e.type !== "hardlink"), ...byPath.filter((e) => e.type === "hardlink")]);
}

/** One image folder: image.yaml and the folders its layers name. */
export function buildImage(folder: string): RegistryImage {
  const file = join(folder, "image.yaml");
  let doc: Record<string, unknown>;
  try {
    doc = parseYaml(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new ImageDefinitionError(`${file}: ${(e as Error).message}`);
  }
  const repository = doc.repository;
  if (typeof repository !== "string" || !/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repository)) throw new ImageDefinitionError(`${file}: repository must be a repository name such as library/busybox`);
  const tags = (doc.tags as unknown[] | undefined) ?? ["latest"];
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === "string" && /^[\w][\w.-]{0,127}$/.test(t))) throw new ImageDefinitionError(`${file}: tags must be a list of tag names`);
  const created = new Date(String(doc.created ?? "2016-08-06T19:50:00Z"));
  if (Number.isNaN(created.getTime())) throw new ImageDefinitionError(`${file}: created is not a time`);
  const layers = (doc.layers as LayerSpec[] | undefined) ?? [];
  if (!Array.isArray(layers) || !layers.length) throw new ImageDefinitionError(`${file}: an image needs at least one layer`);

  const blobs = new Map<string, Blob>();
  const diffIds: string[] = [];
  const layerBlobs: Blob[] = [];
  const history: Record<string, unknown>[] = [];
  for (const l of layers) {
    const tar = layerTar(folder, l, created);
    diffIds.push(sha256(tar));
    // level 9 and no name or time in the header: the same bytes every time
    const gz = blob(MEDIA.dockerLayer, gzipSync(tar, { level: 9 }));
    blobs.set(gz.digest, gz);
    layerBlobs.push(gz);
    history.push({ created: created.toISOString().replace(/\.000Z$/, "Z"), created_by: l.comment ?? "ADD rootfs /" });
  }
  const cfg = (doc.config as Record<string, unknown> | undefined) ?? {};
  const config = blob(MEDIA.dockerConfig, json({
    architecture: "amd64",
    config: { Env: cfg.Env ?? null, Cmd: cfg.Cmd ?? null, Entrypoint: cfg.Entrypoint ?? null, WorkingDir: cfg.WorkingDir ?? "", Labels: cfg.Labels ?? null, User: cfg.User ?? "", ExposedPorts: cfg.ExposedPorts, Volumes: cfg.Volumes, StopSignal: cfg.StopSignal },
    created: created.toISOString().replace(/\.000Z$/, "Z"),
    history,
    os: "linux",
    rootfs: { type: "layers", diff_ids: diffIds },
  }));
  blobs.set(config.digest, config);

  const manifests = new Map<string, Blob>();
  const docker = blob(MEDIA.dockerManifest, json({
    schemaVersion: 2, mediaType: MEDIA.dockerManifest,
    config: { mediaType: MEDIA.dockerConfig, size: config.data.length, digest: config.digest },
    layers: layerBlobs.map((b) => ({ mediaType: MEDIA.dockerLayer, size: b.data.length, digest: b.digest })),
  }));
  const oci = blob(MEDIA.ociManifest, json({
    schemaVersion: 2, mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, size: config.data.length, digest: config.digest },
    layers: layerBlobs.map((b) => ({ mediaType: MEDIA.ociLayer, size: b.data.length, digest: b.digest })),
  }));
  const platform = { architecture: "amd64", os: "linux" };
  const list = blob(MEDIA.dockerList, json({ schemaVersion: 2, mediaType: MEDIA.dockerList, manifests: [{ mediaType: MEDIA.dockerManifest, size: docker.data.length, digest: docker.digest, platform }] }));
  const index = blob(MEDIA.ociIndex, json({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [{ mediaType: MEDIA.ociManifest, size: oci.data.length, digest: oci.digest, platform }] }));
  for (const m of [docker, oci, list, index]) manifests.set(m.digest, m);
  const byTag = new Map<string, TagManifests>();
  for (const t of tags as string[]) byTag.set(t, { ociIndex: index, dockerList: list, dockerManifest: docker, ociManifest: oci });
  return { repository, tags: byTag, manifests, blobs, configDigest: config.digest };
}

/** Every image folder under `dir` (those with an image.yaml), by repository. */
export function buildImages(dir: string): Map<string, RegistryImage> {
  const out = new Map<string, RegistryImage>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const folder = join(dir, name);
    if (!existsSync(join(folder, "image.yaml"))) continue;
    const img = buildImage(folder);
    if (out.has(img.repository)) throw new ImageDefinitionError(`${folder}: repository ${img.repository} is defined twice`);
    out.set(img.repository, img);
  }
  return out;
}
