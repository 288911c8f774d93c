// Reads a scenario YAML file (format: scenarios/README.md) into a fully
// defaulted Scenario. Every problem is reported as a ScenarioError that names
// the file, the line and column of the offending node and what is wrong,
// because a scenario author fixing a typo should never have to guess.

import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Document, LineCounter, type Scalar, type YAMLMap, type YAMLSeq, isAlias, isMap, isScalar, isSeq, parseDocument,
} from "yaml";
import { VmxFile, VmxParseError } from "../formats/vmx.ts";
import { parseSubnet } from "../guest/guest-network.ts";
import type {
  FileFixtureSpec, VmFixtureSpec,
  AboutSpec, AllocationSpec, ClusterSpec, DatacenterSpec, DatastoreSpec, DiskSpec, DvsSpec, FirewallSpec, HostSpec, LicenseSpec,
  ResourcePoolSpec, RulesetSpec, Scenario, ScenarioModel, VSwitchSpec,
} from "./scenario.ts";

export class ScenarioError extends Error {
  override readonly name = "ScenarioError";
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
    readonly problem: string,
  ) {
    super(`${file}${line === undefined ? "" : `:${line}:${column ?? 1}`}: ${problem}`);
  }
}

// ---------------------------------------------------------------------------
// Finding the file

/**
 * A NAME ("homelab") is `<scenariosDir>/<name>/scenario.yaml`; a PATH (has a
 * "/", ends in .yaml/.yml, or names an existing directory) is a YAML file or
 * a directory holding scenario.yaml.
 */
export function loadScenario(nameOrPath: string, opts: { scenariosDir?: string } = {}): Scenario {
  const scenariosDir = path.resolve(opts.scenariosDir ?? fileURLToPath(new URL("../../scenarios/", import.meta.url)));
  let file: string;
  let name: string;
  if (looksLikePath(nameOrPath)) {
    const abs = path.resolve(nameOrPath);
    if (statSync(abs, { throwIfNoEntry: false })?.isDirectory()) {
      file = path.join(abs, "scenario.yaml");
      name = path.basename(abs);
    } else {
      file = abs;
      const base = path.basename(abs);
      name = /^scenario\.ya?ml$/.test(base) ? path.basename(path.dirname(abs)) : base.replace(/\.ya?ml$/, "");
    }
  } else {
    file = path.join(scenariosDir, nameOrPath, "scenario.yaml");
    name = nameOrPath;
    if (!statSync(file, { throwIfNoEntry: false })?.isFile()) {
      const known = scenarioNames(scenariosDir);
      throw new ScenarioError(displayPath(file), undefined, undefined,
        `no scenario named "${nameOrPath}" in ${displayPath(scenariosDir)}` +
        (known.length ? `; available: ${known.join(", ")}` : "") +
        "; give a name from there or a path to a .yaml file");
    }
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === "ENOENT" ? "no such file" : e.code === "EISDIR" ? "is a directory" : e.message;
    throw new ScenarioError(displayPath(file), undefined, undefined, `cannot read the scenario: ${why}`);
  }
  return parseScenario(text, displayPath(file), name, path.dirname(file));
}

function looksLikePath(s: string): boolean {
  return s.includes("/") || s.includes(path.sep) || /\.ya?ml$/i.test(s) ||
    statSync(s, { throwIfNoEntry: false })?.isDirectory() === true;
}

function scenarioNames(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && statSync(path.join(dir, d.name, "scenario.yaml"), { throwIfNoEntry: false })?.isFile())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

// Relative paths read better in messages, but only when they do not climb out of the working directory.
function displayPath(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : abs;
}

// ---------------------------------------------------------------------------
// Sizes

const UNITS: Record<string, number> = {
  "": 1, b: 1,
  k: 1024, kb: 1024, kib: 1024,
  m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3,
  t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4,
};

/**
 * Bytes from a number (bytes) or a string such as "500GB", "16 GiB", "1.5TB".
 * KB/MB/GB/TB are binary (1024) multiples, as vSphere's own UI uses them.
 * Throws a RangeError whose message completes "must be a size ...".
 */
export function parseSize(input: string | number): number {
  let bytes: number;
  if (typeof input === "number") {
    bytes = input;
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(input);
    const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
    if (!m || unit === undefined) {
      throw new RangeError(`must be a size such as 500GB or 16GiB (units B, KB, MB, GB, TB or KiB..TiB), got ${JSON.stringify(input)}`);
    }
    bytes = Number(m[1]) * unit;
  }
  if (!Number.isInteger(bytes) || bytes < 0) {
    throw new RangeError(`must be a whole, non-negative number of bytes, got ${JSON.stringify(input)}`);
  }
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`is too large, got ${JSON.stringify(input)}`);
  return bytes;
}

// ---------------------------------------------------------------------------
// Defaults

const ESX_DATACENTER = "ha-datacenter";

// Builds of the GA releases, so that giving only `about.version` yields a consistent triple.
const KNOWN_BUILDS: Record<ScenarioModel, Record<string, string>> = {
  esx: { "5.5.0": "1331820", "6.0.0": "3620759", "6.5.0": "4564106", "6.7.0": "8169922" },
  vcenter: { "5.5.0": "1312298", "6.0.0": "3634794", "6.5.0": "4602587", "6.7.0": "8217866" },
};

const DEFAULT_USERNAME: Record<ScenarioModel, string> = { esx: "root", vcenter: "administrator@vsphere.local" };
const DEFAULT_PASSWORD = "vmware";
const DEFAULT_CPU_MODEL = "Intel(R) Xeon(R) CPU E5-2650 v2 @ 2.60GHz";
const DEFAULT_MEMORY = 16 * 1024 ** 3;
const DVS_VERSIONS = ["5.0.0", "5.1.0", "5.5.0", "6.0.0", "6.5.0", "6.6.0"] as const;

// Functions, not shared constants: the builder may mutate what it gets, and two scenarios must never share objects.
function defaultLicense(): LicenseSpec {
  return {
    licenseKey: "00000-00000-00000-00000-00000",
    editionKey: "esx.enterprisePlus.cpuPackage",
    name: "VMware vSphere 6 Enterprise Plus",
    features: ["serialuri", "dvs", "vmotion", "drs", "ha"],
  };
}

function defaultVSwitches(): VSwitchSpec[] {
  return [{
    name: "vSwitch0",
    uplinks: ["vmnic0"],
    portgroups: [{ name: "VM Network", vlan: 0 }, { name: "Management Network", vlan: 0 }],
  }];
}

/**
 * The host AddStandaloneHost_Task and AddHost_Task bring into a vCenter: what
 * a scenario host given only its name gets (readHost's defaults), with no
 * datastore of the datacenter mounted (the caller gives it its local one).
 */
export function defaultHostSpec(name: string, managementIp: string): HostSpec {
  return {
    name,
    cpu: { packages: 1, cores: 4, threads: 8, mhz: 2600, model: DEFAULT_CPU_MODEL },
    memoryBytes: DEFAULT_MEMORY,
    datastores: [],
    vswitches: defaultVSwitches(),
    firewall: { enabled: true, rulesets: standardRulesets() },
    license: defaultLicense(),
    resourcePools: [],
    managementIp,
    disks: [],
  };
}

function defaultAllocation(): AllocationSpec {
  return { reservation: 0, expandableReservation: true, limit: -1, shares: "normal" };
}

type Rule = RulesetSpec["rules"][number];

function rule(direction: Rule["direction"], protocol: Rule["protocol"], port: number, endPort?: number, portType: "src" | "dst" = "dst"): Rule {
  return endPort === undefined ? { port, direction, protocol, portType } : { port, endPort, direction, protocol, portType };
}

/** The rulesets of a fresh ESXi 6.0 install, with their factory enabled state (`esxcli network firewall ruleset list`). */
export function standardRulesets(): RulesetSpec[] {
  const rs = (key: string, label: string, enabled: boolean, required: boolean, rules: Rule[]): RulesetSpec =>
    ({ key, label, enabled, required, allowedAll: true, rules });
  return [
    rs("sshServer", "SSH Server", true, false, [rule("inbound", "tcp", 22)]),
    rs("sshClient", "SSH Client", false, false, [rule("outbound", "tcp", 22)]),
    rs("nfsClient", "NFS Client", false, false, [rule("outbound", "tcp", 0, 65535)]),
    rs("dhcp", "DHCP Client", true, true, [rule("inbound", "udp", 68), rule("outbound", "udp", 68, undefined, "src")]),
    rs("dns", "DNS Client", true, true, [rule("inbound", "udp", 53), rule("outbound", "udp", 53), rule("outbound", "tcp", 53)]),
    rs("snmp", "SNMP Server", true, false, [rule("inbound", "udp", 161)]),
    rs("ntpClient", "NTP Client", false, false, [rule("outbound", "udp", 123)]),
    rs("CIMHttpServer", "CIM Server", true, false, [rule("inbound", "tcp", 5988)]),
    rs("CIMHttpsServer", "CIM Secure Server", true, false, [rule("inbound", "tcp", 5989)]),
    rs("CIMSLP", "CIM SLP", true, false, [
      rule("inbound", "udp", 427), rule("outbound", "udp", 427), rule("inbound", "tcp", 427), rule("outbound", "tcp", 427)]),
    rs("iSCSI", "Software iSCSI Client", false, false, [rule("outbound", "tcp", 3260)]),
    rs("vpxHeartbeats", "VMware vCenter Agent", true, true, [rule("outbound", "udp", 902)]),
    rs("updateManager", "vCenter Update Manager", true, false, [rule("outbound", "tcp", 80), rule("outbound", "tcp", 9000, 9100)]),
    rs("faultTolerance", "Fault Tolerance", true, false, [
      rule("outbound", "tcp", 80), rule("outbound", "tcp", 8300), rule("inbound", "tcp", 8100), rule("inbound", "tcp", 8200),
      rule("inbound", "udp", 8200), rule("inbound", "tcp", 8300), rule("outbound", "tcp", 8100), rule("outbound", "tcp", 8200),
      rule("outbound", "udp", 8200)]),
    rs("webAccess", "vSphere Web Access", true, false, [rule("inbound", "tcp", 80)]),
    rs("vMotion", "vMotion", true, false, [rule("inbound", "tcp", 8000), rule("outbound", "tcp", 8000)]),
    rs("vSphereClient", "vSphere Web Client", true, true, [rule("inbound", "tcp", 902), rule("inbound", "tcp", 443)]),
    rs("NFC", "NFC", true, false, [rule("inbound", "tcp", 902), rule("outbound", "tcp", 902)]),
    rs("HBR", "HBR", true, false, [rule("outbound", "tcp", 31031), rule("outbound", "tcp", 44046)]),
    rs("ftpClient", "FTP Client", false, false, [rule("outbound", "tcp", 21), rule("inbound", "tcp", 20, undefined, "src")]),
    rs("httpClient", "httpClient", false, false, [rule("outbound", "tcp", 80), rule("outbound", "tcp", 443)]),
    rs("DVSSync", "DVSSync", true, false, [
      rule("outbound", "udp", 8302), rule("inbound", "udp", 8301), rule("inbound", "udp", 8302), rule("outbound", "udp", 8301)]),
    rs("syslog", "syslog", false, false, [rule("outbound", "udp", 514), rule("outbound", "tcp", 514), rule("outbound", "tcp", 1514)]),
    rs("WOL", "WOL", true, false, [rule("outbound", "udp", 9)]),
    rs("vSPC", "VM serial port connected to vSPC", false, false, [rule("outbound", "tcp", 0, 65535)]),
    rs("remoteSerialPort", "VM serial port connected over network", false, false, [
      rule("outbound", "tcp", 0, 65535), rule("inbound", "tcp", 23), rule("inbound", "tcp", 1024, 65535)]),
    rs("esxupdate", "esxupdate", false, false, [rule("outbound", "tcp", 443)]),
  ];
}

// ---------------------------------------------------------------------------
// YAML access with positions

type Value = Scalar | YAMLMap | YAMLSeq;

class Source {
  constructor(readonly file: string, readonly doc: Document, readonly lines: LineCounter) {}

  resolve(node: unknown): Value | undefined {
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (target === undefined) {
        const pos = node.range ? this.lines.linePos(node.range[0]) : undefined;
        throw new ScenarioError(this.file, pos?.line, pos?.col, `alias *${node.source} has no anchor &${node.source} before it`);
      }
      return target;
    }
    return isScalar(node) || isMap(node) || isSeq(node) ? node : undefined;
  }

  fail(node: Value | undefined, problem: string): never {
    const offset = node?.range?.[0];
    if (offset === undefined) throw new ScenarioError(this.file, undefined, undefined, problem);
    const { line, col } = this.lines.linePos(offset);
    throw new ScenarioError(this.file, line, col, problem);
  }

  line(node: Value | undefined): number | undefined {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : this.lines.linePos(offset).line;
  }
}

/** Where in the scenario we are: the innermost named thing (`host "esx1"`) and the key path below it (`cpu.cores`). */
class Ctx {
  constructor(readonly src: Source, readonly where: string, readonly path: string) {}

  key(k: string): Ctx {
    return new Ctx(this.src, this.where, this.path ? `${this.path}.${k}` : k);
  }

  index(i: number): Ctx {
    return new Ctx(this.src, this.where, `${this.path}[${i}]`);
  }

  entity(label: string): Ctx {
    return new Ctx(this.src, label, "");
  }

  /** `problem` reads as a predicate of the current path: "must be ...", "has unknown key ...". */
  fail(node: Value | undefined, problem: string): never {
    const subject = this.path ? `${this.path} ${problem}` : problem.replace(/^(must|has|is) /, "the value $1 ");
    return this.src.fail(node, this.where ? `${this.where}: ${subject}` : subject);
  }

  /** A message that is not about the current path as a whole. */
  failRaw(node: Value | undefined, message: string): never {
    return this.src.fail(node, this.where ? `${this.where}: ${message}` : message);
  }
}

function describe(v: Value | undefined): string {
  if (v === undefined) return "nothing";
  if (isMap(v)) return "a mapping";
  if (isSeq(v)) return "a list";
  if (v.value === null || v.value === undefined) return "nothing";
  if (typeof v.value === "string") return JSON.stringify(v.value);
  return String(v.source ?? v.value);
}

function isNull(v: Value | undefined): boolean {
  return v === undefined || (isScalar(v) && (v.value === null || v.value === undefined));
}

function readString(ctx: Ctx, v: Value | undefined): string {
  if (!v || !isScalar(v) || isNull(v)) return ctx.fail(v, `must be a string, got ${describe(v)}`);
  if (typeof v.value === "string") return v.value;
  // `apiVersion: 6.0` or `build: 3620759` are meant as written, not as the number YAML makes of them.
  if (v.type === "PLAIN" && typeof v.source === "string") return v.source;
  return String(v.value);
}

function readInt(ctx: Ctx, v: Value | undefined, min: number, max = Number.MAX_SAFE_INTEGER, what?: string): number {
  const n = v && isScalar(v) ? v.value : undefined;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    const expected = what ??
      (min === 1 && max === Number.MAX_SAFE_INTEGER ? "a positive integer"
        : min === 0 && max === Number.MAX_SAFE_INTEGER ? "a non-negative integer"
          : `an integer from ${min} to ${max}`);
    return ctx.fail(v, `must be ${expected}, got ${describe(v)}`);
  }
  return n;
}

function readBool(ctx: Ctx, v: Value | undefined): boolean {
  const b = v && isScalar(v) ? v.value : undefined;
  if (typeof b !== "boolean") return ctx.fail(v, `must be true or false, got ${describe(v)}`);
  return b;
}

function readOneOf<T extends string>(ctx: Ctx, v: Value | undefined, values: readonly T[]): T {
  const s = v && isScalar(v) && !isNull(v) ? readString(ctx, v) : undefined;
  if (s === undefined || !(values as readonly string[]).includes(s)) {
    return ctx.fail(v, `must be one of ${values.join(", ")}, got ${describe(v)}`);
  }
  return s as T;
}

function readSize(ctx: Ctx, v: Value | undefined): number {
  const raw = v && isScalar(v) ? v.value : undefined;
  if (typeof raw !== "number" && typeof raw !== "string") {
    return ctx.fail(v, `must be a size such as 500GB or 16GiB, got ${describe(v)}`);
  }
  try {
    return parseSize(raw);
  } catch (err) {
    return ctx.fail(v, (err as Error).message);
  }
}

// vSphere limits entity names to 80 characters; "/" would make inventory paths ambiguous.
function checkName(ctx: Ctx, v: Value | undefined, s: string): string {
  if (s.trim() === "") return ctx.fail(v, "must not be empty");
  if (s !== s.trim()) return ctx.fail(v, `must not start or end with spaces, got ${JSON.stringify(s)}`);
  if (s.includes("/")) return ctx.fail(v, `must not contain "/", got ${JSON.stringify(s)}`);
  if (s.length > 80) return ctx.fail(v, `must be at most 80 characters, got ${s.length}`);
  return s;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

function nearest(word: string, candidates: readonly string[]): string | undefined {
  return candidates.find((c) => c.toLowerCase() === word.toLowerCase()) ??
    candidates.filter((c) => editDistance(c, word) <= 2).sort((a, b) => editDistance(a, word) - editDistance(b, word))[0];
}

interface Entry { key: Scalar; value: Value | undefined }

/** The keys of one YAML mapping, read with position-aware errors. */
class Fields {
  private constructor(readonly ctx: Ctx, readonly node: Value | undefined, private readonly entries: Map<string, Entry>) {}

  /** A missing or empty value yields an empty Fields, so optional sections need no special case. */
  static of(ctx: Ctx, node: Value | undefined): Fields {
    const entries = new Map<string, Entry>();
    if (isNull(node)) return new Fields(ctx, node, entries);
    if (!isMap(node)) return ctx.fail(node, `must be a mapping (key: value lines), got ${describe(node)}`);
    for (const pair of node.items) {
      const key = ctx.src.resolve(pair.key);
      if (!key || !isScalar(key) || typeof key.value !== "string") {
        return ctx.fail(key, `has a key that is not a plain name: ${describe(key)}`);
      }
      entries.set(key.value, { key, value: ctx.src.resolve(pair.value) });
    }
    return new Fields(ctx, node, entries);
  }

  as(ctx: Ctx): Fields {
    return new Fields(ctx, this.node, this.entries);
  }

  /** Typos must not pass silently: every key must be one we know. */
  only(allowed: readonly string[], hint?: (key: string) => string | undefined): this {
    for (const [k, e] of this.entries) {
      if (allowed.includes(k)) continue;
      const special = hint?.(k);
      if (special) this.ctx.failRaw(e.key, special);
      const near = nearest(k, allowed);
      const prefix = this.ctx.path ? `${this.ctx.path} has unknown key` : "unknown key";
      this.ctx.failRaw(e.key, `${prefix} "${k}"${near ? ` (did you mean "${near}"?)` : ""}; allowed keys: ${allowed.join(", ")}`);
    }
    return this;
  }

  has(k: string): boolean {
    return this.entries.has(k);
  }

  get(k: string): Value | undefined {
    return this.entries.get(k)?.value;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  keyNode(k: string): Scalar | undefined {
    return this.entries.get(k)?.key;
  }

  /** The node to point at for `k`: its value, or its key when the value is empty. */
  at(k: string): Value | undefined {
    const e = this.entries.get(k);
    if (!e) return this.node;
    return isNull(e.value) ? e.key : e.value;
  }

  sub(k: string): Fields {
    return Fields.of(this.ctx.key(k), this.get(k));
  }

  private present(k: string, required: boolean): Value | undefined {
    const e = this.entries.get(k);
    if (!e) {
      if (!required) return undefined;
      return this.ctx.failRaw(this.node,
        `${this.ctx.path ? `${this.ctx.path} is missing` : "missing"} required key "${k}"`);
    }
    if (isNull(e.value)) return this.ctx.key(k).fail(e.key, "has no value");
    return e.value;
  }

  str(k: string, def?: string): string {
    const v = this.present(k, def === undefined);
    return v === undefined ? def! : readString(this.ctx.key(k), v);
  }

  name(k: string): string {
    const v = this.present(k, true);
    return checkName(this.ctx.key(k), v, readString(this.ctx.key(k), v));
  }

  /** Required when `def` is undefined. */
  int(k: string, def: number | undefined, min: number, max?: number): number {
    const v = this.present(k, def === undefined);
    return v === undefined ? def! : readInt(this.ctx.key(k), v, min, max);
  }

  bool(k: string, def: boolean): boolean {
    const v = this.present(k, false);
    return v === undefined ? def : readBool(this.ctx.key(k), v);
  }

  oneOf<T extends string>(k: string, values: readonly T[], def?: T): T {
    const v = this.present(k, def === undefined);
    return v === undefined ? def! : readOneOf(this.ctx.key(k), v, values);
  }

  size(k: string, def?: number): number {
    const v = this.present(k, def === undefined);
    return v === undefined ? def! : readSize(this.ctx.key(k), v);
  }

  /** Items of a list with their contexts; missing or empty is an empty list. */
  list(k: string): { ctx: Ctx; node: Value | undefined }[] {
    const v = this.get(k);
    if (isNull(v)) return [];
    const ctx = this.ctx.key(k);
    if (!isSeq(v)) return ctx.fail(v, `must be a list (lines starting with "- "), got ${describe(v)}`);
    return v.items.map((item, i) => ({ ctx: ctx.index(i), node: this.ctx.src.resolve(item) }));
  }

  strList(k: string): { value: string; node: Value | undefined; ctx: Ctx }[] {
    return this.list(k).map(({ ctx, node }) => ({ value: readString(ctx, node), node, ctx }));
  }
}

/** Names that must be unique in some scope; the second occurrence is reported with the line of the first. */
class Names {
  private readonly seen = new Map<string, Value | undefined>();
  constructor(private readonly what: string) {}

  add(ctx: Ctx, name: string, node: Value | undefined): void {
    if (this.seen.has(name)) {
      const first = ctx.src.line(this.seen.get(name));
      ctx.failRaw(node, `duplicate ${this.what} "${name}"${first === undefined ? "" : ` (first defined at line ${first})`}`);
    }
    this.seen.set(name, node);
  }

  has(name: string): boolean {
    return this.seen.has(name);
  }

  list(): string[] {
    return [...this.seen.keys()];
  }
}

// ---------------------------------------------------------------------------
// The scenario

const COMMON_KEYS = ["model", "about", "credentials", "seed"] as const;
const ESX_KEYS = [...COMMON_KEYS, "host", "datastores", "files", "vms"];
const VCENTER_KEYS = [...COMMON_KEYS, "datacenters"];
const DATACENTER_KEYS = ["name", "vmFolders", "datastores", "hosts", "clusters", "dvSwitches", "files", "vms"];

/** Per-parse bookkeeping: hosts are unique across the scenario and management IPs are assigned at the end. */
interface ParseState {
  baseDir: string;
  hostNames: Map<string, { node: Value | undefined; datacenter: string }>;
  ips: { host: HostSpec; explicit: boolean; node: Value | undefined; ctx: Ctx; offset: number }[];
}

/** `baseDir` is where `files[].source` paths are read from (the scenario file's folder). */
export function parseScenario(text: string, file: string, name: string, baseDir = "."): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: true, prettyErrors: false });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const { line, col } = lines.linePos(problem.pos[0]);
    const message = problem.code === "MULTIPLE_DOCS"
      ? 'a scenario file holds one YAML document; remove the "---" line and what follows, or merge the documents'
      : problem.message.replace(/ at line \d+, column \d+.*$/s, "");
    throw new ScenarioError(file, line, col, `YAML syntax: ${message}`);
  }
  const src = new Source(file, doc, lines);
  const root = src.resolve(doc.contents);
  const top = new Ctx(src, "", "");
  if (isNull(root)) {
    throw new ScenarioError(file, 1, 1, 'the file is empty; a scenario is a mapping with at least "model: esx" or "model: vcenter"');
  }
  if (!isMap(root)) return top.failRaw(root, `a scenario must be a mapping (key: value lines), got ${describe(root)}`);

  const f0 = Fields.of(top, root);
  if (!f0.has("model")) top.failRaw(root, 'missing required key "model" (esx: a standalone ESXi host, or vcenter)');
  const model = f0.oneOf("model", ["esx", "vcenter"] as const);
  const f = f0.only(model === "esx" ? ESX_KEYS : VCENTER_KEYS, (k) => misplacedKey(model, k));
  const st: ParseState = { hostNames: new Map(), ips: [], baseDir };

  const scenario: Scenario = {
    name,
    file,
    model,
    about: readAbout(f.sub("about"), model),
    credentials: readCredentials(f.sub("credentials"), model),
    seed: f.str("seed", name),
    datacenters: model === "esx" ? [readEsxDatacenter(f, st)] : readDatacenters(f, st),
  };
  assignManagementIps(st);
  return scenario;
}

function misplacedKey(model: ScenarioModel, k: string): string | undefined {
  if (model === "esx") {
    if (k === "datacenters") {
      return `"datacenters" is not allowed with model esx: a standalone ESXi host has exactly one datacenter, "${ESX_DATACENTER}"; ` +
        'write the host under "host:" and its datastores under "datastores:" at the top level';
    }
    if (["hosts", "clusters", "dvSwitches", "vmFolders", "name"].includes(k)) {
      return `"${k}" is not allowed with model esx (one host under "host:", no clusters, distributed switches or VM folders); ` +
        `allowed keys: ${ESX_KEYS.join(", ")}`;
    }
  } else if (["host", "hosts", "datastores", "clusters", "dvSwitches", "vmFolders"].includes(k)) {
    return `"${k}" is not allowed at the top level with model vcenter: put it in an entry of "datacenters:"; ` +
      `allowed keys: ${VCENTER_KEYS.join(", ")}`;
  }
  return undefined;
}

function readAbout(f: Fields, model: ScenarioModel): AboutSpec {
  f.only(["version", "build", "apiVersion"]);
  const version = f.str("version", "6.0.0");
  if (!/^\d+\.\d+\.\d+$/.test(version)) f.ctx.key("version").fail(f.at("version"), `must look like 6.0.0, got ${JSON.stringify(version)}`);
  const knownBuild = KNOWN_BUILDS[model][version];
  if (knownBuild === undefined && !f.has("build")) {
    f.ctx.failRaw(f.at("version"), `about.build is required for version ${version} (builds are known for ${Object.keys(KNOWN_BUILDS[model]).join(", ")})`);
  }
  const build = f.str("build", knownBuild);
  if (!/^\d+$/.test(build)) f.ctx.key("build").fail(f.at("build"), `must be a build number such as 3620759, got ${JSON.stringify(build)}`);
  const apiVersion = f.str("apiVersion", version.split(".").slice(0, 2).join("."));
  if (!/^\d+\.\d+(\.\d+)?$/.test(apiVersion)) {
    f.ctx.key("apiVersion").fail(f.at("apiVersion"), `must look like 6.0, got ${JSON.stringify(apiVersion)}`);
  }
  return { version, build, apiVersion };
}

function readCredentials(f: Fields, model: ScenarioModel): { username: string; password: string } {
  f.only(["username", "password"]);
  const username = f.str("username", DEFAULT_USERNAME[model]);
  const password = f.str("password", DEFAULT_PASSWORD);
  if (username === "") f.ctx.key("username").fail(f.at("username"), "must not be empty");
  if (password === "") f.ctx.key("password").fail(f.at("password"), "must not be empty");
  return { username, password };
}

function readEsxDatacenter(f: Fields, st: ParseState): DatacenterSpec {
  const datastores = readDatastores(f);
  if (!f.has("host")) f.ctx.failRaw(f.node, 'missing required key "host" (the ESXi host: name, cpu, memory, ...)');
  const host = readHost(f.ctx.key("host"), f.get("host"), datastores, true, ESX_DATACENTER, st);
  const files = readFiles(f, datastores, st);
  return { name: ESX_DATACENTER, vmFolders: [], datastores, hosts: [host], clusters: [], dvSwitches: [], files, vms: readVms(f, datastores, files, [host.name], []) };
}

function readDatacenters(f: Fields, st: ParseState): DatacenterSpec[] {
  if (!f.has("datacenters")) f.ctx.failRaw(f.node, 'missing required key "datacenters" (a list; each has name, hosts, clusters, datastores, ...)');
  const names = new Names("datacenter");
  return f.list("datacenters").map(({ ctx, node }) => {
    const d0 = Fields.of(ctx, node);
    const name = d0.name("name");
    names.add(ctx, name, d0.at("name"));
    const d = d0.as(ctx.entity(`datacenter "${name}"`)).only(DATACENTER_KEYS);
    const datastores = readDatastores(d);
    const dcHosts = new Names("host");
    const hosts = d.list("hosts").map((h) => readHost(h.ctx, h.node, datastores, true, name, st));
    hosts.forEach((h) => dcHosts.add(ctx, h.name, undefined));
    const clusterNames = new Names("cluster");
    const clusters = d.list("clusters").map((c) => {
      const cluster = readCluster(c.ctx, c.node, datastores, name, st, clusterNames);
      cluster.hosts.forEach((h) => dcHosts.add(ctx, h.name, undefined));
      return cluster;
    });
    const dvSwitches = readDvSwitches(d, dcHosts, name, st);
    const vmFolders = readVmFolders(d);
    const files = readFiles(d, datastores, st);
    const vms = readVms(d, datastores, files, [...hosts.map((h) => h.name), ...clusters.map((c) => c.name)], vmFolders);
    return { name, vmFolders, datastores, hosts, clusters, dvSwitches, files, vms };
  });
}

function readDatastores(f: Fields): DatastoreSpec[] {
  const names = new Names("datastore");
  return f.list("datastores").map(({ ctx, node }) => {
    const d0 = Fields.of(ctx, node);
    const name = d0.name("name");
    names.add(ctx, name, d0.at("name"));
    const d = d0.as(ctx.entity(`datastore "${name}"`)).only(["name", "type", "capacity", "used", "uuid"]);
    const type = d.oneOf("type", ["VMFS", "NFS", "vsan"] as const, "VMFS");
    const capacityBytes = d.size("capacity");
    if (capacityBytes === 0) d.ctx.key("capacity").fail(d.at("capacity"), "must be greater than zero");
    const usedBytes = d.size("used", 0);
    if (usedBytes > capacityBytes) {
      d.ctx.key("used").fail(d.at("used"), `must not exceed capacity (${capacityBytes} bytes), got ${usedBytes} bytes`);
    }
    let uuid: string | undefined;
    if (d.has("uuid")) {
      uuid = d.str("uuid");
      // VMFS volumes read 8-8-4-12 hex, NFS ones 8-8
      if (!/^[0-9a-f]{8}-[0-9a-f]{8}(-[0-9a-f]{4}-[0-9a-f]{12})?$/.test(uuid)) d.ctx.key("uuid").fail(d.at("uuid"), `must be a volume UUID such as d37f7a1b-0ab13c48 or 57a8b1c2-0d3e4f50-6a7b-000c29123456, got ${JSON.stringify(uuid)}`);
    }
    return { name, type, capacityBytes, usedBytes, uuid };
  });
}

const DS_PATH = /^[^/\\].*[^/]$|^[^/\\]$/;

/** Files put on datastores before VMs are registered: copied from the scenario's folder, zero-filled, or thin disks. */
function readFiles(f: Fields, datastores: DatastoreSpec[], st: ParseState): FileFixtureSpec[] {
  const seen = new Names("file");
  return f.list("files").map(({ ctx, node }) => {
    const e = Fields.of(ctx, node).only(["datastore", "path", "source", "size", "disk"]);
    const datastore = e.str("datastore");
    if (!datastores.some((d) => d.name === datastore)) e.ctx.key("datastore").fail(e.at("datastore"), `names no datastore of this datacenter; known: ${datastores.map((d) => d.name).join(", ")}`);
    const p = e.str("path");
    if (!DS_PATH.test(p) || p.split("/").includes("..")) e.ctx.key("path").fail(e.at("path"), `must be a path on the datastore such as VCH001/appliance.iso, got ${JSON.stringify(p)}`);
    seen.add(ctx, `[${datastore}] ${p}`, e.at("path"));
    const given = ["source", "size", "disk"].filter((k) => e.has(k));
    if (given.length !== 1) ctx.fail(node, `needs exactly one of source, size or disk, got ${given.length ? given.join(" and ") : "none"}`);
    const out: FileFixtureSpec = { datastore, path: p };
    if (e.has("source")) {
      const rel = e.str("source");
      const abs = path.resolve(st.baseDir, rel);
      try {
        out.data = readFileSync(abs);
      } catch (err) {
        e.ctx.key("source").fail(e.at("source"), `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): ${displayPath(abs)}`);
      }
      out.source = displayPath(abs);
    } else if (e.has("size")) out.size = e.size("size");
    else {
      const dk = e.sub("disk").only(["capacity", "parent"]);
      out.disk = { capacityBytes: dk.size("capacity"), parent: dk.has("parent") ? dk.str("parent") : undefined };
      if (!/\.vmdk$/i.test(p)) e.ctx.key("path").fail(e.at("path"), "of a disk must end in .vmdk (the descriptor)");
    }
    return out;
  });
}

/** VMs registered from .vmx files: each .vmx must be among `files` (or already on the datastore). */
function readVms(f: Fields, datastores: DatastoreSpec[], files: FileFixtureSpec[], computeResources: string[], vmFolders: string[]): VmFixtureSpec[] {
  const seen = new Names("VM");
  return f.list("vms").map(({ ctx, node }) => {
    const v = Fields.of(ctx, node).only(["datastore", "vmx", "powerState", "folder", "computeResource", "pool", "template", "guest"]);
    const datastore = v.str("datastore");
    if (!datastores.some((d) => d.name === datastore)) v.ctx.key("datastore").fail(v.at("datastore"), `names no datastore of this datacenter; known: ${datastores.map((d) => d.name).join(", ")}`);
    const vmx = v.str("vmx");
    if (!/\.vmx$/i.test(vmx)) v.ctx.key("vmx").fail(v.at("vmx"), `must be the path of a .vmx file on the datastore, got ${JSON.stringify(vmx)}`);
    seen.add(ctx, `[${datastore}] ${vmx}`, v.at("vmx"));
    const file = files.find((x) => x.datastore === datastore && x.path === vmx);
    if (!file?.data) v.ctx.key("vmx").fail(v.at("vmx"), `must be one of the scenario's files (with a source): add it under "files:"`);
    const cr = v.str("computeResource", "");
    if (cr && !computeResources.includes(cr)) v.ctx.key("computeResource").fail(v.at("computeResource"), `names no host or cluster of this datacenter; known: ${computeResources.join(", ")}`);
    const folder = v.str("folder", "");
    if (folder && !vmFolders.includes(folder)) v.ctx.key("folder").fail(v.at("folder"), `names no VM folder of this datacenter; known: ${vmFolders.join(", ") || "none"}`);
    // the .vmx must at least parse; a customer's file with a typo is reported where it is
    try {
      VmxFile.parse(file!.data!.toString("utf8"), file!.source ?? vmx);
    } catch (err) {
      if (err instanceof VmxParseError) throw new ScenarioError(err.file, err.line, 1, `${err.message.replace(/^.*?:\d+: /, "")} (listed at ${v.ctx.src.file}:${v.ctx.src.line(v.at("vmx")) ?? "?"})`);
      throw err;
    }
    return {
      datastore, vmx,
      powerState: v.oneOf("powerState", ["poweredOn", "poweredOff", "suspended"] as const, "poweredOff"),
      folder, computeResource: cr, pool: v.str("pool", ""), template: v.bool("template", false),
      ...readFixtureGuest(v),
    };
  });
}

/** `guest: generic-linux` or `guest: { program, hostName, ipAddress }`: what a fixture VM runs when powered on. */
function readFixtureGuest(v: Fields): { guest?: VmFixtureSpec["guest"] } {
  if (!v.has("guest")) return {};
  const node = v.get("guest");
  if (isScalar(node)) return { guest: { program: v.str("guest") } };
  const g = v.sub("guest").only(["program", "hostName", "ipAddress"]);
  const hostName = g.has("hostName") ? g.str("hostName") : undefined;
  if (hostName !== undefined && !HOST_NAME.test(hostName)) g.ctx.key("hostName").fail(g.at("hostName"), `is not a host name: ${JSON.stringify(hostName)}`);
  const ipAddress = g.has("ipAddress") ? g.str("ipAddress") : undefined;
  if (ipAddress !== undefined && !(IPV4.test(ipAddress) && ipAddress.startsWith("127."))) g.ctx.key("ipAddress").fail(g.at("ipAddress"), `must be an IPv4 address in 127.0.0.0/8 (guests live there), got ${JSON.stringify(ipAddress)}`);
  return { guest: { program: g.str("program", "generic-linux"), ...(hostName ? { hostName } : {}), ...(ipAddress ? { ipAddress } : {}) } };
}

const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function readHost(
  ctx: Ctx, node: Value | undefined, datastores: DatastoreSpec[], standalone: boolean, datacenter: string, st: ParseState,
): HostSpec {
  const h0 = Fields.of(ctx, node);
  const name = h0.name("name");
  if (!HOST_NAME.test(name)) {
    ctx.key("name").fail(h0.at("name"), `must be a DNS name or IP address such as esxi01.example.com, got ${JSON.stringify(name)}`);
  }
  const first = st.hostNames.get(name);
  if (first) {
    const line = ctx.src.line(first.node);
    ctx.failRaw(h0.at("name"), `duplicate host "${name}"${line === undefined ? "" : ` (first defined at line ${line})`}; host names are unique across the scenario`);
  }
  st.hostNames.set(name, { node: h0.at("name"), datacenter });

  const keys = ["name", "managementIp", "cpu", "memory", "datastores", "vswitches", "firewall", "license", "disks"];
  const h = h0.as(ctx.entity(`host "${name}"`)).only(standalone ? [...keys, "resourcePools"] : keys, (k) =>
    k === "resourcePools" && !standalone
      ? "resourcePools is only allowed on standalone hosts: a clustered host has no root pool of its own; give the cluster resourcePools instead"
      : undefined);

  const memoryBytes = h.size("memory", DEFAULT_MEMORY);
  if (memoryBytes === 0) h.ctx.key("memory").fail(h.at("memory"), "must be greater than zero");

  const host: HostSpec = {
    name,
    cpu: readCpu(h.sub("cpu")),
    memoryBytes,
    datastores: readHostDatastores(h, datastores),
    vswitches: h.has("vswitches") ? readVSwitches(h) : defaultVSwitches(),
    firewall: readFirewall(h.sub("firewall")),
    license: readLicense(h.sub("license")),
    resourcePools: readResourcePools(h, "resourcePools", ""),
    managementIp: "",
    disks: readDisks(h),
  };
  const explicit = h.has("managementIp");
  if (explicit) {
    host.managementIp = h.str("managementIp");
    if (!IPV4.test(host.managementIp)) {
      h.ctx.key("managementIp").fail(h.at("managementIp"), `must be an IPv4 address such as 192.168.1.10, got ${JSON.stringify(host.managementIp)}`);
    }
  }
  st.ips.push({ host, explicit, node: h.at("managementIp"), ctx: h.ctx.key("managementIp"), offset: node?.range?.[0] ?? 0 });
  return host;
}

function readCpu(f: Fields): HostSpec["cpu"] {
  f.only(["packages", "cores", "threads", "mhz", "model"]);
  // Defaults scale with what is given, so `packages: 2` alone still describes a plausible machine.
  const packages = f.int("packages", 1, 1);
  const cores = f.int("cores", 4 * packages, 1);
  const threads = f.int("threads", 2 * cores, 1);
  const mhz = f.int("mhz", 2600, 1);
  const model = f.str("model", DEFAULT_CPU_MODEL);
  if (cores % packages !== 0) f.ctx.key("cores").fail(f.at("cores"), `(${cores}) must be a multiple of cpu.packages (${packages})`);
  if (threads % cores !== 0) {
    f.ctx.key("threads").fail(f.at("threads"), `(${threads}) must be a multiple of cpu.cores (${cores}): one or two threads per core`);
  }
  return { packages, cores, threads, mhz, model };
}

function readHostDatastores(h: Fields, datastores: DatastoreSpec[]): string[] {
  if (!h.has("datastores")) return datastores.map((d) => d.name);
  const names = new Names("datastore");
  return h.strList("datastores").map(({ value, node, ctx }) => {
    if (!datastores.some((d) => d.name === value)) {
      const known = datastores.map((d) => `"${d.name}"`).join(", ");
      ctx.fail(node, `names datastore "${value}", which is not defined in the datacenter (${known ? `defined: ${known}` : "it has no datastores"})`);
    }
    names.add(ctx, value, node);
    return value;
  });
}

// the smallest disk hostd will put a VMFS volume on (VMFS5 needs 1.3 GB; a smaller blank disk would be of no use here)
const MIN_DISK = 2 * 1024 ** 3;

/** Blank local disks: `disks: [{ size: 100GB }, { size: 200GB, ssd: true }]`. */
function readDisks(h: Fields): DiskSpec[] {
  return h.list("disks").map(({ ctx, node }) => {
    const d = Fields.of(ctx, node).only(["size", "ssd"]);
    const capacityBytes = d.size("size");
    if (capacityBytes < MIN_DISK) d.ctx.key("size").fail(d.at("size"), `must be at least 2GB (room for a VMFS volume), got ${capacityBytes} bytes`);
    if (capacityBytes % 512 !== 0) d.ctx.key("size").fail(d.at("size"), `must be a whole number of 512-byte sectors, got ${capacityBytes} bytes`);
    return { capacityBytes, ssd: d.bool("ssd", false) };
  });
}

function readPortgroupName(ctx: Ctx, node: Value | undefined): { f: Fields | undefined; name: string } {
  if (node && isScalar(node) && !isNull(node)) return { f: undefined, name: checkName(ctx, node, readString(ctx, node)) };
  const f = Fields.of(ctx, node);
  return { f, name: f.name("name") };
}

function readVSwitches(h: Fields): VSwitchSpec[] {
  const switches = new Names("vSwitch");
  const portgroups = new Names("port group");
  const uplinks = new Names("uplink");
  return h.list("vswitches").map(({ ctx, node }) => {
    const s0 = Fields.of(ctx, node);
    const name = s0.name("name");
    switches.add(ctx, name, s0.at("name"));
    const s = s0.as(ctx.entity(`${ctx.where} vSwitch "${name}"`)).only(["name", "uplinks", "portgroups"]);
    return {
      name,
      uplinks: s.strList("uplinks").map(({ value, node: n, ctx: c }) => {
        checkName(c, n, value);
        uplinks.add(c, value, n);
        return value;
      }),
      portgroups: s.list("portgroups").map(({ ctx: c, node: n }) => {
        const { f, name: pg } = readPortgroupName(c, n);
        portgroups.add(c, pg, f ? f.at("name") : n);
        const vlan = f ? f.only(["name", "vlan", "subnet"]).int("vlan", 0, 0, 4095) : 0;
        return { name: pg, vlan, ...readSubnet(f) };
      }),
    };
  });
}

/** A port group's guest subnet: a /24 in 127.0.0.0/8 (guest/guest-network.ts). */
function readSubnet(f: Fields | undefined): { subnet?: string } {
  if (!f?.has("subnet")) return {};
  const subnet = f.str("subnet");
  try {
    parseSubnet(subnet);
  } catch {
    f.ctx.key("subnet").fail(f.at("subnet"), `must be a /24 in 127.0.0.0/8 (e.g. 127.20.1.0/24), got ${JSON.stringify(subnet)}`);
  }
  return { subnet };
}

const RULESET_KEY = /^[A-Za-z][A-Za-z0-9_-]*$/;

function readFirewall(f: Fields): FirewallSpec {
  f.only(["enabled", "rulesets"]);
  const enabled = f.bool("enabled", true);
  const rulesets = standardRulesets();
  const given = f.sub("rulesets");
  for (const key of given.keys()) {
    const ctx = given.ctx.key(key);
    const node = given.get(key);
    if (!RULESET_KEY.test(key)) ctx.failRaw(given.keyNode(key), `ruleset key "${key}" must be a plain identifier such as sshServer`);
    let rs = rulesets.find((r) => r.key === key);
    if (node && isScalar(node) && typeof node.value === "boolean") {
      if (!rs) {
        const near = nearest(key, rulesets.map((r) => r.key));
        return ctx.failRaw(given.keyNode(key), `"${key}" is not a standard ESXi ruleset` +
          (near ? ` (did you mean "${near}"?)` : "") + ", so it needs a mapping with rules; " +
          `standard rulesets: ${rulesets.map((r) => r.key).join(", ")}`);
      }
      rs.enabled = node.value;
      continue;
    }
    const allowed = ["enabled", "label", "required", "allowedAll", "rules"];
    if (node && isScalar(node) && !isNull(node)) {
      ctx.fail(node, `must be true, false or a mapping with ${allowed.join(", ")}, got ${describe(node)}`);
    }
    const r = Fields.of(ctx, node).only(allowed);
    if (!rs) {
      if (!r.has("rules")) {
        const near = nearest(key, rulesets.map((x) => x.key));
        ctx.failRaw(given.keyNode(key), `"${key}" is not a standard ESXi ruleset` +
          (near ? ` (did you mean "${near}"?)` : "") + ", so it must list its rules; " +
          `standard rulesets: ${rulesets.map((x) => x.key).join(", ")}`);
      }
      rs = { key, label: key, enabled: true, required: false, allowedAll: true, rules: [] };
      rulesets.push(rs);
    }
    rs.label = r.str("label", rs.label);
    rs.enabled = r.bool("enabled", rs.enabled);
    rs.required = r.bool("required", rs.required);
    rs.allowedAll = r.bool("allowedAll", rs.allowedAll);
    if (r.has("rules")) rs.rules = r.list("rules").map(({ ctx: c, node: n }) => readRule(c, n));
  }
  return { enabled, rulesets };
}

function readRule(ctx: Ctx, node: Value | undefined): Rule {
  const f = Fields.of(ctx, node).only(["port", "endPort", "direction", "protocol", "portType"]);
  const port = f.int("port", undefined, 0, 65535);
  const out: Rule = {
    port,
    direction: f.oneOf("direction", ["inbound", "outbound"] as const),
    protocol: f.oneOf("protocol", ["tcp", "udp"] as const, "tcp"),
    portType: f.oneOf("portType", ["src", "dst"] as const, "dst"),
  };
  if (f.has("endPort")) {
    out.endPort = f.int("endPort", port, 0, 65535);
    if (out.endPort < port) f.ctx.key("endPort").fail(f.at("endPort"), `(${out.endPort}) must not be below port (${port})`);
  }
  return out;
}

const LICENSE_KEY = /^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$/;

function readLicense(f: Fields): LicenseSpec {
  f.only(["licenseKey", "editionKey", "name", "features"]);
  const def = defaultLicense();
  const licenseKey = f.str("licenseKey", def.licenseKey);
  if (!LICENSE_KEY.test(licenseKey)) {
    f.ctx.key("licenseKey").fail(f.at("licenseKey"), `must look like 00000-00000-00000-00000-00000, got ${JSON.stringify(licenseKey)}`);
  }
  let features = def.features;
  if (f.has("features")) {
    const names = new Names("license feature");
    features = f.strList("features").map(({ value, node, ctx }) => {
      if (value === "") ctx.fail(node, "must not be empty");
      names.add(ctx, value, node);
      return value;
    });
  }
  return { licenseKey, editionKey: f.str("editionKey", def.editionKey), name: f.str("name", def.name), features };
}

function readResourcePools(f: Fields, key: string, parentPath: string): ResourcePoolSpec[] {
  const names = new Names("resource pool");
  return f.list(key).map(({ ctx, node }) => {
    const p0 = Fields.of(ctx, node);
    const name = p0.name("name");
    names.add(ctx, name, p0.at("name"));
    const poolPath = parentPath ? `${parentPath}/${name}` : name;
    const p = p0.as(ctx.entity(`resource pool "${poolPath}"`)).only(["name", "cpu", "memory", "children"]);
    return {
      name,
      cpu: readAllocation(p.sub("cpu"), "cpu"),
      memory: readAllocation(p.sub("memory"), "memory"),
      children: readResourcePools(p, "children", poolPath),
    };
  });
}

/** CPU in MHz; memory in MB (vim25's units), where memory also takes a size string such as 4GiB. */
function readAllocation(f: Fields, kind: "cpu" | "memory"): AllocationSpec {
  f.only(["reservation", "expandableReservation", "limit", "shares"]);
  const def = defaultAllocation();
  const amount = (k: "reservation" | "limit", d: number): number => {
    const v = f.get(k);
    if (!f.has(k)) return d;
    const ctx = f.ctx.key(k);
    if (k === "limit" && v && isScalar(v) && (v.value === -1 || v.value === "unlimited")) return -1;
    if (kind === "memory" && v && isScalar(v) && typeof v.value === "string") {
      const bytes = readSize(ctx, v);
      if (bytes % 1024 ** 2 !== 0) ctx.fail(v, `must be a whole number of MiB, got ${describe(v)}`);
      return bytes / 1024 ** 2;
    }
    return readInt(ctx, v, 0, undefined, kind === "cpu"
      ? `a non-negative integer (MHz)${k === "limit" ? " or -1/unlimited" : ""}`
      : `a non-negative integer (MB) or a size such as 4GiB${k === "limit" ? ", or -1/unlimited" : ""}`);
  };
  const reservation = amount("reservation", def.reservation);
  const limit = amount("limit", def.limit);
  if (limit !== -1 && reservation > limit) {
    f.ctx.key("reservation").fail(f.at("reservation"), `(${reservation}) must not exceed limit (${limit})`);
  }
  return {
    reservation,
    expandableReservation: f.bool("expandableReservation", def.expandableReservation),
    limit,
    shares: f.oneOf("shares", ["low", "normal", "high"] as const, def.shares),
  };
}

function readCluster(
  ctx: Ctx, node: Value | undefined, datastores: DatastoreSpec[], datacenter: string, st: ParseState, names: Names,
): ClusterSpec {
  const c0 = Fields.of(ctx, node);
  const name = c0.name("name");
  names.add(ctx, name, c0.at("name"));
  const c = c0.as(ctx.entity(`cluster "${name}"`)).only(["name", "drs", "ha", "hosts", "resourcePools"]);
  return {
    name,
    drs: readDrs(c),
    ha: readHa(c),
    hosts: c.list("hosts").map((h) => readHost(h.ctx, h.node, datastores, false, datacenter, st)),
    resourcePools: readResourcePools(c, "resourcePools", ""),
  };
}

/** `drs: true` is short for `drs: { enabled: true }`, and a mapping without `enabled` means enabled. */
function toggle(c: Fields, key: string, allowed: string[]): boolean | Fields {
  const v = c.get(key);
  if (v && isScalar(v) && !isNull(v)) {
    if (typeof v.value === "boolean") return v.value;
    return c.ctx.key(key).fail(v, `must be true, false or a mapping with ${allowed.join(", ")}, got ${describe(v)}`);
  }
  return c.sub(key).only(allowed);
}

function readDrs(c: Fields): ClusterSpec["drs"] {
  if (!c.has("drs")) return { enabled: false, behavior: "fullyAutomated" };
  const t = toggle(c, "drs", ["enabled", "behavior"]);
  if (typeof t === "boolean") return { enabled: t, behavior: "fullyAutomated" };
  return {
    enabled: t.bool("enabled", true),
    behavior: t.oneOf("behavior", ["manual", "partiallyAutomated", "fullyAutomated"] as const, "fullyAutomated"),
  };
}

function readHa(c: Fields): ClusterSpec["ha"] {
  if (!c.has("ha")) return { enabled: false };
  const t = toggle(c, "ha", ["enabled"]);
  return { enabled: typeof t === "boolean" ? t : t.bool("enabled", true) };
}

function readDvSwitches(d: Fields, dcHosts: Names, datacenter: string, st: ParseState): DvsSpec[] {
  const switches = new Names("dvSwitch");
  const portgroups = new Names("distributed port group");
  return d.list("dvSwitches").map(({ ctx, node }) => {
    const s0 = Fields.of(ctx, node);
    const name = s0.name("name");
    switches.add(ctx, name, s0.at("name"));
    const s = s0.as(ctx.entity(`dvSwitch "${name}"`)).only(["name", "version", "hosts", "portgroups"]);
    const members = new Names("member host");
    const hosts = s.has("hosts")
      ? s.strList("hosts").map(({ value, node: n, ctx: c }) => {
        if (!dcHosts.has(value)) {
          const elsewhere = st.hostNames.get(value);
          c.fail(n, elsewhere
            ? `names host "${value}", which is in datacenter "${elsewhere.datacenter}", not "${datacenter}"`
            : `names host "${value}", which is not a host of datacenter "${datacenter}" (hosts: ${dcHosts.list().map((x) => `"${x}"`).join(", ") || "none"})`);
        }
        members.add(c, value, n);
        return value;
      })
      : dcHosts.list();
    return {
      name,
      version: s.oneOf("version", DVS_VERSIONS, "6.0.0"),
      hosts,
      portgroups: s.list("portgroups").map(({ ctx: c, node: n }) => {
        const { f, name: pg } = readPortgroupName(c, n);
        portgroups.add(c, pg, f ? f.at("name") : n);
        f?.only(["name", "vlan", "numPorts", "subnet"]);
        return { name: pg, vlan: f ? f.int("vlan", 0, 0, 4094) : 0, numPorts: f ? f.int("numPorts", 8, 0) : 8, ...readSubnet(f) };
      }),
    };
  });
}

function readVmFolders(d: Fields): string[] {
  const out: string[] = [];
  const listed = new Names("VM folder");
  for (const { value, node, ctx } of d.strList("vmFolders")) {
    if (value.startsWith("/") || value.endsWith("/")) {
      ctx.fail(node, `must be a path relative to the datacenter's VM folder, such as "prod/web", got ${JSON.stringify(value)}`);
    }
    const segments = value.split("/");
    segments.forEach((seg) => checkName(ctx, node, seg));
    listed.add(ctx, value, node);
    // Parents come first so that the builder can create folders in list order.
    segments.forEach((_, i) => {
      const p = segments.slice(0, i + 1).join("/");
      if (!out.includes(p)) out.push(p);
    });
  }
  return out;
}

function assignManagementIps(st: ParseState): void {
  const taken = new Map<string, Ctx>();
  for (const e of st.ips) {
    if (!e.explicit) continue;
    if (taken.has(e.host.managementIp)) {
      e.ctx.fail(e.node, `${e.host.managementIp} is already the management IP of another host`);
    }
    taken.set(e.host.managementIp, e.ctx);
  }
  // Defaults follow document order and skip addresses given explicitly, so they are stable and never collide.
  let n = 0;
  for (const e of [...st.ips].sort((a, b) => a.offset - b.offset)) {
    if (e.explicit) continue;
    let ip: string;
    do {
      n++;
      ip = `10.0.${Math.floor((n + 9) / 250)}.${((n + 9) % 250) + 1}`;
    } while (taken.has(ip));
    taken.set(ip, e.ctx);
    e.host.managementIp = ip;
  }
}
