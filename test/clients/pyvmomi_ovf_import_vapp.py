#!/usr/bin/python3
"""pyVmomi deploys a vApp OVF (a VirtualSystemCollection: a web VM and a
nested "backend" vApp holding a db VM, a ProductSection property on the
vApp, a StartupSection that starts the backend first) as the vSphere
Client and ovftool do against vCenter: CreateImportSpec gives a
VirtualAppImportSpec, ResourcePool.ImportVApp makes the vApp and one lease
for both VMs' disks. Then reads back what the import made, powers the vApp
on, and aborts a second import half-way. On ESXi, the package is refused.
Prints one JSON object.
Usage: pyvmomi_ovf_import_vapp.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, wait  # first: it silences the warnings pyVmomi prints on import
from ovf_upload import lease_ready, put_disk, read_range, stream_optimized
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
content = session.content
host, dc, ds, pool = session.placement()
out = {}
MiB = 1024 * 1024


def system(vm_id, disk_id, address):
    return """
    <VirtualSystem ovf:id="%(id)s">
      <Info>A virtual machine</Info><Name>%(id)s</Name>
      <OperatingSystemSection ovf:id="101" vmw:osType="otherLinux64Guest"><Info>The guest</Info></OperatingSystemSection>
      <VirtualHardwareSection><Info>Virtual hardware requirements</Info>
        <System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName><vssd:InstanceID>0</vssd:InstanceID><vssd:VirtualSystemType>vmx-10</vssd:VirtualSystemType></System>
        <Item><rasd:ElementName>1 virtual CPU</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
        <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>128MB of memory</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>128</rasd:VirtualQuantity></Item>
        <Item><rasd:Address>0</rasd:Address><rasd:ElementName>SCSI controller 0</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>
        <Item><rasd:AddressOnParent>%(address)d</rasd:AddressOnParent><rasd:ElementName>Hard disk 1</rasd:ElementName><rasd:HostResource>ovf:/disk/%(disk)s</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
        <Item><rasd:AutomaticAllocation>true</rasd:AutomaticAllocation><rasd:Connection>VM Network</rasd:Connection><rasd:ElementName>Network adapter 1</rasd:ElementName><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
      </VirtualHardwareSection>
    </VirtualSystem>""" % {"id": vm_id, "disk": disk_id, "address": address}


OVF = """<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
  xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References><File ovf:id="f-web" ovf:href="web-disk1.vmdk" ovf:size="%(web)d"/><File ovf:id="f-db" ovf:href="db-disk1.vmdk" ovf:size="%(db)d"/></References>
  <DiskSection><Info>Virtual disk information</Info>
    <Disk ovf:diskId="d-web" ovf:capacity="16" ovf:capacityAllocationUnits="byte * 2^20" ovf:fileRef="f-web" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
    <Disk ovf:diskId="d-db" ovf:capacity="32" ovf:capacityAllocationUnits="byte * 2^20" ovf:fileRef="f-db" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <NetworkSection><Info>The list of logical networks</Info><Network ovf:name="VM Network"/></NetworkSection>
  <VirtualSystemCollection ovf:id="shop">
    <Info>A vApp</Info><Name>shop</Name>
    <AnnotationSection><Info>About</Info><Annotation>a web tier and a backend</Annotation></AnnotationSection>
    <ProductSection ovf:class="shop"><Info>The product</Info><Product>Shop</Product><Vendor>Example</Vendor><Version>1.0</Version>
      <Property ovf:key="url" ovf:type="string" ovf:userConfigurable="true" ovf:value="http://localhost/"><Label>Public URL</Label></Property>
    </ProductSection>
    <StartupSection><Info>Start order</Info>
      <Item ovf:id="backend" ovf:order="1" ovf:startDelay="0" ovf:startAction="powerOn" ovf:stopDelay="0" ovf:stopAction="powerOff"/>
      <Item ovf:id="web" ovf:order="2" ovf:startDelay="10" ovf:waitingForGuest="true" ovf:startAction="powerOn" ovf:stopDelay="5" ovf:stopAction="guestShutdown"/>
    </StartupSection>
    %(web_system)s
    <VirtualSystemCollection ovf:id="backend">
      <Info>The backend</Info><Name>backend</Name>
      %(db_system)s
    </VirtualSystemCollection>
  </VirtualSystemCollection>
</Envelope>
"""

web_disk = stream_optimized(16 * MiB, {0: b"web root"})
db_disk = stream_optimized(32 * MiB, {MiB: b"db pages"})
ovf = OVF % {"web": len(web_disk), "db": len(db_disk), "web_system": system("web", "d-web", 0), "db_system": system("db", "d-db", 1)}
params = vim.OvfManager.CreateImportSpecParams(entityName="shop-1", diskProvisioning="thin", propertyMapping=[vim.KeyValue(key="url", value="https://shop.example.com/")])
res = content.ovfManager.CreateImportSpec(ovf, pool, ds, params)
if not isinstance(res.importSpec, vim.ImportSpec):
    # ESXi has no vApps: the package is refused in the result
    out["esx"] = {"errors": [type(e).__name__.split(".")[-1] for e in res.error or []], "spec": res.importSpec is None}
    Disconnect(session.si)
    print(json.dumps(out))
    sys.exit(0)

spec = res.importSpec
out["spec"] = {
    "type": type(spec).__name__.split(".")[-1], "name": spec.name, "children": [[type(c).__name__.split(".")[-1], c.entityConfig.tag, c.entityConfig.startOrder] for c in spec.child],
    "nested": [type(c).__name__.split(".")[-1] for c in spec.child[1].child],
    "property": [[p.info.id, p.info.value] for p in spec.vAppConfigSpec.property], "files": sorted([f.deviceId, f.path] for f in res.fileItem), "errors": len(res.error or []),
}

lease = pool.ImportVApp(spec, dc.vmFolder)
out["lease"] = {"state": lease_ready(lease), "entity": type(lease.info.entity).__name__.split(".")[-1], "urls": len(lease.info.deviceUrl)}
urls = {u.importKey: u.url for u in lease.info.deviceUrl}
disks = {"web-disk1.vmdk": web_disk, "db-disk1.vmdk": db_disk}
out["uploads"] = [put_disk(session, urls[f.deviceId], disks[f.path]) for f in res.fileItem]
lease.HttpNfcLeaseComplete()
app = lease.info.entity
backend = [r for r in app.resourcePool if r.name == "backend"][0]


def vm_of(parent, name):
    return [v for v in parent.vm if v.name == name][0]


def data(vm, offset, length):
    disk = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0]
    return read_range(session, dc.name, ds.name, disk.backing.fileName.split("] ", 1)[1].replace(".vmdk", "-flat.vmdk"), offset, length).decode()


web, db = vm_of(app, "web"), vm_of(backend, "db")
starts = {e.tag: [e.startOrder, e.startDelay, e.waitingForGuest, e.stopAction] for e in app.vAppConfig.entityConfig}
out["vapp"] = {
    "name": app.name, "folder": app.parentFolder.name, "annotation": app.vAppConfig.annotation, "property": [[p.id, p.value] for p in app.vAppConfig.property],
    "product": [p.name for p in app.vAppConfig.product], "starts": starts, "backendParent": backend.parentVApp.name,
    "web": [web.parentVApp.name, web.config.hardware.memoryMB, data(web, 0, 8)], "db": [db.parentVApp.name, data(db, MiB, 8)],
}
wait(app.PowerOnVApp_Task())
out["powered"] = [web.runtime.powerState, db.runtime.powerState, app.summary.vAppState]
wait(app.PowerOffVApp_Task(force=True))

res2 = content.ovfManager.CreateImportSpec(ovf, pool, ds, vim.OvfManager.CreateImportSpecParams(entityName="shop-2"))
lease2 = pool.ImportVApp(res2.importSpec, dc.vmFolder)
lease_ready(lease2)
made = lease2.info.entity.name
lease2.HttpNfcLeaseAbort()
out["aborted"] = {"made": made, "state": lease2.state, "left": sorted(e.name for e in dc.vmFolder.childEntity if e.name.startswith("shop")),
                  "vms": sorted(v.name for v in content.viewManager.CreateContainerView(dc, [vim.VirtualMachine], True).view if v.name in ("web", "db"))}
# the same name again: DuplicateName
out["duplicate"] = attempt(lambda: pool.ImportVApp(res.importSpec, dc.vmFolder))
Disconnect(session.si)
print(json.dumps(out))
