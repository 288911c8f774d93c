// pyVmomi: the host subsystems that answered NotImplemented before:
// HostCpuSchedulerSystem (hyperthreading, active after a reboot),
// HostMemorySystem (refused on ESXi, which has no service console),
// HostVMotionSystem (in step with HostVirtualNicManager), HostSnmpSystem
// (the host's on ESXi, vCenter's own), OverheadMemoryManager (vCenter) and
// setCustomValue on the host's configuration managers, with their faults;
// /_sim/reset and an in-process snapshot restore bring the state back.
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { runPyvmomi } from "./pyvmomi-run.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

const VMK0 = "VMotionConfig.vmotion.key-vim.host.VirtualNic-vmk0";
const VMK1 = "VMotionConfig.vmotion.key-vim.host.VirtualNic-vmk1";
const SEL0 = "vmotion.key-vim.host.VirtualNic-vmk0";
const SEL1 = "vmotion.key-vim.host.VirtualNic-vmk1";
const MANAGERS = ["firewall", "network", "service", "storage", "vnic", "cpu", "memory", "vmotion"];

function expected(vc: boolean, mgmtIp: string) {
  const configured = [true, 1161, ["public", "ops"], [["nms.example.com", 162, "public"]]];
  const fresh = [vc, 161, [], []];
  return {
    hyperThreading: {
      steps: [
        ["fresh", "ok", [true, true, true, true]],
        // configured now, active after the reboot
        ["disable", "ok", [true, true, false, true]],
        ["disableAgain", "ok", [true, true, false, true]],
        ["reboot", "ok", [true, false, false, true]],
        ["enable", "ok", [true, false, true, true]],
        ["reboot", "ok", [true, true, true, true]],
        ["disable", "ok", [true, true, false, true]],
      ],
      otherHost: vc ? [true, true, true, true] : null,
    },
    memory: { info: [null, null, null, null], console: "NotSupported", consoleNegative: "InvalidArgument", vm: "NotSupported", vmTooMuch: "InvalidArgument", vmBadPolicy: "InvalidArgument" },
    vmotion: {
      candidates: [VMK0, VMK1],
      steps: [
        ["fresh", "ok", [null, null, [], false, true]],
        ["select", "ok", [VMK1, "10.20.30.40", [SEL1], true, true]],
        ["ip", "ok", [VMK1, "10.20.30.41", [SEL1], true, true]],
        ["badIp", "InvalidArgument", [VMK1, "10.20.30.41", [SEL1], true, true]],
        ["unknownNic", "InvalidArgument", [VMK1, "10.20.30.41", [SEL1], true, true]],
        ["nicManagerAdds", "ok", [VMK0, mgmtIp, [SEL0, SEL1], true, true]],
        ["selectOne", "ok", [VMK0, mgmtIp, [SEL0], true, true]],
        ["deselect", "ok", [null, null, [], false, true]],
        ["deselectAgain", "ok", [null, null, [], false, true]],
        ["ipNoNic", "NotFound", [null, null, [], false, true]],
      ],
      nicIp: "10.20.30.41",
    },
    snmp: {
      hostManager: !vc,
      limits: [10, vc ? 4 : 3, 64, "COMPLETE"],
      fresh,
      testFresh: "NotFound",
      badPort: "InvalidArgument",
      tooManyCommunities: "InvalidArgument",
      longCommunity: "InvalidArgument",
      tooManyTargets: "InvalidArgument",
      badTarget: "InvalidArgument",
      badTargetPort: "InvalidArgument",
      unchanged: fresh,
      disableOnly: ["ok", "NotFound"],
      configure: "ok",
      configured,
      test: "ok",
      keepOthers: ["ok", [true, 161, ["public", "ops"], [["nms.example.com", 162, "public"]]]],
    },
    overhead: vc
      ? { matchesHost: true, positive: true, otherHost: true, unknownVm: "ManagedObjectNotFound", unknownHost: "ManagedObjectNotFound" }
      : { manager: null },
    customValues: {
      ...Object.fromEntries(MANAGERS.map((m) => [m, vc ? ["ok", [`ops-${m}`]] : ["NotSupported", []]])),
      unknownKey: vc ? "InvalidArgument" : "NotSupported",
      entity: vc ? "ok" : "NotSupported",
    },
    reset: 200,
    afterReset: { hyperThread: [true, true, true, true], vmotion: [null, null, ["vmk0"]], snmp: fresh, value: MANAGERS.map(() => 0) },
  };
}

describe("pyVmomi: host subsystems", () => {
  it("on a standalone ESXi host", async () => {
    expect(await runPyvmomi("pyvmomi_host_subsystems.py", "homelab")).toEqual(expected(false, "192.168.1.10"));
  }, 120_000);

  it("on a vCenter 6.7", async () => {
    expect(await runPyvmomi("pyvmomi_host_subsystems.py", "vcenter-67")).toEqual(expected(true, "10.0.0.11"));
  }, 180_000);

  it("a snapshot restore brings hyperthreading, the SNMP agent and the vMotion NIC back", async () => {
    const sim = await startSimulator({ scenario: "homelab" });
    try {
      const inv = sim.sim.inventory;
      const host = inv.ofType("HostSystem")[0];
      const cm = host.props.configManager as Record<string, ManagedObjectReference>;
      const obj = (k: string) => inv.get(cm[k].value) as unknown as { props: Record<string, any> } & Record<string, (a: object) => void>;
      const state = () => [obj("cpuScheduler").props.hyperthreadInfo.config, obj("snmpSystem").props.configuration.enabled, obj("vmotionSystem").props.netConfig.selectedVnic ?? null];
      const snap = sim.snapshot();
      obj("cpuScheduler").DisableHyperThreading({});
      obj("snmpSystem").ReconfigureSnmpAgent({ spec: { _type: "HostSnmpConfigSpec", enabled: true } });
      obj("vmotionSystem").SelectVnic({ device: "vmk0" });
      expect(state()).toEqual([false, true, VMK0]);
      sim.restore(snap);
      expect(state()).toEqual([true, false, null]);
    } finally {
      await sim.close();
    }
  }, 60_000);
});
