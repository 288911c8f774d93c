#!/usr/bin/python3
"""pyVmomi asks vCenter's CompatChecker and ProvChecker the questions vMotion
pre-checks ask (Move-VM -WhatIf style): CheckCompatibility_Task,
CheckMigrate_Task, CheckRelocate_Task, CheckClone_Task and
QueryVMotionCompatibilityEx_Task, each failing check with its fault type,
testType filtering, argument faults, and RelocateVM_Task / CloneVM_Task on the
same input agreeing with the check. On a standalone host the checkers are
unset. Prints one JSON object.
Usage: pyvmomi_vm_checkers.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, fault, wait, pvscsi_thin_disk  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}

if content.about.apiType != "VirtualCenter":
    out["esx"] = {"compat": content.vmCompatibilityChecker is None, "prov": content.vmProvisioningChecker is None}
    Disconnect(si)
    print(json.dumps(out))
    sys.exit(0)

dc = content.rootFolder.childEntity[0]
compat, prov = content.vmCompatibilityChecker, content.vmProvisioningChecker
cluster = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ClusterComputeResource)][0]
standalone = [c for c in dc.hostFolder.childEntity if not isinstance(c, vim.ClusterComputeResource)][0]
local = [d for d in dc.datastore if d.name == "esx4-local"][0]
esx1, esx2, esx3 = cluster.host[0], cluster.host[1], cluster.host[2]
esx4 = standalone.host[0]


def errors(results):
    """[[host name, [error fault types], [warning fault types]], ...] of a check's CheckResult[]."""
    return [[r.host.name if r.host else None, [type(f).__name__ for f in (r.error or [])], [type(f).__name__ for f in (r.warning or [])]] for r in results]


def new_vm(name, disk_gb=1, thin=True, network=None, folder=None, connected=True):
    devices = [
        *pvscsi_thin_disk("shared-ds", disk_gb * 1024 * 1024, thin=thin)]
    if network:
        devices.append(vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualVmxnet3(
            key=-3, backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(network=network, deviceName=network.name),
            connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=connected, connected=False, allowGuestControl=True))))
    spec = vim.vm.ConfigSpec(name=name, guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[shared-ds]"), deviceChange=devices)
    return wait((folder or dc.vmFolder).CreateVM_Task(spec, cluster.resourcePool, esx1))


vm = new_vm("chk")
out["types"] = [compat._wsdlName, prov._wsdlName]

# passing checks: a CheckResult per host, no errors; the relocation then succeeds
out["compatPass"] = errors(wait(compat.CheckCompatibility_Task(vm, esx2)))
out["migratePass"] = errors(wait(prov.CheckMigrate_Task(vm, esx2)))
ok_spec = vim.vm.RelocateSpec(host=esx2)
out["relocatePass"] = errors(wait(prov.CheckRelocate_Task(vm, ok_spec)))
out["relocatePassReal"] = fault(vm.RelocateVM_Task(ok_spec))
out["relocatePassHost"] = vm.runtime.host.name
# no host, a standalone host's pool: the standalone host is the one tested
out["migrateStandalone"] = errors(wait(prov.CheckMigrate_Task(vm, None, standalone.resourcePool)))

# a target host that does not mount a datastore the VM would use: the check and RelocateVM_Task agree
bad_ds = vim.vm.RelocateSpec(datastore=local, host=esx1)
out["notMounted"] = errors(wait(prov.CheckRelocate_Task(vm, bad_ds)))
out["notMountedReal"] = fault(vm.RelocateVM_Task(bad_ds))
# testType filtering: only the tests asked for run
out["notMountedHostTests"] = errors(wait(prov.CheckRelocate_Task(vm, bad_ds, ["hostTests", "networkTests"])))
out["notMountedDatastoreTests"] = errors(wait(prov.CheckRelocate_Task(vm, bad_ds, ["datastoreTests"])))

# a pool of another compute resource than the host
bad_pool = vim.vm.RelocateSpec(host=esx4, pool=cluster.resourcePool)
out["poolMismatch"] = errors(wait(prov.CheckRelocate_Task(vm, bad_pool)))
out["poolMismatchReal"] = fault(vm.RelocateVM_Task(bad_pool))
out["poolMismatchMigrate"] = errors(wait(prov.CheckMigrate_Task(vm, esx4, cluster.resourcePool, None, ["resourcePoolTests"])))

# a duplicate name in the clone's folder; a fresh name passes
clone_spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=False, template=False)
out["cloneDuplicate"] = errors(wait(prov.CheckClone_Task(vm, dc.vmFolder, "chk", clone_spec)))
out["cloneDuplicateReal"] = fault(vm.CloneVM_Task(folder=dc.vmFolder, name="chk", spec=clone_spec))
out["clonePass"] = errors(wait(prov.CheckClone_Task(vm, dc.vmFolder, "chk-copy", clone_spec)))
out["clonePassReal"] = fault(vm.CloneVM_Task(folder=dc.vmFolder, name="chk-copy", spec=clone_spec))

# the VM's power state vs. the migration: a powered-off VM checked for a hot migration
out["stateMismatch"] = errors(wait(prov.CheckMigrate_Task(vm, esx3, None, "poweredOn")))
out["stateMatch"] = errors(wait(prov.CheckMigrate_Task(vm, esx3, None, "poweredOff")))

# a target host in maintenance mode, then disconnected
wait(esx3.EnterMaintenanceMode_Task(0))
out["maintenance"] = errors(wait(prov.CheckMigrate_Task(vm, esx3)))
out["maintenanceCompat"] = errors(wait(compat.CheckCompatibility_Task(vm, esx3, None, ["hostTests"])))
out["maintenanceReal"] = fault(vm.RelocateVM_Task(vim.vm.RelocateSpec(host=esx3)))
# a DRS cluster's pool with no host: every connected host out of maintenance mode is tested
out["clusterHosts"] = sorted(r[0] for r in errors(wait(prov.CheckMigrate_Task(vm, None, cluster.resourcePool))))
wait(esx3.ExitMaintenanceMode_Task(0))
wait(esx3.DisconnectHost_Task())
out["disconnected"] = errors(wait(prov.CheckMigrate_Task(vm, esx3)))
out["disconnectedReal"] = fault(vm.RelocateVM_Task(vim.vm.RelocateSpec(host=esx3)))
wait(esx3.ReconnectHost_Task())

# the VM's own host disconnected: vCenter cannot reach it, and RelocateVM_Task answers the same
src_host = vm.runtime.host
wait(src_host.DisconnectHost_Task())
out["sourceDisconnected"] = errors(wait(prov.CheckRelocate_Task(vm, vim.vm.RelocateSpec(host=esx1))))
out["sourceDisconnectedReal"] = fault(vm.RelocateVM_Task(vim.vm.RelocateSpec(host=esx1)))
wait(src_host.ReconnectHost_Task())

# a network the VM uses that the target host lacks: a standard port group only esx1 has
ns = esx1.configManager.networkSystem
ns.AddPortGroup(vim.host.PortGroup.Specification(name="only-esx1", vlanId=0, vswitchName=esx1.config.network.vswitch[0].name, policy=vim.host.NetworkPolicy()))
only = [n for n in esx1.network if n.name == "only-esx1"][0]
netvm = new_vm("netvm", network=only)
out["network"] = errors(wait(prov.CheckMigrate_Task(netvm, esx2)))
out["networkOnly"] = errors(wait(prov.CheckMigrate_Task(netvm, esx2, None, None, ["networkTests"])))
out["networkFiltered"] = errors(wait(prov.CheckMigrate_Task(netvm, esx2, None, None, ["hostTests", "datastoreTests"])))
out["networkReal"] = fault(netvm.RelocateVM_Task(vim.vm.RelocateSpec(host=esx2)))
out["networkStays"] = netvm.runtime.host.name
# an adapter that does not start connected: a warning, and the relocation goes ahead
idle = new_vm("idle-nic", network=only, connected=False)
out["networkIdle"] = errors(wait(prov.CheckMigrate_Task(idle, esx2)))
out["networkIdleReal"] = fault(idle.RelocateVM_Task(vim.vm.RelocateSpec(host=esx2)))
out["networkIdleWhere"] = idle.runtime.host.name

# QueryVMotionCompatibilityEx: each VM against each host
res = wait(prov.QueryVMotionCompatibilityEx_Task([vm, netvm], [esx1, esx2]))
out["vmotionEx"] = [[r.vm.name, r.host.name, [type(f).__name__ for f in (r.error or [])]] for r in res]

# a hardware version the hosts do not run (6.0 runs up to vmx-11): a VM registered from a .vmx of version 13
vmx = b'.encoding = "UTF-8"\nconfig.version = "8"\nvirtualHW.version = "13"\ndisplayName = "hw13"\nguestOS = "otherGuest64"\nmemSize = "128"\nnumvcpus = "1"\n'
content.fileManager.MakeDirectory("[shared-ds] hw13", dc, True)
assert session.folder("PUT", dc.name, "shared-ds", "hw13/hw13.vmx", vmx)[0] in (200, 201)
hw13 = wait(dc.vmFolder.RegisterVM_Task("[shared-ds] hw13/hw13.vmx", "hw13", False, cluster.resourcePool, esx1))
out["hwVersion"] = errors(wait(compat.CheckCompatibility_Task(hw13, esx2)))
out["hwVersionReal"] = fault(hw13.RelocateVM_Task(vim.vm.RelocateSpec(host=esx2)))
out["hwVersionStays"] = hw13.runtime.host.name

# the target datastore's free space: a thick 300 GB disk does not fit the 250 GB local datastore
big = new_vm("big", disk_gb=300, thin=False)
big_spec = vim.vm.RelocateSpec(datastore=local, host=esx4, pool=standalone.resourcePool)
out["noSpace"] = errors(wait(prov.CheckRelocate_Task(big, big_spec)))
out["noSpaceReal"] = fault(big.RelocateVM_Task(big_spec))
out["noSpaceClone"] = errors(wait(prov.CheckClone_Task(big, dc.vmFolder, "big-copy", vim.vm.CloneSpec(location=vim.vm.RelocateSpec(datastore=local, host=esx4, pool=standalone.resourcePool), powerOn=False, template=False))))
# a storage move that fits passes, and the relocation succeeds
fit = vim.vm.RelocateSpec(datastore=local, host=esx4, pool=standalone.resourcePool)
out["storagePass"] = errors(wait(prov.CheckRelocate_Task(vm, fit)))
out["storagePassReal"] = fault(vm.RelocateVM_Task(fit))
out["storagePassWhere"] = [vm.runtime.host.name, vm.config.files.vmPathName]

# arguments: no such object, an object of another type, an unknown test
out["noSuchVm"] = fault(prov.CheckMigrate_Task(vim.VirtualMachine("vm-9999", si._stub), esx2))
out["hostAsVm"] = fault(compat.CheckCompatibility_Task(vim.VirtualMachine(esx2._moId, si._stub), esx2))
out["vmAsHost"] = fault(prov.CheckMigrate_Task(vm, vim.HostSystem(vm._moId, si._stub)))
out["badTestType"] = fault(prov.CheckMigrate_Task(vm, esx2, None, None, ["noSuchTests"]))
Disconnect(si)
print(json.dumps(out, default=str))
