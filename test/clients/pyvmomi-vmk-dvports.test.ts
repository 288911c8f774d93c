// pyVmomi on vCenter: a vmkernel NIC on a distributed port holds it. A VM
// NIC on the same static group gets another port, the group cannot shrink
// below it, the port cannot be removed, FetchDVPorts shows the vmk as a
// hostVmknic connectee, MoveDVPort_Task takes the vmk along, and
// RemoveVirtualNic frees the port; /_sim/reset brings the inventory back.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

const VMK = [true, "hostVmknic", "vmk1", "esx1.example.com", "esx1.example.com", true, true];

describe("pyVmomi: vmkernel NICs on distributed ports", () => {
  it("hold their ports against VM NICs, shrinking, removal and moves", async () => {
    expect(await runPyvmomi("pyvmomi_vmk_dvports.py", "vcenter-cluster")).toEqual({
      switch: { hosts: 3, ports: 2 },
      vmk: ["vmk1", true],
      vmNic: [true, true],
      groupFull: "vim.fault.DvsFault",
      shrink: ["vmodl.fault.InvalidArgument", 2],
      removePort: "vim.fault.ResourceInUse",
      fetch: {
        connected: [VMK, [false, "vmVnic", "4000", "vmk-neighbour", "esx1.example.com", true, false]],
        vmkMac: true,
        free: 0,
      },
      move: [null, true, [VMK]],
      moveBack: null,
      afterRemove: [true, "vmVnic"],
      reset: 200,
      afterReset: [["dvs1"], ["vmk0"]],
    });
  }, 180_000);
});
