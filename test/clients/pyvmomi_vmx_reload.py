#!/usr/bin/python3
"""pyVmomi after a hand edit of a .vmx, as a support engineer does it: the
file downloaded over /folder, a key added, memory and name changed, the
serial port taken out, uploaded again, then VirtualMachine.Reload; the API
shows the file. A running VM keeps what it has. Then
reloadVirtualMachineFromPath_Task onto a copy of the VM's folder with its
faults (running, another VM's file, no file). Prints one JSON object.
Usage: pyvmomi_vmx_reload.py HOST PORT USER PASSWORD"""
import json
import re
import sys

from sim_session import Session, fault, pvscsi_thin_disk, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
host, dc, ds, pool = session.placement()
out = {}

serial = vim.vm.device.VirtualSerialPort(key=-3, yieldOnPoll=True, backing=vim.vm.device.VirtualSerialPort.URIBackingInfo(direction="client", serviceURI="tcp://127.0.0.1:1"))
spec = vim.vm.ConfigSpec(name="edited", guestId="otherGuest64", memoryMB=256, numCPUs=1, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name),
                         deviceChange=pvscsi_thin_disk(ds.name, 1024) + [vim.vm.device.VirtualDeviceSpec(operation="add", device=serial)],
                         extraConfig=[vim.option.OptionValue(key="guestinfo./common/name", value="edited")])
vm = wait(dc.vmFolder.CreateVM_Task(spec, pool))
path = vm.config.files.vmPathName
folder, name = path.split("] ", 1)[1].rsplit("/", 1)


def edit(text):
    text = re.sub(r'(?m)^memSize = .*$', 'memSize = "512"', text)
    text = re.sub(r'(?m)^displayName = .*$', 'displayName = "edited-by-hand"', text)
    text = "\n".join(line for line in text.split("\n") if not line.startswith("serial0.")) + 'guestinfo.support = "ticket-42"\n'
    return text.encode()


def shape(v):
    return {"name": v.name, "memoryMB": v.config.hardware.memoryMB, "serial": any(isinstance(d, vim.vm.device.VirtualSerialPort) for d in v.config.hardware.device),
            "support": [o.value for o in v.config.extraConfig if o.key == "guestinfo.support"], "path": v.config.files.vmPathName}


before = shape(vm)
out["put"] = session.folder("PUT", dc.name, ds.name, "%s/%s" % (folder, name), edit(session.vmx(vm, dc.name)))[0]
# running: the VMX keeps its configuration, a Reload changes nothing
wait(vm.PowerOnVM_Task())
vm.Reload()
out["running"] = shape(vm) == before
wait(vm.PowerOffVM_Task())
vm.Reload()
out["reloaded"] = shape(vm)
out["named"] = [v.name for v in dc.vmFolder.childEntity if v == vm]

# a copy of the folder, its .vmx renamed by hand, and the VM reloaded from it
copy_dir = folder + "-copy"
wait(content.fileManager.CopyDatastoreFile_Task("[%s] %s" % (ds.name, folder), dc, "[%s] %s" % (ds.name, copy_dir), dc))
copy_path = "[%s] %s/%s" % (ds.name, copy_dir, name)
text = session.folder("GET", dc.name, ds.name, "%s/%s" % (copy_dir, name))[1].decode().replace('displayName = "edited-by-hand"', 'displayName = "from-copy"')
session.folder("PUT", dc.name, ds.name, "%s/%s" % (copy_dir, name), text.encode())
other = wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="other", guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name)), pool))
wait(vm.PowerOnVM_Task())
out["faults"] = {"running": fault(vm.reloadVirtualMachineFromPath_Task(copy_path))}
wait(vm.PowerOffVM_Task())
out["faults"].update({
    "othersFile": fault(vm.reloadVirtualMachineFromPath_Task(other.config.files.vmPathName)),
    "noFile": fault(vm.reloadVirtualMachineFromPath_Task("[%s] nowhere/nowhere.vmx" % ds.name)),
    "notAPath": fault(vm.reloadVirtualMachineFromPath_Task("nowhere.vmx")),
    "unchanged": shape(vm) == out["reloaded"],
})
moref = vm._moId
wait(vm.reloadVirtualMachineFromPath_Task(copy_path))
disk = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0]
out["fromPath"] = {**shape(vm), "moref": vm._moId == moref, "disk": disk.backing.fileName.startswith("[%s] %s/" % (ds.name, copy_dir)),
                   "event": [e.configPath for e in content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=["VmReloadFromPathEvent"]))],
                   "powersOn": fault(vm.PowerOnVM_Task())}
Disconnect(si)
print(json.dumps(out))
