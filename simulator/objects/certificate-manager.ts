// CertificateManager (vCenter 6.0 and later): vCenter's handle on the
// certificates its CA (VMCA) gave the hosts it manages. Renewing a host's
// certificate changes what the host presents: its config.certificate (the
// PEM, as bytes) and the thumbprint vCenter lists in
// summary.config.sslThumbprint. Pushing the CA roots and CRLs, and revoking,
// change nothing the vim API shows (the CRL lives in VMCA and on the hosts'
// disks), so those tasks only check the hosts and succeed.
//
// The certificate is a real X.509 v3 one, made here without randomness so a
// scenario renews to the same bytes on every run: Ed25519 keys derived from
// the seed, signed (deterministically) by a seeded CA key. VMCA itself
// issues RSA-2048 certificates signed with SHA-256; a client that only
// parses the certificate or hashes it cannot tell, one that checks the key
// type could. Each renewal derives from the certificate it replaces, so the
// chain of renewals needs no counter of its own, and a snapshot of the host
// restores it whole.
import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from "node:crypto";
import { VimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { requireReachable } from "./host-power.ts";

// VMCA's default host certificate lifetime (vpxd.certmgmt.certs.daysValid)
const DAYS_VALID = 1825;
const ED25519_OID = "1.3.101.112";

export class CertificateManager extends ManagedObject {
  constructor(sim: SimContext, value: string) {
    super(sim, "CertificateManager", value);
  }

  /**
   * The hosts named, each a connected HostSystem of this vCenter. An unknown
   * moref is refused before a task exists (the call's own argument check);
   * a host vCenter cannot reach fails the task, as vpxd finds out when it
   * calls the host.
   */
  private hosts(args: Args): ManagedObject[] {
    const refs = (args.host as ManagedObjectReference[] | undefined) ?? [];
    return refs.map((r) => {
      const o = r && typeof r === "object" ? this.sim.inventory.get(r.value) : undefined;
      if (!o || o.type !== "HostSystem") throw new VimFault("ManagedObjectNotFound", { obj: r }, `The object '${r?.type}:${r?.value}' has already been deleted or has not been completely created`);
      return o;
    });
  }

  private task(method: string, descriptionId: string, args: Args, ctx: CallContext, work: (hosts: ManagedObject[]) => void): ManagedObjectReference {
    const hosts = this.hosts(args);
    // a task's entity must be a ManagedEntity (pyVmomi refuses the manager): the host it is about,
    // as the vSphere Client lists it; for several hosts the first (not confirmed against vpxd)
    const entity = hosts[0] ?? this.sim.inventory.get((this.sim.content.rootFolder as ManagedObjectReference).value) ?? this;
    return this.sim.tasks.run(entity, method, descriptionId, ctx.session?.userName ?? "", () => {
      for (const h of hosts) requireReachable(h);
      work(hosts);
    });
  }

  CertMgrRefreshCACertificatesAndCRLs_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("CertMgrRefreshCACertificatesAndCRLs_Task", "CertificateManager.refreshCACertificatesAndCRLs", args, ctx, () => {});
  }

  CertMgrRefreshCertificates_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("CertMgrRefreshCertificates_Task", "CertificateManager.refreshCertificates", args, ctx, (hosts) => {
      for (const h of hosts) {
        const name = String(h.get("name") ?? h.ref.value);
        const previous = (h.props.config as { certificate?: number[] } | undefined)?.certificate;
        const der = this.issue(name, previous ? Buffer.from(previous) : undefined);
        const pem = `-----BEGIN CERTIFICATE-----\n${der.toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
        const thumbprint = createHash("sha1").update(der).digest("hex").toUpperCase().match(/../g)!.join(":");
        h.update({ "config.certificate": [...Buffer.from(pem, "ascii")], "summary.config.sslThumbprint": thumbprint });
      }
    });
  }

  // Not confirmed against a real vCenter: revocation reaches VMCA's CRL only; the host keeps presenting its certificate until it is renewed.
  CertMgrRevokeCertificates_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.task("CertMgrRevokeCertificates_Task", "CertificateManager.revokeCertificates", args, ctx, () => {});
  }

  private key(namespace: string, name: string): { priv: KeyObject; spki: Buffer } {
    const seed = Buffer.from(this.sim.ids.hex(namespace, name, 64), "hex");
    if (seed.length !== 32) throw new Error("seeded key material too short");
    const priv = createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]), format: "der", type: "pkcs8" });
    return { priv, spki: createPublicKey(priv).export({ format: "der", type: "spki" }) };
  }

  /** A DER certificate for host `name` from the vCenter's CA, following `previous` (the one it replaces, if any). */
  private issue(name: string, previous: Buffer | undefined): Buffer {
    const generation = previous ? createHash("sha256").update(previous).digest("hex") : "first";
    const ca = this.key("vmca", "root");
    const host = this.key("host-certificate", `${name}/${generation}`);
    const serial = Buffer.from(this.sim.ids.hex("host-certificate-serial", `${name}/${generation}`, 32), "hex");
    const now = this.sim.clock.now();
    const from = new Date(now.getTime() - 10 * 60_000); // VMCA backdates a little against clock skew
    const to = new Date(now.getTime() + DAYS_VALID * 86_400_000);
    const alg = seq(oid(ED25519_OID));
    const issuer = dn([["2.5.4.3", "CA"], ["0.9.2342.19200300.100.1.25", "vsphere"], ["0.9.2342.19200300.100.1.25", "local"]]);
    const subject = dn([["2.5.4.6", "US"], ["2.5.4.10", "VMware"], ["2.5.4.11", "VMware ESX Server Default"], ["2.5.4.3", name]]);
    const san = /^[\d.]+$/.test(name) ? tlv(0x87, Buffer.from(name.split(".").map(Number))) : tlv(0x82, Buffer.from(name, "ascii"));
    const extensions = tlv(0xa3, seq(seq(oid("2.5.29.17"), tlv(0x04, seq(san)))));
    const tbs = seq(tlv(0xa0, int(Buffer.from([2]))), int(serial), alg, issuer, seq(time(from), time(to)), subject, host.spki, extensions);
    const signature = sign(null, tbs, ca.priv);
    return seq(tbs, alg, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  }
}

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
function int(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && b[1] < 0x80) b = b.subarray(1);
  return tlv(0x02, b[0] >= 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const groups = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) groups.unshift((v & 0x7f) | 0x80);
    out.push(...groups);
  }
  return tlv(0x06, Buffer.from(out));
}
function dn(rdns: [string, string][]): Buffer {
  return seq(...rdns.map(([o, v]) => tlv(0x31, seq(oid(o), o === "2.5.4.6" ? tlv(0x13, Buffer.from(v, "ascii")) : o.startsWith("0.9.2342") ? tlv(0x16, Buffer.from(v, "ascii")) : tlv(0x0c, Buffer.from(v, "utf8"))))));
}
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), "ascii")) : tlv(0x18, Buffer.from(iso, "ascii"));
}
