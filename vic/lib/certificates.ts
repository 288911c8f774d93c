// The VCH's certificates, as vic-machine makes them (spec §1.3): for 0.4/0.5
// a self-signed server pair, RSA 2048, Organization "VMware", valid one
// year, written as ./<name>-key.pem and ./<name>-cert.pem, so Docker
// clients use a bare --tls; and for --tlsverify a CA that signs the server
// certificate and a client certificate, written into the --cert-path folder
// with v0.8's names (ca.pem, ca-key.pem, server-cert.pem, server-key.pem,
// cert.pem, key.pem). The X.509 work is the `selfsigned` library's
// (pkijs / @peculiar/x509 underneath), not ours.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import selfsigned from "selfsigned";

export interface KeyPair {
  key: string;
  cert: string;
}

export interface CertOptions {
  /** the certificate's notBefore; notAfter is a year later */
  now: Date;
  organization?: string;
  keySize?: number;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

function altNames(names: string[]) {
  return [...new Set(names.filter(Boolean))].map((n) => (/^[\d.]+$|:/.test(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n }));
}

function subject(cn: string, org: string) {
  // the library builds a DN string from these: no commas in values
  return [{ name: "commonName", value: cn.replace(/,/g, " ") }, { name: "organizationName", value: org.replace(/,/g, " ") }];
}

function validity(o: CertOptions) {
  return { notBeforeDate: o.now, notAfterDate: new Date(o.now.getTime() + YEAR_MS) };
}

/** 0.4/0.5's server pair: self-signed, for the names (and IPs) the VCH answers on. */
export async function selfSignedServer(cn: string, names: string[], o: CertOptions): Promise<KeyPair> {
  const r = await selfsigned.generate(subject(cn, o.organization ?? "VMware"), {
    keyType: "rsa", keySize: o.keySize ?? 2048, algorithm: "sha256", ...validity(o),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: altNames([cn, ...names]) },
    ],
  });
  return { key: r.private, cert: r.cert };
}

/** A CA for --tlsverify. */
export async function certificateAuthority(cn: string, o: CertOptions): Promise<KeyPair> {
  const r = await selfsigned.generate(subject(cn, o.organization ?? "VMware"), {
    keyType: "rsa", keySize: o.keySize ?? 2048, algorithm: "sha256", ...validity(o),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { key: r.private, cert: r.cert };
}

/** A certificate signed by `ca`: the VCH's server certificate, or a Docker client's. */
export async function signedBy(ca: KeyPair, cn: string, use: "server" | "client", names: string[], o: CertOptions): Promise<KeyPair> {
  const r = await selfsigned.generate(subject(cn, o.organization ?? "VMware"), {
    keyType: "rsa", keySize: o.keySize ?? 2048, algorithm: "sha256", ...validity(o),
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: use === "server", clientAuth: use === "client" },
      ...(use === "server" ? [{ name: "subjectAltName" as const, altNames: altNames([cn, ...names]) }] : []),
    ],
  });
  return { key: r.private, cert: r.cert };
}

/** 0.4's files: ./<name>-key.pem and ./<name>-cert.pem in `dir`. Returns their paths. */
export function writeServerPair(dir: string, name: string, pair: KeyPair): { key: string; cert: string } {
  const key = join(dir, `${name}-key.pem`);
  const cert = join(dir, `${name}-cert.pem`);
  writeFileSync(key, pair.key, { mode: 0o600 });
  writeFileSync(cert, pair.cert);
  return { key, cert };
}

/** The --tlsverify set in `certPath` (made if missing), under v0.8's names. */
export function writeVerifySet(certPath: string, set: { ca: KeyPair; server: KeyPair; client: KeyPair }): string[] {
  mkdirSync(certPath, { recursive: true });
  const files: [string, string, number][] = [
    ["ca.pem", set.ca.cert, 0o644], ["ca-key.pem", set.ca.key, 0o600],
    ["server-cert.pem", set.server.cert, 0o644], ["server-key.pem", set.server.key, 0o600],
    ["cert.pem", set.client.cert, 0o644], ["key.pem", set.client.key, 0o600],
  ];
  for (const [name, data, mode] of files) writeFileSync(join(certPath, name), data, { mode });
  return files.map(([name]) => join(certPath, name));
}
