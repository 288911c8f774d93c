// Runs a pyVmomi script of this folder (HOST PORT USER PASSWORD) against a
// simulator and returns the one JSON object it prints.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";

export async function pyvmomiScript(script: string, sim: RunningSimulator, extra: string[] = []): Promise<any> {
  const path = new URL(`./${script}`, import.meta.url).pathname;
  const { stdout } = await promisify(execFile)("/usr/bin/python3", [path, "127.0.0.1", String(sim.port), sim.username, sim.password, ...extra], { timeout: 60_000 });
  return JSON.parse(stdout);
}

/** The script against a fresh simulator of `scenario`, closed afterwards. */
export async function runPyvmomi(script: string, scenario: string): Promise<any> {
  const sim = await startSimulator({ scenario });
  try {
    return await pyvmomiScript(script, sim);
  } finally {
    await sim.close();
  }
}
