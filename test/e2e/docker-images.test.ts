// Images through the real docker CLI against a VCH in an in-process
// simulator: `docker pull` from the hermetic registry standing in for Docker
// Hub, each layer a VMDK child of the one below on the image datastore,
// `docker images` and `image inspect` read back from the store, the
// registry's refusals as the CLI shows them, and the images still there
// after the appliance VM is power-cycled.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTar } from "../../formats/tar.ts";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { VIC_GUEST_PROGRAMS } from "../../vic/guest-programs.ts";
import type { VimClient } from "../../vim25/client/index.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { connect } from "../helpers.ts";
import { dockerHost, dockerOnVch, machine } from "./helpers.ts";

describe("docker pull and images on a VCH", () => {
  let sim: RunningSimulator;
  let client: VimClient;
  let cwd: string;
  let ip: string;
  let vm: ManagedObjectReference;
  const onVch = dockerOnVch(() => cwd, () => ip);
  const d = (...args: string[]) => onVch(args);

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab", guestPrograms: { ...VIC_GUEST_PROGRAMS } });
    client = await connect(sim);
    cwd = mkdtempSync(join(tmpdir(), "vic-images-"));
    const { code, lines } = await machine(cwd, ["create", "--target", `root:homelab-pw@127.0.0.1:${sim.port}`, "--image-datastore", "mydatastore", "--bridge-network", "VCH Bridge", "--name", "VCH001"]);
    expect(code, lines.join("\n")).toBe(0);
    ip = dockerHost(lines)!;
    const vms = await client.retrieveFromContainer(client.content.rootFolder, "VirtualMachine", ["name"]);
    vm = { _type: "ManagedObjectReference", type: "VirtualMachine", value: [...vms].find(([, r]) => r.name === "VCH001")![0] };
  });
  afterAll(async () => {
    await client?.logout();
    await sim?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it("pulls hello-world from the hermetic Docker Hub with the engine's lines, into layer disks on the datastore", async () => {
    const pull = await d("pull", "hello-world");
    expect(pull.status, pull.stderr).toBe(0);
    const lines = pull.stdout.trim().split("\n");
    expect(lines[0]).toBe("Using default tag: latest");
    expect(lines[1]).toBe("latest: Pulling from library/hello-world");
    expect(lines).toContainEqual(expect.stringMatching(/^[0-9a-f]{12}: Pull complete$/));
    expect(lines).toContainEqual(expect.stringMatching(/^Digest: sha256:[0-9a-f]{64}$/));
    expect(lines).toContain("Status: Downloaded newer image for hello-world:latest");
    expect(lines[lines.length - 1]).toBe("docker.io/library/hello-world:latest");

    // the store: scratch at the bottom, the layer a delta disk over it, holding /hello
    const uuid = (await client.retrieveOne(vm, ["config.uuid"]))["config.uuid"] as string;
    const root = `VCH001/images/VIC/${uuid}/images`;
    const parentMap = JSON.parse((await client.downloadFile("mydatastore", `${root}/parentMap`)).toString()) as Record<string, string>;
    const layer = Object.keys(parentMap).find((k) => parentMap[k] === "scratch")!;
    expect(layer).toMatch(/^[0-9a-f]{64}$/);
    const descriptor = (await client.downloadFile("mydatastore", `${root}/${layer}/${layer}.vmdk`)).toString();
    expect(descriptor).toMatch(/parentFileNameHint=".*\/scratch\/scratch\.vmdk"/);
    const extent = /"([^"]+-delta\.vmdk)"/.exec(descriptor)![1];
    // a vmfsSparse delta holds what was written to it and no more (a flat extent would be the disk's 8 GB)
    const delta = await client.downloadFile("mydatastore", `${root}/${layer}/${extent}`);
    expect(delta.length).toBeLessThan(64 * 1024);
    const files = readTar(delta);
    expect(files.map((f) => f.path)).toContain("hello");
    // the appliance let go of the disks it wrote
    const devices = (await client.retrieveOne(vm, ["config.hardware.device"]))["config.hardware.device"] as { _type: string }[];
    expect(devices.filter((x) => x._type === "VirtualDisk")).toEqual([]);
  });

  it("lists and inspects images, says when one is up to date, and refuses what the registry does not have", async () => {
    const busybox = await d("pull", "busybox:latest");
    expect(busybox.status, busybox.stderr).toBe(0);
    const again = await d("pull", "hello-world");
    expect(again.stdout.trim().split("\n")).toEqual([
      "Using default tag: latest",
      "latest: Pulling from library/hello-world",
      expect.stringMatching(/^Digest: sha256:[0-9a-f]{64}$/),
      "Status: Image is up to date for hello-world:latest",
      "docker.io/library/hello-world:latest",
    ]);
    const images = await d("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}");
    expect(images.status, images.stderr).toBe(0);
    expect(images.stdout.trim().split("\n").map((l) => l.split(" ")[0]).sort()).toEqual(["busybox:latest", "hello-world:latest"]);
    const inspect = await d("image", "inspect", "--format", "{{json .Config.Cmd}} {{.Os}}/{{.Architecture}} {{len .RootFS.Layers}}", "hello-world");
    expect(inspect.stdout.trim()).toBe('["/hello"] linux/amd64 1');
    const info = await d("info", "--format", "{{.Images}}");
    expect(info.stdout.trim()).toBe("2");

    const missing = await d("pull", "no-such-image");
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("pull access denied for no-such-image, repository does not exist or may require 'docker login'");
    const tag = await d("pull", "hello-world:nope");
    expect(tag.status).toBe(1);
    expect(tag.stderr).toContain("manifest for hello-world:nope not found: manifest unknown");
    const noImage = await d("image", "inspect", "nothing-here");
    expect(noImage.status).toBe(1);
    expect(noImage.stderr).toContain("No such image: nothing-here");
  });

  it("keeps the images across a power cycle of the appliance: they live on the datastore", async () => {
    await client.waitForTask((await client.call("PowerOffVM_Task", vm)) as ManagedObjectReference);
    await client.waitForTask((await client.call("PowerOnVM_Task", vm)) as ManagedObjectReference);
    await client.waitForProperties(vm, ["config.extraConfig"], (r) => ((r["config.extraConfig"] as { key: string; value: string }[]) ?? []).some((o) => o.key === "guestinfo..init.sessions|docker-personality.started" && o.value === "true"), { timeoutMs: 20_000 });
    const images = await d("images", "--format", "{{.Repository}}:{{.Tag}}");
    expect(images.status, images.stderr).toBe(0);
    expect(images.stdout.trim().split("\n").sort()).toEqual(["busybox:latest", "hello-world:latest"]);
  });

  it("is removed by vic-machine delete, image store and all", async () => {
    const { code, lines } = await machine(cwd, ["delete", "--target", `root:homelab-pw@127.0.0.1:${sim.port}`, "--name", "VCH001"]);
    expect(code, lines.join("\n")).toBe(0);
    const browser = (await client.retrieveFromContainer(client.content.rootFolder, "Datastore", ["browser"])).values().next().value!.browser as ManagedObjectReference;
    const found = (await client.waitForTask((await client.call("SearchDatastore_Task", browser, { datastorePath: "[mydatastore]", searchSpec: { _type: "HostDatastoreBrowserSearchSpec", matchPattern: ["*"] } })) as ManagedObjectReference)) as { file?: { path: string }[] };
    expect((found.file ?? []).map((f) => f.path)).toEqual([]);
  });
});
