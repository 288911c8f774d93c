#!/usr/bin/python3
"""pyVmomi asks a DRS cluster where a VM should go (ClusterComputeResource.
PlaceVm, as govc vm.create -cluster and provisioning tools do), creates the
VM where it is told, and sees placement leave out hosts that cannot take a
VM (maintenance mode, disconnected), for PlaceVm and for CreateVM_Task
without a host. Prints one JSON object.
Usage: pyvmomi_placement.py HOST PORT USER PASSWORD  (a vCenter)"""
import json
import sys

from sim_session import Session, attempt, wait  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
content = session.content
dc = content.rootFolder.childEntity[0]
cluster = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ClusterComputeResource)][0]
esx1, esx2, esx3 = sorted(cluster.host, key=lambda h: h.name)
out = {}


def config(name, mb=256):
    return vim.vm.ConfigSpec(name=name, guestId="otherGuest64", memoryMB=mb, files=vim.vm.FileInfo(vmPathName="[shared-ds]"))


def place(**kw):
    return cluster.PlaceVm(vim.cluster.PlacementSpec(**kw))


def where(result):
    rec = result.recommendations[0]
    action = rec.action[0]
    return {"host": action.targetHost.name, "datastore": action.relocateSpec.datastore.name, "pool": action.relocateSpec.pool == cluster.resourcePool}


first = place(placementType="create", configSpec=config("placed-1"))
rec = first.recommendations[0]
out["recommendation"] = [rec.type, rec.reason, rec.target == cluster, type(rec.action[0]).__name__, len(first.recommendations)]
out["first"] = where(first)

# the VM goes where it was told and runs there: the next placement prefers a host with more memory left
action = rec.action[0]
big = wait(dc.vmFolder.CreateVM_Task(config("placed-1", 96 * 1024), action.relocateSpec.pool, action.targetHost))
wait(big.PowerOnVM_Task())
out["bigRunsOn"] = big.runtime.host.name
second = where(place(placementType="create", configSpec=config("placed-2")))
out["secondAvoidsBusyHost"] = second["host"] != out["bigRunsOn"]

# hosts that cannot take a VM are left out
wait(big.PowerOffVM_Task())
wait(esx1.EnterMaintenanceMode_Task(0))
wait(esx2.DisconnectHost_Task())
out["withMaintenanceAndDisconnected"] = where(place(placementType="create", configSpec=config("placed-3")))["host"]
nowhere = place(placementType="create", configSpec=config("placed-4"), hosts=[esx1, esx2])
out["nowhere"] = [nowhere.recommendations, nowhere.drsFault.reason, [type(f).__name__ for f in nowhere.drsFault.faultsByVm[0].fault]]
out["clusterDatastores"] = where(place(placementType="create", configSpec=vim.vm.ConfigSpec(name="any-ds", memoryMB=128, guestId="otherGuest64")))["datastore"]
# CreateVM_Task without a host lands on one that can run it
vm = wait(dc.vmFolder.CreateVM_Task(config("unplaced"), cluster.resourcePool))
out["createVmHost"] = vm.runtime.host.name
out["relocate"] = where(place(placementType="relocate", vm=vm))["host"]
out["reconfigureStays"] = where(place(placementType="reconfigure", vm=vm, configSpec=vim.vm.ConfigSpec(memoryMB=512)))["host"] == vm.runtime.host.name

out["badType"] = attempt(lambda: place(placementType="teleport", configSpec=config("x")))
out["relocateWithoutVm"] = attempt(lambda: place(placementType="relocate"))
out["createWithoutConfig"] = attempt(lambda: place(placementType="create"))
out["foreignHost"] = attempt(lambda: place(placementType="create", configSpec=config("x"), hosts=[[h for c in dc.hostFolder.childEntity for h in c.host if h.name == "esx4.example.com"][0]]))
wait(esx1.ExitMaintenanceMode_Task(0))
wait(esx2.ReconnectHost_Task())
print(json.dumps(out))
