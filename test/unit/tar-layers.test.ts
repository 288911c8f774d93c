// tar streams and filesystem layers: our writer read by GNU tar, GNU tar's
// archives read by us, and layers that apply, diff and fold as OCI layers do.
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, linkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readTar, writeTar, isTarHeader, TarFormatError, type TarEntry } from "../../formats/tar.ts";
import { FileTree } from "../../simulator/guest/file-tree.ts";
import { applyLayer, diffLayer, layerFromTar, layerToTar, mergeLayers } from "../../simulator/guest/layers.ts";

const t0 = new Date("2016-08-06T19:50:00Z");
const file = (path: string, data: string, mode = 0o644): TarEntry => ({ path, type: "file", mode, uid: 0, gid: 0, mtime: t0, data: Buffer.from(data) });
const dir = (path: string): TarEntry => ({ path, type: "dir", mode: 0o755, uid: 0, gid: 0, mtime: t0 });

describe("tar", () => {
  const longName = `deep/${"a".repeat(60)}/${"b".repeat(60)}/file-with-a-long-name.txt`;
  const entries: TarEntry[] = [
    dir("bin"), file("bin/busybox", "#!/bin/sh\necho hi\n", 0o755), { path: "bin/sh", type: "symlink", mode: 0o777, uid: 0, gid: 0, mtime: t0, linkname: "busybox" },
    dir("deep"), file(longName, "long"), file("émoji-ünïcode.txt", "u"), file("empty", ""), { ...file("big-uid", "x"), uid: 70000000 },
  ];

  it("writes archives GNU tar lists and extracts, long and non-ASCII names included", () => {
    const d = mkdtempSync(join(tmpdir(), "tar-"));
    writeFileSync(join(d, "a.tar"), writeTar(entries));
    const listing = execFileSync("tar", ["-tvf", join(d, "a.tar")], { encoding: "utf8" });
    expect(listing).toContain("bin/sh -> busybox");
    expect(listing).toContain(longName);
    expect(listing).toContain("émoji-ünïcode.txt");
    mkdirSync(join(d, "x"));
    execFileSync("tar", ["-xf", join(d, "a.tar"), "-C", join(d, "x")]);
    expect(readFileSync(join(d, "x", longName), "utf8")).toBe("long");
    expect(readFileSync(join(d, "x", "bin/sh"), "utf8")).toBe("#!/bin/sh\necho hi\n");
  });

  it("reads back what it wrote", () => {
    const back = readTar(writeTar(entries));
    expect(back.map((e) => [e.path, e.type, e.linkname ?? null, e.data?.toString() ?? null])).toEqual(entries.map((e) => [e.path, e.type, e.linkname ?? null, e.data?.toString() ?? null]));
    expect(back.find((e) => e.path === "bin/busybox")!.mode).toBe(0o755);
    expect(back.find((e) => e.path === "big-uid")!.uid).toBe(70000000);
    expect(back[0].mtime).toEqual(t0);
  });

  it("reads GNU tar's archives: long names, hard links, directories, a zero-padded end", () => {
    const d = mkdtempSync(join(tmpdir(), "tar-"));
    const src = join(d, "src");
    mkdirSync(join(src, "etc", "x".repeat(120)), { recursive: true });
    writeFileSync(join(src, "etc", "x".repeat(120), "conf"), "c=1\n");
    writeFileSync(join(src, "etc", "hosts"), "127.0.0.1 localhost\n");
    linkSync(join(src, "etc", "hosts"), join(src, "etc", "hosts.bak"));
    symlinkSync("hosts", join(src, "etc", "hosts.link"));
    for (const format of ["gnu", "posix"]) {
      const tar = execFileSync("tar", ["--format", format, "-cf", "-", "-C", src, "."]);
      const padded = Buffer.concat([tar, Buffer.alloc(1 << 16)]);
      const got = readTar(padded);
      const byPath = new Map(got.map((e) => [e.path, e]));
      expect(byPath.get(`etc/${"x".repeat(120)}/conf`)?.data?.toString()).toBe("c=1\n");
      expect(byPath.get("etc/hosts.link")).toMatchObject({ type: "symlink", linkname: "hosts" });
      const hard = byPath.get("etc/hosts.bak")!.type === "hardlink" ? byPath.get("etc/hosts.bak")! : byPath.get("etc/hosts")!;
      expect(hard.type).toBe("hardlink");
      const layer = layerFromTar(got);
      expect(layer.entries.get("etc/hosts.bak")).toMatchObject({ type: "file" });
      expect((layer.entries.get("etc/hosts.bak") as { data: Buffer }).data.toString()).toBe("127.0.0.1 localhost\n");
    }
  });

  it("refuses garbage with a clear error, and reads zeros as an empty archive", () => {
    expect(readTar(Buffer.alloc(4096))).toEqual([]);
    const bad = writeTar([file("a", "x")]);
    bad[0] ^= 0xff;
    expect(() => readTar(bad)).toThrow(TarFormatError);
    expect(() => readTar(bad)).toThrow(/bad header checksum at offset 0/);
    const cut = writeTar([file("a", "x".repeat(2000))]).subarray(0, 1024);
    expect(() => readTar(cut)).toThrow(/runs past the end/);
    expect(isTarHeader(writeTar([file("a", "x")]))).toBe(true);
  });
});

describe("layers", () => {
  const tree = (...layers: TarEntry[][]) => {
    const t = new FileTree(() => t0);
    for (const l of layers) applyLayer(t, layerFromTar(l));
    return t;
  };
  const base = [dir("etc"), file("etc/hosts", "h"), file("etc/passwd", "root"), dir("var"), dir("var/cache"), file("var/cache/a", "1"), file("var/cache/b", "2")];

  it("applies whiteouts and opaque directories over the layers below", () => {
    const t = tree(base, [file("etc/.wh.passwd", ""), file("var/cache/.wh..wh..opq", ""), file("var/cache/c", "3"), file("etc/motd", "hello")]);
    expect(t.readdir("/etc")).toEqual(["hosts", "motd"]);
    expect(t.readdir("/var/cache")).toEqual(["c"]);
  });

  it("diffs a changed tree into a layer that reproduces it, with whiteouts for what went", () => {
    const lower = tree(base);
    const upper = lower.clone();
    upper.unlink("/etc/passwd");
    upper.writeFile("/etc/hosts", "h2");
    upper.rm("/var/cache", { recursive: true });
    upper.mkdir("/srv/www", { parents: true });
    upper.symlink("/srv/www", "/www");
    const layer = diffLayer(lower, upper);
    expect([...layer.whiteouts].sort()).toEqual(["etc/passwd", "var/cache"]);
    expect([...layer.entries.keys()].sort()).toEqual(["etc/hosts", "srv", "srv/www", "www"]);
    // the layer as a tar, read back and applied on the lower tree, gives the upper one
    const again = tree(base, readTar(writeTar(layerToTar(layer))));
    expect(again.readdir("/")).toEqual(upper.readdir("/"));
    expect(again.readFile("/etc/hosts").toString()).toBe("h2");
    expect(again.exists("/etc/passwd")).toBe(false);
    expect(again.readdir("/var")).toEqual([]);
    expect(again.stat("/www").type).toBe("dir");
    expect(again.lstat("/www").type).toBe("symlink");
  });

  it("folds a layer into the one below as applying both does (consolidation)", () => {
    const mid = layerFromTar([dir("app"), file("app/v1", "1"), file("etc/.wh.hosts", "")]);
    const top = layerFromTar([file("app/.wh.v1", ""), file("app/v2", "2"), file("var/cache/.wh..wh..opq", "")]);
    const both = tree(base);
    applyLayer(both, mid);
    applyLayer(both, top);
    const folded = tree(base);
    applyLayer(folded, mergeLayers(mid, top));
    for (const p of ["/", "/app", "/etc", "/var/cache"]) expect(folded.readdir(p)).toEqual(both.readdir(p));
  });

  it("has POSIX errors and follows symlinks as a kernel does", () => {
    const t = tree(base);
    t.symlink("etc", "/e");
    expect(t.readFile("/e/hosts").toString()).toBe("h");
    expect(() => t.readFile("/nope")).toThrow(/ENOENT/);
    expect(() => t.readdir("/etc/hosts")).toThrow(/ENOTDIR/);
    expect(() => t.rmdir("/etc")).toThrow(/ENOTEMPTY/);
    expect(() => t.mkdir("/etc")).toThrow(/EEXIST/);
    expect(() => t.readFile("/etc")).toThrow(/EISDIR/);
    t.symlink("/loop", "/loop");
    expect(() => t.readFile("/loop")).toThrow(/ELOOP/);
    t.rename("/etc", "/etc2");
    expect(t.readFile("/etc2/passwd").toString()).toBe("root");
    expect(t.exists("/etc")).toBe(false);
  });
});
