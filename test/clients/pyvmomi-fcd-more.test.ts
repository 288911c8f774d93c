// pyVmomi: the rest of the first-class disk API on vCenter 6.7 (associations,
// control flags, tags from the vAPI tagging service, disks from snapshots,
// revert, policies), the ServiceInstance's old vMotion questions, the
// instant clone check and VirtualDiskManager's VVol-only snapshot methods.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

describe("pyvmomi: first-class disks, more, and ServiceInstance leftovers", () => {
  it("answers associations, flags, tags, snapshots and migrations", async () => {
    const out = await runPyvmomi("pyvmomi_fcd_more.py", "vcenter-67");
    expect(out).toEqual({
      associations: [[true, [[true, true]], null], [true, [], null], [true, [], "NotFound"]],
      flags: [[true, false, false], [true, true, true], [false, false, true]],
      flagFaults: ["InvalidArgument", "NotFound"],
      relocateDisabled: "vim.fault.InvalidState",
      tags: { a: [["k8s", "pv"], ["k8s", "retain"]], onPv: [false, true], afterDetach: [["k8s", "pv"]] },
      tagFaults: ["NotFound", "NotFound", "NotFound", "NotFound", "NotFound"],
      fromSnapshot: ["from-snap", 10, true, true],
      fromSnapshotFaults: ["vim.fault.NotFound", "vim.fault.NotFound"],
      // the revert keeps the snapshot reverted to and drops the later one
      reverted: [["one"], true],
      revertFaults: ["vim.fault.NotFound", "vim.fault.NotFound"],
      infraPolicy: [["fcd", "silver"]],
      policyFault: "vim.fault.NotFound",
      vmotion: [["esx1.example.com", ["cpu", "software"]], ["esx2.example.com", ["cpu", "software"]], ["esx3.example.com", ["cpu", "software"]]],
      vmotionFault: "InvalidArgument",
      validateOk: [],
      validateState: [["MigrationErrorEvent", "InvalidPowerState", "worker", "esx2.example.com"]],
      validateFaults: ["InvalidArgument"],
      instantCloneOff: [["InvalidPowerState"]],
      instantCloneOn: [[]],
      instantCloneDup: [["DuplicateName"]],
      vvol: ["InvalidDatastore", "InvalidArgument", "NotFound", "InvalidDatastore", "FileNotFound"],
      reset: 200,
      afterReset: [0, 0],
    });
  });
});
