// pyVmomi: the rest of a distributed switch's API on the vcenter-cluster
// scenario (pyvmomi_dvs_ops.py): ports (keys, reconfigure, remove, move),
// capability, network resource pools, health check, LACP groups, rollback
// and the DistributedVirtualSwitchManager's queries, with their faults; a
// snapshot restore and a reset bring ports, pools, LAGs, the rollback
// checkpoint and the key counters back, so the script sees the same again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { pyvmomiScript } from "./pyvmomi-run.ts";

/** esx4 runs ESXi 5.5 here, so that a 6.0 switch has a host it cannot take (the scenario's hosts are all 6.0) */
function makeEsx4Older(sim: RunningSimulator): void {
  const host = sim.sim.inventory.ofType("HostSystem").find((h) => h.get("name") === "esx4.example.com")!;
  const product = { ...(host.props.config as { product: object }).product, version: "5.5.0", fullName: "VMware ESXi 5.5.0 build-1331820", build: "1331820" };
  const summary = host.props.summary as { config: object };
  host.update({ "config.product": product, summary: { ...summary, config: { ...summary.config, product } } });
}

const EXPECTED = {
  dvs1Start: [null, null, 9, "1"],
  // the checkpoint is the switch before its MTU went from 9000 to 1600 (so a restore that kept it would roll back to 9000)
  dvs1End: [9000, "marked", ["NRP-1"], "5"],
  rollbackFresh: [null, null],
  keys: [true, true, 6, []],
  refresh: ["ok", "ok", "NotFound"],
  edit: ["web", "front end", true, false, 0, "1", 1, [expect.any(String)], "dvs-ops"],
  editFaults: { add: "vmodl.fault.InvalidArgument", unknown: "vim.fault.NotFound", stale: "vim.fault.ConcurrentAccess", vlanOverride: "vmodl.fault.InvalidArgument", halfApplied: "vim.fault.NotFound" },
  editUnchanged: [null, "0", "web"],
  sameName: ["web", "web"],
  inUse: [true, "the VM's", "ops-vm", "vim.fault.ResourceInUse"],
  remove: [3, false, [], true, "vmodl.fault.InvalidArgument"],
  moveFree: [false, true, 2, 3, true, [true, "pg-a", true, "pg-b"]],
  moveVm: [true, true, ["pg-b"], "ops-vm", true],
  moveFaults: { live: "vmodl.fault.InvalidArgument", ephemeral: "vmodl.fault.InvalidArgument", uplinkDest: "vmodl.fault.InvalidArgument", uplinkPort: "vmodl.fault.InvalidArgument", unknownGroup: "vim.fault.NotFound", unknownPort: "vim.fault.NotFound" },
  moveFaultsUnchanged: [true, true],
  toSwitch: [null, 2, true, null, true, "ops-vm", "web", true],
  back: [true, 0, true, 1, 4, true],
  sameGroup: [true, 1],
  capability: [false, true, "vim.fault.DvsFault", "vim.fault.DvsFault"],
  capabilityBack: null,
  systemPools: [["ft", "hbr", "iscsi", "mgmt", "nfs", "vdp", "vm", "vmotion", "vsan"], "Virtual Machine Traffic", "high", 100, -1, false],
  nrmOn: [true, 1],
  poolAdd: ["NRP-1", "NRP-2", "0", 1000, "custom", 80, 4, 50, 11],
  poolAddFaults: ["InvalidName", "InvalidArgument", "InvalidName", 11],
  poolUpdate: ["top", "1", "high", 100, 1000],
  poolUpdateFaults: ["ConcurrentAccess", "NotFound", "InvalidName", "InvalidName", ["top"]],
  poolRemoveFaults: ["ResourceInUse", "DvsFault", "NotFound", "NotFound", 11],
  poolRemove: ["gold"],
  health: [
    [["VlanMtuHealthCheckConfig", false, 1], ["TeamingHealthCheckConfig", false, 1]],
    [["VlanMtuHealthCheckConfig", true, 5], ["TeamingHealthCheckConfig", false, 1]],
    1, "dvs-ops",
  ],
  healthFaults: ["vmodl.fault.InvalidArgument", "vmodl.fault.InvalidArgument", "vmodl.fault.InvalidArgument", [true, false]],
  lacpSingle: "vim.fault.DvsFault",
  lacpAdd: ["lag-1", "lag1", "active", 2, "srcDestIpTcpUdpPortVlan", ["lag1-0", "lag1-1"], 6, 6, true, ["lag1-0", "lag1-1"]],
  lacpFaults: ["vmodl.fault.InvalidArgument", "vmodl.fault.InvalidArgument", "vmodl.fault.InvalidArgument", "vmodl.fault.InvalidArgument", "vmodl.fault.InvalidArgument", ["lag1"]],
  lacpEdit: ["lag-1", "lag2", ["lag2-0", "lag2-1", "lag2-2"], 9, true, 9],
  lacpRemove: [0, true],
  rollback: ["ConfigSpec", 1500, true, "dvs-ops"],
  rolledBack: [1500, 9000],
  pgRollbackSame: null,
  pgRollback: ["ConfigSpec", false, true, "pg-a"],
  rollbackFaults: ["vim.fault.RollbackFailure", "vim.fault.RollbackFailure"],
  compatibleSpec: [[["embeddedEsx", "6.0.0"]], ["5.5.0", "6.0.0"], "InvalidArgument"],
  features: ["FeatureCapability", true, true, true, true, true, null, false, ["failover_explicit", "loadbalance_ip", "loadbalance_loadbased", "loadbalance_srcid", "loadbalance_srcmac"]],
  configTarget: {
    esx4: [["dvs1"], [["dvs1", "dvpg-containers", "earlyBinding", false]]],
    esx1: ["dvs-ops", "dvs1"],
    dvs: [["dvs-ops"], [["dvs-ops", expect.stringMatching(/^dvs-ops-DVUplinks-\d+$/), "earlyBinding", true], ["dvs-ops", "pg-a", "earlyBinding", false], ["dvs-ops", "pg-b", "earlyBinding", false], ["dvs-ops", "pg-eph", "ephemeral", false]]],
    esx4dvs: [[], []],
    all: ["dvs-ops", "dvs1"],
  },
  compatibleHosts: {
    new60: ["esx1.example.com", "esx2.example.com", "esx3.example.com"],
    new55: ["esx1.example.com", "esx2.example.com", "esx3.example.com", "esx4.example.com"],
    cluster: ["esx1.example.com", "esx2.example.com", "esx3.example.com"],
    folderShallow: ["esx1.example.com", "esx2.example.com", "esx3.example.com", "esx4.example.com"],
    existing: ["esx1.example.com", "esx2.example.com", "esx3.example.com"],
    badContainer: "InvalidArgument",
  },
  checkCompatibility: [["esx4.example.com", ["NotSupportedHost"], ["5.5.0"]]],
  checkCompatibility55: [["esx1.example.com", 0], ["esx4.example.com", 0]],
};

describe("pyvmomi: distributed switch operations", () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "vcenter-cluster" });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("reconfigures, removes and moves ports, runs NIOC pools, health check, LACP and rollback, and answers the manager's queries; restore and reset bring it all back", async () => {
    makeEsx4Older(sim);
    const snap = sim.snapshot();
    const first = await pyvmomiScript("pyvmomi_dvs_ops.py", sim);
    expect(first).toEqual(EXPECTED);
    sim.restore(snap);
    expect(await pyvmomiScript("pyvmomi_dvs_ops.py", sim)).toEqual(first);
    sim.reset();
    makeEsx4Older(sim);
    expect(await pyvmomiScript("pyvmomi_dvs_ops.py", sim)).toEqual(first);
  }, 180_000);
});
