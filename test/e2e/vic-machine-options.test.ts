// vic-machine's other paths, run in process (main() with the arguments a
// user types): delete's --force and --id, --tlsverify certificates that
// the appliance requires of docker clients, and the validations that need
// a differently built target (DRS off, a license without serialuri).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadScenario, startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { VIC_GUEST_PROGRAMS } from "../../vic/guest-programs.ts";
import type { VimClient } from "../../vim25/client/index.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { connect } from "../helpers.ts";
import { docker, machine } from "./helpers.ts";

const run = machine;

async function vmsNamed(c: VimClient): Promise<Map<string, string>> {
  const vms = await c.retrieveFromContainer(c.content.rootFolder, "VirtualMachine", ["name"]);
  return new Map([...vms].map(([v, r]) => [String(r.name), v]));
}

describe("vic-machine delete, inspect and --tlsverify", () => {
  let sim: RunningSimulator;
  let client: VimClient;
  let cwd: string;
  let target: string;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab", guestPrograms: { ...VIC_GUEST_PROGRAMS } });
    client = await connect(sim);
    cwd = mkdtempSync(join(tmpdir(), "vic-options-"));
    target = `root:homelab-pw@127.0.0.1:${sim.port}`;
  });
  afterAll(async () => {
    await client?.logout();
    await sim?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it("will not delete past a powered-on container VM without --force, removes nothing, and with --force --id removes it all", async () => {
    const created = await run(cwd, ["create", "--target", target, "--image-datastore", "mydatastore", "--bridge-network", "VCH Bridge", "--name", "VCHF", "--no-tls"]);
    expect(created.code, created.lines.join("\n")).toBe(0);
    const appliance = (await vmsNamed(client)).get("VCHF")!;
    // a container VM in the VCH's pool, running
    const pool = (await client.retrieveOne({ _type: "ManagedObjectReference", type: "VirtualMachine", value: appliance }, ["resourcePool"])).resourcePool as ManagedObjectReference;
    const folder = (await client.retrieveFromContainer(client.content.rootFolder, "Datacenter", ["vmFolder"])).values().next().value!.vmFolder as ManagedObjectReference;
    const c1 = await client.waitForTask(await client.call("CreateVM_Task", folder, { config: { _type: "VirtualMachineConfigSpec", name: "c1-container", files: { _type: "VirtualMachineFileInfo", vmPathName: "[mydatastore]" } }, pool }) as ManagedObjectReference) as ManagedObjectReference;
    await client.waitForTask(await client.call("PowerOnVM_Task", c1) as ManagedObjectReference);

    const refused = await run(cwd, ["delete", "--target", target, "--name", "VCHF"]);
    expect(refused.code).toBe(1);
    expect(refused.lines).toContain("ERRO VM c1-container is powered on");
    expect(refused.lines).toContain("ERRO Delete failed: container VMs are powered on. Specify --force to force delete");
    expect(refused.lines).not.toContain("INFO Removing images");
    const still = await vmsNamed(client);
    expect(still.has("VCHF") && still.has("c1-container")).toBe(true);

    const inspect = await run(cwd, ["inspect", "--target", target, "--id", appliance]);
    expect(inspect.code).toBe(0);
    expect(inspect.lines).toContain(`INFO VCH ID: ${appliance}`);

    const forced = await run(cwd, ["delete", "--target", target, "--id", appliance, "--force"]);
    expect(forced.code, forced.lines.join("\n")).toBe(0);
    const after = await vmsNamed(client);
    expect(after.has("VCHF") || after.has("c1-container")).toBe(false);
    const ls = await client.call("SearchDatastore_Task", (await client.retrieveFromContainer(client.content.rootFolder, "Datastore", ["browser"])).values().next().value!.browser as ManagedObjectReference, { datastorePath: "[mydatastore]", searchSpec: { _type: "HostDatastoreBrowserSearchSpec", matchPattern: ["*"] } });
    const found = (await client.waitForTask(ls as ManagedObjectReference)) as { file?: { path: string }[] };
    expect((found.file ?? []).map((f) => f.path)).toEqual([]);

    const none = await run(cwd, ["inspect", "--target", target, "--id", appliance]);
    expect(none.code).toBe(1);
    expect(none.lines).toContain(`ERRO Failed to get Virtual Container Host ${appliance}: no VCH has that ID`);
  });

  it("with --tls-cname makes a CA and client certificates, and the appliance refuses docker clients without one", async () => {
    const created = await run(cwd, ["create", "--target", target, "--image-datastore", "mydatastore", "--bridge-network", "VCH Bridge", "--name", "VCHV", "--tls-cname", "vch.example.com", "--cert-path", "certs"]);
    expect(created.code, created.lines.join("\n")).toBe(0);
    const certs = join(cwd, "certs");
    for (const f of ["ca.pem", "ca-key.pem", "server-cert.pem", "server-key.pem", "cert.pem", "key.pem"]) expect(existsSync(join(certs, f))).toBe(true);
    const ip = created.lines.map((l) => /DOCKER_HOST=([\d.]+):2376/.exec(l)?.[1]).find(Boolean)!;
    expect(created.lines).toContain(`INFO docker -H ${ip}:2376 --tlsverify info`);

    // the server is verified against the CA, and the client certificate in the cert path is presented
    const verified = await docker(cwd, ["-H", `${ip}:2376`, "--tlsverify", "info"], { certPath: certs });
    expect(verified.status, verified.stderr).toBe(0);
    expect(verified.stdout).toContain("Name: VCHV");
    // a cert path with only the CA: no client certificate, refused by the TLS handshake
    const bare = mkdtempSync(join(cwd, "bare-"));
    const { copyFileSync } = await import("node:fs");
    copyFileSync(join(certs, "ca.pem"), join(bare, "ca.pem"));
    const without = await docker(cwd, ["-H", `${ip}:2376`, "--tls", "info"], { certPath: bare });
    expect(without.status).not.toBe(0);
    expect(without.stderr).toMatch(/certificate required|bad certificate|handshake/i);

    const d = await run(cwd, ["delete", "--target", target, "--name", "VCHV"]);
    expect(d.code).toBe(0);
  });

  it("pins the host by --thumbprint, gives the client network its own NIC, and keeps volume stores unless --force", async () => {
    const wrongPin = await run(cwd, ["create", "--target", target, "--thumbprint", "AA:".repeat(19) + "AA", "--image-datastore", "mydatastore", "--name", "VCHN"]);
    expect(wrongPin.code).toBe(1);
    expect(wrongPin.lines.join("\n")).toMatch(/Failed to connect to .*thumbprint/);

    const host = (await client.retrieveFromContainer(client.content.rootFolder, "HostSystem", ["configManager.networkSystem"])).values().next().value!;
    const ns = host["configManager.networkSystem"] as ManagedObjectReference;
    await client.call("AddPortGroup", ns, { portgrp: { _type: "HostPortGroupSpec", name: "Clients", vlanId: 20, vswitchName: "vSwitch0", policy: { _type: "HostNetworkPolicy" } } });
    const created = await run(cwd, ["create", "--target", target, "--thumbprint", sim.thumbprint, "--image-store", "mydatastore/VCHN-images", "--bridge-network", "VCH Bridge",
      "--client-network", "Clients", "--volume-store", "default:mydatastore/vols/VCHN", "--name", "VCHN", "--no-tls"]);
    expect(created.code, created.lines.join("\n")).toBe(0);
    expect(created.lines).toContain("INFO Network role management is sharing NIC with client");
    expect(created.lines).not.toContain("INFO Network role client is sharing NIC with external");
    const vmx = (await client.downloadFile("mydatastore", "VCHN/VCHN.vmx")).toString("utf8").split("\n");
    expect(vmx).toEqual(expect.arrayContaining(['ethernet0.networkName = "VM Network"', 'ethernet1.networkName = "Clients"', 'ethernet2.networkName = "VCH Bridge"', 'ethernet2.pciSlotNumber = "256"',
      'guestinfo./image_stores~ = "ds://mydatastore/VCHN-images"', 'guestinfo./volume_stores|default = "ds://mydatastore/vols/VCHN"']));
    // the Docker API listens on every address; the log server on the client network's
    const ip = created.lines.map((l) => /DOCKER_HOST=([\d.]+):2375/.exec(l)?.[1]).find(Boolean)!;
    expect(await (await fetch(`http://${ip}:2378/`)).text()).toContain("Virtual Container Host VCHN");

    const d = await run(cwd, ["delete", "--target", target, "--thumbprint", sim.thumbprint, "--name", "VCHN"]);
    expect(d.code, d.lines.join("\n")).toBe(0);
    expect(d.lines).toContain("WARN Volume store default ([mydatastore] vols/VCHN) is kept: specify --force to delete it");
    const browser = (await client.retrieveFromContainer(client.content.rootFolder, "Datastore", ["browser"])).values().next().value!.browser as ManagedObjectReference;
    const found = (await client.waitForTask(await client.call("SearchDatastore_Task", browser, { datastorePath: "[mydatastore] vols", searchSpec: { _type: "HostDatastoreBrowserSearchSpec", matchPattern: ["*"] } }) as ManagedObjectReference)) as { file?: { path: string }[] };
    expect((found.file ?? []).map((f) => f.path)).toEqual(["VCHN"]);
    await client.waitForTask(await client.call("DeleteDatastoreFile_Task", client.content.fileManager!, { name: "[mydatastore] vols" }) as ManagedObjectReference);
    await client.call("RemovePortGroup", ns, { pgName: "Clients" });
  });

  it("answers bad flags and values with one line and exit 1", async () => {
    for (const [argv, msg] of [
      [["create", "--timeout", "soon"], 'vic-machine create: invalid value "soon" for flag -timeout: parse error'],
      [["create", "--target"], "vic-machine create: flag needs an argument: -target"],
      [["create", "--image-datastore", "x"], "vic-machine create: --target argument must be specified"],
      [["create", "--target", "h/dc/extra", "--user", "u", "--password", "p", "--image-datastore", "x"], "vic-machine create: --target h/dc/extra: the path may name only a datacenter"],
      [["create", "--target", "u:p@h", "--image-datastore", "x", "--key", "k.pem"], "vic-machine create: --key and --cert must be given together"],
      [["explode"], 'vic-machine: no such command "explode" (commands: create, delete, ls, inspect, version)'],
    ] as const) {
      const r = await run(cwd, [...argv]);
      expect(r.code, argv.join(" ")).toBe(1);
      expect(r.err).toEqual([msg]);
    }
  });
});

describe("vic-machine validation on vCenter", () => {
  it("reports DRS off, a license without serialuri and a bridge that is not a distributed port group, all at once", async () => {
    const scenario = loadScenario("vcenter-cluster");
    const dc = scenario.datacenters[0];
    dc.clusters[0].drs.enabled = false;
    for (const h of dc.clusters[0].hosts) h.license = { ...h.license, features: ["dvs"] };
    const sim = await startSimulator({ scenario, guestPrograms: { ...VIC_GUEST_PROGRAMS } });
    const cwd = mkdtempSync(join(tmpdir(), "vic-vc-validate-"));
    try {
      const r = await run(cwd, ["create", "--target", `administrator@vsphere.local:vcenter-pw@127.0.0.1:${sim.port}`, "--compute-resource", "cluster1", "--image-datastore", "shared-ds", "--bridge-network", "VM Network", "--external-network", "dvpg-containers", "--name", "V"]);
      expect(r.code).toBe(1);
      expect(r.lines).toContain('ERRO the bridge network "VM Network" must be a distributed port group on vCenter');
      expect(r.lines).toContain("ERRO License check FAILED: serialuri and dvs are required");
      expect(r.lines).toContain("ERRO DRS check FAILED: DRS must be enabled on /dc1/host/cluster1");
      expect(r.lines).toContain("ERRO Create cannot continue: configuration validation failed");
    } finally {
      await sim.close();
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
