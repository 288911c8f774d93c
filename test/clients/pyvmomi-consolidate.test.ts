// pyVmomi: RemoveSnapshot_Task with consolidate false leaves a delta that
// runtime.consolidationNeeded reports, EstimateStorageForConsolidateSnapshots_Task
// sizes and ConsolidateVMDisks_Task folds into the base disk.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

describe("pyvmomi: snapshot consolidation", () => {
  it.each(["homelab", "vcenter-cluster"])("folds what a removal left behind (%s)", async (scenario) => {
    const out = await runPyvmomi("pyvmomi_consolidate.py", scenario);
    const ds = scenario === "homelab" ? "mydatastore" : "shared-ds";
    expect(out.before).toEqual({ needed: false, estimate: [] });
    // the delta holds 64 KiB of zeros and the 29 bytes after them
    expect(out.leftBehind).toEqual({ needed: true, summary: true, s2Names: true, estimate: [[ds, 65]] });
    expect(out.consolidated).toEqual({ needed: false, s2Names: true, vmParent: true, bytes: true, deltaGone: [404, 404], estimate: [], snapshots: ["s2"] });
    expect(out.again).toBe(false);
  });
});
