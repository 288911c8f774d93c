// OVF export of what pyVmomi's test does not build: a disk with a snapshot
// (a delta on its base) comes out flattened, as the guest reads it, and the
// datastore is left as it was; a vApp exports its VMs and describes itself
// as a VirtualSystemCollection.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { VimClient } from "../../vim25/client/index.ts";
import { moref, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { Datastore } from "../../simulator/objects/datastore.ts";
import type { DatastoreVolumeApi } from "../../simulator/datastore/volume-api.ts";
import type { HttpNfcLease } from "../../simulator/objects/http-nfc-lease.ts";
import { readSparseExtent } from "../../simulator/formats/sparse-vmdk.ts";

const MiB = 1024 * 1024;
const scsi = { _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "VirtualLsiLogicController", key: -1, busNumber: 0, sharedBus: "noSharing" } };
const disk = (ds: string) => ({
  _type: "VirtualDeviceConfigSpec", operation: "add", fileOperation: "create",
  device: { _type: "VirtualDisk", key: -2, controllerKey: -1, unitNumber: 0, capacityInKB: 16 * 1024, backing: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: `[${ds}]`, diskMode: "persistent", thinProvisioned: true } },
});

/** The disk an export lease serves at `file`, decoded: a reader of its bytes. */
function served(sim: RunningSimulator, lease: ManagedObjectReference, file: string): { capacity: number; offsets: number[]; at(offset: number, n: number): string } {
  const data = (sim.sim.inventory.get(lease.value) as HttpNfcLease).send(file);
  const { capacity, grains } = readSparseExtent(data);
  return {
    capacity, offsets: grains.map((g) => g.offset),
    at: (offset, n) => {
      const g = grains.find((x) => offset >= x.offset && offset < x.offset + x.data.length);
      return g ? g.data.subarray(offset - g.offset, offset - g.offset + n).toString("latin1") : "\0".repeat(n);
    },
  };
}

describe("OVF export on ESXi: snapshots", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  let vol: DatastoreVolumeApi;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab" });
    c = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
    vol = (sim.sim.inventory.ofType("Datastore")[0] as Datastore & { volume: DatastoreVolumeApi }).volume;
  });
  afterAll(() => sim.close());

  it("exports a disk with a snapshot flattened, as the guest reads it, and leaves its files alone", async () => {
    const task = (await c.call("CreateVM_Task", moref("Folder", "ha-folder-vm"), {
      config: { _type: "VirtualMachineConfigSpec", name: "layered", guestId: "otherGuest64", memoryMB: 128, files: { _type: "VirtualMachineFileInfo", vmPathName: "[mydatastore]" }, deviceChange: [scsi, disk("mydatastore")] },
      pool: moref("ResourcePool", "ha-root-pool"),
    })) as ManagedObjectReference;
    const vm = (await c.waitForTask(task)) as ManagedObjectReference;
    vol.writeAt("layered/layered-flat.vmdk", 0, Buffer.from("base!"));
    vol.writeAt("layered/layered-flat.vmdk", 5 * MiB, Buffer.from("kept from the base"));
    await c.waitForTask((await c.call("CreateSnapshot_Task", vm, { name: "s1", memory: false, quiesce: false })) as ManagedObjectReference);
    // the delta's grain at 0 hides the base's (deltas hold whole grains)
    vol.writeAt("layered/layered-000001-delta.vmdk", 0, Buffer.from("child"));
    const before = vol.readdir("layered").sort();

    const lease = (await c.call("ExportVm", vm)) as ManagedObjectReference;
    const info = (await c.retrieveOne(lease, ["info"])).info as { deviceUrl: { key: string; targetId: string }[]; totalDiskCapacityInKB: number };
    expect(info.deviceUrl.map((d) => [d.key, d.targetId])).toEqual([[`/${vm.value}/VirtualLsiLogicController0:0`, "disk-0.vmdk"]]);
    expect(info.totalDiskCapacityInKB).toBe(16 * 1024);
    const d = served(sim, lease, "disk-0.vmdk");
    expect(d.capacity).toBe(16 * MiB);
    expect([d.at(0, 5), d.at(5 * MiB, 18)]).toEqual(["child", "kept from the base"]);
    expect(d.offsets).toEqual([0, 5 * MiB]);
    expect(vol.readdir("layered").sort()).toEqual(before);

    const desc = (await c.call("CreateDescriptor", sim.sim.content.ovfManager as ManagedObjectReference, {
      obj: vm, cdp: { _type: "OvfCreateDescriptorParams", ovfFiles: [{ _type: "OvfFile", deviceId: info.deviceUrl[0].key, path: "layered-disk-0.vmdk", size: 4242 }] },
    })) as { ovfDescriptor: string };
    expect(desc.ovfDescriptor).toContain('<File ovf:href="layered-disk-0.vmdk" ovf:id="file1" ovf:size="4242"/>');
    // two grains of 64 KiB hold data
    expect(desc.ovfDescriptor).toContain('ovf:capacity="16" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk1" ovf:fileRef="file1"');
    expect(desc.ovfDescriptor).toContain('ovf:populatedSize="131072"');
    await c.call("HttpNfcLeaseComplete", lease);
  });

  it("answers an unknown object with ManagedObjectNotFound", async () => {
    await expect(c.call("CreateDescriptor", sim.sim.content.ovfManager as ManagedObjectReference, { obj: moref("VirtualMachine", "404"), cdp: { _type: "OvfCreateDescriptorParams" } }))
      .rejects.toMatchObject({ name: "ManagedObjectNotFound" });
  });
});

describe("OVF export on vCenter: vApps", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "vcenter-cluster" });
    c = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
  });
  afterAll(() => sim.close());

  it("exports a vApp's VMs through one lease and describes it as a VirtualSystemCollection", async () => {
    const pool = [...(await c.retrieveFromContainer(c.content.rootFolder, "ClusterComputeResource", ["resourcePool"])).values()][0].resourcePool as ManagedObjectReference;
    const alloc = { _type: "ResourceAllocationInfo", reservation: 0, expandableReservation: true, limit: -1, shares: { _type: "SharesInfo", level: "normal", shares: 0 } };
    const app = (await c.call("CreateVApp", pool, { name: "app", resSpec: { _type: "ResourceConfigSpec", cpuAllocation: alloc, memoryAllocation: alloc }, configSpec: { _type: "VAppConfigSpec", annotation: "two VMs" } })) as ManagedObjectReference;
    const vms: ManagedObjectReference[] = [];
    for (const name of ["web", "db"]) {
      vms.push((await c.waitForTask((await c.call("CreateChildVM_Task", app, {
        config: { _type: "VirtualMachineConfigSpec", name, guestId: "otherGuest64", memoryMB: 128, files: { _type: "VirtualMachineFileInfo", vmPathName: "[shared-ds]" }, deviceChange: [scsi, disk("shared-ds")] },
      })) as ManagedObjectReference)) as ManagedObjectReference);
    }
    await c.waitForTask((await c.call("PowerOnVM_Task", vms[1])) as ManagedObjectReference);
    await expect(c.call("ExportVApp", app)).rejects.toMatchObject({ name: "InvalidPowerState" });
    await c.waitForTask((await c.call("PowerOffVM_Task", vms[1])) as ManagedObjectReference);

    const lease = (await c.call("ExportVApp", app)) as ManagedObjectReference;
    const info = (await c.retrieveOne(lease, ["info"])).info as { entity: ManagedObjectReference; deviceUrl: { key: string; url: string }[] };
    expect(info.entity).toEqual(app);
    expect(info.deviceUrl.map((d) => [d.key, d.url.split("/").pop()])).toEqual([
      [`/${vms[0].value}/VirtualLsiLogicController0:0`, "disk-0.vmdk"], [`/${vms[1].value}/VirtualLsiLogicController0:0`, "disk-1.vmdk"],
    ]);
    expect(served(sim, lease, "disk-1.vmdk").offsets).toEqual([]);
    const desc = (await c.call("CreateDescriptor", sim.sim.content.ovfManager as ManagedObjectReference, {
      obj: app, cdp: { _type: "OvfCreateDescriptorParams", ovfFiles: info.deviceUrl.map((d, i) => ({ _type: "OvfFile", deviceId: d.key, path: `app-disk-${i}.vmdk`, size: 1 })) },
    })) as { ovfDescriptor: string; warning?: unknown[] };
    expect(desc.warning ?? []).toEqual([]);
    const ovf = desc.ovfDescriptor;
    expect(ovf).toMatch(/<VirtualSystemCollection ovf:id="app">[\s\S]*<Annotation>two VMs<\/Annotation>[\s\S]*<VirtualSystem ovf:id="web">[\s\S]*<VirtualSystem ovf:id="db">/);
    expect(ovf.match(/<Disk /g)).toHaveLength(2);
    expect(ovf).toContain('ovf:href="app-disk-1.vmdk"');
    await c.call("HttpNfcLeaseAbort", lease);
    expect((await c.retrieveOne(lease, ["state"])).state).toBe("error");
    expect((await c.retrieveOne(app, ["vm"])).vm).toHaveLength(2);
  });
});
