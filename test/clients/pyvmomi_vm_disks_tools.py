#!/usr/bin/python3
"""pyVmomi promotes a linked clone's disks (PromoteDisks_Task with unlink,
as linked-clone pools do before their template goes) and mounts the VMware
Tools installer on a running VM (MountToolsInstaller, as interactive tools
installs do), reading the files over /folder after each step.
Prints one JSON object.
Usage: pyvmomi_vm_disks_tools.py HOST PORT USER PASSWORD  (a vCenter)"""
import json
import sys

from sim_session import Session, attempt, fault, wait, pvscsi_thin_disk  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
content = session.content
dc = content.rootFolder.childEntity[0]
cluster = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ClusterComputeResource)][0]
out = {}


def disk(vm):
    d = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0]
    return d


def exists(path):
    ds, rel = path[1:].split("] ", 1)
    return session.folder("HEAD", dc.name, ds, rel)[0] == 200


def vmx_lines(vm, prefix):
    return [l for l in session.vmx(vm, dc.name).splitlines() if l.startswith(prefix)]


spec = vim.vm.ConfigSpec(name="base", guestId="rhel7_64Guest", memoryMB=256, files=vim.vm.FileInfo(vmPathName="[shared-ds]"),
    deviceChange=[
        *pvscsi_thin_disk("shared-ds", 1024 * 1024)])
base = wait(dc.vmFolder.CreateVM_Task(spec, cluster.resourcePool))
# what the base disk holds, written through the datastore as a guest's blocks would be
base_file = disk(base).backing.fileName
flat = base_file.replace(".vmdk", "-flat.vmdk")
ds_name, flat_rel = flat[1:].split("] ", 1)
assert session.folder("PUT", dc.name, ds_name, flat_rel, b"base-bytes" + b"\0" * 502)[0] in (200, 201)


def linked_clone(name):
    return wait(base.CloneVM_Task(folder=dc.vmFolder, name=name, spec=vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(diskMoveType="createNewChildDiskBacking"), powerOn=False, template=False)))


a, b = linked_clone("linked-a"), linked_clone("linked-b")
delta = disk(a).backing.fileName
out["before"] = {"parent": disk(a).backing.parent.fileName == base_file, "delta": delta}
out["baseNoDelta"] = fault(base.PromoteDisks_Task(True))

wait(a.PowerOnVM_Task())
out["poweredOn"] = fault(a.PromoteDisks_Task(True))
wait(a.PowerOffVM_Task())
out["noUnlink"] = [fault(a.PromoteDisks_Task(False)), disk(a).backing.fileName == delta]

wait(a.PromoteDisks_Task(True))
d = disk(a)
out["promoted"] = {
    "file": d.backing.fileName, "parent": d.backing.parent is None, "capacityKB": d.capacityInKB,
    "deltaGone": not exists(delta), "baseStays": exists(base_file), "otherCloneParent": disk(b).backing.parent.fileName == base_file,
    "vmx": vmx_lines(a, "scsi0:0.fileName"),
}
ds_name, rel = d.backing.fileName[1:].split("] ", 1)
status, body = session.folder("GET", dc.name, ds_name, rel.replace(".vmdk", "-flat.vmdk"))
out["copiedBytes"] = body[:10].decode()
descriptor = session.folder("GET", dc.name, ds_name, rel)[1].decode()
out["descriptorParent"] = [l for l in descriptor.splitlines() if l.startswith("parentCID")]
wait(a.PowerOnVM_Task())
out["promotedRuns"] = a.runtime.powerState
wait(a.PowerOffVM_Task())

# the tools installer
cdspec = vim.vm.ConfigSpec(name="needs-tools", guestId="windows9_64Guest", memoryMB=256, files=vim.vm.FileInfo(vmPathName="[shared-ds]"),
    deviceChange=[vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualCdrom(
        key=-1, controllerKey=201, unitNumber=0,
        backing=vim.vm.device.VirtualCdrom.RemotePassthroughBackingInfo(deviceName="", exclusive=False),
        connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=False, connected=False, allowGuestControl=True)))])
vm = wait(dc.vmFolder.CreateVM_Task(cdspec, cluster.resourcePool))
out["mountOff"] = attempt(vm.MountToolsInstaller)
wait(vm.PowerOnVM_Task())
vm.MountToolsInstaller()
cd = [x for x in vm.config.hardware.device if isinstance(x, vim.vm.device.VirtualCdrom)][0]
out["mounted"] = [vm.runtime.toolsInstallerMounted, type(cd.backing).__name__, cd.backing.fileName, cd.connectable.connected]
out["mountedVmx"] = [l for l in session.vmx(vm, dc.name).splitlines() if l.startswith("ide1:0.")]
out["mountTwice"] = attempt(vm.MountToolsInstaller)
vm.UnmountToolsInstaller()
cd = [x for x in vm.config.hardware.device if isinstance(x, vim.vm.device.VirtualCdrom)][0]
out["unmounted"] = [vm.runtime.toolsInstallerMounted, type(cd.backing).__name__]
out["unmountTwice"] = attempt(vm.UnmountToolsInstaller)
vm.MountToolsInstaller()
wait(vm.PowerOffVM_Task())
cd = [x for x in vm.config.hardware.device if isinstance(x, vim.vm.device.VirtualCdrom)][0]
out["afterPowerOff"] = [vm.runtime.toolsInstallerMounted, type(cd.backing).__name__]
wait(a.PowerOnVM_Task())
out["noCdrom"] = attempt(a.MountToolsInstaller)
wait(a.PowerOffVM_Task())
print(json.dumps(out))
