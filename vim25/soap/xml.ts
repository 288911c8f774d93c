// A small, strict XML tree: namespaces resolved, text kept, malformed input
// rejected (the caller turns that into InvalidRequest). Hand-written rather
// than built on a SAX library: every SOAP call is parsed here, most of them
// a few hundred bytes, and a general streaming parser spent more time per
// call than the method it carried. What it accepts is XML 1.0 with
// namespaces, without a DTD (SOAP 1.1 forbids one in a message).

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

const XML_NS = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS = "http://www.w3.org/2000/xmlns/";

// XML 1.0 (fifth edition) NameStartChar and NameChar, without the colon: names are split at it.
const NAME_START = "A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}";
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const NCNAME = `[${NAME_START}][${NAME_CHAR}]*`;
const NCNAME_RE = new RegExp(NCNAME, "uy");
// names are nearly always ASCII: a table for those, the full class otherwise
const ASCII_NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  ASCII_NAME[c] = /[A-Z_a-z]/.test(ch) ? 1 : /[-.0-9]/.test(ch) ? 2 : 0;
}
const NOT_XML_CHAR = /[^\t\n\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
/** the same without the astral planes: a quick first look that needs no Unicode mode */
const MAYBE_NOT_XML_CHAR = /[^\t\n\u0020-\uD7FF\uE000-\uFFFD]/;
const XML_DECL = /<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(["'])1\.[0-9]+\1([ \t\n]+encoding[ \t\n]*=[ \t\n]*(["'])[A-Za-z][A-Za-z0-9._-]*\3)?([ \t\n]+standalone[ \t\n]*=[ \t\n]*(["'])(?:yes|no)\5)?[ \t\n]*\?>/y;
const ONLY_SPACE = /^[ \t\n]*$/;
const PREDEFINED = new Map([["lt", "<"], ["gt", ">"], ["amp", "&"], ["quot", '"'], ["apos", "'"]]);

interface Scope {
  ns: Record<string, string>;
  /** the element whose scope encloses this one's */
  parent: Element | undefined;
}

/** An element as parsed: its namespace declarations, and a way up to those in scope. */
class Element implements XmlElement {
  uri = "";
  children: XmlElement[] = [];
  text = "";
  constructor(
    readonly local: string,
    readonly attrs: Map<string, { uri: string; value: string }>,
    /** the namespaces declared on the nearest element, this one or above, that declares any */
    readonly scope: Scope | undefined,
  ) {}

  resolve(prefix: string): string | undefined {
    for (let s = this.scope; s; s = s.parent?.scope) if (prefix in s.ns) return s.ns[prefix] || undefined;
    return prefix === "xml" ? XML_NS : undefined;
  }
}

/** Where the XML is wrong, as line:column. */
function fail(src: string, at: number, message: string): never {
  const before = src.slice(0, at);
  const line = before.split("\n").length;
  throw new XmlSyntaxError(`${line}:${at - before.lastIndexOf("\n")}: ${message}`);
}

/** Where the NCName at `at` ends, or -1 when none starts there. */
function ncname(src: string, at: number): number {
  const c0 = src.charCodeAt(at);
  if (c0 < 128 && ASCII_NAME[c0] === 1) {
    let j = at + 1;
    for (;;) {
      const c = src.charCodeAt(j);
      if (c < 128 && ASCII_NAME[c] !== 0) j++;
      else if (c >= 128) break;
      else return j;
    }
  } else if (!(c0 >= 128)) return -1;
  NCNAME_RE.lastIndex = at;
  return NCNAME_RE.test(src) ? NCNAME_RE.lastIndex : -1;
}

interface QName {
  prefix: string;
  local: string;
  end: number;
}

function qname(src: string, at: number): QName {
  const first = ncname(src, at);
  if (first < 0) fail(src, at, "expected a name");
  if (src.charCodeAt(first) !== 0x3a /* : */) return { prefix: "", local: src.slice(at, first), end: first };
  const second = ncname(src, first + 1);
  if (second < 0) fail(src, first + 1, "expected a local name after the prefix");
  return { prefix: src.slice(at, first), local: src.slice(first + 1, second), end: second };
}

function skipSpace(src: string, at: number): number {
  let c = src.charCodeAt(at);
  while (c === 0x20 || c === 0x0a || c === 0x09) c = src.charCodeAt(++at);
  return at;
}

/** Character data with its references replaced; `at` is where it starts in `src`, for messages. */
function decode(src: string, s: string, at: number): string {
  let amp = s.indexOf("&");
  if (amp < 0) return s;
  let out = "";
  let last = 0;
  while (amp >= 0) {
    const semi = s.indexOf(";", amp);
    if (semi < 0) fail(src, at + amp, "unterminated entity reference");
    const ref = s.slice(amp + 1, semi);
    let ch = PREDEFINED.get(ref);
    if (ch === undefined) {
      const code = /^#x[0-9a-fA-F]+$/.test(ref) ? parseInt(ref.slice(2), 16) : /^#[0-9]+$/.test(ref) ? parseInt(ref.slice(1), 10) : NaN;
      if (Number.isNaN(code)) fail(src, at + amp, `undefined entity &${ref};`);
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) || NOT_XML_CHAR.test(String.fromCodePoint(code))) fail(src, at + amp, `character reference &${ref}; is not an XML character`);
      ch = String.fromCodePoint(code);
    }
    out += s.slice(last, amp) + ch;
    last = semi + 1;
    amp = s.indexOf("&", last);
  }
  return out + s.slice(last);
}

interface Open {
  el: Element;
  /** the start tag's name as written, which the end tag must repeat */
  qname: string;
}

interface RawAttr {
  prefix: string;
  local: string;
  value: string;
  at: number;
}

export function parseXml(input: string): XmlElement {
  // line ends are normalised before parsing, as XML 1.0 §2.11 says
  const src = input.includes("\r") ? input.replace(/\r\n?/g, "\n") : input;
  const bad = MAYBE_NOT_XML_CHAR.test(src) ? NOT_XML_CHAR.exec(src) : null;
  if (bad) fail(src, bad.index, `character U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} is not allowed in XML`);

  const n = src.length;
  let i = src.charCodeAt(0) === 0xfeff ? 1 : 0;
  XML_DECL.lastIndex = i;
  if (XML_DECL.test(src)) i = XML_DECL.lastIndex;
  else if (src.startsWith("<?xml", i) && /[ \t\n?]/.test(src.charAt(i + 5))) fail(src, i, "malformed XML declaration");

  const stack: Open[] = [];
  let root: Element | undefined;
  while (i < n) {
    const lt = src.indexOf("<", i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i) {
      const raw = src.slice(i, textEnd);
      if (!stack.length) {
        if (!ONLY_SPACE.test(raw)) fail(src, i, root ? "text after the root element" : "text before the root element");
      } else {
        const cdEnd = raw.indexOf("]]>");
        if (cdEnd >= 0) fail(src, i + cdEnd, "']]>' is not allowed in text");
        stack[stack.length - 1].el.text += decode(src, raw, i);
      }
    }
    if (lt < 0) break;
    const c = src.charCodeAt(lt + 1);
    if (c === 0x2f /* / */) {
      const open = stack.pop();
      if (!open) fail(src, lt, "end tag without a start tag");
      const nm = qname(src, lt + 2);
      const written = nm.prefix ? `${nm.prefix}:${nm.local}` : nm.local;
      if (written !== open.qname) fail(src, lt, `end tag </${written}> does not match <${open.qname}>`);
      const gt = skipSpace(src, nm.end);
      if (src.charCodeAt(gt) !== 0x3e) fail(src, gt, "expected '>'");
      i = gt + 1;
    } else if (c === 0x21 /* ! */) {
      if (src.startsWith("<!--", lt)) {
        const end = src.indexOf("--", lt + 4);
        if (end < 0) fail(src, lt, "unterminated comment");
        if (src.charCodeAt(end + 2) !== 0x3e) fail(src, end, "'--' is not allowed in a comment");
        i = end + 3;
      } else if (src.startsWith("<![CDATA[", lt)) {
        if (!stack.length) fail(src, lt, "CDATA outside the root element");
        const end = src.indexOf("]]>", lt + 9);
        if (end < 0) fail(src, lt, "unterminated CDATA section");
        stack[stack.length - 1].el.text += src.slice(lt + 9, end);
        i = end + 3;
      } else {
        fail(src, lt, src.startsWith("<!DOCTYPE", lt) ? "a DTD is not allowed" : "unexpected '<!'");
      }
    } else if (c === 0x3f /* ? */) {
      const target = qname(src, lt + 2);
      if (target.prefix || target.local.toLowerCase() === "xml") fail(src, lt, `processing instruction target ${target.prefix ? target.prefix + ":" : ""}${target.local} is reserved`);
      const end = src.indexOf("?>", target.end);
      if (end < 0) fail(src, lt, "unterminated processing instruction");
      if (end > target.end && !/[ \t\n]/.test(src.charAt(target.end))) fail(src, target.end, "expected white space after a processing instruction target");
      i = end + 2;
    } else {
      if (root && !stack.length) fail(src, lt, "a second root element");
      const tag = qname(src, lt + 1);
      let at = tag.end;
      let raw: RawAttr[] | undefined;
      let own: Record<string, string> | undefined;
      let selfClosing = false;
      for (;;) {
        const next = skipSpace(src, at);
        const ch = src.charCodeAt(next);
        if (ch === 0x3e /* > */) {
          at = next + 1;
          break;
        }
        if (ch === 0x2f /* / */) {
          if (src.charCodeAt(next + 1) !== 0x3e) fail(src, next, "expected '/>'");
          at = next + 2;
          selfClosing = true;
          break;
        }
        if (next === at) fail(src, at, Number.isNaN(ch) ? "unclosed start tag" : "expected white space before an attribute");
        const attr = qname(src, next);
        let eq = skipSpace(src, attr.end);
        if (src.charCodeAt(eq) !== 0x3d /* = */) fail(src, eq, "expected '=' after an attribute name");
        eq = skipSpace(src, eq + 1);
        const quote = src.charAt(eq);
        if (quote !== '"' && quote !== "'") fail(src, eq, "expected a quoted attribute value");
        const close = src.indexOf(quote, eq + 1);
        if (close < 0) fail(src, eq, "unterminated attribute value");
        const literal = src.slice(eq + 1, close);
        const ltIn = literal.indexOf("<");
        if (ltIn >= 0) fail(src, eq + 1 + ltIn, "'<' is not allowed in an attribute value");
        // attribute-value normalisation (§3.3.3): literal white space becomes a space, references keep theirs
        const value = decode(src, /[\t\n]/.test(literal) ? literal.replace(/[\t\n]/g, " ") : literal, eq + 1);
        if (attr.prefix === "xmlns" || (!attr.prefix && attr.local === "xmlns")) {
          const prefix = attr.prefix ? attr.local : "";
          if (prefix === "xmlns" || value === XMLNS_NS) fail(src, next, "the xmlns prefix and namespace cannot be declared");
          if ((prefix === "xml") !== (value === XML_NS)) fail(src, next, "the xml prefix is bound to its own namespace only");
          if (prefix && !value) fail(src, next, `prefix ${prefix} cannot be bound to an empty namespace`);
          own ??= Object.create(null) as Record<string, string>;
          if (prefix in own) fail(src, next, `duplicate namespace declaration ${attr.prefix ? "xmlns:" + prefix : "xmlns"}`);
          own[prefix] = value;
        } else {
          raw ??= [];
          for (const r of raw) if (r.prefix === attr.prefix && r.local === attr.local) fail(src, next, `duplicate attribute ${attr.prefix ? attr.prefix + ":" : ""}${attr.local}`);
          raw.push({ prefix: attr.prefix, local: attr.local, value, at: next });
        }
        at = close + 1;
      }
      const parent = stack.length ? stack[stack.length - 1].el : undefined;
      const attrs = new Map<string, { uri: string; value: string }>();
      const el = new Element(tag.local, attrs, own ? { ns: own, parent } : parent?.scope);
      const uri = el.resolve(tag.prefix);
      if (tag.prefix && uri === undefined) fail(src, lt, `unbound namespace prefix ${tag.prefix}`);
      el.uri = uri ?? "";
      if (raw) {
        for (const r of raw) {
          let key = r.local;
          let attrUri = "";
          if (r.prefix) {
            const u = el.resolve(r.prefix);
            if (u === undefined) fail(src, r.at, `unbound namespace prefix ${r.prefix}`);
            attrUri = u;
            key = `{${attrUri}}${r.local}`;
          }
          if (attrs.has(key)) fail(src, r.at, `duplicate attribute {${attrUri}}${r.local}`);
          attrs.set(key, { uri: attrUri, value: r.value });
        }
      }
      if (parent) parent.children.push(el);
      else root = el;
      if (!selfClosing) stack.push({ el, qname: tag.prefix ? `${tag.prefix}:${tag.local}` : tag.local });
      i = at;
    }
  }
  if (stack.length) fail(src, n, `unclosed element <${stack[stack.length - 1].qname}>`);
  if (!root) fail(src, n, "no root element");
  return root;
}

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
export function escapeXml(s: string): string {
  return /[&<>"']/.test(s) ? s.replace(/[&<>"']/g, (c) => ESC[c]) : s;
}
