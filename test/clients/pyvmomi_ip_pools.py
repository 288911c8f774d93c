#!/usr/bin/python3
"""pyVmomi and vCenter's IP pools (IpPoolManager), as OVF deployments with
transient IP allocation and solutions like vSphere Replication use them:
creating a pool with IPv4 and IPv6 ranges, the checks on its subnet,
netmask, gateway and ranges, allocating addresses (the same allocation ID
gets the same address; none left is the empty string), releasing them,
querying allocations, updating and destroying pools; then an InventoryView
opened and closed the way a UI's tree does; /_sim/reset at the end.
Prints one JSON object.
Usage: pyvmomi_ip_pools.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
user = content.sessionManager.currentSession.userName
ipm = content.ipPoolManager
dc = content.rootFolder.childEntity[0]
net = sorted(dc.network, key=lambda n: n.name)[0]
out = {}


def short(o):
    return type(o).__name__.split(".")[-1]


def v4(**kw):
    base = dict(subnetAddress="10.20.0.0", netmask="255.255.255.0", gateway="10.20.0.1", range="10.20.0.10#3", dns=["10.20.0.2"], ipPoolEnabled=True)
    base.update(kw)
    return vim.vApp.IpPool.IpPoolConfigInfo(**base)


def v6(**kw):
    base = dict(subnetAddress="2001:db8::", netmask="ffff:ffff:ffff:ffff::", gateway="2001:db8::1", range="2001:db8::10#2", ipPoolEnabled=True)
    base.update(kw)
    return vim.vApp.IpPool.IpPoolConfigInfo(**base)


def pool(name="pool1", **kw):
    return vim.vApp.IpPool(name=name, ipv4Config=kw.pop("ipv4", v4()), ipv6Config=kw.pop("ipv6", v6()), dnsDomain="example.com", **kw)


def pools():
    return {p.name: [p.id, p.ipv4Config.range, list(p.ipv4Config.dns), p.availableIpv4Addresses, p.allocatedIpv4Addresses,
                     p.availableIpv6Addresses, p.allocatedIpv6Addresses, [a.networkName for a in p.networkAssociation]] for p in ipm.QueryIpPools(dc)}


out["empty"] = list(ipm.QueryIpPools(dc))
pid = ipm.CreateIpPool(dc, pool(networkAssociation=[vim.vApp.IpPool.Association(network=net)]))
p = ipm.QueryIpPools(dc)[0]
out["created"] = {
    "id": pid, "name": p.name, "dnsDomain": p.dnsDomain, "hostPrefix": p.hostPrefix,
    "v4": [p.ipv4Config.subnetAddress, p.ipv4Config.netmask, p.ipv4Config.gateway, p.ipv4Config.range, list(p.ipv4Config.dns), p.ipv4Config.ipPoolEnabled, p.ipv4Config.dhcpServerAvailable],
    "v6": [p.ipv6Config.subnetAddress, p.ipv6Config.gateway, p.ipv6Config.range],
    "counts": [p.availableIpv4Addresses, p.allocatedIpv4Addresses, p.availableIpv6Addresses, p.allocatedIpv6Addresses],
    "network": [a.network == net for a in p.networkAssociation] + [a.networkName == net.name for a in p.networkAssociation],
}

out["createFaults"] = {
    "duplicateName": attempt(lambda: ipm.CreateIpPool(dc, pool())),
    "noName": attempt(lambda: ipm.CreateIpPool(dc, vim.vApp.IpPool(ipv4Config=v4()))),
    "badNetmask": attempt(lambda: ipm.CreateIpPool(dc, pool("p", ipv4=v4(netmask="255.0.255.0")))),
    "hostBits": attempt(lambda: ipm.CreateIpPool(dc, pool("p", ipv4=v4(subnetAddress="10.20.0.5")))),
    "gatewayOutside": attempt(lambda: ipm.CreateIpPool(dc, pool("p", ipv4=v4(gateway="10.30.0.1")))),
    "rangeOutside": attempt(lambda: ipm.CreateIpPool(dc, pool("p", ipv4=v4(range="10.20.0.250#10")))),
    "rangeSyntax": attempt(lambda: ipm.CreateIpPool(dc, pool("p", ipv4=v4(range="10.20.0.10-10.20.0.20")))),
    "rangeZero": attempt(lambda: ipm.CreateIpPool(dc, pool("p", ipv4=v4(range="10.20.0.10#0")))),
    "overlap": attempt(lambda: ipm.CreateIpPool(dc, pool("p", ipv4=v4(range="10.20.0.10#5, 10.20.0.12#2")))),
    "holdsGateway": attempt(lambda: ipm.CreateIpPool(dc, pool("p", ipv4=v4(range="10.20.0.1#5")))),
    "badDns": attempt(lambda: ipm.CreateIpPool(dc, pool("p", ipv4=v4(dns=["dns.example.com"])))),
    "v6Outside": attempt(lambda: ipm.CreateIpPool(dc, pool("p", ipv6=v6(range="2001:db9::10#2")))),
    "networkTaken": attempt(lambda: ipm.CreateIpPool(dc, pool("p", networkAssociation=[vim.vApp.IpPool.Association(network=net)]))),
    "pools": sorted(pools()),
}

# allocations: the same ID gives the same address; an exhausted pool answers ""
alloc = []
for aid in ["vm-1", "vm-1", "vm-2", "vm-3", "vm-4"]:
    alloc.append([aid, ipm.AllocateIpv4Address(dc, pid, aid)])
alloc.append(["v6 vm-1", ipm.AllocateIpv6Address(dc, pid, "vm-1")])
alloc.append(["v6 vm-2", ipm.AllocateIpv6Address(dc, pid, "vm-2")])
alloc.append(["v6 vm-3", ipm.AllocateIpv6Address(dc, pid, "vm-3")])
out["allocate"] = alloc
out["afterAllocate"] = pools()["pool1"]
out["allocations"] = sorted([a.allocationId, a.ipAddress] for a in ipm.QueryIPAllocations(dc, pid, user))
out["otherExtension"] = list(ipm.QueryIPAllocations(dc, pid, "com.example.other"))
out["unknownPool"] = {
    "allocate": attempt(lambda: ipm.AllocateIpv4Address(dc, 99, "x")),
    "release": attempt(lambda: ipm.ReleaseIpAllocation(dc, 99, "x")),
    "query": attempt(lambda: ipm.QueryIPAllocations(dc, 99, user)),
    "update": attempt(lambda: ipm.UpdateIpPool(dc, vim.vApp.IpPool(id=99, name="x"))),
    "destroy": attempt(lambda: ipm.DestroyIpPool(dc, 99, True)),
}
ipm.ReleaseIpAllocation(dc, pid, "vm-2")
out["release"] = {
    "again": attempt(lambda: ipm.ReleaseIpAllocation(dc, pid, "vm-2")),
    "counts": pools()["pool1"][3:7],
    "reused": ipm.AllocateIpv4Address(dc, pid, "vm-5"),
}

# UpdateIpPool: unset fields stay; a range without vm-1's address releases it
ipm.UpdateIpPool(dc, vim.vApp.IpPool(id=pid, name="pool-renamed", ipv4Config=vim.vApp.IpPool.IpPoolConfigInfo(range="10.20.0.11#5")))
out["updated"] = pools()
out["updatedAllocations"] = sorted([a.allocationId, a.ipAddress] for a in ipm.QueryIPAllocations(dc, pid, user))
ipm.UpdateIpPool(dc, vim.vApp.IpPool(id=pid, ipv4Config=vim.vApp.IpPool.IpPoolConfigInfo(dns=[""])))
out["dnsCleared"] = pools()["pool-renamed"][2]
out["updateFaults"] = {
    "badGateway": attempt(lambda: ipm.UpdateIpPool(dc, vim.vApp.IpPool(id=pid, ipv4Config=vim.vApp.IpPool.IpPoolConfigInfo(gateway="10.20.0.12")))),
    "unchanged": pools()["pool-renamed"][1],
}

# a disabled pool gives no addresses
pid2 = ipm.CreateIpPool(dc, pool("off", ipv4=v4(ipPoolEnabled=False, range="10.20.0.100#10"), ipv6=None))
out["disabled"] = [pid2, ipm.AllocateIpv4Address(dc, pid2, "vm-1"), ipm.AllocateIpv6Address(dc, pid2, "vm-1")]

out["destroy"] = {
    "inUse": attempt(lambda: ipm.DestroyIpPool(dc, pid, False)),
    "unused": attempt(lambda: ipm.DestroyIpPool(dc, pid2, False)),
    "forced": attempt(lambda: ipm.DestroyIpPool(dc, pid, True)),
    "left": list(ipm.QueryIpPools(dc)),
}
pid3 = ipm.CreateIpPool(dc, pool("after reset"))
out["nextId"] = pid3

# ---- InventoryView ----
iv = content.viewManager.CreateInventoryView()
names = lambda: [o.name for o in iv.view]  # noqa: E731
out["view"] = {"type": short(iv), "initial": [o == content.rootFolder for o in iv.view], "listed": iv in content.viewManager.viewList}
steps = []
steps.append(["openRoot", list(iv.OpenFolder([content.rootFolder])), names()])
steps.append(["openHostFolder", list(iv.OpenFolder([dc.hostFolder])), names()])
ghost = vim.Folder("group-v999", si._stub)
steps.append(["openUnknown", [o._moId for o in iv.OpenFolder([ghost, dc.vmFolder])], names()])
dc.vmFolder.CreateFolder("apps")
steps.append(["newFolder", names()])
steps.append(["closeHostFolder", list(iv.CloseFolder([dc.hostFolder])), names()])
steps.append(["closeRoot", list(iv.CloseFolder([content.rootFolder])), names()])
cluster = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ClusterComputeResource)][0]
# a cluster below closed folders: the folders above it open first
steps.append(["openCluster", list(iv.OpenFolder([cluster])), names()])
out["viewSteps"] = steps
iv.DestroyView()
out["destroyed"] = attempt(lambda: iv.view)

out["reset"] = {"status": session.reset(), "pools": list(ipm.QueryIpPools(dc))}
print(json.dumps(out))
