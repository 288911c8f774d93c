#!/usr/bin/python3
"""pyVmomi uses the rest of the first-class disk API as the vSphere CSI
driver and backup tools do: which VM disks an FCD backs
(RetrieveVStorageObjectAssociations), control flags, tags created over the
vAPI REST API and attached over SOAP, a disk made from a snapshot, a revert
(later snapshots go), policies; then the ServiceInstance's old vMotion
questions (QueryVMotionCompatibility, ValidateMigration), an instant clone
check, the VVol-only snapshot methods of VirtualDiskManager, and /_sim/reset
taking it all back. Prints one JSON object.
Usage: pyvmomi_fcd_more.py HOST PORT USER PASSWORD"""
import base64
import json
import sys
import urllib.request

from sim_session import Session, attempt, fault, wait  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
m = content.vStorageObjectManager
dc = content.rootFolder.childEntity[0]
shared = [d for d in dc.datastore if d.name == "shared-ds"][0]
cluster = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ClusterComputeResource)][0]
out = {}
NOID = vim.vslm.ID(id="00000000-0000-0000-0000-000000000000")


def rest(method, path, body=None, sid=None):
    headers = {"Content-Type": "application/json"}
    if sid:
        headers["vmware-api-session-id"] = sid
    else:
        headers["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % (sys.argv[3], sys.argv[4])).encode()).decode()
    req = urllib.request.Request("https://%s:%s%s" % (sys.argv[1], sys.argv[2], path), method=method, headers=headers,
                                 data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(req, context=session.ctx) as r:
        return json.loads(r.read() or b"null")


def create(name, mb=10):
    spec = vim.vslm.CreateSpec(name=name, capacityInMB=mb, backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=shared))
    return wait(m.CreateDisk_Task(spec)).config.id


a, b = create("disk-a"), create("disk-b")
vm = wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="worker", guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[shared-ds]"),
    deviceChange=[vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.ParaVirtualSCSIController(key=-1, busNumber=0, sharedBus="noSharing"))]),
    cluster.resourcePool, cluster.host[0]))
wait(vm.AttachDisk_Task(a, shared))
key = [d.key for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0]
assoc = m.RetrieveVStorageObjectAssociations([vim.vslm.vcenter.RetrieveVStorageObjSpec(id=i, datastore=shared) for i in (a, b, NOID)])
out["associations"] = [[x.id.id == i.id, [[d.vmId == vm._moId, d.diskKey == key] for d in x.vmDiskAssociations], type(x.fault).__name__.split(".")[-1] if x.fault else None]
                       for x, i in zip(assoc, (a, b, NOID))]

# control flags
def flags(i):
    c = m.RetrieveVStorageObject(i, shared).config
    return [c.keepAfterDeleteVm, c.relocationDisabled, c.changedBlockTrackingEnabled]


out["flags"] = [flags(b)]
m.SetVStorageObjectControlFlags(b, shared, ["enableChangedBlockTracking", "disableRelocation"])
out["flags"].append(flags(b))
m.ClearVStorageObjectControlFlags(b, shared, ["keepAfterDeleteVm", "disableRelocation"])
out["flags"].append(flags(b))
out["flagFaults"] = [attempt(lambda: m.SetVStorageObjectControlFlags(b, shared, ["bogus"])), attempt(lambda: m.SetVStorageObjectControlFlags(NOID, shared, ["keepAfterDeleteVm"]))]
m.SetVStorageObjectControlFlags(b, shared, ["disableRelocation"])
out["relocateDisabled"] = fault(m.RelocateVStorageObject_Task(b, shared, vim.vslm.RelocateSpec(backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=shared))))

# tags made over /rest, attached over SOAP
sid = rest("POST", "/rest/com/vmware/cis/session")["value"]
cat = rest("POST", "/rest/com/vmware/cis/tagging/category", {"create_spec": {"name": "k8s", "description": "", "cardinality": "MULTIPLE", "associable_types": []}}, sid)["value"]
for t in ("pv", "retain"):
    rest("POST", "/rest/com/vmware/cis/tagging/tag", {"create_spec": {"name": t, "description": "", "category_id": cat}}, sid)
m.AttachTagToVStorageObject(a, "k8s", "pv")
m.AttachTagToVStorageObject(a, "k8s", "retain")
m.AttachTagToVStorageObject(a, "k8s", "pv")
m.AttachTagToVStorageObject(b, "k8s", "pv")
tags = lambda i: sorted([t.parentCategoryName, t.tagName] for t in m.ListTagsAttachedToVStorageObject(i))
out["tags"] = {"a": tags(a), "onPv": sorted(i.id == a.id for i in m.ListVStorageObjectsAttachedToTag("k8s", "pv"))}
m.DetachTagFromVStorageObject(a, "k8s", "retain")
out["tags"]["afterDetach"] = tags(a)
out["tagFaults"] = [attempt(lambda: m.AttachTagToVStorageObject(a, "k8s", "nope")), attempt(lambda: m.AttachTagToVStorageObject(a, "nope", "pv")),
                    attempt(lambda: m.ListVStorageObjectsAttachedToTag("nope", "pv")), attempt(lambda: m.ListTagsAttachedToVStorageObject(NOID)),
                    attempt(lambda: m.DetachTagFromVStorageObject(a, "k8s", "retain"))]

# snapshots: a disk from one, a revert to the first (the second goes)
s1 = wait(m.VStorageObjectCreateSnapshot_Task(b, shared, "one"))
s2 = wait(m.VStorageObjectCreateSnapshot_Task(b, shared, "two"))
copy = wait(m.CreateDiskFromSnapshot_Task(b, shared, s1, "from-snap"))
out["fromSnapshot"] = [copy.config.name, copy.config.capacityInMB, copy.config.backing.parent is None, copy.config.id.id != b.id]
out["fromSnapshotFaults"] = [fault(m.CreateDiskFromSnapshot_Task(b, shared, NOID, "x")), fault(m.CreateDiskFromSnapshot_Task(NOID, shared, s1, "x"))]
wait(m.RevertVStorageObject_Task(b, shared, s1))
out["reverted"] = [[s.description for s in m.RetrieveSnapshotInfo(b, shared).snapshots], m.RetrieveVStorageObject(b, shared).config.backing.parent is not None]
out["revertFaults"] = [fault(m.RevertVStorageObject_Task(b, shared, s2)), fault(m.RevertVStorageObject_Task(a, shared, s1))]
sa = None
# policies
wait(m.UpdateVStorageObjectPolicy_Task(b, shared, [vim.vm.DefinedProfileSpec(profileId="gold")]))
wait(m.UpdateVStorageInfrastructureObjectPolicy_Task(vim.vslm.InfrastructureObjectPolicySpec(datastore=shared, profile=[vim.vm.DefinedProfileSpec(profileId="silver")])))
out["infraPolicy"] = [[p.name, p.profileId] for p in m.RetrieveVStorageInfrastructureObjectPolicy(shared)]
out["policyFault"] = fault(m.UpdateVStorageObjectPolicy_Task(NOID, shared, []))

# ServiceInstance: the old vMotion questions
hosts = sorted(cluster.host, key=lambda h: h.name)
compat = si.QueryVMotionCompatibility(vm, hosts, ["cpu", "software"])
out["vmotion"] = [[c.host.name, sorted(c.compatibility)] for c in compat]
out["vmotionFault"] = attempt(lambda: si.QueryVMotionCompatibility(vm, hosts, ["gpu"]))
out["validateOk"] = [type(e).__name__ for e in si.ValidateMigration([vm], host=hosts[1]) or []]
events = si.ValidateMigration([vm], state="poweredOn", host=hosts[1])
out["validateState"] = [[type(e).__name__.split(".")[-1], type(e.fault).__name__.split(".")[-1], e.vm.name, e.host.name] for e in events]
out["validateFaults"] = [attempt(lambda: si.ValidateMigration([vm], testType=["bogus"]))]

# instant clone check: the source must run
pc = content.vmProvisioningChecker
spec = vim.vm.InstantCloneSpec(name="ic", location=vim.vm.RelocateSpec())
off = wait(pc.CheckInstantClone_Task(vm, spec))
out["instantCloneOff"] = [[type(f).__name__.split(".")[-1] for f in r.error] for r in off]
wait(vm.PowerOnVM_Task())
on = wait(pc.CheckInstantClone_Task(vm, spec))
out["instantCloneOn"] = [[type(f).__name__.split(".")[-1] for f in r.error] for r in on]
out["instantCloneDup"] = [[type(f).__name__.split(".")[-1] for f in r.error] for r in wait(pc.CheckInstantClone_Task(vm, vim.vm.InstantCloneSpec(name="worker", location=vim.vm.RelocateSpec())))]

# VirtualDiskManager: VVol-only snapshot methods
vdm = content.virtualDiskManager
path = m.RetrieveVStorageObject(b, shared).config.backing.filePath
out["vvol"] = [attempt(lambda: vdm.ImportUnmanagedSnapshot(path, dc, "vvol-1")), attempt(lambda: vdm.ImportUnmanagedSnapshot(path, dc, "")),
               attempt(lambda: vdm.ImportUnmanagedSnapshot("[shared-ds] none.vmdk", dc, "vvol-1")), attempt(lambda: vdm.ReleaseManagedSnapshot(path, dc)),
               attempt(lambda: vdm.ReleaseManagedSnapshot("[shared-ds] none.vmdk", dc))]

out["reset"] = session.reset()
out["afterReset"] = [len(m.ListVStorageObject(shared)), len(m.RetrieveVStorageInfrastructureObjectPolicy(shared))]
print(json.dumps(out))
