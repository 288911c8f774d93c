// Guests: a VM boots the ISO it is given, runs the guest program the image
// names, and that program reads and writes guestinfo, echoes over its serial
// port to a TCP server this test runs, listens on its NIC's address and is
// reached by another VM on the same port group.
import https from "node:https";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { moref, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { VimClient } from "../../vim25/client/index.ts";
import { buildGuestIso, buildIso } from "../../formats/iso9660.ts";
import type { GuestHardware } from "../../hardware/guest-hardware.ts";
import type { Datastore } from "../../simulator/objects/datastore.ts";
import type { DatastoreVolumeApi } from "../../simulator/datastore/volume-api.ts";
import { connect, fault } from "../helpers.ts";

/** A TCP server the serial ports connect to; resolves each accepted socket in turn. */
async function tcpServer() {
  const accepted: net.Socket[] = [];
  const waiters: ((s: net.Socket) => void)[] = [];
  const server = net.createServer((s) => {
    const w = waiters.shift();
    if (w) w(s);
    else accepted.push(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    next: () => new Promise<net.Socket>((r) => (accepted.length ? r(accepted.shift()!) : waiters.push(r))),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The next line from a socket; what arrives after it waits for the next call (a socket's data is never dropped between calls). */
const buffers = new WeakMap<net.Socket, { buf: string; waiters: (() => void)[] }>();
async function readLine(s: net.Socket): Promise<string> {
  let st = buffers.get(s);
  if (!st) {
    const state = { buf: "", waiters: [] as (() => void)[] };
    st = state;
    buffers.set(s, state);
    s.on("data", (d) => {
      state.buf += d.toString();
      for (const w of state.waiters.splice(0)) w();
    });
  }
  for (;;) {
    const i = st.buf.indexOf("\n");
    if (i >= 0) {
      const line = st.buf.slice(0, i);
      st.buf = st.buf.slice(i + 1);
      return line;
    }
    await new Promise<void>((r) => st!.waiters.push(r));
  }
}

async function until<T>(fn: () => T | Promise<T>, what: string, ms = 5000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("guests", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  let vol: DatastoreVolumeApi;
  let serial: Awaited<ReturnType<typeof tcpServer>>;
  /** the hardware each booted test guest was given, by VM name */
  const booted = new Map<string, GuestHardware>();
  let boots = 0;

  const createVm = async (name: string, opts: { iso?: string; serialPort?: number; extra?: Record<string, string>; nics?: number } = {}) => {
    const deviceChange: any[] = [];
    if (opts.iso) deviceChange.push({ _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "VirtualCdrom", key: -10, controllerKey: 200, unitNumber: 0, backing: { _type: "VirtualCdromIsoBackingInfo", fileName: opts.iso }, connectable: { _type: "VirtualDeviceConnectInfo", startConnected: true, allowGuestControl: true, connected: false } } });
    if (opts.serialPort) deviceChange.push({ _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "VirtualSerialPort", key: -11, backing: { _type: "VirtualSerialPortURIBackingInfo", direction: "client", serviceURI: `tcp://127.0.0.1:${opts.serialPort}` }, yieldOnPoll: true, connectable: { _type: "VirtualDeviceConnectInfo", startConnected: true, allowGuestControl: true, connected: false } } });
    for (let i = 0; i < (opts.nics ?? 1); i++) deviceChange.push({ _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "VirtualVmxnet3", key: -20 - i, backing: { _type: "VirtualEthernetCardNetworkBackingInfo", deviceName: "VM Network" }, addressType: "generated" } });
    const task = (await c.call("CreateVM_Task", moref("Folder", "ha-folder-vm"), {
      config: {
        _type: "VirtualMachineConfigSpec", name, guestId: "otherGuest64", memoryMB: 64,
        files: { _type: "VirtualMachineFileInfo", vmPathName: "[mydatastore]" },
        deviceChange,
        extraConfig: Object.entries(opts.extra ?? {}).map(([key, value]) => ({ _type: "OptionValue", key, value })),
      },
      pool: moref("ResourcePool", "ha-root-pool"),
    })) as ManagedObjectReference;
    return (await c.waitForTask(task)) as ManagedObjectReference;
  };
  const power = async (vm: ManagedObjectReference, method: string) => c.waitForTask((await c.call(method, vm)) as ManagedObjectReference);
  const props = async (vm: ManagedObjectReference, paths: string[]) => c.retrieveOne(vm, paths);
  const log = (name: string) => vol.readFile(`${name}/vmware.log`).toString();

  beforeAll(async () => {
    serial = await tcpServer();
    sim = await startSimulator({
      scenario: "homelab",
      guestPrograms: {
        // reads its config from guestinfo, echoes lines on ttyS0, serves its name on port 7000
        "test-echo": async (hw) => {
          booted.set(hw.vm.name, hw);
          boots++;
          hw.setHostName(`${hw.vm.name}-host`);
          const ip = hw.nics[0]?.dhcp();
          hw.guestinfo.set("guestinfo.booted", `${hw.guestinfo.get("guestinfo.greeting") ?? "none"} from ${ip}`);
          const tty = hw.serial[0];
          if (tty) {
            let buf = "";
            tty.onData((d) => {
              buf += d.toString();
              for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
                const line = buf.slice(0, i);
                buf = buf.slice(i + 1);
                if (line === "crash") throw new Error("asked to crash");
                tty.write(`echo:${line}\n`);
              }
            });
            tty.onConnect(() => tty.write(`hello from ${hw.vm.name}\n`));
            if (tty.connected) tty.write(`hello from ${hw.vm.name}\n`);
          }
          if (hw.nics[0]) await hw.nics[0].listen(7000, (s) => s.end(`${hw.vm.name}\n`));
        },
        // a process table: `sleep` runs until killed, `kill -N PID` ends one
        "test-procs": (hw) => {
          const procs = new Map<number, { name: string; cmdLine: string; owner: string; startTime: Date; endTime?: Date; exitCode?: number }>();
          let next = 100;
          hw.nics[0]?.dhcp();
          return {
            processes: {
              authenticate: (user, password) => user === "root" && password === "secret",
              start: (spec, user) => {
                if (!["/bin/sleep", "/bin/kill"].includes(spec.programPath)) throw Object.assign(new Error(`${spec.programPath}: not found`), { code: "ENOENT" });
                const pid = next++;
                procs.set(pid, { name: spec.programPath.split("/").pop()!, cmdLine: `${spec.programPath} ${spec.arguments}`.trim(), owner: user, startTime: hw.clock.now() });
                if (spec.programPath === "/bin/kill") {
                  const [sig, target] = spec.arguments.split(" ");
                  const t = procs.get(Number(target));
                  if (t && t.exitCode === undefined) Object.assign(t, { endTime: hw.clock.now(), exitCode: 128 + Number(sig.replace("-", "")) });
                  Object.assign(procs.get(pid)!, { endTime: hw.clock.now(), exitCode: t ? 0 : 1 });
                }
                return pid;
              },
              list: (pids) => [...procs].filter(([pid]) => !pids || pids.includes(pid)).map(([pid, p]) => ({ pid, ...p })),
              terminate: (pid) => {
                const p = procs.get(pid);
                if (!p || p.exitCode !== undefined) throw Object.assign(new Error(`no process ${pid}`), { code: "ESRCH" });
                Object.assign(p, { endTime: hw.clock.now(), exitCode: 143 });
              },
              environment: () => ["PATH=/bin", `HOSTNAME=${hw.vm.name}`],
            },
          };
        },
        "test-crash": () => {
          throw new Error("kernel panic");
        },
        // throws later, from its own socket and timer callbacks
        "test-late-crash": async (hw) => {
          hw.nics[0].dhcp();
          await hw.nics[0].listen(7100, (s) => s.on("data", () => {
            throw new Error("bad packet");
          }));
          if (hw.guestinfo.get("guestinfo.timer")) hw.clock.setTimeout(() => {
            throw new Error("timer went off");
          }, 10);
        },
      },
    });
    c = await connect(sim);
    vol = (sim.sim.inventory.ofType("Datastore")[0] as Datastore & { volume: DatastoreVolumeApi }).volume;
    const now = sim.sim.clock.now();
    await c.uploadFile("mydatastore", "echo.iso", buildGuestIso("test-echo", [{ path: "/etc/motd", data: Buffer.from("hi\n") }], now));
    await c.uploadFile("mydatastore", "procs.iso", buildGuestIso("test-procs", [], now));
    await c.uploadFile("mydatastore", "crash.iso", buildGuestIso("test-crash", [], now));
    await c.uploadFile("mydatastore", "late-crash.iso", buildGuestIso("test-late-crash", [], now));
    await c.uploadFile("mydatastore", "plain.iso", buildIso({ volumeId: "PLAIN", files: [{ path: "/readme.txt", data: Buffer.from("no manifest") }], now }));
    await c.uploadFile("mydatastore", "unknown.iso", buildGuestIso("not-registered", [], now));
  });
  afterAll(async () => {
    await sim?.close();
    await serial?.close();
  });

  it("boots the ISO's program: tools, host name, address, guestinfo both ways, and the .vmx at power off", async () => {
    const vm = await createVm("echo1", { iso: "[mydatastore] echo.iso", extra: { "guestinfo.greeting": "hi there" } });
    let p = await props(vm, ["guest.toolsRunningStatus", "guestHeartbeatStatus"]);
    expect(p["guest.toolsRunningStatus"]).toBe("guestToolsNotRunning");
    await power(vm, "PowerOnVM_Task");
    const ver = await c.waitForProperties(vm, ["guest.toolsRunningStatus"], (v) => v["guest.toolsRunningStatus"] === "guestToolsRunning", { timeoutMs: 5000 });
    expect(ver).toBeTruthy();
    p = await props(vm, ["guest.hostName", "guest.ipAddress", "guest.net", "guest.toolsStatus", "guestHeartbeatStatus", "summary.guest.ipAddress", "config.extraConfig"]);
    expect(p["guest.hostName"]).toBe("echo1-host");
    const ip = p["guest.ipAddress"] as string;
    expect(ip).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(p["summary.guest.ipAddress"]).toBe(ip);
    expect(p["guest.toolsStatus"]).toBe("toolsOk");
    expect(p["guestHeartbeatStatus"]).toBe("green");
    const net0 = (p["guest.net"] as any[])[0];
    expect(net0).toMatchObject({ network: "VM Network", ipAddress: [ip], connected: true });
    expect(net0.macAddress).toMatch(/^00:0c:29:/);
    const extra = p["config.extraConfig"] as { key: string; value: string }[];
    expect(extra.find((e) => e.key === "guestinfo.booted")?.value).toBe(`hi there from ${ip}`);
    // what the guest set is in the API now, and in the .vmx once the VM powers off
    expect(vol.readFile("echo1/echo1.vmx").toString()).not.toContain("guestinfo.booted");

    // a key set through ReconfigVM_Task is visible to the running guest at once
    const vmxOn = vol.readFile("echo1/echo1.vmx").toString();
    await c.waitForTask((await c.call("ReconfigVM_Task", vm, { spec: { _type: "VirtualMachineConfigSpec", extraConfig: [{ _type: "OptionValue", key: "guestinfo.later", value: "42" }] } })) as ManagedObjectReference);
    // and in the .vmx, where nothing else changed: power on's connected states are no .vmx lines
    const vmxAfter = vol.readFile("echo1/echo1.vmx").toString();
    expect(vmxAfter).toContain('guestinfo.later = "42"');
    const notGuestinfo = (t: string) => t.split("\n").filter((l) => !l.startsWith("guestinfo."));
    expect(notGuestinfo(vmxAfter)).toEqual(notGuestinfo(vmxOn));
    expect(booted.get("echo1")!.guestinfo.get("guestinfo.later")).toBe("42");
    expect(booted.get("echo1")!.guestinfo.keys()).toEqual(expect.arrayContaining(["guestinfo.greeting", "guestinfo.booted", "guestinfo.later"]));
    expect(() => booted.get("echo1")!.guestinfo.get("answer")).toThrow(/not a guestinfo key/);
    // the boot media is readable by the guest
    expect(booted.get("echo1")!.media?.read("/etc/motd")?.toString()).toBe("hi\n");

    await power(vm, "PowerOffVM_Task");
    p = await props(vm, ["guest.toolsRunningStatus", "guest.ipAddress", "guestHeartbeatStatus"]);
    expect(p["guest.toolsRunningStatus"]).toBe("guestToolsNotRunning");
    expect(p["guest.ipAddress"]).toBeUndefined();
    expect(vol.readFile("echo1/echo1.vmx").toString()).toContain(`guestinfo.booted = "hi there from ${ip}"`);
    expect(log("echo1")).toMatch(/starting guest program "test-echo" from \[mydatastore\] echo\.iso/);
  });

  it("connects the serial port to a TCP server at power on, echoes, and disconnects at power off", async () => {
    const vm = await createVm("echo2", { iso: "[mydatastore] echo.iso", serialPort: serial.port });
    await power(vm, "PowerOnVM_Task");
    const s = await serial.next();
    expect(await readLine(s)).toBe("hello from echo2");
    s.write("ping\n");
    expect(await readLine(s)).toBe("echo:ping");
    const connected = async () => ((await props(vm, ["config.hardware.device"]))["config.hardware.device"] as any[]).find((d) => d._type === "VirtualSerialPort").connectable.connected;
    expect(await connected()).toBe(true);
    expect(log("echo2")).toContain(`serial0: connected to tcp://127.0.0.1:${serial.port}`);

    // the far side drops: the VMX reconnects, and the guest sees the line come back
    s.destroy();
    const s2 = await serial.next();
    expect(await readLine(s2)).toBe("hello from echo2");

    const closed = new Promise<void>((r) => s2.on("close", () => r()));
    await power(vm, "PowerOffVM_Task");
    await closed;
    expect(await connected()).toBe(false);
  });

  it("puts the guest on its port group's subnet: the host and another VM reach it at its address", async () => {
    const a = await createVm("peer-a", { iso: "[mydatastore] echo.iso" });
    const b = await createVm("peer-b", { iso: "[mydatastore] echo.iso" });
    await power(a, "PowerOnVM_Task");
    await power(b, "PowerOnVM_Task");
    const ipA = await until(async () => (await props(a, ["guest.ipAddress"]))["guest.ipAddress"] as string | undefined, "peer-a's address");
    const ipB = await until(async () => (await props(b, ["guest.ipAddress"]))["guest.ipAddress"] as string | undefined, "peer-b's address");
    expect(ipA).not.toBe(ipB);
    expect(ipA.split(".").slice(0, 3)).toEqual(ipB.split(".").slice(0, 3));
    await until(() => booted.get("peer-a") && booted.get("peer-b"), "both guests");
    // from the host
    const fromHost = await new Promise<string>((resolve, reject) => {
      const s = net.connect(7000, ipA);
      let out = "";
      s.on("data", (d) => (out += d)).on("end", () => resolve(out)).on("error", reject);
    });
    expect(fromHost).toBe("peer-a\n");
    // from peer-b, out of peer-b's own address
    const sock = booted.get("peer-b")!.nics[0].connect(ipA, 7000);
    const fromPeer = await new Promise<string>((resolve, reject) => {
      let out = "";
      sock.on("connect", () => expect(sock.localAddress).toBe(ipB));
      sock.on("data", (d) => (out += d)).on("end", () => resolve(out)).on("error", reject);
    });
    expect(fromPeer).toBe("peer-a\n");
    // power off closes what the guest listened on
    await power(a, "PowerOffVM_Task");
    await expect(new Promise((resolve, reject) => net.connect(7000, ipA).on("connect", resolve).on("error", reject))).rejects.toThrow(/ECONNREFUSED/);
    await power(b, "PowerOffVM_Task");
  });

  it("runs without a guest OS when the media names no program, and says why in vmware.log", async () => {
    const none = await createVm("blank1");
    const plain = await createVm("plain1", { iso: "[mydatastore] plain.iso" });
    const unknown = await createVm("unknown1", { iso: "[mydatastore] unknown.iso" });
    const missing = await createVm("missing1", { iso: "[mydatastore] nowhere.iso" });
    for (const vm of [none, plain, unknown, missing]) await power(vm, "PowerOnVM_Task");
    await new Promise((r) => setTimeout(r, 50));
    for (const vm of [none, plain, unknown, missing]) {
      expect((await props(vm, ["guest.toolsRunningStatus"]))["guest.toolsRunningStatus"]).toBe("guestToolsNotRunning");
      // ShutdownGuest needs the tools
      expect((await fault(c.call("ShutdownGuest", vm))).type).toBe("ToolsUnavailable");
    }
    expect(log("blank1")).toContain("no operating system found");
    expect(log("plain1")).toContain("plain.iso names no guest program");
    expect(log("unknown1")).toContain(`guest program "not-registered" is not in this simulator's table`);
    expect(log("missing1")).toContain("cannot open [mydatastore] nowhere.iso");
    for (const vm of [none, plain, unknown, missing]) await power(vm, "PowerOffVM_Task");
  });

  it("treats a guest that throws as a crashed guest: logged, tools stopped, the simulator unharmed", async () => {
    const vm = await createVm("crash1", { iso: "[mydatastore] crash.iso" });
    await power(vm, "PowerOnVM_Task");
    await until(() => log("crash1").includes("crashed"), "the crash in vmware.log");
    expect(log("crash1")).toContain(`guest program "test-crash" crashed: Error: kernel panic`);
    const p = await props(vm, ["guest.toolsRunningStatus", "guestHeartbeatStatus", "runtime.powerState"]);
    expect(p).toMatchObject({ "guest.toolsRunningStatus": "guestToolsNotRunning", guestHeartbeatStatus: "red", "runtime.powerState": "poweredOn" });

    // a guest that throws later, in a serial listener
    const echo = await createVm("crash2", { iso: "[mydatastore] echo.iso", serialPort: serial.port });
    await power(echo, "PowerOnVM_Task");
    const s = await serial.next();
    await readLine(s);
    s.write("crash\n");
    await until(() => log("crash2").includes("crashed: Error: asked to crash"), "the second crash");
    expect((await props(echo, ["guest.toolsRunningStatus"]))["guest.toolsRunningStatus"]).toBe("guestToolsNotRunning");
    expect((await c.call("CurrentTime", moref("ServiceInstance", "ServiceInstance"))) instanceof Date).toBe(true);
    await power(vm, "PowerOffVM_Task");
    await power(echo, "PowerOffVM_Task");

    // from a handler on a socket the guest accepted, and from a timer of its own
    const sock = await createVm("crash3", { iso: "[mydatastore] late-crash.iso" });
    await power(sock, "PowerOnVM_Task");
    const ip = await until(async () => (await props(sock, ["guest.ipAddress"]))["guest.ipAddress"] as string | undefined, "crash3's address");
    const client = net.connect(7100, ip);
    client.on("error", () => {});
    client.write("boom");
    await until(() => log("crash3").includes("crashed: Error: bad packet"), "the socket crash");
    const timer = await createVm("crash4", { iso: "[mydatastore] late-crash.iso", extra: { "guestinfo.timer": "1" } });
    await power(timer, "PowerOnVM_Task");
    await until(() => log("crash4").includes("crashed: Error: timer went off"), "the timer crash");
    expect((await props(timer, ["guest.toolsRunningStatus"]))["guest.toolsRunningStatus"]).toBe("guestToolsNotRunning");
    await power(sock, "PowerOffVM_Task");
    await power(timer, "PowerOffVM_Task");
  });

  it("ShutdownGuest and RebootGuest ask the guest; the default is what any OS does", async () => {
    const vm = await createVm("shut1", { iso: "[mydatastore] echo.iso" });
    await power(vm, "PowerOnVM_Task");
    await c.waitForProperties(vm, ["guest.toolsRunningStatus"], (v) => v["guest.toolsRunningStatus"] === "guestToolsRunning", { timeoutMs: 5000 });
    const before = boots;
    await c.call("RebootGuest", vm);
    await until(() => boots > before, "the reboot");
    await c.waitForProperties(vm, ["guest.toolsRunningStatus"], (v) => v["guest.toolsRunningStatus"] === "guestToolsRunning", { timeoutMs: 5000 });
    expect((await props(vm, ["runtime.powerState"]))["runtime.powerState"]).toBe("poweredOn");
    await c.call("ShutdownGuest", vm);
    await c.waitForProperties(vm, ["runtime.powerState"], (v) => v["runtime.powerState"] === "poweredOff", { timeoutMs: 5000 });
    expect(log("shut1")).toContain("Tools: shutdown requested");
  });

  it("enforces the host firewall on serial connections, and connects once the ruleset allows it", async () => {
    const fw = moref("HostFirewallSystem", "firewallSystem");
    await c.call("UpdateDefaultPolicy", fw, { defaultPolicy: { _type: "HostFirewallDefaultPolicy", incomingBlocked: true, outgoingBlocked: true } });
    try {
      const vm = await createVm("fw1", { iso: "[mydatastore] echo.iso", serialPort: serial.port });
      await power(vm, "PowerOnVM_Task");
      await until(() => log("fw1").includes("host firewall blocks"), "the firewall line");
      expect(log("fw1")).toContain(`the host firewall blocks outgoing TCP port ${serial.port} (enable the remoteSerialPort ruleset)`);
      await c.call("EnableRuleset", fw, { id: "remoteSerialPort" });
      const s = await serial.next();
      expect(await readLine(s)).toBe("hello from fw1");
      await power(vm, "PowerOffVM_Task");
    } finally {
      await c.call("UpdateDefaultPolicy", fw, { defaultPolicy: { _type: "HostFirewallDefaultPolicy", incomingBlocked: false, outgoingBlocked: false } });
    }
  });

  it("brings running guests in line with a restored snapshot", async () => {
    const vm = await createVm("restore1", { iso: "[mydatastore] echo.iso", serialPort: serial.port });
    const snap = sim.snapshot();
    await power(vm, "PowerOnVM_Task");
    const s = await serial.next();
    await readLine(s);
    const closed = new Promise<void>((r) => s.on("close", () => r()));
    sim.restore(snap);
    await closed;
    expect(((await props(vm, ["runtime.powerState"])) as Record<string, unknown>)["runtime.powerState"]).toBe("poweredOff");
  });

  it("answers guest operations from the guest program: start, list, kill, terminate, and the faults of real tools", async () => {
    const pm = moref("GuestProcessManager", "ha-guest-operations-process-manager");
    const auth = { _type: "NamePasswordAuthentication", username: "root", password: "secret", interactiveSession: false };
    const spec = (programPath: string, args: string) => ({ _type: "GuestProgramSpec", programPath, arguments: args });
    const gom = await c.retrieveOne(c.content.guestOperationsManager as ManagedObjectReference, ["processManager"]);
    expect((gom.processManager as ManagedObjectReference).value).toBe(pm.value);

    const vm = await createVm("procs1", { iso: "[mydatastore] procs.iso" });
    expect((await fault(c.call("StartProgramInGuest", pm, { vm, auth, spec: spec("/bin/sleep", "1000") }))).type).toBe("InvalidPowerState");
    await power(vm, "PowerOnVM_Task");
    await c.waitForProperties(vm, ["guest.guestOperationsReady"], (v) => v["guest.guestOperationsReady"] === true, { timeoutMs: 5000 });
    const sleeper = Number(await c.call("StartProgramInGuest", pm, { vm, auth, spec: spec("/bin/sleep", "1000") }));
    const killer = Number(await c.call("StartProgramInGuest", pm, { vm, auth, spec: spec("/bin/kill", `-15 ${sleeper}`) }));
    const list = (await c.call("ListProcessesInGuest", pm, { vm, auth, pids: [sleeper, killer] })) as any[];
    expect(list.map((p) => [p.pid, p.name, p.owner, p.exitCode])).toEqual([[sleeper, "sleep", "root", 143], [killer, "kill", "root", 0]]);
    expect(list[0].cmdLine).toBe("/bin/sleep 1000");
    expect(await c.call("ReadEnvironmentVariableInGuest", pm, { vm, auth })).toEqual(["PATH=/bin", "HOSTNAME=procs1"]);

    const other = Number(await c.call("StartProgramInGuest", pm, { vm, auth, spec: spec("/bin/sleep", "5") }));
    await c.call("TerminateProcessInGuest", pm, { vm, auth, pid: other });
    expect((await fault(c.call("TerminateProcessInGuest", pm, { vm, auth, pid: other }))).type).toBe("GuestProcessNotFound");
    expect((await fault(c.call("StartProgramInGuest", pm, { vm, auth, spec: spec("/bin/nothing", "") }))).type).toBe("FileNotFound");
    expect((await fault(c.call("StartProgramInGuest", pm, { vm, auth: { ...auth, password: "wrong" }, spec: spec("/bin/sleep", "1") }))).type).toBe("InvalidGuestLogin");

    // a guest whose tools do no operations, and a VM with no guest at all
    const echo = await createVm("procs2", { iso: "[mydatastore] echo.iso" });
    const blank = await createVm("procs3");
    for (const v of [echo, blank]) {
      await power(v, "PowerOnVM_Task");
      expect((await fault(c.call("StartProgramInGuest", pm, { vm: v, auth, spec: spec("/bin/sleep", "1") }))).type).toBe("GuestOperationsUnavailable");
      await power(v, "PowerOffVM_Task");
    }
    await power(vm, "PowerOffVM_Task");
  });
});

describe("guests where only 127.0.0.1 is routed (mapped addresses)", () => {
  let sim: RunningSimulator;
  let c: VimClient;
  const hws = new Map<string, GuestHardware>();
  beforeAll(async () => {
    sim = await startSimulator({
      scenario: "homelab",
      guestAddresses: "mapped",
      guestPrograms: {
        "test-listener": async (hw) => {
          hws.set(hw.vm.name, hw);
          hw.nics[0].dhcp();
          await hw.nics[0].listen(8080, (s) => s.end(`hi from ${hw.vm.name}\n`));
        },
      },
    });
    c = await connect(sim);
    await c.uploadFile("mydatastore", "listener.iso", buildGuestIso("test-listener", [], sim.sim.clock.now()));
  });
  afterAll(() => sim?.close());

  const vmWith = async (name: string, serialTo?: string) => {
    const deviceChange: any[] = [
      { _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "VirtualCdrom", key: -10, controllerKey: 200, unitNumber: 0, backing: { _type: "VirtualCdromIsoBackingInfo", fileName: "[mydatastore] listener.iso" }, connectable: { _type: "VirtualDeviceConnectInfo", startConnected: true, allowGuestControl: true, connected: false } } },
      { _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "VirtualVmxnet3", key: -20, backing: { _type: "VirtualEthernetCardNetworkBackingInfo", deviceName: "VM Network" }, addressType: "generated" } },
    ];
    if (serialTo) deviceChange.push({ _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "VirtualSerialPort", key: -11, backing: { _type: "VirtualSerialPortURIBackingInfo", direction: "client", serviceURI: serialTo }, yieldOnPoll: true, connectable: { _type: "VirtualDeviceConnectInfo", startConnected: true, allowGuestControl: true, connected: false } } });
    const task = (await c.call("CreateVM_Task", moref("Folder", "ha-folder-vm"), {
      config: { _type: "VirtualMachineConfigSpec", name, guestId: "otherGuest64", memoryMB: 64, files: { _type: "VirtualMachineFileInfo", vmPathName: "[mydatastore]" }, deviceChange },
      pool: moref("ResourcePool", "ha-root-pool"),
    })) as ManagedObjectReference;
    const vm = (await c.waitForTask(task)) as ManagedObjectReference;
    await c.waitForTask((await c.call("PowerOnVM_Task", vm)) as ManagedObjectReference);
    return vm;
  };
  const read = (s: net.Socket) => new Promise<string>((resolve, reject) => {
    let out = "";
    s.on("data", (d) => (out += d)).on("end", () => resolve(out)).on("error", reject);
  });

  it("reports the guest's own address, maps its listener to a 127.0.0.1 port, and routes guests and serial ports through the map", async () => {
    const a = await vmWith("map-a");
    const ipA = await until(async () => (await c.retrieveOne(a, ["guest.ipAddress"]))["guest.ipAddress"] as string | undefined, "map-a's address");
    expect(ipA).toMatch(/^127\./);
    // the map, over the control API
    const body = await new Promise<string>((resolve, reject) => {
      https.get(new URL("/_sim/ports", sim.url), { rejectUnauthorized: false, auth: `${sim.username}:${sim.password}` }, (r) => {
        let out = "";
        r.on("data", (d) => (out += d)).on("end", () => resolve(out));
      }).on("error", reject);
    });
    const listed = JSON.parse(body) as { mode: string; ports: { guest: string; host: string }[] };
    expect(listed.mode).toBe("mapped");
    const entry = listed.ports.find((p) => p.guest === `${ipA}:8080`)!;
    expect(entry.host).toMatch(/^127\.0\.0\.1:\d+$/);
    const [, hostPort] = entry.host.split(":");
    expect(await read(net.connect(Number(hostPort), "127.0.0.1"))).toBe("hi from map-a\n");
    // another guest dials map-a's own address
    const b = await vmWith("map-b");
    await until(() => hws.get("map-b"), "map-b");
    expect(await read(hws.get("map-b")!.nics[0].connect(ipA, 8080))).toBe("hi from map-a\n");
    // a serial port aimed at map-a's address reaches its listener
    const serialVm = await vmWith("map-c", `tcp://${ipA}:8080`);
    await until(async () => ((await c.retrieveOne(serialVm, ["config.hardware.device"]))["config.hardware.device"] as any[]).find((d) => d._type === "VirtualSerialPort").connectable.connected || (sim.sim.inventory.ofType("Datastore")[0] as any).volume.readFile("map-c/vmware.log").toString().includes("connected to"), "map-c's serial connection");
    for (const vm of [a, b, serialVm]) await c.waitForTask((await c.call("PowerOffVM_Task", vm)) as ManagedObjectReference);
    expect(sim.sim.guests.network.mappings()).toEqual([]);
  });
});
