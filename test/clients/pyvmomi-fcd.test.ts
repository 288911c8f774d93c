// pyVmomi and first-class disks (VStorageObjectManager, VirtualMachine.AttachDisk_Task)
// on a vCenter 6.7; a vCenter 6.0 has no such manager.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { runPyvmomi } from "./pyvmomi-run.ts";

const FCD_FILE = /^\[shared-ds\] fcd\/[0-9a-f]{32}\.vmdk$/;

async function step(sim: RunningSimulator, what: "create" | "list"): Promise<any> {
  const script = new URL("./pyvmomi_fcd_catalog.py", import.meta.url).pathname;
  const { stdout } = await promisify(execFile)("/usr/bin/python3", [script, "127.0.0.1", String(sim.port), sim.username, sim.password, what], { timeout: 60_000 });
  return JSON.parse(stdout);
}

describe("pyvmomi: first-class disks", () => {
  it("a vCenter 6.0 leaves ServiceContent.vStorageObjectManager unset", async () => {
    const out = await runPyvmomi("pyvmomi_fcd.py", "vcenter-cluster");
    expect(out).toEqual({ about: ["6.0.0", "6.0", "vim.version.version10"], hosts: ["6.0.0"], manager: null });
  });

  it("vcenter-67 runs 6.7's virtual hardware: vmx-14 by default and as the newest", async () => {
    const out = await runPyvmomi("pyvmomi_vm_hardware.py", "vcenter-67");
    expect(out.createDefault).toBe("vmx-14");
    expect(out.steps.find((s: any) => s.step === "newest")).toEqual({ step: "newest", version: "vmx-14", vmx: ['virtualHW.version = "14"'] });
  });

  describe("on vCenter 6.7", () => {
    let out: any;
    let stem: string;
    beforeAll(async () => {
      out = await runPyvmomi("pyvmomi_fcd.py", "vcenter-67");
      stem = out.created.filePath.slice("[shared-ds] fcd/".length, -".vmdk".length);
    });

    it("negotiates 6.7 and creates a disk as a descriptor and a sparse extent under fcd/", () => {
      expect(out.about).toEqual(["6.7.0", "6.7", "vim.version.version12"]);
      expect(out.hosts).toEqual(["6.7.0"]);
      expect(out.manager).toBe("VStorageObjectManager");
      expect(out.created).toMatchObject({ name: "pvc-data", capacityInMB: 100, provisioningType: "thin", datastore: "shared-ds", keepAfterDeleteVm: true, consumptionType: ["disk"], parent: null });
      expect(out.created.filePath).toMatch(FCD_FILE);
      expect(out.idLooksLikeUuid).toBe(true);
      expect(out.descriptor).toEqual({ status: 200, lines: ['createType="vmfs"', `RW 204800 VMFS "${stem}-flat.vmdk"`, 'ddb.thinProvisioned = "1"'] });
      expect(out.folder).toEqual([`${stem}-flat.vmdk`, `${stem}.vmdk`]);
      expect(out.thick).toMatchObject({ provisioningType: "lazyZeroedThick", datastore: "esx4-local", capacityInMB: 10 });
    });

    it("lists per datastore, retrieves, extends, renames", () => {
      expect(out.list.shared).toHaveLength(1);
      expect(out.list.local).toBe(1);
      expect(out.retrieved).toEqual(out.created);
      expect(out.retrieveWrongDatastore).toBe("NotFound");
      expect(out.retrieveUnknown).toBe("NotFound");
      expect(out.extended).toBe(200);
      expect(out.shrink).toBe("vmodl.fault.InvalidArgument");
      expect(out.renamed).toBe("pvc-renamed");
    });

    it("snapshots into a delta on the chain and deletes the snapshot by merging it back", () => {
      const s = out.snapshot;
      expect(s.after).toMatchObject({ filePath: `[shared-ds] fcd/${stem}-000001.vmdk`, parent: `[shared-ds] fcd/${stem}.vmdk`, capacityInMB: 200 });
      expect(s.descriptions).toEqual(["before-upgrade"]);
      expect(s.sameId).toBe(true);
      expect(s.delta).toEqual({ status: 200, parentHint: [`parentFileNameHint="${stem}.vmdk"`] });
      expect(s.extendRefused).toBe("vim.fault.InvalidState");
      expect(s.deleteUnknown).toBe("vim.fault.NotFound");
      expect(s.afterDelete).toEqual({ obj: { ...out.retrieved, name: "pvc-renamed", capacityInMB: 200 }, count: 0, deltaGone: 404 });
    });

    it("attaches to a VM (device with vDiskId, .vmx line) and detaches, keeping the files", () => {
      expect(out.attached.disks).toEqual([{ key: 2001, unit: 1, controllerKey: 1000, file: `[shared-ds] fcd/${stem}.vmdk`, vDiskId: out.list.shared[0], capacityInKB: 204800 }]);
      expect(out.attached.vmx).toHaveLength(3);
      expect(out.attached.vmx[1]).toMatch(new RegExp(`^scsi0:1\\.fileName = "/vmfs/volumes/[0-9a-f-]+/fcd/${stem}\\.vmdk"$`));
      expect(out.detached).toEqual({ disks: [], vmx: [], file: 200 });
      expect(out.reattached).toEqual([[3, 1000]]);
    });

    it("keeps an attached disk when its VM is destroyed, and deletes its files with the disk", () => {
      expect(out.afterVmDestroy).toEqual({ descriptor: 200, vmFolder: 404, stillListed: true });
      expect(out.beforeDelete).toEqual([200, 200]);
      expect(out.afterDelete).toEqual({ files: [404, 404], list: 1, retrieve: "NotFound" });
    });

    it("registers an existing VMDK and reconciles a catalog whose file went away", () => {
      expect(out.registered).toMatchObject({ name: "imported", capacityInMB: 4, filePath: "[shared-ds] plain/plain.vmdk", provisioningType: "thin" });
      expect(out.reconciled).toEqual([1, 0]);
    });

    it("answers the API reference's faults", () => {
      expect(out.faults).toEqual({
        attachUnknown: "vim.fault.NotFound", attachBadController: "vim.fault.InvalidController", attachNoController: "vim.fault.MissingController",
        detachNotAttached: "vim.fault.NotFound", attachTwice: "vim.fault.InvalidState", deleteAttached: "vim.fault.InvalidState",
        snapshotAttached: "vim.fault.InvalidState", registerTwice: "AlreadyExists", registerMissing: "FileNotFound", deleteTwice: "vim.fault.NotFound",
      });
    });
  });

  it("keeps the catalog across simulator snapshots and restores", async () => {
    const sim = await startSimulator({ scenario: "vcenter-67" });
    try {
      const empty = sim.snapshot();
      const { id } = await step(sim, "create");
      const withDisk = sim.snapshot();
      sim.restore(empty);
      expect((await step(sim, "list")).disks).toEqual([]);
      sim.restore(withDisk);
      expect((await step(sim, "list")).disks).toEqual([{ id, name: "kept", descriptor: 200 }]);
    } finally {
      await sim.close();
    }
  });
});
