#!/usr/bin/python3
"""pyVmomi keeps guest customization specs in vCenter's library, as
Terraform, Ansible and PowerCLI do: create, read, overwrite (and a stale
overwrite refused), duplicate, rename, delete. Prints one JSON object.
Usage: pyvmomi_customization_specs.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
csm = content.customizationSpecManager


def linux(domain):
    return vim.vm.customization.Specification(
        identity=vim.vm.customization.LinuxPrep(hostName=vim.vm.customization.VirtualMachineNameGenerator(), domain=domain, timeZone="Etc/UTC"),
        globalIPSettings=vim.vm.customization.GlobalIPSettings(dnsServerList=["10.0.0.53"]),
        nicSettingMap=[vim.vm.customization.AdapterMapping(adapter=vim.vm.customization.IPSettings(ip=vim.vm.customization.DhcpIpGenerator()))])


item = vim.CustomizationSpecItem(info=vim.CustomizationSpecInfo(name="linux-dhcp", description="DHCP on every NIC", type="Linux"), spec=linux("example.com"))
csm.CreateCustomizationSpec(item)
out["exists"] = [csm.DoesCustomizationSpecExist("linux-dhcp"), csm.DoesCustomizationSpecExist("nope")]
got = csm.GetCustomizationSpec("linux-dhcp")
out["got"] = [got.info.name, got.info.type, got.spec.identity.domain, type(got.spec.identity.hostName).__name__.split(".")[-1], list(got.spec.globalIPSettings.dnsServerList)]
out["again"] = attempt(lambda: csm.CreateCustomizationSpec(item))
stale = csm.GetCustomizationSpec("linux-dhcp")
got.spec.identity.domain = "example.org"
csm.OverwriteCustomizationSpec(got)
stale.spec.identity.domain = "example.net"
out["stale"] = attempt(lambda: csm.OverwriteCustomizationSpec(stale))
out["domain"] = csm.GetCustomizationSpec("linux-dhcp").spec.identity.domain
csm.DuplicateCustomizationSpec("linux-dhcp", "linux-copy")
csm.RenameCustomizationSpec("linux-copy", "linux-renamed")
out["names"] = [i.name for i in csm.info]
out["renamedDomain"] = csm.GetCustomizationSpec("linux-renamed").spec.identity.domain
csm.DeleteCustomizationSpec("linux-dhcp")
out["afterDelete"] = [i.name for i in csm.info]
out["missing"] = [attempt(lambda: csm.GetCustomizationSpec("linux-dhcp")), attempt(lambda: csm.DeleteCustomizationSpec("linux-dhcp")),
                  attempt(lambda: csm.RenameCustomizationSpec("linux-renamed", "linux-renamed"))]
out["encryptionKey"] = len(csm.encryptionKey) > 0
Disconnect(si)
print(json.dumps(out))
