#!/usr/bin/python3
"""pyVmomi drives a host's vmkernel NICs, DNS and IP routes through
HostNetworkSystem the way Ansible's community.vmware modules
(vmware_vmkernel, vmware_dns_config, vmware_host_dns) and govc
(host.vnic.*, host.esxcli network ip) do: AddVirtualNic, UpdateVirtualNic,
RemoveVirtualNic, UpdateDnsConfig, UpdateIpRouteConfig and
UpdateIpRouteTableConfig, read back from networkInfo and the host's
config.network; HostVirtualNicManager sees the NICs come and go; the faults;
a vmk on a distributed port on vCenter; /_sim/reset brings it all back.
Prints one JSON object.
Usage: pyvmomi_host_vmknics.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
vc = content.about.apiType == "VirtualCenter"
out = {}

hosts = session.hosts()
host = hosts[0]
ns, nm = host.configManager.networkSystem, host.configManager.virtualNicManager
mgmt_ip = host.config.network.vnic[0].spec.ip.ipAddress
gw_mgmt = mgmt_ip.rsplit(".", 1)[0] + ".254"


def ip(addr, mask="255.255.255.0"):
    return vim.host.IpConfig(dhcp=False, ipAddress=addr, subnetMask=mask)


def spec(addr=None, mask="255.255.255.0", mtu=None, dhcp=False, mac=None):
    s = vim.host.VirtualNic.Specification(ip=vim.host.IpConfig(dhcp=True) if dhcp else ip(addr, mask))
    if mtu is not None:
        s.mtu = mtu
    if mac is not None:
        s.mac = mac
    return s


def vnics(h=host):
    return [[v.device, v.portgroup, v.spec.ip.dhcp, v.spec.ip.ipAddress, v.spec.ip.subnetMask, v.spec.mtu] for v in h.config.network.vnic]


def vnic(device):
    return next((v for v in ns.networkInfo.vnic if v.device == device), None)


def ports(pg):
    p = next(p for p in host.config.network.portgroup if p.spec.name == pg)
    return [[x.type, x.mac] for x in p.port]


def routes():
    return [[r.network, r.prefixLength, r.gateway, r.deviceName] for r in host.config.network.routeTableInfo.ipRoute]


def dns():
    d = host.config.network.dnsConfig
    return [d.dhcp, d.virtualNicDevice, d.hostName, d.domainName, list(d.address), list(d.searchDomain)]


def net_config(nic_type, info=None):
    c = next(c for c in (info or nm.info).netConfig if c.nicType == nic_type)
    return [[v.device for v in c.candidateVnic], list(c.selectedVnic)]


# ---- what a fresh host reports ----
out["fresh"] = {
    "vnics": vnics(),
    "mgmtPorts": [[t, m == [vnic("vmk0").spec.mac]] for t, m in ports("Management Network")],
    "dns": dns(),
    "routes": routes() == [["0.0.0.0", 0, mgmt_ip.rsplit(".", 1)[0] + ".1", "vmk0"], [mgmt_ip.rsplit(".", 1)[0] + ".0", 24, "0.0.0.0", "vmk0"]],
    "sameAsNetworkSystem": [v.device for v in ns.networkInfo.vnic] == [v.device for v in host.config.network.vnic],
}

# ---- AddVirtualNic on a standard port group ----
pg = vim.host.PortGroup.Specification(name="vMotion", vlanId=10, vswitchName="vSwitch0", policy=vim.host.NetworkPolicy())
ns.AddPortGroup(portgrp=pg)
ns.AddPortGroup(portgrp=vim.host.PortGroup.Specification(name="NFS", vlanId=20, vswitchName="vSwitch0", policy=vim.host.NetworkPolicy()))
dev = ns.AddVirtualNic(portgroup="vMotion", nic=spec("172.16.50.10", mtu=9000))
v1 = vnic(dev)
out["added"] = {
    "device": dev,
    "vnics": vnics(),
    "mac": v1.spec.mac[:9],
    "macUnique": v1.spec.mac != vnic("vmk0").spec.mac,
    "port": [[t for t, _ in ports("vMotion")], v1.port == "key-vim.host.PortGroup.Port-%d" % (int(vnic("vmk0").port.rsplit("-", 1)[1]) + 1)],
    "portMac": ports("vMotion")[0][1] == [v1.spec.mac],
    "routes": [r for r in routes() if r[0] == "172.16.50.0"],
    "candidates": net_config("vmotion"),
    "hostCandidates": net_config("vmotion", host.config.virtualNicManagerInfo),
}
out["addFaults"] = {
    "unknownPortgroup": attempt(lambda: ns.AddVirtualNic(portgroup="No Such PG", nic=spec("172.16.51.10"))),
    "portgroupHasVmk": attempt(lambda: ns.AddVirtualNic(portgroup="vMotion", nic=spec("172.16.51.10"))),
    "badIp": attempt(lambda: ns.AddVirtualNic(portgroup="NFS", nic=spec("172.16.51.300"))),
    "badMask": attempt(lambda: ns.AddVirtualNic(portgroup="NFS", nic=spec("172.16.51.10", mask="255.0.255.0"))),
    "mtuLow": attempt(lambda: ns.AddVirtualNic(portgroup="NFS", nic=spec("172.16.51.10", mtu=1000))),
    "mtuHigh": attempt(lambda: ns.AddVirtualNic(portgroup="NFS", nic=spec("172.16.51.10", mtu=9001))),
    "ipInUse": attempt(lambda: ns.AddVirtualNic(portgroup="NFS", nic=spec("172.16.50.10"))),
    "badMac": attempt(lambda: ns.AddVirtualNic(portgroup="NFS", nic=spec("172.16.51.10", mac="00:50:56:zz:00:01"))),
    "nothingAdded": [v[0] for v in vnics()],
}
dev2 = ns.AddVirtualNic(portgroup="NFS", nic=spec(dhcp=True))
out["dhcpNic"] = [dev2, vnics()[-1]]

# ---- the NIC manager selects the new NIC ----
out["select"] = [attempt(lambda: nm.SelectVnicForNicType(nicType="vmotion", device=dev)), net_config("vmotion"),
                 net_config("vmotion", host.config.virtualNicManagerInfo), host.summary.config.vmotionEnabled]

# ---- UpdateVirtualNic: address and MTU change, the MAC stays ----
mac_before = vnic(dev).spec.mac
steps = []
steps.append(["update", attempt(lambda: ns.UpdateVirtualNic(device=dev, nic=spec("172.16.60.10", mtu=1500, mac="00:50:56:01:02:03"))),
              vnics()[1], vnic(dev).spec.mac == mac_before])
steps.append(["routes", [r for r in routes() if r[3] == dev]])
steps.append(["unknown", attempt(lambda: ns.UpdateVirtualNic(device="vmk9", nic=spec("172.16.61.10")))])
steps.append(["badIp", attempt(lambda: ns.UpdateVirtualNic(device=dev, nic=spec("172.16.60")))])
steps.append(["badMask", attempt(lambda: ns.UpdateVirtualNic(device=dev, nic=spec("172.16.60.10", mask="255.255.255.1")))])
steps.append(["badMtu", attempt(lambda: ns.UpdateVirtualNic(device=dev, nic=vim.host.VirtualNic.Specification(mtu=70000)))])
steps.append(["ipOfVmk0", attempt(lambda: ns.UpdateVirtualNic(device=dev, nic=spec(mgmt_ip)))])
steps.append(["unchanged", vnics()[1]])
steps.append(["removePortgroup", attempt(lambda: ns.RemovePortGroup(pgName="vMotion"))])
out["updateSteps"] = steps

# ---- DNS ----
d = []
d.append(["set", attempt(lambda: ns.UpdateDnsConfig(config=vim.host.DnsConfig(
    dhcp=False, hostName="esx-lab", domainName="lab.local", address=["10.1.1.53", "10.1.1.54"], searchDomain=["lab.local", "example.com"]))), dns()])
d.append(["badAddress", attempt(lambda: ns.UpdateDnsConfig(config=vim.host.DnsConfig(dhcp=False, address=["10.1.1.999"]))), dns()[4]])
d.append(["badHostName", attempt(lambda: ns.UpdateDnsConfig(config=vim.host.DnsConfig(dhcp=False, hostName="bad_name!"))), dns()[2]])
d.append(["dhcpUnknownNic", attempt(lambda: ns.UpdateDnsConfig(config=vim.host.DnsConfig(dhcp=True, virtualNicDevice="vmk9")))])
d.append(["dhcpStaticNic", attempt(lambda: ns.UpdateDnsConfig(config=vim.host.DnsConfig(dhcp=True, virtualNicDevice=dev)))])
d.append(["dhcp", attempt(lambda: ns.UpdateDnsConfig(config=vim.host.DnsConfig(dhcp=True, virtualNicDevice=dev2))), dns()])
d.append(["static", attempt(lambda: ns.UpdateDnsConfig(config=vim.host.DnsConfig(dhcp=False, address=["10.1.1.53"]))), dns()])
d.append(["networkSystem", ns.networkInfo.dnsConfig.hostName])
out["dnsSteps"] = d

# ---- default gateway and static routes ----
r = []
r.append(["gateway", attempt(lambda: ns.UpdateIpRouteConfig(config=vim.host.IpRouteConfig(defaultGateway=gw_mgmt))),
          host.config.network.ipRouteConfig.defaultGateway, routes()[0]])
r.append(["unreachable", attempt(lambda: ns.UpdateIpRouteConfig(config=vim.host.IpRouteConfig(defaultGateway="8.8.8.8")))])
r.append(["badGateway", attempt(lambda: ns.UpdateIpRouteConfig(config=vim.host.IpRouteConfig(defaultGateway="300.1.1.1")))])
r.append(["badDevice", attempt(lambda: ns.UpdateIpRouteConfig(config=vim.host.IpRouteConfig(defaultGateway=gw_mgmt, gatewayDevice="vmk9")))])
r.append(["kept", host.config.network.ipRouteConfig.defaultGateway])


def route_op(op, network, prefix, gateway):
    return vim.host.IpRouteTableConfig(ipRoute=[vim.host.IpRouteOp(changeOperation=op, route=vim.host.IpRouteEntry(network=network, prefixLength=prefix, gateway=gateway))])


r.append(["add", attempt(lambda: ns.UpdateIpRouteTableConfig(config=route_op("add", "10.20.0.0", 16, "172.16.60.254"))), routes()[-1]])
r.append(["addAgain", attempt(lambda: ns.UpdateIpRouteTableConfig(config=route_op("add", "10.20.0.0", 16, "172.16.60.254")))])
r.append(["hostBits", attempt(lambda: ns.UpdateIpRouteTableConfig(config=route_op("add", "10.21.1.0", 16, "172.16.60.254")))])
r.append(["unreachable", attempt(lambda: ns.UpdateIpRouteTableConfig(config=route_op("add", "10.22.0.0", 16, "192.0.2.1")))])
r.append(["badOp", attempt(lambda: ns.UpdateIpRouteTableConfig(config=route_op("edit", "10.22.0.0", 16, "172.16.60.254")))])
r.append(["count", len(routes())])
r.append(["remove", attempt(lambda: ns.UpdateIpRouteTableConfig(config=route_op("remove", "10.20.0.0", 16, "172.16.60.254"))), len(routes())])
r.append(["removeAgain", attempt(lambda: ns.UpdateIpRouteTableConfig(config=route_op("remove", "10.20.0.0", 16, "172.16.60.254")))])
out["routeSteps"] = r

# ---- RemoveVirtualNic ----
rm = []
rm.append(["remove", attempt(lambda: ns.RemoveVirtualNic(device=dev)), [v[0] for v in vnics()], ports("vMotion")])
rm.append(["nicManager", net_config("vmotion"), net_config("vmotion", host.config.virtualNicManagerInfo), host.summary.config.vmotionEnabled])
rm.append(["routes", [x for x in routes() if x[3] == dev]])
rm.append(["removeAgain", attempt(lambda: ns.RemoveVirtualNic(device=dev))])
rm.append(["removePortgroup", attempt(lambda: ns.RemovePortGroup(pgName="vMotion"))])
# the lowest free number comes back, and the new NIC starts unselected
dev3 = ns.AddVirtualNic(portgroup="VM Network", nic=spec("172.16.70.10"))
rm.append(["reuse", dev3, net_config("vmotion")])
out["removeSteps"] = rm

# ---- a vmk on a distributed port (vCenter) ----
if vc:
    dvs = next(n for n in content.viewManager.CreateContainerView(content.rootFolder, [vim.DistributedVirtualSwitch], True).view)
    dvpg = next(p for p in dvs.portgroup if p.name == "dvpg-containers")
    conn = vim.dvs.PortConnection(switchUuid=dvs.uuid, portgroupKey=dvpg.key)
    dv = []
    dvdev = ns.AddVirtualNic(portgroup="", nic=vim.host.VirtualNic.Specification(ip=ip("172.16.80.10"), distributedVirtualPort=conn))
    dvnic = vnic(dvdev)
    port = dvnic.spec.distributedVirtualPort
    dv.append(["added", dvdev, dvnic.portgroup, port.switchUuid == dvs.uuid, port.portgroupKey == dvpg.key, port.portKey is not None])
    dv.append(["candidate", dvdev in net_config("vmotion")[0]])
    taken = port.portKey
    conn2 = vim.dvs.PortConnection(switchUuid=dvs.uuid, portgroupKey=dvpg.key, portKey=taken)
    dv.append(["portTaken", attempt(lambda: hosts[1].configManager.networkSystem.AddVirtualNic(portgroup="", nic=vim.host.VirtualNic.Specification(ip=ip("172.16.80.11"), distributedVirtualPort=conn2)))])
    bad = vim.dvs.PortConnection(switchUuid="00 11 22", portgroupKey=dvpg.key)
    dv.append(["unknownSwitch", attempt(lambda: ns.AddVirtualNic(portgroup="", nic=vim.host.VirtualNic.Specification(ip=ip("172.16.80.12"), distributedVirtualPort=bad)))])
    bad_pg = vim.dvs.PortConnection(switchUuid=dvs.uuid, portgroupKey="dvportgroup-999")
    dv.append(["unknownPortgroup", attempt(lambda: ns.AddVirtualNic(portgroup="", nic=vim.host.VirtualNic.Specification(ip=ip("172.16.80.12"), distributedVirtualPort=bad_pg)))])
    dv.append(["remove", attempt(lambda: ns.RemoveVirtualNic(device=dvdev)), dvdev in [v[0] for v in vnics()]])
    dv.append(["otherHost", vnics(hosts[1])])
    out["dvs"] = dv

# ---- /_sim/reset: everything above is undone; the session lives on ----
status = session.reset()
out["reset"] = {
    "status": status,
    "vnics": [v[0] for v in vnics()],
    "dns": dns() == out["fresh"]["dns"],
    "routes": len(routes()),
    "portgroups": sorted(p.spec.name for p in host.config.network.portgroup),
    "nicManager": net_config("vmotion"),
}
print(json.dumps(out))
