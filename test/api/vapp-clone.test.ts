// A vApp's configuration beyond its product (properties, per-child start
// settings), power operations that follow its start order, and
// CloneVApp_Task: a new vApp with clones of every child, the spec's
// overrides applied, and nothing left behind when it fails.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import type { VimClient } from "../../vim25/client/index.ts";
import { connect } from "../helpers.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

const alloc = { _type: "ResourceAllocationInfo", reservation: 0, expandableReservation: true, limit: -1, shares: { _type: "SharesInfo", level: "normal", shares: 0 } };
const resSpec = { _type: "ResourceConfigSpec", cpuAllocation: alloc, memoryAllocation: alloc };
const product = [{ _type: "VAppProductSpec", operation: "add", info: { _type: "VAppProductInfo", key: 0, name: "Shop", vendor: "Example" } }];
const prop = (key: number, id: string, value: string) => ({ _type: "VAppPropertySpec", operation: "add", info: { _type: "VAppPropertyInfo", key, id, type: "string", value, userConfigurable: true } });

describe("vApp configuration, start order and CloneVApp_Task", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  let pool: ManagedObjectReference;
  let vmFolder: ManagedObjectReference;
  let ds: ManagedObjectReference;
  let dvpg: ManagedObjectReference;
  let app: ManagedObjectReference;
  let web: ManagedObjectReference;
  let db: ManagedObjectReference;
  const byName = async (type: string, name: string) => [...(await c.retrieveFromContainer(c.content.rootFolder, type, ["name"])).entries()].filter(([, p]) => p.name === name).map(([value]) => ({ _type: "ManagedObjectReference", type, value }) as ManagedObjectReference);
  const events = async (types: string[]) => ((await c.call("QueryEvents", c.content.eventManager as ManagedObjectReference, { filter: { _type: "EventFilterSpec", eventTypeId: types } })) as any[]).sort((a, b) => a.key - b.key);
  const childVm = async (name: string, nic: unknown, parent = app) => (await c.waitForTask((await c.call("CreateChildVM_Task", parent, {
    config: {
      _type: "VirtualMachineConfigSpec", name, guestId: "otherGuest64", memoryMB: 256, numCPUs: 1, files: { _type: "VirtualMachineFileInfo", vmPathName: "[shared-ds]" },
      deviceChange: [
        { _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "ParaVirtualSCSIController", key: -100, busNumber: 0, sharedBus: "noSharing" } },
        { _type: "VirtualDeviceConfigSpec", operation: "add", fileOperation: "create", device: { _type: "VirtualDisk", key: -101, controllerKey: -100, unitNumber: 0, capacityInKB: 1024 * 1024, backing: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: "[shared-ds]", diskMode: "persistent", thinProvisioned: true } } },
        { _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "VirtualVmxnet3", key: -102, addressType: "generated", backing: nic } },
      ],
    },
  })) as ManagedObjectReference)) as ManagedObjectReference;

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "vcenter-cluster" });
    c = await connect(sim);
    pool = [...(await c.retrieveFromContainer(c.content.rootFolder, "ClusterComputeResource", ["resourcePool"])).values()][0].resourcePool as ManagedObjectReference;
    vmFolder = [...(await c.retrieveFromContainer(c.content.rootFolder, "Datacenter", ["vmFolder"])).values()][0].vmFolder as ManagedObjectReference;
    [ds] = await byName("Datastore", "shared-ds");
    [dvpg] = await byName("DistributedVirtualPortgroup", "dvpg-containers");
    app = (await c.call("CreateVApp", pool, { name: "shop", resSpec, configSpec: { _type: "VAppConfigSpec", annotation: "a shop", product } })) as ManagedObjectReference;
    const [vmNet] = await byName("Network", "VM Network");
    web = await childVm("web", { _type: "VirtualEthernetCardNetworkBackingInfo", deviceName: "VM Network", network: vmNet });
    db = await childVm("db", { _type: "VirtualEthernetCardNetworkBackingInfo", deviceName: "VM Network", network: vmNet });
  });
  afterAll(() => sim.close());

  it("keeps properties by key and gives each child start settings, edited by UpdateVAppConfig", async () => {
    await c.call("UpdateVAppConfig", app, { spec: { _type: "VAppConfigSpec", property: [prop(0, "ip", "10.0.0.1"), prop(1, "mode", "a")] } });
    await c.call("UpdateVAppConfig", app, { spec: { _type: "VAppConfigSpec", property: [{ _type: "VAppPropertySpec", operation: "edit", info: { _type: "VAppPropertyInfo", key: 1, value: "b" } }] } });
    await expect(c.call("UpdateVAppConfig", app, { spec: { _type: "VAppConfigSpec", property: [prop(0, "again", "x")] } })).rejects.toMatchObject({ name: "InvalidArgument" });
    await expect(c.call("UpdateVAppConfig", app, { spec: { _type: "VAppConfigSpec", property: [{ _type: "VAppPropertySpec", operation: "remove", removeKey: 7 }] } })).rejects.toMatchObject({ name: "InvalidArgument" });
    let conf = (await c.retrieveOne(app, ["vAppConfig"])).vAppConfig as any;
    expect(conf.property.map((p: any) => [p.key, p.id, p.value])).toEqual([[0, "ip", "10.0.0.1"], [1, "mode", "b"]]);
    // both children joined with the defaults
    expect(conf.entityConfig.map((e: any) => [e.key.value, e.tag, e.startOrder, e.startAction, e.stopAction])).toEqual([[web.value, "web", 1, "powerOn", "powerOff"], [db.value, "db", 1, "powerOn", "powerOff"]]);

    const entity = (key: ManagedObjectReference, more: object) => ({ _type: "VAppEntityConfigInfo", key, ...more });
    await c.call("UpdateVAppConfig", app, { spec: { _type: "VAppConfigSpec", entityConfig: [entity(web, { startOrder: 2 }), entity(db, { startOrder: 1, startDelay: 0, stopAction: "suspend" })] } });
    await expect(c.call("UpdateVAppConfig", app, { spec: { _type: "VAppConfigSpec", entityConfig: [entity(pool, { startOrder: 3 })] } })).rejects.toMatchObject({ name: "InvalidArgument" });
    await expect(c.call("UpdateVAppConfig", app, { spec: { _type: "VAppConfigSpec", entityConfig: [entity(web, { stopAction: "explode" })] } })).rejects.toMatchObject({ name: "InvalidArgument" });
    conf = (await c.retrieveOne(app, ["vAppConfig"])).vAppConfig as any;
    expect(conf.entityConfig.map((e: any) => [e.tag, e.startOrder, e.stopAction])).toEqual([["web", 2, "powerOff"], ["db", 1, "suspend"]]);
  });

  it("starts the children in start order and stops them in reverse, each by its stop action", async () => {
    await c.waitForTask((await c.call("PowerOnVApp_Task", app)) as ManagedObjectReference);
    const on = (await events(["VmPoweredOnEvent"])).map((e) => e.vm.vm.value);
    expect(on).toEqual([db.value, web.value]);
    await c.waitForTask((await c.call("PowerOffVApp_Task", app, { force: false })) as ManagedObjectReference);
    expect((await c.retrieveOne(web, ["runtime.powerState"]))["runtime.powerState"]).toBe("poweredOff");
    expect((await c.retrieveOne(db, ["runtime.powerState"]))["runtime.powerState"]).toBe("suspended");
    const off = (await events(["VmPoweredOffEvent", "VmSuspendedEvent"])).map((e) => e.vm.vm.value);
    expect(off).toEqual([web.value, db.value]);
    // force: everything off, stop actions aside
    await c.waitForTask((await c.call("PowerOffVApp_Task", app, { force: true })) as ManagedObjectReference);
    expect((await c.retrieveOne(db, ["runtime.powerState"]))["runtime.powerState"]).toBe("poweredOff");
  });

  it("clones the vApp with its children, settings and overrides", async () => {
    const task = (await c.call("CloneVApp_Task", app, {
      name: "shop-copy", target: pool,
      spec: { _type: "VAppCloneSpec", location: ds, property: [{ _type: "KeyValue", key: "ip", value: "10.0.0.2" }], networkMapping: [{ _type: "VAppCloneSpecNetworkMappingPair", source: (await byName("Network", "VM Network"))[0], destination: dvpg }] },
    })) as ManagedObjectReference;
    const copy = (await c.waitForTask(task)) as ManagedObjectReference;
    expect(copy.type).toBe("VirtualApp");
    const p = await c.retrieveOne(copy, ["name", "parent", "parentFolder", "vm", "vAppConfig"]);
    expect(p.name).toBe("shop-copy");
    expect(p.parent).toEqual(pool);
    expect(p.parentFolder).toEqual(vmFolder);
    const conf = p.vAppConfig as any;
    expect(conf.annotation).toBe("a shop");
    expect(conf.product[0]).toMatchObject({ name: "Shop", vendor: "Example" });
    expect(conf.property.map((x: any) => [x.id, x.value])).toEqual([["ip", "10.0.0.2"], ["mode", "b"]]);
    const kids = p.vm as ManagedObjectReference[];
    expect(kids).toHaveLength(2);
    expect(kids.map((k) => k.value)).not.toContain(web.value);
    const kidProps = await c.retrieveProperties(kids, ["name", "parentVApp", "resourcePool", "runtime.powerState", "config.files.vmPathName", "config.hardware.device", "network"]);
    const names = kids.map((k) => kidProps.get(k.value)!.name);
    expect(names.sort()).toEqual(["db", "web"]);
    for (const k of kids) {
      const kp = kidProps.get(k.value)!;
      expect(kp.parentVApp).toEqual(copy);
      expect(kp.resourcePool).toEqual(copy);
      expect(kp["runtime.powerState"]).toBe("poweredOff");
      const nic = (kp["config.hardware.device"] as any[]).find((d) => d._type === "VirtualVmxnet3");
      expect(nic.backing._type).toBe("VirtualEthernetCardDistributedVirtualPortBackingInfo");
      expect(nic.backing.port.portgroupKey).toBe(dvpg.value);
      // the clone's own files, on the datastore, saying what the API says
      const path = String(kp["config.files.vmPathName"]);
      const vmx = (await c.downloadFile("shared-ds", path.replace("[shared-ds] ", ""), { dcPath: "dc1" })).toString();
      expect(vmx).toContain(`displayName = "${kp.name}"`);
      expect(vmx).toContain(`ethernet0.dvs.portgroupId = "${dvpg.value}"`);
      const disk = (kp["config.hardware.device"] as any[]).find((d) => d._type === "VirtualDisk");
      expect(disk.backing.fileName).not.toBe(`[shared-ds] ${kp.name}/${kp.name}.vmx`);
      expect(path).not.toBe(`[shared-ds] ${kp.name}/${kp.name}.vmx`);
    }
    // the start settings went with the children
    const order = (conf.entityConfig as any[]).map((e) => [kidProps.get(e.key.value)!.name, e.startOrder, e.stopAction]);
    expect(order.sort()).toEqual([["db", 1, "suspend"], ["web", 2, "powerOff"]]);
    expect((await events(["VmClonedEvent"])).length).toBe(2);
  });

  it("refuses a taken name, a bad datastore or target, and takes back a clone that fails half-way", async () => {
    const spec = { _type: "VAppCloneSpec", location: ds };
    const before = ((await c.retrieveOne(vmFolder, ["childEntity"])).childEntity as ManagedObjectReference[]).length;
    const vmsBefore = (await c.retrieveFromContainer(c.content.rootFolder, "VirtualMachine", ["name"])).size;
    await expect(c.waitForTask((await c.call("CloneVApp_Task", app, { name: "shop", target: pool, spec })) as ManagedObjectReference)).rejects.toMatchObject({ name: "DuplicateName" });
    await expect(c.waitForTask((await c.call("CloneVApp_Task", app, { name: "x", target: pool, spec: { ...spec, location: pool } })) as ManagedObjectReference)).rejects.toMatchObject({ name: "InvalidDatastore" });
    await expect(c.waitForTask((await c.call("CloneVApp_Task", app, { name: "x", target: ds, spec })) as ManagedObjectReference)).rejects.toMatchObject({ name: "ManagedObjectNotFound" });
    // the vApp is made, then the first child's network mapping fails: all of it goes
    const bad = { ...spec, networkMapping: [{ _type: "VAppCloneSpecNetworkMappingPair", source: (await byName("Network", "VM Network"))[0], destination: ds }] };
    await expect(c.waitForTask((await c.call("CloneVApp_Task", app, { name: "half", target: pool, spec: bad })) as ManagedObjectReference)).rejects.toMatchObject({ name: "InvalidArgument" });
    expect(await byName("VirtualApp", "half")).toEqual([]);
    expect(((await c.retrieveOne(vmFolder, ["childEntity"])).childEntity as ManagedObjectReference[]).length).toBe(before);
    expect((await c.retrieveFromContainer(c.content.rootFolder, "VirtualMachine", ["name"])).size).toBe(vmsBefore);
    const dirs = (await c.call("SearchDatastore_Task", (await c.retrieveOne(ds, ["browser"])).browser as ManagedObjectReference, { datastorePath: "[shared-ds]" })) as ManagedObjectReference;
    const listing = (await c.waitForTask(dirs)) as any;
    const folders = (listing.file ?? []).map((f: any) => f.path);
    // the source's two VMs and the good clone's two: no third copy
    expect(folders.filter((f: string) => /^web/.test(f))).toHaveLength(2);
    expect(folders.filter((f: string) => /^db/.test(f))).toHaveLength(2);
  });

  it("nests a vApp without a folder, clones and unregisters it with the rest, and destroys it with its parent", async () => {
    await expect(c.call("CreateVApp", app, { name: "inner", resSpec, configSpec: { _type: "VAppConfigSpec" }, vmFolder })).rejects.toMatchObject({ name: "InvalidArgument" });
    const inner = (await c.call("CreateVApp", app, { name: "inner", resSpec, configSpec: { _type: "VAppConfigSpec" } })) as ManagedObjectReference;
    const ip = await c.retrieveOne(inner, ["parent", "parentVApp", "parentFolder"]);
    expect([ip.parent, ip.parentVApp, ip.parentFolder]).toEqual([app, app, undefined]);
    expect(((await c.retrieveOne(vmFolder, ["childEntity"])).childEntity as ManagedObjectReference[]).map((r) => r.value)).not.toContain(inner.value);
    expect(((await c.retrieveOne(app, ["vAppConfig"])).vAppConfig as any).entityConfig.map((e: any) => e.tag)).toEqual(["web", "db", "inner"]);

    const copy = (await c.waitForTask((await c.call("CloneVApp_Task", app, { name: "shop-2", target: pool, spec: { _type: "VAppCloneSpec", location: ds } })) as ManagedObjectReference)) as ManagedObjectReference;
    const innerCopy = ((await c.retrieveOne(copy, ["resourcePool"])).resourcePool as ManagedObjectReference[])[0];
    expect(await c.retrieveOne(innerCopy, ["name", "parentVApp"])).toMatchObject({ name: "inner", parentVApp: copy });

    // unregistered: gone from the inventory, nested vApp and VMs too, files kept for RegisterVM
    const kids = (await c.retrieveOne(copy, ["vm"])).vm as ManagedObjectReference[];
    const paths = [...(await c.retrieveProperties(kids, ["config.files.vmPathName"])).values()].map((p) => String(p["config.files.vmPathName"]));
    await c.waitForTask((await c.call("unregisterVApp_Task", copy)) as ManagedObjectReference);
    expect(await byName("VirtualApp", "shop-2")).toEqual([]);
    await expect(c.retrieveOne(innerCopy, ["name"])).rejects.toMatchObject({ name: "ManagedObjectNotFound" });
    for (const p of paths) expect((await c.downloadFile("shared-ds", p.replace("[shared-ds] ", ""), { dcPath: "dc1" })).length).toBeGreaterThan(0);
    const back = (await c.waitForTask((await c.call("RegisterVM_Task", vmFolder, { path: paths[0], asTemplate: false, pool })) as ManagedObjectReference)) as ManagedObjectReference;
    expect((await c.retrieveOne(back, ["config.files.vmPathName"]))["config.files.vmPathName"]).toBe(paths[0]);

    // a running VM keeps its vApp in place; destroyed, the vApp takes the nested one along
    await c.waitForTask((await c.call("PowerOnVApp_Task", app)) as ManagedObjectReference);
    await expect(c.waitForTask((await c.call("unregisterVApp_Task", app)) as ManagedObjectReference)).rejects.toMatchObject({ name: "InvalidPowerState" });
    await c.waitForTask((await c.call("PowerOffVApp_Task", app, { force: true })) as ManagedObjectReference);
    await c.waitForTask((await c.call("Destroy_Task", app)) as ManagedObjectReference);
    expect(await byName("VirtualApp", "inner")).toEqual([]);
    expect(((await c.retrieveOne(pool, ["resourcePool"])).resourcePool as ManagedObjectReference[]).map((r) => r.value)).not.toContain(inner.value);
    const removed = (await events(["VmRemovedEvent"])).map((e) => e.vm.name);
    // the half-made clone's web, shop-2's pair unregistered, shop's pair destroyed
    expect(removed.filter((n: string) => n === "web" || n === "db")).toEqual(["web", "web", "db", "web", "db"]);
  });

  it("links VMs of the datacenter as children that start with the vApp, and drops or destroys them with it", async () => {
    const hub = (await c.call("CreateVApp", pool, { name: "hub", resSpec, configSpec: { _type: "VAppConfigSpec" } })) as ManagedObjectReference;
    const hub2 = (await c.call("CreateVApp", pool, { name: "hub2", resSpec, configSpec: { _type: "VAppConfigSpec" } })) as ManagedObjectReference;
    const plainVm = async (name: string) => (await c.waitForTask((await c.call("CreateVM_Task", vmFolder, {
      config: { _type: "VirtualMachineConfigSpec", name, guestId: "otherGuest64", memoryMB: 128, files: { _type: "VirtualMachineFileInfo", vmPathName: "[shared-ds]" } }, pool,
    })) as ManagedObjectReference)) as ManagedObjectReference;
    const side = await plainVm("side");
    const keep = await plainVm("keep");
    const gone = await plainVm("gone");
    const link = (key: ManagedObjectReference, destroyWithParent: boolean) => ({ _type: "VirtualAppLinkInfo", key, destroyWithParent });
    const links = async (a: ManagedObjectReference) => ((await c.retrieveOne(a, ["childLink"])).childLink as any[] ?? []).map((l) => [l.key.value, l.destroyWithParent]);

    await c.call("UpdateLinkedChildren", hub, { addChangeSet: [link(side, true), link(keep, false)] });
    expect(await links(hub)).toEqual([[side.value, true], [keep.value, false]]);
    const conf = (await c.retrieveOne(hub, ["vAppConfig"])).vAppConfig as any;
    expect(conf.entityConfig.map((e: any) => [e.tag, e.destroyWithParent])).toEqual([["side", true], ["keep", false]]);
    // a direct child of a vApp, the vApp itself, or something that is not a VM or vApp: refused
    const direct = await childVm("direct", { _type: "VirtualEthernetCardNetworkBackingInfo", deviceName: "VM Network", network: (await byName("Network", "VM Network"))[0] }, hub2);
    await expect(c.call("UpdateLinkedChildren", hub, { addChangeSet: [link(direct, false)] })).rejects.toMatchObject({ name: "InvalidArgument" });
    await expect(c.call("UpdateLinkedChildren", hub, { addChangeSet: [link(hub, false)] })).rejects.toMatchObject({ name: "InvalidArgument" });
    await expect(c.call("UpdateLinkedChildren", hub, { addChangeSet: [link(ds, false)] })).rejects.toMatchObject({ name: "InvalidArgument" });
    // linked elsewhere: the link moves; a linked VM destroyed leaves the list
    await c.call("UpdateLinkedChildren", hub2, { addChangeSet: [link(keep, false), link(gone, false)] });
    expect(await links(hub)).toEqual([[side.value, true]]);
    await c.waitForTask((await c.call("Destroy_Task", gone)) as ManagedObjectReference);
    expect(await links(hub2)).toEqual([[keep.value, false]]);
    await c.call("UpdateLinkedChildren", hub2, { removeSet: [keep] });
    await c.call("UpdateLinkedChildren", hub, { addChangeSet: [link(keep, false)] });

    // a snapshot taken now knows the links again after a restore
    const snap = sim.snapshot();
    await c.waitForTask((await c.call("PowerOnVApp_Task", hub)) as ManagedObjectReference);
    expect((await c.retrieveProperties([side, keep], ["runtime.powerState"])).get(side.value)!["runtime.powerState"]).toBe("poweredOn");
    await expect(c.waitForTask((await c.call("Destroy_Task", hub)) as ManagedObjectReference)).rejects.toMatchObject({ name: "InvalidPowerState" });
    await c.waitForTask((await c.call("PowerOffVApp_Task", hub, { force: true })) as ManagedObjectReference);
    await c.waitForTask((await c.call("Destroy_Task", hub)) as ManagedObjectReference);
    await expect(c.retrieveOne(side, ["name"])).rejects.toMatchObject({ name: "ManagedObjectNotFound" });
    expect((await c.retrieveOne(keep, ["name"])).name).toBe("keep");

    sim.restore(snap);
    expect(await links(hub)).toEqual([[side.value, true], [keep.value, false]]);
    await c.waitForTask((await c.call("Destroy_Task", keep)) as ManagedObjectReference);
    expect(await links(hub)).toEqual([[side.value, true]]);
  });
});
