// VirtualDiskManager through the typed client: disks created, copied, moved,
// extended and deleted as descriptor + sparse extents, read back over
// /folder as ESXi writes them; ddb.uuid query and set; delta chains followed
// through parentFileNameHint and refused when a parent's CID has moved on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { parseScenario } from "../../simulator/inventory/scenario-loader.ts";
import type { Datastore } from "../../simulator/objects/datastore.ts";
import { VimClient, datastoreFileUrl } from "../../vim25/client/index.ts";
import { VimFault, moref, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { fault } from "../helpers.ts";

const DC = moref("Datacenter", "ha-datacenter");
const DS = "mydatastore";
const GiB = 2 ** 30;

describe("VirtualDiskManager on an ESXi host (homelab)", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  let ds: ManagedObjectReference;
  let vdm: ManagedObjectReference;

  const volume = () => (sim.sim.inventory.get(ds.value) as Datastore).volume;
  const free = async () => (await c.retrieveOne(ds, ["summary.freeSpace"]))["summary.freeSpace"] as number;
  const task = async (method: string, args: Record<string, unknown>) => c.waitForTask((await c.call(method, vdm, args)) as ManagedObjectReference);
  const spec = (capacityKb: number, more: Record<string, unknown> = {}) => ({ _type: "FileBackedVirtualDiskSpec", diskType: "thin", adapterType: "lsiLogic", capacityKb, ...more });
  const create = (name: string, capacityKb: number, more: Record<string, unknown> = {}) => task("CreateVirtualDisk_Task", { name, spec: spec(capacityKb, more) });
  const text = async (path: string) => (await c.downloadFile(DS, path)).toString("utf8");
  const exists = async (path: string) => (await c.soap.transport.request("HEAD", datastoreFileUrl(c.url, DS, path))).status === 200;
  const size = async (path: string) => Number((await c.soap.transport.request("HEAD", datastoreFileUrl(c.url, DS, path))).headers["content-length"]);
  const ddb = (descriptor: string, key: string) => new RegExp(`^ddb\\.${key.replace(/\./g, "\\.")} = "([^"]*)"$`, "m").exec(descriptor)?.[1];
  const mkdir = (name: string) => c.call("MakeDirectory", c.content.fileManager as ManagedObjectReference, { name: `[${DS}] ${name}`, createParentDirectories: true });

  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab" });
    c = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
    ds = ((await c.retrieveOne(DC, ["datastore"])).datastore as ManagedObjectReference[])[0];
    vdm = c.content.virtualDiskManager as ManagedObjectReference;
    for (const dir of ["disks", "copies", "moved", "chain/base", "chain/app"]) await mkdir(dir);
  });
  afterAll(async () => {
    await c?.logout();
    await sim?.close();
  });

  describe("CreateVirtualDisk_Task", () => {
    it("makes a 40 GiB thin disk that costs only its descriptor, written as ESXi writes it", async () => {
      const before = await free();
      // no datacenter: hostd has one and takes it
      const result = await create(`[${DS}] disks/x.vmdk`, 40 * 1024 * 1024);
      expect(result).toBe(`[${DS}] disks/x.vmdk`);
      expect(before - (await free())).toBeLessThan(4096);

      const d = await text("disks/x.vmdk");
      expect(d.split("\n").slice(0, 7)).toEqual([
        "# Disk DescriptorFile", "version=1", 'encoding="UTF-8"', "CID=fffffffe", "parentCID=ffffffff", 'isNativeSnapshot="no"', 'createType="vmfs"',
      ]);
      expect(d).toContain('\n# Extent description\nRW 83886080 VMFS "x-flat.vmdk"\n');
      expect(d).toContain("\n# The Disk Data Base\n#DDB\n\n");
      expect(ddb(d, "thinProvisioned")).toBe("1");
      expect(ddb(d, "adapterType")).toBe("lsilogic");
      expect([ddb(d, "geometry.cylinders"), ddb(d, "geometry.heads"), ddb(d, "geometry.sectors")]).toEqual(["5221", "255", "63"]);
      expect(ddb(d, "virtualHWVersion")).toBe("11");
      expect(ddb(d, "uuid")).toMatch(/^60 00 C2 9[0-9a-f]( [0-9a-f]{2}){4}-[0-9a-f]{2}( [0-9a-f]{2}){7}$/);
      // the long content ID ends in the CID
      expect(ddb(d, "longContentID")).toMatch(/^[0-9a-f]{24}fffffffe$/);
      const keys = [...d.matchAll(/^ddb\.(\S+) =/gm)].map((m) => m[1]);
      expect(keys).toEqual([...keys].sort());
      expect(await size("disks/x-flat.vmdk")).toBe(40 * GiB);
    });

    it("makes preallocated disks without the thin flag, and IDE disks with 16 heads", async () => {
      await task("CreateVirtualDisk_Task", { name: `[${DS}] disks/thick.vmdk`, datacenter: DC, spec: spec(1024 * 1024, { diskType: "preallocated", adapterType: "busLogic" }) });
      const thick = await text("disks/thick.vmdk");
      expect(ddb(thick, "thinProvisioned")).toBeUndefined();
      expect(ddb(thick, "adapterType")).toBe("buslogic");
      await create(`[${DS}] disks/ide.vmdk`, 8 * 1024 * 1024, { diskType: "eagerZeroedThick", adapterType: "ide" });
      const ide = await text("disks/ide.vmdk");
      expect([ddb(ide, "adapterType"), ddb(ide, "geometry.cylinders"), ddb(ide, "geometry.heads"), ddb(ide, "geometry.sectors")]).toEqual(["ide", "16383", "16", "63"]);
    });

    it("refuses a thick disk larger than the free space, and leaves nothing behind; a thin one may overcommit", async () => {
      const kb = Math.ceil((await free()) / 1024) + 1024 * 1024;
      const e = await fault(create(`[${DS}] disks/huge.vmdk`, kb, { diskType: "preallocated" }));
      expect(e.type).toBe("NoDiskSpace");
      expect(e.fault.datastore).toBe(DS);
      expect(await exists("disks/huge.vmdk")).toBe(false);
      expect(await exists("disks/huge-flat.vmdk")).toBe(false);
      await create(`[${DS}] disks/huge.vmdk`, kb);
      expect(await size("disks/huge-flat.vmdk")).toBe(kb * 1024);
      await task("DeleteVirtualDisk_Task", { name: `[${DS}] disks/huge.vmdk` });
    });

    it("holds a thick disk's whole capacity against the datastore from the start, through copy and extend, until deleted", async () => {
      const before = await free();
      await create(`[${DS}] disks/reserved.vmdk`, 1024 * 1024, { diskType: "preallocated" });
      // descriptor bytes aside, the 1 GiB extent is allocated unwritten
      expect(before - (await free())).toBeGreaterThanOrEqual(GiB);
      expect(before - (await free())).toBeLessThan(GiB + 64 * 1024);
      expect(volume().stat("disks/reserved-flat.vmdk")?.allocated).toBe(GiB);
      await c.uploadFile(DS, "disks/probe.bin", Buffer.alloc(10));
      const afterCreate = await free();
      await task("CopyVirtualDisk_Task", { sourceName: `[${DS}] disks/reserved.vmdk`, destName: `[${DS}] copies/reserved-copy.vmdk` });
      expect(afterCreate - (await free())).toBeGreaterThanOrEqual(GiB);
      await task("ExtendVirtualDisk_Task", { name: `[${DS}] copies/reserved-copy.vmdk`, newCapacityKb: 2 * 1024 * 1024 });
      expect(afterCreate - (await free())).toBeGreaterThanOrEqual(2 * GiB);
      await task("DeleteVirtualDisk_Task", { name: `[${DS}] copies/reserved-copy.vmdk` });
      await task("DeleteVirtualDisk_Task", { name: `[${DS}] disks/reserved.vmdk` });
      await c.call("DeleteDatastoreFile_Task", c.content.fileManager as ManagedObjectReference, { name: `[${DS}] disks/probe.bin` }).then((t) => c.waitForTask(t as ManagedObjectReference));
      expect(await free()).toBe(before);
    });

    it("answers bad names and specs with hostd's faults", async () => {
      // each call made when its turn comes: a rejection nobody awaits yet is an unhandled one
      const cases: [() => Promise<unknown>, string, Record<string, unknown>?][] = [
        [() => create(`[${DS}] disks/bad.vmdk`, 1024, { adapterType: "pvscsi" }), "InvalidArgument", { invalidProperty: "spec.adapterType" }],
        [() => create(`[${DS}] disks/bad.vmdk`, 1024, { diskType: "delta" }), "InvalidArgument", { invalidProperty: "spec.diskType" }],
        [() => create(`[${DS}] disks/bad.vmdk`, 1024, { diskType: "floppy" }), "InvalidArgument", { invalidProperty: "spec.diskType" }],
        [() => create(`[${DS}] disks/bad.vmdk`, 0), "InvalidArgument", { invalidProperty: "spec.capacityKb" }],
        [() => create(`[${DS}] disks/bad.txt`, 1024), "InvalidDatastorePath"],
        [() => create("disks/bad.vmdk", 1024), "InvalidDatastorePath"],
        [() => create("[nosuchds] bad.vmdk", 1024), "InvalidDatastore"],
        [() => create(`[${DS}] disks/x.vmdk`, 1024), "FileAlreadyExists", { file: `[${DS}] disks/x.vmdk` }],
        [() => create(`[${DS}] nodir/bad.vmdk`, 1024), "FileNotFound"],
        [() => task("CreateVirtualDisk_Task", { name: `[${DS}] disks/bad.vmdk`, spec: { _type: "DeviceBackedVirtualDiskSpec", diskType: "rdm", adapterType: "lsiLogic", device: "/vmfs/devices/disks/naa.1" } }), "NotSupported"],
      ];
      for (const [p, type, fields] of cases) {
        const e = await fault(p());
        expect(e.type).toBe(type);
        if (fields) expect(e.fault).toMatchObject(fields);
      }
      expect(await exists("disks/bad.vmdk")).toBe(false);
      expect(await exists("disks/bad-flat.vmdk")).toBe(false);
    });
  });

  describe("uuid", () => {
    it("returns ddb.uuid as written, and sets it only in hostd's spelling", async () => {
      await create(`[${DS}] disks/u.vmdk`, 1024);
      const uuid = await c.call("QueryVirtualDiskUuid", vdm, { name: `[${DS}] disks/u.vmdk`, datacenter: DC });
      expect(uuid).toBe(ddb(await text("disks/u.vmdk"), "uuid"));

      const mine = "60 00 C2 9e a7 e8 26 9c-7d 20 45 4c 72 2a af 40";
      await c.call("SetVirtualDiskUuid", vdm, { name: `[${DS}] disks/u.vmdk`, uuid: mine });
      expect(await c.call("QueryVirtualDiskUuid", vdm, { name: `[${DS}] disks/u.vmdk` })).toBe(mine);
      expect(ddb(await text("disks/u.vmdk"), "uuid")).toBe(mine);

      for (const bad of ["88c5b9ec-1c4b-427d-b97f-18ca5e40e255", "60 00 C2 9e a7 e8 26 9c 7d 20 45 4c 72 2a af 40", "60 00 C2 9e a7 e8 26-9c 7d 20 45 4c 72 2a af 40", ""]) {
        const e = await fault(c.call("SetVirtualDiskUuid", vdm, { name: `[${DS}] disks/u.vmdk`, uuid: bad }));
        expect([e.type, e.fault.invalidProperty]).toEqual(["InvalidArgument", "uuid"]);
      }
      expect(ddb(await text("disks/u.vmdk"), "uuid")).toBe(mine);
      expect((await fault(c.call("QueryVirtualDiskUuid", vdm, { name: `[${DS}] disks/none.vmdk` }))).type).toBe("FileNotFound");
    });

    it("reports the geometry from the descriptor", async () => {
      expect(await c.call("QueryVirtualDiskGeometry", vdm, { name: `[${DS}] disks/x.vmdk` })).toMatchObject({ cylinder: 5221, head: 255, sector: 63 });
    });
  });

  describe("CopyVirtualDisk_Task", () => {
    it("copies the data into a disk with its own uuid, CID and extent name", async () => {
      await create(`[${DS}] disks/src.vmdk`, 1024 * 1024);
      volume().writeAt("disks/src-flat.vmdk", 300 * 2 ** 20, Buffer.from("boot sector"));
      const before = await free();
      const result = await task("CopyVirtualDisk_Task", {
        sourceName: `[${DS}] disks/src.vmdk`, sourceDatacenter: DC, destName: `[${DS}] copies/dst.vmdk`,
        destSpec: { _type: "VirtualDiskSpec", diskType: "thin", adapterType: "lsiLogic" },
      });
      expect(result).toBe(`[${DS}] copies/dst.vmdk`);
      // one written 1 MiB chunk and a descriptor
      expect(before - (await free())).toBeLessThan(2 ** 20 + 4096);
      const src = await text("disks/src.vmdk");
      const dst = await text("copies/dst.vmdk");
      expect(dst).toContain('RW 2097152 VMFS "dst-flat.vmdk"');
      expect(ddb(dst, "thinProvisioned")).toBe("1");
      expect(ddb(dst, "uuid")).toMatch(/^60 00 C2 9/);
      expect(ddb(dst, "uuid")).not.toBe(ddb(src, "uuid"));
      const cid = /^CID=(\w+)$/m.exec(dst)![1];
      expect(cid).not.toBe("fffffffe");
      expect(ddb(dst, "longContentID")!.endsWith(cid)).toBe(true);
      expect(volume().readRange("copies/dst-flat.vmdk", 300 * 2 ** 20, 300 * 2 ** 20 + 11).toString()).toBe("boot sector");
      expect(await size("copies/dst-flat.vmdk")).toBe(GiB);
    });

    it("assumes preallocated and busLogic without destSpec, and never overwrites (force is ignored)", async () => {
      await task("CopyVirtualDisk_Task", { sourceName: `[${DS}] disks/src.vmdk`, destName: `[${DS}] copies/plain.vmdk` });
      const plain = await text("copies/plain.vmdk");
      expect(ddb(plain, "thinProvisioned")).toBeUndefined();
      expect(ddb(plain, "adapterType")).toBe("buslogic");
      for (const force of [false, true]) {
        const e = await fault(task("CopyVirtualDisk_Task", { sourceName: `[${DS}] disks/src.vmdk`, destName: `[${DS}] copies/dst.vmdk`, force }));
        expect([e.type, e.fault.file]).toEqual(["FileAlreadyExists", `[${DS}] copies/dst.vmdk`]);
      }
      expect((await fault(task("CopyVirtualDisk_Task", { sourceName: `[${DS}] disks/gone.vmdk`, destName: `[${DS}] copies/gone.vmdk` }))).type).toBe("FileNotFound");
      await c.uploadFile(DS, "disks/notes.vmdk", Buffer.from("not a descriptor\n"));
      expect((await fault(task("CopyVirtualDisk_Task", { sourceName: `[${DS}] disks/notes.vmdk`, destName: `[${DS}] copies/notes.vmdk` }))).type).toBe("InvalidDiskFormat");
      expect(await exists("copies/notes.vmdk")).toBe(false);
    });
  });

  describe("MoveVirtualDisk_Task", () => {
    it("renames the descriptor and its extents and rewrites the extent names", async () => {
      await create(`[${DS}] disks/m.vmdk`, 2048);
      volume().writeAt("disks/m-flat.vmdk", 0, Buffer.from("mbr"));
      const uuid = ddb(await text("disks/m.vmdk"), "uuid");
      expect(await task("MoveVirtualDisk_Task", { sourceName: `[${DS}] disks/m.vmdk`, destName: `[${DS}] moved/renamed.vmdk` })).toBe(`[${DS}] moved/renamed.vmdk`);
      expect(await exists("disks/m.vmdk")).toBe(false);
      expect(await exists("disks/m-flat.vmdk")).toBe(false);
      const d = await text("moved/renamed.vmdk");
      expect(d).toContain('RW 4096 VMFS "renamed-flat.vmdk"');
      expect(ddb(d, "uuid")).toBe(uuid);
      expect(volume().readRange("moved/renamed-flat.vmdk", 0, 3).toString()).toBe("mbr");
    });

    it("refuses an existing destination unless forced", async () => {
      await create(`[${DS}] disks/a.vmdk`, 1024);
      await create(`[${DS}] disks/b.vmdk`, 2048);
      const e = await fault(task("MoveVirtualDisk_Task", { sourceName: `[${DS}] disks/a.vmdk`, destName: `[${DS}] disks/b.vmdk` }));
      expect([e.type, e.fault.file]).toEqual(["FileAlreadyExists", `[${DS}] disks/b.vmdk`]);
      expect(await exists("disks/a.vmdk")).toBe(true);
      await task("MoveVirtualDisk_Task", { sourceName: `[${DS}] disks/a.vmdk`, destName: `[${DS}] disks/b.vmdk`, force: true });
      expect(await text("disks/b.vmdk")).toContain('RW 2048 VMFS "b-flat.vmdk"');
      expect(await size("disks/b-flat.vmdk")).toBe(1024 * 1024);
      expect(await exists("disks/a-flat.vmdk")).toBe(false);
      expect((await fault(task("MoveVirtualDisk_Task", { sourceName: `[${DS}] disks/a.vmdk`, destName: `[${DS}] disks/c.vmdk` }))).type).toBe("FileNotFound");
      // not even force lets a disk move onto its own extent
      const own = await fault(task("MoveVirtualDisk_Task", { sourceName: `[${DS}] disks/b.vmdk`, destName: `[${DS}] disks/b-flat.vmdk`, force: true }));
      expect([own.type, own.fault.file]).toEqual(["FileAlreadyExists", `[${DS}] disks/b-flat.vmdk`]);
      expect(await size("disks/b-flat.vmdk")).toBe(1024 * 1024);
    });
  });

  describe("ExtendVirtualDisk_Task", () => {
    it("grows the extent and the descriptor, and refuses to shrink", async () => {
      await create(`[${DS}] disks/grow.vmdk`, 1024 * 1024);
      const before = await free();
      await task("ExtendVirtualDisk_Task", { name: `[${DS}] disks/grow.vmdk`, datacenter: DC, newCapacityKb: 40 * 1024 * 1024 });
      const d = await text("disks/grow.vmdk");
      expect(d).toContain('RW 83886080 VMFS "grow-flat.vmdk"');
      expect(ddb(d, "geometry.cylinders")).toBe("5221");
      expect(await size("disks/grow-flat.vmdk")).toBe(40 * GiB);
      expect(before - (await free())).toBeLessThan(4096);
      const e = await fault(task("ExtendVirtualDisk_Task", { name: `[${DS}] disks/grow.vmdk`, newCapacityKb: 1024 }));
      expect([e.type, e.fault.invalidProperty]).toEqual(["InvalidArgument", "newCapacityKb"]);
      expect(await size("disks/grow-flat.vmdk")).toBe(40 * GiB);
      expect((await fault(task("ExtendVirtualDisk_Task", { name: `[${DS}] disks/nope.vmdk`, newCapacityKb: 2048 }))).type).toBe("FileNotFound");
    });
  });

  describe("DeleteVirtualDisk_Task", () => {
    it("removes the descriptor and its extents, and refuses what is missing or not a disk", async () => {
      await create(`[${DS}] disks/del.vmdk`, 1024);
      await task("DeleteVirtualDisk_Task", { name: `[${DS}] disks/del.vmdk`, datacenter: DC });
      expect(await exists("disks/del.vmdk")).toBe(false);
      expect(await exists("disks/del-flat.vmdk")).toBe(false);
      const e = await fault(task("DeleteVirtualDisk_Task", { name: `[${DS}] disks/del.vmdk` }));
      expect([e.type, e.fault.file]).toEqual(["FileNotFound", `[${DS}] disks/del.vmdk`]);
      expect((await fault(task("DeleteVirtualDisk_Task", { name: `[${DS}] disks/notes.vmdk` }))).type).toBe("InvalidDiskFormat");
      expect(await exists("disks/notes.vmdk")).toBe(true);
      // a 40 GiB extent named as the disk is not read into memory to find out
      expect((await fault(task("DeleteVirtualDisk_Task", { name: `[${DS}] disks/x-flat.vmdk` }))).type).toBe("InvalidDiskFormat");
      expect(await exists("disks/x-flat.vmdk")).toBe(true);
    });
  });

  describe("delta disks", () => {
    const child = (parentCid: string, hint: string) => [
      "# Disk DescriptorFile", "version=1", 'encoding="UTF-8"', "CID=2c3d4e5f", `parentCID=${parentCid}`, 'isNativeSnapshot="no"', 'createType="vmfsSparse"',
      `parentFileNameHint="${hint}"`, "", "# Extent description", 'RW 2097152 VMFSSPARSE "app-delta.vmdk"', "", "# The Disk Data Base", "#DDB", "",
      'ddb.adapterType = "lsilogic"', 'ddb.longContentID = "0000000000000000000000002c3d4e5f"', 'ddb.toolsVersion = "10240"', 'ddb.virtualHWVersion = "11"', "",
    ].join("\n");
    const uploadChild = (parentCid: string, hint: string) => c.uploadFile(DS, "chain/app/app.vmdk", Buffer.from(child(parentCid, hint)));

    beforeAll(async () => {
      await create(`[${DS}] chain/base/base.vmdk`, 1024 * 1024);
      volume().writeAt("chain/base/base-flat.vmdk", 0, Buffer.from("base block 0"));
      volume().writeAt("chain/base/base-flat.vmdk", 5 * 2 ** 20, Buffer.from("base block 5"));
      volume().createSparse("chain/app/app-delta.vmdk", GiB);
      volume().writeAt("chain/app/app-delta.vmdk", 5 * 2 ** 20, Buffer.from("app  block 5"));
    });

    it("copies a child as one flat disk holding what the chain shows, by relative or absolute hint", async () => {
      const uuid = (sim.sim.inventory.get(ds.value) as Datastore).uuid;
      for (const [hint, dest] of [["../base/base.vmdk", "flat1"], [`/vmfs/volumes/${uuid}/chain/base/base.vmdk`, "flat2"]]) {
        await uploadChild("fffffffe", hint);
        await task("CopyVirtualDisk_Task", { sourceName: `[${DS}] chain/app/app.vmdk`, destName: `[${DS}] copies/${dest}.vmdk`, destSpec: { _type: "VirtualDiskSpec", diskType: "thin", adapterType: "lsiLogic" } });
        const d = await text(`copies/${dest}.vmdk`);
        expect(d).toContain("parentCID=ffffffff");
        expect(d).not.toContain("parentFileNameHint");
        expect(d).toContain(`RW 2097152 VMFS "${dest}-flat.vmdk"`);
        // keys the new descriptor does not own come along
        expect(ddb(d, "toolsVersion")).toBe("10240");
        const vol = volume();
        expect(vol.readRange(`copies/${dest}-flat.vmdk`, 0, 12).toString()).toBe("base block 0");
        expect(vol.readRange(`copies/${dest}-flat.vmdk`, 5 * 2 ** 20, 5 * 2 ** 20 + 12).toString()).toBe("app  block 5");
      }
    });

    it("refuses a chain whose parent has a new CID, naming the child", async () => {
      await uploadChild("0badc0de", "../base/base.vmdk");
      const e = await fault(task("CopyVirtualDisk_Task", { sourceName: `[${DS}] chain/app/app.vmdk`, destName: `[${DS}] copies/broken.vmdk` }));
      expect([e.type, e.fault.file]).toEqual(["FileFault", `[${DS}] chain/app/app.vmdk`]);
      expect(e.message).toMatch(/content ID of the parent virtual disk does not match/);
      expect(await exists("copies/broken.vmdk")).toBe(false);

      await uploadChild("fffffffe", "../gone/gone.vmdk");
      const missing = await fault(task("CopyVirtualDisk_Task", { sourceName: `[${DS}] chain/app/app.vmdk`, destName: `[${DS}] copies/broken.vmdk` }));
      expect([missing.type, missing.fault.file]).toEqual(["FileNotFound", `[${DS}] chain/gone/gone.vmdk`]);
    });

    it("refuses to extend a child, and keeps a moved child pointing at its parent", async () => {
      await uploadChild("fffffffe", "../base/base.vmdk");
      const e = await fault(task("ExtendVirtualDisk_Task", { name: `[${DS}] chain/app/app.vmdk`, newCapacityKb: 4 * 1024 * 1024 }));
      expect(e.type).toBe("NotSupported");

      await task("MoveVirtualDisk_Task", { sourceName: `[${DS}] chain/app/app.vmdk`, destName: `[${DS}] chain/base/app2.vmdk` });
      const moved = await text("chain/base/app2.vmdk");
      expect(moved).toContain('parentFileNameHint="base.vmdk"');
      expect(moved).toContain('RW 2097152 VMFSSPARSE "app2-delta.vmdk"');
      await task("CopyVirtualDisk_Task", { sourceName: `[${DS}] chain/base/app2.vmdk`, destName: `[${DS}] copies/flat3.vmdk` });
      expect(volume().readRange("copies/flat3-flat.vmdk", 5 * 2 ** 20, 5 * 2 ** 20 + 12).toString()).toBe("app  block 5");
    });
  });
});

describe("VirtualDiskManager across datastores", () => {
  const scenario = parseScenario(`model: esx
credentials: { username: root, password: two-pw }
host:
  name: two.local
datastores:
  - name: ssd
    capacity: 100GiB
  - name: small
    capacity: 64MiB
`, "two.yaml", "two");
  let sim: RunningSimulator;
  let c: VimClient;
  let vdm: ManagedObjectReference;
  const task = async (method: string, args: Record<string, unknown>) => c.waitForTask((await c.call(method, vdm, args)) as ManagedObjectReference);
  const store = (name: string) => (sim.sim.inventory.ofType("Datastore") as Datastore[]).find((d) => d.name === name)!;

  beforeAll(async () => {
    sim = await startSimulator({ scenario });
    c = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
    vdm = c.content.virtualDiskManager as ManagedObjectReference;
  });
  afterAll(async () => {
    await c?.logout();
    await sim?.close();
  });

  it("moves a disk and its written data to another datastore, and refuses one that does not fit", async () => {
    await task("CreateVirtualDisk_Task", { name: "[ssd] d.vmdk", spec: { _type: "FileBackedVirtualDiskSpec", diskType: "thin", adapterType: "lsiLogic", capacityKb: 1024 * 1024 } });
    store("ssd").volume.writeAt("d-flat.vmdk", 2 ** 20, Buffer.from("payload"));
    await task("MoveVirtualDisk_Task", { sourceName: "[ssd] d.vmdk", destName: "[small] e.vmdk" });
    expect(store("ssd").volume.exists("d.vmdk") || store("ssd").volume.exists("d-flat.vmdk")).toBe(false);
    expect(store("small").volume.readFile("e.vmdk").toString()).toContain('RW 2097152 VMFS "e-flat.vmdk"');
    expect(store("small").volume.readRange("e-flat.vmdk", 2 ** 20, 2 ** 20 + 7).toString()).toBe("payload");

    // 100 written MiB cannot land on a 64 MiB datastore; the source stays whole
    await task("CreateVirtualDisk_Task", { name: "[ssd] big.vmdk", spec: { _type: "FileBackedVirtualDiskSpec", diskType: "thin", adapterType: "lsiLogic", capacityKb: 1024 * 1024 } });
    store("ssd").volume.writeAt("big-flat.vmdk", 0, Buffer.alloc(100 * 2 ** 20, 1));
    const e = await fault(task("MoveVirtualDisk_Task", { sourceName: "[ssd] big.vmdk", destName: "[small] big.vmdk" }));
    expect([e.type, e.fault.datastore]).toEqual(["NoDiskSpace", "small"]);
    expect(store("ssd").volume.exists("big-flat.vmdk") && store("ssd").volume.exists("big.vmdk")).toBe(true);
    expect(store("small").volume.exists("big.vmdk") || store("small").volume.exists("big-flat.vmdk")).toBe(false);
    const copy = await fault(task("CopyVirtualDisk_Task", { sourceName: "[ssd] big.vmdk", destName: "[small] big.vmdk", destSpec: { _type: "VirtualDiskSpec", diskType: "thin", adapterType: "lsiLogic" } }));
    expect(copy.type).toBe("NoDiskSpace");
    expect(store("small").volume.exists("big.vmdk") || store("small").volume.exists("big-flat.vmdk")).toBe(false);
  });
});

describe("VirtualDiskManager on vCenter", () => {
  it("wants a datacenter for a datastore path", async () => {
    const sim = await startSimulator({ scenario: "vcenter-cluster" });
    const c = await VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
    try {
      const vdm = c.content.virtualDiskManager as ManagedObjectReference;
      const t = (await c.call("CreateVirtualDisk_Task", vdm, {
        name: "[shared-ds] x.vmdk", spec: { _type: "FileBackedVirtualDiskSpec", diskType: "thin", adapterType: "lsiLogic", capacityKb: 1024 },
      })) as ManagedObjectReference;
      const e = await fault(c.waitForTask(t));
      expect([e.type, e.fault.invalidProperty]).toEqual(["InvalidArgument", "datacenter"]);
    } finally {
      await c.logout();
      await sim.close();
    }
  });
});
