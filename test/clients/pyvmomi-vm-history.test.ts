// pyVmomi: snapshots on a standalone host, clones on vCenter.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

const run = (scenario: string) => runPyvmomi("pyvmomi_vm_history.py", scenario);

describe("pyvmomi: VM history", () => {
  it("snapshots, reverts and removes snapshots on the homelab host; cloning is a vCenter service", async () => {
    const out = await run("homelab");
    expect(out.afterSnapshot).toEqual({ disk: "[mydatastore] history/history-000001.vmdk", current: "first", vmxDisk: ['scsi0:0.fileName = "history-000001.vmdk"'] });
    expect(out.beforeRevert).toEqual(["guestinfo.after", "guestinfo.before"]);
    expect(out.afterRevert.guestinfo).toEqual(["guestinfo.before"]);
    expect(out.afterRevert.vmxHasAfter).toBe(false);
    expect(out.afterRemoveAll).toEqual({ disk: "[mydatastore] history/history.vmdk", base: "[mydatastore] history/history.vmdk", snapshot: true });
    expect(out.clones).toBe("NotSupported");
  });

  it("clones full and linked on vCenter", async () => {
    const out = await run("vcenter-cluster");
    expect(out.clones.full).toEqual({ name: "history-full", disk: "[shared-ds] history-full/history-full.vmdk", uuidDiffers: true });
    expect(out.clones.linked).toMatchObject({ name: "history-linked", disk: "[shared-ds] history-linked/history-000001.vmdk", parent: "[shared-ds] history/history.vmdk", power: "poweredOn" });
  });
});
