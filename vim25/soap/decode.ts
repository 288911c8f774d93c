// Schema-driven decoding of vim25 XML into values (see values.ts).
import type { Schema, TypeRef } from "../schema/index.ts";
import { parseXml, type XmlElement, XmlSyntaxError } from "./xml.ts";
import { VimFault } from "./fault.ts";
import type { ManagedObjectReference } from "./values.ts";

export const NS_SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/";
export const NS_XSI = "http://www.w3.org/2001/XMLSchema-instance";
export const NS_XSD = "http://www.w3.org/2001/XMLSchema";
export const NS_VIM25 = "urn:vim25";

/** Malformed or ill-typed input: answered as InvalidRequest. */
export class DecodeError extends Error {}

const INT_RANGES: Record<string, [number, number]> = {
  byte: [-128, 127],
  short: [-32768, 32767],
  int: [-2147483648, 2147483647],
  long: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** A `type` attribute's QName as a WSDL type name, array-ness included. */
export function resolveXsiType(schema: Schema, el: XmlElement, qname: string): TypeRef {
  const colon = qname.indexOf(":");
  const prefix = colon >= 0 ? qname.slice(0, colon) : "";
  const local = colon >= 0 ? qname.slice(colon + 1) : qname;
  const uri = colon >= 0 ? el.resolve(prefix) : undefined;
  if (uri === NS_XSD || (!uri && schema.isPrimitive(local) && colon >= 0)) {
    if (!schema.isPrimitive(local)) throw new DecodeError(`unknown XSD type ${qname}`);
    return { type: local };
  }
  if (local.startsWith("ArrayOf")) {
    const item = local.slice(7);
    const lower = item.charAt(0).toLowerCase() + item.slice(1);
    if (schema.isPrimitive(lower)) return { type: lower, array: true };
    if (item === "ManagedObjectReference" || schema.isDataType(item) || schema.isEnum(item)) return { type: item, array: true };
    throw new DecodeError(`unknown type ${qname}`);
  }
  if (local === "ManagedObjectReference" || schema.isDataType(local) || schema.isEnum(local)) return { type: local };
  if (schema.isPrimitive(local)) return { type: local };
  throw new DecodeError(`unknown type ${qname}`);
}

export class Decoder {
  constructor(readonly schema: Schema) {}

  /** Decode one element whose declared type is `ref` (array-ness ignored: one item). */
  value(el: XmlElement, ref: TypeRef): unknown {
    const xsiType = el.attrs.get(`{${NS_XSI}}type`);
    let type = ref.type;
    if (xsiType && xsiType.uri === NS_XSI) {
      const actual = resolveXsiType(this.schema, el, xsiType.value.trim());
      if (actual.array) {
        return el.children.map((c) => this.value(c, { type: actual.type }));
      }
      if (type !== "anyType" && !this.assignable(actual.type, type)) {
        throw new DecodeError(`type ${actual.type} is not a ${type} (element ${el.local})`);
      }
      type = actual.type;
    }
    switch (type) {
      case "anyType":
        if (el.children.length) throw new DecodeError(`element ${el.local} needs an xsi:type`);
        return el.text;
      case "string":
      case "anyURI":
        if (el.children.length) throw new DecodeError(`element ${el.local} must hold text`);
        return el.text;
      case "boolean": {
        const t = el.text.trim();
        if (t === "true" || t === "1") return true;
        if (t === "false" || t === "0") return false;
        throw new DecodeError(`'${t}' is not a boolean (element ${el.local})`);
      }
      case "byte":
      case "short":
      case "int":
      case "long": {
        const t = el.text.trim();
        if (!/^[+-]?\d+$/.test(t)) throw new DecodeError(`'${t}' is not an integer (element ${el.local})`);
        const n = Number(t);
        const [lo, hi] = INT_RANGES[type];
        if (n < lo || n > hi) throw new DecodeError(`${t} is out of range for ${type} (element ${el.local})`);
        return n;
      }
      case "float":
      case "double": {
        const t = el.text.trim();
        const n = t === "INF" ? Infinity : t === "-INF" ? -Infinity : Number(t);
        if (t === "" || (Number.isNaN(n) && t !== "NaN")) throw new DecodeError(`'${t}' is not a number (element ${el.local})`);
        return n;
      }
      case "dateTime": {
        const t = el.text.trim();
        const d = new Date(t);
        if (!/^\d{4}-\d\d-\d\dT/.test(t) || Number.isNaN(d.getTime())) throw new DecodeError(`'${t}' is not a dateTime (element ${el.local})`);
        return d;
      }
      case "base64Binary":
        return Buffer.from(el.text.replace(/\s+/g, ""), "base64");
      case "ManagedObjectReference":
        return this.moref(el);
    }
    const values = this.schema.enumValues(type);
    if (values) {
      const t = el.text.trim();
      if (!values.includes(t)) throw new DecodeError(`'${t}' is not a valid ${type} (element ${el.local})`);
      return t;
    }
    if (!this.schema.isDataType(type)) throw new DecodeError(`unknown type ${type}`);
    return this.dataObject(el, type);
  }

  moref(el: XmlElement): ManagedObjectReference {
    const t = el.attrs.get("type");
    if (!t || !t.value) throw new DecodeError(`managed object reference ${el.local} has no type attribute`);
    if (el.children.length) throw new DecodeError(`managed object reference ${el.local} must hold text`);
    return { _type: "ManagedObjectReference", type: t.value, value: el.text.trim() };
  }

  private dataObject(el: XmlElement, type: string): Record<string, unknown> {
    const out: Record<string, unknown> = { _type: type };
    for (const child of el.children) {
      const f = this.schema.field(type, child.local);
      if (!f) throw new DecodeError(`unexpected element ${child.local} in ${type}`);
      const v = this.value(child, f);
      if (f.array) {
        const arr = (out[f.name] as unknown[] | undefined) ?? (out[f.name] = []);
        (arr as unknown[]).push(v);
      } else {
        if (f.name in out) throw new DecodeError(`element ${child.local} repeated in ${type}`);
        out[f.name] = v;
      }
    }
    if (el.children.length === 0 && el.text.trim() !== "") throw new DecodeError(`${type} ${el.local} holds text`);
    return out;
  }

  private assignable(actual: string, declared: string): boolean {
    if (actual === declared) return true;
    if (declared === "anyType") return true;
    return this.schema.isA(actual, declared);
  }
}

export interface SoapRequest {
  method: string;
  this: ManagedObjectReference;
  /** the method's parameters, by name; arrays for array params */
  args: Record<string, unknown>;
}

/** The method element of a SOAP envelope, before its parameters are typed. */
export function parseEnvelope(body: string): XmlElement {
  let root: XmlElement;
  try {
    root = parseXml(body);
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw new VimFault("InvalidRequest", {}, `Malformed XML: ${e.message}`);
    throw e;
  }
  if (root.local !== "Envelope" || root.uri !== NS_SOAPENV) throw new VimFault("InvalidRequest", {}, "Expected a SOAP envelope");
  const bodyEl = root.children.find((c) => c.local === "Body" && c.uri === NS_SOAPENV);
  if (!bodyEl) throw new VimFault("InvalidRequest", {}, "The SOAP envelope has no Body");
  const call = bodyEl.children[0];
  if (!call || bodyEl.children.length !== 1) throw new VimFault("InvalidRequest", {}, "The SOAP Body must hold exactly one method element");
  return call;
}

/**
 * Decode the parameters of a method call, given the type `_this` names.
 * Throws VimFault(InvalidRequest) for anything malformed.
 */
export function decodeCall(schema: Schema, call: XmlElement, params: (TypeRef & { name: string })[]): Record<string, unknown> {
  const dec = new Decoder(schema);
  const args: Record<string, unknown> = {};
  const byName = new Map(params.map((p) => [p.name, p]));
  try {
    for (const child of call.children) {
      if (child.local === "_this") continue;
      const p = byName.get(child.local);
      if (!p) throw new DecodeError(`unexpected parameter ${child.local} of ${call.local}`);
      const v = dec.value(child, p);
      if (p.array) ((args[p.name] as unknown[] | undefined) ?? (args[p.name] = []) as unknown[]).push(v);
      else if (p.name in args) throw new DecodeError(`parameter ${child.local} repeated`);
      else args[p.name] = v;
    }
    for (const p of params) {
      if (p.name in args) continue;
      // an absent array is an empty one, so method bodies never see undefined lists
      if (p.array) args[p.name] = [];
      if (!p.optional && !p.array) throw new DecodeError(`required parameter ${p.name} of ${call.local} is missing`);
    }
  } catch (e) {
    if (e instanceof DecodeError) throw new VimFault("InvalidRequest", {}, e.message);
    throw e;
  }
  return args;
}

/** `_this` of a call, as a moref. */
export function decodeThis(schema: Schema, call: XmlElement): ManagedObjectReference {
  const el = call.children.find((c) => c.local === "_this");
  if (!el) throw new VimFault("InvalidRequest", {}, `${call.local} has no _this`);
  try {
    return new Decoder(schema).moref(el);
  } catch (e) {
    if (e instanceof DecodeError) throw new VimFault("InvalidRequest", {}, e.message);
    throw e;
  }
}
