#!/usr/bin/python3
"""pyVmomi reads a compute resource's EnvironmentBrowser the way Ansible's
vmware_guest, Terraform and Juju do: the hardware versions the hosts run and
the default one (then upgrades a VM to it), a version's config option (guest
OS descriptors, limits, device options, default devices), and the config
target (datastores, networks, port groups). Prints one JSON object.
Usage: pyvmomi_environment.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
dc = content.rootFolder.childEntity[0]
cr = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ClusterComputeResource)] or dc.hostFolder.childEntity
cr = cr[0]
eb = cr.environmentBrowser

descriptors = eb.QueryConfigOptionDescriptor()
out["descriptors"] = [[d.key, d.description, d.defaultConfigOption, d.createSupported, len(d.host) == len(cr.host)] for d in descriptors]
default_key = [d.key for d in descriptors if d.defaultConfigOption][0]

opt = eb.QueryConfigOption()
hw = opt.hardwareOptions
ubuntu = [g for g in opt.guestOSDescriptor if g.id == "ubuntu64Guest"][0]
out["option"] = {
    "version": opt.version, "description": opt.description, "guests": len(opt.guestOSDescriptor),
    "defaultGuest": opt.guestOSDescriptor[opt.guestOSDefaultIndex].id,
    "hwVersion": hw.hwVersion, "maxCpus": max(hw.numCPU), "memoryMB": [hw.memoryMB.min, hw.memoryMB.max],
    "ubuntu": [ubuntu.family, ubuntu.fullName, ubuntu.recommendedEthernetCard.__name__.split(".")[-1], ubuntu.recommendedDiskController.__name__.split(".")[-1]],
    "deviceOptions": sorted(type(o).__name__.split(".")[-1] for o in hw.virtualDeviceOption
                            if type(o).__name__.split(".")[-1] in ("VirtualVmxnet3Option", "ParaVirtualSCSIControllerOption", "VirtualDiskOption", "VirtualSerialPortOption")),
    "defaultDevices": sorted(type(d).__name__.split(".")[-1] for d in opt.defaultDevice),
    "capabilities": opt.capabilities.snapshotOperationsSupported,
}
old = eb.QueryConfigOptionEx(vim.EnvironmentBrowser.ConfigOptionQuerySpec(key="vmx-09", guestId=["windows9_64Guest", "otherGuest64"]))
out["optionEx"] = {"version": old.version, "guests": [g.id for g in old.guestOSDescriptor], "maxCpus": max(old.hardwareOptions.numCPU)}
out["unknownKey"] = eb.QueryConfigOption(key="vmx-99") is None

target = eb.QueryConfigTarget()
out["target"] = {
    "datastores": sorted(d.name for d in target.datastore), "networks": sorted(n.name for n in target.network),
    "portgroups": sorted([p.portgroupName, p.uplinkPortgroup] for p in target.distributedVirtualPortgroup), "cpus": target.numCpus > 0,
}

# Ansible's "latest": the default config option's version, through UpgradeVM_Task
pool = cr.resourcePool
vm = wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="envvm", guestId="otherGuest64", memoryMB=128, version="vmx-08",
                                                      files=vim.vm.FileInfo(vmPathName="[%s]" % cr.datastore[0].name)), pool))
out["vmBrowser"] = vm.environmentBrowser == eb
wait(vm.UpgradeVM_Task(default_key))
out["upgradedTo"] = vm.config.version
Disconnect(si)
print(json.dumps(out))
