// Disks as file trees: a guest mounts a disk and sees its parent chain's
// layers with the disk's own on top; what it writes is saved to the top
// disk's extent (a tar stream GNU tar lists) at unmount or power off.
// Hot-added disks appear to the running guest; snapshots and their removal
// keep what the guest wrote.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { moref, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { VimClient } from "../../vim25/client/index.ts";
import { buildGuestIso } from "../../formats/iso9660.ts";
import { BUSYBOX_BINARY, type GuestDisk, type GuestHardware } from "../../hardware/guest-hardware.ts";
import type { Datastore } from "../../simulator/objects/datastore.ts";
import type { DatastoreVolumeApi } from "../../simulator/datastore/volume-api.ts";
import { connect } from "../helpers.ts";

describe("guest disks", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  let vol: DatastoreVolumeApi;
  const guests = new Map<string, GuestHardware>();
  const added: GuestDisk[] = [];

  const disk = (key: number, backing: Record<string, unknown>, create = true) => ({
    _type: "VirtualDeviceConfigSpec", operation: "add", ...(create ? { fileOperation: "create" } : {}),
    device: { _type: "VirtualDisk", key, controllerKey: 1000, unitNumber: key === -3 ? 1 : 0, capacityInKB: 8 * 1024, backing: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: "[mydatastore]", diskMode: "persistent", thinProvisioned: true, ...backing } },
  });
  const createVm = async (name: string, diskSpec: Record<string, unknown>, iso = "disks.iso", extra: Record<string, string> = {}) => {
    const task = (await c.call("CreateVM_Task", moref("Folder", "ha-folder-vm"), {
      config: {
        _type: "VirtualMachineConfigSpec", name, guestId: "otherGuest64", memoryMB: 64,
        files: { _type: "VirtualMachineFileInfo", vmPathName: "[mydatastore]" },
        deviceChange: [
          { _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "ParaVirtualSCSIController", key: 1000, busNumber: 0, sharedBus: "noSharing" } },
          diskSpec,
          { _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "VirtualCdrom", key: -10, controllerKey: 200, unitNumber: 0, backing: { _type: "VirtualCdromIsoBackingInfo", fileName: `[mydatastore] ${iso}` }, connectable: { _type: "VirtualDeviceConnectInfo", startConnected: true, allowGuestControl: true, connected: false } } },
        ],
        extraConfig: Object.entries(extra).map(([key, value]) => ({ _type: "OptionValue", key, value })),
      },
      pool: moref("ResourcePool", "ha-root-pool"),
    })) as ManagedObjectReference;
    return (await c.waitForTask(task)) as ManagedObjectReference;
  };
  const run = async (vm: ManagedObjectReference, method: string, args: Record<string, unknown> = {}) => c.waitForTask((await c.call(method, vm, args)) as ManagedObjectReference);
  /** Create a VM with this disk, power it on, and give back the VM and its guest's hardware. */
  const boot = async (name: string, diskSpec: Record<string, unknown>) => {
    const vm = await createVm(name, diskSpec);
    await run(vm, "PowerOnVM_Task");
    return { vm, hw: await booted(name) };
  };
  const booted = async (name: string) => {
    for (let i = 0; i < 250 && !guests.has(name); i++) await new Promise((r) => setTimeout(r, 20));
    return guests.get(name)!;
  };
  const tarList = (dsPath: string) => {
    const d = mkdtempSync(join(tmpdir(), "layer-"));
    writeFileSync(join(d, "extent"), vol.readFile(dsPath));
    return execFileSync("tar", ["-tf", join(d, "extent")], { encoding: "utf8" }).trim().split("\n").sort();
  };

  beforeAll(async () => {
    sim = await startSimulator({
      scenario: "homelab",
      guestPrograms: {
        "test-disks": (hw) => {
          guests.set(hw.vm.name, hw);
          hw.onDiskAdded((d) => added.push(d));
          hw.onHalt(() => guests.delete(hw.vm.name));
        },
        // a container: its disk is the root, its command (from guestinfo) runs in the userland, as tether will
        "test-container": async (hw) => {
          const root = hw.disks[0].mount();
          const ul = hw.userland(root, hw.guestinfo.get("guestinfo.hostname") ?? "container");
          const out: string[] = [];
          const p = ul.spawn({ argv: JSON.parse(hw.guestinfo.get("guestinfo.cmd") ?? "[]") });
          p.stdout.onData((d) => out.push(d.toString()));
          p.stderr.onData((d) => out.push(d.toString()));
          void p.wait().then((st) => {
            hw.guestinfo.set("guestinfo.output", out.join(""));
            hw.guestinfo.set("guestinfo.exit", String(st.exitCode));
          });
          return {
            processes: {
              start: (spec) => ul.spawn({ argv: [spec.programPath, ...spec.arguments.split(" ").filter(Boolean)] }).pid,
              list: (pids) => ul.processes().filter((x) => !pids || pids.includes(x.pid)).map((x) => ({ pid: x.pid, name: x.name, owner: x.user, cmdLine: x.argv.join(" "), startTime: x.startTime, endTime: x.endTime, exitCode: x.status?.exitCode })),
              terminate: (pid) => {
                if (!ul.kill(pid, "SIGKILL")) throw Object.assign(new Error(`no process ${pid}`), { code: "ESRCH" });
              },
            },
          };
        },
      },
    });
    c = await connect(sim);
    vol = (sim.sim.inventory.ofType("Datastore")[0] as Datastore & { volume: DatastoreVolumeApi }).volume;
    await c.uploadFile("mydatastore", "disks.iso", buildGuestIso("test-disks", [], sim.sim.clock.now()));
    await c.uploadFile("mydatastore", "container.iso", buildGuestIso("test-container", [], sim.sim.clock.now()));
  });
  afterAll(() => sim.close());

  it("writes a layer into a base disk, chains a child on it, and shows the child the merged tree", async () => {
    const started = await boot("image", disk(-2, {}));
    const base = started.vm;
    let hw = started.hw;
    expect(hw.disks.map((d) => d.fileName)).toEqual(["[mydatastore] image/image.vmdk"]);
    const fs = hw.disks[0].mount();
    expect(fs.readdir("/")).toEqual([]);
    fs.mkdir("/etc", { parents: true });
    fs.writeFile("/etc/os-release", "NAME=Sim\n");
    fs.mkdir("/bin");
    fs.writeFile("/bin/busybox", "#!/bin/sh\n", { mode: 0o755 });
    fs.symlink("busybox", "/bin/sh");
    hw.disks[0].unmount();
    // the extent is a tar stream a standard tool lists
    expect(tarList("image/image-flat.vmdk")).toEqual(["bin/", "bin/busybox", "bin/sh", "etc/", "etc/os-release"]);
    await run(base, "PowerOffVM_Task");

    // a child disk on the image: the container's own layer
    const child = await createVm("container", disk(-2, { parent: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: "[mydatastore] image/image.vmdk", diskMode: "persistent" } }));
    await run(child, "PowerOnVM_Task");
    hw = await booted("container");
    const view = hw.disks[0].mount();
    expect(view.readFile("/etc/os-release").toString()).toBe("NAME=Sim\n");
    expect(view.readlink("/bin/sh")).toBe("busybox");
    expect(view.stat("/bin/busybox").mode).toBe(0o755);
    view.unlink("/etc/os-release");
    view.mkdir("/data");
    view.writeFile("/data/hello", "world");
    // not unmounted: power off saves it
    await run(child, "PowerOffVM_Task");
    const childDisk = ((await c.retrieveOne(child, ["config.hardware.device"]))["config.hardware.device"] as any[]).find((d) => d._type === "VirtualDisk");
    const extent = vol.readdir("container").find((n) => n.endsWith("-delta.vmdk") || n.endsWith("-flat.vmdk"))!;
    expect(tarList(`container/${extent}`)).toEqual(["data/", "data/hello", "etc/.wh.os-release"]);
    expect(childDisk.backing.parent.fileName).toBe("[mydatastore] image/image.vmdk");

    // the image is untouched: another boot of it still has the file
    await run(base, "PowerOnVM_Task");
    hw = await booted("image");
    expect(hw.disks[0].mount().readFile("/etc/os-release").toString()).toBe("NAME=Sim\n");
    await run(base, "PowerOffVM_Task");

    // and the container sees its own changes again
    await run(child, "PowerOnVM_Task");
    hw = await booted("container");
    const again = hw.disks[0].mount();
    expect(again.exists("/etc/os-release")).toBe(false);
    expect(again.readFile("/data/hello").toString()).toBe("world");
    await run(child, "PowerOffVM_Task");
  });

  it("shows a hot-added disk to the running guest, and keeps writes across a snapshot and its removal", async () => {
    const { vm, hw } = await boot("hot", disk(-2, {}));
    const fs = hw.disks[0].mount();
    fs.writeFile("/before-snapshot", "1");
    await run(vm, "CreateSnapshot_Task", { name: "s1", memory: false, quiesce: false });
    expect(hw.disks[0].fileName).toBe("[mydatastore] hot/hot-000001.vmdk");
    // the write before the snapshot is in the base disk now; later ones go to the delta
    expect(tarList("hot/hot-flat.vmdk")).toEqual(["before-snapshot"]);
    fs.writeFile("/after-snapshot", "2");
    await run(vm, "RemoveAllSnapshots_Task");
    expect(hw.disks[0].fileName).toBe("[mydatastore] hot/hot.vmdk");
    expect(fs.readdir("/")).toEqual(["after-snapshot", "before-snapshot"]);
    hw.disks[0].sync();
    expect(tarList("hot/hot-flat.vmdk")).toEqual(["after-snapshot", "before-snapshot"]);

    // hot add
    const before = added.length;
    await run(vm, "ReconfigVM_Task", { spec: { _type: "VirtualMachineConfigSpec", deviceChange: [disk(-3, {})] } });
    expect(added.length).toBe(before + 1);
    expect(hw.disks.length).toBe(2);
    const extra = added[added.length - 1].mount();
    extra.writeFile("/scratch", "s");
    added[added.length - 1].unmount();
    expect(tarList("hot/hot_1-flat.vmdk")).toEqual(["scratch"]);
    await run(vm, "PowerOffVM_Task");
  });

  it("refuses to mount a disk that holds blocks, not a layer", async () => {
    const vm = await createVm("raw", disk(-2, {}));
    vol.writeAt("raw/raw-flat.vmdk", 0, Buffer.from("\x7fELF not a filesystem layer"));
    await run(vm, "PowerOnVM_Task");
    const hw = await booted("raw");
    expect(() => hw.disks[0].mount()).toThrow(/wrong fs type/);
    await run(vm, "PowerOffVM_Task");
  });

  it("runs a container's command in the userland over its disk chain, and stops it with StartProgramInGuest kill", async () => {
    // the image: busybox and its links, written by a guest into a base disk
    const { vm: img, hw } = await boot("busybox-image", disk(-2, {}));
    const fs = hw.disks[0].mount();
    fs.mkdir("/bin", { parents: true });
    fs.writeFile("/bin/busybox", BUSYBOX_BINARY, { mode: 0o755 });
    for (const a of ["sh", "echo", "cat", "hostname", "sleep", "kill", "ls"]) fs.symlink("busybox", `/bin/${a}`);
    hw.disks[0].unmount();
    await run(img, "PowerOffVM_Task");

    const make = (name: string, cmd: string[]) =>
      createVm(name, disk(-2, { parent: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: "[mydatastore] busybox-image/busybox-image.vmdk", diskMode: "persistent" } }), "container.iso", { "guestinfo.cmd": JSON.stringify(cmd), "guestinfo.hostname": "jolly_panini" });
    const extra = async (vm: ManagedObjectReference) => Object.fromEntries(((await c.retrieveOne(vm, ["config.extraConfig"]))["config.extraConfig"] as any[]).map((o) => [o.key, o.value]));

    // a command that runs to the end: its output and exit code come back through guestinfo, its writes stay on its disk
    const once = await make("c-once", ["/bin/sh", "-c", "echo hello from $(hostname) > /msg; cat /msg; ls /nope; exit 3"]);
    await run(once, "PowerOnVM_Task");
    await c.waitForProperties(once, ["config.extraConfig"], (v) => (v["config.extraConfig"] as any[]).some((o) => o.key === "guestinfo.exit"), { timeoutMs: 5000 });
    expect(await extra(once)).toMatchObject({ "guestinfo.output": "hello from jolly_panini\nls: /nope: No such file or directory\n", "guestinfo.exit": "3" });
    await run(once, "PowerOffVM_Task");
    const layer = vol.readdir("c-once").find((n) => n.endsWith("-delta.vmdk"))!;
    expect(tarList(`c-once/${layer}`)).toEqual(["msg"]);

    // a long-running one, stopped the way VIC stops a container: StartProgramInGuest kill
    const long = await make("c-long", ["/bin/sleep", "1000"]);
    await run(long, "PowerOnVM_Task");
    await c.waitForProperties(long, ["guest.guestOperationsReady"], (v) => v["guest.guestOperationsReady"] === true, { timeoutMs: 5000 });
    const pm = moref("GuestProcessManager", "ha-guest-operations-process-manager");
    const auth = { _type: "NamePasswordAuthentication", username: "root", password: "", interactiveSession: false };
    await c.call("StartProgramInGuest", pm, { vm: long, auth, spec: { _type: "GuestProgramSpec", programPath: "/bin/kill", arguments: "-TERM 1" } });
    await c.waitForProperties(long, ["config.extraConfig"], (v) => (v["config.extraConfig"] as any[]).some((o) => o.key === "guestinfo.exit"), { timeoutMs: 5000 });
    expect((await extra(long))["guestinfo.exit"]).toBe("143");
    const procs = (await c.call("ListProcessesInGuest", pm, { vm: long, auth, pids: [1] })) as any[];
    expect(procs[0]).toMatchObject({ pid: 1, name: "sleep", cmdLine: "/bin/sleep 1000", exitCode: 143 });
    await run(long, "PowerOffVM_Task");
  });
});
