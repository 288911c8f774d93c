#!/usr/bin/python3
"""pyVmomi drives Storage I/O Control the way Ansible's vmware_datastore
(SIOC settings) and govc datastore.info do: ConfigureDatastoreIORM_Task and
the datastore's iormConfiguration read back, QueryIORMConfigOption,
QueryDatastorePerformanceSummary, and ValidateStoragePodConfig of a datastore
cluster, with the faults on the way and a /_sim/reset at the end. On a host
(hostd) only the option query answers. Prints one JSON object.
Usage: pyvmomi_storage_iorm.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, fault, wait  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
content = session.content
srm = content.storageResourceManager
dc = content.rootFolder.childEntity[0]
host = session.hosts()[0]
IORM = vim.StorageResourceManager.IORMConfigSpec
out = {}


def option():
    o = srm.QueryIORMConfigOption(host)
    c = o.congestionThresholdOption
    return {"enabled": [o.enabledOption.supported, o.enabledOption.defaultValue], "threshold": [c.min, c.max, c.defaultValue],
            "stats": o.statsCollectionEnabledOption.defaultValue, "reservation": o.reservationEnabledOption.defaultValue}


def iorm(ds):
    c = ds.iormConfiguration
    return [c.enabled, c.congestionThresholdMode, c.congestionThreshold, c.percentOfPeakThroughput, c.statsCollectionEnabled, c.reservationEnabled]


if content.about.apiType == "HostAgent":
    ds = host.datastore[0]
    out["option"] = option()
    out["configure"] = attempt(lambda: srm.ConfigureDatastoreIORM_Task(ds, IORM(enabled=True)))
    out["summary"] = attempt(lambda: srm.QueryDatastorePerformanceSummary(ds))
    print(json.dumps(out))
    sys.exit(0)

ds = {d.name: d for d in dc.datastore}["shared-ds"]
out["supported"] = ds.capability.storageIORMSupported
out["default"] = iorm(ds)

# enable, then a manual threshold: what the spec leaves out stays
wait(srm.ConfigureDatastoreIORM_Task(ds, IORM(enabled=True, statsCollectionEnabled=True)))
out["enabled"] = iorm(ds)
task = srm.ConfigureDatastoreIORM_Task(ds, IORM(congestionThresholdMode="manual", congestionThreshold=45))
wait(task)
out["task"] = [task.info.entity == ds, task.info.descriptionId]
out["manual"] = iorm(ds)
wait(srm.ConfigureDatastoreIORM_Task(ds, IORM(congestionThresholdMode="automatic", percentOfPeakThroughput=75)))
out["automatic"] = iorm(ds)

# bad specs: nothing changes
out["faults"] = [
    fault(srm.ConfigureDatastoreIORM_Task(ds, IORM(congestionThresholdMode="manual", congestionThreshold=4))),
    fault(srm.ConfigureDatastoreIORM_Task(ds, IORM(congestionThresholdMode="manual", congestionThreshold=101))),
    fault(srm.ConfigureDatastoreIORM_Task(ds, IORM(congestionThreshold=40))),
    fault(srm.ConfigureDatastoreIORM_Task(ds, IORM(enabled=False, percentOfPeakThroughput=49))),
    fault(srm.ConfigureDatastoreIORM_Task(ds, IORM(percentOfPeakThroughput=101))),
]
try:
    wait(srm.ConfigureDatastoreIORM_Task(ds, IORM(congestionThresholdMode="manual", congestionThreshold=200)))
except vim.fault.VimFault:
    pass
except Exception as e:  # InvalidArgument is a vmodl fault: read its field
    out["invalidProperty"] = getattr(e, "invalidProperty", None)
out["unchanged"] = iorm(ds)
out["badDatastore"] = attempt(lambda: srm.ConfigureDatastoreIORM_Task(vim.Datastore("datastore-9999", stub=srm._stub), IORM(enabled=True)))

out["option"] = option()
out["optionFaults"] = [attempt(lambda: srm.QueryIORMConfigOption(vim.HostSystem("host-9999", stub=srm._stub)))]

summaries = srm.QueryDatastorePerformanceSummary(ds)
out["summary"] = [[s.interval, list(s.percentile), list(s.datastoreReadLatency), list(s.datastoreWriteLatency), list(s.datastoreVmLatency),
                   list(s.datastoreReadIops), list(s.datastoreWriteIops), s.siocActivityDuration] for s in summaries]
out["summaryFault"] = attempt(lambda: srm.QueryDatastorePerformanceSummary(vim.Datastore("datastore-9999", stub=srm._stub)))

# a datastore cluster's Storage DRS spec, checked without being applied: an API 6.7 method, which pyVmomi
# will not even send to an older vCenter
pod = dc.datastoreFolder.CreateStoragePod("iorm-pod")
SDRS = vim.storageDrs
if content.about.apiVersion < "6.7":
    out["validate"] = attempt(lambda: srm.ValidateStoragePodConfig(pod, SDRS.ConfigSpec()))
    out["reset"] = session.reset()
    out["afterReset"] = iorm({d.name: d for d in dc.datastore}["shared-ds"])
    print(json.dumps(out))
    sys.exit(0)
good = SDRS.ConfigSpec(podConfigSpec=SDRS.PodConfigSpec(enabled=True, spaceLoadBalanceConfig=SDRS.SpaceLoadBalanceConfig(spaceUtilizationThreshold=70)))
out["validGood"] = srm.ValidateStoragePodConfig(pod, good) is None
bad = []
for spec in [SDRS.PodConfigSpec(spaceLoadBalanceConfig=SDRS.SpaceLoadBalanceConfig(spaceUtilizationThreshold=20)),
             SDRS.PodConfigSpec(ioLoadBalanceConfig=SDRS.IoLoadBalanceConfig(ioLatencyThreshold=500)),
             SDRS.PodConfigSpec(defaultVmBehavior="sometimes")]:
    f = srm.ValidateStoragePodConfig(pod, SDRS.ConfigSpec(podConfigSpec=spec))
    bad.append([type(f).__name__, getattr(f, "invalidProperty", None)])
out["validBad"] = bad
cfg = pod.podStorageDrsEntry.storageDrsConfig.podConfig
out["podUntouched"] = [cfg.enabled, cfg.spaceLoadBalanceConfig.spaceUtilizationThreshold if cfg.spaceLoadBalanceConfig else None]
out["configureBad"] = fault(srm.ConfigureStorageDrsForPod_Task(pod, SDRS.ConfigSpec(podConfigSpec=SDRS.PodConfigSpec(
    spaceLoadBalanceConfig=SDRS.SpaceLoadBalanceConfig(spaceUtilizationThreshold=20))), True))
out["validateFault"] = attempt(lambda: srm.ValidateStoragePodConfig(vim.StoragePod("group-p9999", stub=srm._stub), good))

# the simulator's reset puts the configuration back
out["reset"] = session.reset()
out["afterReset"] = iorm({d.name: d for d in dc.datastore}["shared-ds"])
print(json.dumps(out))
