#!/usr/bin/python3
"""pyVmomi changes first-class disks' provisioning and place on vCenter 6.7:
InflateDisk_Task (free space, descriptor, an attached VM's backing),
CloneVStorageObject_Task (a new disk with the source's bytes, here or on
another datastore) and RelocateVStorageObject_Task (same id, files moved),
and the faults on the way. Prints one JSON object.
Usage: pyvmomi_fcd_provisioning.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, fault, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
dc = content.rootFolder.childEntity[0]
m = content.vStorageObjectManager
shared = [d for d in dc.datastore if d.name == "shared-ds"][0]
local = [d for d in dc.datastore if d.name == "esx4-local"][0]
MB = 1024 * 1024
out = {}
faults = {}


def split(path):
    return path[1:].split("] ", 1)


def get(path):
    ds, rel = split(path)
    return session.folder("GET", dc.name, ds, rel)


def flat(path):
    return path.replace(".vmdk", "-flat.vmdk")


def thin_line(path):
    return [l for l in get(path)[1].decode().splitlines() if l.startswith("ddb.thinProvisioned")]


def show(obj):
    c = obj.config
    return {"name": c.name, "capacityInMB": c.capacityInMB, "datastore": c.backing.datastore.name, "provisioningType": c.backing.provisioningType,
            "inFcdFolder": c.backing.filePath.startswith("[%s] fcd/" % c.backing.datastore.name)}


def create(name, mb, ds=shared):
    spec = vim.vslm.CreateSpec(name=name, capacityInMB=mb, backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=ds, provisioningType="thin"))
    return wait(m.CreateDisk_Task(spec))


def ids(ds):
    return sorted(i.id for i in m.ListVStorageObject(ds))


# inflate: the whole capacity counts against the datastore, the descriptor is no longer thin
empty = create("empty", 32)
before = shared.summary.freeSpace
wait(m.InflateDisk_Task(empty.config.id, shared))
after = m.RetrieveVStorageObject(empty.config.id, shared)
out["inflated"] = {"obj": show(after), "freeSpaceDropMB": round((before - shared.summary.freeSpace) / MB, 3), "thinLine": thin_line(after.config.backing.filePath)}
faults["inflateUnknown"] = fault(m.InflateDisk_Task(vim.vslm.ID(id="00000000-0000-0000-0000-000000000000"), shared))

# a disk with bytes, cloned to the other datastore and to this one
data = create("data", 4)
src_path = data.config.backing.filePath
payload = (b"fcd bytes " * MB)[:MB] + bytes(3 * MB)
ds_name, rel = split(flat(src_path))
out["upload"] = session.folder("PUT", dc.name, ds_name, rel, payload)[0]
clone = wait(m.CloneVStorageObject_Task(data.config.id, shared, vim.vslm.CloneSpec(
    name="data-clone", backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=local))))
here = wait(m.CloneVStorageObject_Task(data.config.id, shared, vim.vslm.CloneSpec(
    name="data-thick", backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=shared, provisioningType="eagerZeroedThick"))))
out["clone"] = {"obj": show(clone), "newId": clone.config.id.id != data.config.id.id, "ownFile": clone.config.backing.filePath != src_path,
                "bytes": get(flat(clone.config.backing.filePath))[1] == payload, "listedOnLocal": clone.config.id.id in ids(local)}
out["cloneHere"] = {"obj": show(here), "bytes": get(flat(here.config.backing.filePath))[1] == payload, "thinLine": thin_line(here.config.backing.filePath)}
faults["cloneUnknown"] = fault(m.CloneVStorageObject_Task(vim.vslm.ID(id="00000000-0000-0000-0000-000000000000"), shared, vim.vslm.CloneSpec(
    name="x", backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=shared))))
faults["cloneNoName"] = fault(m.CloneVStorageObject_Task(data.config.id, shared, vim.vslm.CloneSpec(
    name="", backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=shared))))
faults["cloneBadProvisioning"] = fault(m.CloneVStorageObject_Task(data.config.id, shared, vim.vslm.CloneSpec(
    name="x", backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=shared, provisioningType="sparse"))))

# relocate: same id and disk uuid, its file now on the other datastore, the old one gone
def uuid_line(path):
    return [l for l in get(path)[1].decode().splitlines() if l.startswith("ddb.uuid")]


uuid_before = uuid_line(src_path)
moved = wait(m.RelocateVStorageObject_Task(data.config.id, shared, vim.vslm.RelocateSpec(
    backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=local))))
out["relocated"] = {"obj": show(moved), "sameId": moved.config.id.id == data.config.id.id,
                    "sameUuid": uuid_line(moved.config.backing.filePath) == uuid_before and len(uuid_before) == 1, "bytes": get(flat(moved.config.backing.filePath))[1] == payload,
                    "oldFiles": [get(src_path)[0], get(flat(src_path))[0]], "onShared": data.config.id.id in ids(shared),
                    "onLocal": data.config.id.id in ids(local), "retrieveOld": attempt(lambda: m.RetrieveVStorageObject(data.config.id, shared))}
faults["relocateUnknown"] = fault(m.RelocateVStorageObject_Task(data.config.id, shared, vim.vslm.RelocateSpec(
    backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=local))))

# attached to a VM: inflation waits for it to be off, relocation for it to be detached
cluster = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ClusterComputeResource)][0]
spec = vim.vm.ConfigSpec(name="fcd-user", guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[shared-ds]"),
    deviceChange=[vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.ParaVirtualSCSIController(key=-1, busNumber=0, sharedBus="noSharing"))])
vm = wait(dc.vmFolder.CreateVM_Task(spec, cluster.resourcePool, cluster.host[0]))
attached = create("attached", 8)
aid = attached.config.id
wait(vm.AttachDisk_Task(aid, shared))


def vm_disk():
    d = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0]
    return {"thinProvisioned": d.backing.thinProvisioned, "eagerlyScrub": d.backing.eagerlyScrub, "vDiskId": d.vDiskId.id == aid.id}


out["attachedBefore"] = vm_disk()
faults["relocateAttached"] = fault(m.RelocateVStorageObject_Task(aid, shared, vim.vslm.RelocateSpec(
    backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=local))))
wait(vm.PowerOnVM_Task())
faults["inflateRunning"] = fault(m.InflateDisk_Task(aid, shared))
wait(vm.PowerOffVM_Task())
wait(m.InflateDisk_Task(aid, shared))
out["attachedAfter"] = {"disk": vm_disk(), "obj": show(m.RetrieveVStorageObject(aid, shared)), "thinLine": thin_line(attached.config.backing.filePath)}
out["faults"] = faults

Disconnect(si)
print(json.dumps(out))
