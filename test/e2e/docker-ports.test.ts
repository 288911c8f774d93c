// docker run -p on a VCH (VIC 0.5's Group1 1-25 "Port Map", with real
// bytes): the appliance forwards VCH_IP:HOSTPORT on its client interface to
// the container's bridge address, where busybox nc listens. The real docker
// CLI reads the mappings back (port, ps, inspect); this process connects to
// the VCH with node:net and talks to the container. Conflicts, host IPs and
// host port ranges are refused as 0.5 refused them; -P and -p PORT take a
// port from the ephemeral range; stop and rm free the host port.
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { VIC_GUEST_PROGRAMS } from "../../vic/guest-programs.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { connect } from "../helpers.ts";
import { dockerHost, dockerOnVch, machine, type CliRun } from "./helpers.ts";

/** connect to HOST:PORT, send `line`, half-close, and read everything until the far side closes */
function exchange(host: string, port: number, line: string, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer from ${host}:${port} (got ${JSON.stringify(Buffer.concat(chunks).toString())})`));
    }, timeoutMs);
    s.on("connect", () => s.write(line));
    s.on("data", (d) => chunks.push(d));
    s.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on("end", () => {
      clearTimeout(timer);
      s.end();
      resolve(Buffer.concat(chunks).toString());
    });
  });
}

/** does anything accept connections at HOST:PORT? */
function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.on("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.on("error", () => resolve(true));
  });
}

describe("docker run -p on a VCH", () => {
  let sim: RunningSimulator;
  let cwd: string;
  let ip: string;
  const onVch = dockerOnVch(() => cwd, () => ip);
  const d = (args: string[]): Promise<CliRun> => onVch(args);
  // a server in the container: each connection gets a line back, from the container's own shell
  const server = (port: number) => ["nc", "-lk", "-p", String(port), "-e", "sh", "-c", 'read l; echo "pong $l from $HOSTNAME"'];

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab", guestPrograms: { ...VIC_GUEST_PROGRAMS } });
    cwd = mkdtempSync(join(tmpdir(), "vic-ports-"));
    const { code, lines } = await machine(cwd, ["create", "--target", `root:homelab-pw@127.0.0.1:${sim.port}`, "--image-datastore", "mydatastore", "--bridge-network", "VCH Bridge", "--name", "VCH001"]);
    expect(code, lines.join("\n")).toBe(0);
    ip = dockerHost(lines)!;
    expect((await d(["pull", "busybox"])).status).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await sim?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it("publishes a container's port on the VCH's address, reports it, refuses it twice, and frees it at stop", async () => {
    const run = await d(["run", "-d", "-p", "8088:80", "--name", "web", "busybox", ...server(80)]);
    expect(run.status, run.stderr).toBe(0);
    const id = run.stdout.trim();
    expect((await d(["port", "web"])).stdout).toBe("80/tcp -> 0.0.0.0:8088\n");
    expect((await d(["port", "web", "80"])).stdout).toBe("0.0.0.0:8088\n");
    expect((await d(["ps", "--filter", "name=web", "--format", "{{.Names}} {{.Ports}}"])).stdout).toBe("web 0.0.0.0:8088->80/tcp\n");
    const inspect = JSON.parse((await d(["inspect", "web"])).stdout)[0];
    expect(inspect.HostConfig.PortBindings).toEqual({ "80/tcp": [{ HostIp: "", HostPort: "8088" }] });
    expect(inspect.NetworkSettings.Ports).toEqual({ "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "8088" }] });
    expect(inspect.Config.ExposedPorts).toEqual({ "80/tcp": {} });

    // bytes both ways, through the appliance to nc on the container's bridge address; -k serves again
    expect(await exchange(ip, 8088, "ping\n")).toBe(`pong ping from ${id.slice(0, 12)}\n`);
    expect(await exchange(ip, 8088, "again\n")).toBe(`pong again from ${id.slice(0, 12)}\n`);

    // a port the appliance itself holds on that address (the attach server's 8080 on the shared management address)
    const own = await d(["run", "-d", "-p", "8080:80", "--name", "own", "busybox", ...server(80)]);
    expect(own.status).toBe(125);
    expect(own.stderr).toMatch(/Error starting userland proxy: listen tcp4 0\.0\.0\.0:8080: bind: address already in use/);
    expect((await d(["rm", "own"])).status).toBe(0);

    // a second container asking for the same host port: created, refused at start (0.5's Port Map test)
    const clash = await d(["run", "-d", "-p", "8088:80", "--name", "web2", "busybox", ...server(80)]);
    expect(clash.status).toBe(125);
    expect(clash.stderr).toMatch(/Error response from daemon: driver failed programming external connectivity on endpoint web2 \([0-9a-f]{64}\): Bind for 0\.0\.0\.0:8088 failed: port is already allocated/);
    expect((await d(["inspect", "--format", "{{.State.Status}}", "web2"])).stdout.trim()).toBe("created");
    // the first one still answers
    expect(await exchange(ip, 8088, "still\n")).toBe(`pong still from ${id.slice(0, 12)}\n`);

    // stop unmaps: nothing at the port, nothing reported; the second container may have it now
    expect((await d(["stop", "-t", "1", "web"])).status).toBe(0);
    expect(await refused(ip, 8088)).toBe(true);
    expect((await d(["port", "web"])).stdout).toBe("");
    expect(JSON.parse((await d(["inspect", "web"])).stdout)[0].NetworkSettings.Ports).toEqual({});
    const start2 = await d(["start", "web2"]);
    expect(start2.status, start2.stderr).toBe(0);
    const id2 = (await d(["inspect", "--format", "{{.Id}}", "web2"])).stdout.trim();
    expect(await exchange(ip, 8088, "two\n")).toBe(`pong two from ${id2.slice(0, 12)}\n`);
    // rm -f unmaps too
    expect((await d(["rm", "-f", "web2"])).status).toBe(0);
    expect(await refused(ip, 8088)).toBe(true);
    expect((await d(["rm", "web"])).status).toBe(0);
  }, 180_000);

  it("refuses host IPs and host port ranges, as 0.5's validateCreateConfig did", async () => {
    const hostIp = await d(["create", "-p", "127.0.0.1:8081:80", "busybox", "true"]);
    expect(hostIp.status).toBe(1);
    expect(hostIp.stderr).toContain("Error response from daemon: host IP is not supported for port bindings");
    const range = await d(["create", "-p", "8000-8001:80", "busybox", "true"]);
    expect(range.status).toBe(1);
    expect(range.stderr).toContain("Error response from daemon: host port ranges are not supported for port bindings");
    expect((await d(["ps", "-aq"])).stdout).toBe("");
    // equal ranges on both sides reach the daemon as single ports (the CLI pairs them), which 0.5 let through too
    const paired = await d(["create", "--name", "paired", "-p", "8000-8001:80-81", "busybox", "true"]);
    expect(paired.status, paired.stderr).toBe(0);
    expect(JSON.parse((await d(["inspect", "--format", "{{json .HostConfig.PortBindings}}", "paired"])).stdout)).toEqual({ "80/tcp": [{ HostIp: "", HostPort: "8000" }], "81/tcp": [{ HostIp: "", HostPort: "8001" }] });
    expect((await d(["rm", "paired"])).status).toBe(0);
  });

  it("takes a host port from the ephemeral range for -P and -p PORT", async () => {
    const auto = await d(["run", "-d", "-P", "--expose", "90", "--name", "auto", "busybox", ...server(90)]);
    expect(auto.status, auto.stderr).toBe(0);
    const line = (await d(["port", "auto"])).stdout;
    const m = /^90\/tcp -> 0\.0\.0\.0:(\d+)\n$/.exec(line);
    expect(m, line).not.toBeNull();
    const port = Number(m![1]);
    expect(port).toBeGreaterThanOrEqual(32768);
    expect(port).toBeLessThanOrEqual(60999);
    expect(JSON.parse((await d(["inspect", "auto"])).stdout)[0].HostConfig.PublishAllPorts).toBe(true);
    expect(await exchange(ip, port, "p\n")).toBe(`pong p from ${auto.stdout.trim().slice(0, 12)}\n`);

    // -p 80: no host port given; another one is allocated
    const one = await d(["run", "-d", "-p", "80", "--name", "one", "busybox", ...server(80)]);
    expect(one.status, one.stderr).toBe(0);
    const m2 = /^0\.0\.0\.0:(\d+)\n$/.exec((await d(["port", "one", "80/tcp"])).stdout);
    expect(m2).not.toBeNull();
    expect(Number(m2![1])).not.toBe(port);
    expect((await d(["ps", "--filter", "name=one", "--format", "{{.Ports}}"])).stdout).toBe(`0.0.0.0:${m2![1]}->80/tcp\n`);
    expect(await exchange(ip, Number(m2![1]), "q\n")).toBe(`pong q from ${one.stdout.trim().slice(0, 12)}\n`);
    // a container whose process ends lets go of its port by itself
    expect((await d(["kill", "one"])).status).toBe(0);
    expect((await d(["wait", "one"])).status).toBe(0);
    for (let i = 0; i < 50 && !(await refused(ip, Number(m2![1]))); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await refused(ip, Number(m2![1]))).toBe(true);
    expect((await d(["rm", "-f", "auto", "one"])).status).toBe(0);
  }, 180_000);

  it("loses the maps with an appliance restart, as 0.5's iptables rules went, and maps again at the next start", async () => {
    const run = await d(["run", "-d", "-p", "8089:80", "--name", "keep", "busybox", ...server(80)]);
    expect(run.status, run.stderr).toBe(0);
    const short = run.stdout.trim().slice(0, 12);
    expect(await exchange(ip, 8089, "before\n")).toBe(`pong before from ${short}\n`);
    const client = await connect(sim);
    try {
      const vms = await client.retrieveFromContainer(client.content.rootFolder, "VirtualMachine", ["name"]);
      const vm: ManagedObjectReference = { _type: "ManagedObjectReference", type: "VirtualMachine", value: [...vms].find(([, r]) => r.name === "VCH001")![0] };
      await client.waitForTask((await client.call("PowerOffVM_Task", vm)) as ManagedObjectReference);
      await client.waitForTask((await client.call("PowerOnVM_Task", vm)) as ManagedObjectReference);
      await client.waitForProperties(vm, ["config.extraConfig"], (r) => ((r["config.extraConfig"] as { key: string; value: string }[]) ?? []).some((o) => o.key === "guestinfo..init.sessions|docker-personality.started" && o.value === "true"), { timeoutMs: 20_000 });
    } finally {
      await client.logout();
    }
    // the container runs on, its port exposed but not published; its bindings are still asked for
    expect((await d(["ps", "--filter", "name=keep", "--format", "{{.Status}}|{{.Ports}}"])).stdout).toMatch(/^Up .*\|80\/tcp\n$/);
    expect((await d(["port", "keep"])).stdout).toBe("");
    expect(await refused(ip, 8089)).toBe(true);
    expect((await d(["inspect", "--format", "{{json .HostConfig.PortBindings}}", "keep"])).stdout.trim()).toBe('{"80/tcp":[{"HostIp":"","HostPort":"8089"}]}');
    expect((await d(["restart", "-t", "1", "keep"])).status).toBe(0);
    expect((await d(["port", "keep"])).stdout).toBe("80/tcp -> 0.0.0.0:8089\n");
    expect(await exchange(ip, 8089, "after\n")).toBe(`pong after from ${short}\n`);
    expect((await d(["rm", "-f", "keep"])).status).toBe(0);
  }, 180_000);
});
