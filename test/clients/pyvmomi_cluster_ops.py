#!/usr/bin/python3
"""pyVmomi drives vCenter's cluster, host and datacenter operations the way
DRS/DPM automation (Ansible's vmware_drs_recommendation-style scripts,
vmware_host_powerstate, vmware_evc_mode, vmware_host_ipmi), host onboarding
scripts (QueryConnectionInfo, batch adds) and PowerCLI do: manual DRS
recommendations, ClusterEnterMaintenanceMode, EVC, HA runtime info, standby,
connection info, system resources and swap, IPMI, CIM tickets, the tools
repository, encryption states, the datacenter's default hardware version,
their faults, and /_sim/reset bringing it all back.
Prints one JSON object.
Usage: pyvmomi_cluster_ops.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, fault, until, wait  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import SoapStubAdapter, vim

session = Session(sys.argv)
si, content = session.si, session.content
api = content.about.apiVersion
out = {}

dc = content.rootFolder.childEntity[0]
cl = next(x for x in dc.hostFolder.childEntity if isinstance(x, vim.ClusterComputeResource))
standalone = next(x for x in dc.hostFolder.childEntity if type(x) is vim.ComputeResource).host[0]
esx1, esx2, esx3 = sorted(cl.host, key=lambda h: h.name)
by_name = {h.name: h for h in (esx1, esx2, esx3, standalone)}


def newer(obj):
    """obj as a vSphere 6.7 U1 (API 6.7.1) client sees it: pyVmomi refuses, on its side, methods newer than the API
    version it negotiated (6.7 here), so the 6.7.1 calls go through a stub of that version on the same session."""
    stub = SoapStubAdapter(host=session.host, port=session.port, version="vim.version.version13", sslContext=session.ctx)
    stub.cookie = si._stub.cookie
    return type(obj)(obj._moId, stub)


def name(ref):
    return ref.name if ref is not None else None


def vm(name_, mb, host):
    spec = vim.vm.ConfigSpec(name=name_, guestId="otherGuest64", memoryMB=mb, files=vim.vm.FileInfo(vmPathName="[shared-ds]"))
    return wait(dc.vmFolder.CreateVM_Task(spec, cl.resourcePool, host))


def actions(rec):
    out_ = []
    for a in rec.action:
        if isinstance(a, vim.cluster.InitialPlacementAction):
            out_.append([a.type, name(a.target), name(a.targetHost)])
        elif isinstance(a, vim.cluster.MigrationAction):
            m = a.drsMigration
            out_.append([a.type, name(m.vm), name(m.source), name(m.destination)])
        else:
            out_.append([a.type, name(a.target)])
    return out_


def recs():
    return [[r.reason, r.rating, actions(r)] for r in cl.recommendation]


def fault_of(fn):
    try:
        fn()
        return None
    except Exception as e:  # the fault is the answer
        return e


# ---- DRS in manual mode ----
a, b, c = vm("vm-a", 1024, esx1), vm("vm-b", 512, esx1), vm("vm-c", 256, esx1)
wait(a.PowerOnVM_Task())
wait(b.PowerOnVM_Task())
manual = vim.cluster.ConfigSpecEx(drsConfig=vim.cluster.DrsConfigInfo(enabled=True, defaultVmBehavior="manual"))
wait(cl.ReconfigureComputeResource_Task(manual, True))
res = wait(dc.PowerOnMultiVM_Task([c]))
drs = {
    "powerOn": [len(res.attempted), len(res.notAttempted), [[r.reason, r.rating, actions(r)] for r in res.recommendations]],
    "listed": recs(),
    "cStillOff": c.runtime.powerState,
}
key = cl.recommendation[0].key
drs["apply"] = attempt(lambda: cl.ApplyRecommendation(key))
drs["placed"] = [until(lambda: c.runtime.powerState == "poweredOn") and c.runtime.powerState, name(c.runtime.host)]
drs["afterApply"] = recs()
drs["applyUnknown"] = attempt(lambda: cl.ApplyRecommendation("no-such-key"))
drs["cancelUnknown"] = attempt(lambda: cl.CancelRecommendation("no-such-key"))
cl.RefreshRecommendation()
drs["balance"] = recs()
drs["cancel"] = attempt(lambda: cl.CancelRecommendation(cl.recommendation[0].key))
drs["afterCancel"] = recs()
cl.RefreshRecommendation()
cl.RefreshRecommendation()
drs["refreshedTwice"] = recs()
drs["applyMigration"] = attempt(lambda: cl.ApplyRecommendation(cl.recommendation[0].key))
drs["moved"] = [name(a.runtime.host), a.runtime.powerState]
cl.RefreshRecommendation()
drs["balanced"] = recs()

# ---- ClusterEnterMaintenanceMode ----
r = cl.ClusterEnterMaintenanceMode([esx1])
mm = {"plan": [[x.reason, actions(x)] for x in r.recommendations], "fault": r.fault is not None}
mm["apply"] = attempt(lambda: cl.ApplyRecommendation(r.recommendations[0].key))
mm["after"] = [esx1.runtime.inMaintenanceMode, name(b.runtime.host), b.runtime.powerState]
r = cl.ClusterEnterMaintenanceMode([esx2, esx3])
mm["stuck"] = [len(r.recommendations), r.fault.reason, sorted([name(f.vm), [type(x).__name__.split(".")[-1] for x in f.fault]] for f in r.fault.faultsByVm)]
mm["listAfterStuck"] = len(cl.recommendation)
mm["foreignHost"] = attempt(lambda: cl.ClusterEnterMaintenanceMode([standalone]))
drs["maintenance"] = mm
out["drs"] = drs

# ---- EVC ----
em = cl.EvcManager()
evc = {
    "same": em == cl.EvcManager(),
    "cluster": name(em.managedCluster),
    "modes": [[m.key, m.vendor, m.vendorTier] for m in em.evcState.supportedEVCMode],
    "current": em.evcState.currentEVCModeKey,
    "withRunningVms": fault(em.ConfigureEvcMode_Task("intel-haswell")),
}
check = wait(em.CheckConfigureEvcMode_Task("intel-haswell"))
evc["check"] = [[x.evcModeKey, type(x.error).__name__.split(".")[-1], [type(f).__name__.split(".")[-1] for f in x.error.faults]] for x in check]
evc["amd"] = fault(em.ConfigureEvcMode_Task("amd-zen"))
evc["unknown"] = fault(em.ConfigureEvcMode_Task("intel-bogus"))
top = "intel-skylake"
e = fault_of(lambda: wait(em.ConfigureEvcMode_Task(top)))
evc["tooNew"] = [type(e).__name__.split(".")[-1], sorted(getattr(e, "hostName", None) or [])]
for v in (a, b, c):
    wait(v.PowerOffVM_Task())
evc["checkOk"] = len(wait(em.CheckConfigureEvcMode_Task("intel-haswell")))
evc["configure"] = fault(em.ConfigureEvcMode_Task("intel-haswell"))
evc["after"] = [em.evcState.currentEVCModeKey, cl.summary.currentEVCModeKey, [h.summary.currentEVCModeKey for h in (esx1, esx2, esx3)]]
evc["lower"] = fault(em.ConfigureEvcMode_Task("intel-nehalem"))
evc["lowered"] = cl.summary.currentEVCModeKey
evc["addHostNoThumbprint"] = fault(em.CheckAddHostEvc_Task(vim.host.ConnectSpec(hostName="esx9.example.com", userName="root", password="pw")))
e = fault_of(lambda: wait(em.CheckAddHostEvc_Task(vim.host.ConnectSpec(hostName="esx9.example.com", userName="root", password="pw"))))
evc["addHost"] = len(wait(em.CheckAddHostEvc_Task(vim.host.ConnectSpec(hostName="esx9.example.com", userName="root", password="pw", sslThumbprint=e.thumbprint))))
evc["disable"] = fault(em.DisableEvcMode_Task())
evc["disabled"] = [em.evcState.currentEVCModeKey, cl.summary.currentEVCModeKey]
wait(em.ConfigureEvcMode_Task("intel-westmere"))
out["evc"] = evc

# ---- HA ----
info = cl.RetrieveDasAdvancedRuntimeInfo()
ha = {
    "heartbeat": [[name(x.datastore), sorted(name(h) for h in x.hosts)] for x in info.heartbeatDatastoreInfo],
    "vmcp": [info.vmcpSupported.storageAPDSupported, info.vmcpSupported.storagePDLSupported],
    "hostInfo": info.dasHostInfo,
    "das": [fault(esx2.ReconfigureHostForDAS_Task()), fault(esx3.ReconfigureHostForDAS_Task()), fault(standalone.ReconfigureHostForDAS_Task())],
    "states": [[h.runtime.dasHostState.state, name(h.runtime.dasHostState.stateReporter)] if h.runtime.dasHostState else None for h in (esx1, esx2, esx3)],
}
out["ha"] = ha

# ---- rules ----
rule = vim.cluster.AntiAffinityRuleSpec(name="apart", enabled=True, vm=[a, b])
wait(cl.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(rulesSpec=[vim.cluster.RuleSpec(operation="add", info=rule)]), True))
before = [x.ruleUuid for x in cl.configurationEx.rule]
out["stamp"] = [fault(cl.StampAllRulesWithUuid_Task()), [x.ruleUuid for x in cl.configurationEx.rule] == before, len(before[0])]

# ---- standby ----
sb = {"notInMaintenance": fault(standalone.PowerDownHostToStandBy_Task(60))}
wait(standalone.EnterMaintenanceMode_Task(0))
sb["down"] = fault(standalone.PowerDownHostToStandBy_Task(60))
sb["state"] = [standalone.runtime.powerState, standalone.runtime.standbyMode, standalone.summary.runtime.powerState]
sb["answers"] = attempt(lambda: standalone.QueryHostConnectionInfo())
sb["exitMaintenance"] = fault(standalone.ExitMaintenanceMode_Task(0))
sb["up"] = fault(standalone.PowerUpHostFromStandBy_Task(60))
sb["upAgain"] = fault(standalone.PowerUpHostFromStandBy_Task(60))
sb["back"] = [standalone.runtime.powerState, standalone.runtime.standbyMode, standalone.runtime.inMaintenanceMode]
events = content.eventManager.QueryEvents(vim.event.EventFilterSpec(entity=vim.event.EventFilterSpec.ByEntity(entity=standalone, recursion="self")))
sb["events"] = [type(x).__name__.split(".")[-1] for x in events if "Standby" in type(x).__name__]
out["standby"] = sb

# ---- host connection info ----
ci = esx1.QueryHostConnectionInfo()
out["hostConnectInfo"] = [ci.serverIp, ci.host.config.name, ci.inDasCluster, ci.clusterSupported, len(ci.vm),
                          sorted(x.summary.name for x in ci.datastore), sorted(x.summary.name for x in ci.network)]

# ---- system resources, swap ----
sr = {"keys": sorted(x.key for x in esx1.systemResources.child)}
vimpool = vim.host.SystemResourceInfo(key="host/vim", config=vim.ResourceConfigSpec(
    cpuAllocation=vim.ResourceAllocationInfo(reservation=100, limit=-1),
    memoryAllocation=vim.ResourceAllocationInfo(reservation=256, limit=1024)))
sr["update"] = attempt(lambda: esx1.UpdateSystemResources(vimpool))
node = next(x for x in esx1.config.systemResources.child if x.key == "host/vim")
sr["after"] = [node.config.cpuAllocation.reservation, node.config.memoryAllocation.reservation, node.config.memoryAllocation.limit,
               next(x for x in esx1.systemResources.child if x.key == "host/vim").config.memoryAllocation.reservation]
sr["unknownKey"] = attempt(lambda: esx1.UpdateSystemResources(vim.host.SystemResourceInfo(key="host/nope")))
bad = vim.host.SystemResourceInfo(key="host/user", config=vim.ResourceConfigSpec(
    cpuAllocation=vim.ResourceAllocationInfo(reservation=500, limit=100), memoryAllocation=vim.ResourceAllocationInfo()))
sr["limitBelowReservation"] = attempt(lambda: esx1.UpdateSystemResources(bad))
swap = esx1.config.systemSwapConfiguration
sr["swapDefault"] = [[type(o).__name__.split(".")[-1], o.key] for o in swap.option]
Opt = vim.host.SystemSwapConfiguration
sr["swapSet"] = attempt(lambda: esx1.UpdateSystemSwapConfiguration(Opt(option=[Opt.DatastoreOption(key=0, datastore="shared-ds"), Opt.HostLocalSwapOption(key=1)])))
sr["swapAfter"] = [[type(o).__name__.split(".")[-1], o.key, getattr(o, "datastore", None)] for o in esx1.config.systemSwapConfiguration.option]
sr["swapDupKey"] = attempt(lambda: esx1.UpdateSystemSwapConfiguration(Opt(option=[Opt.HostCacheOption(key=0), Opt.HostLocalSwapOption(key=0)])))
sr["swapNoDs"] = attempt(lambda: esx1.UpdateSystemSwapConfiguration(Opt(option=[Opt.DatastoreOption(key=0, datastore="nope")])))
sr["swapDisabledPlus"] = attempt(lambda: esx1.UpdateSystemSwapConfiguration(Opt(option=[Opt.DisabledOption(key=0), Opt.HostCacheOption(key=1)])))
out["systemResources"] = sr

# ---- CIM ticket, IPMI, TPM ----
t1, t2 = esx1.AcquireCimServicesTicket(), esx1.AcquireCimServicesTicket()
out["cim"] = [t1.host, t1.port, t1.service, t1.serviceVersion, len(t1.sessionId), t1.sessionId != t2.sessionId, t1.sslThumbprint == esx1.summary.config.sslThumbprint]
ipmi = {"capable": esx1.capability.ipmiSupported}
e = fault_of(lambda: esx1.UpdateIpmi(vim.host.IpmiInfo(bmcIpAddress="10.1.0.5", bmcMacAddress="00:11:22:33:44:55", login="ADMIN", password="pw")))
ipmi["wrongMac"] = [type(e).__name__.split(".")[-1], e.userProvidedMacAddress, len(e.observedMacAddress)]
ipmi["noPassword"] = attempt(lambda: esx1.UpdateIpmi(vim.host.IpmiInfo(bmcIpAddress="10.1.0.5", bmcMacAddress=e.observedMacAddress, login="ADMIN")))
ipmi["badIp"] = attempt(lambda: esx1.UpdateIpmi(vim.host.IpmiInfo(bmcIpAddress="10.1.0.500", bmcMacAddress=e.observedMacAddress, login="ADMIN", password="pw")))
ipmi["ok"] = attempt(lambda: esx1.UpdateIpmi(vim.host.IpmiInfo(bmcIpAddress="10.1.0.5", bmcMacAddress=e.observedMacAddress.upper(), login="ADMIN", password="pw")))
ipmi["after"] = [esx1.config.ipmi.bmcIpAddress, esx1.config.ipmi.bmcMacAddress == e.observedMacAddress, esx1.config.ipmi.login, esx1.config.ipmi.password]
out["ipmi"] = ipmi
out["tpm"] = [esx1.QueryTpmAttestationReport(), esx1.capability.tpmSupported]


# ---- encryption (ESXi 6.5 and later) ----
def crypto():
    key = vim.encryption.CryptoKeyPlain(keyId=vim.encryption.CryptoKeyId(keyId="key-1", providerId=vim.encryption.KeyProviderId(id="kms1")), algorithm="AES-256", keyData="c2VjcmV0")
    cr = {"initial": esx2.runtime.cryptoState, "supported": esx2.capability.cryptoSupported}
    cr["enableFirst"] = attempt(lambda: esx2.EnableCrypto(key))
    cr["configureFirst"] = attempt(lambda: esx2.ConfigureCryptoKey())
    cr["prepare"] = attempt(lambda: esx2.PrepareCrypto())
    cr["prepared"] = esx2.runtime.cryptoState
    cr["prepareAgain"] = attempt(lambda: esx2.PrepareCrypto())
    cr["noKeyData"] = attempt(lambda: esx2.EnableCrypto(vim.encryption.CryptoKeyPlain(keyId=key.keyId, algorithm="AES-256")))
    cr["enable"] = attempt(lambda: esx2.EnableCrypto(key))
    rid = esx2.runtime.cryptoKeyId
    cr["safe"] = [esx2.runtime.cryptoState, rid.keyId, rid.providerId.id, esx2.summary.runtime.cryptoState]
    cr["newKey"] = attempt(lambda: esx2.ConfigureCryptoKey())
    rid = esx2.runtime.cryptoKeyId
    cr["newKeyId"] = [len(rid.keyId), rid.keyId != "key-1"]
    return cr


# pyVmomi itself refuses a 6.5 method on a 6.0 session (MethodNotFound)
out["crypto"] = crypto() if api != "6.0" else [esx2.runtime.cryptoState, esx2.capability.cryptoSupported, attempt(lambda: esx2.PrepareCrypto())]


# ---- product locker (6.7.1 API) ----
def product_locker():
    h1, h2 = newer(esx1), newer(esx2)
    pl = {"default": h1.QueryProductLockerLocation()}
    pl["missing"] = fault(h1.UpdateProductLockerLocation_Task("/vmfs/volumes/shared-ds/tools"))
    pl["notDatastore"] = fault(h1.UpdateProductLockerLocation_Task("/tmp/tools"))
    content.fileManager.MakeDirectory("[shared-ds] tools", dc)
    pl["update"] = wait(h1.UpdateProductLockerLocation_Task("/vmfs/volumes/shared-ds/tools/"))
    pl["after"] = h1.QueryProductLockerLocation()
    pl["others"] = h2.QueryProductLockerLocation() == pl["default"]
    return pl


out["productLocker"] = product_locker() if api != "6.0" else attempt(lambda: esx1.QueryProductLockerLocation())

# ---- datacenter: connection info ----
conn = {}
e = fault_of(lambda: dc.QueryConnectionInfo("esx9.example.com", 443, "root", "pw"))
conn["noThumbprint"] = [type(e).__name__.split(".")[-1], len(e.thumbprint)]
thumb = e.thumbprint
ci = dc.QueryConnectionInfo("esx9.example.com", 443, "root", "pw", thumb)
conn["info"] = [ci.host.config.name, ci.host.config.sslThumbprint == thumb, ci.host.hardware.numCpuCores, ci.host.config.product.name, len(ci.vm),
                [x.summary.name for x in ci.datastore], [x.summary.name for x in ci.network], ci.clusterSupported]
conn["badLogin"] = attempt(lambda: dc.QueryConnectionInfo("esx9.example.com", 443, "", "pw", thumb))
conn["noHost"] = attempt(lambda: dc.QueryConnectionInfo("bad_name!", 443, "root", "pw"))
conn["already"] = attempt(lambda: dc.QueryConnectionInfo("esx1.example.com", 443, "root", "pw", esx1.summary.config.sslThumbprint))
via = dc.QueryConnectionInfoViaSpec(vim.host.ConnectSpec(hostName="esx9.example.com", userName="root", password="pw", sslThumbprint=thumb))
conn["viaSpec"] = via.host.config.name
conn["viaSpecNoThumbprint"] = attempt(lambda: dc.QueryConnectionInfoViaSpec(vim.host.ConnectSpec(hostName="esx9.example.com", userName="root", password="pw")))


def batch_query():
    batch = newer(dc).BatchQueryConnectInfo([
        vim.host.ConnectSpec(hostName="esx9.example.com", userName="root", password="pw", sslThumbprint=thumb),
        vim.host.ConnectSpec(hostName="esx8.example.com", userName="root", password="pw"),
    ])
    return [[x.hostname, x.numVm, x.hardwareVendor, type(x.error).__name__.split(".")[-1] if x.error else None] for x in batch]


conn["batch"] = batch_query() if api != "6.0" else attempt(lambda: dc.BatchQueryConnectInfo([]))
out["connectionInfo"] = conn

# ---- datacenter: hardware versions ----
descs = dc.queryDatacenterConfigOptionDescriptor()
dcc = {"descriptors": [[d.key, d.defaultConfigOption, len(d.host)] for d in descs], "configured": dc.configuration.defaultHardwareVersionKey}
dcc["bad"] = fault(dc.ReconfigureDatacenter_Task(vim.Datacenter.ConfigSpec(defaultHardwareVersionKey="vmx-99"), True))
dcc["set"] = fault(dc.ReconfigureDatacenter_Task(vim.Datacenter.ConfigSpec(defaultHardwareVersionKey="vmx-10"), True))
dcc["after"] = [dc.configuration.defaultHardwareVersionKey, [d.key for d in dc.queryDatacenterConfigOptionDescriptor() if d.defaultConfigOption]]
dcc["newVm"] = vm("vm-d", 128, esx2).config.version
dcc["modifyKeeps"] = [fault(dc.ReconfigureDatacenter_Task(vim.Datacenter.ConfigSpec(), True)), dc.configuration.defaultHardwareVersionKey]
dcc["replaceClears"] = [fault(dc.ReconfigureDatacenter_Task(vim.Datacenter.ConfigSpec(), False)), dc.configuration.defaultHardwareVersionKey]
dcc["newVmAfterClear"] = vm("vm-e", 128, esx2).config.version
out["datacenterConfig"] = dcc


# ---- batch adds (6.7.1 API) ----
def thumbprint_of(host_name):
    return fault_of(lambda: dc.QueryConnectionInfo(host_name, 443, "root", "pw")).thumbprint


def new_host(host_name, thumb_=True):
    return vim.Folder.NewHostSpec(hostCnxSpec=vim.host.ConnectSpec(hostName=host_name, userName="root", password="pw",
                                                                   sslThumbprint=thumbprint_of(host_name) if thumb_ else None))


def batch_adds():
    folder = newer(dc.hostFolder)
    res = wait(folder.BatchAddStandaloneHosts_Task([new_host("esx10.example.com"), new_host("esx11.example.com", False)], None, True))
    batch = {"standalone": [[name(h) for h in res.addedHosts], [[x.hostName, type(x.fault).__name__.split(".")[-1], bool(x.context.message)] for x in res.hostsFailedInventoryAdd]]}
    esx10 = res.addedHosts[0]
    batch["standaloneParent"] = type(esx10.parent).__name__.split(".")[-1]
    res = wait(folder.BatchAddHostsToCluster_Task(cl, [new_host("esx12.example.com"), new_host("esx1.example.com")], [esx10], None, "maintenance"))
    batch["cluster"] = [sorted(name(h) for h in res.hostsAddedToCluster),
                        [[x.hostName, type(x.fault).__name__.split(".")[-1]] for x in res.hostsFailedInventoryAdd],
                        [[x.hostName, type(x.fault).__name__.split(".")[-1]] for x in res.hostsFailedMoveToCluster]]
    batch["members"] = sorted(h.name for h in cl.host)
    batch["maintenance"] = sorted([h.name, h.runtime.inMaintenanceMode] for h in cl.host if h.name in ("esx10.example.com", "esx12.example.com"))
    batch["badState"] = fault(folder.BatchAddHostsToCluster_Task(cl, [], [], None, "sideways"))
    return batch


out["batchAdd"] = batch_adds() if api != "6.0" else attempt(lambda: dc.hostFolder.BatchAddStandaloneHosts_Task([], None, True))

# ---- /_sim/reset: back to the scenario ----
session.reset()
esx1 = next(h for h in cl.host if h.name == "esx1.example.com")
esx2 = next(h for h in cl.host if h.name == "esx2.example.com")
out["reset"] = {
    "recommendations": len(cl.recommendation),
    "evc": cl.summary.currentEVCModeKey,
    "hosts": sorted(h.name for h in cl.host),
    "ipmi": esx1.config.ipmi,
    "das": esx1.runtime.dasHostState,
    "crypto": esx2.runtime.cryptoState,
    "dasHostState": [h.runtime.dasHostState for h in cl.host],
    "swap": [type(o).__name__.split(".")[-1] for o in esx1.config.systemSwapConfiguration.option],
    "locker": newer(esx1).QueryProductLockerLocation() if api != "6.0" else None,
    "dcDefault": dc.configuration.defaultHardwareVersionKey,
    "standalone": [standalone.runtime.powerState, standalone.runtime.inMaintenanceMode],
    "drs": cl.configurationEx.drsConfig.defaultVmBehavior,
}

print(json.dumps(out, sort_keys=True))
