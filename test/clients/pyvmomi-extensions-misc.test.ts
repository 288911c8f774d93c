// pyVmomi: ExtensionManager's public keys, managed entities and IP
// allocation usage, AuthorizationManager.MergePermissions,
// FileManager.ChangeOwner, DatastoreNamespaceManager on VMFS volumes and
// GuestOperationsManager.QueryGuestOperationsDisabledMethods, their faults,
// and /_sim/reset (and an in-process snapshot restore) bringing the state back.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { runPyvmomi } from "./pyvmomi-run.ts";
import type { ExtensionManager } from "../../simulator/objects/extension-manager.ts";
import type { AuthorizationManager } from "../../simulator/objects/authorization-manager.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

const script = new URL("./pyvmomi_extensions_misc.py", import.meta.url).pathname;
const USER = "administrator@vsphere.local";

function common(vc: boolean, datastore: string) {
  return {
    changeOwner: {
      existing: "NotSupported", missing: "FileNotFound", badDatastore: "InvalidDatastore", badPath: "InvalidDatastorePath",
      // hostd takes its one datacenter; vpxd needs it named
      noDatacenter: vc ? "InvalidArgument" : "NotSupported",
    },
    namespace: {
      create: "InvalidDatastore", delete: "InvalidDatastore", deleteByName: "InvalidDatastore",
      deleteNotTopLevel: "InvalidDatastorePath", deleteUnknownVolume: "InvalidDatastorePath",
      deleteNoDatacenter: vc ? "InvalidArgument" : "InvalidDatastore",
      fault: [datastore, true],
      // since API 6.5: only the 6.7 vCenter has it
      ...(vc ? { convert: "InvalidDatastore", convertUuid: "InvalidDatastore", convertBad: "InvalidDatastorePath", convertNoDatacenter: "InvalidArgument" } : {}),
    },
  };
}

const FILE_TREE = [
  "ListFilesInGuest", "MakeDirectoryInGuest", "DeleteFileInGuest", "DeleteDirectoryInGuest", "MoveFileInGuest", "MoveDirectoryInGuest",
  "CreateTemporaryFileInGuest", "CreateTemporaryDirectoryInGuest", "ChangeFileAttributesInGuest",
];

describe("pyvmomi: extensions, MergePermissions, ChangeOwner, namespaces and disabled guest operations", () => {
  it("serves a vCenter's extensions, role merges, files and namespaces", async () => {
    const out = await runPyvmomi("pyvmomi_extensions_misc.py", "vcenter-67");
    expect(out).toEqual({
      ...common(true, "shared-ds"),
      // a 2048-bit RSA key in PEM is 451 characters
      extension: [["key", true, true, 451, true], ["setUnknown", "NotFound"], ["set", "ok"], ["setBad", "InvalidArgument"], ["ownKeyUnchanged", true]],
      managedBy: {
        sim: ["managed-app", "managed-vm"], other: [],
        vm: [
          ["created", [["com.example.sim", "worker"], ["com.example.sim", "worker"]], [null, null]],
          ["set", [["com.example.other", "t"], ["com.example.other", "t"]], ["later-vm"]],
          ["otherChange", [["com.example.other", "t"], ["com.example.other", "t"]]],
          ["unset", [null, null], []],
        ],
      },
      ipUsage: { before: [[USER, 0]], after: [[USER, 2], ["com.example.sim", 0]], registered: [["com.example.sim", 0]] },
      merge: [
        ["before", [true, false], [["alice@vsphere.local", "vm"]], []],
        ["unknownSrc", "NotFound"],
        ["unknownDst", "NotFound"],
        ["same", "InvalidArgument"],
        ["toView", "InvalidArgument"],
        ["toAnonymous", "InvalidArgument"],
        ["fromAdmin", "AuthMinimumAdminPermission"],
        ["refusedChangedNothing", [true, false], [["alice@vsphere.local", "vm"]]],
        // alice's rights are the destination role's at once; the source role stays
        ["merge", "ok", [false, true], [], [["alice@vsphere.local", "vm"]], ["powerer"]],
        ["fromReadOnly", "ok", []],
      ],
      reset: { status: 200, extensions: [], ownKey: true, roles: [], alice: [USER], managedBy: [], owned: "FileNotFound" },
    });
  });

  it("serves an ESXi host's files, namespaces and the guest operations its guests' tools leave out", async () => {
    // a guest whose tools run processes and nothing else, beside the built-in generic-linux
    const sim = await startSimulator({ scenario: "homelab", guestPrograms: { "procs-only": () => ({ processes: { start: () => 1, list: () => [], terminate: () => {} } }) } });
    const dir = mkdtempSync(join(tmpdir(), "guest-ops-iso-"));
    try {
      for (const [name, guest] of [["procs", "procs-only"], ["linux", "generic-linux"]]) {
        mkdirSync(join(dir, name));
        writeFileSync(join(dir, name, "manifest.json"), JSON.stringify({ guest }));
        execFileSync("genisoimage", ["-quiet", "-J", "-R", "-V", name.toUpperCase(), "-o", join(dir, `${name}.iso`), join(dir, name)]);
      }
      const { stdout } = await promisify(execFile)("/usr/bin/python3", [script, "127.0.0.1", String(sim.port), sim.username, sim.password, dir], { timeout: 60_000 });
      expect(JSON.parse(stdout)).toEqual({
        ...common(false, "mydatastore"),
        guestOps: [
          ["poweredOff", "InvalidPowerState"],
          ["noTools", "GuestOperationsUnavailable"],
          ["procsOnly", ["ReadEnvironmentVariableInGuest", "InitiateFileTransferToGuest", "InitiateFileTransferFromGuest", ...FILE_TREE]],
          ["linux", []],
        ],
        reset: { status: 200, owned: "FileNotFound" },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await sim.close();
    }
  });

  it("restores extension public keys and merged permissions with a snapshot", async () => {
    const sim = await startSimulator({ scenario: "vcenter-67" });
    try {
      const em = sim.sim.inventory.get((sim.sim.content.extensionManager as ManagedObjectReference).value) as ExtensionManager;
      const auth = sim.sim.authorization as AuthorizationManager;
      em.RegisterExtension({ extension: { _type: "Extension", key: "com.example.sim", version: "1.0" } });
      const role = auth.AddAuthorizationRole({ name: "powerer", privIds: ["VirtualMachine.Interact.PowerOn"] });
      const root = sim.sim.content.rootFolder as ManagedObjectReference;
      auth.SetEntityPermissions({ entity: root, permission: [{ _type: "Permission", principal: "alice@vsphere.local", group: false, roleId: role, propagate: true }] });
      const pem = em.GetPublicKey({});
      const state = () => ({
        key: em.publicKeyOf("com.example.sim"),
        alice: auth.RetrieveAllPermissions({}).filter((p) => p.principal === "alice@vsphere.local").map((p) => p.roleId),
      });
      const before = state();
      const snap = sim.snapshot();
      em.SetPublicKey({ extensionKey: "com.example.sim", publicKey: pem });
      auth.MergePermissions({ srcRoleId: role, dstRoleId: -2 });
      expect(state()).toEqual({ key: pem, alice: [-2] });
      sim.restore(snap);
      expect(before).toEqual({ key: undefined, alice: [role] });
      expect(state()).toEqual(before);
      expect(em.GetPublicKey({})).toBe(pem);
    } finally {
      await sim.close();
    }
  });
});
