import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  GUEST_MANIFEST_PATH, IsoFormatError, IsoImage, SECTOR, buildGuestIso, buildIso, readGuestManifest, readIso, type IsoFileInput,
} from "../../formats/iso9660.ts";

const tmp = mkdtempSync(join(tmpdir(), "iso9660-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const NOW = new Date("2024-05-06T07:08:09Z");
const TETHER = Buffer.alloc(5000, 0x7f);

function sample(): IsoFileInput[] {
  return [
    { path: "/manifest.json", data: Buffer.from('{ "guest": "vic-appliance" }\n') },
    { path: "/sbin/tether", data: TETHER, mtime: new Date("2023-01-02T03:04:05Z") },
    { path: "/lib/modules/4.4.0/vmxnet3.ko", data: Buffer.from("module") },
    { path: "/A Long File Name with Spaces.tar.gz", data: Buffer.from("long") },
    { path: "/Makefile", data: Buffer.from("upper") },
    { path: "/makefile", data: Buffer.from("lower") },
    { path: "/empty", data: Buffer.alloc(0) },
    { path: "README", data: Buffer.from("no leading slash") },
  ];
}

function save(name: string, image: Buffer): string {
  const file = join(tmp, name);
  writeFileSync(file, image);
  return file;
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
}

/** `isoinfo -l`: directory heading -> name -> size */
function isoinfoListing(file: string, joliet = false): Map<string, Map<string, number>> {
  const dirs = new Map<string, Map<string, number>>();
  let current = new Map<string, number>();
  for (const line of run("isoinfo", [...(joliet ? ["-J"] : []), "-l", "-i", file]).split("\n")) {
    const heading = /^Directory listing of (.*)$/.exec(line);
    if (heading) dirs.set(heading[1]!, (current = new Map()));
    const entry = /^[-d]\S{9}\s+\d+\s+\d+\s+\d+\s+(\d+) .*\]  (.*) $/.exec(line);
    if (entry) current.set(entry[2]!, Number(entry[1]));
  }
  return dirs;
}

/** The path table at `which` (140 for L, 148 for M) of the descriptor at `sector`. */
function pathTable(image: Buffer, sector: number, bigEndian: boolean): { id: string; location: number; parent: number }[] {
  const d = image.subarray(sector * SECTOR, (sector + 1) * SECTOR);
  const size = d.readUInt32LE(132);
  let off = (bigEndian ? d.readUInt32BE(148) : d.readUInt32LE(140)) * SECTOR;
  const end = off + size;
  const out = [];
  while (off < end) {
    const len = image[off]!;
    out.push({
      id: image.subarray(off + 8, off + 8 + len).toString("hex"),
      location: bigEndian ? image.readUInt32BE(off + 2) : image.readUInt32LE(off + 2),
      parent: bigEndian ? image.readUInt16BE(off + 6) : image.readUInt16LE(off + 6),
    });
    off += 8 + len + (len & 1);
  }
  return out;
}

/** Byte offset of the record named `id` in the directory at `location` (primary tree). */
function recordOffset(image: Buffer, location: number, id: string): number {
  for (let off = location * SECTOR; image[off]! > 0; off += image[off]!) {
    if (image.toString("latin1", off + 33, off + 33 + image[off + 32]!) === id) return off;
  }
  throw new Error(`no record ${id}`);
}

const rootLocation = (image: Buffer) => image.readUInt32LE(16 * SECTOR + 156 + 2);

describe("buildIso and readIso", () => {
  it("round-trips nested files with their names, sizes and dates", () => {
    const image = buildIso({ volumeId: "vic-appliance", files: sample(), now: NOW });
    const { volumeId, names, files } = readIso(image);
    expect(volumeId).toBe("vic-appliance");
    expect(names).toBe("joliet");
    expect(new Map([...files].map(([path, data]) => [path, data.toString("hex")]))).toEqual(
      new Map(sample().map((f) => [`/${f.path.replace(/^\//, "")}`, Buffer.from(f.data).toString("hex")])),
    );
    const iso = new IsoImage(image);
    expect(iso.stat("/sbin/tether")).toEqual({ path: "/sbin/tether", type: "file", size: 5000, mtime: new Date("2023-01-02T03:04:05Z") });
    expect(iso.stat("lib/modules")).toMatchObject({ type: "directory", mtime: NOW });
    expect(iso.list().filter((e) => e.type === "directory").map((e) => e.path)).toEqual(["/lib", "/sbin", "/lib/modules", "/lib/modules/4.4.0"]);
    expect(iso.read("/sbin/tether").equals(TETHER)).toBe(true);
    expect(() => iso.read("/nope")).toThrow(/no such file/);
    expect(() => iso.read("/sbin")).toThrow(/directory, not a file/);
  });

  it("names the primary tree NAME.EXT;1 in d-characters, sorted as ECMA-119 9.3 says", () => {
    const image = buildIso({ volumeId: "X", files: [...sample(), { path: "/A.B", data: Buffer.from("1") }, { path: "/A_", data: Buffer.from("2") }, { path: "/a", data: Buffer.from("3") }], now: NOW });
    const root = isoinfoListing(save("primary.iso", image)).get("/")!;
    expect([...root.keys()]).toEqual([
      ".", "..", "A.;1", "A.B;1", "A_.;1", "A_LONG_FILE_NAME_WITH_SPACES.GZ;1", "EMPTY.;1", "LIB", "MAKEFILE.;1", "MAKEFILE_1.;1",
      "MANIFEST.JSON;1", "README.;1", "SBIN",
    ]);
    expect(new IsoImage(image, { names: "iso9660" }).read("/SBIN/TETHER").equals(TETHER)).toBe(true);
    expect(() => new IsoImage(image, { names: "rockridge" })).toThrow(/no rockridge names/);
  });

  it("gives the same bytes for the same input, whatever the order of the files", () => {
    const a = buildIso({ volumeId: "vic-appliance", files: sample(), now: NOW });
    const b = buildIso({ volumeId: "vic-appliance", files: sample().reverse(), now: new Date(NOW) });
    expect(a.equals(b)).toBe(true);
    expect(a.equals(buildIso({ volumeId: "vic-appliance", files: sample(), now: new Date(NOW.getTime() + 1000) }))).toBe(false);
  });

  it("lays out the system area, descriptors and matching L and M path tables", () => {
    const image = buildIso({ volumeId: "vic-appliance", files: sample(), now: NOW });
    expect(image.subarray(0, 16 * SECTOR).every((b) => b === 0)).toBe(true);
    const kinds = [16, 17, 18].map((s) => [image[s * SECTOR], image.toString("latin1", s * SECTOR + 1, s * SECTOR + 6)]);
    expect(kinds).toEqual([[1, "CD001"], [2, "CD001"], [255, "CD001"]]);
    expect(image.toString("latin1", 17 * SECTOR + 88, 17 * SECTOR + 91)).toBe("%/E");
    const pvd = image.subarray(16 * SECTOR, 17 * SECTOR);
    expect(pvd.readUInt32LE(80) * SECTOR).toBe(image.length);
    expect(pvd.readUInt16BE(130)).toBe(2048);
    expect(pvd.toString("latin1", 813, 829)).toBe("2024050607080900");
    for (const sector of [16, 17]) {
      const l = pathTable(image, sector, false);
      expect(pathTable(image, sector, true)).toEqual(l);
      expect(l[0]).toEqual({ id: "00", location: rootLocation(image.subarray((sector - 16) * SECTOR)), parent: 1 });
      // each entry points at a directory whose "." record points at itself
      for (const entry of l) expect(image.readUInt32LE(entry.location * SECTOR + 2)).toBe(entry.location);
      expect(l.map((e) => e.parent)).toEqual([...l.map((e) => e.parent)].sort((x, y) => x - y));
    }
    expect(pathTable(image, 16, false).map((e) => Buffer.from(e.id, "hex").toString("latin1"))).toEqual(["\0", "LIB", "SBIN", "MODULES", "4_4_0"]);
    expect(run("isovfy", [save("layout.iso", image)])).toContain("No errors found");
  });

  it("is read by isoinfo: listing with sizes, extraction, volume id, Joliet names", () => {
    const file = save("x.iso", buildIso({ volumeId: "vic-appliance", files: sample(), now: NOW }));
    const listing = isoinfoListing(file);
    expect(listing.get("/SBIN/")!.get("TETHER.;1")).toBe(5000);
    expect(listing.get("/")!.get("MANIFEST.JSON;1")).toBe(sample()[0]!.data.length);
    expect(listing.get("/LIB/MODULES/4_4_0/")!.get("VMXNET3.KO;1")).toBe(6);
    expect(run("isoinfo", ["-x", "/MANIFEST.JSON;1", "-i", file])).toBe('{ "guest": "vic-appliance" }\n');

    const info = run("isoinfo", ["-d", "-i", file]);
    expect(info).toContain("Volume id: vic-appliance");
    expect(info).toContain("Logical block size is: 2048");
    expect(info).toContain("Joliet with UCS level 3 found");

    const joliet = run("isoinfo", ["-J", "-f", "-i", file]).trim().split("\n").sort();
    expect(joliet).toEqual([
      "/A Long File Name with Spaces.tar.gz", "/Makefile", "/README", "/empty", "/lib", "/lib/modules", "/lib/modules/4.4.0",
      "/lib/modules/4.4.0/vmxnet3.ko", "/makefile", "/manifest.json", "/sbin", "/sbin/tether",
    ]);
    expect(isoinfoListing(file, true).get("/")!.get("A Long File Name with Spaces.tar.gz")).toBe(4);
    expect(run("isoinfo", ["-J", "-x", "/Makefile", "-i", file])).toBe("upper");
  });

  it("spreads a large directory over several sectors, no record crossing a boundary", () => {
    const files = Array.from({ length: 300 }, (_, i) => ({ path: `/many/a-rather-long-file-name-number-${i}.txt`, data: Buffer.from(String(i)) }));
    const image = buildIso({ volumeId: "MANY", files, now: NOW });
    expect(readIso(image).files.get("/many/a-rather-long-file-name-number-299.txt")?.toString()).toBe("299");
    const file = save("many.iso", image);
    expect(run("isovfy", [file])).toContain("No errors found");
    expect(isoinfoListing(file).get("/MANY/")!.size).toBe(302);
    expect(run("isoinfo", ["-J", "-f", "-i", file]).trim().split("\n")).toHaveLength(301);
    expect(readIso(buildIso({ volumeId: "EMPTY", files: [], now: NOW })).files.size).toBe(0);
  });

  it("refuses input it cannot write faithfully", () => {
    const file = (path: string) => ({ path, data: Buffer.from("x") });
    const build = (files: IsoFileInput[], volumeId = "V") => () => buildIso({ volumeId, files, now: NOW });
    expect(build([file("/a"), file("a")])).toThrow(/given twice/);
    expect(build([file("/a"), file("/a/b")])).toThrow(/a is a file/);
    expect(build([file("/a/../b")])).toThrow(/'\.\.'/);
    expect(build([file("/a//b")])).toThrow(/empty/);
    expect(build([file("/a")], "x".repeat(33))).toThrow(/volume id/);
    expect(build([file("/a")], "volumé")).toThrow(/volume id/);
    expect(build([file("/what?")])).toThrow(/Joliet forbids/);
    expect(build([file(`/${"n".repeat(104)}`)])).toThrow(/at most 103/);
    expect(build([file("/1/2/3/4/5/6/7/8")])).toThrow(/7 levels/);
    expect(build([{ path: "/a", data: Buffer.from("x"), mtime: new Date("bad") }])).toThrow(/not a valid date/);
    expect(build([{ path: "/a", data: Buffer.from("x"), mtime: new Date("1850-01-01T00:00:00Z") }])).toThrow(/1900 to 2155/);
    // the deepest a file may be, and the longest Joliet name
    expect(build([file("/1/2/3/4/5/6/7"), file(`/${"n".repeat(103)}`)])).not.toThrow();
  });

  it("holds a 50 MiB file", () => {
    const big = Buffer.alloc(50 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i * 2654435761 >>> 0, i);
    const image = buildIso({ volumeId: "BIG", files: [{ path: "/big.bin", data: big }, { path: "/after", data: Buffer.from("after") }], now: NOW });
    const iso = new IsoImage(image);
    expect(iso.read("/big.bin").equals(big)).toBe(true);
    expect(iso.read("/after").toString()).toBe("after");
    const file = save("big.iso", image);
    expect(isoinfoListing(file).get("/")!.get("BIG.BIN;1")).toBe(big.length);
    const extracted = execFileSync("isoinfo", ["-J", "-x", "/big.bin", "-i", file], { maxBuffer: 64 * 1024 * 1024 });
    expect(createHash("sha256").update(extracted).digest("hex")).toBe(createHash("sha256").update(big).digest("hex"));
  });
});

describe("reading images made by genisoimage", () => {
  const LONG = "a-file-name-longer-than-the-sixty-four-characters-joliet-allows-for-one-name.tar.gz";
  const src = join(tmp, "src");
  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(src, path)), { recursive: true });
    writeFileSync(join(src, path), text);
  };
  put("manifest.json", '{"guest":"photon"}');
  put("sbin/tether", "tether binary");
  put(LONG, "long");
  put("MixedCase.Txt", "mixed");
  put("a/b/c/d/e/f/g/h/i/j/deep.txt", "deep"); // deeper than ISO 9660 allows: Rock Ridge relocates it
  symlinkSync("../manifest.json", join(src, "sbin/manifest-link"));

  const genisoimage = (name: string, args: string[]) => {
    const file = join(tmp, name);
    run("genisoimage", ["-quiet", ...args, "-o", file, src]);
    return readFileSync(file);
  };

  it("prefers Rock Ridge names, relocated directories and symbolic links included", () => {
    const image = genisoimage("y.iso", ["-J", "-R", "-V", "PHOTON_1"]);
    const iso = new IsoImage(image);
    expect(iso.names).toBe("rockridge");
    expect(iso.volumeId).toBe("PHOTON_1");
    expect(iso.read(`/${LONG}`).toString()).toBe("long");
    expect(iso.read("/MixedCase.Txt").toString()).toBe("mixed");
    expect(iso.read("/sbin/tether").toString()).toBe("tether binary");
    expect(iso.read("/a/b/c/d/e/f/g/h/i/j/deep.txt").toString()).toBe("deep");
    expect(iso.stat("/sbin/manifest-link")).toMatchObject({ type: "symlink", target: "../manifest.json" });
    expect([...readIso(image).files.keys()].sort()).toEqual([`/${LONG}`, "/MixedCase.Txt", "/a/b/c/d/e/f/g/h/i/j/deep.txt", "/manifest.json", "/sbin/tether"].sort());
    expect(readGuestManifest(image)).toEqual({ guest: "photon" });
    expect(new IsoImage(image, { names: "joliet" }).read("/MixedCase.Txt").toString()).toBe("mixed");
  });

  it("reads Joliet names when there is no Rock Ridge, and bare ISO 9660 names when there is neither", () => {
    const joliet = new IsoImage(genisoimage("j.iso", ["-J", "-joliet-long", "-D"]));
    expect(joliet.names).toBe("joliet");
    expect(joliet.read(`/${LONG}`).toString()).toBe("long");
    expect(joliet.read("/MixedCase.Txt").toString()).toBe("mixed");

    const image = genisoimage("plain.iso", ["-iso-level", "2", "-D"]);
    const plain = new IsoImage(image);
    expect(plain.names).toBe("iso9660");
    expect(plain.read("/SBIN/TETHER").toString()).toBe("tether binary");
    expect(plain.read("/MIXEDCASE.TXT").toString()).toBe("mixed");
    expect(readGuestManifest(image)).toEqual({ guest: "photon" });
  });
});

describe("guest media", () => {
  it("carries a manifest naming the guest program", () => {
    const image = buildGuestIso("vic-appliance", [{ path: "/sbin/tether", data: TETHER }], NOW, { version: "0.4.0" });
    expect(readGuestManifest(image)).toEqual({ guest: "vic-appliance", version: "0.4.0" });
    const file = save("guest.iso", image);
    expect(JSON.parse(run("isoinfo", ["-x", "/MANIFEST.JSON;1", "-i", file]))).toEqual({ guest: "vic-appliance", version: "0.4.0" });
    expect(run("isoinfo", ["-d", "-i", file])).toContain("Volume id: vic-appliance");
    expect(buildGuestIso("vic-appliance", [{ path: "/sbin/tether", data: TETHER }], NOW, { version: "0.4.0" }).equals(image)).toBe(true);
    expect(() => buildGuestIso("x", [{ path: GUEST_MANIFEST_PATH, data: Buffer.from("{}") }], NOW)).toThrow(/written by buildGuestIso/);
    expect(() => buildGuestIso("", [], NOW)).toThrow(/non-empty/);
  });

  it("finds no guest in anything else, without throwing", () => {
    const manifest = (text: string) => buildIso({ volumeId: "X", files: [{ path: "/manifest.json", data: Buffer.from(text) }], now: NOW });
    expect(readGuestManifest(buildIso({ volumeId: "X", files: [{ path: "/sbin/tether", data: TETHER }], now: NOW }))).toBeUndefined();
    expect(readGuestManifest(manifest("{ not json"))).toBeUndefined();
    expect(readGuestManifest(manifest('{ "version": "1" }'))).toBeUndefined();
    expect(readGuestManifest(manifest('{ "guest": 7 }'))).toBeUndefined();
    expect(readGuestManifest(manifest('["vic-appliance"]'))).toBeUndefined();
    expect(readGuestManifest(manifest('\uFEFF{ "guest": "bom" }'))).toEqual({ guest: "bom" });
    expect(readGuestManifest(Buffer.alloc(0))).toBeUndefined();
    expect(readGuestManifest(Buffer.alloc(100_000, 0xff))).toBeUndefined();
    const guest = buildGuestIso("vic-appliance", [{ path: "/sbin/tether", data: TETHER }], NOW);
    expect(readGuestManifest(guest.subarray(0, guest.length - SECTOR))).toBeUndefined();
  });
});

describe("malformed images", () => {
  const good = () => buildIso({ volumeId: "vic-appliance", files: sample(), now: NOW });
  const open = (image: Buffer) => () => new IsoImage(image);

  it("say what is wrong", () => {
    expect(open(Buffer.alloc(0))).toThrow(IsoFormatError);
    expect(open(Buffer.alloc(0))).toThrow(/not an ISO 9660 image: 0 bytes/);
    expect(open(Buffer.alloc(40_000))).toThrow(/no "CD001" volume descriptor at sector 16/);

    const image = good();
    expect(open(image.subarray(0, image.length - 1))).toThrow(/truncated: the volume is \d+ blocks/);
    expect(open(image.subarray(0, 17 * SECTOR))).toThrow(/truncated: the volume descriptor set has no terminator/);

    let bad = Buffer.from(image);
    bad.fill(0, 18 * SECTOR, 19 * SECTOR);
    expect(open(bad)).toThrow(/sector 18 has no "CD001".*not terminated/);

    bad = Buffer.from(image);
    bad[16 * SECTOR] = 3;
    expect(open(bad)).toThrow(/no primary volume descriptor/);

    bad = Buffer.from(image);
    bad.writeUInt16BE(4096, 16 * SECTOR + 130);
    expect(open(bad)).toThrow(/logical block size: the little-endian \(2048\) and big-endian \(4096\) copies differ/);

    bad = Buffer.from(image);
    bad[16 * SECTOR + 156] = 0;
    expect(open(bad)).toThrow(/root directory record is 0 bytes/);

    bad = Buffer.from(image);
    bad.writeUInt32LE(0xfffff, 16 * SECTOR + 156 + 2);
    expect(() => new IsoImage(bad, { names: "iso9660" })).toThrow(/directory \/: extent at block 1048575 .* lies outside the image/);
  });

  it("report directory loops, bad records and data beyond the end", () => {
    const image = good();
    const root = rootLocation(image);

    let bad = Buffer.from(image);
    bad.writeUInt32LE(root, recordOffset(bad, root, "SBIN") + 2);
    expect(() => new IsoImage(bad, { names: "iso9660" })).toThrow(/directory \/SBIN: loops back/);

    bad = Buffer.from(image);
    bad[recordOffset(bad, root, "README.;1")] = 20;
    expect(() => new IsoImage(bad, { names: "iso9660" })).toThrow(/directory \/: record at byte \d+ has a bad length 20/);

    bad = Buffer.from(image);
    const sbin = bad.readUInt32LE(recordOffset(bad, root, "SBIN") + 2);
    bad.writeUInt32LE(image.length / SECTOR + 5, recordOffset(bad, sbin, "TETHER.;1") + 2);
    expect(() => new IsoImage(bad, { names: "iso9660" })).toThrow(/\/SBIN\/TETHER: data at block \d+ \(5000 bytes\) lies beyond the end/);

    bad = Buffer.from(image);
    bad.write("X/Y", recordOffset(bad, root, "README.;1") + 33, "latin1");
    expect(() => new IsoImage(bad, { names: "iso9660" })).toThrow(/bad name "X\/Y/);
  });

  it("never crash or hang on random damage", () => {
    const image = buildGuestIso("vic-appliance", [{ path: "/sbin/tether", data: Buffer.from("t") }, { path: "/etc/hosts", data: Buffer.from("h") }], NOW);
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    // damage where the metadata is (descriptors, path tables, directories),
    // not in the zeros that pad it, with values that make lengths and
    // locations go wrong
    const metadataEnd = image.indexOf(Buffer.from('{\n  "guest"'));
    const targets: number[] = [];
    for (let i = 16 * SECTOR; i < metadataEnd; i++) if (image[i] !== 0 || image[i - 1] !== 0) targets.push(i);
    const values = [0, 1, 2, 33, 34, 0x7f, 0x80, 0xff];
    let opened = 0;
    for (let i = 0; i < 1000; i++) {
      const bad = Buffer.from(image);
      for (let n = 1 + Math.floor(random() * 4); n > 0; n--) {
        bad[targets[Math.floor(random() * targets.length)]!] = random() < 0.5 ? values[Math.floor(random() * values.length)]! : Math.floor(random() * 256);
      }
      try {
        const iso = new IsoImage(bad);
        for (const entry of iso.list()) if (entry.type === "file") iso.read(entry.path);
        opened++;
      } catch (e) {
        expect(e).toBeInstanceOf(IsoFormatError);
      }
      const manifest = readGuestManifest(bad);
      expect(manifest === undefined || typeof manifest.guest === "string").toBe(true);
    }
    expect(opened).toBeGreaterThan(0);
  });
});
