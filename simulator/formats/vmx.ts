// The .vmx file format: one `key = "value"` per line, keys case-insensitive,
// values always quoted with `|XX` hex escapes. ESXi keeps the order of the
// keys it read and appends new ones at the end, so this class keeps every
// line it parsed (comments, blank lines, odd spacing, duplicates) and writes
// an untouched line back byte for byte; only a line whose value changes is
// rewritten, and then in ESXi's canonical form.

export class VmxParseError extends Error {
  constructor(readonly file: string, readonly line: number, problem: string) {
    super(`${file}:${line}: ${problem}`);
    this.name = "VmxParseError";
  }
}

interface Line {
  /** the text as read, without its line ending; dropped once the entry changes */
  raw?: string;
  eol: string;
  key?: string;
  /** the key lower-cased, for lookups */
  lk?: string;
  value?: string;
}

// Quoted values may not contain a raw `"` (ESXi writes |22); anything may
// follow a `#` after the value.
const ENTRY = /^\s*([^\s="#]+)\s*=\s*(?:"([^"]*)"|([^"#]*?))\s*(#.*)?$/;

/** Decode `|XX` escapes; the bytes they name are UTF-8, like the rest of the file. */
export function unescapeVmxValue(raw: string): string {
  if (!raw.includes("|")) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === "|" && /^[0-9A-Fa-f]{2}$/.test(raw.slice(i + 1, i + 3))) {
      bytes.push(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
      continue;
    }
    // a lone `|` is not an escape: ESXi's reader takes it literally
    const cp = raw.codePointAt(i)!;
    if (cp > 0xffff) i++;
    bytes.push(...Buffer.from(String.fromCodePoint(cp), "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Escape what cannot stand inside ESXi's quotes: `"`, `|` and control characters. */
export function escapeVmxValue(value: string): string {
  return value.replace(/["|\x00-\x1f\x7f]/g, (c) => "|" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0"));
}

/** A parsed .vmx (or .vmsd, which has the same syntax). */
export class VmxFile {
  private lines: Line[] = [];
  /** lower-cased key → its lines in file order; the simulator rewrites a .vmx on every change */
  private index = new Map<string, Line[]>();
  private bom = "";
  private defaultEol = "\n";

  constructor(readonly fileName = "config.vmx") {}

  static parse(text: string, fileName = "config.vmx"): VmxFile {
    const f = new VmxFile(fileName);
    if (text.startsWith("\uFEFF")) {
      f.bom = "\uFEFF";
      text = text.slice(1);
    }
    let start = 0;
    let n = 0;
    let eolSeen = false;
    while (start < text.length) {
      n++;
      const nl = text.indexOf("\n", start);
      let body: string;
      let eol: string;
      if (nl < 0) {
        body = text.slice(start);
        eol = "";
        start = text.length;
      } else {
        const cr = nl > start && text[nl - 1] === "\r";
        body = text.slice(start, cr ? nl - 1 : nl);
        eol = cr ? "\r\n" : "\n";
        start = nl + 1;
        if (!eolSeen) {
          f.defaultEol = eol;
          eolSeen = true;
        }
      }
      f.push(parseLine(body, eol, fileName, n));
    }
    return f;
  }

  private push(l: Line): void {
    this.lines.push(l);
    if (l.lk === undefined) return;
    const same = this.index.get(l.lk);
    if (same) same.push(l);
    else this.index.set(l.lk, [l]);
  }

  /** The value of `key` (any case); with duplicates the last one wins, as when ESXi reads the file. */
  get(key: string): string | undefined {
    const same = this.index.get(key.toLowerCase());
    return same ? same[same.length - 1]!.value : undefined;
  }

  has(key: string): boolean {
    return this.index.has(key.toLowerCase());
  }

  /**
   * Replace the value where the key stands (keeping the key's spelling as
   * first seen) or append the key at the end. Later duplicates of the key
   * collapse into the first, since ESXi writes each key once.
   */
  set(key: string, value: string): this {
    const lk = key.toLowerCase();
    const same = this.index.get(lk);
    const first = same?.[0];
    if (same && same.length > 1) {
      const drop = new Set(same.slice(1));
      this.lines = this.lines.filter((l) => !drop.has(l));
      this.index.set(lk, [first!]);
    }
    if (first) {
      if (first.value !== value || first.raw === undefined) {
        first.value = value;
        first.raw = undefined;
      }
      return this;
    }
    const last = this.lines[this.lines.length - 1];
    if (last && last.eol === "") last.eol = this.defaultEol;
    this.push({ key, lk, value, eol: this.defaultEol });
    return this;
  }

  /** Remove every line of `key`; true if there was one. */
  delete(key: string): boolean {
    const lk = key.toLowerCase();
    if (!this.index.delete(lk)) return false;
    this.lines = this.lines.filter((l) => l.lk !== lk);
    return true;
  }

  /** Keys in file order, each once, spelled as first seen; `prefix` matches any case. */
  keys(prefix?: string): string[] {
    const lp = prefix?.toLowerCase();
    const seen = new Set<string>();
    const out: string[] = [];
    for (const l of this.lines) {
      const lk = l.lk;
      if (lk === undefined || seen.has(lk) || (lp !== undefined && !lk.startsWith(lp))) continue;
      seen.add(lk);
      out.push(l.key!);
    }
    return out;
  }

  /** [key, value] pairs in file order, one per key, with the value ESXi would read. */
  entries(prefix?: string): [string, string][] {
    const lp = prefix?.toLowerCase();
    const byKey = new Map<string, [string, string]>();
    for (const l of this.lines) {
      const lk = l.lk;
      if (lk === undefined || (lp !== undefined && !lk.startsWith(lp))) continue;
      const seen = byKey.get(lk);
      if (seen) seen[1] = l.value!;
      else byKey.set(lk, [l.key!, l.value!]);
    }
    return [...byKey.values()];
  }

  get size(): number {
    return this.index.size;
  }

  clone(fileName = this.fileName): VmxFile {
    const f = new VmxFile(fileName);
    for (const l of this.lines) f.push({ ...l });
    f.bom = this.bom;
    f.defaultEol = this.defaultEol;
    return f;
  }

  toString(): string {
    let out = this.bom;
    for (const l of this.lines) {
      out += (l.raw ?? `${l.key} = "${escapeVmxValue(l.value ?? "")}"`) + l.eol;
    }
    return out;
  }
}

function parseLine(body: string, eol: string, file: string, n: number): Line {
  const trimmed = body.trim();
  if (trimmed === "" || trimmed.startsWith("#")) return { raw: body, eol };
  const m = ENTRY.exec(body);
  if (!m) {
    const eq = body.indexOf("=");
    let problem: string;
    if (eq < 0) problem = `expected key = "value", found ${JSON.stringify(trimmed.slice(0, 60))}`;
    else if (body.slice(0, eq).trim() === "") problem = "missing key before '='";
    else if (/\s/.test(body.slice(0, eq).trim())) problem = `a key cannot contain spaces: ${JSON.stringify(body.slice(0, eq).trim())}`;
    else if ((body.slice(eq + 1).match(/"/g) ?? []).length % 2 === 1) problem = "unterminated quoted value";
    else problem = `unexpected text after the value: ${JSON.stringify(body.slice(eq + 1).trim().slice(0, 60))}`;
    throw new VmxParseError(file, n, problem);
  }
  const rawValue = m[2] ?? m[3] ?? "";
  return { raw: body, eol, key: m[1]!, lk: m[1]!.toLowerCase(), value: unescapeVmxValue(rawValue) };
}
