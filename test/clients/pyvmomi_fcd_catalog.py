#!/usr/bin/python3
"""One step of a first-class disk catalog check across simulator snapshots:
`create` makes an FCD on shared-ds, `list` names those on shared-ds with
their names and whether their descriptors are on the datastore.
Prints one JSON object.
Usage: pyvmomi_fcd_catalog.py HOST PORT USER PASSWORD create|list"""
import json
import sys

from sim_session import Session, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
content = session.content
dc = content.rootFolder.childEntity[0]
shared = [d for d in dc.datastore if d.name == "shared-ds"][0]
m = content.vStorageObjectManager
out = {}
if sys.argv[5] == "create":
    spec = vim.vslm.CreateSpec(name="kept", capacityInMB=8, backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=shared))
    out["id"] = wait(m.CreateDisk_Task(spec)).config.id.id
else:
    disks = []
    for i in m.ListVStorageObject(shared):
        o = m.RetrieveVStorageObject(i, shared)
        path = o.config.backing.filePath.split("] ", 1)[1]
        disks.append({"id": i.id, "name": o.config.name, "descriptor": session.folder("GET", dc.name, "shared-ds", path)[0]})
    out["disks"] = disks
Disconnect(session.si)
print(json.dumps(out))
