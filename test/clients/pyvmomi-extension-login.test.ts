// pyVmomi: a vCenter extension logs in with a client certificate. vCenter's
// listener asks every client for one (hostd's asks for none);
// SetExtensionCertificate keeps a PEM's or the caller's own handshake
// certificate; LoginExtensionByCertificate and LoginExtensionBySubjectName
// then open a privileged session for a connection presenting it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { selfSigned } from "../../simulator/server/tls.ts";
import { pyvmomiScript } from "./pyvmomi-run.ts";

describe("pyvmomi: extension logins by certificate (vcenter-cluster)", () => {
  let sim: RunningSimulator;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "ext-certs-"));
    for (const [name, cn] of [["a", "ext-client"], ["b", "other-client"]]) {
      const { cert, key } = await selfSigned(cn, [cn], new Date());
      writeFileSync(join(dir, `${name}.pem`), cert);
      writeFileSync(join(dir, `${name}.key`), key);
    }
    sim = await startSimulator({ scenario: "vcenter-cluster" });
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const expected = {
    before: { byCert: "InvalidLogin", noClientCert: "NoClientCertificate", setFromHandshake: "NoClientCertificate", setBadPem: "InvalidArgument", setUnknown: "NotFound" },
    byCert: {
      other: "InvalidLogin",
      session: ["com.example.certext", "Cert extension", "com.example.certext"],
      again: "InvalidLogin",
      privileged: ["made-by-extension", true],
      loginEvent: "com.example.certext",
    },
    impersonated: ["reader@vsphere.local", "made-by-extension", "NoPermission"],
    fromHandshake: { a: "InvalidLogin", b: "ok" },
    bySubject: { a: "ok", b: "InvalidLogin", none: "NoClientCertificate" },
    unregistered: "InvalidLogin",
    reregistered: "InvalidLogin",
    resetStatus: 200,
    afterReset: "InvalidLogin",
  };

  it("logs an extension in with the certificate it set, as a privileged session until it impersonates a user", async () => {
    expect(await pyvmomiScript("pyvmomi_extension_login.py", sim, [dir])).toEqual(expected);
  });

  it("does the same with TLS in the HTTPS worker, which relays the client's certificate", async () => {
    const offloaded = await startSimulator({ scenario: "vcenter-cluster", offloadTls: true });
    try {
      expect(await pyvmomiScript("pyvmomi_extension_login.py", offloaded, [dir])).toEqual(expected);
    } finally {
      await offloaded.close();
    }
  });
});
