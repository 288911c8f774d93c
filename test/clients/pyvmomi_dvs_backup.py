#!/usr/bin/python3
"""pyVmomi backs up and restores a distributed switch as PowerCLI's
Export-VDSwitch / New-VDSwitch -BackupPath do (DVSManagerExportEntity_Task,
DVSManagerImportEntity_Task, rollback from a backup), upgrades a switch's
version, merges one switch into another, re-syncs member hosts, and edits
NIOC v3 VM vNIC resource pools; the faults on the way, and /_sim/reset.
Prints one JSON object.
Usage: pyvmomi_dvs_backup.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, fault, wait  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim
from pyVmomi.VmomiSupport import binary

session = Session(sys.argv)
si, content = session.si, session.content
mgr = content.dvSwitchManager
dc = content.rootFolder.childEntity[0]
net = dc.networkFolder
out = {}


def switches():
    return sorted(s.name for s in net.childEntity if isinstance(s, vim.DistributedVirtualSwitch))


dvs = [s for s in net.childEntity if isinstance(s, vim.DistributedVirtualSwitch)][0]
pg = [p for p in dvs.portgroup if not p.config.uplink][0]
hosts = sorted(dvs.config.host and [m.config.host for m in dvs.config.host], key=lambda h: h.name)

backup = wait(mgr.DVSManagerExportEntity_Task([vim.dvs.DistributedVirtualSwitchSelection(dvsUuid=dvs.uuid)]))
pgBackup = wait(mgr.DVSManagerExportEntity_Task([vim.dvs.DistributedVirtualPortgroupSelection(dvsUuid=dvs.uuid, portgroupKey=[pg.key])]))
blob = json.loads(bytes(backup[0].configBlob).decode())
out["export"] = [[b.entityType, b.key == dvs.uuid, b.name, b.container == net] for b in backup] + [[pgBackup[0].entityType, pgBackup[0].key == pg.key, pgBackup[0].name]]
out["blob"] = [blob["format"], blob["version"], blob["switch"]["config"]["maxMtu"], sorted(g["config"]["name"] for g in blob["portgroups"] if not g["uplink"])]
out["exportFaults"] = [fault(mgr.DVSManagerExportEntity_Task([vim.dvs.DistributedVirtualSwitchSelection(dvsUuid="no-such")])),
                       fault(mgr.DVSManagerExportEntity_Task([vim.dvs.DistributedVirtualPortgroupSelection(dvsUuid=dvs.uuid, portgroupKey=["dvportgroup-999"])]))]

# change, then roll back from the backup, then import over the switch
wait(dvs.ReconfigureDvs_Task(vim.dvs.VmwareDistributedVirtualSwitch.ConfigSpec(configVersion=dvs.config.configVersion, maxMtu=9000)))
wait(pg.ReconfigureDVPortgroup_Task(vim.dvs.DistributedVirtualPortgroup.ConfigSpec(configVersion=pg.config.configVersion, numPorts=64)))
spec = wait(dvs.DVSRollback_Task(backup[0]))
out["rollback"] = [spec.maxMtu, spec.name]
pgSpec = wait(pg.DVPortgroupRollback_Task(pgBackup[0]))
out["pgRollback"] = [pgSpec.numPorts, pgSpec.name]
out["rollbackFaults"] = [fault(dvs.DVSRollback_Task(vim.dvs.EntityBackup.Config(entityType="distributedVirtualSwitch", configBlob=binary(b"garbage")))),
                         fault(pg.DVPortgroupRollback_Task(vim.dvs.EntityBackup.Config(entityType="distributedVirtualPortgroup", configBlob=binary(b"{}"))))]
res = wait(mgr.DVSManagerImportEntity_Task(backup, "applyToEntitySpecified"))
out["applied"] = [[s.name for s in res.distributedVirtualSwitch], dvs.config.maxMtu, pg.config.numPorts]

copy = vim.dvs.EntityBackup.Config(entityType="distributedVirtualSwitch", configBlob=backup[0].configBlob, name="dvs-copy", container=net)
out["importFaults"] = [fault(mgr.DVSManagerImportEntity_Task([copy], "createEntityWithNewIdentifier")),
                       fault(mgr.DVSManagerImportEntity_Task(backup, "createEntityWithOriginalIdentifier")),
                       fault(mgr.DVSManagerImportEntity_Task(backup, "bogus")),
                       fault(mgr.DVSManagerImportEntity_Task([vim.dvs.EntityBackup.Config(entityType="distributedVirtualSwitch", configBlob=binary(b"x"))], "applyToEntitySpecified"))]
pgCopy = vim.dvs.EntityBackup.Config(entityType="distributedVirtualPortgroup", configBlob=pgBackup[0].configBlob, name="pg-copy", container=dvs)
res = wait(mgr.DVSManagerImportEntity_Task([pgCopy], "createEntityWithNewIdentifier"))
out["pgImported"] = [[p.name, p.config.distributedVirtualSwitch == dvs] for p in res.distributedVirtualPortgroup]
out["pgImportAgain"] = fault(mgr.DVSManagerImportEntity_Task([pgCopy], "createEntityWithNewIdentifier"))

# a switch of an older version, upgraded, then merged into dvs1
spec = vim.DistributedVirtualSwitch.CreateSpec(configSpec=vim.dvs.VmwareDistributedVirtualSwitch.ConfigSpec(name="dvs-old",
    host=[vim.dvs.HostMember.ConfigSpec(operation="add", host=hosts[0])]), productInfo=vim.dvs.ProductSpec(version="6.0.0"))
old = wait(net.CreateDVS_Task(spec))
wait(old.AddDVPortgroup_Task([vim.dvs.DistributedVirtualPortgroup.ConfigSpec(name="old-pg", numPorts=4, type="earlyBinding")]))
out["upgradeFaults"] = [fault(old.PerformDvsProductSpecOperation_Task("preInstall", vim.dvs.ProductSpec(version="6.6.0"))),
                        fault(old.PerformDvsProductSpecOperation_Task("upgrade", vim.dvs.ProductSpec(version="9.9.9"))),
                        fault(old.PerformDvsProductSpecOperation_Task("upgrade"))]
wait(old.PerformDvsProductSpecOperation_Task("upgrade", vim.dvs.ProductSpec(version="6.6.0")))
out["upgraded"] = [old.summary.productInfo.version, old.config.productInfo.version, [m.productInfo.version for m in old.config.host]]
out["downgrade"] = fault(old.PerformDvsProductSpecOperation_Task("upgrade", vim.dvs.ProductSpec(version="6.0.0")))
out["mergeFaults"] = [fault(dvs.MergeDvs_Task(dvs))]
wait(dvs.MergeDvs_Task(old))
out["merged"] = [switches(), sorted(p.name for p in dvs.portgroup if not p.config.uplink)]

# re-sync member hosts; a host that is no member
lone = wait(net.CreateDVS_Task(vim.DistributedVirtualSwitch.CreateSpec(configSpec=vim.dvs.VmwareDistributedVirtualSwitch.ConfigSpec(name="lonely"))))
out["rectify"] = [fault(dvs.RectifyDvsHost_Task([hosts[0]])), fault(dvs.RectifyDvsHost_Task()), fault(lone.RectifyDvsHost_Task([hosts[0]])),
                  fault(mgr.RectifyDvsOnHost_Task(hosts))]
wait(lone.Destroy_Task())
out["rectifyOnHostNoSwitch"] = None

# NIOC v3 VM vNIC pools
P = vim.dvs.VmVnicNetworkResourcePool.ConfigSpec
A = vim.dvs.VmVnicNetworkResourcePool.ResourceAllocation
out["vnicV2"] = fault(dvs.DvsReconfigureVmVnicNetworkResourcePool_Task([P(operation="add", name="gold", allocationInfo=A(reservationQuota=100))]))
wait(dvs.ReconfigureDvs_Task(vim.dvs.VmwareDistributedVirtualSwitch.ConfigSpec(configVersion=dvs.config.configVersion, networkResourceControlVersion="version3")))
wait(dvs.DvsReconfigureVmVnicNetworkResourcePool_Task([P(operation="add", name="gold", allocationInfo=A(reservationQuota=100))]))
pool = dvs.config.vmVnicNetworkResourcePool[0]
wait(dvs.DvsReconfigureVmVnicNetworkResourcePool_Task([P(operation="edit", key=pool.key, configVersion=pool.configVersion, allocationInfo=A(reservationQuota=200))]))
out["vnicPools"] = [[p.name, p.allocationInfo.reservationQuota, p.configVersion] for p in dvs.config.vmVnicNetworkResourcePool]
out["vnicFaults"] = [fault(dvs.DvsReconfigureVmVnicNetworkResourcePool_Task([P(operation="add", name="gold")])),
                     fault(dvs.DvsReconfigureVmVnicNetworkResourcePool_Task([P(operation="edit", key="nope")])),
                     fault(dvs.DvsReconfigureVmVnicNetworkResourcePool_Task([P(operation="edit", key=pool.key, configVersion="1")]))]
wait(dvs.DvsReconfigureVmVnicNetworkResourcePool_Task([P(operation="remove", key=pool.key)]))
out["vnicRemoved"] = len(dvs.config.vmVnicNetworkResourcePool)

out["reset"] = session.reset()
dvs = [s for s in net.childEntity if isinstance(s, vim.DistributedVirtualSwitch)][0]
out["afterReset"] = [switches(), dvs.config.maxMtu, dvs.config.networkResourceControlVersion, sorted(p.name for p in dvs.portgroup if not p.config.uplink)]
print(json.dumps(out))
