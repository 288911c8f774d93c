// pyVmomi (Debian's python3-pyvmomi, installed by .ci/run) against an
// in-process simulator: login, inventory walk, traversal specs, views,
// paging, WaitForUpdatesEx, Logout.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";

const run = promisify(execFile);
const script = new URL("./pyvmomi_walk.py", import.meta.url).pathname;

async function walk(sim: RunningSimulator): Promise<any> {
  // Debian's pyVmomi loads under /usr/bin/python3, not a python3 earlier on PATH
  const { stdout } = await run("/usr/bin/python3", [script, "127.0.0.1", String(sim.port), sim.username, sim.password], { timeout: 60_000 });
  return JSON.parse(stdout);
}

describe("pyvmomi against the homelab ESXi host", () => {
  let sim: RunningSimulator;
  let out: any;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab" });
    out = await walk(sim);
  });
  afterAll(() => sim.close());

  it("logs in with the scenario's password only", () => {
    expect(out.wrongPassword).toMatch(/^InvalidLogin/);
    expect(out.currentUser).toBe("root");
    expect(out.about).toEqual({ fullName: "VMware ESXi 6.0.0 build-3620759", apiType: "HostAgent", apiVersion: "6.0" });
  });

  it("walks the standalone host's inventory through properties", () => {
    const names = out.walk.map((w: any) => `${w.depth}:${w.type}:${w.name}`);
    expect(names).toEqual([
      "0:Folder:ha-folder-root", "1:Datacenter:ha-datacenter", "2:Folder:vm", "2:Folder:host",
      "3:ComputeResource:esxi01.think-v.com", "4:HostSystem:esxi01.think-v.com", "4:ResourcePool:Resources",
      "2:Folder:datastore", "3:Datastore:mydatastore", "2:Folder:network", "3:Network:VM Network", "3:Network:VCH Bridge",
    ]);
  });

  it("follows a classic traversal spec and reports invalid paths in missingSet", () => {
    expect(out.traversal).toEqual([{
      obj: "ha-host",
      props: { name: "esxi01.think-v.com", "summary.hardware.numCpuCores": 4, "config.firewall.defaultPolicy.outgoingBlocked": false },
      missing: [["no.such.path", "vmodl.query.InvalidProperty"]],
    }]);
  });

  it("pages RetrievePropertiesEx over a container view", () => {
    expect(out.paging.pages).toEqual([3, 3, 3, 2]);
    expect(out.paging.viewSize).toBe(11);
    expect(out.paging.names).toContain("mydatastore");
  });

  it("sees a change through WaitForUpdatesEx and nothing when nothing changed", () => {
    expect(out.updates.initial).toEqual(["name", "resourcePool"]);
    expect(out.updates.emptyWhenNothingChanged).toBe(true);
    expect(out.updates.afterCreate).toEqual([["modify", "resourcePool", [out.updates.child]]]);
    expect(out.updates.destroyTask).toBe("success");
  });

  it("answers faults as ESXi does, and ends the session at Logout", () => {
    expect(out.rootPoolDestroy).toBe("vmodl.fault.NotSupported");
    expect(out.unknownObject).toBe("ManagedObjectNotFound");
    expect(out.afterLogout).toBe("NotAuthenticated");
  });
});

describe("pyvmomi against the vcenter-cluster scenario", () => {
  let sim: RunningSimulator;
  let out: any;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "vcenter-cluster" });
    out = await walk(sim);
  });
  afterAll(() => sim.close());

  it("walks datacenter, cluster, hosts and the distributed switch", () => {
    expect(out.about.apiType).toBe("VirtualCenter");
    const names = out.walk.map((w: any) => `${w.type}:${w.name}`);
    expect(names).toContain("ClusterComputeResource:cluster1");
    expect(names.filter((n: string) => n.startsWith("HostSystem:")).length).toBe(4);
    expect(names).toContain("VmwareDistributedVirtualSwitch:dvs1");
    expect(names).toContain("DistributedVirtualPortgroup:dvpg-containers");
    expect(out.traversal.length).toBe(4);
  });
});
