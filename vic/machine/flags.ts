// Command-line flags as urfave/cli (which VIC used) reads them: `--name v`,
// `--name=v`, `-name v`, short aliases, booleans that take no value (or
// `=false`), repeatable flags. An unknown or malformed flag is one line
// naming it.

export type FlagType = "string" | "bool" | "int" | "duration" | "list";

export interface FlagSpec {
  name: string;
  aliases?: string[];
  type: FlagType;
  usage: string;
  default?: string;
  hidden?: boolean;
}

export type FlagValues = Map<string, string | boolean | number | string[]>;

export class UsageError extends Error {}

/** Go's time.ParseDuration for the units a timeout uses: "3m", "90s", "1m30s", "1h". */
export function parseDuration(s: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (s === "0") return 0;
  let rest = s;
  let total = 0;
  if (!rest) throw new UsageError(`invalid duration ""`);
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) throw new UsageError(`time: invalid duration "${s}"`);
    total += Number(m[1]) * units[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}

export function parseFlags(args: string[], specs: readonly FlagSpec[]): { values: FlagValues; positionals: string[] } {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) for (const n of [s.name, ...(s.aliases ?? [])]) byName.set(n, s);
  const values: FlagValues = new Map();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(a);
    if (!m || a === "-") {
      positionals.push(a);
      continue;
    }
    const spec = byName.get(m[1]);
    if (!spec) throw new UsageError(`flag provided but not defined: -${m[1]}`);
    let raw = m[2];
    if (spec.type === "bool") {
      if (raw === undefined) values.set(spec.name, true);
      else if (/^(1|t|true|TRUE|True)$/.test(raw)) values.set(spec.name, true);
      else if (/^(0|f|false|FALSE|False)$/.test(raw)) values.set(spec.name, false);
      else throw new UsageError(`invalid boolean value "${raw}" for -${m[1]}`);
      continue;
    }
    if (raw === undefined) {
      if (i + 1 >= args.length) throw new UsageError(`flag needs an argument: -${m[1]}`);
      raw = args[++i];
    }
    switch (spec.type) {
      case "string":
        values.set(spec.name, raw);
        break;
      case "list":
        values.set(spec.name, [...((values.get(spec.name) as string[] | undefined) ?? []), raw]);
        break;
      case "int":
        if (!/^-?\d+$/.test(raw)) throw new UsageError(`invalid value "${raw}" for flag -${m[1]}: parse error`);
        values.set(spec.name, Number(raw));
        break;
      case "duration":
        try {
          values.set(spec.name, parseDuration(raw));
        } catch {
          throw new UsageError(`invalid value "${raw}" for flag -${m[1]}: parse error`);
        }
        break;
    }
  }
  return { values, positionals };
}

export function flagHelp(specs: readonly FlagSpec[]): string {
  return specs.filter((s) => !s.hidden).map((s) => {
    const names = [s.name, ...(s.aliases ?? [])].map((n) => (n.length === 1 ? `-${n}` : `--${n}`)).join(", ");
    const value = s.type === "bool" ? "" : ` value`;
    return `   ${`${names}${value}`.padEnd(40)} ${s.usage}${s.default !== undefined ? ` (default: ${s.default})` : ""}`;
  }).join("\n");
}
