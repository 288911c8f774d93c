// Datastore paths inside a VM's configuration, rewritten in one walk.
/**
 * A VM's configuration (or any part of it) with every string passed through
 * `path`. A backing names its datastore beside its file: where a backing's
 * fileName changes, `datastoreOf` gives the datastore the new name is on
 * (without it the old reference stays: a rename keeps the datastore).
 * Relocation, a datastore rename and UpdateVirtualMachineFiles_Task share it.
 */
export function mapConfigPaths<T>(value: T, path: (s: string) => string, datastoreOf?: (fileName: string, old: unknown) => unknown): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return path(v);
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== "object" || v instanceof Date || Buffer.isBuffer(v)) return v;
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = walk(x);
    if (datastoreOf && typeof o.fileName === "string" && out.fileName !== o.fileName && "datastore" in o) out.datastore = datastoreOf(out.fileName as string, o.datastore);
    return out;
  };
  return walk(value) as T;
}
