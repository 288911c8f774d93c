// pyVmomi: a host's HostAutoStartManager as Ansible's
// community.vmware.vmware_host_auto_start and govc host.autostart.* drive
// it: ReconfigureAutostart merging per-VM power info into the host's (start
// orders kept 1..n, the collision rule, "any order", removal), the faults,
// AutoStartPowerOn and AutoStartPowerOff running the VMs in order as their
// actions say, destroyed and unregistered VMs leaving the order, and
// /_sim/reset (and an in-process snapshot restore) bringing the config back.
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { runPyvmomi } from "./pyvmomi-run.ts";
import type { HostAutoStartManager } from "../../simulator/objects/host-auto-start-manager.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

const b = ["as-b", 1, "powerOn", "systemDefault"];
const c = ["as-c", 2, "powerOn", "suspend"];
const aAny = ["as-a", -1, "powerOn", "guestShutdown"];
const dStop = ["as-d", -1, "none", "powerOff"];
const fresh = [false, 120, 120, false, "PowerOff"];

describe("pyvmomi: VM autostart", () => {
  it("configures, runs and forgets an ESXi host's autostart order", async () => {
    expect(await runPyvmomi("pyvmomi_autostart.py", "homelab")).toEqual({
      fresh: { defaults: fresh, powerInfo: [], hostConfig: [fresh, []] },
      steps: [
        ["defaults", "ok", [false, 10, 20, false, "powerOff"]],
        // as-c takes place 1 and as-a moves up to 2
        ["order", "ok", [["as-c", 1, "powerOn", "suspend"], ["as-a", 2, "powerOn", "systemDefault"], ["as-b", 3, "powerOn", "systemDefault"]]],
        ["move", "ok", [b, c, ["as-a", 3, "powerOn", "systemDefault"]]],
        ["anyOrder", "ok", [b, c, aAny]],
        ["stopOnly", "ok", [b, c, aAny, dStop]],
        ["remove", "ok", [b, aAny, dStop]],
        ["readd", "ok", [b, c, aAny, dStop]],
        ["hostConfig", true, [false, 10, 20, false, "powerOff"]],
      ],
      faults: {
        orderZero: "InvalidArgument", orderMinusTwo: "InvalidArgument", orderPastEnd: "InvalidArgument", noneWithOrder: "InvalidArgument",
        badStartAction: "InvalidArgument", badStopAction: "InvalidArgument", badDelay: "InvalidArgument", unknownVm: "ManagedObjectNotFound",
        badDefaultStop: "InvalidArgument", badDefaultDelay: "InvalidArgument", halfway: "InvalidArgument",
        unchanged: [b, c, aAny, dStop],
      },
      sequences: [
        ["disabledOn", "ok", { "as-a": "poweredOff", "as-b": "poweredOff", "as-c": "poweredOff", "as-d": "poweredOff" }],
        ["enabled", [true, 10, 20, false, "powerOff"]],
        ["powerOn", "ok", { "as-a": "poweredOn", "as-b": "poweredOn", "as-c": "poweredOn", "as-d": "poweredOff" },
          [["VmPoweredOnEvent", "as-b"], ["VmPoweredOnEvent", "as-c"], ["VmPoweredOnEvent", "as-a"]]],
        ["powerOnAgain", "ok", { "as-a": "poweredOn", "as-b": "poweredOn", "as-c": "poweredOn", "as-d": "poweredOn" }],
        // reverse start order, the "any order" VMs last; as-a has no tools, so its guest shutdown is a power off
        ["powerOff", "ok", { "as-a": "poweredOff", "as-b": "poweredOff", "as-c": "suspended", "as-d": "poweredOff" },
          [["VmSuspendedEvent", "as-c"], ["VmPoweredOffEvent", "as-b"], ["VmPoweredOffEvent", "as-a"], ["VmPoweredOffEvent", "as-d"]]],
      ],
      gone: [
        ["destroyed", [b, aAny, dStop]],
        ["unregistered", [b, dStop], [b, dStop]],
      ],
      reset: { status: 200, defaults: fresh, powerInfo: [], hostConfig: [fresh, []] },
    });
  });

  it("restores the autostart config with a snapshot", async () => {
    const sim = await startSimulator({ scenario: "homelab" });
    try {
      const host = sim.sim.inventory.ofType("HostSystem")[0];
      const cm = host.props.configManager as Record<string, ManagedObjectReference>;
      const asm = sim.sim.inventory.get(cm.autoStartManager.value) as HostAutoStartManager;
      const state = () => {
        const cfg = asm.props.config as { defaults: { enabled: boolean; startDelay: number } };
        return { enabled: cfg.defaults.enabled, startDelay: cfg.defaults.startDelay, host: (host.props.config as { autoStart: unknown }).autoStart === cfg };
      };
      const before = state();
      const snap = sim.snapshot();
      asm.ReconfigureAutostart({ spec: { _type: "HostAutoStartManagerConfig", defaults: { _type: "AutoStartDefaults", enabled: true, startDelay: 30 } } });
      expect(state()).toEqual({ enabled: true, startDelay: 30, host: true });
      sim.restore(snap);
      expect(before).toEqual({ enabled: false, startDelay: 120, host: true });
      expect(state()).toEqual(before);
    } finally {
      await sim.close();
    }
  });
});
