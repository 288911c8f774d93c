// pyVmomi: vCenter's AlarmManager (default alarms, state and event alarms
// evaluated as the inventory changes and events are posted, acknowledgement,
// reconfiguration, removal); a standalone host has none.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

describe("pyvmomi: alarms", () => {
  it("declares, triggers, acknowledges, reconfigures and removes alarms on vCenter", async () => {
    const out = await runPyvmomi("pyvmomi_alarms.py", "vcenter-cluster");
    expect(out.defaults).toEqual(["Host connection and power state", "Virtual machine CPU usage"]);
    expect(out.hostDeclared).toEqual([["Host connection and power state", "green"]]);
    expect(out.created).toEqual(["Alarm", "vm running", true, true]);
    expect([out.duplicate, out.badName]).toEqual(["DuplicateName", "InvalidName"]);
    expect(out.onFolder).toEqual(["vm running"]);
    // declared on the VM folder, it applies to the VM below it; the default CPU alarm from the root too
    expect(out.before).toEqual([[], "green", [["Virtual machine CPU usage", "green"], ["vm running", "green"]]]);
    expect(out.on).toEqual([[["vm running", "red"]], "red", ["red"]]);
    expect(out.acknowledged).toEqual([true, true]);
    expect(out.off).toEqual([[], "green"]);
    expect(out.reconfigured).toEqual(["vm stopped", [["vm stopped", "red"]]]);
    expect(out.event).toEqual([["reconfigured", "yellow"], ["vm stopped", "red"]]);
    expect(out.actions).toEqual([true, false]);
    expect(out.removed).toEqual([[], "green", []]);
    expect(out.events).toEqual([
      ["AlarmCreatedEvent", "Created alarm 'vm running' on vm"],
      ["AlarmStatusChangedEvent", "Alarm 'vm running' on watched changed from Green to Red"],
      ["AlarmStatusChangedEvent", "Alarm 'vm running' on watched changed from Red to Green"],
      ["AlarmReconfiguredEvent", "Reconfigured alarm 'vm stopped' on vm"],
      ["AlarmStatusChangedEvent", "Alarm 'vm stopped' on watched changed from Green to Red"],
      ["AlarmCreatedEvent", "Created alarm 'reconfigured' on watched"],
      ["AlarmStatusChangedEvent", "Alarm 'reconfigured' on watched changed from Green to Yellow"],
      ["AlarmRemovedEvent", "Removed alarm 'vm stopped' on vm"],
      ["AlarmRemovedEvent", "Removed alarm 'reconfigured' on watched"],
    ]);
    expect(out.entityGone).toEqual({
      before: [["doomed stopped"], [["doomed stopped", "red"]]],
      info: "ManagedObjectNotFound",
      events: ["AlarmCreatedEvent", "AlarmStatusChangedEvent"],
    });
  });

  it("has no AlarmManager on a standalone host, as hostd has none", async () => {
    expect(await runPyvmomi("pyvmomi_alarms.py", "homelab")).toEqual({ alarmManager: null });
  });
});
