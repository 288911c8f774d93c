// vCenter's content library on the vAPI /rest endpoint, at the HTTP level
// (supertest): what govmomi's client does not show. No content library on
// ESXi, where an upload waits before its session completes, snapshots taking
// libraries and their files back (and dropping sessions), client tokens,
// malformed bodies and transfers, and ranged downloads.
import request from "supertest";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Simulator } from "../../simulator/simulator.ts";
import { createHandler, type RequestHandler } from "../../simulator/server/app.ts";
import { loadScenario } from "../../simulator/inventory/scenario-loader.ts";
import { ManualClock } from "../../simulator/clock.ts";
import { Datastore } from "../../simulator/objects/datastore.ts";

const REST = "/rest/com/vmware";
const LOCAL = `${REST}/content/local-library`;
const LIBRARY = `${REST}/content/library`;
const ITEM = `${REST}/content/library/item`;
const UPDATE = `${REST}/content/library/item/update-session`;
const UPDATE_FILE = `${REST}/content/library/item/updatesession/file`;
const DOWNLOAD = `${REST}/content/library/item/download-session`;
const DOWNLOAD_FILE = `${REST}/content/library/item/downloadsession/file`;

function setup() {
  const clock = new ManualClock();
  const sim = new Simulator(loadScenario("vcenter-cluster"), { clock });
  const app = createHandler(sim);
  const ds = sim.inventory.ofType("Datastore").find((d) => d instanceof Datastore && d.name === "shared-ds") as Datastore;
  return { clock, sim, app, ds };
}

async function login(sim: Simulator, app: RequestHandler): Promise<string> {
  const c = sim.scenario.credentials;
  const r = await request(app).post(`${REST}/cis/session`).auth(c.username, c.password);
  expect(r.status).toBe(200);
  return r.body.value;
}

/** A vAPI call with a session: its status and body. */
function call(app: RequestHandler, session: string) {
  return async (method: "get" | "post" | "patch" | "delete", path: string, body?: unknown) => {
    let r = request(app)[method](path).set("vmware-api-session-id", session);
    if (body !== undefined) r = r.send(body as object);
    const res = await r;
    return { status: res.status, body: res.body };
  };
}

const pathOf = (uri: string) => new URL(uri).pathname;

describe("vAPI /rest content library, HTTP level", () => {
  it("has no content library on ESXi", async () => {
    const esx = createHandler(new Simulator(loadScenario("homelab")));
    expect((await request(esx).get(LIBRARY)).status).toBe(404);
    expect((await request(esx).put(`${REST}/cis/data/x/y`).send(Buffer.from("x"))).status).toBe(404);
  });

  it("stages an upload until its session completes, then keeps the file where vCenter does", async () => {
    const { sim, app, ds } = setup();
    const api = call(app, await login(sim, app));
    const lib = (await api("post", LOCAL, { create_spec: { name: "lib", type: "LOCAL", storage_backings: [{ type: "DATASTORE", datastore_id: ds.ref.value }] } })).body.value;
    expect(ds.volume.stat(`contentlib-${lib}`)?.isDirectory).toBe(true);
    const item = (await api("post", ITEM, { create_spec: { library_id: lib, name: "disk", type: "ovf" } })).body.value;
    const session = (await api("post", UPDATE, { create_spec: { library_item_id: item } })).body.value;
    const bytes = Buffer.from("not really an OVF descriptor\n");
    const add = await api("post", `${UPDATE_FILE}/id:${session}?~action=add`, { file_spec: { name: "disk.ovf", source_type: "PUSH", size: bytes.length } });
    expect(add.status).toBe(200);
    expect(add.body.value.upload_endpoint.uri).toMatch(new RegExp(`^https://[^/]+/rest/com/vmware/cis/data/${session}/disk\\.ovf$`));
    // the URI is the ticket: no vAPI session needed for the bytes
    const put = await request(app).put(pathOf(add.body.value.upload_endpoint.uri)).set("Content-Type", "application/octet-stream").send(bytes);
    expect(put.status).toBe(200);
    expect(ds.volume.readFile(`contentlib-${lib}/${item}/.update-${session}/disk.ovf`)).toEqual(bytes);
    expect(ds.volume.exists(`contentlib-${lib}/${item}/disk.ovf`)).toBe(false);
    expect((await api("get", `${ITEM}/file?library_item_id=${item}`)).body.value).toEqual([]);

    expect((await api("post", `${UPDATE}/id:${session}?~action=complete`)).status).toBe(200);
    expect(ds.volume.readFile(`contentlib-${lib}/${item}/disk.ovf`)).toEqual(bytes);
    expect(ds.volume.readdir(`contentlib-${lib}/${item}`)).toEqual(["disk.ovf"]);
    const files = (await api("get", `${ITEM}/file?library_item_id=${item}`)).body.value;
    expect(files).toEqual([{ name: "disk.ovf", size: bytes.length, cached: true, version: "1", checksum_info: { algorithm: "SHA1", checksum: createHash("sha1").update(bytes).digest("hex") } }]);

    // a second session replaces the file and removes nothing else
    const again = (await api("post", UPDATE, { create_spec: { library_item_id: item } })).body.value;
    const second = Buffer.from("second version\n");
    const add2 = await api("post", `${UPDATE_FILE}/id:${again}?~action=add`, { file_spec: { name: "disk.ovf", source_type: "PUSH", size: second.length, checksum_info: { algorithm: "SHA256", checksum: createHash("sha256").update(second).digest("hex") } } });
    expect((await request(app).put(pathOf(add2.body.value.upload_endpoint.uri)).send(second)).status).toBe(200);
    expect((await api("post", `${UPDATE}/id:${again}?~action=complete`)).status).toBe(200);
    expect(ds.volume.readFile(`contentlib-${lib}/${item}/disk.ovf`)).toEqual(second);
    const info = (await api("get", `${ITEM}/id:${item}`)).body.value;
    expect(info).toMatchObject({ size: second.length, cached: true, content_version: "3" });

    // ranged download
    const dl = (await api("post", DOWNLOAD, { create_spec: { library_item_id: item } })).body.value;
    const unprepared = await request(app).get(`/rest/com/vmware/cis/data/${dl}/disk.ovf`);
    expect(unprepared.status).toBe(404);
    const prep = await api("post", `${DOWNLOAD_FILE}/id:${dl}?~action=prepare`, { file_name: "disk.ovf" });
    const ranged = await request(app).get(pathOf(prep.body.value.download_endpoint.uri)).set("Range", "bytes=7-13").buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => cb(null, Buffer.concat(chunks)));
    });
    expect(ranged.status).toBe(206);
    expect(ranged.body).toEqual(second.subarray(7, 14));
    expect((await request(app).delete(pathOf(prep.body.value.download_endpoint.uri))).status).toBe(405);
  });

  it("takes libraries, items and files back with a snapshot, and drops sessions", async () => {
    const { sim, app, ds } = setup();
    const api = call(app, await login(sim, app));
    const before = sim.snapshot();
    const lib = (await api("post", LOCAL, { create_spec: { name: "lib", storage_backings: [{ type: "DATASTORE", datastore_id: ds.ref.value }] } })).body.value;
    const item = (await api("post", ITEM, { create_spec: { library_id: lib, name: "iso", type: "iso" } })).body.value;
    const session = (await api("post", UPDATE, { create_spec: { library_item_id: item } })).body.value;
    const add = await api("post", `${UPDATE_FILE}/id:${session}?~action=add`, { file_spec: { name: "a.iso", source_type: "PUSH" } });
    expect((await request(app).put(pathOf(add.body.value.upload_endpoint.uri)).send(Buffer.alloc(4096, 7))).status).toBe(200);
    expect((await api("post", `${UPDATE}/id:${session}?~action=complete`)).status).toBe(200);
    const after = sim.snapshot();
    const pending = (await api("post", UPDATE, { create_spec: { library_item_id: item } })).body.value;

    sim.restore(before);
    expect((await api("get", LIBRARY)).body).toEqual({ value: [] });
    expect(ds.volume.exists(`contentlib-${lib}`)).toBe(false);

    sim.restore(after);
    expect((await api("get", LIBRARY)).body).toEqual({ value: [lib] });
    expect((await api("get", `${ITEM}/id:${item}`)).body.value).toMatchObject({ name: "iso", size: 4096, cached: true });
    expect(ds.volume.readFile(`contentlib-${lib}/${item}/a.iso`)).toEqual(Buffer.alloc(4096, 7));
    // sessions are no part of a snapshot: the one opened after it is gone, and the item takes a new one
    expect((await api("get", `${UPDATE}/id:${pending}`)).status).toBe(404);
    expect((await api("post", UPDATE, { create_spec: { library_item_id: item } })).status).toBe(200);
  });

  it("answers a repeated client token with the id it made, and malformed input with invalid_argument", async () => {
    const { sim, app, ds } = setup();
    const api = call(app, await login(sim, app));
    const spec = { create_spec: { name: "lib", storage_backings: [{ type: "DATASTORE", datastore_id: ds.ref.value }] } };
    const a = await api("post", `${LOCAL}?client_token=3f2a6f0e-1111-4c4c-8888-0123456789ab`, spec);
    const b = await api("post", `${LOCAL}?client_token=3f2a6f0e-1111-4c4c-8888-0123456789ab`, spec);
    expect(a.status).toBe(200);
    expect(b.body.value).toBe(a.body.value);
    expect((await api("post", LOCAL, spec)).body.type).toBe("com.vmware.vapi.std.errors.already_exists");
    // names differ in case only: taken to be the same library name
    expect((await api("post", LOCAL, { create_spec: { ...spec.create_spec, name: "LIB" } })).body.type).toBe("com.vmware.vapi.std.errors.already_exists");

    const invalid = "com.vmware.vapi.std.errors.invalid_argument";
    for (const body of [
      {},
      { create_spec: "lib" },
      { create_spec: { name: "x", storage_backings: "ds" } },
      { create_spec: { name: "x", storage_backings: [{ type: "OTHER", storage_uri: "nfs://x/y" }] } },
      { create_spec: { name: "x", type: "SUBSCRIBED", storage_backings: spec.create_spec.storage_backings } },
    ]) {
      const r = await api("post", LOCAL, body);
      expect(r.status).toBe(400);
      expect(r.body.type).toBe(invalid);
    }
    const raw = await request(app).post(LOCAL).set("vmware-api-session-id", (await login(sim, app))).set("Content-Type", "application/json").send("{not json");
    expect(raw.body.type).toBe(invalid);
    expect((await api("get", ITEM)).body.type).toBe(invalid);

    const item = (await api("post", ITEM, { create_spec: { library_id: a.body.value, name: "f" } })).body.value;
    const session = (await api("post", UPDATE, { create_spec: { library_item_id: item } })).body.value;
    expect((await api("post", `${UPDATE_FILE}/id:${session}?~action=add`, { file_spec: { name: "f", source_type: "PUSH", size: -1 } })).body.type).toBe(invalid);
    expect((await api("post", `${UPDATE_FILE}/id:${session}?~action=add`, { file_spec: { name: "f", source_type: "PUSH", checksum_info: { algorithm: "CRC32", checksum: "00" } } })).body.type).toBe(invalid);
    const add = await api("post", `${UPDATE_FILE}/id:${session}?~action=add`, { file_spec: { name: "f", source_type: "PUSH", size: 100 } });
    const uri = pathOf(add.body.value.upload_endpoint.uri);
    // shorter than declared: refused before a byte is written; the file still waits for its bytes
    expect((await request(app).put(uri).send(Buffer.alloc(10))).status).toBe(400);
    expect((await api("post", `${UPDATE_FILE}/id:${session}?~action=get`, { file_name: "f" })).body.value).toMatchObject({ status: "WAITING_FOR_TRANSFER", bytes_transferred: 0 });
    // odd transfer paths and verbs: answered, never a crash
    expect((await request(app).put(`${REST}/cis/data/%ZZ/f`).send(Buffer.alloc(1))).status).toBe(404);
    expect((await request(app).put(`${REST}/cis/data/${session}/f/extra`).send(Buffer.alloc(1))).status).toBe(404);
    expect((await request(app).post(uri).send(Buffer.alloc(1))).status).toBe(405);
    expect((await request(app).get(`${REST}/cis/data/${session}/f`)).status).toBe(404);
    // session operations are for live sessions: unknown is not_found, ended is not_allowed_in_current_state
    expect((await api("post", `${UPDATE}/id:nope?~action=complete`)).status).toBe(404);
    expect((await api("post", `${UPDATE}/id:${session}?~action=cancel`)).status).toBe(200);
    expect((await api("post", `${UPDATE}/id:${session}?~action=cancel`)).body.type).toBe("com.vmware.vapi.std.errors.not_allowed_in_current_state");
    expect((await request(app).put(uri).send(Buffer.alloc(100))).status).toBe(409);
    // and without a vAPI session, the API answers unauthenticated
    const none = await request(app).get(`${DOWNLOAD}`);
    expect(none.status).toBe(401);
    expect(none.body.type).toBe("com.vmware.vapi.std.errors.unauthenticated");
  });
});
