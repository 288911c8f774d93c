#!/usr/bin/python3
"""pyVmomi upgrades a VM's virtual hardware with UpgradeVM_Task, as Ansible's
vmware_guest and Juju do: to a named version, then to the newest the host
runs, reading config.version and the .vmx's virtualHW.version after each
step, and collecting the faults of what a host refuses. Prints one JSON object.
Usage: pyvmomi_vm_hardware.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, fault, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {"steps": []}

dc = content.rootFolder.childEntity[0]
pool = dc.hostFolder.childEntity[0].resourcePool
ds = pool.owner.datastore[0]
spec = vim.vm.ConfigSpec(name="oldhw", guestId="otherGuest64", memoryMB=128, version="vmx-09",
                         files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name))
vm = wait(dc.vmFolder.CreateVM_Task(spec, pool))


def state(label):
    hw = [l for l in session.vmx(vm, dc.name).splitlines() if l.startswith("virtualHW.version")]
    out["steps"].append({"step": label, "version": vm.config.version, "vmx": hw})


state("created")
wait(vm.PowerOnVM_Task())
out["poweredOn"] = fault(vm.UpgradeVM_Task())
wait(vm.PowerOffVM_Task())
wait(vm.UpgradeVM_Task("vmx-10"))
state("vmx-10")
out["same"] = fault(vm.UpgradeVM_Task("vmx-10"))
out["older"] = fault(vm.UpgradeVM_Task("vmx-09"))
out["unknown"] = fault(vm.UpgradeVM_Task("vmx-13"))
out["malformed"] = fault(vm.UpgradeVM_Task("eleven"))
wait(vm.UpgradeVM_Task())
state("newest")
out["again"] = fault(vm.UpgradeVM_Task())

em = content.eventManager
evs = em.QueryEvents(vim.event.EventFilterSpec(entity=vim.event.EventFilterSpec.ByEntity(entity=vm, recursion="self")))
out["events"] = [[type(e).__name__, e.version, e.fullFormattedMessage] for e in sorted(evs, key=lambda e: e.key)
                 if isinstance(e, (vim.event.VmUpgradingEvent, vim.event.VmUpgradeCompleteEvent))]

# the .vmx is the truth: registered again, the VM has the version it was upgraded to
path = vm.config.files.vmPathName
vm.UnregisterVM()
vm = wait(dc.vmFolder.RegisterVM_Task(path=path, asTemplate=False, pool=pool))
state("registered")

# CreateVM_Task: no version is the newest the host runs; one it does not run is refused (vCenter: no host for it)
def created(name, version):
    try:
        return wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name=name, guestId="otherGuest64", memoryMB=128, version=version,
                                                                 files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name)), pool)).config.version
    except Exception as e:  # the fault is the answer
        return type(e).__name__


out["createDefault"] = created("defaulthw", None)
out["createTooNew"] = created("newhw", "vmx-13")

Disconnect(si)
print(json.dumps(out, default=str))
