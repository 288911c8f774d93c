#!/usr/bin/python3
"""pyVmomi and guests: a VM with no ISO whose network serial port points at a
TCP listener this script runs (it connects at power on, disconnects at power
off), and a VM booting an ISO made by genisoimage whose manifest names the
built-in generic-linux guest (tools state and guest.ipAddress change after
power on, seen through WaitForUpdatesEx). Prints one JSON object.
Usage: pyvmomi_guest.py HOST PORT USER PASSWORD ISO_FILE"""
import json
import socket
import sys
import time
import urllib.error
import urllib.request

from sim_session import Session, attempt, until, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim, vmodl

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
dc = content.rootFolder.childEntity[0]
pool = dc.hostFolder.childEntity[0].resourcePool
ds = dc.datastore[0]
connected = vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, allowGuestControl=True)


def create(name, devices):
    spec = vim.vm.ConfigSpec(name=name, guestId="otherLinux64Guest", memoryMB=256, numCPUs=1,
                             files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name), deviceChange=devices)
    return wait(dc.vmFolder.CreateVM_Task(config=spec, pool=pool))


def serial_connected(vm):
    return [d.connectable.connected for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualSerialPort)][0]


# 1. a serial port to a listener outside the simulator, no ISO at all
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)
listener.settimeout(10)
port = listener.getsockname()[1]
serial = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualSerialPort(
    key=-1, yieldOnPoll=True, connectable=connected,
    backing=vim.vm.device.VirtualSerialPort.URIBackingInfo(direction="client", serviceURI="tcp://127.0.0.1:%d" % port)))
vm = create("serial-only", [serial])
out["serialBeforePowerOn"] = serial_connected(vm)
wait(vm.PowerOnVM_Task())
conn, _ = listener.accept()
out["accepted"] = True
out["serialAfterPowerOn"] = until(lambda: serial_connected(vm))
out["toolsWithoutOs"] = vm.guest.toolsRunningStatus
try:
    vm.ShutdownGuest()
    out["shutdownWithoutTools"] = "no fault"
except vim.fault.ToolsUnavailable:
    out["shutdownWithoutTools"] = "ToolsUnavailable"
wait(vm.PowerOffVM_Task())
conn.settimeout(10)
out["eofAfterPowerOff"] = conn.recv(16) == b""
out["serialAfterPowerOff"] = serial_connected(vm)
conn.close()
listener.close()

# 2. a VM booting an ISO whose manifest names generic-linux
with open(sys.argv[5], "rb") as f:
    status, _ = session.folder("PUT", "ha-datacenter", ds.name, "linux.iso", f.read())
out["isoUpload"] = status
cdrom = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualCdrom(
    key=-2, controllerKey=200, unitNumber=0, connectable=connected,
    backing=vim.vm.device.VirtualCdrom.IsoBackingInfo(fileName="[%s] linux.iso" % ds.name)))
network = [n for n in dc.network if n.name == "VM Network"][0]
nic = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualVmxnet3(
    key=-3, addressType="generated", connectable=connected,
    backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName="VM Network", network=network)))
vm = create("linux-1", [cdrom, nic])

fspec = vmodl.query.PropertyCollector.FilterSpec(
    objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=vm)],
    propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine, pathSet=["guest.toolsRunningStatus", "guest.ipAddress", "guest.hostName"])])
flt = content.propertyCollector.CreateFilter(fspec, partialUpdates=False)
seen = []
state = {}


def collect(version, wait_seconds):
    r = content.propertyCollector.WaitForUpdatesEx(version, vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=wait_seconds))
    if r is None:
        return version
    for fs in r.filterSet:
        for obj in fs.objectSet:
            for ch in obj.changeSet:
                state[ch.name] = ch.val
                seen.append([ch.name, ch.val])
    return r.version


version = collect("", 0)
out["before"] = dict(state)
wait(vm.PowerOnVM_Task())
end = time.time() + 10
while time.time() < end and not state.get("guest.ipAddress"):
    version = collect(version, 2)
out["after"] = dict(state)
out["seen"] = seen
out["net"] = [[n.network, list(n.ipAddress), n.macAddress] for n in vm.guest.net]
out["summaryIp"] = vm.summary.guest.ipAddress
flt.Destroy()

# guest operations: a file in, a program that copies it, the copy out (the URLs' "*" is the host we called)
gom = content.guestOperationsManager
auth = vim.vm.guest.NamePasswordAuthentication(username="root", password="any")
url = gom.fileManager.InitiateFileTransferToGuest(vm, auth, "/tmp/hello.txt", vim.vm.guest.FileManager.FileAttributes(), 12, True)
out["putUrlHost"] = url.split("/")[2].split(":")[0]
req = urllib.request.Request(url.replace("*", session.host), data=b"hello guest\n", method="PUT")
with urllib.request.urlopen(req, context=session.ctx) as r:
    out["putStatus"] = r.status
pid = gom.processManager.StartProgramInGuest(vm, auth, vim.vm.guest.ProcessManager.ProgramSpec(
    programPath="/bin/sh", arguments="-c 'cat /tmp/hello.txt | wc -c > /tmp/count; cat /tmp/hello.txt > /tmp/copy.txt'"))
proc = until(lambda: [p for p in gom.processManager.ListProcessesInGuest(vm, auth, [pid]) if p.exitCode is not None])
out["process"] = [proc[0].pid == pid, proc[0].exitCode]
info = gom.fileManager.InitiateFileTransferFromGuest(vm, auth, "/tmp/copy.txt")
with urllib.request.urlopen(info.url.replace("*", session.host), context=session.ctx) as r:
    out["copied"] = r.read().decode()
info = gom.fileManager.InitiateFileTransferFromGuest(vm, auth, "/tmp/count")
with urllib.request.urlopen(info.url.replace("*", session.host), context=session.ctx) as r:
    out["count"] = r.read().decode()
try:
    gom.fileManager.InitiateFileTransferFromGuest(vm, auth, "/tmp/nothing")
except vim.fault.FileNotFound:
    out["missing"] = "FileNotFound"
try:
    urllib.request.urlopen(info.url.replace("*", session.host), context=session.ctx)
except urllib.error.HTTPError as e:
    out["reuse"] = e.code

# the directory operations of govc's guest.* commands and Ansible's vmware_guest_file_operation
fm = gom.fileManager
fm.MakeDirectoryInGuest(vm, auth, "/srv/app/conf", True)
out["mkdirExists"] = attempt(lambda: fm.MakeDirectoryInGuest(vm, auth, "/srv/app", False))
out["mkdirNoParent"] = attempt(lambda: fm.MakeDirectoryInGuest(vm, auth, "/nope/sub", False))
tmp_file = fm.CreateTemporaryFileInGuest(vm, auth, "upload-", ".part", "/srv/app")
tmp_dir = fm.CreateTemporaryDirectoryInGuest(vm, auth, "work-", "")
out["temporary"] = [tmp_file.startswith("/srv/app/upload-") and tmp_file.endswith(".part"), tmp_dir.startswith("/tmp/work-")]
fm.MoveFileInGuest(vm, auth, tmp_file, "/srv/app/conf/app.conf", False)
fm.ChangeFileAttributesInGuest(vm, auth, "/srv/app/conf/app.conf", vim.vm.guest.FileManager.PosixFileAttributes(permissions=0o640))
listing = fm.ListFilesInGuest(vm, auth, "/srv/app/conf")
out["list"] = [[f.path, f.type, f.size, oct(f.attributes.permissions)] for f in listing.files] + [listing.remaining]
out["listFile"] = [f.path for f in fm.ListFilesInGuest(vm, auth, "/tmp/copy.txt").files]
page = fm.ListFilesInGuest(vm, auth, "/tmp", 0, 1, "^(copy|count|hello)")
out["page"] = [[f.path for f in page.files], page.remaining]
out["moveOver"] = attempt(lambda: fm.MoveFileInGuest(vm, auth, "/tmp/count", "/tmp/copy.txt", False))
out["moveDirAsFile"] = attempt(lambda: fm.MoveFileInGuest(vm, auth, "/srv/app/conf", "/srv/x", False))
fm.MoveDirectoryInGuest(vm, auth, "/srv/app", "/srv/app2")
out["deleteNotEmpty"] = attempt(lambda: fm.DeleteDirectoryInGuest(vm, auth, "/srv/app2", False))
out["deleteFileAsDir"] = attempt(lambda: fm.DeleteDirectoryInGuest(vm, auth, "/tmp/count", False))
out["deleteDirAsFile"] = attempt(lambda: fm.DeleteFileInGuest(vm, auth, "/srv/app2"))
fm.DeleteFileInGuest(vm, auth, "/tmp/count")
fm.DeleteDirectoryInGuest(vm, auth, "/srv/app2", True)
out["afterDelete"] = [f.path for f in fm.ListFilesInGuest(vm, auth, "/srv").files] + [f.path for f in fm.ListFilesInGuest(vm, auth, "/tmp", matchPattern="^count$").files]
out["listMissing"] = attempt(lambda: fm.ListFilesInGuest(vm, auth, "/srv/app2"))

# the console: a screenshot the size of the screen, which the tools resize; an NMI logged by the VMX
def png_size(dspath):
    status, data = session.folder("GET", "ha-datacenter", ds.name, dspath.split("] ", 1)[1])
    return [status, data[:8] == b"\x89PNG\r\n\x1a\n", int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")]


shot1 = wait(vm.CreateScreenshot_Task())
vm.SetScreenResolution(1024, 768)
shot2 = wait(vm.CreateScreenshot_Task())
vm.SendNMI()
vmx_dir = vm.config.files.vmPathName.split("] ", 1)[1].rsplit("/", 1)[0]
log = session.folder("GET", "ha-datacenter", ds.name, vmx_dir + "/vmware.log")[1].decode()
# a file someone left in the VM's folder is not the VM's; its screenshots are not either
session.folder("PUT", "ha-datacenter", ds.name, vmx_dir + "/notes.txt", b"left here")
out["console"] = {
    "shots": [shot1.split("/")[-1], shot2.split("/")[-1]], "first": png_size(shot1), "second": png_size(shot2), "screen": [vm.guest.screen.width, vm.guest.screen.height],
    "badSize": attempt(lambda: vm.SetScreenResolution(0, 768)), "nmiLogged": "NMI sent to the guest" in log,
    "unowned": sorted(f.split("/")[-1] for f in vm.QueryUnownedFiles()), "defragOn": attempt(vm.DefragmentAllDisks),
}
# two monitors side by side: the screen is the box around both
vm.SetDisplayTopology([vim.VirtualMachine.DisplayTopology(x=0, y=0, width=1280, height=1024), vim.VirtualMachine.DisplayTopology(x=1280, y=0, width=1920, height=1080)])
out["console"]["topology"] = [vm.guest.screen.width, vm.guest.screen.height, png_size(wait(vm.CreateScreenshot_Task()))[2:]]

out["resetWhileOn"] = attempt(vm.ResetGuestInformation)
vm.ShutdownGuest()
out["afterShutdown"] = until(lambda: vm.runtime.powerState == "poweredOff" and vm.runtime.powerState)
g = vm.guest
out["cachedWhileOff"] = [g.guestId, bool(g.guestFullName), g.hostName, g.ipAddress, len(g.net), vm.summary.guest.guestId]
vm.ResetGuestInformation()
g = vm.guest
out["afterReset"] = [g.guestId, g.guestFullName, g.hostName, g.ipAddress, len(g.net), len(g.disk), vm.summary.guest.guestId, g.toolsRunningStatus]
# off: no screenshot, no NMI; defragmenting is fine
out["consoleOff"] = [attempt(lambda: wait(vm.CreateScreenshot_Task())), attempt(vm.SendNMI), attempt(lambda: vm.SetScreenResolution(800, 600)), attempt(vm.DefragmentAllDisks)]
# TerminateVM: off at once, no task; nothing to kill once off
wait(vm.PowerOnVM_Task())
vm.TerminateVM()
out["terminated"] = [vm.runtime.powerState, attempt(vm.TerminateVM),
                     [e.vm.name for e in content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=["VmPoweredOffEvent"])) if e.vm.vm == vm][:1]]
Disconnect(si)
print(json.dumps(out))
