#!/usr/bin/python3
"""pyVmomi drives a host's configuration managers the way Ansible's
community.vmware modules (vmware_host_service_manager, vmware_host_ntp,
vmware_host_scanhba, vmware_vmkernel_info), govc (host.service,
host.date.info, host.storage.info) and PowerCLI do: HostServiceSystem,
HostDateTimeSystem, HostStorageSystem and HostVirtualNicManager, their faults,
and /_sim/reset bringing service states, the clock offset, NTP servers and
vmkernel NIC selections back. Runs on every host of the inventory (one on
ESXi, four on the vCenter scenario). Prints one JSON object.
Usage: pyvmomi_host_config_managers.py HOST PORT USER PASSWORD"""
import datetime
import json
import sys

from sim_session import Session, attempt  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
vc = content.about.apiType == "VirtualCenter"
out = {}

hosts = session.hosts()
host = hosts[0]
cm = host.configManager
services, clock, storage, vnics = cm.serviceSystem, cm.dateTimeSystem, cm.storageSystem, cm.virtualNicManager


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def near(a, b, seconds=60):
    return abs((a - b).total_seconds()) < seconds


def svc(key, h=host):
    return next(([s.running, s.policy] for s in h.configManager.serviceSystem.serviceInfo.service if s.key == key), None)


# ---- HostServiceSystem ----
info = services.serviceInfo.service
out["services"] = {
    "keys": [s.key for s in info],
    "fresh": {s.key: [s.running, s.policy] for s in info if s.key in ("TSM", "TSM-SSH", "ntpd", "DCUI", "vpxa")},
    "rulesets": {s.key: list(s.ruleset) for s in info if s.ruleset},
    "required": [s.key for s in info if s.required],
    "packages": sorted({s.sourcePackage.sourcePackageName for s in info if s.sourcePackage}),
    "vpxaEverywhere": [svc("vpxa", h)[0] for h in hosts],
    "hostConfig": [s.key for s in host.config.service.service] == [s.key for s in info],
}
steps = []
steps.append(["start", attempt(lambda: services.StartService(id="TSM-SSH")), svc("TSM-SSH")])
# ESXi 5.0 and later answer no fault for a service already in the state asked for
steps.append(["startAgain", attempt(lambda: services.StartService(id="TSM-SSH")), svc("TSM-SSH")])
steps.append(["stop", attempt(lambda: services.StopService(id="TSM-SSH")), svc("TSM-SSH")])
steps.append(["stopAgain", attempt(lambda: services.StopService(id="TSM-SSH")), svc("TSM-SSH")])
steps.append(["restartStopped", attempt(lambda: services.RestartService(id="ntpd")), svc("ntpd")])
steps.append(["restartRunning", attempt(lambda: services.RestartService(id="ntpd")), svc("ntpd")])
steps.append(["policyOn", attempt(lambda: services.UpdateServicePolicy(id="ntpd", policy="on")), svc("ntpd")])
steps.append(["policyAutomatic", attempt(lambda: services.UpdateServicePolicy(id="TSM", policy="automatic")), svc("TSM")])
steps.append(["policyBad", attempt(lambda: services.UpdateServicePolicy(id="TSM", policy="always")), svc("TSM")])
steps.append(["refresh", attempt(lambda: services.RefreshServices()), svc("TSM")])
out["serviceSteps"] = steps
out["serviceFaults"] = {
    "start": attempt(lambda: services.StartService(id="nosuchd")),
    "stop": attempt(lambda: services.StopService(id="nosuchd")),
    "restart": attempt(lambda: services.RestartService(id="nosuchd")),
    "policy": attempt(lambda: services.UpdateServicePolicy(id="nosuchd", policy="on")),
    "uninstall": attempt(lambda: services.UninstallService(id="nosuchd")),
    "uninstallBuiltIn": attempt(lambda: services.UninstallService(id="xorg")),
}
out["serviceHostConfig"] = [[s.key, s.running, s.policy] for s in host.config.service.service if s.key in ("TSM", "TSM-SSH", "ntpd")]
if vc:
    # each host has its own services
    out["otherHost"] = [svc("ntpd", hosts[1]), svc("TSM", hosts[1])]

# ---- HostDateTimeSystem ----
dti = clock.dateTimeInfo
out["dateTime"] = {
    "zone": [dti.timeZone.key, dti.timeZone.name, dti.timeZone.gmtOffset],
    "servers": list(dti.ntpConfig.server),
    "zones": [z.key for z in clock.QueryAvailableTimeZones()],
    "now": near(clock.QueryDateTime(), utcnow()),
}
ntp = lambda servers=None, configFile=None: vim.host.DateTimeConfig(ntpConfig=vim.host.NtpConfig(server=servers, configFile=configFile))  # noqa: E731
dsteps = []
dsteps.append(["servers", attempt(lambda: clock.UpdateDateTimeConfig(config=ntp(["pool.ntp.org", "10.0.0.1  iburst # lab"]))), list(clock.dateTimeInfo.ntpConfig.server)])
dsteps.append(["hostConfig", list(host.config.dateTimeInfo.ntpConfig.server), [l for l in clock.dateTimeInfo.ntpConfig.configFile if l.startswith("server")]])
dsteps.append(["badServer", attempt(lambda: clock.UpdateDateTimeConfig(config=ntp(["not a host!"]))), list(clock.dateTimeInfo.ntpConfig.server)])
dsteps.append(["badOption", attempt(lambda: clock.UpdateDateTimeConfig(config=ntp(["pool.ntp.org minpoll"]))), list(clock.dateTimeInfo.ntpConfig.server)])
dsteps.append(["emptyServer", attempt(lambda: clock.UpdateDateTimeConfig(config=ntp([""]))), list(clock.dateTimeInfo.ntpConfig.server)])
dsteps.append(["badZone", attempt(lambda: clock.UpdateDateTimeConfig(config=vim.host.DateTimeConfig(timeZone="Europe/Berlin"))), clock.dateTimeInfo.timeZone.key])
dsteps.append(["utc", attempt(lambda: clock.UpdateDateTimeConfig(config=vim.host.DateTimeConfig(timeZone="UTC"))), list(clock.dateTimeInfo.ntpConfig.server)])
dsteps.append(["configFile", attempt(lambda: clock.UpdateDateTimeConfig(config=ntp(configFile=["# ours", "server time.example.com", "driftfile /x"]))), list(clock.dateTimeInfo.ntpConfig.server)])
dsteps.append(["clear", attempt(lambda: clock.UpdateDateTimeConfig(config=ntp())), list(clock.dateTimeInfo.ntpConfig.server)])
dsteps.append(["again", attempt(lambda: clock.UpdateDateTimeConfig(config=ntp(["0.pool.ntp.org", "1.pool.ntp.org"]))), list(clock.dateTimeInfo.ntpConfig.server)])
future = datetime.datetime(2031, 5, 4, 3, 2, 1, tzinfo=datetime.timezone.utc)
dsteps.append(["setClock", attempt(lambda: clock.UpdateDateTime(dateTime=future)), near(clock.QueryDateTime(), future)])
dsteps.append(["refresh", attempt(lambda: clock.RefreshDateTimeSystem()), near(clock.QueryDateTime(), future)])
if vc:
    dsteps.append(["otherHost", near(hosts[1].configManager.dateTimeSystem.QueryDateTime(), utcnow()), list(hosts[1].configManager.dateTimeSystem.dateTimeInfo.ntpConfig.server)])
out["dateTimeSteps"] = dsteps

# ---- HostStorageSystem ----
sdi = storage.storageDeviceInfo
vmfs = sorted(d.info.vmfs.extent[0].diskName for d in host.datastore if isinstance(d.info, vim.host.VmfsDatastoreInfo))
luns = sorted(sdi.scsiLun, key=lambda l: l.canonicalName)
topo = {a.adapter: [[t.target, [l.scsiLun for l in t.lun]] for t in a.target] for a in sdi.scsiTopology.adapter}
mp = sdi.multipathInfo.lun
dsLun = next(l for l in luns if l.canonicalName in vmfs)
out["storage"] = {
    "hbas": [[type(h).__name__, h.device, h.key] for h in sdi.hostBusAdapter],
    "numHBAs": host.summary.hardware.numHBAs,
    # every VMFS extent is a LUN (the blank disks of the scenario are LUNs too)
    "lunsAreExtents": sorted(set(vmfs) & {l.canonicalName for l in luns}) == vmfs and len(vmfs) > 0,
    "lun": [type(dsLun).__name__, dsLun.lunType, dsLun.localDisk, dsLun.capacity.blockSize,
            dsLun.capacity.block * dsLun.capacity.blockSize >= next(d for d in host.datastore if isinstance(d.info, vim.host.VmfsDatastoreInfo) and d.info.vmfs.extent[0].diskName == dsLun.canonicalName).summary.capacity,
            dsLun.devicePath == "/vmfs/devices/disks/" + dsLun.canonicalName, list(dsLun.operationalState)],
    "topology": {k: len(v) for k, v in topo.items()},
    "topologyLuns": sorted(l for v in topo.values() for t in v for l in t[1]) == sorted(l.key for l in luns),
    "multipath": [len(mp) == len(luns), sorted(u.lun for u in mp) == sorted(l.key for l in luns),
                  sorted({p.pathState for u in mp for p in u.path}), sorted({u.policy.policy for u in mp})],
    "pathState": sorted({p.pathState for p in storage.multipathStateInfo.path}),
    "hostConfig": [len(host.config.storageDevice.scsiLun) == len(luns), len(host.config.fileSystemVolume.mountInfo)],
    "allHosts": [[h.name, len(h.configManager.storageSystem.fileSystemVolumeInfo.mountInfo), len(h.configManager.storageSystem.storageDeviceInfo.scsiLun)] for h in hosts],
}


def mounts(s=storage):
    return sorted([m.volume.name, m.volume.type, m.mountInfo.path.startswith("/vmfs/volumes/") and m.mountInfo.path.endswith(getattr(m.volume, "uuid", "") or ""), m.mountInfo.accessible]
                  for m in s.fileSystemVolumeInfo.mountInfo)


fsv = storage.fileSystemVolumeInfo
out["volumes"] = {
    "mounts": mounts(),
    "datastores": sorted(d.name for d in host.datastore),
    "uuids": sorted(m.volume.uuid for m in fsv.mountInfo if isinstance(m.volume, vim.host.VmfsVolume)) == sorted(d.info.vmfs.uuid for d in host.datastore if isinstance(d.info, vim.host.VmfsDatastoreInfo)),
    "paths": sorted(m.mountInfo.path for m in fsv.mountInfo) == sorted(d.info.url.replace("ds://", "").rstrip("/") for d in host.datastore),
    "capacity": sorted(m.volume.capacity for m in fsv.mountInfo) == sorted(d.summary.capacity for d in host.datastore),
    "types": list(fsv.volumeTypeList)[:3],
}
ssteps = []
ssteps.append(["rescanAll", attempt(lambda: storage.RescanAllHba())])
ssteps.append(["rescanHba", attempt(lambda: storage.RescanHba(hbaDevice="vmhba0")), attempt(lambda: storage.RescanHba(hbaDevice="vmhba1"))])
ssteps.append(["rescanUnknown", attempt(lambda: storage.RescanHba(hbaDevice="vmhba9"))])
ssteps.append(["rescanVmfs", attempt(lambda: storage.RescanVmfs())])
ssteps.append(["refresh", attempt(lambda: storage.RefreshStorageSystem())])
# an NFS mount shows up as a file system volume, and goes with RemoveDatastore
nas = cm.datastoreSystem.CreateNasDatastore(spec=vim.host.NasVolume.Specification(remoteHost="nas.example.com", remotePath="/export/iso", localPath="isos", accessMode="readWrite"))
nasMount = next((m for m in storage.fileSystemVolumeInfo.mountInfo if m.volume.name == "isos"), None)
ssteps.append(["nasMounted", [type(nasMount.volume).__name__, nasMount.volume.type, nasMount.volume.remoteHost, nasMount.volume.remotePath, nasMount.mountInfo.accessMode], len(host.config.fileSystemVolume.mountInfo)])
ssteps.append(["nasLuns", len(storage.storageDeviceInfo.scsiLun) == len(luns)])
cm.datastoreSystem.RemoveDatastore(datastore=nas)
ssteps.append(["nasRemoved", mounts()])
out["storageSteps"] = ssteps

# ---- HostVirtualNicManager ----


def selected(nicType, mgr=vnics):
    c = mgr.QueryNetConfig(nicType=nicType)
    return [v.device for v in c.candidateVnic if v.key in list(c.selectedVnic)]


net = vnics.info.netConfig
mgmt = next(c for c in net if c.nicType == "management")
out["vnics"] = {
    "types": sorted(c.nicType for c in net),
    "management": [[v.device, v.key, v.portgroup] for v in mgmt.candidateVnic], "managementSelected": list(mgmt.selectedVnic),
    "multi": sorted({c.multiSelectAllowed for c in net}),
    "candidateIp": mgmt.candidateVnic[0].spec.ip.ipAddress == host.config.network.vnic[0].spec.ip.ipAddress,
    "hostConfig": sorted(c.nicType for c in host.config.virtualNicManagerInfo.netConfig) == sorted(c.nicType for c in net),
    "query": {t: selected(t) for t in ("management", "vmotion", "faultToleranceLogging", "vSphereReplication")},
    "vmotionEnabled": host.summary.config.vmotionEnabled,
}
vsteps = []
vsteps.append(["select", attempt(lambda: vnics.SelectVnicForNicType(nicType="vmotion", device="vmk0")), selected("vmotion"), host.summary.config.vmotionEnabled,
               next(list(c.selectedVnic) for c in vnics.info.netConfig if c.nicType == "vmotion")])
vsteps.append(["selectAgain", attempt(lambda: vnics.SelectVnicForNicType(nicType="vmotion", device="vmk0")), selected("vmotion")])
vsteps.append(["selectUnknown", attempt(lambda: vnics.SelectVnicForNicType(nicType="vmotion", device="vmk9"))])
vsteps.append(["selectBadType", attempt(lambda: vnics.SelectVnicForNicType(nicType="teleport", device="vmk0"))])
vsteps.append(["queryBadType", attempt(lambda: vnics.QueryNetConfig(nicType="teleport"))])
vsteps.append(["ft", attempt(lambda: vnics.SelectVnicForNicType(nicType="faultToleranceLogging", device="vmk0")), selected("faultToleranceLogging")])
vsteps.append(["deselect", attempt(lambda: vnics.DeselectVnicForNicType(nicType="vmotion", device="vmk0")), selected("vmotion"), host.summary.config.vmotionEnabled])
vsteps.append(["deselectAgain", attempt(lambda: vnics.DeselectVnicForNicType(nicType="vmotion", device="vmk0"))])
vsteps.append(["deselectUnknown", attempt(lambda: vnics.DeselectVnicForNicType(nicType="management", device="vmk7"))])
vsteps.append(["hostConfig", next(len(c.selectedVnic) for c in host.config.virtualNicManagerInfo.netConfig if c.nicType == "faultToleranceLogging")])
vsteps.append(["selectVmotionAgain", attempt(lambda: vnics.SelectVnicForNicType(nicType="vmotion", device="vmk0")), selected("vmotion")])
if vc:
    vsteps.append(["otherHost", selected("vmotion", hosts[1].configManager.virtualNicManager), selected("management", hosts[1].configManager.virtualNicManager)])
out["vnicSteps"] = vsteps

# ---- /_sim/reset: everything above is undone; the session lives on ----
services.StartService(id="TSM-SSH")
out["reset"] = {
    "status": session.reset(),
    "services": [svc("TSM-SSH"), svc("ntpd"), svc("TSM")],
    "hostConfig": [[s.key, s.running, s.policy] for s in host.config.service.service if s.key in ("TSM-SSH", "ntpd")],
    "clock": near(clock.QueryDateTime(), utcnow()),
    "servers": list(clock.dateTimeInfo.ntpConfig.server),
    "vmotion": selected("vmotion"), "ft": selected("faultToleranceLogging"), "vmotionEnabled": host.summary.config.vmotionEnabled,
    "mounts": mounts() == out["volumes"]["mounts"],
}
print(json.dumps(out))
