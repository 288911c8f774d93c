// pyVmomi: VMFS datastores made from a host's blank disks (the scenario's
// `disks:`), as govc datastore.create -type vmfs, Ansible's
// vmware_host_datastore and PowerCLI's New-Datastore -Vmfs make them:
// available disks, partition tables, FormatVmfs, create/extend/expand
// options and specs, removal (refused while a VM is there), detach/attach,
// LUN display names and SSD/local marking, their faults, /_sim/reset, and an
// in-process snapshot restore of partition tables and an extended volume.
import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { startSimulator } from "../../simulator/index.ts";
import { parseScenario } from "../../simulator/inventory/scenario-loader.ts";
import { runPyvmomi } from "./pyvmomi-run.ts";
import type { HostStorageSystem } from "../../simulator/objects/host-storage-system.ts";
import type { HostDatastoreSystem } from "../../simulator/objects/host-datastore-system.ts";
import type { Datastore } from "../../simulator/objects/datastore.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { CallContext } from "../../simulator/objects/managed-object.ts";

const TWO_DISKS = fileURLToPath(new URL("./vmfs-two-disks.yaml", import.meta.url));
const GUID = "AA31E02A400F11DB9590000C2911D1B8";
// the 100GB blank disk: 209715200 sectors, the last usable one 34 before the end
const BLOCKS = 209715200;
const LAST = BLOCKS - 34;
const HALF_END = 2048 + BLOCKS / 2 - 1;
// whole 1 MiB blocks of the partitions
const HALF = 51200 * 1024 ** 2;
const FULL = 102398 * 1024 ** 2;
const SECOND = 51198 * 1024 ** 2;
const blank = ["unknown", BLOCKS, []];
const whole = ["gpt", BLOCKS, [[1, 2048, LAST, "vmfs", GUID]]];

interface Case { major: 5 | 6; host: string; others: unknown[]; second: boolean }

function expected({ major, host, others, second }: Case) {
  const version = major === 6 ? "6.82" : "5.61";
  const capacity = second ? FULL + SECOND : FULL;
  const vmfs = (cap: number, extents = [[true, 1]]) => ["VMFS", cap, true, major, version, extents, false, true];
  return {
    disks: {
      available: [
        ["vim.host.ScsiDisk", BLOCKS, 512, false, true, ["ok"], true, true],
        ...(second ? [["vim.host.ScsiDisk", BLOCKS / 2, 512, true, true, ["ok"], true, true]] : []),
      ],
      spareTopology: second ? [[0, 1], [1, 1]] : [[0, 1]],
      multipath: true,
      paths: second ? ["vmhba1:C0:T0:L0", "vmhba1:C0:T1:L0"] : ["vmhba1:C0:T0:L0"],
      hostConfig: true,
      blank,
      unknownPath: [],
      unresolved: [],
      major,
    },
    partitionSteps: [
      ["compute", true, [[1, 2048, HALF_END, "vmfs", GUID]], blank],
      ["updateUnknown", "NotFound"],
      ["updatePastEnd", "HostConfigFault"],
      ["updateOverlap", "HostConfigFault"],
      ["updateBadType", "HostConfigFault"],
      ["unchanged", blank],
      ["update", "ok", ["gpt", BLOCKS, [[1, 2048, HALF_END, "vmfs", GUID]]], true],
      ["formatTaken", "AlreadyExists"],
      ["formatNoPartition", "HostConfigFault"],
      ["format", ["vim.host.VmfsVolume", "vmfs-fmt", HALF, major, [[true, 1]]], vmfs(HALF), ["vim.host.VmfsVolume", HALF, true], "VMFSDatastoreCreatedEvent"],
      ["formatAgain", "HostConfigFault"],
      ["updateInUse", "HostConfigFault"],
      ["expandOptions", [["vim.host.VmfsDatastoreOption.SingleExtentInfo", 2048, LAST, "vim.host.VmfsDatastoreExpandSpec", 1, true]]],
      ["expand", "ok", vmfs(FULL), whole, "VMFSDatastoreExpandedEvent"],
      ["expandAgain", []],
      ["expandStale", "HostConfigFault"],
      ["removeEx", [[true, false]], true, null, blank, true],
    ],
    create: [
      ["unknownDevice", "NotFound"],
      ["badVersion", "InvalidArgument"],
      ["options", 1, "vim.host.VmfsDatastoreOption.AllExtentInfo", true, [[1, "vmfs", 2048, LAST]], "vim.host.VmfsDatastoreCreateSpec", true, "gpt", true,
        [[1, 2048, LAST, "vmfs", GUID]], [true, 1, major, 1]],
      ["duplicate", "DuplicateName"],
      ["badName", "InvalidArgument"],
      ["unknownDisk", "HostConfigFault"],
      ["created", "vmfs-new", vmfs(FULL), true, true, [host], true, true, ["vim.host.VmfsVolume", FULL, true], whole, "VMFSDatastoreCreatedEvent"],
      ["inUse", "HostConfigFault"],
      ["optionsInUse", []],
      ["availableAfter", true],
      ["otherHosts", others],
    ],
    files: [201, 200, "hello vmfs"],
    extend: [
      ["availableFor", second ? [true] : []],
      ["optionsOnUsedDisk", []],
      ...(second ? [
        ["options", 1, "vim.host.VmfsDatastoreOption.AllExtentInfo", "vim.host.VmfsDatastoreExtendSpec", true, [[true, 1]]],
        // a volume is flash only when all its extents are
        ["extend", true, vmfs(capacity, [[true, 1], [true, 1]]), SECOND, ["vim.host.VmfsVolume", capacity, true], "VMFSDatastoreExtendedEvent"],
        ["extendAgain", "HostConfigFault"],
      ] : []),
      ["expandFull", []],
      ["unknownDatastore", "NotFound"],
    ],
    luns: [
      ["rename", "ok", "fast disk", "fast disk"],
      ["renameEmpty", "InvalidName"],
      ["renameTaken", "DuplicateName"],
      ["renameUnknown", "NotFound"],
      // with the second (flash) disk as an extent, the volume is all flash too
      ["ssd", null, true, true],
      ["nonLocal", null, false, false],
      ["local", null, true, true],
      ["nonSsd", null, false, false],
      ["markUnknown", "vim.fault.NotFound"],
    ],
    attach: [
      ["detach", "ok", ["off"], false, ["vim.host.VmfsVolume", capacity, false], null, false],
      ["detachAgain", "InvalidState"],
      ["swapInaccessible", "InaccessibleDatastore"],
      ["attach", "ok", ["ok"], true, ["vim.host.VmfsVolume", capacity, true]],
      ["attachAgain", "InvalidState"],
      ["detachUnknown", "NotFound"],
      ["detachEx", [[true, null], [false, "NotFound"]], ["off"], false],
      ["attachEx", [null, "InvalidState"], ["ok"], true],
    ],
    remove: [
      ["swap", "ok", true],
      ["vm", ["vmfs-new"]],
      ["removeWithVm", "ResourceInUse"],
      ["removeExWithVm", [[true, "ResourceInUse"]]],
      ["detachWithVm", "ResourceInUse"],
      // the volume's partitions go with it: both disks are blank again
      ["remove", "ok", true, null, null, blank, true, true, "DatastoreRemovedOnHostEvent"],
      ["removeAgain", "NotFound"],
      ["swapNotMounted", "DatastoreNotWritableOnHost"],
      ["swapNone", "ok", null],
    ],
    reset: [[true, true, "before reset"], 200, true, null, false, true, blank, true],
  };
}

const ctx: CallContext = { aborted: new Promise<void>(() => {}), remoteAddress: "127.0.0.1", userAgent: "vitest" };

describe("pyvmomi: VMFS datastores on a host's blank disks", () => {
  it("makes, grows and removes a VMFS 5 datastore on ESXi 6.0", async () => {
    const out = await runPyvmomi("pyvmomi_vmfs_datastores.py", "homelab");
    expect(out).toEqual(expected({ major: 5, host: "esxi01.think-v.com", others: [], second: false }));
  });

  it("keeps a datastore on one vCenter host's local disk to that host", async () => {
    const out = await runPyvmomi("pyvmomi_vmfs_datastores.py", "vcenter-cluster");
    // the other hosts see their own blank disk beside the shared datastore's (esx4: and its local datastore's)
    expect(out).toEqual(expected({ major: 5, host: "esx1.example.com", others: [["esx2.example.com", false, 2], ["esx3.example.com", false, 2], ["esx4.example.com", false, 3]], second: false }));
  });

  it("extends a VMFS 6 datastore on ESXi 6.7 with a second disk", async () => {
    const out = await runPyvmomi("pyvmomi_vmfs_datastores.py", TWO_DISKS);
    expect(out).toEqual(expected({ major: 6, host: "esx67.example.com", others: [], second: true }));
  });

  it("restores partition tables, LUN settings and an extended volume with a snapshot", async () => {
    const sim = await startSimulator({ scenario: TWO_DISKS });
    try {
      const host = sim.sim.inventory.ofType("HostSystem")[0]!;
      const cm = host.props.configManager as Record<string, ManagedObjectReference>;
      const storage = sim.sim.inventory.get(cm.storageSystem!.value) as HostStorageSystem;
      const dss = sim.sim.inventory.get(cm.datastoreSystem!.value) as HostDatastoreSystem;
      const [a, b] = storage.disks().filter((d) => d.spare);
      const state = () => ({
        tables: storage.disks().filter((d) => d.spare).map((d) => d.table.partitions.length),
        luns: (storage.props.storageDeviceInfo as { scsiLun: { displayName: string; operationalState: string[] }[] }).scsiLun.map((l) => [l.displayName.startsWith("Local ATA Disk"), l.operationalState[0]]),
        datastores: ((host.props.datastore as ManagedObjectReference[]) ?? []).map((r) => sim.sim.inventory.get(r.value)?.get("name")),
      });
      const fresh = state();
      const atStart = sim.snapshot();
      const spec = (dss.QueryVmfsDatastoreCreateOptions({ devicePath: a!.devicePath }) as unknown as { spec: Record<string, any> }[])[0]!.spec;
      const ref = dss.CreateVmfsDatastore({ spec: { ...spec, vmfs: { ...spec.vmfs, volumeName: "snap-ds" } } }, ctx);
      const ds = sim.sim.inventory.get(ref.value) as Datastore;
      const created = sim.snapshot();
      const extend = (dss.QueryVmfsDatastoreExtendOptions({ datastore: ref, devicePath: b!.devicePath }) as unknown as { spec: Record<string, any> }[])[0]!.spec;
      dss.ExtendVmfsDatastore({ datastore: ref, spec: extend }, ctx);
      storage.UpdateScsiLunDisplayName({ lunUuid: a!.uuid, displayName: "renamed" });
      storage.DetachScsiLun({ lunUuid: b!.uuid });
      expect([ds.volume.capacity, (ds.props.summary as { capacity: number }).capacity, (ds.props.summary as { accessible: boolean }).accessible]).toEqual([FULL + SECOND, FULL + SECOND, false]);
      expect(state().tables).toEqual([1, 1]);
      sim.restore(created);
      // the volume's own size goes back with its summary: writes beyond FULL are refused again
      expect([ds.volume.capacity, (ds.props.summary as { capacity: number }).capacity, (ds.props.summary as { accessible: boolean }).accessible]).toEqual([FULL, FULL, true]);
      expect(state()).toEqual({ tables: [1, 0], luns: fresh.luns, datastores: ["local-ds", "snap-ds"] });
      sim.restore(atStart);
      expect(state()).toEqual(fresh);
      expect(fresh).toEqual({ tables: [0, 0], luns: [[true, "ok"], [true, "ok"], [true, "ok"]], datastores: ["local-ds"] });
    } finally {
      await sim.close();
    }
  });

  it("reads a host's blank disks from the scenario, with line-numbered errors", () => {
    const yaml = (disks: string) => `model: esx\nhost:\n  name: h1\n  disks: ${disks}\n`;
    expect(parseScenario(yaml("[{ size: 100GB }, { size: 4GiB, ssd: true }]"), "s.yaml", "s").datacenters[0]!.hosts[0]!.disks)
      .toEqual([{ capacityBytes: 100 * 1024 ** 3, ssd: false }, { capacityBytes: 4 * 1024 ** 3, ssd: true }]);
    expect(parseScenario("model: esx\nhost: { name: h1 }\n", "s.yaml", "s").datacenters[0]!.hosts[0]!.disks).toEqual([]);
    const err = (disks: string) => {
      try {
        parseScenario(yaml(disks), "s.yaml", "s");
      } catch (e) {
        return (e as Error).message;
      }
      return "parsed";
    };
    expect([err("[{ size: 1GB }]"), err("[{ size: 100GB, flash: true }]"), err("[{ ssd: true }]"), err("100GB")]).toEqual([
      's.yaml:4:19: host "h1": disks[0].size must be at least 2GB (room for a VMFS volume), got 1073741824 bytes',
      's.yaml:4:26: host "h1": disks[0] has unknown key "flash"; allowed keys: size, ssd',
      's.yaml:4:11: host "h1": disks[0] is missing required key "size"',
      's.yaml:4:10: host "h1": disks must be a list (lines starting with "- "), got "100GB"',
    ]);
  });
});
