// pyVmomi: first-class disks' provisioning and placement on vCenter 6.7
// (InflateDisk_Task, CloneVStorageObject_Task, RelocateVStorageObject_Task):
// free space and descriptor after inflation, an attached VM's backing, a
// clone's new identity and copied bytes, a relocated disk's kept identity,
// and the faults (NotFound, InvalidArgument, InvalidState).
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

const obj = (name: string, capacityInMB: number, datastore: string, provisioningType: string) => ({ name, capacityInMB, datastore, provisioningType, inFcdFolder: true });

describe("pyvmomi: first-class disk provisioning", () => {
  it("inflates, clones and relocates FCDs on vCenter 6.7", async () => {
    const out = await runPyvmomi("pyvmomi_fcd_provisioning.py", "vcenter-67");
    expect(out).toEqual({
      inflated: { obj: obj("empty", 32, "shared-ds", "eagerZeroedThick"), freeSpaceDropMB: 32, thinLine: [] },
      upload: 200,
      clone: { obj: obj("data-clone", 4, "esx4-local", "thin"), newId: true, ownFile: true, bytes: true, listedOnLocal: true },
      cloneHere: { obj: obj("data-thick", 4, "shared-ds", "eagerZeroedThick"), bytes: true, thinLine: [] },
      relocated: {
        obj: obj("data", 4, "esx4-local", "thin"), sameId: true, sameUuid: true, bytes: true, oldFiles: [404, 404], onShared: false, onLocal: true, retrieveOld: "NotFound",
      },
      attachedBefore: { thinProvisioned: true, eagerlyScrub: false, vDiskId: true },
      attachedAfter: { disk: { thinProvisioned: false, eagerlyScrub: true, vDiskId: true }, obj: obj("attached", 8, "shared-ds", "eagerZeroedThick"), thinLine: [] },
      faults: {
        inflateUnknown: "vim.fault.NotFound",
        cloneUnknown: "vim.fault.NotFound",
        cloneNoName: "vmodl.fault.InvalidArgument",
        cloneBadProvisioning: "vmodl.fault.InvalidArgument",
        relocateUnknown: "vim.fault.NotFound",
        relocateAttached: "vim.fault.InvalidState",
        inflateRunning: "vim.fault.InvalidState",
      },
    });
  }, 120_000);
});
