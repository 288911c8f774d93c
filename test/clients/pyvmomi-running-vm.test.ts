// pyVmomi and a running VM booting generic-linux, on the 6.7 vCenter (the
// methods are 6.5's and 6.7's): PutUsbScanCodes types at its console (a root
// shell there), as Ansible's vmware_guest_sendkey does; InstantClone_Task
// forks it.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { buildGuestIso } from "../../formats/iso9660.ts";

/** A pyVmomi script of this folder against a fresh vcenter-67, with a generic-linux ISO to boot. */
async function runWithIso(script: string): Promise<any> {
  const dir = mkdtempSync(join(tmpdir(), "running-vm-"));
  const sim = await startSimulator({ scenario: "vcenter-67" });
  try {
    writeFileSync(join(dir, "linux.iso"), buildGuestIso("generic-linux", [], new Date(0)));
    const path = new URL(`./${script}`, import.meta.url).pathname;
    const { stdout } = await promisify(execFile)("/usr/bin/python3", [path, "127.0.0.1", String(sim.port), sim.username, sim.password, join(dir, "linux.iso")], { timeout: 60_000 });
    return JSON.parse(stdout);
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("pyvmomi: a running VM on vCenter 6.7", () => {
  it("runs what PutUsbScanCodes types in the console's shell", async () => {
    const out = await runWithIso("pyvmomi_console_keys.py");
    expect(out.poweredOff).toBe("InvalidPowerState");
    // one event per key: the comma left out, Shift riding on its key's event
    expect(out.sent).toBe('echo "Hello World!" > /tmp/typed; echo ok_2 >> /tmp/typed\n'.length);
    expect(out.ctrlC).toBe(2 + "uname -s | tee /tmp/os\n".length);
    expect(out.file).toBe("Hello World!\nok_2\n");
    expect(out.os).toBe("Linux\n");
  });

  it("forks with InstantClone_Task: both run on deltas over the disks the source left; a vApp shuts its guest down", async () => {
    const out = await runWithIso("pyvmomi_instant_clone.py");
    expect(out.offSource).toBe("InvalidPowerState");
    expect(out.fork).toEqual({
      name: "fork-1", power: "poweredOn", folder: "vm", sourceOnDelta: true, forkOnDelta: true, guestinfo: ["1"], newMac: true,
      tools: "guestToolsRunning", sourcePower: "poweredOn", snapshots: true,
    });
    expect(out.duplicate).toBe("DuplicateName");
    expect(out.guestShutdown).toEqual(["poweredOff", true, "stopped"]);
  });
});
