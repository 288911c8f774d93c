// A small, strict XML tree built with saxes: namespaces resolved, text kept,
// malformed input rejected (the caller turns that into InvalidRequest).
import { SaxesParser } from "saxes";

export interface XmlElement {
  local: string;
  uri: string;
  /**
   * attributes by local name, plus the namespace URI of each; a namespaced
   * attribute is keyed `{uri}local`, so `xsi:type` and a moref's plain `type`
   * (both on `<val type="Folder" xsi:type="ManagedObjectReference">`) do not collide
   */
  attrs: Map<string, { uri: string; value: string }>;
  children: XmlElement[];
  text: string;
  /** resolves a QName prefix in scope at this element */
  resolve(prefix: string): string | undefined;
}

export class XmlSyntaxError extends Error {}

export function parseXml(source: string): XmlElement {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let failure: Error | undefined;
  parser.on("error", (e) => {
    failure ??= e;
  });
  parser.on("opentag", (tag) => {
    const attrs = new Map<string, { uri: string; value: string }>();
    for (const a of Object.values(tag.attributes)) {
      const attr = a as { local: string; uri: string; value: string; prefix: string };
      if (attr.prefix === "xmlns" || (attr.prefix === "" && attr.local === "xmlns")) continue;
      attrs.set(attr.uri ? `{${attr.uri}}${attr.local}` : attr.local, { uri: attr.uri, value: attr.value });
    }
    const ns = tag.ns as Record<string, string>;
    const parentResolve = stack.length ? stack[stack.length - 1].resolve : (p: string) => (p === "xml" ? "http://www.w3.org/XML/1998/namespace" : undefined);
    const own = { ...ns };
    const el: XmlElement = {
      local: tag.local ?? tag.name,
      uri: tag.uri ?? "",
      attrs,
      children: [],
      text: "",
      resolve: (p: string) => (p in own ? own[p] : parentResolve(p)),
    };
    if (stack.length) stack[stack.length - 1].children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on("text", (t) => {
    if (stack.length) stack[stack.length - 1].text += t;
  });
  parser.on("cdata", (t) => {
    if (stack.length) stack[stack.length - 1].text += t;
  });
  parser.on("closetag", () => {
    stack.pop();
  });
  try {
    parser.write(source).close();
  } catch (e) {
    failure ??= e as Error;
  }
  if (failure) throw new XmlSyntaxError(failure.message);
  if (!root) throw new XmlSyntaxError("no root element");
  return root;
}

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
export function escapeXml(s: string): string {
  return /[&<>"']/.test(s) ? s.replace(/[&<>"']/g, (c) => ESC[c]) : s;
}
