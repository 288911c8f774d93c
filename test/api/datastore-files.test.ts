// Datastore files through the typed client and plain HTTPS: /folder
// (sessions, Range, HEAD, PUT, DELETE, indexes), FileManager,
// HostDatastoreBrowser, and capacity that follows real bytes and thin files.
import https from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { parseScenario } from "../../simulator/inventory/scenario-loader.ts";
import type { Datastore } from "../../simulator/objects/datastore.ts";
import { HttpError, HttpsTransport, VimClient, datastoreFileUrl, type HttpResponse } from "../../vim25/client/index.ts";
import { VimFault, moref, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { connect, fault } from "../helpers.ts";

const DC = moref("Datacenter", "ha-datacenter");

/** A request whose path goes out exactly as written (no URL normalisation of `..`). */
function raw(sim: RunningSimulator, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: sim.host, port: sim.port, method, path, headers, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

function basic(user: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` };
}

describe("datastore files on an ESXi host (homelab)", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  let ds: ManagedObjectReference;
  let browser: ManagedObjectReference;
  let fm: ManagedObjectReference;
  const DS = "mydatastore";

  const url = (path: string, dcPath?: string) => datastoreFileUrl(c.url, DS, path, dcPath ? { dcPath } : {});
  const http = (method: string, path: string, body?: Buffer, headers: Record<string, string> = {}) =>
    c.soap.transport.request(method, url(path), body, headers);
  const task = async (method: string, args: Record<string, unknown>, on = fm) => c.waitForTask((await c.call(method, on, args)) as ManagedObjectReference);
  const search = async (path: string, spec: Record<string, unknown> = {}, sub = false) =>
    (await task(sub ? "SearchDatastoreSubFolders_Task" : "SearchDatastore_Task", { datastorePath: path, searchSpec: { _type: "HostDatastoreBrowserSearchSpec", ...spec } }, browser)) as any;

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab" });
    c = await connect(sim);
    ds = ((await c.retrieveOne(DC, ["datastore"])).datastore as ManagedObjectReference[])[0];
    browser = (await c.retrieveOne(ds, ["browser"])).browser as ManagedObjectReference;
    fm = c.content.fileManager as ManagedObjectReference;
  });
  afterAll(async () => {
    await c?.logout();
    await sim?.close();
  });

  describe("/folder", () => {
    it("uploads and downloads with the client, 201 for a new file and 200 for a replaced one", async () => {
      const data = Buffer.from("appliance bytes \u0000\u0001\u0002 and more");
      await c.uploadFile(DS, "appliance.iso", data);
      expect(await c.downloadFile(DS, "appliance.iso")).toEqual(data);
      const replaced = await http("PUT", "appliance.iso", Buffer.from("v2"));
      expect(replaced.status).toBe(200);
      const created = await http("PUT", "fresh.txt", Buffer.from("new"));
      expect(created.status).toBe(201);
      expect((await c.downloadFile(DS, "appliance.iso")).toString()).toBe("v2");
      // the explicit ha-datacenter works like the default
      expect((await c.downloadFile(DS, "fresh.txt", { dcPath: "ha-datacenter" })).toString()).toBe("new");
    });

    it("serves byte ranges with 206 and Content-Range, and 416 past the end", async () => {
      await c.uploadFile(DS, "range.bin", Buffer.from("0123456789"));
      const mid = await http("GET", "range.bin", undefined, { Range: "bytes=2-5" });
      expect(mid.status).toBe(206);
      expect(mid.headers["content-range"]).toBe("bytes 2-5/10");
      expect(mid.body.toString()).toBe("2345");
      const open = await http("GET", "range.bin", undefined, { Range: "bytes=7-" });
      expect(open.body.toString()).toBe("789");
      const suffix = await http("GET", "range.bin", undefined, { Range: "bytes=-3" });
      expect([suffix.status, suffix.body.toString()]).toEqual([206, "789"]);
      const clipped = await http("GET", "range.bin", undefined, { Range: "bytes=8-100" });
      expect([clipped.headers["content-range"], clipped.body.toString()]).toEqual(["bytes 8-9/10", "89"]);
      const past = await http("GET", "range.bin", undefined, { Range: "bytes=10-20" });
      expect(past.status).toBe(416);
      expect(past.headers["content-range"]).toBe("bytes */10");
      const whole = await http("GET", "range.bin");
      expect([whole.status, whole.headers["accept-ranges"], whole.body.toString()]).toEqual([200, "bytes", "0123456789"]);
    });

    it("answers HEAD with the headers of GET and no body", async () => {
      await c.uploadFile(DS, "head.bin", Buffer.alloc(1234, 7));
      const r = await http("HEAD", "head.bin");
      expect(r.status).toBe(200);
      expect(r.headers["content-length"]).toBe("1234");
      expect(r.headers["content-type"]).toBe("application/octet-stream");
      expect(r.headers["last-modified"]).toBeTruthy();
      expect(r.body.length).toBe(0);
      expect((await http("HEAD", "nope.bin")).status).toBe(404);
    });

    it("deletes files, and refuses a non-empty directory", async () => {
      await c.uploadFile(DS, "gone.txt", Buffer.from("x"));
      expect((await http("DELETE", "gone.txt")).status).toBe(204);
      expect((await http("GET", "gone.txt")).status).toBe(404);
      expect((await http("DELETE", "gone.txt")).status).toBe(404);
      await c.call("MakeDirectory", fm, { name: `[${DS}] full`, datacenter: DC });
      await c.uploadFile(DS, "full/f", Buffer.from("x"));
      expect((await http("DELETE", "full")).status).toBe(409);
    });

    it("needs a session: the cookie, or Basic credentials; otherwise 401 with hostd's realm", async () => {
      const anonymous = new HttpsTransport({ thumbprint: sim.thumbprint });
      try {
        const none = await anonymous.request("GET", url("appliance.iso"));
        expect(none.status).toBe(401);
        expect(none.headers["www-authenticate"]).toBe('Basic realm="VMware HTTP server"');
        const put = await anonymous.request("PUT", url("sneaky.txt"), Buffer.from("x"));
        expect(put.status).toBe(401);
        expect((await http("GET", "sneaky.txt")).status).toBe(404);
        const wrong = await anonymous.request("GET", url("appliance.iso"), undefined, basic(sim.username, "wrong"));
        expect(wrong.status).toBe(401);
        const right = await anonymous.request("GET", url("appliance.iso"), undefined, basic(sim.username, sim.password));
        expect([right.status, right.body.toString()]).toEqual([200, "v2"]);
        const putBasic = await anonymous.request("PUT", url("basic.txt"), Buffer.from("b"), basic(sim.username, sim.password));
        expect(putBasic.status).toBe(201);
        // a cookie that names no live session is no session
        const stale = await anonymous.request("GET", url("appliance.iso"), undefined, { Cookie: 'vmware_soap_session="52e0d5c8-0000-0000-0000-000000000000"' });
        expect(stale.status).toBe(401);
      } finally {
        anonymous.close();
      }
      // the client's error carries the status
      const other = await connect(sim);
      await other.logout();
      const e = await other.downloadFile(DS, "appliance.iso").catch((x: unknown) => x);
      expect(e).toBeInstanceOf(HttpError);
      expect((e as HttpError).status).toBe(401);
    });

    it("lists datacenters, datastores and directories as HTML with links", async () => {
      await c.call("MakeDirectory", fm, { name: `[${DS}] listing/sub`, datacenter: DC, createParentDirectories: true });
      await c.uploadFile(DS, "listing/a file.txt", Buffer.from("12345"));
      const top = await c.soap.transport.request("GET", new URL("/folder", c.url));
      expect(top.status).toBe(200);
      expect(top.headers["content-type"]).toMatch(/^text\/html/);
      expect(top.body.toString()).toContain('href="/folder?dcPath=ha-datacenter"');
      const dcs = await c.soap.transport.request("GET", new URL("/folder?dcPath=ha-datacenter", c.url));
      expect(dcs.body.toString()).toContain(`href="/folder?dcPath=ha-datacenter&amp;dsName=${DS}"`);
      const dir = await http("GET", "listing");
      expect(dir.status).toBe(200);
      const html = dir.body.toString();
      expect(html).toContain(`href="/folder/listing/a%20file.txt?dcPath=ha-datacenter&amp;dsName=${DS}"`);
      expect(html).toContain(">a file.txt</a>");
      expect(html).toContain(">sub/</a>");
      expect(html).toMatch(/>5<\/td>/);
      const root = await http("GET", "");
      expect(root.body.toString()).toContain(">listing/</a>");
    });

    it("answers 404 for a missing directory, datastore or datacenter, and 400 for '..'", async () => {
      expect((await http("PUT", "no/such/dir/file.txt", Buffer.from("x"))).status).toBe(404);
      expect((await http("GET", "missing.txt")).status).toBe(404);
      const otherDs = await c.soap.transport.request("GET", datastoreFileUrl(c.url, "nosuchds", "x"));
      expect(otherDs.status).toBe(404);
      expect((await http("GET", "appliance.iso", undefined, {})).status).toBe(200);
      expect((await c.soap.transport.request("GET", url("appliance.iso", "nosuchdc"))).status).toBe(404);
      const cookie = { Cookie: c.soap.transport.sessionCookie! };
      expect((await raw(sim, "GET", `/folder/listing/../appliance.iso?dsName=${DS}`, cookie)).status).toBe(400);
      expect((await raw(sim, "GET", `/folder/listing%2F..%2Fappliance.iso?dsName=${DS}`, cookie)).status).toBe(400);
      expect((await raw(sim, "PUT", `/folder/..?dsName=${DS}`, cookie, Buffer.from("x"))).status).toBe(400);
      // PUT onto a directory
      expect((await http("PUT", "listing", Buffer.from("x"))).status).toBe(409);
      expect((await raw(sim, "POST", `/folder/x?dsName=${DS}`, cookie)).status).toBe(405);
    });
  });

  describe("FileManager", () => {
    it("makes directories, with parents on request", async () => {
      const e1 = await fault(c.call("MakeDirectory", fm, { name: `[${DS}] fm/a/b`, datacenter: DC }));
      expect(e1.type).toBe("FileNotFound");
      await c.call("MakeDirectory", fm, { name: `[${DS}] fm/a/b`, datacenter: DC, createParentDirectories: true });
      // hostd takes a missing datacenter to mean its own
      await c.call("MakeDirectory", fm, { name: `[${DS}] fm/c` });
      const e2 = await fault(c.call("MakeDirectory", fm, { name: `[${DS}] fm/c`, datacenter: DC }));
      expect(e2.type).toBe("FileAlreadyExists");
      expect(e2.fault.file).toBe(`[${DS}] fm/c`);
      expect((await fault(c.call("MakeDirectory", fm, { name: "no brackets", datacenter: DC }))).type).toBe("InvalidDatastorePath");
      expect((await fault(c.call("MakeDirectory", fm, { name: "[nosuchds] x", datacenter: DC }))).type).toBe("InvalidDatastore");
      const r = await search(`[${DS}] fm`, { details: { _type: "FileQueryFlags", fileType: true, fileSize: false, modification: false } });
      expect(r.file.map((f: DataObject) => [f._type, f.path])).toEqual([["FolderFileInfo", "a"], ["FolderFileInfo", "c"]]);
    });

    it("copies, refusing an existing destination unless forced", async () => {
      await c.uploadFile(DS, "fm/one.txt", Buffer.from("one"));
      await c.uploadFile(DS, "fm/two.txt", Buffer.from("two"));
      await task("CopyDatastoreFile_Task", { sourceName: `[${DS}] fm/one.txt`, sourceDatacenter: DC, destinationName: `[${DS}] fm/a/one.txt`, destinationDatacenter: DC });
      expect((await c.downloadFile(DS, "fm/a/one.txt")).toString()).toBe("one");
      const e = await fault(task("CopyDatastoreFile_Task", { sourceName: `[${DS}] fm/two.txt`, sourceDatacenter: DC, destinationName: `[${DS}] fm/one.txt`, destinationDatacenter: DC }));
      expect(e.type).toBe("FileAlreadyExists");
      expect((await c.downloadFile(DS, "fm/one.txt")).toString()).toBe("one");
      await task("CopyDatastoreFile_Task", { sourceName: `[${DS}] fm/two.txt`, sourceDatacenter: DC, destinationName: `[${DS}] fm/one.txt`, force: true });
      expect((await c.downloadFile(DS, "fm/one.txt")).toString()).toBe("two");
      // a whole directory
      await task("CopyDatastoreFile_Task", { sourceName: `[${DS}] fm/a`, sourceDatacenter: DC, destinationName: `[${DS}] fm/a-copy` });
      expect((await c.downloadFile(DS, "fm/a-copy/one.txt")).toString()).toBe("one");
      const missing = await fault(task("CopyDatastoreFile_Task", { sourceName: `[${DS}] fm/none`, sourceDatacenter: DC, destinationName: `[${DS}] fm/x` }));
      expect(missing.type).toBe("FileNotFound");
    });

    it("moves files and directories, and deletes them", async () => {
      await task("MoveDatastoreFile_Task", { sourceName: `[${DS}] fm/two.txt`, sourceDatacenter: DC, destinationName: `[${DS}] fm/c/two.txt` });
      expect((await http("GET", "fm/two.txt")).status).toBe(404);
      expect((await c.downloadFile(DS, "fm/c/two.txt")).toString()).toBe("two");
      const e = await fault(task("MoveDatastoreFile_Task", { sourceName: `[${DS}] fm/one.txt`, sourceDatacenter: DC, destinationName: `[${DS}] fm/c/two.txt` }));
      expect(e.type).toBe("FileAlreadyExists");
      await task("MoveDatastoreFile_Task", { sourceName: `[${DS}] fm/c`, sourceDatacenter: DC, destinationName: `[${DS}] fm/moved` });
      expect((await c.downloadFile(DS, "fm/moved/two.txt")).toString()).toBe("two");
      await task("DeleteDatastoreFile_Task", { name: `[${DS}] fm/moved`, datacenter: DC });
      expect((await http("GET", "fm/moved/two.txt")).status).toBe(404);
      const gone = await fault(task("DeleteDatastoreFile_Task", { name: `[${DS}] fm/moved`, datacenter: DC }));
      expect(gone.type).toBe("FileNotFound");
      expect((await fault(task("DeleteDatastoreFile_Task", { name: `[${DS}] fm/../x`, datacenter: DC }))).type).toBe("InvalidDatastorePath");
      expect((await fault(task("DeleteDatastoreFile_Task", { name: `[${DS}]`, datacenter: DC }))).type).toBe("CannotDeleteFile");
    });
  });

  describe("HostDatastoreBrowser", () => {
    beforeAll(async () => {
      await c.call("MakeDirectory", fm, { name: `[${DS}] vm1/sub`, datacenter: DC, createParentDirectories: true });
      const put = (p: string, s: string | Buffer) => c.uploadFile(DS, p, typeof s === "string" ? Buffer.from(s) : s);
      await put("vm1/vm1.vmx", '.encoding = "UTF-8"\nconfig.version = "8"\nvirtualHW.version = "11"\n');
      await put("vm1/vm1.vmdk", [
        "# Disk DescriptorFile", "version=1", 'encoding="UTF-8"', "CID=fffffffe", "parentCID=ffffffff", 'createType="vmfs"', "",
        "# Extent description", 'RW 2097152 VMFS "vm1-flat.vmdk"', "", "# The Disk Data Base", "#DDB", "",
        'ddb.adapterType = "lsilogic"', 'ddb.thinProvisioned = "1"', 'ddb.virtualHWVersion = "11"', "",
      ].join("\n"));
      await put("vm1/vm1-flat.vmdk", Buffer.alloc(16));
      await put("vm1/vm1-ctk.vmdk", Buffer.alloc(4));
      await put("vm1/vmware.log", "log\n");
      await put("vm1/vmware-1.log", "old log\n");
      await put("vm1/vm1.nvram", Buffer.alloc(8));
      await put("vm1/vm1-Snapshot1.vmsn", "snap");
      await put("vm1/boot.ISO", "iso");
      await put("vm1/floppy.flp", "flp");
      await put("vm1/notes.txt", "hello");
      await put("vm1/sub/inner.vmx", 'config.version = "7"\n');
    });

    const names = (r: { file?: DataObject[] }) => (r.file ?? []).map((f) => f.path);

    it("lists a folder, with details when asked", async () => {
      const r = await search(`[${DS}] vm1`);
      expect(r._type).toBe("HostDatastoreBrowserSearchResults");
      expect(r.datastore).toEqual(ds);
      expect(r.folderPath).toBe(`[${DS}] vm1`);
      expect(names(r)).toEqual(["boot.ISO", "floppy.flp", "notes.txt", "sub", "vm1-Snapshot1.vmsn", "vm1-ctk.vmdk", "vm1-flat.vmdk", "vm1.nvram", "vm1.vmdk", "vm1.vmx", "vmware-1.log", "vmware.log"]);
      expect(r.file.every((f: DataObject) => f._type === "FileInfo" && f.fileSize === undefined)).toBe(true);
      const d = await search(`[${DS}] vm1`, { details: { _type: "FileQueryFlags", fileType: true, fileSize: true, modification: true, fileOwner: true } });
      const byName = Object.fromEntries(d.file.map((f: DataObject) => [f.path, f]));
      expect(byName["notes.txt"]).toMatchObject({ _type: "FileInfo", fileSize: 5, owner: "root" });
      expect(byName["notes.txt"].modification).toBeInstanceOf(Date);
      expect(byName["sub"]._type).toBe("FolderFileInfo");
      expect(byName["vm1.vmdk"]._type).toBe("VmDiskFileInfo");
      expect(byName["vm1-flat.vmdk"]._type).toBe("FileInfo");
      expect(byName["vm1.vmx"]._type).toBe("VmConfigFileInfo");
      expect(byName["boot.ISO"]._type).toBe("IsoImageFileInfo");
      expect(byName["floppy.flp"]._type).toBe("FloppyImageFileInfo");
      expect(byName["vmware.log"]._type).toBe("VmLogFileInfo");
      expect(byName["vm1.nvram"]._type).toBe("VmNvramFileInfo");
      expect(byName["vm1-Snapshot1.vmsn"]._type).toBe("VmSnapshotFileInfo");
      const root = await search(`[${DS}]`);
      expect(root.folderPath).toBe(`[${DS}]`);
      expect(names(root)).toContain("vm1");
    });

    it("filters by match pattern, case-insensitively on request, and sorts folders first", async () => {
      expect(names(await search(`[${DS}] vm1`, { matchPattern: ["*.vmx", "vmware*.log"] }))).toEqual(["vm1.vmx", "vmware-1.log", "vmware.log"]);
      expect(names(await search(`[${DS}] vm1`, { matchPattern: ["*.iso"] }))).toEqual([]);
      expect(names(await search(`[${DS}] vm1`, { matchPattern: ["*.iso"], searchCaseInsensitive: true }))).toEqual(["boot.ISO"]);
      expect(names(await search(`[${DS}] vm1`, { matchPattern: ["vm1.nvra?", "[fn]*"] }))).toEqual(["floppy.flp", "notes.txt", "vm1.nvram"]);
      expect(names(await search(`[${DS}] vm1`, { sortFoldersFirst: true }))[0]).toBe("sub");
    });

    it("keeps what the query types accept", async () => {
      const q = (...types: string[]) => ({ query: types.map((t) => ({ _type: t })) });
      expect(names(await search(`[${DS}] vm1`, q("VmDiskFileQuery")))).toEqual(["vm1.vmdk"]);
      expect(names(await search(`[${DS}] vm1`, q("VmConfigFileQuery", "VmNvramFileQuery")))).toEqual(["vm1.nvram", "vm1.vmx"]);
      expect(names(await search(`[${DS}] vm1`, q("VmLogFileQuery")))).toEqual(["vmware-1.log", "vmware.log"]);
      expect(names(await search(`[${DS}] vm1`, q("IsoImageFileQuery", "FloppyImageFileQuery")))).toEqual(["boot.ISO", "floppy.flp"]);
      expect(names(await search(`[${DS}] vm1`, q("FolderFileQuery", "VmSnapshotFileQuery")))).toEqual(["sub", "vm1-Snapshot1.vmsn"]);
      expect(names(await search(`[${DS}] vm1`, q("FileQuery")))).toHaveLength(12);
      const typed = await search(`[${DS}] vm1`, q("VmDiskFileQuery", "FolderFileQuery"));
      expect(typed.file.map((f: DataObject) => f._type)).toEqual(["FolderFileInfo", "VmDiskFileInfo"]);
    });

    it("reads VMDK and VMX details and filters", async () => {
      const disk = await search(`[${DS}] vm1`, {
        query: [{ _type: "VmDiskFileQuery", details: { _type: "VmDiskFileQueryFlags", diskType: true, capacityKb: true, hardwareVersion: true, controllerType: true, diskExtents: true, thin: true } }],
        details: { _type: "FileQueryFlags", fileType: true, fileSize: true, modification: false },
      });
      expect(disk.file).toHaveLength(1);
      expect(disk.file[0]).toMatchObject({
        _type: "VmDiskFileInfo", path: "vm1.vmdk", diskType: "VirtualDiskFlatVer2BackingInfo", capacityKb: 1048576, hardwareVersion: 11,
        controllerType: "VirtualLsiLogicController", diskExtents: [`[${DS}] vm1/vm1-flat.vmdk`], thin: true,
      });
      const thick = await search(`[${DS}] vm1`, { query: [{ _type: "VmDiskFileQuery", filter: { _type: "VmDiskFileQueryFilter", thin: false } }] });
      expect(names(thick)).toEqual([]);
      const cfg = await search(`[${DS}] vm1`, { query: [{ _type: "VmConfigFileQuery", details: { _type: "VmConfigFileQueryFlags", configVersion: true } }] });
      expect(cfg.file[0]).toMatchObject({ _type: "VmConfigFileInfo", path: "vm1.vmx", configVersion: 8 });
      const v7 = await search(`[${DS}] vm1`, { query: [{ _type: "VmConfigFileQuery", filter: { _type: "VmConfigFileQueryFilter", matchConfigVersion: [7] } }] }, true);
      expect(v7.map((r: DataObject) => [r.folderPath, names(r as any)])).toEqual([[`[${DS}] vm1`, []], [`[${DS}] vm1/sub`, ["inner.vmx"]]]);
    });

    it("searches sub folders, one result per folder", async () => {
      const r = await search(`[${DS}] vm1`, { matchPattern: ["*.vmx"] }, true);
      expect(Array.isArray(r)).toBe(true);
      expect(r.map((x: DataObject) => [x.folderPath, names(x as any)])).toEqual([
        [`[${DS}] vm1`, ["vm1.vmx"]],
        [`[${DS}] vm1/sub`, ["inner.vmx"]],
      ]);
    });

    it("faults a missing folder, a bad path and an unknown datastore", async () => {
      expect((await fault(search(`[${DS}] no-such-folder`))).type).toBe("FileNotFound");
      expect((await fault(search(`[${DS}] vm1/notes.txt`))).type).toBe("FileNotFound");
      expect((await fault(search("mydatastore vm1"))).type).toBe("InvalidDatastorePath");
      expect((await fault(search("[other] vm1"))).type).toBe("InvalidDatastore");
    });

    it("runs as a task on the datastore", async () => {
      const t = (await c.call("SearchDatastore_Task", browser, { datastorePath: `[${DS}] vm1` })) as ManagedObjectReference;
      await c.waitForTask(t);
      const info = (await c.retrieveOne(t, ["info"])).info as DataObject;
      expect(info).toMatchObject({ state: "success", entity: ds, entityName: DS, descriptionId: "HostDatastoreBrowser.search" });
      expect(((await c.retrieveOne(browser, ["datastore"])).datastore as ManagedObjectReference[])).toEqual([ds]);
    });
  });
});

describe("datastore capacity", () => {
  const scenario = parseScenario(`model: esx
credentials: { username: root, password: tiny-pw }
host:
  name: tiny.local
datastores:
  - name: tiny
    capacity: 1MiB
    used: 24KiB
`, "tiny.yaml", "tiny");
  let sim: RunningSimulator;
  let c: VimClient;
  let ds: ManagedObjectReference;
  const free = async () => (await c.retrieveOne(ds, ["summary.freeSpace"]))["summary.freeSpace"] as number;

  beforeAll(async () => {
    sim = await startSimulator({ scenario });
    c = await connect(sim);
    ds = ((await c.retrieveOne(DC, ["datastore"])).datastore as ManagedObjectReference[])[0];
  });
  afterAll(async () => {
    await c?.logout();
    await sim?.close();
  });

  it("counts the scenario's used bytes, and free space drops by exactly the bytes written", async () => {
    const capacity = (await c.retrieveOne(ds, ["summary.capacity"]))["summary.capacity"] as number;
    expect(capacity).toBe(1024 * 1024);
    const before = await free();
    expect(before).toBe(1024 * 1024 - 24 * 1024);
    await c.uploadFile("tiny", "a.bin", Buffer.alloc(100_000, 1));
    expect(await free()).toBe(before - 100_000);
    await c.uploadFile("tiny", "a.bin", Buffer.alloc(40_000, 2));
    expect(await free()).toBe(before - 40_000);
    await c.soap.transport.request("DELETE", datastoreFileUrl(c.url, "tiny", "a.bin"));
    expect(await free()).toBe(before);
  });

  it("refuses a write past capacity with 507 and leaves nothing behind", async () => {
    const before = await free();
    const e = await c.uploadFile("tiny", "big.iso", Buffer.alloc(before + 1)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).status).toBe(507);
    expect((e as HttpError).body).toMatch(/NoDiskSpace/);
    expect((await c.soap.transport.request("HEAD", datastoreFileUrl(c.url, "tiny", "big.iso"))).status).toBe(404);
    expect(await free()).toBe(before);
    // exactly full fits
    await c.uploadFile("tiny", "big.iso", Buffer.alloc(before));
    expect(await free()).toBe(0);
    // replacing a file may use the space it frees
    await c.uploadFile("tiny", "big.iso", Buffer.alloc(before, 3));
    const e2 = await c.uploadFile("tiny", "one-more", Buffer.alloc(1)).catch((x: unknown) => x);
    expect((e2 as HttpError).status).toBe(507);
    await c.soap.transport.request("DELETE", datastoreFileUrl(c.url, "tiny", "big.iso"));
    expect(await free()).toBe(before);
  });

  it("refuses a copy that does not fit with NoDiskSpace, copying nothing", async () => {
    const fm = c.content.fileManager as ManagedObjectReference;
    await c.call("MakeDirectory", fm, { name: "[tiny] dir" });
    await c.uploadFile("tiny", "dir/a", Buffer.alloc(300_000));
    await c.uploadFile("tiny", "dir/b", Buffer.alloc(300_000));
    const before = await free();
    const t = (await c.call("CopyDatastoreFile_Task", fm, { sourceName: "[tiny] dir", destinationName: "[tiny] dir2" })) as ManagedObjectReference;
    const e = await fault(c.waitForTask(t));
    expect(e.type).toBe("NoDiskSpace");
    expect(e.fault.datastore).toBe("tiny");
    expect((await c.soap.transport.request("GET", datastoreFileUrl(c.url, "tiny", "dir2"))).status).toBe(404);
    expect(await free()).toBe(before);
    await c.waitForTask((await c.call("DeleteDatastoreFile_Task", fm, { name: "[tiny] dir" })) as ManagedObjectReference);
  });

  it("keeps a 40 GiB thin file for free, and refuses a block that does not fit", async () => {
    const before = await free();
    const vol = (sim.sim.inventory.get(ds.value) as Datastore).volume;
    const size = 40 * 2 ** 30;
    vol.createSparse("disk-flat.vmdk", size);
    expect(await free()).toBe(before);
    const head = await c.soap.transport.request("HEAD", datastoreFileUrl(c.url, "tiny", "disk-flat.vmdk"));
    expect(head.headers["content-length"]).toBe(String(size));
    // a written block costs a whole 1 MiB chunk, more than this datastore has left
    expect(() => vol.writeAt("disk-flat.vmdk", 20 * 2 ** 30, Buffer.from("data"))).toThrow(/Insufficient disk space/);
    expect(vol.readRange("disk-flat.vmdk", 20 * 2 ** 30, 20 * 2 ** 30 + 4)).toEqual(Buffer.alloc(4));
    expect(await free()).toBe(before);
    const browser = (await c.retrieveOne(ds, ["browser"])).browser as ManagedObjectReference;
    const t = (await c.call("SearchDatastore_Task", browser, {
      datastorePath: "[tiny]", searchSpec: { _type: "HostDatastoreBrowserSearchSpec", details: { _type: "FileQueryFlags", fileType: true, fileSize: true, modification: false } },
    })) as ManagedObjectReference;
    const r = (await c.waitForTask(t)) as { file: DataObject[] };
    expect(r.file.find((f) => f.path === "disk-flat.vmdk")?.fileSize).toBe(size);
    const fm = c.content.fileManager as ManagedObjectReference;
    await c.waitForTask((await c.call("DeleteDatastoreFile_Task", fm, { name: "[tiny] disk-flat.vmdk" })) as ManagedObjectReference);
    expect(await free()).toBe(before);
  });
});

describe("thin files on a roomy datastore (homelab)", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  let ds: ManagedObjectReference;
  const free = async () => (await c.retrieveOne(ds, ["summary.freeSpace"]))["summary.freeSpace"] as number;

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab" });
    c = await connect(sim);
    ds = ((await c.retrieveOne(DC, ["datastore"])).datastore as ManagedObjectReference[])[0];
  });
  afterAll(async () => {
    await c?.logout();
    await sim?.close();
  });

  it("costs what is written, reads zeros elsewhere, and stays thin when copied and moved", async () => {
    const before = await free();
    const vol = (sim.sim.inventory.get(ds.value) as Datastore).volume;
    const size = 40 * 2 ** 30;
    const at = 20 * 2 ** 30;
    vol.createSparse("disk-flat.vmdk", size);
    expect(await free()).toBe(before);
    vol.writeAt("disk-flat.vmdk", at, Buffer.from("data"));
    expect(await free()).toBe(before - 2 ** 20);
    const mid = await c.soap.transport.request("GET", datastoreFileUrl(c.url, "mydatastore", "disk-flat.vmdk"), undefined, { Range: `bytes=${at - 2}-${at + 5}` });
    expect(mid.status).toBe(206);
    expect([...mid.body]).toEqual([0, 0, 100, 97, 116, 97, 0, 0]);
    const fm = c.content.fileManager as ManagedObjectReference;
    await c.waitForTask((await c.call("CopyDatastoreFile_Task", fm, { sourceName: "[mydatastore] disk-flat.vmdk", destinationName: "[mydatastore] copy-flat.vmdk" })) as ManagedObjectReference);
    expect(await free()).toBe(before - 2 * 2 ** 20);
    expect(vol.readRange("copy-flat.vmdk", at, at + 4).toString()).toBe("data");
    await c.call("MakeDirectory", fm, { name: "[mydatastore] disks" });
    await c.waitForTask((await c.call("MoveDatastoreFile_Task", fm, { sourceName: "[mydatastore] copy-flat.vmdk", destinationName: "[mydatastore] disks/moved-flat.vmdk" })) as ManagedObjectReference);
    expect(vol.stat("disks/moved-flat.vmdk")).toMatchObject({ size, allocated: 2 ** 20 });
    expect(await free()).toBe(before - 2 * 2 ** 20);
    await c.waitForTask((await c.call("DeleteDatastoreFile_Task", fm, { name: "[mydatastore] disks" })) as ManagedObjectReference);
    await c.waitForTask((await c.call("DeleteDatastoreFile_Task", fm, { name: "[mydatastore] disk-flat.vmdk" })) as ManagedObjectReference);
    expect(await free()).toBe(before);
  });
});

describe("datastore files on a vCenter (vcenter-cluster)", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  let dc: ManagedObjectReference;

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "vcenter-cluster" });
    c = await connect(sim);
    dc = ((await c.retrieveOne(c.content.rootFolder, ["childEntity"])).childEntity as ManagedObjectReference[])[0];
  });
  afterAll(async () => {
    await c?.logout();
    await sim?.close();
  });

  it("needs the datacenter for FileManager and dcPath for /folder", async () => {
    const fm = c.content.fileManager as ManagedObjectReference;
    const e = await fault(c.call("MakeDirectory", fm, { name: "[shared-ds] x" }));
    expect(e.type).toBe("InvalidArgument");
    await c.call("MakeDirectory", fm, { name: "[shared-ds] x", datacenter: dc });
    await c.uploadFile("shared-ds", "x/f.txt", Buffer.from("vc"), { dcPath: "dc1" });
    expect((await c.downloadFile("shared-ds", "x/f.txt", { dcPath: "dc1" })).toString()).toBe("vc");
    const noDc = await c.soap.transport.request("GET", new URL("/folder/x/f.txt?dsName=shared-ds", c.url));
    expect(noDc.status).toBe(404);
  });

  it("gives each datastore its browser and each host one that sees what it mounts", async () => {
    const [ds] = (await c.retrieveOne(dc, ["datastore"])).datastore as ManagedObjectReference[];
    const { browser, host } = await c.retrieveOne(ds, ["browser", "host"]);
    expect(((await c.retrieveOne(browser as ManagedObjectReference, ["datastore"])).datastore as ManagedObjectReference[])).toEqual([ds]);
    const hostRef = ((host as DataObject[])[0].key) as ManagedObjectReference;
    const hostBrowser = (await c.retrieveOne(hostRef, ["datastoreBrowser"])).datastoreBrowser as ManagedObjectReference;
    expect(hostBrowser.value).not.toBe((browser as ManagedObjectReference).value);
    const seen = (await c.retrieveOne(hostBrowser, ["datastore"])).datastore as ManagedObjectReference[];
    expect(seen.map((r) => r.value)).toContain(ds.value);
    const t = (await c.call("SearchDatastore_Task", hostBrowser, { datastorePath: "[shared-ds] x" })) as ManagedObjectReference;
    const r = (await c.waitForTask(t)) as { file: DataObject[] };
    expect(r.file.map((f) => f.path)).toEqual(["f.txt"]);
  });
});
