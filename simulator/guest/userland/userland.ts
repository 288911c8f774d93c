// The simulated userland of a container: processes with a PID namespace of
// their own, run over the container's file tree. An executable is
//   - a script: "#!INTERPRETER [ARG]" runs INTERPRETER with the script, as
//     execve does (so "#!/bin/sh" needs /bin/sh in the image);
//   - a simulated binary: "#!/sim/busybox" is the busybox multi-call binary
//     (the applet is the name it is run by: /bin/ls -> busybox runs `ls`),
//     "#!/sim/NAME" runs applet NAME with the file as its script; /sim/ is
//     the simulated CPU and needs nothing in the image;
//   - anything else, a native ELF binary included, fails as execve does:
//     "exec format error", exit 126. Never silently.
import type { Clock } from "../../clock.ts";
import type { GuestFs } from "../file-tree.ts";
import { normalizePath } from "../file-tree.ts";
import { Pipe } from "./pipe.ts";
import { SimProcess, signalName, type ExitStatus, type Io, type Tty, type Writer } from "./process.ts";
import { APPLETS, type ProcCtx } from "./applets.ts";
import { Shell } from "./shell.ts";

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
// What a simulated busybox binary holds: an image puts it in /bin/busybox and links applets to it.
export { BUSYBOX_BINARY } from "../../../hardware/guest-hardware.ts";
import type { GuestNic, SpawnOptions } from "../../../hardware/guest-hardware.ts";
const MAX_INTERPRETERS = 4;
/** what busybox ash does without exec (its builtins that are applets too) */
const ASH_BUILTIN_APPLETS = new Set(["echo", "printf", "test", "[", "true", "false", "pwd", "kill"]);
const KEEP_FINISHED = 256;

export interface UserlandOptions {
  /** the container's root file tree */
  root: GuestFs;
  hostname: string;
  clock: Clock;
  /** the interfaces network applets (nc) listen and connect on; none: the namespace has no network */
  nics?: readonly GuestNic[];
}

export type { SpawnOptions };

export class Userland {
  readonly fs: GuestFs;
  hostname: string;
  private readonly clock: Clock;
  private readonly nics: readonly GuestNic[];
  private nextPid = 1;
  private readonly table = new Map<number, SimProcess>();

  constructor(opts: UserlandOptions) {
    this.fs = opts.root;
    this.hostname = opts.hostname;
    this.clock = opts.clock;
    this.nics = opts.nics ?? [];
  }

  /** The applets this userland runs, by name. */
  static applets(): string[] {
    return Object.keys(APPLETS).sort();
  }

  processes(): SimProcess[] {
    return [...this.table.values()];
  }

  get(pid: number): SimProcess | undefined {
    return this.table.get(pid);
  }

  kill(pid: number, signal: string): boolean {
    const p = this.table.get(pid);
    return !!p && p.kill(signal, this.clock.now());
  }

  /** Start a program; its streams are the process's own pipes (and terminal). */
  spawn(opts: SpawnOptions): SimProcess {
    const env = opts.env instanceof Map ? new Map(opts.env) : new Map(Object.entries(opts.env ?? {}));
    if (!env.has("PATH")) env.set("PATH", DEFAULT_PATH);
    if (!env.has("HOSTNAME")) env.set("HOSTNAME", this.hostname);
    if (!env.has("HOME")) env.set("HOME", "/root");
    if (opts.tty && !env.has("TERM")) env.set("TERM", "xterm");
    const proc = this.newProcess(opts.argv, env, normalizePath(opts.cwd ?? "/") , opts.tty, opts.user ?? "root");
    proc.onInterrupt = () => this.interruptForeground(proc);
    void this.start(proc);
    return proc;
  }

  /** Run a command with a parent's streams and wait for it (the shell's children). */
  async run(argv: string[], env: Map<string, string>, cwd: string, io: Io, tty: Tty | undefined): Promise<number> {
    const proc = this.newProcess(argv, env, cwd, tty, "root", io);
    await this.start(proc);
    return proc.status!.exitCode;
  }

  private newProcess(argv: string[], env: Map<string, string>, cwd: string, tty: Tty | undefined, user: string, io?: Io): SimProcess {
    const pid = this.nextPid++;
    const proc = new SimProcess(pid, argv, env, `/${normalizePath(cwd)}`.replace(/^\/+/, "/"), this.clock.now(), tty, user, io);
    this.table.set(pid, proc);
    // the namespace's first process is its init: when it ends (or is killed), everything in it goes
    if (pid === 1) void proc.wait().then(() => {
      for (const p of this.table.values()) if (p.running) p.kill("SIGKILL", this.clock.now());
    });
    const finished = [...this.table.values()].filter((p) => !p.running);
    for (const p of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.table.delete(p.pid);
    return proc;
  }

  /** ^C on a terminal: SIGINT to the newest process still running on it. */
  private interruptForeground(root: SimProcess): void {
    const running = this.processes().filter((p) => p.running && p.pid >= root.pid);
    const target = running[running.length - 1] ?? root;
    // an interactive shell at its prompt ignores SIGINT (as ash does): ^C only drops the line typed
    if (target === root && /^-?(sh|ash)$/.test(root.name)) return;
    target.kill("SIGINT", this.clock.now());
  }

  private async start(proc: SimProcess): Promise<ExitStatus> {
    let code: number;
    try {
      code = await this.exec(proc, proc.argv, 0);
    } catch (e) {
      proc.err.write(`${proc.name}: ${(e as Error).message}\n`);
      code = 1;
    }
    proc.finish({ exitCode: code & 0xff }, this.clock.now());
    return proc.status!;
  }

  private ctx(proc: SimProcess, argv: string[]): ProcCtx {
    const fs = this.fs;
    const clock = this.clock;
    return {
      proc,
      argv,
      env: proc.env,
      fs,
      stdin: proc.input,
      stdout: guard(proc, proc.out),
      stderr: guard(proc, proc.err),
      signal: proc.abort.signal,
      isatty: !!proc.tty,
      cwd: () => proc.cwd,
      setCwd: (p) => (proc.cwd = p),
      path: (p) => `/${normalizePath(p, proc.cwd)}`,
      now: () => clock.now(),
      sleep: (ms) =>
        new Promise<boolean>((resolve) => {
          if (proc.abort.signal.aborted) return resolve(false);
          const cancel = Number.isFinite(ms) ? clock.setTimeout(() => done(true), ms) : () => {};
          const done = (v: boolean) => {
            cancel();
            proc.abort.signal.removeEventListener("abort", onAbort);
            resolve(v);
          };
          const onAbort = () => done(false);
          proc.abort.signal.addEventListener("abort", onAbort, { once: true });
        }),
      hostname: () => this.hostname,
      setHostname: (n) => (this.hostname = n),
      processes: () => this.processes(),
      kill: (pid, sig) => this.kill(pid, sig),
      run: (a, env) => this.run(a, env, proc.cwd, { input: proc.input, out: proc.out, err: proc.err }, proc.tty),
      runWith: (a, env, io) => this.run(a, env, proc.cwd, { input: io.input, out: io.out, err: io.err ?? proc.err }, undefined),
      nics: () => this.nics.filter((n) => n.ipAddress),
      shell: (args) => this.shell(proc, args),
    };
  }

  /** execve: find the file, then run what it is. */
  private async exec(proc: SimProcess, argv: string[], depth: number): Promise<number> {
    const err = (m: string) => proc.err.write(`${m}\n`);
    const name = argv[0] ?? "";
    if (!name) {
      err("exec: no command");
      return 127;
    }
    const path = this.lookup(name, proc.env.get("PATH") ?? DEFAULT_PATH, proc.cwd);
    if (!path) {
      err(name.includes("/") ? `exec ${name}: no such file or directory` : `${name}: not found`);
      return 127;
    }
    let data: Buffer;
    try {
      const st = this.fs.stat(path);
      if (st.type === "dir") {
        err(`exec ${name}: is a directory`);
        return 126;
      }
      if ((st.mode & 0o111) === 0) {
        err(`exec ${name}: permission denied`);
        return 126;
      }
      data = this.fs.readFile(path);
    } catch {
      err(`exec ${name}: no such file or directory`);
      return 127;
    }
    const m = /^#!\s*(\S+)(?:[ \t]+([^\n]*?))?[ \t]*(?:\n|$)/.exec(data.subarray(0, 256).toString("latin1"));
    if (!m || depth >= MAX_INTERPRETERS) {
      err(`exec ${name}: exec format error`);
      return 126;
    }
    const [, interp, arg] = m;
    if (interp === "/sim/busybox") {
      let applet = argv[0].split("/").pop()!;
      let args = argv;
      if (applet === "busybox") {
        if (argv.length === 1) {
          proc.out.write(`BusyBox v1.25.1 (simulated) multi-call binary.\n\nCurrently defined functions:\n\t${Userland.applets().join(", ")}\n`);
          return 0;
        }
        applet = argv[1];
        args = argv.slice(1);
      }
      return this.applet(proc, applet, args);
    }
    const rest = [...(arg ? [arg] : []), path, ...argv.slice(1)];
    if (interp.startsWith("/sim/")) return this.applet(proc, interp.slice(5), [interp.slice(5), ...rest]);
    return this.exec(proc, [interp, ...rest], depth + 1);
  }

  private async applet(proc: SimProcess, name: string, argv: string[]): Promise<number> {
    const fn = APPLETS[name];
    if (!fn) {
      proc.err.write(`${name}: applet not found\n`);
      return 127;
    }
    return fn(this.ctx(proc, argv));
  }

  /** A command name to a file: a path as given, else the first match on PATH. */
  private lookup(name: string, path: string, cwd: string): string | undefined {
    if (name.includes("/")) {
      const p = `/${normalizePath(name, cwd)}`;
      return this.fs.exists(p) ? p : undefined;
    }
    for (const dir of path.split(":")) {
      const p = `/${normalizePath(`${dir || "."}/${name}`, cwd)}`;
      try {
        if (this.fs.stat(p).type === "file") return p;
      } catch {
        // not there: next directory
      }
    }
    return undefined;
  }

  /** The `sh` applet: -c STRING, a script file, or commands from stdin (a prompt on a terminal). */
  private async shell(proc: SimProcess, args: string[]): Promise<number> {
    const io = { input: proc.input, out: guard(proc, proc.out), err: guard(proc, proc.err) };
    const host = {
      pid: proc.pid,
      abort: proc.abort.signal,
      run: (argv: string[], env: Map<string, string>, cwd: string, sio: { input: Pipe; out: Writer; err: Writer }) => this.run(argv, env, cwd, sio, proc.tty),
      // busybox ash runs these itself, so a script works in an image with no /bin/echo (hello-world's /hello)
      builtin: (argv: string[], env: Map<string, string>, cwd: string, sio: { input: Pipe; out: Writer; err: Writer }) => {
        if (!ASH_BUILTIN_APPLETS.has(argv[0]) || !APPLETS[argv[0]]) return undefined;
        const child = this.newProcess(argv, env, cwd, proc.tty, proc.user, sio);
        return this.applet(child, argv[0], argv).then((code) => {
          child.finish({ exitCode: code & 0xff }, this.clock.now());
          return code;
        }, (e: Error) => {
          sio.err.write(`${argv[0]}: ${e.message}\n`);
          child.finish({ exitCode: 1 }, this.clock.now());
          return 1;
        });
      },
      openWrite: (p: string, cwd: string, append: boolean): Writer => {
        const path = `/${normalizePath(p, cwd)}`;
        if (path === "/dev/null") return { write: () => true };
        if (path === "/dev/stdout") return io.out;
        if (path === "/dev/stderr") return io.err;
        this.fs.writeFile(path, Buffer.alloc(0), { append });
        return { write: (d) => (this.fs.writeFile(path, typeof d === "string" ? Buffer.from(d) : d, { append: true }), true) };
      },
      openRead: (p: string, cwd: string): Pipe => {
        const path = `/${normalizePath(p, cwd)}`;
        const pipe = new Pipe();
        if (path !== "/dev/null") pipe.write(this.fs.readFile(path));
        pipe.end();
        return pipe;
      },
      chdir: (p: string, cwd: string) => {
        const path = `/${normalizePath(p, cwd)}`;
        if (this.fs.stat(path).type !== "dir") throw Object.assign(new Error(`can't cd to ${p}: Not a directory`), { code: "ENOTDIR" });
        proc.cwd = path;
        return path;
      },
      trap: (signal: string, handler: (() => void) | undefined) => {
        const name = signalName(signal);
        if (!name) return false;
        if (handler) proc.trap(name, handler);
        return true;
      },
      readScript: (p: string, cwd: string) => this.fs.readFile(`/${normalizePath(p, cwd)}`).toString("utf8"),
    };
    // options other than -c (-e, -x, -i ...) are taken and not acted on
    while (args.length && /^-[a-z]+$/.test(args[0]) && args[0] !== "-c") args.shift();
    let sh: Shell;
    let run: () => Promise<number>;
    if (args[0] === "-c") {
      if (args[1] === undefined) {
        io.err.write("sh: -c requires an argument\n");
        return 2;
      }
      const src = args[1];
      sh = new Shell(host, proc.env, proc.cwd, args[2] ?? "sh", args.slice(3));
      run = () => sh.runSource(src, io);
    } else if (args[0] !== undefined) {
      let src: string;
      try {
        src = this.fs.readFile(`/${normalizePath(args[0], proc.cwd)}`).toString("utf8");
      } catch {
        io.err.write(`sh: can't open '${args[0]}': No such file or directory\n`);
        return 2;
      }
      sh = new Shell(host, proc.env, proc.cwd, args[0], args.slice(1));
      run = () => sh.runSource(src.replace(/^#![^\n]*\n/, "\n"), io);
    } else {
      sh = new Shell(host, proc.env, proc.cwd, "sh", []);
      run = () => sh.interactive(io, !!proc.tty);
    }
    const st = await run();
    await sh.exitTrap(io);
    return st;
  }
}

/** A process's writes stop when it has been killed (its fds are closed). */
function guard(proc: SimProcess, w: Writer): Writer {
  return { write: (d) => (proc.running ? w.write(d) : false), end: () => w.end?.() };
}
