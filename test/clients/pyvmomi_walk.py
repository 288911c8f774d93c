#!/usr/bin/python3
"""Drives the simulator with pyVmomi (Debian's python3-pyvmomi), the way a
real vSphere script does, and prints one JSON object of what it saw.
Usage: pyvmomi_walk.py HOST PORT USER PASSWORD"""
import json
import ssl
import sys
import warnings

warnings.simplefilter("ignore")
from pyVim.connect import SmartConnect, Disconnect  # noqa: E402
from pyVmomi import vim, vmodl  # noqa: E402

host, port, user, pwd = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl._create_unverified_context()
out = {}

try:
    SmartConnect(host=host, port=port, user=user, pwd=pwd + "-wrong", sslContext=ctx)
    out["wrongPassword"] = "accepted"
except vim.fault.InvalidLogin as e:
    out["wrongPassword"] = "InvalidLogin: " + e.msg

si = SmartConnect(host=host, port=port, user=user, pwd=pwd, sslContext=ctx)
content = si.RetrieveContent()
out["about"] = {"fullName": content.about.fullName, "apiType": content.about.apiType, "apiVersion": content.about.apiVersion}
out["currentUser"] = content.sessionManager.currentSession.userName

# The inventory through properties, object by object.
walk = []
def visit(entity, depth):
    walk.append({"depth": depth, "type": entity._wsdlName, "name": entity.name})
    if isinstance(entity, vim.Folder):
        for c in entity.childEntity:
            visit(c, depth + 1)
    elif isinstance(entity, vim.Datacenter):
        for f in (entity.vmFolder, entity.hostFolder, entity.datastoreFolder, entity.networkFolder):
            visit(f, depth + 1)
    elif isinstance(entity, vim.ComputeResource):
        for h in entity.host:
            visit(h, depth + 1)
        visit(entity.resourcePool, depth + 1)
visit(content.rootFolder, 0)
out["walk"] = walk

# The classic traversal: folder -> datacenter -> compute resource -> host.
def tspec(name, type_, path, select=()):
    return vmodl.query.PropertyCollector.TraversalSpec(name=name, type=type_, path=path, skip=False,
        selectSet=[vmodl.query.PropertyCollector.SelectionSpec(name=s) for s in select])
specs = [
    tspec("folderToChild", vim.Folder, "childEntity", ["folderToChild", "dcToHostFolder", "crToHost"]),
    tspec("dcToHostFolder", vim.Datacenter, "hostFolder", ["folderToChild"]),
    tspec("crToHost", vim.ComputeResource, "host"),
]
pc = content.propertyCollector
fs = vmodl.query.PropertyCollector.FilterSpec(
    objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=content.rootFolder, skip=True, selectSet=specs)],
    propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.HostSystem, pathSet=["name", "summary.hardware.numCpuCores", "config.firewall.defaultPolicy.outgoingBlocked", "no.such.path"])])
res = pc.RetrieveContents([fs])
out["traversal"] = [{"obj": o.obj._moId, "props": {p.name: p.val for p in o.propSet}, "missing": [(m.path, type(m.fault).__name__) for m in o.missingSet]} for o in res]

# Container views and paging.
view = content.viewManager.CreateContainerView(content.rootFolder, [vim.ManagedEntity], True)
vspec = vmodl.query.PropertyCollector.FilterSpec(
    objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=view, skip=True, selectSet=[
        vmodl.query.PropertyCollector.TraversalSpec(name="v", type=vim.view.ContainerView, path="view", skip=False)])],
    propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.ManagedEntity, pathSet=["name"])])
page = pc.RetrievePropertiesEx([vspec], vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=3))
pages = [len(page.objects)]
names = [o.propSet[0].val for o in page.objects]
while page.token:
    page = pc.ContinueRetrievePropertiesEx(page.token)
    pages.append(len(page.objects))
    names += [o.propSet[0].val for o in page.objects]
out["paging"] = {"pages": pages, "names": sorted(names), "viewSize": len(view.view)}

# WaitForUpdatesEx sees a change made through another call.
dc = content.rootFolder.childEntity[0]
root_pool = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ComputeResource)][0].resourcePool
pc2 = pc.CreatePropertyCollector()
pc2.CreateFilter(vmodl.query.PropertyCollector.FilterSpec(
    objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=root_pool)],
    propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.ResourcePool, pathSet=["resourcePool", "name"])]), True)
first = pc2.WaitForUpdatesEx("", vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=5))
before = [c.name for fu in first.filterSet for o in fu.objectSet for c in o.changeSet]
empty = pc2.WaitForUpdatesEx(first.version, vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=0))
spec = vim.ResourceConfigSpec(
    cpuAllocation=vim.ResourceAllocationInfo(reservation=0, expandableReservation=True, limit=-1, shares=vim.SharesInfo(level="normal", shares=0)),
    memoryAllocation=vim.ResourceAllocationInfo(reservation=0, expandableReservation=True, limit=-1, shares=vim.SharesInfo(level="normal", shares=0)))
child = root_pool.CreateResourcePool("pyvmomi-pool", spec)
second = pc2.WaitForUpdatesEx(first.version, vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=5))
changes = [(o.kind, c.name, [r._moId for r in c.val] if c.name == "resourcePool" else c.val) for fu in second.filterSet for o in fu.objectSet for c in o.changeSet]
task = child.Destroy_Task()
while task.info.state not in ("success", "error"):
    pass
pc2.DestroyPropertyCollector()
out["updates"] = {"initial": sorted(before), "emptyWhenNothingChanged": empty is None, "afterCreate": changes, "child": child._moId, "destroyTask": task.info.state}

try:
    root_pool.Destroy_Task()
    t = root_pool.Destroy_Task()
    while t.info.state not in ("success", "error"):
        pass
    out["rootPoolDestroy"] = type(t.info.error).__name__ if t.info.error else "succeeded"
except vmodl.MethodFault as e:
    out["rootPoolDestroy"] = type(e).__name__

try:
    vim.Folder("no-such-folder", si._stub).name
    out["unknownObject"] = "answered"
except vmodl.fault.ManagedObjectNotFound:
    out["unknownObject"] = "ManagedObjectNotFound"

Disconnect(si)
try:
    content.rootFolder.name
    out["afterLogout"] = "answered"
except vim.fault.NotAuthenticated:
    out["afterLogout"] = "NotAuthenticated"

print(json.dumps(out, default=str))
