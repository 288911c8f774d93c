// pyVmomi: datastore clusters (StoragePod) and Storage DRS placement on a
// vCenter (pyvmomi_storage_pod.py), then the pods in simulator snapshots.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import type { Folder } from "../../simulator/objects/folder.ts";
import type { CallContext, ManagedObject } from "../../simulator/objects/managed-object.ts";
import { pyvmomiScript } from "./pyvmomi-run.ts";

describe("pyvmomi: datastore clusters and Storage DRS on vCenter", () => {
  let sim: RunningSimulator;
  let out: any;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "vcenter-cluster" });
    out = await pyvmomiScript("pyvmomi_storage_pod.py", sim);
  });
  afterAll(() => sim.close());

  it("creates a pod in the datastore folder, with vCenter's faults for bad names and folders", () => {
    expect(out.created).toEqual({
      type: "vim.StoragePod", moref: true, name: "pod1", childType: ["Datastore"], summary: ["pod1", 0, 0], inFolder: true, sdrs: [false, "manual"],
    });
    expect(out.createFaults).toEqual(["DuplicateName", "InvalidName", "NotSupported"]);
  });

  it("moves datastores in and out, its summary following them", () => {
    expect(out.moved).toEqual({
      children: ["esx4-local", "shared-ds"], parents: [true, true], dcStillLists: ["esx4-local", "shared-ds"], leftFolder: true,
      capacity: 2 * 1024 ** 4 + 250 * 1024 ** 3, sums: [true, true],
    });
    expect(out.moveFaults).toEqual(["vmodl.fault.NotSupported", "vim.fault.InvalidFolder"]);
    expect(out.movedOut).toEqual({ children: ["shared-ds"], parent: true, capacity: true, sums: [true, true] });
  });

  it("configures Storage DRS, refusing placement while it is off", () => {
    expect(out.disabled).toBe("InvalidArgument");
    expect(out.configured).toEqual([true, "automated", false, 70, 480]);
    expect(out.badBehavior).toBe("vmodl.fault.InvalidArgument");
  });

  it("recommends the datastore with the most room that the hosts mount, and creates the VM there", () => {
    expect(out.recommendation).toEqual({
      count: 1, type: "V1", reason: "storagePlacement", target: true, action: "vim.storageDrs.StoragePlacementAction",
      destination: "shared-ds", relocate: "shared-ds", utilGrows: true, rating: 5,
    });
    expect(out.esx4).toEqual(["shared-ds", "esx4-local"]);
    expect(out.applyCancelled).toBe("vmodl.fault.InvalidArgument");
    expect(out.vm).toEqual({
      result: "vim.storageDrs.ApplyRecommendationResult", name: "sdrs-vm", path: "[shared-ds] sdrs-vm/sdrs-vm.vmx", datastores: ["shared-ds"],
      host: true, vmx: [200, true], disk: 200, again: "vmodl.fault.InvalidArgument", history: ["vim.storageDrs.StoragePlacementAction"], sums: [true, true],
    });
    expect(out.placementFaults).toEqual(["InvalidArgument", "InvalidArgument", "InvalidArgument"]);
  });

  it("destroys a pod, giving its datastores back to the folder", () => {
    expect(out.destroyed).toEqual({ sharedParent: true, folder: ["esx4-local", "shared-ds"], vmStillThere: "connected" });
  });

  it("keeps pods and their configuration in simulator snapshots", async () => {
    const inv = sim.sim.inventory;
    const pods = () => inv.ofType("StoragePod").filter((o) => o.type === "StoragePod").map((o) => o.get("name"));
    const before = sim.snapshot();
    const dc = inv.ofType("Datacenter").find((o) => o.get("name") === "dc1")!;
    const folder = inv.get((dc.props.datastoreFolder as ManagedObjectReference).value) as Folder;
    const podRef = folder.CreateStoragePod({ name: "snap-pod" });
    const pod = inv.get(podRef.value)!;
    const srm = inv.get((sim.sim.content.storageResourceManager as ManagedObjectReference).value) as ManagedObject & Record<string, any>;
    const ctx = { aborted: new Promise<void>(() => {}), remoteAddress: "127.0.0.1", userAgent: "test" } as CallContext;
    const configure = async (enabled: boolean) => {
      const task = inv.get((srm.ConfigureStorageDrsForPod_Task({ pod: podRef, spec: { podConfigSpec: { enabled } }, modify: true }, ctx) as ManagedObjectReference).value)!;
      for (let i = 0; i < 200 && (task.props.info as { state: string }).state !== "success"; i++) await new Promise((r) => setTimeout(r, 5));
    };
    const enabled = () => (pod.props.podStorageDrsEntry as any).storageDrsConfig.podConfig.enabled;
    await configure(true);
    const on = sim.snapshot();
    await configure(false);
    expect(enabled()).toBe(false);
    sim.restore(on);
    expect([pods(), enabled()]).toEqual([["snap-pod"], true]);
    sim.restore(before);
    expect(pods()).toEqual([]);
    expect(folder.children().map((r) => inv.get(r.value)?.get("name")).sort()).toEqual(["esx4-local", "shared-ds"]);
  });
});
