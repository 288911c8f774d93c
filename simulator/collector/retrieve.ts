// The PropertyCollector's core: walk a PropertyFilterSpec (object specs,
// traversal specs by name, skip) and read the requested properties of each
// object reached. Shared by RetrieveProperties* and filters' updates.
import { Typed, VimFault, localizedFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { ManagedObject } from "../objects/managed-object.ts";
import type { Session } from "../dispatch/session.ts";
import { readPath, type PathValue } from "./property-path.ts";

type Spec = Record<string, any>;

export interface Reached {
  /** objects to report, in traversal order */
  objects: ManagedObject[];
  /** every object visited, skipped ones included (for change tracking) */
  visited: Set<string>;
}

/** Every named TraversalSpec in the spec's select sets, for SelectionSpec references. */
function namedSpecs(spec: Spec): Map<string, Spec> {
  const named = new Map<string, Spec>();
  const walk = (sets: Spec[] | undefined) => {
    for (const s of sets ?? []) {
      if (s._type === "TraversalSpec") {
        if (s.name && !named.has(s.name)) {
          named.set(s.name, s);
          walk(s.selectSet);
        } else if (!s.name) walk(s.selectSet);
      }
    }
  };
  for (const os of spec.objectSet ?? []) walk(os.selectSet);
  return named;
}

/** Top-level property names that traversal specs follow (their changes move objects in or out). */
export function traversalPaths(spec: Spec): Set<string> {
  const out = new Set<string>();
  for (const ts of namedSpecs(spec).values()) out.add(String(ts.path).split(".")[0]);
  const walk = (sets: Spec[] | undefined) => {
    for (const s of sets ?? []) if (s._type === "TraversalSpec") { out.add(String(s.path).split(".")[0]); if (!s.name) walk(s.selectSet); }
  };
  for (const os of spec.objectSet ?? []) walk(os.selectSet);
  return out;
}

export function reach(sim: SimContext, spec: Spec, session: Session | undefined, reportMissing = false): Reached & { missingObjects: ManagedObjectReference[] } {
  const named = namedSpecs(spec);
  const objects: ManagedObject[] = [];
  const reported = new Set<string>();
  const visited = new Set<string>();
  const missingObjects: ManagedObjectReference[] = [];
  const expanded = new Set<string>();

  const lookup = (ref: ManagedObjectReference): ManagedObject | undefined => {
    const o = sim.inventory.get(ref.value);
    if (!o || (o.sessionKey && o.sessionKey !== session?.key)) return undefined;
    return o;
  };
  const report = (o: ManagedObject) => {
    if (!reported.has(o.ref.value)) {
      reported.add(o.ref.value);
      objects.push(o);
    }
  };
  const traverse = (o: ManagedObject, selectSet: Spec[] | undefined, depth: number) => {
    visited.add(o.ref.value);
    if (!selectSet || depth > 64) return;
    for (const sel of selectSet) {
      let ts: Spec | undefined = sel;
      if (sel._type !== "TraversalSpec") {
        ts = named.get(sel.name);
        if (!ts) throw new VimFault("InvalidArgument", { invalidProperty: "selectSet" }, `A specified parameter was not correct: undefined TraversalSpec name ${sel.name}`);
      }
      if (!o.isA(ts.type)) continue;
      // an object is expanded once per traversal spec: recursive specs terminate
      const key = `${o.ref.value}\0${ts.name ?? ""}\0${ts.path}\0${ts.type}`;
      if (expanded.has(key)) continue;
      expanded.add(key);
      const pv = readPath(sim.schema, o.type, ts.path, (n) => o.get(n));
      if (!pv) throw new VimFault("InvalidProperty", { name: ts.path });
      const refs = pv.value === undefined ? [] : Array.isArray(pv.value) ? pv.value : [pv.value];
      for (const r of refs) {
        if (!r || (r as DataObject)._type !== "ManagedObjectReference") continue;
        const child = lookup(r as ManagedObjectReference);
        if (!child) continue;
        if (!ts.skip) report(child);
        traverse(child, ts.selectSet, depth + 1);
      }
    }
  };
  for (const os of spec.objectSet ?? []) {
    const o = lookup(os.obj);
    if (!o) {
      if (reportMissing) { missingObjects.push(os.obj); continue; }
      throw new VimFault("ManagedObjectNotFound", { obj: os.obj });
    }
    // hostd reports the root object unless skip is set
    if (!os.skip) report(o);
    traverse(o, os.selectSet, 0);
  }
  return { objects, visited, missingObjects };
}

export interface Collected {
  values: Map<string, PathValue>;
  missing: DataObject[];
}

/** Read the properties that the spec's PropertySpecs ask of `o`; undefined if no PropertySpec matches its type. */
export function collect(sim: SimContext, o: ManagedObject, propSet: Spec[], session: Session | undefined): Collected | undefined {
  let matched = false;
  const values = new Map<string, PathValue>();
  const missing: DataObject[] = [];
  for (const ps of propSet) {
    if (!o.isA(ps.type)) continue;
    matched = true;
    const paths: string[] = ps.all ? sim.schema.properties(o.type).map((p) => p.name) : (ps.pathSet ?? []);
    for (const path of paths) {
      if (values.has(path)) continue;
      if (!session && o.type !== "SessionManager" && o.type !== "ServiceInstance") {
        missing.push(missingProperty(path, "NotAuthenticated", { object: o.ref, privilegeId: "System.View" }));
        continue;
      }
      const pv = readPath(sim.schema, o.type, path, (n) => o.get(n, session));
      if (!pv) {
        missing.push(missingProperty(path, "InvalidProperty", { name: path }));
        continue;
      }
      if (pv.value !== undefined) values.set(path, pv);
      else if (ps.all !== true) values.set(path, pv);
    }
  }
  return matched ? { values, missing } : undefined;
}

function missingProperty(path: string, type: string, fields: Record<string, unknown>): DataObject {
  return {
    _type: "MissingProperty",
    path,
    fault: localizedFault(new VimFault(type, fields)),
  };
}

export function dynamicProperty(name: string, pv: PathValue): DataObject {
  return { _type: "DynamicProperty", name, val: new Typed(pv.ref, pv.value) };
}

export function objectContent(o: ManagedObject, c: Collected): DataObject {
  const propSet: DataObject[] = [];
  for (const [name, pv] of c.values) if (pv.value !== undefined) propSet.push(dynamicProperty(name, pv));
  return { _type: "ObjectContent", obj: o.ref, propSet, missingSet: c.missing.length ? c.missing : undefined };
}
