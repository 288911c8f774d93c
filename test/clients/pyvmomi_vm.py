#!/usr/bin/python3
"""pyVmomi builds a container-like VM on the simulator, changes it, powers it,
unregisters and re-registers it, reading the .vmx over /folder after each
step. Prints one JSON object of what it saw.
Usage: pyvmomi_vm.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim, vmodl

session = Session(sys.argv)
si, content = session.si, session.content
out = {}


def vmx_lines(vm):
    return session.vmx(vm, "ha-datacenter").splitlines()


dc = content.rootFolder.childEntity[0]
pool = dc.hostFolder.childEntity[0].resourcePool
ds = dc.datastore[0]
bridge = [n for n in dc.network if n.name == "VCH Bridge"][0]

# an ISO for the CD-ROM, uploaded the way vic-machine does
status, _ = session.folder("PUT", "ha-datacenter", ds.name, "bootstrap.iso", b"\0" * 4096)
out["isoUpload"] = status

scsi = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.ParaVirtualSCSIController(key=-100, busNumber=0, sharedBus="noSharing"))
disk = vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=vim.vm.device.VirtualDisk(
    key=-101, controllerKey=-100, unitNumber=0, capacityInKB=1024 * 1024,
    backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(fileName="[%s]" % ds.name, diskMode="persistent", thinProvisioned=True)))
cdrom = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualCdrom(
    key=-102, controllerKey=200, unitNumber=0,
    backing=vim.vm.device.VirtualCdrom.IsoBackingInfo(fileName="[%s] bootstrap.iso" % ds.name),
    connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, allowGuestControl=False)))
nic = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualVmxnet3(
    key=-103, addressType="generated",
    backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName="VCH Bridge", network=bridge),
    connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, allowGuestControl=True)))
serial = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualSerialPort(
    key=-104, yieldOnPoll=True,
    backing=vim.vm.device.VirtualSerialPort.URIBackingInfo(direction="client", serviceURI="tcp://127.0.0.1:8080"),
    connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, allowGuestControl=True)))
spec = vim.vm.ConfigSpec(name="container-1", guestId="otherGuest64", numCPUs=1, memoryMB=512,
    files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name),
    deviceChange=[scsi, disk, cdrom, nic, serial],
    extraConfig=[vim.option.OptionValue(key="guestinfo./common/name", value="jolly_panini"),
                 vim.option.OptionValue(key="guestinfo./repo", value="hello-world")])
vm = wait(dc.vmFolder.CreateVM_Task(spec, pool))
out["created"] = {"moref": vm._moId, "vmPathName": vm.config.files.vmPathName, "datastore": [d.name for d in vm.datastore], "network": [n.name for n in vm.network]}
devs = {type(d).__name__: d for d in vm.config.hardware.device}
out["devices"] = sorted((type(d).__name__.split(".")[-1], d.key) for d in vm.config.hardware.device)
out["diskFile"] = [d.backing.fileName for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]
out["mac"] = [d.macAddress for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)]
out["vmxAfterCreate"] = vmx_lines(vm)
dir_status, dir_body = session.folder("GET", "ha-datacenter", ds.name, "container-1")
out["folderListing"] = sorted(set(l for l in ["container-1.vmx", "container-1.vmdk", "container-1-flat.vmdk", "container-1.nvram", "vmware.log"] if l in dir_body.decode()))

# reconfigure: a key changes, one goes (empty value), memory grows, a second disk arrives
wait(vm.ReconfigVM_Task(vim.vm.ConfigSpec(memoryMB=1024, extraConfig=[
    vim.option.OptionValue(key="guestinfo./repo", value=""),
    vim.option.OptionValue(key="guestinfo./sessions|abc/cmd/Path", value="/hello")],
    deviceChange=[vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=vim.vm.device.VirtualDisk(
        key=-1, controllerKey=1000, capacityInKB=2048,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(fileName="[%s]" % ds.name, diskMode="persistent", thinProvisioned=True)))])))
out["extraConfigAfterReconfig"] = sorted((o.key, o.value) for o in vm.config.extraConfig if o.key.startswith("guestinfo."))
out["memoryMB"] = vm.config.hardware.memoryMB
out["vmxAfterReconfig"] = vmx_lines(vm)
try:
    wait(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[vim.vm.device.VirtualDeviceSpec(operation="edit", device=vim.vm.device.VirtualDisk(key=9999, controllerKey=1000, capacityInKB=1))])))
    out["badEdit"] = "accepted"
except vim.fault.InvalidDeviceSpec:
    out["badEdit"] = "InvalidDeviceSpec"

# power
wait(vm.PowerOnVM_Task())
out["poweredOn"] = {"state": vm.runtime.powerState, "summary": vm.summary.runtime.powerState, "nicConnected": [d.connectable.connected for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)]}
try:
    wait(vm.PowerOnVM_Task())
    out["powerOnTwice"] = "accepted"
except vim.fault.InvalidPowerState:
    out["powerOnTwice"] = "InvalidPowerState"
try:
    vm.UnregisterVM()
    out["unregisterWhileOn"] = "accepted"
except vim.fault.InvalidPowerState:
    out["unregisterWhileOn"] = "InvalidPowerState"
wait(vm.PowerOffVM_Task())
out["poweredOff"] = vm.runtime.powerState

# unregister and register again: the devices come back from the .vmx
before = sorted((type(d).__name__, d.key, getattr(d.backing, "fileName", None), getattr(d, "macAddress", None)) for d in vm.config.hardware.device)
before_extra = sorted((o.key, o.value) for o in vm.config.extraConfig if o.key.startswith("guestinfo."))
path = vm.config.files.vmPathName
vm.UnregisterVM()
out["afterUnregister"] = [v.name for v in dc.vmFolder.childEntity]
vm2 = wait(dc.vmFolder.RegisterVM_Task(path=path, asTemplate=False, pool=pool))
after = sorted((type(d).__name__, d.key, getattr(d.backing, "fileName", None), getattr(d, "macAddress", None)) for d in vm2.config.hardware.device)
out["reregistered"] = {"name": vm2.name, "sameDevices": before == after, "before": [list(map(str, x)) for x in before], "after": [list(map(str, x)) for x in after],
                       "sameExtraConfig": before_extra == sorted((o.key, o.value) for o in vm2.config.extraConfig if o.key.startswith("guestinfo.")),
                       "uuid": vm2.config.uuid}

# events
em = content.eventManager
evs = em.QueryEvents(vim.event.EventFilterSpec(entity=vim.event.EventFilterSpec.ByEntity(entity=vm2, recursion="self")))
out["events"] = sorted(set(type(e).__name__.split(".")[-1] for e in evs))

wait(vm2.Destroy_Task())
status, _ = session.folder("GET", "ha-datacenter", ds.name, "container-1/container-1.vmx")
out["afterDestroy"] = {"vmxStatus": status, "vms": [v.name for v in dc.vmFolder.childEntity]}
Disconnect(si)
print(json.dumps(out, default=str))
