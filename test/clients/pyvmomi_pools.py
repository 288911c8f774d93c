#!/usr/bin/python3
"""pyVmomi moves pools and VMs between resource pools with
MoveIntoResourcePool (Terraform's vsphere_resource_pool does it when a
pool's parent changes): what moves, the lists and events that follow, and
the faults. Prints one JSON object.
Usage: pyvmomi_pools.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
dc = content.rootFolder.childEntity[0]
root = dc.hostFolder.childEntity[0].resourcePool
ds = root.owner.datastore[0]


def spec(reservation=0):
    alloc = lambda: vim.ResourceAllocationInfo(reservation=reservation, expandableReservation=False, limit=-1, shares=vim.SharesInfo(level="normal"))
    return vim.ResourceConfigSpec(cpuAllocation=alloc(), memoryAllocation=alloc())


web = root.CreateResourcePool("web", spec())
db = root.CreateResourcePool("db", spec())
cache = web.CreateResourcePool("cache", spec())
vm = wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="pooled", guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name)), web))

db.MoveIntoResourcePool([cache, vm])
out["moved"] = [cache.parent.name, vm.resourcePool.name, sorted(p.name for p in db.resourcePool), [v.name for v in db.vm], [p.name for p in web.resourcePool], list(web.vm)]
out["intoItself"] = attempt(lambda: cache.MoveIntoResourcePool([db]))
out["root"] = attempt(lambda: web.MoveIntoResourcePool([root]))
web.CreateResourcePool("cache", spec())
out["duplicate"] = attempt(lambda: web.MoveIntoResourcePool([cache]))
big = root.CreateResourcePool("big", spec(reservation=1000))
out["tooBig"] = attempt(lambda: cache.MoveIntoResourcePool([big]))
evs = content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=["ResourcePoolMovedEvent", "VmResourcePoolMovedEvent"]))
out["events"] = [[type(e).__name__.split(".")[-1], e.oldParent.name, e.newParent.name] for e in sorted(evs, key=lambda e: e.key)]
Disconnect(si)
print(json.dumps(out))
