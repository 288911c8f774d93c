// Faults a test asks for: "the next PowerOnVM_Task on vm-42 fails with
// InsufficientResourcesFault". A rule names a vim25 method, optionally the
// object, the fault (any MethodFault the schema knows, with its fields) and
// how many calls it fails. A method that returns a task still returns one,
// and that task ends in the fault, as a real host's does; any other method
// answers with the SOAP fault. The call changes nothing else. Rules are set
// over HTTP (/_sim/faults) or in process (sim.faults), and reset() drops them.
import { VimFault, moref } from "../../vim25/soap/index.ts";
import type { Schema } from "../../vim25/schema/index.ts";

export interface FaultRuleSpec {
  /** a vim25 method, e.g. "PowerOnVM_Task" or "RetrieveProperties" */
  method: string;
  /** the moref value the call is made on; for a method that returns a task, the task's entity (task.info.entity) */
  object?: string;
  /** a MethodFault type, e.g. "InsufficientResourcesFault", "NotAuthenticated" */
  fault: string;
  /** the fault's localized message (faultstring); vSphere's default for the type otherwise */
  message?: string;
  /** the fault's own properties: strings, numbers, booleans, {"type", "value"} references */
  fields?: Record<string, unknown>;
  /** how many matching calls fail; unset, every one until the rule is removed */
  count?: number;
}

export interface FaultRule extends FaultRuleSpec {
  id: string;
  /** calls this rule has failed so far */
  hits: number;
}

/** A rule the caller got wrong: the message says what and how to fix it. */
export class BadFaultRule extends Error {}

export class FaultInjector {
  private rules: FaultRule[] = [];
  private added = 0;

  constructor(private readonly schema: Schema) {}

  /** Check a rule as a client sent it (JSON) and keep it. */
  add(input: unknown): FaultRule {
    if (typeof input !== "object" || input === null || Array.isArray(input)) throw new BadFaultRule('a rule is a JSON object: {"method": "PowerOnVM_Task", "fault": "InsufficientResourcesFault"}');
    const spec = input as Record<string, unknown>;
    const known = new Set(["method", "object", "fault", "message", "fields", "count"]);
    const extra = Object.keys(spec).filter((k) => !known.has(k));
    if (extra.length) throw new BadFaultRule(`unknown rule field ${extra.map((k) => JSON.stringify(k)).join(", ")}; a rule has method, object, fault, message, fields and count`);
    const { method, object, fault, message, fields, count } = spec;
    if (typeof method !== "string" || !this.schema.methodOwners(method).length) throw new BadFaultRule(`method must name a vim25 method (got ${JSON.stringify(method)})`);
    if (object !== undefined && (typeof object !== "string" || !object)) throw new BadFaultRule("object must be a managed object's id, such as \"vm-42\"");
    if (typeof fault !== "string" || !this.schema.isDataType(fault) || !this.schema.isA(fault, "MethodFault")) throw new BadFaultRule(`fault must name a vim25 MethodFault type (got ${JSON.stringify(fault)})`);
    if (message !== undefined && typeof message !== "string") throw new BadFaultRule("message must be a string");
    if (count !== undefined && (typeof count !== "number" || !Number.isInteger(count) || count < 1)) throw new BadFaultRule("count must be a whole number of calls, at least 1");
    const values: Record<string, unknown> = {};
    if (fields !== undefined) {
      if (typeof fields !== "object" || fields === null || Array.isArray(fields)) throw new BadFaultRule("fields must be a JSON object of the fault's properties");
      for (const [k, v] of Object.entries(fields)) {
        const f = this.schema.field(fault, k);
        if (!f || k === "faultCause" || k === "faultMessage") throw new BadFaultRule(`${fault} has no property ${JSON.stringify(k)}`);
        values[k] = this.value(fault, k, f.type, !!f.array, v);
      }
    }
    const rule: FaultRule = { id: `fault-${++this.added}`, method, fault, hits: 0 };
    if (object !== undefined) rule.object = object;
    if (message !== undefined) rule.message = message;
    if (fields !== undefined) rule.fields = values;
    if (count !== undefined) rule.count = count;
    this.rules.push(rule);
    return { ...rule };
  }

  private value(fault: string, name: string, type: string, array: boolean, v: unknown): unknown {
    if (array) {
      if (!Array.isArray(v)) throw new BadFaultRule(`${fault}.${name} is a list`);
      return v.map((x) => this.value(fault, name, type, false, x));
    }
    if (type === "ManagedObjectReference") {
      const r = v as { type?: unknown; value?: unknown } | null;
      if (typeof r !== "object" || r === null || typeof r.type !== "string" || typeof r.value !== "string") throw new BadFaultRule(`${fault}.${name} is a reference: {"type": "VirtualMachine", "value": "vm-42"}`);
      return moref(r.type, r.value);
    }
    if (type === "boolean" ? typeof v !== "boolean" : ["int", "long", "short", "byte", "float", "double"].includes(type) ? typeof v !== "number" : typeof v !== "string") {
      throw new BadFaultRule(`${fault}.${name} is a ${this.schema.isEnum(type) ? `${type} (one of ${this.schema.enumValues(type)!.join(", ")})` : type}`);
    }
    if (this.schema.isEnum(type) && !this.schema.enumValues(type)!.includes(v as string)) throw new BadFaultRule(`${fault}.${name} is one of ${this.schema.enumValues(type)!.join(", ")}`);
    return v;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  remove(id: string): boolean {
    const n = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < n;
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault this call must end in, if a rule matches it; a rule whose count is spent goes. */
  take(method: string, object: string): VimFault | undefined {
    if (!this.rules.length) return undefined;
    const rule = this.rules.find((r) => r.method === method && (r.object === undefined || r.object === object));
    if (!rule) return undefined;
    rule.hits++;
    if (rule.count !== undefined && rule.hits >= rule.count) this.remove(rule.id);
    return new VimFault(rule.fault, { ...(rule.fields ?? {}) }, rule.message);
  }
}
