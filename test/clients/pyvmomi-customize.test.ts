// pyVmomi: guest customization on vCenter (clones with spec.customization,
// CustomizeVM_Task), seen in the guest's host name and address and in the
// Customization* events; NotSupported on a standalone host.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";

const script = new URL("./pyvmomi_customize.py", import.meta.url).pathname;

async function run(scenario: string, iso: string): Promise<any> {
  const sim = await startSimulator({ scenario });
  try {
    const { stdout } = await promisify(execFile)("/usr/bin/python3", [script, "127.0.0.1", String(sim.port), sim.username, sim.password, iso], { timeout: 90_000 });
    return JSON.parse(stdout);
  } finally {
    await sim.close();
  }
}

describe("pyvmomi: guest customization", () => {
  let dir: string;
  let iso: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "customize-iso-"));
    mkdirSync(join(dir, "root"));
    writeFileSync(join(dir, "root", "manifest.json"), JSON.stringify({ guest: "generic-linux" }));
    iso = join(dir, "linux.iso");
    execFileSync("genisoimage", ["-quiet", "-J", "-R", "-V", "LINUX", "-o", iso, join(dir, "root")]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("customizes clones and VMs on vCenter as the guest boots, and logs how it went", async () => {
    const out = await run("vcenter-cluster", iso);
    expect(out.isoUpload).toBe(201);
    const ok = ["CustomizationStartedEvent", "CustomizationSucceeded"];
    expect(out.fixed).toEqual(["web1", "127.77.0.10", ok]);
    // CustomizationVirtualMachineName: the VM's name as a host name
    expect(out.vmName[0]).toBe("web-3");
    expect(out.vmName[1]).toMatch(/^127\./);
    expect(out.vmName[2]).toEqual(ok);
    // an address the guest cannot take: it keeps a lease, vpxd hears the network setup failed
    expect(out.unreachable).toEqual(["web2", true, ["CustomizationStartedEvent", "CustomizationNetworkSetupFailed"]]);
    expect([out.poweredOn, out.mismatch, out.badAddress]).toEqual(["vim.fault.InvalidPowerState", "vim.fault.NicSettingMismatch", "vmodl.fault.InvalidArgument"]);
    expect([out.first, out.second, out.pendingEvents]).toEqual([null, "vim.fault.CustomizationPending", []]);
    expect(out.check).toEqual(["ok", "NicSettingMismatch", "InvalidArgument"]);
    expect(out.applied).toEqual(["tmpl-new", "127.77.0.14", ok]);
  });

  it("is not a service of a standalone host", async () => {
    const out = await run("homelab", iso);
    expect(out).toEqual({ isoUpload: 201, customize: "vmodl.fault.NotSupported" });
  });
});
