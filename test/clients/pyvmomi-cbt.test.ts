// pyVmomi: changed block tracking as a backup application drives it
// (ReconfigVM_Task changeTrackingEnabled, snapshot changeIds,
// QueryChangedDiskAreas with "*" and with a changeId), and the files ESXi
// keeps for it (-ctk.vmdk, changeTrackPath, scsiX:Y.ctkEnabled).
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

const KB64 = 65536, MB = 1048576, DISK = 4 * MB;

describe("pyvmomi: changed block tracking", () => {
  it.each(["homelab", "vcenter-cluster"])("answers a backup's full and incremental queries (%s)", async (scenario) => {
    const out = await runPyvmomi("pyvmomi_cbt.py", scenario);
    expect(out.untracked).toEqual({ changeId: null, query: "FileFault" });
    expect(out.enabled).toEqual({
      flag: true, changeId: true, vmx: ['scsi0:0.ctkEnabled = "TRUE"', 'ctkEnabled = "TRUE"'],
      descriptor: ["# Change Tracking File", 'changeTrackPath="backed-up-ctk.vmdk"'], ctkFile: 200, layoutEx: ["diskExtent"],
    });
    // the PUT wrote a plain extent of 1 MiB + 64 KiB: all of it is in use; changed are the two written blocks
    expect(out.full).toEqual({
      inUse: { start: 0, length: DISK, areas: [[0, MB + KB64]] },
      sinceEnabled: { start: 0, length: DISK, areas: [[0, KB64], [MB, KB64]] },
      newId: true, sameHistory: true,
    });
    expect(out.incremental).toEqual({
      since1: { start: 0, length: DISK, areas: [[MB, KB64], [2 * MB, KB64]] },
      since0: { start: 0, length: DISK, areas: [[0, KB64], [MB, KB64], [2 * MB, KB64]] },
      from1M: { start: MB + KB64, length: DISK - MB - KB64, areas: [[2 * MB, KB64]] },
    });
    expect(out.delta).toEqual({ ctk: 200, since2: { start: 0, length: DISK, areas: [[3 * MB, KB64]] }, s2Unchanged: [[MB, KB64], [2 * MB, KB64]], inUse: [[0, 3 * MB + KB64]] });
    expect(out.powerOff).toEqual({ now: [] });
    expect(out.bad).toEqual({ garbage: "InvalidArgument", future: "InvalidArgument", offset: "InvalidArgument", device: "NotFound", running: "InvalidPowerState", runningSnapshot: [[3 * MB, KB64]] });
    expect(out.revert).toEqual({ newHistory: true, oldSnapshot: [[3 * MB, KB64]], now: "InvalidArgument", nowStar: [[0, 2 * MB + KB64]] });
    expect(out.reregistered).toEqual({ flag: true, changeId: true });
    expect(out.removedAll).toEqual({ disk: true, ctkFiles: ["backed-up-ctk.vmdk"], sameHistory: true });
    expect(out.disabled).toEqual({ flag: false, changeId: null, vmx: ['scsi0:0.ctkEnabled = "FALSE"', 'ctkEnabled = "FALSE"'], ctkFile: 404, descriptor: false, query: "FileFault" });
    expect(out.moved).toEqual({ old: 404, new: 200, descriptor: ['changeTrackPath="moved-ctk.vmdk"'], deleted: 404 });
  });
});
