// Snapshots: delta disks on create, a fresh delta on revert, consolidation
// on remove that keeps what was written, and the .vmsd listing the tree.
// Deltas hold whole grains (the writer copies a grain up before changing
// part of it, as the VMkernel does), so the writes here each own a MiB.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { VimClient } from "../../vim25/client/index.ts";
import { moref, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { Datastore } from "../../simulator/objects/datastore.ts";
import type { DatastoreVolumeApi } from "../../simulator/datastore/volume-api.ts";

describe("VM snapshots", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  let vm: ManagedObjectReference;
  let vol: DatastoreVolumeApi;
  const diskOf = async () => {
    const dev = ((await c.retrieveOne(vm, ["config.hardware.device"]))["config.hardware.device"] as any[]).find((d) => d._type === "VirtualDisk");
    return dev.backing as { fileName: string; parent?: { fileName: string } };
  };
  const extentOf = (dsPath: string) => {
    const rel = dsPath.replace(/^\[mydatastore\] /, "");
    const text = vol.readFile(rel).toString();
    return rel.slice(0, rel.lastIndexOf("/") + 1) + /"([^"]+)"/.exec(text.split("\n").find((l) => l.startsWith("RW"))!)![1];
  };
  const MiB = 1024 * 1024;
  const read = (dsPath: string, at: number) => vol.readRange(extentOf(dsPath), at, at + 5).toString();

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab" });
    c = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
    vol = (sim.sim.inventory.ofType("Datastore")[0] as Datastore & { volume: DatastoreVolumeApi }).volume;
    const task = (await c.call("CreateVM_Task", moref("Folder", "ha-folder-vm"), {
      config: {
        _type: "VirtualMachineConfigSpec", name: "snappy", guestId: "otherGuest64", memoryMB: 128,
        files: { _type: "VirtualMachineFileInfo", vmPathName: "[mydatastore]" },
        deviceChange: [
          { _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "ParaVirtualSCSIController", key: -1, busNumber: 0, sharedBus: "noSharing" } },
          { _type: "VirtualDeviceConfigSpec", operation: "add", fileOperation: "create", device: { _type: "VirtualDisk", key: -2, controllerKey: -1, unitNumber: 0, capacityInKB: 1024 * 1024, backing: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: "[mydatastore]", diskMode: "persistent", thinProvisioned: true } } },
        ],
      },
      pool: moref("ResourcePool", "ha-root-pool"),
    })) as ManagedObjectReference;
    vm = (await c.waitForTask(task)) as ManagedObjectReference;
  });
  afterAll(() => sim.close());

  it("puts a delta disk on top at each snapshot and lists the tree in .vmsd", async () => {
    vol.writeAt("snappy/snappy-flat.vmdk", 0, Buffer.from("base!"));
    const s1 = (await c.waitForTask((await c.call("CreateSnapshot_Task", vm, { name: "s1", description: "first", memory: false, quiesce: false })) as ManagedObjectReference)) as ManagedObjectReference;
    const d1 = await diskOf();
    expect(d1.fileName).toBe("[mydatastore] snappy/snappy-000001.vmdk");
    expect(d1.parent?.fileName).toBe("[mydatastore] snappy/snappy.vmdk");
    const desc = vol.readFile("snappy/snappy-000001.vmdk").toString();
    expect(desc).toContain('createType="vmfsSparse"');
    expect(desc).toContain('parentFileNameHint="snappy.vmdk"');
    expect(desc).toContain('RW 2097152 VMFSSPARSE "snappy-000001-delta.vmdk"');
    expect(vol.exists("snappy/snappy-Snapshot1.vmsn")).toBe(true);
    const vmx = vol.readFile("snappy/snappy.vmx").toString();
    expect(vmx).toContain('scsi0:0.fileName = "snappy-000001.vmdk"');
    const info = (await c.retrieveOne(vm, ["snapshot"])).snapshot as any;
    expect(info.currentSnapshot.value).toBe(s1.value);
    expect(info.rootSnapshotList.map((t: any) => [t.name, t.description, t.state])).toEqual([["s1", "first", "poweredOff"]]);
    const vmsd = vol.readFile("snappy/snappy.vmsd").toString();
    expect(vmsd).toContain('snapshot0.displayName = "s1"');
    expect(vmsd).toContain('snapshot0.disk0.fileName = "snappy.vmdk"');
    expect(vmsd).toContain('snapshot.numSnapshots = "1"');
  });

  it("reverts to a fresh delta on the snapshot's disks and drops what came after", async () => {
    vol.writeAt("snappy/snappy-000001-delta.vmdk", MiB, Buffer.from("after"));
    expect(read("[mydatastore] snappy/snappy-000001.vmdk", MiB)).toBe("after");
    const snap = ((await c.retrieveOne(vm, ["snapshot"])).snapshot as any).currentSnapshot as ManagedObjectReference;
    await c.waitForTask((await c.call("RevertToSnapshot_Task", snap, {})) as ManagedObjectReference);
    const d = await diskOf();
    expect(d.parent?.fileName).toBe("[mydatastore] snappy/snappy.vmdk");
    expect(d.fileName).toBe("[mydatastore] snappy/snappy-000002.vmdk");
    expect(vol.extents(extentOf(d.fileName))).toEqual([]);
    // the delta that held "after" is gone: nothing builds on it
    expect(vol.exists("snappy/snappy-000001.vmdk")).toBe(false);
    expect(vol.exists("snappy/snappy-000001-delta.vmdk")).toBe(false);
  });

  it("consolidates on remove, keeping what was written after the snapshot", async () => {
    const cur = await diskOf();
    vol.writeAt(extentOf(cur.fileName), 2 * MiB, Buffer.from("later"));
    await c.waitForTask((await c.call("RemoveAllSnapshots_Task", vm, {})) as ManagedObjectReference);
    const d = await diskOf();
    expect(d.fileName).toBe("[mydatastore] snappy/snappy.vmdk");
    expect(d.parent).toBeUndefined();
    expect(read("[mydatastore] snappy/snappy.vmdk", 0)).toBe("base!");
    expect(read("[mydatastore] snappy/snappy.vmdk", 2 * MiB)).toBe("later");
    expect(read("[mydatastore] snappy/snappy.vmdk", MiB)).toBe("\0\0\0\0\0");
    expect(vol.readdir("snappy").filter((f) => /-0000\d\d|Snapshot/.test(f))).toEqual([]);
    expect((await c.retrieveOne(vm, ["snapshot", "rootSnapshot"])).rootSnapshot).toEqual([]);
    expect(vol.readFile("snappy/snappy.vmx").toString()).toContain('scsi0:0.fileName = "snappy.vmdk"');
  });

  it("keeps branches apart and removes a middle snapshot by folding its delta down", async () => {
    const snap = async (name: string) => (await c.waitForTask((await c.call("CreateSnapshot_Task", vm, { name, memory: false, quiesce: false })) as ManagedObjectReference)) as ManagedObjectReference;
    const a = await snap("a");
    vol.writeAt(extentOf((await diskOf()).fileName), 3 * MiB, Buffer.from("AAAAA"));
    const b = await snap("b");
    vol.writeAt(extentOf((await diskOf()).fileName), 4 * MiB, Buffer.from("BBBBB"));
    const tree = ((await c.retrieveOne(vm, ["snapshot"])).snapshot as any).rootSnapshotList;
    expect(tree[0].name).toBe("a");
    expect(tree[0].childSnapshotList[0].name).toBe("b");
    await c.waitForTask((await c.call("RemoveSnapshot_Task", a, { removeChildren: false })) as ManagedObjectReference);
    const after = ((await c.retrieveOne(vm, ["snapshot"])).snapshot as any);
    expect(after.rootSnapshotList.map((t: any) => t.name)).toEqual(["b"]);
    expect(after.currentSnapshot.value).toBe(b.value);
    // b's state now lives in the base disk, with a's writes folded in
    expect(read("[mydatastore] snappy/snappy.vmdk", 3 * MiB)).toBe("AAAAA");
    await c.waitForTask((await c.call("RemoveSnapshot_Task", b, { removeChildren: false })) as ManagedObjectReference);
    expect(read("[mydatastore] snappy/snappy.vmdk", 4 * MiB)).toBe("BBBBB");
    expect((await diskOf()).fileName).toBe("[mydatastore] snappy/snappy.vmdk");
  });
});

describe("snapshots across unregister and register", () => {
  it("reads the tree back from the .vmsd, and revert and removal still work", async () => {
    const sim = await startSimulator({ scenario: "homelab" });
    try {
      const c = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
      const folder = moref("Folder", "ha-folder-vm");
      const pool = moref("ResourcePool", "ha-root-pool");
      const vm = (await c.waitForTask((await c.call("CreateVM_Task", folder, {
        config: {
          _type: "VirtualMachineConfigSpec", name: "again", guestId: "otherGuest64", memoryMB: 128,
          files: { _type: "VirtualMachineFileInfo", vmPathName: "[mydatastore]" },
          deviceChange: [
            { _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "ParaVirtualSCSIController", key: -1, busNumber: 0, sharedBus: "noSharing" } },
            { _type: "VirtualDeviceConfigSpec", operation: "add", fileOperation: "create", device: { _type: "VirtualDisk", key: -2, controllerKey: -1, unitNumber: 0, capacityInKB: 1024, backing: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: "[mydatastore]", diskMode: "persistent", thinProvisioned: true } } },
          ],
        },
        pool,
      })) as ManagedObjectReference)) as ManagedObjectReference;
      const snap = async (target: ManagedObjectReference, name: string) => c.waitForTask((await c.call("CreateSnapshot_Task", target, { name, description: `the ${name} one`, memory: false, quiesce: false })) as ManagedObjectReference);
      await snap(vm, "one");
      await snap(vm, "two");
      const path = (await c.retrieveOne(vm, ["config.files.vmPathName"]))["config.files.vmPathName"] as string;
      await c.call("UnregisterVM", vm);
      const back = (await c.waitForTask((await c.call("RegisterVM_Task", folder, { path, asTemplate: false, pool })) as ManagedObjectReference)) as ManagedObjectReference;
      const info = (await c.retrieveOne(back, ["snapshot"])).snapshot as any;
      expect(info.rootSnapshotList.map((t: any) => [t.name, t.description, t.id])).toEqual([["one", "the one one", 1]]);
      expect(info.rootSnapshotList[0].childSnapshotList.map((t: any) => t.name)).toEqual(["two"]);
      const one = info.rootSnapshotList[0].snapshot as ManagedObjectReference;
      expect(info.currentSnapshot.value).toBe(info.rootSnapshotList[0].childSnapshotList[0].snapshot.value);
      const oneConfig = (await c.retrieveOne(one, ["config"])).config as any;
      expect(oneConfig.hardware.device.find((d: any) => d._type === "VirtualDisk").backing.fileName).toBe("[mydatastore] again/again.vmdk");
      await c.waitForTask((await c.call("RevertToSnapshot_Task", one, {})) as ManagedObjectReference);
      await c.waitForTask((await c.call("RemoveAllSnapshots_Task", back, {})) as ManagedObjectReference);
      const disk = ((await c.retrieveOne(back, ["config.hardware.device"]))["config.hardware.device"] as any[]).find((d) => d._type === "VirtualDisk");
      expect(disk.backing.fileName).toBe("[mydatastore] again/again.vmdk");
      const vol = (sim.sim.inventory.ofType("Datastore")[0] as Datastore & { volume: DatastoreVolumeApi }).volume;
      expect(vol.readdir("again").filter((f) => /-0000\d\d|Snapshot/.test(f))).toEqual([]);
    } finally {
      await sim.close();
    }
  });
});
