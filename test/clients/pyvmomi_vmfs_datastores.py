#!/usr/bin/python3
"""pyVmomi makes VMFS datastores from a host's blank disks the way govc
(datastore.create -type vmfs, datastore.remove, host.storage.mark,
host.storage.partition), Ansible's community.vmware.vmware_host_datastore
and PowerCLI's New-Datastore -Vmfs / Set-ScsiLun do: QueryAvailableDisksForVmfs,
the create, extend and expand options and their specs, FormatVmfs on a
partition written with UpdateDiskPartitions, files written over /folder,
RemoveDatastore(Ex) (refused while a VM is there), detach/attach, display
names, SSD and local marking, their faults, and /_sim/reset bringing the
disks back blank. Runs on the first host (by name) of the inventory.
Prints one JSON object.
Usage: pyvmomi_vmfs_datastores.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, fault, wait, datacenter_of  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}

hosts = session.hosts()
host = hosts[0]
dss, storage = host.configManager.datastoreSystem, host.configManager.storageSystem
dc = datacenter_of(host)
MIB = 1024 * 1024


def lun(canonical):
    return next(l for l in storage.storageDeviceInfo.scsiLun if l.canonicalName == canonical)


def table(path):
    infos = storage.RetrieveDiskPartitionInfo(devicePath=[path])
    if not infos:
        return None
    s = infos[0].spec
    return [s.partitionFormat, s.totalSectors, [[p.partition, p.startSector, p.endSector, p.type, p.guid] for p in s.partition]]


def ds_named(name):
    return next((d for d in host.datastore if d.name == name), None)


def vmfs_of(ds):
    v = ds.info.vmfs
    return [ds.summary.type, ds.summary.capacity, v.capacity == ds.summary.capacity, v.majorVersion, v.version,
            [[e.diskName == canonicals.get(e.diskName, ""), e.partition] for e in v.extent], v.ssd, v.local]


def fs_volume(name):
    m = next((m for m in storage.fileSystemVolumeInfo.mountInfo if m.volume.name == name), None)
    return m and [type(m.volume).__name__, m.volume.capacity, m.mountInfo.accessible]


def last_event():
    return type(content.eventManager.latestEvent).__name__.split(".")[-1]


# ---- the disks ----
sdi = storage.storageDeviceInfo
avail = dss.QueryAvailableDisksForVmfs()
canonicals = {d.canonicalName: d.canonicalName for d in avail}
topo = {a.adapter: [[t.target, len(t.lun)] for t in a.target] for a in sdi.scsiTopology.adapter}
out["disks"] = {
    "available": [[type(d).__name__, d.capacity.block, d.capacity.blockSize, d.ssd, d.localDisk, list(d.operationalState),
                   d.devicePath == "/vmfs/devices/disks/" + d.canonicalName, d.uuid == lun(d.canonicalName).uuid] for d in avail],
    "spareTopology": topo["key-vim.host.BlockHba-vmhba1"],
    "multipath": len(sdi.multipathInfo.lun) == len(sdi.scsiLun),
    "paths": sorted(p.name for p in storage.multipathStateInfo.path if p.name.startswith("vmhba1")),
    "hostConfig": len(host.config.storageDevice.scsiLun) == len(sdi.scsiLun),
    "blank": table(avail[0].devicePath),
    "unknownPath": storage.RetrieveDiskPartitionInfo(devicePath=["/vmfs/devices/disks/naa.nosuch"]),
    "unresolved": list(dss.QueryUnresolvedVmfsVolumes()),
}
disk = avail[0]
blocks = disk.capacity.block
path = disk.devicePath
second = avail[1] if len(avail) > 1 else None
datastore_name = next(d.name for d in host.datastore)
# VMFS 5 on ESXi 6.0, 6 from 6.5 on: what the host proposes
major = dss.QueryVmfsDatastoreCreateOptions(devicePath=path)[0].spec.vmfs.majorVersion
out["disks"]["major"] = major

# ---- a partition by hand, then FormatVmfs (esxcli / partedUtil style) ----
steps = []
half = blocks // 2
layout = vim.host.DiskPartitionInfo.Layout(total=vim.host.DiskDimensions.Lba(blockSize=512, block=blocks), partition=[
    vim.host.DiskPartitionInfo.BlockRange(partition=1, type="vmfs",
                                          start=vim.host.DiskDimensions.Lba(blockSize=512, block=2048),
                                          end=vim.host.DiskDimensions.Lba(blockSize=512, block=2048 + half - 1))])
computed = storage.ComputeDiskPartitionInfo(devicePath=path, layout=layout, partitionFormat="gpt")
steps.append(["compute", computed.deviceName == path, [[p.partition, p.startSector, p.endSector, p.type, p.guid] for p in computed.spec.partition],
              table(path)])


def bad_spec(start, end, extra=None):
    parts = [vim.host.DiskPartitionInfo.Partition(partition=1, startSector=start, endSector=end, type="vmfs", logical=False, attributes=0)]
    if extra:
        parts.append(vim.host.DiskPartitionInfo.Partition(partition=2, startSector=extra[0], endSector=extra[1], type="vmfs", logical=False, attributes=0))
    return vim.host.DiskPartitionInfo.Specification(partitionFormat="gpt", totalSectors=blocks, partition=parts)


steps.append(["updateUnknown", attempt(lambda: storage.UpdateDiskPartitions(devicePath="/vmfs/devices/disks/naa.nosuch", spec=computed.spec))])
steps.append(["updatePastEnd", attempt(lambda: storage.UpdateDiskPartitions(devicePath=path, spec=bad_spec(2048, blocks)))])
steps.append(["updateOverlap", attempt(lambda: storage.UpdateDiskPartitions(devicePath=path, spec=bad_spec(2048, 4 * 2048, (3 * 2048, 5 * 2048))))])
steps.append(["updateBadType", attempt(lambda: storage.UpdateDiskPartitions(devicePath=path, spec=vim.host.DiskPartitionInfo.Specification(
    partitionFormat="gpt", partition=[vim.host.DiskPartitionInfo.Partition(partition=1, startSector=2048, endSector=4096, type="fat32", logical=False, attributes=0)])))])
steps.append(["unchanged", table(path)])
steps.append(["update", attempt(lambda: storage.UpdateDiskPartitions(devicePath=path, spec=computed.spec)), table(path),
              [d.canonicalName for d in dss.QueryAvailableDisksForVmfs()] == [d.canonicalName for d in avail[1:]]])


def vmfs_spec(name, part=1, d=disk):
    return vim.host.VmfsVolume.Specification(extent=vim.host.ScsiDisk.Partition(diskName=d.canonicalName, partition=part),
                                             volumeName=name, majorVersion=major)


steps.append(["formatTaken", attempt(lambda: storage.FormatVmfs(createSpec=vmfs_spec(datastore_name)))])
steps.append(["formatNoPartition", attempt(lambda: storage.FormatVmfs(createSpec=vmfs_spec("vmfs-fmt", 2)))])
vol = storage.FormatVmfs(createSpec=vmfs_spec("vmfs-fmt"))
fmt = ds_named("vmfs-fmt")
steps.append(["format", [type(vol).__name__, vol.name, vol.capacity, vol.majorVersion, [[e.diskName == disk.canonicalName, e.partition] for e in vol.extent]],
              fmt is not None and vmfs_of(fmt), fs_volume("vmfs-fmt"), last_event()])
steps.append(["formatAgain", attempt(lambda: storage.FormatVmfs(createSpec=vmfs_spec("vmfs-fmt2")))])
steps.append(["updateInUse", attempt(lambda: storage.UpdateDiskPartitions(devicePath=path, spec=computed.spec))])

# ---- expand into the rest of the disk ----
opts = dss.QueryVmfsDatastoreExpandOptions(datastore=fmt)
steps.append(["expandOptions", [[type(o.info).__name__, o.info.vmfsExtent.start.block, o.info.vmfsExtent.end.block, type(o.spec).__name__,
                                 o.spec.extent.partition, o.spec.diskUuid == disk.uuid] for o in opts]])
steps.append(["expand", attempt(lambda: dss.ExpandVmfsDatastore(datastore=fmt, spec=opts[0].spec)), vmfs_of(fmt), table(path), last_event()])
steps.append(["expandAgain", [o for o in dss.QueryVmfsDatastoreExpandOptions(datastore=fmt)]])
steps.append(["expandStale", attempt(lambda: dss.ExpandVmfsDatastore(datastore=fmt, spec=opts[0].spec.__class__(
    diskUuid=disk.uuid, partition=computed.spec, extent=opts[0].spec.extent)))])

# ---- remove (several at once) ----
results = wait(dss.RemoveDatastoreEx_Task(datastore=[fmt]))
steps.append(["removeEx", [[r.key._moId == fmt._moId, r.fault is not None] for r in results], ds_named("vmfs-fmt") is None,
              fs_volume("vmfs-fmt"), table(path), [d.canonicalName for d in dss.QueryAvailableDisksForVmfs()] == [d.canonicalName for d in avail]])
out["partitionSteps"] = steps

# ---- create, as govc datastore.create -type vmfs does ----
create = []
create.append(["unknownDevice", attempt(lambda: dss.QueryVmfsDatastoreCreateOptions(devicePath="/vmfs/devices/disks/naa.nosuch"))])
create.append(["badVersion", attempt(lambda: dss.QueryVmfsDatastoreCreateOptions(devicePath=path, vmfsMajorVersion=7))])
options = dss.QueryVmfsDatastoreCreateOptions(devicePath=path)
o = options[0]
create.append(["options", len(options), type(o.info).__name__, o.info.layout.total.block == blocks,
               [[r.partition, r.type, r.start.block, r.end.block] for r in o.info.layout.partition],
               type(o.spec).__name__, o.spec.diskUuid == disk.uuid, o.spec.partition.partitionFormat, o.spec.partition.totalSectors == blocks,
               [[p.partition, p.startSector, p.endSector, p.type, p.guid] for p in o.spec.partition.partition],
               [o.spec.vmfs.extent.diskName == disk.canonicalName, o.spec.vmfs.extent.partition, o.spec.vmfs.majorVersion, o.spec.vmfs.blockSizeMb]])
spec = o.spec
spec.vmfs.volumeName = datastore_name
create.append(["duplicate", attempt(lambda: dss.CreateVmfsDatastore(spec=spec))])
spec.vmfs.volumeName = "bad/name"
create.append(["badName", attempt(lambda: dss.CreateVmfsDatastore(spec=spec))])
spec.vmfs.volumeName = "vmfs-new"
bogus = vim.host.VmfsDatastoreCreateSpec(diskUuid="0200000000nosuch", partition=spec.partition, vmfs=spec.vmfs)
create.append(["unknownDisk", attempt(lambda: dss.CreateVmfsDatastore(spec=bogus))])
ds = dss.CreateVmfsDatastore(spec=spec)
create.append(["created", ds.name, vmfs_of(ds), ds.summary.freeSpace == ds.summary.capacity, ds.summary.accessible,
               sorted(h.name for h in hosts if any(m.key == h for m in ds.host)), ds in host.datastore, ds in dc.datastore,
               fs_volume("vmfs-new"), table(path), last_event()])
create.append(["inUse", attempt(lambda: dss.CreateVmfsDatastore(spec=vim.host.VmfsDatastoreCreateSpec(
    diskUuid=disk.uuid, partition=spec.partition, vmfs=vim.host.VmfsVolume.Specification(extent=spec.vmfs.extent, volumeName="vmfs-other", majorVersion=major))))])
create.append(["optionsInUse", list(dss.QueryVmfsDatastoreCreateOptions(devicePath=path))])
create.append(["availableAfter", [d.canonicalName for d in dss.QueryAvailableDisksForVmfs()] == [d.canonicalName for d in avail[1:]]])
create.append(["otherHosts", [[h.name, any(d.name == "vmfs-new" for d in h.datastore), len(h.configManager.storageSystem.storageDeviceInfo.scsiLun)] for h in hosts[1:]]])
out["create"] = create

# ---- files over /folder ----
dcname = dc.name
put = session.folder("PUT", dcname, "vmfs-new", "hello.txt", b"hello vmfs")
got = session.folder("GET", dcname, "vmfs-new", "hello.txt")
out["files"] = [put[0], got[0], got[1].decode()]

# ---- extend with the second blank disk ----
ext = []
ext.append(["availableFor", [d.canonicalName == second.canonicalName for d in dss.QueryAvailableDisksForVmfs(datastore=ds)] if second else list(dss.QueryAvailableDisksForVmfs(datastore=ds))])
ext.append(["optionsOnUsedDisk", list(dss.QueryVmfsDatastoreExtendOptions(datastore=ds, devicePath=path))])
if second:
    eopts = dss.QueryVmfsDatastoreExtendOptions(datastore=ds, devicePath=second.devicePath)
    e = eopts[0]
    ext.append(["options", len(eopts), type(e.info).__name__, type(e.spec).__name__, e.spec.diskUuid == second.uuid,
                [[x.diskName == second.canonicalName, x.partition] for x in e.spec.extent]])
    before = ds.summary.capacity
    canonicals[second.canonicalName] = second.canonicalName
    ext.append(["extend", dss.ExtendVmfsDatastore(datastore=ds, spec=e.spec) == ds, vmfs_of(ds), ds.summary.capacity - before, fs_volume("vmfs-new"), last_event()])
    ext.append(["extendAgain", attempt(lambda: dss.ExtendVmfsDatastore(datastore=ds, spec=e.spec))])
ext.append(["expandFull", list(dss.QueryVmfsDatastoreExpandOptions(datastore=ds))])
ext.append(["unknownDatastore", attempt(lambda: dss.QueryVmfsDatastoreExtendOptions(datastore=vim.Datastore("datastore-nosuch", si._stub), devicePath=path))])
out["extend"] = ext

# ---- LUN settings ----
luns = []
uuid = disk.uuid
luns.append(["rename", attempt(lambda: storage.UpdateScsiLunDisplayName(lunUuid=uuid, displayName="fast disk")), lun(disk.canonicalName).displayName,
             next(l.displayName for l in host.config.storageDevice.scsiLun if l.uuid == uuid)])
luns.append(["renameEmpty", attempt(lambda: storage.UpdateScsiLunDisplayName(lunUuid=uuid, displayName=""))])
other = next(l for l in storage.storageDeviceInfo.scsiLun if l.uuid != uuid)
luns.append(["renameTaken", attempt(lambda: storage.UpdateScsiLunDisplayName(lunUuid=other.uuid, displayName="fast disk"))])
luns.append(["renameUnknown", attempt(lambda: storage.UpdateScsiLunDisplayName(lunUuid="nosuch", displayName="x"))])
luns.append(["ssd", fault(storage.MarkAsSsd_Task(scsiDiskUuid=uuid)), lun(disk.canonicalName).ssd, ds.info.vmfs.ssd])
luns.append(["nonLocal", fault(storage.MarkAsNonLocal_Task(scsiDiskUuid=uuid)), lun(disk.canonicalName).localDisk, ds.info.vmfs.local])
luns.append(["local", fault(storage.MarkAsLocal_Task(scsiDiskUuid=uuid)), lun(disk.canonicalName).localDisk, ds.info.vmfs.local])
luns.append(["nonSsd", fault(storage.MarkAsNonSsd_Task(scsiDiskUuid=uuid)), lun(disk.canonicalName).ssd, ds.info.vmfs.ssd])
luns.append(["markUnknown", fault(storage.MarkAsSsd_Task(scsiDiskUuid="nosuch"))])
out["luns"] = luns

# ---- detach and attach ----
det = []
det.append(["detach", attempt(lambda: storage.DetachScsiLun(lunUuid=uuid)), list(lun(disk.canonicalName).operationalState),
            ds.summary.accessible, fs_volume("vmfs-new"), table(path), disk.canonicalName in [d.canonicalName for d in dss.QueryAvailableDisksForVmfs()]])
det.append(["detachAgain", attempt(lambda: storage.DetachScsiLun(lunUuid=uuid))])
det.append(["swapInaccessible", attempt(lambda: dss.UpdateLocalSwapDatastore(datastore=ds))])
det.append(["attach", attempt(lambda: storage.AttachScsiLun(lunUuid=uuid)), list(lun(disk.canonicalName).operationalState), ds.summary.accessible, fs_volume("vmfs-new")])
det.append(["attachAgain", attempt(lambda: storage.AttachScsiLun(lunUuid=uuid))])
det.append(["detachUnknown", attempt(lambda: storage.DetachScsiLun(lunUuid="nosuch"))])
res = wait(storage.DetachScsiLunEx_Task(lunUuid=[uuid, "nosuch"]))
det.append(["detachEx", [[r.key == uuid, r.fault and type(r.fault).__name__.split(".")[-1]] for r in res], list(lun(disk.canonicalName).operationalState), ds.summary.accessible])
res = wait(storage.AttachScsiLunEx_Task(lunUuid=[uuid, uuid]))
det.append(["attachEx", [r.fault and type(r.fault).__name__.split(".")[-1] for r in res], list(lun(disk.canonicalName).operationalState), ds.summary.accessible])
out["attach"] = det

# ---- swap, a VM on it, removal ----
rem = []
rem.append(["swap", attempt(lambda: dss.UpdateLocalSwapDatastore(datastore=ds)), host.config.localSwapDatastore == ds])
vmfolder = dc.vmFolder
pool = host.parent.resourcePool
cfg = vim.vm.ConfigSpec(name="on-vmfs", guestId="otherGuest", memoryMB=64, numCPUs=1, files=vim.vm.FileInfo(vmPathName="[vmfs-new]"))
vm = wait(vmfolder.CreateVM_Task(config=cfg, pool=pool, host=host))
rem.append(["vm", [d.name for d in vm.datastore]])
rem.append(["removeWithVm", attempt(lambda: dss.RemoveDatastore(datastore=ds))])
res = wait(dss.RemoveDatastoreEx_Task(datastore=[ds]))
rem.append(["removeExWithVm", [[r.key == ds, type(r.fault).__name__.split(".")[-1]] for r in res]])
rem.append(["detachWithVm", attempt(lambda: storage.DetachScsiLun(lunUuid=uuid))])
wait(vm.Destroy_Task())
rem.append(["remove", attempt(lambda: dss.RemoveDatastore(datastore=ds)), ds_named("vmfs-new") is None, fs_volume("vmfs-new"), host.config.localSwapDatastore,
            table(path), disk.canonicalName in [d.canonicalName for d in dss.QueryAvailableDisksForVmfs()],
            second is None or second.canonicalName in [d.canonicalName for d in dss.QueryAvailableDisksForVmfs()], last_event()])
rem.append(["removeAgain", attempt(lambda: dss.RemoveDatastore(datastore=ds))])
rem.append(["swapNotMounted", attempt(lambda: dss.UpdateLocalSwapDatastore(datastore=ds))])
rem.append(["swapNone", attempt(lambda: dss.UpdateLocalSwapDatastore()), host.config.localSwapDatastore])
out["remove"] = rem

# ---- /_sim/reset brings the disks back blank ----
again = dss.QueryVmfsDatastoreCreateOptions(devicePath=path)[0].spec
again.vmfs.volumeName = "vmfs-again"
dss.CreateVmfsDatastore(spec=again)
wait(storage.MarkAsSsd_Task(scsiDiskUuid=uuid))
storage.UpdateScsiLunDisplayName(lunUuid=uuid, displayName="before reset")
before = [ds_named("vmfs-again") is not None, lun(disk.canonicalName).ssd, lun(disk.canonicalName).displayName]
status = session.reset()
out["reset"] = [before, status, ds_named("vmfs-again") is None, fs_volume("vmfs-again"), lun(disk.canonicalName).ssd,
                lun(disk.canonicalName).displayName == "Local ATA Disk (%s)" % disk.canonicalName, table(path),
                [d.canonicalName for d in dss.QueryAvailableDisksForVmfs()] == [d.canonicalName for d in avail]]

print(json.dumps(out))
