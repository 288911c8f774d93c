// CloneVM_Task on vCenter: full clones own flattened copies of the disks,
// linked clones sit on the source's disks; ESXi refuses cloning.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { VimClient } from "../../vim25/client/index.ts";
import { VimFault, moref, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { Datastore } from "../../simulator/objects/datastore.ts";
import type { DatastoreVolumeApi } from "../../simulator/datastore/volume-api.ts";

const spec = (name: string, ds: string) => ({
  _type: "VirtualMachineConfigSpec", name, guestId: "otherGuest64", memoryMB: 128,
  files: { _type: "VirtualMachineFileInfo", vmPathName: `[${ds}]` },
  deviceChange: [
    { _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "ParaVirtualSCSIController", key: -1, busNumber: 0, sharedBus: "noSharing" } },
    { _type: "VirtualDeviceConfigSpec", operation: "add", fileOperation: "create", device: { _type: "VirtualDisk", key: -2, controllerKey: -1, unitNumber: 0, capacityInKB: 4096, backing: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: `[${ds}]`, diskMode: "persistent", thinProvisioned: true } } },
    { _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "VirtualVmxnet3", key: -3, addressType: "assigned", backing: { _type: "VirtualEthernetCardNetworkBackingInfo", deviceName: "VM Network" } } },
  ],
});

describe("CloneVM_Task", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  let src: ManagedObjectReference;
  let folder: ManagedObjectReference;
  let vol: DatastoreVolumeApi;
  const devices = async (vm: ManagedObjectReference) => (await c.retrieveOne(vm, ["config.hardware.device"]))["config.hardware.device"] as any[];

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "vcenter-cluster" });
    c = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
    const dc = [...(await c.retrieveFromContainer(c.content.rootFolder, "Datacenter", ["vmFolder"])).values()][0];
    folder = dc.vmFolder as ManagedObjectReference;
    const cluster = [...(await c.retrieveFromContainer(c.content.rootFolder, "ClusterComputeResource", ["resourcePool"])).values()][0];
    const ds = sim.sim.inventory.ofType("Datastore").find((d) => d.get("name") === "shared-ds") as Datastore & { volume: DatastoreVolumeApi };
    vol = ds.volume;
    src = (await c.waitForTask((await c.call("CreateVM_Task", folder, { config: spec("golden", "shared-ds"), pool: cluster.resourcePool })) as ManagedObjectReference)) as ManagedObjectReference;
    vol.writeAt("golden/golden-flat.vmdk", 0, Buffer.from("golden data"));
  });
  afterAll(() => sim.close());

  it("makes a full clone with its own identity, MACs and a copy of the disk", async () => {
    const clone = (await c.waitForTask((await c.call("CloneVM_Task", src, { folder, name: "full", spec: { _type: "VirtualMachineCloneSpec", location: { _type: "VirtualMachineRelocateSpec" }, template: false, powerOn: false } })) as ManagedObjectReference)) as ManagedObjectReference;
    const [a, b] = await Promise.all([c.retrieveOne(src, ["config.uuid", "config.instanceUuid"]), c.retrieveOne(clone, ["config.uuid", "config.instanceUuid", "config.files.vmPathName", "name"])]);
    expect(b.name).toBe("full");
    expect(b["config.files.vmPathName"]).toBe("[shared-ds] full/full.vmx");
    expect(b["config.uuid"]).not.toBe(a["config.uuid"]);
    const [sd, cd] = [await devices(src), await devices(clone)];
    const mac = (ds: any[]) => ds.find((d) => d._type === "VirtualVmxnet3").macAddress;
    expect(mac(cd)).toMatch(/^00:50:56:/);
    expect(mac(cd)).not.toBe(mac(sd));
    const disk = cd.find((d) => d._type === "VirtualDisk");
    expect(disk.backing.fileName).toBe("[shared-ds] full/full.vmdk");
    expect(disk.backing.parent).toBeUndefined();
    expect(vol.readRange("full/full-flat.vmdk", 0, 11).toString()).toBe("golden data");
    // the copy is independent
    vol.writeAt("full/full-flat.vmdk", 0, Buffer.from("changed"));
    expect(vol.readRange("golden/golden-flat.vmdk", 0, 11).toString()).toBe("golden data");
    expect(vol.readFile("full/full.vmx").toString()).toContain('displayName = "full"');
  });

  it("makes a linked clone on a snapshot's disks", async () => {
    const snap = (await c.waitForTask((await c.call("CreateSnapshot_Task", src, { name: "base", memory: false, quiesce: false })) as ManagedObjectReference)) as ManagedObjectReference;
    const clone = (await c.waitForTask((await c.call("CloneVM_Task", src, { folder, name: "linked", spec: { _type: "VirtualMachineCloneSpec", location: { _type: "VirtualMachineRelocateSpec", diskMoveType: "createNewChildDiskBacking" }, snapshot: snap, template: false, powerOn: true } })) as ManagedObjectReference)) as ManagedObjectReference;
    const disk = (await devices(clone)).find((d) => d._type === "VirtualDisk");
    expect(disk.backing.fileName).toBe("[shared-ds] linked/golden-000001.vmdk");
    expect(disk.backing.parent.fileName).toBe("[shared-ds] golden/golden.vmdk");
    expect(vol.readFile("linked/golden-000001.vmdk").toString()).toContain(`parentFileNameHint="/vmfs/volumes/`);
    expect((await c.retrieveOne(clone, ["runtime.powerState"]))["runtime.powerState"]).toBe("poweredOn");
  });

  it("refuses a duplicate name and an unknown snapshot", async () => {
    const dup = c.waitForTask((await c.call("CloneVM_Task", src, { folder, name: "full", spec: { _type: "VirtualMachineCloneSpec", location: { _type: "VirtualMachineRelocateSpec" }, template: false, powerOn: false } })) as ManagedObjectReference);
    await expect(dup).rejects.toMatchObject({ name: "DuplicateName" });
  });

  it("is not a service of a standalone ESXi host", async () => {
    const esx = await startSimulator({ scenario: "homelab" });
    try {
      const e = await VimClient.connect(esx.url, { username: esx.username, password: esx.password, thumbprint: esx.thumbprint });
      const vm = (await e.waitForTask((await e.call("CreateVM_Task", moref("Folder", "ha-folder-vm"), { config: spec("one", "mydatastore"), pool: moref("ResourcePool", "ha-root-pool") })) as ManagedObjectReference)) as ManagedObjectReference;
      const t = e.waitForTask((await e.call("CloneVM_Task", vm, { folder: moref("Folder", "ha-folder-vm"), name: "two", spec: { _type: "VirtualMachineCloneSpec", location: { _type: "VirtualMachineRelocateSpec" }, template: false, powerOn: false } })) as ManagedObjectReference);
      await expect(t).rejects.toBeInstanceOf(VimFault);
      await expect(t).rejects.toMatchObject({ name: "NotSupported" });
    } finally {
      await esx.close();
    }
  });
  it("boots the source's guest in the clone and runs its customization; a restore takes the pending spec back", async () => {
    // the scenario's guest of the source (no ISO): the clone's disks carry it
    sim.sim.guests.declare(src.value, { program: "generic-linux", options: {} });
    const customization = {
      _type: "CustomizationSpec",
      identity: { _type: "CustomizationLinuxPrep", hostName: { _type: "CustomizationFixedName", name: "from-golden" }, domain: "example.com" },
      globalIPSettings: { _type: "CustomizationGlobalIPSettings" },
      nicSettingMap: [{ _type: "CustomizationAdapterMapping", adapter: { _type: "CustomizationIPSettings", ip: { _type: "CustomizationFixedIp", ipAddress: "127.88.0.7" } } }],
    };
    const clone = (await c.waitForTask((await c.call("CloneVM_Task", src, { folder, name: "customized", spec: { _type: "VirtualMachineCloneSpec", location: { _type: "VirtualMachineRelocateSpec" }, template: false, powerOn: false, customization } })) as ManagedObjectReference)) as ManagedObjectReference;
    const snap = sim.snapshot();
    await c.waitForTask((await c.call("PowerOnVM_Task", clone, {})) as ManagedObjectReference);
    const guest = async () => c.retrieveOne(clone, ["guest.hostName", "guest.ipAddress"]);
    for (let i = 0; i < 200 && (await guest())["guest.ipAddress"] !== "127.88.0.7"; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await guest()).toEqual({ "guest.hostName": "from-golden", "guest.ipAddress": "127.88.0.7" });
    await c.waitForTask((await c.call("PowerOffVM_Task", clone, {})) as ManagedObjectReference);
    // applied: nothing pending, so a new spec is taken
    const again = await c.waitForTask((await c.call("CustomizeVM_Task", clone, { spec: customization })) as ManagedObjectReference).then(() => "ok", (e) => (e as VimFault).type);
    expect(again).toBe("ok");
    sim.restore(snap);
    // back before the power on: the clone's spec pending again, and a second one refused
    const pending = await c.waitForTask((await c.call("CustomizeVM_Task", clone, { spec: customization })) as ManagedObjectReference).then(() => "ok", (e) => (e as VimFault).type);
    expect(pending).toBe("CustomizationPending");
  });
});
