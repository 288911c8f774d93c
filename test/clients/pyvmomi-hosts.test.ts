// pyVmomi: clusters and hosts joining and leaving a vCenter (CreateClusterEx,
// AddStandaloneHost_Task, AddHost_Task, MoveInto_Task, Disconnect/ReconnectHost_Task,
// HostSystem and ComputeResource Destroy_Task);
// NotSupported on a standalone host.
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { pyvmomiScript, runPyvmomi } from "./pyvmomi-run.ts";

describe("pyvmomi: clusters and hosts", () => {
  it("creates a cluster, adds hosts once their thumbprint is named, runs a VM on one, and removes them", async () => {
    const sim = await startSimulator({ scenario: "vcenter-cluster" });
    try {
      const snap = sim.snapshot();
      const out = await pyvmomiScript("pyvmomi_hosts.py", sim);
      expect(out.cluster).toEqual({ type: "vim.ClusterComputeResource", drs: [true, "partiallyAutomated"], ha: false, hosts: 0, pool: "Resources", numHosts: 0, inFolder: true, again: "DuplicateName" });
      // SHA-1: twenty bytes
      expect(out.noThumbprint).toEqual(["SSLVerifyFault", 20]);
      expect([out.noUser, out.noName]).toEqual(["vim.fault.InvalidLogin", "vim.fault.NoHost"]);
      expect(out.standalone).toEqual({
        type: "vim.ComputeResource", name: "esx9.example.com", host: "esx9.example.com", state: "connected", thumbprint: true, swap: "hostLocal",
        // the scenario has no datastore1: the new host's local volume keeps its name
        datastores: ["datastore1"], networks: ["VM Network"], pool: ["Resources", true], ip: out.standalone.ip,
        again: "vim.fault.AlreadyConnected", existing: "vim.fault.AlreadyConnected",
      });
      expect(out.standalone.ip).toMatch(/^10\.0\.\d+\.\d+$/);
      expect(out.clustered).toEqual({
        hosts: ["esx10.example.com"], numHosts: 1, cores: 4, poolCpu: true,
        // a second datastore1 in the datacenter: vpxd's rename
        datastore: "datastore1 (1)", clusterDatastores: ["datastore1 (1)"],
        vm: ["esx10.example.com", "poweredOn", true],
      });
      expect(out.events).toEqual([
        ["ClusterCreatedEvent", "Created cluster cluster2 in dc1"],
        ["HostAddedEvent", "Added host esx10.example.com to datacenter dc1"],
        ["HostAddedEvent", "Added host esx9.example.com to datacenter dc1"],
        ["HostConnectedEvent", "Connected to esx10.example.com in dc1"],
        ["HostConnectedEvent", "Connected to esx9.example.com in dc1"],
      ]);
      expect(out.disconnect).toEqual(["disconnected", "disconnected", "disconnected", "poweredOn", "vmodl.fault.HostNotConnected", "vim.fault.InvalidState"]);
      expect(out.reconnect).toEqual(["connected", "connected", "poweredOn"]);
      expect(out.connectionEvents).toEqual(["HostConnectedEvent", "HostDisconnectedEvent", "HostConnectedEvent"]);
      expect(out.moveBusy).toBe("vim.fault.InvalidState");
      expect(out.moved).toEqual({
        hosts: ["esx10.example.com", "esx9.example.com"], cores: 8,
        // the standalone host's compute resource is gone from the folder
        folder: ["cluster1", "cluster2", "esx4.example.com"],
        vm: [true, "esx9.example.com", true, true],
        clusterDatastores: ["datastore1", "datastore1 (1)"],
      });
      expect([out.busy, out.notInMaintenance, out.disconnected]).toEqual(["vim.fault.ResourceInUse", "vim.fault.InvalidState", "disconnected"]);
      expect(out.after).toEqual({
        cluster: [0, 0, 0, []],
        folder: ["cluster1", "cluster2", "esx4.example.com"],
        datastores: ["esx4-local", "shared-ds"],
        vmNetworkHosts: ["esx1.example.com", "esx2.example.com", "esx3.example.com", "esx4.example.com"],
      });
      // nothing of it is left after a restore, and nothing it removed is missing
      const names = (type: string) => sim.sim.inventory.ofType(type).map((o) => o.get("name")).sort();
      const before = { hosts: names("HostSystem"), crs: names("ClusterComputeResource"), ds: names("Datastore") };
      sim.restore(snap);
      expect(names("ClusterComputeResource")).toEqual(["cluster1"]);
      expect(names("HostSystem")).toEqual(["esx1.example.com", "esx2.example.com", "esx3.example.com", "esx4.example.com"]);
      expect(before.crs).toEqual(["cluster1", "cluster2"]);
      expect(names("Datastore")).toEqual(before.ds);
    } finally {
      await sim.close();
    }
  });

  it("answers NotSupported on a standalone host, whose inventory is fixed", async () => {
    expect(await runPyvmomi("pyvmomi_hosts.py", "homelab")).toEqual({ disconnect: "vmodl.fault.NotSupported", cluster: "NotSupported", standalone: "vmodl.fault.NotSupported" });
  });
});
