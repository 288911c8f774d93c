// vic-machine's output: logrus's text format with full timestamps, as the
// seed shows it (`INFO[2016-08-06T19:51:56Z] message`). Every line also goes
// to the command's log file in the current directory (0.4: create.log,
// delete.log, inspect.log), debug lines included.
import { appendFileSync } from "node:fs";

export type Level = "DEBU" | "INFO" | "WARN" | "ERRO";

export class MachineLog {
  constructor(
    private readonly out: (line: string) => void,
    private readonly file: string | undefined,
    private readonly debugLevel: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private write(level: Level, message: string): void {
    const ts = this.now().toISOString().replace(/\.\d+Z$/, "Z");
    const lines = message.split("\n").map((m) => (m ? `${level}[${ts}] ${m}` : `${level}[${ts}]`));
    if (this.file) {
      try {
        appendFileSync(this.file, `${lines.join("\n")}\n`);
      } catch {
        // a read-only working directory costs the log file, not the install
      }
    }
    if (level === "DEBU" && this.debugLevel < 1) return;
    for (const l of lines) this.out(l);
  }

  debug(m: string): void {
    this.write("DEBU", m);
  }
  info(m: string): void {
    this.write("INFO", m);
  }
  warn(m: string): void {
    this.write("WARN", m);
  }
  error(m: string): void {
    this.write("ERRO", m);
  }
}

/** A failure the command has already explained: main prints the final line and exits 1. */
export class CommandFailed extends Error {}
