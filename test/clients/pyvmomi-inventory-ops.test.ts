// pyVmomi: Network.DestroyNetwork (standard networks and distributed port
// groups), Folder.UnregisterAndDestroy_Task, ResourcePool.RegisterChildVM_Task
// into a pool and a vApp, UpdateChildResourceConfiguration,
// QueryResourceConfigOption and RefreshRuntime on ESXi and on a vCenter, with
// their faults; /_sim/reset and a snapshot restore bring the inventory back.
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { runPyvmomi } from "./pyvmomi-run.ts";
import type { Network } from "../../simulator/objects/network.ts";
import type { ResourcePool } from "../../simulator/objects/resource-pool.ts";
import type { CallContext } from "../../simulator/objects/managed-object.ts";

const common = {
  registerChild: {
    pool: ["registered", "rp1", "vm", true, ["registered"]],
    missing: "vim.fault.NotFound",
    badPath: "vim.fault.InvalidDatastorePath",
    already: "vim.fault.AlreadyExists",
  },
  childConfig: {
    tooMuch: "InsufficientResourcesFault",
    badLimit: "InvalidArgument",
    notChild: "InvalidArgument",
    unchanged: [[100, -1, "normal", 4000], [0, -1, "normal", 1280]],
    pool: [[600, 800, "high", 8000], [512, -1, "normal", 163840]],
    vm: [[200, -1, "custom", 1234], [0, 512, "low", 640]],
    vmx: ['sched.cpu.min = "200"', 'sched.cpu.shares = "1234"', 'sched.mem.max = "512"', 'sched.mem.shares = "low"'],
    runtime: 600,
  },
  configOption: ["ResourceConfigOption", [0, 1000000, 4000, "normal"], [0, 1000000, 163840]],
  reset: 200,
};

const ctx = { aborted: new Promise<void>(() => {}), remoteAddress: "127.0.0.1", userAgent: "test" } as CallContext;

describe("pyvmomi: DestroyNetwork, UnregisterAndDestroy_Task and child resource operations", () => {
  it("serves them on an ESXi host", async () => {
    const out = await runPyvmomi("pyvmomi_inventory_ops.py", "homelab");
    expect(out).toEqual({
      network: { standardInUse: "ResourceInUse", still: true },
      unregister: "vmodl.fault.NotSupported",
      ...common,
      afterReset: ["ResourcePool:Resources"],
    });
  });

  it("serves them on a vCenter", async () => {
    const out = await runPyvmomi("pyvmomi_inventory_ops.py", "vcenter-cluster");
    expect(out).toEqual({
      network: {
        standardInUse: "ResourceInUse", still: true, portgroupInUse: "ResourceInUse", uplink: "NotSupported", portgroup: "ok",
        left: ["dvpg-containers", "pg-used"], switchLists: ["dvpg-containers", "pg-used"], hostLists: false,
      },
      unregister: {
        poweredOn: "vim.fault.InvalidState", untouched: ["cleanA", "inner"],
        hostFolder: "vmodl.fault.NotSupported", networkFolder: "vmodl.fault.NotSupported", datacenterVmFolder: "vmodl.fault.NotSupported",
        folders: ["vch"], vms: [], filesKept: [200, 200], events: 3,
      },
      ...common,
      registerChild: { vApp: ["inApp", "app1", ["inApp"]], again: "vim.fault.AlreadyExists", ...common.registerChild },
      cloneVApp: { copy: ["app1-copy", "Resources", "vm", ["inApp"], "app1-copy", "app1-copy"], ownFiles: 200, again: "vim.fault.DuplicateName" },
      afterReset: ["ResourcePool:Resources", "ResourcePool:Resources"],
    });
  });

  it("restores destroyed networks and child allocations with a snapshot", async () => {
    const sim = await startSimulator({ scenario: "vcenter-cluster" });
    try {
      const pg = () => sim.sim.inventory.ofType("DistributedVirtualPortgroup").find((p) => p.get("name") === "dvpg-containers") as Network | undefined;
      const root = sim.sim.inventory.ofType("ResourcePool").find((p) => p.props.parent && (p.props.parent as { type: string }).type === "ClusterComputeResource") as ResourcePool;
      const snap = sim.snapshot();
      const child = sim.sim.inventory.get(root.CreateResourcePool({ name: "c1", spec: {} }).value) as ResourcePool;
      root.UpdateChildResourceConfiguration({ spec: [{ _type: "ResourceConfigSpec", entity: child.ref, cpuAllocation: { reservation: 500 }, memoryAllocation: {} }] });
      pg()!.DestroyNetwork({}, ctx);
      expect([pg(), (child.props.config as { cpuAllocation: { reservation: number } }).cpuAllocation.reservation]).toEqual([undefined, 500]);
      sim.restore(snap);
      expect([pg()?.get("name"), sim.sim.inventory.get(child.ref.value)]).toEqual(["dvpg-containers", undefined]);
    } finally {
      await sim.close();
    }
  });
});
