// pyVmomi: PutUsbScanCodes types at the console of a VM booting
// generic-linux (a root shell there), as Ansible's vmware_guest_sendkey
// does; vSphere 6.5's method, so on the 6.7 vCenter.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { buildGuestIso } from "../../formats/iso9660.ts";

describe("pyvmomi: typing at a VM's console", () => {
  it("runs what PutUsbScanCodes types in the console's shell (vcenter-67)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "console-keys-"));
    const sim = await startSimulator({ scenario: "vcenter-67" });
    try {
      writeFileSync(join(dir, "linux.iso"), buildGuestIso("generic-linux", [], new Date(0)));
      const script = new URL("./pyvmomi_console_keys.py", import.meta.url).pathname;
      const { stdout } = await promisify(execFile)("/usr/bin/python3", [script, "127.0.0.1", String(sim.port), sim.username, sim.password, join(dir, "linux.iso")], { timeout: 60_000 });
      const out = JSON.parse(stdout);
      expect(out.poweredOff).toBe("InvalidPowerState");
      // one event per key: the comma left out, Shift riding on its key's event
      expect(out.sent).toBe('echo "Hello World!" > /tmp/typed; echo ok_2 >> /tmp/typed\n'.length);
      expect(out.ctrlC).toBe(2 + "uname -s | tee /tmp/os\n".length);
      expect(out.file).toBe("Hello World!\nok_2\n");
      expect(out.os).toBe("Linux\n");
    } finally {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
