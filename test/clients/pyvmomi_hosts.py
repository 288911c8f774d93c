#!/usr/bin/python3
"""pyVmomi grows a vCenter's inventory the way vSphere automation does:
CreateClusterEx, AddStandaloneHost_Task (first without the host's thumbprint,
which the SSLVerifyFault carries, then with it), AddHost_Task into the
cluster, a VM on the new host, MoveInto_Task of the standalone host and its
VM into the cluster, then the hosts leave again (maintenance mode,
HostSystem.Destroy_Task; ComputeResource.Destroy_Task). On a standalone host
every one of these answers NotSupported. Prints one JSON object.
Usage: pyvmomi_hosts.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, fault, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
dc = content.rootFolder.childEntity[0]
hf = dc.hostFolder


def short(e):
    return type(e).__name__.split(".")[-1]


def spec(name, thumbprint=None, user="root"):
    return vim.host.ConnectSpec(hostName=name, userName=user, password="esx-pw", sslThumbprint=thumbprint, force=False)


if content.about.apiType != "VirtualCenter":
    out["disconnect"] = fault(hf.childEntity[0].host[0].DisconnectHost_Task())
    out["cluster"] = attempt(lambda: hf.CreateClusterEx("c2", vim.cluster.ConfigSpecEx()))
    out["standalone"] = fault(hf.AddStandaloneHost_Task(spec("esx9.example.com"), None, True))
    print(json.dumps(out))
    sys.exit(0)

# a cluster with DRS on, and the name clash vpxd answers
cl = hf.CreateClusterEx("cluster2", vim.cluster.ConfigSpecEx(drsConfig=vim.cluster.DrsConfigInfo(enabled=True, defaultVmBehavior="partiallyAutomated")))
cfg = cl.configurationEx
out["cluster"] = {"type": type(cl).__name__, "drs": [cfg.drsConfig.enabled, cfg.drsConfig.defaultVmBehavior], "ha": cfg.dasConfig.enabled,
                  "hosts": len(cl.host), "pool": cl.resourcePool.name, "numHosts": cl.summary.numHosts,
                  "inFolder": cl in hf.childEntity, "again": attempt(lambda: hf.CreateClusterEx("cluster2", vim.cluster.ConfigSpecEx()))}

# a standalone host: the thumbprint comes from the fault, as scripts and govc's host.add -noverify do it
try:
    wait(hf.AddStandaloneHost_Task(spec("esx9.example.com"), None, True))
    out["noThumbprint"] = "added"
except vim.fault.SSLVerifyFault as e:
    out["noThumbprint"] = [short(e), len(e.thumbprint.split(":"))]
    thumbprint = e.thumbprint
out["noUser"] = fault(hf.AddStandaloneHost_Task(spec("esx9.example.com", thumbprint, user=""), None, True))
out["noName"] = fault(hf.AddStandaloneHost_Task(spec("", thumbprint), None, True))
cr = wait(hf.AddStandaloneHost_Task(spec("esx9.example.com", thumbprint), vim.ComputeResource.ConfigSpec(vmSwapPlacement="hostLocal"), True))
host = cr.host[0]
out["standalone"] = {
    "type": type(cr).__name__, "name": cr.name, "host": host.name, "state": host.runtime.connectionState,
    "thumbprint": host.summary.config.sslThumbprint == thumbprint, "swap": cr.configurationEx.vmSwapPlacement,
    "datastores": sorted(d.name for d in host.datastore), "networks": sorted(n.name for n in host.network),
    "pool": [cr.resourcePool.name, cr.resourcePool.config.memoryAllocation.reservation > 0],
    "ip": host.config.network.vnic[0].spec.ip.ipAddress,
    "again": fault(hf.AddStandaloneHost_Task(spec("esx9.example.com", thumbprint), None, True)),
    "existing": fault(hf.AddStandaloneHost_Task(spec("esx1.example.com", content.searchIndex.FindByDnsName(dc, "esx1.example.com", False).summary.config.sslThumbprint), None, True)),
}

# a host joins the cluster; a VM runs on it
try:
    wait(cl.AddHost_Task(spec("esx10.example.com"), True))
except vim.fault.SSLVerifyFault as e:
    h2 = wait(cl.AddHost_Task(spec("esx10.example.com", e.thumbprint), True))
ds = h2.datastore[0]
vm = wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="on-new-host", guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name)),
                                    cl.resourcePool, h2))
wait(vm.PowerOnVM_Task())
out["clustered"] = {
    "hosts": [h.name for h in cl.host], "numHosts": cl.summary.numHosts, "cores": cl.summary.numCpuCores,
    "poolCpu": cl.resourcePool.config.cpuAllocation.reservation > 0, "datastore": ds.name, "clusterDatastores": [d.name for d in cl.datastore],
    "vm": [vm.runtime.host.name, vm.runtime.powerState, vm.config.files.vmPathName.startswith("[%s] on-new-host/" % ds.name)],
}

events = content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=["ClusterCreatedEvent", "HostAddedEvent", "HostConnectedEvent"]))
out["events"] = sorted([short(e), e.fullFormattedMessage] for e in events)

# vCenter lets go of a host: it and its VMs read disconnected, the VMs' tasks cannot reach it, until it reconnects
wait(h2.DisconnectHost_Task())
out["disconnect"] = [h2.runtime.connectionState, vm.runtime.connectionState, vm.summary.runtime.connectionState, vm.runtime.powerState,
                     fault(vm.PowerOffVM_Task()), fault(h2.DisconnectHost_Task())]
wait(h2.ReconnectHost_Task())
out["reconnect"] = [h2.runtime.connectionState, vm.runtime.connectionState, vm.runtime.powerState]
out["connectionEvents"] = [short(e) for e in sorted(content.eventManager.QueryEvents(vim.event.EventFilterSpec(
    entity=vim.event.EventFilterSpec.ByEntity(entity=h2, recursion="self"), eventTypeId=["HostDisconnectedEvent", "HostConnectedEvent"])), key=lambda e: e.key)]

# a standalone host moves into the cluster, its VM into the cluster's root pool; a host of another cluster must be in maintenance mode first
vm9 = wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="on-esx9", guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[datastore1]")),
                                     cr.resourcePool, host))
esx1 = content.searchIndex.FindByDnsName(dc, "esx1.example.com", False)
out["moveBusy"] = fault(cl.MoveInto_Task([esx1]))
wait(cl.MoveInto_Task([host]))
out["moved"] = {
    "hosts": sorted(h.name for h in cl.host), "cores": cl.summary.numCpuCores, "folder": sorted(e.name for e in hf.childEntity),
    "vm": [vm9.resourcePool == cl.resourcePool, vm9.runtime.host.name, vm9.environmentBrowser == cl.environmentBrowser, vm9 in cl.resourcePool.vm],
    "clusterDatastores": sorted(d.name for d in cl.datastore),
}
wait(vm9.Destroy_Task())

# leaving: a clustered host needs maintenance mode and no VMs; a standalone host goes with its compute resource
out["busy"] = fault(h2.Destroy_Task())
wait(vm.PowerOffVM_Task())
wait(vm.Destroy_Task())
out["notInMaintenance"] = fault(h2.Destroy_Task())
for h in (h2, host):
    wait(h.EnterMaintenanceMode_Task(0))
    wait(h.Destroy_Task())
try:
    wait(hf.AddStandaloneHost_Task(spec("esx11.example.com"), None, True))
except vim.fault.SSLVerifyFault as e:
    cr11 = wait(hf.AddStandaloneHost_Task(spec("esx11.example.com", e.thumbprint), None, False))
out["disconnected"] = cr11.host[0].runtime.connectionState
wait(cr11.Destroy_Task())
out["after"] = {
    "cluster": [len(cl.host), cl.summary.numHosts, cl.resourcePool.config.cpuAllocation.reservation, [d.name for d in cl.datastore]],
    "folder": sorted(e.name for e in hf.childEntity),
    "datastores": sorted(d.name for d in dc.datastore),
    "vmNetworkHosts": sorted(h.name for n in dc.network if n.name == "VM Network" for h in n.host),
}
Disconnect(si)
print(json.dumps(out))
