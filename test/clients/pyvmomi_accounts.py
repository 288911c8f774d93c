#!/usr/bin/python3
"""pyVmomi manages an ESXi host's local accounts and their permissions, as
host-hardening scripts and least-privilege service accounts do: CreateUser,
a role on the root folder, Login as the new user, what that role lets it do
(and NoPermission for the rest), UpdateUser's new password, RemoveUser.
Prints one JSON object.
Usage: pyvmomi_accounts.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

session = Session(sys.argv)
content = session.content
accounts, auth, users = content.accountManager, content.authorizationManager, content.userDirectory
root = content.rootFolder
out = {}


def login(user, pwd):
    """A session of `user`, or the short name of the fault Login raised."""
    try:
        return SmartConnect(host=session.host, port=session.port, user=user, pwd=pwd, sslContext=session.ctx)
    except Exception as e:  # the fault is the answer
        return type(e).__name__.split(".")[-1]


def spec(user, pwd=None, description=None):
    return vim.host.LocalAccountManager.AccountSpecification(id=user, password=pwd, description=description)


def perm(user, role, entity=root, propagate=True):
    auth.SetEntityPermissions(entity, [vim.AuthorizationManager.Permission(principal=user, group=False, roleId=role, propagate=propagate)])


def find_vm(si):
    """The VM as another session's client sees it (its own stub)."""
    c = si.RetrieveContent()
    return c.searchIndex.FindByInventoryPath("ha-datacenter/vm/acct-vm")


def names(search, exact=False):
    return sorted(r.principal for r in users.RetrieveUserGroups(None, search, None, None, exact, True, False))


dc = root.childEntity[0]
pool = dc.hostFolder.childEntity[0].resourcePool
ds = dc.datastore[0].name
wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="acct-vm", guestId="otherGuest", numCPUs=1, memoryMB=64,
                                                  files=vim.vm.FileInfo(vmPathName="[%s]" % ds)), pool))
out["hostHasManager"] = content.rootFolder.childEntity[0].hostFolder.childEntity[0].host[0].configManager.accountManager == accounts
accounts.CreateUser(spec("monitor", "Secr3t-pw", "Monitoring"))
out["duplicate"] = attempt(lambda: accounts.CreateUser(spec("monitor", "Secr3t-pw")))
out["weakPassword"] = attempt(lambda: accounts.CreateUser(spec("weak", "abc")))
out["badName"] = attempt(lambda: accounts.CreateUser(spec("bad;name", "Secr3t-pw")))
out["group"] = attempt(lambda: accounts.CreateGroup(spec("admins")))
found = users.RetrieveUserGroups(None, "monit", None, None, False, True, False)
out["search"] = [(r.principal, r.fullName, r.group, type(r).__name__) for r in found]
out["exact"] = [names("monitor", True), names("monit", True)]
out["all"] = names("")
out["otherDomain"] = attempt(lambda: users.RetrieveUserGroups("CORP", "", None, None, False, True, False))

# a fresh account holds no permission: its password is right, the host still refuses it
out["noRole"] = login("monitor", "Secr3t-pw")
out["wrongPassword"] = login("monitor", "nope")
out["unknownPrincipal"] = attempt(lambda: perm("ghost", -2))

perm("monitor", -2)  # Read-only on the whole inventory
ro = login("monitor", "Secr3t-pw")
out["readOnlyLogin"] = ro.content.sessionManager.currentSession.userName
vm = find_vm(ro)
out["readOnlyCanRead"] = vm.runtime.powerState
try:
    vm.PowerOnVM_Task()
    out["readOnlyPowerOn"] = "ok"
except vim.fault.NoPermission as e:
    out["readOnlyPowerOn"] = ["NoPermission", e.privilegeId, e.object._moId == vm._moId]
out["readOnlyCreateUser"] = attempt(lambda: ro.content.accountManager.CreateUser(spec("sneaky", "Secr3t-pw")))


def has(si, entity, privs):
    return si.content.authorizationManager.HasPrivilegeOnEntity(entity, si.content.sessionManager.currentSession.key, privs)


out["readOnlyHas"] = has(ro, vm, ["System.Read", "VirtualMachine.Interact.PowerOn"])

# the administrator's role on the VM itself is nearer than Read-only on the root folder
perm("monitor", -1, entity=vm, propagate=False)
out["adminOnVm"] = has(ro, vm, ["VirtualMachine.Interact.PowerOn"]) + has(ro, root, ["VirtualMachine.Interact.PowerOn"])
wait(vm.PowerOnVM_Task())
out["poweredOnByMonitor"] = vm.runtime.powerState
wait(vm.PowerOffVM_Task())
# No access on the VM hides it from that user's calls again
perm("monitor", -5, entity=vm)
out["noAccessRead"] = attempt(lambda: vm.PowerOnVM_Task())
Disconnect(ro)

# a custom role with one privilege beyond the read-only ones
role = auth.AddAuthorizationRole("PowerUser", ["VirtualMachine.Interact.PowerOn", "VirtualMachine.Interact.PowerOff"])
auth.ResetEntityPermissions(vm, [])
perm("monitor", role)
pu = login("monitor", "Secr3t-pw")
vm = find_vm(pu)
wait(vm.PowerOnVM_Task())
out["customRolePowerOn"] = vm.runtime.powerState
out["customRoleDestroy"] = attempt(lambda: wait(vm.Destroy_Task()))
out["customRoleRename"] = attempt(lambda: wait(vm.Rename_Task("renamed")))
wait(vm.PowerOffVM_Task())
Disconnect(pu)

accounts.UpdateUser(spec("monitor", "N3w-passw0rd", "Monitoring account"))
out["oldPassword"] = login("monitor", "Secr3t-pw")
again = login("monitor", "N3w-passw0rd")
out["newPassword"] = again.content.sessionManager.currentSession.userName
Disconnect(again)
out["updatedFullName"] = [r.fullName for r in users.RetrieveUserGroups(None, "monitor", None, None, True, True, False)]
out["updateMissing"] = attempt(lambda: accounts.UpdateUser(spec("nobody", "N3w-passw0rd")))

accounts.RemoveUser("monitor")
out["removedLogin"] = login("monitor", "N3w-passw0rd")
out["removedPermissions"] = [p.principal for p in auth.RetrieveAllPermissions() if p.principal == "monitor"]
out["removeMissing"] = attempt(lambda: accounts.RemoveUser("monitor"))

# a permission on an entity leaves with it (vSphere removes a removed VM's permissions)
extra = wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="perm-vm", guestId="otherGuest", numCPUs=1, memoryMB=64,
                                                          files=vim.vm.FileInfo(vmPathName="[%s]" % ds)), pool))
auth.SetEntityPermissions(extra, [vim.AuthorizationManager.Permission(principal=sys.argv[3], group=False, roleId=-1, propagate=False)])
on_extra = lambda moid: [p.principal for p in auth.RetrieveAllPermissions() if p.entity._moId == moid]
gone = [on_extra(extra._moId)]
moid = extra._moId
wait(extra.Destroy_Task())
out["entityGone"] = gone + [on_extra(moid)]
events = content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=["AccountCreatedEvent", "AccountUpdatedEvent", "AccountRemovedEvent"]))
out["events"] = sorted(type(e).__name__ for e in events)
out["eventSecret"] = any(getattr(e, "spec", None) is not None and e.spec.password for e in events)
print(json.dumps(out))
