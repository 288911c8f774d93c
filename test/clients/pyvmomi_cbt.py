#!/usr/bin/python3
"""pyVmomi and changed block tracking, as a backup application uses it:
turn tracking on (ReconfigVM_Task changeTrackingEnabled), take a snapshot,
copy what QueryChangedDiskAreas(changeId "*") says is in use, keep the
snapshot's disk changeId, and next time copy only what changed since it.
Writes to the disk are PUTs of its extents over /folder (the simulator's
stand-in for a guest writing blocks). Prints one JSON object.
Usage: pyvmomi_cbt.py HOST PORT USER PASSWORD"""
import json
import re
import sys

from sim_session import Session, attempt, pvscsi_thin_disk, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

KB64 = 65536
MB = 1048576
session = Session(sys.argv)
host, dc, ds, pool = session.placement()
out = {}
vm = wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="backed-up", guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name),
                                                      deviceChange=pvscsi_thin_disk(ds.name, 4096)), pool))


def disk(config):
    return [d for d in config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0]


def extent(file_name, kind):
    return file_name.split("] ", 1)[1].replace(".vmdk", "-%s.vmdk" % kind)


def get(path):
    return session.folder("GET", dc.name, ds.name, path)


def blocks(*pairs):
    """A disk image with 64 KiB of `byte` at each offset, zeros between."""
    end = max(off for off, _ in pairs) + KB64
    data = bytearray(end)
    for off, byte in pairs:
        data[off:off + KB64] = byte * KB64
    return bytes(data)


def areas(snapshot, change_id, start=0):
    info = vm.QueryChangedDiskAreas(snapshot=snapshot, deviceKey=key, startOffset=start, changeId=change_id)
    return {"start": info.startOffset, "length": info.length, "areas": [[a.start, a.length] for a in info.changedArea]}


key = disk(vm.config).key
base = disk(vm.config).backing.fileName
out["untracked"] = {"changeId": disk(vm.config).backing.changeId, "query": attempt(lambda: vm.QueryChangedDiskAreas(deviceKey=key, startOffset=0, changeId="*"))}

wait(vm.ReconfigVM_Task(vim.vm.ConfigSpec(changeTrackingEnabled=True)))
cid0 = disk(vm.config).backing.changeId
vmx = session.vmx(vm, dc.name)
descriptor = get(base.split("] ", 1)[1])[1].decode()
out["enabled"] = {
    "flag": vm.config.changeTrackingEnabled, "changeId": bool(re.match(r"^52( [0-9a-f]{2}){7}-[0-9a-f]{2}( [0-9a-f]{2}){7}/\d+$", cid0 or "")),
    "vmx": [l for l in vmx.splitlines() if "ctkEnabled" in l],
    "descriptor": [l for l in descriptor.splitlines() if "changeTrack" in l or "Change Tracking" in l],
    "ctkFile": get(extent(base, "ctk"))[0],
    "layoutEx": sorted(f.type for f in vm.layoutEx.file if f.name.endswith("-ctk.vmdk")),
}

# the guest writes 64 KiB at 0 and at 1 MiB; a full backup reads what is in use
session.folder("PUT", dc.name, ds.name, extent(base, "flat"), blocks((0, b"A"), (MB, b"B")))
s1 = wait(vm.CreateSnapshot_Task("backup-1", None, False, False))
cid1 = disk(s1.config).backing.changeId
out["full"] = {"inUse": areas(s1, "*"), "sinceEnabled": areas(s1, cid0), "newId": cid1 != cid0, "sameHistory": cid1.split("/")[0] == cid0.split("/")[0]}
wait(s1.RemoveSnapshot_Task(removeChildren=False))

# then it rewrites the block at 1 MiB and writes one at 2 MiB; block 0 stays
session.folder("PUT", dc.name, ds.name, extent(base, "flat"), blocks((0, b"A"), (MB, b"C"), (2 * MB, b"D")))
s2 = wait(vm.CreateSnapshot_Task("backup-2", None, False, False))
cid2 = disk(s2.config).backing.changeId
out["incremental"] = {"since1": areas(s2, cid1), "since0": areas(s2, cid0), "from1M": areas(s2, cid1, MB + KB64)}

# with the snapshot kept, the guest writes into the delta: 64 KiB at 3 MiB
delta = disk(vm.config).backing.fileName
session.folder("PUT", dc.name, ds.name, extent(delta, "delta"), blocks((3 * MB, b"E")))
s3 = wait(vm.CreateSnapshot_Task("backup-3", None, False, False))
cid3 = disk(s3.config).backing.changeId
out["delta"] = {"ctk": get(extent(delta, "ctk"))[0], "since2": areas(s3, cid2), "s2Unchanged": areas(s2, cid1)["areas"], "inUse": areas(s3, "*")["areas"]}
out["powerOff"] = {"now": areas(None, cid3)["areas"]}

out["bad"] = {
    "garbage": attempt(lambda: vm.QueryChangedDiskAreas(snapshot=s3, deviceKey=key, startOffset=0, changeId="not-a-change-id")),
    "future": attempt(lambda: vm.QueryChangedDiskAreas(snapshot=s3, deviceKey=key, startOffset=0, changeId=cid3.split("/")[0] + "/999")),
    "offset": attempt(lambda: vm.QueryChangedDiskAreas(snapshot=s3, deviceKey=key, startOffset=64 * MB, changeId="*")),
    "device": attempt(lambda: vm.QueryChangedDiskAreas(snapshot=s3, deviceKey=4000, startOffset=0, changeId="*")),
}
wait(vm.PowerOnVM_Task())
out["bad"]["running"] = attempt(lambda: vm.QueryChangedDiskAreas(deviceKey=key, startOffset=0, changeId=cid3))
out["bad"]["runningSnapshot"] = areas(s3, cid2)["areas"]
wait(vm.PowerOffVM_Task())

# a revert starts a new history: the old IDs still answer for the old snapshots, not for the disk now
wait(s2.RevertToSnapshot_Task())
now = disk(vm.config).backing.changeId
out["revert"] = {"newHistory": now.split("/")[0] != cid2.split("/")[0], "oldSnapshot": areas(s3, cid2)["areas"], "now": attempt(lambda: vm.QueryChangedDiskAreas(deviceKey=key, startOffset=0, changeId=cid2)),
                 "nowStar": areas(None, "*")["areas"]}

# the tracking files and IDs survive unregistering and registering the VM again
vmx_path = vm.config.files.vmPathName
vm.UnregisterVM()
vm = wait(dc.vmFolder.RegisterVM_Task(path=vmx_path, asTemplate=False, pool=pool))
out["reregistered"] = {"flag": vm.config.changeTrackingEnabled, "changeId": disk(vm.config).backing.changeId == now}

# removing every snapshot folds the deltas and their histories into the base disk
wait(vm.RemoveAllSnapshots_Task())
out["removedAll"] = {"disk": disk(vm.config).backing.fileName == base, "ctkFiles": sorted(f.name.split("/")[-1] for f in vm.layoutEx.file if f.name.endswith("-ctk.vmdk")),
                     "sameHistory": disk(vm.config).backing.changeId.split("/")[0] == now.split("/")[0]}

wait(vm.ReconfigVM_Task(vim.vm.ConfigSpec(changeTrackingEnabled=False)))
vmx = session.vmx(vm, dc.name)
out["disabled"] = {
    "flag": vm.config.changeTrackingEnabled, "changeId": disk(vm.config).backing.changeId,
    "vmx": [l for l in vmx.splitlines() if "ctkEnabled" in l],
    "ctkFile": get(extent(base, "ctk"))[0],
    "descriptor": "changeTrackPath" in get(base.split("] ", 1)[1])[1].decode(),
    "query": attempt(lambda: vm.QueryChangedDiskAreas(deviceKey=key, startOffset=0, changeId="*")),
}
# a tracked disk moved with VirtualDiskManager takes its ctk file along, renamed; deleted, it takes it away
wait(vm.ReconfigVM_Task(vim.vm.ConfigSpec(changeTrackingEnabled=True)))
vm.UnregisterVM()
vdm = session.si.content.virtualDiskManager
folder = base.split("] ", 1)[1].rsplit("/", 1)[0]
moved = "[%s] %s/moved.vmdk" % (ds.name, folder)
wait(vdm.MoveVirtualDisk_Task(sourceName=base, sourceDatacenter=dc, destName=moved, destDatacenter=dc))
movedDescriptor = get(moved.split("] ", 1)[1])[1].decode()
out["moved"] = {"old": get(extent(base, "ctk"))[0], "new": get(extent(moved, "ctk"))[0], "descriptor": [l for l in movedDescriptor.splitlines() if l.startswith("changeTrackPath")]}
wait(vdm.DeleteVirtualDisk_Task(name=moved, datacenter=dc))
out["moved"]["deleted"] = get(extent(moved, "ctk"))[0]
Disconnect(session.si)
print(json.dumps(out))
