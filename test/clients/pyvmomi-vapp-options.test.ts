// pyVmomi: a VM's vApp options (properties edited by key, transports),
// ExtractOvfEnvironment, guestinfo.ovfEnv at power on (vCenter only), an
// OVF's properties through CreateImportSpec with a propertyMapping, and
// vAppConfigRemoved, on ESXi and on vCenter.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

describe("pyvmomi: a VM's vApp options and OVF environment", () => {
  it.each(["homelab", "vcenter-cluster"])("keeps properties and hands the guest its environment (%s)", async (scenario) => {
    const out = await runPyvmomi("pyvmomi_vapp_options.py", scenario);
    const vcenter = scenario !== "homelab";
    expect(out.created).toEqual({ props: [[0, "hostname", null, "appliance"], [1, "ip", "10.0.0.5", null]], transport: ["com.vmware.guestInfo"], product: ["Appliance"] });
    expect(out.edited).toEqual([[0, "hostname", "web01", "appliance"], [2, "dns", "10.0.0.2", null]]);
    expect(out.faults).toEqual({ addTaken: "InvalidArgument", editMissing: "InvalidArgument", removeMissing: "InvalidArgument", unchanged: true });
    expect(out.environment).toEqual({ properties: [["hostname", "web01"], ["dns", "10.0.0.2"]], adapter: true, vCenterId: vcenter, kind: true });
    expect(out.poweredOn).toEqual(vcenter ? { guestinfo: true, vmx: true, count: 1 } : { guestinfo: false, vmx: false, count: 0 });
    expect(out.importSpec).toEqual({
      errors: [], warnings: ["OvfProperty"], props: [["hostname", "mapped-host", "default-host", "string"], ["port", "80", "80", "int"]],
      transport: ["com.vmware.guestInfo"], product: ["Imported appliance"],
    });
    expect(out.imported).toEqual([[0, "hostname", "mapped-host", "default-host"], [1, "port", "80", "80"]]);
    expect(out.afterReload).toBe(true);
    expect(out.removed).toEqual([true, ""]);
  });
});
