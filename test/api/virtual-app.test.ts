// vApps on vCenter, the way VIC's installer uses them: CreateVApp with
// product information, a child VM made by CreateChildVM_Task, power, destroy.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { VimClient } from "../../vim25/client/index.ts";
import { VimFault, moref, type ManagedObjectReference } from "../../vim25/soap/index.ts";

const alloc = { _type: "ResourceAllocationInfo", reservation: 1, expandableReservation: true, limit: -1, shares: { _type: "SharesInfo", level: "normal", shares: 0 } };
const resSpec = { _type: "ResourceConfigSpec", cpuAllocation: alloc, memoryAllocation: alloc };
const vAppSpec = { _type: "VAppConfigSpec", annotation: "vSphere Integrated Containers", product: [{ _type: "VAppProductSpec", operation: "add", info: { _type: "VAppProductInfo", key: 0, name: "vSphere Integrated Containers", vendor: "VMware" } }] };

describe("vApps", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  let pool: ManagedObjectReference;
  let vmFolder: ManagedObjectReference;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "vcenter-cluster" });
    c = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
    pool = [...(await c.retrieveFromContainer(c.content.rootFolder, "ClusterComputeResource", ["resourcePool"])).values()][0].resourcePool as ManagedObjectReference;
    vmFolder = [...(await c.retrieveFromContainer(c.content.rootFolder, "Datacenter", ["vmFolder"])).values()][0].vmFolder as ManagedObjectReference;
  });
  afterAll(() => sim.close());

  it("creates a vApp listed in the VM folder, holds a child VM, powers it and goes with it", async () => {
    const app = (await c.call("CreateVApp", pool, { name: "VCH001", resSpec, configSpec: vAppSpec })) as ManagedObjectReference;
    expect(app.type).toBe("VirtualApp");
    const props = await c.retrieveOne(app, ["name", "parentFolder", "vAppConfig", "summary.vAppState"]);
    expect(props.parentFolder).toEqual(vmFolder);
    expect((props.vAppConfig as any).product[0]).toMatchObject({ name: "vSphere Integrated Containers", vendor: "VMware" });
    expect((props.vAppConfig as any).annotation).toBe("vSphere Integrated Containers");
    const folderKids = (await c.retrieveOne(vmFolder, ["childEntity"])).childEntity as ManagedObjectReference[];
    expect(folderKids.map((r) => r.value)).toContain(app.value);
    await expect(c.call("CreateVApp", pool, { name: "VCH001", resSpec, configSpec: vAppSpec })).rejects.toMatchObject({ name: "DuplicateName" });

    const vm = (await c.waitForTask((await c.call("CreateChildVM_Task", app, {
      config: { _type: "VirtualMachineConfigSpec", name: "VCH001", guestId: "other3xLinux64Guest", memoryMB: 2048, files: { _type: "VirtualMachineFileInfo", vmPathName: "[shared-ds]" } },
    })) as ManagedObjectReference)) as ManagedObjectReference;
    const vmProps = await c.retrieveOne(vm, ["parentVApp", "resourcePool", "config.files.vmPathName"]);
    expect(vmProps.parentVApp).toEqual(app);
    expect(vmProps.resourcePool).toEqual(app);
    expect(vmProps["config.files.vmPathName"]).toBe("[shared-ds] VCH001/VCH001.vmx");

    await c.waitForTask((await c.call("PowerOnVApp_Task", app)) as ManagedObjectReference);
    expect((await c.retrieveOne(vm, ["runtime.powerState"]))["runtime.powerState"]).toBe("poweredOn");
    expect((await c.retrieveOne(app, ["summary.vAppState"]))["summary.vAppState"]).toBe("started");
    const refused = c.waitForTask((await c.call("Destroy_Task", app)) as ManagedObjectReference);
    await expect(refused).rejects.toMatchObject({ name: "InvalidPowerState" });
    await c.waitForTask((await c.call("PowerOffVApp_Task", app, { force: true })) as ManagedObjectReference);
    await c.waitForTask((await c.call("Destroy_Task", app)) as ManagedObjectReference);
    const after = (await c.retrieveOne(vmFolder, ["childEntity"])).childEntity as ManagedObjectReference[];
    expect(after.map((r) => r.value)).not.toContain(app.value);
    await expect(c.retrieveOne(vm, ["name"])).rejects.toBeInstanceOf(VimFault);
    await expect(c.downloadFile("shared-ds", "VCH001/VCH001.vmx", { dcPath: "dc1" })).rejects.toMatchObject({ status: 404 });
  });

  it("is a vCenter feature", async () => {
    const esx = await startSimulator({ scenario: "homelab" });
    try {
      const e = await VimClient.connect(esx.url, { username: esx.username, password: esx.password, thumbprint: esx.thumbprint });
      await expect(e.call("CreateVApp", moref("ResourcePool", "ha-root-pool"), { name: "x", resSpec, configSpec: vAppSpec })).rejects.toMatchObject({ name: "NotSupported" });
    } finally {
      await esx.close();
    }
  });
});
