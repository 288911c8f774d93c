import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ScenarioError, loadScenario, parseScenario, parseSize, standardRulesets } from "../../simulator/inventory/scenario-loader.ts";
import type { Scenario } from "../../simulator/inventory/scenario.ts";

const GiB = 1024 ** 3;
const tmp = mkdtempSync(path.join(tmpdir(), "scenario-loader-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function parse(text: string): Scenario {
  return parseScenario(text, "test.yaml", "test");
}

/** Parses `text`, which must fail; returns the error for further checks. */
function failure(text: string, file = "test.yaml"): ScenarioError {
  try {
    parseScenario(text, file, "test");
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return err as ScenarioError;
  }
  throw new Error("expected a ScenarioError");
}

function expectError(text: string, line: number, column: number, problem: RegExp | string): ScenarioError {
  const err = failure(text);
  expect(err.message).toMatch(new RegExp(`^test\\.yaml:${line}:${column}: `));
  expect({ line: err.line, column: err.column }).toEqual({ line, column });
  if (typeof problem === "string") expect(err.problem).toBe(problem);
  else expect(err.problem).toMatch(problem);
  return err;
}

describe("shipped scenarios", () => {
  it("homelab is the seed's standalone ESXi 6.0 host", () => {
    const s = loadScenario("homelab");
    expect(s.name).toBe("homelab");
    expect(s.model).toBe("esx");
    expect(s.about).toEqual({ version: "6.0.0", build: "3620759", apiVersion: "6.0" });
    expect(s.credentials.username).toBe("root");
    expect(s.credentials.password).not.toBe("");
    expect(s.seed).toBe("homelab");
    expect(s.datacenters).toHaveLength(1);
    const dc = s.datacenters[0]!;
    expect(dc.name).toBe("ha-datacenter");
    expect(dc.clusters).toEqual([]);
    expect(dc.dvSwitches).toEqual([]);
    expect(dc.datastores.map((d) => d.name)).toEqual(["mydatastore"]);
    expect(dc.datastores[0]).toMatchObject({ type: "VMFS", capacityBytes: 500 * GiB, usedBytes: 0 });
    expect(dc.hosts).toHaveLength(1);
    const host = dc.hosts[0]!;
    expect(host.name).toBe("esxi01.think-v.com");
    expect(host.datastores).toEqual(["mydatastore"]);
    const pgs = host.vswitches.flatMap((v) => v.portgroups.map((p) => p.name));
    expect(pgs).toEqual(expect.arrayContaining(["VM Network", "VCH Bridge", "Management Network"]));
    expect(host.vswitches[0]!.name).toBe("vSwitch0");
    expect(host.firewall.enabled).toBe(false);
    expect(host.firewall.rulesets.find((r) => r.key === "remoteSerialPort")?.enabled).toBe(false);
    expect(host.license.features).toContain("serialuri");
  });

  it("vcenter-cluster is a vCenter with a DRS cluster, a standalone host, a shared datastore and a dvSwitch", () => {
    const s = loadScenario("vcenter-cluster");
    expect(s.name).toBe("vcenter-cluster");
    expect(s.model).toBe("vcenter");
    expect(s.about).toEqual({ version: "6.0.0", build: "3634794", apiVersion: "6.0" });
    expect(s.credentials.username).toBe("administrator@vsphere.local");
    expect(s.datacenters.map((d) => d.name)).toEqual(["dc1"]);
    const dc = s.datacenters[0]!;
    expect(dc.clusters).toHaveLength(1);
    const cluster = dc.clusters[0]!;
    expect(cluster.name).toBe("cluster1");
    expect(cluster.drs).toEqual({ enabled: true, behavior: "fullyAutomated" });
    expect(cluster.ha).toEqual({ enabled: true });
    expect(cluster.hosts).toHaveLength(3);
    expect(dc.hosts).toHaveLength(1);
    const all = [...cluster.hosts, ...dc.hosts];
    for (const h of all) expect(h.datastores).toContain("shared-ds");
    expect(dc.dvSwitches.map((d) => d.name)).toEqual(["dvs1"]);
    expect([...dc.dvSwitches[0]!.hosts].sort()).toEqual(all.map((h) => h.name).sort());
    expect(dc.dvSwitches[0]!.portgroups.map((p) => p.name)).toEqual(["dvpg-containers"]);
    // aliases share the anchor's values
    expect(cluster.hosts[2]!.cpu).toEqual(cluster.hosts[0]!.cpu);
    expect(new Set(all.map((h) => h.managementIp)).size).toBe(4);
  });

  it("loads the same way every time, and never shares objects between loads", () => {
    const a = loadScenario("vcenter-cluster");
    const b = loadScenario("vcenter-cluster");
    expect(b).toEqual(a);
    a.datacenters[0]!.hosts[0]!.firewall.rulesets[0]!.enabled = false;
    a.datacenters[0]!.hosts[0]!.license.features.push("x");
    const c = loadScenario("vcenter-cluster");
    expect(c).toEqual(b);
    expect(standardRulesets()[0]!.enabled).toBe(true);
  });
});

describe("finding the file", () => {
  const dir = path.join(tmp, "lookup");
  mkdirSync(path.join(dir, "mini"), { recursive: true });
  writeFileSync(path.join(dir, "mini", "scenario.yaml"), "model: esx\nhost:\n  name: mini.local\n");
  writeFileSync(path.join(dir, "other.yml"), "model: esx\nhost:\n  name: other.local\n");

  it("resolves a name in scenariosDir", () => {
    const s = loadScenario("mini", { scenariosDir: dir });
    expect(s.name).toBe("mini");
    expect(s.datacenters[0]!.hosts[0]!.name).toBe("mini.local");
  });

  it("takes a directory or a YAML file path", () => {
    expect(loadScenario(path.join(dir, "mini")).name).toBe("mini");
    expect(loadScenario(path.join(dir, "mini", "scenario.yaml")).name).toBe("mini");
    const other = loadScenario(path.join(dir, "other.yml"));
    expect(other.name).toBe("other");
    expect(other.seed).toBe("other");
  });

  it("names the available scenarios when a name is unknown", () => {
    expect(() => loadScenario("nope", { scenariosDir: dir })).toThrow(/no scenario named "nope".*available: mini/);
  });

  it("reports a missing file", () => {
    expect(() => loadScenario(path.join(dir, "missing.yaml"))).toThrow(ScenarioError);
    expect(() => loadScenario(path.join(dir, "missing.yaml"))).toThrow(/missing\.yaml: cannot read the scenario: no such file/);
  });

  it("puts the file path in errors from a loaded file", () => {
    const file = path.join(dir, "broken.yaml");
    writeFileSync(file, "model: esx\nhost:\n  name: h\n  cpu:\n    cores: four\n");
    expect(() => loadScenario(file)).toThrow(`${file}:5:12: host "h": cpu.cores must be a positive integer, got "four"`);
  });
});

describe("defaults", () => {
  it("fills every field of a minimal esx scenario", () => {
    const s = parse("model: esx\nhost:\n  name: esx.local\n");
    expect(s.name).toBe("test");
    expect(s.file).toBe("test.yaml");
    expect(s.seed).toBe("test");
    expect(s.about).toEqual({ version: "6.0.0", build: "3620759", apiVersion: "6.0" });
    expect(s.credentials).toEqual({ username: "root", password: "vmware" });
    const dc = s.datacenters[0]!;
    expect(dc).toMatchObject({ name: "ha-datacenter", vmFolders: [], datastores: [], clusters: [], dvSwitches: [] });
    const h = dc.hosts[0]!;
    expect(h.cpu).toEqual({ packages: 1, cores: 4, threads: 8, mhz: 2600, model: "Intel(R) Xeon(R) CPU E5-2650 v2 @ 2.60GHz" });
    expect(h.memoryBytes).toBe(16 * GiB);
    expect(h.datastores).toEqual([]);
    expect(h.vswitches).toEqual([{
      name: "vSwitch0", uplinks: ["vmnic0"],
      portgroups: [{ name: "VM Network", vlan: 0 }, { name: "Management Network", vlan: 0 }],
    }]);
    expect(h.firewall.enabled).toBe(true);
    expect(h.license).toEqual({
      licenseKey: "00000-00000-00000-00000-00000", editionKey: "esx.enterprisePlus.cpuPackage",
      name: "VMware vSphere 6 Enterprise Plus", features: ["serialuri", "dvs", "vmotion", "drs", "ha"],
    });
    expect(h.resourcePools).toEqual([]);
    expect(h.managementIp).toBe("10.0.0.11");
  });

  it("has the standard ESXi rulesets", () => {
    const rs = parse("model: esx\nhost: {name: h}\n").datacenters[0]!.hosts[0]!.firewall.rulesets;
    const by = (key: string) => rs.find((r) => r.key === key)!;
    expect(by("sshServer")).toMatchObject({ enabled: true, allowedAll: true, rules: [{ port: 22, direction: "inbound", protocol: "tcp" }] });
    expect(by("sshClient").rules).toEqual([expect.objectContaining({ port: 22, direction: "outbound" })]);
    expect(by("httpClient").rules.map((r) => r.port)).toEqual([80, 443]);
    expect(by("vSphereClient").rules.map((r) => r.port).sort()).toEqual([443, 902]);
    expect(by("webAccess").rules).toEqual([expect.objectContaining({ port: 80, direction: "inbound" })]);
    expect(by("dhcp").required).toBe(true);
    expect(by("dns").rules).toContainEqual(expect.objectContaining({ port: 53, protocol: "udp", direction: "outbound" }));
    expect(by("remoteSerialPort")).toMatchObject({ label: "VM serial port connected over network", enabled: false });
    expect(by("remoteSerialPort").rules).toContainEqual(
      expect.objectContaining({ port: 0, endPort: 65535, direction: "outbound", protocol: "tcp" }));
    expect(by("remoteSerialPort").rules).toContainEqual(expect.objectContaining({ port: 1024, endPort: 65535, direction: "inbound" }));
  });

  it("defaults the vcenter login, host datastores, dvSwitch members and derived values", () => {
    const s = parse([
      "model: vcenter",
      "about: { version: 6.5.0 }",
      "datacenters:",
      "  - name: dc",
      "    vmFolders: [a/b/c, x]",
      "    datastores: [{ name: ds1, capacity: 1TB }, { name: ds2, capacity: 1TB }]",
      "    hosts: [{ name: h1, cpu: { packages: 2 } }]",
      "    clusters:",
      "      - name: c",
      "        drs: { behavior: manual }",
      "        hosts: [{ name: h2, managementIp: 10.0.0.12 }, { name: h3 }]",
      "    dvSwitches: [{ name: d, portgroups: [pg1, { name: pg2, vlan: 7 }] }]",
    ].join("\n"));
    expect(s.credentials).toEqual({ username: "administrator@vsphere.local", password: "vmware" });
    expect(s.about).toEqual({ version: "6.5.0", build: "4602587", apiVersion: "6.5" });
    const dc = s.datacenters[0]!;
    expect(dc.vmFolders).toEqual(["a", "a/b", "a/b/c", "x"]);
    expect(dc.hosts[0]!.datastores).toEqual(["ds1", "ds2"]);
    expect(dc.hosts[0]!.cpu).toMatchObject({ packages: 2, cores: 8, threads: 16 });
    expect(dc.clusters[0]!.drs).toEqual({ enabled: true, behavior: "manual" });
    expect(dc.clusters[0]!.ha).toEqual({ enabled: false });
    expect(dc.dvSwitches[0]).toEqual({
      name: "d", version: "6.0.0", hosts: ["h1", "h2", "h3"],
      portgroups: [{ name: "pg1", vlan: 0, numPorts: 8 }, { name: "pg2", vlan: 7, numPorts: 8 }],
    });
    // defaults skip the address given explicitly
    expect([dc.hosts[0]!.managementIp, ...dc.clusters[0]!.hosts.map((h) => h.managementIp)])
      .toEqual(["10.0.0.11", "10.0.0.12", "10.0.0.13"]);
  });

  it("reads firewall overrides, custom rulesets and resource pools", () => {
    const h = parse([
      "model: esx",
      "host:",
      "  name: h",
      "  firewall:",
      "    rulesets:",
      "      sshServer: false",
      "      remoteSerialPort: { enabled: true }",
      "      vic:",
      "        label: VIC serial",
      "        rules: [{ port: 2377, direction: outbound }]",
      "  resourcePools:",
      "    - name: p",
      "      cpu: { reservation: 1000, limit: 2000, shares: high }",
      "      memory: { reservation: 2GiB, limit: unlimited, expandableReservation: false }",
      "      children: [{ name: q }]",
    ].join("\n")).datacenters[0]!.hosts[0]!;
    const by = (key: string) => h.firewall.rulesets.find((r) => r.key === key)!;
    expect(by("sshServer").enabled).toBe(false);
    expect(by("remoteSerialPort").enabled).toBe(true);
    expect(by("vic")).toEqual({
      key: "vic", label: "VIC serial", enabled: true, required: false, allowedAll: true,
      rules: [{ port: 2377, direction: "outbound", protocol: "tcp", portType: "dst" }],
    });
    expect(h.resourcePools).toEqual([{
      name: "p",
      cpu: { reservation: 1000, expandableReservation: true, limit: 2000, shares: "high" },
      memory: { reservation: 2048, expandableReservation: false, limit: -1, shares: "normal" },
      children: [{
        name: "q",
        cpu: { reservation: 0, expandableReservation: true, limit: -1, shares: "normal" },
        memory: { reservation: 0, expandableReservation: true, limit: -1, shares: "normal" },
        children: [],
      }],
    }]);
  });

  it("takes number-like strings as written", () => {
    const s = parse("model: esx\nabout: { build: 3620759, apiVersion: 6.0 }\ncredentials: { password: 1234 }\nseed: 42\nhost: {name: h}\n");
    expect(s.about).toEqual({ version: "6.0.0", build: "3620759", apiVersion: "6.0" });
    expect(s.credentials.password).toBe("1234");
    expect(s.seed).toBe("42");
  });
});

describe("sizes", () => {
  it("parses numbers and unit strings, binary multiples throughout", () => {
    expect(parseSize(1234)).toBe(1234);
    expect(parseSize("1234")).toBe(1234);
    expect(parseSize("512B")).toBe(512);
    expect(parseSize("1KB")).toBe(1024);
    expect(parseSize("1KiB")).toBe(1024);
    expect(parseSize("10MB")).toBe(10 * 1024 ** 2);
    expect(parseSize("500GB")).toBe(500 * GiB);
    expect(parseSize("16 GiB")).toBe(16 * GiB);
    expect(parseSize("2TB")).toBe(2 * 1024 ** 4);
    expect(parseSize("1.5TiB")).toBe(1.5 * 1024 ** 4);
    expect(parseSize("4gb")).toBe(4 * GiB);
  });

  it("rejects what is not a whole, non-negative size", () => {
    for (const bad of ["", "GB", "-1GB", "3PB", "1.5", "0.1KB", "ten GB", "1 2GB"]) {
      expect(() => parseSize(bad), bad).toThrow(RangeError);
    }
    expect(() => parseSize(-5)).toThrow(RangeError);
    expect(() => parseSize(1.5)).toThrow(RangeError);
  });

  it("applies to datastore capacity and host memory", () => {
    const s = parse("model: esx\nhost: { name: h, memory: 64GiB }\ndatastores:\n  - { name: ds, capacity: 1.5TB, used: 512MB }\n");
    expect(s.datacenters[0]!.hosts[0]!.memoryBytes).toBe(64 * GiB);
    expect(s.datacenters[0]!.datastores[0]).toEqual({ name: "ds", type: "VMFS", capacityBytes: 1.5 * 1024 ** 4, usedBytes: 512 * 1024 ** 2 });
  });
});

describe("errors name the file, the line and the problem", () => {
  it("a value of the wrong type", () => {
    expectError("model: esx\nhost:\n  name: esx1\n  cpu:\n    cores: four\n", 5, 12,
      'host "esx1": cpu.cores must be a positive integer, got "four"');
    expectError("model: esx\nhost:\n  name: h\n  firewall:\n    enabled: maybe\n", 5, 14,
      'host "h": firewall.enabled must be true or false, got "maybe"');
    expectError("model: esx\nhost: { name: h }\ndatastores:\n  - name: ds\n    capacity: lots\n", 5, 15,
      /^datastore "ds": capacity must be a size such as 500GB/);
    expectError("model: esx\nhost:\n  name: h\n  vswitches:\n    - name: vSwitch0\n      portgroups:\n        - { name: A, vlan: 5000 }\n", 7, 28,
      'host "h" vSwitch "vSwitch0": portgroups[0].vlan must be an integer from 0 to 4095, got 5000');
    expectError("model: esxi\n", 1, 8, 'model must be one of esx, vcenter, got "esxi"');
  });

  it("an unknown key, with the allowed keys", () => {
    const err = expectError("model: esx\nhost:\n  name: h\n  cpus: 4\n", 4, 3, /^host "h": unknown key "cpus" \(did you mean "cpu"\?\); allowed keys: /);
    expect(err.problem).toContain("name, managementIp, cpu, memory");
    expectError("model: esx\nhost:\n  name: h\n  cpu:\n    core: 4\n", 5, 5, /^host "h": cpu has unknown key "core" \(did you mean "cores"\?\); allowed keys: packages, cores/);
    expectError("model: esx\nhost: { name: h }\nsede: x\n", 3, 1, /^unknown key "sede" \(did you mean "seed"\?\)/);
    expectError("model: esx\ndatacenters: []\n", 2, 1, /"datacenters" is not allowed with model esx/);
    expectError("model: vcenter\ndatacenters: []\nhost: { name: h }\n", 3, 1, /"host" is not allowed at the top level with model vcenter/);
    expectError("model: esx\nhost:\n  name: h\n  firewall:\n    rulesets:\n      sshServr: false\n", 6, 7,
      /"sshServr" is not a standard ESXi ruleset \(did you mean "sshServer"\?\)/);
  });

  it("a bad cross reference", () => {
    expectError("model: esx\nhost:\n  name: h\n  datastores: [ds1, ds2]\ndatastores:\n  - { name: ds1, capacity: 1GB }\n", 4, 21,
      'host "h": datastores[1] names datastore "ds2", which is not defined in the datacenter (defined: "ds1")');
    const dvs = [
      "model: vcenter",
      "datacenters:",
      "  - name: dc1",
      "    hosts: [{ name: h1 }]",
      "    dvSwitches:",
      "      - name: dvs",
      "        hosts:",
      "          - h1",
      "          - h9",
    ].join("\n");
    expectError(dvs, 9, 13, /^dvSwitch "dvs": hosts\[1\] names host "h9", which is not a host of datacenter "dc1"/);
  });

  it("a duplicate name, with the line of the first", () => {
    expectError("model: esx\nhost: { name: h }\ndatastores:\n  - { name: ds, capacity: 1GB }\n  - { name: ds, capacity: 2GB }\n", 5, 13,
      'duplicate datastore "ds" (first defined at line 4)');
    const hosts = [
      "model: vcenter",
      "datacenters:",
      "  - name: dc1",
      "    hosts: [{ name: h1 }]",
      "  - name: dc2",
      "    clusters:",
      "      - name: c",
      "        hosts:",
      "          - name: h1",
    ].join("\n");
    expectError(hosts, 9, 19, /^cluster "c": duplicate host "h1" \(first defined at line 4\)/);
  });

  it("a model rule broken", () => {
    expectError("model: vcenter\ndatacenters:\n  - name: dc\n    clusters:\n      - name: c\n        hosts:\n          - name: h\n            resourcePools: []\n", 8, 13,
      /^host "h": resourcePools is only allowed on standalone hosts/);
    expectError("model: esx\ndatastores: []\n", 1, 1, /missing required key "host"/);
    expectError("host: { name: h }\n", 1, 1, /missing required key "model"/);
    expectError("model: esx\nhost:\n  name: h\n  cpu: { packages: 2, cores: 3 }\n", 4, 30, /cpu\.cores \(3\) must be a multiple of cpu\.packages \(2\)/);
  });

  it("a YAML syntax error", () => {
    expectError("model: esx\nhost:\n  name: [h\n  cpu: 4\n", 4, 3, /^YAML syntax: /);
    expectError("model: esx\nhost: { name: a }\nhost: { name: b }\n", 3, 1, /^YAML syntax: Map keys must be unique/);
    expectError("model: esx\nhost:\n\tname: h\n", 3, 1, /^YAML syntax: Tabs/);
    expectError("model: esx\nhost: *nowhere\n", 2, 7, /alias \*nowhere has no anchor/);
  });

  it("an empty file or one that is not a mapping", () => {
    expectError("", 1, 1, /the file is empty/);
    expectError("- model: esx\n", 1, 1, /must be a mapping/);
  });
});
