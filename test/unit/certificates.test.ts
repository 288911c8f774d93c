// The VCH's certificates: 0.4's self-signed server pair (RSA 2048, O=VMware,
// one year) and the --tlsverify set, checked by openssl and by a real TLS
// handshake that requires the client certificate.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readdirSync, statSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { certificateAuthority, selfSignedServer, signedBy, writeServerPair, writeVerifySet } from "../../vic/lib/certificates.ts";

const now = new Date("2016-08-06T19:50:00Z");

describe("VCH certificates", () => {
  it("makes 0.4's self-signed server pair and writes ./<name>-key.pem and ./<name>-cert.pem", async () => {
    const pair = await selfSignedServer("VCH001", ["192.168.1.50"], { now });
    const x = new X509Certificate(pair.cert);
    expect(x.subject).toContain("O=VMware");
    expect(x.subject).toContain("CN=VCH001");
    expect(x.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(new Date(x.validTo).getTime() - new Date(x.validFrom).getTime()).toBe(365 * 24 * 3600 * 1000);
    expect(x.subjectAltName).toContain("IP Address:192.168.1.50");
    expect(x.checkPrivateKey(await import("node:crypto").then((c) => c.createPrivateKey(pair.key)))).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "vch-"));
    const files = writeServerPair(dir, "VCH001", pair);
    expect(readdirSync(dir).sort()).toEqual(["VCH001-cert.pem", "VCH001-key.pem"]);
    expect(statSync(files.key).mode & 0o777).toBe(0o600);
    // openssl reads both
    expect(execFileSync("openssl", ["x509", "-noout", "-subject", "-in", files.cert], { encoding: "utf8" })).toMatch(/CN ?= ?VCH001/);
    expect(execFileSync("openssl", ["rsa", "-check", "-noout", "-in", files.key], { encoding: "utf8" })).toContain("RSA key ok");
  });

  it("makes a CA, a server and a client certificate that a TLS handshake with client verification accepts", async () => {
    const today = new Date();
    const ca = await certificateAuthority("VCH001 CA", { now: today });
    const server = await signedBy(ca, "127.0.0.1", "server", ["127.0.0.1", "localhost"], { now: today });
    const client = await signedBy(ca, "docker", "client", [], { now: today });
    const dir = mkdtempSync(join(tmpdir(), "vch-"));
    const files = writeVerifySet(join(dir, "VCH001"), { ca, server, client });
    expect(readdirSync(join(dir, "VCH001")).sort()).toEqual(["ca-key.pem", "ca.pem", "cert.pem", "key.pem", "server-cert.pem", "server-key.pem"]);
    expect(execFileSync("openssl", ["verify", "-CAfile", files[0], files[2], files[4]], { encoding: "utf8" })).toMatch(/server-cert\.pem: OK\n.*cert\.pem: OK/);
    expect(new X509Certificate(client.cert).checkIssued(new X509Certificate(ca.cert))).toBe(true);

    const srv = https.createServer({ key: server.key, cert: server.cert, ca: ca.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      res.end(`hello ${(req.socket as import("node:tls").TLSSocket).getPeerCertificate().subject.CN}`);
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as AddressInfo).port;
    const get = (opts: https.RequestOptions) => new Promise<string>((resolve, reject) => {
      https.get({ host: "127.0.0.1", port, ca: ca.cert, ...opts }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d)).on("end", () => resolve(body));
      }).on("error", reject);
    });
    try {
      expect(await get({ key: client.key, cert: client.cert })).toBe("hello docker");
      // without the client certificate the server refuses the handshake
      await expect(get({})).rejects.toThrow();
    } finally {
      srv.close();
    }
  });
});
