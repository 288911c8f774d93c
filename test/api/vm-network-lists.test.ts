// A network's and a VM's lists of each other follow ReconfigVM_Task: a NIC
// moved to a distributed port group leaves the standard network's `vm`
// list and joins the port group's; moved back, and removed, the same.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import type { VimClient } from "../../vim25/client/index.ts";
import { connect } from "../helpers.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

let sim: RunningSimulator;
let c: VimClient;
beforeAll(async () => {
  sim = await startSimulator({ scenario: "vcenter-cluster" });
  c = await connect(sim);
});
afterAll(() => sim.close());

it("moves a VM between networks' vm lists as its NIC changes network", async () => {
  const nets = await c.retrieveFromContainer(c.content.rootFolder, "Network", ["name"]);
  const ref = (name: string) => {
    const value = [...nets.entries()].find(([, p]) => p.name === name)![0];
    return { _type: "ManagedObjectReference", type: value.startsWith("dvportgroup") ? "DistributedVirtualPortgroup" : "Network", value } as ManagedObjectReference;
  };
  const vmNet = ref("VM Network");
  const dvpg = ref("dvpg-containers");
  const pool = [...(await c.retrieveFromContainer(c.content.rootFolder, "ClusterComputeResource", ["resourcePool"])).values()][0].resourcePool as ManagedObjectReference;
  const folder = [...(await c.retrieveFromContainer(c.content.rootFolder, "Datacenter", ["vmFolder"])).values()][0].vmFolder as ManagedObjectReference;
  const standard = { _type: "VirtualEthernetCardNetworkBackingInfo", deviceName: "VM Network", network: vmNet };
  const vm = (await c.waitForTask((await c.call("CreateVM_Task", folder, {
    config: {
      _type: "VirtualMachineConfigSpec", name: "mover", guestId: "otherGuest64", memoryMB: 128, files: { _type: "VirtualMachineFileInfo", vmPathName: "[shared-ds]" },
      deviceChange: [{ _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "VirtualVmxnet3", key: -1, backing: standard } }],
    }, pool,
  })) as ManagedObjectReference)) as ManagedObjectReference;
  const lists = async () => {
    const p = await c.retrieveProperties([vmNet, dvpg], ["vm"]);
    const has = (r: ManagedObjectReference) => ((p.get(r.value)!.vm as ManagedObjectReference[] | undefined) ?? []).some((v) => v.value === vm.value);
    return { network: ((await c.retrieveOne(vm, ["network"])).network as ManagedObjectReference[]).map((r) => r.value), standard: has(vmNet), dvpg: has(dvpg) };
  };
  expect(await lists()).toEqual({ network: [vmNet.value], standard: true, dvpg: false });
  const nic = async () => ((await c.retrieveOne(vm, ["config.hardware.device"]))["config.hardware.device"] as any[]).find((d) => d._type === "VirtualVmxnet3");
  const reconfigure = async (change: object) => c.waitForTask((await c.call("ReconfigVM_Task", vm, { spec: { _type: "VirtualMachineConfigSpec", deviceChange: [{ _type: "VirtualDeviceConfigSpec", ...change }] } })) as ManagedObjectReference);
  const dvs = (await c.retrieveOne(dvpg, ["config.distributedVirtualSwitch"]))["config.distributedVirtualSwitch"] as ManagedObjectReference;
  const switchUuid = (await c.retrieveOne(dvs, ["uuid"])).uuid;
  await reconfigure({ operation: "edit", device: { ...(await nic()), backing: { _type: "VirtualEthernetCardDistributedVirtualPortBackingInfo", port: { _type: "DistributedVirtualSwitchPortConnection", switchUuid, portgroupKey: dvpg.value } } } });
  expect(await lists()).toEqual({ network: [dvpg.value], standard: false, dvpg: true });
  await reconfigure({ operation: "edit", device: { ...(await nic()), backing: standard } });
  expect(await lists()).toEqual({ network: [vmNet.value], standard: true, dvpg: false });
  await reconfigure({ operation: "remove", device: await nic() });
  expect(await lists()).toEqual({ network: [], standard: false, dvpg: false });
});
