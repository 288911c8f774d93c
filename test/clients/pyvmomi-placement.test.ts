// pyVmomi: ClusterComputeResource.PlaceVm, and placement that leaves out
// hosts in maintenance mode or disconnected (PlaceVm and CreateVM_Task).
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

describe("pyvmomi: VM placement in a DRS cluster", () => {
  it("recommends a host and datastore, and avoids hosts that cannot take a VM", async () => {
    const out = await runPyvmomi("pyvmomi_placement.py", "vcenter-cluster");
    expect(out).toEqual({
      recommendation: ["V1", "xvmotionPlacement", true, "vim.cluster.PlacementAction", 1],
      first: { host: "esx1.example.com", datastore: "shared-ds", pool: true },
      bigRunsOn: "esx1.example.com",
      secondAvoidsBusyHost: true,
      withMaintenanceAndDisconnected: "esx3.example.com",
      nowhere: [[], "xvmotionPlacement", ["vim.fault.NoCompatibleHost"]],
      clusterDatastores: "shared-ds",
      createVmHost: "esx3.example.com",
      relocate: "esx3.example.com",
      reconfigureStays: true,
      badType: "InvalidArgument", relocateWithoutVm: "InvalidArgument", createWithoutConfig: "InvalidArgument", foreignHost: "InvalidArgument",
    });
  });
});
