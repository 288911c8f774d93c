// vim25/client against an in-process simulator over real HTTPS, plus the
// parts a simulator cannot exercise yet (the /folder transfer protocol) against
// a small local server.
import https from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { selfSigned, type TlsMaterial } from "../../simulator/server/tls.ts";
import { vim25Schema } from "../../vim25/schema/index.ts";
import { VimFault, encodeFault, encodeResponse, moref, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import {
  HttpError, HttpsTransport, ThumbprintMismatchError, VimClient, WaitTimeoutError, applyChange, datastoreFileUrl, decodeFault,
  decodeResponse, downloadFile, encodeRequest, faultOf, normaliseThumbprint, uploadFile, viewSpec, type LocalizedMethodFault, type PropertyRecord,
} from "../../vim25/client/index.ts";

const schema = vim25Schema();

async function expectFault(p: Promise<unknown>, type: string): Promise<VimFault> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(VimFault);
  expect((e as VimFault).type).toBe(type);
  return e as VimFault;
}

describe("vim25/client on an ESXi host (homelab)", () => {
  let sim: RunningSimulator;
  let client: VimClient;
  const requests: string[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab", trace: (l) => requests.push(l) });
    client = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
  });
  afterAll(async () => {
    await client?.logout();
    await sim?.close();
  });

  describe("connect", () => {
    it("logs in and reads the ServiceContent", () => {
      expect(client.content.about.apiType).toBe("HostAgent");
      expect(client.content.about.apiVersion).toBe("6.0");
      expect(client.content.rootFolder).toEqual(moref("Folder", "ha-folder-root"));
      expect(client.session.userName).toBe(sim.username);
      expect(client.soap.version).toBe("6.0");
      expect(client.soap.transport.sessionCookie).toMatch(/^vmware_soap_session=/);
    });

    it("refuses a wrong password with InvalidLogin", async () => {
      const f = await expectFault(VimClient.connect(sim.url, { username: sim.username, password: "wrong", thumbprint: sim.thumbprint }), "InvalidLogin");
      expect(f.message).toMatch(/incorrect user name or password/);
    });

    it("accepts the pinned thumbprint in any spelling", async () => {
      const bare = sim.thumbprint.replace(/:/g, "").toLowerCase();
      expect(normaliseThumbprint(bare)).toBe(sim.thumbprint);
      const c = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: bare });
      await c.logout();
    });

    it("rejects a certificate whose thumbprint does not match, before sending anything", async () => {
      const wrong = sim.thumbprint.replace(/^../, sim.thumbprint.startsWith("00") ? "11" : "00");
      const before = requests.length;
      const e = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: wrong }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ThumbprintMismatchError);
      expect((e as ThumbprintMismatchError).actual).toBe(sim.thumbprint);
      expect(requests.length).toBe(before);
    });

    it("verifies the certificate by default, against a CA when given, or not at all when insecure", async () => {
      const e = await VimClient.connect(sim.url, { username: sim.username, password: sim.password }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(Error);
      expect(String((e as NodeJS.ErrnoException).code)).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
      const byCa = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, ca: sim.certificate });
      await byCa.logout();
      const insecure = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, insecure: true });
      await insecure.logout();
    });

    it("ends the session at logout", async () => {
      const c = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
      const key = c.session.key;
      expect(sim.sim.sessions.get(key)).toBeDefined();
      await c.logout();
      expect(sim.sim.sessions.get(key)).toBeUndefined();
      // the stale cookie no longer opens anything
      await expectFault(c.retrieveOne(c.content.rootFolder, ["name"]), "NotAuthenticated");
    });
  });

  describe("properties", () => {
    it("reads the root folder, ha-datacenter and the host, nested paths included", async () => {
      expect(await client.retrieveOne(client.content.rootFolder, ["name", "childEntity"])).toEqual({
        name: "ha-folder-root",
        childEntity: [moref("Datacenter", "ha-datacenter")],
      });
      const dc = await client.retrieveOne(moref("Datacenter", "ha-datacenter"), ["name", "hostFolder", "datastore"]);
      expect(dc.name).toBe("ha-datacenter");
      expect(dc.hostFolder).toEqual(moref("Folder", "ha-folder-host"));
      expect(dc.datastore).toHaveLength(1);
      const host = await client.retrieveOne(moref("HostSystem", "ha-host"), [
        "name", "summary.hardware.numCpuCores", "config.firewall.defaultPolicy.outgoingBlocked",
      ]);
      expect(host).toEqual({
        name: "esxi01.think-v.com",
        "summary.hardware.numCpuCores": 4,
        "config.firewall.defaultPolicy.outgoingBlocked": false,
      });
    });

    it("reads several objects of several types in one call", async () => {
      const m = await client.retrieveProperties([client.content.rootFolder, moref("Datacenter", "ha-datacenter"), moref("HostSystem", "ha-host")], ["name"]);
      expect(Object.fromEntries([...m].map(([k, v]) => [k, v.name]))).toEqual({
        "ha-folder-root": "ha-folder-root",
        "ha-datacenter": "ha-datacenter",
        "ha-host": "esxi01.think-v.com",
      });
    });

    it("throws the missingSet fault of a path that does not exist, as govmomi does", async () => {
      const f = await expectFault(client.retrieveOne(moref("HostSystem", "ha-host"), ["name", "summary.noSuchThing"]), "InvalidProperty");
      expect(f.fault.name).toBe("summary.noSuchThing");
    });

    it("answers a call on an unknown object with ManagedObjectNotFound naming it", async () => {
      const ghost = moref("ResourcePool", "pool-does-not-exist");
      const f = await expectFault(client.call("UpdateConfig", ghost, { name: "x" }), "ManagedObjectNotFound");
      expect(f.fault.obj).toEqual(ghost);
    });

    it("lists the hosts through a container view and destroys it", async () => {
      const v = await client.containerView(client.content.rootFolder, ["HostSystem"], true);
      expect(v.view.type).toBe("ContainerView");
      const { view } = await client.retrieveOne(v.view, ["view"]);
      expect(view).toEqual([moref("HostSystem", "ha-host")]);
      const hosts = await client.retrieveRecords([viewSpec(v.view, "HostSystem", ["name", "runtime.connectionState"])]);
      expect([...hosts]).toEqual([["ha-host", { name: "esxi01.think-v.com", "runtime.connectionState": "connected" }]]);
      await v.destroyView();
      await expectFault(client.retrieveOne(v.view, ["view"]), "ManagedObjectNotFound");
    });

    it("waits on the default collector with raw WaitForUpdatesEx", async () => {
      const pc = (await client.call("CreatePropertyCollector", client.content.propertyCollector)) as ManagedObjectReference;
      try {
        await client.call("CreateFilter", pc, {
          spec: { propSet: [{ type: "HostSystem", pathSet: ["name"] }], objectSet: [{ obj: moref("HostSystem", "ha-host") }] },
          partialUpdates: false,
        });
        const first = await client.waitForUpdatesEx("", { maxWaitSeconds: 5 }, pc);
        expect(first?.filterSet?.[0].objectSet?.[0]).toMatchObject({ kind: "enter", obj: moref("HostSystem", "ha-host") });
        const record: PropertyRecord = {};
        for (const c of first!.filterSet![0].objectSet![0].changeSet!) applyChange(record, c);
        expect(record).toEqual({ name: "esxi01.think-v.com" });
        // nothing changed since: an empty answer once maxWaitSeconds is up
        expect(await client.waitForUpdatesEx(first!.version, { maxWaitSeconds: 0 }, pc)).toBeUndefined();
      } finally {
        await client.call("DestroyPropertyCollector", pc);
      }
    });
  });

  describe("tasks and waiting", () => {
    const rootPool = moref("ResourcePool", "ha-root-pool");

    it("waits for Destroy_Task of a new pool to succeed", async () => {
      const pool = (await client.call("CreateResourcePool", rootPool, {
        name: "client-test-destroy",
        spec: { _type: "ResourceConfigSpec", cpuAllocation: {}, memoryAllocation: {} },
      })) as ManagedObjectReference;
      expect(pool.type).toBe("ResourcePool");
      const task = (await client.call("Destroy_Task", pool)) as ManagedObjectReference;
      expect(task.type).toBe("Task");
      expect(await client.waitForTask(task, { timeoutMs: 10_000 })).toBeUndefined();
      const { resourcePool } = await client.retrieveOne(rootPool, ["resourcePool"]);
      expect((resourcePool as ManagedObjectReference[]).map((r) => r.value)).not.toContain(pool.value);
    });

    it("throws the fault of a task that fails (Destroy_Task on the root pool)", async () => {
      const task = (await client.call("Destroy_Task", rootPool)) as ManagedObjectReference;
      const f = await expectFault(client.waitForTask(task, { timeoutMs: 10_000 }), "NotSupported");
      expect(f.message).toMatch(/root resource pool/);
    });

    it("sees a change another call makes (UpdateConfig renaming a pool)", async () => {
      const pool = (await client.call("CreateResourcePool", rootPool, {
        name: "client-test-before",
        spec: { _type: "ResourceConfigSpec", cpuAllocation: {}, memoryAllocation: {} },
      })) as ManagedObjectReference;
      const seen: unknown[] = [];
      const waiting = client.waitForProperties(pool, ["name"], (r) => {
        seen.push(r.name);
        return r.name === "client-test-after";
      }, { timeoutMs: 10_000 });
      // rename only once the wait has seen the old name
      await vi.waitFor(() => expect(seen).toHaveLength(1));
      await client.call("UpdateConfig", pool, { name: "client-test-after" });
      expect(await waiting).toEqual({ name: "client-test-after" });
      expect(seen).toEqual(["client-test-before", "client-test-after"]);
      await client.waitForTask((await client.call("Destroy_Task", pool)) as ManagedObjectReference);
    });

    it("gives up after timeoutMs and leaves no collector behind", async () => {
      const collectors = () => [...sim.sim.sessions.get(client.session.key)!.objects].filter((o) => o.type === "PropertyCollector").length;
      const before = collectors();
      const t0 = Date.now();
      const e = await client.waitForProperties(moref("HostSystem", "ha-host"), ["name"], () => false, { timeoutMs: 300 }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(WaitTimeoutError);
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(collectors()).toBe(before);
    });

    it("reports an object that goes away while waited on", async () => {
      const pool = (await client.call("CreateResourcePool", rootPool, {
        name: "client-test-vanish",
        spec: { _type: "ResourceConfigSpec", cpuAllocation: {}, memoryAllocation: {} },
      })) as ManagedObjectReference;
      let polled = 0;
      const waiting = client.waitForProperties(pool, ["name"], () => (polled++, false), { timeoutMs: 10_000 }).catch((x: unknown) => x);
      await vi.waitFor(() => expect(polled).toBe(1));
      await client.waitForTask((await client.call("Destroy_Task", pool)) as ManagedObjectReference);
      const e = await waiting;
      expect(e).toBeInstanceOf(VimFault);
      expect((e as VimFault).type).toBe("ManagedObjectNotFound");
    });
  });
});

describe("vim25/client on a vCenter (vcenter-cluster)", () => {
  let sim: RunningSimulator;
  let client: VimClient;
  const trace: string[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "vcenter-cluster", trace: (l) => trace.push(l) });
    client = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
  });
  afterAll(async () => {
    await client?.logout();
    await sim?.close();
  });

  it("is a vCenter", () => {
    expect(client.content.about.apiType).toBe("VirtualCenter");
  });

  it("follows RetrievePropertiesEx paging to the last page", async () => {
    const v = await client.containerView(client.content.rootFolder, ["HostSystem"], true);
    try {
      const spec = viewSpec(v.view, "HostSystem", ["name"]);
      // one page, raw: a token says there is more
      const first = (await client.call("RetrievePropertiesEx", client.content.propertyCollector, { specSet: [spec], options: { maxObjects: 1 } })) as { token?: string; objects: unknown[] };
      expect(first.objects).toHaveLength(1);
      expect(first.token).toBeTruthy();
      await client.call("CancelRetrievePropertiesEx", client.content.propertyCollector, { token: first.token });

      const calls = () => trace.filter((l) => l.startsWith("-->") && l.includes("<ContinueRetrievePropertiesEx")).length;
      const before = calls();
      const all = await client.retrieveRecords([spec], { maxObjects: 1 });
      expect(calls() - before).toBe(3);
      expect([...all.values()].map((r) => r.name).sort()).toEqual([
        "esx1.example.com", "esx2.example.com", "esx3.example.com", "esx4.example.com",
      ]);
    } finally {
      await v.destroyView();
    }
  });

  it("reads the hosts of the cluster through retrieveFromContainer", async () => {
    const hosts = await client.retrieveFromContainer(client.content.rootFolder, "HostSystem", ["name", "summary.hardware.numCpuCores"]);
    expect(hosts.size).toBe(4);
    const esx1 = [...hosts.values()].find((h) => h.name === "esx1.example.com");
    expect(esx1?.["summary.hardware.numCpuCores"]).toBe(16); // cores in total, not per package
  });

  it("answers ContinueRetrievePropertiesEx with an unknown token as InvalidProperty", async () => {
    await expectFault(client.call("ContinueRetrievePropertiesEx", client.content.propertyCollector, { token: "nope" }), "InvalidProperty");
  });
});

describe("client codec", () => {
  it("encodes a request in the schema's parameter order with _this first", () => {
    const xml = encodeRequest(schema, "CreateContainerView", moref("ViewManager", "ViewManager"),
      { recursive: true, type: ["HostSystem", "Datastore"], container: moref("Folder", "ha-folder-root") },
      schema.method("ViewManager", "CreateContainerView")!.params);
    expect(xml).toContain('<CreateContainerView xmlns="urn:vim25"><_this type="ViewManager">ViewManager</_this>'
      + '<container type="Folder">ha-folder-root</container><type>HostSystem</type><type>Datastore</type><recursive>true</recursive></CreateContainerView>');
  });

  it("refuses a parameter the method does not have", () => {
    expect(() => encodeRequest(schema, "Logout", moref("SessionManager", "ha-sessionmgr"), { force: true }, [])).toThrow(/no parameter force/);
  });

  it("decodes a fault response to its type with its fields", () => {
    const obj = moref("VirtualMachine", "vm-42");
    const xml = encodeFault(schema, new VimFault("ManagedObjectNotFound", { obj }));
    const f = decodeFault(schema, xml, 500);
    expect(f).toBeInstanceOf(VimFault);
    expect(f.type).toBe("ManagedObjectNotFound");
    expect(f.fault).toEqual({ _type: "ManagedObjectNotFound", obj });
    expect(f.message).toBe("The object has already been deleted or has not been completely created");
    // the same fault where a method response was expected
    expect(() => decodeResponse(schema, "Destroy_Task", xml, { type: "ManagedObjectReference" })).toThrow(VimFault);
  });

  it("decodes a fault whose detail only names its type in the element (and one with nested faults)", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Cannot complete login</faultstring>
<detail><InvalidLoginFault xmlns="urn:vim25"/></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;
    const f = decodeFault(schema, xml);
    expect(f.type).toBe("InvalidLogin");
    expect(f.message).toBe("Cannot complete login");

    const nested = encodeFault(schema, new VimFault("InvalidArgument", {
      invalidProperty: "spec",
      faultCause: { _type: "LocalizedMethodFault", fault: { _type: "DuplicateName", name: "x", object: moref("ResourcePool", "pool1") }, localizedMessage: "dup" },
    }, "bad spec"));
    const g = decodeFault(schema, nested);
    expect(g.type).toBe("InvalidArgument");
    expect(g.message).toBe("bad spec");
    expect(faultOf(g.fault.faultCause as LocalizedMethodFault).fault).toEqual({ _type: "DuplicateName", name: "x", object: moref("ResourcePool", "pool1") });
  });

  it("decodes what hostd writes: LocalizedMethodFault without xsi:type, morefs in anyType with both type attributes", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
<soapenv:Body><RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="Datacenter">ha-datacenter</obj>
<propSet><name>hostFolder</name><val xsi:type="ManagedObjectReference" type="Folder">ha-folder-host</val></propSet>
<missingSet><path>nope</path><fault><fault xsi:type="InvalidProperty"><name>nope</name></fault><localizedMessage></localizedMessage></fault></missingSet>
</objects></returnval></RetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>`;
    const r = decodeResponse(schema, "RetrievePropertiesEx", xml, { type: "RetrieveResult" }) as { objects: { propSet: { val: unknown }[]; missingSet: unknown[] }[] };
    expect(r.objects[0].propSet[0].val).toEqual(moref("Folder", "ha-folder-host"));
    expect(r.objects[0].missingSet[0]).toEqual({
      _type: "MissingProperty", path: "nope",
      fault: { _type: "LocalizedMethodFault", fault: { _type: "InvalidProperty", name: "nope" }, localizedMessage: "" },
    });
  });

  it("decodes array results to arrays and absent results to undefined", () => {
    const ref = { type: "ManagedObjectReference", array: true };
    const two = encodeResponse(schema, "FindAllByDnsName", [moref("HostSystem", "h1"), moref("HostSystem", "h2")], ref);
    expect(decodeResponse(schema, "FindAllByDnsName", two, ref)).toEqual([moref("HostSystem", "h1"), moref("HostSystem", "h2")]);
    const none = encodeResponse(schema, "FindAllByDnsName", [], ref);
    expect(decodeResponse(schema, "FindAllByDnsName", none, ref)).toEqual([]);
    const absent = encodeResponse(schema, "FindByDnsName", undefined, { type: "ManagedObjectReference" });
    expect(decodeResponse(schema, "FindByDnsName", absent, { type: "ManagedObjectReference" })).toBeUndefined();
  });

  it("applies changes below a watched path", () => {
    const r: PropertyRecord = { info: { _type: "TaskInfo", state: "running" }, "config.hardware.device": [{ key: 1 }, { key: 4000, label: "a" }] };
    applyChange(r, { _type: "PropertyChange", name: "info.state", op: "assign", val: "success" });
    applyChange(r, { _type: "PropertyChange", name: "config.hardware.device[4000]", op: "assign", val: { key: 4000, label: "b" } });
    applyChange(r, { _type: "PropertyChange", name: "config.hardware.device[1]", op: "remove" });
    applyChange(r, { _type: "PropertyChange", name: "name", op: "assign", val: "n" });
    expect(r).toEqual({ info: { _type: "TaskInfo", state: "success" }, "config.hardware.device": [{ key: 4000, label: "b" }], name: "n" });
  });
});

describe("datastore file transfer (/folder)", () => {
  let tls: TlsMaterial;
  const files = new Map<string, Buffer>();
  const seen: { method: string; url: string; cookie?: string; type?: string }[] = [];
  let server: https.Server;
  let base: URL;

  beforeAll(async () => {
    tls = await selfSigned("files.test", ["127.0.0.1"], new Date());
    // hostd's protocol: PUT creates (201) or overwrites (200), GET reads, 404 for what is not there
    server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      seen.push({ method: req.method!, url: req.url!, cookie: req.headers.cookie, type: req.headers["content-type"] });
      const u = new URL(req.url!, "https://x");
      const key = `${u.searchParams.get("dcPath")}|${u.searchParams.get("dsName")}|${decodeURIComponent(u.pathname)}`;
      if (req.method === "PUT") {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const existed = files.has(key);
          files.set(key, Buffer.concat(chunks));
          res.writeHead(existed ? 200 : 201).end();
        });
        return;
      }
      const f = files.get(key);
      if (req.method === "GET" && f) res.writeHead(200, { "Content-Type": "application/octet-stream" }).end(f);
      else res.writeHead(404).end("Not Found");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    base = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/sdk`);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("builds hostd's URL: encoded path segments, dcPath defaulting to ha-datacenter", () => {
    const u = datastoreFileUrl(base, "my datastore", "/vch 1/appliance#1.iso");
    expect(u.pathname).toBe("/folder/vch%201/appliance%231.iso");
    expect(u.searchParams.get("dcPath")).toBe("ha-datacenter");
    expect(u.searchParams.get("dsName")).toBe("my datastore");
    expect(datastoreFileUrl(base, "shared-ds", "a", { dcPath: "dc1" }).searchParams.get("dcPath")).toBe("dc1");
  });

  it("uploads and downloads with the session cookie, and throws the HTTP status otherwise", async () => {
    const t = new HttpsTransport({ thumbprint: tls.thumbprint });
    t.sessionCookie = 'vmware_soap_session="ABC"';
    try {
      const data = Buffer.from([0, 1, 2, 255, 254]);
      await uploadFile(t, base, "mydatastore", "vch/appliance.iso", data);
      await uploadFile(t, base, "mydatastore", "vch/appliance.iso", data); // overwrite: 200
      expect(seen[0]).toEqual({
        method: "PUT", url: "/folder/vch/appliance.iso?dcPath=ha-datacenter&dsName=mydatastore",
        cookie: 'vmware_soap_session="ABC"', type: "application/octet-stream",
      });
      expect(await downloadFile(t, base, "mydatastore", "vch/appliance.iso")).toEqual(data);
      const e = await downloadFile(t, base, "mydatastore", "vch/missing.iso").catch((x: unknown) => x);
      expect(e).toBeInstanceOf(HttpError);
      expect((e as HttpError).status).toBe(404);
      expect((e as HttpError).message).toMatch(/HTTP 404/);
    } finally {
      t.close();
    }
  });
});
