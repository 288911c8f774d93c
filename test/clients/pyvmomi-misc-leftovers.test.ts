// pyVmomi: calls that used to answer NotImplemented. A physical NIC's link
// speed (fixed from validLinkSpecification or auto-negotiated), the ESX
// classic service console methods (NotSupported on ESXi), vCenter's
// CertificateManager renewing hosts' certificates (config.certificate and
// summary.config.sslThumbprint) with its faults, and
// Datastore.UpdateVVolVirtualMachineFiles_Task on a VMFS datastore; plus
// /_sim/reset and a snapshot restore bringing the certificates back.
import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { runPyvmomi } from "./pyvmomi-run.ts";
import type { CertificateManager } from "../../simulator/objects/certificate-manager.ts";
import type { CallContext } from "../../simulator/objects/managed-object.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

const TEN_G = [10000, true];
const ONE_G = [1000, true];

function expected(vc: boolean, vvolFault: unknown[]) {
  return {
    vc,
    link: {
      valid: [ONE_G, TEN_G],
      fresh: [TEN_G, TEN_G],
      steps: [
        ["fixed1000", "ok", [ONE_G, ONE_G]],
        ["halfDuplex", "InvalidArgument", [ONE_G, ONE_G]],
        ["unlisted100", "InvalidArgument", [ONE_G, ONE_G]],
        ["unknownNic", "NotFound", [ONE_G, ONE_G]],
        // auto-negotiation: no spec.linkSpeed, the link at the NIC's best
        ["auto", "ok", [TEN_G, null]],
        ["fixed10000", "ok", [TEN_G, TEN_G]],
      ],
      invalidProperty: "linkSpeed",
    },
    console: { capability: false, add: "NotSupported", update: "NotSupported", remove: "NotSupported", restart: "NotSupported", route: "NotSupported", consoleVnics: 0 },
    vvol: { type: "VMFS", fault: vvolFault },
    certs: vc
      ? {
          present: true,
          fresh: { pem: null, thumbprintLength: 59 },
          renew: null,
          renewed: { pem: true, thumbprintMatches: true, namesHost: true },
          thumbprintChanged: true,
          cimTicketThumbprint: true,
          othersKept: true,
          renewAgain: null,
          changedAgain: true,
          refreshCA: null,
          revoke: null,
          keptAfterRevoke: true,
          unknownHost: "ManagedObjectNotFound",
          disconnected: { renew: "vmodl.fault.HostNotConnected", refreshCA: "vmodl.fault.HostNotConnected", revoke: "vmodl.fault.HostNotConnected", firstKept: true },
          standby: ["standBy", "connected", "vmodl.fault.HostNotConnected", true],
          resetStatus: 200,
          afterReset: true,
        }
      : { present: false },
    afterReset: [TEN_G, TEN_G],
  };
}

describe("pyVmomi: NIC link speed, service console, CertificateManager, VVol file update", { timeout: 120_000 }, () => {
  it("serves them on ESXi 6.0 (no CertificateManager; the VVol method is 6.5's)", async () => {
    const out = await runPyvmomi("pyvmomi_misc_leftovers.py", "homelab");
    expect(out).toEqual(expected(false, ["MethodNotFound"]));
  });

  it("serves them on a vCenter 6.0 cluster", async () => {
    const out = await runPyvmomi("pyvmomi_misc_leftovers.py", "vcenter-cluster");
    expect(out).toEqual(expected(true, ["MethodNotFound"]));
  });

  it("refuses the VVol file update on a VMFS datastore of a vCenter 6.7", async () => {
    const out = await runPyvmomi("pyvmomi_misc_leftovers.py", "vcenter-67");
    expect(out).toEqual(expected(true, ["InvalidDatastore", true, true]));
  });

  it("issues a parseable certificate from the vCenter's CA, and a snapshot restore takes it back", async () => {
    const sim = await startSimulator({ scenario: "vcenter-cluster" });
    try {
      const host = sim.sim.inventory.ofType("HostSystem")[0];
      const cm = sim.sim.inventory.get((sim.sim.content.certificateManager as ManagedObjectReference).value) as CertificateManager;
      const state = () => ({
        certificate: (host.props.config as { certificate?: number[] }).certificate,
        thumbprint: (host.props.summary as { config: { sslThumbprint: string } }).config.sslThumbprint,
      });
      const before = state();
      const snap = sim.snapshot();
      const ctx = { aborted: new Promise<void>(() => {}), remoteAddress: "127.0.0.1", userAgent: "test" } as CallContext;
      cm.CertMgrRefreshCertificates_Task({ host: [host.ref] }, ctx);
      for (let i = 0; i < 200 && !state().certificate; i++) await new Promise((r) => setTimeout(r, 10));
      const after = state();
      const x509 = new X509Certificate(Buffer.from(after.certificate!));
      expect({
        subject: x509.subject.split("\n").find((l) => l.startsWith("CN=")),
        issuer: x509.issuer.split("\n"),
        thumbprint: x509.fingerprint,
        days: Math.round((Date.parse(x509.validTo) - Date.parse(x509.validFrom)) / 86_400_000),
      }).toEqual({ subject: `CN=${host.get("name")}`, issuer: ["CN=CA", "DC=vsphere", "DC=local"], thumbprint: after.thumbprint, days: 1825 });
      expect(after.thumbprint).not.toEqual(before.thumbprint);
      sim.restore(snap);
      expect(before.certificate).toBeUndefined();
      expect(state()).toEqual(before);
    } finally {
      await sim.close();
    }
  });
});
