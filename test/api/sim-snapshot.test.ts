// Whole-simulator snapshots: what a test made after a snapshot is gone after
// a restore (inventory and datastore files alike), what it destroyed is back
// with its files, counters go back so the next moref and UUID repeat, the
// client's session and its property filters live on, and the /_sim control
// API does the same over HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { HttpError, HttpsTransport, VimClient, datastoreFileUrl } from "../../vim25/client/index.ts";
import { VimFault, moref, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { fault } from "../helpers.ts";

const rootPool = moref("ResourcePool", "ha-root-pool");
const vmFolder = moref("Folder", "ha-folder-vm");
const eventManager = moref("EventManager", "ha-eventmgr");

function vmSpec(name: string, datastore = "mydatastore") {
  return {
    _type: "VirtualMachineConfigSpec", name, guestId: "otherGuest64", memoryMB: 128,
    files: { _type: "VirtualMachineFileInfo", vmPathName: `[${datastore}]` },
    deviceChange: [
      { _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "ParaVirtualSCSIController", key: -1, busNumber: 0, sharedBus: "noSharing" } },
      { _type: "VirtualDeviceConfigSpec", operation: "add", fileOperation: "create", device: { _type: "VirtualDisk", key: -2, controllerKey: -1, unitNumber: 0, capacityInKB: 1024 * 1024, backing: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: `[${datastore}]`, diskMode: "persistent", thinProvisioned: true } } },
      { _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "VirtualVmxnet3", key: -3, backing: { _type: "VirtualEthernetCardNetworkBackingInfo", deviceName: "VM Network" } } },
    ],
  };
}

async function createVm(c: VimClient, name: string): Promise<ManagedObjectReference> {
  const task = (await c.call("CreateVM_Task", vmFolder, { config: vmSpec(name), pool: rootPool })) as ManagedObjectReference;
  return (await c.waitForTask(task)) as ManagedObjectReference;
}

async function createPool(c: VimClient, name: string): Promise<ManagedObjectReference> {
  return (await c.call("CreateResourcePool", rootPool, { name, spec: { _type: "ResourceConfigSpec", cpuAllocation: {}, memoryAllocation: {} } })) as ManagedObjectReference;
}

async function httpStatus(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    if (e instanceof HttpError) return e.status;
    throw e;
  }
}

const values = (refs: unknown) => (refs as ManagedObjectReference[]).map((r) => r.value);

describe("simulator snapshot and restore", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  let ds: ManagedObjectReference;
  const freeSpace = async () => (await c.retrieveOne(ds, ["summary.freeSpace"]))["summary.freeSpace"] as number;
  const folderVms = async () => values((await c.retrieveOne(vmFolder, ["childEntity"])).childEntity);
  const pools = async () => values((await c.retrieveOne(rootPool, ["resourcePool"])).resourcePool);
  // HEAD: a 1 GiB thin extent is no download for a test
  const headStatus = async (path: string) => (await c.soap.transport.request("HEAD", datastoreFileUrl(c.url, "mydatastore", path))).status;

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab" });
    c = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
    ds = ((await c.retrieveOne(moref("Datacenter", "ha-datacenter"), ["datastore"])).datastore as ManagedObjectReference[])[0];
  });
  afterAll(async () => {
    await c.logout();
    await sim.close();
  });

  it("takes away a VM, its files and a resource pool made after the snapshot; the session keeps working", async () => {
    const free = await freeSpace();
    const view = await c.containerView(c.content.rootFolder, ["VirtualMachine", "ResourcePool"], true);
    const inView = async () => values((await c.retrieveOne(view.view, ["view"])).view);
    const latestEvent = async () => ((await c.retrieveOne(eventManager, ["latestEvent"])).latestEvent as { key: number }).key;
    const lastKey = await latestEvent();
    const snap = sim.snapshot();
    const vm = await createVm(c, "after");
    const pool = await createPool(c, "after-pool");
    expect(await folderVms()).toContain(vm.value);
    expect(await pools()).toContain(pool.value);
    expect((await c.downloadFile("mydatastore", "after/after.vmx")).toString()).toContain('displayName = "after"');
    expect(await freeSpace()).toBeLessThan(free);
    expect(await inView()).toEqual(expect.arrayContaining([vm.value, pool.value]));

    sim.restore(snap);

    expect(await folderVms()).not.toContain(vm.value);
    expect(await pools()).not.toContain(pool.value);
    expect((await fault(c.retrieveOne(vm, ["name"]))).type).toBe("ManagedObjectNotFound");
    expect(values((await c.retrieveOne(moref("HostSystem", "ha-host"), ["vm"])).vm)).not.toContain(vm.value);
    expect(await httpStatus(c.downloadFile("mydatastore", "after/after.vmx"))).toBe(404);
    expect(await headStatus("after/after-flat.vmdk")).toBe(404);
    expect(await freeSpace()).toBe(free);
    expect(await latestEvent()).toBe(lastKey);
    const events = (await c.call("QueryEvents", eventManager, { filter: { _type: "EventFilterSpec" } })) as { key: number }[];
    expect(Math.max(...events.map((e) => e.key))).toBe(lastKey);
    // the session and the view it made live on, and the view follows the restore
    expect(sim.sim.sessions.list()).toHaveLength(1);
    expect(await inView()).toEqual(["ha-root-pool"]);
    await view.destroyView();
  });

  it("gives the same moref and UUID to what is created again, restoring twice from one snapshot", async () => {
    const snap = sim.snapshot();
    const first = await createVm(c, "again");
    const firstUuid = (await c.retrieveOne(first, ["config.uuid"]))["config.uuid"];
    const firstPool = await createPool(c, "again-pool");
    const firstVmx = (await c.downloadFile("mydatastore", "again/again.vmx")).toString();
    sim.restore(snap);
    const second = await createVm(c, "again");
    const secondPool = await createPool(c, "again-pool");
    expect(second).toEqual(first);
    expect(secondPool).toEqual(firstPool);
    expect((await c.retrieveOne(second, ["config.uuid"]))["config.uuid"]).toBe(firstUuid);
    sim.restore(snap);
    expect(await folderVms()).not.toContain(first.value);
    expect(await httpStatus(c.downloadFile("mydatastore", "again/again.vmx"))).toBe(404);
    const third = await createVm(c, "again");
    expect(third).toEqual(first);
    expect((await c.downloadFile("mydatastore", "again/again.vmx")).toString()).toBe(firstVmx);
    sim.restore(snap);
  });

  it("shows a WaitForUpdatesEx filter the change a restore makes", async () => {
    const pc = (await c.call("CreatePropertyCollector", c.content.propertyCollector)) as ManagedObjectReference;
    await c.call("CreateFilter", pc, {
      spec: { _type: "PropertyFilterSpec", propSet: [{ _type: "PropertySpec", type: "ResourcePool", pathSet: ["resourcePool"] }], objectSet: [{ _type: "ObjectSpec", obj: rootPool }] },
      partialUpdates: false,
    });
    const first = (await c.waitForUpdatesEx("", { maxWaitSeconds: 5 }, pc))!;
    const snap = sim.snapshot();
    const pool = await createPool(c, "watched");
    const added = (await c.waitForUpdatesEx(first.version, { maxWaitSeconds: 5 }, pc))!;
    expect(values(added.filterSet![0].objectSet![0].changeSet![0].val)).toContain(pool.value);
    const waiting = c.waitForUpdatesEx(added.version, { maxWaitSeconds: 5 }, pc);
    await new Promise((r) => setTimeout(r, 20));
    sim.restore(snap);
    const back = (await waiting)!;
    expect(back).toBeDefined();
    const change = back.filterSet![0].objectSet![0];
    expect(change.kind).toBe("modify");
    expect(change.changeSet).toEqual([{ _type: "PropertyChange", name: "resourcePool", op: "assign", val: (first.filterSet![0].objectSet![0].changeSet![0].val) }]);
    await c.call("DestroyPropertyCollector", pc);
  });

  it("keeps ids of session-scoped things unique across a restore (views, collectors, sessions)", async () => {
    const snap = sim.snapshot();
    const v1 = await c.containerView(c.content.rootFolder, ["VirtualMachine"], true);
    const pc1 = (await c.call("CreatePropertyCollector", c.content.propertyCollector)) as ManagedObjectReference;
    const other1 = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
    sim.restore(snap);
    const v2 = await c.containerView(c.content.rootFolder, ["VirtualMachine"], true);
    const pc2 = (await c.call("CreatePropertyCollector", c.content.propertyCollector)) as ManagedObjectReference;
    const other2 = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
    expect(v2.view.value).not.toBe(v1.view.value);
    expect(pc2.value).not.toBe(pc1.value);
    const keys = sim.sim.sessions.list().map((x) => x.key);
    expect(new Set(keys).size).toBe(3);
    // all of them still answer
    for (const v of [v1, v2]) expect((await c.retrieveOne(v.view, ["view"])).view).toBeDefined();
    for (const o of [other1, other2]) expect((await o.retrieveOne(rootPool, ["name"])).name).toBe("Resources");
    for (const o of [other1, other2]) await o.logout();
    await v1.destroyView();
    await v2.destroyView();
    await c.call("DestroyPropertyCollector", pc1);
    await c.call("DestroyPropertyCollector", pc2);
  });

  it("brings back a VM destroyed after the snapshot with its files and devices, and drops its later VM snapshot", async () => {
    const vm = await createVm(c, "keeper");
    const before = await c.retrieveOne(vm, ["config.hardware.device", "config.uuid", "resourcePool", "snapshot"]);
    const vmx = (await c.downloadFile("mydatastore", "keeper/keeper.vmx")).toString();
    const snap = sim.snapshot();

    await c.waitForTask((await c.call("CreateSnapshot_Task", vm, { name: "s1", memory: false, quiesce: false })) as ManagedObjectReference);
    expect(await httpStatus(c.downloadFile("mydatastore", "keeper/keeper-000001.vmdk"))).toBe(200);
    sim.restore(snap);
    expect((await c.retrieveOne(vm, ["snapshot"])).snapshot).toBeUndefined();
    expect(await httpStatus(c.downloadFile("mydatastore", "keeper/keeper-000001.vmdk"))).toBe(404);
    expect((await c.downloadFile("mydatastore", "keeper/keeper.vmx")).toString()).toBe(vmx);

    await c.waitForTask((await c.call("Destroy_Task", vm)) as ManagedObjectReference);
    expect(await folderVms()).not.toContain(vm.value);
    expect(await httpStatus(c.downloadFile("mydatastore", "keeper/keeper.vmx"))).toBe(404);
    sim.restore(snap);

    expect(await folderVms()).toContain(vm.value);
    expect(values((await c.retrieveOne(rootPool, ["vm"])).vm)).toContain(vm.value);
    expect(await c.retrieveOne(vm, ["config.hardware.device", "config.uuid", "resourcePool", "snapshot"])).toEqual(before);
    expect((await c.downloadFile("mydatastore", "keeper/keeper.vmx")).toString()).toBe(vmx);
    expect(await headStatus("keeper/keeper-flat.vmdk")).toBe(200);
    // the VM works as before: a snapshot of it now gets the first uid again
    await c.waitForTask((await c.call("CreateSnapshot_Task", vm, { name: "s1", memory: false, quiesce: false })) as ManagedObjectReference);
    expect(await httpStatus(c.downloadFile("mydatastore", "keeper/keeper-000001.vmdk"))).toBe(200);
    sim.restore(snap);
  });

  describe("over HTTP", () => {
    const url = (p: string) => new URL(p, sim.url);
    const post = (p: string, body?: string) => c.soap.transport.request("POST", url(p), body, body === undefined ? {} : { "Content-Type": "application/json" });
    const json = (r: { body: Buffer }) => JSON.parse(r.body.toString("utf8"));

    it("snapshots and restores by id with the session cookie", async () => {
      const taken = await post("/_sim/snapshot");
      expect(taken.status).toBe(200);
      expect(taken.headers["content-type"]).toMatch(/application\/json/);
      const { id } = json(taken);
      expect(typeof id).toBe("string");
      const pool = await createPool(c, "http-pool");
      const restored = await post("/_sim/restore", JSON.stringify({ id }));
      expect(restored.status).toBe(200);
      expect(await pools()).not.toContain(pool.value);
    });

    it("answers 404 for an unknown id, 400 for a malformed body, 405 for other verbs", async () => {
      expect((await post("/_sim/restore", JSON.stringify({ id: "no-such-snapshot" }))).status).toBe(404);
      for (const bad of ["", "not json", "[]", "{}", '{"id": 7}', "null"]) expect((await post("/_sim/restore", bad)).status, bad).toBe(400);
      const get = await c.soap.transport.request("GET", url("/_sim/snapshot"));
      expect(get.status).toBe(405);
      expect(get.headers.allow).toBe("POST");
      expect((await c.soap.transport.request("DELETE", url("/_sim/reset"))).status).toBe(405);
      expect((await post("/_sim/nothing")).status).toBe(404);
    });

    it("refuses a caller without a session or credentials, and takes Basic auth", async () => {
      const anonymous = new HttpsTransport({ thumbprint: sim.thumbprint });
      try {
        const denied = await anonymous.request("POST", url("/_sim/snapshot"));
        expect(denied.status).toBe(401);
        expect(denied.headers["www-authenticate"]).toMatch(/^Basic /);
        expect((await anonymous.request("POST", url("/_sim/reset"))).status).toBe(401);
        const basic = { Authorization: `Basic ${Buffer.from(`${sim.username}:${sim.password}`).toString("base64")}` };
        expect((await anonymous.request("POST", url("/_sim/snapshot"), undefined, basic)).status).toBe(200);
      } finally {
        anonymous.close();
      }
    });

    it("resets to the state right after start", async () => {
      const vm = await createVm(c, "before-reset");
      const pool = await createPool(c, "before-reset-pool");
      const r = await post("/_sim/reset");
      expect(r.status).toBe(200);
      expect(json(r)).toEqual({});
      expect(await folderVms()).toEqual([]);
      expect(await pools()).not.toContain(pool.value);
      expect(await httpStatus(c.downloadFile("mydatastore", "before-reset/before-reset.vmx"))).toBe(404);
      // counters are back at the start: the first VM created gets the first moref
      expect(await createVm(c, "first")).toEqual(moref("VirtualMachine", "1"));
      expect(vm.value).not.toBe("1");
      sim.reset();
    });
  });
});

describe("simulator snapshot and restore on a vCenter (vcenter-cluster)", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "vcenter-cluster" });
    c = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
  });
  afterAll(async () => {
    await c.logout();
    await sim.close();
  });

  it("gives a folder and a VM made again after a restore the same vpxd morefs", async () => {
    const dc = sim.sim.inventory.ofType("Datacenter")[0];
    const vmFolderRef = dc.props.vmFolder as ManagedObjectReference;
    const cluster = sim.sim.inventory.ofType("ClusterComputeResource")[0];
    const pool = cluster.props.resourcePool as ManagedObjectReference;
    const make = async () => {
      const folder = (await c.call("CreateFolder", vmFolderRef, { name: "tests" })) as ManagedObjectReference;
      const task = (await c.call("CreateVM_Task", folder, { config: vmSpec("vc-vm", "shared-ds"), pool })) as ManagedObjectReference;
      const vm = (await c.waitForTask(task)) as ManagedObjectReference;
      return { folder, vm, task, uuid: (await c.retrieveOne(vm, ["config.instanceUuid"]))["config.instanceUuid"] };
    };
    const snap = sim.snapshot();
    const first = await make();
    expect(first.vm.value).toMatch(/^vm-\d+$/);
    sim.restore(snap);
    expect((await fault(c.retrieveOne(first.folder, ["name"]))).type).toBe("ManagedObjectNotFound");
    expect((await fault(c.retrieveOne(first.task, ["info"]))).type).toBe("ManagedObjectNotFound");
    expect(await make()).toEqual(first);
    sim.restore(snap);
  });

  it("checks a new name against the names siblings have after renames, destroys and restores", async () => {
    const start = sim.snapshot();
    const dc = sim.sim.inventory.ofType("Datacenter")[0];
    const vmFolderRef = dc.props.vmFolder as ManagedObjectReference;
    const pool = (sim.sim.inventory.ofType("ClusterComputeResource")[0].props.resourcePool) as ManagedObjectReference;
    const folder = (await c.call("CreateFolder", vmFolderRef, { name: "names" })) as ManagedObjectReference;
    const create = async (name: string, where = folder) => (await c.waitForTask((await c.call("CreateVM_Task", where, { config: vmSpec(name, "shared-ds"), pool })) as ManagedObjectReference)) as ManagedObjectReference;
    const createFault = async (name: string) => (await fault(create(name))).type;
    const rename = async (vm: ManagedObjectReference, newName: string) => c.waitForTask((await c.call("Rename_Task", vm, { newName })) as ManagedObjectReference);

    const one = await create("one");
    const two = await create("two");
    expect(await createFault("one")).toBe("DuplicateName");
    // the same name in another folder is no duplicate
    await c.waitForTask((await c.call("Destroy_Task", await create("one", vmFolderRef))) as ManagedObjectReference);
    expect((await fault(rename(one, "two"))).type).toBe("DuplicateName");
    await rename(one, "uno");
    expect(await createFault("uno")).toBe("DuplicateName");
    await create("one");

    const snap = sim.snapshot();
    await rename(one, "eins");
    await c.waitForTask((await c.call("Destroy_Task", two)) as ManagedObjectReference);
    await create("two");
    expect(await createFault("eins")).toBe("DuplicateName");
    sim.restore(snap);
    // a restore puts names back without Rename_Task: "uno" and the first "two" are taken again, "eins" is free
    expect(await createFault("uno")).toBe("DuplicateName");
    expect(await createFault("two")).toBe("DuplicateName");
    await create("eins");
    expect((await fault(c.call("CreateFolder", vmFolderRef, { name: "names" }))).type).toBe("DuplicateName");
    sim.restore(start);
    await create("uno", vmFolderRef);
    sim.restore(start);
  });
});

describe("restore timing", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab" });
    c = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
  });
  afterAll(async () => {
    await c.logout();
    await sim.close();
  });

  it("restores a simulator with 200 VMs (timing printed, not asserted)", async () => {
    for (let i = 0; i < 200; i += 20) await Promise.all(Array.from({ length: 20 }, (_, k) => createVm(c, `vm-${i + k}`)));
    let t = performance.now();
    const snap = sim.snapshot();
    const snapshotMs = performance.now() - t;
    t = performance.now();
    sim.snapshot();
    const againMs = performance.now() - t;
    await createVm(c, "extra");
    await c.waitForTask((await c.call("Destroy_Task", moref("VirtualMachine", "1"))) as ManagedObjectReference);
    t = performance.now();
    sim.restore(snap);
    const restoreMs = performance.now() - t;
    t = performance.now();
    sim.restore(snap);
    const unchangedMs = performance.now() - t;
    const vms = (await c.retrieveOne(vmFolder, ["childEntity"])).childEntity as ManagedObjectReference[];
    expect(vms).toHaveLength(200);
    console.log(`200 VMs: first snapshot ${snapshotMs.toFixed(1)} ms (copies the 200 VMs' files), next snapshot ${againMs.toFixed(1)} ms, ` +
      `restore after a create and a destroy ${restoreMs.toFixed(1)} ms, restore of an unchanged simulator ${unchangedMs.toFixed(1)} ms`);
  }, 60_000);
});
