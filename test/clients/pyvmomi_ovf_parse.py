#!/usr/bin/python3
"""pyVmomi asks OvfManager about a package before importing it, the way
pyVmomi deploy scripts and the vSphere Client's deploy wizard do:
ParseDescriptor (networks, EULAs, vApp properties, product, deployment
options, sizes, a vApp's entities) and ValidateHost (sizes, virtual hardware
the host cannot run). The descriptors are the simulator's own export of a VM
and hand-written ones; malformed ones come back as errors in the result.
Prints one JSON object.
Usage: pyvmomi_ovf_parse.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, wait  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
ovf = content.ovfManager
out = {}
MiB = 1024 * 1024

dc = content.rootFolder.childEntity[0]
compute = dc.hostFolder.childEntity[0]
pool = compute.resourcePool
ds = compute.datastore[0]
host = compute.host[0]
network = [n for n in compute.network if n.name == "VM Network"][0]


def faults(lst):
    """[fault name, its set fields...]: pyVmomi hands a result's LocalizedMethodFaults over as the faults themselves"""
    keys = ("lineNumber", "name", "namespaceName", "info", "type", "value", "invalidProperty", "hostName")
    return [[type(f).__name__.split(".")[-1]] + [getattr(f, k) for k in keys if getattr(f, k, None) not in (None, "")] for f in lst]


def parsed(r):
    return {
        "defaultEntityName": r.defaultEntityName, "virtualApp": r.virtualApp, "annotation": r.annotation,
        "network": [[n.name, n.description] for n in r.network], "eula": list(r.eula),
        "ip": [list(r.ipAllocationScheme), list(r.ipProtocols)],
        "sizes": [r.approximateDownloadSize, r.approximateFlatDeploymentSize, r.approximateSparseDeploymentSize],
        "property": [[p.key, p.classId, p.instanceId, p.id, p.category, p.label, p.type, p.userConfigurable, p.defaultValue, p.value, p.description] for p in r.property],
        "product": None if r.productInfo is None else [r.productInfo.key, r.productInfo.classId, r.productInfo.instanceId, r.productInfo.name, r.productInfo.vendor, r.productInfo.version,
                                                      r.productInfo.fullVersion, r.productInfo.vendorUrl, r.productInfo.productUrl, r.productInfo.appUrl],
        "options": [[o.key, o.label, o.description] for o in r.deploymentOption], "defaultOption": r.defaultDeploymentOption,
        "entityName": [[kv.key, kv.value] for kv in r.entityName],
        "error": faults(r.error), "warning": faults(r.warning),
    }


def parse(desc, option=None):
    pdp = vim.OvfManager.ParseDescriptorParams()
    if option:
        pdp.deploymentOption = option
    return parsed(ovf.ParseDescriptor(desc, pdp))


def validate(desc, h=host):
    r = ovf.ValidateHost(desc, h, vim.OvfManager.ValidateHostParams())
    return {"sizes": [r.downloadSize, r.flatDeploymentSize, r.sparseDeploymentSize], "provisioning": list(r.supportedDiskProvisioning),
            "error": faults(r.error), "warning": faults(r.warning)}


# ---- the simulator's own export of a VM ----
scsi = vim.vm.device.ParaVirtualSCSIController(key=-100, busNumber=0, sharedBus="noSharing")
disk = vim.vm.device.VirtualDisk(key=-101, controllerKey=-100, unitNumber=0, capacityInKB=48 * 1024,
                                 backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode="persistent", thinProvisioned=True, fileName=""))
nic = vim.vm.device.VirtualVmxnet3(key=-102, addressType="generated",
                                   backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName=network.name, network=network),
                                   connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, allowGuestControl=True))
config = vim.vm.ConfigSpec(name="parse-src", guestId="otherLinux64Guest", numCPUs=1, memoryMB=256, annotation="exported for parsing",
                           files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name),
                           deviceChange=[vim.vm.device.VirtualDeviceSpec(operation="add", device=scsi),
                                         vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=disk),
                                         vim.vm.device.VirtualDeviceSpec(operation="add", device=nic)])
vm = wait(dc.vmFolder.CreateVM_Task(config, pool))
exported = ovf.CreateDescriptor(vm, vim.OvfManager.CreateDescriptorParams(
    ovfFiles=[vim.OvfManager.OvfFile(deviceId="/parse-src/ParaVirtualSCSIController0:0", path="parse-src-disk-0.vmdk", size=3 * MiB, populatedSize=5 * MiB)])).ovfDescriptor
out["exported"] = parse(exported)
out["exportedOnHost"] = validate(exported)

# ---- a hand-written appliance: product, properties, EULA, deployment options, IP assignment ----
ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" '
            'xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" '
            'xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">\n%s\n</Envelope>\n')


def hardware(family, disk_id=None):
    disk_items = ("<Item><rasd:Address>0</rasd:Address><rasd:ElementName>SCSI 0</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID>"
                  "<rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>"
                  "<Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>Disk 1</rasd:ElementName>"
                  "<rasd:HostResource>ovf:/disk/%s</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent>"
                  "<rasd:ResourceType>17</rasd:ResourceType></Item>" % disk_id) if disk_id else ""
    return ("<VirtualHardwareSection><Info>Virtual hardware</Info><System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName>"
            "<vssd:InstanceID>0</vssd:InstanceID><vssd:VirtualSystemType>%s</vssd:VirtualSystemType></System>"
            "<Item><rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits><rasd:ElementName>1 CPU</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID>"
            "<rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>"
            "<Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>Memory</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID>"
            "<rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>512</rasd:VirtualQuantity></Item>%s</VirtualHardwareSection>") % (family, disk_items)


APPLIANCE = ENVELOPE % (
    '<References><File ovf:href="appliance-disk1.vmdk" ovf:id="file1" ovf:size="104857600"/><File ovf:href="appliance.iso" ovf:id="file2" ovf:size="2048"/></References>'
    '<DiskSection><Info>Disks</Info><Disk ovf:capacity="2" ovf:capacityAllocationUnits="byte * 2^30" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:populatedSize="314572800"/></DiskSection>'
    '<NetworkSection><Info>Networks</Info><Network ovf:name="Management"><Description>The management network</Description></Network>'
    '<Network ovf:name="Data"><Description>Traffic</Description></Network></NetworkSection>'
    '<DeploymentOptionSection><Info>Sizes</Info><Configuration ovf:id="small"><Label>Small</Label><Description>For a lab</Description></Configuration>'
    '<Configuration ovf:default="true" ovf:id="large"><Label>Large</Label><Description>For production</Description></Configuration></DeploymentOptionSection>'
    '<VirtualSystem ovf:id="appliance-vm"><Info>An appliance</Info><Name>Appliance</Name>'
    '<AnnotationSection><Info>Notes</Info><Annotation>Deploy me</Annotation></AnnotationSection>'
    '<ProductSection ovf:class="com.example.app" ovf:instance="1"><Info>Product</Info><Product>Example Appliance</Product><Vendor>Example Inc.</Vendor>'
    '<Version>2.1</Version><FullVersion>2.1.0-4711</FullVersion><ProductUrl>https://example.com/app</ProductUrl><VendorUrl>https://example.com</VendorUrl>'
    '<AppUrl>https://${vami.ip0.Appliance}/</AppUrl>'
    '<Category>Networking</Category>'
    '<Property ovf:key="hostname" ovf:qualifiers="MinLen(1) MaxLen(64)" ovf:type="string" ovf:userConfigurable="true" ovf:value="app01">'
    '<Label>Host name</Label><Description>The appliance host name</Description></Property>'
    '<Property ovf:key="ip0" ovf:type="string" ovf:userConfigurable="true" vmw:qualifiers="Ip"><Label>IP address</Label></Property>'
    '<Property ovf:key="mode" ovf:qualifiers="ValueMap{&quot;dhcp&quot;,&quot;static&quot;}" ovf:type="string" ovf:userConfigurable="true" ovf:value="dhcp"/>'
    '<Category>Application</Category>'
    '<Property ovf:key="root_password" ovf:password="true" ovf:type="string" ovf:userConfigurable="true"><Label>Root password</Label></Property>'
    '<Property ovf:key="ssh" ovf:type="boolean" ovf:userConfigurable="true" ovf:value="false"/>'
    '<Property ovf:key="workers" ovf:qualifiers="MinValue(1) MaxValue(16)" ovf:type="uint16" ovf:userConfigurable="true" ovf:value="8">'
    '<Value ovf:configuration="small" ovf:value="2"/></Property>'
    '<Property ovf:key="build" ovf:type="string" ovf:value="4711"/>'
    '</ProductSection>'
    '<EulaSection><Info>License</Info><License>Use at your own risk.</License></EulaSection>'
    '<vmw:IpAssignmentSection ovf:required="false" vmw:protocols="IPv4,IPv6" vmw:schemes="ovfenv,dhcp"><Info>IP assignment</Info></vmw:IpAssignmentSection>'
    '%s</VirtualSystem>' % hardware("vmx-10", "vmdisk1"))
out["appliance"] = parse(APPLIANCE)
small = parse(APPLIANCE, "small")
out["applianceSmall"] = [small["defaultOption"], [p[3:4] + p[8:9] for p in small["property"]], small["error"]]
huge = parse(APPLIANCE, "huge")
out["applianceHuge"] = [huge["defaultOption"], huge["error"]]
out["applianceOnHost"] = validate(APPLIANCE)

# ---- a vApp: a collection with a VM and a nested collection ----
VAPP = ENVELOPE % (
    '<References/><NetworkSection><Info>Networks</Info><Network ovf:name="VM Network"><Description>Front end</Description></Network></NetworkSection>'
    '<VirtualSystemCollection ovf:id="shop"><Info>A vApp</Info><Name>Shop</Name>'
    '<EulaSection><Info>License</Info><License>Shop license</License></EulaSection>'
    '<VirtualSystem ovf:id="web"><Info>VM</Info><Name>Web server</Name>%s</VirtualSystem>'
    '<VirtualSystemCollection ovf:id="backend"><Info>Tier</Info><Name>Backend</Name>'
    '<VirtualSystem ovf:id="db"><Info>VM</Info><EulaSection><Info>License</Info><License>Database license</License></EulaSection>%s</VirtualSystem>'
    '</VirtualSystemCollection></VirtualSystemCollection>' % (hardware("vmx-08"), hardware("vmx-07 vmx-13")))
out["vapp"] = parse(VAPP)
out["vappOnHost"] = validate(VAPP)

# ---- what a host cannot run, and sections nobody knows ----
NEW_HW = ENVELOPE % ('<VirtualSystem ovf:id="new-vm"><Info>VM</Info>%s</VirtualSystem>' % hardware("vmx-13"))
out["newHardware"] = [parse(NEW_HW)["error"], validate(NEW_HW)["error"]]
out["eitherHardware"] = validate(ENVELOPE % ('<VirtualSystem ovf:id="vm"><Info>VM</Info>%s</VirtualSystem>' % hardware("vmx-07 vmx-13")))["error"]
UNKNOWN = ENVELOPE % ('<VirtualSystem ovf:id="vm"><Info>VM</Info>'
                      '<vmw:FancySection ovf:required="false"><Info>Optional extras</Info></vmw:FancySection>'
                      '<QuantumSection><Info>Needs a quantum host</Info></QuantumSection>%s</VirtualSystem>' % hardware("vmx-09"))
unknown = parse(UNKNOWN)
out["unknownSections"] = [unknown["error"], unknown["warning"], validate(UNKNOWN)["error"]]
BAD_TYPE = ENVELOPE % ('<VirtualSystem ovf:id="vm"><Info>VM</Info><ProductSection><Info>P</Info>'
                       '<Property ovf:key="when" ovf:type="datetime" ovf:value="now"/><Property ovf:key="ok" ovf:type="string"/></ProductSection>%s</VirtualSystem>' % hardware("vmx-09"))
bad_type = parse(BAD_TYPE)
out["badPropertyType"] = [bad_type["error"], [p[3] for p in bad_type["property"]]]

# ---- malformed descriptors: errors in the result, no fault ----
out["malformed"] = {
    "notXml": parse("<Envelope>\n<VirtualSystem>\n</Envelope>")["error"],
    "wrongRoot": parse('<Package xmlns="http://schemas.dmtf.org/ovf/envelope/1"/>')["error"],
    "wrongNamespace": parse('<Envelope xmlns="http://example.com/not-ovf"><VirtualSystem/></Envelope>')["error"],
    "noVirtualSystem": parse(ENVELOPE % "<References/>")["error"],
    "noHardware": parse(ENVELOPE % '<VirtualSystem ovf:id="vm"><Info>VM</Info></VirtualSystem>')["error"],
    "empty": parse("")["error"],
    "onHost": validate("<Envelope>\n<VirtualSystem>\n</Envelope>")["error"],
}
out["noSuchHost"] = attempt(lambda: ovf.ValidateHost(APPLIANCE, vim.HostSystem("host-nonexistent", si._stub), vim.OvfManager.ValidateHostParams()))

print(json.dumps(out))
