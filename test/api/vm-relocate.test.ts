// RelocateVM_Task's files: the bytes a disk holds go with it and stay thin,
// a target without room refuses before anything moves, a disk locator moves
// one disk and leaves the VM's folder, and a simulator snapshot taken before
// the move brings everything back.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import type { VimClient } from "../../vim25/client/index.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { Datastore } from "../../simulator/objects/datastore.ts";
import { connect, fault } from "../helpers.ts";

const GiB = 1024 * 1024 * 1024;
const spec = (name: string) => ({
  _type: "VirtualMachineConfigSpec", name, guestId: "otherGuest64", memoryMB: 128,
  files: { _type: "VirtualMachineFileInfo", vmPathName: "[shared-ds]" },
  deviceChange: [
    { _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "ParaVirtualSCSIController", key: -1, busNumber: 0, sharedBus: "noSharing" } },
    { _type: "VirtualDeviceConfigSpec", operation: "add", fileOperation: "create", device: { _type: "VirtualDisk", key: -2, controllerKey: -1, unitNumber: 0, capacityInKB: 40 * 1024 * 1024, backing: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: "[shared-ds]", diskMode: "persistent", thinProvisioned: true } } },
  ],
});

describe("RelocateVM_Task files", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  let vm: ManagedObjectReference;
  let shared: Datastore;
  let local: Datastore;
  let esx4: ManagedObjectReference;
  let esx4Pool: ManagedObjectReference;
  const relocate = async (relocateSpec: Record<string, unknown>) => c.waitForTask((await c.call("RelocateVM_Task", vm, { spec: { _type: "VirtualMachineRelocateSpec", ...relocateSpec } })) as ManagedObjectReference);
  const disk = async () => ((await c.retrieveOne(vm, ["config.hardware.device"]))["config.hardware.device"] as any[]).find((d) => d._type === "VirtualDisk");

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "vcenter-cluster" });
    c = await connect(sim);
    const byName = (n: string) => sim.sim.inventory.ofType("Datastore").find((d) => d.get("name") === n) as Datastore;
    shared = byName("shared-ds");
    local = byName("esx4-local");
    const host = sim.sim.inventory.ofType("HostSystem").find((h) => h.get("name") === "esx4.example.com")!;
    esx4 = host.ref;
    esx4Pool = sim.sim.inventory.get((host.get("parent") as ManagedObjectReference).value)!.get("resourcePool") as ManagedObjectReference;
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    for (const o of sim.sim.inventory.ofType("VirtualMachine")) if (o.get("name") === "data") await c.waitForTask((await c.call("Destroy_Task", o.ref)) as ManagedObjectReference);
    const dc = sim.sim.inventory.ofType("Datacenter")[0];
    const cluster = sim.sim.inventory.ofType("ClusterComputeResource")[0];
    vm = (await c.waitForTask((await c.call("CreateVM_Task", dc.get("vmFolder") as ManagedObjectReference, { config: spec("data"), pool: cluster.get("resourcePool") })) as ManagedObjectReference)) as ManagedObjectReference;
    shared.volume.writeAt("data/data-flat.vmdk", 5 * GiB, Buffer.from("written by the guest"));
  });

  it("carries what the disk holds, and a 40 GB thin disk stays thin", async () => {
    await relocate({ datastore: local.ref, host: esx4, pool: esx4Pool });
    expect((await disk()).backing.fileName).toBe("[esx4-local] data/data.vmdk");
    expect(local.volume.readRange("data/data-flat.vmdk", 5 * GiB, 5 * GiB + 20).toString()).toBe("written by the guest");
    const st = local.volume.stat("data/data-flat.vmdk")!;
    expect(st.size).toBe(40 * GiB);
    expect(st.allocated).toBeLessThan(8 * 1024 * 1024);
    expect(shared.volume.exists("data")).toBe(false);
  });

  it("refuses a datastore without room before anything moves", async () => {
    const free = local.volume.freeBytes();
    local.volume.createSparse("filler", free - 1024, { thick: true });
    try {
      const f = await fault(relocate({ datastore: local.ref, host: esx4, pool: esx4Pool }));
      expect(f.type).toBe("NoDiskSpace");
      expect(local.volume.exists("data")).toBe(false);
      expect(shared.volume.readdir("data")).toEqual(expect.arrayContaining(["data.vmx", "data.vmdk", "data-flat.vmdk", "data.nvram", "vmware.log"]));
      expect((await c.retrieveOne(vm, ["config.files.vmPathName"]))["config.files.vmPathName"]).toBe("[shared-ds] data/data.vmx");
      expect((await disk()).backing.fileName).toBe("[shared-ds] data/data.vmdk");
    } finally {
      local.volume.delete("filler");
    }
  });

  it("moves one disk with a locator and leaves the VM's folder where it is", async () => {
    const key = (await disk()).key;
    await relocate({ host: esx4, pool: esx4Pool, disk: [{ _type: "VirtualMachineRelocateSpecDiskLocator", diskId: key, datastore: local.ref }] });
    expect((await c.retrieveOne(vm, ["config.files.vmPathName"]))["config.files.vmPathName"]).toBe("[shared-ds] data/data.vmx");
    const d = await disk();
    expect(d.backing.fileName).toBe("[esx4-local] data/data.vmdk");
    expect(d.backing.datastore.value).toBe(local.ref.value);
    // a disk outside the VM's folder is named by its /vmfs/volumes path in the .vmx, as ESXi writes it
    expect(shared.volume.readFile("data/data.vmx").toString()).toContain(`scsi0:0.fileName = "/vmfs/volumes/${local.uuid}/data/data.vmdk"`);
    expect(shared.volume.exists("data/data.vmdk")).toBe(false);
    expect(local.volume.readRange("data/data-flat.vmdk", 5 * GiB, 5 * GiB + 20).toString()).toBe("written by the guest");
    const ds = ((await c.retrieveOne(vm, ["datastore"])).datastore as ManagedObjectReference[]).map((r) => r.value).sort();
    expect(ds).toEqual([local.ref.value, shared.ref.value].sort());
  });

  it("is undone by restoring a simulator snapshot taken before it", async () => {
    const listing = () => local.volume.readdir("");
    const before = listing();
    const snap = sim.snapshot();
    await relocate({ datastore: local.ref, host: esx4, pool: esx4Pool });
    expect((await c.retrieveOne(vm, ["config.files.vmPathName"]))["config.files.vmPathName"]).toMatch(/^\[esx4-local\] /);
    expect(listing()).not.toEqual(before);
    sim.restore(snap);
    expect((await c.retrieveOne(vm, ["config.files.vmPathName"]))["config.files.vmPathName"]).toBe("[shared-ds] data/data.vmx");
    expect(listing()).toEqual(before);
    expect(shared.volume.readRange("data/data-flat.vmdk", 5 * GiB, 5 * GiB + 20).toString()).toBe("written by the guest");
    expect(((await c.retrieveOne(local.ref, ["vm"])).vm as ManagedObjectReference[] | undefined) ?? []).toEqual([]);
  });
});
