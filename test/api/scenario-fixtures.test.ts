// Customer VMX fixtures: a scenario places files on its datastores and
// registers VMs from their .vmx, devices and guestinfo included. The
// seed-vch scenario reproduces the seed's VCH and container VM.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { loadScenario } from "../../simulator/inventory/scenario-loader.ts";
import { VimClient } from "../../vim25/client/index.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

const ID = "2cf7f483bf6e7f32daa53f51ca388d5fb153f78d3a74d313318099086638ad58";
const seedDir = new URL("../../scenarios/seed-vch/", import.meta.url).pathname;

describe("the seed-vch scenario", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  let vms: Map<string, Record<string, unknown>>;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "seed-vch" });
    c = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
    vms = await c.retrieveFromContainer(c.content.rootFolder, "VirtualMachine", ["name", "runtime.powerState", "config.hardware.device", "config.extraConfig", "config.files.vmPathName", "network"]);
  });
  afterAll(() => sim.close());
  const byName = (n: string) => [...vms.values()].find((v) => v.name === n)!;

  it("registers the VCH, powered on, with the seed's NICs and appliance.iso", () => {
    const vch = byName("VCH001");
    expect(vch["runtime.powerState"]).toBe("poweredOn");
    const devs = vch["config.hardware.device"] as any[];
    expect(devs.filter((d) => d._type === "VirtualVmxnet3").map((d) => [d.key, d.backing.deviceName])).toEqual([[4000, "VM Network"], [4001, "VCH Bridge"]]);
    expect(devs.find((d) => d._type === "VirtualCdrom").backing.fileName).toBe("[mydatastore] VCH001/appliance.iso");
  });

  it("registers the container VM with its guestinfo, serial port, bootstrap.iso and disk", () => {
    const vm = byName(ID);
    expect(vm["runtime.powerState"]).toBe("poweredOff");
    const extra = Object.fromEntries((vm["config.extraConfig"] as any[]).map((o) => [o.key, o.value]));
    expect(extra["guestinfo./common/name"]).toBe("jolly_panini");
    expect(extra[`guestinfo./sessions|${ID}/cmd/Path`]).toBe("/hello");
    expect(extra["guestinfo./repo"]).toBe("hello-world");
    const devs = vm["config.hardware.device"] as any[];
    const serial = devs.find((d) => d._type === "VirtualSerialPort");
    expect(serial.backing).toMatchObject({ _type: "VirtualSerialPortURIBackingInfo", direction: "client", serviceURI: "tcp://VCH_IP:8080" });
    expect(serial.yieldOnPoll).toBe(true);
    // the CD-ROM's /vmfs/volumes path names the seed's datastore UUID
    expect(devs.find((d) => d._type === "VirtualCdrom").backing.fileName).toBe("[mydatastore] VCH001/bootstrap.iso");
    const disk = devs.find((d) => d._type === "VirtualDisk");
    expect(disk.backing.fileName).toBe(`[mydatastore] ${ID}/${ID}.vmdk`);
    expect(disk.capacityInKB).toBe(8 * 1024 * 1024);
    // the chain as the API shows it: container delta, two layers, scratch
    const chain: string[] = [];
    for (let b = disk.backing; b; b = b.parent) chain.push(b.fileName.replace(/^.*\//, ""));
    expect(chain).toEqual([`${ID}.vmdk`, "c04b14da8d14.vmdk", "a3ed95caeb02.vmdk", "scratch.vmdk"]);
    expect(devs.find((d) => d._type === "ParaVirtualSCSIController").key).toBe(1000);
    expect(((vm.network as ManagedObjectReference[]) ?? []).map((n) => n.value)).toEqual(["HaNetwork-VCH Bridge"]);
  });

  it("leaves the customer's .vmx on the datastore byte for byte", async () => {
    const got = await c.downloadFile("mydatastore", `${ID}/${ID}.vmx`);
    expect(got.toString("utf8")).toBe(readFileSync(join(seedDir, "container.vmx"), "utf8"));
    const vch = await c.downloadFile("mydatastore", "VCH001/VCH001.vmx");
    expect(vch.toString("utf8")).toBe(readFileSync(join(seedDir, "VCH001.vmx"), "utf8"));
  });

  it("chains the container's disk onto the image layers", async () => {
    const desc = (await c.downloadFile("mydatastore", `${ID}/${ID}.vmdk`)).toString();
    expect(desc).toContain('createType="vmfsSparse"');
    expect(desc).toMatch(/parentFileNameHint="\/vmfs\/volumes\/d37f7a1b-0ab13c48\/VIC\/[0-9a-f-]+\/images\/c04b14da8d14\/c04b14da8d14\.vmdk"/);
  });
});

describe("fixture errors", () => {
  it("names the .vmx file and line of a malformed line", () => {
    const dir = mkdtempSync(join(tmpdir(), "fixture-"));
    writeFileSync(join(dir, "bad.vmx"), '.encoding = "UTF-8"\ndisplayName = "x"\nthis line is not a vmx line\n');
    writeFileSync(join(dir, "scenario.yaml"), [
      "model: esx",
      "host: { name: esx.local }",
      "datastores: [{ name: ds, capacity: 1GB }]",
      "files:",
      "  - { datastore: ds, path: x/x.vmx, source: bad.vmx }",
      "vms:",
      "  - { datastore: ds, vmx: x/x.vmx }",
    ].join("\n"));
    expect(() => loadScenario(dir)).toThrow(/bad\.vmx:3:/);
  });

  it("refuses a VM whose .vmx is not among the files", () => {
    const dir = mkdtempSync(join(tmpdir(), "fixture-"));
    writeFileSync(join(dir, "scenario.yaml"), "model: esx\nhost: { name: esx.local }\ndatastores: [{ name: ds, capacity: 1GB }]\nvms:\n  - { datastore: ds, vmx: y/y.vmx }\n");
    expect(() => loadScenario(dir)).toThrow(/scenario\.yaml:5:.*must be one of the scenario's files/);
  });
});

describe("fixture guests", () => {
  const vmx = [
    '.encoding = "UTF-8"', 'config.version = "8"', 'virtualHW.version = "11"', 'displayName = "web01"', 'guestOS = "otherlinux-64"', 'memSize = "256"',
    'ethernet0.present = "TRUE"', 'ethernet0.virtualDev = "vmxnet3"', 'ethernet0.networkName = "VM Network"', 'ethernet0.addressType = "generated"',
    'ethernet0.generatedAddress = "00:0c:29:aa:bb:01"', 'ethernet1.present = "TRUE"', 'ethernet1.virtualDev = "vmxnet3"', 'ethernet1.networkName = "Backend"',
    'ethernet1.addressType = "generated"', 'ethernet1.generatedAddress = "00:0c:29:aa:bb:02"', "",
  ].join("\n");
  const scenario = (guest: string, subnet = "127.31.7.0/24") => {
    const dir = mkdtempSync(join(tmpdir(), "fixture-"));
    writeFileSync(join(dir, "web01.vmx"), vmx);
    writeFileSync(join(dir, "scenario.yaml"), [
      "model: esx",
      "host:",
      "  name: esx.local",
      "  vswitches: [{ name: vSwitch0, portgroups: [VM Network, { name: Backend, subnet: " + subnet + " }] }]",
      "datastores: [{ name: ds, capacity: 1GB }]",
      "files:",
      "  - { datastore: ds, path: web01/web01.vmx, source: web01.vmx }",
      "vms:",
      `  - { datastore: ds, vmx: web01/web01.vmx, powerState: poweredOn, guest: ${guest} }`,
    ].join("\n"));
    return dir;
  };

  it("runs the scenario's generic Linux guest: tools, host name, its static address, a lease on the port group's subnet", async () => {
    const sim = await startSimulator({ scenario: scenario("{ hostName: web01.example.com, ipAddress: 127.31.9.10 }") });
    try {
      const c = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
      const vm = [...(await c.retrieveFromContainer(c.content.rootFolder, "VirtualMachine", ["name"])).keys()][0];
      const ref = { _type: "ManagedObjectReference", type: "VirtualMachine", value: vm } as ManagedObjectReference;
      await c.waitForProperties(ref, ["guest.toolsRunningStatus"], (v) => v["guest.toolsRunningStatus"] === "guestToolsRunning", { timeoutMs: 5000 });
      const p = await c.retrieveOne(ref, ["guest.hostName", "guest.ipAddress", "guest.net"]);
      expect(p["guest.hostName"]).toBe("web01.example.com");
      expect(p["guest.ipAddress"]).toBe("127.31.9.10");
      const net = (p["guest.net"] as any[]).map((n) => [n.network, n.ipAddress[0]]);
      expect(net[0]).toEqual(["VM Network", "127.31.9.10"]);
      expect(net[1][0]).toBe("Backend");
      expect(net[1][1]).toMatch(/^127\.31\.7\.(\d+)$/);
    } finally {
      await sim.close();
    }
  });

  it("refuses a guest address outside 127.0.0.0/8 and a subnet that is not a /24 there", () => {
    expect(() => loadScenario(scenario("{ ipAddress: 10.0.0.5 }"))).toThrow(/scenario\.yaml:9:.*ipAddress must be an IPv4 address in 127\.0\.0\.0\/8/);
    expect(() => loadScenario(scenario("generic-linux", "10.1.2.0/24"))).toThrow(/scenario\.yaml:4:.*subnet must be a \/24 in 127\.0\.0\.0\/8/);
  });
});
