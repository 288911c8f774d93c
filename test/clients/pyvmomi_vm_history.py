#!/usr/bin/python3
"""pyVmomi takes snapshots of a VM, reverts and removes them, and (on
vCenter) clones it, full and linked. Prints one JSON object.
Usage: pyvmomi_vm_history.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, wait, pvscsi_thin_disk  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim, vmodl

session = Session(sys.argv)
si, content = session.si, session.content
out = {}


def vmx(vm, dc):
    return session.vmx(vm, dc.name)


def guestinfo(vm):
    return sorted(o.key for o in vm.config.extraConfig if o.key.startswith("guestinfo."))


def disk(vm):
    return [d.backing.fileName for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0]


dc = content.rootFolder.childEntity[0]
cr = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ComputeResource)]
pool = [c for c in cr if isinstance(c, vim.ClusterComputeResource)][0].resourcePool if any(isinstance(c, vim.ClusterComputeResource) for c in cr) else cr[0].resourcePool
ds = pool.owner.datastore[0]
spec = vim.vm.ConfigSpec(name="history", guestId="otherGuest64", memoryMB=256, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name),
    deviceChange=[
        *pvscsi_thin_disk(ds.name, 1024 * 1024)],
    extraConfig=[vim.option.OptionValue(key="guestinfo.before", value="1")])
vm = wait(dc.vmFolder.CreateVM_Task(spec, pool))
base = disk(vm)

snap = wait(vm.CreateSnapshot_Task("first", "before the change", False, False))
out["afterSnapshot"] = {"disk": disk(vm), "current": vm.snapshot.rootSnapshotList[0].name,
                        "vmxDisk": [l for l in vmx(vm, dc).splitlines() if l.startswith("scsi0:0.fileName")]}
wait(vm.ReconfigVM_Task(vim.vm.ConfigSpec(extraConfig=[vim.option.OptionValue(key="guestinfo.after", value="2")])))
out["beforeRevert"] = guestinfo(vm)
wait(snap.RevertToSnapshot_Task())
out["afterRevert"] = {"guestinfo": guestinfo(vm), "vmxHasAfter": "guestinfo.after" in vmx(vm, dc), "disk": disk(vm)}
wait(vm.RemoveAllSnapshots_Task())
out["afterRemoveAll"] = {"disk": disk(vm), "base": base, "snapshot": vm.snapshot is None}

if content.about.apiType == "VirtualCenter":
    full = wait(vm.CloneVM_Task(folder=dc.vmFolder, name="history-full", spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=False, template=False)))
    snap2 = wait(vm.CreateSnapshot_Task("for-linked", "", False, False))
    linked = wait(vm.CloneVM_Task(folder=dc.vmFolder, name="history-linked", spec=vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(diskMoveType="createNewChildDiskBacking"), snapshot=snap2, powerOn=True, template=False)))
    out["clones"] = {
        "full": {"name": full.name, "disk": disk(full), "uuidDiffers": full.config.uuid != vm.config.uuid},
        "linked": {"name": linked.name, "disk": disk(linked), "parent": [d.backing.parent.fileName for d in linked.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0], "power": linked.runtime.powerState},
    }
else:
    try:
        wait(vm.CloneVM_Task(folder=dc.vmFolder, name="nope", spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=False, template=False)))
        out["clones"] = "accepted"
    except vmodl.fault.NotSupported:
        out["clones"] = "NotSupported"

Disconnect(si)
print(json.dumps(out, default=str))
