// Builds a Go client program of test/clients/<name>/main.go once per test
// file, GOPATH-style against Debian's golang-github-vmware-govmomi-dev, and
// runs it against a simulator. The first build of govmomi takes about a
// minute on two cores; the shared cache makes later ones quick.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const run = promisify(execFile);

export interface GoProgram {
  /** the built binary */
  binary: string;
  /** removes the build directory */
  remove(): void;
}

export async function buildGoProgram(name: string): Promise<GoProgram> {
  const source = fileURLToPath(new URL(`./${name}/`, import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const binary = join(dir, name);
  try {
    await run("go", ["build", "-o", binary, "main.go"], {
      cwd: source, timeout: 280_000,
      env: { ...process.env, GO111MODULE: "off", GOPATH: "/usr/share/gocode", GOCACHE: "/tmp/vsphere-bench-gocache" },
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { binary, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
