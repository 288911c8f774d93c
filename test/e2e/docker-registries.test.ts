// A VCH pointed at another registry: --registry-mirror on create makes
// Docker Hub pulls go to the mirror, and a registry of another name is
// pulled from by its own name; the same pull code either way. The mirror
// serves its own hello-world, so the test can tell where an image came from.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { buildImages } from "../../simulator/registry/image-builder.ts";
import { Registry } from "../../simulator/registry/registry.ts";
import { VIC_GUEST_PROGRAMS } from "../../vic/guest-programs.ts";
import { selfSignedServer } from "../../vic/lib/certificates.ts";
import { dockerHost, dockerOnVch, machine } from "./helpers.ts";

describe("a VCH with a registry mirror", () => {
  let sim: RunningSimulator;
  let server: https.Server;
  let cwd: string;
  let ip: string;

  const d = dockerOnVch(() => cwd, () => ip);

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), "vic-mirror-"));
    // the mirror's own images: a hello-world that says where it is from, and a tool under a team name
    const images = join(cwd, "mirror-images");
    for (const [dir, repo, text] of [["hello", "library/hello-world", "Hello from the mirror!"], ["tool", "team/tool", "tool from myreg"]]) {
      mkdirSync(join(images, dir, "rootfs"), { recursive: true });
      writeFileSync(join(images, dir, "image.yaml"), `repository: ${repo}\ntags: [latest]\ncreated: 2024-01-01T00:00:00Z\nconfig: { Cmd: ["/run"] }\nlayers:\n  - dir: rootfs\n`);
      writeFileSync(join(images, dir, "rootfs", "run"), `#!/sim/sh\necho '${text}'\n`);
      chmodSync(join(images, dir, "rootfs", "run"), 0o755);
    }
    sim = await startSimulator({ scenario: "homelab", guestPrograms: { ...VIC_GUEST_PROGRAMS } });
    const registry = new Registry(buildImages(images), "mirror-secret", sim.sim.clock);
    const pair = await selfSignedServer("mirror.example.com", ["myreg.example.com"], { now: new Date() });
    server = https.createServer({ cert: pair.cert, key: pair.key }, registry.handle);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as AddressInfo).port;
    sim.sim.guests.network.publish(["mirror.example.com", "myreg.example.com"], 443, port);

    const { code, lines } = await machine(cwd, ["create", "--target", `root:homelab-pw@127.0.0.1:${sim.port}`, "--image-datastore", "mydatastore", "--bridge-network", "VCH Bridge", "--name", "VCH001",
      "--registry-mirror", "https://mirror.example.com", "--insecure-registry", "myreg.example.com"]);
    expect(code, lines.join("\n")).toBe(0);
    ip = dockerHost(lines)!;
  });
  afterAll(async () => {
    await sim?.close();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    rmSync(cwd, { recursive: true, force: true });
  });

  it("pulls Docker Hub names through the mirror", async () => {
    const run = await d(["run", "--rm", "hello-world"]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe("Hello from the mirror!\n");
    const info = await d(["info", "--format", "{{json .RegistryConfig.IndexConfigs}}"]);
    expect(info.stdout).toContain("https://mirror.example.com");
  });

  it("pulls from a registry of another name by that name", async () => {
    const pull = await d(["pull", "myreg.example.com/team/tool"]);
    expect(pull.status, pull.stderr).toBe(0);
    expect(pull.stdout).toContain("Status: Downloaded newer image for myreg.example.com/team/tool:latest");
    const run = await d(["run", "--rm", "myreg.example.com/team/tool"]);
    expect(run.stdout).toBe("tool from myreg\n");
    const images = await d(["images", "--format", "{{.Repository}}"]);
    expect(images.stdout.trim().split("\n").sort()).toEqual(["hello-world", "myreg.example.com/team/tool"]);
    const unknown = await d(["pull", "nowhere.example.com/x"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("lookup nowhere.example.com: no such host");
  });
});
