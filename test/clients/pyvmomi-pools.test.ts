// pyVmomi: ResourcePool.MoveIntoResourcePool on the homelab host.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

describe("pyvmomi: moving into resource pools", () => {
  it("moves pools and VMs under another pool, keeps the lists, and refuses what cannot move", async () => {
    const out = await runPyvmomi("pyvmomi_pools.py", "homelab");
    expect(out.moved).toEqual(["db", "db", ["cache"], ["pooled"], [], []]);
    expect([out.intoItself, out.root, out.duplicate, out.tooBig]).toEqual(["InvalidArgument", "InvalidArgument", "DuplicateName", "InsufficientResourcesFault"]);
    expect(out.events).toEqual([["ResourcePoolMovedEvent", "web", "db"], ["VmResourcePoolMovedEvent", "web", "db"]]);
  });
});
