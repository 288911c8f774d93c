// Named volumes on a VCH created with a volume store: `docker volume`
// create, ls, inspect and rm; `-v name:/path` attaching the volume's disk
// for tether to mount, so what one container writes the next one reads; a
// volume in use refused; host paths refused; and the volumes read back
// from the datastore after an appliance restart.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { VIC_GUEST_PROGRAMS } from "../../vic/guest-programs.ts";
import type { VimClient } from "../../vim25/client/index.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { connect } from "../helpers.ts";
import { dockerHost, dockerOnVch, machine } from "./helpers.ts";

describe("docker volumes on a VCH", () => {
  let sim: RunningSimulator;
  let client: VimClient;
  let cwd: string;
  let ip: string;
  const onVch = dockerOnVch(() => cwd, () => ip);
  const d = (...args: string[]) => onVch(args);

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab", guestPrograms: { ...VIC_GUEST_PROGRAMS } });
    client = await connect(sim);
    cwd = mkdtempSync(join(tmpdir(), "vic-volumes-"));
    const { code, lines } = await machine(cwd, ["create", "--target", `root:homelab-pw@127.0.0.1:${sim.port}`, "--image-datastore", "mydatastore", "--bridge-network", "VCH Bridge", "--volume-store", "default:mydatastore/volumes", "--name", "VCH001"]);
    expect(code, lines.join("\n")).toBe(0);
    ip = dockerHost(lines)!;
    expect((await d("pull", "busybox")).status).toBe(0);
  });
  afterAll(async () => {
    await client?.logout();
    await sim?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it("keeps what one container writes in a volume for the next", async () => {
    const created = await d("volume", "create", "--opt", "Capacity=512", "data");
    expect(created.stdout.trim()).toBe("data");
    const write = await d("run", "--rm", "-v", "data:/data", "busybox", "sh", "-c", "echo hello > /data/f; mkdir /data/sub; ls /data");
    expect(write.status, write.stderr).toBe(0);
    expect(write.stdout).toBe("f\nsub\n");
    const read = await d("run", "--rm", "-v", "data:/data:ro", "busybox", "sh", "-c", "cat /data/f; echo no > /data/g");
    expect(read.stdout).toBe("hello\n");
    expect(read.stderr).toMatch(/read-only file system/i);
    expect(read.status).not.toBe(0);
    // the container's own disk did not get the file: it is on the volume's
    expect((await d("run", "--rm", "busybox", "ls", "/data")).status).not.toBe(0);
    const inspect = await d("volume", "inspect", "--format", "{{.Driver}} {{.Options.VolumeStore}} {{.Options.Capacity}}", "data");
    expect(inspect.stdout.trim()).toBe("vsphere default 512");
    // the volume's disk is where VIC put it
    const disk = (await client.downloadFile("mydatastore", "volumes/VIC/volumes/data/data.vmdk")).toString();
    expect(disk).toContain("# Disk DescriptorFile");
  });

  it("refuses to remove a volume in use, and host paths; makes a named volume on first use", async () => {
    const run = await d("run", "-d", "--name", "holder", "-v", "auto:/work", "busybox", "sleep", "100");
    expect(run.status, run.stderr).toBe(0);
    const ls = await d("volume", "ls", "--format", "{{.Name}}");
    expect(ls.stdout.trim().split("\n").sort()).toEqual(["auto", "data"]);
    const inUse = await d("volume", "rm", "auto");
    expect(inUse.status).toBe(1);
    expect(inUse.stderr).toMatch(/remove auto: volume is in use - \[[0-9a-f]{64}\]/);
    const mounts = await d("inspect", "--format", "{{range .Mounts}}{{.Name}}:{{.Destination}}{{end}}", "holder");
    expect(mounts.stdout.trim()).toBe("auto:/work");
    expect((await d("rm", "-f", "holder")).status).toBe(0);
    expect((await d("volume", "rm", "auto")).stdout.trim()).toBe("auto");
    const host = await d("run", "--rm", "-v", "/etc:/x", "busybox", "true");
    expect(host.status).toBe(125);
    expect(host.stderr).toContain("a VCH has no host paths to bind");
    const none = await d("volume", "inspect", "nope");
    expect(none.stderr).toContain("get nope: no such volume");
  });

  it("still has its volumes after an appliance power cycle", async () => {
    const vms = await client.retrieveFromContainer(client.content.rootFolder, "VirtualMachine", ["name"]);
    const vm: ManagedObjectReference = { _type: "ManagedObjectReference", type: "VirtualMachine", value: [...vms].find(([, r]) => r.name === "VCH001")![0] };
    await client.waitForTask((await client.call("PowerOffVM_Task", vm)) as ManagedObjectReference);
    await client.waitForTask((await client.call("PowerOnVM_Task", vm)) as ManagedObjectReference);
    await client.waitForProperties(vm, ["config.extraConfig"], (r) => ((r["config.extraConfig"] as { key: string; value: string }[]) ?? []).some((o) => o.key === "guestinfo..init.sessions|docker-personality.started" && o.value === "true"), { timeoutMs: 20_000 });
    expect((await d("volume", "ls", "--format", "{{.Name}}")).stdout.trim()).toBe("data");
    expect((await d("run", "--rm", "-v", "data:/data", "busybox", "cat", "/data/f")).stdout).toBe("hello\n");
  });
});
