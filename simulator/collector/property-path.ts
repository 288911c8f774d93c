// Property paths as the PropertyCollector accepts them: `name`,
// `summary.runtime.powerState`, `config.extraConfig["guestinfo.x"]`,
// `config.hardware.device[4000].macAddress`. Each path is checked against the
// schema, so an invalid one is reported even when the value is unset.
import type { Schema, TypeRef } from "../../vim25/schema/index.ts";

export interface PathSegment {
  name: string;
  /** the `[key]` selector, matched against elements' `key` field */
  key?: string;
}

export function parsePath(path: string): PathSegment[] | undefined {
  const out: PathSegment[] = [];
  let i = 0;
  while (i < path.length) {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(path.slice(i));
    if (!m) return undefined;
    const seg: PathSegment = { name: m[0] };
    i += m[0].length;
    if (path[i] === "[") {
      const rest = path.slice(i);
      const q = /^\[\s*"((?:[^"\\]|\\.)*)"\s*\]/.exec(rest) ?? /^\[\s*(-?\d+)\s*\]/.exec(rest);
      if (!q) return undefined;
      seg.key = q[1].replace(/\\(.)/g, "$1");
      i += q[0].length;
    }
    out.push(seg);
    if (i === path.length) break;
    if (path[i] !== ".") return undefined;
    i++;
    if (i === path.length) return undefined;
  }
  return out.length ? out : undefined;
}

export interface PathValue {
  value: unknown;
  ref: TypeRef;
}

/**
 * Read `path` from an object of managed type `type` whose top-level
 * properties `top(name)` returns. Undefined result: the path is invalid.
 * A valid path whose value is unset gives `{ value: undefined }`.
 */
export function readPath(schema: Schema, type: string, path: string, top: (name: string) => unknown): PathValue | undefined {
  const segs = parsePath(path);
  if (!segs) return undefined;
  const first = schema.property(type, segs[0].name);
  if (!first) return undefined;
  let ref: TypeRef = first;
  let value: unknown = top(segs[0].name);
  const index = (seg: PathSegment): boolean => {
    if (seg.key === undefined) return true;
    if (!ref.array) return false;
    value = Array.isArray(value) ? value.find((el) => el && String((el as { key?: unknown }).key) === seg.key) : undefined;
    ref = { type: ref.type };
    return true;
  };
  if (!index(segs[0])) return undefined;
  for (const seg of segs.slice(1)) {
    if (ref.array || !schema.isDataType(ref.type)) return undefined;
    const actual = value && typeof value === "object" ? (value as { _type?: string })._type : undefined;
    const f = schema.field(ref.type, seg.name) ?? (actual && schema.isDataType(actual) ? schema.field(actual, seg.name) : undefined);
    if (!f) return undefined;
    value = value && typeof value === "object" ? (value as Record<string, unknown>)[seg.name] : undefined;
    ref = f;
    if (!index(seg)) return undefined;
  }
  return { value, ref: { type: ref.type, array: ref.array } };
}

/** Structural equality for vim25 values (Dates and Buffers by content). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => sameValue(x, bb[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
