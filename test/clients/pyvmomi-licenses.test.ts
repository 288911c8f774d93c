// pyVmomi: LicenseManager's feature queries, editions, optional features,
// license sources, UpdateLicense and labels on ESXi and on a vCenter host,
// their faults, and /_sim/reset (and an in-process snapshot restore)
// bringing editions, released features and licenses back.
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { runPyvmomi } from "./pyvmomi-run.ts";
import type { LicenseManager } from "../../simulator/objects/license-manager.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

const EDITION = "esx.enterprisePlus.cpuPackage";
const HOST_FEATURES = [EDITION, "serialuri", "dvs", "vmotion", "drs", "ha"];
const VC_FEATURES = ["vc.standard.instance", "esxHost", "dvs", "serialuri"];
const NAMES: Record<string, string> = {
  [EDITION]: "VMware vSphere 6 Enterprise Plus", serialuri: "Remote virtual Serial Port Concentrator", dvs: "vSphere Distributed Switch",
  vmotion: "vSphere vMotion", drs: "vSphere DRS", ha: "vSphere HA",
};
const OPTIONAL = new Set(["vmotion", "drs", "ha"]);
const HOST_KEY = "00000-00000-00000-00000-00000";
const VC_KEY = "11111-11111-11111-11111-11111";

/** `cpus`: the host's CPU packages (what its edition costs); `available`: what the license has left */
function expected(vc: boolean, cpus: number, available: number) {
  const licensed = (n: number) => HOST_FEATURES.map((f) => [f, "licensed", n]);
  const ownEdition = vc ? "vc.standard.instance" : EDITION;
  const keys = vc ? [HOST_KEY, VC_KEY] : [HOST_KEY];
  return {
    features: HOST_FEATURES.map((f) => [f, NAMES[f], OPTIONAL.has(f) ? "optional" : "enabled", f === EDITION, "cpuPackage"]),
    availability: HOST_FEATURES.map((f) => [f, 32, available]),
    usage: { source: "vim.LicenseManager.LocalLicense", available: true, reservations: licensed(cpus), features: HOST_FEATURES },
    own: {
      edition: ownEdition, featureInfo: vc ? VC_FEATURES : HOST_FEATURES, source: "vim.LicenseManager.LocalLicense", sourceAvailable: true,
      ...(vc ? { vcFeatures: VC_FEATURES } : {}),
    },
    // esxHost is a feature of the vCenter's license, not of the host's
    check: { serialuri: true, vmotion: true, esxHost: false, unknown: "InvalidArgument" },
    optional: [
      ["disable", true, false, [["vmotion", "notUsed", 0]]],
      ["disableAgain", true, false],
      ["disableImplied", "InvalidArgument", true],
      ["enableUnknown", "InvalidArgument"],
      ["enable", true, true],
      ...(vc ? [["noHost", "InvalidArgument"]] : []),
    ],
    edition: [
      ["unknown", "InvalidArgument"],
      ...(vc ? [["otherProduct", "InvalidState"], ["noHost", "InvalidArgument"]] : []),
      // the manager's own edition is the vCenter's, which the host's does not change
      ["unlicense", "ok", vc ? ownEdition : "", false, false, [[EDITION, "notUsed", 0], ["serialuri", "notUsed", 0]]],
      ["enableUnlicensed", "InvalidState"],
      ["relicense", "ok", ownEdition, true, true],
    ],
    source: [
      ["served", "LicenseServerUnavailable", "vim.LicenseManager.LocalLicense"],
      ["badLocal", vc ? "InvalidArgument" : "InvalidLicense", keys],
      ["evaluation", "InvalidArgument"],
      ...(vc ? [] : [["local", "ok", [HOST_KEY, "M1111-22222-33333-44444-55555"], `${HOST_KEY} M1111-22222-33333-44444-55555`]]),
    ],
    update: [
      ...(vc
        ? [["update", "NotSupported"]]
        : [
          ["malformed", "InvalidArgument", [HOST_KEY, "M1111-22222-33333-44444-55555"]],
          ["update", "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", EDITION, [["owner", "lab"]], ["AAAAA-BBBBB-CCCCC-DDDDD-EEEEE"], EDITION, "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", true],
        ]),
      ["labels", vc ? [["site", "rack 4"]] : [["owner", "lab"], ["site", "rack 4"]]],
      ["removeLabel", "ok", vc ? [] : [["owner", "lab"]]],
      ["removeMissingLabel", "ok"],
      ["removeLabelUnknownKey", "InvalidArgument"],
    ],
    reset: { status: 200, edition: ownEdition, keys, labels: keys.map(() => 0), drs: true, serialuri: true, usage: licensed(cpus).slice(0, 2) },
  };
}

describe("pyvmomi: licenses, features and editions", () => {
  it("serves an ESXi host's license features", async () => {
    const out = await runPyvmomi("pyvmomi_licenses.py", "homelab");
    expect(out).toEqual(expected(false, 1, 31));
  });

  it("serves a vCenter's hosts their own", async () => {
    const out = await runPyvmomi("pyvmomi_licenses.py", "vcenter-cluster");
    // esx1 has two CPU packages; the four hosts hold seven of the license's 32
    expect(out).toEqual(expected(true, 2, 25));
  });

  it("restores editions, released features and licenses with a snapshot", async () => {
    const sim = await startSimulator({ scenario: "homelab" });
    try {
      const lm = sim.sim.inventory.get((sim.sim.content.licenseManager as ManagedObjectReference).value) as LicenseManager;
      const state = () => ({
        edition: lm.props.licensedEdition,
        vmotion: lm.CheckLicenseFeature({ featureKey: "vmotion" }),
        keys: (lm.props.licenses as { licenseKey: string }[]).map((l) => l.licenseKey),
      });
      const before = state();
      const snap = sim.snapshot();
      lm.DisableFeature({ featureKey: "vmotion" });
      lm.UpdateLicense({ licenseKey: "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE" });
      lm.SetLicenseEdition({});
      expect(state()).toEqual({ edition: "", vmotion: false, keys: ["AAAAA-BBBBB-CCCCC-DDDDD-EEEEE"] });
      lm.SetLicenseEdition({ featureKey: EDITION });
      lm.DisableFeature({ featureKey: "vmotion" });
      sim.restore(snap);
      expect(before).toEqual({ edition: EDITION, vmotion: true, keys: [HOST_KEY] });
      expect(state()).toEqual(before);
    } finally {
      await sim.close();
    }
  });
});
