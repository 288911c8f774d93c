#!/usr/bin/python3
"""pyVmomi drives the host subsystems that scripts and PowerCLI
(Get-VMHostSnmp, Set-VMHostSnmp, Get-VMHostHyperThreading-style reports)
read and change: HostCpuSchedulerSystem (hyperthreading, active only after a
reboot), HostMemorySystem (ESX classic's reservations, refused on ESXi),
HostVMotionSystem (the pre-4.0 vMotion NIC, in step with
HostVirtualNicManager), HostSnmpSystem (the host's agent on ESXi, vCenter's
own on vCenter), OverheadMemoryManager (vCenter), setCustomValue on the
host's configuration managers, their faults, and /_sim/reset bringing it
all back. Prints one JSON object.
Usage: pyvmomi_host_subsystems.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, wait  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
vc = content.about.apiType == "VirtualCenter"
out = {}

hosts = session.hosts()
host = hosts[0]
cm = host.configManager


def ht(h=host):
    i = h.configManager.cpuScheduler.hyperthreadInfo
    c = h.config.hyperThread
    return [i.available, i.active, i.config, [c.available, c.active, c.config] == [i.available, i.active, i.config]]


# ---- HostCpuSchedulerSystem ----
cpu = cm.cpuScheduler
steps = [["fresh", "ok", ht()]]
steps.append(["disable", attempt(lambda: cpu.DisableHyperThreading()), ht()])
steps.append(["disableAgain", attempt(lambda: cpu.DisableHyperThreading()), ht()])
steps.append(["reboot", attempt(lambda: wait(host.RebootHost_Task(force=True))), ht()])
steps.append(["enable", attempt(lambda: cpu.EnableHyperThreading()), ht()])
steps.append(["reboot", attempt(lambda: wait(host.RebootHost_Task(force=True))), ht()])
steps.append(["disable", attempt(lambda: cpu.DisableHyperThreading()), ht()])
out["hyperThreading"] = {"steps": steps, "otherHost": ht(hosts[-1]) if vc else None}

# ---- HostMemorySystem ----
mem = cm.memoryManager
GB = 1024 ** 3
out["memory"] = {
    "info": [mem.consoleReservationInfo, mem.virtualMachineReservationInfo, host.config.consoleReservation, host.config.virtualMachineReservation],
    "console": attempt(lambda: mem.ReconfigureServiceConsoleReservation(cfgBytes=400 * 1024 * 1024)),
    "consoleNegative": attempt(lambda: mem.ReconfigureServiceConsoleReservation(cfgBytes=-1)),
    "vm": attempt(lambda: mem.ReconfigureVirtualMachineReservation(spec=vim.host.MemoryManagerSystem.VirtualMachineReservationSpec(virtualMachineReserved=GB, allocationPolicy="swapSome"))),
    "vmTooMuch": attempt(lambda: mem.ReconfigureVirtualMachineReservation(spec=vim.host.MemoryManagerSystem.VirtualMachineReservationSpec(virtualMachineReserved=4096 * GB))),
    "vmBadPolicy": attempt(lambda: mem.ReconfigureVirtualMachineReservation(spec=vim.host.MemoryManagerSystem.VirtualMachineReservationSpec(allocationPolicy="swapAll"))),
}

# ---- HostVMotionSystem, in step with HostVirtualNicManager ----
vmo, nm, ns = cm.vmotionSystem, cm.virtualNicManager, cm.networkSystem


def vmotion():
    n = vmo.netConfig
    ipc = vmo.ipConfig
    sel = [c for c in nm.info.netConfig if c.nicType == "vmotion"][0].selectedVnic
    return [n.selectedVnic, ipc.ipAddress if ipc else None, list(sel), host.summary.config.vmotionEnabled,
            host.config.vmotion.netConfig.selectedVnic == n.selectedVnic]


ns.AddPortGroup(portgrp=vim.host.PortGroup.Specification(name="vmo", vlanId=0, vswitchName="vSwitch0", policy=vim.host.NetworkPolicy()))
vmk = ns.AddVirtualNic(portgroup="vmo", nic=vim.host.VirtualNic.Specification(ip=vim.host.IpConfig(dhcp=False, ipAddress="10.20.30.40", subnetMask="255.255.255.0")))
vsteps = [["fresh", "ok", vmotion()]]
vsteps.append(["select", attempt(lambda: vmo.SelectVnic(device=vmk)), vmotion()])
vsteps.append(["ip", attempt(lambda: vmo.UpdateIpConfig(ipConfig=vim.host.IpConfig(dhcp=False, ipAddress="10.20.30.41", subnetMask="255.255.255.0"))), vmotion()])
vsteps.append(["badIp", attempt(lambda: vmo.UpdateIpConfig(ipConfig=vim.host.IpConfig(dhcp=False, ipAddress="10.20.30.400", subnetMask="255.255.255.0"))), vmotion()])
vsteps.append(["unknownNic", attempt(lambda: vmo.SelectVnic(device="vmk9")), vmotion()])
# the newer API adds vmk0 beside it; the old one sees the first only, and SelectVnic keeps one
vsteps.append(["nicManagerAdds", attempt(lambda: nm.SelectVnicForNicType(nicType="vmotion", device="vmk0")), vmotion()])
vsteps.append(["selectOne", attempt(lambda: vmo.SelectVnic(device="vmk0")), vmotion()])
vsteps.append(["deselect", attempt(lambda: vmo.DeselectVnic()), vmotion()])
vsteps.append(["deselectAgain", attempt(lambda: vmo.DeselectVnic()), vmotion()])
vsteps.append(["ipNoNic", attempt(lambda: vmo.UpdateIpConfig(ipConfig=vim.host.IpConfig(dhcp=False, ipAddress="10.20.30.42", subnetMask="255.255.255.0"))), vmotion()])
out["vmotion"] = {
    "candidates": [c.key for c in vmo.netConfig.candidateVnic],
    "steps": vsteps,
    "nicIp": next(v.spec.ip.ipAddress for v in ns.networkInfo.vnic if v.device == vmk),
}

# ---- HostSnmpSystem ----
snmp = content.snmpSystem if vc else cm.snmpSystem
Spec, Dest = vim.host.SnmpSystem.SnmpConfigSpec, vim.host.SnmpSystem.SnmpConfigSpec.Destination


def snmp_config():
    c = snmp.configuration
    return [c.enabled, c.port, list(c.readOnlyCommunities), [[t.hostName, t.port, t.community] for t in c.trapTargets]]


lim = snmp.limits
out["snmp"] = {
    "hostManager": cm.snmpSystem is not None,
    "limits": [lim.maxReadOnlyCommunities, lim.maxTrapDestinations, lim.maxCommunityLength, lim.capability],
    "fresh": snmp_config(),
    "testFresh": attempt(lambda: snmp.SendTestNotification()),
    "badPort": attempt(lambda: snmp.ReconfigureSnmpAgent(spec=Spec(port=70000))),
    "tooManyCommunities": attempt(lambda: snmp.ReconfigureSnmpAgent(spec=Spec(readOnlyCommunities=["c%d" % i for i in range(11)]))),
    "longCommunity": attempt(lambda: snmp.ReconfigureSnmpAgent(spec=Spec(readOnlyCommunities=["x" * 65]))),
    "tooManyTargets": attempt(lambda: snmp.ReconfigureSnmpAgent(spec=Spec(trapTargets=[Dest(hostName="10.0.0.%d" % i, port=162, community="public") for i in range(5)]))),
    "badTarget": attempt(lambda: snmp.ReconfigureSnmpAgent(spec=Spec(enabled=True, trapTargets=[Dest(hostName="", port=162, community="public")]))),
    "badTargetPort": attempt(lambda: snmp.ReconfigureSnmpAgent(spec=Spec(enabled=True, trapTargets=[Dest(hostName="nms.example.com", port=0, community="public")]))),
    "unchanged": snmp_config(),
    "disableOnly": [attempt(lambda: snmp.ReconfigureSnmpAgent(spec=Spec(enabled=False))), attempt(lambda: snmp.SendTestNotification())],
    "configure": attempt(lambda: snmp.ReconfigureSnmpAgent(spec=Spec(enabled=True, port=1161, readOnlyCommunities=["public", "ops"], trapTargets=[Dest(hostName="nms.example.com", port=162, community="public")]))),
    "configured": snmp_config(),
    "test": attempt(lambda: snmp.SendTestNotification()),
    "keepOthers": [attempt(lambda: snmp.ReconfigureSnmpAgent(spec=Spec(port=161))), snmp_config()],
}

# ---- OverheadMemoryManager (vCenter) ----
if vc:
    omm = content.overheadMemoryManager
    spec = vim.vm.ConfigSpec(name="ovh", guestId="otherGuest64", memoryMB=2048, numCPUs=2, files=vim.vm.FileInfo(vmPathName="[shared-ds]"))
    dc = content.rootFolder.childEntity[0]
    vm = wait(dc.vmFolder.CreateVM_Task(spec, host.parent.resourcePool, host))
    ovh = omm.LookupVmOverheadMemory(vm=vm, host=host)
    out["overhead"] = {
        "matchesHost": ovh == host.QueryMemoryOverheadEx(vmConfigInfo=vm.config),
        "positive": ovh > 0,
        "otherHost": omm.LookupVmOverheadMemory(vm=vm, host=hosts[-1]) == ovh,
        "unknownVm": attempt(lambda: omm.LookupVmOverheadMemory(vm=vim.VirtualMachine("vm-9999", si._stub), host=host)),
        "unknownHost": attempt(lambda: omm.LookupVmOverheadMemory(vm=vm, host=vim.HostSystem("host-9999", si._stub))),
    }
else:
    out["overhead"] = {"manager": content.overheadMemoryManager}

# ---- setCustomValue on the host's configuration managers ----
managers = {
    "firewall": cm.firewallSystem, "network": cm.networkSystem, "service": cm.serviceSystem, "storage": cm.storageSystem,
    "vnic": cm.virtualNicManager, "cpu": cm.cpuScheduler, "memory": cm.memoryManager, "vmotion": cm.vmotionSystem,
}
if vc:
    content.customFieldsManager.AddCustomFieldDef(name="owner")
cv = {}
for name, m in managers.items():
    cv[name] = [attempt(lambda: m.setCustomValue(key="owner", value="ops-" + name)), [v.value for v in (m.value or [])]]
cv["unknownKey"] = attempt(lambda: cm.networkSystem.setCustomValue(key="nosuch", value="x"))
cv["entity"] = attempt(lambda: host.setCustomValue(key="owner", value="ops"))
out["customValues"] = cv

# ---- /_sim/reset ----
out["reset"] = session.reset()
out["afterReset"] = {
    "hyperThread": ht(),
    "vmotion": [vmo.netConfig.selectedVnic, vmo.ipConfig, [c.device for c in vmo.netConfig.candidateVnic]],
    "snmp": snmp_config(),
    "value": [len(m.value or []) for m in managers.values()],
}
print(json.dumps(out))
