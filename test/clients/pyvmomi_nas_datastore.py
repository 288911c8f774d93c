#!/usr/bin/python3
"""pyVmomi mounts an NFS export through a host's HostDatastoreSystem (govc
datastore.create -type nfs does the same), puts a VM on it, and removes it:
refused while the VM is there. On vCenter a second host mounts the same
export and joins the same datastore. Prints one JSON object.
Usage: pyvmomi_nas_datastore.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
dc = content.rootFolder.childEntity[0]
hosts = [h for cr in dc.hostFolder.childEntity for h in cr.host]
host = hosts[0]
spec = lambda name, path: vim.host.NasVolume.Specification(remoteHost="nas.example.com", remotePath=path, localPath=name, accessMode="readWrite", type="NFS")


dss = host.configManager.datastoreSystem
ds = dss.CreateNasDatastore(spec("nfs-vms", "/exports/vms"))
out["created"] = [ds.name, ds.summary.type, ds.info.nas.remoteHost, ds.info.nas.remotePath, ds.summary.capacity, ds.summary.accessible]
out["lists"] = [ds in host.datastore, ds in dss.datastore, ds in dc.datastore, ds in dc.datastoreFolder.childEntity]
out["again"] = attempt(lambda: dss.CreateNasDatastore(spec("nfs-vms", "/exports/vms")))
out["sameNameOtherExport"] = attempt(lambda: dss.CreateNasDatastore(spec("nfs-vms", "/exports/other")))
if len(hosts) > 1:
    other = hosts[1].configManager.datastoreSystem.CreateNasDatastore(spec("nfs-vms", "/exports/vms"))
    out["shared"] = [other == ds, len(ds.host), ds.summary.multipleHostAccess]
    hosts[1].configManager.datastoreSystem.RemoveDatastore(ds)
pool = host.parent.resourcePool
vm = wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="on-nfs", guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[nfs-vms]")), pool, host))
out["vmx"] = session.folder("GET", dc.name, "nfs-vms", "on-nfs/on-nfs.vmx")[0]
out["inUse"] = attempt(lambda: dss.RemoveDatastore(ds))
wait(vm.Destroy_Task())
dss.RemoveDatastore(ds)
out["removed"] = [d.name for d in dc.datastore if d.name == "nfs-vms"]
out["events"] = sorted(set(type(e).__name__.split(".")[-1] for e in content.eventManager.QueryEvents(vim.event.EventFilterSpec(
    eventTypeId=["NASDatastoreCreatedEvent", "DatastoreRemovedOnHostEvent"]))))
Disconnect(si)
print(json.dumps(out))
