#!/usr/bin/python3
"""pyVmomi and vCenter's alarms, as monitoring scripts and Ansible's alarm
modules use them: the default alarms, a state alarm on a VM folder that turns
red when a VM powers on (triggeredAlarmState, overallStatus,
AlarmStatusChangedEvent), acknowledging it, an event alarm, reconfiguring and
removing alarms, and their faults. On a standalone host there is no
AlarmManager. Prints one JSON object.
Usage: pyvmomi_alarms.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
if content.alarmManager is None:
    print(json.dumps({"alarmManager": None}))
    sys.exit(0)
am = content.alarmManager
dc = content.rootFolder.childEntity[0]
pool = dc.hostFolder.childEntity[0].resourcePool
ds = dc.datastore[0]


def short(o):
    return type(o).__name__.split(".")[-1]


def states(entity):
    return sorted([s.alarm.info.name, s.overallStatus] for s in entity.triggeredAlarmState)


def powered_on_alarm(name, red="poweredOn"):
    return vim.alarm.AlarmSpec(name=name, description="VM is running", enabled=True,
                               expression=vim.alarm.StateAlarmExpression(operator="isEqual", type=vim.VirtualMachine, statePath="runtime.powerState", red=red))


out["defaults"] = sorted(a.info.name for a in am.GetAlarm(content.rootFolder))
host = dc.hostFolder.childEntity[0].host[0]
out["hostDeclared"] = sorted([s.alarm.info.name, s.overallStatus] for s in host.declaredAlarmState)

vm = wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="watched", guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name)), pool))
alarm = am.CreateAlarm(dc.vmFolder, powered_on_alarm("vm running"))
out["created"] = [short(alarm), alarm.info.name, alarm.info.entity == dc.vmFolder, alarm.info.lastModifiedUser == content.sessionManager.currentSession.userName]
out["duplicate"] = attempt(lambda: am.CreateAlarm(dc.vmFolder, powered_on_alarm("vm running")))
out["badName"] = attempt(lambda: am.CreateAlarm(dc.vmFolder, powered_on_alarm("")))
out["onFolder"] = [a.info.name for a in am.GetAlarm(dc.vmFolder)]
out["before"] = [states(vm), vm.overallStatus, sorted([s.alarm.info.name, s.overallStatus] for s in vm.declaredAlarmState)]
wait(vm.PowerOnVM_Task())
out["on"] = [states(vm), vm.overallStatus, [s.overallStatus for s in am.GetAlarmState(vm) if s.alarm == alarm]]
am.AcknowledgeAlarm(alarm, vm)
st = [s for s in vm.triggeredAlarmState if s.alarm == alarm][0]
out["acknowledged"] = [st.acknowledged, st.acknowledgedByUser == content.sessionManager.currentSession.userName]
wait(vm.PowerOffVM_Task())
out["off"] = [states(vm), vm.overallStatus]

# reconfigured to fire on poweredOff instead: the VM, powered off, turns red at once
alarm.ReconfigureAlarm(powered_on_alarm("vm stopped", red="poweredOff"))
out["reconfigured"] = [alarm.info.name, states(vm)]

# an event alarm: a VM's reconfiguration turns it yellow
ev_alarm = am.CreateAlarm(vm, vim.alarm.AlarmSpec(name="reconfigured", description="", enabled=True,
                                                   expression=vim.alarm.EventAlarmExpression(eventType=vim.event.VmReconfiguredEvent, objectType=vim.VirtualMachine, status="yellow")))
wait(vm.ReconfigVM_Task(vim.vm.ConfigSpec(annotation="changed")))
out["event"] = states(vm)

out["actions"] = [am.AreAlarmActionsEnabled(vm)]
am.EnableAlarmActions(vm, False)
out["actions"].append(am.AreAlarmActionsEnabled(vm))

alarm.RemoveAlarm()
ev_alarm.RemoveAlarm()
out["removed"] = [states(vm), vm.overallStatus, sorted(a.info.name for a in am.GetAlarm(dc.vmFolder))]
events = content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=["AlarmCreatedEvent", "AlarmStatusChangedEvent", "AlarmReconfiguredEvent", "AlarmRemovedEvent"]))
out["events"] = [[short(e), e.fullFormattedMessage] for e in sorted(events, key=lambda e: e.key)]

# an alarm defined on a VM leaves with the VM, with no AlarmRemovedEvent for an entity that is gone
last = max(e.key for e in events)
doomed = wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="doomed", guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name)), pool))
on_vm = am.CreateAlarm(doomed, powered_on_alarm("doomed stopped", red="poweredOff"))
gone = {"before": [[a.info.name for a in am.GetAlarm(doomed)], states(doomed)]}
wait(doomed.Destroy_Task())
later = content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=["AlarmCreatedEvent", "AlarmStatusChangedEvent", "AlarmReconfiguredEvent", "AlarmRemovedEvent"]))
gone.update({"info": attempt(lambda: on_vm.info), "events": [short(e) for e in sorted(later, key=lambda e: e.key) if e.key > last]})
out["entityGone"] = gone
Disconnect(si)
print(json.dumps(out))
