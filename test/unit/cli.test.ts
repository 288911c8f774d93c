// `npm run sim`: the first stdout line is the JSON scripts read; bad flags
// get one line and exit code 1; SIGTERM stops it.
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

// detached: its own process group, so stopping npm stops the simulator npm started too
async function firstLine(cmd: string, args: string[]) {
  const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = "";
    child.stdout.on("data", (c) => {
      buf += c;
      if (buf.includes("\n")) resolve(buf.slice(0, buf.indexOf("\n")));
    });
    child.on("exit", (code) => reject(new Error(`exited ${code}: ${buf}`)));
  });
  return { child, line };
}

describe("npm run sim", () => {
  it("prints the JSON as the first line of `npm run sim`", async () => {
    const { child, line } = await firstLine("npm", ["run", "sim", "--", "--listen", "127.0.0.1:0", "--scenario", "vcenter-cluster"]);
    const exited = new Promise((r) => child.on("exit", r));
    process.kill(-child.pid!, "SIGTERM");
    await exited;
    const info = JSON.parse(line);
    expect(info).toMatchObject({ username: "administrator@vsphere.local", password: "vcenter-pw" });
    expect(info.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/sdk$/);
    expect(info.thumbprint).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
  });

  it("stops cleanly on SIGTERM", async () => {
    const { child, line } = await firstLine(process.execPath, ["--import", "tsx", "simulator/cli.ts", "--listen", "127.0.0.1:0"]);
    expect(JSON.parse(line).username).toBe("root");
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("answers a bad flag with one line and exit code 1", () => {
    const r = spawnSync("npx", ["tsx", "simulator/cli.ts", "--no-such-flag"], { cwd: root, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^sim: .*no-such-flag/);
  });

  it("names the problem with a scenario that does not exist", () => {
    const r = spawnSync("npx", ["tsx", "simulator/cli.ts", "--scenario", "nope", "--listen", "127.0.0.1:0"], { cwd: root, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no scenario named "nope".*available: .*homelab/);
  });
});
