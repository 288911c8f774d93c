// pyVmomi with datastore files: FileManager, HostDatastoreBrowser task
// results (SubFolders returns an array), typed FileInfo, faults, and /folder
// transfers carrying the SOAP session's cookie.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";

const run = promisify(execFile);
const script = new URL("./pyvmomi_datastore.py", import.meta.url).pathname;

describe("pyvmomi with datastore files on the homelab host", () => {
  let sim: RunningSimulator;
  let out: any;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab" });
    // Debian's pyVmomi loads under /usr/bin/python3, not a python3 earlier on PATH
    const { stdout } = await run("/usr/bin/python3", [script, "127.0.0.1", String(sim.port), sim.username, sim.password], { timeout: 60_000 });
    out = JSON.parse(stdout);
  });
  afterAll(() => sim.close());

  it("transfers files over /folder with the session cookie only", () => {
    expect([out.put, out.replace]).toEqual([201, 200]);
    expect(out.get).toEqual([200, 'config.version = "8"\nmemSize = "512"\n']);
    expect(out.anonymous).toBe(401);
    expect(out.missingDir).toBe(404);
    expect(out.missingDirLarge).toEqual([404, `Not Found: the directory [mydatastore] nodir does not exist\n`]);
  });

  it("searches sub folders with typed results and details", () => {
    expect(out.subFolders).toEqual([
      ["[mydatastore] pyvm", [["vim.host.DatastoreBrowser.VmConfigInfo", "pyvm.vmx", 37, 8]]],
      ["[mydatastore] pyvm/sub", []],
    ]);
  });

  it("copies, moves and deletes with FileManager tasks and hostd's faults", () => {
    expect(out.copyEntity).toBe("ha-datacenter");
    expect(out.copyAgain).toEqual(["FileAlreadyExists", "[mydatastore] pyvm/sub/copy.vmx"]);
    expect(out.afterMove).toEqual(["moved.vmx", "pyvm.vmx", "sub"]);
    expect(out.afterDelete).toEqual(["FileNotFound", "[mydatastore] pyvm"]);
    expect(out.badPath).toEqual(["InvalidDatastorePath", "not a datastore path"]);
  });
});
