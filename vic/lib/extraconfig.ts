// VIC's extraconfig encoding (0.4/0.5, pkg/vsphere/extraconfig; the rules
// are in ../shared/spec/vic.md §3): configuration structs become
// `guestinfo.*` keys of a VM's extraConfig, and come back from them. Go
// describes the fields with struct tags; here a schema does.
//
//   read-only   guestinfo./common/name            '/' between parts
//   read-write  guestinfo..sessions|ID.started    '.' between parts: the whole
//               key changes separator when the scope does
//   hidden      common/notes                      no guestinfo. prefix (the
//               guest cannot read it)
//   maps        PREFIX|KEY for each value; PREFIX holds the keys, sorted,
//               joined by '|'
//   []string    PREFIX~ holds the values joined by '|'; PREFIX holds length-1
//   []struct    PREFIX|INDEX for each; PREFIX holds length-1
//   ""          written "<nil>", read back as ""
//   bytes       base64; time as Go's Time.String(); floats in 'E' format
//
// Where the spec is silent: an empty slice or map is written like a nil one
// (no keys); a value that fails to parse is refused with the key named.

export type Scope = "hidden" | "read-only" | "read-write" | "volatile" | "non-persistent";

export type FieldType =
  | "string"
  | "int"
  | "float"
  | "bool"
  | "bytes"
  | "time"
  | { struct: Schema }
  | { map: FieldType }
  | { slice: FieldType };

export interface Field {
  /** the JavaScript property */
  prop: string;
  /** the key part (the Go tag's key, or the Go field name for an untagged field) */
  key: string;
  /** omitted: the parent's scope (an untagged Go field) */
  scope?: Scope;
  type: FieldType;
}

export type Schema = readonly Field[];

export const GUESTINFO = "guestinfo.";
export const NIL = "<nil>";
/** An untagged field at the top takes this: hidden|read-only, which is read-only with a '/' */
const TOP_SCOPE: Scope = "read-only";

export class ExtraConfigError extends Error {}

type Path = string[];

function keyOf(path: Path, scope: Scope): string {
  if (scope === "hidden") return path.join("/");
  if (scope === "read-write" || scope === "volatile") return `${GUESTINFO}.${path.join(".")}`;
  return `${GUESTINFO}/${path.join("/")}`;
}

/** The last part with something appended ("sessions" -> "sessions|ID", "Args" -> "Args~"). */
const suffixed = (path: Path, s: string): Path => [...path.slice(0, -1), `${path[path.length - 1]}${s}`];

function isPrimitive(t: FieldType): t is "string" | "int" | "float" | "bool" | "bytes" | "time" {
  return typeof t === "string";
}

// ---------------------------------------------------------------- primitives

const two = (n: number) => String(n).padStart(2, "0");

/** Go's Time.String() for a UTC time: "2016-08-06 19:50:00.5 +0000 UTC". */
export function goTimeString(d: Date): string {
  const ms = d.getUTCMilliseconds();
  const frac = ms ? `.${String(ms).padStart(3, "0").replace(/0+$/, "")}` : "";
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}${frac} +0000 UTC`;
}

function parseGoTime(s: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)? ([+-])(\d{2})(\d{2})(?: [A-Z]+)?/.exec(s);
  if (!m) return undefined;
  const ms = m[7] ? Math.round(Number(`0${m[7]}`) * 1000) : 0;
  const offset = (m[8] === "-" ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], ms) - offset * 60_000);
}

/** strconv.FormatFloat(f, 'E', -1, 64): "1.5E+00". */
function goFloat(f: number): string {
  if (!Number.isFinite(f)) return f > 0 ? "+Inf" : f < 0 ? "-Inf" : "NaN";
  const [mant, exp] = f.toExponential().split("e");
  const e = Number(exp);
  return `${mant}E${e < 0 ? "-" : "+"}${two(Math.abs(e))}`;
}

function encodePrimitive(t: string, v: unknown): string {
  switch (t) {
    case "string":
      return String(v);
    case "int":
      return String(Math.trunc(Number(v)));
    case "float":
      return goFloat(Number(v));
    case "bool":
      return v ? "true" : "false";
    case "bytes":
      return Buffer.from(v as Uint8Array).toString("base64");
    case "time":
      return goTimeString(v as Date);
  }
  throw new ExtraConfigError(`unknown type ${t}`);
}

function decodePrimitive(t: string, s: string, key: string): unknown {
  switch (t) {
    case "string":
      return s;
    case "int": {
      if (!/^-?\d+$/.test(s)) throw new ExtraConfigError(`${key}: ${JSON.stringify(s)} is not an integer`);
      return Number(s);
    }
    case "float": {
      const f = Number(s.replace(/^\+Inf$/, "Infinity").replace(/^-Inf$/, "-Infinity"));
      if (Number.isNaN(f) && s !== "NaN") throw new ExtraConfigError(`${key}: ${JSON.stringify(s)} is not a number`);
      return f;
    }
    case "bool":
      if (s !== "true" && s !== "false") throw new ExtraConfigError(`${key}: ${JSON.stringify(s)} is not true or false`);
      return s === "true";
    case "bytes":
      return Buffer.from(s, "base64");
    case "time": {
      const d = parseGoTime(s);
      if (!d) throw new ExtraConfigError(`${key}: ${JSON.stringify(s)} is not a time`);
      return d;
    }
  }
  throw new ExtraConfigError(`unknown type ${t}`);
}

// ---------------------------------------------------------------- encode

/** A struct's keys and values, as they go into extraConfig. `prefix` places it below a parent (EncodeWithPrefix). */
export function encode(value: Record<string, unknown>, schema: Schema, at: { path?: Path; scope?: Scope } = {}): Map<string, string> {
  const out = new Map<string, string>();
  encodeStruct(value, schema, at.path ?? [], at.scope ?? TOP_SCOPE, out);
  return out;
}

function put(out: Map<string, string>, key: string, v: string): void {
  out.set(key, v === "" ? NIL : v);
}

function encodeStruct(value: Record<string, unknown>, schema: Schema, path: Path, scope: Scope, out: Map<string, string>): void {
  for (const f of schema) {
    const s = f.scope ?? scope;
    if (s === "non-persistent") continue;
    const v = value[f.prop];
    if (v === undefined || v === null) continue;
    encodeValue(v, f.type, [...path, f.key], s, out);
  }
}

function encodeValue(v: unknown, t: FieldType, path: Path, scope: Scope, out: Map<string, string>): void {
  if (isPrimitive(t)) return put(out, keyOf(path, scope), encodePrimitive(t, v));
  if ("struct" in t) return encodeStruct(v as Record<string, unknown>, t.struct, path, scope, out);
  if ("map" in t) {
    const entries = v instanceof Map ? [...v.entries()] : Object.entries(v as Record<string, unknown>);
    if (!entries.length) return;
    const keys = entries.map(([k]) => String(k)).sort();
    for (const k of keys) if (k.includes("|")) throw new ExtraConfigError(`${keyOf(path, scope)}: map key ${JSON.stringify(k)} holds '|', which the encoding cannot carry`);
    put(out, keyOf(path, scope), keys.join("|"));
    for (const [k, item] of entries) if (item !== undefined && item !== null) encodeValue(item, t.map, suffixed(path, `|${k}`), scope, out);
    return;
  }
  const list = v as unknown[];
  if (!list.length) return;
  put(out, keyOf(path, scope), String(list.length - 1));
  if (isPrimitive(t.slice)) {
    const items = list.map((x) => encodePrimitive(t.slice as string, x));
    if (items.some((x) => x.includes("|"))) throw new ExtraConfigError(`${keyOf(path, scope)}: a value holds '|', which this version's encoding cannot carry`);
    put(out, keyOf(suffixed(path, "~"), scope), items.join("|"));
    return;
  }
  list.forEach((item, i) => encodeValue(item, t.slice, suffixed(path, `|${i}`), scope, out));
}

// ---------------------------------------------------------------- decode

/** A struct back from extraConfig keys (a Map, a record, or extraConfig's OptionValues). */
export function decode<T = Record<string, unknown>>(source: Map<string, string> | Record<string, string> | { key: string; value: unknown }[], schema: Schema, at: { path?: Path; scope?: Scope } = {}): T {
  const map = source instanceof Map ? source : Array.isArray(source) ? new Map(source.map((o) => [o.key, String(o.value)])) : new Map(Object.entries(source));
  return decodeStruct(map, schema, at.path ?? [], at.scope ?? TOP_SCOPE) as T;
}

function get(map: Map<string, string>, key: string): string | undefined {
  const v = map.get(key);
  return v === NIL ? "" : v;
}

function decodeStruct(map: Map<string, string>, schema: Schema, path: Path, scope: Scope): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of schema) {
    const s = f.scope ?? scope;
    if (s === "non-persistent") continue;
    const v = decodeValue(map, f.type, [...path, f.key], s);
    if (v !== undefined) out[f.prop] = v;
  }
  return out;
}

function decodeValue(map: Map<string, string>, t: FieldType, path: Path, scope: Scope): unknown {
  const key = keyOf(path, scope);
  if (isPrimitive(t)) {
    const s = get(map, key);
    return s === undefined ? undefined : decodePrimitive(t, s, key);
  }
  if ("struct" in t) {
    const v = decodeStruct(map, t.struct, path, scope);
    return Object.keys(v).length ? v : undefined;
  }
  if ("map" in t) {
    const keys = get(map, key);
    if (keys === undefined) return undefined;
    const out: Record<string, unknown> = {};
    for (const k of keys.split("|").filter(Boolean)) {
      const v = decodeValue(map, t.map, suffixed(path, `|${k}`), scope);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  const lenText = get(map, key);
  if (lenText === undefined) return undefined;
  if (!/^-?\d+$/.test(lenText)) throw new ExtraConfigError(`${key}: ${JSON.stringify(lenText)} is not a slice length`);
  const n = Number(lenText) + 1;
  if (n <= 0) return [];
  if (isPrimitive(t.slice)) {
    const joined = get(map, keyOf(suffixed(path, "~"), scope)) ?? "";
    const items = joined.split("|");
    if (items.length !== n) throw new ExtraConfigError(`${keyOf(suffixed(path, "~"), scope)}: ${items.length} values where ${key} says ${n}`);
    return items.map((x) => decodePrimitive(t.slice as string, x, key));
  }
  return Array.from({ length: n }, (_, i) => decodeValue(map, t.slice, suffixed(path, `|${i}`), scope));
}
