// The vim25 type system, as generated from pyVmomi's metadata (generate.py).
// Everything that encodes, decodes or walks a property path asks this module,
// so no code guesses a shape from XML.
import { readFileSync } from "node:fs";

export interface TypeRef {
  /** WSDL name: a data type, an enum, "ManagedObjectReference" or an XSD primitive */
  type: string;
  array?: boolean;
  optional?: boolean;
  /** for ManagedObjectReference: the managed type it points at */
  ref?: string;
  secret?: boolean;
}

export interface FieldDef extends TypeRef {
  name: string;
  since?: string;
}

export interface DataTypeDef {
  base: string | null;
  fields: FieldDef[];
  since?: string;
}

export interface MethodDef {
  params: FieldDef[];
  result?: TypeRef;
  taskResult?: TypeRef;
  faults?: string[];
  privilege?: string;
  since?: string;
}

export interface ManagedTypeDef {
  base: string | null;
  properties: FieldDef[];
  methods: Record<string, MethodDef>;
}

interface SchemaFile {
  source: string;
  dataTypes: Record<string, DataTypeDef>;
  enums: Record<string, string[]>;
  managedTypes: Record<string, ManagedTypeDef>;
}

export const XSD_PRIMITIVES = new Set([
  "string", "boolean", "byte", "short", "int", "long", "float", "double",
  "dateTime", "anyType", "base64Binary", "anyURI",
]);

/** Immutable view of the schema with memoised lookups (derived data only). */
export class Schema {
  readonly source: string;
  private readonly data: Record<string, DataTypeDef>;
  private readonly enumDefs: Record<string, string[]>;
  private readonly managed: Record<string, ManagedTypeDef>;
  private readonly fieldCache = new Map<string, FieldDef[]>();
  private readonly fieldIndexCache = new Map<string, Map<string, FieldDef>>();
  private readonly propCache = new Map<string, Map<string, FieldDef>>();
  private readonly isACache = new Map<string, Map<string, boolean>>();
  private readonly methodOwner = new Map<string, string[]>();
  private readonly memos = new Map<string, Map<string, unknown>>();

  constructor(file: SchemaFile) {
    this.source = file.source;
    this.data = file.dataTypes;
    this.enumDefs = file.enums;
    this.managed = file.managedTypes;
    for (const [type, def] of Object.entries(this.managed)) {
      for (const m of Object.keys(def.methods)) {
        const owners = this.methodOwner.get(m) ?? [];
        owners.push(type);
        this.methodOwner.set(m, owners);
      }
    }
  }

  isDataType(name: string): boolean {
    return name in this.data;
  }
  isEnum(name: string): boolean {
    return name in this.enumDefs;
  }
  isManagedType(name: string): boolean {
    return name in this.managed;
  }
  isPrimitive(name: string): boolean {
    return XSD_PRIMITIVES.has(name);
  }
  dataType(name: string): DataTypeDef | undefined {
    return this.data[name];
  }
  enumValues(name: string): string[] | undefined {
    return this.enumDefs[name];
  }
  managedType(name: string): ManagedTypeDef | undefined {
    return this.managed[name];
  }
  dataTypeNames(): string[] {
    return Object.keys(this.data);
  }
  managedTypeNames(): string[] {
    return Object.keys(this.managed);
  }
  enumNames(): string[] {
    return Object.keys(this.enumDefs);
  }

  /** All fields of a data type, base type's first, in wire order. */
  fields(type: string): FieldDef[] {
    let out = this.fieldCache.get(type);
    if (out) return out;
    const def = this.data[type];
    if (!def) throw new Error(`unknown data type ${type}`);
    out = def.base ? [...this.fields(def.base), ...def.fields] : [...def.fields];
    this.fieldCache.set(type, out);
    return out;
  }

  field(type: string, name: string): FieldDef | undefined {
    let idx = this.fieldIndexCache.get(type);
    if (!idx) {
      idx = new Map(this.fields(type).map((f) => [f.name, f]));
      this.fieldIndexCache.set(type, idx);
    }
    return idx.get(name);
  }

  /** A managed type's property, looked up through its base types. */
  property(type: string, name: string): FieldDef | undefined {
    let idx = this.propCache.get(type);
    if (!idx) {
      idx = new Map();
      for (let t: string | null = type; t; t = this.managed[t]?.base ?? null) {
        for (const p of this.managed[t]?.properties ?? []) if (!idx.has(p.name)) idx.set(p.name, p);
      }
      this.propCache.set(type, idx);
    }
    return idx.get(name);
  }

  properties(type: string): FieldDef[] {
    const chain: string[] = [];
    for (let t: string | null = type; t; t = this.managed[t]?.base ?? null) chain.unshift(t);
    return chain.flatMap((t) => this.managed[t]?.properties ?? []);
  }

  /** Is `type` the same as, or derived from, `base` (data or managed types)? */
  isA(type: string, base: string): boolean {
    if (type === base) return true;
    // hot: every property read and device check asks; no key strings built
    let row = this.isACache.get(type);
    if (!row) this.isACache.set(type, (row = new Map()));
    const hit = row.get(base);
    if (hit !== undefined) return hit;
    const parent = this.data[type]?.base ?? this.managed[type]?.base ?? null;
    const result = parent ? this.isA(parent, base) : false;
    row.set(base, result);
    return result;
  }

  /** The method as declared on `type` or one of its bases. */
  method(type: string, name: string): MethodDef | undefined {
    for (let t: string | null = type; t; t = this.managed[t]?.base ?? null) {
      const m = this.managed[t]?.methods[name];
      if (m) return m;
    }
    return undefined;
  }

  /**
   * A derived fact about a type name, computed once: callers that classify
   * types on hot paths (device kinds) keep their answers here, with the schema
   * they derive from.
   */
  memo<T>(table: string, type: string, compute: () => T): T {
    let t = this.memos.get(table);
    if (!t) this.memos.set(table, (t = new Map()));
    if (t.has(type)) return t.get(type) as T;
    const v = compute();
    t.set(type, v);
    return v;
  }

  /** Managed types that declare a method of this name (for requests to the wrong type). */
  methodOwners(name: string): string[] {
    return this.methodOwner.get(name) ?? [];
  }
}

export function loadSchema(): Schema {
  const file = JSON.parse(readFileSync(new URL("./vim25.json", import.meta.url), "utf8")) as SchemaFile;
  return new Schema(file);
}

// The schema is constant data; one parsed copy serves every simulator and
// client in the process (its memo tables only cache what the file implies).
let shared: Schema | undefined;
export function vim25Schema(): Schema {
  shared ??= loadSchema();
  return shared;
}
