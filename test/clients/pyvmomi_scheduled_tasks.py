#!/usr/bin/python3
"""pyVmomi and vCenter's scheduled tasks, as PowerCLI's New-VIScheduledTask
and the pyvmomi-community-samples scheduled power-on script use them: a
once-task that powers a VM on (created, run now with RunScheduledTask),
a task with arguments (Rename_Task), tasks whose method fails (in its Task,
and at once), ReconfigureScheduledTask, RemoveScheduledTask, the Retrieve
methods, the events, the faults, and /_sim/reset taking them all away.
Prints one JSON object.
Usage: pyvmomi_scheduled_tasks.py HOST PORT USER PASSWORD"""
import datetime
import json
import sys

from sim_session import Session, attempt, until, wait  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
user = content.sessionManager.currentSession.userName
stm = content.scheduledTaskManager
dc = content.rootFolder.childEntity[0]
pool = dc.hostFolder.childEntity[0].resourcePool
ds = dc.datastore[0]
out = {}


def short(o):
    return type(o).__name__.split(".")[-1] if o is not None else None


def make_vm(name, folder=None):
    spec = vim.vm.ConfigSpec(name=name, guestId="otherGuest64", memoryMB=128, numCPUs=1, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name))
    return wait((folder or dc.vmFolder).CreateVM_Task(spec, pool))


def spec(name, method, args=(), scheduler=None, enabled=True):
    return vim.scheduler.ScheduledTaskSpec(
        name=name, description="test " + name, enabled=enabled,
        scheduler=scheduler or vim.scheduler.OnceTaskScheduler(runAt=now + datetime.timedelta(hours=1)),
        action=vim.action.MethodAction(name=method, argument=[vim.action.MethodActionArgument(value=a) for a in args]))


def done(t):
    return until(lambda: t.info.state in ("success", "error"))


now = si.CurrentTime()
vm = make_vm("sched-vm")
desc = stm.description
out["manager"] = {
    "empty": list(stm.scheduledTask),
    "states": [e.key for e in desc.state],
    "schedulers": [[d.key._wsdlName, d.frequency] for d in desc.schedulerInfo],
    "weekOfMonth": [e.key for e in desc.weekOfMonth],
}

run_at = now + datetime.timedelta(hours=1)
t1 = stm.CreateScheduledTask(vm, spec("power on", vim.VirtualMachine.PowerOn, scheduler=vim.scheduler.OnceTaskScheduler(runAt=run_at)))
i = t1.info
out["created"] = {
    "type": short(t1), "name": i.name, "description": i.description, "enabled": i.enabled, "state": i.state,
    "entity": i.entity == vm, "taskObject": i.taskObject == vm, "scheduledTask": i.scheduledTask == t1,
    "user": i.lastModifiedUser == user, "nextRunTime": i.nextRunTime == run_at, "prevRunTime": i.prevRunTime,
    "action": [short(i.action), i.action.name.info.wsdlName], "notification": i.notification,
    "listed": list(stm.scheduledTask) == [t1], "power": vm.runtime.powerState,
}

out["faults"] = {
    "duplicate": attempt(lambda: stm.CreateScheduledTask(vm, spec("power on", vim.VirtualMachine.PowerOn))),
    "emptyName": attempt(lambda: stm.CreateScheduledTask(vm, spec("", vim.VirtualMachine.PowerOn))),
    "longName": attempt(lambda: stm.CreateScheduledTask(vm, spec("x" * 200, vim.VirtualMachine.PowerOn))),
    "notAMethodOfVm": attempt(lambda: stm.CreateScheduledTask(vm, spec("bad method", vim.HostSystem.Reboot))),
    "missingArgument": attempt(lambda: stm.CreateScheduledTask(vm, spec("no name", vim.VirtualMachine.Rename))),
    "wrongArgument": attempt(lambda: stm.CreateScheduledTask(vm, spec("bad arg", vim.VirtualMachine.Rename, [True]))),
    "tooManyArguments": attempt(lambda: stm.CreateScheduledTask(vm, spec("many args", vim.VirtualMachine.PowerOn, [None, None, None]))),
    "zeroInterval": attempt(lambda: stm.CreateScheduledTask(vm, spec("hourly", vim.VirtualMachine.PowerOn, scheduler=vim.scheduler.HourlyTaskScheduler(interval=0, minute=5)))),
    "badMinute": attempt(lambda: stm.CreateScheduledTask(vm, spec("hourly", vim.VirtualMachine.PowerOn, scheduler=vim.scheduler.HourlyTaskScheduler(interval=1, minute=60)))),
    "badHour": attempt(lambda: stm.CreateScheduledTask(vm, spec("daily", vim.VirtualMachine.PowerOn, scheduler=vim.scheduler.DailyTaskScheduler(interval=1, minute=0, hour=24)))),
    "noWeekday": attempt(lambda: stm.CreateScheduledTask(vm, spec("weekly", vim.VirtualMachine.PowerOn, scheduler=vim.scheduler.WeeklyTaskScheduler(interval=1, minute=0, hour=3)))),
    "badDay": attempt(lambda: stm.CreateScheduledTask(vm, spec("monthly", vim.VirtualMachine.PowerOn, scheduler=vim.scheduler.MonthlyByDayTaskScheduler(interval=1, minute=0, hour=3, day=32)))),
    "runAtPast": attempt(lambda: stm.CreateScheduledTask(vm, spec("past", vim.VirtualMachine.PowerOn, scheduler=vim.scheduler.OnceTaskScheduler(runAt=now - datetime.timedelta(days=1))))),
    "expiresBeforeActive": attempt(lambda: stm.CreateScheduledTask(vm, spec("expired", vim.VirtualMachine.PowerOn, scheduler=vim.scheduler.DailyTaskScheduler(
        interval=1, minute=0, hour=3, activeTime=now + datetime.timedelta(days=2), expireTime=now + datetime.timedelta(days=1))))),
    "listed": len(stm.scheduledTask),
}

# RunScheduledTask: the action runs now, as a Task of the VM; the schedule stays
t1.RunScheduledTask()
done(t1)
i = t1.info
out["ran"] = {
    "state": i.state, "power": vm.runtime.powerState, "activeTask": i.activeTask, "prevRunTime": i.prevRunTime is not None,
    "nextRunTime": i.nextRunTime == run_at, "error": i.error,
}

# the same method again fails in its Task: the VM is on already
t1.RunScheduledTask()
done(t1)
out["failedInTask"] = [t1.info.state, short(t1.info.error.fault if hasattr(t1.info.error, "fault") else t1.info.error), t1.info.activeTask]

# a method that fails at once (a running VM cannot become a template)
t2 = stm.CreateScheduledTask(vm, spec("to template", vim.VirtualMachine.MarkAsTemplate))
t2.RunScheduledTask()
out["failedAtOnce"] = [t2.info.state, short(t2.info.error.fault if hasattr(t2.info.error, "fault") else t2.info.error), vm.config.template]

# arguments go to the method in order: Rename_Task(newName)
t3 = stm.CreateScheduledTask(vm, spec("rename", vim.VirtualMachine.Rename, ["renamed-vm"]))
out["argument"] = [short(a.value) if not isinstance(a.value, str) else a.value for a in t3.info.action.argument]
t3.RunScheduledTask()
done(t3)
out["renamed"] = [t3.info.state, vm.name]

# CreateObjectScheduledTask on the VM; the Retrieve methods
t4 = stm.CreateObjectScheduledTask(vm, spec("object task", vim.VirtualMachine.PowerOff, enabled=False))
out["retrieve"] = {
    "entity": sorted(t.info.name for t in stm.RetrieveEntityScheduledTask(vm)),
    "object": sorted(t.info.name for t in stm.RetrieveObjectScheduledTask(vm)),
    "all": sorted(t.info.name for t in stm.RetrieveEntityScheduledTask()),
    "folder": [t.info.name for t in stm.RetrieveEntityScheduledTask(dc.vmFolder)],
    "disabledNext": t4.info.nextRunTime,
    "manager": len(stm.scheduledTask),
}

# ReconfigureScheduledTask: a new name, disabled, a daily schedule
before = t1.info.lastModifiedTime
out["reconfigure"] = {
    "duplicate": attempt(lambda: t1.ReconfigureScheduledTask(spec("rename", vim.VirtualMachine.PowerOn))),
    "badScheduler": attempt(lambda: t1.ReconfigureScheduledTask(spec("x", vim.VirtualMachine.PowerOn, scheduler=vim.scheduler.HourlyTaskScheduler(interval=1, minute=-1)))),
    "unchanged": t1.info.name,
    "ok": attempt(lambda: t1.ReconfigureScheduledTask(spec("nightly power on", vim.VirtualMachine.PowerOn, scheduler=vim.scheduler.DailyTaskScheduler(interval=1, hour=3, minute=30)))),
}
i = t1.info
nxt = i.nextRunTime
out["reconfigured"] = {
    "name": i.name, "scheduler": short(i.scheduler), "at": [nxt.hour, nxt.minute, nxt.second], "future": nxt > now,
    "withinADay": (nxt - si.CurrentTime()).total_seconds() <= 86400, "modified": i.lastModifiedTime >= before, "stateKept": i.state,
}
t1.ReconfigureScheduledTask(spec("nightly power on", vim.VirtualMachine.PowerOn, enabled=False, scheduler=vim.scheduler.DailyTaskScheduler(interval=1, hour=3, minute=30)))
out["disabled"] = [t1.info.enabled, t1.info.nextRunTime]

# RemoveScheduledTask
t4.RemoveScheduledTask()
out["removed"] = {
    "listed": sorted(t.info.name for t in stm.scheduledTask),
    "again": attempt(lambda: t4.RemoveScheduledTask()),
    "info": attempt(lambda: t4.info),
}

# a task leaves with its entity: a VM destroyed, a VM unregistered, a folder destroyed with its VM
sub = dc.vmFolder.CreateFolder("sched-folder")
doomed = {"destroyed": make_vm("doomed-vm"), "unregistered": make_vm("unregistered-vm"), "inFolder": make_vm("inner-vm", sub)}
tasks = {k: stm.CreateScheduledTask(v, spec("%s power on" % k, vim.VirtualMachine.PowerOn)) for k, v in doomed.items()}
listed = lambda: sorted(t.info.name for t in stm.scheduledTask)
out["entityGone"] = {"before": listed()}
wait(doomed["destroyed"].Destroy_Task())
doomed["unregistered"].UnregisterVM()
wait(sub.Destroy_Task())
out["entityGone"].update({"after": listed(), "info": {k: attempt(lambda t=t: t.info) for k, t in tasks.items()}})

# the events of t1, oldest first
events = sorted(content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=[
    "ScheduledTaskCreatedEvent", "ScheduledTaskStartedEvent", "ScheduledTaskCompletedEvent", "ScheduledTaskFailedEvent",
    "ScheduledTaskReconfiguredEvent", "ScheduledTaskRemovedEvent"])), key=lambda e: e.key)
out["events"] = [[short(e), e.scheduledTask.name, e.entity.name, e.vm.name if e.vm else None] for e in events if e.scheduledTask.scheduledTask in (t1, t4)]
out["messages"] = [e.fullFormattedMessage for e in events if e.scheduledTask.scheduledTask == t4]
failed = [e for e in events if isinstance(e, vim.event.ScheduledTaskFailedEvent)]
out["failedReasons"] = sorted(short(e.reason) for e in failed)

# /_sim/reset: the tasks are gone with the rest
out["reset"] = {"status": session.reset(), "listed": list(stm.scheduledTask), "info": attempt(lambda: t1.info)}
print(json.dumps(out))
