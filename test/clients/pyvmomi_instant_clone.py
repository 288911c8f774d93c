#!/usr/bin/python3
"""pyVmomi forks a running VM with InstantClone_Task (vSphere 6.7), as
pyVmomi's instant_clone sample does: the clone runs at once on deltas over
the disks the source ran on, the source goes on in deltas of its own, and
the spec's guestinfo reaches the clone. Prints one JSON object.
Usage: pyvmomi_instant_clone.py HOST PORT USER PASSWORD ISO_FILE"""
import json
import sys

from sim_session import Session, attempt, linux_vm, pvscsi_thin_disk, until, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
content = session.content
host, dc, ds, pool = session.placement()
out = {}

connected = vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, allowGuestControl=True)
network = [n for n in dc.network if isinstance(n, vim.Network)][0]
nic = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualVmxnet3(
    key=-4, addressType="generated", connectable=connected, backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName=network.name, network=network)))
vm = linux_vm(session, sys.argv[5], "parent", pvscsi_thin_disk(ds.name, 65536) + [nic])

def disk(v):
    d = [d for d in v.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0]
    return d.backing.fileName, d.backing.parent.fileName if d.backing.parent else None


def mac(v):
    return [d.macAddress for d in v.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)][0]


spec = vim.vm.InstantCloneSpec(name="fork-1", location=vim.vm.RelocateSpec(), config=[vim.option.OptionValue(key="guestinfo.fork", value="1")])
out["offSource"] = attempt(lambda: wait(vm.InstantClone_Task(spec)))
before = disk(vm)
wait(vm.PowerOnVM_Task())
until(lambda: vm.guest.toolsRunningStatus == "guestToolsRunning")
fork = wait(vm.InstantClone_Task(spec))
after, fork_disk = disk(vm), disk(fork)
out["fork"] = {
    "name": fork.name, "power": fork.runtime.powerState, "folder": fork.parent.name,
    "sourceOnDelta": after[0] != before[0] and after[1] == before[0], "forkOnDelta": fork_disk[0] not in (before[0], after[0]) and fork_disk[1] == before[0],
    "guestinfo": [o.value for o in fork.config.extraConfig if o.key == "guestinfo.fork"], "newMac": mac(fork) != mac(vm),
    "tools": until(lambda: fork.guest.toolsRunningStatus == "guestToolsRunning" and fork.guest.toolsRunningStatus),
    "sourcePower": vm.runtime.powerState, "snapshots": vm.snapshot is None,
}
out["duplicate"] = attempt(lambda: wait(vm.InstantClone_Task(spec)))

# in a vApp whose stop action is guestShutdown, a VM with running tools is asked to shut down, not powered off
alloc = vim.ResourceAllocationInfo(reservation=0, expandableReservation=True, limit=-1, shares=vim.SharesInfo(level="normal", shares=0))
app = pool.CreateVApp("shut-down", vim.ResourceConfigSpec(cpuAllocation=alloc, memoryAllocation=alloc), vim.VAppConfigSpec(), dc.vmFolder)
member = linux_vm(session, sys.argv[5], "member")
app.MoveIntoResourcePool([member])
app.UpdateVAppConfig(vim.VAppConfigSpec(entityConfig=[vim.VAppEntityConfigInfo(key=member, stopAction="guestShutdown", stopDelay=60)]))
wait(app.PowerOnVApp_Task())
until(lambda: member.guest.toolsRunningStatus == "guestToolsRunning")
wait(app.PowerOffVApp_Task(force=False))
member_dir = member.config.files.vmPathName.split("] ", 1)[1].rsplit("/", 1)[0]
log = session.folder("GET", dc.name, ds.name, member_dir + "/vmware.log")[1].decode()
out["guestShutdown"] = [member.runtime.powerState, "Tools: shutdown requested" in log, app.summary.vAppState]
Disconnect(session.si)
print(json.dumps(out))
