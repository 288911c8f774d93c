// The server's certificate: given, or a self-signed one made at start (as an
// unconfigured ESXi host has), with the SHA-1 thumbprint clients pin.
import { X509Certificate, createHash, generateKeyPairSync } from "node:crypto";
import forge from "node-forge";

export interface TlsMaterial {
  cert: string;
  key: string;
  /** SHA-1 of the DER certificate, AA:BB:... (what vic-machine --thumbprint and govc take) */
  thumbprint: string;
}

export function thumbprintOf(certPem: string): string {
  const der = new X509Certificate(certPem).raw;
  return createHash("sha1").update(der).digest("hex").toUpperCase().match(/../g)!.join(":");
}

export function selfSigned(commonName: string, altNames: string[], now: Date, serialSeed: string): TlsMaterial {
  // key generation is native; forge only assembles and signs the certificate
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const pubPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pubPem);
  cert.serialNumber = "01" + createHash("sha1").update(serialSeed).digest("hex").slice(0, 16);
  cert.validity.notBefore = new Date(now.getTime() - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(now.getTime() + 10 * 365 * 24 * 3600 * 1000);
  const attrs = [
    { name: "commonName", value: commonName },
    { name: "organizationName", value: "VMware, Inc." },
    { name: "organizationalUnitName", value: "vsphere-sim" },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      altNames: altNames.map((n) => (/^[\d.]+$/.test(n) ? { type: 7, ip: n } : { type: 2, value: n })),
    },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  return { cert: certPem, key: keyPem, thumbprint: thumbprintOf(certPem) };
}
