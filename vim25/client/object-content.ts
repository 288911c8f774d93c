// From the PropertyCollector's wire shapes to plain records keyed by
// property path, and back out as faults where a path could not be read.
import { VimFault, type DataObject } from "../soap/index.ts";
import type { LocalizedMethodFault, ObjectContent, PropertyChange, PropertyRecord } from "./types.ts";

/** The VimFault a LocalizedMethodFault (task error, missingSet entry) stands for. */
export function faultOf(lmf: LocalizedMethodFault | DataObject | undefined): VimFault {
  const l = lmf as LocalizedMethodFault | undefined;
  // the wire carries the localized wrapper; accept a bare MethodFault too, as pyVmomi's types model it
  const fault = l && l._type === "LocalizedMethodFault" ? l.fault : (l as DataObject | undefined);
  if (!fault) return new VimFault("SystemError", { reason: "fault without detail" });
  const { _type, ...fields } = fault;
  const message = l && l._type === "LocalizedMethodFault" && l.localizedMessage ? l.localizedMessage : undefined;
  return new VimFault(_type, fields, message);
}

export function toRecord(content: ObjectContent): PropertyRecord {
  const out: PropertyRecord = {};
  for (const p of content.propSet ?? []) out[p.name] = p.val;
  return out;
}

/** govmomi's rule: a property that could not be read fails the whole retrieval. */
export function throwIfMissing(content: ObjectContent): void {
  const m = content.missingSet?.[0];
  if (m) throw faultOf(m.fault);
}

/**
 * Apply one PropertyChange to a record. A change may name a watched path
 * itself, or (from servers that report finer-grained changes) a path below
 * it such as `info.state` or `config.hardware.device[4000]`.
 */
export function applyChange(record: PropertyRecord, change: PropertyChange): void {
  const removal = change.op === "remove" || change.op === "indirectRemove";
  if (change.name in record || !Object.keys(record).some((k) => change.name.startsWith(k + ".") || change.name.startsWith(k + "["))) {
    if (removal || change.val === undefined) delete record[change.name];
    else record[change.name] = change.val;
    return;
  }
  const base = Object.keys(record)
    .filter((k) => change.name.startsWith(k + ".") || change.name.startsWith(k + "["))
    .sort((a, b) => b.length - a.length)[0];
  record[base] = setIn(record[base], segments(change.name.slice(base.length)), removal ? undefined : change.val);
}

type Segment = { field: string } | { key: string };

function segments(rest: string): Segment[] {
  const out: Segment[] = [];
  const re = /\.([^.[\]]+)|\[("?)([^\]"]*)\2\]/g;
  for (let m = re.exec(rest); m; m = re.exec(rest)) out.push(m[1] !== undefined ? { field: m[1] } : { key: m[3] });
  return out;
}

// Copy-on-write so a record handed to a predicate earlier never changes under it.
function setIn(target: unknown, path: Segment[], val: unknown): unknown {
  if (!path.length) return val;
  const [head, ...rest] = path;
  if ("field" in head) {
    const obj = { ...((target as Record<string, unknown>) ?? {}) };
    const next = setIn(obj[head.field], rest, val);
    if (next === undefined) delete obj[head.field];
    else obj[head.field] = next;
    return obj;
  }
  const arr = Array.isArray(target) ? [...target] : [];
  const i = arr.findIndex((e) => String((e as { key?: unknown })?.key) === head.key);
  const next = setIn(i >= 0 ? arr[i] : undefined, rest, val);
  if (next === undefined) {
    if (i >= 0) arr.splice(i, 1);
  } else if (i >= 0) arr[i] = next;
  else arr.push(next);
  return arr;
}
