// ServiceManager.QueryServiceList over SOAP: the simulator registers no
// service interfaces (an empty list, an empty answer), and the query filters
// what the list holds by exact name and by every location asked for.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import type { VimClient } from "../../vim25/client/index.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { connect } from "../helpers.ts";

describe("ServiceManager", () => {
  let sim: RunningSimulator;
  let client: VimClient;
  let manager: ManagedObjectReference;
  const names = (r: unknown) => ((r as { serviceName: string }[] | undefined) ?? []).map((s) => s.serviceName);

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab" });
    client = await connect(sim);
    manager = client.content.serviceManager as ManagedObjectReference;
  });
  afterAll(async () => {
    await client?.logout();
    await sim?.close();
  });

  it("answers an empty list when no service is registered", async () => {
    expect(names(await client.call("QueryServiceList", manager, {}))).toEqual([]);
  });

  it("filters the registered services by name and by every location asked for", async () => {
    const obj = sim.sim.inventory.get(manager.value)!;
    const svc = (serviceName: string, location: string[]) => ({ _type: "ServiceManagerServiceInfo", serviceName, location, service: manager, description: serviceName });
    obj.update({ service: [svc("vmware-vpxa", ["host", "local"]), svc("hostsvc", ["host"]), svc("vmware-vpxa", ["remote"])] });
    expect(names(await client.call("QueryServiceList", manager, {}))).toEqual(["vmware-vpxa", "hostsvc", "vmware-vpxa"]);
    expect(names(await client.call("QueryServiceList", manager, { serviceName: "vmware-vpxa" }))).toEqual(["vmware-vpxa", "vmware-vpxa"]);
    expect(names(await client.call("QueryServiceList", manager, { location: ["host"] }))).toEqual(["vmware-vpxa", "hostsvc"]);
    expect(names(await client.call("QueryServiceList", manager, { serviceName: "vmware-vpxa", location: ["host", "local"] }))).toEqual(["vmware-vpxa"]);
    expect(names(await client.call("QueryServiceList", manager, { location: ["nowhere"] }))).toEqual([]);
  });
});
