// Processes of the simulated userland: argv, environment, working
// directory, three pipes, an exit code, signals, and a terminal when asked
// for (docker run -t): output gets "\r\n", input is echoed and edited a
// line at a time, ^C is SIGINT and ^D the end of input, as a Linux tty in
// its default (cooked) mode.
import { Pipe } from "./pipe.ts";

export const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10,
  SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGWINCH: 28,
};

/** "TERM", "SIGTERM", "15", 15 -> "SIGTERM"; undefined for anything else. */
export function signalName(s: string | number): string | undefined {
  if (typeof s === "number" || /^\d+$/.test(s)) return Object.keys(SIGNALS).find((k) => SIGNALS[k] === Number(s));
  const up = s.toUpperCase();
  const name = up.startsWith("SIG") ? up : `SIG${up}`;
  return name in SIGNALS ? name : undefined;
}

// signals whose default action is to do nothing
const IGNORED_BY_DEFAULT = new Set(["SIGCHLD", "SIGCONT", "SIGWINCH"]);

export interface ExitStatus {
  exitCode: number;
  /** the signal that ended it, if one did */
  signal?: string;
}

/** Where a program's output goes: a pipe, a file, the terminal. */
export interface Writer {
  write(d: Buffer | string): boolean;
  end?(): void;
}

/** A program's three streams when its parent (a shell) wires them, as for a pipeline stage or a redirection. */
export interface Io {
  input: Pipe;
  out: Writer;
  err: Writer;
}

export interface Tty {
  rows: number;
  cols: number;
}

/**
 * A running program. `stdin` is written by whoever started it; `stdout`
 * and `stderr` are read by them (with a terminal, both are the terminal:
 * stderr stays empty).
 */
export class SimProcess {
  readonly stdin = new Pipe();
  readonly stdout = new Pipe();
  readonly stderr = new Pipe();
  readonly startTime: Date;
  endTime: Date | undefined;
  status: ExitStatus | undefined;
  /** aborted when a signal ends the process: programs stop waiting */
  readonly abort = new AbortController();
  /** what the program reads (through the line discipline with a terminal) */
  readonly input: Pipe;
  /** what the program writes to (onlcr with a terminal) */
  readonly out: Writer;
  readonly err: Writer;
  /** the streams are the parent's: finishing does not end them */
  private readonly wired: boolean;
  private readonly exited: Promise<ExitStatus>;
  private resolveExit!: (s: ExitStatus) => void;
  private readonly handlers = new Map<string, () => void>();
  tty: Tty | undefined;

  constructor(
    readonly pid: number,
    readonly argv: string[],
    readonly env: Map<string, string>,
    public cwd: string,
    now: Date,
    tty: Tty | undefined,
    readonly user: string,
    io?: Io,
  ) {
    this.startTime = now;
    this.tty = tty ? { ...tty } : undefined;
    this.exited = new Promise((r) => (this.resolveExit = r));
    this.wired = !!io;
    if (io) {
      this.input = io.input;
      this.out = io.out;
      this.err = io.err;
    } else if (tty) {
      const toTty = (d: Buffer | string) => this.stdout.write(Buffer.from((typeof d === "string" ? d : d.toString("utf8")).replace(/\r?\n/g, "\r\n"), "utf8"));
      this.out = { write: toTty, end: () => this.stdout.end() };
      this.err = { write: toTty, end: () => {} };
      this.input = new Pipe();
      this.lineDiscipline();
    } else {
      this.out = this.stdout;
      this.err = this.stderr;
      this.input = this.stdin;
    }
  }

  get name(): string {
    return (this.argv[0] ?? "").split("/").pop() ?? "";
  }

  get running(): boolean {
    return this.status === undefined;
  }

  wait(): Promise<ExitStatus> {
    return this.exited;
  }

  /** The program ended (or a signal ended it): close its output and record why. */
  finish(status: ExitStatus, now: Date): void {
    if (this.status) return;
    this.status = status;
    this.endTime = now;
    if (!this.wired) {
      this.out.end?.();
      this.stderr.end();
      this.input.close();
    }
    this.abort.abort();
    this.resolveExit(status);
  }

  /** A handler for a signal (a shell's `trap`, a program that cleans up); it replaces the default action. */
  trap(signal: string, handler: () => void): void {
    this.handlers.set(signal, handler);
  }

  /** Deliver a signal; returns false when the process is already gone. */
  kill(signal: string, now: Date): boolean {
    if (!this.running) return false;
    const name = signalName(signal) ?? "SIGTERM";
    const h = this.handlers.get(name);
    if (h && name !== "SIGKILL" && name !== "SIGSTOP") {
      h();
      return true;
    }
    if (IGNORED_BY_DEFAULT.has(name)) return true;
    this.finish({ exitCode: 128 + SIGNALS[name], signal: name }, now);
    return true;
  }

  resize(rows: number, cols: number): void {
    if (this.tty) this.tty = { rows, cols };
    this.handlers.get("SIGWINCH")?.();
  }

  /** Cooked mode: echo, erase, ^C, ^D, CR to NL, lines delivered whole. */
  private lineDiscipline(): void {
    let line = "";
    this.stdin.onData((d) => {
      for (const ch of d.toString("utf8")) {
        if (ch === "\x03") {
          this.stdout.write("^C\r\n");
          line = "";
          this.onInterrupt?.();
        } else if (ch === "\x04") {
          if (line) {
            this.input.write(line);
            line = "";
          } else this.input.end();
        } else if (ch === "\x7f" || ch === "\b") {
          if (line) {
            line = line.slice(0, -1);
            this.stdout.write("\b \b");
          }
        } else if (ch === "\r" || ch === "\n") {
          this.stdout.write("\r\n");
          this.input.write(`${line}\n`);
          line = "";
        } else {
          line += ch;
          this.stdout.write(ch);
        }
      }
    });
    this.stdin.onEnd(() => this.input.end());
  }

  /** ^C on the terminal: the userland sends SIGINT to the foreground process. */
  onInterrupt: (() => void) | undefined;
}
