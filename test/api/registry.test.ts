// The hermetic registry, through the Distribution API v2 pull flow as the
// engine runs it (../shared/spec/docker.md §5): the Bearer challenge and
// token, the tag resolved by HEAD with each Accept set, the manifest by
// digest, the config and layers checked against their digests, Range, and
// the registry's errors. Then from inside the simulated network: a guest
// reaches Docker Hub's names and gets the same registry.
import { createHash } from "node:crypto";
import https from "node:https";
import type { Socket } from "node:net";
import tls from "node:tls";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildGuestIso } from "../../formats/iso9660.ts";
import { readTar } from "../../formats/tar.ts";
import type { GuestHardware } from "../../hardware/guest-hardware.ts";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { ManualClock } from "../../simulator/clock.ts";
import { FileTree } from "../../simulator/guest/file-tree.ts";
import { applyLayer, layerFromTar } from "../../simulator/guest/layers.ts";
import { Userland } from "../../simulator/guest/userland/userland.ts";
import { buildImages, MEDIA } from "../../simulator/registry/image-builder.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { moref } from "../../vim25/soap/index.ts";
import { connect } from "../helpers.ts";
import { fileURLToPath } from "node:url";

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(url: string, opts: { method?: string; headers?: Record<string, string | string[]> } = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: opts.method ?? "GET", headers: opts.headers, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const ALL = [MEDIA.dockerManifest, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.ociIndex, "application/vnd.docker.distribution.manifest.v1+prettyjws", "application/json"];

describe("the hermetic registry", () => {
  let sim: RunningSimulator;
  let base: string;
  const tokenFor = async (repo: string) => {
    const r = await get(`${base}/token?scope=${encodeURIComponent(`repository:${repo}:pull`)}&service=registry.docker.io`);
    const body = JSON.parse(r.body.toString());
    expect(body).toMatchObject({ expires_in: 300 });
    expect(body.token).toBe(body.access_token);
    return { Authorization: `Bearer ${body.token}` };
  };

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab", guestPrograms: { "registry-probe": registryProbe } });
    base = sim.registry!.url;
  });
  afterAll(() => sim?.close());

  it("challenges as Docker Hub does, and takes the token it issues", async () => {
    const ping = await get(`${base}/v2/`);
    expect(ping.status).toBe(401);
    expect(ping.headers["www-authenticate"]).toMatch(/^Bearer realm="https:\/\/127\.0\.0\.1:\d+\/token",service="registry\.docker\.io"$/);
    expect(ping.headers["docker-distribution-api-version"]).toBe("registry/2.0");
    const noToken = await get(`${base}/v2/library/hello-world/manifests/latest`);
    expect(noToken.status).toBe(401);
    expect(noToken.headers["www-authenticate"]).toContain('scope="repository:library/hello-world:pull"');
    expect(JSON.parse(noToken.body.toString()).errors[0].code).toBe("UNAUTHORIZED");
    const auth = await tokenFor("library/hello-world");
    expect((await get(`${base}/v2/`, { headers: auth })).status).toBe(200);
    // a token for one repository does not open another
    expect((await get(`${base}/v2/library/busybox/manifests/latest`, { headers: auth })).status).toBe(401);
    expect((await get(`${base}/v2/library/busybox/manifests/latest`, { headers: { Authorization: `${auth.Authorization.slice(0, -2)}xx` } })).status).toBe(401);
  });

  it("resolves a tag to the richest manifest the client accepts, with its digest, and by digest to the exact bytes", async () => {
    const auth = await tokenFor("library/hello-world");
    const url = `${base}/v2/library/hello-world/manifests/latest`;
    const cases: [string[], string][] = [
      [ALL, MEDIA.ociIndex],
      [[MEDIA.dockerManifest, MEDIA.dockerList], MEDIA.dockerList],
      [[MEDIA.dockerManifest], MEDIA.dockerManifest],
      [[MEDIA.ociManifest], MEDIA.ociManifest],
      [[], MEDIA.dockerManifest],
    ];
    for (const [accept, type] of cases) {
      // as Go sends them: one Accept line per type
      const head = await get(url, { method: "HEAD", headers: { ...auth, ...(accept.length ? { Accept: accept } : {}) } });
      expect(head.status, accept.join()).toBe(200);
      expect(head.headers["content-type"]).toBe(type);
      const body = await get(url, { headers: { ...auth, ...(accept.length ? { Accept: accept.join(", ") } : {}) } });
      expect(body.headers["docker-content-digest"]).toBe(head.headers["docker-content-digest"]);
      expect(sha(body.body)).toBe(head.headers["docker-content-digest"]);
      expect(Number(head.headers["content-length"])).toBe(body.body.length);
      expect(JSON.parse(body.body.toString()).mediaType).toBe(type);
    }
    const schema1 = await get(url, { headers: { ...auth, Accept: "application/vnd.docker.distribution.manifest.v1+prettyjws" } });
    expect(schema1.status).toBe(404);
    expect(JSON.parse(schema1.body.toString()).errors[0].code).toBe("MANIFEST_UNKNOWN");
    expect((await get(`${base}/v2/library/hello-world/manifests/nope`, { headers: auth })).status).toBe(404);
    expect(JSON.parse((await get(`${base}/v2/library/hello-world/manifests/sha256:${"0".repeat(64)}`, { headers: auth })).body.toString()).errors[0].code).toBe("MANIFEST_UNKNOWN");
  });

  it("serves the pull flow end to end: index, manifest, config, layers, each matching its digest, and /hello greets", async () => {
    const auth = await tokenFor("library/hello-world");
    const index = JSON.parse((await get(`${base}/v2/library/hello-world/manifests/latest`, { headers: { ...auth, Accept: ALL } })).body.toString());
    const entry = index.manifests.find((m: { platform: { os: string; architecture: string } }) => m.platform.os === "linux" && m.platform.architecture === "amd64");
    const mRes = await get(`${base}/v2/library/hello-world/manifests/${entry.digest}`, { headers: { ...auth, Accept: ALL } });
    expect(sha(mRes.body)).toBe(entry.digest);
    expect(mRes.headers["content-type"]).toBe(MEDIA.ociManifest);
    const manifest = JSON.parse(mRes.body.toString());
    const cfgBody = (await get(`${base}/v2/library/hello-world/blobs/${manifest.config.digest}`, { headers: auth })).body;
    expect(sha(cfgBody)).toBe(manifest.config.digest);
    const config = JSON.parse(cfgBody.toString());
    expect(config).toMatchObject({ architecture: "amd64", os: "linux", config: { Cmd: ["/hello"] } });
    const tree = new FileTree(() => new Date(0));
    for (const [i, l] of manifest.layers.entries()) {
      const gz = (await get(`${base}/v2/library/hello-world/blobs/${l.digest}`, { headers: auth })).body;
      expect(sha(gz)).toBe(l.digest);
      expect(gz.length).toBe(l.size);
      const tar = gunzipSync(gz);
      expect(sha(tar)).toBe(config.rootfs.diff_ids[i]);
      applyLayer(tree, layerFromTar(readTar(tar)));
    }
    const p = new Userland({ root: tree, hostname: "c", clock: new ManualClock() }).spawn({ argv: config.config.Cmd });
    const [out, st] = await Promise.all([p.stdout.readAll(), p.wait()]);
    expect(out.toString().split("\n")[0]).toBe("Hello from Docker!");
    expect(out.toString()).toContain("The Docker daemon pulled the \"hello-world\" image from the Docker Hub.");
    expect(st.exitCode).toBe(0);

    // Range, as a resumed download asks
    const whole = (await get(`${base}/v2/library/hello-world/blobs/${manifest.layers[0].digest}`, { headers: auth })).body;
    const part = await get(`${base}/v2/library/hello-world/blobs/${manifest.layers[0].digest}`, { headers: { ...auth, Range: "bytes=10-" } });
    expect(part.status).toBe(206);
    expect(part.headers["content-range"]).toBe(`bytes 10-${whole.length - 1}/${whole.length}`);
    expect(part.body).toEqual(whole.subarray(10));
    const blobErr = async (d: string) => JSON.parse((await get(`${base}/v2/library/hello-world/blobs/${d}`, { headers: auth })).body.toString()).errors[0].code;
    expect(await blobErr(`sha256:${"a".repeat(64)}`)).toBe("BLOB_UNKNOWN");
    expect(await blobErr("md5:abc")).toBe("DIGEST_INVALID");
    const unknown = await get(`${base}/v2/library/nothing-here/manifests/latest`, { headers: await tokenFor("library/nothing-here") });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body.toString()).errors[0].code).toBe("NAME_UNKNOWN");
  });

  it("has busybox with a link per applet, and builds the same digests every time", async () => {
    const images = buildImages(fileURLToPath(new URL("../../scenarios/images/", import.meta.url)));
    const again = buildImages(fileURLToPath(new URL("../../scenarios/images/", import.meta.url)));
    expect([...images.keys()].sort()).toEqual(["library/busybox", "library/hello-world"]);
    for (const [repo, img] of images) expect([...img.manifests.keys()]).toEqual([...again.get(repo)!.manifests.keys()]);
    const bb = images.get("library/busybox")!;
    const manifest = JSON.parse(bb.tags.get("latest")!.dockerManifest.data.toString());
    const tree = new FileTree(() => new Date(0));
    for (const l of manifest.layers) applyLayer(tree, layerFromTar(readTar(gunzipSync(bb.blobs.get(l.digest)!.data))));
    expect(tree.exists("/bin/sh") && tree.exists("/bin/ls") && tree.exists("/etc/passwd") && tree.exists("/tmp")).toBe(true);
    // every applet link is the busybox binary, "[" (sorted before "busybox") included
    expect(tree.readFile("/bin/[").toString()).toBe("#!/sim/busybox\n");
    const p = new Userland({ root: tree, hostname: "c", clock: new ManualClock() }).spawn({ argv: ["sh", "-c", "echo out; echo err >&2; ls /etc; exit 3"] });
    const [out, err, st] = await Promise.all([p.stdout.readAll(), p.stderr.readAll(), p.wait()]);
    expect(out.toString()).toBe("out\ngroup\npasswd\n");
    expect(err.toString()).toBe("err\n");
    expect(st.exitCode).toBe(3);
  });

  it("is Docker Hub inside the simulated network: a guest resolves registry-1.docker.io and gets the registry on 443", async () => {
    const c = await connect(sim);
    try {
      await c.uploadFile("mydatastore", "probe.iso", buildGuestIso("registry-probe", [], sim.sim.clock.now()));
      const task = (await c.call("CreateVM_Task", moref("Folder", "ha-folder-vm"), {
        config: {
          _type: "VirtualMachineConfigSpec", name: "probe", guestId: "otherLinux64Guest", memoryMB: 64, numCPUs: 1,
          files: { _type: "VirtualMachineFileInfo", vmPathName: "[mydatastore]" },
          deviceChange: [
            { _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "VirtualVmxnet3", key: -1, backing: { _type: "VirtualEthernetCardNetworkBackingInfo", deviceName: "VM Network" }, addressType: "generated" } },
            { _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "VirtualCdrom", key: -2, controllerKey: 200, unitNumber: 0, backing: { _type: "VirtualCdromIsoBackingInfo", fileName: "[mydatastore] probe.iso" }, connectable: { _type: "VirtualDeviceConnectInfo", startConnected: true, allowGuestControl: false, connected: false } } },
          ],
        },
        pool: moref("ResourcePool", "ha-root-pool"),
      })) as ManagedObjectReference;
      const vm = (await c.waitForTask(task)) as ManagedObjectReference;
      await c.waitForTask((await c.call("PowerOnVM_Task", vm)) as ManagedObjectReference);
      const r = await c.waitForProperties(vm, ["config.extraConfig"], (v) => ((v["config.extraConfig"] as { key: string }[]) ?? []).some((o) => o.key === "guestinfo.probe"), { timeoutMs: 10_000 });
      const result = JSON.parse(String((r["config.extraConfig"] as { key: string; value: string }[]).find((o) => o.key === "guestinfo.probe")!.value));
      expect(result.address).toBe(sim.registry!.address);
      expect(result.status).toMatch(/^HTTP\/1\.1 401 /);
      expect(result.challenge).toContain('realm="https://auth.docker.io/token"');
      expect(result.unknown).toBe("ENOTFOUND");
      await c.waitForTask((await c.call("PowerOffVM_Task", vm)) as ManagedObjectReference);
    } finally {
      await c.logout();
    }
  });
});

/** A guest that looks up Docker Hub, asks for /v2/ over TLS from its NIC, and reports in guestinfo. */
async function registryProbe(hw: GuestHardware): Promise<void> {
  const nic = hw.nics[0];
  nic.dhcp();
  const address = nic.lookup("registry-1.docker.io");
  const unknown = await new Promise<string>((resolve) => {
    const s = nic.connect("no-such-host.example", 443);
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    s.on("connect", () => resolve("connected"));
  });
  const raw: Socket = nic.connect("registry-1.docker.io", 443);
  const t = tls.connect({ socket: raw, servername: "registry-1.docker.io", rejectUnauthorized: false });
  const answer = await new Promise<string>((resolve, reject) => {
    let buf = "";
    t.on("secureConnect", () => t.write("GET /v2/ HTTP/1.1\r\nHost: registry-1.docker.io\r\nConnection: close\r\n\r\n"));
    t.on("data", (d: Buffer) => (buf += d.toString()));
    t.on("end", () => resolve(buf));
    t.on("error", reject);
  });
  const lines = answer.split("\r\n");
  hw.guestinfo.set("guestinfo.probe", JSON.stringify({ address, status: lines[0], challenge: lines.find((l) => /^www-authenticate:/i.test(l)) ?? "", unknown }));
}
