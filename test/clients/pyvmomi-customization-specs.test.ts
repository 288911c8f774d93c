// pyVmomi: vCenter's customization spec library, and a restore that undoes it.
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { pyvmomiScript } from "./pyvmomi-run.ts";

describe("pyvmomi: customization specs", () => {
  it("creates, reads, overwrites, refuses a stale overwrite, duplicates, renames and deletes specs", async () => {
    const sim = await startSimulator({ scenario: "vcenter-cluster" });
    let out: any;
    try {
      const before = sim.snapshot();
      out = await pyvmomiScript("pyvmomi_customization_specs.py", sim);
      sim.restore(before);
      const csm = sim.sim.inventory.get((sim.sim.content.customizationSpecManager as { value: string }).value)!;
      expect(csm.props.info).toEqual([]);
    } finally {
      await sim.close();
    }
    expect(out.exists).toEqual([true, false]);
    expect(out.got).toEqual(["linux-dhcp", "Linux", "example.com", "VirtualMachineNameGenerator", ["10.0.0.53"]]);
    expect(out.again).toBe("AlreadyExists");
    expect(out.stale).toBe("ConcurrentAccess");
    expect(out.domain).toBe("example.org");
    expect(out.names).toEqual(["linux-dhcp", "linux-renamed"]);
    expect(out.renamedDomain).toBe("example.org");
    expect(out.afterDelete).toEqual(["linux-renamed"]);
    expect(out.missing).toEqual(["NotFound", "NotFound", "AlreadyExists"]);
    expect(out.encryptionKey).toBe(true);
  });
});
