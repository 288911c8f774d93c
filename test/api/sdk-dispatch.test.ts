// The /sdk endpoint with raw envelopes (supertest): sessions, the session
// gate, faults for every kind of bad request, and the version document.
import request from "supertest";
import { describe, expect, it } from "vitest";
import { Simulator } from "../../simulator/simulator.ts";
import { createHandler } from "../../simulator/server/app.ts";
import { loadScenario } from "../../simulator/inventory/scenario-loader.ts";
import { ManualClock } from "../../simulator/clock.ts";

const env = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
const login = (pw: string) => env(`<Login xmlns="urn:vim25"><_this type="SessionManager">ha-sessionmgr</_this><userName>root</userName><password>${pw}</password></Login>`);
const rootName = env(`<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">ha-property-collector</_this><specSet><propSet><type>Folder</type><pathSet>name</pathSet></propSet><objectSet><obj type="Folder">ha-folder-root</obj></objectSet></specSet><options/></RetrievePropertiesEx>`);

function setup() {
  const clock = new ManualClock();
  const sim = new Simulator(loadScenario("homelab"), { clock });
  const app = createHandler(sim);
  const post = (body: string, cookie?: string) => {
    const r = request(app).post("/sdk").set("Content-Type", "text/xml").send(body);
    return cookie ? r.set("Cookie", cookie) : r;
  };
  return { sim, clock, app, post };
}

async function session(post: ReturnType<typeof setup>["post"]): Promise<string> {
  const r = await post(login("homelab-pw"));
  expect(r.status).toBe(200);
  return r.headers["set-cookie"][0];
}

describe("/sdk dispatch", () => {
  it("serves the version document clients probe first", async () => {
    const { app } = setup();
    const r = await request(app).get("/sdk/vimServiceVersions.xml");
    expect(r.status).toBe(200);
    expect(r.text).toContain("<name>urn:vim25</name>");
    expect(r.text).toContain("<version>6.0</version>");
    expect(r.text).toContain("<version>5.5</version>");
    expect((await request(app).get("/sdk")).status).toBe(405);
  });

  it("answers RetrieveServiceContent without a session", async () => {
    const { post } = setup();
    const r = await post(env(`<RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent>`));
    expect(r.status).toBe(200);
    expect(r.text).toContain('<rootFolder type="Folder">ha-folder-root</rootFolder>');
    expect(r.text).toContain("<apiType>HostAgent</apiType>");
  });

  it("checks the password and sets the session cookie", async () => {
    const { post } = setup();
    const bad = await post(login("nope"));
    expect(bad.status).toBe(500);
    expect(bad.text).toContain('<InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin">');
    expect(bad.headers["set-cookie"]).toBeUndefined();
    const cookie = await session(post);
    expect(cookie).toMatch(/^vmware_soap_session="[0-9A-F-]+"; Path=\/; HttpOnly; Secure;/);
  });

  it("refuses calls without a session, and reports properties as NotAuthenticated", async () => {
    const { post } = setup();
    const r = await post(env(`<CreateContainerView xmlns="urn:vim25"><_this type="ViewManager">ViewManager</_this><container type="Folder">ha-folder-root</container><recursive>true</recursive></CreateContainerView>`));
    expect(r.status).toBe(500);
    expect(r.text).toContain('xsi:type="NotAuthenticated"');
    const props = await post(rootName);
    expect(props.status).toBe(200);
    expect(props.text).toContain("<missingSet><path>name</path>");
    expect(props.text).toContain('xsi:type="NotAuthenticated"');
  });

  it("accepts the cookie as pyVmomi echoes it (the whole Set-Cookie value)", async () => {
    const { post } = setup();
    const cookie = await session(post);
    const r = await post(rootName, cookie);
    expect(r.status).toBe(200);
    expect(r.text).toContain('<val xsi:type="xsd:string">ha-folder-root</val>');
  });

  it("expires idle sessions after the timeout", async () => {
    const { post, clock } = setup();
    const cookie = await session(post);
    clock.advance(29 * 60_000);
    expect((await post(rootName, cookie)).text).toContain("<val");
    clock.advance(31 * 60_000);
    const r = await post(env(`<CreateContainerView xmlns="urn:vim25"><_this type="ViewManager">ViewManager</_this><container type="Folder">ha-folder-root</container><recursive>true</recursive></CreateContainerView>`), cookie);
    expect(r.text).toContain('xsi:type="NotAuthenticated"');
  });

  it("faults: unknown object, unknown method, unimplemented method, malformed XML, bad types", async () => {
    const { post } = setup();
    const cookie = await session(post);
    const cases: [string, string][] = [
      [env(`<Destroy_Task xmlns="urn:vim25"><_this type="Folder">group-nope</_this></Destroy_Task>`), "ManagedObjectNotFound"],
      [env(`<PowerOnVM_Task xmlns="urn:vim25"><_this type="Folder">ha-folder-root</_this></PowerOnVM_Task>`), "MethodNotFound"],
      [env(`<NoSuchMethod xmlns="urn:vim25"><_this type="Folder">ha-folder-root</_this></NoSuchMethod>`), "MethodNotFound"],
      [env(`<RetrieveProductComponents xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></RetrieveProductComponents>`), "NotImplemented"],
      ["<soapenv:Envelope", "InvalidRequest"],
      ["plain text", "InvalidRequest"],
      [env(`<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">ha-property-collector</_this><specSet><propSet><type>Folder</type><all>perhaps</all></propSet></specSet><options/></RetrievePropertiesEx>`), "InvalidRequest"],
      [env(`<Login xmlns="urn:vim25"><_this type="SessionManager">ha-sessionmgr</_this></Login>`), "InvalidRequest"],
      [env(`<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">ha-property-collector</_this><specSet><propSet><type>NoSuchType</type></propSet><objectSet><obj type="Folder">ha-folder-root</obj></objectSet></specSet><options/></RetrievePropertiesEx>`), "InvalidType"],
    ];
    for (const [body, fault] of cases) {
      const r = await post(body, cookie);
      expect(r.status, body).toBe(500);
      expect(r.text, body).toContain(`xsi:type="${fault}"`);
      expect(r.text).toContain("<faultcode>ServerFaultCode</faultcode>");
    }
    // and the simulator still serves
    expect((await post(rootName, cookie)).status).toBe(200);
  });

  it("keeps filters per session on the shared default collector", async () => {
    const { post } = setup();
    const a = await session(post);
    const b = await session(post);
    const create = env(`<CreateFilter xmlns="urn:vim25"><_this type="PropertyCollector">ha-property-collector</_this><spec><propSet><type>Folder</type><pathSet>name</pathSet></propSet><objectSet><obj type="Folder">ha-folder-root</obj></objectSet></spec><partialUpdates>false</partialUpdates></CreateFilter>`);
    const fa = await post(create, a);
    const filterId = /<returnval type="PropertyFilter">([^<]+)</.exec(fa.text)![1];
    const wait = (c: string) => post(env(`<WaitForUpdatesEx xmlns="urn:vim25"><_this type="PropertyCollector">ha-property-collector</_this><version></version><options><maxWaitSeconds>0</maxWaitSeconds></options></WaitForUpdatesEx>`), c);
    expect((await wait(a)).text).toContain("<kind>enter</kind>");
    expect((await wait(b)).text).not.toContain("<kind>enter</kind>");
    // another session cannot touch the filter
    const destroy = env(`<DestroyPropertyFilter xmlns="urn:vim25"><_this type="PropertyFilter">${filterId}</_this></DestroyPropertyFilter>`);
    expect((await post(destroy, b)).text).toContain('xsi:type="ManagedObjectNotFound"');
    expect((await post(destroy, a)).status).toBe(200);
  });

  it("knows the methods of its API version and none added after it", async () => {
    const { post } = setup();
    const cookie = await session(post);
    // PrepareCrypto is 6.5's: an ESXi 6.0 host has never heard of it
    const crypto = await post(env(`<PrepareCrypto xmlns="urn:vim25"><_this type="HostSystem">ha-host</_this></PrepareCrypto>`), cookie);
    expect(crypto.status).toBe(500);
    expect(crypto.text).toContain('xsi:type="MethodNotFound"');
    expect(crypto.text).toContain("<method>PrepareCrypto</method>");
    // RemoveDatastoreEx_Task is 6.0's own: known, so the call itself answers
    const remove = await post(env(`<RemoveDatastoreEx_Task xmlns="urn:vim25"><_this type="HostDatastoreSystem">ha-datastoresystem</_this></RemoveDatastoreEx_Task>`), cookie);
    expect(remove.text).not.toContain("MethodNotFound");
    // a 6.7 vCenter knows 6.7 U1's product locker (its update release)
    const sim67 = new Simulator(loadScenario("vcenter-67"), { clock: new ManualClock() });
    const app67 = createHandler(sim67);
    const login67 = await request(app67).post("/sdk").set("Content-Type", "text/xml")
      .send(env(`<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this><userName>administrator@vsphere.local</userName><password>vcenter-pw</password></Login>`));
    const host = sim67.inventory.ofType("HostSystem")[0].ref.value;
    const locker = await request(app67).post("/sdk").set("Content-Type", "text/xml").set("Cookie", login67.headers["set-cookie"][0])
      .send(env(`<QueryProductLockerLocation xmlns="urn:vim25"><_this type="HostSystem">${host}</_this></QueryProductLockerLocation>`));
    expect(locker.status).toBe(200);
    expect(locker.text).toContain("/locker/packages/");
  });
});
