// A volume's snapshots are incremental (a snapshot re-exports, a restore
// rewrites, only what changed since the last one), so they are checked the
// hard way: random changes, snapshots and restores in any order, and after
// every restore the whole tree (data, sizes, times) must read exactly as it
// did when that snapshot was taken.
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../simulator/clock.ts";
import { DatastoreVolume, SPARSE_CHUNK, type VolumeEntry } from "../../simulator/datastore/datastore-volume.ts";
import { VimFault } from "../../vim25/soap/index.ts";

/** A seeded generator, so a failure repeats. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function readable(entries: VolumeEntry[]): unknown[] {
  return entries.map((e) => (e.kind === "file" ? { ...e, data: e.data.toString("hex") } : e.kind === "sparse" ? { ...e, chunks: e.chunks.map(([i, b]) => [i, b.toString("hex")]).sort() } : e));
}

describe("volume snapshots", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`restores every snapshot exactly, seed ${seed}`, () => {
      const clock = new ManualClock();
      const usage: number[] = [];
      const vol = new DatastoreVolume({ name: "ds", capacity: 64 * SPARSE_CHUNK, clock, onUsage: (u) => usage.push(u) });
      const r = rng(seed);
      const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
      const names = ["a", "b", "c"];
      const path = () => Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(names)).join("/");
      const taken: { snap: unknown; tree: unknown[]; used: number }[] = [];
      const ops = [
        () => vol.mkdir(path(), { parents: r() < 0.5 }),
        () => vol.writeFile(path(), Buffer.from(`data ${r()}`)),
        () => vol.appendFile(path(), Buffer.from("+")),
        () => vol.createSparse(path(), Math.floor(r() * 3 * SPARSE_CHUNK)),
        () => vol.writeAt(path(), Math.floor(r() * 2 * SPARSE_CHUNK), Buffer.from("xyz")),
        () => vol.resize(path(), Math.floor(r() * 4 * SPARSE_CHUNK)),
        () => vol.delete(path()),
        () => vol.move(path(), path(), { overwrite: r() < 0.5 }),
        () => vol.copy(path(), path(), { overwrite: r() < 0.5 }),
      ];
      for (let step = 0; step < 400; step++) {
        clock.advance(1000);
        const x = r();
        if (x < 0.1) {
          taken.push({ snap: vol.snapshot(), tree: readable(vol.exportTree("")), used: vol.usedBytes() });
        } else if (x < 0.2 && taken.length) {
          const t = pick(taken);
          vol.restore(t.snap);
          expect(readable(vol.exportTree("")), `step ${step}`).toEqual(t.tree);
          expect(vol.usedBytes()).toBe(t.used);
          expect(usage.at(-1) ?? 0).toBe(t.used);
        } else {
          try {
            pick(ops)();
          } catch (e) {
            // many random operations are refused (no such file, not a directory): only a fault is a fine answer
            if (!(e instanceof VimFault)) throw e;
          }
        }
      }
      expect(taken.length).toBeGreaterThan(10);
    });
  }

  it("restores a snapshot into a volume that never took one, and keeps directory times", () => {
    const clock = new ManualClock();
    const a = new DatastoreVolume({ name: "a", capacity: 1 << 30, clock });
    a.mkdir("d/e", { parents: true });
    clock.advance(5000);
    a.writeFile("d/e/f", Buffer.from("f"));
    const snap = a.snapshot();
    const tree = readable(a.exportTree(""));
    const b = new DatastoreVolume({ name: "b", capacity: 1 << 30, clock });
    clock.advance(5000);
    b.restore(snap);
    expect(readable(b.exportTree(""))).toEqual(tree);
    expect(b.usedBytes()).toBe(1);
  });
});
