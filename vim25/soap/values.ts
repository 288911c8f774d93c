// How vim25 values look in memory, on both sides of the wire.
//
// Data objects are plain objects tagged with their WSDL type in `_type`;
// managed object references are `{ _type: "ManagedObjectReference", type, value }`;
// xsd primitives are JS primitives (dateTime as Date, base64Binary as Buffer).
// A value in an `anyType` slot that is not self-describing (a number that
// must go out as xsd:long, an array) is wrapped in `Typed`.
import type { TypeRef } from "../schema/index.ts";

export interface DataObject {
  _type: string;
  [field: string]: unknown;
}

export interface ManagedObjectReference {
  _type: "ManagedObjectReference";
  type: string;
  value: string;
}

export function moref(type: string, value: string): ManagedObjectReference {
  return { _type: "ManagedObjectReference", type, value };
}

export function isMoRef(v: unknown): v is ManagedObjectReference {
  return typeof v === "object" && v !== null && (v as DataObject)._type === "ManagedObjectReference";
}

export function isDataObject(v: unknown): v is DataObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && typeof (v as DataObject)._type === "string"
    && !(v instanceof Typed);
}

/** A value with an explicit wire type, for anyType slots (DynamicProperty.val, OptionValue.value). */
export class Typed {
  constructor(readonly type: TypeRef, readonly value: unknown) {}
}

export function data<T extends Record<string, unknown>>(type: string, fields: T): DataObject & T {
  return { _type: type, ...fields };
}
