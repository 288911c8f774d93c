#!/usr/bin/python3
"""pyVmomi deploys an OVF the way pyVmomi's deploy_ova sample and govc
import.ovf do: CreateImportSpec, ResourcePool.ImportVApp, the disk uploaded
as a streamOptimized VMDK to the lease's device URL, HttpNfcLeaseComplete.
Then reads back what the import made; also a descriptor that is not OVF,
and an import aborted half-way. Prints one JSON object.
Usage: pyvmomi_ovf_import.py HOST PORT USER PASSWORD"""
import hashlib
import json
import sys

from sim_session import Session, wait  # first: it silences the warnings pyVmomi prints on import
from ovf_upload import lease_ready as ready, put_disk, read_range, stream_optimized
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
MiB = 1024 * 1024


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


params = vim.OvfManager.CreateImportSpecParams(entityName="tiny-imported", diskProvisioning="thin")
res = content.ovfManager.CreateImportSpec(ovf, pool, ds, params)
out["spec"] = {"errors": [type(e).__name__ for e in res.error or []], "warnings": len(res.warning or []),
               "files": [[f.path, f.size, f.deviceId] for f in res.fileItem]}
lease = pool.ImportVApp(res.importSpec, dc.vmFolder)
out["leaseState"] = ready(lease)
urls = {u.importKey: u.url for u in lease.info.deviceUrl}
file_item = res.fileItem[0]
out["upload"] = put_disk(session, urls[file_item.deviceId], disk)
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


out["vm"] = {
    "name": vm.name, "parent": vm.parent.name, "guestId": vm.config.guestId, "cpus": vm.config.hardware.numCPU, "memoryMB": vm.config.hardware.memoryMB,
    "version": vm.config.version, "power": vm.runtime.powerState,
    "disk": [vdisk.backing.fileName, vdisk.capacityInKB, type(ctrl).__name__.split(".")[-1], vdisk.unitNumber, vdisk.backing.thinProvisioned],
    "nic": [type(nic).__name__.split(".")[-1], nic.backing.deviceName], "cdroms": len([d for d in dev if isinstance(d, vim.vm.device.VirtualCdrom)]),
    "guestinfo": [o.value for o in vm.config.extraConfig if o.key == "guestinfo.ovf"],
    "data": [read_range(session, dc.name, ds.name, extent, 0, 11).decode(), read_range(session, dc.name, ds.name, extent, 5 * MiB, 37).decode()],
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
out["badUpload"] = put_disk(session, lease2.info.deviceUrl[0].url, b"KDMV" + b"\0" * 600, cookie=True)
lease2.HttpNfcLeaseAbort()
out["aborted"] = {"state": lease2.state, "error": type(lease2.error).__name__.split(".")[-1], "vms": sorted(v.name for v in dc.vmFolder.childEntity if v.name.startswith("tiny")),
                  "vmx": session.folder("GET", dc.name, ds.name, vm2_path.split("] ", 1)[1])[0],
                  "uploadAfter": put_disk(session, lease2.info.deviceUrl[0].url, disk)}
Disconnect(si)
print(json.dumps(out))
