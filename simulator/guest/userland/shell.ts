// A POSIX-style shell for the simulated userland (`sh -c`, scripts, an
// interactive prompt): quoting, variables and ${...} forms, $(...) and
// backquotes, pipes, redirections (<, >, >>, 2>, 2>&1, >&2, /dev/null),
// && || ; &, if/elif/else, while/until, for, { } groups, and the builtins
// a container entrypoint uses (cd, exit, export, unset, set, shift, read,
// trap, exec, ., :). Not here: globbing, here-documents, functions, job
// control.
import { Pipe, LineReader } from "./pipe.ts";
import type { Writer } from "./process.ts";

// ---------------------------------------------------------------- syntax

type Part =
  | { t: "lit"; v: string; q: boolean }
  | { t: "var"; name: string; q: boolean; op?: string; arg?: Word; length?: boolean }
  | { t: "cmd"; list: List; q: boolean }
  | { t: "arith"; expr: string; q: boolean };
export interface Word {
  parts: Part[];
  raw: string;
}
type Redir = { fd: number; op: ">" | ">>" | "<" | ">&" | "<&"; target: Word };
type Command =
  | { kind: "simple"; assigns: { name: string; value: Word }[]; words: Word[]; redirs: Redir[] }
  | { kind: "if"; branches: { cond: List; body: List }[]; otherwise?: List; redirs: Redir[] }
  | { kind: "loop"; until: boolean; cond: List; body: List; redirs: Redir[] }
  | { kind: "for"; name: string; items?: Word[]; body: List; redirs: Redir[] }
  | { kind: "group"; body: List; subshell: boolean; redirs: Redir[] };
type Pipeline = { negate: boolean; cmds: Command[] };
type AndOr = { first: Pipeline; rest: { op: "&&" | "||"; p: Pipeline }[] };
export type List = { items: { andOr: AndOr; background: boolean }[] };

export class ShellSyntaxError extends Error {}

type Token = { k: "word"; w: Word } | { k: "op"; v: string } | { k: "io"; fd: number; v: string } | { k: "nl" };

const OPS = ["&&", "||", ";;", ">>", ">&", "<&", ";", "&", "|", "(", ")", "<", ">"];
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

class Lexer {
  private i = 0;
  constructor(private readonly src: string) {}

  tokens(): Token[] {
    const out: Token[] = [];
    const s = this.src;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === " " || c === "\t") {
        this.i++;
        continue;
      }
      if (c === "\\" && s[this.i + 1] === "\n") {
        this.i += 2;
        continue;
      }
      if (c === "\n") {
        out.push({ k: "nl" });
        this.i++;
        continue;
      }
      if (c === "#") {
        while (this.i < s.length && s[this.i] !== "\n") this.i++;
        continue;
      }
      const io = /^(\d)(>>|>&|<&|>|<)/.exec(s.slice(this.i, this.i + 3));
      if (io) {
        out.push({ k: "io", fd: Number(io[1]), v: io[2] });
        this.i += io[0].length;
        continue;
      }
      const op = OPS.find((o) => s.startsWith(o, this.i));
      if (op) {
        out.push({ k: "op", v: op });
        this.i += op.length;
        continue;
      }
      out.push({ k: "word", w: this.word() });
    }
    return out;
  }

  private word(): Word {
    const s = this.src;
    const start = this.i;
    const parts: Part[] = [];
    const lit = (v: string, q: boolean) => {
      const last = parts[parts.length - 1];
      if (last?.t === "lit" && last.q === q) last.v += v;
      else parts.push({ t: "lit", v, q });
    };
    while (this.i < s.length) {
      const c = s[this.i];
      if (" \t\n".includes(c) || "|&;<>()".includes(c)) break;
      if (c === "\\") {
        if (s[this.i + 1] === "\n") this.i += 2;
        else {
          lit(s[this.i + 1] ?? "", true);
          this.i += 2;
        }
      } else if (c === "'") {
        const end = s.indexOf("'", this.i + 1);
        if (end < 0) throw new ShellSyntaxError("unterminated quoted string");
        lit(s.slice(this.i + 1, end), true);
        parts.push({ t: "lit", v: "", q: true });
        this.i = end + 1;
      } else if (c === '"') {
        this.i++;
        let closed = false;
        parts.push({ t: "lit", v: "", q: true });
        while (this.i < s.length) {
          const d = s[this.i];
          if (d === '"') {
            this.i++;
            closed = true;
            break;
          }
          if (d === "\\" && '$`"\\\n'.includes(s[this.i + 1] ?? "")) {
            if (s[this.i + 1] !== "\n") lit(s[this.i + 1], true);
            this.i += 2;
          } else if (d === "$" || d === "`") {
            this.expansion(true, parts, lit);
          } else {
            lit(d, true);
            this.i++;
          }
        }
        if (!closed) throw new ShellSyntaxError("unterminated quoted string");
      } else if (c === "$" || c === "`") {
        this.expansion(false, parts, lit);
      } else {
        lit(c, false);
        this.i++;
      }
    }
    return { parts, raw: s.slice(start, this.i) };
  }

  /** At '$' or '`': the expansion as a part, or the character itself when it starts none. */
  private expansion(q: boolean, parts: Part[], lit: (v: string, q: boolean) => void): void {
    const c = this.src[this.i];
    const p = this.dollar(q);
    if (p) parts.push(p);
    else lit(c, q);
  }

  /** At '$' or '`': an expansion, or undefined (and one char consumed) for a plain '$'. */
  private dollar(q: boolean): Part | undefined {
    const s = this.src;
    if (s[this.i] === "`") {
      const end = s.indexOf("`", this.i + 1);
      if (end < 0) throw new ShellSyntaxError("unterminated `");
      const inner = s.slice(this.i + 1, end);
      this.i = end + 1;
      return { t: "cmd", list: parse(inner), q };
    }
    const n = s[this.i + 1];
    if (n === "(" && s[this.i + 2] === "(") {
      const end = s.indexOf("))", this.i + 3);
      if (end < 0) throw new ShellSyntaxError("unterminated $((");
      const expr = s.slice(this.i + 3, end);
      this.i = end + 2;
      return { t: "arith", expr, q };
    }
    if (n === "(") {
      let depth = 0;
      let j = this.i + 1;
      let quote: string | undefined;
      for (; j < s.length; j++) {
        const d = s[j];
        if (quote) {
          if (d === quote) quote = undefined;
          else if (d === "\\" && quote === '"') j++;
          continue;
        }
        if (d === "'" || d === '"') quote = d;
        else if (d === "\\") j++;
        else if (d === "(") depth++;
        else if (d === ")" && --depth === 0) break;
      }
      if (j >= s.length) throw new ShellSyntaxError("unterminated $(");
      const inner = s.slice(this.i + 2, j);
      this.i = j + 1;
      return { t: "cmd", list: parse(inner), q };
    }
    if (n === "{") {
      const end = s.indexOf("}", this.i + 2);
      if (end < 0) throw new ShellSyntaxError("unterminated ${");
      const body = s.slice(this.i + 2, end);
      this.i = end + 1;
      if (body.startsWith("#") && NAME.test(body.slice(1))) return { t: "var", name: body.slice(1), q, length: true };
      const m = /^([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[?$#@*!])(:?[-=+?])?([\s\S]*)$/.exec(body);
      if (!m || (!m[2] && m[3])) throw new ShellSyntaxError(`\${${body}}: bad substitution`);
      return { t: "var", name: m[1], q, op: m[2], arg: m[2] ? new Lexer(m[3]).word() : undefined };
    }
    const m = /^([A-Za-z_][A-Za-z0-9_]*|[0-9?$#@*!])/.exec(s.slice(this.i + 1));
    if (!m) {
      this.i++;
      return undefined;
    }
    this.i += 1 + m[1].length;
    return { t: "var", name: m[1], q };
  }
}

const RESERVED = new Set(["if", "then", "elif", "else", "fi", "while", "until", "do", "done", "for", "in", "{", "}", "!"]);
const plainWord = (t: Token | undefined) => (t?.k === "word" && t.w.parts.every((p) => p.t === "lit" && !p.q) ? t.w.raw : undefined);

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  parseAll(): List {
    const list = this.list([]);
    if (this.i < this.toks.length) throw new ShellSyntaxError(`syntax error: unexpected ${this.describe(this.toks[this.i])}`);
    return list;
  }

  private describe(t: Token): string {
    return t.k === "op" ? `"${t.v}"` : t.k === "nl" ? "newline" : t.k === "io" ? `"${t.fd}${t.v}"` : `"${t.w.raw}"`;
  }

  private skipNl(): void {
    while (this.toks[this.i]?.k === "nl") this.i++;
  }

  private atKeyword(words: string[]): boolean {
    const w = plainWord(this.toks[this.i]);
    return w !== undefined && words.includes(w);
  }

  private expectKeyword(w: string): void {
    if (plainWord(this.toks[this.i]) !== w) throw new ShellSyntaxError(`syntax error: expected "${w}"${this.toks[this.i] ? ` before ${this.describe(this.toks[this.i])}` : " at end of input"}`);
    this.i++;
  }

  /** and-or lists up to one of `stop` (keywords) or ')' or the end */
  private list(stop: string[]): List {
    const items: List["items"] = [];
    for (;;) {
      this.skipNl();
      const t = this.toks[this.i];
      if (!t || this.atKeyword(stop) || (t.k === "op" && t.v === ")")) break;
      const andOr = this.andOr();
      let background = false;
      const sep = this.toks[this.i];
      if (sep?.k === "op" && (sep.v === ";" || sep.v === "&")) {
        background = sep.v === "&";
        this.i++;
      } else if (sep?.k === "nl") this.i++;
      else if (sep && !(sep.k === "op" && sep.v === ")") && !this.atKeyword(stop)) throw new ShellSyntaxError(`syntax error: unexpected ${this.describe(sep)}`);
      items.push({ andOr, background });
    }
    return { items };
  }

  private andOr(): AndOr {
    const first = this.pipeline();
    const rest: AndOr["rest"] = [];
    for (;;) {
      const t = this.toks[this.i];
      if (t?.k !== "op" || (t.v !== "&&" && t.v !== "||")) break;
      this.i++;
      this.skipNl();
      rest.push({ op: t.v as "&&" | "||", p: this.pipeline() });
    }
    return { first, rest };
  }

  private pipeline(): Pipeline {
    let negate = false;
    if (plainWord(this.toks[this.i]) === "!") {
      negate = true;
      this.i++;
    }
    const cmds = [this.command()];
    while (this.toks[this.i]?.k === "op" && (this.toks[this.i] as { v: string }).v === "|") {
      this.i++;
      this.skipNl();
      cmds.push(this.command());
    }
    return { negate, cmds };
  }

  private redirs(): Redir[] {
    const out: Redir[] = [];
    for (;;) {
      const t = this.toks[this.i];
      let fd: number;
      let op: string;
      if (t?.k === "io") {
        fd = t.fd;
        op = t.v;
      } else if (t?.k === "op" && [">", ">>", "<", ">&", "<&"].includes(t.v)) {
        fd = t.v.startsWith("<") ? 0 : 1;
        op = t.v;
      } else return out;
      this.i++;
      const target = this.toks[this.i];
      if (target?.k !== "word") throw new ShellSyntaxError(`syntax error: redirection ${op} without a target`);
      this.i++;
      out.push({ fd, op: op as Redir["op"], target: target.w });
    }
  }

  private command(): Command {
    const w = plainWord(this.toks[this.i]);
    if (w === "if") {
      this.i++;
      const branches: { cond: List; body: List }[] = [];
      let otherwise: List | undefined;
      for (;;) {
        const cond = this.list(["then"]);
        this.expectKeyword("then");
        const body = this.list(["elif", "else", "fi"]);
        branches.push({ cond, body });
        if (this.atKeyword(["elif"])) {
          this.i++;
          continue;
        }
        if (this.atKeyword(["else"])) {
          this.i++;
          otherwise = this.list(["fi"]);
        }
        this.expectKeyword("fi");
        break;
      }
      return { kind: "if", branches, otherwise, redirs: this.redirs() };
    }
    if (w === "while" || w === "until") {
      this.i++;
      const cond = this.list(["do"]);
      this.expectKeyword("do");
      const body = this.list(["done"]);
      this.expectKeyword("done");
      return { kind: "loop", until: w === "until", cond, body, redirs: this.redirs() };
    }
    if (w === "for") {
      this.i++;
      const name = plainWord(this.toks[this.i]);
      if (!name || !NAME.test(name)) throw new ShellSyntaxError("syntax error: bad for loop variable");
      this.i++;
      let items: Word[] | undefined;
      this.skipNl();
      if (this.atKeyword(["in"])) {
        this.i++;
        items = [];
        while (this.toks[this.i]?.k === "word") items.push((this.toks[this.i++] as { w: Word }).w);
      }
      const sep = this.toks[this.i];
      if (sep?.k === "op" && sep.v === ";") this.i++;
      this.skipNl();
      this.expectKeyword("do");
      const body = this.list(["done"]);
      this.expectKeyword("done");
      return { kind: "for", name, items, body, redirs: this.redirs() };
    }
    if (w === "{") {
      this.i++;
      const body = this.list(["}"]);
      this.expectKeyword("}");
      return { kind: "group", body, subshell: false, redirs: this.redirs() };
    }
    const t = this.toks[this.i];
    if (t?.k === "op" && t.v === "(") {
      this.i++;
      const body = this.list([]);
      const close = this.toks[this.i];
      if (close?.k !== "op" || close.v !== ")") throw new ShellSyntaxError('syntax error: expected ")"');
      this.i++;
      return { kind: "group", body, subshell: true, redirs: this.redirs() };
    }
    const assigns: { name: string; value: Word }[] = [];
    const words: Word[] = [];
    const redirs: Redir[] = [];
    for (;;) {
      redirs.push(...this.redirs());
      const tok = this.toks[this.i];
      if (tok?.k !== "word") break;
      const first = tok.w.parts[0];
      const eq = first?.t === "lit" && !first.q ? first.v.indexOf("=") : -1;
      if (words.length === 0 && eq > 0 && NAME.test((first as { v: string }).v.slice(0, eq))) {
        const rest: Part[] = [{ ...(first as Extract<Part, { t: "lit" }>), v: (first as { v: string }).v.slice(eq + 1) }, ...tok.w.parts.slice(1)];
        assigns.push({ name: (first as { v: string }).v.slice(0, eq), value: { parts: rest, raw: tok.w.raw.slice(eq + 1) } });
      } else {
        if (words.length === 0 && RESERVED.has(tok.w.raw) && tok.w.raw !== "{" && tok.w.raw !== "!") throw new ShellSyntaxError(`syntax error: unexpected "${tok.w.raw}"`);
        words.push(tok.w);
      }
      this.i++;
    }
    if (!assigns.length && !words.length && !redirs.length) {
      const bad = this.toks[this.i];
      throw new ShellSyntaxError(`syntax error: unexpected ${bad ? this.describe(bad) : "end of input"}`);
    }
    return { kind: "simple", assigns, words, redirs };
  }
}

export function parse(src: string): List {
  return new Parser(new Lexer(src).tokens()).parseAll();
}

// ---------------------------------------------------------------- running

export interface ShellIo {
  input: Pipe;
  out: Writer;
  err: Writer;
}

/** What the shell needs from its userland. */
export interface ShellHost {
  /** run a command (applet or file) as a child process and wait for it */
  run(argv: string[], env: Map<string, string>, cwd: string, io: ShellIo): Promise<number>;
  /** open a file for a redirection, relative to cwd */
  openWrite(path: string, cwd: string, append: boolean): Writer;
  openRead(path: string, cwd: string): Pipe;
  chdir(path: string, cwd: string): string;
  /** the shell's own process: signals it gets (trap) */
  trap(signal: string, handler: (() => void) | undefined): boolean;
  readonly pid: number;
  readonly abort: AbortSignal;
  readScript(path: string, cwd: string): string;
  /** busybox ash's builtins that are also applets (echo, printf, test, ...): run without a file on PATH, undefined for any other name */
  builtin?(argv: string[], env: Map<string, string>, cwd: string, io: ShellIo): Promise<number> | undefined;
}

class ExitSignal {
  constructor(readonly code: number) {}
}
class LoopControl {
  constructor(readonly kind: "break" | "continue", readonly levels: number) {}
}

export class Shell {
  readonly vars: Map<string, string>;
  private readonly exported: Set<string>;
  positional: string[];
  status = 0;
  private lastBackground = 0;
  private readonly traps = new Map<string, string>();
  /** trap actions whose signal came while a command ran */
  private readonly pendingTraps: string[] = [];

  constructor(private readonly host: ShellHost, env: Map<string, string>, public cwd: string, readonly name: string, args: string[]) {
    this.vars = new Map(env);
    this.exported = new Set(env.keys());
    this.positional = args;
    if (!this.vars.has("PWD")) this.vars.set("PWD", cwd);
  }

  /** Run source text; returns the exit status (an `exit` ends it early). */
  async runSource(src: string, io: ShellIo): Promise<number> {
    let list: List;
    try {
      list = parse(src);
    } catch (e) {
      if (e instanceof ShellSyntaxError) {
        io.err.write(`${this.name}: ${e.message}\n`);
        return (this.status = 2);
      }
      throw e;
    }
    try {
      return await this.list(list, io);
    } catch (e) {
      if (e instanceof ExitSignal) return (this.status = e.code);
      if (e instanceof LoopControl) return this.status;
      throw e;
    }
  }

  /** The interactive loop: a prompt on a terminal, one line at a time. */
  async interactive(io: ShellIo, prompt: boolean): Promise<number> {
    const lines = new LineReader(io.input, this.host.abort);
    let pending = "";
    for (;;) {
      if (prompt) io.out.write(pending ? "> " : this.prompt());
      const line = await lines.next();
      if (line === null) break;
      pending += `${line}\n`;
      let list: List;
      try {
        list = parse(pending);
      } catch (e) {
        if (e instanceof ShellSyntaxError && /unterminated|expected|end of input/.test(e.message)) continue;
        io.err.write(`${this.name}: ${(e as Error).message}\n`);
        pending = "";
        this.status = 2;
        continue;
      }
      pending = "";
      try {
        await this.list(list, io);
      } catch (e) {
        if (e instanceof ExitSignal) return (this.status = e.code);
        if (!(e instanceof LoopControl)) throw e;
      }
    }
    return this.status;
  }

  private prompt(): string {
    return `${this.cwd === (this.vars.get("HOME") ?? "/root") ? "~" : this.cwd} # `;
  }

  private env(extra: Map<string, string> = new Map()): Map<string, string> {
    const out = new Map<string, string>();
    for (const k of this.exported) if (this.vars.has(k)) out.set(k, this.vars.get(k)!);
    for (const [k, v] of extra) out.set(k, v);
    return out;
  }

  private async list(list: List, io: ShellIo): Promise<number> {
    for (const item of list.items) {
      if (item.background) {
        // no job control: it runs alongside, its status is not waited for
        this.lastBackground++;
        void this.andOr(item.andOr, { ...io, input: emptyPipe() }).catch(() => undefined);
        this.status = 0;
      } else await this.andOr(item.andOr, io);
    }
    return this.status;
  }

  private async andOr(a: AndOr, io: ShellIo): Promise<number> {
    let st = await this.pipeline(a.first, io);
    for (const r of a.rest) {
      if ((r.op === "&&" && st !== 0) || (r.op === "||" && st === 0)) continue;
      st = await this.pipeline(r.p, io);
    }
    return st;
  }

  private async pipeline(p: Pipeline, io: ShellIo): Promise<number> {
    if (this.host.abort.aborted) throw new ExitSignal(this.status);
    let st: number;
    if (p.cmds.length === 1) st = await this.command(p.cmds[0], io);
    else {
      const runs: Promise<number>[] = [];
      let input = io.input;
      for (let i = 0; i < p.cmds.length; i++) {
        const last = i === p.cmds.length - 1;
        const pipe = last ? undefined : new Pipe();
        const stageIn = input;
        const stageIo: ShellIo = { input: stageIn, out: pipe ?? io.out, err: io.err };
        runs.push(
          this.command(p.cmds[i], stageIo)
            .catch((e) => (e instanceof ExitSignal ? e.code : Promise.reject(e)))
            .finally(() => {
              pipe?.end();
              if (stageIn !== io.input) stageIn.close();
            }),
        );
        if (pipe) input = pipe;
      }
      const all = await Promise.all(runs);
      st = all[all.length - 1];
    }
    this.status = p.negate ? (st === 0 ? 1 : 0) : st;
    return this.status;
  }

  private async command(c: Command, io0: ShellIo): Promise<number> {
    let io: ShellIo;
    try {
      io = await this.redirect(c.redirs, io0);
    } catch (e) {
      io0.err.write(`${this.name}: ${(e as Error).message}\n`);
      return (this.status = 1);
    }
    switch (c.kind) {
      case "simple":
        return this.simple(c, io);
      case "if":
        for (const b of c.branches) if ((await this.list(b.cond, io)) === 0) return this.list(b.body, io);
        if (c.otherwise) return this.list(c.otherwise, io);
        return (this.status = 0);
      case "loop": {
        let st = 0;
        for (;;) {
          const cond = await this.list(c.cond, io);
          if ((cond === 0) === c.until) break;
          const r = await this.loopBody(c.body, io, st);
          st = r.status;
          if (r.broke || this.host.abort.aborted) break;
        }
        return (this.status = st);
      }
      case "for": {
        const items = c.items ? (await Promise.all(c.items.map((w) => this.expand(w, io)))).flat() : this.positional;
        let st = 0;
        for (const v of items) {
          this.vars.set(c.name, v);
          const r = await this.loopBody(c.body, io, st);
          st = r.status;
          if (r.broke) break;
        }
        return (this.status = st);
      }
      case "group": {
        if (!c.subshell) return this.list(c.body, io);
        const sub = new Shell(this.host, this.env(), this.cwd, this.name, this.positional);
        for (const [k, v] of this.vars) sub.vars.set(k, v);
        try {
          return (this.status = await sub.list(c.body, io));
        } catch (e) {
          if (e instanceof ExitSignal) return (this.status = e.code);
          throw e;
        }
      }
    }
  }

  /** One pass of a loop's body: `break` ends the loop, `continue` the pass; `break 2` goes on out. */
  private async loopBody(body: List, io: ShellIo, status: number): Promise<{ status: number; broke: boolean }> {
    try {
      return { status: await this.list(body, io), broke: false };
    } catch (e) {
      if (!(e instanceof LoopControl)) throw e;
      if (e.levels > 1) throw new LoopControl(e.kind, e.levels - 1);
      return { status, broke: e.kind === "break" };
    }
  }

  private async redirect(redirs: Redir[], io: ShellIo): Promise<ShellIo> {
    const out: ShellIo = { ...io };
    for (const r of redirs) {
      const target = (await this.expand(r.target, io)).join(" ");
      if (r.op === ">&" || r.op === "<&") {
        const from = target === "1" ? out.out : target === "2" ? out.err : undefined;
        if (target === "-") continue;
        if (!from && r.op === ">&") throw new Error(`${target}: bad file descriptor`);
        if (r.fd === 1 && from) out.out = from;
        else if (r.fd === 2 && from) out.err = from;
        continue;
      }
      if (r.op === "<") out.input = this.host.openRead(target, this.cwd);
      else {
        const w = this.host.openWrite(target, this.cwd, r.op === ">>");
        if (r.fd === 2) out.err = w;
        else out.out = w;
      }
    }
    return out;
  }

  private async simple(c: Extract<Command, { kind: "simple" }>, io: ShellIo): Promise<number> {
    const argv: string[] = [];
    for (const w of c.words) argv.push(...(await this.expand(w, io)));
    const assigns = new Map<string, string>();
    for (const a of c.assigns) assigns.set(a.name, (await this.expand(a.value, io, false)).join(""));
    if (argv.length === 0) {
      for (const [k, v] of assigns) this.vars.set(k, v);
      return (this.status = 0);
    }
    const builtin = this.builtins[argv[0]];
    if (builtin) {
      try {
        return (this.status = await builtin.call(this, argv, io));
      } catch (e) {
        if (e instanceof ExitSignal || e instanceof LoopControl) throw e;
        io.err.write(`${this.name}: ${argv[0]}: ${(e as Error).message}\n`);
        return (this.status = 1);
      }
    }
    const inShell = this.host.builtin?.(argv, this.env(assigns), this.cwd, io);
    this.status = inShell ? await inShell : await this.host.run(argv, this.env(assigns), this.cwd, io);
    await this.runPendingTraps(io);
    return this.status;
  }

  private async runPendingTraps(io: ShellIo): Promise<void> {
    while (this.pendingTraps.length) {
      const action = this.pendingTraps.shift()!;
      const saved = this.status;
      await this.list(parse(action), io);
      this.status = saved;
    }
  }

  // ---- expansion ----

  private value(name: string): string | undefined {
    switch (name) {
      case "?":
        return String(this.status);
      case "$":
        return String(this.host.pid);
      case "#":
        return String(this.positional.length);
      case "@":
      case "*":
        return this.positional.join(" ");
      case "!":
        return String(this.lastBackground);
      case "0":
        return this.name;
    }
    if (/^\d+$/.test(name)) return this.positional[Number(name) - 1];
    return this.vars.get(name);
  }

  /** A word's fields: quoted parts stay whole, unquoted expansions split on blanks. */
  async expand(w: Word, io: ShellIo, split = true): Promise<string[]> {
    const fields: string[] = [];
    let cur = "";
    let has = false;
    for (const p of w.parts) {
      let v: string;
      if (p.t === "lit") {
        cur += p.v;
        has = has || p.q || p.v !== "";
        continue;
      }
      if (p.t === "var") {
        if (p.name === "@" && p.q && !p.op) {
          // "$@": one field per argument
          this.positional.forEach((a, i) => {
            if (i > 0) {
              fields.push(cur);
              cur = "";
            }
            cur += a;
            has = true;
          });
          continue;
        }
        v = await this.varValue(p, io);
      } else if (p.t === "arith") v = String(arithmetic(p.expr, (name) => this.value(name)));
      else v = await this.substitute(p.list, io);
      if (p.q || !split) {
        cur += v;
        has = true;
        continue;
      }
      const pieces = v.split(/[ \t\n]+/);
      for (let i = 0; i < pieces.length; i++) {
        if (i > 0 && (has || cur)) {
          fields.push(cur);
          cur = "";
          has = false;
        }
        if (pieces[i]) {
          cur += pieces[i];
          has = true;
        }
      }
    }
    if (has || cur) fields.push(cur);
    return split ? fields : [fields.join(" ")];
  }

  private async varValue(p: Extract<Part, { t: "var" }>, io: ShellIo): Promise<string> {
    const v = this.value(p.name);
    if (p.length) return String((v ?? "").length);
    if (!p.op) return v ?? "";
    const unset = p.op.startsWith(":") ? !v : v === undefined;
    const arg = async () => (p.arg ? (await this.expand(p.arg, io, false)).join("") : "");
    switch (p.op.replace(":", "")) {
      case "-":
        return unset ? arg() : v!;
      case "=":
        if (unset) {
          const a = await arg();
          this.vars.set(p.name, a);
          return a;
        }
        return v!;
      case "+":
        return unset ? "" : arg();
      case "?":
        if (unset) {
          io.err.write(`${this.name}: ${p.name}: ${(await arg()) || "parameter not set"}\n`);
          throw new ExitSignal(1);
        }
        return v!;
    }
    return v ?? "";
  }

  private async substitute(list: List, io: ShellIo): Promise<string> {
    const chunks: Buffer[] = [];
    const sub = new Shell(this.host, this.env(), this.cwd, this.name, this.positional);
    for (const [k, v] of this.vars) sub.vars.set(k, v);
    const out: Writer = { write: (d) => (chunks.push(Buffer.from(d)), true) };
    try {
      await sub.list(list, { input: io.input, out, err: io.err });
    } catch (e) {
      if (!(e instanceof ExitSignal)) throw e;
    }
    this.status = sub.status;
    return Buffer.concat(chunks).toString("utf8").replace(/\n+$/, "");
  }

  // ---- builtins ----

  private readonly builtins: Record<string, (this: Shell, argv: string[], io: ShellIo) => number | Promise<number>> = {
    ":": () => 0,
    cd(argv) {
      const to = argv[1] ?? this.vars.get("HOME") ?? "/";
      this.cwd = this.host.chdir(to, this.cwd);
      this.vars.set("OLDPWD", this.vars.get("PWD") ?? "/");
      this.vars.set("PWD", this.cwd);
      return 0;
    },
    exit(argv) {
      throw new ExitSignal(argv[1] !== undefined ? Number(argv[1]) & 0xff : this.status);
    },
    export(argv) {
      for (const a of argv.slice(1)) {
        const eq = a.indexOf("=");
        const name = eq >= 0 ? a.slice(0, eq) : a;
        if (!NAME.test(name)) throw new Error(`${a}: bad variable name`);
        if (eq >= 0) this.vars.set(name, a.slice(eq + 1));
        this.exported.add(name);
      }
      return 0;
    },
    unset(argv) {
      for (const a of argv.slice(1)) {
        this.vars.delete(a);
        this.exported.delete(a);
      }
      return 0;
    },
    set(argv) {
      const args = argv.slice(1);
      if (args[0] === "--") this.positional = args.slice(1);
      else if (args.length && !args[0].startsWith("-")) this.positional = args;
      return 0;
    },
    shift(argv) {
      const n = Number(argv[1] ?? 1);
      if (n > this.positional.length) return 1;
      this.positional = this.positional.slice(n);
      return 0;
    },
    async read(argv, io) {
      const names = argv.slice(1).filter((a) => !a.startsWith("-"));
      const line = await new LineReader(io.input, this.host.abort).next();
      if (line === null) return 1;
      const words = line.trim().split(/[ \t]+/);
      names.forEach((n, i) => this.vars.set(n, i === names.length - 1 ? words.slice(i).join(" ") : words[i] ?? ""));
      if (!names.length) this.vars.set("REPLY", line);
      return 0;
    },
    trap(argv, io) {
      const [action, ...sigs] = argv.slice(1);
      if (action === undefined) return 0;
      for (const s of sigs) {
        const name = /^(0|EXIT)$/i.test(s) ? "EXIT" : s.toUpperCase().replace(/^SIG/, "");
        if (action === "-" || action === "") {
          this.traps.delete(name);
          if (name !== "EXIT") this.host.trap(`SIG${name}`, action === "" ? () => {} : undefined);
          continue;
        }
        this.traps.set(name, action);
        // as sh does: the action runs between commands, in the shell's own flow, so its `exit` ends the shell
        if (name !== "EXIT" && !this.host.trap(`SIG${name}`, () => void this.pendingTraps.push(action))) throw new Error(`${s}: bad signal`);
      }
      return 0;
    },
    async exec(argv, io) {
      if (argv.length === 1) return 0;
      throw new ExitSignal(await this.host.run(argv.slice(1), this.env(), this.cwd, io));
    },
    async "."(argv, io) {
      if (!argv[1]) throw new Error("filename argument required");
      return this.runSource(this.host.readScript(argv[1], this.cwd), io);
    },
    break(argv) {
      throw new LoopControl("break", Number(argv[1] ?? 1));
    },
    continue(argv) {
      throw new LoopControl("continue", Number(argv[1] ?? 1));
    },
  };

  /** What `trap ... EXIT` asked for, run as the shell ends. */
  async exitTrap(io: ShellIo): Promise<void> {
    const action = this.traps.get("EXIT");
    if (!action) return;
    this.traps.delete("EXIT");
    const st = this.status;
    await this.runSource(action, io);
    this.status = st;
  }
}

function emptyPipe(): Pipe {
  const p = new Pipe();
  p.end();
  return p;
}

/** $(( )): integers, variables, + - * / % and parentheses, comparisons and ! as 1 or 0. */
export function arithmetic(expr: string, lookup: (name: string) => string | undefined): number {
  const toks = expr.match(/\s*(\d+|[A-Za-z_][A-Za-z0-9_]*|\$[A-Za-z_][A-Za-z0-9_]*|==|!=|<=|>=|&&|\|\||[-+*/%()<>!])/g)?.map((t) => t.trim()) ?? [];
  if (toks.join("") !== expr.replace(/\s+/g, "")) throw new ShellSyntaxError(`arithmetic syntax error: ${expr}`);
  let i = 0;
  const peek = () => toks[i];
  const num = (t: string) => {
    const name = t.replace(/^\$/, "");
    const v = /^\d+$/.test(t) ? t : lookup(name) ?? "0";
    const n = Number.parseInt(v, 10);
    return Number.isNaN(n) ? 0 : n;
  };
  const primary = (): number => {
    const t = toks[i++];
    if (t === undefined) throw new ShellSyntaxError(`arithmetic syntax error: ${expr}`);
    if (t === "(") {
      const v = or();
      if (toks[i++] !== ")") throw new ShellSyntaxError(`arithmetic syntax error: ${expr}`);
      return v;
    }
    if (t === "-") return -primary();
    if (t === "+") return primary();
    if (t === "!") return primary() ? 0 : 1;
    return num(t);
  };
  const bin = (next: () => number, ops: Record<string, (a: number, b: number) => number>) => (): number => {
    let v = next();
    while (peek() && ops[peek()]) {
      const op = toks[i++];
      v = ops[op](v, next());
    }
    return v;
  };
  const div = (a: number, b: number) => {
    if (b === 0) throw new ShellSyntaxError("arithmetic: division by zero");
    return Math.trunc(a / b);
  };
  const mul = bin(primary, { "*": (a, b) => a * b, "/": div, "%": (a, b) => (b === 0 ? div(a, b) : a % b) });
  const add = bin(mul, { "+": (a, b) => a + b, "-": (a, b) => a - b });
  const cmp = bin(add, { "<": (a, b) => +(a < b), ">": (a, b) => +(a > b), "<=": (a, b) => +(a <= b), ">=": (a, b) => +(a >= b) });
  const eq = bin(cmp, { "==": (a, b) => +(a === b), "!=": (a, b) => +(a !== b) });
  const and = bin(eq, { "&&": (a, b) => +(!!a && !!b) });
  const or = bin(and, { "||": (a, b) => +(!!a || !!b) });
  const v = or();
  if (i !== toks.length) throw new ShellSyntaxError(`arithmetic syntax error: ${expr}`);
  return v;
}
