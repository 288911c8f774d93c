#!/usr/bin/python3
"""pyVmomi exports a VM to OVF the way pyVmomi's export samples and govc
export.ovf do: ExportVm, each device URL downloaded with the session
cookie, HttpNfcLeaseProgress, OvfManager.CreateDescriptor for the files,
HttpNfcLeaseComplete. The disk comes as a streamOptimized VMDK, decoded
here by hand. Then the export is imported again (CreateImportSpec from the
descriptor, ImportVApp, the exported disk uploaded) and the copy compared
with the source; also the faults and an aborted export. Prints one JSON object.
Usage: pyvmomi_ovf_export.py HOST PORT USER PASSWORD"""
import hashlib
import json
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

from sim_session import Session, attempt, fault, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
MiB = 1024 * 1024
CAPACITY = 32 * MiB
WRITES = {0: b"boot sector of the exported disk", 3 * MiB + 5: b"data in the middle", 20 * MiB: b"\x01\x02\x03 near the end"}

dc = content.rootFolder.childEntity[0]
compute = dc.hostFolder.childEntity[0]
pool = compute.resourcePool
ds = compute.datastore[0]
network = [n for n in compute.network if n.name == "VM Network"][0]


def device_spec(device, create=False):
    spec = vim.vm.device.VirtualDeviceSpec(operation="add", device=device)
    if create:
        spec.fileOperation = "create"
    return spec


scsi = vim.vm.device.ParaVirtualSCSIController(key=-100, busNumber=0, sharedBus="noSharing")
disk = vim.vm.device.VirtualDisk(key=-101, controllerKey=-100, unitNumber=0, capacityInKB=CAPACITY // 1024,
                                 backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode="persistent", thinProvisioned=True, fileName=""))
nic = vim.vm.device.VirtualVmxnet3(key=-102, addressType="generated",
                                   backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName=network.name, network=network),
                                   connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, allowGuestControl=True))
cdrom = vim.vm.device.VirtualCdrom(key=-103, controllerKey=201, unitNumber=0,
                                   backing=vim.vm.device.VirtualCdrom.RemotePassthroughBackingInfo(deviceName="", exclusive=False))
config = vim.vm.ConfigSpec(name="exp-src", guestId="otherLinux64Guest", numCPUs=2, memoryMB=384, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name),
                           deviceChange=[device_spec(scsi), device_spec(disk, create=True), device_spec(nic), device_spec(cdrom)],
                           extraConfig=[vim.option.OptionValue(key="guestinfo.role", value="exported"), vim.option.OptionValue(key="guestinfo.build", value="42")])
vm = wait(dc.vmFolder.CreateVM_Task(config, pool))
vdisk = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0]
flat = vdisk.backing.fileName.split("] ", 1)[1].replace(".vmdk", "-flat.vmdk")

# known bytes into the disk's flat extent, over /folder
image = bytearray(CAPACITY)
for at, data in WRITES.items():
    image[at:at + len(data)] = data
status, _ = session.folder("PUT", dc.name, ds.name, flat, bytes(image))
out["written"] = status


def url_of(u):
    return u.replace("*", "%s:%d" % (session.host, session.port))


def http(method, url, body=None, cookie=True):
    headers = {"Cookie": si._stub.cookie} if cookie else {}
    req = urllib.request.Request(url_of(url), data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, context=session.ctx) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def ready(lease):
    while lease.state == "initializing":
        time.sleep(0.01)
    return lease.state


def decode_stream(data):
    """A streamOptimized VMDK read by the spec: header fields, then markers until end of stream."""
    magic, version, flags, capacity, grain, desc_off, desc_size, gtes, _rgd, gd_off, overhead = struct.unpack_from("<IIIQQQQIQQQ", data, 0)
    descriptor = data[desc_off * 512:(desc_off + desc_size) * 512].rstrip(b"\0").decode()
    pos, grains, kinds, footer_gd = overhead * 512, {}, [], None
    while pos + 16 <= len(data):
        lba, size = struct.unpack_from("<QI", data, pos)
        if size:
            grains[lba * 512] = zlib.decompress(data[pos + 12:pos + 12 + size])
            pos = (pos + 12 + size + 511) // 512 * 512
            continue
        kind = struct.unpack_from("<I", data, pos + 12)[0]
        kinds.append(kind)
        if kind == 0:
            break
        if kind == 3:
            footer_gd = struct.unpack_from("<Q", data, pos + 512 + 56)[0]
        pos += 512 + lba * 512
    return {"magic": struct.pack("<I", magic).decode(), "version": version, "flags": hex(flags), "capacity": capacity * 512, "grain": grain,
            "gdAtEnd": gd_off == 0xFFFFFFFFFFFFFFFF, "footerGd": footer_gd is not None and footer_gd > overhead, "markers": kinds,
            "createType": "streamOptimized" in descriptor, "grains": grains}


# a VM that is on cannot be exported
wait(vm.PowerOnVM_Task())
out["poweredOn"] = attempt(vm.ExportVm)
wait(vm.PowerOffVM_Task())

lease = vm.ExportVm()
out["lease"] = {"state": ready(lease), "mode": lease.mode, "entity": lease.info.entity == vm, "capacityKB": lease.info.totalDiskCapacityInKB,
                "urls": [[u.key, u.url.split("/")[-1], u.url.startswith("https://*/nfc/"), u.targetId, u.disk, u.fileSize > 0] for u in lease.info.deviceUrl]}
url = lease.info.deviceUrl[0]
status, stream = http("GET", url.url)
decoded = decode_stream(stream)
grains = decoded.pop("grains")
disk_bytes = bytearray(CAPACITY)
for at, g in grains.items():
    disk_bytes[at:at + len(g)] = g
out["download"] = {"status": status, "size": len(stream) == url.fileSize, **decoded,
                   "grainOffsets": sorted(grains), "bytes": all(disk_bytes[at:at + len(d)] == d for at, d in WRITES.items()), "same": disk_bytes == image}
base = url.url.rsplit("/", 1)[0]
out["badFile"] = http("GET", base + "/disk-9.vmdk")[0]
out["badLease"] = http("GET", "https://*/nfc/no-such-lease/disk-0.vmdk")[0]
out["putToExport"] = http("PUT", url.url, b"KDMV")[0]
out["noCookie"] = http("GET", url.url, cookie=False)[0]
lease.HttpNfcLeaseProgress(50)
manifest = lease.HttpNfcLeaseGetManifest()
out["manifest"] = [[m.key == url.key, m.sha1 == hashlib.sha1(stream).hexdigest(), m.size == len(stream), m.disk, m.capacity, m.populatedSize] for m in manifest]

file_name = "exp-src-" + url.targetId
cdp = vim.OvfManager.CreateDescriptorParams(ovfFiles=[vim.OvfManager.OvfFile(deviceId=url.key, path=file_name, size=len(stream))], exportOption=["extraconfig"])
desc = content.ovfManager.CreateDescriptor(vm, cdp)
ovf = desc.ovfDescriptor
out["descriptor"] = {"errors": len(desc.error or []), "warnings": len(desc.warning or []),
                     "has": [s in ovf for s in ['ovf:href="%s"' % file_name, 'ovf:size="%d"' % len(stream), 'ovf:capacity="32"', 'ovf:capacityAllocationUnits="byte * 2^20"',
                                                'ovf:populatedSize="196608"', "#streamOptimized", '<Network ovf:name="VM Network">', 'vmw:osType="otherLinux64Guest"',
                                                "<rasd:ResourceSubType>VirtualSCSI</rasd:ResourceSubType>", "<rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>",
                                                "<rasd:Connection>VM Network</rasd:Connection>", "<vssd:VirtualSystemType>vmx-",
                                                'vmw:key="guestinfo.role" vmw:value="exported"', "<rasd:ResourceType>15</rasd:ResourceType>"]]}
plain = content.ovfManager.CreateDescriptor(vm, vim.OvfManager.CreateDescriptorParams(ovfFiles=[vim.OvfManager.OvfFile(deviceId=url.key, path=file_name, size=len(stream))]))
out["withoutExtraConfigOption"] = "guestinfo.role" in plain.ovfDescriptor
stray = content.ovfManager.CreateDescriptor(vm, vim.OvfManager.CreateDescriptorParams(ovfFiles=[vim.OvfManager.OvfFile(deviceId="/vm-0/nothing0:0", path="x.vmdk", size=1)]))
out["strayFile"] = [type(w).__name__.split(".")[-1] for w in stray.warning]
out["descriptorOfHost"] = attempt(lambda: content.ovfManager.CreateDescriptor(compute.host[0], vim.OvfManager.CreateDescriptorParams()))
lease.HttpNfcLeaseComplete()
out["completed"] = [lease.state, http("GET", url.url)[0], attempt(lambda: lease.HttpNfcLeaseProgress(10))]

# the export imported again
spec = content.ovfManager.CreateImportSpec(ovf, pool, ds, vim.OvfManager.CreateImportSpecParams(entityName="exp-copy", diskProvisioning="thin"))
out["importSpec"] = {"errors": [type(e).__name__ for e in spec.error or []], "warnings": [w.localizedMessage for w in spec.warning or []],
                     "files": [[f.path, f.size == len(stream)] for f in spec.fileItem]}
ilease = pool.ImportVApp(spec.importSpec, dc.vmFolder)
ready(ilease)
iurls = {u.importKey: u.url for u in ilease.info.deviceUrl}
out["upload"] = http("POST", iurls[spec.fileItem[0].deviceId], stream)[0]
ilease.HttpNfcLeaseComplete()
copy = ilease.info.entity


def shape(v):
    devs = v.config.hardware.device
    by_key = {d.key: d for d in devs}
    name = lambda d: type(d).__name__.split(".")[-1]
    return {
        "guestId": v.config.guestId, "cpus": v.config.hardware.numCPU, "memoryMB": v.config.hardware.memoryMB, "version": v.config.version,
        "controllers": sorted([name(d), d.busNumber] for d in devs if isinstance(d, vim.vm.device.VirtualSCSIController)),
        "disks": [[name(by_key[d.controllerKey]), by_key[d.controllerKey].busNumber, d.unitNumber, d.capacityInKB] for d in devs if isinstance(d, vim.vm.device.VirtualDisk)],
        "nics": [[name(d), d.backing.deviceName, d.connectable.startConnected] for d in devs if isinstance(d, vim.vm.device.VirtualEthernetCard)],
        "cdroms": [[by_key[d.controllerKey].busNumber, d.unitNumber] for d in devs if isinstance(d, vim.vm.device.VirtualCdrom)],
        "guestinfo": sorted([o.key, o.value] for o in v.config.extraConfig if o.key.startswith("guestinfo.")),
    }


def read_range(v, start, length):
    d = [d for d in v.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0]
    dsname, path = d.backing.fileName[1:].split("] ", 1)
    q = urllib.parse.quote
    u = "https://%s:%d/folder/%s?dcPath=%s&dsName=%s" % (session.host, session.port, q(path.replace(".vmdk", "-flat.vmdk")), q(dc.name), q(dsname))
    req = urllib.request.Request(u, headers={"Cookie": si._stub.cookie, "Range": "bytes=%d-%d" % (start, start + length - 1)})
    with urllib.request.urlopen(req, context=session.ctx) as r:
        return r.read()


out["source"] = shape(vm)
out["copy"] = shape(copy)
out["copyBytes"] = all(read_range(copy, at, len(d)) == d for at, d in WRITES.items())

# an aborted export fails its lease and leaves the VM as it was
lease2 = vm.ExportVm()
ready(lease2)
lease2.HttpNfcLeaseAbort()
out["aborted"] = {"state": lease2.state, "error": type(lease2.error).__name__.split(".")[-1], "vm": vm.name in [v.name for v in dc.vmFolder.childEntity],
                  "get": http("GET", lease2.info.deviceUrl[0].url)[0], "bytesStill": read_range(vm, 0, len(WRITES[0])) == WRITES[0]}

# a snapshot exports the disks it froze, the VM running meanwhile: CreateSnapshotEx_Task where the API has it (6.5), then ExportSnapshot
ex = content.about.apiVersion >= "6.5"


def snapshot(name, quiesce):
    if ex:
        return vm.CreateSnapshotEx_Task(name, None, False, vim.vm.GuestQuiesceSpec(timeout=1) if quiesce else None)
    return vm.CreateSnapshot_Task(name, None, False, quiesce)


snap = wait(snapshot("exported", True))
# written after the snapshot, into the VM's new delta: the VM's disk has it, the snapshot's does not
current = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0].backing
delta = current.fileName.split("] ", 1)[1].replace(".vmdk", "-delta.vmdk")
later = b"written after the snapshot"
out["deltaWrite"] = session.folder("PUT", dc.name, ds.name, delta, later)[0]
wait(vm.PowerOnVM_Task())
slease = snap.ExportSnapshot()
surl = slease.info.deviceUrl[0]
sstatus, sstream = http("GET", surl.url)
snap_bytes = bytearray(CAPACITY)
for at, g in decode_stream(sstream)["grains"].items():
    snap_bytes[at:at + len(g)] = g
slease.HttpNfcLeaseComplete()
out["snapshotExport"] = {"state": ready(slease), "entity": slease.info.entity == vm, "key": surl.key == url.key, "status": sstatus, "same": snap_bytes == image,
                         "vmOnDelta": current.parent is not None,
                         "quiesceWithoutTools": fault(snapshot("quiesced", True)), "ex": ex}
wait(vm.PowerOffVM_Task())
# the VM's own export has the later bytes over the snapshot's
vlease = vm.ExportVm()
ready(vlease)
grains = decode_stream(http("GET", vlease.info.deviceUrl[0].url)[1])["grains"]
vlease.HttpNfcLeaseComplete()
out["snapshotExport"]["vmHasLater"] = grains[0][:len(later)] == later and grains[0][len(later):len(WRITES[0])] == WRITES[0][len(later):]
Disconnect(si)
print(json.dumps(out))
