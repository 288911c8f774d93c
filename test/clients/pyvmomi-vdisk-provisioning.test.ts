// pyVmomi: a disk's provisioning through VirtualDiskManager on ESXi 6.0
// (Inflate, EagerZero, ZeroFill, Shrink, Defragment, fragmentation): the
// descriptor and the datastore's free space after, the bytes kept or zeroed,
// a VM's disk backing after inflation, and hostd's faults (FileNotFound,
// InvalidDatastorePath, InvalidDatastore, NoDiskSpace, FileLocked).
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

const flat = (name: string, sectors: number, thin: boolean) =>
  ['createType="vmfs"', `RW ${sectors} VMFS "${name}-flat.vmdk"`, ...(thin ? ['ddb.thinProvisioned = "1"'] : [])];

const PER_METHOD = Object.fromEntries(["inflate", "eagerZero", "zeroFill", "shrink", "defragment"].flatMap((m) => [
  [`${m}Missing`, "vim.fault.FileNotFound"],
  [`${m}BadName`, "vim.fault.InvalidDatastorePath"],
  [`${m}UnknownDatastore`, "vim.fault.InvalidDatastore"],
]));

describe("pyvmomi: virtual disk provisioning (VirtualDiskManager)", () => {
  it("inflates, eagerly zeroes and zero-fills disks on ESXi, with hostd's faults", async () => {
    const out = await runPyvmomi("pyvmomi_vdisk_provisioning.py", "homelab");
    const vmDisk = (thin: boolean) => ({ file: "[mydatastore] inflate-vm/inflate-vm.vmdk", thinProvisioned: thin, eagerlyScrub: !thin });
    expect(out).toEqual({
      emptyBefore: flat("empty", 131072, true),
      // the whole 64 MB counts against the datastore once inflated
      empty: { descriptor: flat("empty", 131072, false), freeSpaceDropMB: 64 },
      upload: 200,
      copy: { descriptor: flat("copy", 8192, false), bytesKept: true },
      data: { descriptor: flat("data", 8192, false), bytesKept: true, size: 4194304 },
      zeroFilled: { size: 4194304, allZero: true, descriptor: flat("data", 8192, false), newCid: true },
      thick: { inflate: null, eagerZero: null, descriptor: flat("thick", 16384, false), freeSpaceDropMB: 0 },
      vmfsSparseOps: { shrink: null, shrinkCopy: null, defragment: null, fragmentation: 0, freeSpaceDropMB: 0 },
      // 600 GB does not fit in 500 GB: refused, the disk still thin and nothing taken
      huge: { descriptor: flat("huge", 1258291200, true), freeSpaceDropMB: 0 },
      vmBefore: vmDisk(true),
      vmRunning: vmDisk(true),
      vmAfter: {
        disk: vmDisk(false),
        descriptorThin: [],
        vmx: ['scsi0:0.deviceType = "scsi-hardDisk"', 'scsi0:0.fileName = "inflate-vm.vmdk"', 'scsi0:0.present = "TRUE"'],
      },
      vmZeroFilled: { contentIdIsCid: true, changed: true },
      faults: {
        inflateNoSpace: "vim.fault.NoDiskSpace",
        eagerZeroThin: "vmodl.fault.NotSupported",
        ...PER_METHOD,
        fragmentationMissing: "FileNotFound",
        inflateNotADisk: "vim.fault.InvalidDiskFormat",
        inflateRunning: "vim.fault.FileLocked",
        eagerZeroRunning: "vim.fault.FileLocked",
        zeroFillRunning: "vim.fault.FileLocked",
        shrinkRunning: "vim.fault.FileLocked",
      },
    });
  }, 120_000);
});
