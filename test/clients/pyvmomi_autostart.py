#!/usr/bin/python3
"""pyVmomi drives a host's HostAutoStartManager the way Ansible's
community.vmware.vmware_host_auto_start and govc host.autostart.* do:
ReconfigureAutostart (defaults, per-VM power info merged into what the host
has, start orders kept 1..n), AutoStartPowerOn and AutoStartPowerOff (the
VMs in order, each as its actions say), the faults, VMs that leave the
inventory leaving the order, and /_sim/reset bringing the fresh config back.
Prints one JSON object.
Usage: pyvmomi_autostart.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, wait  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}

dc = content.rootFolder.childEntity[0]
host = dc.hostFolder.childEntity[0].host[0]
pool = dc.hostFolder.childEntity[0].resourcePool
asm = host.configManager.autoStartManager
ds = host.datastore[0].name


def create(name):
    spec = vim.vm.ConfigSpec(name=name, memoryMB=64, numCPUs=1, guestId="otherGuest", files=vim.vm.FileInfo(vmPathName="[%s]" % ds))
    return wait(dc.vmFolder.CreateVM_Task(config=spec, pool=pool))


vms = {n: create(n) for n in ("as-a", "as-b", "as-c", "as-d")}
name_of = {vm._moId: n for n, vm in vms.items()}


def defaults(c=None):
    d = (c or asm.config).defaults
    return [d.enabled, d.startDelay, d.stopDelay, d.waitForHeartbeat, d.stopAction]


def order(c=None):
    return [[name_of.get(p.key._moId, p.key._moId), p.startOrder, p.startAction, p.stopAction] for p in (c or asm.config).powerInfo]


def info(vm, start_order, start="powerOn", stop="systemDefault", start_delay=-1, stop_delay=-1, wait_hb="systemDefault"):
    return vim.host.AutoStartManager.AutoPowerInfo(key=vm if not isinstance(vm, str) else vms[vm], startOrder=start_order, startDelay=start_delay,
                                                    waitForHeartbeat=wait_hb, startAction=start, stopDelay=stop_delay, stopAction=stop)


def configure(*power, dflt=None):
    return asm.ReconfigureAutostart(spec=vim.host.AutoStartManager.Config(defaults=dflt, powerInfo=list(power)))


def states():
    return {n: vm.runtime.powerState for n, vm in sorted(vms.items()) if n in name_of.values()}


def events(since):
    spec = vim.event.EventFilterSpec(eventTypeId=["VmPoweredOnEvent", "VmPoweredOffEvent", "VmSuspendedEvent"])
    evs = sorted(content.eventManager.QueryEvents(spec), key=lambda e: e.key)
    return [[type(e).__name__.split(".")[-1], e.vm.name] for e in evs if e.key > since]


def last_event():
    evs = content.eventManager.QueryEvents(vim.event.EventFilterSpec())
    return max(e.key for e in evs) if evs else 0


out["fresh"] = {"defaults": defaults(), "powerInfo": order(), "hostConfig": [defaults(host.config.autoStart), order(host.config.autoStart)]}

steps = []
steps.append(["defaults", attempt(lambda: configure(dflt=vim.host.AutoStartManager.SystemDefaults(enabled=False, startDelay=10, stopDelay=20, waitForHeartbeat=False, stopAction="powerOff"))), defaults()])
# C takes place 1 from A, which moves up
steps.append(["order", attempt(lambda: configure(info("as-a", 1), info("as-b", 2), info("as-c", 1, stop="suspend"))), order()])
steps.append(["move", attempt(lambda: configure(info("as-b", 1))), order()])
steps.append(["anyOrder", attempt(lambda: configure(info("as-a", -1, stop="guestShutdown"))), order()])
steps.append(["stopOnly", attempt(lambda: configure(info("as-d", -1, start="none", stop="powerOff"))), order()])
steps.append(["remove", attempt(lambda: configure(info("as-c", -1, start="none", stop="none"))), order()])
steps.append(["readd", attempt(lambda: configure(info("as-c", 2, stop="suspend"))), order()])
steps.append(["hostConfig", order(host.config.autoStart) == order(), defaults(host.config.autoStart)])
out["steps"] = steps

faults = {
    "orderZero": attempt(lambda: configure(info("as-a", 0))),
    "orderMinusTwo": attempt(lambda: configure(info("as-a", -2))),
    "orderPastEnd": attempt(lambda: configure(info("as-a", 5))),
    "noneWithOrder": attempt(lambda: configure(info("as-a", 1, start="none"))),
    "badStartAction": attempt(lambda: configure(info("as-a", 1, start="start"))),
    "badStopAction": attempt(lambda: configure(info("as-a", 1, stop="explode"))),
    "badDelay": attempt(lambda: configure(info("as-a", 1, start_delay=-5))),
    "unknownVm": attempt(lambda: configure(info(vim.VirtualMachine("vm-999", stub=si._stub), 1))),
    "badDefaultStop": attempt(lambda: configure(dflt=vim.host.AutoStartManager.SystemDefaults(stopAction="explode"))),
    "badDefaultDelay": attempt(lambda: configure(dflt=vim.host.AutoStartManager.SystemDefaults(startDelay=-1))),
    # the first entry is good, the second is not: nothing changes
    "halfway": attempt(lambda: configure(info("as-d", 1), info("as-a", 9))),
}
faults["unchanged"] = order()
out["faults"] = faults

# ---- the sequences ----
seq = []
mark = last_event()
seq.append(["disabledOn", attempt(lambda: asm.AutoStartPowerOn()), states()])
configure(dflt=vim.host.AutoStartManager.SystemDefaults(enabled=True))
seq.append(["enabled", defaults()])
seq.append(["powerOn", attempt(lambda: asm.AutoStartPowerOn()), states(), events(mark)])
# D only stops with the host: it is started by hand
wait(vms["as-d"].PowerOnVM_Task())
seq.append(["powerOnAgain", attempt(lambda: asm.AutoStartPowerOn()), states()])
mark = last_event()
seq.append(["powerOff", attempt(lambda: asm.AutoStartPowerOff()), states(), events(mark)])
out["sequences"] = seq

# ---- VMs that leave the inventory leave the order ----
gone = []
wait(vms["as-c"].PowerOffVM_Task())
wait(vms["as-c"].Destroy_Task())
del name_of[vms["as-c"]._moId]
gone.append(["destroyed", order()])
vms["as-a"].UnregisterVM()
del name_of[vms["as-a"]._moId]
gone.append(["unregistered", order(), order(host.config.autoStart)])
out["gone"] = gone

status = session.reset()
out["reset"] = {"status": status, "defaults": defaults(), "powerInfo": order(), "hostConfig": [defaults(host.config.autoStart), order(host.config.autoStart)]}
print(json.dumps(out))
