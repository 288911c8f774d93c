// Network serial ports in client mode, as the VMX runs them: a refused
// connection is retried with backoff, and ports aimed at the same dead
// address share one refusal instead of each opening a socket.
import net from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../simulator/clock.ts";
import { RefusedEndpoints, SerialPortLink, type SerialPortHost } from "../../simulator/guest/serial-port.ts";

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

function hostFor(clock: ManualClock, refusals: RefusedEndpoints, lines: string[]): SerialPortHost {
  return {
    clock,
    refusals,
    log: (m) => lines.push(m),
    route: (host, port) => ({ host, port }),
    allowsOutbound: () => true,
    appendFile: () => {},
    connectedChanged: () => {},
    guestFault: (e) => {
      throw e;
    },
  };
}

const uriBacking = (port: number) => ({ _type: "VirtualSerialPortURIBackingInfo", direction: "client", serviceURI: `tcp://127.0.0.1:${port}` });

describe("SerialPortLink, client direction", () => {
  const links: SerialPortLink[] = [];
  let server: net.Server | undefined;
  afterEach(async () => {
    for (const l of links.splice(0)) l.stop();
    vi.restoreAllMocks();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  it("answers a retry that falls due just after another port's refusal without a socket; power on always dials", async () => {
    const port = await closedPort();
    const clock = new ManualClock();
    const refusals = new RefusedEndpoints(clock);
    const dials = vi.spyOn(net, "connect");
    const logs: string[][] = [];
    const start = () => {
      const lines: string[] = [];
      logs.push(lines);
      const link = new SerialPortLink(0, "serial0", uriBacking(port), hostFor(clock, refusals, lines));
      links.push(link);
      link.start();
      return link;
    };
    const refusedLine = `vmx| W115: serial0: cannot connect to tcp://127.0.0.1:${port}: ECONNREFUSED; retrying`;

    // port A powers on at 0 and is refused; its first retry is due at 200
    start();
    await until(() => logs[0].length === 1, "A's refusal");
    // 19 VMs power on at 150: each dials, as a new VMX process does, and is refused
    clock.advance(150);
    for (let i = 0; i < 19; i++) start();
    expect(dials).toHaveBeenCalledTimes(20);
    await until(() => logs.every((l) => l.length === 1), "19 refusals");
    for (const lines of logs) expect(lines).toEqual([refusedLine]);

    // A's retry at 200 falls within 100 ms of those refusals: answered without a socket
    clock.advance(50);
    expect(dials).toHaveBeenCalledTimes(20);
    expect(logs[0]).toEqual([refusedLine]);

    // the appliance comes up: the others' retries (due at 350) dial and connect, and so does A's next one (due at 600)
    const accepted: net.Socket[] = [];
    server = net.createServer((s) => accepted.push(s));
    await new Promise<void>((r) => server!.listen(port, "127.0.0.1", () => r()));
    clock.advance(150);
    await until(() => links.filter((l) => l.connected).length === 19, "19 connections");
    expect(links[0].connected).toBe(false);
    clock.advance(250);
    await until(() => links.every((l) => l.connected) && accepted.length === 20, "20 connections");
    expect(dials).toHaveBeenCalledTimes(40);
    for (const lines of logs) expect(lines.at(-1)).toBe(`vmx| I125: serial0: connected to tcp://127.0.0.1:${port}`);
    for (const s of accepted) s.destroy();
  });

  it("dials at power on even just after another port was refused", async () => {
    const port = await closedPort();
    const clock = new ManualClock();
    const refusals = new RefusedEndpoints(clock);
    const dials = vi.spyOn(net, "connect");
    const a: string[] = [], b: string[] = [];
    links.push(new SerialPortLink(0, "serial0", uriBacking(port), hostFor(clock, refusals, a)));
    links[0].start();
    await until(() => a.length === 1, "A's refusal");
    clock.advance(50);
    expect(refusals.refused("127.0.0.1", port)).toBe(true);
    links.push(new SerialPortLink(0, "serial0", uriBacking(port), hostFor(clock, refusals, b)));
    links[1].start();
    expect(dials).toHaveBeenCalledTimes(2);
    await until(() => b.length === 1, "B's refusal");
  });

  it("forgets a refusal after a moment: a port retrying later dials again", async () => {
    const port = await closedPort();
    const clock = new ManualClock();
    const refusals = new RefusedEndpoints(clock);
    const lines: string[] = [];
    const dials = vi.spyOn(net, "connect");
    const link = new SerialPortLink(0, "serial0", uriBacking(port), hostFor(clock, refusals, lines));
    links.push(link);
    link.start();
    await until(() => lines.length === 1, "the refusal");
    expect(refusals.refused("127.0.0.1", port)).toBe(true);
    clock.advance(200);
    expect(dials).toHaveBeenCalledTimes(2);
    await until(() => refusals.refused("127.0.0.1", port), "the second refusal");
    // one line per outage, not one per retry
    expect(lines).toHaveLength(1);
  });
});
