#!/usr/bin/python3
"""pyVmomi and a VM's vApp options, as Terraform's and Ansible's vapp
properties and govc import.ova -options use them: a VM created with
properties and the com.vmware.guestInfo transport, its properties edited,
added and removed by key (with the faults), ExtractOvfEnvironment, the OVF
environment in guestinfo.ovfEnv at power on (vCenter only: hostd writes
none), CreateImportSpec carrying an OVF's properties with a propertyMapping,
and vAppConfigRemoved. Prints one JSON object.
Usage: pyvmomi_vapp_options.py HOST PORT USER PASSWORD"""
import json
import re
import sys

from sim_session import Session, attempt, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
host, dc, ds, pool = session.placement()
net = [n for n in host.network if n.name == "VM Network"][0]
out = {}


def prop(op, key, id=None, value=None, default=None):
    return vim.vApp.PropertySpec(operation=op, info=vim.vApp.PropertyInfo(key=key, id=id, type="string" if id else None, value=value, defaultValue=default, userConfigurable=True if id else None))


nic = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualVmxnet3(
    key=-1, addressType="generated", backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName=net.name, network=net)))
options = vim.vApp.VmConfigSpec(
    product=[vim.vApp.ProductSpec(operation="add", info=vim.vApp.ProductInfo(key=0, name="Appliance", vendor="Example", version="1.0"))],
    property=[prop("add", 0, "hostname", default="appliance"), prop("add", 1, "ip", value="10.0.0.5")],
    ovfEnvironmentTransport=["com.vmware.guestInfo"])
vm = wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="appliance", guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name),
                                                      deviceChange=[nic], vAppConfig=options), pool))


def props(v):
    return [[p.key, p.id, p.value, p.defaultValue] for p in v.config.vAppConfig.property] if v.config.vAppConfig else None


out["created"] = {"props": props(vm), "transport": list(vm.config.vAppConfig.ovfEnvironmentTransport), "product": [p.name for p in vm.config.vAppConfig.product]}

reconfig = lambda *specs: wait(vm.ReconfigVM_Task(vim.vm.ConfigSpec(vAppConfig=vim.vApp.VmConfigSpec(property=list(specs)))))
reconfig(prop("edit", 0, value="web01"), prop("add", 2, "dns", value="10.0.0.2"), vim.vApp.PropertySpec(operation="remove", removeKey=1))
out["edited"] = props(vm)
out["faults"] = {"addTaken": attempt(lambda: reconfig(prop("add", 0, "again", value="x"))), "editMissing": attempt(lambda: reconfig(prop("edit", 9, value="x"))),
                 "removeMissing": attempt(lambda: reconfig(vim.vApp.PropertySpec(operation="remove", removeKey=9))), "unchanged": props(vm) == out["edited"]}

env = vm.ExtractOvfEnvironment()
mac = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)][0].macAddress
out["environment"] = {"properties": re.findall(r'<Property oe:key="([^"]*)" oe:value="([^"]*)"/>', env),
                      "adapter": re.findall(r'<ve:Adapter ve:mac="([^"]*)" ve:network="([^"]*)"', env) == [(mac, "VM Network")],
                      "vCenterId": re.findall(r've:vCenterId="([^"]*)"', env) == [vm._moId], "kind": "<Kind>VMware ESXi</Kind>" in env}
wait(vm.PowerOnVM_Task())
guestinfo = [o.value for o in vm.config.extraConfig if o.key == "guestinfo.ovfEnv"]
out["poweredOn"] = {"guestinfo": guestinfo == [env], "vmx": "guestinfo.ovfEnv" in session.vmx(vm, dc.name), "count": len(guestinfo)}
wait(vm.PowerOffVM_Task())

# an OVF's properties come into the import spec, with the values the mapping gives
ovf = """<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
 xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <References/>
  <VirtualSystem ovf:id="imported">
    <Info>A VM</Info>
    <Name>imported</Name>
    <ProductSection>
      <Info>Properties</Info>
      <Product>Imported appliance</Product>
      <Property ovf:key="hostname" ovf:type="string" ovf:userConfigurable="true" ovf:value="default-host"><Label>Host name</Label></Property>
      <Property ovf:key="port" ovf:type="uint16" ovf:userConfigurable="true" ovf:value="80"/>
    </ProductSection>
    <VirtualHardwareSection ovf:transport="com.vmware.guestInfo">
      <Info>Hardware</Info>
      <System><vssd:VirtualSystemType xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">vmx-11</vssd:VirtualSystemType></System>
      <Item><rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits><rasd:ElementName>1 CPU</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>128 MB</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>128</rasd:VirtualQuantity></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>"""
cisp = vim.OvfManager.CreateImportSpecParams(entityName="imported", propertyMapping=[vim.KeyValue(key="hostname", value="mapped-host"), vim.KeyValue(key="nope", value="x")])
result = content.ovfManager.CreateImportSpec(ovf, pool, ds, cisp)
spec = result.importSpec.configSpec
out["importSpec"] = {"errors": [type(e).__name__ for e in result.error or []], "warnings": [type(w).__name__.split(".")[-1] for w in result.warning or []],
                     "props": [[p.info.id, p.info.value, p.info.defaultValue, p.info.type] for p in spec.vAppConfig.property],
                     "transport": list(spec.vAppConfig.ovfEnvironmentTransport), "product": [p.info.name for p in spec.vAppConfig.product]}
imported = wait(dc.vmFolder.CreateVM_Task(spec, pool))
out["imported"] = props(imported)

vm.Reload()
out["afterReload"] = props(vm) == out["edited"]
wait(vm.ReconfigVM_Task(vim.vm.ConfigSpec(vAppConfigRemoved=True)))
out["removed"] = [vm.config.vAppConfig is None, vm.ExtractOvfEnvironment()]
Disconnect(si)
print(json.dumps(out))
