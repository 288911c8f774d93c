#!/usr/bin/python3
"""pyVmomi drives a host's power and lockdown lifecycle the way Ansible's
vmware_host_powerstate and vmware_host_lockdown and PowerCLI's
Restart-VMHost / Stop-VMHost do (RebootHost_Task, ShutdownHost_Task,
RetrieveHardwareUptime, QueryMemoryOverhead(Ex), UpdateFlags,
EnterLockdownMode / ExitLockdownMode), and on a vCenter the cluster calls
that move hosts and explain rules (MoveHostInto_Task, ReconfigureCluster_Task,
FindRulesForVm, RecommendHostsForVm, GetResourceUsage), their faults, and
/_sim/reset bringing it all back. Prints one JSON object.
Usage: pyvmomi_host_lifecycle.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, fault, wait  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
vc = content.about.apiType == "VirtualCenter"
dc = content.rootFolder.childEntity[0]
out = {}

hosts = {h.name: h for h in session.hosts()}
names = sorted(hosts)
host = hosts[names[0]]
ds = "shared-ds" if vc else "mydatastore"


def new_vm(name, on, mb=512, cpus=1, pool=None, power=True):
    spec = vim.vm.ConfigSpec(name=name, guestId="otherGuest64", memoryMB=mb, numCPUs=cpus,
                             files=vim.vm.FileInfo(vmPathName="[%s]" % ds))
    vm = wait(dc.vmFolder.CreateVM_Task(spec, pool or on.parent.resourcePool, on))
    if power:
        wait(vm.PowerOnVM_Task())
    return vm


def state(h):
    rt = h.runtime
    return [rt.connectionState, rt.powerState, rt.inMaintenanceMode, h.summary.runtime.connectionState, h.summary.runtime.powerState]


def events(entity, types):
    spec = vim.event.EventFilterSpec(entity=vim.event.EventFilterSpec.ByEntity(entity=entity, recursion="self"))
    return sorted(n for n in (type(e).__name__.split(".")[-1] for e in content.eventManager.QueryEvents(spec)) if n in types)


def call(fn):
    """The fault of a task or a call, or "ok"."""
    try:
        r = fn()
        if isinstance(r, vim.Task):
            return fault(r) and fault(r).split(".")[-1] or "ok"
        return "ok"
    except Exception as e:  # the fault pyVmomi raises is the answer
        return type(e).__name__.split(".")[-1]


# ---- reboot and shutdown refused outside maintenance mode ----
life1 = new_vm("life-1", host)
boot0 = host.runtime.bootTime
out["refused"] = {
    "reboot": call(lambda: host.RebootHost_Task(force=False)),
    "shutdown": call(lambda: host.ShutdownHost_Task(force=False)),
    "state": state(host),
    "vm": life1.runtime.powerState,
}

# ---- a forced reboot powers the VMs off; the host comes back with a new bootTime ----
out["forcedReboot"] = {
    "task": call(lambda: host.RebootHost_Task(force=True)),
    "state": state(host),
    "vm": [life1.runtime.powerState, life1.runtime.connectionState],
    "vmEvents": events(life1, ["VmPoweredOffEvent"]),
    "hostEvents": events(host, ["HostShutdownEvent", "HostConnectedEvent"]),
    "bootTimeMoved": host.runtime.bootTime > boot0,
    "summaryBootTime": host.summary.runtime.bootTime == host.runtime.bootTime,
}
uptime = host.RetrieveHardwareUptime()
out["uptime"] = [type(uptime).__name__, 0 <= uptime < 60]

# ---- in maintenance mode no force is needed ----
wait(host.EnterMaintenanceMode_Task(0))
boot1 = host.runtime.bootTime
out["maintenanceReboot"] = [call(lambda: host.RebootHost_Task(force=False)), state(host), host.runtime.bootTime >= boot1]
wait(host.ExitMaintenanceMode_Task(0))

# ---- memory overhead ----
GB, MB = 1024 * 1024 * 1024, 1024 * 1024
video = next((d.videoRamSizeInKB for d in life1.config.hardware.device if isinstance(d, vim.vm.device.VirtualVideoCard)), 0) or 0
hw = life1.config.hardware
out["overhead"] = {
    "1GB2cpu": host.QueryMemoryOverhead(memorySize=GB, videoRamSize=4 * MB, numVcpus=2),
    "256MB1cpu": host.QueryMemoryOverhead(memorySize=256 * MB, numVcpus=1),
    "16GB8cpu": host.QueryMemoryOverhead(memorySize=16 * GB, numVcpus=8),
    "growsWithCpus": host.QueryMemoryOverhead(memorySize=GB, numVcpus=4) > host.QueryMemoryOverhead(memorySize=GB, numVcpus=1),
    "exMatches": host.QueryMemoryOverheadEx(vmConfigInfo=life1.config) == host.QueryMemoryOverhead(memorySize=hw.memoryMB * MB, videoRamSize=video * 1024, numVcpus=hw.numCPU),
    "noCpus": attempt(lambda: host.QueryMemoryOverhead(memorySize=GB, numVcpus=0)),
    "noMemory": attempt(lambda: host.QueryMemoryOverhead(memorySize=0, numVcpus=1)),
}

# ---- flags ----
before = host.config.flags.backgroundSnapshotsEnabled
out["flags"] = [before, attempt(lambda: host.UpdateFlags(vim.host.FlagInfo(backgroundSnapshotsEnabled=True))), host.config.flags.backgroundSnapshotsEnabled,
                attempt(lambda: host.UpdateFlags(vim.host.FlagInfo())), host.config.flags.backgroundSnapshotsEnabled]

# ---- lockdown ----
lock = lambda: [host.config.adminDisabled, host.config.lockdownMode]  # noqa: E731
out["lockdown"] = [
    ["fresh", lock()],
    ["exitWhenOpen", attempt(host.ExitLockdownMode), lock()],
    ["enter", attempt(host.EnterLockdownMode), lock()],
    ["enterAgain", attempt(host.EnterLockdownMode), lock()],
    ["exit", attempt(host.ExitLockdownMode), lock()],
]
if vc:
    out["lockdownEvents"] = events(host, ["HostAdminDisableEvent", "HostAdminEnableEvent"])

# ---- the cluster calls (vCenter) ----
if vc:
    cluster1 = host.parent
    esx1, esx2, esx3, esx4 = (hosts[n] for n in names)
    life2 = new_vm("life-2", esx3, mb=256)
    wait(life1.PowerOnVM_Task())
    usage = cluster1.GetResourceUsage()
    out["usage"] = [usage.cpuCapacityMHz, usage.cpuUsedMHz, usage.memCapacityMB, usage.memUsedMB, usage.storageCapacityMB, usage.storageUsedMB]

    rec = lambda vm, pool=None: [[r.host.name, r.rating] for r in cluster1.RecommendHostsForVm(vm=vm, pool=pool)]  # noqa: E731
    wait(life1.PowerOffVM_Task())
    outsider = new_vm("outsider", esx4, mb=256, power=False)
    out["recommend"] = {
        "poweredOff": rec(life1),
        "running": rec(life2),
        "outsiderWithPool": rec(outsider, cluster1.resourcePool),
        "outsiderNoPool": attempt(lambda: cluster1.RecommendHostsForVm(vm=outsider)),
        "badVm": attempt(lambda: cluster1.RecommendHostsForVm(vm=vim.VirtualMachine("vm-9999", si._stub))),
    }
    wait(esx1.EnterMaintenanceMode_Task(0))
    out["recommend"]["maintenanceLeftOut"] = rec(life1)
    wait(esx1.ExitMaintenanceMode_Task(0))

    # rules: made with ReconfigureComputeResource_Task, changed with the older ReconfigureCluster_Task
    apart = vim.cluster.AntiAffinityRuleSpec(name="keep-apart", enabled=True, vm=[life1, life2])
    groups = [vim.cluster.GroupSpec(operation="add", info=vim.cluster.VmGroup(name="web-vms", vm=[life1])),
              vim.cluster.GroupSpec(operation="add", info=vim.cluster.HostGroup(name="fast-hosts", host=[esx1]))]
    onfast = vim.cluster.VmHostRuleInfo(name="web-on-fast", enabled=True, mandatory=False, vmGroupName="web-vms", affineHostGroupName="fast-hosts")
    spec = vim.cluster.ConfigSpecEx(groupSpec=groups, rulesSpec=[vim.cluster.RuleSpec(operation="add", info=apart), vim.cluster.RuleSpec(operation="add", info=onfast)])
    rules = lambda vm: [[type(r).__name__.split(".")[-1], r.name, r.enabled, r.userCreated, r.status, bool(r.ruleUuid)] for r in cluster1.FindRulesForVm(vm=vm)]  # noqa: E731
    out["rules"] = {"none": rules(life1), "add": call(lambda: cluster1.ReconfigureComputeResource_Task(spec, True))}
    out["rules"]["life1"] = rules(life1)
    out["rules"]["life2"] = rules(life2)
    keys = {r.name: r.key for r in cluster1.configurationEx.rule}
    out["rules"]["keys"] = sorted(type(k).__name__ for k in keys.values())
    out["rules"]["config"] = sorted([r.name, sorted(v.name for v in (getattr(r, "vm", None) or []))] for r in cluster1.configurationEx.rule)
    edit = vim.cluster.ConfigSpec(rulesSpec=[vim.cluster.RuleSpec(operation="edit", info=vim.cluster.AntiAffinityRuleSpec(key=keys["keep-apart"], name="keep-apart", enabled=False, vm=[life1, life2]))])
    out["rules"]["edit"] = call(lambda: cluster1.ReconfigureCluster_Task(edit, True))
    out["rules"]["afterEdit"] = rules(life2)
    bad = lambda *specs: call(lambda: cluster1.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(rulesSpec=list(specs)), True))  # noqa: E731
    out["rules"]["faults"] = {
        "removeUnknown": bad(vim.cluster.RuleSpec(operation="remove", removeKey=9999)),
        "editUnknown": bad(vim.cluster.RuleSpec(operation="edit", info=vim.cluster.AffinityRuleSpec(key=9999, name="x", vm=[life1]))),
        "vmOutside": bad(vim.cluster.RuleSpec(operation="add", info=vim.cluster.AffinityRuleSpec(name="with-outsider", vm=[life1, outsider]))),
        "unknownGroup": bad(vim.cluster.RuleSpec(operation="add", info=vim.cluster.VmHostRuleInfo(name="g", vmGroupName="nope", affineHostGroupName="fast-hosts"))),
        # a valid add beside a bad remove: nothing of it is applied
        "halfApplied": [bad(vim.cluster.RuleSpec(operation="add", info=vim.cluster.AffinityRuleSpec(name="fine", vm=[life1, life2])),
                            vim.cluster.RuleSpec(operation="remove", removeKey=9999)), len(cluster1.configurationEx.rule)],
        "findBadVm": attempt(lambda: cluster1.FindRulesForVm(vm=vim.VirtualMachine("vm-9999", si._stub))),
        "findOutsider": rules(outsider),
    }
    out["rules"]["remove"] = [bad(vim.cluster.RuleSpec(operation="remove", removeKey=keys["keep-apart"])), rules(life2), [r.name for r in cluster1.configurationEx.rule]]

    # ---- MoveHostInto_Task: between clusters, and a standalone host with its pools ----
    cluster2 = dc.hostFolder.CreateClusterEx("cluster2", vim.cluster.ConfigSpecEx())
    mover = new_vm("mover", esx2, mb=256, power=False)
    summary = lambda c: [c.summary.numHosts, c.summary.totalMemory // GB, c.summary.totalCpu, sorted(h.name for h in c.host), sorted(d.name for d in c.datastore), sorted(n.name for n in c.network)]  # noqa: E731
    out["move"] = {
        "before": [summary(cluster1), summary(cluster2)],
        "notInMaintenance": call(lambda: cluster2.MoveHostInto_Task(esx2)),
        "badHost": call(lambda: cluster2.MoveHostInto_Task(vim.HostSystem("host-9999", si._stub))),
    }
    wait(esx2.EnterMaintenanceMode_Task(0))
    out["move"]["betweenClusters"] = call(lambda: cluster2.MoveHostInto_Task(esx2))
    out["move"]["after"] = [summary(cluster1), summary(cluster2), esx2.parent == cluster2, esx2.runtime.inMaintenanceMode]
    out["move"]["vm"] = [mover.resourcePool == cluster2.resourcePool, mover in cluster2.resourcePool.vm, mover not in cluster1.resourcePool.vm, mover.runtime.host.name]

    standalone = esx4.parent
    rp = standalone.resourcePool.CreateResourcePool("rp-a", vim.ResourceConfigSpec(
        cpuAllocation=vim.ResourceAllocationInfo(reservation=0, expandableReservation=True, limit=-1, shares=vim.SharesInfo(level="normal", shares=4000)),
        memoryAllocation=vim.ResourceAllocationInfo(reservation=0, expandableReservation=True, limit=-1, shares=vim.SharesInfo(level="normal", shares=163840))))
    inpool = new_vm("in-rp-a", esx4, mb=256, pool=rp, power=False)
    wait(outsider.PowerOnVM_Task())
    landing = cluster2.resourcePool.CreateResourcePool("landing", rp.config)
    out["move"]["foreignPool"] = call(lambda: cluster2.MoveHostInto_Task(esx4, cluster1.resourcePool))
    clash = landing.CreateResourcePool("rp-a", rp.config)
    out["move"]["duplicatePool"] = call(lambda: cluster2.MoveHostInto_Task(esx4, landing))
    wait(clash.Destroy_Task())
    out["move"]["standaloneWithPool"] = call(lambda: cluster2.MoveHostInto_Task(esx4, landing))
    out["move"]["standaloneAfter"] = {
        "cluster2": summary(cluster2),
        "computeResources": sorted(c.name for c in dc.hostFolder.childEntity),
        "parent": esx4.parent == cluster2,
        "pool": [rp.parent == landing, rp.owner == cluster2, [p.name for p in landing.resourcePool]],
        "vms": [outsider.resourcePool == landing, outsider.runtime.powerState, inpool.resourcePool == rp, sorted(v.name for v in landing.vm)],
        "usage": cluster2.GetResourceUsage().memCapacityMB,
    }
    shutdown_host, shutdown_vm = esx3, life2
else:
    shutdown_host, shutdown_vm = host, new_vm("life-2", host, mb=256)

# ---- shutdown: the host stays off, its VMs cannot be reached ----
boot2 = shutdown_host.runtime.bootTime
out["shutdown"] = {
    "task": call(lambda: shutdown_host.ShutdownHost_Task(force=True)),
    "state": state(shutdown_host),
    "vm": [shutdown_vm.runtime.powerState, shutdown_vm.runtime.connectionState],
    "vmEvents": events(shutdown_vm, ["VmPoweredOffEvent"]),
    "hostEvents": events(shutdown_host, ["HostShutdownEvent", "HostConnectionLostEvent"]),
    "powerOnVm": call(shutdown_vm.PowerOnVM_Task),
    "reboot": call(lambda: shutdown_host.RebootHost_Task(force=True)),
    "shutdownAgain": call(lambda: shutdown_host.ShutdownHost_Task(force=True)),
    "uptime": attempt(shutdown_host.RetrieveHardwareUptime),
    "maintenance": call(lambda: shutdown_host.EnterMaintenanceMode_Task(0)),
    "bootTimeKept": shutdown_host.runtime.bootTime == boot2,
}
if vc:
    usage = shutdown_host.parent.GetResourceUsage()
    out["shutdown"]["usage"] = [usage.cpuCapacityMHz, usage.memCapacityMB, usage.memUsedMB]
    out["shutdown"]["lockdown"] = attempt(shutdown_host.EnterLockdownMode)

# ---- /_sim/reset: everything as the scenario made it ----
status = session.reset()
fresh = {h.name: h for h in session.hosts()}
out["reset"] = {
    "status": status,
    "states": [state(fresh[n]) for n in names],
    "bootTime": fresh[names[0]].runtime.bootTime == boot0,
    "flags": fresh[names[0]].config.flags.backgroundSnapshotsEnabled,
    "lockdown": [fresh[names[0]].config.adminDisabled, fresh[names[0]].config.lockdownMode],
    "computeResources": sorted(c.name for c in dc.hostFolder.childEntity),
}
if vc:
    c1 = [c for c in dc.hostFolder.childEntity if c.name == "cluster1"][0]
    out["reset"]["cluster1"] = [sorted(h.name for h in c1.host), c1.configurationEx.rule, c1.summary.numHosts]
print(json.dumps(out, sort_keys=True, default=str))
