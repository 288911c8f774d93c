#!/usr/bin/python3
"""pyVmomi drives the rest of a host's storage management the way govc
(host.storage.*, datastore.unmount), Ansible's community.vmware modules
(vmware_host_iscsi, vmware_host_datastore, vmware_host_lun_path_selection)
and PowerCLI do: VMFS unmount/mount (plain and Ex tasks, refused while a VM
has files there), unmap, upgrade, extents, resize layouts, unresolved
volumes, the software iSCSI adapter and its targets, multipath paths and
policies, locator LEDs, NFS Kerberos users, FCoE discovery, VFFS on a flash
disk, the datastore principal, and /_sim/reset bringing it all back. Runs on
the first host (by name) of the inventory. Prints one JSON object.
Usage: pyvmomi_host_storage_ops.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, fault, wait, datacenter_of  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
api = float(content.about.apiVersion[:3])
out = {}

hosts = session.hosts()
host = hosts[0]
dss, storage = host.configManager.datastoreSystem, host.configManager.storageSystem
dc = datacenter_of(host)
ds = sorted((d for d in host.datastore if d.summary.type == "VMFS"), key=lambda d: d.name)[0]
uuid = ds.info.vmfs.uuid


def short(e):
    return type(e).__name__.split(".")[-1]


def mount(d=None):
    d = d or ds
    m = next(m for m in d.host if m.key == host)
    fsm = next(m for m in storage.fileSystemVolumeInfo.mountInfo if m.volume.name == d.name)
    return [m.mountInfo.mounted, m.mountInfo.accessible, d.summary.accessible, fsm.mountInfo.mounted, fsm.mountInfo.accessible]


def results(res):
    return [[r.key, r.fault and short(r.fault)] for r in res]


def iscsi_hba():
    return next((h for h in storage.storageDeviceInfo.hostBusAdapter if isinstance(h, vim.host.InternetScsiHba)), None)


# ---- VMFS unmount and mount ----
vm_steps = []
vm_steps.append(["unmount", attempt(lambda: storage.UnmountVmfsVolume(vmfsUuid=uuid)), mount()])
vm_steps.append(["hostConfig", [m.mountInfo.mounted for m in host.config.fileSystemVolume.mountInfo if m.volume.name == ds.name], ds in host.datastore])
vm_steps.append(["unmountAgain", attempt(lambda: storage.UnmountVmfsVolume(vmfsUuid=uuid))])
vm_steps.append(["unmountUnknown", attempt(lambda: storage.UnmountVmfsVolume(vmfsUuid="nosuch"))])
vm_steps.append(["deleteStateUnmounted", attempt(lambda: storage.DeleteVmfsVolumeState(vmfsUuid=uuid))])
vm_steps.append(["mount", attempt(lambda: storage.MountVmfsVolume(vmfsUuid=uuid)), mount()])
vm_steps.append(["mountAgain", attempt(lambda: storage.MountVmfsVolume(vmfsUuid=uuid))])
vm_steps.append(["deleteStateMounted", attempt(lambda: storage.DeleteVmfsVolumeState(vmfsUuid=uuid))])
res = wait(storage.UnmountVmfsVolumeEx_Task(vmfsUuid=[uuid, "nosuch"]))
vm_steps.append(["unmountEx", [[k == uuid, f] for k, f in results(res)], mount()])
vm_steps.append(["unmapUnmounted", results(wait(storage.UnmapVmfsVolumeEx_Task(vmfsUuid=[uuid])))[0][1]])
res = wait(storage.MountVmfsVolumeEx_Task(vmfsUuid=[uuid, uuid]))
vm_steps.append(["mountEx", [f for k, f in results(res)], mount()])
vm_steps.append(["unmap", results(wait(storage.UnmapVmfsVolumeEx_Task(vmfsUuid=[uuid])))[0][1]])
cfg = vim.vm.ConfigSpec(name="holds-files", guestId="otherGuest", memoryMB=64, numCPUs=1, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name))
vm = wait(dc.vmFolder.CreateVM_Task(config=cfg, pool=host.parent.resourcePool, host=host))
vm_steps.append(["unmountWithVm", attempt(lambda: storage.UnmountVmfsVolume(vmfsUuid=uuid)), mount()])
res = wait(storage.UnmountVmfsVolumeEx_Task(vmfsUuid=[uuid]))
vm_steps.append(["unmountExWithVm", [f for k, f in results(res)]])
wait(vm.Destroy_Task())
out["vmfsMount"] = vm_steps

# ---- upgrade, extents, resize, unmap settings ----
ops = []
ops.append(["upgrade5", attempt(lambda: storage.UpgradeVmfs(vmfsPath="/vmfs/volumes/" + uuid))])
ops.append(["upgradeUnknown", attempt(lambda: storage.UpgradeVmfs(vmfsPath="/vmfs/volumes/nosuch"))])
ops.append(["upgradeLayout", attempt(lambda: storage.UpgradeVmLayout())])
blank = next(l for l in storage.storageDeviceInfo.scsiLun if not any(e.diskName == l.canonicalName for d in host.datastore if d.info.vmfs for e in d.info.vmfs.extent))
spec = vim.host.DiskPartitionInfo.Specification(partitionFormat="gpt", totalSectors=blank.capacity.block,
                                                  partition=[vim.host.DiskPartitionInfo.Partition(partition=1, startSector=2048, endSector=4196351, type="vmfs")])
ext = vim.host.ScsiDisk.Partition(diskName=blank.canonicalName, partition=1)
ops.append(["attachBlank", attempt(lambda: storage.AttachVmfsExtent(vmfsPath=ds.name, extent=ext))])
storage.UpdateDiskPartitions(devicePath=blank.devicePath, spec=spec)
before = ds.summary.capacity
ops.append(["attach", attempt(lambda: storage.AttachVmfsExtent(vmfsPath=ds.name, extent=ext)), ds.summary.capacity - before, len(ds.info.vmfs.extent)])
ops.append(["attachAgain", attempt(lambda: storage.AttachVmfsExtent(vmfsPath=ds.name, extent=ext))])
ops.append(["attachUnknownVolume", attempt(lambda: storage.AttachVmfsExtent(vmfsPath="nosuch", extent=ext))])
rng = vim.host.DiskPartitionInfo.BlockRange(partition=1, type="vmfs", start=vim.host.DiskDimensions.Lba(blockSize=512, block=2048),
                                            end=vim.host.DiskDimensions.Lba(blockSize=512, block=8390655))
info = storage.ComputeDiskPartitionInfoForResize(partition=ext, blockRange=rng)
ops.append(["resizeInfo", [[p.partition, p.startSector, p.endSector, p.type] for p in info.spec.partition]])
rng.end.block = blank.capacity.block * 2
ops.append(["resizeTooBig", attempt(lambda: storage.ComputeDiskPartitionInfoForResize(partition=ext, blockRange=rng))])
ops.append(["resizeUnknown", attempt(lambda: storage.ComputeDiskPartitionInfoForResize(partition=vim.host.ScsiDisk.Partition(diskName="naa.nosuch", partition=1), blockRange=rng))])
before = ds.summary.capacity
ops.append(["expand", attempt(lambda: storage.ExpandVmfsExtent(vmfsPath=ds.name, extent=ext)), ds.summary.capacity - before > 0])
ops.append(["expandFull", attempt(lambda: storage.ExpandVmfsExtent(vmfsPath=ds.name, extent=ext))])
ops.append(["expandNotExtent", attempt(lambda: storage.ExpandVmfsExtent(vmfsPath=ds.name, extent=vim.host.ScsiDisk.Partition(diskName=blank.canonicalName, partition=7)))])
if api >= 6.5:
    # unmap settings are VMFS 6's: a VMFS 6 volume on the flash disk, removed again afterwards
    ops.append(["priorityVmfs5", ds.info.vmfs.majorVersion, attempt(lambda: storage.UpdateVmfsUnmapPriority(vmfsUuid=uuid, unmapPriority="none"))])
    flash = next(l for l in storage.storageDeviceInfo.scsiLun if l.ssd)
    cspec = dss.QueryVmfsDatastoreCreateOptions(devicePath=flash.devicePath)[0].spec
    cspec.vmfs.volumeName = "vmfs6"
    ds6 = dss.CreateVmfsDatastore(spec=cspec)
    ops.append(["priority", attempt(lambda: storage.UpdateVmfsUnmapPriority(vmfsUuid=ds6.info.vmfs.uuid, unmapPriority="none")), ds6.info.vmfs.majorVersion, ds6.info.vmfs.unmapPriority])
    ops.append(["priorityBad", attempt(lambda: storage.UpdateVmfsUnmapPriority(vmfsUuid=ds6.info.vmfs.uuid, unmapPriority="high")), attempt(lambda: storage.UpdateVmfsUnmapPriority(vmfsUuid="nosuch", unmapPriority="low"))])
    opt = storage.QueryVmfsConfigOption()
    ops.append(["configOption", [[o.blockSizeOption, list(o.unmapGranularityOption), o.unmapBandwidthFixedValue and [o.unmapBandwidthFixedValue.min, o.unmapBandwidthFixedValue.max]] for o in opt]])
if api >= 6.7:
    bw = vim.host.VmfsVolume.UnmapBandwidthSpec(policy="fixed", fixedValue=500, dynamicMin=0, dynamicMax=0)
    ops.append(["bandwidth", attempt(lambda: storage.UpdateVmfsUnmapBandwidth(vmfsUuid=ds6.info.vmfs.uuid, unmapBandwidthSpec=bw)), [ds6.info.vmfs.unmapBandwidthSpec.policy, ds6.info.vmfs.unmapBandwidthSpec.fixedValue]])
    bw.fixedValue = 5
    ops.append(["bandwidthBad", attempt(lambda: storage.UpdateVmfsUnmapBandwidth(vmfsUuid=ds6.info.vmfs.uuid, unmapBandwidthSpec=bw)), ds6.info.vmfs.unmapBandwidthSpec.fixedValue])
if api >= 6.5:
    dss.RemoveDatastore(datastore=ds6)
out["vmfsOps"] = ops

# ---- unresolved volumes, local and VVol datastores, principal ----
unres = []
unres.append(["query", len(storage.QueryUnresolvedVmfsVolume()), len(dss.QueryUnresolvedVmfsVolumes())])
rs = vim.host.UnresolvedVmfsResolutionSpec(extentDevicePath=[blank.devicePath], uuidResolution="forceMount")
unres.append(["resolve", attempt(lambda: storage.ResolveMultipleUnresolvedVmfsVolumes(resolutionSpec=[rs]))])
unres.append(["resolveEx", fault(storage.ResolveMultipleUnresolvedVmfsVolumesEx_Task(resolutionSpec=[rs]))])
unres.append(["resignature", fault(dss.ResignatureUnresolvedVmfsVolume_Task(resolutionSpec=vim.host.UnresolvedVmfsResignatureSpec(extentDevicePath=[blank.devicePath])))])
unres.append(["unmountForce", attempt(lambda: storage.UnmountForceMountedVmfsVolume(vmfsUuid=uuid)), attempt(lambda: storage.UnmountForceMountedVmfsVolume(vmfsUuid="nosuch"))])
unres.append(["local", attempt(lambda: dss.CreateLocalDatastore(name="local", path="/tmp")), dss.capabilities.localDatastoreSupported])
unres.append(["vvol", attempt(lambda: dss.CreateVvolDatastore(spec=vim.host.DatastoreSystem.VvolDatastoreSpec(name="vvol", scId="vvol:1234"))),
              attempt(lambda: dss.CreateVvolDatastore(spec=vim.host.DatastoreSystem.VvolDatastoreSpec(name="", scId="vvol:1234")))])
unres.append(["principalNotMaint", attempt(lambda: dss.ConfigureDatastorePrincipal(userName="root")), host.config.datastorePrincipal])
wait(host.EnterMaintenanceMode_Task(timeout=0))
unres.append(["principalUnknown", attempt(lambda: dss.ConfigureDatastorePrincipal(userName="nobody-here"))])
unres.append(["principal", attempt(lambda: dss.ConfigureDatastorePrincipal(userName="dcui" if content.about.apiType == "HostAgent" else "vpxuser")), host.config.datastorePrincipal])
wait(host.ExitMaintenanceMode_Task(timeout=0))
out["unresolved"] = unres

# ---- software iSCSI ----
isc = []
isc.append(["off", storage.storageDeviceInfo.softwareInternetScsiEnabled, iscsi_hba() is None])
isc.append(["enable", attempt(lambda: storage.UpdateSoftwareInternetScsiEnabled(enabled=True)), storage.storageDeviceInfo.softwareInternetScsiEnabled, host.config.storageDevice.softwareInternetScsiEnabled])
hba = iscsi_hba()
dev = hba.device
isc.append(["hba", [dev, hba.driver, hba.isSoftwareBased, hba.model, hba.iScsiName.startswith("iqn.1998-01.com.vmware:" + host.name.split(".")[0] + "-"), len(hba.iScsiName.split("-")[-1])],
            [a.adapter for a in storage.storageDeviceInfo.scsiTopology.adapter if a.adapter == hba.key]])
isc.append(["enableAgain", attempt(lambda: storage.UpdateSoftwareInternetScsiEnabled(enabled=True)), len([h for h in storage.storageDeviceInfo.hostBusAdapter if isinstance(h, vim.host.InternetScsiHba)])])
isc.append(["name", attempt(lambda: storage.UpdateInternetScsiName(iScsiHbaDevice=dev, iScsiName="iqn.2020-01.com.example:esx")), iscsi_hba().iScsiName])
isc.append(["nameBad", attempt(lambda: storage.UpdateInternetScsiName(iScsiHbaDevice=dev, iScsiName="not an iqn"))])
isc.append(["nameUnknownHba", attempt(lambda: storage.UpdateInternetScsiName(iScsiHbaDevice="vmhba99", iScsiName="iqn.2020-01.com.example:x"))])
isc.append(["alias", attempt(lambda: storage.UpdateInternetScsiAlias(iScsiHbaDevice=dev, iScsiAlias="esx-iscsi")), iscsi_hba().iScsiAlias])
dp = vim.host.InternetScsiHba.DiscoveryProperties(iSnsDiscoveryEnabled=False, slpDiscoveryEnabled=False, staticTargetDiscoveryEnabled=True, sendTargetsDiscoveryEnabled=False)
isc.append(["discovery", attempt(lambda: storage.UpdateInternetScsiDiscoveryProperties(iScsiHbaDevice=dev, discoveryProperties=dp)), iscsi_hba().discoveryProperties.sendTargetsDiscoveryEnabled])
dp.iSnsDiscoveryEnabled = True
isc.append(["discoveryIsns", attempt(lambda: storage.UpdateInternetScsiDiscoveryProperties(iScsiHbaDevice=dev, discoveryProperties=dp))])
ap = vim.host.InternetScsiHba.AuthenticationProperties(chapAuthEnabled=True, chapName="esx", chapSecret="s3cret", chapAuthenticationType="chapRequired")
isc.append(["auth", attempt(lambda: storage.UpdateInternetScsiAuthenticationProperties(iScsiHbaDevice=dev, authenticationProperties=ap)),
            [iscsi_hba().authenticationProperties.chapAuthEnabled, iscsi_hba().authenticationProperties.chapName, iscsi_hba().authenticationProperties.chapSecret]])
ap.chapAuthenticationType = "chapMaybe"
isc.append(["authBad", attempt(lambda: storage.UpdateInternetScsiAuthenticationProperties(iScsiHbaDevice=dev, authenticationProperties=ap))])
dg = vim.host.InternetScsiHba.DigestProperties(headerDigestType="digestPreferred", dataDigestType="digestRequired")
isc.append(["digest", attempt(lambda: storage.UpdateInternetScsiDigestProperties(iScsiHbaDevice=dev, digestProperties=dg)), iscsi_hba().digestProperties.dataDigestType])
opt = vim.host.InternetScsiHba.ParamValue(key="LoginTimeout", value=30)
isc.append(["options", attempt(lambda: storage.UpdateInternetScsiAdvancedOptions(iScsiHbaDevice=dev, options=[opt])), [[o.key, o.value] for o in iscsi_hba().advancedOptions]])
isc.append(["optionsBad", attempt(lambda: storage.UpdateInternetScsiAdvancedOptions(iScsiHbaDevice=dev, options=[vim.host.InternetScsiHba.ParamValue(key="Nope", value=1)]))])
ip = vim.host.InternetScsiHba.IPProperties(dhcpConfigurationEnabled=False, address="10.0.0.50", subnetMask="255.255.255.0")
isc.append(["ip", attempt(lambda: storage.UpdateInternetScsiIPProperties(iScsiHbaDevice=dev, ipProperties=ip)), iscsi_hba().ipProperties.address])
ip.address = "10.0.0.500"
isc.append(["ipBad", attempt(lambda: storage.UpdateInternetScsiIPProperties(iScsiHbaDevice=dev, ipProperties=ip))])
send = vim.host.InternetScsiHba.SendTarget(address="10.0.0.10")
isc.append(["addSend", attempt(lambda: storage.AddInternetScsiSendTargets(iScsiHbaDevice=dev, targets=[send, vim.host.InternetScsiHba.SendTarget(address="san.example.com:3261")])),
            [[t.address, t.port] for t in iscsi_hba().configuredSendTarget]])
isc.append(["addSendAgain", attempt(lambda: storage.AddInternetScsiSendTargets(iScsiHbaDevice=dev, targets=[send])), len(iscsi_hba().configuredSendTarget)])
isc.append(["addSendBad", attempt(lambda: storage.AddInternetScsiSendTargets(iScsiHbaDevice=dev, targets=[vim.host.InternetScsiHba.SendTarget(address="bad address")]))])
isc.append(["addSendUnknownHba", attempt(lambda: storage.AddInternetScsiSendTargets(iScsiHbaDevice="vmhba0", targets=[send]))])
st = vim.host.InternetScsiHba.StaticTarget(address="10.0.0.11", port=3260, iScsiName="iqn.2005-10.org.freenas.ctl:lun0")
isc.append(["addStatic", attempt(lambda: storage.AddInternetScsiStaticTargets(iScsiHbaDevice=dev, targets=[st])),
            [[t.address, t.port, t.iScsiName, t.discoveryMethod] for t in iscsi_hba().configuredStaticTarget]])
isc.append(["addStaticNoName", attempt(lambda: storage.AddInternetScsiStaticTargets(iScsiHbaDevice=dev, targets=[vim.host.InternetScsiHba.StaticTarget(address="10.0.0.12", iScsiName="")]))])
ts = vim.host.InternetScsiHba.TargetSet(staticTargets=[st])
isc.append(["targetDigest", attempt(lambda: storage.UpdateInternetScsiDigestProperties(iScsiHbaDevice=dev, targetSet=ts, digestProperties=dg)),
            iscsi_hba().configuredStaticTarget[0].digestProperties.headerDigestType])
ts2 = vim.host.InternetScsiHba.TargetSet(staticTargets=[vim.host.InternetScsiHba.StaticTarget(address="10.9.9.9", iScsiName="iqn.2005-10.org.x:y")])
isc.append(["targetDigestUnknown", attempt(lambda: storage.UpdateInternetScsiDigestProperties(iScsiHbaDevice=dev, targetSet=ts2, digestProperties=dg))])
n_luns = len(storage.storageDeviceInfo.scsiLun)
isc.append(["rescan", attempt(lambda: storage.RescanHba(hbaDevice=dev)), len(storage.storageDeviceInfo.scsiLun) == n_luns])
isc.append(["removeStatic", attempt(lambda: storage.RemoveInternetScsiStaticTargets(iScsiHbaDevice=dev, targets=[st])), len(iscsi_hba().configuredStaticTarget)])
isc.append(["removeStaticAgain", attempt(lambda: storage.RemoveInternetScsiStaticTargets(iScsiHbaDevice=dev, targets=[st]))])
isc.append(["removeSend", attempt(lambda: storage.RemoveInternetScsiSendTargets(iScsiHbaDevice=dev, targets=[send])), [t.address for t in iscsi_hba().configuredSendTarget]])
isc.append(["markForRemoval", attempt(lambda: storage.MarkForRemoval(hbaName=dev, remove=True)), attempt(lambda: storage.MarkForRemoval(hbaName="vmhba99", remove=True))])
isc.append(["fcoe", attempt(lambda: storage.DiscoverFcoeHbas(fcoeSpec=vim.host.FcoeConfig.FcoeSpecification(underlyingPnic="vmnic0"))),
            attempt(lambda: storage.DiscoverFcoeHbas(fcoeSpec=vim.host.FcoeConfig.FcoeSpecification(underlyingPnic="vmnic99")))])
out["iscsi"] = isc

# ---- multipathing, LEDs ----
mp = []
path = storage.multipathStateInfo.path[0].name
unit = storage.storageDeviceInfo.multipathInfo.lun[0]
mp.append(["disable", attempt(lambda: storage.DisableMultipathPath(pathName=path)), storage.multipathStateInfo.path[0].pathState,
           storage.storageDeviceInfo.multipathInfo.lun[0].path[0].state, host.config.multipathState.path[0].pathState])
mp.append(["enable", attempt(lambda: storage.EnableMultipathPath(pathName=path)), storage.multipathStateInfo.path[0].pathState])
mp.append(["unknownPath", attempt(lambda: storage.DisableMultipathPath(pathName="vmhba9:C0:T0:L0"))])
mp.append(["rr", attempt(lambda: storage.SetMultipathLunPolicy(lunId=unit.id, policy=vim.host.MultipathInfo.LogicalUnitPolicy(policy="VMW_PSP_RR"))),
           storage.storageDeviceInfo.multipathInfo.lun[0].policy.policy])
mp.append(["fixed", attempt(lambda: storage.SetMultipathLunPolicy(lunId=unit.id, policy=vim.host.MultipathInfo.FixedLogicalUnitPolicy(policy="VMW_PSP_FIXED", prefer=path))),
           [type(storage.storageDeviceInfo.multipathInfo.lun[0].policy).__name__, storage.storageDeviceInfo.multipathInfo.lun[0].policy.prefer == path]])
mp.append(["badPolicy", attempt(lambda: storage.SetMultipathLunPolicy(lunId=unit.id, policy=vim.host.MultipathInfo.LogicalUnitPolicy(policy="VMW_PSP_NOPE")))])
mp.append(["badPrefer", attempt(lambda: storage.SetMultipathLunPolicy(lunId=unit.id, policy=vim.host.MultipathInfo.FixedLogicalUnitPolicy(policy="VMW_PSP_FIXED", prefer="vmhba9:C0:T0:L0")))])
mp.append(["unknownLun", attempt(lambda: storage.SetMultipathLunPolicy(lunId="nosuch", policy=vim.host.MultipathInfo.LogicalUnitPolicy(policy="VMW_PSP_RR")))])
storage.SetMultipathLunPolicy(lunId=unit.id, policy=vim.host.MultipathInfo.LogicalUnitPolicy(policy="VMW_PSP_MRU"))
mp.append(["psp", [o.policy.key for o in storage.QueryPathSelectionPolicyOptions()]])
mp.append(["satp", "VMW_SATP_LOCAL" in [o.policy.key for o in storage.QueryStorageArrayTypePolicyOptions()]])
disk = storage.storageDeviceInfo.scsiLun[0].uuid
mp.append(["ledOn", [[k == disk, f] for k, f in results(wait(storage.TurnDiskLocatorLedOn_Task(scsiDiskUuids=[disk, "nosuch"])))]])
mp.append(["ledOff", [[k == disk, f] for k, f in results(wait(storage.TurnDiskLocatorLedOff_Task(scsiDiskUuids=[disk])))]])
out["multipath"] = mp

# ---- NFS user ----
nfs = []
nfs.append(["none", storage.QueryNFSUser() is None])
nfs.append(["changeNone", attempt(lambda: storage.ChangeNFSUserPassword(password="x"))])
nfs.append(["set", attempt(lambda: storage.SetNFSUser(user="nfsuser@EXAMPLE.COM", password="secret")), storage.QueryNFSUser().user])
nfs.append(["setEmpty", attempt(lambda: storage.SetNFSUser(user="", password="secret"))])
nfs.append(["change", attempt(lambda: storage.ChangeNFSUserPassword(password="other"))])
nfs.append(["clear", attempt(lambda: storage.ClearNFSUser()), storage.QueryNFSUser() is None])
storage.SetNFSUser(user="kept@EXAMPLE.COM", password="secret")
out["nfs"] = nfs

# ---- VFFS on a flash disk ----
vf = []
ssds = storage.QueryAvailableSsds()
vf.append(["ssds", [l.ssd for l in ssds]])
hdd = next((l for l in storage.storageDeviceInfo.scsiLun if not l.ssd), None)
vf.append(["formatHdd", attempt(lambda: storage.FormatVffs(createSpec=vim.host.VffsVolume.Specification(devicePath=hdd.devicePath, majorVersion=1, volumeName="vffs")))])
if ssds:
    vspec = vim.host.VffsVolume.Specification(devicePath=ssds[0].devicePath, majorVersion=1, volumeName="flash")
    vol = storage.FormatVffs(createSpec=vspec)
    vf.append(["format", [type(vol).__name__, vol.type, vol.name, vol.majorVersion, vol.capacity > 0, [e.diskName == ssds[0].canonicalName for e in vol.extent]]])
    vf.append(["formatAgain", attempt(lambda: storage.FormatVffs(createSpec=vspec))])
    vf.append(["listed", [[m.volume.type, m.mountInfo.mounted] for m in storage.fileSystemVolumeInfo.mountInfo if m.volume.type == "VFFS"], len(storage.QueryAvailableSsds())])
    vf.append(["availableFor", len(storage.QueryAvailableSsds(vffsPath="/vmfs/volumes/" + vol.uuid)), attempt(lambda: storage.QueryAvailableSsds(vffsPath="nosuch"))])
    vf.append(["vmfsOnVffsDisk", len(dss.QueryVmfsDatastoreCreateOptions(devicePath=ssds[0].devicePath))])
    vf.append(["unmount", attempt(lambda: storage.UnmountVffsVolume(vffsUuid=vol.uuid)), attempt(lambda: storage.UnmountVffsVolume(vffsUuid=vol.uuid)),
               [m.mountInfo.mounted for m in storage.fileSystemVolumeInfo.mountInfo if m.volume.type == "VFFS"]])
    vf.append(["deleteState", attempt(lambda: storage.DeleteVffsVolumeState(vffsUuid=vol.uuid))])
    vf.append(["mount", attempt(lambda: storage.MountVffsVolume(vffsUuid=vol.uuid)), attempt(lambda: storage.MountVffsVolume(vffsUuid="nosuch"))])
    vf.append(["rescan", attempt(lambda: storage.RescanVffs())])
    vf.append(["extendHdd", attempt(lambda: storage.ExtendVffs(vffsPath=vol.name, devicePath=hdd.devicePath))])
    vf.append(["destroy", attempt(lambda: storage.DestroyVffs(vffsPath=vol.name)), [m.volume.type for m in storage.fileSystemVolumeInfo.mountInfo if m.volume.type == "VFFS"], len(storage.QueryAvailableSsds())])
    vf.append(["destroyAgain", attempt(lambda: storage.DestroyVffs(vffsPath=vol.name))])
    storage.FormatVffs(createSpec=vim.host.VffsVolume.Specification(devicePath=ssds[0].devicePath, majorVersion=1, volumeName="kept"))
out["vffs"] = vf

# ---- reset ----
storage.DisableMultipathPath(pathName=path)
storage.UnmountVmfsVolume(vmfsUuid=uuid)
status = session.reset()
content = session.si.RetrieveContent()
h = next(x for x in session.hosts() if x.name == host.name)
st2, d2 = h.configManager.storageSystem, next(d for d in h.datastore if d.name == ds.name)
m = next(m for m in d2.host if m.key == h)
out["reset"] = [status, st2.storageDeviceInfo.softwareInternetScsiEnabled, [x.device for x in st2.storageDeviceInfo.hostBusAdapter],
                [p.pathState for p in st2.multipathStateInfo.path], st2.storageDeviceInfo.multipathInfo.lun[0].policy.policy,
                st2.QueryNFSUser() is None, [mm.volume.type for mm in st2.fileSystemVolumeInfo.mountInfo], [m.mountInfo.mounted, m.mountInfo.accessible],
                len(d2.info.vmfs.extent), h.config.datastorePrincipal]
print(json.dumps(out))
