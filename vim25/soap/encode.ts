// Schema-driven encoding of values into vim25 XML, the way hostd writes it:
// fields in WSDL order, xsi:type wherever the value's type differs from the
// declared one or the slot is anyType, ArrayOfX wrappers for arrays in anyType.
import type { Schema, TypeRef } from "../schema/index.ts";
import { escapeXml } from "./xml.ts";
import { Typed, type DataObject } from "./values.ts";
import type { VimFault } from "./fault.ts";

export const ENVELOPE_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/"\n' +
  ' xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"\n' +
  ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"\n' +
  ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<soapenv:Body>\n';
export const ENVELOPE_CLOSE = "</soapenv:Body>\n</soapenv:Envelope>";

/** The name of an array type as it appears in xsi:type. */
export function arrayTypeName(item: string): string {
  return "ArrayOf" + item.charAt(0).toUpperCase() + item.slice(1);
}

// Characters XML 1.0 cannot carry at all; a guest may well write them into
// a guestinfo value, and the response must stay well-formed.
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

// one test for the common case: nothing to escape or replace
const NEEDS_WORK = /[&<>"'\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

function text(s: string): string {
  if (!NEEDS_WORK.test(s)) return s;
  return escapeXml(s.replace(INVALID_XML_CHARS, "\uFFFD"));
}

/**
 * Encoded XML of values that never change once published (the simulator's
 * property values are replaced, never mutated), keyed by the value object:
 * a collector reading the same extraConfig a thousand times encodes it once.
 */
export type EncodeCache = WeakMap<object, Map<string, string>>;

export class Encoder {
  constructor(readonly schema: Schema, private readonly cache?: EncodeCache) {}

  /** Append `<name>value</name>` (or one per item when `ref.array`). */
  element(out: string[], name: string, value: unknown, ref: TypeRef): void {
    if (value === undefined || value === null) return;
    if (ref.array && !(value instanceof Typed)) {
      if (!Array.isArray(value)) throw new Error(`${name}: expected an array of ${ref.type}`);
      const itemRef = { type: ref.type };
      for (const item of value) this.item(out, name, item, itemRef, false);
      return;
    }
    this.item(out, name, value, ref, false);
  }

  private item(out: string[], name: string, value: unknown, ref: TypeRef, forceType: boolean): void {
    if (value === undefined || value === null) return;
    if (value instanceof Typed) {
      const v = value.value;
      if (this.cache && v !== null && typeof v === "object" && !(v instanceof Date) && !Buffer.isBuffer(v)) {
        const key = `${name}\0${value.type.type}\0${value.type.array ? 1 : 0}\0${ref.type}\0${forceType ? 1 : 0}`;
        let row = this.cache.get(v);
        let xml = row?.get(key);
        if (xml === undefined) {
          const piece: string[] = [];
          this.typed(piece, name, value, ref, forceType);
          xml = piece.join("");
          if (!row) this.cache.set(v, (row = new Map()));
          row.set(key, xml);
        }
        out.push(xml);
        return;
      }
      this.typed(out, name, value, ref, forceType);
      return;
    }
    this.plain(out, name, value, ref, forceType);
  }

  private typed(out: string[], name: string, value: Typed, ref: TypeRef, forceType: boolean): void {
    const t = value.type;
    if (t.array) {
      const items = value.value as unknown[];
      out.push(`<${name} xsi:type="${arrayTypeName(t.type)}">`);
      // items are named after their type: <string>, <ManagedObjectReference>, <VirtualDevice>
      for (const it of items) this.item(out, t.type, it, { type: t.type }, false);
      out.push(`</${name}>`);
      return;
    }
    this.item(out, name, value.value, { type: t.type }, ref.type === "anyType" || forceType || t.type !== ref.type);
  }

  private plain(out: string[], name: string, value: unknown, ref: TypeRef, forceType: boolean): void {
    const declared = ref.type;
    if (declared === "anyType") {
      this.anyType(out, name, value);
      return;
    }
    if (typeof value === "object" && !(value instanceof Date) && !Buffer.isBuffer(value)) {
      if (Array.isArray(value)) throw new Error(`${name}: unexpected array for ${declared}`);
      const obj = value as DataObject;
      if (obj._type === "ManagedObjectReference") {
        const mo = obj as unknown as { type: string; value: string };
        const xt = forceType ? ' xsi:type="ManagedObjectReference"' : "";
        out.push(`<${name} type="${escapeXml(mo.type)}"${xt}>${text(mo.value)}</${name}>`);
        return;
      }
      const actual = obj._type ?? declared;
      this.dataObject(out, name, obj, actual, forceType || actual !== declared);
      return;
    }
    const xt = !forceType ? "" : this.schema.isPrimitive(declared) ? ` xsi:type="xsd:${declared}"` : ` xsi:type="${declared}"`;
    out.push(`<${name}${xt}>${text(this.primitive(value, declared))}</${name}>`);
  }

  private anyType(out: string[], name: string, value: unknown): void {
    if (typeof value === "string") out.push(`<${name} xsi:type="xsd:string">${text(value)}</${name}>`);
    else if (typeof value === "boolean") out.push(`<${name} xsi:type="xsd:boolean">${value}</${name}>`);
    else if (typeof value === "number")
      out.push(`<${name} xsi:type="xsd:${Number.isInteger(value) ? (Math.abs(value) > 2147483647 ? "long" : "int") : "double"}">${value}</${name}>`);
    else if (value instanceof Date) out.push(`<${name} xsi:type="xsd:dateTime">${value.toISOString()}</${name}>`);
    else if (Buffer.isBuffer(value)) out.push(`<${name} xsi:type="xsd:base64Binary">${value.toString("base64")}</${name}>`);
    else if (Array.isArray(value)) throw new Error(`${name}: an array in an anyType slot needs Typed`);
    else {
      const obj = value as DataObject;
      if (obj._type === "ManagedObjectReference") this.item(out, name, obj, { type: "ManagedObjectReference" }, true);
      else this.dataObject(out, name, obj, obj._type, true);
    }
  }

  private dataObject(out: string[], name: string, obj: DataObject, type: string, withType: boolean): void {
    if (!this.schema.isDataType(type)) throw new Error(`${name}: unknown data type ${type}`);
    out.push(withType ? `<${name} xsi:type="${type}">` : `<${name}>`);
    this.fields(out, obj, type);
    out.push(`</${name}>`);
  }

  /** The fields of a data object, in WSDL order, without an enclosing element. */
  fields(out: string[], obj: DataObject, type: string): void {
    for (const f of this.schema.fields(type)) {
      const v = obj[f.name];
      if (v === undefined || v === null) continue;
      this.element(out, f.name, v, f);
    }
  }

  private primitive(value: unknown, type: string): string {
    switch (type) {
      case "boolean":
        return value ? "true" : "false";
      case "dateTime":
        return value instanceof Date ? value.toISOString() : String(value);
      case "base64Binary":
        return Buffer.isBuffer(value) ? value.toString("base64") : String(value);
      case "int":
      case "long":
      case "short":
      case "byte":
        return typeof value === "number" ? String(Math.trunc(value)) : String(value);
      default:
        return String(value);
    }
  }
}

/** A whole response envelope for `method`'s return value. */
export function encodeResponse(schema: Schema, method: string, result: unknown, ref: TypeRef | undefined, cache?: EncodeCache): string {
  const out: string[] = [ENVELOPE_OPEN, `<${method}Response xmlns="urn:vim25">`];
  if (ref && result !== undefined && result !== null) new Encoder(schema, cache).element(out, "returnval", result, ref);
  out.push(`</${method}Response>\n`, ENVELOPE_CLOSE);
  return out.join("");
}

/** A SOAP fault envelope (sent with HTTP 500), typed detail included. */
export function encodeFault(schema: Schema, fault: VimFault): string {
  const type = fault.fault._type;
  const out: string[] = [ENVELOPE_OPEN, "<soapenv:Fault>\n<faultcode>ServerFaultCode</faultcode>\n"];
  out.push(`<faultstring>${text(fault.message)}</faultstring>\n<detail>`);
  out.push(`<${type}Fault xmlns="urn:vim25" xsi:type="${type}">`);
  new Encoder(schema).fields(out, fault.fault, type);
  out.push(`</${type}Fault>`);
  out.push("</detail>\n</soapenv:Fault>\n", ENVELOPE_CLOSE);
  return out.join("");
}
