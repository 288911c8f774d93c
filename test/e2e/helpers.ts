// What the end-to-end tests share: the real docker CLI, run asynchronously
// (the daemon it talks to lives in this process) with a hard timeout, and
// vic-machine run in process with its lines' timestamps stripped.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { main } from "../../vic/machine/main.ts";

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** the call hit its timeout and was killed */
  timedOut: boolean;
}

export interface DockerOptions {
  /** DOCKER_CERT_PATH */
  certPath?: string;
  input?: string;
  /** kill the client after this long (attach, logs -f): not a failure */
  killAfterMs?: number;
  timeoutMs?: number;
}

/** `docker ARGS` with HOME and the config in `cwd`, so nothing of the machine's own leaks in */
export function docker(cwd: string, args: string[], opts: DockerOptions = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const env = { ...process.env, HOME: cwd, DOCKER_CONFIG: join(cwd, ".docker"), ...(opts.certPath ? { DOCKER_CERT_PATH: opts.certPath } : {}) };
    const child = spawn("docker", args, { cwd, env });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const hard = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? 45_000);
    const soft = opts.killAfterMs ? setTimeout(() => child.kill("SIGKILL"), opts.killAfterMs) : undefined;
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.stdin.end(opts.input ?? "");
    child.on("close", (status) => {
      clearTimeout(hard);
      if (soft) clearTimeout(soft);
      resolve({ status, stdout, stderr, timedOut });
    });
  });
}

/** "INFO[2016-08-06T19:51:56Z] x" -> "INFO x" */
export const stripTime = (l: string) => l.replace(/^(INFO|WARN|ERRO|DEBU)\[[^\]]+\] ?/, "$1 ");

/** vic-machine ARGV in process, in `cwd` */
export async function machine(cwd: string, argv: string[]): Promise<{ code: number; lines: string[]; err: string[] }> {
  const lines: string[] = [];
  const err: string[] = [];
  const code = await main({ argv, binary: "vic-machine", cwd, binDir: cwd, out: (l) => lines.push(stripTime(l)), err: (l) => err.push(l) });
  return { code, lines, err };
}

/** the DOCKER_HOST address create printed */
export const dockerHost = (lines: string[]) => lines.map((l) => /DOCKER_HOST=([\d.]+):237[56]/.exec(l)?.[1]).find(Boolean);

/**
 * `docker -H VCH:2376 --tls ...` against the VCH created in `cwd()` as VCH001;
 * a call that hits its timeout fails the test. Getters, as both are known
 * only once beforeAll has run.
 */
export function dockerOnVch(cwd: () => string, ip: () => string): (args: string[], opts?: Omit<DockerOptions, "certPath">) => Promise<CliRun> {
  return async (args, opts = {}) => {
    const r = await docker(cwd(), ["-H", `${ip()}:2376`, "--tls", ...args], { certPath: join(cwd(), "VCH001"), ...opts });
    if (r.timedOut) throw new Error(`docker ${args.join(" ")} hung`);
    return r;
  };
}
