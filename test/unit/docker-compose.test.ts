// docker-compose.yml must stay valid for Debian's docker-compose (installed by .ci/run).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

it("docker-compose.yml is valid and publishes the simulator's port", async () => {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const { stdout } = await promisify(execFile)("docker-compose", ["-f", "docker-compose.yml", "config"], { cwd: root });
  expect(stdout).toMatch(/sim:/);
  expect(stdout).toMatch(/8989/);
  expect(stdout).toContain("npm run sim -- --listen 0.0.0.0:8989");
});
