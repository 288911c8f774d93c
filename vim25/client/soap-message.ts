// The client's half of the vim25 codec: a request envelope from a method's
// declared parameters, and the value or fault of the response, both typed by
// the schema rather than read off the XML's shape.
import type { FieldDef, Schema, TypeRef } from "../schema/index.ts";
import {
  Decoder, ENVELOPE_CLOSE, ENVELOPE_OPEN, Encoder, NS_SOAPENV, NS_XSI, VimFault, escapeXml, parseXml, resolveXsiType,
  type ManagedObjectReference, type XmlElement,
} from "../soap/index.ts";

/** A response that is neither the method's answer nor a SOAP fault. */
export class SoapProtocolError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = "SoapProtocolError";
  }
}

export function encodeRequest(
  schema: Schema, method: string, thisRef: ManagedObjectReference, args: Record<string, unknown>, params: FieldDef[],
): string {
  const known = new Set(params.map((p) => p.name));
  for (const name of Object.keys(args)) {
    // a misspelt parameter would otherwise vanish from the request silently
    if (!known.has(name) && args[name] !== undefined) throw new TypeError(`${method} has no parameter ${name}`);
  }
  const out: string[] = [ENVELOPE_OPEN, `<${method} xmlns="urn:vim25">`];
  out.push(`<_this type="${escapeXml(thisRef.type)}">${escapeXml(thisRef.value)}</_this>`);
  const enc = new Encoder(schema);
  for (const p of params) enc.element(out, p.name, args[p.name], p);
  out.push(`</${method}>`, ENVELOPE_CLOSE);
  return out.join("");
}

function soapBody(xml: string, status?: number): XmlElement {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (e) {
    throw new SoapProtocolError(`unreadable SOAP response${status ? ` (HTTP ${status})` : ""}: ${(e as Error).message}`, status);
  }
  const body = root.local === "Envelope" && root.uri === NS_SOAPENV ? root.children.find((c) => c.local === "Body" && c.uri === NS_SOAPENV) : undefined;
  if (!body || !body.children[0]) throw new SoapProtocolError(`response is not a SOAP envelope${status ? ` (HTTP ${status})` : ""}`, status);
  return body.children[0];
}

/**
 * The value of `<methodResponse>`: an array for array results (empty when
 * there is no returnval), else the single returnval or undefined.
 */
export function decodeResponse(schema: Schema, method: string, xml: string, result: TypeRef | undefined): unknown {
  const el = soapBody(xml);
  if (el.local === "Fault" && el.uri === NS_SOAPENV) throw faultFromElement(schema, el);
  if (el.local !== `${method}Response`) throw new SoapProtocolError(`expected ${method}Response, got ${el.local}`);
  const vals = el.children.filter((c) => c.local === "returnval");
  if (!result) return undefined;
  const dec = new Decoder(schema);
  if (result.array) return vals.map((v) => dec.value(v, result));
  return vals.length ? dec.value(vals[0], result) : undefined;
}

/** The VimFault a SOAP fault envelope carries. */
export function decodeFault(schema: Schema, xml: string, status?: number): VimFault {
  const el = soapBody(xml, status);
  if (el.local !== "Fault" || el.uri !== NS_SOAPENV) throw new SoapProtocolError(`expected a SOAP fault, got ${el.local}`, status);
  return faultFromElement(schema, el);
}

function faultFromElement(schema: Schema, el: XmlElement): VimFault {
  const faultstring = el.children.find((c) => c.local === "faultstring")?.text ?? "";
  const detail = el.children.find((c) => c.local === "detail")?.children[0];
  // a fault without a vim25 detail (a bare SOAP-level error) is still a MethodFault
  if (!detail) return new VimFault("MethodFault", {}, faultstring || "SOAP fault without detail");
  const type = detailType(schema, detail);
  if (!type) return new VimFault(detail.local.replace(/Fault$/, ""), {}, faultstring);
  let fields: Record<string, unknown> = {};
  try {
    const { _type: _, ...decoded } = new Decoder(schema).value(detail, { type }) as Record<string, unknown>;
    fields = decoded;
  } catch {
    // fields from a newer API than our schema: the fault's type still tells the caller what happened
  }
  return new VimFault(type, fields, faultstring || undefined);
}

/** hostd names the type twice: `<InvalidLoginFault xsi:type="InvalidLogin">`; either will do. */
function detailType(schema: Schema, detail: XmlElement): string | undefined {
  const xsi = detail.attrs.get(`{${NS_XSI}}type`);
  if (xsi && xsi.uri === NS_XSI) {
    try {
      const t = resolveXsiType(schema, detail, xsi.value.trim());
      if (!t.array && schema.isA(t.type, "MethodFault")) return t.type;
    } catch {
      // unknown to our schema: fall back to the element name
    }
  }
  const byName = detail.local.replace(/Fault$/, "");
  return schema.isDataType(byName) && schema.isA(byName, "MethodFault") ? byName : undefined;
}
