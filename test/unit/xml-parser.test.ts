// The SOAP XML parser against a reference: saxes, a conforming streaming
// parser, builds the same tree for every well-formed document and rejects
// every malformed one. Documents come from SOAP shapes clients send and from
// seeded mutations of them (characters dropped, doubled, swapped, inserted).
import { describe, expect, it } from "vitest";
import { SaxesParser } from "saxes";
import { parseXml, XmlSyntaxError, type XmlElement } from "../../vim25/soap/xml.ts";

interface Plain { local: string; uri: string; attrs: [string, string, string][]; text: string; children: Plain[]; xsi?: string }

function reference(source: string): Plain {
  const parser = new SaxesParser({ xmlns: true });
  const stack: Plain[] = [];
  let root: Plain | undefined;
  let failure: Error | undefined;
  parser.on("error", (e) => void (failure ??= e));
  parser.on("doctype", () => void (failure ??= new Error("doctype")));
  parser.on("opentag", (tag) => {
    const attrs: [string, string, string][] = [];
    for (const a of Object.values(tag.attributes) as { local: string; uri: string; value: string; prefix: string }[]) {
      if (a.prefix === "xmlns" || (a.prefix === "" && a.local === "xmlns")) continue;
      attrs.push([a.uri ? `{${a.uri}}${a.local}` : a.local, a.uri, a.value]);
    }
    const el: Plain = { local: tag.local ?? tag.name, uri: tag.uri ?? "", attrs: attrs.sort(), text: "", children: [] };
    const xsi = (tag.ns as Record<string, string>)["xsi"];
    if (xsi !== undefined) el.xsi = xsi;
    if (stack.length) stack[stack.length - 1].children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on("text", (t) => void (stack.length && (stack[stack.length - 1].text += t)));
  parser.on("cdata", (t) => void (stack.length && (stack[stack.length - 1].text += t)));
  parser.on("closetag", () => void stack.pop());
  try {
    parser.write(source).close();
  } catch (e) {
    failure ??= e as Error;
  }
  if (failure || !root) throw failure ?? new Error("no root");
  return root;
}

function plain(el: XmlElement, parentXsi?: string): Plain {
  const out: Plain = { local: el.local, uri: el.uri, attrs: [...el.attrs].map(([k, v]): [string, string, string] => [k, v.uri, v.value]).sort(), text: el.text, children: [] };
  const xsi = el.resolve("xsi");
  if (xsi !== parentXsi && xsi !== undefined) out.xsi = xsi;
  out.children = el.children.map((c) => plain(c, xsi));
  return out;
}

function outcome(parse: () => Plain): Plain | "rejected" {
  try {
    return parse();
  } catch {
    return "rejected";
  }
}

const SAMPLES = [
  `<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><ReconfigVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">vm-1</_this><spec><extraConfig><key>guestinfo.a</key><value xsi:type="xsd:string">x &amp; y &lt;z&gt; &#233;&#x1F600;</value></extraConfig></spec></ReconfigVM_Task></soapenv:Body></soapenv:Envelope>`,
  `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><Login xmlns="urn:vim25"><_this type='SessionManager'>ha-sessionmgr</_this><userName>root</userName><password><![CDATA[p<a>ss]]></password></Login></Body></Envelope>`,
  `\uFEFF<?xml version='1.0'?><!-- lead --><a:x xmlns:a="urn:a" a:k="1" k="2"\n t="\tv\r\nw"><?pi some data?><b xmlns=""><c/></b>text\r\nmore<!---->tail</a:x>\n<!-- trail -->\n`,
];

// one line each: what the grammar allows and forbids at its edges
const EDGES = [
  `<a>x]]>y</a>`, `<a b="1"c="2"/>`, `<a xmlns:p=""/>`, `<a xmlns=""/>`, `<?xml version="1.0"?><?xml version="1.0"?><a/>`, `<a/><b/>`,
  `<a/>text`, `text<a/>`, `<!--a--b--><a/>`, `<!--a---><a/>`, `<a>&#xD800;</a>`, `<a>&#x10FFFF;</a>`, `<a>&#x110000;</a>`, `<a>&unknown;</a>`,
  `<a>&amp</a>`, `<a b="<"/>`, `<a b='"'/>`, `<p:a xmlns:p="u"></p:a >`, `<a></a  >`, `<a\n/>`, `<a b="1" b="2"/>`,
  `<a xmlns:p="u" xmlns:q="u" p:b="1" q:b="2"/>`, `<a xmlns:p="u" xmlns:p="v"/>`, `<a xmlns:xml="urn:other"/>`, `<a xmlns:xmlns="u"/>`,
  `<xml:a/>`, `<a:b:c xmlns:a="u"/>`, `<a>\u0001</a>`, `<a><![CDATA[x]]></a>`, `<![CDATA[x]]><a/>`, `<?pi?><a/>`, `<?xml-stylesheet href="x"?><a/>`,
  `<?XML version="1.0"?><a/>`, `<a><?xml x?></a>`, ` <?xml version="1.0"?><a/>`, `<?xml version="1.0" standalone="maybe"?><a/>`,
  `<?xml version="2.0"?><a/>`, `<?xml encoding="UTF-8" version="1.0"?><a/>`, `<a>\r\n</a>`, `<a b="x\r\ny&#10;z&#9;"/>`, `<1a/>`, `<a-b.c_d/>`,
  `<é/>`, `<a>&constructor;</a>`, `<a b="&toString;"/>`, `<a>]]</a>`, `<a>]></a>`, `</a>`, `<a>`, `<a`, ``, `   `, `<a></b>`,
];

function mutations(doc: string, count: number, seed: number): string[] {
  let s = seed >>> 0;
  const rnd = (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
  const pieces = ["<", ">", "&", ";", "/", "\"", "'", "=", ":", " ", "]]>", "<!--", "-->", "&#0;", "&#x41;", "xmlns:q=\"\"", "\r", "\u0001", "?>", "<?xml version=\"1.0\"?>"];
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    const at = rnd(doc.length);
    switch (rnd(4)) {
      case 0: out.push(doc.slice(0, at) + doc.slice(at + 1 + rnd(3))); break;
      case 1: out.push(doc.slice(0, at) + doc.charAt(at) + doc.slice(at)); break;
      case 2: out.push(doc.slice(0, at) + pieces[rnd(pieces.length)] + doc.slice(at)); break;
      default: { const b = rnd(doc.length); out.push(doc.slice(0, at) + doc.charAt(b) + doc.slice(at + 1)); }
    }
  }
  return out;
}

describe("parseXml", () => {
  it("builds the reference tree for well-formed SOAP and rejects what the reference rejects", () => {
    for (const doc of [...SAMPLES, ...EDGES]) expect({ doc, ours: outcome(() => plain(parseXml(doc))) }).toEqual({ doc, ours: outcome(() => reference(doc)) });
    let accepted = 0;
    let rejected = 0;
    SAMPLES.forEach((doc, n) => {
      for (const m of mutations(doc, 1500, 7 + n)) {
        const ours = outcome(() => plain(parseXml(m)));
        const ref = outcome(() => reference(m));
        if (JSON.stringify(ours) !== JSON.stringify(ref)) expect({ doc: m, ours }).toEqual({ doc: m, ours: ref });
        if (ours === "rejected") rejected++;
        else accepted++;
      }
    });
    // the mutations exercise both sides of the line
    expect(accepted).toBeGreaterThan(500);
    expect(rejected).toBeGreaterThan(1500);
  });

  it("refuses a DTD, says where a document is malformed, and resolves prefixes in scope", () => {
    expect(() => parseXml(`<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`)).toThrow(/a DTD is not allowed/);
    expect(() => parseXml(`<a>\n  <b></c></a>`)).toThrow(XmlSyntaxError);
    expect(() => parseXml(`<a>\n  <b></c></a>`)).toThrow(/^2:6: end tag <\/c> does not match <b>/);
    expect(() => parseXml(`<a toString:x="1"/>`)).toThrow(/unbound namespace prefix toString/);
    const el = parseXml(`<a xmlns:p="urn:p"><b xmlns:p="urn:q" p:t="1"/></a>`);
    expect(el.children[0].attrs.get("{urn:q}t")?.value).toBe("1");
    expect(el.resolve("p")).toBe("urn:p");
    expect(el.children[0].resolve("xml")).toBe("http://www.w3.org/XML/1998/namespace");
  });
});
