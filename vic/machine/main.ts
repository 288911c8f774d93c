// vic-machine: create, delete, ls, inspect and version, with VIC's flags.
// Usage errors are one line on stderr and exit code 1; a failed command
// has said why in its log lines and exits 1 as well (0.5's behaviour).
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { create, CREATE_FLAGS } from "./create.ts";
import { deleteVch, DELETE_FLAGS, VCH_FLAGS } from "./delete.ts";
import { flagHelp, parseFlags, UsageError, type FlagSpec } from "./flags.ts";
import { inspectVch, listVchs } from "./inspect.ts";
import { MachineLog } from "./log.ts";
import { TARGET_FLAGS } from "./target.ts";
import { VIC_ISO_VERSION } from "../lib/isos.ts";

const COMMANDS: Record<string, { usage: string; flags: FlagSpec[] }> = {
  create: { usage: "Deploy VCH", flags: CREATE_FLAGS },
  delete: { usage: "Delete VCH and associated resources", flags: DELETE_FLAGS },
  ls: { usage: "List VCHs", flags: TARGET_FLAGS },
  inspect: { usage: "Inspect VCH", flags: VCH_FLAGS },
  version: { usage: "Show VIC version information", flags: [] },
};

export interface MainIo {
  argv: string[];
  /** what the user typed the binary as (vic-machine, vic-machine-linux) */
  binary: string;
  cwd: string;
  binDir: string;
  out: (line: string) => void;
  err: (line: string) => void;
}

function usage(bin: string): string {
  return `NAME:\n   ${bin} - Create and manage Virtual Container Hosts\n\nUSAGE:\n   ${bin} command [command options]\n\nCOMMANDS:\n${Object.entries(COMMANDS).map(([n, c]) => `   ${n.padEnd(10)} ${c.usage}`).join("\n")}\n`;
}

export async function main(io: MainIo): Promise<number> {
  const [cmd, ...rest] = io.argv;
  const bin = io.binary;
  if (!cmd || cmd === "help" || cmd === "--help" || cmd === "-h") {
    io.out(usage(bin));
    return cmd ? 0 : 1;
  }
  const spec = COMMANDS[cmd];
  if (!spec) {
    io.err(`${bin}: no such command "${cmd}" (commands: ${Object.keys(COMMANDS).join(", ")})`);
    return 1;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(`NAME:\n   ${bin} ${cmd} - ${spec.usage}\n\nOPTIONS:\n${flagHelp(spec.flags)}\n`);
    return 0;
  }
  if (cmd === "version") {
    io.out(`${bin} version v${VIC_ISO_VERSION}-sim`);
    return 0;
  }
  let values;
  try {
    const parsed = parseFlags(rest, spec.flags);
    if (parsed.positionals.length) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
    values = parsed.values;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${bin} ${cmd}: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const log = new MachineLog(io.out, join(io.cwd, `${cmd === "ls" ? "list" : cmd}.log`), (values.get("debug") as number | undefined) ?? 0);
  try {
    switch (cmd) {
      case "create":
        await create(values, { log, cwd: io.cwd, binDir: io.binDir, now: () => new Date() });
        break;
      case "delete":
        await deleteVch(values, log);
        break;
      case "inspect":
        await inspectVch(values, log, io.cwd);
        break;
      case "ls":
        await listVchs(values, log, io.out);
        break;
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${bin} ${cmd}: ${e.message}`);
      return 1;
    }
    log.error((e as Error).message);
    log.error(`${bin} ${cmd} failed`);
    return 1;
  }
}

// run as a program (bin/vic-machine)
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runCli(process.argv[1]);
}

export function runCli(invokedAs: string): void {
  const binary = basename(process.env.VIC_MACHINE_NAME || invokedAs).replace(/\.(mjs|js|ts)$/, "");
  main({
    argv: process.argv.slice(2),
    binary,
    cwd: process.cwd(),
    binDir: dirname(invokedAs),
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
  }).then((code) => {
    process.exitCode = code;
    // the stdin listener of a password prompt must not keep us alive
    process.stdin.unref?.();
  }, (e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  });
}
