#!/usr/bin/python3
"""pyVmomi and distributed virtual ports on vCenter, as govc's
dvs.portgroup.info, Terraform's vSphere provider and PowerCLI's Get-VDPort
read them: port keys on the port groups, NICs on static groups bound to
ports (API and .vmx), FetchDVPorts with and without criteria, ports freed by
reconfigure, NIC removal and destroy, autoExpand, the full-group fault, and
ephemeral binding at power on. Prints one JSON object.
Usage: pyvmomi_dvports.py HOST PORT USER PASSWORD"""
import json
import re
import sys

from sim_session import Session, attempt, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
dc = content.rootFolder.childEntity[0]
cluster = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ClusterComputeResource)][0]
pool = cluster.resourcePool
dvs = [n for n in dc.networkFolder.childEntity if isinstance(n, vim.DistributedVirtualSwitch)][0]
pgs = {p.name: p for p in dvs.portgroup}
containers = pgs["dvpg-containers"]
uplink = [p for p in dvs.portgroup if p.config.uplink][0]


def add_pg(name, num, kind, auto):
    wait(dvs.AddDVPortgroup_Task([vim.dvs.DistributedVirtualPortgroup.ConfigSpec(name=name, numPorts=num, type=kind, autoExpand=auto)]))
    return [p for p in dvs.portgroup if p.name == name][0]


small = add_pg("small", 2, "earlyBinding", False)
elastic = add_pg("elastic", 1, "earlyBinding", True)
eph = add_pg("eph", 0, "ephemeral", False)
all_keys = [k for p in dvs.portgroup for k in (p.portKeys or [])]
out["keys"] = {
    "containers": [len(containers.portKeys), containers.portKeys[0], containers.portKeys[-1]],
    "uplinks": len(uplink.portKeys),
    "small": list(small.portKeys),
    "eph": list(eph.portKeys),
    "unique": len(all_keys) == len(set(all_keys)),
    "numeric": all(re.fullmatch(r"\d+", k) for k in all_keys),
    "elasticDefault": containers.config.autoExpand,
}


def nic_spec(pg, op="add", device=None):
    backing = vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
        port=vim.dvs.PortConnection(switchUuid=dvs.uuid, portgroupKey=pg.key))
    dev = device or vim.vm.device.VirtualVmxnet3(key=-1, connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, allowGuestControl=True))
    dev.backing = backing
    return vim.vm.device.VirtualDeviceSpec(operation=op, device=dev)


def create(name, pg):
    spec = vim.vm.ConfigSpec(name=name, guestId="otherGuest64", memoryMB=128, numCPUs=1,
                             files=vim.vm.FileInfo(vmPathName="[shared-ds]"), deviceChange=[nic_spec(pg)])
    return wait(dc.vmFolder.CreateVM_Task(spec, pool))


def nics(vm):
    return [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)]


def port_of(vm, i=0):
    return nics(vm)[i].backing.port.portKey


def vmx_port(vm):
    m = re.search(r'^ethernet0\.dvs\.portId = "([^"]*)"', session.vmx(vm, dc.name), re.M)
    return m.group(1) if m else None


vm1 = create("dvp-1", small)
vm2 = create("dvp-2", small)
p1, p2 = port_of(vm1), port_of(vm2)
out["bound"] = {
    "distinct": p1 != p2 and p1 in small.portKeys and p2 in small.portKeys,
    "cookies": all(nics(v)[0].backing.port.connectionCookie is not None for v in (vm1, vm2)),
    "vmx": [vmx_port(vm1) == p1, vmx_port(vm2) == p2],
}
out["full"] = attempt(lambda: create("dvp-3", small))
out["fullLeftNoVm"] = [v.name for v in dc.vmFolder.childEntity if v.name == "dvp-3"]

every = dvs.FetchDVPorts()
out["fetchAll"] = [len(every) == len(all_keys), sorted(p.key for p in every) == sorted(all_keys), dvs.config.numPorts == len(every), dvs.summary.numPorts == len(every)]
crit = vim.dvs.PortCriteria
connected = dvs.FetchDVPorts(crit(connected=True))
out["connected"] = sorted([p.key == port_of(p.connectee.connectedEntity), p.connectee.connectedEntity.name, p.connectee.type, p.connectee.nicKey == str(nics(p.connectee.connectedEntity)[0].key), p.portgroupKey == small.key, p.dvsUuid == dvs.uuid, p.proxyHost is not None, p.conflict] for p in connected)
out["inSmall"] = sorted((p.key, p.connectee is not None) for p in dvs.FetchDVPorts(crit(portgroupKey=[small.key], inside=True))) == sorted([(p1, True), (p2, True)])
out["byKey"] = [p.connectee.connectedEntity.name for p in dvs.FetchDVPorts(crit(portKey=[p2]))]
out["uplinkPorts"] = [len(dvs.FetchDVPorts(crit(uplinkPort=True))), len(dvs.FetchDVPorts(crit(uplinkPort=False))) == len(all_keys) - len(uplink.portKeys)]
out["activeOff"] = len(dvs.FetchDVPorts(crit(active=True)))

# moving vm1's NIC to another group frees its port: the third VM fits now
nic = nics(vm1)[0]
wait(vm1.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[nic_spec(elastic, "edit", nic)])))
vm3 = create("dvp-3", small)
out["moved"] = [port_of(vm1) in elastic.portKeys, port_of(vm3) == p1, vmx_port(vm1) == port_of(vm1)]

# elastic is full (one port, vm1's): a second NIC grows it
before = elastic.config.numPorts
wait(vm2.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[nic_spec(elastic)])))
out["expanded"] = [before, elastic.config.numPorts, len(elastic.portKeys), port_of(vm2, 1) in elastic.portKeys, port_of(vm2, 1) != port_of(vm1)]

# removing the NIC frees its port
wait(vm2.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[vim.vm.device.VirtualDeviceSpec(operation="remove", device=nics(vm2)[1])])))
out["removed"] = len(dvs.FetchDVPorts(crit(connected=True, portgroupKey=[elastic.key])))

# destroying a VM frees its port
wait(vm3.Destroy_Task())
out["destroyed"] = sorted(p.connectee is not None for p in dvs.FetchDVPorts(crit(portKey=[p1, p2])))

# a clone gets a port of its own
clone = wait(vm1.CloneVM_Task(dc.vmFolder, "dvp-clone", vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=pool))))
out["clone"] = [port_of(clone) != port_of(vm1), port_of(clone) in elastic.portKeys]

# ephemeral: a port exists while the VM runs
vm4 = create("dvp-eph", eph)
out["eph"] = [port_of(vm4), list(eph.portKeys)]
wait(vm4.PowerOnVM_Task())
on_key = port_of(vm4)
active = dvs.FetchDVPorts(crit(active=True))
out["ephOn"] = [on_key is not None, list(eph.portKeys) == [on_key], [p.key for p in active] == [on_key], active[0].state.runtimeInfo.linkUp if active else None]
wait(vm4.PowerOffVM_Task())
out["ephOff"] = [port_of(vm4), list(eph.portKeys), len(dvs.FetchDVPorts(crit(portgroupKey=[eph.key])))]
# a shrink the used ports forbid refuses the whole spec: name, description and version stay
small_before = [small.name, small.config.description, small.config.configVersion, small.config.numPorts]
out["full2"] = attempt(lambda: wait(small.ReconfigureDVPortgroup_Task(vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
    configVersion=small.config.configVersion, numPorts=0, name="small-renamed", description="changed"))))
out["full2Unchanged"] = [small.name, small.config.description, small.config.configVersion, small.config.numPorts] == small_before
Disconnect(si)
print(json.dumps(out))
