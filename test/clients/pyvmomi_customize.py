#!/usr/bin/python3
"""pyVmomi customizes guests as Terraform's and Ansible's clone workflows do:
a template VM booting an ISO whose manifest names the built-in generic-linux
guest, clones with spec.customization (a fixed host name and address), with
the VM's own name, with an address the guest cannot take, then
CustomizeVM_Task and its faults; the guest's host name and address, and the
Customization* events vpxd logs, tell how it went. On a standalone host
CustomizeVM_Task answers NotSupported. Prints one JSON object.
Usage: pyvmomi_customize.py HOST PORT USER PASSWORD ISO_FILE"""
import json
import sys

from sim_session import Session, attempt, fault, until, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
dc = content.rootFolder.childEntity[0]
pool = dc.hostFolder.childEntity[0].resourcePool
ds = [d for d in dc.datastore if len(d.host) == max(len(x.host) for x in dc.datastore)][0]
connected = vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, allowGuestControl=True)
C = vim.vm.customization


def linux(host_name, ips):
    return C.Specification(
        identity=C.LinuxPrep(hostName=host_name, domain="example.com"),
        globalIPSettings=C.GlobalIPSettings(dnsServerList=["127.0.0.53"]),
        nicSettingMap=[C.AdapterMapping(adapter=C.IPSettings(ip=C.FixedIp(ipAddress=ip) if ip else C.DhcpIpGenerator(), subnetMask="255.255.255.0")) for ip in ips])


def events(vm):
    evs = content.eventManager.QueryEvents(vim.event.EventFilterSpec(entity=vim.event.EventFilterSpec.ByEntity(entity=vm, recursion="self")))
    return [type(e).__name__.split(".")[-1] for e in sorted(evs, key=lambda e: e.key) if "Customization" in type(e).__name__]


with open(sys.argv[5], "rb") as f:
    status, _ = session.folder("PUT", dc.name, ds.name, "linux.iso", f.read())
out["isoUpload"] = status
network = [n for n in dc.network if n.name == "VM Network"][0]
cdrom = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualCdrom(
    key=-2, controllerKey=200, unitNumber=0, connectable=connected,
    backing=vim.vm.device.VirtualCdrom.IsoBackingInfo(fileName="[%s] linux.iso" % ds.name)))
nic = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualVmxnet3(
    key=-3, addressType="generated", connectable=connected,
    backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName="VM Network", network=network)))
tmpl = wait(dc.vmFolder.CreateVM_Task(config=vim.vm.ConfigSpec(name="tmpl", guestId="otherLinux64Guest", memoryMB=256, numCPUs=1,
                                                               files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name), deviceChange=[cdrom, nic]), pool=pool))

if content.about.apiType != "VirtualCenter":
    out["customize"] = fault(tmpl.CustomizeVM_Task(linux(C.FixedName(name="web1"), ["127.77.0.10"])))
    print(json.dumps(out))
    sys.exit(0)


def clone(name, spec):
    return wait(tmpl.CloneVM_Task(dc.vmFolder, name, vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=pool), powerOn=True, customization=spec)))


def guest(vm):
    until(lambda: vm.guest.hostName and vm.guest.ipAddress and events(vm)[-1:] != ["CustomizationStartedEvent"] and events(vm))
    return [vm.guest.hostName, vm.guest.ipAddress, events(vm)]


# a fixed name and address, as a Terraform clone block gives them
web1 = clone("web1", linux(C.FixedName(name="web1"), ["127.77.0.10"]))
out["fixed"] = guest(web1)
# the VM's own name
web3 = clone("Web 3", linux(C.VirtualMachineNameGenerator(), [None]))
out["vmName"] = guest(web3)
# an address outside what guests here can take: the guest keeps DHCP and vpxd hears the network setup failed
web2 = clone("web2", linux(C.FixedName(name="web2"), ["10.20.30.40"]))
out["unreachable"] = guest(web2)
out["unreachable"][1] = out["unreachable"][1].startswith("127.")

# CustomizeVM_Task: powered off only, one pending at a time, one adapter setting per NIC
out["poweredOn"] = fault(web1.CustomizeVM_Task(linux(C.FixedName(name="again"), ["127.77.0.11"])))
out["mismatch"] = fault(tmpl.CustomizeVM_Task(linux(C.FixedName(name="x"), ["127.77.0.12", "127.77.0.13"])))
out["badAddress"] = fault(tmpl.CustomizeVM_Task(linux(C.FixedName(name="x"), ["127.77.0.300"])))
out["first"] = fault(tmpl.CustomizeVM_Task(linux(C.FixedName(name="tmpl-new"), ["127.77.0.14"])))
out["second"] = fault(tmpl.CustomizeVM_Task(linux(C.FixedName(name="x"), ["127.77.0.15"])))
out["pendingEvents"] = events(tmpl)
# CheckCustomizationSpec: the spec's checks alone (a pending customization or the power state are not the spec's)
out["check"] = [attempt(lambda: tmpl.CheckCustomizationSpec(linux(C.FixedName(name="fine"), ["127.77.0.16"]))),
                attempt(lambda: tmpl.CheckCustomizationSpec(linux(C.FixedName(name="x"), ["127.77.0.17", "127.77.0.18"]))),
                attempt(lambda: web1.CheckCustomizationSpec(linux(C.FixedName(name="x"), ["127.77.0.300"])))]
wait(tmpl.PowerOnVM_Task())
out["applied"] = guest(tmpl)
Disconnect(si)
print(json.dumps(out))
