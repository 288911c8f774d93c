#!/usr/bin/python3
"""pyVmomi meets faults a test injected over /_sim/faults: a power-on task
that ends in InsufficientResourcesFault once, then works; a QueryEvents that
answers InvalidArgument until the rule is removed. Prints one JSON object.
Usage: pyvmomi_faults.py HOST PORT USER PASSWORD"""
import json
import ssl
import sys
import urllib.error
import urllib.request

from sim_session import Session, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim, vmodl

session = Session(sys.argv)
si, content = session.si, session.content
out = {}


def control(method, path, body=None):
    req = urllib.request.Request("https://%s:%d/_sim/%s" % (session.host, session.port, path), method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Cookie": si._stub.cookie, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, context=session.ctx) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


dc = content.rootFolder.childEntity[0]
pool = dc.hostFolder.childEntity[0].resourcePool
ds = pool.owner.datastore[0]
vm = wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="faulty", guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name)), pool))

status, rule = control("POST", "faults", {"method": "PowerOnVM_Task", "object": vm._moId, "fault": "InsufficientResourcesFault",
                                           "message": "Insufficient resources to power on.", "count": 1})
out["added"] = [status, rule["id"], rule["hits"]]
task = vm.PowerOnVM_Task()
try:
    wait(task)
    out["firstPowerOn"] = "success"
except vim.fault.InsufficientResourcesFault as e:
    out["firstPowerOn"] = ["InsufficientResourcesFault", e.msg, task.info.state, task.info.descriptionId, task.info.entity == vm]
out["stateAfterFault"] = vm.runtime.powerState
out["rulesAfterCount"] = control("GET", "faults")[1]["faults"]
wait(vm.PowerOnVM_Task())
out["secondPowerOn"] = vm.runtime.powerState

status, rule = control("POST", "faults", {"method": "QueryEvents", "fault": "InvalidArgument", "fields": {"invalidProperty": "filter"}})
em = content.eventManager
spec = vim.event.EventFilterSpec(entity=vim.event.EventFilterSpec.ByEntity(entity=vm, recursion="self"))
answers = []
for _ in range(2):
    try:
        em.QueryEvents(spec)
        answers.append("events")
    except vmodl.fault.InvalidArgument as e:
        answers.append(["InvalidArgument", e.invalidProperty])
out["queryEvents"] = answers
out["hits"] = [r["hits"] for r in control("GET", "faults")[1]["faults"] if r["id"] == rule["id"]]
out["removed"] = control("DELETE", "faults/" + rule["id"])[0]
out["afterRemove"] = "events" if len(em.QueryEvents(spec)) > 0 else "none"
out["badRule"] = control("POST", "faults", {"method": "PowerOnVM_Task", "fault": "NoSuchFault"})
Disconnect(si)
print(json.dumps(out))
