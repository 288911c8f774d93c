#!/usr/bin/python3
"""pyVmomi deploys an OVF the way pyVmomi's deploy_ova sample and govc
import.ovf do: CreateImportSpec, ResourcePool.ImportVApp, the disk uploaded
as a streamOptimized VMDK to the lease's device URL, HttpNfcLeaseComplete.
Then reads back what the import made; also a descriptor that is not OVF,
and an import aborted half-way. Prints one JSON object.
Usage: pyvmomi_ovf_import.py HOST PORT USER PASSWORD"""
import hashlib
import json
import struct
import sys
import time
import urllib.error
import urllib.request
import zlib

from sim_session import Session, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
MiB = 1024 * 1024


def stream_optimized(capacity, writes):
    """A streamOptimized VMDK (Virtual Disk Format 1.1): header, descriptor, deflated grains, a GD marker, end of stream."""
    grain_sectors = 128
    descriptor = ('# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="streamOptimized"\n\n'
                  'RDONLY %d SPARSE "disk.vmdk"\n\nddb.adapterType = "lsilogic"\n' % (capacity // 512)).encode()
    desc_sectors = (len(descriptor) + 511) // 512
    pad = lambda b: b + b"\0" * (-len(b) % 512)
    header = struct.pack("<IIIQQQQIQQQB4sH", 0x564D444B, 3, 1 | 2 | (1 << 16) | (1 << 17), capacity // 512, grain_sectors, 1, desc_sectors,
                         512, 0, 0xFFFFFFFFFFFFFFFF, 1 + desc_sectors, 0, b"\n \r\n", 1)
    body = pad(header) + pad(descriptor)
    for offset, data in sorted(writes.items()):
        z = zlib.compress(data.ljust(grain_sectors * 512, b"\0"))
        body += pad(struct.pack("<QI", offset // 512, len(z)) + z)
    body += pad(struct.pack("<QII", 1, 0, 2)) + b"\0" * 512  # a grain directory marker and its sector
    body += pad(struct.pack("<QII", 0, 0, 0))  # end of stream
    return body


OVF = """<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
  xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References><File ovf:id="file1" ovf:href="tiny-disk1.vmdk" ovf:size="%(size)d"/></References>
  <DiskSection><Info>Virtual disk information</Info>
    <Disk ovf:diskId="vmdisk1" ovf:capacity="64" ovf:capacityAllocationUnits="byte * 2^20" ovf:fileRef="file1"
      ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/></DiskSection>
  <NetworkSection><Info>The list of logical networks</Info><Network ovf:name="VM Network"/></NetworkSection>
  <VirtualSystem ovf:id="tiny">
    <Info>A virtual machine</Info><Name>tiny</Name>
    <OperatingSystemSection ovf:id="101" vmw:osType="otherLinux64Guest"><Info>The guest</Info></OperatingSystemSection>
    <VirtualHardwareSection><Info>Virtual hardware requirements</Info>
      <System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName><vssd:InstanceID>0</vssd:InstanceID><vssd:VirtualSystemType>vmx-10</vssd:VirtualSystemType></System>
      <Item><rasd:ElementName>2 virtual CPU(s)</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>256MB of memory</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>256</rasd:VirtualQuantity></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:ElementName>SCSI controller 0</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:ElementName>IDE 0</rasd:ElementName><rasd:InstanceID>4</rasd:InstanceID><rasd:ResourceType>5</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>Hard disk 1</rasd:ElementName><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>5</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
      <Item><rasd:AutomaticAllocation>true</rasd:AutomaticAllocation><rasd:Connection>VM Network</rasd:Connection><rasd:ElementName>Network adapter 1</rasd:ElementName><rasd:InstanceID>6</rasd:InstanceID><rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
      <Item ovf:required="false"><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>CD/DVD drive 1</rasd:ElementName><rasd:InstanceID>7</rasd:InstanceID><rasd:Parent>4</rasd:Parent><rasd:ResourceType>15</rasd:ResourceType></Item>
      <vmw:ExtraConfig vmw:key="guestinfo.ovf" vmw:value="imported"/>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
"""

dc = content.rootFolder.childEntity[0]
pool = dc.hostFolder.childEntity[0].resourcePool
ds = pool.owner.datastore[0]
disk = stream_optimized(64 * MiB, {0: b"boot sector", 5 * MiB: b"data written by the appliance's build"})
ovf = OVF % {"size": len(disk)}


def put(url, body, cookie=False):
    headers = {"Content-Type": "application/x-vnd.vmware-streamVmdk"}
    if cookie:
        headers["Cookie"] = si._stub.cookie
    req = urllib.request.Request(url.replace("*", "%s:%d" % (session.host, session.port)), data=body, method="PUT", headers=headers)
    try:
        with urllib.request.urlopen(req, context=session.ctx) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def ready(lease):
    while lease.state == "initializing":
        time.sleep(0.01)
    return lease.state


params = vim.OvfManager.CreateImportSpecParams(entityName="tiny-imported", diskProvisioning="thin")
res = content.ovfManager.CreateImportSpec(ovf, pool, ds, params)
out["spec"] = {"errors": [type(e).__name__ for e in res.error or []], "warnings": len(res.warning or []),
               "files": [[f.path, f.size, f.deviceId] for f in res.fileItem]}
lease = pool.ImportVApp(res.importSpec, dc.vmFolder)
out["leaseState"] = ready(lease)
urls = {u.importKey: u.url for u in lease.info.deviceUrl}
file_item = res.fileItem[0]
out["upload"] = put(urls[file_item.deviceId], disk)
lease.HttpNfcLeaseProgress(100)
manifest = lease.HttpNfcLeaseGetManifest()
out["manifest"] = [[m.sha1 == hashlib.sha1(disk).hexdigest(), m.size == len(disk), m.disk] for m in manifest]
lease.HttpNfcLeaseComplete()
out["leaseAfter"] = lease.state
vm = lease.info.entity
dev = vm.config.hardware.device
vdisk = [d for d in dev if isinstance(d, vim.vm.device.VirtualDisk)][0]
ctrl = [d for d in dev if d.key == vdisk.controllerKey][0]
nic = [d for d in dev if isinstance(d, vim.vm.device.VirtualEthernetCard)][0]
extent = vdisk.backing.fileName.split("] ", 1)[1].replace(".vmdk", "-flat.vmdk")


def read_range(start, length):
    q = urllib.parse.quote
    url = "https://%s:%d/folder/%s?dcPath=%s&dsName=%s" % (session.host, session.port, q(extent), q(dc.name), q(ds.name))
    req = urllib.request.Request(url, headers={"Cookie": si._stub.cookie, "Range": "bytes=%d-%d" % (start, start + length - 1)})
    with urllib.request.urlopen(req, context=session.ctx) as r:
        return r.read()


out["vm"] = {
    "name": vm.name, "parent": vm.parent.name, "guestId": vm.config.guestId, "cpus": vm.config.hardware.numCPU, "memoryMB": vm.config.hardware.memoryMB,
    "version": vm.config.version, "power": vm.runtime.powerState,
    "disk": [vdisk.backing.fileName, vdisk.capacityInKB, type(ctrl).__name__.split(".")[-1], vdisk.unitNumber, vdisk.backing.thinProvisioned],
    "nic": [type(nic).__name__.split(".")[-1], nic.backing.deviceName], "cdroms": len([d for d in dev if isinstance(d, vim.vm.device.VirtualCdrom)]),
    "guestinfo": [o.value for o in vm.config.extraConfig if o.key == "guestinfo.ovf"],
    "data": [read_range(0, 11).decode(), read_range(5 * MiB, 37).decode()],
    "vmx": [l for l in session.vmx(vm, dc.name).splitlines() if l.startswith(("virtualHW.version", "scsi0:0.fileName", "ethernet0.virtualDev", "guestinfo.ovf"))],
}

newer = content.ovfManager.CreateImportSpec(ovf.replace(">vmx-10<", ">vmx-13<"), pool, ds, vim.OvfManager.CreateImportSpecParams(entityName="x"))
several = content.ovfManager.CreateImportSpec(ovf.replace(">vmx-10<", ">vmx-07 vmx-13<"), pool, ds, vim.OvfManager.CreateImportSpecParams(entityName="x"))
out["families"] = [[type(e).__name__.split(".")[-1] for e in newer.error], several.importSpec.configSpec.version]
bad = content.ovfManager.CreateImportSpec("<notovf/>", pool, ds, vim.OvfManager.CreateImportSpecParams(entityName="x"))
out["badDescriptor"] = [type(e).__name__.split(".")[-1] for e in bad.error]

res2 = content.ovfManager.CreateImportSpec(ovf, pool, ds, vim.OvfManager.CreateImportSpecParams(entityName="tiny-aborted"))
lease2 = pool.ImportVApp(res2.importSpec, dc.vmFolder)
ready(lease2)
vm2_path = lease2.info.entity.config.files.vmPathName
out["badUpload"] = put(lease2.info.deviceUrl[0].url, b"KDMV" + b"\0" * 600, cookie=True)
lease2.HttpNfcLeaseAbort()
out["aborted"] = {"state": lease2.state, "error": type(lease2.error).__name__.split(".")[-1], "vms": sorted(v.name for v in dc.vmFolder.childEntity if v.name.startswith("tiny")),
                  "vmx": session.folder("GET", dc.name, ds.name, vm2_path.split("] ", 1)[1])[0],
                  "uploadAfter": put(lease2.info.deviceUrl[0].url, disk)}
Disconnect(si)
print(json.dumps(out))
