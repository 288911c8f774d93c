// pyVmomi: the rest of a host's storage management (VMFS unmount/mount,
// unmap, upgrade, extents, unresolved volumes, software iSCSI, multipathing,
// locator LEDs, NFS Kerberos users, FCoE, VFFS, the datastore principal) on
// ESXi 6.0, a vCenter cluster and an ESXi 6.7 host with a flash disk, their
// faults, and /_sim/reset (and an in-process snapshot restore) bringing it
// all back.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { runPyvmomi } from "./pyvmomi-run.ts";
import type { HostStorageSystem } from "../../simulator/objects/host-storage-system.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

const TWO_DISKS = fileURLToPath(new URL("./vmfs-two-disks.yaml", import.meta.url));

function expected(opts: { vc: boolean; api67: boolean }) {
  const { vc, api67 } = opts;
  // on vCenter the other hosts still mount the shared datastore: it stays accessible
  const unmounted = [false, false, vc, false, false];
  const up = [true, true, true, true, true];
  return {
    vmfsMount: [
      ["unmount", "ok", unmounted],
      ["hostConfig", [false], true],
      ["unmountAgain", "InvalidState"],
      ["unmountUnknown", "NotFound"],
      ["deleteStateUnmounted", "ok"],
      ["mount", "ok", up],
      ["mountAgain", "InvalidState"],
      ["deleteStateMounted", "HostConfigFault"],
      ["unmountEx", [[true, null], [false, "NotFound"]], unmounted],
      ["unmapUnmounted", "InvalidState"],
      ["mountEx", [null, "InvalidState"], up],
      ["unmap", null],
      ["unmountWithVm", "ResourceInUse", up],
      ["unmountExWithVm", ["ResourceInUse"]],
    ],
    vmfsOps: [
      ["upgrade5", "HostConfigFault"],
      ["upgradeUnknown", "NotFound"],
      ["upgradeLayout", "ok"],
      ["attachBlank", "HostConfigFault"],
      ["attach", "ok", 2 * 1024 ** 3, 2],
      ["attachAgain", "HostConfigFault"],
      ["attachUnknownVolume", "NotFound"],
      ["resizeInfo", [[1, 2048, 8390655, "vmfs"]]],
      ["resizeTooBig", "HostConfigFault"],
      ["resizeUnknown", "NotFound"],
      ["expand", "ok", true],
      ["expandFull", "HostConfigFault"],
      ["expandNotExtent", "HostConfigFault"],
      ...(api67 ? [
        ["priorityVmfs5", 5, "InvalidArgument"],
        ["priority", "ok", 6, "none"],
        ["priorityBad", "InvalidArgument", "InvalidArgument"],
        ["configOption", [[1024, [1024], [100, 2000]]]],
        ["bandwidth", "ok", ["fixed", 500]],
        ["bandwidthBad", "InvalidArgument", 500],
      ] : []),
    ],
    unresolved: [
      ["query", 0, 0],
      ["resolve", "HostConfigFault"],
      ["resolveEx", "vim.fault.HostConfigFault"],
      ["resignature", "vim.fault.HostConfigFault"],
      ["unmountForce", "HostConfigFault", "NotFound"],
      ["local", "NotSupported", false],
      ["vvol", "NotFound", "InvalidName"],
      ["principalNotMaint", "InvalidState", "root"],
      // the vCenter scenario does not model its hosts' local accounts
      ["principalUnknown", vc ? "ok" : "HostConfigFault"],
      ["principal", "ok", vc ? "vpxuser" : "dcui"],
    ],
    iscsi: [
      ["off", false, true],
      ["enable", "ok", true, true],
      ["hba", ["vmhba64", "iscsi_vmk", true, "iSCSI Software Adapter", true, 8], ["key-vim.host.InternetScsiHba-vmhba64"]],
      ["enableAgain", "ok", 1],
      ["name", "ok", "iqn.2020-01.com.example:esx"],
      ["nameBad", "InvalidArgument"],
      ["nameUnknownHba", "NotFound"],
      ["alias", "ok", "esx-iscsi"],
      ["discovery", "ok", false],
      ["discoveryIsns", "InvalidArgument"],
      // the CHAP secret is write-only
      ["auth", "ok", [true, "esx", null]],
      ["authBad", "InvalidArgument"],
      ["digest", "ok", "digestRequired"],
      ["options", "ok", [["LoginTimeout", 30]]],
      ["optionsBad", "InvalidArgument"],
      ["ip", "ok", "10.0.0.50"],
      ["ipBad", "InvalidArgument"],
      ["addSend", "ok", [["10.0.0.10", 3260], ["san.example.com", 3261]]],
      ["addSendAgain", "ok", 2],
      ["addSendBad", "InvalidArgument"],
      ["addSendUnknownHba", "NotFound"],
      ["addStatic", "ok", [["10.0.0.11", 3260, "iqn.2005-10.org.freenas.ctl:lun0", "staticMethod"]]],
      ["addStaticNoName", "InvalidArgument"],
      ["targetDigest", "ok", "digestPreferred"],
      ["targetDigestUnknown", "NotFound"],
      // the targets expose no LUNs
      ["rescan", "ok", true],
      ["removeStatic", "ok", 0],
      ["removeStaticAgain", "NotFound"],
      ["removeSend", "ok", ["san.example.com"]],
      ["markForRemoval", "ok", "NotFound"],
      ["fcoe", "HostConfigFault", "NotFound"],
    ],
    multipath: [
      ["disable", "ok", "disabled", "disabled", "disabled"],
      ["enable", "ok", "active"],
      ["unknownPath", "NotFound"],
      ["rr", "ok", "VMW_PSP_RR"],
      ["fixed", "ok", ["vim.host.MultipathInfo.FixedLogicalUnitPolicy", true]],
      ["badPolicy", "InvalidArgument"],
      ["badPrefer", "InvalidArgument"],
      ["unknownLun", "NotFound"],
      ["psp", ["VMW_PSP_MRU", "VMW_PSP_RR", "VMW_PSP_FIXED"]],
      ["satp", true],
      ["ledOn", [[true, null], [false, "NotFound"]]],
      ["ledOff", [[true, null]]],
    ],
    nfs: [
      ["none", true],
      ["changeNone", "NotFound"],
      ["set", "ok", "nfsuser@EXAMPLE.COM"],
      ["setEmpty", "InvalidArgument"],
      ["change", "ok"],
      ["clear", "ok", true],
    ],
    vffs: api67 ? [
      ["ssds", [true]],
      ["formatHdd", "HostConfigFault"],
      ["format", ["vim.host.VffsVolume", "VFFS", "flash", 1, true, [true]]],
      ["formatAgain", "AlreadyExists"],
      ["listed", [["VFFS", true]], 0],
      ["availableFor", 0, "NotFound"],
      ["vmfsOnVffsDisk", 0],
      ["unmount", "ok", "InvalidState", [false]],
      ["deleteState", "ok"],
      ["mount", "ok", "NotFound"],
      ["rescan", "ok"],
      ["extendHdd", "HostConfigFault"],
      ["destroy", "ok", [], 1],
      ["destroyAgain", "NotFound"],
    ] : [["ssds", []], ["formatHdd", "HostConfigFault"]],
    // no software adapter, paths active, default policy, no NFS user, no VFFS volume, the VMFS volume mounted on its one extent, root again
    reset: [200, false, ["vmhba0", "vmhba1"], api67 ? ["active", "active", "active"] : ["active", "active"], "VMW_PSP_FIXED", true, ["VMFS"], [true, true], 1, "root"],
  };
}

describe("pyvmomi: VMFS volume operations, software iSCSI, multipathing and VFFS", () => {
  it("serves them on ESXi 6.0", async () => {
    expect(await runPyvmomi("pyvmomi_host_storage_ops.py", "homelab")).toEqual(expected({ vc: false, api67: false }));
  });

  it("serves them on a host of a vCenter cluster", async () => {
    expect(await runPyvmomi("pyvmomi_host_storage_ops.py", "vcenter-cluster")).toEqual(expected({ vc: true, api67: false }));
  });

  it("serves VMFS 6 unmap settings and VFFS on an ESXi 6.7 host with a flash disk", async () => {
    expect(await runPyvmomi("pyvmomi_host_storage_ops.py", TWO_DISKS)).toEqual(expected({ vc: false, api67: true }));
  });

  it("restores the iSCSI adapter, paths, policies, NFS user, VFFS and VMFS mounts with a snapshot", async () => {
    const sim = await startSimulator({ scenario: TWO_DISKS });
    try {
      const host = sim.sim.inventory.ofType("HostSystem")[0];
      const cm = host.props.configManager as Record<string, ManagedObjectReference>;
      const storage = sim.sim.inventory.get(cm.storageSystem.value) as HostStorageSystem;
      const info = () => storage.props.storageDeviceInfo as { hostBusAdapter: { device: string; configuredSendTarget?: unknown[] }[]; multipathInfo: { lun: { id: string; policy: { policy: string } }[] }; scsiLun: { ssd: boolean; devicePath: string }[] };
      const ds = sim.sim.inventory.get((host.props.datastore as ManagedObjectReference[])[0].value)!;
      const uuid = (ds.props.info as { vmfs: { uuid: string } }).vmfs.uuid;
      const state = () => ({
        hbas: info().hostBusAdapter.map((h) => [h.device, h.configuredSendTarget?.length ?? null]),
        hostIscsi: (host.props.config as { storageDevice: { softwareInternetScsiEnabled: boolean } }).storageDevice.softwareInternetScsiEnabled,
        paths: (storage.props.multipathStateInfo as { path: { pathState: string }[] }).path.map((p) => p.pathState),
        policy: info().multipathInfo.lun[0].policy.policy,
        nfsUser: storage.QueryNFSUser({}) ?? null,
        volumes: (storage.props.fileSystemVolumeInfo as { mountInfo: { volume: { type: string }; mountInfo: { mounted: boolean } }[] }).mountInfo.map((m) => [m.volume.type, m.mountInfo.mounted]),
      });
      const before = state();
      const snap = sim.snapshot();
      storage.UpdateSoftwareInternetScsiEnabled({ enabled: true });
      storage.AddInternetScsiSendTargets({ iScsiHbaDevice: "vmhba64", targets: [{ _type: "HostInternetScsiHbaSendTarget", address: "10.0.0.10" }] });
      storage.DisableMultipathPath({ pathName: "vmhba0:C0:T0:L0" });
      storage.SetMultipathLunPolicy({ lunId: info().multipathInfo.lun[0].id, policy: { _type: "HostMultipathInfoLogicalUnitPolicy", policy: "VMW_PSP_RR" } });
      storage.SetNFSUser({ user: "nfs@EXAMPLE.COM", password: "x" });
      storage.FormatVffs({ createSpec: { _type: "HostVffsSpec", devicePath: info().scsiLun.find((l) => l.ssd)!.devicePath, majorVersion: 1, volumeName: "flash" } });
      storage.UnmountVmfsVolume({ vmfsUuid: uuid });
      expect(state()).toEqual({
        hbas: [["vmhba0", null], ["vmhba1", null], ["vmhba64", 1]], hostIscsi: true, paths: ["disabled", "active", "active"], policy: "VMW_PSP_RR",
        nfsUser: { _type: "HostNasVolumeUserInfo", user: "nfs@EXAMPLE.COM" }, volumes: [["VMFS", false], ["VFFS", true]],
      });
      sim.restore(snap);
      expect(before).toEqual({ hbas: [["vmhba0", null], ["vmhba1", null]], hostIscsi: false, paths: ["active", "active", "active"], policy: "VMW_PSP_FIXED", nfsUser: null, volumes: [["VMFS", true]] });
      expect(state()).toEqual(before);
    } finally {
      await sim.close();
    }
  });
});
