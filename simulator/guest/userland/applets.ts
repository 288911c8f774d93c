// busybox-style applets over a container's file tree. Output formats and
// messages follow busybox's (the userland an Alpine or busybox image has),
// so what a container prints reads as it would on a real one.
import type { Socket } from "node:net";
import type { GuestNic } from "../../../hardware/guest-hardware.ts";
import type { GuestFs } from "../file-tree.ts";
import { LineReader, Pipe } from "./pipe.ts";
import { SIGNALS, signalName, type SimProcess, type Writer } from "./process.ts";

export interface ProcCtx {
  proc: SimProcess;
  argv: string[];
  env: Map<string, string>;
  fs: GuestFs;
  stdin: Pipe;
  stdout: Writer;
  stderr: Writer;
  signal: AbortSignal;
  isatty: boolean;
  cwd(): string;
  setCwd(p: string): void;
  /** an absolute path for `p` from the working directory */
  path(p: string): string;
  now(): Date;
  /** wait `ms` of the guest's clock; false when a signal came first */
  sleep(ms: number): Promise<boolean>;
  hostname(): string;
  setHostname(name: string): void;
  processes(): SimProcess[];
  kill(pid: number, signal: string): boolean;
  /** run a command (as `env` and `sh` do) and wait for it */
  run(argv: string[], env: Map<string, string>): Promise<number>;
  /** run a command with other streams (nc -e: a connection's), stderr the caller's unless given, and wait for it */
  runWith(argv: string[], env: Map<string, string>, io: { input: Pipe; out: Writer; err?: Writer }): Promise<number>;
  /** the namespace's network interfaces that have an address */
  nics(): readonly GuestNic[];
  /** the shell applet, given by the userland */
  shell(args: string[]): Promise<number>;
}

export type Applet = (ctx: ProcCtx) => Promise<number> | number;

const errText = (e: unknown) => {
  const code = (e as { code?: string }).code;
  return { ENOENT: "No such file or directory", EEXIST: "File exists", ENOTDIR: "Not a directory", EISDIR: "Is a directory", ENOTEMPTY: "Directory not empty", ELOOP: "Too many symbolic links", EACCES: "Permission denied", ENOSPC: "No space left on device", EINVAL: "Invalid argument", EBUSY: "Resource busy" }[code ?? ""] ?? (e as Error).message;
};

/** -abc and -n 3 style options; returns the flags, option values and the operands. */
function opts(argv: string[], withValue = ""): { f: Set<string>; v: Map<string, string>; args: string[] } {
  const f = new Set<string>();
  const v = new Map<string, string>();
  const args: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("-") && a.length > 1 && !/^-\d/.test(a)) {
      for (let j = 1; j < a.length; j++) {
        if (withValue.includes(a[j])) {
          v.set(a[j], a.slice(j + 1) || argv[++i] || "");
          break;
        }
        f.add(a[j]);
      }
    } else args.push(a);
  }
  return { f, v, args };
}

async function inputs(ctx: ProcCtx, files: string[], name: string, each: (data: Buffer, file: string) => void | Promise<void>): Promise<number> {
  let st = 0;
  for (const file of files.length ? files : ["-"]) {
    if (file === "-") {
      await each(await ctx.stdin.readAll(ctx.signal), "-");
      continue;
    }
    try {
      await each(ctx.fs.readFile(ctx.path(file)), file);
    } catch (e) {
      ctx.stderr.write(`${name}: ${file}: ${errText(e)}\n`);
      st = 1;
    }
  }
  return st;
}

function lines(data: Buffer): string[] {
  const s = data.toString("utf8");
  const out = s.split("\n");
  if (out[out.length - 1] === "") out.pop();
  return out;
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const two = (n: number) => String(n).padStart(2, "0");

function formatDate(d: Date, fmt: string): string {
  return fmt.replace(/%([a-zA-Z%])/g, (_, c: string) => {
    switch (c) {
      case "Y": return String(d.getUTCFullYear());
      case "m": return two(d.getUTCMonth() + 1);
      case "d": return two(d.getUTCDate());
      case "e": return pad(d.getUTCDate(), 2);
      case "H": return two(d.getUTCHours());
      case "M": return two(d.getUTCMinutes());
      case "S": return two(d.getUTCSeconds());
      case "s": return String(Math.floor(d.getTime() / 1000));
      case "Z": return "UTC";
      case "a": return DAYS[d.getUTCDay()];
      case "b": return MONTHS[d.getUTCMonth()];
      case "T": return `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
      case "F": return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
      case "%": return "%";
      default: return `%${c}`;
    }
  });
}

function escapes(s: string): { text: string; stop: boolean } {
  let stop = false;
  const text = s.replace(/\\(0[0-7]{0,3}|x[0-9a-fA-F]{1,2}|.)/g, (m, c: string) => {
    if (stop) return "";
    if (c === "c") {
      stop = true;
      return "";
    }
    if (c[0] === "0") return String.fromCharCode(parseInt(c.slice(1) || "0", 8));
    if (c[0] === "x") return String.fromCharCode(parseInt(c.slice(1), 16));
    return { n: "\n", t: "\t", r: "\r", a: "\x07", b: "\b", f: "\f", v: "\v", e: "\x1b", "\\": "\\" }[c] ?? m;
  });
  return { text, stop };
}

function modeString(type: string, mode: number): string {
  const t = type === "dir" ? "d" : type === "symlink" ? "l" : "-";
  const r = (m: number, s: string) => s.split("").map((ch, i) => (m & (4 >> i) ? ch : "-")).join("");
  return t + r((mode >> 6) & 7, "rwx") + r((mode >> 3) & 7, "rwx") + r(mode & 7, "rwx");
}

function psTime(p: SimProcess, now: Date): string {
  const s = Math.max(0, Math.floor(((p.endTime ?? now).getTime() - p.startTime.getTime()) / 1000));
  return `${Math.floor(s / 60)}:${two(s % 60)}`;
}

function psList(ctx: ProcCtx): string {
  const now = ctx.now();
  const rows = ctx.processes().filter((p) => p.running).map((p) => `${pad(p.pid, 5)} ${p.user.padEnd(8)} ${pad(psTime(p, now), 5)} ${p.argv.join(" ")}`);
  return `  PID USER       TIME  COMMAND\n${rows.join("\n")}\n`;
}

export const APPLETS: Record<string, Applet> = {
  true: () => 0,
  false: () => 1,

  echo(ctx) {
    const args = ctx.argv.slice(1);
    let newline = true;
    let esc = false;
    while (args.length && /^-[neE]+$/.test(args[0])) {
      const a = args.shift()!;
      if (a.includes("n")) newline = false;
      if (a.includes("e")) esc = true;
      if (a.includes("E")) esc = false;
    }
    let text = args.join(" ");
    if (esc) {
      const r = escapes(text);
      text = r.text;
      if (r.stop) newline = false;
    }
    ctx.stdout.write(text + (newline ? "\n" : ""));
    return 0;
  },

  printf(ctx) {
    const [fmt, ...rest] = ctx.argv.slice(1);
    if (fmt === undefined) {
      ctx.stderr.write("printf: usage: printf FORMAT [ARGUMENT]...\n");
      return 1;
    }
    let args = rest;
    let out = "";
    do {
      let used = 0;
      out += escapes(fmt).text.replace(/%([-0 +#]*)(\d*)(?:\.(\d+))?([sdiouxXcbf%])/g, (_m, flags: string, width: string, prec: string, conv: string) => {
        if (conv === "%") return "%";
        const a = args[used++] ?? "";
        let s: string;
        switch (conv) {
          case "d": case "i": case "u": s = String(Math.trunc(Number(a) || 0)); break;
          case "o": s = (Math.trunc(Number(a) || 0)).toString(8); break;
          case "x": s = (Math.trunc(Number(a) || 0)).toString(16); break;
          case "X": s = (Math.trunc(Number(a) || 0)).toString(16).toUpperCase(); break;
          case "f": s = (Number(a) || 0).toFixed(prec ? Number(prec) : 6); break;
          case "c": s = a.slice(0, 1); break;
          case "b": s = escapes(a).text; break;
          default: s = prec ? a.slice(0, Number(prec)) : a;
        }
        const w = Number(width || 0);
        return flags.includes("-") ? s.padEnd(w) : s.padStart(w, flags.includes("0") && conv !== "s" ? "0" : " ");
      });
      args = args.slice(used);
      if (used === 0) break;
    } while (args.length);
    ctx.stdout.write(out);
    return 0;
  },

  async cat(ctx) {
    const { args } = opts(ctx.argv);
    return inputs(ctx, args, "cat", (d) => void ctx.stdout.write(d));
  },

  ls(ctx) {
    const { f, args } = opts(ctx.argv);
    const long = f.has("l");
    const all = f.has("a") || f.has("A");
    const one = f.has("1") || long || !ctx.isatty;
    let st = 0;
    const show = (names: { name: string; path: string }[]) => {
      if (!names.length) return;
      if (!long) {
        ctx.stdout.write(one ? names.map((n) => `${n.name}\n`).join("") : `${names.map((n) => n.name).join("  ")}\n`);
        return;
      }
      for (const n of names) {
        const s = ctx.fs.lstat(n.path);
        const d = s.mtime;
        const link = s.type === "symlink" ? ` -> ${ctx.fs.readlink(n.path)}` : "";
        ctx.stdout.write(`${modeString(s.type, s.mode)} ${pad(1, 4)} ${"root".padEnd(8)} ${"root".padEnd(8)} ${pad(s.size, 9)} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate(), 2)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())} ${n.name}${link}\n`);
      }
    };
    const targets = args.length ? args : ["."];
    const files: { name: string; path: string }[] = [];
    const dirs: string[] = [];
    for (const t of targets) {
      try {
        const s = ctx.fs.stat(ctx.path(t));
        if (s.type === "dir" && !f.has("d")) dirs.push(t);
        else files.push({ name: t, path: ctx.path(t) });
      } catch (e) {
        ctx.stderr.write(`ls: ${t}: ${errText(e)}\n`);
        st = 2;
      }
    }
    show(files);
    dirs.forEach((d, i) => {
      if (targets.length > 1) ctx.stdout.write(`${files.length || i > 0 ? "\n" : ""}${d}:\n`);
      const base = ctx.path(d);
      const names = ctx.fs.readdir(base).filter((n) => all || !n.startsWith("."));
      show((all && f.has("a") ? [".", "..", ...names] : names).map((n) => ({ name: n, path: n === "." ? base : n === ".." ? ctx.path(`${d}/..`) : `${base === "/" ? "" : base}/${n}` })));
    });
    return st;
  },

  async sleep(ctx) {
    const args = ctx.argv.slice(1);
    if (!args.length) {
      ctx.stderr.write("sleep: usage: sleep [N]...\n");
      return 1;
    }
    let ms = 0;
    for (const a of args) {
      const m = /^(\d+(?:\.\d+)?|inf(?:inity)?)([smhd]?)$/.exec(a);
      if (!m) {
        ctx.stderr.write(`sleep: invalid number '${a}'\n`);
        return 1;
      }
      ms += m[1].startsWith("inf") ? Infinity : Number(m[1]) * ({ "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]] ?? 1) * 1000;
    }
    await ctx.sleep(ms);
    return 0;
  },

  async env(ctx) {
    const env = new Map(ctx.env);
    const args = ctx.argv.slice(1);
    while (args.length) {
      if (args[0] === "-i" || args[0] === "-") {
        env.clear();
        args.shift();
      } else if (args[0] === "-u") {
        args.shift();
        env.delete(args.shift() ?? "");
      } else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(args[0])) {
        const a = args.shift()!;
        env.set(a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1));
      } else break;
    }
    if (!args.length) {
      ctx.stdout.write([...env].map(([k, v]) => `${k}=${v}\n`).join(""));
      return 0;
    }
    return ctx.run(args, env);
  },

  hostname(ctx) {
    const { args } = opts(ctx.argv);
    if (args[0]) ctx.setHostname(args[0]);
    else ctx.stdout.write(`${ctx.hostname()}\n`);
    return 0;
  },

  mkdir(ctx) {
    const { f, v, args } = opts(ctx.argv, "m");
    let st = 0;
    for (const a of args) {
      try {
        ctx.fs.mkdir(ctx.path(a), { parents: f.has("p"), mode: v.has("m") ? parseInt(v.get("m")!, 8) : undefined });
      } catch (e) {
        ctx.stderr.write(`mkdir: can't create directory '${a}': ${errText(e)}\n`);
        st = 1;
      }
    }
    return st;
  },

  rm(ctx) {
    const { f, args } = opts(ctx.argv);
    let st = 0;
    for (const a of args) {
      try {
        ctx.fs.rm(ctx.path(a), { recursive: f.has("r") || f.has("R"), force: f.has("f") });
      } catch (e) {
        ctx.stderr.write(`rm: ${(e as { code?: string }).code === "EISDIR" ? `'${a}' is a directory` : `can't remove '${a}': ${errText(e)}`}\n`);
        st = 1;
      }
    }
    return st;
  },

  rmdir(ctx) {
    let st = 0;
    for (const a of opts(ctx.argv).args) {
      try {
        ctx.fs.rmdir(ctx.path(a));
      } catch (e) {
        ctx.stderr.write(`rmdir: '${a}': ${errText(e)}\n`);
        st = 1;
      }
    }
    return st;
  },

  touch(ctx) {
    let st = 0;
    for (const a of opts(ctx.argv).args) {
      const p = ctx.path(a);
      try {
        ctx.fs.writeFile(p, ctx.fs.exists(p) ? ctx.fs.readFile(p) : Buffer.alloc(0));
      } catch (e) {
        ctx.stderr.write(`touch: ${a}: ${errText(e)}\n`);
        st = 1;
      }
    }
    return st;
  },

  async wc(ctx) {
    const { f, args } = opts(ctx.argv);
    const sel = ["l", "w", "c"].filter((k) => f.has(k) || (k === "c" && f.has("m")));
    const which = sel.length ? sel : ["l", "w", "c"];
    const totals = { l: 0, w: 0, c: 0 };
    let n = 0;
    const st = await inputs(ctx, args, "wc", (d, file) => {
      const s = d.toString("utf8");
      const c = { l: (s.match(/\n/g) ?? []).length, w: s.split(/\s+/).filter(Boolean).length, c: d.length };
      for (const k of ["l", "w", "c"] as const) totals[k] += c[k];
      n++;
      const nums = which.map((k) => (which.length === 1 ? String(c[k as "l"]) : pad(c[k as "l"], 7))).join(" ");
      ctx.stdout.write(`${nums}${file === "-" ? "" : ` ${file}`}\n`);
    });
    if (n > 1) ctx.stdout.write(`${which.map((k) => pad(totals[k as "l"], 7)).join(" ")} total\n`);
    return st;
  },

  async head(ctx) {
    const argv = ctx.argv.map((a) => (/^-\d+$/.test(a) ? `-n${a.slice(1)}` : a));
    const { v, args } = opts(argv, "nc");
    const n = Number(v.get("n") ?? 10);
    if (!args.length) {
      // stop reading once there are enough lines, as head does on a pipe
      const r = new LineReader(ctx.stdin, ctx.signal);
      for (let i = 0; i < n; i++) {
        const line = await r.next();
        if (line === null) break;
        ctx.stdout.write(`${line}\n`);
      }
      ctx.stdin.close();
      return 0;
    }
    return inputs(ctx, args, "head", (d, file) => {
      if (args.length > 1) ctx.stdout.write(`==> ${file} <==\n`);
      ctx.stdout.write(lines(d).slice(0, n).map((l) => `${l}\n`).join(""));
    });
  },

  async tail(ctx) {
    const argv = ctx.argv.map((a) => (/^-\d+$/.test(a) ? `-n${a.slice(1)}` : a));
    const { v, args } = opts(argv, "nc");
    const spec = v.get("n") ?? "10";
    return inputs(ctx, args, "tail", (d, file) => {
      if (args.length > 1) ctx.stdout.write(`==> ${file} <==\n`);
      const all = lines(d);
      const out = spec.startsWith("+") ? all.slice(Number(spec.slice(1)) - 1) : all.slice(Math.max(0, all.length - Number(spec)));
      ctx.stdout.write(out.map((l) => `${l}\n`).join(""));
    });
  },

  date(ctx) {
    const fmt = ctx.argv.slice(1).find((a) => a.startsWith("+"));
    ctx.stdout.write(`${formatDate(ctx.now(), fmt ? fmt.slice(1) : "%a %b %e %T %Z %Y")}\n`);
    return 0;
  },

  id(ctx) {
    const { f } = opts(ctx.argv);
    if (f.has("u")) ctx.stdout.write(f.has("n") ? "root\n" : "0\n");
    else if (f.has("g")) ctx.stdout.write(f.has("n") ? "root\n" : "0\n");
    else ctx.stdout.write("uid=0(root) gid=0(root) groups=0(root),1(bin),2(daemon),3(sys),4(adm),6(disk),10(wheel),11(floppy),20(dialout),26(tape),27(video)\n");
    return 0;
  },

  whoami(ctx) {
    ctx.stdout.write("root\n");
    return 0;
  },

  pwd(ctx) {
    ctx.stdout.write(`${ctx.cwd()}\n`);
    return 0;
  },

  kill(ctx) {
    const args = ctx.argv.slice(1);
    let sig = "SIGTERM";
    if (args[0] === "-l") {
      ctx.stdout.write(`${Object.keys(SIGNALS).map((s) => s.slice(3)).join(" ")}\n`);
      return 0;
    }
    if (args[0] === "-s") {
      args.shift();
      sig = signalName(args.shift() ?? "") ?? "";
    } else if (args[0]?.startsWith("-")) sig = signalName(args.shift()!.slice(1)) ?? "";
    if (!sig) {
      ctx.stderr.write("kill: bad signal name\n");
      return 1;
    }
    let st = 0;
    for (const a of args) {
      if (!/^\d+$/.test(a) || !ctx.kill(Number(a), sig)) {
        ctx.stderr.write(`kill: can't kill pid ${a}: No such process\n`);
        st = 1;
      }
    }
    return st;
  },

  ps(ctx) {
    ctx.stdout.write(psList(ctx));
    return 0;
  },

  async top(ctx) {
    const { v } = opts(ctx.argv, "nd");
    const rounds = v.has("n") ? Number(v.get("n")) : Infinity;
    const delay = Number(v.get("d") ?? 1) * 1000;
    for (let i = 0; i < rounds; i++) {
      if (i > 0 && !(await ctx.sleep(delay))) break;
      const procs = ctx.processes().filter((p) => p.running);
      ctx.stdout.write(`${ctx.isatty ? "\x1b[H\x1b[J" : ""}Mem: 0K used, 0K free, 0K shrd, 0K buff, 0K cached\nCPU:   0% usr   0% sys   0% nic 100% idle   0% io   0% irq   0% sirq\nLoad average: 0.00 0.00 0.00 1/${procs.length} ${procs[procs.length - 1]?.pid ?? 0}\n  PID  PPID USER     STAT   VSZ %VSZ CPU %CPU COMMAND\n`);
      for (const p of procs) ctx.stdout.write(`${pad(p.pid, 5)} ${pad(0, 5)} ${p.user.padEnd(8)} S     ${pad(1280, 4)}   0%   0   0% ${p.argv.join(" ")}\n`);
    }
    return 0;
  },

  async yes(ctx) {
    const line = `${ctx.argv.slice(1).join(" ") || "y"}\n`;
    const chunk = line.repeat(Math.max(1, Math.floor(8192 / line.length)));
    while (!ctx.signal.aborted) {
      if (!ctx.stdout.write(chunk)) return 0;
      await new Promise((r) => setImmediate(r));
    }
    return 0;
  },

  seq(ctx) {
    const nums = ctx.argv.slice(1).filter((a) => !/^-[a-z]/.test(a)).map(Number);
    if (!nums.length || nums.some((n) => Number.isNaN(n))) {
      ctx.stderr.write("seq: usage: seq [FIRST [INC]] LAST\n");
      return 1;
    }
    const [first, inc, last] = nums.length === 1 ? [1, 1, nums[0]] : nums.length === 2 ? [nums[0], 1, nums[1]] : nums;
    const out: string[] = [];
    for (let x = first; inc > 0 ? x <= last : x >= last; x += inc) {
      out.push(String(x));
      if (out.length > 1_000_000 || inc === 0) break;
    }
    ctx.stdout.write(out.length ? `${out.join("\n")}\n` : "");
    return 0;
  },

  uname(ctx) {
    const { f } = opts(ctx.argv);
    const parts: [string, string][] = [["s", "Linux"], ["n", ctx.hostname()], ["r", "4.4.41-1.ph1-esx"], ["v", "#1-photon SMP"], ["m", "x86_64"], ["o", "GNU/Linux"]];
    const pick = f.has("a") ? parts.map((p) => p[1]) : parts.filter(([k]) => f.has(k)).map((p) => p[1]);
    ctx.stdout.write(`${(pick.length ? pick : ["Linux"]).join(" ")}\n`);
    return 0;
  },

  cp(ctx) {
    const { f, args } = opts(ctx.argv);
    if (args.length < 2) {
      ctx.stderr.write("cp: missing file operand\n");
      return 1;
    }
    const dst = args.pop()!;
    let st = 0;
    for (const src of args) {
      try {
        const sp = ctx.path(src);
        const target = ctx.fs.exists(ctx.path(dst)) && ctx.fs.stat(ctx.path(dst)).type === "dir" ? ctx.path(`${dst}/${src.split("/").pop()}`) : ctx.path(dst);
        copyTree(ctx.fs, sp, target, f.has("r") || f.has("R") || f.has("a"));
      } catch (e) {
        ctx.stderr.write(`cp: ${(e as { code?: string }).code === "EISDIR" ? `omitting directory '${src}'` : `can't copy '${src}': ${errText(e)}`}\n`);
        st = 1;
      }
    }
    return st;
  },

  mv(ctx) {
    const { args } = opts(ctx.argv);
    if (args.length < 2) {
      ctx.stderr.write("mv: missing file operand\n");
      return 1;
    }
    const dst = args.pop()!;
    let st = 0;
    for (const src of args) {
      try {
        const isDir = ctx.fs.exists(ctx.path(dst)) && ctx.fs.stat(ctx.path(dst)).type === "dir";
        ctx.fs.rename(ctx.path(src), isDir ? ctx.path(`${dst}/${src.split("/").pop()}`) : ctx.path(dst));
      } catch (e) {
        ctx.stderr.write(`mv: can't rename '${src}': ${errText(e)}\n`);
        st = 1;
      }
    }
    return st;
  },

  ln(ctx) {
    const { f, args } = opts(ctx.argv);
    if (args.length < 2) {
      ctx.stderr.write("ln: missing file operand\n");
      return 1;
    }
    const [target, link] = args;
    try {
      if (f.has("f")) ctx.fs.rm(ctx.path(link), { force: true });
      if (f.has("s")) ctx.fs.symlink(target, ctx.path(link));
      else ctx.fs.writeFile(ctx.path(link), ctx.fs.readFile(ctx.path(target)), { mode: ctx.fs.stat(ctx.path(target)).mode, exclusive: true });
      return 0;
    } catch (e) {
      ctx.stderr.write(`ln: ${link}: ${errText(e)}\n`);
      return 1;
    }
  },

  chmod(ctx) {
    const [mode, ...files] = opts(ctx.argv).args;
    let st = 0;
    for (const file of files) {
      try {
        const cur = ctx.fs.stat(ctx.path(file)).mode;
        let m: number;
        if (/^[0-7]+$/.test(mode)) m = parseInt(mode, 8);
        else {
          const r = /^([ugoa]*)([+-=])([rwx]+)$/.exec(mode);
          if (!r) throw Object.assign(new Error(`invalid mode '${mode}'`), { code: "EINVAL" });
          const bits = [...r[3]].reduce((b, c) => b | ({ r: 4, w: 2, x: 1 }[c] ?? 0), 0);
          const who = r[1] === "" || r[1].includes("a") ? 0o111 : [...r[1]].reduce((w, c) => w | ({ u: 0o100, g: 0o010, o: 0o001 }[c] ?? 0), 0);
          const mask = bits * who;
          m = r[2] === "+" ? cur | mask : r[2] === "-" ? cur & ~mask : (cur & ~(7 * who)) | mask;
        }
        ctx.fs.chmod(ctx.path(file), m);
      } catch (e) {
        ctx.stderr.write(`chmod: ${file}: ${errText(e)}\n`);
        st = 1;
      }
    }
    return st;
  },

  basename(ctx) {
    const [p = "", suffix] = ctx.argv.slice(1);
    let b = p.replace(/\/+$/, "").split("/").pop() || (p.startsWith("/") ? "/" : "");
    if (suffix && b.endsWith(suffix) && b !== suffix) b = b.slice(0, -suffix.length);
    ctx.stdout.write(`${b}\n`);
    return 0;
  },

  dirname(ctx) {
    const p = (ctx.argv[1] ?? "").replace(/\/+$/, "");
    const i = p.lastIndexOf("/");
    ctx.stdout.write(`${i < 0 ? "." : i === 0 ? "/" : p.slice(0, i)}\n`);
    return 0;
  },

  async grep(ctx) {
    const { f, args } = opts(ctx.argv, "e");
    const [pattern, ...files] = args;
    if (pattern === undefined) {
      ctx.stderr.write("grep: usage: grep [-ivcqnlF] PATTERN [FILE]...\n");
      return 2;
    }
    let re: RegExp;
    try {
      re = new RegExp(f.has("F") ? pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : pattern, f.has("i") ? "i" : "");
    } catch {
      ctx.stderr.write(`grep: bad regex '${pattern}'\n`);
      return 2;
    }
    let matched = false;
    const st = await inputs(ctx, files, "grep", (d, file) => {
      let count = 0;
      lines(d).forEach((l, i) => {
        if (re.test(l) === f.has("v")) return;
        count++;
        matched = true;
        if (f.has("q") || f.has("c") || f.has("l")) return;
        ctx.stdout.write(`${files.length > 1 ? `${file}:` : ""}${f.has("n") ? `${i + 1}:` : ""}${l}\n`);
      });
      if (f.has("c") && !f.has("q")) ctx.stdout.write(`${files.length > 1 ? `${file}:` : ""}${count}\n`);
      if (f.has("l") && count && !f.has("q")) ctx.stdout.write(`${file === "-" ? "(standard input)" : file}\n`);
    });
    return st && !f.has("q") ? 2 : matched ? 0 : 1;
  },

  async tee(ctx) {
    const { f, args } = opts(ctx.argv);
    if (!f.has("a")) for (const a of args) ctx.fs.writeFile(ctx.path(a), "");
    for (let c = await ctx.stdin.read(ctx.signal); c; c = await ctx.stdin.read(ctx.signal)) {
      ctx.stdout.write(c);
      for (const a of args) ctx.fs.writeFile(ctx.path(a), c, { append: true });
    }
    return 0;
  },

  async sort(ctx) {
    const { f, args } = opts(ctx.argv);
    const all: string[] = [];
    const st = await inputs(ctx, args, "sort", (d) => void all.push(...lines(d)));
    all.sort(f.has("n") ? (a, b) => parseFloat(a) - parseFloat(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (f.has("r")) all.reverse();
    const out = f.has("u") ? all.filter((l, i) => i === 0 || l !== all[i - 1]) : all;
    ctx.stdout.write(out.map((l) => `${l}\n`).join(""));
    return st;
  },

  async uniq(ctx) {
    const { f, args } = opts(ctx.argv);
    const all: string[] = [];
    const st = await inputs(ctx, args.slice(0, 1), "uniq", (d) => void all.push(...lines(d)));
    const groups: [string, number][] = [];
    for (const l of all) {
      if (groups.length && groups[groups.length - 1][0] === l) groups[groups.length - 1][1]++;
      else groups.push([l, 1]);
    }
    ctx.stdout.write(groups.map(([l, n]) => (f.has("c") ? `${pad(n, 7)} ${l}\n` : `${l}\n`)).join(""));
    return st;
  },

  test: (ctx) => testExpr(ctx, ctx.argv.slice(1)),
  "[": (ctx) => {
    const args = ctx.argv.slice(1);
    if (args[args.length - 1] !== "]") {
      ctx.stderr.write("[: missing ]\n");
      return 2;
    }
    return testExpr(ctx, args.slice(0, -1));
  },

  which(ctx) {
    let st = 0;
    const dirs = (ctx.env.get("PATH") ?? "/bin").split(":");
    for (const name of ctx.argv.slice(1)) {
      const hit = dirs.map((d) => `${d}/${name}`).find((p) => ctx.fs.exists(p) && ctx.fs.stat(p).type === "file");
      if (hit) ctx.stdout.write(`${hit}\n`);
      else st = 1;
    }
    return st;
  },

  sh: (ctx) => ctx.shell(ctx.argv.slice(1)),

  nc: (ctx) => netcat(ctx),
};

/**
 * busybox nc: `nc [-l] [-k|-ll] [-p PORT] [-s ADDR] [HOST PORT] [-e PROG ARGS...]`.
 * -l listens on PORT at every address the namespace has (or -s ADDR) and
 * serves one connection, -k (or -ll) one after another, each at once; -e
 * runs PROG with the connection as its stdin and stdout (stderr stays
 * nc's), otherwise the connection is nc's stdin and stdout. Without -l, a
 * client to HOST PORT. End of stdin stops reading it (as netcat 1.10: no
 * half-close); nc ends when the connection does. Real TCP on the guest's
 * own NICs.
 */
async function netcat(ctx: ProcCtx): Promise<number> {
  const ei = ctx.argv.indexOf("-e");
  const prog = ei >= 0 ? ctx.argv.slice(ei + 1) : undefined;
  const argv = ei >= 0 ? ctx.argv.slice(0, ei) : ctx.argv;
  if (prog && !prog.length) {
    ctx.stderr.write("nc: option requires an argument -- e\n");
    return 1;
  }
  const { f, v, args } = opts(argv, "pswiq");
  const listen = f.has("l");
  const keep = f.has("k") || argv.filter((a) => /^-[a-z]*l/.test(a)).length > 1 || argv.some((a) => /^-[a-z]*l[a-z]*l/.test(a));
  const fail = (m: string) => {
    ctx.stderr.write(`nc: ${m}\n`);
    return 1;
  };
  const nics = ctx.nics();
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    return s;
  };
  let stdinTaken = false;
  /** one connection, served to its end: by PROG, or by nc's own stdin and stdout */
  const serve = (sock: Socket): Promise<number> =>
    new Promise((resolve) => {
      if (prog) {
        const input = new Pipe();
        sock.on("data", (d: Buffer) => input.write(d));
        sock.on("end", () => input.end());
        sock.on("close", () => input.end());
        const out: Writer = { write: (d) => (sock.writable ? sock.write(d) : false), end: () => sock.end() };
        void ctx.runWith(prog, ctx.env, { input, out }).then(
          (code) => (sock.end(), resolve(code)),
          (e: Error) => (ctx.stderr.write(`nc: ${e.message}\n`), sock.destroy(), resolve(1)),
        );
        return;
      }
      sock.on("data", (d: Buffer) => ctx.stdout.write(d));
      // the far side's end is nc's (netcat 1.10 quits on EOF from the network)
      sock.on("end", () => sock.end());
      sock.on("close", () => resolve(0));
      if (stdinTaken) return;
      stdinTaken = true;
      void (async () => {
        for (let c = await ctx.stdin.read(ctx.signal); c; c = await ctx.stdin.read(ctx.signal)) if (sock.writable) sock.write(c);
      })();
    });
  const aborted = new Promise<number>((resolve) => {
    if (ctx.signal.aborted) resolve(1);
    ctx.signal.addEventListener("abort", () => resolve(1), { once: true });
  });

  if (listen) {
    const port = Number(v.get("p") ?? (args.length === 1 ? args[0] : ""));
    if (!Number.isInteger(port) || port < 1 || port > 65535) return fail(v.has("p") || args.length ? `invalid port '${v.get("p") ?? args[0]}'` : "-l needs -p PORT");
    const on = v.has("s") ? nics.filter((n) => n.ipAddress === v.get("s")) : nics;
    if (!on.length) return fail(v.has("s") ? `bind: Cannot assign requested address` : "bind: Network is unreachable");
    const servers: import("node:net").Server[] = [];
    let done!: (code: number) => void;
    const finished = new Promise<number>((r) => (done = r));
    let taken = false;
    const accept = (sock: Socket) => {
      track(sock);
      if (!keep) {
        // one connection: the listeners go as it arrives, as busybox closes its listening socket
        if (taken) return void sock.destroy();
        taken = true;
        for (const l of servers) l.close();
      }
      void serve(sock).then((code) => {
        if (!keep) done(code);
      });
    };
    try {
      for (const n of on) servers.push(await n.listen(port, accept));
    } catch (e) {
      for (const l of servers) l.close();
      return fail((e as { code?: string }).code === "EADDRINUSE" ? "bind: Address in use" : `bind: ${(e as Error).message}`);
    }
    const code = await Promise.race([finished, aborted]);
    for (const l of servers) l.close();
    for (const s of sockets) s.destroy();
    return code;
  }

  const [host, portArg] = args;
  const port = Number(portArg);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    ctx.stderr.write("BusyBox v1.25.1 (simulated) multi-call binary.\n\nUsage: nc [-iN] [-wN] [-l] [-p PORT] [-f FILE|IPADDR PORT] [-e PROG]\n");
    return 1;
  }
  // the NIC on the destination's subnet, else the first (the default route)
  const prefix = (ip: string | undefined) => ip?.split(".").slice(0, 3).join(".");
  const nic = nics.find((n) => prefix(n.ipAddress) === prefix(host)) ?? nics[0];
  if (!nic) return fail(`can't connect to remote host (${host}): Network is unreachable`);
  const sock = track(nic.connect(host, port));
  const connected = await new Promise<Error | undefined>((resolve) => {
    sock.once("connect", () => resolve(undefined));
    sock.once("error", (e) => resolve(e));
  });
  if (connected) {
    const code = (connected as { code?: string }).code;
    const why = code === "ECONNREFUSED" ? "Connection refused" : code === "ENOTFOUND" ? "bad address" : connected.message;
    return fail(code === "ENOTFOUND" ? `bad address '${host}'` : `can't connect to remote host (${host}): ${why}`);
  }
  const code = await Promise.race([serve(sock), aborted]);
  sock.destroy();
  return code;
}

APPLETS.ash = APPLETS.sh;

function copyTree(fs: GuestFs, src: string, dst: string, recursive: boolean): void {
  const s = fs.stat(src);
  if (s.type !== "dir") {
    fs.writeFile(dst, fs.readFile(src), { mode: s.mode });
    return;
  }
  if (!recursive) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
  if (!fs.exists(dst)) fs.mkdir(dst, { mode: s.mode });
  for (const n of fs.readdir(src)) copyTree(fs, `${src}/${n}`, `${dst}/${n}`, true);
}

function testExpr(ctx: ProcCtx, a: string[]): number {
  const isT = (b: boolean) => (b ? 0 : 1);
  const stat = (p: string) => {
    try {
      return ctx.fs.stat(ctx.path(p));
    } catch {
      return undefined;
    }
  };
  if (a[0] === "!") return testExpr(ctx, a.slice(1)) === 0 ? 1 : 0;
  if (a.length === 0) return 1;
  if (a.length === 1) return isT(a[0] !== "");
  if (a.length === 2) {
    const [op, x] = a;
    switch (op) {
      case "-z": return isT(x === "");
      case "-n": return isT(x !== "");
      case "-e": return isT(!!stat(x));
      case "-f": return isT(stat(x)?.type === "file");
      case "-d": return isT(stat(x)?.type === "dir");
      case "-s": return isT((stat(x)?.size ?? 0) > 0);
      case "-x": return isT(((stat(x)?.mode ?? 0) & 0o111) !== 0);
      case "-r": case "-w": return isT(!!stat(x));
      case "-L": case "-h":
        try {
          return isT(ctx.fs.lstat(ctx.path(x)).type === "symlink");
        } catch {
          return 1;
        }
    }
  }
  if (a.length >= 3) {
    const i = a.indexOf("-a") > 0 ? a.indexOf("-a") : a.indexOf("-o");
    if (i > 0 && a.length > 3) {
      const l = testExpr(ctx, a.slice(0, i)) === 0;
      const r = testExpr(ctx, a.slice(i + 1)) === 0;
      return isT(a[i] === "-a" ? l && r : l || r);
    }
    const [x, op, y] = a;
    const n = (s: string) => Number(s);
    switch (op) {
      case "=": case "==": return isT(x === y);
      case "!=": return isT(x !== y);
      case "-eq": return isT(n(x) === n(y));
      case "-ne": return isT(n(x) !== n(y));
      case "-lt": return isT(n(x) < n(y));
      case "-le": return isT(n(x) <= n(y));
      case "-gt": return isT(n(x) > n(y));
      case "-ge": return isT(n(x) >= n(y));
    }
  }
  ctx.stderr.write(`test: ${a.join(" ")}: unknown operand\n`);
  return 2;
}
