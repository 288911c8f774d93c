// The datastore layer on its own: `[ds] path` parsing, /vmfs/volumes paths,
// and a volume's bookkeeping (capacity, thin files, times, snapshots).
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../simulator/clock.ts";
import { Simulator } from "../../simulator/simulator.ts";
import { loadScenario } from "../../simulator/inventory/scenario-loader.ts";
import { DatastoreVolume, SPARSE_CHUNK } from "../../simulator/datastore/datastore-volume.ts";
import {
  filesystemPath, findDatastore, formatDatastorePath, fromFilesystemPath, parseDatastorePath, resolveDatastorePath, resolveVmxFileName, vmxFileName,
} from "../../simulator/datastore/datastore-path.ts";
import { VimFault } from "../../vim25/soap/index.ts";

function faultOf(fn: () => unknown): VimFault {
  try {
    fn();
  } catch (e) {
    if (e instanceof VimFault) return e;
    throw e;
  }
  throw new Error("expected a fault");
}

describe("datastore paths", () => {
  it("parses and formats `[ds] path`", () => {
    expect(parseDatastorePath("[mydatastore] VCH001/VCH001.vmx")).toEqual({ datastore: "mydatastore", path: "VCH001/VCH001.vmx" });
    expect(parseDatastorePath("[mydatastore]")).toEqual({ datastore: "mydatastore", path: "" });
    expect(parseDatastorePath("[my ds] /a//b/ ")).toEqual({ datastore: "my ds", path: "a/b" });
    expect(parseDatastorePath("[ds]file.iso")).toEqual({ datastore: "ds", path: "file.iso" });
    expect(formatDatastorePath("ds", "a/b")).toBe("[ds] a/b");
    expect(formatDatastorePath("ds", "")).toBe("[ds]");
    for (const bad of ["mydatastore/x", "[] x", "[ds x", "[ds] a/../../etc"]) {
      const f = faultOf(() => parseDatastorePath(bad));
      expect(f.type).toBe("InvalidDatastorePath");
      expect(f.fault.datastorePath).toBe(bad);
    }
  });

  it("resolves names in the datacenter and maps /vmfs/volumes paths both ways", () => {
    const sim = new Simulator(loadScenario("homelab"), { clock: new ManualClock() });
    const ds = findDatastore(sim, "mydatastore");
    expect(faultOf(() => findDatastore(sim, "other")).type).toBe("InvalidDatastore");
    expect(resolveDatastorePath(sim, "[mydatastore] a/b.iso").path).toBe("a/b.iso");
    expect(resolveDatastorePath(sim, "https://esx/folder/a/b%20c.iso?dcPath=ha-datacenter&dsName=mydatastore").datastorePath).toBe("[mydatastore] a/b c.iso");
    expect(filesystemPath(ds, "VCH001/bootstrap.iso")).toBe(`/vmfs/volumes/${ds.uuid}/VCH001/bootstrap.iso`);
    expect(fromFilesystemPath(sim, `/vmfs/volumes/${ds.uuid}/VCH001/bootstrap.iso`)?.datastorePath).toBe("[mydatastore] VCH001/bootstrap.iso");
    expect(fromFilesystemPath(sim, "/vmfs/volumes/mydatastore/x")?.datastore).toBe(ds);
    expect(fromFilesystemPath(sim, "/tmp/x")).toBeUndefined();
    // inside a .vmx: bare names beside it, absolute paths elsewhere (the seed's container VM CD-ROM)
    const vmDir = { datastore: ds, path: "c1" };
    expect(vmxFileName(vmDir, { datastore: ds, path: "c1/c1.vmdk" })).toBe("c1.vmdk");
    expect(vmxFileName(vmDir, { datastore: ds, path: "VCH001/bootstrap.iso" })).toBe(`/vmfs/volumes/${ds.uuid}/VCH001/bootstrap.iso`);
    expect(resolveVmxFileName(sim, vmDir, "c1.vmdk")?.datastorePath).toBe("[mydatastore] c1/c1.vmdk");
    expect(resolveVmxFileName(sim, vmDir, `/vmfs/volumes/${ds.uuid}/VCH001/bootstrap.iso`)?.datastorePath).toBe("[mydatastore] VCH001/bootstrap.iso");
    // every datastore has its own volume, as big as the scenario says
    expect(ds.volume.capacity).toBe(500 * 2 ** 30);
  });
});

describe("DatastoreVolume", () => {
  const make = (capacity = 4 * SPARSE_CHUNK, reservedBytes = 0) => {
    const clock = new ManualClock();
    const usage: number[] = [];
    const vol = new DatastoreVolume({ name: "ds", capacity, reservedBytes, clock, onUsage: (u) => usage.push(u) });
    return { vol, clock, usage };
  };

  it("creates, reads, appends and lists, stamping times from the clock", () => {
    const { vol, clock, usage } = make(1000, 100);
    expect(vol.usedBytes()).toBe(100);
    vol.mkdir("a/b", { parents: true });
    clock.advance(60_000);
    vol.writeFile("a/b/f.txt", Buffer.from("hello"));
    vol.appendFile("a/b/f.txt", Buffer.from(" world"));
    expect(vol.readFile("a/b/f.txt").toString()).toBe("hello world");
    expect(vol.readRange("a/b/f.txt", 6, 100).toString()).toBe("world");
    expect(vol.readdir("a")).toEqual(["b"]);
    expect(vol.stat("a/b/f.txt")).toMatchObject({ isDirectory: false, size: 11, allocated: 11, mtime: clock.now() });
    expect(vol.stat("a/b")?.mtime).toEqual(clock.now());
    expect(usage).toEqual([105, 111]);
    expect(faultOf(() => vol.mkdir("x/y")).type).toBe("FileNotFound");
    expect(faultOf(() => vol.mkdir("a/b/f.txt/z", { parents: true })).type).toBe("CannotCreateFile");
    expect(faultOf(() => vol.writeFile("a/b/f.txt", Buffer.from("x"), { exclusive: true })).type).toBe("FileAlreadyExists");
    expect(faultOf(() => vol.readFile("a")).type).toBe("NotAFile");
    expect(faultOf(() => vol.readdir("a/b/f.txt")).type).toBe("NotADirectory");
    expect(faultOf(() => vol.readFile("../etc/passwd")).type).toBe("InvalidDatastorePath");
  });

  it("refuses what does not fit and keeps the old content", () => {
    const { vol } = make(1000, 100);
    vol.writeFile("f", Buffer.alloc(800, 1));
    const f = faultOf(() => vol.writeFile("f", Buffer.alloc(901)));
    expect(f.type).toBe("NoDiskSpace");
    expect(f.fault).toMatchObject({ datastore: "ds", file: "[ds] f" });
    expect(vol.readFile("f")).toEqual(Buffer.alloc(800, 1));
    expect(faultOf(() => vol.appendFile("f", Buffer.alloc(101))).type).toBe("NoDiskSpace");
    expect(faultOf(() => vol.copy("f", "g")).type).toBe("NoDiskSpace");
    expect(vol.exists("g")).toBe(false);
    vol.writeFile("f", Buffer.alloc(900));
    expect(vol.usedBytes()).toBe(1000);
  });

  it("keeps thin files sparse through writes, moves, copies and resizes", () => {
    const { vol } = make();
    vol.mkdir("d");
    vol.createSparse("d/x-flat.vmdk", 10 * SPARSE_CHUNK);
    expect(vol.usedBytes()).toBe(0);
    vol.writeAt("d/x-flat.vmdk", SPARSE_CHUNK - 2, Buffer.from("abcd"));
    expect(vol.usedBytes()).toBe(2 * SPARSE_CHUNK);
    expect(vol.extents("d/x-flat.vmdk")).toEqual([{ offset: 0, length: SPARSE_CHUNK }, { offset: SPARSE_CHUNK, length: SPARSE_CHUNK }]);
    expect(faultOf(() => vol.writeAt("d/x-flat.vmdk", 5 * SPARSE_CHUNK, Buffer.alloc(3 * SPARSE_CHUNK))).type).toBe("NoDiskSpace");
    expect(vol.readRange("d/x-flat.vmdk", 5 * SPARSE_CHUNK, 5 * SPARSE_CHUNK + 4)).toEqual(Buffer.alloc(4));
    vol.move("d", "e");
    expect(vol.isSparse("e/x-flat.vmdk")).toBe(true);
    expect(vol.readRange("e/x-flat.vmdk", SPARSE_CHUNK - 2, SPARSE_CHUNK + 2).toString()).toBe("abcd");
    expect(faultOf(() => vol.resize("e/x-flat.vmdk", SPARSE_CHUNK)).type).toBe("InvalidArgument");
    vol.resize("e/x-flat.vmdk", 100 * SPARSE_CHUNK);
    expect(vol.stat("e/x-flat.vmdk")).toMatchObject({ size: 100 * SPARSE_CHUNK, allocated: 2 * SPARSE_CHUNK });
    vol.copy("e/x-flat.vmdk", "copy-flat.vmdk");
    expect(vol.usedBytes()).toBe(4 * SPARSE_CHUNK);
    vol.writeFile("e/x-flat.vmdk", Buffer.from("now a plain file"));
    expect(vol.isSparse("e/x-flat.vmdk")).toBe(false);
    vol.delete("e");
    vol.delete("copy-flat.vmdk");
    expect(vol.usedBytes()).toBe(0);
  });

  it("refuses moves into themselves and over existing files unless asked", () => {
    const { vol } = make();
    vol.mkdir("a/b", { parents: true });
    vol.writeFile("a/f", Buffer.from("1"));
    vol.writeFile("g", Buffer.from("2"));
    expect(faultOf(() => vol.move("a", "a/b/a")).type).toBe("CannotCreateFile");
    expect(faultOf(() => vol.move("g", "a/f")).type).toBe("FileAlreadyExists");
    expect(faultOf(() => vol.move("g", "nowhere/g")).type).toBe("FileNotFound");
    vol.move("g", "a/f", { overwrite: true });
    expect(vol.readFile("a/f").toString()).toBe("2");
    expect(vol.usedBytes()).toBe(1);
    expect(faultOf(() => vol.delete("")).type).toBe("CannotDeleteFile");
  });

  it("holds a thick file's whole size from creation, through writes, growth, copies, moves and restores", () => {
    const { vol } = make(8 * SPARSE_CHUNK);
    vol.mkdir("d");
    expect(faultOf(() => vol.createSparse("d/big", vol.capacity + 1, { thick: true })).type).toBe("NoDiskSpace");
    expect(vol.exists("d/big")).toBe(false);
    vol.createSparse("d/t", 2 * SPARSE_CHUNK, { thick: true });
    expect(vol.usedBytes()).toBe(2 * SPARSE_CHUNK);
    vol.writeAt("d/t", 5, Buffer.from("x"));
    expect(vol.usedBytes()).toBe(2 * SPARSE_CHUNK);
    expect(vol.stat("d/t")?.allocated).toBe(2 * SPARSE_CHUNK);
    const snap = vol.snapshot();
    vol.resize("d/t", 3 * SPARSE_CHUNK);
    expect(vol.usedBytes()).toBe(3 * SPARSE_CHUNK);
    vol.copy("d", "e");
    expect(vol.usedBytes()).toBe(6 * SPARSE_CHUNK);
    vol.move("e", "f");
    vol.delete("d");
    expect(vol.usedBytes()).toBe(3 * SPARSE_CHUNK);
    vol.restore(snap);
    expect(vol.readdir("")).toEqual(["d"]);
    expect(vol.usedBytes()).toBe(2 * SPARSE_CHUNK);
    // what a restore brings back is still thick
    vol.resize("d/t", 4 * SPARSE_CHUNK);
    expect(vol.usedBytes()).toBe(4 * SPARSE_CHUNK);
  });

  it("snapshots deeply and restores, usage included", () => {
    const { vol, usage } = make();
    vol.writeFile("a", Buffer.from("one"));
    vol.createSparse("s", 3 * SPARSE_CHUNK);
    vol.writeAt("s", 0, Buffer.from("zz"));
    const snap = vol.snapshot();
    vol.writeFile("a", Buffer.from("changed"));
    vol.writeAt("s", 0, Buffer.from("yy"));
    vol.writeFile("b", Buffer.from("new"));
    vol.restore(snap);
    expect(vol.readdir("")).toEqual(["a", "s"]);
    expect(vol.readFile("a").toString()).toBe("one");
    expect(vol.readRange("s", 0, 2).toString()).toBe("zz");
    expect(vol.usedBytes()).toBe(3 + SPARSE_CHUNK);
    expect(usage.at(-1)).toBe(3 + SPARSE_CHUNK);
    // the snapshot survives changes after a restore
    vol.writeAt("s", 0, Buffer.from("qq"));
    vol.restore(snap);
    expect(vol.readRange("s", 0, 2).toString()).toBe("zz");
  });
});
