// The table of guest programs a simulator can boot, by the name an image's
// manifest gives. Each simulator has its own table (tests register programs
// in process); the built-in `generic-linux` is the OS a scenario may give a
// fixture VM: tools running, a host name, an address on each NIC.
import type { GuestHardware, GuestInstance, GuestProgram } from "../../hardware/guest-hardware.ts";
import { FileTree } from "./file-tree.ts";
import { BUSYBOX_BINARY, Userland } from "./userland/userland.ts";

export const GENERIC_LINUX = "generic-linux";

export class GuestProgramTable {
  private readonly programs = new Map<string, GuestProgram>([[GENERIC_LINUX, genericLinux]]);

  register(name: string, program: GuestProgram): void {
    if (typeof name !== "string" || !name) throw new Error("guest program: a non-empty name");
    if (typeof program !== "function") throw new Error(`guest program ${name}: a function`);
    this.programs.set(name, program);
  }

  unregister(name: string): void {
    this.programs.delete(name);
  }

  get(name: string): GuestProgram | undefined {
    return this.programs.get(name);
  }

  names(): string[] {
    return [...this.programs.keys()];
  }
}

/** A VM name as a host name ("Web 3" -> "web-3"): the guest's default, and guest customization's CustomizationVirtualMachineName. */
export function hostNameOf(vmName: string): string {
  return vmName.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
}

/**
 * A Linux guest that boots, brings up its NICs and idles. Options (from the
 * scenario): `hostName`, and `ipAddress` for the first NIC (others take a
 * lease); a guest customization gives `ipAddresses`, one per NIC. ShutdownGuest and RebootGuest do what they do on any Linux. Its
 * root is an in-memory tree with busybox, so guest operations work:
 * programs run in the simulated userland and files move over /guestFile.
 * Every login is accepted (there is no /etc/shadow to check).
 */
const genericLinux: GuestProgram = (hw) => {
  const hostName = typeof hw.options.hostName === "string" && hw.options.hostName ? hw.options.hostName : hostNameOf(hw.vm.name) || "localhost";
  hw.setHostName(hostName);
  const perNic = Array.isArray(hw.options.ipAddresses) ? (hw.options.ipAddresses as unknown[]) : [];
  hw.nics.forEach((nic, i) => {
    const given = typeof perNic[i] === "string" ? (perNic[i] as string) : i === 0 && typeof hw.options.ipAddress === "string" ? hw.options.ipAddress : undefined;
    if (given) {
      try {
        nic.setAddress(given);
        return;
      } catch (e) {
        // as a Linux guest whose static address fails to come up: it falls back to DHCP
        hw.log(`guest| W110: ${nic.network}: cannot set ${given}: ${(e as Error).message}; using DHCP`);
      }
    }
    nic.dhcp();
  });
  hw.log(`guest| I125: ${hostName} up`);
  const root = linuxRoot(() => hw.clock.now(), hostName);
  const ul = hw.userland(root, hostName, { nics: hw.nics });
  consoleShell(hw, ul, hostName);
  const processes: GuestInstance["processes"] = {
    start: (spec, user) => {
      if (!root.exists(spec.programPath)) throw Object.assign(new Error(`${spec.programPath}: not found`), { code: "ENOENT" });
      const env = Object.fromEntries((spec.envVariables ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
      // as VMware Tools on Linux does: through the shell, which parses the arguments
      const quoted = `'${spec.programPath.replace(/'/g, "'\\''")}'`;
      return ul.spawn({ argv: ["/bin/sh", "-c", `exec ${quoted} ${spec.arguments}`], env, cwd: spec.workingDirectory || "/root", user }).pid;
    },
    list: (pids) => ul.processes().filter((p) => !pids || pids.includes(p.pid)).map((p) => ({ pid: p.pid, name: p.name, owner: p.user, cmdLine: p.argv.join(" "), startTime: p.startTime, endTime: p.endTime, exitCode: p.status?.exitCode })),
    terminate: (pid) => {
      if (!ul.kill(pid, "SIGKILL")) throw Object.assign(new Error(`no such process ${pid}`), { code: "ESRCH" });
    },
    environment: (names) => [...new Map([["PATH", "/usr/sbin:/usr/bin:/sbin:/bin"], ["HOME", "/root"], ["HOSTNAME", hostName]])].filter(([k]) => !names || names.includes(k)).map(([k, v]) => `${k}=${v}`),
  };
  const files: GuestInstance["files"] = {
    read: (path) => {
      if (root.stat(path).type === "dir") throw Object.assign(new Error(`${path} is a directory`), { code: "EISDIR" });
      return root.readFile(path);
    },
    write: (path, data, overwrite) => root.writeFile(path, data, { exclusive: !overwrite }),
    fs: root,
  };
  return { processes, files };
};

/**
 * A root shell on the console, logged in already (as a console with
 * autologin): keys typed at the VM's console (PutUsbScanCodes) reach its
 * terminal, what it prints goes to the screen, and when it exits a new one
 * starts, as getty does.
 */
function consoleShell(hw: GuestHardware, ul: ReturnType<GuestHardware["userland"]>, hostName: string): void {
  let shell: ReturnType<typeof ul.spawn> | undefined;
  const start = () => {
    hw.console.write(`\r\nSimulated Linux ${hostName} tty1\r\n\r\n`);
    const proc = ul.spawn({ argv: ["/bin/sh"], cwd: "/root", tty: { rows: 25, cols: 80 }, env: { HOME: "/root", PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
    shell = proc;
    proc.stdout.onData((d) => hw.console.write(d.toString("utf8")));
    void proc.wait().then(() => {
      if (shell === proc) start();
    });
  };
  hw.console.onInput((text) => shell?.stdin.write(text));
  hw.onHalt(() => (shell = undefined));
  start();
}

function linuxRoot(now: () => Date, hostName: string): FileTree {
  const fs = new FileTree(now);
  for (const d of ["/bin", "/etc", "/root", "/tmp", "/var/log", "/usr/bin", "/sbin"]) fs.mkdir(d, { parents: true });
  fs.writeFile("/bin/busybox", BUSYBOX_BINARY, { mode: 0o755 });
  for (const a of Userland.applets()) if (!fs.exists(`/bin/${a}`)) fs.symlink("busybox", `/bin/${a}`);
  fs.writeFile("/etc/hostname", `${hostName}\n`);
  fs.writeFile("/etc/os-release", 'NAME="Simulated Linux"\nID=linux\n');
  return fs;
}
