// The PropertyCollector and the inventory's managers through the typed
// client: indexed paths, all=true, skip, truncation, CheckForUpdates,
// CancelWaitForUpdates, enter/leave, tasks on a manual clock, and the
// managers a VIC installer or a govc user touches.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, ManualClock, type RunningSimulator } from "../../simulator/index.ts";
import { VimClient } from "../../vim25/client/index.ts";
import { VimFault, moref, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { connect, fault } from "../helpers.ts";

const hostRef = moref("HostSystem", "ha-host");
const rootPool = moref("ResourcePool", "ha-root-pool");

const spec = (obj: ManagedObjectReference, type: string, pathSet: string[], extra: Record<string, unknown> = {}) => ({
  _type: "PropertyFilterSpec",
  propSet: [{ _type: "PropertySpec", type, pathSet, ...extra }],
  objectSet: [{ _type: "ObjectSpec", obj }],
});

describe("PropertyCollector", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab" });
    c = await connect(sim);
  });
  afterAll(async () => {
    await c.logout();
    await sim.close();
  });

  it("reads indexed paths, and faults an index on a non-array", async () => {
    const r = await c.retrieveOne(hostRef, [
      'config.firewall.ruleset["sshServer"].enabled',
      'config.network.portgroup["key-vim.host.PortGroup-VCH Bridge"].spec.vlanId',
    ]);
    const ssh = sim.sim.scenario.datacenters[0].hosts[0].firewall.rulesets.find((x) => x.key === "sshServer")!;
    expect(r['config.firewall.ruleset["sshServer"].enabled']).toBe(ssh.enabled);
    expect(r['config.network.portgroup["key-vim.host.PortGroup-VCH Bridge"].spec.vlanId']).toBe(0);
    expect((await fault(c.retrieveOne(hostRef, ['name["x"]']))).type).toBe("InvalidProperty");
    expect((await fault(c.retrieveOne(hostRef, ["config.network.vnic.device"]))).type).toBe("InvalidProperty");
  });

  it("returns every set property with all=true", async () => {
    const ds = (await c.retrieveOne(moref("Datacenter", "ha-datacenter"), ["datastore"])).datastore as ManagedObjectReference[];
    const [content] = await c.retrieve([{ ...spec(ds[0], "Datastore", []), propSet: [{ _type: "PropertySpec", type: "Datastore", all: true }] } as any]);
    const names = (content.propSet ?? []).map((p) => p.name).sort();
    expect(names).toEqual(expect.arrayContaining(["browser", "capability", "host", "info", "name", "summary", "vm"]));
  });

  it("skips the root object only when asked", async () => {
    const traversal = { _type: "TraversalSpec", type: "Folder", path: "childEntity", skip: false };
    const base = { propSet: [{ _type: "PropertySpec", type: "ManagedEntity", pathSet: ["name"] }] };
    const withRoot = await c.retrieve([{ _type: "PropertyFilterSpec", ...base, objectSet: [{ _type: "ObjectSpec", obj: c.content.rootFolder, skip: false, selectSet: [traversal] }] } as any]);
    const withoutRoot = await c.retrieve([{ _type: "PropertyFilterSpec", ...base, objectSet: [{ _type: "ObjectSpec", obj: c.content.rootFolder, skip: true, selectSet: [traversal] }] } as any]);
    expect(withRoot.map((o) => o.obj.value)).toEqual(["ha-folder-root", "ha-datacenter"]);
    expect(withoutRoot.map((o) => o.obj.value)).toEqual(["ha-datacenter"]);
    const undefinedName = { _type: "PropertyFilterSpec", ...base, objectSet: [{ _type: "ObjectSpec", obj: c.content.rootFolder, selectSet: [{ _type: "SelectionSpec", name: "nope" }] }] };
    expect((await fault(c.retrieve([undefinedName as any]))).type).toBe("InvalidArgument");
  });

  it("truncates WaitForUpdatesEx at maxObjectUpdates and delivers the rest next", async () => {
    const pc = (await c.call("CreatePropertyCollector", c.content.propertyCollector)) as ManagedObjectReference;
    const view = await c.containerView(c.content.rootFolder, ["ManagedEntity"], true);
    await c.call("CreateFilter", pc, {
      spec: { _type: "PropertyFilterSpec", propSet: [{ _type: "PropertySpec", type: "ManagedEntity", pathSet: ["name"] }], objectSet: [{ _type: "ObjectSpec", obj: view.view, skip: true, selectSet: [{ _type: "TraversalSpec", type: "ContainerView", path: "view", skip: false }] }] },
      partialUpdates: false,
    });
    let version = "";
    const sizes: boolean[] = [];
    let entered = 0;
    for (;;) {
      const set = await c.waitForUpdatesEx(version, { maxObjectUpdates: 4, maxWaitSeconds: 0 }, pc);
      if (!set) break;
      version = set.version;
      const n = set.filterSet!.flatMap((f) => f.objectSet ?? []).length;
      expect(n).toBeLessThanOrEqual(4);
      entered += n;
      sizes.push(!!set.truncated);
    }
    expect(entered).toBe(11);
    expect(sizes).toEqual([true, true, false]);
    // a stale version is refused
    expect((await fault(c.waitForUpdatesEx("1", { maxWaitSeconds: 0 }, pc))).type).toBe("InvalidCollectorVersion");
    await view.destroyView();
    await c.call("DestroyPropertyCollector", pc);
  });

  it("reports enter and leave as pools come and go, and CheckForUpdates answers at once", async () => {
    const pc = (await c.call("CreatePropertyCollector", c.content.propertyCollector)) as ManagedObjectReference;
    const view = await c.containerView(c.content.rootFolder, ["ResourcePool"], true);
    await c.call("CreateFilter", pc, {
      spec: { _type: "PropertyFilterSpec", propSet: [{ _type: "PropertySpec", type: "ResourcePool", pathSet: ["name"] }], objectSet: [{ _type: "ObjectSpec", obj: view.view, skip: true, selectSet: [{ _type: "TraversalSpec", type: "ContainerView", path: "view", skip: false }] }] },
      partialUpdates: false,
    });
    const first = (await c.call("CheckForUpdates", pc, { version: "" })) as any;
    expect(first.filterSet[0].objectSet.map((o: any) => o.kind)).toEqual(["enter"]);
    expect(await c.call("CheckForUpdates", pc, { version: first.version })).toBeUndefined();
    const pool = (await c.call("CreateResourcePool", rootPool, { name: "pc-test", spec: poolSpec() })) as ManagedObjectReference;
    const second = (await c.call("CheckForUpdates", pc, { version: first.version })) as any;
    expect(second.filterSet[0].objectSet.map((o: any) => [o.kind, o.obj.value])).toEqual([["enter", pool.value]]);
    await c.waitForTask((await c.call("Destroy_Task", pool)) as ManagedObjectReference);
    const third = (await c.call("CheckForUpdates", pc, { version: second.version })) as any;
    expect(third.filterSet[0].objectSet.map((o: any) => [o.kind, o.obj.value])).toEqual([["leave", pool.value]]);
    await view.destroyView();
    await c.call("DestroyPropertyCollector", pc);
  });

  it("cancels a waiting WaitForUpdatesEx with RequestCanceled", async () => {
    const pc = (await c.call("CreatePropertyCollector", c.content.propertyCollector)) as ManagedObjectReference;
    await c.call("CreateFilter", pc, { spec: spec(hostRef, "HostSystem", ["name"]), partialUpdates: false });
    const first = await c.waitForUpdatesEx("", {}, pc);
    const waiting = fault(c.waitForUpdatesEx(first!.version, {}, pc));
    await new Promise((r) => setTimeout(r, 50));
    await c.call("CancelWaitForUpdates", pc);
    expect((await waiting).type).toBe("RequestCanceled");
    await c.call("DestroyPropertyCollector", pc);
  });

  it("pushes a change to a waiting WaitForUpdatesEx without polling", async () => {
    const pc = (await c.call("CreatePropertyCollector", c.content.propertyCollector)) as ManagedObjectReference;
    const fw = ((await c.retrieveOne(hostRef, ["configManager"])).configManager as any).firewallSystem as ManagedObjectReference;
    await c.call("CreateFilter", pc, { spec: spec(hostRef, "HostSystem", ['config.firewall.ruleset["sshClient"].enabled']), partialUpdates: false });
    const first = await c.waitForUpdatesEx("", {}, pc);
    const started = Date.now();
    const waiting = c.waitForUpdatesEx(first!.version, { maxWaitSeconds: 30 }, pc);
    await new Promise((r) => setTimeout(r, 30));
    await c.call("EnableRuleset", fw, { id: "sshClient" });
    const got = await waiting;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(got!.filterSet![0].objectSet![0].changeSet).toEqual([{ _type: "PropertyChange", name: 'config.firewall.ruleset["sshClient"].enabled', op: "assign", val: true }]);
    await c.call("DisableRuleset", fw, { id: "sshClient" });
    expect((await fault(c.call("EnableRuleset", fw, { id: "noSuchRuleset" }))).type).toBe("NotFound");
    await c.call("DestroyPropertyCollector", pc);
  });
});

function poolSpec(reservation = 0) {
  const alloc = { _type: "ResourceAllocationInfo", reservation, expandableReservation: true, limit: -1, shares: { _type: "SharesInfo", level: "normal", shares: 0 } };
  return { _type: "ResourceConfigSpec", cpuAllocation: alloc, memoryAllocation: { ...alloc } };
}

describe("tasks on an injected clock", () => {
  it("stay running until the clock reaches their delay", async () => {
    const clock = new ManualClock();
    const sim = await startSimulator({ scenario: "homelab", clock, taskDelays: { Destroy_Task: 5000 } });
    const c = await connect(sim);
    try {
      const pool = (await c.call("CreateResourcePool", rootPool, { name: "slow", spec: poolSpec() })) as ManagedObjectReference;
      const task = (await c.call("Destroy_Task", pool)) as ManagedObjectReference;
      const running = await c.waitForProperties(task, ["info.state"], (r) => r["info.state"] === "running");
      expect(running["info.state"]).toBe("running");
      const recent = (await c.retrieveOne(c.content.taskManager as ManagedObjectReference, ["recentTask"])).recentTask as ManagedObjectReference[];
      expect(recent.map((r) => r.value)).toContain(task.value);
      clock.advance(5000);
      await c.waitForTask(task);
      const info = (await c.retrieveOne(task, ["info"])).info as any;
      expect(info.completeTime.getTime() - info.startTime.getTime()).toBe(5000);
      expect(info.descriptionId).toBe("ResourcePool.destroy");
    } finally {
      await sim.close();
    }
  });
});

describe("managers", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab" });
    c = await connect(sim);
  });
  afterAll(() => sim.close());

  it("checks reservations against the parent pool", async () => {
    const big = await fault(c.call("CreateResourcePool", rootPool, { name: "huge", spec: poolSpec(10_000_000) }));
    expect(big.type).toBe("InsufficientResourcesFault");
    const a = (await c.call("CreateResourcePool", rootPool, { name: "a", spec: poolSpec(100) })) as ManagedObjectReference;
    expect((await fault(c.call("CreateResourcePool", rootPool, { name: "a", spec: poolSpec() }))).type).toBe("DuplicateName");
    const runtime = (await c.retrieveOne(rootPool, ["runtime.cpu.reservationUsed"]))["runtime.cpu.reservationUsed"];
    expect(runtime).toBe(100);
    await c.call("UpdateConfig", a, { name: "a2" });
    expect((await c.retrieveOne(a, ["name"])).name).toBe("a2");
    await c.call("DestroyChildren", rootPool);
    expect((await c.retrieveOne(rootPool, ["resourcePool"])).resourcePool).toEqual([]);
  });

  it("records login events and answers QueryEvents", async () => {
    await fault(VimClient.connect(sim.url, { username: "root", password: "bad", thumbprint: sim.thumbprint }));
    const events = (await c.call("QueryEvents", (c.content.eventManager as ManagedObjectReference), { filter: { _type: "EventFilterSpec" } })) as any[];
    const types = events.map((e) => e._type);
    expect(types).toContain("UserLoginSessionEvent");
    expect(types).toContain("BadUsernameSessionEvent");
    const onlyLogins = (await c.call("QueryEvents", (c.content.eventManager as ManagedObjectReference), { filter: { _type: "EventFilterSpec", eventTypeId: ["UserLoginSessionEvent"] } })) as any[];
    expect(onlyLogins.every((e) => e._type === "UserLoginSessionEvent")).toBe(true);
    const collector = (await c.call("CreateCollectorForEvents", (c.content.eventManager as ManagedObjectReference), { filter: { _type: "EventFilterSpec" } })) as ManagedObjectReference;
    await c.call("RewindCollector", collector);
    const page = (await c.call("ReadNextEvents", collector, { maxCount: 2 })) as any[];
    expect(page.length).toBe(2);
    expect(page[0].key).toBeLessThan(page[1].key);
  });

  it("lists the license with serialuri, as VIC's license check reads it", async () => {
    const lic = (await c.retrieveOne((c.content.licenseManager as ManagedObjectReference), ["licenses"])).licenses as any[];
    const features = lic[0].properties.filter((p: any) => p.key === "feature").map((p: any) => p.value.key);
    expect(features).toContain("serialuri");
  });

  it("finds entities through SearchIndex", async () => {
    const si = (c.content.searchIndex as ManagedObjectReference);
    expect(await c.call("FindByInventoryPath", si, { inventoryPath: "ha-datacenter/host/esxi01.think-v.com/esxi01.think-v.com" })).toEqual(hostRef);
    expect(await c.call("FindByInventoryPath", si, { inventoryPath: "ha-datacenter/network/VCH Bridge" })).toEqual(moref("Network", "HaNetwork-VCH Bridge"));
    expect(await c.call("FindByInventoryPath", si, { inventoryPath: "ha-datacenter/nope" })).toBeUndefined();
    expect(await c.call("FindByDnsName", si, { dnsName: "esxi01.think-v.com", vmSearch: false })).toEqual(hostRef);
    expect(await c.call("FindChild", si, { entity: c.content.rootFolder, name: "ha-datacenter" })).toEqual(moref("Datacenter", "ha-datacenter"));
  });

  it("grants the administrator every privilege and lists the system roles", async () => {
    const am = (c.content.authorizationManager as ManagedObjectReference);
    expect(await c.call("HasPrivilegeOnEntity", am, { entity: hostRef, sessionId: c.session.key, privId: ["VirtualMachine.Interact.PowerOn", "System.View"] })).toEqual([true, true]);
    const roles = (await c.retrieveOne(am, ["roleList"])).roleList as any[];
    expect(roles.map((r) => r.name)).toEqual(expect.arrayContaining(["Admin", "ReadOnly", "NoAccess"]));
  });

  it("changes the session timeout through the setting OptionManager", async () => {
    const om = (c.content.setting as ManagedObjectReference);
    await c.call("UpdateOptions", om, { changedValue: [{ _type: "OptionValue", key: "config.vmacore.soap.sessionTimeout", value: 5 }] });
    expect(sim.sim.sessions.timeoutMs).toBe(5 * 60_000);
    const opts = (await c.call("QueryOptions", om, { name: "config.vmacore.soap." })) as any[];
    expect(opts[0].value).toBe(5);
  });

  it("adds a port group and its Network appears in the inventory", async () => {
    const ns = ((await c.retrieveOne(hostRef, ["configManager"])).configManager as any).networkSystem as ManagedObjectReference;
    await c.call("AddPortGroup", ns, { portgrp: { _type: "HostPortGroupSpec", name: "Extra", vlanId: 10, vswitchName: "vSwitch0", policy: { _type: "HostNetworkPolicy" } } });
    expect((await fault(c.call("AddPortGroup", ns, { portgrp: { _type: "HostPortGroupSpec", name: "Extra", vlanId: 10, vswitchName: "vSwitch0", policy: { _type: "HostNetworkPolicy" } } }))).type).toBe("AlreadyExists");
    const nets = (await c.retrieveOne(moref("Datacenter", "ha-datacenter"), ["network"])).network as ManagedObjectReference[];
    expect(nets.map((n) => n.value)).toContain("HaNetwork-Extra");
    await c.call("RemovePortGroup", ns, { pgName: "Extra" });
    const after = (await c.retrieveOne(moref("Datacenter", "ha-datacenter"), ["network"])).network as ManagedObjectReference[];
    expect(after.map((n) => n.value)).not.toContain("HaNetwork-Extra");
  });
});

describe("the vCenter model", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "vcenter-cluster" });
    c = await connect(sim);
  });
  afterAll(() => sim.close());

  it("has a DRS cluster, license assignments with serialuri and dvs, and custom fields", async () => {
    const clusters = await c.retrieveFromContainer(c.content.rootFolder, "ClusterComputeResource", ["name", "configurationEx", "host"]);
    const cl = [...clusters.values()][0];
    expect((cl.configurationEx as any).drsConfig).toMatchObject({ enabled: true, defaultVmBehavior: "fullyAutomated" });
    expect((cl.host as unknown[]).length).toBe(3);
    const hostId = (cl.host as ManagedObjectReference[])[0].value;
    const assigned = (await c.call("QueryAssignedLicenses", moref("LicenseAssignmentManager", "LicenseAssignmentManager"), { entityId: hostId })) as any[];
    const features = assigned[0].assignedLicense.properties.filter((p: any) => p.key === "feature").map((p: any) => p.value.key);
    expect(features).toEqual(expect.arrayContaining(["serialuri", "dvs"]));
    const cfm = (c.content.customFieldsManager as ManagedObjectReference);
    const def = (await c.call("AddCustomFieldDef", cfm, { name: "owner" })) as any;
    expect((await fault(c.call("AddCustomFieldDef", cfm, { name: "owner" }))).type).toBe("DuplicateName");
    await c.call("setCustomValue", cl.host ? (cl.host as ManagedObjectReference[])[0] : hostRef, { key: "owner", value: "ci" });
    const cv = (await c.retrieveOne((cl.host as ManagedObjectReference[])[0], ["customValue"])).customValue as any[];
    expect(cv).toEqual([{ _type: "CustomFieldStringValue", key: def.key, value: "ci" }]);
  });

  it("reconfigures DRS through ReconfigureComputeResource_Task", async () => {
    const clusters = await c.retrieveFromContainer(c.content.rootFolder, "ClusterComputeResource", ["name"]);
    const ref = moref("ClusterComputeResource", [...clusters.keys()][0]);
    const task = (await c.call("ReconfigureComputeResource_Task", ref, { spec: { _type: "ClusterConfigSpecEx", drsConfig: { _type: "ClusterDrsConfigInfo", enabled: false } }, modify: true })) as ManagedObjectReference;
    await c.waitForTask(task);
    expect((await c.retrieveOne(ref, ["configurationEx.drsConfig.enabled"]))["configurationEx.drsConfig.enabled"]).toBe(false);
  });

  it("gives the same morefs and UUIDs on every run of a scenario", async () => {
    const other = await startSimulator({ scenario: "vcenter-cluster" });
    try {
      const c2 = await connect(other);
      const read = async (cl: VimClient) => [...(await cl.retrieveFromContainer(cl.content.rootFolder, "HostSystem", ["name", "hardware.systemInfo.uuid"])).entries()];
      expect(await read(c2)).toEqual(await read(c));
    } finally {
      await other.close();
    }
  });
});
