// Networks through the typed client: standard vSwitches and port groups on
// an ESXi host (HostNetworkSystem, with their Networks and the `network`
// lists following), and distributed switches on a vCenter (CreateDVS_Task,
// port groups, host membership, destroy, DistributedVirtualSwitchManager).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { VimClient } from "../../vim25/client/index.ts";
import { VimFault, moref, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { connect, fault } from "../helpers.ts";

const dvsManager = (c: VimClient) => c.content.dvSwitchManager as ManagedObjectReference;
const values = (refs: unknown) => ((refs as ManagedObjectReference[] | undefined) ?? []).map((r) => r.value);
const pgSpec = (name: string, vswitchName: string, vlanId = 0) => ({ _type: "HostPortGroupSpec", name, vlanId, vswitchName, policy: { _type: "HostNetworkPolicy" } });
const vsSpec = (extra: Record<string, unknown> = {}) => ({ _type: "HostVirtualSwitchSpec", numPorts: 128, ...extra });
const bond = (...nics: string[]) => ({ _type: "HostVirtualSwitchBondBridge", nicDevice: nics });

const vmSpec = (name: string, ds: string, backing: Record<string, unknown>) => ({
  _type: "VirtualMachineConfigSpec", name, guestId: "otherGuest64", memoryMB: 128,
  files: { _type: "VirtualMachineFileInfo", vmPathName: `[${ds}]` },
  deviceChange: [{ _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "VirtualVmxnet3", key: -1, addressType: "generated", backing } }],
});

describe("HostNetworkSystem on ESXi (homelab)", () => {
  const hostRef = moref("HostSystem", "ha-host");
  const dcRef = moref("Datacenter", "ha-datacenter");
  let sim: RunningSimulator;
  let c: VimClient;
  let ns: ManagedObjectReference;
  const info = async () => (await c.retrieveOne(ns, ["networkInfo"])).networkInfo as any;
  const vswitch = async (name: string) => (await info()).vswitch.find((v: any) => v.name === name);
  const portgroup = async (name: string) => (await info()).portgroup.find((p: any) => p.spec.name === name);
  const networks = async (ref: ManagedObjectReference) => values((await c.retrieveOne(ref, ["network"])).network);

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab" });
    c = await connect(sim);
    ns = ((await c.retrieveOne(hostRef, ["configManager"])).configManager as any).networkSystem;
  });
  afterAll(async () => {
    await c.logout();
    await sim.close();
  });

  it("adds a vSwitch, refusing duplicates, bad names and uplinks that are missing or taken", async () => {
    await c.call("AddVirtualSwitch", ns, { vswitchName: "vSwitch1", spec: vsSpec({ mtu: 9000 }) });
    const vs = await vswitch("vSwitch1");
    // empty arrays inside a data object do not travel: no port groups, no uplinks
    expect(vs).toMatchObject({ name: "vSwitch1", key: "key-vim.host.VirtualSwitch-vSwitch1", mtu: 9000, spec: { numPorts: 128, mtu: 9000 } });
    expect([vs.portgroup, vs.pnic, vs.spec.bridge]).toEqual([undefined, undefined, undefined]);
    expect((await fault(c.call("AddVirtualSwitch", ns, { vswitchName: "vSwitch1", spec: vsSpec() }))).type).toBe("AlreadyExists");
    expect((await fault(c.call("AddVirtualSwitch", ns, { vswitchName: "", spec: vsSpec() }))).type).toBe("InvalidArgument");
    expect((await fault(c.call("AddVirtualSwitch", ns, { vswitchName: "x".repeat(40), spec: vsSpec() }))).type).toBe("InvalidArgument");
    expect((await fault(c.call("AddVirtualSwitch", ns, { vswitchName: "vSwitch2", spec: vsSpec({ numPorts: 0 }) }))).type).toBe("InvalidArgument");
    const taken = await fault(c.call("AddVirtualSwitch", ns, { vswitchName: "vSwitch2", spec: vsSpec({ bridge: bond("vmnic0") }) }));
    expect(taken.type).toBe("ResourceInUse");
    expect((await fault(c.call("AddVirtualSwitch", ns, { vswitchName: "vSwitch2", spec: vsSpec({ bridge: bond("vmnic9") }) }))).type).toBe("NotFound");
    expect(await vswitch("vSwitch2")).toBeUndefined();
    // the host's config.network is the same document
    const hostNet = (await c.retrieveOne(hostRef, ["config.network"]))["config.network"];
    expect(hostNet).toEqual(await info());
  });

  it("updates a vSwitch: ports, MTU, and an uplink moved from one vSwitch to another", async () => {
    await c.call("AddVirtualSwitch", ns, { vswitchName: "vSwitchU", spec: vsSpec() });
    const vs0 = await vswitch("vSwitch0");
    await c.call("UpdateVirtualSwitch", ns, { vswitchName: "vSwitch0", spec: { ...vs0.spec, bridge: undefined } });
    expect((await vswitch("vSwitch0")).pnic).toBeUndefined();
    await c.call("UpdateVirtualSwitch", ns, { vswitchName: "vSwitchU", spec: vsSpec({ numPorts: 256, mtu: 1600, bridge: bond("vmnic0") }) });
    expect(await vswitch("vSwitchU")).toMatchObject({ mtu: 1600, pnic: ["key-vim.host.PhysicalNic-vmnic0"], spec: { numPorts: 256, mtu: 1600, bridge: { nicDevice: ["vmnic0"] } } });
    expect((await fault(c.call("UpdateVirtualSwitch", ns, { vswitchName: "vSwitch0", spec: { ...vs0.spec } }))).type).toBe("ResourceInUse");
    expect((await fault(c.call("UpdateVirtualSwitch", ns, { vswitchName: "nope", spec: vsSpec() }))).type).toBe("NotFound");
    expect((await fault(c.call("UpdateVirtualSwitch", ns, { vswitchName: "vSwitchU", spec: vsSpec({ mtu: 100 }) }))).type).toBe("InvalidArgument");
    // and back, as it was
    await c.call("UpdateVirtualSwitch", ns, { vswitchName: "vSwitchU", spec: vsSpec() });
    await c.call("UpdateVirtualSwitch", ns, { vswitchName: "vSwitch0", spec: vs0.spec });
    expect((await vswitch("vSwitch0")).pnic).toEqual(["key-vim.host.PhysicalNic-vmnic0"]);
    await c.call("RemoveVirtualSwitch", ns, { vswitchName: "vSwitchU" });
  });

  it("renames, re-tags and moves a port group; the Network follows the name", async () => {
    await c.call("AddVirtualSwitch", ns, { vswitchName: "vSwitchR", spec: vsSpec() });
    await c.call("AddPortGroup", ns, { portgrp: pgSpec("Blue", "vSwitch0", 10) });
    expect(await networks(dcRef)).toContain("HaNetwork-Blue");
    await c.call("UpdatePortGroup", ns, { pgName: "Blue", portgrp: pgSpec("Green", "vSwitchR", 20) });
    expect(await portgroup("Blue")).toBeUndefined();
    expect(await portgroup("Green")).toMatchObject({ key: "key-vim.host.PortGroup-Green", vswitch: "key-vim.host.VirtualSwitch-vSwitchR", spec: { name: "Green", vlanId: 20, vswitchName: "vSwitchR" } });
    expect((await vswitch("vSwitch0")).portgroup).not.toContain("key-vim.host.PortGroup-Blue");
    expect((await vswitch("vSwitchR")).portgroup).toEqual(["key-vim.host.PortGroup-Green"]);
    for (const ref of [dcRef, hostRef, moref("ComputeResource", "ha-compute-res")]) {
      const nets = await networks(ref);
      expect(nets).toContain("HaNetwork-Green");
      expect(nets).not.toContain("HaNetwork-Blue");
    }
    expect((await c.retrieveOne(moref("Network", "HaNetwork-Green"), ["name", "host"]))).toMatchObject({ name: "Green", host: [hostRef] });
    expect((await fault(c.call("UpdatePortGroup", ns, { pgName: "Green", portgrp: pgSpec("VM Network", "vSwitchR") }))).type).toBe("AlreadyExists");
    expect((await fault(c.call("UpdatePortGroup", ns, { pgName: "Nope", portgrp: pgSpec("X", "vSwitchR") }))).type).toBe("NotFound");
    expect((await fault(c.call("UpdatePortGroup", ns, { pgName: "Green", portgrp: pgSpec("Green", "vSwitchNope") }))).type).toBe("NotFound");
    expect((await fault(c.call("UpdatePortGroup", ns, { pgName: "Green", portgrp: pgSpec("Green", "vSwitchR", 5000) }))).type).toBe("InvalidArgument");
  });

  it("keeps port groups that VMs use, and vSwitches that carry them or a vmkernel NIC", async () => {
    await c.call("AddVirtualSwitch", ns, { vswitchName: "vSwitchVM", spec: vsSpec() });
    await c.call("AddPortGroup", ns, { portgrp: pgSpec("Busy", "vSwitchVM") });
    await c.call("AddPortGroup", ns, { portgrp: pgSpec("Idle", "vSwitchVM") });
    const busy = moref("Network", "HaNetwork-Busy");
    const vm = (await c.waitForTask((await c.call("CreateVM_Task", moref("Folder", "ha-folder-vm"), {
      config: vmSpec("netvm", "mydatastore", { _type: "VirtualEthernetCardNetworkBackingInfo", deviceName: "Busy", network: busy }),
      pool: moref("ResourcePool", "ha-root-pool"),
    })) as ManagedObjectReference)) as ManagedObjectReference;
    expect(values((await c.retrieveOne(vm, ["network"])).network)).toEqual(["HaNetwork-Busy"]);
    expect((await fault(c.call("RemovePortGroup", ns, { pgName: "Busy" }))).type).toBe("ResourceInUse");
    expect((await fault(c.call("UpdatePortGroup", ns, { pgName: "Busy", portgrp: pgSpec("Renamed", "vSwitchVM") }))).type).toBe("ResourceInUse");
    // a VLAN change keeps the name, and so the Network
    await c.call("UpdatePortGroup", ns, { pgName: "Busy", portgrp: pgSpec("Busy", "vSwitchVM", 7) });
    expect((await portgroup("Busy")).spec.vlanId).toBe(7);
    expect((await fault(c.call("RemoveVirtualSwitch", ns, { vswitchName: "vSwitchVM" }))).type).toBe("ResourceInUse");
    expect(await portgroup("Idle")).toBeDefined();
    expect((await fault(c.call("RemoveVirtualSwitch", ns, { vswitchName: "vSwitch0" }))).type).toBe("ResourceInUse");
    expect((await fault(c.call("RemoveVirtualSwitch", ns, { vswitchName: "vSwitchNope" }))).type).toBe("NotFound");

    await c.waitForTask((await c.call("Destroy_Task", vm)) as ManagedObjectReference);
    await c.call("RemoveVirtualSwitch", ns, { vswitchName: "vSwitchVM" });
    expect(await vswitch("vSwitchVM")).toBeUndefined();
    expect(await portgroup("Busy")).toBeUndefined();
    expect(await portgroup("Idle")).toBeUndefined();
    const nets = await networks(dcRef);
    expect(nets).not.toContain("HaNetwork-Busy");
    expect(nets).not.toContain("HaNetwork-Idle");
    expect(await networks(hostRef)).not.toContain("HaNetwork-Idle");
    expect(sim.sim.inventory.has("HaNetwork-Busy")).toBe(false);
  });

  it("applies UpdateNetworkConfig as one change: all of it or none of it", async () => {
    const before = await info();
    const bad = {
      _type: "HostNetworkConfig",
      vswitch: [{ _type: "HostVirtualSwitchConfig", changeOperation: "add", name: "vSwitchB", spec: vsSpec() }],
      portgroup: [
        { _type: "HostPortGroupConfig", changeOperation: "add", spec: pgSpec("Batch", "vSwitchB") },
        { _type: "HostPortGroupConfig", changeOperation: "add", spec: pgSpec("VM Network", "vSwitchB") },
      ],
    };
    expect((await fault(c.call("UpdateNetworkConfig", ns, { config: bad, changeMode: "modify" }))).type).toBe("AlreadyExists");
    expect(await info()).toEqual(before);
    expect(await networks(dcRef)).not.toContain("HaNetwork-Batch");

    const good = { ...bad, portgroup: [bad.portgroup[0], { _type: "HostPortGroupConfig", changeOperation: "edit", spec: pgSpec("VCH Bridge", "vSwitch0", 99) }] };
    const result = await c.call("UpdateNetworkConfig", ns, { config: good, changeMode: "modify" });
    expect(result).toMatchObject({ _type: "HostNetworkConfigResult" });
    expect((await vswitch("vSwitchB")).portgroup).toEqual(["key-vim.host.PortGroup-Batch"]);
    expect((await portgroup("VCH Bridge")).spec.vlanId).toBe(99);
    expect(await networks(dcRef)).toContain("HaNetwork-Batch");

    const remove = {
      _type: "HostNetworkConfig",
      vswitch: [{ _type: "HostVirtualSwitchConfig", changeOperation: "remove", name: "vSwitchB" }],
      portgroup: [{ _type: "HostPortGroupConfig", changeOperation: "edit", spec: pgSpec("VCH Bridge", "vSwitch0", 0) }],
    };
    await c.call("UpdateNetworkConfig", ns, { config: remove, changeMode: "modify" });
    expect(await vswitch("vSwitchB")).toBeUndefined();
    expect(await networks(dcRef)).not.toContain("HaNetwork-Batch");
    expect((await portgroup("VCH Bridge")).spec.vlanId).toBe(0);
  });

  it("answers QueryNetworkHint with an empty hint for each physical NIC", async () => {
    expect(await c.call("QueryNetworkHint", ns, {})).toMatchObject([{ _type: "PhysicalNicHintInfo", device: "vmnic0" }]);
    expect((await fault(c.call("QueryNetworkHint", ns, { device: ["vmnic7"] }))).type).toBe("NotFound");
  });

  it("has no distributed switches to find, and no CreateDVS_Task on its network folder", async () => {
    expect((await fault(c.call("QueryDvsByUuid", dvsManager(c), { uuid: "00 11" }))).type).toBe("NotFound");
    const task = (await c.call("CreateDVS_Task", moref("Folder", "ha-folder-network"), { spec: { _type: "DVSCreateSpec", configSpec: { _type: "DVSConfigSpec", name: "x" } } })) as ManagedObjectReference;
    expect((await fault(c.waitForTask(task))).type).toBe("NotSupported");
  });
});

describe("distributed switches on vCenter (vcenter-cluster)", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  let dc: ManagedObjectReference;
  let netFolder: ManagedObjectReference;
  let vmFolder: ManagedObjectReference;
  const hosts = new Map<string, ManagedObjectReference>();
  let cluster: { ref: ManagedObjectReference; pool: ManagedObjectReference };
  let standalone: ManagedObjectReference;
  const run = async (method: string, ref: ManagedObjectReference, args: Record<string, unknown>) => c.waitForTask((await c.call(method, ref, args)) as ManagedObjectReference);
  const networks = async (ref: ManagedObjectReference) => values((await c.retrieveOne(ref, ["network"])).network);
  const events = async (types: string[]) => (await c.call("QueryEvents", (c.content.eventManager as ManagedObjectReference), { filter: { _type: "EventFilterSpec", eventTypeId: types } })) as any[];
  const createSpec = (name: string, members: ManagedObjectReference[]) => ({
    _type: "DVSCreateSpec",
    configSpec: {
      _type: "VMwareDVSConfigSpec", name, numStandalonePorts: 4,
      uplinkPortPolicy: { _type: "DVSNameArrayUplinkPortPolicy", uplinkPortName: ["up1", "up2", "up3"] },
      host: members.map((h) => ({ _type: "DistributedVirtualSwitchHostMemberConfigSpec", operation: "add", host: h })),
    },
    productInfo: { _type: "DistributedVirtualSwitchProductSpec", version: "6.0.0" },
  });
  const dvpg = (name: string, vlanId: number, numPorts = 16) => ({
    _type: "DVPortgroupConfigSpec", name, numPorts, type: "earlyBinding",
    defaultPortConfig: { _type: "VMwareDVSPortSetting", vlan: { _type: "VmwareDistributedVirtualSwitchVlanIdSpec", inherited: false, vlanId } },
  });

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "vcenter-cluster" });
    c = await connect(sim);
    const [dcId, dcProps] = [...(await c.retrieveFromContainer(c.content.rootFolder, "Datacenter", ["networkFolder", "vmFolder"])).entries()][0];
    dc = moref("Datacenter", dcId);
    netFolder = dcProps.networkFolder as ManagedObjectReference;
    vmFolder = dcProps.vmFolder as ManagedObjectReference;
    for (const [id, p] of await c.retrieveFromContainer(c.content.rootFolder, "HostSystem", ["name"])) hosts.set(p.name as string, moref("HostSystem", id));
    const [clId, cl] = [...(await c.retrieveFromContainer(c.content.rootFolder, "ClusterComputeResource", ["resourcePool"])).entries()][0];
    cluster = { ref: moref("ClusterComputeResource", clId), pool: cl.resourcePool as ManagedObjectReference };
    standalone = moref("ComputeResource", [...(await c.retrieveFromContainer(c.content.rootFolder, "ComputeResource", ["name"])).entries()].find(([, p]) => p.name === "esx4.example.com")![0]);
  });
  afterAll(async () => {
    await c.logout();
    await sim.close();
  });

  it("creates a switch with its uplink port group and member hosts", async () => {
    const esx1 = hosts.get("esx1.example.com")!, esx4 = hosts.get("esx4.example.com")!;
    const sw = (await run("CreateDVS_Task", netFolder, { spec: createSpec("dvs-new", [esx1, esx4]) })) as ManagedObjectReference;
    expect(sw.type).toBe("VmwareDistributedVirtualSwitch");
    const p = await c.retrieveOne(sw, ["name", "uuid", "portgroup", "config", "summary.host", "parent"]);
    expect(p.name).toBe("dvs-new");
    expect(p.parent).toEqual(netFolder);
    const cfg = p.config as any;
    expect(cfg.uplinkPortPolicy.uplinkPortName).toEqual(["up1", "up2", "up3"]);
    expect(cfg.host.map((m: any) => m.config.host.value)).toEqual([esx1.value, esx4.value]);
    expect(cfg.productInfo.version).toBe("6.0.0");
    const [uplink] = p.portgroup as ManagedObjectReference[];
    expect(cfg.uplinkPortgroup).toEqual([uplink]);
    const up = await c.retrieveOne(uplink, ["name", "config.uplink", "config.numPorts", "host"]);
    expect(up.name).toBe(`dvs-new-DVUplinks-${sw.value.replace("dvs-", "")}`);
    expect(up["config.uplink"]).toBe(true);
    expect(up["config.numPorts"]).toBe(6);
    expect(values(up.host)).toEqual([esx1.value, esx4.value]);
    expect(cfg.numPorts).toBe(6 + 4);
    expect(await networks(esx1)).toContain(uplink.value);
    expect(await networks(cluster.ref)).toContain(uplink.value);
    expect(await networks(dc)).toContain(uplink.value);
    expect(values((await c.retrieveOne(netFolder, ["childEntity"])).childEntity)).toEqual(expect.arrayContaining([sw.value, uplink.value]));
    const created = await events(["DvsCreatedEvent"]);
    expect(created[0]).toMatchObject({ dvs: { name: "dvs-new", dvs: sw }, parent: { folder: netFolder }, datacenter: { datacenter: dc } });
    expect(await c.call("QueryDvsByUuid", dvsManager(c), { uuid: p.uuid })).toEqual(sw);
  });

  it("refuses a duplicate switch name (DuplicateName, as vCenter), a bad host and a folder that holds no switches", async () => {
    const dup = await fault(run("CreateDVS_Task", netFolder, { spec: createSpec("dvs1", []) }));
    expect(dup.type).toBe("DuplicateName");
    expect((await fault(run("CreateDVS_Task", vmFolder, { spec: createSpec("elsewhere", []) }))).type).toBe("NotSupported");
    const twice = hosts.get("esx2.example.com")!;
    expect((await fault(run("CreateDVS_Task", netFolder, { spec: createSpec("dvs-twice", [twice, twice]) }))).type).toBe("AlreadyExists");
    expect((await fault(run("CreateDVS_Task", netFolder, { spec: { ...createSpec("dvs-v", []), productInfo: { _type: "DistributedVirtualSwitchProductSpec", version: "9.9.9" } } }))).type).toBe("InvalidArgument");
    const names = [...(await c.retrieveFromContainer(c.content.rootFolder, "DistributedVirtualSwitch", ["name"])).values()].map((s) => s.name);
    expect(names.sort()).toEqual(["dvs-new", "dvs1"]);
  });

  it("adds port groups that reach every member host, with unique names in the datacenter", async () => {
    const sw = await findSwitch("dvs-new");
    await run("AddDVPortgroup_Task", sw, { spec: [dvpg("pg-a", 42), dvpg("pg-b", 43, 8)] });
    const pgs = await c.retrieveProperties(((await c.retrieveOne(sw, ["portgroup"])).portgroup as ManagedObjectReference[]), ["name", "config", "host"]);
    const a = [...pgs.entries()].find(([, p]) => p.name === "pg-a")!;
    const cfg = a[1].config as any;
    expect(cfg).toMatchObject({ name: "pg-a", numPorts: 16, type: "earlyBinding", distributedVirtualSwitch: sw, configVersion: "1", defaultPortConfig: { vlan: { vlanId: 42 } } });
    const pgRef = moref("DistributedVirtualPortgroup", a[0]);
    const esx1 = hosts.get("esx1.example.com")!, esx4 = hosts.get("esx4.example.com")!;
    expect(values(a[1].host)).toEqual([esx1.value, esx4.value]);
    expect(await networks(esx4)).toContain(pgRef.value);
    expect(await networks(standalone)).toContain(pgRef.value);
    expect(await networks(dc)).toContain(pgRef.value);
    expect(await networks(hosts.get("esx2.example.com")!)).not.toContain(pgRef.value);
    expect((await c.retrieveOne(sw, ["summary.portgroupName", "config.numPorts"]))).toMatchObject({ "summary.portgroupName": expect.arrayContaining(["pg-a", "pg-b"]), "config.numPorts": 6 + 4 + 16 + 8 });
    expect((await events(["DVPortgroupCreatedEvent"])).map((e) => e.net.name)).toEqual(expect.arrayContaining(["pg-a", "pg-b"]));
    // a name another switch's port group already has, and a name twice in one call
    expect((await fault(run("AddDVPortgroup_Task", sw, { spec: [dvpg("dvpg-containers", 1)] }))).type).toBe("DuplicateName");
    expect((await fault(run("AddDVPortgroup_Task", sw, { spec: [dvpg("pg-c", 1), dvpg("pg-c", 2)] }))).type).toBe("DuplicateName");
    expect((await fault(run("AddDVPortgroup_Task", sw, { spec: [dvpg("pg-v", 4095)] }))).type).toBe("InvalidArgument");
    expect(sim.sim.inventory.ofType("DistributedVirtualPortgroup").map((p) => p.get("name"))).not.toContain("pg-c");
    const dvsUuid = (await c.retrieveOne(sw, ["uuid"])).uuid;
    expect(await c.call("DVSManagerLookupDvPortGroup", dvsManager(c), { switchUuid: dvsUuid, portgroupKey: pgRef.value })).toEqual(pgRef);
    expect((await fault(c.call("DVSManagerLookupDvPortGroup", dvsManager(c), { switchUuid: dvsUuid, portgroupKey: "dvportgroup-999" }))).type).toBe("NotFound");
  });

  it("reconfigures a port group against its configVersion, and renames it everywhere", async () => {
    const pg = await findPortgroup("pg-a");
    await run("ReconfigureDVPortgroup_Task", pg, { spec: { _type: "DVPortgroupConfigSpec", configVersion: "1", name: "pg-a2", numPorts: 32, defaultPortConfig: { _type: "VMwareDVSPortSetting", vlan: { _type: "VmwareDistributedVirtualSwitchVlanIdSpec", inherited: false, vlanId: 77 } } } });
    let p = await c.retrieveOne(pg, ["name", "config", "summary.name", "portKeys"]);
    expect(p.name).toBe("pg-a2");
    expect(p["summary.name"]).toBe("pg-a2");
    expect(p.config).toMatchObject({ name: "pg-a2", numPorts: 32, configVersion: "2", defaultPortConfig: { vlan: { vlanId: 77 }, blocked: { value: false } } });
    expect((p.portKeys as string[]).length).toBe(32);
    // a spec written against version 1 is stale now
    const stale = await fault(run("ReconfigureDVPortgroup_Task", pg, { spec: { _type: "DVPortgroupConfigSpec", configVersion: "1", numPorts: 8 } }));
    expect(stale.type).toBe("ConcurrentAccess");
    expect((await fault(run("ReconfigureDVPortgroup_Task", pg, { spec: { _type: "DVPortgroupConfigSpec", configVersion: "2", name: "pg-b" } }))).type).toBe("DuplicateName");
    await run("Rename_Task", pg, { newName: "pg-renamed" });
    p = await c.retrieveOne(pg, ["name", "config.name", "summary.name"]);
    expect(p).toMatchObject({ name: "pg-renamed", "config.name": "pg-renamed", "summary.name": "pg-renamed" });
    const sw = await findSwitch("dvs-new");
    const names = (await c.retrieveOne(sw, ["summary.portgroupName"]))["summary.portgroupName"] as string[];
    expect(names).toContain("pg-renamed");
    expect(names).not.toContain("pg-a2");
    expect((await events(["DVPortgroupRenamedEvent"]))[0]).toMatchObject({ oldName: "pg-a2", newName: "pg-renamed" });
  });

  it("adds and removes member hosts with ReconfigureDvs_Task, and the network lists follow", async () => {
    const sw = await findSwitch("dvs-new");
    const pg = await findPortgroup("pg-renamed");
    const esx1 = hosts.get("esx1.example.com")!, esx2 = hosts.get("esx2.example.com")!, esx4 = hosts.get("esx4.example.com")!;
    const version = (await c.retrieveOne(sw, ["config.configVersion"]))["config.configVersion"];
    const member = (op: string, host: ManagedObjectReference) => ({ _type: "DistributedVirtualSwitchHostMemberConfigSpec", operation: op, host });
    await run("ReconfigureDvs_Task", sw, { spec: { _type: "VMwareDVSConfigSpec", configVersion: version, description: "lab", host: [member("add", esx2), member("remove", esx4)] } });
    const cfg = (await c.retrieveOne(sw, ["config"])).config as any;
    expect(cfg.host.map((m: any) => m.config.host.value)).toEqual([esx1.value, esx2.value]);
    expect(cfg.description).toBe("lab");
    expect(cfg.configVersion).not.toBe(version);
    expect(await networks(esx2)).toContain(pg.value);
    expect(await networks(esx4)).not.toContain(pg.value);
    expect(await networks(standalone)).not.toContain(pg.value);
    expect(values((await c.retrieveOne(pg, ["host"])).host)).toEqual([esx1.value, esx2.value]);
    // esx2 still has it: the cluster keeps the network when esx1 leaves
    await run("ReconfigureDvs_Task", sw, { spec: { _type: "VMwareDVSConfigSpec", host: [member("remove", esx1)] } });
    expect(await networks(cluster.ref)).toContain(pg.value);
    expect(await networks(esx1)).not.toContain(pg.value);
    expect((await fault(run("ReconfigureDvs_Task", sw, { spec: { _type: "VMwareDVSConfigSpec", host: [member("add", esx2)] } }))).type).toBe("AlreadyExists");
    expect((await fault(run("ReconfigureDvs_Task", sw, { spec: { _type: "VMwareDVSConfigSpec", host: [member("remove", esx4)] } }))).type).toBe("NotFound");
    expect((await fault(run("ReconfigureDvs_Task", sw, { spec: { _type: "VMwareDVSConfigSpec", configVersion: "1" } }))).type).toBe("ConcurrentAccess");
    const uplink = cfg.uplinkPortgroup[0];
    expect((await c.retrieveOne(uplink, ["config.numPorts"]))["config.numPorts"]).toBe(3);
    const kinds = (await events(["DvsHostJoinedEvent", "DvsHostLeftEvent"])).map((e) => `${e._type}:${(e.hostJoined ?? e.hostLeft).host.value}`);
    expect(kinds).toEqual(expect.arrayContaining([`DvsHostJoinedEvent:${esx2.value}`, `DvsHostLeftEvent:${esx4.value}`, `DvsHostLeftEvent:${esx1.value}`]));
  });

  it("keeps port groups and switches that VMs use; destroys them with their port groups otherwise", async () => {
    const sw = await findSwitch("dvs-new");
    const pg = await findPortgroup("pg-renamed");
    const other = await findPortgroup("pg-b");
    const uuid = (await c.retrieveOne(sw, ["uuid"])).uuid as string;
    const esx2 = hosts.get("esx2.example.com")!;
    const vm = (await run("CreateVM_Task", vmFolder, {
      config: vmSpec("dvs-vm", "shared-ds", { _type: "VirtualEthernetCardDistributedVirtualPortBackingInfo", port: { _type: "DistributedVirtualSwitchPortConnection", switchUuid: uuid, portgroupKey: pg.value } }),
      pool: cluster.pool, host: esx2,
    })) as ManagedObjectReference;
    expect(values((await c.retrieveOne(vm, ["network"])).network)).toEqual([pg.value]);
    expect((await fault(run("Destroy_Task", pg, {}))).type).toBe("ResourceInUse");
    expect((await fault(run("Destroy_Task", sw, {}))).type).toBe("ResourceInUse");
    const leave = { _type: "VMwareDVSConfigSpec", host: [{ _type: "DistributedVirtualSwitchHostMemberConfigSpec", operation: "remove", host: esx2 }] };
    expect((await fault(run("ReconfigureDvs_Task", sw, { spec: leave }))).type).toBe("ResourceInUse");
    const uplink = ((await c.retrieveOne(sw, ["config.uplinkPortgroup"]))["config.uplinkPortgroup"] as ManagedObjectReference[])[0];
    expect((await fault(run("Destroy_Task", uplink, {}))).type).toBe("NotSupported");

    await run("Destroy_Task", other, {});
    expect(sim.sim.inventory.has(other.value)).toBe(false);
    expect(await networks(dc)).not.toContain(other.value);
    expect(await networks(esx2)).not.toContain(other.value);
    expect(values((await c.retrieveOne(sw, ["portgroup"])).portgroup)).not.toContain(other.value);
    expect((await events(["DVPortgroupDestroyedEvent"]))[0]).toMatchObject({ net: { name: "pg-b", network: other } });

    await run("Destroy_Task", vm, {});
    await run("Destroy_Task", sw, {});
    for (const ref of [sw, pg, uplink]) expect(sim.sim.inventory.has(ref.value)).toBe(false);
    for (const ref of [dc, esx2, cluster.ref]) {
      const nets = await networks(ref);
      expect(nets).not.toContain(pg.value);
      expect(nets).not.toContain(uplink.value);
    }
    expect(values((await c.retrieveOne(netFolder, ["childEntity"])).childEntity)).not.toContain(sw.value);
    expect((await events(["DvsDestroyedEvent"]))[0]).toMatchObject({ dvs: { name: "dvs-new", dvs: sw } });
    expect((await fault(c.call("QueryDvsByUuid", dvsManager(c), { uuid }))).type).toBe("NotFound");
  });

  it("leaves the scenario's switch as the builder made it, findable by UUID and key", async () => {
    const sw = await findSwitch("dvs1");
    const p = await c.retrieveOne(sw, ["uuid", "portgroup", "config.host"]);
    expect((p["config.host"] as unknown[]).length).toBe(4);
    const [uplink, pg] = p.portgroup as ManagedObjectReference[];
    expect((await c.retrieveOne(uplink, ["config.numPorts"]))["config.numPorts"]).toBe(8);
    expect(await c.call("DVSManagerLookupDvPortGroup", dvsManager(c), { switchUuid: p.uuid, portgroupKey: pg.value })).toEqual(pg);
    expect(await c.call("LookupDvPortGroup", sw, { portgroupKey: pg.value })).toEqual(pg);
  });

  async function findSwitch(name: string): Promise<ManagedObjectReference> {
    const found = [...(await c.retrieveFromContainer(c.content.rootFolder, "DistributedVirtualSwitch", ["name"])).entries()].find(([, p]) => p.name === name);
    if (!found) throw new Error(`no switch ${name}`);
    return moref("VmwareDistributedVirtualSwitch", found[0]);
  }

  async function findPortgroup(name: string): Promise<ManagedObjectReference> {
    const found = [...(await c.retrieveFromContainer(c.content.rootFolder, "DistributedVirtualPortgroup", ["name"])).entries()].find(([, p]) => p.name === name);
    if (!found) throw new Error(`no port group ${name}`);
    return moref("DistributedVirtualPortgroup", found[0]);
  }
});
