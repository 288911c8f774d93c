#!/usr/bin/python3
"""pyVmomi and the smaller managers automation touches: ExtensionManager's
public keys, managed entities and IP allocation usage (vCenter),
AuthorizationManager.MergePermissions (vCenter 6.7, whose API has
HasUserPrivilegeOnEntities), FileManager.ChangeOwner,
DatastoreNamespaceManager on VMFS volumes, and
GuestOperationsManager.QueryGuestOperationsDisabledMethods (ESXi, given a
directory holding procs.iso and linux.iso), with their faults and
/_sim/reset bringing the new state back. Prints one JSON object.
Usage: pyvmomi_extensions_misc.py HOST PORT USER PASSWORD [ISO_DIR]"""
import json
import os
import sys

from sim_session import Session, attempt, until, wait  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import VmomiSupport, vim

session = Session(sys.argv)
si, content = session.si, session.content
vc = content.about.apiType == "VirtualCenter"
user = sys.argv[3]
dc = content.rootFolder.childEntity[0]
ds = sorted(dc.datastore, key=lambda d: d.name)[0] if not vc else [d for d in dc.datastore if d.name == "shared-ds"][0]
out = {}


def names(entities):
    return sorted(e.name for e in entities)


# ---- FileManager.ChangeOwner ----
fm = content.fileManager
dcarg = {"datacenter": dc}
fm.MakeDirectory("[%s] owned" % ds.name, **dcarg)
out["changeOwner"] = {
    "existing": attempt(lambda: fm.ChangeOwner("[%s] owned" % ds.name, owner="nobody", **dcarg)),
    "missing": attempt(lambda: fm.ChangeOwner("[%s] no-such-dir" % ds.name, owner="nobody", **dcarg)),
    "badDatastore": attempt(lambda: fm.ChangeOwner("[no-such-ds] x", owner="nobody", **dcarg)),
    "badPath": attempt(lambda: fm.ChangeOwner("no brackets", owner="nobody", **dcarg)),
    # vpxd needs the datacenter, hostd takes its one
    "noDatacenter": attempt(lambda: fm.ChangeOwner("[%s] owned" % ds.name, owner="nobody")),
}

# ---- DatastoreNamespaceManager on a VMFS volume ----
nm = content.datastoreNamespaceManager
uuid = ds.info.url.rstrip("/").split("/")[-1]
out["namespace"] = {
    "create": attempt(lambda: nm.CreateDirectory(ds, displayName="ns1")),
    "delete": attempt(lambda: nm.DeleteDirectory(datastorePath="/vmfs/volumes/%s/ns1" % uuid, **dcarg)),
    "deleteByName": attempt(lambda: nm.DeleteDirectory(datastorePath="/vmfs/volumes/%s/ns1" % ds.name, **dcarg)),
    "deleteNotTopLevel": attempt(lambda: nm.DeleteDirectory(datastorePath="/vmfs/volumes/%s/ns1/sub" % uuid, **dcarg)),
    "deleteUnknownVolume": attempt(lambda: nm.DeleteDirectory(datastorePath="/vmfs/volumes/0000-1111/ns1", **dcarg)),
    "deleteNoDatacenter": attempt(lambda: nm.DeleteDirectory(datastorePath="/vmfs/volumes/%s/ns1" % uuid)),
}
if content.about.apiVersion >= "6.5":
    # since API 6.5: pyVmomi will not send it to an older server
    out["namespace"]["convert"] = attempt(lambda: nm.ConvertNamespacePathToUuidPath(namespaceUrl="ds:///vmfs/volumes/%s/ns1" % ds.name, **dcarg))
    out["namespace"]["convertUuid"] = attempt(lambda: nm.ConvertNamespacePathToUuidPath(namespaceUrl="/vmfs/volumes/%s/ns1" % uuid, **dcarg))
    out["namespace"]["convertBad"] = attempt(lambda: nm.ConvertNamespacePathToUuidPath(namespaceUrl="[%s] ns1" % ds.name, **dcarg))
    out["namespace"]["convertNoDatacenter"] = attempt(lambda: nm.ConvertNamespacePathToUuidPath(namespaceUrl="ds:///vmfs/volumes/%s/ns1" % uuid))
try:
    nm.CreateDirectory(ds)
except vim.fault.InvalidDatastore as e:
    out["namespace"]["fault"] = [e.name, e.datastore == ds]

if vc:
    # ---- ExtensionManager ----
    em = content.extensionManager
    key = em.GetPublicKey()
    other = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEVs/o5+uQbTjL3chynL4wXgUg2R9\nq9UU8I5mEovUf86QZ7kOBIjJwqnzD1omageEHWwHdBO6B+dFabmdT9POxg==\n-----END PUBLIC KEY-----\n"
    steps = [["key", key.startswith("-----BEGIN PUBLIC KEY-----\n"), key.rstrip().endswith("-----END PUBLIC KEY-----"), len(key), em.GetPublicKey() == key]]
    steps.append(["setUnknown", attempt(lambda: em.SetPublicKey("com.example.sim", other))])
    em.RegisterExtension(vim.Extension(key="com.example.sim", version="1.0", company="Example", description=vim.Description(label="sim", summary="sim"),
                                       lastHeartbeatTime=si.CurrentTime(), shownInSolutionManager=True))
    steps.append(["set", attempt(lambda: em.SetPublicKey("com.example.sim", other))])
    steps.append(["setBad", attempt(lambda: em.SetPublicKey("com.example.sim", "not a key"))])
    steps.append(["ownKeyUnchanged", em.GetPublicKey() == key])
    out["extension"] = steps

    # vApps (and VMs) whose managedBy names the extension
    root = dc.hostFolder.childEntity[0].resourcePool
    alloc = vim.ResourceAllocationInfo(reservation=0, expandableReservation=True, limit=-1, shares=vim.SharesInfo(level="normal", shares=0))
    rspec = vim.ResourceConfigSpec(cpuAllocation=alloc, memoryAllocation=alloc)
    root.CreateVApp("managed-app", rspec, vim.vApp.VAppConfigSpec(managedBy=vim.ext.ManagedByInfo(extensionKey="com.example.sim", type="app")), dc.vmFolder)
    root.CreateVApp("plain-app", rspec, vim.vApp.VAppConfigSpec(), dc.vmFolder)
    # VMs: managedBy from CreateVM_Task's spec or a reconfigure; an empty ManagedByInfo unsets it (as VM Operator clears its mark)
    mine = vim.ext.ManagedByInfo(extensionKey="com.example.sim", type="worker")
    vmspec = lambda name, **kw: vim.vm.ConfigSpec(name=name, guestId="otherGuest64", memoryMB=64, numCPUs=1, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name), **kw)
    born = wait(dc.vmFolder.CreateVM_Task(config=vmspec("managed-vm", managedBy=mine), pool=root))
    later = wait(dc.vmFolder.CreateVM_Task(config=vmspec("later-vm"), pool=root))
    shown = lambda vm: [[m.extensionKey, m.type] if m else None for m in (vm.config.managedBy, vm.summary.config.managedBy)]
    vmSteps = [["created", shown(born), shown(later)]]
    wait(later.ReconfigVM_Task(vim.vm.ConfigSpec(managedBy=vim.ext.ManagedByInfo(extensionKey="com.example.other", type="t"))))
    vmSteps.append(["set", shown(later), names(em.QueryManagedBy("com.example.other"))])
    wait(later.ReconfigVM_Task(vim.vm.ConfigSpec(annotation="kept")))
    vmSteps.append(["otherChange", shown(later)])
    wait(later.ReconfigVM_Task(vim.vm.ConfigSpec(managedBy=vim.ext.ManagedByInfo(extensionKey="", type=""))))
    vmSteps.append(["unset", shown(later), names(em.QueryManagedBy("com.example.other"))])
    out["managedBy"] = {"sim": names(em.QueryManagedBy("com.example.sim")), "other": names(em.QueryManagedBy("com.example.other")), "vm": vmSteps}

    # addresses an extension holds in IP pools; the session's user allocates here
    ipm = content.ipPoolManager
    cfg = vim.vApp.IpPool.IpPoolConfigInfo(subnetAddress="10.20.0.0", netmask="255.255.255.0", gateway="10.20.0.1", range="10.20.0.10#5", dns=["10.20.0.2"], ipPoolEnabled=True)
    pid = ipm.CreateIpPool(dc, vim.vApp.IpPool(name="p1", ipv4Config=cfg, ipv6Config=vim.vApp.IpPool.IpPoolConfigInfo(ipPoolEnabled=False)))
    before = [[u.extensionKey, u.numAddresses] for u in em.QueryExtensionIpAllocationUsage([user])]
    ipm.AllocateIpv4Address(dc, pid, "a1")
    ipm.AllocateIpv4Address(dc, pid, "a2")
    out["ipUsage"] = {
        "before": before,
        "after": [[u.extensionKey, u.numAddresses] for u in em.QueryExtensionIpAllocationUsage([user, "com.example.sim"])],
        "registered": [[u.extensionKey, u.numAddresses] for u in em.QueryExtensionIpAllocationUsage()],
    }

    # ---- AuthorizationManager.MergePermissions ----
    auth = content.authorizationManager
    folder = dc.vmFolder
    src = auth.AddAuthorizationRole("powerer", ["VirtualMachine.Interact.PowerOn"])
    dst = auth.AddAuthorizationRole("configurer", ["VirtualMachine.Config.Settings"])
    auth.SetEntityPermissions(folder, [vim.AuthorizationManager.Permission(principal="alice@vsphere.local", group=False, roleId=src, propagate=True)])

    def rights():
        got = auth.HasUserPrivilegeOnEntities([folder], "alice@vsphere.local", ["VirtualMachine.Interact.PowerOn", "VirtualMachine.Config.Settings"])
        return [p.isGranted for p in got[0].privAvailability]

    def holders(role):
        return [[p.principal, p.entity.name] for p in auth.RetrieveRolePermissions(role)]

    steps = [["before", rights(), holders(src), holders(dst)]]
    steps.append(["unknownSrc", attempt(lambda: auth.MergePermissions(999, dst))])
    steps.append(["unknownDst", attempt(lambda: auth.MergePermissions(src, 999))])
    steps.append(["same", attempt(lambda: auth.MergePermissions(src, src))])
    steps.append(["toView", attempt(lambda: auth.MergePermissions(src, -3))])
    steps.append(["toAnonymous", attempt(lambda: auth.MergePermissions(src, -4))])
    steps.append(["fromAdmin", attempt(lambda: auth.MergePermissions(-1, dst))])
    steps.append(["refusedChangedNothing", rights(), holders(src)])
    steps.append(["merge", attempt(lambda: auth.MergePermissions(src, dst)), rights(), holders(src), holders(dst), [r.name for r in auth.roleList if r.roleId == src]])
    steps.append(["fromReadOnly", attempt(lambda: auth.MergePermissions(-2, dst)), holders(-2)])
    out["merge"] = steps
    out["reset"] = {"status": session.reset(), "extensions": [e.key for e in em.extensionList], "ownKey": em.GetPublicKey() == key,
                    "roles": [r.name for r in auth.roleList if r.roleId >= src], "alice": [p.principal for p in auth.RetrieveAllPermissions()],
                    "managedBy": names(em.QueryManagedBy("com.example.sim")), "owned": attempt(lambda: fm.ChangeOwner("[%s] owned" % ds.name, owner="nobody", **dcarg))}
else:
    # ---- GuestOperationsManager.QueryGuestOperationsDisabledMethods ----
    gom = content.guestOperationsManager
    pool = dc.hostFolder.childEntity[0].resourcePool

    def create(name, iso=None):
        devices = []
        if iso:
            devices.append(vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualCdrom(
                key=-1, controllerKey=201, unitNumber=0,
                connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, allowGuestControl=True, connected=True),
                backing=vim.vm.device.VirtualCdrom.IsoBackingInfo(fileName="[%s] %s" % (ds.name, iso)))))
        spec = vim.vm.ConfigSpec(name=name, guestId="otherLinux64Guest", memoryMB=256, numCPUs=1,
                                 files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name), deviceChange=devices)
        return wait(dc.vmFolder.CreateVM_Task(config=spec, pool=pool))

    # pyVmomi marks the method "legacy", below every API version, and will not
    # send it; the schema served here has it, so lift the mark for this call
    info = VmomiSupport.GetVmodlType("vim.vm.guest.GuestOperationsManager")._methodInfo["QueryDisabledMethods"]
    for marked in [info, *info.params]:
        marked.version = si._stub.version

    def disabled(vm):
        return [m.info.wsdlName for m in gom.QueryGuestOperationsDisabledMethods(vm)]

    isos = sys.argv[5]
    for f in ("procs.iso", "linux.iso"):
        with open(os.path.join(isos, f), "rb") as fh:
            session.folder("PUT", dc.name, ds.name, f, fh.read())
    bare = create("bare")
    steps = [["poweredOff", attempt(lambda: disabled(bare))]]
    wait(bare.PowerOnVM_Task())
    steps.append(["noTools", attempt(lambda: disabled(bare))])
    procs = create("procs", "procs.iso")
    linux = create("linux", "linux.iso")
    for vm in (procs, linux):
        wait(vm.PowerOnVM_Task())
        until(lambda: vm.guest.toolsRunningStatus == "guestToolsRunning")
    steps.append(["procsOnly", disabled(procs)])
    steps.append(["linux", disabled(linux)])
    out["guestOps"] = steps
    out["reset"] = {"status": session.reset(), "owned": attempt(lambda: fm.ChangeOwner("[%s] owned" % ds.name, owner="nobody", **dcarg))}
print(json.dumps(out))
