// pyVmomi: vCenter's cluster, host and datacenter operations (see
// pyvmomi_cluster_ops.py): manual DRS recommendations and their
// Apply/Cancel/Refresh, ClusterEnterMaintenanceMode, the EVC manager, HA's
// runtime info, StampAllRulesWithUuid, standby, connection info, system
// resources and swap, CIM tickets, IPMI, TPM, encryption states, the tools
// repository, the datacenter's default hardware version, the batch adds,
// their faults, and /_sim/reset (and an in-process snapshot restore)
// bringing it all back. On the 6.0 vCenter pyVmomi refuses the 6.5 and 6.7.1
// methods itself (MethodNotFound); on 6.7 the 6.7.1 ones go through a 6.7.1 stub.
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { runPyvmomi } from "./pyvmomi-run.ts";
import type { ManagedObject } from "../../simulator/objects/managed-object.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

const INTEL = ["intel-merom", "intel-penryn", "intel-nehalem", "intel-westmere", "intel-sandybridge", "intel-ivybridge", "intel-haswell", "intel-broadwell", "intel-skylake"];
const CLUSTER_HOSTS = ["esx1.example.com", "esx2.example.com", "esx3.example.com"];

function expected(v67: boolean) {
  const versions = ["vmx-04", "vmx-07", "vmx-08", "vmx-09", "vmx-10", "vmx-11", ...(v67 ? ["vmx-13", "vmx-14"] : [])];
  const newest = versions[versions.length - 1];
  const balance = [["fairnessMemAvg", 3, [["MigrationV1", "vm-a", "esx1.example.com", "esx3.example.com"]]]];
  const placement = [["powerOnVm", 5, [["PlacementV1", "vm-c", "esx2.example.com"]]]];
  const modes = INTEL.slice(0, v67 ? 9 : 8);
  return {
    drs: {
      powerOn: [0, 0, placement],
      listed: placement,
      cStillOff: "poweredOff",
      apply: "ok",
      placed: ["poweredOn", "esx2.example.com"],
      afterApply: [],
      applyUnknown: "InvalidArgument",
      cancelUnknown: "InvalidArgument",
      balance,
      cancel: "ok",
      afterCancel: [],
      // a refresh replaces the balancing recommendation, it does not pile up
      refreshedTwice: balance,
      applyMigration: "ok",
      moved: ["esx3.example.com", "poweredOn"],
      balanced: [],
      maintenance: {
        plan: [["hostMaint", [["MigrationV1", "vm-b", "esx1.example.com", "esx2.example.com"], ["HostMaintenanceV1", "esx1.example.com"]]]],
        fault: false,
        apply: "ok",
        after: [true, "esx2.example.com", "poweredOn"],
        stuck: [0, "hostMaint", [["vm-a", ["NoCompatibleHost"]], ["vm-b", ["NoCompatibleHost"]], ["vm-c", ["NoCompatibleHost"]]]],
        listAfterStuck: 0,
        foreignHost: "InvalidArgument",
      },
    },
    evc: {
      same: true,
      cluster: "cluster1",
      modes: modes.map((k, i) => [k, "intel", i]),
      current: null,
      withRunningVms: "vim.fault.EVCConfigFault",
      check: [["intel-haswell", "EVCConfigFault", ["EVCAdmissionFailedVmActive"]]],
      amd: "vim.fault.EVCModeIllegalByVendor",
      unknown: "vmodl.fault.InvalidArgument",
      // ESXi 6.0 hosts stop at Broadwell; 6.7 ones run Skylake, so there it is the running VMs that refuse
      tooNew: v67 ? ["EVCConfigFault", []] : ["EVCModeUnsupportedByHosts", CLUSTER_HOSTS],
      checkOk: 0,
      configure: null,
      after: ["intel-haswell", "intel-haswell", ["intel-haswell", "intel-haswell", "intel-haswell"]],
      lower: null,
      lowered: "intel-nehalem",
      addHostNoThumbprint: "vim.fault.SSLVerifyFault",
      addHost: 0,
      disable: null,
      disabled: [null, null],
    },
    ha: {
      heartbeat: [["shared-ds", CLUSTER_HOSTS]],
      vmcp: [true, true],
      hostInfo: null,
      das: [null, null, "vim.fault.DasConfigFault"],
      // esx1 is in maintenance mode by then: esx2 is the master
      states: [null, ["master", "esx2.example.com"], ["connectedToMaster", "esx2.example.com"]],
    },
    stamp: [null, true, 36],
    standby: {
      notInMaintenance: "vim.fault.InvalidState",
      down: null,
      state: ["standBy", "in", "standBy"],
      answers: "HostNotConnected",
      exitMaintenance: "vmodl.fault.HostNotConnected",
      up: null,
      upAgain: "vim.fault.InvalidState",
      back: ["poweredOn", "none", true],
      events: ["ExitedStandbyModeEvent", "ExitingStandbyModeEvent", "EnteredStandbyModeEvent", "EnteringStandbyModeEvent"],
    },
    hostConnectInfo: ["10.0.0.11", "esx1.example.com", true, true, 0, ["shared-ds"], ["VM Network", "dvpg-containers", "dvs1-DVUplinks-18"]],
    systemResources: {
      keys: ["host/iofilters", "host/system/kernel", "host/system/vmotion", "host/user", "host/vim"],
      update: "ok",
      after: [100, 256, 1024, 256],
      unknownKey: "InvalidArgument",
      limitBelowReservation: "InvalidArgument",
      swapDefault: [["HostCacheOption", 0], ["HostLocalSwapOption", 1]],
      swapSet: "ok",
      swapAfter: [["DatastoreOption", 0, "shared-ds"], ["HostLocalSwapOption", 1, null]],
      swapDupKey: "InvalidArgument",
      swapNoDs: "InvalidArgument",
      swapDisabledPlus: "InvalidArgument",
    },
    cim: ["esx1.example.com", 5989, "cim", "1.0", 36, true, true],
    ipmi: {
      capable: true,
      wrongMac: ["InvalidIpmiMacAddress", "00:11:22:33:44:55", 17],
      noPassword: "InvalidIpmiLoginInfo",
      badIp: "InvalidArgument",
      ok: "ok",
      after: ["10.1.0.5", true, "ADMIN", null],
    },
    tpm: [null, false],
    crypto: v67
      ? {
        initial: "incapable", supported: true, enableFirst: "InvalidState", configureFirst: "InvalidState", prepare: "ok", prepared: "prepared",
        prepareAgain: "InvalidState", noKeyData: "InvalidArgument", enable: "ok", safe: ["safe", "key-1", "kms1", "safe"], newKey: "ok", newKeyId: [36, true],
      }
      : [null, null, "MethodNotFound"],
    productLocker: v67
      ? {
        default: "/locker/packages/6.7.0", missing: "vim.fault.FileNotFound", notDatastore: "vmodl.fault.InvalidArgument",
        update: "/vmfs/volumes/shared-ds/tools", after: "/vmfs/volumes/shared-ds/tools", others: true,
      }
      : "MethodNotFound",
    connectionInfo: {
      noThumbprint: ["SSLVerifyFault", 59],
      info: ["esx9.example.com", true, 4, "VMware ESXi", 0, ["datastore1"], ["VM Network"], true],
      badLogin: "InvalidLogin",
      noHost: "NoHost",
      already: "AlreadyConnected",
      viaSpec: "esx9.example.com",
      viaSpecNoThumbprint: "SSLVerifyFault",
      batch: v67 ? [["esx9.example.com", 0, "VMware, Inc.", null], ["esx8.example.com", null, null, "SSLVerifyFault"]] : "MethodNotFound",
    },
    datacenterConfig: {
      descriptors: versions.map((k) => [k, k === newest, 4]),
      configured: null,
      bad: "vmodl.fault.InvalidArgument",
      set: null,
      after: ["vmx-10", ["vmx-10"]],
      newVm: "vmx-10",
      modifyKeeps: [null, "vmx-10"],
      replaceClears: [null, null],
      newVmAfterClear: newest,
    },
    batchAdd: v67
      ? {
        standalone: [["esx10.example.com"], [["esx11.example.com", "SSLVerifyFault", true]]],
        standaloneParent: "ComputeResource",
        cluster: [["esx10.example.com", "esx12.example.com"], [["esx1.example.com", "AlreadyConnected"]], []],
        members: ["esx1.example.com", "esx10.example.com", "esx12.example.com", "esx2.example.com", "esx3.example.com"],
        maintenance: [["esx10.example.com", true], ["esx12.example.com", true]],
        badState: "vmodl.fault.InvalidArgument",
      }
      : "MethodNotFound",
    reset: {
      recommendations: 0,
      evc: null,
      hosts: CLUSTER_HOSTS,
      ipmi: null,
      das: null,
      dasHostState: [null, null, null],
      crypto: v67 ? "incapable" : null,
      swap: ["HostCacheOption", "HostLocalSwapOption"],
      locker: v67 ? "/locker/packages/6.7.0" : null,
      dcDefault: null,
      standalone: ["poweredOn", false],
      drs: "fullyAutomated",
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe("pyvmomi: cluster, host and datacenter operations", () => {
  it("serves them on a vCenter 6.0 cluster", async () => {
    expect(await runPyvmomi("pyvmomi_cluster_ops.py", "vcenter-cluster")).toEqual(expected(false));
  }, 120_000);

  it("serves them on a vCenter 6.7 cluster", async () => {
    expect(await runPyvmomi("pyvmomi_cluster_ops.py", "vcenter-67")).toEqual(expected(true));
  }, 120_000);

  it("restores recommendations, EVC, standby, crypto, IPMI, swap and the tools repository with a snapshot", async () => {
    const sim = await startSimulator({ scenario: "vcenter-67" });
    try {
      const inv = sim.sim.inventory;
      const cluster = inv.ofType("ClusterComputeResource")[0] as ManagedObject & Record<string, any>;
      const host = inv.get((cluster.props.host as ManagedObjectReference[])[1].value) as ManagedObject & Record<string, any>;
      const ctx = { session: undefined } as never;
      const before = { summary: cluster.props.summary, runtime: host.props.runtime, config: host.props.config, locker: host.QueryProductLockerLocation({}) };
      const snap = sim.snapshot();

      cluster.addRecommendation({ _type: "ClusterRecommendation", key: "r1", type: "V1", time: new Date(0), rating: 1, reason: "fairnessMemAvg", reasonText: "", action: [] });
      const em = inv.get(cluster.EvcManager({}).value) as ManagedObject & Record<string, any>;
      em.ConfigureEvcMode_Task({ evcModeKey: "intel-haswell" }, ctx);
      host.PrepareCrypto({});
      host.UpdateSystemSwapConfiguration({ sysSwapConfig: { _type: "HostSystemSwapConfiguration", option: [{ _type: "HostSystemSwapConfigurationHostLocalSwapOption", key: 0 }] } });
      const ds = inv.get((host.props.datastore as ManagedObjectReference[])[0].value) as ManagedObject & { volume: { mkdir(p: string): void } };
      ds.volume.mkdir("tools");
      host.UpdateProductLockerLocation_Task({ path: `/vmfs/volumes/${String(ds.props.name)}/tools` }, ctx);
      await settle();
      expect([(cluster.props.summary as { currentEVCModeKey?: string }).currentEVCModeKey, (host.props.runtime as { cryptoState: string }).cryptoState, host.QueryProductLockerLocation({})])
        .toEqual(["intel-haswell", "prepared", "/vmfs/volumes/shared-ds/tools"]);

      sim.restore(snap);
      expect(cluster.props.recommendation).toEqual([]);
      expect(cluster.props.summary).toEqual(before.summary);
      expect(host.props.runtime).toEqual(before.runtime);
      expect(host.props.config).toEqual(before.config);
      expect(host.QueryProductLockerLocation({})).toBe(before.locker);
      expect(inv.get(em.ref.value)).toBeUndefined();
    } finally {
      await sim.close();
    }
  }, 60_000);
});
