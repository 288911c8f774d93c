#!/usr/bin/python3
"""pyVmomi changes a disk's provisioning with VirtualDiskManager on ESXi:
create thin disks, write bytes to a flat extent over /folder, inflate
(descriptor, datastore free space, bytes kept), eagerly zero, zero-fill,
shrink and defragment, inflate a VM's disk (refused while the VM runs, its
backing after), and the faults on the way. Prints one JSON object.
Usage: pyvmomi_vdisk_provisioning.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, fault, wait, pvscsi_thin_disk  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
dc = content.rootFolder.childEntity[0]
ds = [d for d in dc.datastore if d.name == "mydatastore"][0]
vdm = content.virtualDiskManager
MB = 1024 * 1024
out = {}
faults = {}


def create(name, kb, disk_type="thin"):
    spec = vim.VirtualDiskManager.FileBackedVirtualDiskSpec(diskType=disk_type, adapterType="lsiLogic", capacityKb=kb)
    return wait(vdm.CreateVirtualDisk_Task("[mydatastore] vdisks/%s.vmdk" % name, dc, spec))


def path(name):
    return "[mydatastore] vdisks/%s.vmdk" % name


def get(rel):
    return session.folder("GET", dc.name, "mydatastore", rel)


def descriptor(name):
    status, body = get("vdisks/%s.vmdk" % name)
    return [l for l in body.decode().splitlines() if l.startswith(("createType", "RW ", "ddb.thinProvisioned"))] if status == 200 else status


def cid(name):
    return [l for l in get("vdisks/%s.vmdk" % name)[1].decode().splitlines() if l.startswith("CID=")][0]


def free():
    return ds.summary.freeSpace


def drop(before):
    """MB the datastore lost since `before` (a rewritten descriptor's few bytes round away)"""
    return round((before - free()) / MB, 3)


content.fileManager.MakeDirectory("[mydatastore] vdisks", dc)

# an empty thin disk: inflating it takes its whole capacity from the datastore
create("empty", 64 * 1024)
before = free()
out["emptyBefore"] = descriptor("empty")
wait(vdm.InflateVirtualDisk_Task(path("empty"), dc))
out["empty"] = {"descriptor": descriptor("empty"), "freeSpaceDropMB": drop(before)}

# a thin disk holding bytes: inflating keeps them, zero-filling makes them zeros
create("data", 4 * 1024)
payload = (b"first-class bytes " * (MB // 32))[:MB // 2] + bytes(3 * MB + MB // 2)
status, _ = session.folder("PUT", dc.name, "mydatastore", "vdisks/data-flat.vmdk", payload)
out["upload"] = status
# a thin copy keeps the bytes in a sparse extent, which inflation turns thick
wait(vdm.CopyVirtualDisk_Task(path("data"), dc, path("copy"), dc,
                              vim.VirtualDiskManager.FileBackedVirtualDiskSpec(diskType="thin", adapterType="lsiLogic")))
wait(vdm.InflateVirtualDisk_Task(path("copy"), dc))
out["copy"] = {"descriptor": descriptor("copy"), "bytesKept": get("vdisks/copy-flat.vmdk")[1] == payload}
wait(vdm.InflateVirtualDisk_Task(path("data"), dc))
status, body = get("vdisks/data-flat.vmdk")
out["data"] = {"descriptor": descriptor("data"), "bytesKept": body == payload, "size": len(body)}
cid_before = cid("data")
wait(vdm.ZeroFillVirtualDisk_Task(path("data"), dc))
status, body = get("vdisks/data-flat.vmdk")
out["zeroFilled"] = {"size": len(body), "allZero": body.count(0) == len(body), "descriptor": descriptor("data"), "newCid": cid("data") != cid_before}

# thick disks: inflate and eager zero change nothing a client sees on the files
create("thick", 8 * 1024, "preallocated")
before = free()
out["thick"] = {"inflate": fault(vdm.InflateVirtualDisk_Task(path("thick"), dc)), "eagerZero": fault(vdm.EagerZeroVirtualDisk_Task(path("thick"), dc)),
                "descriptor": descriptor("thick"), "freeSpaceDropMB": drop(before)}

# shrink, defragment and fragmentation on VMFS disks: success, nothing changes
before = free()
out["vmfsSparseOps"] = {"shrink": fault(vdm.ShrinkVirtualDisk_Task(path("empty"), dc)), "shrinkCopy": fault(vdm.ShrinkVirtualDisk_Task(path("empty"), dc, copy=True)),
                        "defragment": fault(vdm.DefragmentVirtualDisk_Task(path("empty"), dc)),
                        "fragmentation": vdm.QueryVirtualDiskFragmentation(path("empty"), dc), "freeSpaceDropMB": drop(before)}

# inflation that does not fit: NoDiskSpace, and the disk is as it was
create("huge", 600 * 1024 * 1024)
before = free()
faults["inflateNoSpace"] = fault(vdm.InflateVirtualDisk_Task(path("huge"), dc))
out["huge"] = {"descriptor": descriptor("huge"), "freeSpaceDropMB": drop(before)}

create("thin", 1024)
faults["eagerZeroThin"] = fault(vdm.EagerZeroVirtualDisk_Task(path("thin"), dc))
for name, method in [("inflate", vdm.InflateVirtualDisk_Task), ("eagerZero", vdm.EagerZeroVirtualDisk_Task), ("zeroFill", vdm.ZeroFillVirtualDisk_Task),
                     ("shrink", vdm.ShrinkVirtualDisk_Task), ("defragment", vdm.DefragmentVirtualDisk_Task)]:
    faults[name + "Missing"] = fault(method(path("none"), dc))
    faults[name + "BadName"] = fault(method("no datastore path", dc))
    faults[name + "UnknownDatastore"] = fault(method("[nosuchds] vdisks/thin.vmdk", dc))
faults["fragmentationMissing"] = attempt(lambda: vdm.QueryVirtualDiskFragmentation(path("none"), dc))
faults["inflateNotADisk"] = fault(vdm.InflateVirtualDisk_Task("[mydatastore] vdisks/data-flat.vmdk", dc))

# a VM's disk: locked while the VM runs; inflated once it is off, its backing says so
host = dc.hostFolder.childEntity[0]
spec = vim.vm.ConfigSpec(name="inflate-vm", guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[mydatastore]"),
    deviceChange=[
        *pvscsi_thin_disk("mydatastore", 16 * 1024)])
vm = wait(dc.vmFolder.CreateVM_Task(spec, host.resourcePool))


def vm_disk():
    d = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0]
    return {"file": d.backing.fileName, "thinProvisioned": d.backing.thinProvisioned, "eagerlyScrub": d.backing.eagerlyScrub}


disk_file = vm_disk()["file"]
disk_rel = disk_file.split("] ", 1)[1]
out["vmBefore"] = vm_disk()
wait(vm.PowerOnVM_Task())
faults["inflateRunning"] = fault(vdm.InflateVirtualDisk_Task(disk_file, dc))
faults["eagerZeroRunning"] = fault(vdm.EagerZeroVirtualDisk_Task(disk_file, dc))
faults["zeroFillRunning"] = fault(vdm.ZeroFillVirtualDisk_Task(disk_file, dc))
faults["shrinkRunning"] = fault(vdm.ShrinkVirtualDisk_Task(disk_file, dc))
out["vmRunning"] = vm_disk()
wait(vm.PowerOffVM_Task())
wait(vdm.InflateVirtualDisk_Task(disk_file, dc))
status, body = get(disk_rel)
out["vmAfter"] = {"disk": vm_disk(), "descriptorThin": [l for l in body.decode().splitlines() if l.startswith("ddb.thinProvisioned")],
                  "vmx": [l for l in session.vmx(vm, dc.name).splitlines() if l.startswith("scsi0:0.")]}
# zero-filled, the disk has new contents: the VM's backing shows its new content ID
old_content = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0].backing.contentId
wait(vdm.ZeroFillVirtualDisk_Task(disk_file, dc))
new_cid = [l for l in get(disk_rel)[1].decode().splitlines() if l.startswith("CID=")][0][4:]
content_id = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0].backing.contentId
out["vmZeroFilled"] = {"contentIdIsCid": content_id == new_cid, "changed": content_id != old_content}
out["faults"] = faults

Disconnect(si)
print(json.dumps(out))
