#!/usr/bin/python3
"""pyVmomi reads a server's logs and statistics settings the way govc (logs,
logs.ls, logs.download, metric.*), PowerCLI (Get-Log) and monitoring tools
do: DiagnosticManager's descriptions, log lines (start/lines windows, the
task and event of a VM just created), a log bundle generated and downloaded
over HTTPS with the session cookie; PerformanceManager's composite query,
historical intervals and counter levels; EventManager's argument
descriptions; AlarmManager.ClearTriggeredAlarms on an alarm triggered here.
Faults too. The test runs it on a clock it holds still, after creating and
powering on the VM "diag-perf" and moving the clock a minute on.
Prints one JSON object.
Usage: pyvmomi_diagnostics.py HOST PORT USER PASSWORD"""
import io
import json
import re
import sys
import tarfile
import urllib.error
import urllib.request

from sim_session import Session, attempt, fault, wait  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
vc = content.about.apiType == "VirtualCenter"
api67 = content.about.apiVersion == "6.7"
out = {}

hosts = session.hosts()
host = hosts[0]
dc = content.rootFolder.childEntity[0]
dm = content.diagnosticManager
perf = content.perfManager
on_host = host if vc else None


def browse(key, h=on_host, **kw):
    return dm.BrowseDiagnosticLog(host=h, key=key, **kw)


def text(header):
    return list(header.lineText or [])


# ---- DiagnosticManager: which logs ----
out["descriptions"] = [[d.key, d.fileName, d.creator, d.format, d.mimeType, bool(d.info.label)] for d in dm.QueryDescriptions(host=on_host)]
if vc:
    out["vpxdDescriptions"] = [[d.key, d.fileName, d.creator] for d in dm.QueryDescriptions()]

# ---- a VM created now: its task and its event are in the host's log ----
ds = [d for d in host.datastore if d.name in ("mydatastore", "shared-ds")][0]
spec = vim.vm.ConfigSpec(name="diag-vm", guestId="otherGuest64", memoryMB=256, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name))
task = dc.vmFolder.CreateVM_Task(config=spec, pool=host.parent.resourcePool, host=on_host)
wait(task)
key = task.info.key
full = browse("hostd")
lines = text(full)
out["hostdTask"] = [l for l in lines if key in l]
out["hostdEvent"] = [l for l in lines if "diag-vm" in l]
out["whole"] = [full.lineStart, full.lineEnd == len(lines), len(lines) > 4]
part = browse("hostd", start=2, lines=3)
out["window"] = [part.lineStart, part.lineEnd, text(part) == lines[1:4]]
# govc logs: the length first (a start past the end), then the last N lines
end = browse("hostd", start=2 ** 31 - 1)
out["pastEnd"] = [end.lineEnd == len(lines), len(text(end))]
tail = browse("hostd", start=end.lineEnd - 1)
out["tail"] = [tail.lineStart == len(lines) - 1, tail.lineEnd == len(lines), text(tail) == lines[-2:]]
out["beforeStart"] = [browse("hostd", start=-5, lines=1).lineStart, text(browse("hostd", start=-5, lines=1)) == lines[:1]]
out["vmkernel"] = [re.sub(r"^\S+ ", "", l) for l in text(browse("vmkernel"))]
out["vpxa"] = [l for l in text(browse("vpxa")) if key in l]
if vc:
    vpxd = text(browse("vpxd:vpxd.log", h=None))
    out["vpxd"] = [l for l in vpxd if key in l]
    out["vpxdAlert"] = text(browse("vpxd:vpxd-alert.log", h=None))
    out["profiler"] = [l for l in text(browse("vpxd:vpxd-profiler.log", h=None)) if key in l]
    out["otherHost"] = [l for l in text(browse("hostd", h=hosts[1])) if key in l or "diag-vm" in l]
out["logFaults"] = {
    "unknownKey": attempt(lambda: browse("nosuch.log")),
    "negativeLines": attempt(lambda: browse("hostd", lines=-1)),
}
if vc:
    out["logFaults"]["hostdOfVpxd"] = attempt(lambda: browse("hostd", h=None))
    out["logFaults"]["vpxdOfHost"] = attempt(lambda: browse("vpxd:vpxd.log"))


# ---- log bundles, downloaded as govc logs.download does ----
def download(url, cookie=True):
    req = urllib.request.Request(url.replace("*", "%s:%d" % (session.host, session.port)), headers={"Cookie": si._stub.cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, context=session.ctx) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


task = dm.GenerateLogBundles_Task(includeDefault=True, host=[host] if vc else None)
bundles = wait(task)
out["bundleTask"] = [task.info.descriptionId, task.info.entityName]
out["bundles"] = []
for b in bundles:
    status, body = download(b.url)
    names = sorted(re.sub(r"-\d{4}-\d\d-\d\d--\d\d\.\d\d", "-DATE", m.name) for m in tarfile.open(fileobj=io.BytesIO(body), mode="r:gz").getmembers() if m.isfile())
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as t:
        logs = {m.name.rsplit("/", 1)[-1]: t.extractfile(m).read().decode() for m in t.getmembers() if m.isfile()}
    shows = key in logs.get("hostd.log", logs.get("vpxd.log", ""))
    out["bundles"].append([b.system.name if b.system else None, re.sub(r"/[0-9a-f-]{36}/", "/ID/", re.sub(r"-\d{4}-\d\d-\d\d--\d\d\.\d\d", "-DATE", b.url)), status, names, shows])
out["bundleHttp"] = {
    "noCookie": download(bundles[0].url, cookie=False)[0],
    "unknown": download(re.sub(r"/[0-9a-f-]{36}/", "/00000000-0000-4000-8000-000000000000/", bundles[0].url))[0],
}
out["bundleFaults"] = {}
if not vc:
    out["bundleFaults"]["noDefault"] = attempt(lambda: dm.GenerateLogBundles_Task(includeDefault=False))

# ---- PerformanceManager: a host with its VMs ----
perf_vm = [v for v in host.vm if v.name == "diag-perf"][0]
metric = [vim.PerformanceManager.MetricId(counterId=155, instance=""), vim.PerformanceManager.MetricId(counterId=29, instance="")]
comp = perf.QueryPerfComposite(querySpec=vim.PerformanceManager.QuerySpec(entity=host, metricId=metric, intervalId=20))


def series(m):
    return [m.entity.name, [s.timestamp.isoformat() for s in m.sampleInfo], {v.id.counterId: list(v.value) for v in m.value}]


out["composite"] = [series(comp.entity), [series(c) for c in comp.childEntity]]
out["compositeFaults"] = {
    "vm": attempt(lambda: perf.QueryPerfComposite(querySpec=vim.PerformanceManager.QuerySpec(entity=perf_vm, metricId=metric))),
    "noMetric": attempt(lambda: perf.QueryPerfComposite(querySpec=vim.PerformanceManager.QuerySpec(entity=host))),
    "interval": attempt(lambda: perf.QueryPerfComposite(querySpec=vim.PerformanceManager.QuerySpec(entity=host, metricId=metric, intervalId=7))),
}


# ---- historical intervals ----
def intervals():
    return [[i.key, i.samplingPeriod, i.name, i.length, i.level, i.enabled] for i in perf.historicalInterval]


def interval(key, **changes):
    cur = [i for i in perf.historicalInterval if i.key == key][0]
    fields = dict(key=cur.key, samplingPeriod=cur.samplingPeriod, name=cur.name, length=cur.length, level=cur.level, enabled=cur.enabled)
    fields.update(changes)
    return vim.HistoricalInterval(**fields)


steps = []
if vc:
    steps.append(["threeDays", attempt(lambda: perf.UpdatePerfInterval(interval=interval(1, length=259200)))])
    steps.append(["oneMinute", attempt(lambda: perf.UpdatePerfInterval(interval=interval(1, samplingPeriod=60)))])
    steps.append(["levels", attempt(lambda: perf.UpdatePerfInterval(interval=interval(1, level=2)))])
    steps.append(["disableMonth", attempt(lambda: perf.UpdatePerfInterval(interval=interval(3, enabled=False)))])
    out["intervalsAfter"] = intervals()
    steps.append(["badPeriod", attempt(lambda: perf.UpdatePerfInterval(interval=interval(2, samplingPeriod=600)))])
    steps.append(["badLength", attempt(lambda: perf.UpdatePerfInterval(interval=interval(1, length=400000)))])
    steps.append(["levelOrder", attempt(lambda: perf.UpdatePerfInterval(interval=interval(4, level=3)))])
    steps.append(["badLevel", attempt(lambda: perf.UpdatePerfInterval(interval=interval(1, level=5)))])
    steps.append(["rename", attempt(lambda: perf.UpdatePerfInterval(interval=interval(2, name="Fortnight")))])
    steps.append(["unknownKey", attempt(lambda: perf.UpdatePerfInterval(interval=vim.HistoricalInterval(key=9, samplingPeriod=1800, name="Past week", length=604800, level=1, enabled=True)))])
    steps.append(["enableYear", attempt(lambda: perf.UpdatePerfInterval(interval=interval(4, enabled=True)))])
    steps.append(["oneMinuteQuery", attempt(lambda: perf.QueryPerf(querySpec=[vim.PerformanceManager.QuerySpec(entity=host, metricId=metric, intervalId=60)]))])
    steps.append(["fiveMinuteQuery", attempt(lambda: perf.QueryPerf(querySpec=[vim.PerformanceManager.QuerySpec(entity=host, metricId=metric, intervalId=300)]))])
    out["intervalsAfterFaults"] = intervals() == out["intervalsAfter"]
else:
    steps.append(["update", attempt(lambda: perf.UpdatePerfInterval(interval=interval(1, length=172800)))])
steps.append(["create", attempt(lambda: perf.CreatePerfInterval(intervalId=vim.HistoricalInterval(key=9, samplingPeriod=604800, name="Past decade", length=315360000, level=1, enabled=True)))])
steps.append(["createDuplicate", attempt(lambda: perf.CreatePerfInterval(intervalId=interval(1)))])
steps.append(["remove", attempt(lambda: perf.RemovePerfInterval(samplePeriod=perf.historicalInterval[0].samplingPeriod))])
steps.append(["removeUnknown", attempt(lambda: perf.RemovePerfInterval(samplePeriod=12345))])
out["intervalSteps"] = steps
out["intervals"] = intervals()


# ---- counter levels ----
def levels(*ids):
    by = {c.key: c for c in perf.perfCounter}
    return [[by[i].level, by[i].perDeviceLevel] for i in ids]


def by_level(n):
    return sorted(c.key for c in perf.QueryPerfCounterByLevel(level=n))


Map = vim.PerformanceManager.CounterLevelMapping
out["levelsBefore"] = [levels(29, 130, 2), by_level(1)]
lsteps = []
lsteps.append(["update", attempt(lambda: perf.UpdateCounterLevelMapping(counterLevelMap=[Map(counterId=29, aggregateLevel=1), Map(counterId=130, perDeviceLevel=2), Map(counterId=2, aggregateLevel=3), Map(counterId=2, aggregateLevel=4, perDeviceLevel=4)])), levels(29, 130, 2), by_level(1)])
lsteps.append(["queryCounter", [[c.key, c.level] for c in perf.QueryPerfCounter(counterId=[29, 2])]])
lsteps.append(["unknownCounter", attempt(lambda: perf.UpdateCounterLevelMapping(counterLevelMap=[Map(counterId=99999, aggregateLevel=1)])), levels(29, 130, 2)])
lsteps.append(["noLevels", attempt(lambda: perf.UpdateCounterLevelMapping(counterLevelMap=[Map(counterId=29)])), levels(29, 130, 2)])
lsteps.append(["badLevel", attempt(lambda: perf.UpdateCounterLevelMapping(counterLevelMap=[Map(counterId=29, aggregateLevel=3), Map(counterId=130, aggregateLevel=5)])), levels(29, 130, 2)])
lsteps.append(["resetUnknown", attempt(lambda: perf.ResetCounterLevelMapping(counters=[29, 99999])), levels(29, 130, 2)])
lsteps.append(["reset", attempt(lambda: perf.ResetCounterLevelMapping(counters=[29, 130, 2])), levels(29, 130, 2), by_level(1)])
out["levelSteps"] = lsteps

# ---- EventManager: arguments of EventEx types ----
em = content.eventManager
args = lambda i: [[a.name, a.type] for a in em.RetrieveArgumentDescription(eventTypeId=i)]
out["arguments"] = {
    "heartbeat": args("esx.problem.vmfs.heartbeat.timedout"),
    "revert": args("com.vmware.vc.vm.VmStateRevertedToSnapshot"),
    "unknown": args("com.example.no.such.event"),
    "standard": args("VmPoweredOnEvent"),
}
if vc:
    schema = ("<EventType><eventTypeID>com.example.diag.ProbeEvent</eventTypeID><description>Probe</description>"
              "<arguments><argument><name>probe</name><type>string</type></argument>"
              "<argument><name>count</name><type>int</type></argument></arguments></EventType>")
    ext = vim.Extension(key="com.example.diag", version="1.0", company="Example", lastHeartbeatTime=si.CurrentTime(),
                        description=vim.Description(label="diag", summary="diag"),
                        eventList=[vim.Extension.EventTypeInfo(eventID="com.example.diag.ProbeEvent", eventTypeSchema=schema)])
    content.extensionManager.RegisterExtension(ext)
    out["arguments"]["extension"] = args("com.example.diag.ProbeEvent")

# ---- AlarmManager: reset a triggered alarm to green ----
if vc:
    am = content.alarmManager
    alarm = am.CreateAlarm(entity=dc, spec=vim.alarm.AlarmSpec(
        name="diag probe", description="", enabled=True,
        expression=vim.alarm.EventAlarmExpression(eventType=vim.event.VmPoweredOffEvent, objectType=vim.VirtualMachine, status="red")))
    wait(perf_vm.PowerOffVM_Task())

    def states(e=perf_vm):
        return [[s.alarm == alarm, s.overallStatus] for s in e.triggeredAlarmState], e.overallStatus

    out["alarmTriggered"] = states()
    out["clearFaults"] = {"badEntityType": attempt(lambda: am.ClearTriggeredAlarms(filter=vim.alarm.AlarmFilterSpec(typeEntity="entityTypeDatastore")))}
    if api67:
        F = vim.alarm.AlarmFilterSpec
        out["clearSteps"] = [
            ["hostsOnly", attempt(lambda: am.ClearTriggeredAlarms(filter=F(typeEntity="entityTypeHost"))), states()],
            ["yellowOnly", attempt(lambda: am.ClearTriggeredAlarms(filter=F(status=["yellow"]))), states()],
            ["metricOnly", attempt(lambda: am.ClearTriggeredAlarms(filter=F(typeTrigger="triggerTypeMetric"))), states()],
            ["vmsRed", attempt(lambda: am.ClearTriggeredAlarms(filter=F(status=["red"], typeEntity="entityTypeVm", typeTrigger="triggerTypeEvent"))), states()],
        ]
        declared = [s.overallStatus for s in perf_vm.declaredAlarmState if s.alarm == alarm]
        cleared = em.QueryEvents(filter=vim.event.EventFilterSpec(eventTypeId=["AlarmClearedEvent"]))
        out["cleared"] = [declared, [[e.alarm.name, e.entity.name, getattr(e, "from")] for e in cleared]]
    else:
        out["clearSteps"] = [["all", attempt(lambda: am.ClearTriggeredAlarms(filter=vim.alarm.AlarmFilterSpec())), states()]]

    # a host vCenter cannot reach: its logs and bundle cannot be had
    other = hosts[1]
    wait(other.DisconnectHost_Task())
    out["disconnected"] = {
        "browse": attempt(lambda: browse("hostd", h=other)),
        "describe": attempt(lambda: dm.QueryDescriptions(host=other)),
        "bundle": fault(dm.GenerateLogBundles_Task(includeDefault=False, host=[other])),
    }

print(json.dumps(out))
