// pyVmomi: an OVF export (ExportVm, download of the streamOptimized disk, CreateDescriptor, complete),
// imported again into an equal VM, on ESXi and on vCenter; the faults and an aborted export; a snapshot's
// disks exported while the VM runs (CreateSnapshotEx_Task on 6.7).
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

const run = (scenario: string) => runPyvmomi("pyvmomi_ovf_export.py", scenario);

describe("pyvmomi: OVF export", () => {
  it.each(["homelab", "vcenter-cluster", "vcenter-67"])("exports a powered-off VM, describes it, and imports it again unchanged (%s)", async (scenario) => {
    const out = await run(scenario);
    expect(out.written).toBe(200);
    expect(out.poweredOn).toBe("InvalidPowerState");
    expect(out.lease).toEqual({
      state: "ready", mode: "pushOrGet", entity: true, capacityKB: 32768,
      urls: [[expect.stringMatching(/^\/(vm-)?\d+\/ParaVirtualSCSIController0:0$/), "disk-0.vmdk", true, "disk-0.vmdk", true, true]],
    });
    // a streamOptimized VMDK: compressed grains behind markers, the grain directory at the end, then footer and end of stream;
    // only the three grains that were written are in it
    expect(out.download).toEqual({
      status: 200, size: true, magic: "KDMV", version: 3, flags: "0x30001", capacity: 32 * 1024 * 1024, grain: 128, gdAtEnd: true, footerGd: true,
      markers: [1, 2, 3, 0], createType: true, grainOffsets: [0, 3 * 1024 * 1024, 20 * 1024 * 1024], bytes: true, same: true,
    });
    expect([out.badFile, out.badLease, out.putToExport, out.noCookie]).toEqual([404, 404, 405, 200]);
    expect(out.manifest).toEqual([[true, true, true, true, 32 * 1024 * 1024, 3 * 65536]]);
    expect(out.descriptor).toEqual({ errors: 0, warnings: 0, has: Array(14).fill(true) });
    expect(out.withoutExtraConfigOption).toBe(false);
    expect(out.strayFile).toEqual(["InvalidArgument"]);
    expect(out.descriptorOfHost).toBe("InvalidArgument");
    expect(out.completed).toEqual(["done", 409, "InvalidState"]);
    expect(out.importSpec).toEqual({ errors: [], warnings: [], files: [["exp-src-disk-0.vmdk", true]] });
    expect(out.upload).toBe(200);
    expect(out.source).toEqual({
      guestId: "otherLinux64Guest", cpus: 2, memoryMB: 384, version: scenario === "vcenter-67" ? "vmx-14" : "vmx-11",
      controllers: [["ParaVirtualSCSIController", 0]], disks: [["ParaVirtualSCSIController", 0, 0, 32768]],
      nics: [["VirtualVmxnet3", "VM Network", true]], cdroms: [[1, 0]], guestinfo: [["guestinfo.build", "42"], ["guestinfo.role", "exported"]],
    });
    expect(out.copy).toEqual(out.source);
    expect(out.copyBytes).toBe(true);
    expect(out.aborted).toEqual({ state: "error", error: "RequestCanceled", vm: true, get: 409, bytesStill: true });
    expect(out.deltaWrite).toBe(200);
    expect(out.snapshotExport).toEqual({ state: "done", entity: true, key: true, status: 200, same: true, vmOnDelta: true, vmHasLater: true, quiesceWithoutTools: "vim.fault.ToolsUnavailable", ex: scenario === "vcenter-67" });
  });
});
