#!/usr/bin/python3
"""pyVmomi relocates a VM the way vCenter clients do (govc vm.migrate,
Terraform, the relocate_vm sample): storage vMotion of a VM with a snapshot
and a linked clone on its base disk to a host's local datastore, into
another folder, then a hot migration back while it runs. Reads the files
over /folder after each move. On a standalone host it expects NotSupported.
Prints one JSON object.
Usage: pyvmomi_vm_relocate.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, fault, wait, pvscsi_thin_disk  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
dc = content.rootFolder.childEntity[0]


def disk(vm):
    d = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0]
    return {"file": d.backing.fileName, "datastore": d.backing.datastore.name, "parent": d.backing.parent.fileName if d.backing.parent else None}


def get(path):
    ds, rel = path[1:].split("] ", 1)
    return session.folder("GET", dc.name, ds, rel)[0]


if content.about.apiType != "VirtualCenter":
    pool = dc.hostFolder.childEntity[0].resourcePool
    ds = pool.owner.datastore[0]
    vm = wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="stay", guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name)), pool))
    out["hostd"] = fault(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=ds)))
    Disconnect(si)
    print(json.dumps(out))
    sys.exit(0)

cluster = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ClusterComputeResource)][0]
standalone = [c for c in dc.hostFolder.childEntity if not isinstance(c, vim.ClusterComputeResource)][0]
shared = [d for d in dc.datastore if d.name == "shared-ds"][0]
local = [d for d in dc.datastore if d.name == "esx4-local"][0]
esx1, esx4 = cluster.host[0], standalone.host[0]
vch_folder = [f for f in dc.vmFolder.childEntity if isinstance(f, vim.Folder) and f.name == "vch"][0]

spec = vim.vm.ConfigSpec(name="mover", guestId="otherGuest64", memoryMB=256, files=vim.vm.FileInfo(vmPathName="[shared-ds]"),
    deviceChange=[
        *pvscsi_thin_disk("shared-ds", 1024 * 1024)],
    extraConfig=[vim.option.OptionValue(key="guestinfo.where", value="here")])
vm = wait(dc.vmFolder.CreateVM_Task(spec, cluster.resourcePool, esx1))
# a file of the user's in the VM's folder goes along
assert session.folder("PUT", dc.name, "shared-ds", "mover/notes.txt", b"moved with the VM")[0] in (200, 201)
snap = wait(vm.CreateSnapshot_Task("before-move", "", False, False))
linked = wait(vm.CloneVM_Task(folder=dc.vmFolder, name="mover-linked", spec=vim.vm.CloneSpec(
    location=vim.vm.RelocateSpec(diskMoveType="createNewChildDiskBacking"), snapshot=snap, powerOn=False, template=False)))
out["before"] = {"vmx": vm.config.files.vmPathName, "disk": disk(vm)}

# refused: a host that does not mount the target datastore, and a clone-only disk move type
out["notMounted"] = fault(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=local, host=esx1)))
out["childDiskBacking"] = fault(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=local, diskMoveType="createNewChildDiskBacking")))
out["afterRefusals"] = vm.config.files.vmPathName

# storage vMotion and a new host, pool and folder, powered off
wait(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=local, host=esx4, pool=standalone.resourcePool, folder=vch_folder)))
vmx_text = session.vmx(vm, dc.name)
out["moved"] = {
    "vmx": vm.config.files.vmPathName, "logDirectory": vm.config.files.logDirectory, "disk": disk(vm),
    "host": vm.runtime.host.name, "pool": vm.resourcePool.owner.name, "folder": vm.parent.name,
    "datastores": [d.name for d in vm.datastore], "guestinfo": [o.value for o in vm.config.extraConfig if o.key == "guestinfo.where"],
    "vmxDisk": [l for l in vmx_text.splitlines() if l.startswith("scsi0:0.fileName")],
    "notes": get("[esx4-local] mover/notes.txt"), "oldNotes": get("[shared-ds] mover/notes.txt"),
    "oldVmx": get("[shared-ds] mover/mover.vmx"),
    # the linked clone builds on the base disk: it stays for the clone, and the mover has its own copy
    "oldBase": get("[shared-ds] mover/mover.vmdk"), "oldBaseExtent": get("[shared-ds] mover/mover-flat.vmdk"), "newBase": get("[esx4-local] mover/mover.vmdk"),
    "cloneDisk": disk(linked), "localVms": sorted(v.name for v in local.vm), "sharedVms": sorted(v.name for v in shared.vm),
    "snapshotFile": [f.name for f in vm.layoutEx.file if f.name.endswith(".vmsn")],
}
# the snapshot still works where the files now are, and so does the clone
wait(vm.ReconfigVM_Task(vim.vm.ConfigSpec(extraConfig=[vim.option.OptionValue(key="guestinfo.where", value="there")])))
wait(snap.RevertToSnapshot_Task())
out["reverted"] = {"disk": disk(vm), "guestinfo": [o.value for o in vm.config.extraConfig if o.key == "guestinfo.where"]}
wait(vm.RemoveAllSnapshots_Task())
out["consolidated"] = disk(vm)
wait(linked.PowerOnVM_Task())
out["clonePower"] = linked.runtime.powerState

# hot: back to the shared datastore and the cluster while it runs
wait(vm.PowerOnVM_Task())
wait(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=shared, host=esx1, pool=cluster.resourcePool)))
out["hot"] = {"vmx": vm.config.files.vmPathName, "disk": disk(vm), "power": vm.runtime.powerState, "host": vm.runtime.host.name,
              "localVms": sorted(v.name for v in local.vm), "oldVmx": get("[esx4-local] mover/mover.vmx")}

evs = content.eventManager.QueryEvents(vim.event.EventFilterSpec(entity=vim.event.EventFilterSpec.ByEntity(entity=vm, recursion="self")))
out["events"] = [[type(e).__name__.split(".")[-1], e.fullFormattedMessage] for e in sorted(evs, key=lambda e: e.key)
                 if "Relocat" in type(e).__name__ or "Migrat" in type(e).__name__]

# MigrateVM_Task, the older call: a host of the cluster while it runs; a power state it is not in is refused
esx2 = cluster.host[1]
out["migrateWrongState"] = fault(vm.MigrateVM_Task(host=esx2, priority="defaultPriority", state="poweredOff"))
wait(vm.MigrateVM_Task(host=esx2, priority="highPriority", state="poweredOn"))
out["migrated"] = [vm.runtime.host.name, vm.runtime.powerState, vm.config.files.vmPathName]
Disconnect(si)
print(json.dumps(out, default=str))
