#!/usr/bin/python3
"""pyVmomi builds a datastore cluster (StoragePod) the way Terraform's
vsphere_datastore_cluster and govc datastore.cluster.* do: CreateStoragePod
in the datastore folder, MoveIntoFolder_Task of datastores into it and out
again, ConfigureStorageDrsForPod_Task, then a VM placed by Storage DRS as
govc vm.create -datastore-cluster does it (RecommendDatastores, then
ApplyStorageDrsRecommendation_Task), with the faults on the way, and
Destroy_Task of the pod. Prints one JSON object.
Usage: pyvmomi_storage_pod.py HOST PORT USER PASSWORD  (a vCenter)"""
import json
import sys

from sim_session import Session, attempt, fault, wait  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
content = session.content
srm = content.storageResourceManager
dc = content.rootFolder.childEntity[0]
dsf = dc.datastoreFolder
by_name = {d.name: d for d in dc.datastore}
shared, local = by_name["shared-ds"], by_name["esx4-local"]
cluster = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ClusterComputeResource)][0]
standalone = [c for c in dc.hostFolder.childEntity if not isinstance(c, vim.ClusterComputeResource)][0]
out = {}


def sums(pod):
    kids = list(pod.childEntity)
    return [pod.summary.capacity == sum(d.summary.capacity for d in kids), pod.summary.freeSpace == sum(d.summary.freeSpace for d in kids)]


# the pod, and the names it may not take
pod = dsf.CreateStoragePod("pod1")
cfg = pod.podStorageDrsEntry.storageDrsConfig.podConfig
out["created"] = {"type": type(pod).__name__, "moref": pod._moId.startswith("group-p"), "name": pod.name, "childType": list(pod.childType),
                  "summary": [pod.summary.name, pod.summary.capacity, pod.summary.freeSpace], "inFolder": pod in dsf.childEntity,
                  "sdrs": [cfg.enabled, cfg.defaultVmBehavior]}
out["createFaults"] = [attempt(lambda: dsf.CreateStoragePod("pod1")), attempt(lambda: dsf.CreateStoragePod("a/b")),
                       attempt(lambda: dc.vmFolder.CreateStoragePod("pod2"))]

# datastores in; a folder is no datastore, and another datacenter's datastore may not come
wait(pod.MoveIntoFolder_Task([shared, local]))
out["moved"] = {"children": sorted(d.name for d in pod.childEntity), "parents": [shared.parent == pod, local.parent == pod],
                "dcStillLists": sorted(d.name for d in dc.datastore), "leftFolder": shared not in dsf.childEntity,
                "capacity": pod.summary.capacity, "sums": sums(pod)}
dc2 = content.rootFolder.CreateDatacenter("dc2")
try:
    wait(dc2.hostFolder.AddStandaloneHost_Task(vim.host.ConnectSpec(hostName="esx9.example.com", userName="root", password="pw"), None, True))
except vim.fault.SSLVerifyFault as e:
    wait(dc2.hostFolder.AddStandaloneHost_Task(vim.host.ConnectSpec(hostName="esx9.example.com", userName="root", password="pw", sslThumbprint=e.thumbprint), None, True))
out["moveFaults"] = [fault(pod.MoveIntoFolder_Task([dc.vmFolder])), fault(pod.MoveIntoFolder_Task([dc2.datastore[0]]))]


def create_spec(name, pool, host=None):
    disk = vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=vim.vm.device.VirtualDisk(
        key=-2, controllerKey=1000, unitNumber=0, capacityInKB=1024 * 1024,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(fileName="", diskMode="persistent", thinProvisioned=True)))
    scsi = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualLsiLogicController(key=1000, busNumber=0, sharedBus="noSharing"))
    config = vim.vm.ConfigSpec(name=name, guestId="otherGuest64", memoryMB=128, numCPUs=1, deviceChange=[scsi, disk])
    return vim.storageDrs.StoragePlacementSpec(type="create", resourcePool=pool, host=host, folder=dc.vmFolder, configSpec=config,
                                               podSelectionSpec=vim.storageDrs.PodSelectionSpec(storagePod=pod))


# Storage DRS starts off: placement is refused until it is configured
out["disabled"] = attempt(lambda: srm.RecommendDatastores(create_spec("sdrs-vm", cluster.resourcePool)))
spec = vim.storageDrs.ConfigSpec(podConfigSpec=vim.storageDrs.PodConfigSpec(enabled=True, defaultVmBehavior="automated", ioLoadBalanceEnabled=False,
                                 spaceLoadBalanceConfig=vim.storageDrs.SpaceLoadBalanceConfig(spaceUtilizationThreshold=70)))
wait(srm.ConfigureStorageDrsForPod_Task(pod, spec, True))
cfg = pod.podStorageDrsEntry.storageDrsConfig.podConfig
out["configured"] = [cfg.enabled, cfg.defaultVmBehavior, cfg.ioLoadBalanceEnabled, cfg.spaceLoadBalanceConfig.spaceUtilizationThreshold, cfg.loadBalanceInterval]
out["badBehavior"] = fault(srm.ConfigureStorageDrsForPod_Task(pod, vim.storageDrs.ConfigSpec(podConfigSpec=vim.storageDrs.PodConfigSpec(defaultVmBehavior="sometimes")), True))

# placement: the cluster's hosts mount only shared-ds; esx4 mounts both, and shared-ds has the most room
result = srm.RecommendDatastores(create_spec("sdrs-vm", cluster.resourcePool))
rec = result.recommendations[0]
action = rec.action[0]
out["recommendation"] = {"count": len(result.recommendations), "type": rec.type, "reason": rec.reason, "target": rec.target == pod,
                         "action": type(action).__name__, "destination": action.destination.name, "relocate": action.relocateSpec.datastore.name,
                         "utilGrows": action.spaceUtilAfter > action.spaceUtilBefore, "rating": rec.rating}
on_esx4 = srm.RecommendDatastores(create_spec("other-vm", standalone.resourcePool, standalone.host[0]))
out["esx4"] = [action.destination.name for r in on_esx4.recommendations for action in r.action]

# a cancelled recommendation cannot be applied; the other one is
srm.CancelStorageDrsRecommendation([on_esx4.recommendations[0].key])
out["applyCancelled"] = fault(srm.ApplyStorageDrsRecommendation_Task([on_esx4.recommendations[0].key]))
srm.RefreshStorageDrsRecommendation(pod)
applied = wait(srm.ApplyStorageDrsRecommendation_Task([rec.key]))
vm = applied.vm
status, body = session.folder("GET", "dc1", "shared-ds", "sdrs-vm/sdrs-vm.vmx")
out["vm"] = {"result": type(applied).__name__, "name": vm.name, "path": vm.config.files.vmPathName, "datastores": [d.name for d in vm.datastore],
             "host": vm.runtime.host.name in [h.name for h in cluster.host], "vmx": [status, b'displayName = "sdrs-vm"' in body],
             "disk": session.folder("HEAD", "dc1", "shared-ds", "sdrs-vm/sdrs-vm.vmdk")[0],
             "again": fault(srm.ApplyStorageDrsRecommendation_Task([rec.key])),
             "history": [type(h.action).__name__ for h in pod.podStorageDrsEntry.actionHistory], "sums": sums(pod)}

# placement faults
out["placementFaults"] = [attempt(lambda: srm.RecommendDatastores(vim.storageDrs.StoragePlacementSpec(type="create", configSpec=vim.vm.ConfigSpec(name="x"), podSelectionSpec=vim.storageDrs.PodSelectionSpec(storagePod=pod)))),
                          attempt(lambda: srm.RecommendDatastores(vim.storageDrs.StoragePlacementSpec(type="clone", podSelectionSpec=vim.storageDrs.PodSelectionSpec(storagePod=pod)))),
                          attempt(lambda: srm.RecommendDatastores(vim.storageDrs.StoragePlacementSpec(type="create", resourcePool=cluster.resourcePool, configSpec=vim.vm.ConfigSpec(name="x"), podSelectionSpec=vim.storageDrs.PodSelectionSpec())))]

# out again; the pod's figures follow
wait(dsf.MoveIntoFolder_Task([local]))
out["movedOut"] = {"children": [d.name for d in pod.childEntity], "parent": local.parent == dsf, "capacity": pod.summary.capacity == shared.summary.capacity, "sums": sums(pod)}

# destroying the pod gives its datastores back to its folder
wait(pod.Destroy_Task())
out["destroyed"] = {"sharedParent": shared.parent == dsf, "folder": sorted(c.name for c in dsf.childEntity),
                    "vmStillThere": vm.runtime.connectionState}
print(json.dumps(out))
