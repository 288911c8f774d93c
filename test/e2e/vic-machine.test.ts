// The seed's first half, end to end: the real vic-machine binary creates a
// VCH in an in-process simulator, the real docker CLI talks to it, and
// delete leaves the inventory and the datastore as they were. Refusals
// (wrong password, unknown network, firewall, a taken name, a timeout)
// say why, exit 1 and leave nothing behind.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadScenario, startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { VIC_GUEST_PROGRAMS } from "../../vic/guest-programs.ts";
import { readTar } from "../../formats/tar.ts";
import { connect } from "../helpers.ts";
import { docker } from "./helpers.ts";
import type { VimClient } from "../../vim25/client/index.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(root, "bin", "vic-machine-linux");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  lines: string[];
}

/** vic-machine as a user runs it; `input` goes to its stdin (the password prompt) */
function vicMachine(cwd: string, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, HOME: cwd }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
    child.on("close", (code) => resolve({ code, stdout, stderr, lines: stdout.split("\n").filter(Boolean).map((l) => l.replace(/^(INFO|WARN|ERRO|DEBU)\[[^\]]+\] ?/, "$1 ")) }));
  });
}

/** `want` appears in `lines` in this order (other lines may come between) */
function expectInOrder(lines: string[], want: string[]): void {
  let i = 0;
  for (const w of want) {
    const at = lines.findIndex((l, j) => j >= i && l === w);
    if (at < 0) throw new Error(`missing, or out of order: ${JSON.stringify(w)}\n--- got:\n${lines.join("\n")}`);
    i = at + 1;
  }
}

function httpsGet(url: string): Promise<{ status: number; headers: Record<string, unknown>; body: string; raw: Buffer }> {
  return new Promise((resolve, reject) => {
    https.get(url, { rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString("utf8"), raw });
      });
    }).on("error", reject);
  });
}

/** what a delete must restore: every entity, port group and vSwitch, extension, and datastore file */
async function world(c: VimClient): Promise<Record<string, unknown>> {
  const entities = [...(await c.retrieveFromContainer(c.content.rootFolder, "ManagedEntity", ["name"])).entries()].map(([v, r]) => `${v}=${r.name}`).sort();
  const hosts = await c.retrieveFromContainer(c.content.rootFolder, "HostSystem", ["config.network.portgroup", "config.network.vswitch"]);
  const network = [...hosts.values()].flatMap((h) => [
    ...((h["config.network.portgroup"] as { spec: { name: string } }[] | undefined) ?? []).map((p) => `pg:${p.spec.name}`),
    ...((h["config.network.vswitch"] as { name: string }[] | undefined) ?? []).map((s) => `vs:${s.name}`),
  ]).sort();
  const em = c.content.extensionManager;
  const extensions = em ? (((await c.retrieveOne(em, ["extensionList"])).extensionList as { key: string }[] | undefined) ?? []).map((e) => e.key).sort() : [];
  const files: string[] = [];
  const dss = await c.retrieveFromContainer(c.content.rootFolder, "Datastore", ["name", "browser"]);
  for (const ds of dss.values()) {
    const results = (await c.waitForTask(await c.call("SearchDatastoreSubFolders_Task", ds.browser as ManagedObjectReference, {
      datastorePath: `[${ds.name}]`, searchSpec: { _type: "HostDatastoreBrowserSearchSpec", matchPattern: ["*"] },
    }) as ManagedObjectReference)) as { folderPath: string; file?: { path: string }[] }[];
    for (const r of results ?? []) for (const f of r.file ?? []) files.push(`${r.folderPath}${f.path}`);
  }
  return { entities, network, extensions, files: files.sort() };
}

const SEED_CREATE = [
  "INFO Please enter ESX or vCenter password:",
  "INFO ### Installing VCH ####",
  "INFO Generating certificate/key pair - private key in ./VCH001-key.pem",
  "INFO Validating supplied configuration",
  "INFO Firewall status: DISABLED on /ha-datacenter/host/esxi01.think-v.com/esxi01.think-v.com",
  "INFO Firewall configuration OK on hosts:",
  "INFO /ha-datacenter/host/esxi01.think-v.com/esxi01.think-v.com",
  "INFO License check OK",
  "INFO DRS check SKIPPED - target is standalone host",
  "INFO Creating Resource Pool VCH001",
  "INFO Creating appliance on target",
  "INFO Network role client is sharing NIC with external",
  "INFO Network role management is sharing NIC with external",
  "INFO Uploading images for container",
  "INFO bootstrap.iso",
  "INFO appliance.iso",
  "INFO Waiting for IP information",
  "INFO Waiting for major appliance components to launch",
  "INFO Initialization of appliance successful",
  "INFO ",
  "INFO Log server:",
  "INFO https://VCH_IP:2378",
  "INFO ",
  "INFO DOCKER_HOST=VCH_IP:2376",
  "INFO ",
  "INFO Connect to docker:",
  "INFO docker -H VCH_IP:2376 --tls info",
  "INFO Installer completed successfully",
];

const SEED_DELETE = [
  "INFO ### Removing VCH ####",
  "INFO Removing VMs",
  "INFO Removing images",
  "INFO Removing volumes",
  "INFO Removing appliance VM network devices",
  "INFO Bridge network was not created during VCH deployment, leaving it there",
  "INFO Removing Resource Pool VCH001",
  "INFO Completed successfully",
];

describe("vic-machine against an ESXi host (the seed)", () => {
  let sim: RunningSimulator;
  let client: VimClient;
  let cwd: string;
  let target: string;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab", guestPrograms: { ...VIC_GUEST_PROGRAMS } });
    client = await connect(sim);
    cwd = mkdtempSync(join(tmpdir(), "vic-machine-"));
    target = `root@127.0.0.1:${sim.port}`;
  });
  afterAll(async () => {
    await client?.logout();
    await sim?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it("creates VCH001 with the seed's command and lines, answers docker info and version, and deletes it without a trace", async () => {
    const before = await world(client);
    const created = await vicMachine(cwd, ["create", "--bridge-network", "VCH Bridge", "--external-network", "VM Network", "--image-datastore", "mydatastore", "--target", target, "--name", "VCH001"], "homelab-pw\n");
    expect(created.code, created.stdout + created.stderr).toBe(0);
    const ip = /DOCKER_HOST=([\d.]+):2376/.exec(created.stdout)?.[1];
    expect(ip).toMatch(/^127\./);
    expectInOrder(created.lines.map((l) => l.replaceAll(ip!, "VCH_IP")), SEED_CREATE);
    expect(existsSync(join(cwd, "VCH001-key.pem")) && existsSync(join(cwd, "VCH001-cert.pem"))).toBe(true);
    const certPath = /DOCKER_CERT_PATH=(.+)$/m.exec(created.stdout)![1];

    // the real docker CLI, as the seed's next step
    const info = await docker(cwd, ["-H", `${ip}:2376`, "--tls", "info"], { certPath: certPath });
    expect(info.status, info.stderr).toBe(0);
    expect(info.stdout).toContain("Name: VCH001");
    expect(info.stdout).toContain("Server Version: 0.4.0");
    expect(info.stdout).toMatch(/CPUs: 8\b/);
    expect(info.stdout).toContain("Total Memory: 32GiB");
    expect(info.stdout).toContain("Containers: 0");
    const version = await docker(cwd, ["-H", `${ip}:2376`, "--tls", "version"], { certPath: certPath });
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/Server: vSphere Integrated Containers[\s\S]*API version:\s+1\.47 \(minimum version 1\.24\)/);

    // the appliance's .vmx, as the seed shows it
    const vmx = (await client.downloadFile("mydatastore", "VCH001/VCH001.vmx")).toString("utf8");
    for (const line of [
      'ethernet0.virtualDev = "vmxnet3"', 'ethernet0.networkName = "VM Network"', 'ethernet0.pciSlotNumber = "192"', 'ethernet0.uptCompatibility = "TRUE"', 'ethernet0.present = "TRUE"',
      'ethernet1.virtualDev = "vmxnet3"', 'ethernet1.networkName = "VCH Bridge"', 'ethernet1.pciSlotNumber = "224"', 'ethernet1.uptCompatibility = "TRUE"', 'ethernet1.present = "TRUE"',
      'ide0:0.deviceType = "cdrom-image"', 'ide0:0.fileName = "appliance.iso"', 'ide0:0.present = "TRUE"',
      'guestinfo./init/common/name = "VCH001"', 'guestinfo./bridge_network = "VCH Bridge"',
    ]) expect(vmx.split("\n")).toContain(line);
    expect(vmx).not.toContain("ethernet2.");
    const files = (await client.downloadFile("mydatastore", "VCH001/appliance.iso")).subarray(0x8001, 0x8006).toString("latin1");
    expect(files).toBe("CD001");

    // vicadmin's log server and the attach listener are up on the VCH's address
    const index = await httpsGet(`https://${ip}:2378/`);
    expect(index.status).toBe(200);
    expect(index.body).toContain('<a href="/logs/init.log">init.log</a>');
    const init = await httpsGet(`https://${ip}:2378/logs/init.log`);
    expect(init.body).toMatch(/client: 00:0c:29:\S+ on "VM Network" is /);
    const portLayer = await httpsGet(`https://${ip}:2378/logs/port-layer.log`);
    expect(portLayer.body).toContain(`attach server listening on ${ip}:8080`);
    const bundle = await httpsGet(`https://${ip}:2378/logs.tar.gz`);
    expect(bundle.headers["content-type"]).toBe("application/x-gzip");
    const names = readTar(gunzipSync(bundle.raw)).map((e) => e.path);
    expect(names).toEqual(expect.arrayContaining(["var/log/vic/init.log", "var/log/vic/docker-personality.log", "var/log/vic/port-layer.log", "var/log/vic/vicadmin.log"]));

    // ls and inspect
    const ls = await vicMachine(cwd, ["ls", "--target", target, "--password", "homelab-pw"]);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^\S+\s+\/ha-datacenter\/host\/esxi01\.think-v\.com\/Resources\/VCH001\s+VCH001$/m);
    const inspect = await vicMachine(cwd, ["inspect", "--target", target, "--password", "homelab-pw", "--name", "VCH001"]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toContain(`DOCKER_HOST=${ip}:2376`);

    // a second create with the same name is refused, and the running VCH's key pair is left alone
    const keyBefore = readdirSync(cwd).sort();
    const again = await vicMachine(cwd, ["create", "--image-datastore", "mydatastore", "--bridge-network", "VCH Bridge", "--target", target, "--password", "homelab-pw", "--name", "VCH001"]);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/Appliance VCH001 exists .*delete it first/);
    expect(readdirSync(cwd).sort()).toEqual(keyBefore);

    const deleted = await vicMachine(cwd, ["delete", "--target", `127.0.0.1:${sim.port}`, "--user", "root", "--name", "VCH001"], "homelab-pw\n");
    expect(deleted.code, deleted.stdout + deleted.stderr).toBe(0);
    expectInOrder(deleted.lines, ["INFO Please enter ESX or vCenter password:", ...SEED_DELETE]);
    expect(await world(client)).toEqual(before);
    const gone = await docker(cwd, ["-H", `${ip}:2376`, "--tls", "info"], { certPath: certPath });
    expect(gone.status).not.toBe(0);
  });

  it("creates the bridge port group when ESX lacks it, and delete removes it", async () => {
    const before = await world(client);
    const created = await vicMachine(cwd, ["create", "--image-datastore", "mydatastore", "--target", `root:homelab-pw@127.0.0.1:${sim.port}`, "--name", "VCH002", "--no-tls"]);
    expect(created.code, created.stdout).toBe(0);
    expectInOrder(created.lines, ["INFO Creating VirtualSwitch VCH002", "INFO Creating Portgroup VCH002", "INFO Creating appliance on target"]);
    const ip = /DOCKER_HOST=([\d.]+):2375/.exec(created.stdout)![1];
    const ping = await fetch(`http://${ip}:2375/v1.47/_ping`);
    expect(await ping.text()).toBe("OK");
    expect(ping.headers.get("api-version")).toBe("1.47");
    const missing = await fetch(`http://${ip}:2375/containers/nope/json`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/json");
    const deleted = await vicMachine(cwd, ["delete", "--target", `root:homelab-pw@127.0.0.1:${sim.port}`, "--name", "VCH002"]);
    expect(deleted.code, deleted.stdout).toBe(0);
    expect(deleted.lines).toContain("INFO Removing Portgroup VCH002");
    expect(await world(client)).toEqual(before);
  });

  it("refuses a wrong password, an unknown network and a taken name, exits 1, and leaves nothing behind", async () => {
    const before = await world(client);
    const dir = mkdtempSync(join(cwd, "refusals-"));
    const wrong = await vicMachine(dir, ["create", "--image-datastore", "mydatastore", "--bridge-network", "VCH Bridge", "--target", `root:nope@127.0.0.1:${sim.port}`, "--name", "VCH003"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain("incorrect user name or password");

    const unknown = await vicMachine(dir, ["create", "--image-datastore", "mydatastore", "--bridge-network", "VCH Bridge", "--external-network", "No Such Net", "--target", `root:homelab-pw@127.0.0.1:${sim.port}`, "--name", "VCH003"]);
    expect(unknown.code).toBe(1);
    expect(unknown.lines).toContain('ERRO Unable to find network "No Such Net" for --external-network');
    expect(unknown.stdout).toMatch(/Suggesting valid values for --external-network: .*"VM Network"/);

    // a VM that is not a VCH holds the name
    const folder = (await client.retrieveFromContainer(client.content.rootFolder, "Datacenter", ["vmFolder"])).values().next().value!.vmFolder as ManagedObjectReference;
    const pool = (await client.retrieveFromContainer(client.content.rootFolder, "ComputeResource", ["resourcePool"])).values().next().value!.resourcePool as ManagedObjectReference;
    const vm = await client.waitForTask(await client.call("CreateVM_Task", folder, { config: { _type: "VirtualMachineConfigSpec", name: "VCH003", files: { _type: "VirtualMachineFileInfo", vmPathName: "[mydatastore]" } }, pool }) as ManagedObjectReference) as ManagedObjectReference;
    const withVm = await world(client);
    const taken = await vicMachine(dir, ["create", "--image-datastore", "mydatastore", "--bridge-network", "VCH Bridge", "--target", `root:homelab-pw@127.0.0.1:${sim.port}`, "--name", "VCH003"]);
    expect(taken.code).toBe(1);
    expect(taken.stdout).toMatch(/VM VCH003 exists .* is not a VCH: choose a different name/);
    expect(await world(client)).toEqual(withVm);
    await client.waitForTask(await client.call("Destroy_Task", vm) as ManagedObjectReference);

    const bad = await vicMachine(dir, ["create", "--bogus"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split("\n")).toEqual(["vic-machine-linux create: flag provided but not defined: -bogus"]);
    expect(readdirSync(dir).filter((f) => !f.endsWith(".log"))).toEqual([]);
    expect(await world(client)).toEqual(before);
  });
});

describe("vic-machine refusals that need their own host", () => {
  /** a create on a host of its own that must fail with `want` in order and leave the host and the folder as they were */
  async function refusedOnOwnHost(opts: Parameters<typeof startSimulator>[0], extra: string[], want: string[]): Promise<void> {
    const sim = await startSimulator(opts);
    const client = await connect(sim);
    const dir = mkdtempSync(join(tmpdir(), "vic-refused-"));
    try {
      const before = await world(client);
      const r = await vicMachine(dir, ["create", "--image-datastore", "mydatastore", "--bridge-network", "VCH Bridge", "--target", `root:homelab-pw@127.0.0.1:${sim.port}`, "--name", "VCH001", ...extra]);
      expect(r.code).toBe(1);
      expectInOrder(r.lines, want);
      expect(await world(client)).toEqual(before);
      expect(readdirSync(dir).filter((f) => !f.endsWith(".log"))).toEqual([]);
    } finally {
      await client.logout();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("refuses a firewall that blocks the serial port's 8080/tcp outbound, and leaves nothing behind", async () => {
    const scenario = loadScenario("homelab");
    scenario.datacenters[0].hosts[0].firewall.enabled = true;
    await refusedOnOwnHost({ scenario, guestPrograms: { ...VIC_GUEST_PROGRAMS } }, [], [
      "INFO Firewall status: ENABLED on /ha-datacenter/host/esxi01.think-v.com/esxi01.think-v.com",
      "ERRO Firewall configuration incorrect on hosts:",
      "ERRO /ha-datacenter/host/esxi01.think-v.com/esxi01.think-v.com",
      "ERRO Firewall must permit 8080/tcp outbound to use VIC",
      "ERRO Create cannot continue: configuration validation failed",
    ]);
  });

  it("gives up at --timeout when the appliance never reports an address, and removes what it made", async () => {
    // no VIC guest programs: the appliance VM powers on with no OS to run
    await refusedOnOwnHost({ scenario: "homelab" }, ["--timeout", "2s"], [
      "INFO Waiting for IP information",
      "INFO client IP: waiting for IP",
      "INFO Component docker-personality: waiting to start",
      "ERRO Create failed: timed out waiting for IP address information",
      "ERRO Create cannot continue: timed out waiting for IP address information",
    ]);
  });
});

describe("vic-machine against vCenter (vApp, distributed port group as bridge)", () => {
  it("creates in a vApp with the bridge on dvpg-containers, answers docker info, and deletes without a trace", async () => {
    const sim = await startSimulator({ scenario: "vcenter-cluster", guestPrograms: { ...VIC_GUEST_PROGRAMS } });
    const client = await connect(sim);
    const dir = mkdtempSync(join(tmpdir(), "vic-vc-"));
    const target = `administrator@vsphere.local:vcenter-pw@127.0.0.1:${sim.port}/dc1`;
    try {
      const before = await world(client);
      const r = await vicMachine(dir, ["create", "--bridge-network", "dvpg-containers", "--image-datastore", "shared-ds", "--compute-resource", "cluster1", "--target", target, "--name", "VCH-VC"]);
      expect(r.code, r.stdout).toBe(0);
      expectInOrder(r.lines, ["INFO DRS check OK on:", "INFO   /dc1/host/cluster1", "INFO Creating virtual app VCH-VC", "INFO Creating appliance on target", "INFO Installer completed successfully"]);
      const vapp = [...(await client.retrieveFromContainer(client.content.rootFolder, "VirtualApp", ["name", "vm"])).values()].find((v) => v.name === "VCH-VC");
      expect((vapp?.vm as unknown[] | undefined)?.length).toBe(1);
      const vmx = (await client.downloadFile("shared-ds", "VCH-VC/VCH-VC.vmx", { dcPath: "dc1" })).toString("utf8");
      expect(vmx).toMatch(/^ethernet1\.dvs\.portgroupId = "dvportgroup-\d+"$/m);
      expect(vmx).toContain('ide0:0.fileName = "appliance.iso"');
      const ip = /DOCKER_HOST=([\d.]+):2376/.exec(r.stdout)![1];
      const certPath = /DOCKER_CERT_PATH=(.+)$/m.exec(r.stdout)![1];
      const info = await docker(dir, ["-H", `${ip}:2376`, "--tls", "info"], { certPath: certPath });
      expect(info.status, info.stderr).toBe(0);
      expect(info.stdout).toContain("Name: VCH-VC");
      expect(info.stdout).toContain("VMware Product: VMware vCenter Server");
      const extensions = (((await client.retrieveOne(client.content.extensionManager!, ["extensionList"])).extensionList as { key: string }[]) ?? []).map((e) => e.key);
      expect(extensions.some((k) => k.startsWith("com.vmware.vic."))).toBe(true);

      const d = await vicMachine(dir, ["delete", "--target", target, "--name", "VCH-VC"]);
      expect(d.code, d.stdout).toBe(0);
      expectInOrder(d.lines, ["INFO Bridge network was not created during VCH deployment, leaving it there", "INFO Removing VirtualApp VCH-VC", "INFO Completed successfully"]);
      expect(await world(client)).toEqual(before);
    } finally {
      await client.logout();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
