#!/usr/bin/python3
"""pyVmomi reads performance statistics the way monitoring agents do: the
counter catalog by name, a running VM's and its host's real-time samples
(normal and CSV), what a powered-off VM and a datastore offer, and the
historical intervals. The test has powered on a VM named "perf" and let two
minutes of the simulator's clock pass. Prints one JSON object.
Usage: pyvmomi_perf.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
pm = content.perfManager
counters = {"%s.%s.%s" % (c.groupInfo.key, c.nameInfo.key, c.rollupType): c.key for c in pm.perfCounter}
out["counters"] = sorted(counters)
out["intervals"] = [[i.key, i.samplingPeriod, i.name, i.length] for i in pm.historicalInterval]
dc = content.rootFolder.childEntity[0]
vm = [v for v in dc.vmFolder.childEntity if v.name == "perf"][0]
off = [v for v in dc.vmFolder.childEntity if v.name == "perf-off"][0]
host = vm.runtime.host
metric = lambda name: vim.PerformanceManager.MetricId(counterId=counters[name], instance="")

summary = pm.QueryPerfProviderSummary(vm)
out["summary"] = [summary.currentSupported, summary.refreshRate]
out["available"] = len(pm.QueryAvailablePerfMetric(vm, intervalId=20))
res = pm.QueryPerf([
    vim.PerformanceManager.QuerySpec(entity=vm, metricId=[metric("sys.uptime.latest"), metric("mem.granted.average"), metric("cpu.usage.average")], intervalId=20, maxSample=3),
    vim.PerformanceManager.QuerySpec(entity=vm, metricId=[metric("sys.uptime.latest")], intervalId=20, maxSample=2, format="csv"),
    vim.PerformanceManager.QuerySpec(entity=host, metricId=[metric("mem.consumed.average")], intervalId=20, maxSample=1),
    vim.PerformanceManager.QuerySpec(entity=off, metricId=[metric("sys.uptime.latest")], intervalId=20, maxSample=1),
])
vmres, csv, hostres, offres = res
out["vm"] = {"times": [s.timestamp.isoformat() for s in vmres.sampleInfo], "interval": [s.interval for s in vmres.sampleInfo],
             "values": {[k for k, v in counters.items() if v == s.id.counterId][0]: list(s.value) for s in vmres.value}}
out["csv"] = [csv.sampleInfoCSV, [s.value for s in csv.value]]
out["host"] = list(hostres.value[0].value)
out["off"] = [len(offres.sampleInfo), len(offres.value)]
ds = dc.datastore[0]
out["datastore"] = [pm.QueryPerfProviderSummary(ds).currentSupported, len(pm.QueryAvailablePerfMetric(ds))]
try:
    pm.QueryPerf([vim.PerformanceManager.QuerySpec(entity=vm, intervalId=42)])
    out["badInterval"] = "accepted"
except Exception as e:
    out["badInterval"] = type(e).__name__
Disconnect(si)
print(json.dumps(out))
