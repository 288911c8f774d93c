// tether: the init of every container VM (0.4/0.5 cmd/tether, lib/tether;
// spec §4), booted from bootstrap.iso. It reads its ExecutorConfig from
// guestinfo, mounts the container's disk (the image chain with the
// container's own layer on top), names the host after the ID, brings up
// the NIC of each endpoint (found by PCI slot) and publishes the address,
// launches the session in the simulated userland, writes `started` and,
// when the process ends, `status` and an exit log back to guestinfo, and
// powers the VM off: the exit code outlives the VM's run in its
// extraConfig. The session's output goes to serial2, the file-backed
// `[ds] <id>/<id>.log` that `docker logs` reads; serial1 is tether's own
// debug log. Stop and kill arrive as the guest operations program `kill`,
// authenticated with the container ID, as VIC's toolbox took them.
import type { GuestFs, GuestHardware, GuestInstance, GuestProcess, GuestProgram } from "../../hardware/guest-hardware.ts";
import { decode } from "../lib/extraconfig.ts";
import { EXECUTOR_CONFIG, ipv4, ipv4Mask, type ExecutorConfig, type SessionConfig } from "../lib/executor-config.ts";
import { readGuestinfo, writeGuestinfo } from "../lib/guestinfo.ts";
import { serveAttach, type AttachStream } from "./attach-server.ts";
import { MountTable, readOnly } from "./mount-table.ts";

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const MAX_EXIT_LOGS = 5;
const RUNBLOCK_WAIT_MS = 60_000;

/** What tether writes: read-write keys only (the guest cannot write the rest) */
function publish(hw: GuestHardware, partial: Partial<ExecutorConfig>): void {
  writeGuestinfo(hw.guestinfo, partial as Record<string, unknown>, EXECUTOR_CONFIG);
}

function readConfig(hw: GuestHardware): ExecutorConfig {
  const config = decode<ExecutorConfig>(readGuestinfo(hw.guestinfo), EXECUTOR_CONFIG);
  if (!config.common?.id || !config.sessions?.[config.common.id]) throw new Error("guestinfo holds no container configuration");
  return config;
}

/** the file a command name runs, as exec.LookPath finds it in the container */
function lookPath(fs: GuestFs, name: string, path: string, dir: string): string | undefined {
  const isExec = (p: string) => {
    try {
      const st = fs.stat(p);
      return st.type === "file" && (st.mode & 0o111) !== 0;
    } catch {
      return false;
    }
  };
  if (name.includes("/")) {
    const p = name.startsWith("/") ? name : `${dir.replace(/\/$/, "")}/${name}`;
    return isExec(p) ? p : undefined;
  }
  for (const d of path.split(":")) {
    const p = `${d.replace(/\/$/, "") || "."}/${name}`;
    if (isExec(p)) return p;
  }
  return undefined;
}

export const tether: GuestProgram = (hw): GuestInstance => {
  const config = readConfig(hw);
  const id = config.common.id!;
  const session: SessionConfig = config.sessions[id];
  const short = id.slice(0, 12);
  const debug = (m: string) => hw.serial[1]?.write(`${hw.clock.now().toISOString()} tether: ${m}\n`);
  const log = hw.serial[2];

  // the container's own disk ([ds] <id>/<id>.vmdk); the others are volumes
  const disk = hw.disks.find((d) => d.fileName.endsWith(`/${id}.vmdk`)) ?? hw.disks[0];
  if (!disk) throw new Error("the container VM has no disk");
  const fs = disk.mount();
  const table = new MountTable(fs);
  const volumes: typeof hw.disks[number][] = [];
  for (const [name, m] of Object.entries(config.mounts ?? {})) {
    // label://<label>: the volume disk is named by its label
    const label = m.source.replace(/^label:\/\//, "");
    const vdisk = hw.disks.find((d) => d !== disk && d.fileName.endsWith(`/${label}.vmdk`));
    if (!vdisk) throw new Error(`volume ${name}: no disk labelled ${label}`);
    table.mount(m.path, m.mode === "ro" ? readOnly(vdisk.mount()) : vdisk.mount());
    volumes.push(vdisk);
    debug(`volume ${name} mounted at ${m.path}`);
  }
  hw.setHostName(short);
  fs.mkdir("/etc", { parents: true });
  fs.writeFile("/etc/hostname", `${short}\n`);
  const name = config.common.name;
  const hosts = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"];

  // networks: the NIC in each endpoint's PCI slot, its address published
  const assigned: Record<string, { assigned: { ip: Buffer; mask: Buffer } }> = {};
  for (const [net, ep] of Object.entries(config.networks ?? {})) {
    const nic = hw.nics.find((n) => n.pciSlotNumber !== undefined && String(n.pciSlotNumber) === ep.common?.id) ?? hw.nics[0];
    if (!nic) continue;
    const fixed = ep.staticIp?.ip?.length ? [...ep.staticIp.ip.subarray(-4)].join(".") : undefined;
    if (fixed) nic.setAddress(fixed);
    else nic.dhcp();
    const ip = nic.ipAddress!;
    hosts.push(`${ip}\t${short}${name ? ` ${name}` : ""}`);
    assigned[net] = { assigned: { ip: ipv4(ip), mask: ipv4Mask(nic.prefixLength) } };
    debug(`${net}: ${nic.macAddress} is ${ip}`);
  }
  fs.writeFile("/etc/hosts", `${hosts.join("\n")}\n`);
  if (Object.keys(assigned).length) publish(hw, { networks: assigned } as Partial<ExecutorConfig>);

  const env = new Map<string, string>();
  for (const e of session.cmd.env ?? []) {
    const i = e.indexOf("=");
    if (i > 0) env.set(e.slice(0, i), e.slice(i + 1));
  }
  if (!env.has("PATH")) env.set("PATH", DEFAULT_PATH);
  env.set("HOSTNAME", short);
  if (!env.has("HOME")) env.set("HOME", "/root");
  if (session.tty && !env.has("TERM")) env.set("TERM", "xterm");
  const dir = session.cmd.dir || "/";
  const argv = session.cmd.args?.length ? [...session.cmd.args] : [session.cmd.path];

  const writeSession = (patch: Partial<SessionConfig>) => publish(hw, { sessions: { [id]: patch } } as unknown as Partial<ExecutorConfig>);
  let halted = false;
  const halt = () => {
    if (halted) return;
    halted = true;
    for (const d of [...volumes, disk]) {
      try {
        d.unmount();
      } catch (e) {
        debug(`unmount ${d.fileName}: ${(e as Error).message}`);
      }
    }
    hw.powerOff();
  };
  hw.onHalt(() => {
    halted = true;
  });

  const exitLogs = [...(session.diagnostics?.exitLogs ?? [])];
  const resolved = lookPath(table, session.cmd.path, env.get("PATH")!, dir);
  if (!resolved) {
    const why = `exec: "${session.cmd.path}": executable file not found in $PATH`;
    debug(why);
    writeSession({ started: why, exitStatus: 127 });
    hw.clock.setTimeout(halt, 0);
    return {};
  }
  argv[0] = session.cmd.args?.length ? argv[0] : resolved;

  // the container's network applets (nc) use the NICs brought up above, and only those
  const ul = hw.userland(table, short, { nics: hw.nics.filter((n) => n.ipAddress) });
  const attached = new Set<AttachStream>();
  let proc: GuestProcess | undefined;
  let exitCode: number | undefined;
  let releaseBlock: () => void = () => {};

  const launch = () => {
    if (proc || halted) return;
    const p = (proc = ul.spawn({ argv: [resolved, ...argv.slice(1)], env, cwd: dir, tty: session.tty ? { rows: 24, cols: 80 } : undefined }));
    debug(`session ${short} started: ${argv.join(" ")} (pid ${p.pid})`);
    // the multi-writer: the log on serial2, and every attached stream
    p.stdout.onData((d) => {
      log?.write(d);
      for (const a of attached) a.write(d);
    });
    p.stderr.onData((d) => {
      log?.write(d);
      for (const a of attached) a.stderr.write(d);
    });
    if (!session.attach || !session.openStdin) p.stdin.end();
    writeSession({ started: "true" });
    void p.wait().then((st) => {
      exitCode = st.exitCode;
      exitLogs.push({ time: hw.clock.now(), exitStatus: st.exitCode, message: st.signal ? `killed by ${st.signal}` : "" });
      writeSession({ exitStatus: st.exitCode, diagnostics: { exitLogs: exitLogs.slice(-MAX_EXIT_LOGS) } });
      debug(`session ${short} exited with ${st.exitCode}`);
      // attached clients see the exit and the end of the stream before the power goes
      for (const a of attached) {
        a.exit(st.exitCode);
        a.end();
      }
      hw.clock.setTimeout(halt, 0);
    });
  };

  // RunBlock: a `docker run` is waiting to attach; hold the process until it does (or a minute passes)
  if (session.runBlock) {
    debug("waiting for attach before launching");
    const cancel = hw.clock.setTimeout(() => launch(), RUNBLOCK_WAIT_MS);
    releaseBlock = () => {
      cancel();
      launch();
    };
  } else {
    launch();
  }

  serveAttach(hw, config, {
    ids: () => [id],
    attach: (sessionId, stream) => {
      if (sessionId !== id || exitCode !== undefined || halted) return false;
      attached.add(stream);
      stream.on("close", () => attached.delete(stream));
      stream.on("data", (d: Buffer) => proc?.stdin.write(d));
      // StdinOnce: the attach's end of input is the process's
      stream.on("end", () => {
        if (session.openStdin) proc?.stdin.end();
      });
      releaseBlock();
      return true;
    },
    resize: (rows, cols) => proc?.resize(rows, cols),
    signal: (name) => (proc ? ul.kill(proc.pid, name) : false),
    alive: () => !halted,
    debug,
  });

  return {
    // Halt (VIC's toolbox): StopSignal, ten seconds, then SIGKILL
    shutdown: () => {
      if (!proc) return halt();
      const pid = proc.pid;
      ul.kill(pid, config.stopSignal || "TERM");
      hw.clock.setTimeout(() => ul.kill(pid, "KILL"), 10_000);
    },
    processes: {
      authenticate: (user) => user === id,
      start: (spec) => {
        if (spec.programPath !== "kill") throw Object.assign(new Error(`${spec.programPath}: not found`), { code: "ENOENT" });
        const sig = spec.arguments.trim() || "TERM";
        debug(`signal ${sig}`);
        if (!proc || !ul.kill(proc.pid, sig)) throw Object.assign(new Error(`container ${short} is not running`), { code: "ESRCH" });
        return proc.pid;
      },
      list: (pids) => ul.processes().filter((p) => !pids || pids.includes(p.pid)).map((p) => ({ pid: p.pid, name: p.name, owner: p.user, cmdLine: p.argv.join(" "), startTime: p.startTime, endTime: p.endTime, exitCode: p.status?.exitCode })),
      terminate: (pid) => {
        if (!ul.kill(pid, "KILL")) throw Object.assign(new Error(`no such process ${pid}`), { code: "ESRCH" });
      },
    },
  };
};
