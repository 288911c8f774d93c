// The server's certificate: given, or a self-signed one made at start (as an
// unconfigured ESXi host has), with the SHA-1 thumbprint clients pin.
import { X509Certificate, constants, createHash } from "node:crypto";
import { DEFAULT_CIPHERS, type SecureVersion, type Server, type TLSSocket } from "node:tls";
import selfsigned from "selfsigned";

export interface TlsMaterial {
  cert: string;
  key: string;
  /** SHA-1 of the DER certificate, AA:BB:... (what vic-machine --thumbprint and govc take) */
  thumbprint: string;
}

/**
 * What every HTTPS listener of a simulator is given besides its key pair.
 * TLS 1.3's AES-128-GCM suite goes first, as it does in Go's and Python's own
 * lists: OpenSSL's order picks AES-256 with SHA-384, whose key schedule costs
 * both ends more on each handshake, and govmomi and pyVmomi handshake once
 * per login.
 */
export const SERVER_TLS_OPTIONS = {
  ciphers: ["TLS_AES_128_GCM_SHA256", ...DEFAULT_CIPHERS.split(":").filter((c) => c !== "TLS_AES_128_GCM_SHA256")].join(":"),
  honorCipherOrder: true,
} as const;

/**
 * The SDK listener's TLS, as the product a scenario names speaks it: hostd
 * and vpxd before 8.0 stop at TLS 1.2 (TLS 1.3 came with vSphere 8.0), so an
 * ESXi 6.0 scenario offers 1.2, as the real one does. No TLS 1.2 session
 * tickets: govmomi and pyVmomi open a fresh TLS client per connection and
 * never present one, so each would cost an encryption per handshake for
 * nothing. Without tickets (and with no session cache, which Node leaves to
 * the application) every TLS 1.2 handshake is a full one. OpenSSL's TLS 1.3
 * server sends its tickets regardless, and Node cannot say how many.
 *
 * vCenter's listener asks every client for a certificate and takes none as
 * an answer: an extension logs in with the one it presents
 * (LoginExtensionByCertificate, LoginExtensionBySubjectName). Unverified:
 * the extension's registration decides, not a CA. hostd has no extension
 * logins and asks for nothing.
 */
export function sdkTlsOptions(productVersion: string, vcenter = false): typeof SERVER_TLS_OPTIONS & { maxVersion: SecureVersion; secureOptions: number; requestCert: boolean; rejectUnauthorized: boolean } {
  const major = parseInt(productVersion, 10);
  return { ...SERVER_TLS_OPTIONS, maxVersion: major >= 8 ? "TLSv1.3" : "TLSv1.2", secureOptions: constants.SSL_OP_NO_TICKET, requestCert: vcenter, rejectUnauthorized: false };
}

/**
 * When a client closes its side (govmomi's Logout closes its connections,
 * sending close_notify and FIN), close the socket at once instead of
 * answering with a close_notify of our own: node:http would end the socket,
 * which writes the alert and shuts the TCP side down, two more system calls
 * and a TLS shutdown per connection that no client reads (it has closed).
 * RFC 5246 §7.2.1 lets the initiator close without waiting for the reply.
 * Anything still queued for the client is sent first: then http's own end
 * runs, as before. Registered ahead of node:http's listeners, so this runs
 * before http's 'end' handler, which ends only a socket still writable.
 */
export function closeOnPeerEnd(server: Server): void {
  server.prependListener("secureConnection", (socket: TLSSocket) => {
    socket.on("end", () => {
      if (socket.writableLength === 0 && !socket.destroyed) socket.destroy();
    });
  });
}

export function thumbprintOf(certPem: string): string {
  const der = new X509Certificate(certPem).raw;
  return createHash("sha1").update(der).digest("hex").toUpperCase().match(/../g)!.join(":");
}

// An ECDSA P-256 key: a TLS handshake costs a fraction of an RSA-2048 one,
// which is most of the cost of a login for clients that connect per session
// (govmomi's and pyVmomi's defaults).
export async function selfSigned(commonName: string, altNames: string[], now: Date): Promise<TlsMaterial> {
  const pems = await selfsigned.generate([
    { name: "commonName", value: commonName },
    // the library joins attributes into a DN string: no commas in values
    { name: "organizationName", value: "VMware" },
    { shortName: "OU", value: "vsphere-sim" },
  ], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: new Date(now.getTime() - 24 * 3600 * 1000),
    notAfterDate: new Date(now.getTime() + 10 * 365 * 24 * 3600 * 1000),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [...new Set(altNames)].map((n) => (/^[\d.]+$|:/.test(n) ? { type: 7, ip: n } : { type: 2, value: n })) },
    ],
  });
  return { cert: pems.cert, key: pems.private, thumbprint: thumbprintOf(pems.cert) };
}
