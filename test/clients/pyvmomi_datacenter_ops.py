#!/usr/bin/python3
"""pyVmomi powers on several VMs with Datacenter.PowerOnMultiVM_Task (DRS on
vCenter; NotSupported on a standalone host) and logs a user event on a VM
with EventManager.LogUserEvent. Prints one JSON object.
Usage: pyvmomi_datacenter_ops.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
dc = content.rootFolder.childEntity[0]
pool = dc.hostFolder.childEntity[0].resourcePool
ds = pool.owner.datastore[0]
vms = [wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="multi-%d" % i, guestId="otherGuest64", memoryMB=128,
                                                         files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name)), pool)) for i in range(2)]
ghost = vim.VirtualMachine("vm-99999", si._stub)
try:
    result = wait(dc.PowerOnMultiVM_Task(vms + [ghost]))
    for a in result.attempted:
        wait(a.task)
    out["multi"] = {"attempted": sorted(a.vm.name for a in result.attempted), "notAttempted": [[n.vm._moId, type(n.fault).__name__.split(".")[-1]] for n in result.notAttempted],
                    "power": [v.runtime.powerState for v in vms]}
except Exception as e:  # vmodl.fault.NotSupported on a standalone host
    out["multi"] = type(e).__name__

content.eventManager.LogUserEvent(vms[0], "backup taken")
evs = content.eventManager.QueryEvents(vim.event.EventFilterSpec(entity=vim.event.EventFilterSpec.ByEntity(entity=vms[0], recursion="self"),
                                                                  eventTypeId=["GeneralUserEvent"]))
out["userEvents"] = [[type(e).__name__.split(".")[-1], e.message, e.fullFormattedMessage, e.entity.name, e.userName == content.sessionManager.currentSession.userName] for e in evs]
Disconnect(si)
print(json.dumps(out))
