// The SDK listener's connection handling, seen from the wire: a proxy
// between a TLS client and the listener counts what the listener sends
// after the client has closed its side.
import net, { type AddressInfo } from "node:net";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { listenHttps, type HttpsFront } from "../../simulator/server/https-front.ts";
import { sdkTlsOptions, selfSigned } from "../../simulator/server/tls.ts";
import { IdSource } from "../../simulator/inventory/ids.ts";

interface Wire {
  port: number;
  /** bytes the listener sent after the client's FIN reached it */
  afterClientFin: () => number;
  /** resolves when the listener has closed its side */
  serverClosed: Promise<void>;
  close: () => void;
}

/** A TCP proxy in front of `target` that notes when each direction ends. */
async function wire(target: number): Promise<Wire> {
  let finSeen = false;
  let after = 0;
  let closed!: () => void;
  const serverClosed = new Promise<void>((r) => (closed = r));
  const proxy = net.createServer({ allowHalfOpen: true }, (client) => {
    const up = net.connect({ port: target, host: "127.0.0.1", allowHalfOpen: true });
    client.on("data", (d) => up.write(d));
    client.on("end", () => {
      finSeen = true;
      up.end();
    });
    up.on("data", (d) => {
      if (finSeen) after += d.length;
      client.write(d);
    });
    up.on("end", () => {
      client.end();
      closed();
    });
    up.on("error", () => closed());
    client.on("error", () => up.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
  return { port: (proxy.address() as AddressInfo).port, afterClientFin: () => after, serverClosed, close: () => proxy.close() };
}

/** A TLS client that gathers what it receives, once its handshake is done. */
async function client(port: number): Promise<{ socket: tls.TLSSocket; received: () => string }> {
  const socket = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false });
  let got = "";
  socket.setEncoding("utf8");
  socket.on("data", (d: string) => (got += d));
  await new Promise<void>((r) => socket.once("secureConnect", () => r()));
  return { socket, received: () => got };
}

describe("the SDK listener", () => {
  let front: HttpsFront | undefined;
  afterEach(async () => {
    await front?.close();
    front = undefined;
  });

  /** a listener whose every answer is "ok", after `delayMs` */
  async function start(delayMs = 0, offloadTls = false): Promise<number> {
    const cert = await selfSigned("esx.test", ["127.0.0.1"], new Date());
    front = await listenHttps(
      (_req, res) => {
        const answer = () => {
          res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": 2 });
          res.end("ok");
        };
        if (delayMs) setTimeout(answer, delayMs);
        else answer();
      },
      // the worker thread hands SOAP calls to this; inline, the handler above takes them
      async () => ({ status: 200, body: "ok" }),
      { ...sdkTlsOptions("6.0.0"), cert: cert.cert, key: cert.key },
      "127.0.0.1",
      0,
      offloadTls,
    );
    return front.address.port;
  }

  it.each([
    ["inline", false],
    ["in its worker thread", true],
  ] as const)("with TLS %s, answers requests on a kept-alive connection, then closes without a TLS alert of its own once the client has closed", async (_mode, offloadTls) => {
    const w = await wire(await start(0, offloadTls));
    const { socket: s, received } = await client(w.port);
    s.write("POST /sdk HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    await expect.poll(() => (received().match(/\r\n\r\nok/g) ?? []).length).toBe(1);
    s.write("POST /sdk HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    await expect.poll(() => (received().match(/\r\n\r\nok/g) ?? []).length).toBe(2);
    expect(received()).toContain("Connection: keep-alive");
    // close_notify, then FIN, as Go's tls.Conn.Close sends them
    s.end();
    await w.serverClosed;
    // a TLS 1.2 close_notify record would be 31 bytes (header, nonce, alert, tag)
    expect(w.afterClientFin()).toBe(0);
    w.close();
  });

  it("gives up a request still being handled when the client closes its side (as node:http does), and goes on serving", async () => {
    const port = await start(60);
    const w = await wire(port);
    const { socket: s, received } = await client(w.port);
    s.end("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    await w.serverClosed;
    // the late answer meets a closed socket: nothing is thrown, nothing sent
    await new Promise((r) => setTimeout(r, 100));
    expect(received()).toBe("");
    w.close();
    const again = await client(port);
    again.socket.write("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
    await expect.poll(again.received).toContain("\r\n\r\nok");
    again.socket.destroy();
  });
});

describe("seeded sequence ids", () => {
  it("are version-4 UUIDs, the same for the same seed, and never repeat within a namespace", () => {
    const a = new IdSource("scenario-a");
    const b = new IdSource("scenario-a");
    const first = Array.from({ length: 5 }, () => a.nextUuid("session"));
    expect(Array.from({ length: 5 }, () => b.nextUuid("session"))).toEqual(first);
    for (const u of first) expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const seen = new Set(first);
    let malformed = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = a.nextUuid("session");
      if (u.length !== 36 || u[14] !== "4") malformed++;
      seen.add(u);
    }
    expect(malformed).toBe(0);
    expect(seen.size).toBe(100_005);
    // another seed or namespace starts elsewhere
    expect(new IdSource("scenario-b").nextUuid("session")).not.toBe(first[0]);
    expect(new IdSource("scenario-a").nextUuid("filter")).not.toBe(first[0]);
  });

  it("go on from where a saved state left them, and repeat after a load", () => {
    const ids = new IdSource("s");
    ids.nextUuid("view");
    const saved = ids.save();
    const next = ids.nextUuid("view");
    ids.load(saved, () => false);
    expect(ids.nextUuid("view")).toBe(next);
  });
});
