// pyVmomi sees guests: a serial port that connects to the script's own TCP
// listener at power on (no ISO, no guest OS) and lets go at power off, and a
// VM booting an ISO made by genisoimage whose tools state and IP address
// change after power on.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";

const script = new URL("./pyvmomi_guest.py", import.meta.url).pathname;

describe("pyvmomi: guests on the homelab host", () => {
  let sim: RunningSimulator;
  let out: any;
  let dir: string;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab" });
    // the image is made by a standard tool, not by our writer: our reader must find the manifest in it
    dir = mkdtempSync(join(tmpdir(), "guest-iso-"));
    mkdirSync(join(dir, "root"));
    writeFileSync(join(dir, "root", "manifest.json"), JSON.stringify({ guest: "generic-linux" }));
    execFileSync("genisoimage", ["-quiet", "-J", "-R", "-V", "LINUX", "-o", join(dir, "linux.iso"), join(dir, "root")]);
    const { stdout } = await promisify(execFile)("/usr/bin/python3", [script, "127.0.0.1", String(sim.port), sim.username, sim.password, join(dir, "linux.iso")], { timeout: 60_000 });
    out = JSON.parse(stdout);
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("connects a network serial port to an outside listener at power on and disconnects it at power off", () => {
    expect(out.serialBeforePowerOn).toBe(false);
    expect(out.accepted).toBe(true);
    expect(out.serialAfterPowerOn).toBe(true);
    expect(out.eofAfterPowerOff).toBe(true);
    expect(out.serialAfterPowerOff).toBe(false);
    // no ISO: no guest OS, no tools
    expect(out.toolsWithoutOs).toBe("guestToolsNotRunning");
    expect(out.shutdownWithoutTools).toBe("ToolsUnavailable");
  });

  it("sees tools start and an IP address appear after power on", () => {
    expect(out.isoUpload).toBe(201);
    expect(out.before).toEqual({ "guest.toolsRunningStatus": "guestToolsNotRunning" });
    expect(out.after["guest.toolsRunningStatus"]).toBe("guestToolsRunning");
    expect(out.after["guest.hostName"]).toBe("linux-1");
    const ip = out.after["guest.ipAddress"];
    expect(ip).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(out.summaryIp).toBe(ip);
    expect(out.net).toEqual([["VM Network", [ip], expect.stringMatching(/^00:0c:29:/)]]);
    expect(out.seen.map(([k]: [string]) => k)).toContain("guest.ipAddress");
    expect(out.afterShutdown).toBe("poweredOff");
    // what the tools reported stays while the VM is off, until ResetGuestInformation (refused while on)
    expect(out.resetWhileOn).toBe("InvalidState");
    expect(out.cachedWhileOff).toEqual(["otherLinux64Guest", true, null, null, 0, "otherLinux64Guest"]);
    expect(out.afterReset).toEqual([null, null, null, null, 0, 0, null, "guestToolsNotRunning"]);
    expect(out.terminated).toEqual(["poweredOff", "InvalidState", ["linux-1"]]);
  });

  it("takes screenshots the size of the guest's screen, resizes it through the tools, sends an NMI, and lists files the VM does not own", () => {
    expect(out.console).toEqual({
      shots: ["linux-1-1.png", "linux-1-2.png"], first: [200, true, 720, 400], second: [200, true, 1024, 768], screen: [1024, 768],
      badSize: "InvalidArgument", nmiLogged: true, unowned: ["linux-1-1.png", "linux-1-2.png", "notes.txt"], defragOn: "InvalidPowerState",
      topology: [3200, 1080, [3200, 1080]],
    });
    expect(out.consoleOff).toEqual(["InvalidPowerState", "InvalidPowerState", "InvalidPowerState", "ok"]);
  });

  it("moves files in and out over /guestFile and runs a program in the guest", () => {
    expect(out.putUrlHost).toBe("*");
    expect(out.putStatus).toBe(200);
    expect(out.process).toEqual([true, 0]);
    expect(out.copied).toBe("hello guest\n");
    expect(out.count).toBe("12\n");
    expect(out.missing).toBe("FileNotFound");
    // a transfer URL is good for one use
    expect(out.reuse).toBe(404);
  });
  it("makes, lists, moves and deletes files and directories in the guest, with VMware Tools' faults", () => {
    expect([out.mkdirExists, out.mkdirNoParent]).toEqual(["FileAlreadyExists", "FileNotFound"]);
    expect(out.temporary).toEqual([true, true]);
    expect(out.list).toEqual([["app.conf", "file", 0, "0o640"], 0]);
    expect(out.listFile).toEqual(["/tmp/copy.txt"]);
    // index 0, at most one, names matching the pattern: two left over
    expect(out.page).toEqual([["copy.txt"], 2]);
    expect([out.moveOver, out.moveDirAsFile]).toEqual(["FileAlreadyExists", "NotAFile"]);
    expect([out.deleteNotEmpty, out.deleteFileAsDir, out.deleteDirAsFile]).toEqual(["DirectoryNotEmpty", "NotADirectory", "NotAFile"]);
    expect(out.afterDelete).toEqual([]);
    expect(out.listMissing).toBe("FileNotFound");
  });
});
