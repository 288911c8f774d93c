// pyVmomi: a host's power and lockdown lifecycle (reboot, shutdown, uptime,
// memory overhead, flags, lockdown) on ESXi and on a vCenter, the cluster
// calls that move hosts and explain rules (MoveHostInto_Task,
// ReconfigureCluster_Task, FindRulesForVm, RecommendHostsForVm,
// GetResourceUsage), their faults, and /_sim/reset (and an in-process
// snapshot restore) bringing it all back.
import { describe, expect, it } from "vitest";
import { ManualClock, startSimulator } from "../../simulator/index.ts";
import { runPyvmomi } from "./pyvmomi-run.ts";
import type { HostSystem } from "../../simulator/objects/host-system.ts";
import type { ComputeResource } from "../../simulator/objects/compute-resource.ts";
import type { CallContext } from "../../simulator/objects/managed-object.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

const UP = ["connected", "poweredOn", false, "connected", "poweredOn"];
const OFF = ["notResponding", "poweredOff", false, "notResponding", "poweredOff"];
const NETS = ["VM Network", "dvpg-containers", "dvs1-DVUplinks-18"];
const ESX = (n: number) => `esx${n}.example.com`;

function common(vc: boolean) {
  return {
    refused: { reboot: "InvalidState", shutdown: "InvalidState", state: UP, vm: "poweredOn" },
    forcedReboot: {
      task: "ok", state: UP, vm: ["poweredOff", "connected"], vmEvents: ["VmPoweredOffEvent"],
      // vCenter logs the host's return; hostd has no one to tell
      hostEvents: vc ? ["HostConnectedEvent", "HostShutdownEvent"] : ["HostShutdownEvent"],
      bootTimeMoved: true, summaryBootTime: true,
    },
    uptime: ["long", true],
    maintenanceReboot: ["ok", ["connected", "poweredOn", true, "connected", "poweredOn"], true],
    overhead: {
      // 14.42 MB + 3.98 MB a vCPU + 0.74 % of the memory (+ video RAM), in 4 KB pages
      "1GB2cpu": 35610624, "256MB1cpu": 21282816, "16GB8cpu": 175640576,
      growsWithCpus: true, exMatches: true, noCpus: "InvalidArgument", noMemory: "InvalidArgument",
    },
    flags: [false, "ok", true, "ok", true],
    lockdown: vc
      ? [
        ["fresh", [false, "lockdownDisabled"]],
        ["exitWhenOpen", "AdminNotDisabled", [false, "lockdownDisabled"]],
        ["enter", "ok", [true, "lockdownNormal"]],
        ["enterAgain", "AdminDisabled", [true, "lockdownNormal"]],
        ["exit", "ok", [false, "lockdownDisabled"]],
      ]
      // the API reference gives lockdown to vCenter only
      : [
        ["fresh", [false, "lockdownDisabled"]],
        ["exitWhenOpen", "NotSupported", [false, "lockdownDisabled"]],
        ["enter", "NotSupported", [false, "lockdownDisabled"]],
        ["enterAgain", "NotSupported", [false, "lockdownDisabled"]],
        ["exit", "NotSupported", [false, "lockdownDisabled"]],
      ],
    shutdown: {
      task: "ok", state: OFF, vm: ["poweredOff", "disconnected"], vmEvents: ["VmPoweredOffEvent"],
      hostEvents: vc ? ["HostConnectionLostEvent", "HostShutdownEvent"] : ["HostShutdownEvent", "HostShutdownEvent", "HostShutdownEvent"],
      powerOnVm: "HostNotConnected", reboot: "HostNotConnected", shutdownAgain: "HostNotConnected",
      uptime: "HostNotConnected", maintenance: "HostNotConnected", bootTimeKept: true,
      // esx3 is off and esx2 gone to cluster2: esx1 alone gives capacity, nothing runs on it
      ...(vc ? { usage: [41600, 131072, 0], lockdown: "HostNotConnected" } : {}),
    },
  };
}

const rule = (type: string, name: string, enabled: boolean) => [type, name, enabled, true, "green", true];

const VCENTER = {
  ...common(true),
  lockdownEvents: ["HostAdminDisableEvent", "HostAdminEnableEvent"],
  // three hosts of 16 cores at 2600 MHz and 128 GB; life-1 (512 MB) and life-2 (256 MB) run
  usage: [124800, 0, 393216, 768, 2097152, 0],
  recommend: {
    poweredOff: [[ESX(1), 5], [ESX(2), 5], [ESX(3), 5]],
    // a running VM is placed elsewhere: its own host is left out
    running: [[ESX(1), 5], [ESX(2), 5]],
    outsiderWithPool: [[ESX(1), 5], [ESX(2), 5], [ESX(3), 5]],
    outsiderNoPool: "InvalidArgument",
    badVm: "ManagedObjectNotFound",
    maintenanceLeftOut: [[ESX(2), 5], [ESX(3), 5]],
  },
  rules: {
    none: [],
    add: "ok",
    life1: [rule("AntiAffinityRuleSpec", "keep-apart", true), rule("VmHostRuleInfo", "web-on-fast", true)],
    life2: [rule("AntiAffinityRuleSpec", "keep-apart", true)],
    keys: ["int", "int"],
    config: [["keep-apart", ["life-1", "life-2"]], ["web-on-fast", []]],
    edit: "ok",
    afterEdit: [rule("AntiAffinityRuleSpec", "keep-apart", false)],
    faults: {
      removeUnknown: "InvalidArgument", editUnknown: "InvalidArgument", vmOutside: "InvalidArgument", unknownGroup: "InvalidArgument",
      halfApplied: ["InvalidArgument", 2], findBadVm: "ManagedObjectNotFound", findOutsider: [],
    },
    remove: ["ok", [], ["web-on-fast"]],
  },
  move: {
    before: [[3, 384, 124800, [ESX(1), ESX(2), ESX(3)], ["shared-ds"], NETS], [0, 0, 0, [], [], []]],
    notInMaintenance: "InvalidState",
    badHost: "ManagedObjectNotFound",
    betweenClusters: "ok",
    after: [[2, 256, 83200, [ESX(1), ESX(3)], ["shared-ds"], NETS], [1, 128, 41600, [ESX(2)], ["shared-ds"], NETS], true, true],
    vm: [true, true, true, ESX(2)],
    foreignPool: "InvalidArgument",
    duplicatePool: "DuplicateName",
    standaloneWithPool: "ok",
    standaloneAfter: {
      cluster2: [2, 192, 52000, [ESX(2), ESX(4)], ["esx4-local", "shared-ds"], NETS],
      computeResources: ["cluster1", "cluster2"],
      parent: true,
      pool: [true, true, ["rp-a"]],
      vms: [true, "poweredOn", true, ["outsider"]],
      usage: 196608,
    },
  },
  reset: {
    status: 200, states: [UP, UP, UP, UP], bootTime: true, flags: false, lockdown: [false, "lockdownDisabled"],
    computeResources: ["cluster1", ESX(4)], cluster1: [[ESX(1), ESX(2), ESX(3)], [], 3],
  },
};

const HOMELAB = {
  ...common(false),
  reset: { status: 200, states: [UP], bootTime: true, flags: false, lockdown: [false, "lockdownDisabled"], computeResources: ["esxi01.think-v.com"] },
};

async function settled(sim: { sim: { inventory: { get(v: string): { props: Record<string, any> } | undefined } } }, ref: ManagedObjectReference): Promise<Record<string, any>> {
  for (let i = 0; i < 1000; i++) {
    const info = sim.sim.inventory.get(ref.value)?.props.info;
    if (info?.state === "success" || info?.state === "error") return info;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error("task did not finish");
}

describe("pyvmomi: host power and lockdown lifecycle, and the cluster calls that move hosts and explain rules", () => {
  it("serves a vCenter's hosts and clusters", async () => {
    expect(await runPyvmomi("pyvmomi_host_lifecycle.py", "vcenter-cluster")).toEqual(VCENTER);
  }, 120_000);

  it("serves a standalone ESXi host", async () => {
    expect(await runPyvmomi("pyvmomi_host_lifecycle.py", "homelab")).toEqual(HOMELAB);
  }, 120_000);

  it("counts uptime by the injected clock and restores power, lockdown and rules with a snapshot", async () => {
    const clock = new ManualClock();
    const sim = await startSimulator({ scenario: "vcenter-cluster", clock });
    try {
      const ctx = { aborted: new Promise<void>(() => {}), remoteAddress: "127.0.0.1", userAgent: "test" } as CallContext;
      const hosts = (sim.sim.inventory.ofType("HostSystem") as HostSystem[]).sort((a, b) => a.name.localeCompare(b.name));
      const [esx1, , esx3] = hosts;
      const cluster = esx1.parentObject() as ComputeResource;
      const state = () => ({
        uptime: esx1.RetrieveHardwareUptime({}),
        bootTime: (esx1.props.runtime as { bootTime: Date }).bootTime.toISOString(),
        lockdown: (esx1.props.config as { lockdownMode: string }).lockdownMode,
        esx3: (esx3.props.runtime as { powerState: string }).powerState,
        rules: ((cluster.props.configurationEx as { rule: { name: string }[] }).rule).map((r) => r.name),
      });
      clock.advance(3600_000);
      const before = state();
      const snap = sim.snapshot();
      expect((await settled(sim, esx1.RebootHost_Task({ force: true }, ctx))).state).toBe("success");
      clock.advance(90_000);
      esx1.EnterLockdownMode({}, ctx);
      expect((await settled(sim, esx3.ShutdownHost_Task({ force: true }, ctx))).state).toBe("success");
      const vm = (esx1.props.vm as ManagedObjectReference[])[0];
      const spec = { _type: "ClusterConfigSpecEx", rulesSpec: [{ _type: "ClusterRuleSpec", operation: "add", info: { _type: "ClusterAffinityRuleSpec", name: "together", enabled: true, vm: vm ? [vm] : [] } }] };
      expect((await settled(sim, cluster.ReconfigureComputeResource_Task({ spec, modify: true }, ctx))).state).toBe("success");
      expect(state()).toEqual({ uptime: 90, bootTime: "2016-08-06T20:50:00.000Z", lockdown: "lockdownNormal", esx3: "poweredOff", rules: ["together"] });
      sim.restore(snap);
      expect(before).toEqual({ uptime: 3600, bootTime: "2016-08-06T19:50:00.000Z", lockdown: "lockdownDisabled", esx3: "poweredOn", rules: [] });
      // the clock is not part of a snapshot: the restored bootTime is an hour and a half ago now
      expect(state()).toEqual({ ...before, uptime: 3690 });
    } finally {
      await sim.close();
    }
  });
});
