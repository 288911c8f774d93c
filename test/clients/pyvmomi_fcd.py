#!/usr/bin/python3
"""pyVmomi uses first-class disks (VStorageObjectManager) as the vSphere CSI
driver and govc disk.* do: create one, read its descriptor over /folder,
list, retrieve, extend, rename, snapshot it, attach it to a VM and detach it,
destroy a VM with it attached (the disk stays), delete it (its files go),
and the faults on the way. On a vCenter without the manager (6.0) it reports
only that. Prints one JSON object.
Usage: pyvmomi_fcd.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, fault, wait, pvscsi_thin_disk  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {"about": [content.about.version, content.about.apiVersion, si._stub.version]}
dc = content.rootFolder.childEntity[0]
# the hosts a vCenter manages report the ESXi release of its API
out["hosts"] = sorted({h.summary.config.product.version for c in dc.hostFolder.childEntity for h in c.host})

if content.vStorageObjectManager is None:
    out["manager"] = None
    Disconnect(si)
    print(json.dumps(out))
    sys.exit(0)

m = content.vStorageObjectManager
out["manager"] = m._moId
shared = [d for d in dc.datastore if d.name == "shared-ds"][0]
local = [d for d in dc.datastore if d.name == "esx4-local"][0]


def rel(path):
    return path.split("] ", 1)[1]


def get(path):
    status, body = session.folder("GET", dc.name, path[1:].split("]", 1)[0], rel(path))
    return status, body


def show(obj):
    c = obj.config
    return {"name": c.name, "capacityInMB": c.capacityInMB, "filePath": c.backing.filePath, "provisioningType": c.backing.provisioningType,
            "datastore": c.backing.datastore.name, "keepAfterDeleteVm": c.keepAfterDeleteVm, "consumptionType": list(c.consumptionType),
            "parent": c.backing.parent.filePath if c.backing.parent else None}


def create(name, mb, ds=shared, provisioning="thin"):
    spec = vim.vslm.CreateSpec(name=name, capacityInMB=mb,
                               backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=ds, provisioningType=provisioning))
    return wait(m.CreateDisk_Task(spec))


disk = create("pvc-data", 100)
did = disk.config.id
out["created"] = show(disk)
out["idLooksLikeUuid"] = len(did.id) == 36 and did.id.count("-") == 4
status, body = get(disk.config.backing.filePath)
out["descriptor"] = {"status": status, "lines": [l for l in body.decode().splitlines() if l.startswith(("createType", "RW ", "ddb.thinProvisioned"))]}
out["folder"] = sorted([f.path for f in wait(shared.browser.SearchDatastore_Task("[shared-ds] fcd", vim.host.DatastoreBrowser.SearchSpec())).file])
out["thick"] = show(create("thick-one", 10, ds=local, provisioning="lazyZeroedThick"))

out["list"] = {"shared": [i.id for i in m.ListVStorageObject(shared)], "local": len(m.ListVStorageObject(local))}
out["retrieved"] = show(m.RetrieveVStorageObject(did, shared))
out["retrieveWrongDatastore"] = attempt(lambda: m.RetrieveVStorageObject(did, local))
out["retrieveUnknown"] = attempt(lambda: m.RetrieveVStorageObject(vim.vslm.ID(id="00000000-0000-0000-0000-000000000000"), shared))

wait(m.ExtendDisk_Task(did, shared, 200))
out["extended"] = m.RetrieveVStorageObject(did, shared).config.capacityInMB
out["shrink"] = fault(m.ExtendDisk_Task(did, shared, 50))
m.RenameVStorageObject(did, shared, "pvc-renamed")
out["renamed"] = m.RetrieveVStorageObject(did, shared).config.name

# snapshots: a delta on top, the FCD's file moves to it; deleting the snapshot merges it back
snap = wait(m.VStorageObjectCreateSnapshot_Task(did, shared, "before-upgrade"))
after_snap = show(m.RetrieveVStorageObject(did, shared))
info = m.RetrieveSnapshotInfo(did, shared)
out["snapshot"] = {"after": after_snap, "descriptions": [s.description for s in info.snapshots], "sameId": info.snapshots[0].id.id == snap.id}
status, body = get(after_snap["filePath"])
out["snapshot"]["delta"] = {"status": status, "parentHint": [l for l in body.decode().splitlines() if l.startswith("parentFileNameHint")]}
out["snapshot"]["extendRefused"] = fault(m.ExtendDisk_Task(did, shared, 300))
out["snapshot"]["deleteUnknown"] = fault(m.DeleteSnapshot_Task(did, shared, vim.vslm.ID(id="nope")))
wait(m.DeleteSnapshot_Task(did, shared, snap))
out["snapshot"]["afterDelete"] = {"obj": show(m.RetrieveVStorageObject(did, shared)), "count": len(m.RetrieveSnapshotInfo(did, shared).snapshots or []),
                                  "deltaGone": get(after_snap["filePath"])[0]}

# attach to a VM, detach, attach again, destroy the VM: the FCD stays
cluster = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ClusterComputeResource)][0]
spec = vim.vm.ConfigSpec(name="worker", guestId="otherGuest64", memoryMB=256, files=vim.vm.FileInfo(vmPathName="[shared-ds]"),
    deviceChange=[
        *pvscsi_thin_disk("shared-ds", 1024 * 1024)])
vm = wait(dc.vmFolder.CreateVM_Task(spec, cluster.resourcePool, cluster.host[0]))
bare = wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="bare", guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[shared-ds]")),
                                      cluster.resourcePool, cluster.host[0]))


def fcd_disks(v):
    return [{"key": d.key, "unit": d.unitNumber, "controllerKey": d.controllerKey, "file": d.backing.fileName, "vDiskId": d.vDiskId.id if d.vDiskId else None,
             "capacityInKB": d.capacityInKB}
            for d in v.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk) and d.vDiskId]


faults = {}
faults["attachUnknown"] = fault(vm.AttachDisk_Task(vim.vslm.ID(id="00000000-0000-0000-0000-000000000000"), shared))
faults["attachBadController"] = fault(vm.AttachDisk_Task(did, shared, controllerKey=4000))
faults["attachNoController"] = fault(bare.AttachDisk_Task(did, shared))
faults["detachNotAttached"] = fault(vm.DetachDisk_Task(did))
wait(vm.AttachDisk_Task(did, shared))
out["attached"] = {"disks": fcd_disks(vm), "vmx": [l for l in session.vmx(vm, dc.name).splitlines() if l.startswith("scsi0:1.")]}
faults["attachTwice"] = fault(bare.AttachDisk_Task(did, shared))
faults["deleteAttached"] = fault(m.DeleteVStorageObject_Task(did, shared))
faults["snapshotAttached"] = fault(m.VStorageObjectCreateSnapshot_Task(did, shared, "x"))
wait(vm.DetachDisk_Task(did))
out["detached"] = {"disks": fcd_disks(vm), "vmx": [l for l in session.vmx(vm, dc.name).splitlines() if l.startswith("scsi0:1.")],
                   "file": get(disk.config.backing.filePath)[0]}
wait(vm.AttachDisk_Task(did, shared, controllerKey=1000, unitNumber=3))
out["reattached"] = [(d["unit"], d["controllerKey"]) for d in fcd_disks(vm)]
wait(vm.Destroy_Task())
out["afterVmDestroy"] = {"descriptor": get(disk.config.backing.filePath)[0], "vmFolder": get("[shared-ds] worker/worker.vmx")[0],
                         "stillListed": did.id in [i.id for i in m.ListVStorageObject(shared)]}

# register an existing disk, then delete FCDs: their files go
faults["registerTwice"] = attempt(lambda: m.RegisterDisk(disk.config.backing.filePath))
content.fileManager.MakeDirectory("[shared-ds] plain", dc)
wait(content.virtualDiskManager.CreateVirtualDisk_Task("[shared-ds] plain/plain.vmdk", dc, vim.VirtualDiskManager.FileBackedVirtualDiskSpec(
    diskType="thin", adapterType="lsiLogic", capacityKb=4096)))
registered = m.RegisterDisk("[shared-ds] plain/plain.vmdk", "imported")
out["registered"] = show(registered)
faults["registerMissing"] = attempt(lambda: m.RegisterDisk("[shared-ds] nowhere/none.vmdk"))

flat = disk.config.backing.filePath.replace(".vmdk", "-flat.vmdk")
out["beforeDelete"] = [get(disk.config.backing.filePath)[0], get(flat)[0]]
wait(m.DeleteVStorageObject_Task(did, shared))
out["afterDelete"] = {"files": [get(disk.config.backing.filePath)[0], get(flat)[0]], "list": len(m.ListVStorageObject(shared)),
                      "retrieve": attempt(lambda: m.RetrieveVStorageObject(did, shared))}
faults["deleteTwice"] = fault(m.DeleteVStorageObject_Task(did, shared))

# reconcile: a registered disk whose file went away behind the catalog's back leaves it
wait(content.virtualDiskManager.DeleteVirtualDisk_Task("[shared-ds] plain/plain.vmdk", dc))
before = len(m.ListVStorageObject(shared))
wait(m.ReconcileDatastoreInventory_Task(shared))
out["reconciled"] = [before, len(m.ListVStorageObject(shared))]
out["faults"] = faults

Disconnect(si)
print(json.dumps(out))
