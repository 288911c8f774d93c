// The seed's second half, end to end with the real docker CLI against a VCH
// in an in-process simulator: `docker run hello-world` (pull lines, the
// greeting through attach over the serial link, the exit code), `ps -a`,
// a detached busybox stopped, logged and removed, `--rm` with both streams
// and an exit code, stdin piped through `-i`, the container VM's .vmx as the
// seed shows it, an appliance power cycle after which everything is still
// there, and vic-machine delete leaving nothing. Every CLI call has a
// timeout; none may be hit.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { VIC_GUEST_PROGRAMS } from "../../vic/guest-programs.ts";
import type { VimClient } from "../../vim25/client/index.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { connect } from "../helpers.ts";
import { docker, dockerHost, machine, type CliRun } from "./helpers.ts";

describe("docker run on a VCH (the seed)", () => {
  let sim: RunningSimulator;
  let client: VimClient;
  let cwd: string;
  let ip: string;
  let before: string[];
  const calls: CliRun[] = [];
  const d = async (args: string[], input?: string) => {
    const r = await docker(cwd, ["-H", `${ip}:2376`, "--tls", ...args], { certPath: join(cwd, "VCH001"), input });
    calls.push(r);
    expect(r.timedOut, `docker ${args.join(" ")} hung`).toBe(false);
    return r;
  };
  const vicMachine = async (argv: string[]) => {
    const { code, lines, err } = await machine(cwd, argv);
    expect(code, [...lines, ...err].join("\n")).toBe(0);
    return lines;
  };
  const vmNamed = async (name: string) => {
    const vms = await client.retrieveFromContainer(client.content.rootFolder, "VirtualMachine", ["name"]);
    const hit = [...vms].find(([, r]) => r.name === name);
    return hit ? ({ _type: "ManagedObjectReference", type: "VirtualMachine", value: hit[0] } as ManagedObjectReference) : undefined;
  };
  const datastoreFiles = async () => {
    const browser = (await client.retrieveFromContainer(client.content.rootFolder, "Datastore", ["browser"])).values().next().value!.browser as ManagedObjectReference;
    const res = (await client.waitForTask((await client.call("SearchDatastoreSubFolders_Task", browser, { datastorePath: "[mydatastore]", searchSpec: { _type: "HostDatastoreBrowserSearchSpec", matchPattern: ["*"] } })) as ManagedObjectReference)) as { folderPath: string; file?: { path: string }[] }[];
    return res.flatMap((r) => (r.file ?? []).map((f) => `${r.folderPath}${f.path}`)).sort();
  };

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab", guestPrograms: { ...VIC_GUEST_PROGRAMS } });
    client = await connect(sim);
    cwd = mkdtempSync(join(tmpdir(), "vic-run-"));
    before = await datastoreFiles();
    const lines = await vicMachine(["create", "--target", `root:homelab-pw@127.0.0.1:${sim.port}`, "--image-datastore", "mydatastore", "--bridge-network", "VCH Bridge", "--external-network", "VM Network", "--name", "VCH001"]);
    ip = dockerHost(lines)!;
  });
  afterAll(async () => {
    await client?.logout();
    await sim?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it("runs hello-world as the seed does: pulls it, prints the greeting through attach, exits 0, and ps -a shows it", async () => {
    const run = await d(["run", "hello-world"]);
    expect(run.status, run.stderr).toBe(0);
    const err = run.stderr.trim().split("\n");
    expect(err[0]).toBe("Unable to find image 'hello-world:latest' locally");
    expect(err).toContain("latest: Pulling from library/hello-world");
    expect(err).toContainEqual(expect.stringMatching(/^[0-9a-f]{12}: Pull complete$/));
    expect(err).toContainEqual(expect.stringMatching(/^Digest: sha256:[0-9a-f]{64}$/));
    expect(err).toContain("Status: Downloaded newer image for hello-world:latest");
    expect(run.stdout.split("\n")[0]).toBe("Hello from Docker!");
    expect(run.stdout).toContain("This message shows that your installation appears to be working correctly.");

    const ps = await d(["ps", "-a", "--no-trunc", "--format", "{{.ID}}|{{.Image}}|{{.Command}}|{{.Status}}|{{.Names}}"]);
    const [id, image, command, status, name] = ps.stdout.trim().split("|");
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(image).toBe("hello-world");
    expect(command).toBe('"/hello"');
    expect(status).toMatch(/^Exited \(0\) /);
    expect(name).toMatch(/^[a-z]+_[a-z]+$/);

    // the container is a VM named after its ID, whose .vmx carries the seed's lines
    expect(await vmNamed(id)).toBeDefined();
    const vmx = (await client.downloadFile("mydatastore", `${id}/${id}.vmx`)).toString("utf8").split("\n");
    const mgmt = (await client.retrieveOne((await vmNamed("VCH001"))!, ["guest.ipAddress"]))["guest.ipAddress"];
    for (const line of [
      `guestinfo./common/name = "${name}"`,
      `guestinfo./sessions|${id}/common/name = "${name}"`,
      `guestinfo./sessions|${id}/cmd/Path = "/hello"`,
      'guestinfo./repo = "hello-world"',
      'ide0:0.deviceType = "cdrom-image"',
      'ide0:0.present = "TRUE"',
      'serial0.fileType = "network"',
      `serial0.fileName = "tcp://${mgmt}:8080"`,
      'serial0.network.endPoint = "client"',
      'serial0.yieldOnMsrRead = "TRUE"',
      'serial0.hardwareFlowControl = "TRUE"',
      'ethernet0.virtualDev = "vmxnet3"',
      'ethernet0.networkName = "VCH Bridge"',
      'ethernet0.pciSlotNumber = "192"',
      'scsi0.virtualDev = "pvscsi"',
      'scsi0:0.deviceType = "scsi-hardDisk"',
      `scsi0:0.fileName = "${id}.vmdk"`,
    ]) expect(vmx).toContain(line);
    expect(vmx).toContainEqual(expect.stringMatching(/^ide0:0\.fileName = "\/vmfs\/volumes\/[^/]+\/VCH001\/bootstrap\.iso"$/));
    // and the exit code outlives the run in its extraConfig
    expect(vmx).toContain(`guestinfo..sessions|${id}.status = "0"`);
  });

  it("runs busybox detached, stops it with its StopSignal, shows its logs, and removes it", async () => {
    const run = await d(["run", "-d", "--name", "x", "busybox", "sh", "-c", "echo started; sleep 1000"]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    const ps = await d(["ps", "--format", "{{.Names}} {{.Status}}"]);
    expect(ps.stdout.trim()).toMatch(/^x Up /);
    const stop = await d(["stop", "-t", "5", "x"]);
    expect(stop.stdout.trim()).toBe("x");
    const after = await d(["ps", "-a", "--filter", "name=^x$", "--format", "{{.Status}}"]);
    expect(after.stdout.trim()).toMatch(/^Exited \(143\) /);
    const logs = await d(["logs", "x"]);
    expect(logs.stdout).toBe("started\n");
    const busy = await d(["run", "-d", "--name", "x", "busybox", "true"]);
    expect(busy.status).toBe(125);
    expect(busy.stderr).toContain('Conflict. The container name "/x" is already in use');
    const rm = await d(["rm", "x"]);
    expect(rm.stdout.trim()).toBe("x");
    const gone = await d(["logs", "x"]);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain("No such container: x");
  });

  it("gives --rm's exit code and both streams, and pipes stdin through -i", async () => {
    const rm = await d(["run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"]);
    expect(rm.status).toBe(3);
    expect(rm.stdout).toBe("out\n");
    expect(rm.stderr).toBe("err\n");
    const piped = await d(["run", "-i", "busybox", "cat"], "hi\n");
    expect(piped.status, piped.stderr).toBe(0);
    expect(piped.stdout).toBe("hi\n");
    const names = await d(["ps", "-a", "--format", "{{.Command}}"]);
    // the --rm container is gone; cat stays
    expect(names.stdout.trim().split("\n").sort()).toEqual(['"/hello"', '"cat"']);
    const missing = await d(["run", "busybox", "no-such-command"]);
    expect(missing.status).toBe(127);
    expect(missing.stderr).toContain('exec: "no-such-command": executable file not found in $PATH');
    const failed = await d(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}", (await d(["ps", "-lq"])).stdout.trim()]);
    expect(failed.stdout.trim()).toBe('created 127 exec: "no-such-command": executable file not found in $PATH');
  });

  it("keeps every container across an appliance power cycle: ps, logs and start still work; --rm still holds", async () => {
    // two --rm containers: one runs on through the cycle, one exits while the appliance is down
    const running = (await d(["run", "-d", "--rm", "--name", "rm-runs", "busybox", "sleep", "600"])).stdout.trim();
    const exiting = (await d(["run", "-d", "--rm", "--name", "rm-exits", "busybox", "sleep", "600"])).stdout.trim();
    expect(running).toMatch(/^[0-9a-f]{64}$/);
    expect(exiting).toMatch(/^[0-9a-f]{64}$/);
    const vm = (await vmNamed("VCH001"))!;
    await client.waitForTask((await client.call("PowerOffVM_Task", vm)) as ManagedObjectReference);
    // the container stops (its VM powered off) while no appliance watches it
    const exitingVm = (await vmNamed(exiting))!;
    await client.waitForTask((await client.call("PowerOffVM_Task", exitingVm)) as ManagedObjectReference);
    await client.waitForTask((await client.call("PowerOnVM_Task", vm)) as ManagedObjectReference);
    await client.waitForProperties(vm, ["config.extraConfig"], (r) => ((r["config.extraConfig"] as { key: string; value: string }[]) ?? []).some((o) => o.key === "guestinfo..init.sessions|docker-personality.started" && o.value === "true"), { timeoutMs: 20_000 });
    expect((await d(["ps", "-a", "--filter", "name=rm-", "--format", "{{.Names}} {{.Status}}"])).stdout).toMatch(/^rm-runs Up /);
    expect(await vmNamed(exiting)).toBeUndefined();
    expect((await d(["stop", "-t", "1", "rm-runs"])).status).toBe(0);
    let left = "?";
    for (let i = 0; i < 50 && left; i++) {
      left = (await d(["ps", "-aq", "--filter", "name=rm-runs"])).stdout.trim();
      if (left) await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toBe("");
    const ps = await d(["ps", "-a", "--format", "{{.Image}} {{.Command}} {{.Status}}"]);
    expect(ps.status, ps.stderr).toBe(0);
    expect(ps.stdout.trim().split("\n").sort()).toEqual([
      expect.stringMatching(/^busybox "cat" Exited \(0\) /),
      expect.stringMatching(/^busybox "no-such-command" Created$/),
      expect.stringMatching(/^hello-world "\/hello" Exited \(0\) /),
    ]);
    const hello = (await d(["ps", "-aq", "--filter", "ancestor=hello-world"])).stdout.trim();
    const logs = await d(["logs", hello]);
    expect(logs.stdout.split("\n")[0]).toBe("Hello from Docker!");
    const again = await d(["start", "-a", hello]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout.split("\n")[0]).toBe("Hello from Docker!");
    const images = await d(["images", "--format", "{{.Repository}}"]);
    expect(images.stdout.trim().split("\n").sort()).toEqual(["busybox", "hello-world"]);
  });

  it("is all removed by vic-machine delete: container VMs, images, appliance", async () => {
    const lines = await vicMachine(["delete", "--target", `root:homelab-pw@127.0.0.1:${sim.port}`, "--name", "VCH001"]);
    expect(lines.some((l) => l.endsWith("Completed successfully"))).toBe(true);
    expect(await datastoreFiles()).toEqual(before);
    const vms = await client.retrieveFromContainer(client.content.rootFolder, "VirtualMachine", ["name"]);
    expect(vms.size).toBe(0);
    expect(calls.filter((c) => c.timedOut)).toEqual([]);
  });
});
