// vCenter's vAPI /rest endpoint for tagging, at the HTTP level (supertest):
// what govmomi's client does not show. The vAPI error body of a missing
// session, wrong credentials, malformed bodies and unknown routes, no /rest
// on ESXi, snapshots taking tags back, and associations of an object that
// left the inventory.
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { Simulator } from "../../simulator/simulator.ts";
import { createHandler, type RequestHandler } from "../../simulator/server/app.ts";
import { loadScenario } from "../../simulator/inventory/scenario-loader.ts";
import { ManualClock } from "../../simulator/clock.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { connect } from "../helpers.ts";

const SESSION = "/rest/com/vmware/cis/session";
const CATEGORY = "/rest/com/vmware/cis/tagging/category";
const TAG = "/rest/com/vmware/cis/tagging/tag";
const ASSOCIATION = "/rest/com/vmware/cis/tagging/tag-association";

const unauthenticated = {
  type: "com.vmware.vapi.std.errors.unauthenticated",
  value: { messages: [{ id: "com.vmware.vapi.endpoint.method.authentication.required", default_message: "Authentication required.", args: [] }] },
};

async function login(app: RequestHandler, user: string, password: string): Promise<string> {
  const r = await request(app).post(SESSION).auth(user, password).set("vmware-use-header-authn", "true");
  expect(r.status).toBe(200);
  return r.body.value;
}

describe("vAPI /rest tagging, HTTP level", () => {
  const clock = new ManualClock();
  const sim = new Simulator(loadScenario("vcenter-cluster"), { clock });
  const app = createHandler(sim);
  const creds = sim.scenario.credentials;

  it("logs in with the scenario's credentials only, and answers a missing session with vAPI's unauthenticated error", async () => {
    const none = await request(app).get(CATEGORY);
    expect(none.status).toBe(401);
    expect(none.body).toEqual(unauthenticated);

    const bogus = await request(app).get(CATEGORY).set("vmware-api-session-id", "0123456789abcdef0123456789abcdef");
    expect(bogus.status).toBe(401);
    expect(bogus.body).toEqual(unauthenticated);

    const wrong = await request(app).post(SESSION).auth(creds.username, "wrong");
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual(unauthenticated);
    expect((await request(app).post(SESSION)).status).toBe(401);

    const id = await login(app, creds.username, creds.password);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const info = await request(app).get(SESSION).set("vmware-api-session-id", id);
    expect(info.status).toBe(200);
    expect(info.body.value).toEqual({ user: creds.username, created_time: clock.now().toISOString(), last_accessed_time: clock.now().toISOString() });
    expect((await request(app).get(CATEGORY).set("vmware-api-session-id", id)).body).toEqual({ value: [] });

    expect((await request(app).delete(SESSION).set("vmware-api-session-id", id)).status).toBe(200);
    expect((await request(app).get(CATEGORY).set("vmware-api-session-id", id)).status).toBe(401);
  });

  it("ends a session left idle past the session timeout", async () => {
    const id = await login(app, creds.username, creds.password);
    clock.advance(sim.sessions.timeoutMs + 1000);
    const r = await request(app).post(`${SESSION}?~action=get`).set("vmware-api-session-id", id);
    expect(r.status).toBe(401);
    expect(r.body).toEqual(unauthenticated);
  });

  it("answers malformed bodies with invalid_argument (400) and unknown routes with 404, never crashing", async () => {
    const id = await login(app, creds.username, creds.password);
    const post = (path: string) => request(app).post(path).set("vmware-api-session-id", id).set("Content-Type", "application/json");
    for (const body of ["{not json", "[1,2]", "\"spec\"", JSON.stringify({ create_spec: { name: "x", description: "", cardinality: "SOME", associable_types: [] } }), JSON.stringify({ create_spec: { name: "x", description: "", cardinality: "SINGLE" } }), JSON.stringify({ create_spec: { name: 7 } }), JSON.stringify({})]) {
      const r = await post(CATEGORY).send(body);
      expect(r.status, body).toBe(400);
      expect(r.body.type, body).toBe("com.vmware.vapi.std.errors.invalid_argument");
      expect(r.body.value.messages[0], body).toMatchObject({ id: expect.any(String), default_message: expect.any(String), args: expect.any(Array) });
    }
    const cat = await post(CATEGORY).send({ create_spec: { name: "env", description: "", cardinality: "SINGLE", associable_types: [] } });
    expect(cat.status).toBe(200);
    const tag = await post(TAG).send({ create_spec: { name: "prod", description: "", category_id: cat.body.value } });
    expect(tag.status).toBe(200);
    for (const body of [{ object_id: "vm-1" }, { object_id: { type: "VirtualMachine" } }, {}]) {
      const r = await post(`${ASSOCIATION}/id:${tag.body.value}?~action=attach`).send(body);
      expect(r.status).toBe(400);
      expect(r.body.type).toBe("com.vmware.vapi.std.errors.invalid_argument");
    }
    const patch = await request(app).patch(`${CATEGORY}/id:${cat.body.value}`).set("vmware-api-session-id", id).send({ update_spec: { associable_types: "Datastore" } });
    expect(patch.status).toBe(400);

    const missing = await request(app).get(`${TAG}/id:urn:vmomi:InventoryServiceTag:00000000-0000-4000-8000-000000000000:GLOBAL`).set("vmware-api-session-id", id);
    expect(missing.status).toBe(404);
    expect(missing.body.type).toBe("com.vmware.vapi.std.errors.not_found");

    for (const [verb, path] of [["post", `${ASSOCIATION}?~action=frobnicate`], ["put", CATEGORY], ["get", "/rest/com/vmware/cis/nothing"], ["get", `${TAG}/id:%E0%A4%A`]] as const) {
      const r = await request(app)[verb](path).set("vmware-api-session-id", id);
      expect(r.status, path).toBe(404);
      expect(r.body.name, path).toBe("com.vmware.vapi.rest.httpNotFound");
    }
    // the server lives on
    expect((await request(app).get(CATEGORY).set("vmware-api-session-id", id)).body.value).toEqual([cat.body.value]);
  });

  it("has no /rest on ESXi", async () => {
    const esx = createHandler(new Simulator(loadScenario("homelab"), { clock }));
    expect((await request(esx).post(SESSION).auth("root", "homelab-pw")).status).toBe(404);
    expect((await request(esx).get(CATEGORY)).status).toBe(404);
  });
});

describe("vAPI /rest tagging and the simulator's state", () => {
  let running: RunningSimulator;
  let app: RequestHandler;
  let id: string;
  const call = (verb: "get" | "post" | "patch" | "delete", path: string, body?: unknown) => {
    const r = request(app)[verb](path).set("vmware-api-session-id", id);
    return body === undefined ? r : r.send(body as object);
  };

  beforeAll(async () => {
    running = await startSimulator({ scenario: "vcenter-cluster", registryImages: false });
    app = createHandler(running.sim);
    id = await login(app, running.username, running.password);
  });
  afterAll(() => running?.close());

  it("gives the same ids every run, and a reset takes tags away", async () => {
    const snap = running.snapshot();
    const first = (await call("post", CATEGORY, { create_spec: { name: "zone", description: "", cardinality: "MULTIPLE", associable_types: [] } })).body.value;
    expect(first).toMatch(/^urn:vmomi:InventoryServiceCategory:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}:GLOBAL$/);
    const tag = (await call("post", TAG, { create_spec: { name: "a", description: "", category_id: first } })).body.value;
    expect(tag).toMatch(/^urn:vmomi:InventoryServiceTag:[0-9a-f-]{36}:GLOBAL$/);

    const other = new Simulator(loadScenario("vcenter-cluster"));
    expect(other.tagging.createCategory({ name: "zone", description: "", cardinality: "MULTIPLE", associable_types: [] })).toBe(first);

    running.restore(snap);
    expect((await call("get", CATEGORY)).body.value).toEqual([]);
    expect((await call("get", TAG)).body.value).toEqual([]);
    // counters went back with the state: the same category gets the same id again
    expect((await call("post", CATEGORY, { create_spec: { name: "zone", description: "", cardinality: "MULTIPLE", associable_types: [] } })).body.value).toBe(first);
    // the session outlives a restore, as SOAP sessions do
    const reset = await request(app).post("/_sim/reset").auth(running.username, running.password);
    expect(reset.status).toBe(200);
    expect((await call("get", CATEGORY)).body.value).toEqual([]);
  });

  it("stops listing an association once its object leaves the inventory", async () => {
    const c = await connect(running);
    try {
      const parent = running.sim.inventory.ofType("Folder").find((f) => f.get("name") === "vch")!.ref;
      const folder = (await c.call("CreateFolder", parent, { name: "tagged" })) as ManagedObjectReference;
      const cat = (await call("post", CATEGORY, { create_spec: { name: "owner", description: "", cardinality: "MULTIPLE", associable_types: ["Folder"] } })).body.value;
      const tag = (await call("post", TAG, { create_spec: { name: "team-a", description: "", category_id: cat } })).body.value;
      const obj = { type: "Folder", id: folder.value };
      expect((await call("post", `${ASSOCIATION}/id:${tag}?~action=attach`, { object_id: obj })).status).toBe(200);
      expect((await call("post", `${ASSOCIATION}/id:${tag}?~action=list-attached-objects`)).body.value).toEqual([obj]);

      await c.waitForTask((await c.call("Destroy_Task", folder)) as ManagedObjectReference);
      expect((await call("post", `${ASSOCIATION}/id:${tag}?~action=list-attached-objects`)).body.value).toEqual([]);
      expect((await call("post", `${ASSOCIATION}?~action=list-attached-objects-on-tags`, { tag_ids: [tag] })).body.value).toEqual([{ tag_id: tag, object_ids: [] }]);
      expect((await call("post", `${ASSOCIATION}?~action=list-attached-tags-on-objects`, { object_ids: [obj] })).body.value).toEqual([]);
      const gone = await call("post", `${ASSOCIATION}/id:${tag}?~action=attach`, { object_id: obj });
      expect(gone.status).toBe(403);
      expect(gone.body.type).toBe("com.vmware.vapi.std.errors.unauthorized");
    } finally {
      await c.logout();
    }
  });
});
