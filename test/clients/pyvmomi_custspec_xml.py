#!/usr/bin/python3
"""pyVmomi converts customization specs to and from the XML vCenter exports
them as, the way the vSphere Client's spec export/import and PowerCLI
scripts that copy specs between vCenters do: CustomizationSpecItemToXml of a
saved Linux spec and of a Windows (Sysprep) item, XmlToCustomizationSpecItem
back, compared field by field, the document's shape, an import under a new
name, malformed documents, and CheckCustomizationResources for Linux, new
and old Windows and guests customization does not know. Prints one JSON object.
Usage: pyvmomi_custspec_xml.py HOST PORT USER PASSWORD"""
import datetime
import json
import sys
import xml.etree.ElementTree as ET

from sim_session import Session, attempt  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
content = session.content
csm = content.customizationSpecManager
c = vim.vm.customization
out = {}


def plain(v):
    """A data object as nested [type, {field: value}] for comparing; times to the second, as the XML holds them."""
    if isinstance(v, datetime.datetime):
        return v.replace(microsecond=0).isoformat()
    if isinstance(v, list) or type(v).__name__.endswith("[]"):
        return [plain(x) for x in v]
    if hasattr(v, "_propList"):
        return [type(v).__name__, {p.name: plain(getattr(v, p.name)) for p in v._propList if getattr(v, p.name) is not None and getattr(v, p.name) != []}]
    return v


def differences(a, b, path=""):
    """The paths where two plain values differ."""
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and (len(a) != 2 or not isinstance(a[1], dict)):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, "%s[%d]" % (path, i))]
    if isinstance(a, list) and isinstance(b, list) and len(a) == 2 == len(b) and isinstance(a[1], dict) and isinstance(b[1], dict):
        if a[0] != b[0]:
            return [path + ":type"]
        keys = sorted(set(a[1]) | set(b[1]))
        return [d for k in keys for d in differences(a[1].get(k), b[1].get(k), path + "/" + k)]
    return [] if a == b else [path]


linux = c.Specification(
    options=c.LinuxOptions(),
    identity=c.LinuxPrep(hostName=c.FixedName(name="web01"), domain="example.com", timeZone="Europe/Berlin", hwClockUTC=True),
    globalIPSettings=c.GlobalIPSettings(dnsServerList=["10.0.0.53", "10.0.1.53"], dnsSuffixList=["example.com", "lab.example.com"]),
    nicSettingMap=[
        c.AdapterMapping(macAddress="00:50:56:00:00:01", adapter=c.IPSettings(
            ip=c.FixedIp(ipAddress="10.0.0.10"), subnetMask="255.255.255.0", gateway=["10.0.0.1"], dnsDomain="example.com",
            ipV6Spec=c.IPSettings.IpV6AddressSpec(ip=[c.FixedIpV6(ipAddress="fd00::10", subnetMask=64)], gateway=["fd00::1"]))),
        c.AdapterMapping(adapter=c.IPSettings(ip=c.DhcpIpGenerator())),
    ])
csm.CreateCustomizationSpec(vim.CustomizationSpecItem(info=vim.CustomizationSpecInfo(name="linux-web", description="Web servers & <friends>", type="Linux"), spec=linux))
saved = csm.GetCustomizationSpec("linux-web")
text = csm.CustomizationSpecItemToXml(saved)
back = csm.XmlToCustomizationSpecItem(text)
out["linux"] = {
    "differences": differences(plain(saved), plain(back)),
    "fields": [back.info.name, back.info.description, back.info.type, back.info.changeVersion == saved.info.changeVersion,
               type(back.spec.identity).__name__, back.spec.identity.hostName.name, back.spec.identity.hwClockUTC, back.spec.identity.timeZone,
               list(back.spec.globalIPSettings.dnsServerList), [type(m.adapter.ip).__name__ for m in back.spec.nicSettingMap],
               back.spec.nicSettingMap[0].adapter.ipV6Spec.ip[0].subnetMask, back.spec.nicSettingMap[1].macAddress],
}

root = ET.fromstring(text)
out["document"] = {
    "root": root.tag,
    "type": root.findtext("_type"),
    "children": [e.tag for e in root],
    "info": [e.tag for e in root.find("info")],
    "spec": [e.tag for e in root.find("spec")],
    "specType": root.findtext("spec/_type"),
    "identity": root.findtext("spec/identity/_type"),
    "hostName": [root.findtext("spec/identity/hostName/_type"), root.findtext("spec/identity/hostName/name")],
    "dns": [root.findtext("spec/globalIPSettings/dnsServerList/_length"), root.findtext("spec/globalIPSettings/dnsServerList/_type"),
            [[e.get("id"), e.text] for e in root.findall("spec/globalIPSettings/dnsServerList/e")]],
    "nics": [root.findtext("spec/nicSettingMap/_length"), root.findtext("spec/nicSettingMap/_type"),
             root.findtext("spec/nicSettingMap/e[@id='0']/_type"), root.findtext("spec/nicSettingMap/e[@id='0']/adapter/_type"),
             root.findtext("spec/nicSettingMap/e[@id='0']/adapter/ip/_type"), root.findtext("spec/nicSettingMap/e[@id='0']/adapter/ip/ipAddress"),
             [e.tag for e in root.find("spec/nicSettingMap/e[@id='0']/adapter")],
             root.findtext("spec/nicSettingMap/e[@id='1']/adapter/ip/_type")],
    "options": root.findtext("spec/options/_type"),
    "time": len(root.findtext("info/lastUpdateTime")) == 20 and root.findtext("info/lastUpdateTime").endswith("Z"),
}

# a Windows item that was never saved: Sysprep with every part, WINS, and a password
windows = vim.CustomizationSpecItem(
    info=vim.CustomizationSpecInfo(name="win-desktop", description="", type="Windows"),
    spec=c.Specification(
        options=c.WinOptions(changeSID=True, deleteAccounts=False, reboot="shutdown"),
        identity=c.Sysprep(
            guiUnattended=c.GuiUnattended(password=c.Password(value="S3cret!", plainText=True), timeZone=110, autoLogon=True, autoLogonCount=2),
            userData=c.UserData(fullName="Lab User", orgName="Example", computerName=c.PrefixNameGenerator(base="desk"), productId="XXXXX-XXXXX-XXXXX-XXXXX-XXXXX"),
            guiRunOnce=c.GuiRunOnce(commandList=["cmd /c echo one", "powershell -File C:\\setup.ps1"]),
            identification=c.Identification(joinWorkgroup="LAB"),
            licenseFilePrintData=c.LicenseFilePrintData(autoMode="perServer", autoUsers=5)),
        globalIPSettings=c.GlobalIPSettings(),
        nicSettingMap=[c.AdapterMapping(adapter=c.IPSettings(ip=c.DhcpIpGenerator(), primaryWINS="10.0.0.5", secondaryWINS="", netBIOS="enableNetBIOS"))],
        encryptionKey=[1, -2, 127]))
wtext = csm.CustomizationSpecItemToXml(windows)
wback = csm.XmlToCustomizationSpecItem(wtext)
wroot = ET.fromstring(wtext)
out["windows"] = {
    "differences": differences(plain(windows), plain(wback)),
    "fields": [wback.spec.identity.guiUnattended.password.value, wback.spec.identity.guiUnattended.timeZone, type(wback.spec.identity.userData.computerName).__name__,
               list(wback.spec.identity.guiRunOnce.commandList), wback.spec.identity.licenseFilePrintData.autoMode, wback.spec.options.reboot,
               wback.spec.nicSettingMap[0].adapter.secondaryWINS, list(wback.spec.encryptionKey), wback.info.changeVersion, wback.info.lastUpdateTime],
    "paths": [wroot.findtext("spec/identity/_type"), wroot.findtext("spec/identity/guiUnattended/password/_type"),
              wroot.findtext("spec/identity/userData/computerName/_type"), wroot.findtext("spec/identity/guiRunOnce/commandList/_type"),
              wroot.findtext("spec/encryptionKey/_type"), wroot.findtext("info/description"), wroot.find("info/changeVersion") is None,
              wroot.findtext("spec/nicSettingMap/e[@id='0']/adapter/secondaryWINS")],
}

# an exported document imported under another name, as a spec copied between vCenters
imported = csm.XmlToCustomizationSpecItem(text.replace("<name>linux-web</name>", "<name>linux-web-copy</name>"))
imported.info.changeVersion = None
out["import"] = [attempt(lambda: csm.CreateCustomizationSpec(imported)), csm.DoesCustomizationSpecExist("linux-web-copy"),
                 differences(plain(csm.GetCustomizationSpec("linux-web-copy").spec), plain(saved.spec))]

BAD = {
    "notXml": "<ConfigRoot><_type>vim.CustomizationSpecItem</_type>",
    "empty": "",
    "wrongRoot": "<Spec><_type>vim.CustomizationSpecItem</_type></Spec>",
    "wrongType": "<ConfigRoot><_type>vim.vm.customization.Specification</_type></ConfigRoot>",
    "unknownField": text.replace("<hwClockUTC>", "<hwClockUtc>true</hwClockUtc><hwClockUTC>"),
    "badBoolean": text.replace("<hwClockUTC>true</hwClockUTC>", "<hwClockUTC>maybe</hwClockUTC>"),
    "wrongIdentity": text.replace("<_type>vim.vm.customization.LinuxPrep</_type>", "<_type>vim.vm.customization.FixedIp</_type>"),
    "unknownType": text.replace("<_type>vim.vm.customization.FixedName</_type>", "<_type>vim.vm.customization.MagicName</_type>"),
    "missingName": text.replace("<name>linux-web</name>", ""),
    "badEnum": wtext.replace("<reboot>shutdown</reboot>", "<reboot>sometimes</reboot>"),
    "badNumber": wtext.replace("<timeZone>110</timeZone>", "<timeZone>CET</timeZone>"),
}
out["malformed"] = {k: attempt(lambda v=v: csm.XmlToCustomizationSpecItem(v)) for k, v in BAD.items()}
try:
    csm.XmlToCustomizationSpecItem(BAD["unknownField"])
    out["malformedMessage"] = None
except Exception as e:  # the fault pyVmomi raises is the answer
    out["malformedMessage"] = [getattr(e, "invalidProperty", None), "hwClockUtc" in (e.msg or "")]

GUESTS = ["ubuntu64Guest", "rhel7_64Guest", "otherLinux64Guest", "windows9_64Guest", "windows9Server64Guest", "winVistaGuest",
          "winXPProGuest", "winNetStandardGuest", "win2000ServGuest", "win98Guest", "winNTGuest", "darwin64Guest", "solaris11_64Guest", "otherGuest", "noSuchGuest"]
out["resources"] = {g: attempt(lambda g=g: csm.CheckCustomizationResources(g)) for g in GUESTS}

print(json.dumps(out))
