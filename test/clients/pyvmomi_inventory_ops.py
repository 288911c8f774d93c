#!/usr/bin/python3
"""pyVmomi cleans up and rearranges inventory the way govc (object.destroy
on a network, folder.destroy), PowerCLI and vApp tooling do:
Network.DestroyNetwork on a standard network and a distributed port group,
Folder.UnregisterAndDestroy_Task on a VM folder holding VMs and a subfolder
(the files stay), ResourcePool.RegisterChildVM_Task into a pool and a vApp,
UpdateChildResourceConfiguration on child pools and VMs,
QueryResourceConfigOption and RefreshRuntime, with their faults, and
/_sim/reset undoing it all. Prints one JSON object.
Usage: pyvmomi_inventory_ops.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, fault, wait  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
vc = content.about.apiType == "VirtualCenter"
out = {}
dc = content.rootFolder.childEntity[0]
if vc:
    cluster = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ClusterComputeResource)][0]
    root, host, dsname = cluster.resourcePool, cluster.host[0], "shared-ds"
else:
    root, host, dsname = dc.hostFolder.childEntity[0].resourcePool, dc.hostFolder.childEntity[0].host[0], "mydatastore"


def new_vm(name, folder, pool, network=None):
    dev = []
    if network is not None:
        backing = (vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(port=vim.dvs.PortConnection(
            portgroupKey=network.key, switchUuid=network.config.distributedVirtualSwitch.uuid))
            if isinstance(network, vim.dvs.DistributedVirtualPortgroup)
            else vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName=network.name, network=network))
        dev.append(vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualVmxnet3(key=-1, addressType="generated", backing=backing)))
    spec = vim.vm.ConfigSpec(name=name, guestId="otherGuest64", memoryMB=128, numCPUs=2, files=vim.vm.FileInfo(vmPathName="[%s]" % dsname), deviceChange=dev)
    return wait(folder.CreateVM_Task(spec, pool, host))


def alloc(a):
    return [a.reservation, a.limit, a.shares.level, a.shares.shares]


# ---- DestroyNetwork ----
vmnet = [n for n in dc.network if n.name == "VM Network"][0]
out["network"] = {"standardInUse": attempt(lambda: vmnet.DestroyNetwork()), "still": "VM Network" in [n.name for n in dc.network]}
if vc:
    dvs = [n for n in dc.network if isinstance(n, vim.dvs.DistributedVirtualPortgroup) and n.name == "dvpg-containers"][0].config.distributedVirtualSwitch
    wait(dvs.AddDVPortgroup_Task([vim.dvs.DistributedVirtualPortgroup.ConfigSpec(name="pg-gone", type="earlyBinding", numPorts=8)]))
    wait(dvs.AddDVPortgroup_Task([vim.dvs.DistributedVirtualPortgroup.ConfigSpec(name="pg-used", type="earlyBinding", numPorts=8)]))
    gone = [n for n in dc.network if n.name == "pg-gone"][0]
    used = [n for n in dc.network if n.name == "pg-used"][0]
    user = new_vm("netuser", dc.vmFolder, root, used)
    uplink = [n for n in dc.network if isinstance(n, vim.dvs.DistributedVirtualPortgroup) and n.config.uplink][0]
    out["network"].update({
        "portgroupInUse": attempt(lambda: used.DestroyNetwork()),
        "uplink": attempt(lambda: uplink.DestroyNetwork()),
        # the switch's hosts do not keep a port group: only VMs do
        "portgroup": attempt(lambda: gone.DestroyNetwork()),
        "left": sorted(n.name for n in dc.network if isinstance(n, vim.dvs.DistributedVirtualPortgroup) and not n.config.uplink),
        "switchLists": sorted(p.name for p in dvs.portgroup if not p.config.uplink),
        "hostLists": "pg-gone" in [n.name for n in host.network],
    })
    wait(user.Destroy_Task())

# ---- UnregisterAndDestroy_Task ----
if vc:
    top = dc.vmFolder.CreateFolder("cleanup")
    sub = top.CreateFolder("inner")
    a = new_vm("cleanA", top, root)
    b = new_vm("cleanB", sub, root)
    paths = [a.config.files.vmPathName, b.config.files.vmPathName]
    wait(b.PowerOnVM_Task())
    out["unregister"] = {
        "poweredOn": fault(top.UnregisterAndDestroy_Task()),
        "untouched": sorted(e.name for e in top.childEntity),
        "hostFolder": fault(dc.hostFolder.UnregisterAndDestroy_Task()),
        "networkFolder": fault(dc.networkFolder.UnregisterAndDestroy_Task()),
        "datacenterVmFolder": fault(dc.vmFolder.UnregisterAndDestroy_Task()),
    }
    wait(b.PowerOffVM_Task())
    wait(top.UnregisterAndDestroy_Task())
    out["unregister"].update({
        "folders": sorted(e.name for e in dc.vmFolder.childEntity if isinstance(e, vim.Folder)),
        "vms": sorted(v.name for v in content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True).view),
        "filesKept": [session.folder("GET", dc.name, dsname, p.split("] ", 1)[1])[0] for p in paths],
        "events": len(content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=["VmRemovedEvent"]))),
    })
    # the files register again, into a vApp with RegisterChildVM_Task
    app = root.CreateVApp("app1", vim.ResourceConfigSpec(cpuAllocation=vim.ResourceAllocationInfo(reservation=0, expandableReservation=True, limit=-1, shares=vim.SharesInfo(level="normal", shares=0)),
                                                          memoryAllocation=vim.ResourceAllocationInfo(reservation=0, expandableReservation=True, limit=-1, shares=vim.SharesInfo(level="normal", shares=0))),
                          vim.vApp.VAppConfigSpec(), dc.vmFolder)
    child = wait(app.RegisterChildVM_Task(paths[0], "inApp", host))
    out["registerChild"] = {"vApp": [child.name, child.resourcePool.name, [v.name for v in app.vm]],
                            "again": fault(app.RegisterChildVM_Task(paths[0], "twice", host))}
    # CloneVApp_Task: a new vApp beside it, with a clone of its VM on disks of its own
    ds = [d for d in host.datastore if d.name == dsname][0]
    copy = wait(app.CloneVApp_Task("app1-copy", root, vim.vApp.CloneSpec(location=ds, provisioning="thin")))
    kid = copy.vm[0]
    out["cloneVApp"] = {"copy": [copy.name, copy.parent.name, copy.parentFolder.name, [v.name for v in copy.vm], kid.parentVApp.name, kid.resourcePool.name],
                        "ownFiles": kid.config.files.vmPathName != child.config.files.vmPathName and session.folder("GET", dc.name, dsname, kid.config.files.vmPathName.split("] ", 1)[1])[0],
                        "again": fault(app.CloneVApp_Task("app1-copy", root, vim.vApp.CloneSpec(location=ds)))}
else:
    out["unregister"] = fault(dc.vmFolder.UnregisterAndDestroy_Task())
    out["registerChild"] = {}

# ---- RegisterChildVM_Task into a pool ----
pool = root.CreateResourcePool("rp1", vim.ResourceConfigSpec(
    cpuAllocation=vim.ResourceAllocationInfo(reservation=1000, expandableReservation=False, limit=-1, shares=vim.SharesInfo(level="normal", shares=0)),
    memoryAllocation=vim.ResourceAllocationInfo(reservation=1024, expandableReservation=False, limit=-1, shares=vim.SharesInfo(level="normal", shares=0))))
src = new_vm("source", dc.vmFolder, root)
srcPath = src.config.files.vmPathName
src.UnregisterVM()
reg = wait(pool.RegisterChildVM_Task(srcPath, "registered", host))
out["registerChild"].update({
    "pool": [reg.name, reg.resourcePool.name, reg.parent.name, reg.config.files.vmPathName == srcPath, [v.name for v in pool.vm]],
    "missing": fault(pool.RegisterChildVM_Task("[%s] nowhere/nowhere.vmx" % dsname, "x", host)),
    "badPath": fault(pool.RegisterChildVM_Task("nowhere.vmx", "x", host)),
    "already": fault(pool.RegisterChildVM_Task(srcPath, "again", host)),
})

# ---- UpdateChildResourceConfiguration ----
sub1 = pool.CreateResourcePool("sub1", vim.ResourceConfigSpec(
    cpuAllocation=vim.ResourceAllocationInfo(reservation=100, expandableReservation=False, limit=-1, shares=vim.SharesInfo(level="normal", shares=0)),
    memoryAllocation=vim.ResourceAllocationInfo(reservation=100, expandableReservation=False, limit=-1, shares=vim.SharesInfo(level="normal", shares=0))))


def child_spec(entity, cpu=None, mem=None):
    return vim.ResourceConfigSpec(entity=entity, cpuAllocation=cpu or vim.ResourceAllocationInfo(), memoryAllocation=mem or vim.ResourceAllocationInfo())


A = vim.ResourceAllocationInfo
out["childConfig"] = {
    "tooMuch": attempt(lambda: pool.UpdateChildResourceConfiguration([child_spec(sub1, A(reservation=2000))])),
    "badLimit": attempt(lambda: pool.UpdateChildResourceConfiguration([child_spec(sub1, A(reservation=50)), child_spec(reg, None, A(reservation=64, limit=32))])),
    "notChild": attempt(lambda: pool.UpdateChildResourceConfiguration([child_spec(root, A(reservation=1))])),
    "unchanged": [alloc(sub1.config.cpuAllocation), alloc(reg.config.memoryAllocation)],
}
pool.UpdateChildResourceConfiguration([
    child_spec(sub1, A(reservation=600, limit=800, shares=vim.SharesInfo(level="high", shares=0)), A(reservation=512)),
    child_spec(reg, A(reservation=200, shares=vim.SharesInfo(level="custom", shares=1234)), A(limit=512, shares=vim.SharesInfo(level="low", shares=0))),
])
vmx = session.vmx(reg, dc.name)
out["childConfig"].update({
    "pool": [alloc(sub1.config.cpuAllocation), alloc(sub1.config.memoryAllocation)],
    "vm": [alloc(reg.config.cpuAllocation), alloc(reg.config.memoryAllocation)],
    "vmx": sorted(l for l in vmx.splitlines() if l.startswith(("sched.cpu.min", "sched.cpu.shares", "sched.mem.max", "sched.mem.shares"))),
    "runtime": pool.runtime.cpu.reservationUsed,
})
pool.RefreshRuntime()
opt = pool.QueryResourceConfigOption()
out["configOption"] = [type(opt).__name__.split(".")[-1],
                       [opt.cpuAllocationOption.sharesOption.sharesOption.min, opt.cpuAllocationOption.sharesOption.sharesOption.max, opt.cpuAllocationOption.sharesOption.sharesOption.defaultValue, opt.cpuAllocationOption.sharesOption.defaultLevel],
                       [opt.memoryAllocationOption.sharesOption.sharesOption.min, opt.memoryAllocationOption.sharesOption.sharesOption.max, opt.memoryAllocationOption.sharesOption.sharesOption.defaultValue]]

# ---- /_sim/reset ----
out["reset"] = session.reset()
view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine, vim.ResourcePool], True)
out["afterReset"] = sorted("%s:%s" % (type(o).__name__.split(".")[-1], o.name) for o in view.view)
print(json.dumps(out))
