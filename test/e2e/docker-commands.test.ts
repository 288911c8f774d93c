// The rest of the docker CLI commands VIC 0.5's tests used, against a VCH
// in an in-process simulator: run's -e, -w, --entrypoint and -t, kill with
// a signal, restart, attach to a running container, logs with --tail,
// --timestamps and -f, inspect, rm of several at once, rmi (refused while a
// container stands on the image), and errors with the Docker API's status
// and message. Every CLI call has a timeout.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { VIC_GUEST_PROGRAMS } from "../../vic/guest-programs.ts";
import { dockerHost, dockerOnVch, machine, type CliRun } from "./helpers.ts";


describe("docker commands on a VCH", () => {
  let sim: RunningSimulator;
  let cwd: string;
  let ip: string;
  const onVch = dockerOnVch(() => cwd, () => ip);
  const d = (args: string[], input?: string, killAfterMs?: number): Promise<CliRun> => onVch(args, { input, killAfterMs });

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab", guestPrograms: { ...VIC_GUEST_PROGRAMS } });
    cwd = mkdtempSync(join(tmpdir(), "vic-cmds-"));
    const { code, lines } = await machine(cwd, ["create", "--target", `root:homelab-pw@127.0.0.1:${sim.port}`, "--image-datastore", "mydatastore", "--bridge-network", "VCH Bridge", "--name", "VCH001"]);
    expect(code, lines.join("\n")).toBe(0);
    ip = dockerHost(lines)!;
    expect((await d(["pull", "busybox"])).status).toBe(0);
  });
  afterAll(async () => {
    await sim?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it("runs with -e, -w, --entrypoint and a terminal", async () => {
    expect((await d(["run", "--rm", "-e", "FOO=bar", "-w", "/tmp", "busybox", "sh", "-c", "echo $FOO $(pwd) $HOSTNAME"])).stdout).toMatch(/^bar \/tmp [0-9a-f]{12}\n$/);
    expect((await d(["run", "--rm", "--entrypoint", "echo", "busybox", "a", "b"])).stdout).toBe("a b\n");
    const tty = await d(["run", "--rm", "-t", "busybox", "sh", "-c", "echo one; echo two >&2"]);
    // a terminal merges the streams and ends lines with \r\n
    expect(tty.stdout).toBe("one\r\ntwo\r\n");
    expect(tty.stderr).toBe("");
  });

  it("kills with a signal, restarts, attaches to a running container, and follows its logs", async () => {
    const id = (await d(["run", "-d", "--name", "ticker", "busybox", "sh", "-c", "trap 'echo got INT; exit 9' INT; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done"])).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    // attach sees what the running process writes next (without --sig-proxy=false our SIGTERM would be the container's)
    const attached = await d(["attach", "--no-stdin", "--sig-proxy=false", "ticker"], undefined, 1500);
    expect(attached.stdout).toMatch(/tick \d+\n/);
    const follow = await d(["logs", "-f", "--tail", "2", "ticker"], undefined, 1200);
    expect(follow.stdout.split("\n").filter(Boolean).length).toBeGreaterThan(2);
    const stamped = await d(["logs", "--tail", "1", "--timestamps", "ticker"]);
    expect(stamped.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z tick \d+\n$/);
    const kill = await d(["kill", "-s", "INT", "ticker"]);
    expect(kill.stdout.trim()).toBe("ticker");
    const waited = await d(["wait", "ticker"]);
    expect(waited.stdout.trim()).toBe("9");
    expect((await d(["logs", "--tail", "1", "ticker"])).stdout).toBe("got INT\n");
    const killAgain = await d(["kill", "ticker"]);
    expect(killAgain.status).toBe(1);
    expect(killAgain.stderr).toContain("is not running");
    expect((await d(["restart", "ticker"])).stdout.trim()).toBe("ticker");
    expect((await d(["inspect", "--format", "{{.State.Status}} {{.State.Running}} {{.Name}} {{.Path}}", "ticker"])).stdout.trim()).toBe("running true /ticker sh");
    expect((await d(["rm", "-f", "ticker"])).status).toBe(0);
  });

  it("removes several containers at once, and an image only when no container stands on it", async () => {
    for (const n of ["one", "two", "three"]) expect((await d(["run", "--name", n, "busybox", "true"])).status).toBe(0);
    const refused = await d(["rmi", "busybox"]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/conflict: unable to remove repository reference "busybox:latest" \(must force\) - container [0-9a-f]{12} is using its referenced image/);
    const rm = await d(["rm", "one", "two", "three"]);
    expect(rm.stdout.trim().split("\n").sort()).toEqual(["one", "three", "two"]);
    const rmi = await d(["rmi", "busybox"]);
    expect(rmi.status, rmi.stderr).toBe(0);
    expect(rmi.stdout).toContain("Untagged: busybox:latest");
    expect(rmi.stdout).toMatch(/Deleted: sha256:[0-9a-f]{64}/);
    expect((await d(["images", "-q"])).stdout).toBe("");
    const none = await d(["rmi", "busybox"]);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain("No such image: busybox:latest");
  });

  it("streams no events, as 0.5 did, and ends the stream at --until", async () => {
    const ev = await d(["events", "--since", "0s", "--until", "1s"]);
    expect(ev.status, ev.stderr).toBe(0);
    expect(ev.stdout).toBe("");
  });

  it("answers unknown containers, bad names and bad parameters as the Docker API does", async () => {
    const c = await d(["inspect", "--type", "container", "nope"]);
    expect(c.status).toBe(1);
    expect(c.stderr).toContain("No such container: nope");
    const bad = await d(["create", "--name", "bad name!", "busybox"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("Invalid container name (bad name!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    const noImage = await d(["create", "no-such-image-here"]);
    expect(noImage.status).not.toBe(0);
    expect(noImage.stderr).toContain("pull access denied for no-such-image-here");
  });
});
