// pyVmomi: a vApp OVF (VirtualSystemCollection with a nested collection,
// properties and a StartupSection) imported into vCenter through one lease
// for all its VMs' disks; refused by ESXi, which has no vApps.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

describe("pyvmomi: OVF import of a vApp", () => {
  it("makes the vApp, its nested vApp and VMs with their disks, and an abort leaves nothing (vcenter-cluster)", async () => {
    const out = await runPyvmomi("pyvmomi_ovf_import_vapp.py", "vcenter-cluster");
    expect(out.spec).toEqual({
      type: "VAppImportSpec", name: "shop-1", children: [["VmImportSpec", "web", 2], ["VAppImportSpec", "backend", 1]], nested: ["VmImportSpec"],
      property: [["url", "https://shop.example.com/"]], files: [["/db/VirtualLsiLogicController0:1", "db-disk1.vmdk"], ["/web/VirtualLsiLogicController0:0", "web-disk1.vmdk"]], errors: 0,
    });
    expect(out.lease).toEqual({ state: "ready", entity: "VirtualApp", urls: 2 });
    expect(out.uploads).toEqual([200, 200]);
    expect(out.vapp).toEqual({
      name: "shop-1", folder: "vm", annotation: "a web tier and a backend", property: [["url", "https://shop.example.com/"]], product: ["Shop"],
      starts: { web: [2, 10, true, "guestShutdown"], backend: [1, 0, false, "powerOff"] }, backendParent: "shop-1",
      web: ["shop-1", 128, "web root"], db: ["backend", "db pages"],
    });
    expect(out.powered).toEqual(["poweredOn", "poweredOn", "started"]);
    expect(out.aborted).toEqual({ made: "shop-2", state: "error", left: ["shop-1"], vms: ["db", "web"] });
    expect(out.duplicate).toBe("DuplicateName");
  });

  it("is refused by an ESXi host (homelab)", async () => {
    const out = await runPyvmomi("pyvmomi_ovf_import_vapp.py", "homelab");
    expect(out.esx).toEqual({ errors: ["OvfUnsupportedPackage"], spec: true });
  });
});
