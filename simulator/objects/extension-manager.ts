// ExtensionManager (vCenter): solutions register themselves here (VIC 0.5+
// registers the VCH as an extension with its certificate). The vCenter's own
// public key (GetPublicKey) is an RSA key derived from the scenario's seed,
// so every run of a scenario shows the same one; the keys extensions set
// (SetPublicKey) are kept by extension and go when it is unregistered, and
// so are the certificates they log in with (SetExtensionCertificate).
import { X509Certificate, createPublicKey } from "node:crypto";
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext, type SavedState } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

type State = SavedState & { publicKeys: [string, string][]; certificates: [string, string][] };

export class ExtensionManager extends ManagedObject {
  private publicKeys = new Map<string, string>();
  /** extension key -> SHA-1 thumbprint of the certificate it logs in with */
  private certificates = new Map<string, string>();
  /** derived from the seed alone, so a restore has nothing to bring back */
  private ownKey?: string;

  constructor(sim: SimContext, value: string) {
    super(sim, "ExtensionManager", value);
    this.props.extensionList = [];
  }

  override saveState(): State {
    return { ...super.saveState(), publicKeys: [...this.publicKeys], certificates: [...this.certificates] };
  }

  override loadState(s: State): void {
    super.loadState(s);
    this.publicKeys = new Map(s.publicKeys);
    this.certificates = new Map(s.certificates);
  }

  private list(): (DataObject & { key: string })[] {
    return this.props.extensionList as (DataObject & { key: string })[];
  }

  private known(key: unknown): void {
    if (!this.list().some((e) => e.key === key)) throw new VimFault("NotFound", {}, `The extension '${String(key)}' is not registered.`);
  }

  RegisterExtension(args: Args): void {
    const ext = args.extension as DataObject & { key: string };
    if (!ext.key) throw new VimFault("InvalidArgument", { invalidProperty: "extension.key" });
    if (this.list().some((e) => e.key === ext.key)) throw new VimFault("InvalidArgument", { invalidProperty: "extension.key" }, `An extension with key ${ext.key} is already registered.`);
    this.update({ extensionList: [...this.list(), { ...ext, lastHeartbeatTime: this.sim.clock.now() }] });
  }

  UnregisterExtension(args: Args): void {
    if (!this.list().some((e) => e.key === args.extensionKey)) throw new VimFault("NotFound", {});
    const keys = new Map(this.publicKeys);
    keys.delete(args.extensionKey);
    this.publicKeys = keys;
    const certs = new Map(this.certificates);
    certs.delete(args.extensionKey);
    this.certificates = certs;
    this.update({ extensionList: this.list().filter((e) => e.key !== args.extensionKey) });
  }

  UpdateExtension(args: Args): void {
    const ext = args.extension as DataObject & { key: string };
    if (!this.list().some((e) => e.key === ext.key)) throw new VimFault("NotFound", {});
    this.update({ extensionList: this.list().map((e) => (e.key === ext.key ? { ...ext, lastHeartbeatTime: this.sim.clock.now() } : e)) });
  }

  FindExtension(args: Args): DataObject | undefined {
    return this.list().find((e) => e.key === args.extensionKey);
  }

  /**
   * The certificate the extension will log in with: the PEM given, or the one
   * the caller presented in its TLS handshake (vpxd keeps its thumbprint). A
   * PEM that does not parse is InvalidArgument (a choice: the reference
   * names no fault for it).
   */
  SetExtensionCertificate(args: Args, ctx: CallContext): void {
    this.known(args.extensionKey);
    let cert: X509Certificate | undefined;
    if (args.certificatePem) {
      try {
        cert = new X509Certificate(String(args.certificatePem));
      } catch {
        throw new VimFault("InvalidArgument", { invalidProperty: "certificatePem" });
      }
    } else {
      cert = ctx.clientCertificate?.();
      if (!cert) throw new VimFault("NoClientCertificate", {}, "The client did not present a certificate.");
    }
    this.certificates = new Map(this.certificates).set(String(args.extensionKey), cert.fingerprint);
  }

  /** The thumbprint of the certificate an extension logs in with, if one was set. */
  certificateOf(extensionKey: string): string | undefined {
    return this.certificates.get(extensionKey);
  }

  /** The vCenter's public key, PEM ("-----BEGIN PUBLIC KEY-----"). */
  GetPublicKey(_args: Args): string {
    this.ownKey ??= seededRsaPublicKey((name) => this.sim.ids.hex("vcenter-public-key", name, 64));
    return this.ownKey;
  }

  /**
   * The key must parse as a PEM public key (a choice: the reference names no
   * fault for a bad one, and InvalidArgument is what vpxd answers for a
   * malformed argument); an unknown extension is NotFound.
   */
  SetPublicKey(args: Args): void {
    this.known(args.extensionKey);
    const pem = String(args.publicKey ?? "");
    try {
      createPublicKey(pem);
    } catch {
      throw new VimFault("InvalidArgument", { invalidProperty: "publicKey" }, "A specified parameter was not correct: publicKey");
    }
    this.publicKeys = new Map(this.publicKeys).set(String(args.extensionKey), pem);
  }

  /** The public key an extension set, for the simulator's own use (none is served back by the API). */
  publicKeyOf(extensionKey: string): string | undefined {
    return this.publicKeys.get(extensionKey);
  }

  /**
   * VMs and vApps whose managedBy names the extension. An unregistered key
   * finds nothing rather than a fault, as the schema names none for it.
   */
  QueryManagedBy(args: Args): ManagedObjectReference[] {
    const key = String(args.extensionKey ?? "");
    const out: ManagedObjectReference[] = [];
    for (const type of ["VirtualMachine", "VirtualApp"]) {
      for (const o of this.sim.inventory.ofType(type)) {
        const by = type === "VirtualApp" ? (o.props.vAppConfig as { managedBy?: DataObject } | undefined)?.managedBy : (o.props.config as { managedBy?: DataObject } | undefined)?.managedBy;
        if (by?.extensionKey === key) out.push(o.ref);
      }
    }
    return out;
  }

  /**
   * Addresses each extension holds in the IP pools of every datacenter, read
   * through IpPoolManager's own queries (so the caller's privileges on each
   * datacenter apply as there). IpPoolManager keys allocations by the
   * allocating session's user, which stands for the extension here. No keys:
   * every registered extension; keys given are reported as asked, registered
   * or not (a choice: the reference does not say).
   */
  QueryExtensionIpAllocationUsage(args: Args, ctx: CallContext): DataObject[] {
    const keys: string[] = (args.extensionKeys as string[] | undefined)?.length ? [...new Set(args.extensionKeys as string[])] : this.list().map((e) => e.key);
    const pm = this.sim.content.ipPoolManager as ManagedObjectReference | undefined;
    const pools = pm ? (this.sim.inventory.get(pm.value) as (ManagedObject & IpPoolQueries) | undefined) : undefined;
    const count = new Map(keys.map((k) => [k, 0]));
    if (pools) {
      for (const dc of this.sim.inventory.ofType("Datacenter")) {
        for (const pool of pools.QueryIpPools({ dc: dc.ref }, ctx)) {
          for (const k of keys) count.set(k, count.get(k)! + pools.QueryIPAllocations({ dc: dc.ref, poolId: pool.id, extensionKey: k }, ctx).length);
        }
      }
    }
    return keys.map((k) => ({ _type: "ExtensionManagerIpAllocationUsage", extensionKey: k, numAddresses: count.get(k)! }));
  }
}

interface IpPoolQueries {
  QueryIpPools(args: Args, ctx: CallContext): DataObject[];
  QueryIPAllocations(args: Args, ctx: CallContext): DataObject[];
}

// ---- a 2048-bit RSA key from seeded bytes (no randomness: the same seed, the same key) ----

const SMALL_PRIMES = (() => {
  const out: bigint[] = [];
  for (let n = 3; out.length < 300; n += 2) if (out.every((p) => Number(p) * Number(p) > n || n % Number(p) !== 0)) out.push(BigInt(n));
  return out;
})();

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  for (; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}

/** Miller-Rabin with fixed bases: ample for numbers that are not adversarial. */
function probablyPrime(n: bigint): boolean {
  for (const p of SMALL_PRIMES) if (n % p === 0n) return n === p;
  let d = n - 1n;
  let s = 0;
  for (; (d & 1n) === 0n; d >>= 1n) s++;
  for (const a of [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n]) {
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let composite = true;
    for (let i = 1; i < s && composite; i++) {
      x = (x * x) % n;
      if (x === n - 1n) composite = false;
    }
    if (composite) return false;
  }
  return true;
}

/** The first prime p ≥ a 1024-bit seeded start with gcd(p - 1, 65537) = 1. */
function seededPrime(hex: (name: string) => string, name: string): bigint {
  const digits = [0, 1, 2, 3].map((i) => hex(`${name}/${i}`)).join("").slice(0, 256);
  // the top two bits set, so the product of two has its full 2048 bits; odd
  let p = BigInt(`0x${digits}`) | (3n << 1022n) | 1n;
  while (!probablyPrime(p) || (p - 1n) % 65537n === 0n) p += 2n;
  return p;
}

function toBase64Url(n: bigint): string {
  let h = n.toString(16);
  if (h.length % 2) h = `0${h}`;
  return Buffer.from(h, "hex").toString("base64url");
}

function seededRsaPublicKey(hex: (name: string) => string): string {
  const p = seededPrime(hex, "p");
  let q = seededPrime(hex, "q");
  for (let i = 1; q === p; i++) q = seededPrime(hex, `q${i}`);
  return createPublicKey({ key: { kty: "RSA", n: toBase64Url(p * q), e: "AQAB" }, format: "jwk" }).export({ type: "spki", format: "pem" }).toString();
}
