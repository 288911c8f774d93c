// The simulated userland: a shell with pipes, redirections, variables and
// control flow, busybox applets over a file tree, processes with exit codes
// and signals, a terminal in cooked mode, and the refusals of execve.
import net from "node:net";
import { describe, expect, it } from "vitest";
import { FileTree } from "../../simulator/guest/file-tree.ts";
import { Userland, BUSYBOX_BINARY } from "../../simulator/guest/userland/userland.ts";
import type { SimProcess } from "../../simulator/guest/userland/process.ts";
import { ManualClock, systemClock } from "../../simulator/clock.ts";

function image(): FileTree {
  const fs = new FileTree(() => new Date("2016-08-06T19:50:00Z"));
  fs.mkdir("/bin", { parents: true });
  fs.mkdir("/tmp");
  fs.mkdir("/root");
  fs.writeFile("/bin/busybox", BUSYBOX_BINARY, { mode: 0o755 });
  for (const a of Userland.applets()) if (a !== "busybox" && a !== "[") fs.symlink("busybox", `/bin/${a}`);
  fs.symlink("busybox", "/bin/[");
  fs.writeFile("/elf", Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), { mode: 0o755 });
  fs.writeFile("/greet.sh", '#!/bin/sh\necho "hello, ${1:-nobody}"\nexit 7\n', { mode: 0o755 });
  fs.writeFile("/hello", '#!/sim/sh\necho "Hello from Docker!"\n', { mode: 0o755 });
  fs.writeFile("/noexec", "#!/bin/sh\necho no\n", { mode: 0o644 });
  return fs;
}

async function collect(p: SimProcess): Promise<{ out: string; err: string; code: number; signal?: string }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  p.stdout.onData((d) => out.push(d));
  p.stderr.onData((d) => err.push(d));
  const st = await p.wait();
  await new Promise((r) => setImmediate(r));
  return { out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString(), code: st.exitCode, signal: st.signal };
}

const sh = (script: string, ul = new Userland({ root: image(), hostname: "c0ffee", clock: systemClock })) => collect(ul.spawn({ argv: ["/bin/sh", "-c", script] }));

describe("userland: the shell", () => {
  it("pipes, redirections and exit codes", async () => {
    expect(await sh("echo hello | wc -c")).toMatchObject({ out: "6\n", code: 0 });
    expect((await sh("echo a > /tmp/f; echo b >> /tmp/f; cat /tmp/f; cat < /tmp/f | head -n 1")).out).toBe("a\nb\na\n");
    expect(await sh("ls /nope 2>&1 | grep -c 'No such file'")).toMatchObject({ out: "1\n", code: 0 });
    expect(await sh("ls /nope 2>/dev/null; echo $?")).toMatchObject({ out: "2\n", err: "" });
    expect(await sh("echo to-err >&2")).toMatchObject({ out: "", err: "to-err\n" });
    expect(await sh("false || echo x && exit 3; echo never")).toMatchObject({ out: "x\n", code: 3 });
    expect(await sh("! true")).toMatchObject({ code: 1 });
    expect((await sh("yes | head -n 3")).out).toBe("y\ny\ny\n");
    expect((await sh("seq 3 | sort -r | tr")).err).toBe("tr: not found\n");
  });

  it("variables, quoting, expansions and environment", async () => {
    expect((await sh(`A=1; export B=2; echo $A \${B} \${C:-def} "$A$B" '$A' \\$A`)).out).toBe("1 2 def 12 $A $A\n");
    expect((await sh("X=5 env | grep '^X='; echo ${X:-unset}")).out).toBe("X=5\nunset\n");
    expect((await sh('echo "host: $(hostname)" `echo back`')).out).toBe("host: c0ffee back\n");
    expect((await sh('W="a   b"; for x in $W; do echo "[$x]"; done; echo "[$W]"')).out).toBe("[a]\n[b]\n[a   b]\n");
    expect((await sh("i=0; while [ $i -lt 3 ]; do i=$((i + 1)); echo $i; done")).out).toBe("1\n2\n3\n");
    expect((await sh("if [ -d /bin ] && test -f /bin/busybox; then echo yes; elif true; then echo no; else echo never; fi")).out).toBe("yes\n");
    expect((await sh("cd /tmp && pwd; cd /nope; echo $?")).out).toBe("/tmp\n1\n");
    expect((await sh("trap 'echo bye' EXIT; echo hi")).out).toBe("hi\nbye\n");
    expect((await sh("for i in 1 2 3 4; do if [ $i = 2 ]; then continue; fi; if [ $i = 4 ]; then break; fi; echo $i; done; n=0; while true; do n=$((n+1)); [ $n -ge 3 ] && break; done; echo $n")).out).toBe("1\n3\n3\n");
    expect((await sh("printf '%s=%03d\\n' a 5 b 7")).out).toBe("a=005\nb=007\n");
  });

  it("reports syntax errors as sh does", async () => {
    expect(await sh("if true; then echo x")).toMatchObject({ code: 2, err: expect.stringMatching(/^sh: syntax error: expected "fi"/) });
    expect(await sh("echo 'open")).toMatchObject({ code: 2, err: "sh: unterminated quoted string\n" });
  });
});

describe("userland: exec", () => {
  it("runs scripts through their interpreter, and /sim/ binaries without one in the image", async () => {
    const ul = new Userland({ root: image(), hostname: "h", clock: systemClock });
    expect(await collect(ul.spawn({ argv: ["/greet.sh", "world"] }))).toMatchObject({ out: "hello, world\n", code: 7 });
    expect(await collect(ul.spawn({ argv: ["/hello"] }))).toMatchObject({ out: "Hello from Docker!\n", code: 0 });
    expect(await collect(ul.spawn({ argv: ["busybox", "echo", "via", "busybox"] }))).toMatchObject({ out: "via busybox\n" });
  });

  it("fails as execve does: a native binary, a missing command, a file without x", async () => {
    const ul = new Userland({ root: image(), hostname: "h", clock: systemClock });
    expect(await collect(ul.spawn({ argv: ["/elf"] }))).toMatchObject({ err: "exec /elf: exec format error\n", code: 126 });
    expect(await collect(ul.spawn({ argv: ["nothere"] }))).toMatchObject({ err: "nothere: not found\n", code: 127 });
    expect(await collect(ul.spawn({ argv: ["/noexec"] }))).toMatchObject({ err: "exec /noexec: permission denied\n", code: 126 });
  });
});

describe("userland: processes and signals", () => {
  it("kills with a signal (128+n), lists processes, and takes everything down with init", async () => {
    const clock = new ManualClock();
    const ul = new Userland({ root: image(), hostname: "h", clock });
    const init = ul.spawn({ argv: ["/bin/sh", "-c", "sleep 100 & sleep 200"] });
    await new Promise((r) => setTimeout(r, 20));
    const ps = await collect(ul.spawn({ argv: ["ps"] }));
    expect(ps.out.split("\n")[0]).toBe("  PID USER       TIME  COMMAND");
    expect(ps.out).toContain("sleep 200");
    expect(ps.out).toContain("    1 root");
    const sleeper = ul.processes().find((p) => p.argv.join(" ") === "sleep 200")!;
    expect(await collect(ul.spawn({ argv: ["kill", "-TERM", String(sleeper.pid)] }))).toMatchObject({ code: 0 });
    expect(await sleeper.wait()).toEqual({ exitCode: 143, signal: "SIGTERM" });
    await init.wait();
    await new Promise((r) => setTimeout(r, 10));
    expect(ul.processes().filter((p) => p.running)).toEqual([]);
    expect(await collect(ul.spawn({ argv: ["kill", "-9", "999"] }))).toMatchObject({ code: 1, err: "kill: can't kill pid 999: No such process\n" });
  });

  it("sleeps on the guest's clock", async () => {
    const clock = new ManualClock();
    const ul = new Userland({ root: image(), hostname: "h", clock });
    const p = ul.spawn({ argv: ["sh", "-c", "sleep 5; echo done"] });
    const got = collect(p);
    await new Promise((r) => setTimeout(r, 10));
    expect(p.running).toBe(true);
    clock.advance(5000);
    expect(await got).toMatchObject({ out: "done\n", code: 0 });
  });

  it("gives a terminal: prompt, echo, \\r\\n, ^C to the foreground process, ^D to end", async () => {
    const ul = new Userland({ root: image(), hostname: "h", clock: systemClock });
    const p = ul.spawn({ argv: ["/bin/sh"], tty: { rows: 24, cols: 80 } });
    const out: string[] = [];
    p.stdout.onData((d) => out.push(d.toString()));
    const settle = () => new Promise((r) => setTimeout(r, 20));
    await settle();
    p.stdin.write("echo hi\r");
    await settle();
    expect(out.join("")).toBe("/ # echo hi\r\nhi\r\n/ # ");
    p.stdin.write("sleep 100\r");
    await settle();
    p.stdin.write("\x03");
    await settle();
    expect(out.join("")).toContain("sleep 100\r\n^C\r\n/ # ");
    p.stdin.write("\x04");
    expect(await p.wait()).toEqual({ exitCode: 130 });
  });
});

describe("busybox ash builtins", () => {
  it("runs echo, printf and test in a tree that has no /bin at all, as hello-world's image is", async () => {
    const { FileTree } = await import("../../simulator/guest/file-tree.ts");
    const { ManualClock } = await import("../../simulator/clock.ts");
    const fs = new FileTree(() => new Date(0));
    fs.writeFile("/hello", "#!/sim/sh\necho 'Hello from Docker!'\nprintf '%s-%d\\n' x 3\n[ -e /hello ] && echo found\nls\n", { mode: 0o755 });
    const ul = new Userland({ root: fs, hostname: "h", clock: new ManualClock() });
    const p = ul.spawn({ argv: ["/hello"] });
    const [out, err, status] = await Promise.all([p.stdout.readAll(), p.stderr.readAll(), p.wait()]);
    expect(out.toString()).toBe("Hello from Docker!\nx-3\nfound\n");
    expect(err.toString()).toBe("ls: not found\n");
    expect(status.exitCode).toBe(127);
  });
});

describe("sh traps", () => {
  it("runs a trap between commands in the shell's own flow, so its exit ends the shell", async () => {
    const { FileTree } = await import("../../simulator/guest/file-tree.ts");
    const { ManualClock } = await import("../../simulator/clock.ts");
    const fs = new FileTree(() => new Date(0));
    fs.mkdir("/bin", { parents: true });
    fs.writeFile("/bin/busybox", BUSYBOX_BINARY, { mode: 0o755 });
    for (const a of Userland.applets()) if (a !== "busybox") fs.symlink("busybox", `/bin/${a}`);
    const clock = new ManualClock();
    const ul = new Userland({ root: fs, hostname: "h", clock });
    const p = ul.spawn({ argv: ["sh", "-c", "trap 'echo got INT; exit 9' INT; while true; do echo tick; sleep 1; done; echo never"] });
    const out: string[] = [];
    p.stdout.onData((d) => out.push(d.toString()));
    for (let i = 0; i < 5 && out.join("").split("tick").length < 3; i++) {
      await new Promise((r) => setTimeout(r, 5));
      clock.advance(1000);
    }
    expect(ul.kill(p.pid, "INT")).toBe(true);
    for (let i = 0; i < 5 && p.running; i++) {
      clock.advance(1000);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect((await p.wait()).exitCode).toBe(9);
    expect(out.join("")).toMatch(/got INT\n$/);
    expect(out.join("")).not.toContain("never");
  });
});

describe("busybox nc over the namespace's NICs", () => {
  // a NIC as GuestHardware gives one, on 127.0.0.1 (ports from the OS)
  const nic = (): import("../../hardware/guest-hardware.ts").GuestNic => ({
    deviceKey: 4000, macAddress: "00:50:56:00:00:01", network: "VM Network", pciSlotNumber: 192, ipAddress: "127.0.0.1", prefixLength: 24,
    dhcp: () => "127.0.0.1", setAddress: () => {}, lookup: (n) => (n === "localhost" ? "127.0.0.1" : undefined),
    listen: (port, onConnection) => new Promise((resolve, reject) => {
      const s = net.createServer({ allowHalfOpen: true }, onConnection);
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => resolve(s));
    }),
    connect: (host, port) => net.connect({ host, port }),
  });
  const freePort = () => new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
  const talk = (port: number, line: string) => new Promise<string>((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true }, () => s.end(line));
    let got = "";
    s.on("data", (d) => (got += d));
    s.on("end", () => resolve(got));
    s.on("error", reject);
  });
  const listening = async (port: number) => {
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((r) => net.connect({ host: "127.0.0.1", port }).on("connect", function (this: net.Socket) { this.destroy(); r(true); }).on("error", () => r(false)));
      if (ok) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`nothing listens on ${port}`);
  };

  it("serves connections with -l -p PORT -k -e PROG, one program per connection", async () => {
    const ul = new Userland({ root: image(), hostname: "c0ffee", clock: systemClock, nics: [nic()] });
    const port = await freePort();
    const p = ul.spawn({ argv: ["nc", "-lk", "-p", String(port), "-e", "sh", "-c", 'read l; echo "got $l on $HOSTNAME"'] });
    // probing connects once: -k keeps listening after it
    await listening(port);
    expect(await talk(port, "one\n")).toBe("got one on c0ffee\n");
    expect(await talk(port, "two\n")).toBe("got two on c0ffee\n");
    expect(p.running).toBe(true);
    ul.kill(p.pid, "TERM");
    expect((await p.wait()).exitCode).toBe(143);
    await expect(talk(port, "x\n")).rejects.toThrow(/ECONNREFUSED/);
  });

  it("without -k serves one connection with its own stdin and stdout, and ends with it", async () => {
    const ul = new Userland({ root: image(), hostname: "h", clock: systemClock, nics: [nic()] });
    const port = await freePort();
    const p = ul.spawn({ argv: ["nc", "-l", "-p", String(port)] });
    const out = collect(p);
    p.stdin.write("from nc\n");
    await new Promise((r) => setTimeout(r, 50));
    expect(await talk(port, "from peer\n")).toBe("from nc\n");
    expect(await out).toMatchObject({ out: "from peer\n", code: 0 });
  });

  it("connects as a client from the NIC, and says so when it cannot; no NIC, no network", async () => {
    const port = await freePort();
    const server = net.createServer((s) => s.on("data", (d) => s.end(`echo:${d}`))).listen(port, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    try {
      const ul = new Userland({ root: image(), hostname: "h", clock: systemClock, nics: [nic()] });
      expect(await sh(`echo hi | nc 127.0.0.1 ${port}`, ul)).toMatchObject({ out: "echo:hi\n", code: 0 });
      const closed = await freePort();
      expect(await sh(`nc 127.0.0.1 ${closed}`, ul)).toMatchObject({ err: "nc: can't connect to remote host (127.0.0.1): Connection refused\n", code: 1 });
      expect(await sh(`nc -l -p ${port}`, ul)).toMatchObject({ err: "nc: bind: Address in use\n", code: 1 });
      expect(await sh(`nc -l -p ${port}`)).toMatchObject({ err: "nc: bind: Network is unreachable\n", code: 1 });
    } finally {
      server.close();
    }
  });
});
