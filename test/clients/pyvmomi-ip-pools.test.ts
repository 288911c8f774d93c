// vCenter's IP pools and InventoryView through pyVmomi
// (pyvmomi_ip_pools.py), and IP pools in a simulator snapshot.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";
import { Simulator } from "../../simulator/simulator.ts";
import { loadScenario } from "../../simulator/inventory/scenario-loader.ts";
import type { IpPoolManager } from "../../simulator/objects/ip-pool-manager.ts";
import type { CallContext } from "../../simulator/objects/managed-object.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

const HOSTS = ["esx4.example.com", "Resources", "esx4.example.com", "cluster1", "Resources", "esx1.example.com", "esx2.example.com", "esx3.example.com"];

describe("pyvmomi: IP pools and inventory views", () => {
  it("creates, allocates from, updates and destroys IP pools; opens and closes an inventory view", async () => {
    const out = await runPyvmomi("pyvmomi_ip_pools.py", "vcenter-cluster");
    expect(out).toEqual({
      empty: [],
      created: {
        id: 1, name: "pool1", dnsDomain: "example.com", hostPrefix: "",
        v4: ["10.20.0.0", "255.255.255.0", "10.20.0.1", "10.20.0.10#3", ["10.20.0.2"], true, false],
        v6: ["2001:db8::", "2001:db8::1", "2001:db8::10#2"],
        counts: [3, 0, 2, 0],
        network: [true, true],
      },
      createFaults: {
        duplicateName: "InvalidArgument", noName: "InvalidArgument", badNetmask: "InvalidArgument", hostBits: "InvalidArgument", gatewayOutside: "InvalidArgument",
        rangeOutside: "InvalidArgument", rangeSyntax: "InvalidArgument", rangeZero: "InvalidArgument", overlap: "InvalidArgument", holdsGateway: "InvalidArgument",
        badDns: "InvalidArgument", v6Outside: "InvalidArgument", networkTaken: "InvalidArgument",
        pools: ["pool1"],
      },
      allocate: [
        ["vm-1", "10.20.0.10"], ["vm-1", "10.20.0.10"], ["vm-2", "10.20.0.11"], ["vm-3", "10.20.0.12"],
        // none left: the empty string, as the reference says
        ["vm-4", ""],
        ["v6 vm-1", "2001:db8::10"], ["v6 vm-2", "2001:db8::11"], ["v6 vm-3", ""],
      ],
      afterAllocate: [1, "10.20.0.10#3", ["10.20.0.2"], 0, 3, 0, 2, ["VM Network"]],
      allocations: [["vm-1", "10.20.0.10"], ["vm-1", "2001:db8::10"], ["vm-2", "10.20.0.11"], ["vm-2", "2001:db8::11"], ["vm-3", "10.20.0.12"]],
      otherExtension: [],
      unknownPool: { allocate: "InvalidArgument", release: "InvalidArgument", query: "InvalidArgument", update: "InvalidArgument", destroy: "InvalidArgument" },
      // releasing frees both the IPv4 and the IPv6 address of the allocation; releasing again is no fault
      release: { again: "ok", counts: [1, 2, 1, 1], reused: "10.20.0.11" },
      updated: { "pool-renamed": [1, "10.20.0.11#5", ["10.20.0.2"], 3, 2, 1, 1, ["VM Network"]] },
      updatedAllocations: [["vm-1", "2001:db8::10"], ["vm-3", "10.20.0.12"], ["vm-5", "10.20.0.11"]],
      dnsCleared: [],
      updateFaults: { badGateway: "InvalidArgument", unchanged: "10.20.0.11#5" },
      disabled: [2, "", ""],
      destroy: { inUse: "InvalidState", unused: "ok", forced: "ok", left: [] },
      nextId: 3,
      view: { type: "InventoryView", initial: [true], listed: true },
      viewSteps: [
        ["openRoot", [], ["Datacenters", "dc1", "vm", "host"]],
        ["openHostFolder", [], ["Datacenters", "dc1", "vm", "host", ...HOSTS]],
        // what could not be resolved comes back; the rest opens
        ["openUnknown", ["group-v999"], ["Datacenters", "dc1", "vm", "host", "vch", ...HOSTS]],
        ["newFolder", ["Datacenters", "dc1", "vm", "host", "vch", "apps", ...HOSTS]],
        ["closeHostFolder", [], ["Datacenters", "dc1", "vm", "host", "vch", "apps"]],
        ["closeRoot", [], ["Datacenters"]],
        ["openCluster", [], ["Datacenters", "dc1", "vm", "host", ...HOSTS]],
      ],
      destroyed: "ManagedObjectNotFound",
      reset: { status: 200, pools: [] },
    });
  });

  it("restores IP pools and their allocations with a snapshot", () => {
    const sim = new Simulator(loadScenario("vcenter-cluster"));
    const ipm = sim.inventory.get((sim.content.ipPoolManager as ManagedObjectReference).value) as IpPoolManager;
    const dc = sim.inventory.ofType("Datacenter")[0].ref;
    const ctx: CallContext = { session: sim.sessions.create(sim.scenario.credentials.username, "", "en", "127.0.0.1", "test"), aborted: new Promise(() => {}), remoteAddress: "", userAgent: "" };
    const config = (range: string) => ({ _type: "IpPoolIpPoolConfigInfo", subnetAddress: "192.168.1.0", netmask: "255.255.255.0", gateway: "192.168.1.1", range, ipPoolEnabled: true });
    const state = () => ipm.QueryIpPools({ dc }, ctx).map((p) => [p.id, p.name, p.allocatedIpv4Addresses]);
    const id = ipm.CreateIpPool({ dc, pool: { _type: "IpPool", name: "kept", ipv4Config: config("192.168.1.10#4") } }, ctx);
    ipm.AllocateIpv4Address({ dc, poolId: id, allocationId: "a" }, ctx);
    const snap = sim.snapshot();
    ipm.AllocateIpv4Address({ dc, poolId: id, allocationId: "b" }, ctx);
    ipm.CreateIpPool({ dc, pool: { _type: "IpPool", name: "later", ipv4Config: config("192.168.1.20#4") } }, ctx);
    expect(state()).toEqual([[1, "kept", 2], [2, "later", 0]]);
    sim.restore(snap);
    expect(state()).toEqual([[1, "kept", 1]]);
    // the id counter went back too
    expect(ipm.CreateIpPool({ dc, pool: { _type: "IpPool", name: "again", ipv4Config: config("192.168.1.30#4") } }, ctx)).toBe(2);
    expect(ipm.AllocateIpv4Address({ dc, poolId: id, allocationId: "b" }, ctx)).toBe("192.168.1.11");
    sim.reset();
    expect(state()).toEqual([]);
  });
});
