#!/usr/bin/python3
"""pyVmomi: a vmkernel NIC on a distributed port holds that port, as
Ansible's vmware_vmkernel (on a dvPortgroup) and govc host.vnic.service
leave it: a new switch with the cluster's hosts, AddVirtualNic on a static
group, then a VM NIC on the same group gets another port, the group cannot
shrink below the vmk's port, the port cannot be removed, FetchDVPorts shows
the vmk as a hostVmknic connectee, MoveDVPort_Task takes the vmk along, and
RemoveVirtualNic lets the port go; /_sim/reset brings it all back.
Prints one JSON object.
Usage: pyvmomi_vmk_dvports.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, fault, wait  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
dc = content.rootFolder.childEntity[0]
cluster = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ClusterComputeResource)][0]
hosts = sorted(cluster.host, key=lambda h: h.name)
host = hosts[0]
ns = host.configManager.networkSystem


# ---- a switch of the cluster's hosts, with a static group of two ports ----
members = [vim.dvs.HostMember.ConfigSpec(operation="add", host=h) for h in hosts]
cfg = vim.DistributedVirtualSwitch.ConfigSpec(name="dvs-vmk", host=members)
dvs = wait(dc.networkFolder.CreateDVS_Task(vim.DistributedVirtualSwitch.CreateSpec(configSpec=cfg)))
live = vim.dvs.VmwareDistributedVirtualSwitch.VMwarePortgroupPolicy(
    blockOverrideAllowed=True, shapingOverrideAllowed=False, vendorConfigOverrideAllowed=False,
    livePortMovingAllowed=True, portConfigResetAtDisconnect=True)
wait(dvs.AddDVPortgroup_Task([
    vim.dvs.DistributedVirtualPortgroup.ConfigSpec(name="vmk-pg", numPorts=2, type="earlyBinding", autoExpand=False, policy=live),
    vim.dvs.DistributedVirtualPortgroup.ConfigSpec(name="vmk-pg2", numPorts=1, type="earlyBinding", autoExpand=False, policy=live),
]))
pg = [p for p in dvs.portgroup if p.name == "vmk-pg"][0]
pg2 = [p for p in dvs.portgroup if p.name == "vmk-pg2"][0]
keys = list(pg.portKeys)
out["switch"] = {"hosts": len(dvs.config.host), "ports": len(keys)}

# ---- the vmk takes the group's first port ----
conn = vim.dvs.PortConnection(switchUuid=dvs.uuid, portgroupKey=pg.key)
ip = vim.host.IpConfig(dhcp=False, ipAddress="172.16.90.10", subnetMask="255.255.255.0")
vmk = ns.AddVirtualNic(portgroup="", nic=vim.host.VirtualNic.Specification(ip=ip, distributedVirtualPort=conn))
vmk_port = next(v for v in ns.networkInfo.vnic if v.device == vmk).spec.distributedVirtualPort.portKey
out["vmk"] = [vmk, vmk_port == keys[0]]


def vm_on(name, group):
    backing = vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(port=vim.dvs.PortConnection(switchUuid=dvs.uuid, portgroupKey=group.key))
    nic = vim.vm.device.VirtualVmxnet3(key=-1, backing=backing, connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True))
    spec = vim.vm.ConfigSpec(name=name, guestId="otherGuest64", memoryMB=128, numCPUs=1, files=vim.vm.FileInfo(vmPathName="[shared-ds]"),
                             deviceChange=[vim.vm.device.VirtualDeviceSpec(operation="add", device=nic)])
    return dc.vmFolder.CreateVM_Task(spec, cluster.resourcePool, host)


def port_of(vm):
    return next(d.backing.port.portKey for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard))


# ---- a VM NIC on the same static group gets the other port; a third has none left ----
vm1 = wait(vm_on("vmk-neighbour", pg))
out["vmNic"] = [port_of(vm1) == keys[1], port_of(vm1) != vmk_port]
out["groupFull"] = fault(vm_on("vmk-third", pg))

# ---- the group cannot shrink below its two held ports; the vmk's port cannot be removed ----
spec = vim.dvs.DistributedVirtualPortgroup.ConfigSpec(configVersion=pg.config.configVersion, numPorts=1)
out["shrink"] = [fault(pg.ReconfigureDVPortgroup_Task(spec)), len(pg.portKeys)]
out["removePort"] = fault(dvs.ReconfigureDVPort_Task([vim.dvs.DistributedVirtualPort.ConfigSpec(operation="remove", key=vmk_port)]))


def connectees(criteria):
    return [[p.key == vmk_port, p.connectee.type, p.connectee.nicKey, p.connectee.connectedEntity.name, p.proxyHost.name,
             p.connectionCookie is not None, p.state.runtimeInfo.linkUp] for p in dvs.FetchDVPorts(criteria) if p.connectee]


out["fetch"] = {
    "connected": connectees(vim.dvs.PortCriteria(connected=True, portgroupKey=[pg.key], inside=True)),
    "vmkMac": next(p.state.runtimeInfo.macAddress for p in dvs.FetchDVPorts(vim.dvs.PortCriteria(portKey=[vmk_port]))) == next(v.spec.mac for v in ns.networkInfo.vnic if v.device == vmk),
    "free": len(dvs.FetchDVPorts(vim.dvs.PortCriteria(connected=False, portgroupKey=[pg.key], inside=True))),
}

# ---- MoveDVPort_Task: the vmk goes with its port ----
out["move"] = [fault(dvs.MoveDVPort_Task(portKey=[vmk_port], destinationPortgroupKey=pg2.key)),
               next(v for v in ns.networkInfo.vnic if v.device == vmk).spec.distributedVirtualPort.portgroupKey == pg2.key,
               connectees(vim.dvs.PortCriteria(connected=True, portgroupKey=[pg2.key], inside=True))]
out["moveBack"] = fault(dvs.MoveDVPort_Task(portKey=[vmk_port], destinationPortgroupKey=pg.key))

# ---- RemoveVirtualNic lets the port go: a VM may take it ----
ns.RemoveVirtualNic(vmk)
vm2 = wait(vm_on("vmk-after", pg))
out["afterRemove"] = [port_of(vm2) == vmk_port, connectees(vim.dvs.PortCriteria(connected=True, portgroupKey=[pg.key], inside=True))[0][1]]

# ---- /_sim/reset ----
out["reset"] = session.reset()
out["afterReset"] = [sorted(n.name for n in dc.networkFolder.childEntity if isinstance(n, vim.DistributedVirtualSwitch)), [v.device for v in ns.networkInfo.vnic]]
print(json.dumps(out))
