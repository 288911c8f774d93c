// pyVmomi: an ESXi host's local accounts (HostLocalAccountManager,
// UserDirectory) and the permissions the simulator enforces on them.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

describe("pyvmomi: local accounts and permissions (ESXi)", () => {
  it("creates, searches, authorizes, updates and removes a local user", async () => {
    const out = await runPyvmomi("pyvmomi_accounts.py", "homelab");
    expect(out).toEqual({
      hostHasManager: true,
      duplicate: "AlreadyExists", weakPassword: "InvalidArgument", badName: "InvalidArgument", group: "NotSupported",
      search: [["monitor", "Monitoring", false, "vim.PosixUserSearchResult"]],
      exact: [["monitor"], []],
      all: ["dcui", "monitor", "root"],
      otherDomain: "NotFound",
      // a fresh account logs in with no permission: refused; a wrong password: refused as ever
      noRole: "NoPermission", wrongPassword: "InvalidLogin", unknownPrincipal: "UserNotFound",
      readOnlyLogin: "monitor", readOnlyCanRead: "poweredOff",
      readOnlyPowerOn: ["NoPermission", "VirtualMachine.Interact.PowerOn", true],
      readOnlyCreateUser: "NoPermission",
      readOnlyHas: [true, false],
      // Administrator on the VM, Read-only above it
      adminOnVm: [true, false],
      poweredOnByMonitor: "poweredOn",
      noAccessRead: "NoPermission",
      customRolePowerOn: "poweredOn", customRoleDestroy: "NoPermission", customRoleRename: "NoPermission",
      oldPassword: "InvalidLogin", newPassword: "monitor", updatedFullName: ["Monitoring account"], updateMissing: "UserNotFound",
      removedLogin: "InvalidLogin", removedPermissions: [], removeMissing: "UserNotFound", entityGone: [["root"], []],
      events: ["vim.event.AccountCreatedEvent", "vim.event.AccountRemovedEvent", "vim.event.AccountUpdatedEvent"],
      eventSecret: false,
    });
  });
});
