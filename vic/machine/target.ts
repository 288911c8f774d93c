// --target, --user, --password and --thumbprint: an SDK URL that may carry
// the user, the password and a datacenter (`user:pass@host/datacenter`),
// and a logged-in session. The password, if neither flag nor URL has it,
// is asked for on the terminal as VIC does.
import { VimClient } from "../../vim25/client/index.ts";
import { isVimFault } from "../../vim25/soap/index.ts";
import { UsageError, type FlagSpec, type FlagValues } from "./flags.ts";
import type { MachineLog } from "./log.ts";

/** every command's flags for reaching vSphere, with the time limit and the debug level */
export const TARGET_FLAGS: FlagSpec[] = [
  { name: "target", aliases: ["t"], type: "string", usage: "ESXi or vCenter connection URL, with user, password and datacenter: user:password@host/datacenter" },
  { name: "user", aliases: ["u"], type: "string", usage: "ESX or vCenter user" },
  { name: "password", aliases: ["p"], type: "string", usage: "ESX or vCenter password (asked for when not given)" },
  { name: "thumbprint", type: "string", usage: "ESX or vCenter host certificate thumbprint" },
  { name: "timeout", type: "duration", usage: "time limit for the command", default: "3m0s" },
  { name: "debug", aliases: ["v"], type: "int", usage: "debug level: 1 and above log more; above 2 the appliance stops relaunching components", default: "0" },
];

/** --target and its credentials, the password asked for on the terminal when neither the flags nor the URL give it */
export async function targetFrom(values: FlagValues, log: MachineLog): Promise<Target> {
  const str = (k: string) => values.get(k) as string | undefined;
  const target = parseTarget(str("target"), str("user"), str("password"));
  if (target.password === undefined) target.password = await promptPassword((l) => log.info(l));
  return target;
}

export interface Target {
  /** https://host[:port]/sdk */
  sdk: string;
  host: string;
  user: string;
  password: string | undefined;
  /** the datacenter named in the URL path, if any */
  datacenter: string | undefined;
}

export function parseTarget(target: string | undefined, user: string | undefined, password: string | undefined): Target {
  if (!target) throw new UsageError("--target argument must be specified");
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target : `https://${target}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new UsageError(`--target ${target}: not a URL`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new UsageError(`--target ${target}: the scheme must be https`);
  const parts = decodeURIComponent(u.pathname).split("/").filter(Boolean);
  if (parts[parts.length - 1] === "sdk") parts.pop();
  // lib/install/validate: the only path element allowed is the datacenter
  if (parts.length > 1) throw new UsageError(`--target ${target}: the path may name only a datacenter`);
  const urlUser = u.username ? decodeURIComponent(u.username) : undefined;
  const urlPassword = u.password ? decodeURIComponent(u.password) : undefined;
  const finalUser = user ?? urlUser;
  if (!finalUser) throw new UsageError("--user must be specified, or the user given in --target");
  return {
    sdk: `${u.protocol}//${u.host}/sdk`,
    host: u.host,
    user: finalUser,
    password: password ?? urlPassword,
    datacenter: parts[0],
  };
}

/** Read the password from the terminal without echo, or one line from a pipe. */
export async function promptPassword(ask: (line: string) => void): Promise<string> {
  ask("Please enter ESX or vCenter password:");
  const stdin = process.stdin;
  const tty = stdin.isTTY;
  if (tty) stdin.setRawMode(true);
  return new Promise((resolve, reject) => {
    let buf = "";
    const done = (err?: Error) => {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      if (tty) stdin.setRawMode(false);
      stdin.pause();
      if (err) reject(err);
      else resolve(buf);
    };
    const onData = (d: Buffer) => {
      for (const ch of d.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") return done(new Error("interrupted"));
        if (ch === "\u007f") buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    const onEnd = () => (buf ? done() : done(new Error("no password given: use --password, or put it in --target")));
    stdin.on("data", onData);
    stdin.on("end", onEnd);
    stdin.resume();
  });
}

/** Log in; a bad password or an unreachable host is one clear message. */
export async function login(t: Target, thumbprint: string | undefined): Promise<VimClient> {
  try {
    return await VimClient.connect(t.sdk, {
      username: t.user, password: t.password ?? "",
      thumbprint, insecure: !thumbprint,
      userAgent: "vic-machine/0.4.0",
    });
  } catch (e) {
    if (isVimFault(e) && e.type === "InvalidLogin") throw new Error(`Failed to log in to ${t.host}: Cannot complete login due to an incorrect user name or password.`);
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ECONNREFUSED" || err.code === "ENOTFOUND" || err.code === "EHOSTUNREACH") throw new Error(`Failed to connect to ${t.sdk}: ${err.code === "ENOTFOUND" ? "no such host" : "connection refused"}`);
    throw new Error(`Failed to connect to ${t.sdk}: ${err.message}`);
  }
}
