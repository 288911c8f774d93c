// An HttpNfcLease nobody touches for its leaseTimeout fails with Timedout
// and takes its half-imported VM with it; progress keeps it alive.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { ManualClock } from "../../simulator/clock.ts";
import type { VimClient } from "../../vim25/client/index.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { connect } from "../helpers.ts";

const OVF = `<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <DiskSection><Disk ovf:diskId="d1" ovf:capacity="1048576"/></DiskSection>
  <VirtualSystem ovf:id="slow"><Name>slow</Name><VirtualHardwareSection>
    <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>6</rasd:ResourceType><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType></Item>
    <Item><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType><rasd:Parent>1</rasd:Parent><rasd:HostResource>ovf:/disk/d1</rasd:HostResource></Item>
  </VirtualHardwareSection></VirtualSystem></Envelope>`;

describe("HttpNfcLease timeout", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  const clock = new ManualClock();

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab", clock });
    c = await connect(sim);
  });
  afterAll(() => sim.close());

  /** An import of OVF as `name`, its lease ready for the disk. */
  async function importLease(name: string): Promise<ManagedObjectReference> {
    const pool = sim.sim.inventory.ofType("ResourcePool")[0].ref;
    const ds = sim.sim.inventory.ofType("Datastore")[0].ref;
    const ovfManager = sim.sim.content.ovfManager as ManagedObjectReference;
    const res = (await c.call("CreateImportSpec", ovfManager, { ovfDescriptor: OVF, resourcePool: pool, datastore: ds, cisp: { _type: "OvfCreateImportSpecParams", entityName: name, locale: "", deploymentOption: "" } })) as { importSpec: unknown };
    return (await c.call("ImportVApp", pool, { spec: res.importSpec })) as ManagedObjectReference;
  }

  it("fails an untouched lease after leaseTimeout and removes its VM; progress restarts the count", async () => {
    const lease = await importLease("slow");
    const state = async () => (await c.retrieveOne(lease, ["state"])).state;
    const vmExists = () => sim.sim.inventory.ofType("VirtualMachine").some((v) => v.get("name") === "slow");
    expect(await state()).toBe("ready");
    expect((await c.retrieveOne(lease, ["info.leaseTimeout"]))["info.leaseTimeout"]).toBe(300);
    clock.advance(299_000);
    await c.call("HttpNfcLeaseProgress", lease, { percent: 50 });
    clock.advance(299_000);
    expect(await state()).toBe("ready");
    expect(vmExists()).toBe(true);
    clock.advance(2_000);
    expect(await state()).toBe("error");
    expect((await c.retrieveOne(lease, ["error"])).error).toMatchObject({ _type: "LocalizedMethodFault", fault: { _type: "Timedout" }, localizedMessage: "Operation timed out." });
    expect(vmExists()).toBe(false);
  });

  it("gives a lease a restore brings back ready its whole leaseTimeout again", async () => {
    const lease = await importLease("slow2");
    const state = async () => (await c.retrieveOne(lease, ["state"])).state;
    clock.advance(200_000);
    const snap = sim.snapshot();
    clock.advance(101_000);
    expect(await state()).toBe("error");
    sim.restore(snap);
    expect(await state()).toBe("ready");
    clock.advance(299_000);
    expect(await state()).toBe("ready");
    clock.advance(2_000);
    expect(await state()).toBe("error");
  });
});
