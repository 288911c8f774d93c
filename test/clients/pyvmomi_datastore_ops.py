#!/usr/bin/python3
"""pyVmomi renames, destroys and maintains datastores the way govc
(datastore.rename, datastore.remove, datastore.maintenance.enter/exit),
Ansible's vmware_datastore_maintenancemode and DR scripts after a
resignature do: RenameDatastore with a VM (and its snapshot) on the
datastore, the VM's paths and its .vmx over /folder under the new name,
Rename_Task back, DestroyDatastore refused then allowed, maintenance mode
waiting for the last VM to leave (and cancelled), UpdateVirtualMachineFiles_Task
remapping an old mount path, and /_sim/reset undoing it all.
Prints one JSON object.
Usage: pyvmomi_datastore_ops.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, fault, until, wait, pvscsi_thin_disk  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
vc = content.about.apiType == "VirtualCenter"
out = {}
dc = content.rootFolder.childEntity[0]
name = "shared-ds" if vc else "mydatastore"
ds = [d for d in dc.datastore if d.name == name][0]
if vc:
    cluster = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ClusterComputeResource)][0]
    pool, host = cluster.resourcePool, cluster.host[0]
else:
    pool, host = dc.hostFolder.childEntity[0].resourcePool, dc.hostFolder.childEntity[0].host[0]


def paths(vm):
    f = vm.config.files
    dev = vm.config.hardware.device
    disk = [d for d in dev if isinstance(d, vim.vm.device.VirtualDisk)][0]
    cd = [d for d in dev if isinstance(d, vim.vm.device.VirtualCdrom)][0]
    snap = vm.snapshot.rootSnapshotList[0].snapshot
    return {
        "files": [f.vmPathName, f.logDirectory, f.snapshotDirectory, f.suspendDirectory],
        "summary": vm.summary.config.vmPathName,
        "disk": [disk.backing.fileName, disk.backing.parent.fileName, disk.backing.datastore.name],
        "cdrom": cd.backing.fileName,
        "layoutEx": sorted({l.name.split("]")[0] + "]" for l in vm.layoutEx.file}),
        "snapshot": snap.config.files.vmPathName,
        "snapshotDisk": [d.backing.fileName for d in snap.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)],
        "datastores": [d.name for d in vm.datastore],
    }


def ds_names(d):
    info = d.info
    vol = getattr(info, "vmfs", None) or getattr(info, "nas", None)
    return [d.name, d.summary.name, info.name, vol.name]


# ---- a VM with a disk, a CD-ROM image and a snapshot on the datastore ----
assert session.folder("PUT", dc.name, name, "tools.iso", b"\0" * 2048)[0] in (200, 201)
spec = vim.vm.ConfigSpec(name="dsvm", guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[%s]" % name), deviceChange=[
    *pvscsi_thin_disk(name, 1024),
    vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualCdrom(
        key=-3, controllerKey=200, unitNumber=0,
        backing=vim.vm.device.VirtualCdrom.IsoBackingInfo(fileName="[%s] tools.iso" % name)))])
vm = wait(dc.vmFolder.CreateVM_Task(spec, pool, host))
wait(vm.CreateSnapshot_Task("snap1", "", False, False))
out["before"] = paths(vm)

# ---- RenameDatastore ----
other = "esx4-local" if vc else "nas1"
if not vc:
    host.configManager.datastoreSystem.CreateNasDatastore(vim.host.NasVolume.Specification(
        remoteHost="nas.example.com", remotePath="/export/nas1", localPath="nas1", accessMode="readWrite"))
out["renameFaults"] = {
    "empty": attempt(lambda: ds.RenameDatastore("")),
    "slash": attempt(lambda: ds.RenameDatastore("a/b")),
    "duplicate": attempt(lambda: ds.RenameDatastore(other)),
    "same": attempt(lambda: ds.RenameDatastore(name)),
    "unchanged": ds_names(ds),
}
ds.RenameDatastore("renamed-ds")
vmx = session.vmx(vm, dc.name)
out["renamed"] = {
    "names": ds_names(ds),
    "vm": paths(vm),
    "vmxOverFolder": 'displayName = "dsvm"' in vmx,
    # the .vmx names the image outside the VM's folder by volume UUID, which a rename leaves alone
    "vmxCdrom": [l.split(" = ")[1].strip('"').startswith("/vmfs/volumes/") for l in vmx.splitlines() if l.startswith("ide0:0.fileName")],
    "isoNew": session.folder("GET", dc.name, "renamed-ds", "tools.iso")[0],
    "vmxOld": session.folder("GET", dc.name, name, "dsvm/dsvm.vmx")[0],
    "events": [[e.oldName, e.newName] for e in content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=["DatastoreRenamedEvent"]))],
}
# Rename_Task is the same rename
wait(ds.Rename_Task(name))
out["renamedBack"] = {"names": ds_names(ds), "vm": paths(vm)["files"], "vmx": session.folder("GET", dc.name, name, "dsvm/dsvm.vmx")[0]}

# ---- DestroyDatastore ----
otherDs = [d for d in dc.datastore if d.name == other][0]
out["destroy"] = {
    "inUse": attempt(lambda: ds.DestroyDatastore()),
    "stillThere": name in [d.name for d in dc.datastore],
}

# ---- maintenance mode ----
if vc:
    # an empty datastore enters at once
    r = otherDs.DatastoreEnterMaintenanceMode()
    out["emptyEnter"] = [type(r).__name__.split(".")[-1], until(lambda: r.task.info.state == "success"), otherDs.summary.maintenanceMode, r.recommendations, r.drsFault]
    out["emptyAgain"] = attempt(lambda: otherDs.DatastoreEnterMaintenanceMode())
    # nothing new lands on it: a new VM, a clone, a relocation (InvalidDatastoreState); the checker says so, PlaceVm passes it over
    mm_spec = vim.vm.ConfigSpec(name="mm-new", guestId="otherGuest64", memoryMB=64, files=vim.vm.FileInfo(vmPathName="[%s]" % otherDs.name))
    out["closed"] = [
        fault(dc.vmFolder.CreateVM_Task(mm_spec, pool, host)),
        fault(vm.CloneVM_Task(dc.vmFolder, "mm-clone", vim.vm.CloneSpec(location=vim.vm.RelocateSpec(datastore=otherDs), powerOn=False, template=False))),
        fault(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=otherDs))),
        [type(f).__name__ for r in wait(content.vmProvisioningChecker.CheckRelocate_Task(vm, vim.vm.RelocateSpec(datastore=otherDs), ["datastoreTests"])) for f in (r.error or [])],
        cluster.PlaceVm(vim.cluster.PlacementSpec(placementType="create", configSpec=mm_spec, datastores=[otherDs])).drsFault is not None,
        [v.name for v in dc.vmFolder.childEntity if v.name in ("mm-new", "mm-clone")],
        vm.config.files.vmPathName.startswith("[%s]" % otherDs.name),
    ]
    wait(otherDs.DatastoreExitMaintenanceMode_Task())
    out["emptyExit"] = [otherDs.summary.maintenanceMode, fault(otherDs.DatastoreExitMaintenanceMode_Task())]
    # with a VM on it: the task waits until the VM leaves; cancelling it goes back to normal
    r = ds.DatastoreEnterMaintenanceMode()
    out["cancel"] = [r.task.info.state, r.task.info.cancelable, ds.summary.maintenanceMode]
    r.task.CancelTask()
    out["cancel"] += [until(lambda: r.task.info.state == "error"), fault(r.task), r.task.info.cancelled, ds.summary.maintenanceMode]
    r = ds.DatastoreEnterMaintenanceMode()
    out["entering"] = [r.task.info.state, ds.summary.maintenanceMode, attempt(lambda: ds.DatastoreEnterMaintenanceMode())]
    path = vm.config.files.vmPathName
    vm.UnregisterVM()
    out["entered"] = [until(lambda: r.task.info.state == "success"), ds.summary.maintenanceMode, r.task.info.entityName]
    wait(ds.DatastoreExitMaintenanceMode_Task())
    out["exited"] = ds.summary.maintenanceMode
    vm = wait(dc.vmFolder.RegisterVM_Task(path=path, asTemplate=False, pool=pool, host=host))
    # an exit while entering cancels the wait
    r = ds.DatastoreEnterMaintenanceMode()
    wait(ds.DatastoreExitMaintenanceMode_Task())
    out["exitWhileEntering"] = [ds.summary.maintenanceMode, until(lambda: r.task.info.state == "error"), fault(r.task)]
else:
    out["hostd"] = [attempt(lambda: ds.DatastoreEnterMaintenanceMode()), fault(ds.DatastoreExitMaintenanceMode_Task()), ds.summary.maintenanceMode]

# ---- UpdateVirtualMachineFiles_Task ----
uuid = ds.info.url.rstrip("/").split("/")[-1]
if vc:
    # the VM's .vmx names its image by an old mount path, as after a resignature
    path = vm.config.files.vmPathName
    vm.UnregisterVM()
    rel = path.split("] ", 1)[1]
    text = session.folder("GET", dc.name, name, rel)[1].decode()
    old = "/vmfs/volumes/4f0c1a2b-00000000-0000-000000000000"
    session.folder("PUT", dc.name, name, rel, text.replace("/vmfs/volumes/%s/" % uuid, old + "/").encode())
    vm = wait(dc.vmFolder.RegisterVM_Task(path=path, asTemplate=False, pool=pool, host=host))
    # and a .vmx no VM is registered from
    session.folder("PUT", dc.name, name, "orphan.vmx", ('ide0:0.fileName = "%s/tools.iso"\n' % old).encode())
    cd = lambda: [d.backing.fileName for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualCdrom)][0]
    out["oldPath"] = cd() == old + "/tools.iso"
    pair = lambda p, d=ds: vim.Datastore.MountPathDatastorePair(oldMountPath=p, datastore=d)
    wait(vm.PowerOnVM_Task())
    out["updateFaults"] = {
        "poweredOn": fault(ds.UpdateVirtualMachineFiles_Task([pair(old)])),
        "badPath": fault(ds.UpdateVirtualMachineFiles_Task([pair("nope")])),
    }
    wait(vm.PowerOffVM_Task())
    res = wait(ds.UpdateVirtualMachineFiles_Task([pair(old), pair("/vmfs/volumes/%s" % uuid)]))
    vmx = session.vmx(vm, dc.name)
    out["updated"] = {
        "result": [type(res).__name__.split(".")[-1], len(res.failedVmFile)],
        "cdrom": cd(),
        "vmxNew": "/vmfs/volumes/%s/tools.iso" % uuid in vmx, "vmxOld": old in vmx,
        "orphan": session.folder("GET", dc.name, name, "orphan.vmx")[1].decode() == 'ide0:0.fileName = "/vmfs/volumes/%s/tools.iso"\n' % uuid,
        "datastores": [d.name for d in vm.datastore],
    }
else:
    out["updateHostd"] = fault(ds.UpdateVirtualMachineFiles_Task([vim.Datastore.MountPathDatastorePair(oldMountPath="/vmfs/volumes/x", datastore=ds)]))

# the other datastore holds nothing: it goes, from the datacenter and every host
otherDs.DestroyDatastore()
out["destroyed"] = {
    "datacenter": sorted(d.name for d in dc.datastore),
    "hosts": sorted({d.name for h in (cluster.host if vc else [host]) for d in h.datastore}),
    "again": attempt(lambda: otherDs.DestroyDatastore()),
}

# ---- /_sim/reset: the names, the maintenance state and the destroyed datastore come back ----
ds.RenameDatastore("final-ds")
out["reset"] = session.reset()
out["afterReset"] = sorted(d.name for d in content.rootFolder.childEntity[0].datastore)
print(json.dumps(out))
