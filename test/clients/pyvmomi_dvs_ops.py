#!/usr/bin/python3
"""pyVmomi and the rest of a distributed switch's API on vCenter, as
PowerCLI's Set-VDPort / Move-VDPort, Ansible's vmware_dvswitch_nioc,
vmware_dvswitch_lacp and vmware_dvswitch (health check) modules and
vSphere automation scripts drive it: port keys, per-port reconfiguration
and removal, moving ports between groups and out to the switch (a connected
VM's NIC follows), capability, network I/O control pools, health check,
LACP groups, rollback, and the DistributedVirtualSwitchManager's
compatibility and configuration-target queries. Prints one JSON object.
Usage: pyvmomi_dvs_ops.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, fault, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim
from pyVmomi.VmomiSupport import binary

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
dc = content.rootFolder.childEntity[0]
cluster = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ClusterComputeResource)][0]
pool = cluster.resourcePool
hosts = {h.name: h for h in content.viewManager.CreateContainerView(dc, [vim.HostSystem], True).view}
dvs1 = [n for n in dc.networkFolder.childEntity if isinstance(n, vim.DistributedVirtualSwitch)][0]
crit = vim.dvs.PortCriteria
PG = vim.dvs.DistributedVirtualPortgroup
Setting = vim.dvs.VmwareDistributedVirtualSwitch.VmwarePortConfigPolicy

# the scenario's switch as a run finds it: a snapshot restore or reset must bring back its ports, pools, checkpoint and counters
out["dvs1Start"] = [wait(dvs1.DVSRollback_Task()), dvs1.FetchDVPorts(crit(portKey=["0"]))[0].config.name, len(dvs1.networkResourcePool), dvs1.config.configVersion]

# a switch of our own on the cluster's three hosts, with groups of every kind
members = [vim.dvs.HostMember.ConfigSpec(operation="add", host=hosts[n]) for n in ("esx1.example.com", "esx2.example.com", "esx3.example.com")]
create = vim.DistributedVirtualSwitch.CreateSpec(
    configSpec=vim.dvs.VmwareDistributedVirtualSwitch.ConfigSpec(name="dvs-ops", host=members),
    productInfo=vim.dvs.ProductSpec(version="6.0.0"))
dvs = wait(dc.networkFolder.CreateDVS_Task(create))


def add_pg(name, num, kind, live=False):
    wait(dvs.AddDVPortgroup_Task([PG.ConfigSpec(name=name, numPorts=num, type=kind, autoExpand=False,
                                                policy=PG.PortgroupPolicy(livePortMovingAllowed=live, blockOverrideAllowed=True))]))
    return [p for p in dvs.portgroup if p.name == name][0]


def ports(**kw):
    return dvs.FetchDVPorts(crit(**kw) if kw else None)


def one(key):
    return ports(portKey=[key])[0]


def version():
    return dvs.config.configVersion


def events(kind, n=1):
    found = content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=[kind]))
    return sorted(found, key=lambda e: e.key)[-n:]


a = add_pg("pg-a", 4, "earlyBinding")
b = add_pg("pg-b", 2, "earlyBinding", live=True)
eph = add_pg("pg-eph", 0, "ephemeral")
uplink = [p for p in dvs.portgroup if p.config.uplink][0]

# rollback before any reconfiguration: nothing saved, no spec
out["rollbackFresh"] = [wait(dvs.DVSRollback_Task()), wait(a.DVPortgroupRollback_Task())]

# ---- FetchDVPortKeys, RefreshDVPortState ----
out["keys"] = [
    list(dvs.FetchDVPortKeys()) == [p.key for p in ports()],
    list(dvs.FetchDVPortKeys(crit(portgroupKey=[a.key], inside=True))) == list(a.portKeys),
    len(dvs.FetchDVPortKeys(crit(uplinkPort=True))),
    list(dvs.FetchDVPortKeys(crit(portKey=["9999"]))),
]
out["refresh"] = [attempt(lambda: dvs.RefreshDVPortState(list(a.portKeys))), attempt(lambda: dvs.RefreshDVPortState()),
                  attempt(lambda: dvs.RefreshDVPortState(["9999"]))]

# ---- ReconfigureDVPort_Task ----
a0, a1, a2, a3 = a.portKeys
v0 = version()
Spec = vim.dvs.DistributedVirtualPort.ConfigSpec
wait(dvs.ReconfigureDVPort_Task([Spec(operation="edit", key=a0, configVersion="0", name="web", description="front end",
                                      setting=Setting(blocked=vim.BoolPolicy(inherited=False, value=True)))]))
p = one(a0)
ev = events("DvsPortReconfiguredEvent")[0]
out["edit"] = [p.config.name, p.config.description, p.config.setting.blocked.value, p.config.setting.blocked.inherited,
               p.config.setting.vlan.vlanId, p.config.configVersion, int(version()) - int(v0), list(ev.portKey), ev.dvs.name]
out["editFaults"] = {
    "add": fault(dvs.ReconfigureDVPort_Task([Spec(operation="add", key=a1)])),
    "unknown": fault(dvs.ReconfigureDVPort_Task([Spec(operation="edit", key="9999", name="x")])),
    "stale": fault(dvs.ReconfigureDVPort_Task([Spec(operation="edit", key=a0, configVersion="0", name="x")])),
    # the group's policy forbids VLAN overrides (vlanOverrideAllowed is false by default)
    "vlanOverride": fault(dvs.ReconfigureDVPort_Task([Spec(operation="edit", key=a1, setting=Setting(
        vlan=vim.dvs.VmwareDistributedVirtualSwitch.VlanIdSpec(inherited=False, vlanId=12)))])),
    "halfApplied": fault(dvs.ReconfigureDVPort_Task([Spec(operation="edit", key=a1, name="first"), Spec(operation="edit", key="9999", name="second")])),
}
out["editUnchanged"] = [one(a1).config.name, one(a1).config.configVersion, one(a0).config.name]
# two ports may share a name
wait(dvs.ReconfigureDVPort_Task([Spec(operation="edit", key=a1, name="web")]))
out["sameName"] = sorted(p.config.name for p in ports(portKey=[a0, a1]))


def nic_spec(pg, port_key):
    backing = vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
        port=vim.dvs.PortConnection(switchUuid=dvs.uuid, portgroupKey=pg.key, portKey=port_key))
    dev = vim.vm.device.VirtualVmxnet3(key=-1, connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True), backing=backing)
    return vim.vm.device.VirtualDeviceSpec(operation="add", device=dev)


def nic(vm):
    return [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)][0]


spec = vim.vm.ConfigSpec(name="ops-vm", guestId="otherGuest64", memoryMB=128, numCPUs=1,
                         files=vim.vm.FileInfo(vmPathName="[shared-ds]"), deviceChange=[nic_spec(a, a3)])
vm = wait(dc.vmFolder.CreateVM_Task(spec, pool, hosts["esx1.example.com"]))
vm_port = nic(vm).backing.port.portKey  # the port the NIC asked for: a3
# a port in use keeps its connectee when edited, and cannot be removed
wait(dvs.ReconfigureDVPort_Task([Spec(operation="edit", key=vm_port, description="the VM's")]))
held = one(vm_port)
out["inUse"] = [vm_port == a3, held.config.description, held.connectee.connectedEntity.name if held.connectee else None,
                fault(dvs.ReconfigureDVPort_Task([Spec(operation="remove", key=vm_port)]))]

# removing a free port takes it out of its group
free = [k for k in a.portKeys if k not in (a0, a1, vm_port)][-1]
wait(dvs.ReconfigureDVPort_Task([Spec(operation="remove", key=free)]))
out["remove"] = [a.config.numPorts, free in a.portKeys, list(dvs.FetchDVPortKeys(crit(portKey=[free]))), list(events("DvsPortDeletedEvent")[0].portKey) == [free],
                 fault(dvs.ReconfigureDVPort_Task([Spec(operation="remove", key=uplink.portKeys[0])]))]

# ---- MoveDVPort_Task ----
b_before = list(b.portKeys)
wait(dvs.MoveDVPort_Task([a1], b.key))
leave, join = events("DvsPortLeavePortgroupEvent")[0], events("DvsPortJoinPortgroupEvent")[0]
out["moveFree"] = [a1 in a.portKeys, sorted(b.portKeys) == sorted(b_before + [a1]), a.config.numPorts, b.config.numPorts, one(a1).portgroupKey == b.key,
                   [leave.portKey == a1, leave.portgroupName, join.portKey == a1, join.portgroupName]]
# a powered-off VM's port moves, and its NIC follows into the new group
wait(dvs.MoveDVPort_Task([vm_port], b.key))
out["moveVm"] = [nic(vm).backing.port.portKey == vm_port, nic(vm).backing.port.portgroupKey == b.key, [n.name for n in vm.network],
                 one(vm_port).connectee.connectedEntity.name, vm_port in b.portKeys]
wait(vm.PowerOnVM_Task())
out["moveFaults"] = {
    # pg-a does not let live ports in
    "live": fault(dvs.MoveDVPort_Task([vm_port], a.key)),
    "ephemeral": fault(dvs.MoveDVPort_Task([a0], eph.key)),
    "uplinkDest": fault(dvs.MoveDVPort_Task([a0], uplink.key)),
    "uplinkPort": fault(dvs.MoveDVPort_Task([uplink.portKeys[0]], a.key)),
    "unknownGroup": fault(dvs.MoveDVPort_Task([a0], "dvportgroup-9999")),
    "unknownPort": fault(dvs.MoveDVPort_Task([a0, "9999"], b.key)),
}
out["moveFaultsUnchanged"] = [one(a0).portgroupKey == a.key, one(vm_port).portgroupKey == b.key]
# to the switch: the port leaves every group; a running VM's NIC keeps it (pg-b lets live ports out)
wait(dvs.MoveDVPort_Task([a0, vm_port]))
sa = one(a0)
out["toSwitch"] = [sa.portgroupKey, dvs.config.numStandalonePorts, sorted(dvs.FetchDVPortKeys(crit(inside=False))) == sorted([a0, vm_port]),
                   nic(vm).backing.port.portgroupKey, nic(vm).backing.port.portKey == vm_port, one(vm_port).connectee.connectedEntity.name,
                   sa.config.name, sa.config.setting.blocked.value]
wait(dvs.MoveDVPort_Task([a0], a.key))
wait(dvs.MoveDVPort_Task([vm_port], b.key))
out["back"] = [one(a0).portgroupKey == a.key, dvs.config.numStandalonePorts, nic(vm).backing.port.portgroupKey == b.key, a.config.numPorts, b.config.numPorts,
               dvs.config.numPorts == len(ports())]
v1 = version()
wait(dvs.MoveDVPort_Task([a0], a.key))  # already there: nothing moves
out["sameGroup"] = [one(a0).portgroupKey == a.key, a.config.numPorts]
wait(vm.PowerOffVM_Task())

# ---- UpdateDvsCapability ----
dvs.UpdateDvsCapability(vim.DistributedVirtualSwitch.Capability(dvPortOperationSupported=False))
out["capability"] = [dvs.capability.dvPortOperationSupported, dvs.capability.dvsOperationSupported,
                     fault(dvs.ReconfigureDVPort_Task([Spec(operation="edit", key=a0, name="x")])), fault(dvs.MoveDVPort_Task([a0], b.key))]
dvs.UpdateDvsCapability(vim.DistributedVirtualSwitch.Capability(dvPortOperationSupported=True))
out["capabilityBack"] = fault(dvs.ReconfigureDVPort_Task([Spec(operation="edit", key=a0, name="web")]))

# ---- network I/O control ----
NrpSpec = vim.dvs.NetworkResourcePool.ConfigSpec
Alloc = vim.dvs.NetworkResourcePool.AllocationInfo
vm_pool = [p for p in dvs.networkResourcePool if p.key == "netsched.pools.persist.vm"][0]
out["systemPools"] = [sorted(p.key.split(".")[-1] for p in dvs.networkResourcePool), vm_pool.name, vm_pool.allocationInfo.shares.level,
                      vm_pool.allocationInfo.shares.shares, vm_pool.allocationInfo.limit, dvs.config.networkResourceManagementEnabled]
v = version()
dvs.EnableNetworkResourceManagement(True)
out["nrmOn"] = [dvs.config.networkResourceManagementEnabled, int(version()) - int(v)]
dvs.AddNetworkResourcePool([NrpSpec(key="", name="gold", description="gold tier", allocationInfo=Alloc(limit=1000, shares=vim.SharesInfo(level="custom", shares=80), priorityTag=4)),
                            NrpSpec(key="", name="silver")])
gold = [p for p in dvs.networkResourcePool if p.name == "gold"][0]
silver = [p for p in dvs.networkResourcePool if p.name == "silver"][0]
out["poolAdd"] = [gold.key, silver.key, gold.configVersion, gold.allocationInfo.limit, gold.allocationInfo.shares.level, gold.allocationInfo.shares.shares,
                  gold.allocationInfo.priorityTag, silver.allocationInfo.shares.shares, len(dvs.networkResourcePool)]
out["poolAddFaults"] = [attempt(lambda: dvs.AddNetworkResourcePool([NrpSpec(key="", name="gold")])),
                        attempt(lambda: dvs.AddNetworkResourcePool([NrpSpec(key="", name="bronze", allocationInfo=Alloc(priorityTag=9))])),
                        attempt(lambda: dvs.AddNetworkResourcePool([NrpSpec(key="", name="")])),
                        len(dvs.networkResourcePool)]
dvs.UpdateNetworkResourcePool([NrpSpec(key=gold.key, configVersion="0", description="top", allocationInfo=Alloc(shares=vim.SharesInfo(level="high")))])
gold = [p for p in dvs.networkResourcePool if p.key == gold.key][0]
out["poolUpdate"] = [gold.description, gold.configVersion, gold.allocationInfo.shares.level, gold.allocationInfo.shares.shares, gold.allocationInfo.limit]
out["poolUpdateFaults"] = [attempt(lambda: dvs.UpdateNetworkResourcePool([NrpSpec(key=gold.key, configVersion="0", description="x")])),
                           attempt(lambda: dvs.UpdateNetworkResourcePool([NrpSpec(key="NRP-99", description="x")])),
                           attempt(lambda: dvs.UpdateNetworkResourcePool([NrpSpec(key="netsched.pools.persist.vm", name="renamed")])),
                           attempt(lambda: dvs.UpdateNetworkResourcePool([NrpSpec(key=gold.key, name="silver")])),
                           [p.description for p in dvs.networkResourcePool if p.key == gold.key]]
# a group that sends its traffic to gold keeps the pool in use
wait(b.ReconfigureDVPortgroup_Task(PG.ConfigSpec(configVersion=b.config.configVersion, defaultPortConfig=Setting(
    networkResourcePoolKey=vim.StringPolicy(inherited=False, value=gold.key)))))
out["poolRemoveFaults"] = [attempt(lambda: dvs.RemoveNetworkResourcePool([gold.key])), attempt(lambda: dvs.RemoveNetworkResourcePool(["netsched.pools.persist.nfs"])),
                           attempt(lambda: dvs.RemoveNetworkResourcePool(["NRP-99"])), attempt(lambda: dvs.RemoveNetworkResourcePool([silver.key, "NRP-99"])),
                           len(dvs.networkResourcePool)]
dvs.RemoveNetworkResourcePool([silver.key])
out["poolRemove"] = sorted(p.name for p in dvs.networkResourcePool if not p.key.startswith("netsched"))

# ---- health check ----
HC = vim.dvs.VmwareDistributedVirtualSwitch
before = [(type(c).__name__.split(".")[-1], c.enable, c.interval) for c in dvs.config.healthCheckConfig]
v = version()
wait(dvs.UpdateDVSHealthCheckConfig_Task([HC.VlanMtuHealthCheckConfig(enable=True, interval=5)]))
out["health"] = [before, [(type(c).__name__.split(".")[-1], c.enable, c.interval) for c in dvs.config.healthCheckConfig], int(version()) - int(v),
                 events("DvsReconfiguredEvent")[0].dvs.name]
out["healthFaults"] = [fault(dvs.UpdateDVSHealthCheckConfig_Task([vim.DistributedVirtualSwitch.HealthCheckConfig(enable=True)])),
                       fault(dvs.UpdateDVSHealthCheckConfig_Task([HC.TeamingHealthCheckConfig(enable=True, interval=-1)])),
                       fault(dvs.UpdateDVSHealthCheckConfig_Task([HC.TeamingHealthCheckConfig(enable=True), HC.TeamingHealthCheckConfig(enable=False)])),
                       [c.enable for c in dvs.config.healthCheckConfig]]

# ---- LACP ----
Lag = HC.LacpGroupConfig
LagSpec = HC.LacpGroupSpec
out["lacpSingle"] = fault(dvs.UpdateDVSLacpGroupConfig_Task([LagSpec(operation="add", lacpGroupConfig=Lag(name="lag1", uplinkNum=2))]))
wait(dvs.ReconfigureDvs_Task(HC.ConfigSpec(configVersion=version(), lacpApiVersion="multipleLag")))
uplinks_before = len(uplink.portKeys)
wait(dvs.UpdateDVSLacpGroupConfig_Task([LagSpec(operation="add", lacpGroupConfig=Lag(name="lag1", uplinkNum=2, mode="active"))]))
lag = dvs.config.lacpGroupConfig[0]
lag_ports = list(lag.uplinkPortKey)
out["lacpAdd"] = [lag.key, lag.name, lag.mode, lag.uplinkNum, lag.loadbalanceAlgorithm, list(lag.uplinkName), len(lag_ports), len(uplink.portKeys) - uplinks_before,
                  all(k in uplink.portKeys for k in lag_ports), sorted({p.config.name for p in ports(portKey=lag_ports)})]
out["lacpFaults"] = [fault(dvs.UpdateDVSLacpGroupConfig_Task([LagSpec(operation="add", lacpGroupConfig=Lag(name="lag1", uplinkNum=2))])),
                     fault(dvs.UpdateDVSLacpGroupConfig_Task([LagSpec(operation="add", lacpGroupConfig=Lag(name="lag9", uplinkNum=0))])),
                     fault(dvs.UpdateDVSLacpGroupConfig_Task([LagSpec(operation="add", lacpGroupConfig=Lag(name="lag9", uplinkNum=2, mode="sometimes"))])),
                     fault(dvs.UpdateDVSLacpGroupConfig_Task([LagSpec(operation="edit", lacpGroupConfig=Lag(key="lag-99", name="x"))])),
                     fault(dvs.UpdateDVSLacpGroupConfig_Task([LagSpec(operation="add", lacpGroupConfig=Lag(name="lag9", uplinkNum=1)),
                                                              LagSpec(operation="remove", lacpGroupConfig=Lag(key="lag-99"))])),
                     [l.name for l in dvs.config.lacpGroupConfig]]
wait(dvs.UpdateDVSLacpGroupConfig_Task([LagSpec(operation="edit", lacpGroupConfig=Lag(key=lag.key, name="lag2", uplinkNum=3))]))
lag = dvs.config.lacpGroupConfig[0]
out["lacpEdit"] = [lag.key, lag.name, list(lag.uplinkName), len(lag.uplinkPortKey), all(k in lag.uplinkPortKey for k in lag_ports), len(uplink.portKeys) - uplinks_before]
wait(dvs.UpdateDVSLacpGroupConfig_Task([LagSpec(operation="remove", lacpGroupConfig=Lag(key=lag.key))]))
out["lacpRemove"] = [len(dvs.config.lacpGroupConfig), len(uplink.portKeys) == uplinks_before]

# ---- rollback ----
wait(dvs.ReconfigureDvs_Task(HC.ConfigSpec(configVersion=version(), maxMtu=9000)))
back = wait(dvs.DVSRollback_Task())
out["rollback"] = [type(back).__name__.split(".")[-1], back.maxMtu, back.configVersion == version(), back.name]
wait(dvs.ReconfigureDvs_Task(back))
out["rolledBack"] = [dvs.config.maxMtu, wait(dvs.DVSRollback_Task()).maxMtu]
out["pgRollbackSame"] = wait(a.DVPortgroupRollback_Task())
wait(a.ReconfigureDVPortgroup_Task(PG.ConfigSpec(configVersion=a.config.configVersion, autoExpand=True)))
pg_back = wait(a.DVPortgroupRollback_Task())
out["pgRollback"] = [type(pg_back).__name__.split(".")[-1], pg_back.autoExpand, pg_back.configVersion == a.config.configVersion, pg_back.name]
backup = vim.dvs.EntityBackup.Config(entityType="distributedVirtualSwitch", configBlob=binary(b"\x00"), key=dvs.uuid, name=dvs.name)
out["rollbackFaults"] = [fault(dvs.DVSRollback_Task(backup)), fault(a.DVPortgroupRollback_Task(backup))]

# ---- DistributedVirtualSwitchManager ----
mgr = content.dvSwitchManager
Prod = vim.dvs.ProductSpec
out["compatibleSpec"] = [[(s.productLineId, s.version) for s in mgr.QueryDvsCompatibleHostSpec()],
                         [s.version for s in mgr.QueryDvsCompatibleHostSpec(Prod(version="5.5.0"))],
                         attempt(lambda: mgr.QueryDvsCompatibleHostSpec(Prod(version="9.9.9")))]
cap60 = mgr.QueryDvsFeatureCapability(Prod(version="6.0.0"))
cap50 = mgr.QueryDvsFeatureCapability(Prod(version="5.0.0"))
out["features"] = [type(cap60).__name__.split(".")[-1], cap60.networkResourceManagementSupported, cap60.healthCheckCapability.vlanMtuSupported,
                   cap60.rollbackCapability.rollbackSupported, cap60.lacpCapability.multiLacpGroupSupported, cap60.networkResourceManagementCapability.networkResourceControlVersion3Supported,
                   cap50.healthCheckCapability, cap50.lacpCapability.multiLacpGroupSupported, sorted(cap60.nicTeamingPolicy)]


def target(**kw):
    t = mgr.QueryDvsConfigTarget(**kw)
    return [sorted(s.switchName for s in t.distributedVirtualSwitch), sorted((p.switchName, p.portgroupName, p.portgroupType, p.uplinkPortgroup) for p in t.distributedVirtualPortgroup
                                                                            if p.switchName == "dvs-ops" or not p.uplinkPortgroup)]


out["configTarget"] = {
    "esx4": target(host=hosts["esx4.example.com"]),
    "esx1": target(host=hosts["esx1.example.com"])[0],
    "dvs": target(dvs=dvs),
    "esx4dvs": target(host=hosts["esx4.example.com"], dvs=dvs),
    "all": target()[0],
}
names = lambda refs: sorted(h.name for h in refs)  # noqa: E731
out["compatibleHosts"] = {
    "new60": names(mgr.QueryCompatibleHostForNewDvs(dc, True, Prod(version="6.0.0"))),
    "new55": names(mgr.QueryCompatibleHostForNewDvs(dc, True, Prod(version="5.5.0"))),
    "cluster": names(mgr.QueryCompatibleHostForNewDvs(cluster, False)),
    "folderShallow": names(mgr.QueryCompatibleHostForNewDvs(dc.hostFolder, False, Prod(version="5.0.0"))),
    "existing": names(mgr.QueryCompatibleHostForExistingDvs(dc, True, dvs)),
    "badContainer": attempt(lambda: mgr.QueryCompatibleHostForNewDvs(dvs, True)),
}
Container = vim.dvs.DistributedVirtualSwitchManager.HostContainer
check = mgr.QueryDvsCheckCompatibility(Container(container=dc, recursive=True), vim.dvs.DistributedVirtualSwitchManager.DvsProductSpec(distributedVirtualSwitch=dvs),
                                       [vim.dvs.DistributedVirtualSwitchManager.HostDvsMembershipFilter(inclusive=False, distributedVirtualSwitch=dvs)])
out["checkCompatibility"] = [(r.host.name, [type(e).__name__.split(".")[-1] for e in (r.error or [])], [e.productVersion for e in (r.error or [])]) for r in check]
check = mgr.QueryDvsCheckCompatibility(Container(container=dc, recursive=True),
                                       vim.dvs.DistributedVirtualSwitchManager.DvsProductSpec(newSwitchProductSpec=Prod(version="5.5.0")),
                                       [vim.dvs.DistributedVirtualSwitchManager.HostArrayFilter(inclusive=True, host=[hosts["esx1.example.com"], hosts["esx4.example.com"]])])
out["checkCompatibility55"] = sorted((r.host.name, len(r.error or [])) for r in check)
# leave marks on the scenario's switch for the next run to not see
wait(dvs1.ReconfigureDVPort_Task([vim.dvs.DistributedVirtualPort.ConfigSpec(operation="edit", key="0", name="marked")]))
dvs1.AddNetworkResourcePool([vim.dvs.NetworkResourcePool.ConfigSpec(key="", name="dvs1-pool")])
wait(dvs1.ReconfigureDvs_Task(vim.dvs.VmwareDistributedVirtualSwitch.ConfigSpec(configVersion=dvs1.config.configVersion, maxMtu=9000)))
wait(dvs1.ReconfigureDvs_Task(vim.dvs.VmwareDistributedVirtualSwitch.ConfigSpec(configVersion=dvs1.config.configVersion, maxMtu=1600)))
out["dvs1End"] = [wait(dvs1.DVSRollback_Task()).maxMtu, dvs1.FetchDVPorts(crit(portKey=["0"]))[0].config.name,
                  [p.key for p in dvs1.networkResourcePool if p.name == "dvs1-pool"], dvs1.config.configVersion]
Disconnect(si)
print(json.dumps(out))
