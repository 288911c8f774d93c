// The simulator's HTTPS listener. By default TLS is terminated in a worker
// thread (tls-terminator.mjs) that hands plain HTTP to the main thread over
// a local socket, so crypto runs beside the simulator instead of in its
// event loop; `offloadTls: false` keeps everything on the main thread.
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { RequestHandler } from "./app.ts";

export interface HttpsFront {
  address: AddressInfo;
  close(): Promise<void>;
}

/** The client a request came from: the TLS worker says so in its PROXY line. */
export function clientAddress(socket: net.Socket): string {
  return ((socket as net.Socket & { clientAddress?: string }).clientAddress ?? socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
}

export async function listenHttps(handler: RequestHandler, tls: { cert: string; key: string }, host: string, port: number, offloadTls: boolean): Promise<HttpsFront> {
  if (!offloadTls) return listenInline(handler, tls, host, port);
  const app = http.createServer(handler);
  app.keepAliveTimeout = 60_000;
  // each connection opens with "PROXY TCP4 client server cport sport\r\n" (PROXY protocol v1)
  const backend = net.createServer((sock) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n");
      if (end < 0) {
        if (head.length > 108) sock.destroy();
        return;
      }
      sock.off("data", onData);
      sock.pause();
      const fields = head.subarray(0, end).toString("latin1").split(" ");
      if (fields[0] !== "PROXY") return sock.destroy();
      (sock as net.Socket & { clientAddress?: string }).clientAddress = fields[2];
      const rest = head.subarray(end + 2);
      if (rest.length) sock.unshift(rest);
      app.emit("connection", sock);
      sock.resume();
    };
    sock.on("data", onData);
    sock.on("error", () => sock.destroy());
  });
  const path = process.platform === "win32" ? `\\\\.\\pipe\\vsphere-sim-${randomUUID()}` : join(tmpdir(), `vsphere-sim-${randomUUID()}.sock`);
  await new Promise<void>((resolve, reject) => {
    backend.once("error", reject);
    backend.listen(path, () => resolve());
  });
  const worker = new Worker(new URL("./tls-terminator.mjs", import.meta.url), { workerData: { cert: tls.cert, key: tls.key, host, port, backend: path } });
  worker.unref();
  let address: AddressInfo;
  try {
    address = await new Promise<AddressInfo>((resolve, reject) => {
      worker.once("error", reject);
      worker.once("message", (m: { listening?: AddressInfo; error?: { code?: string; message: string } }) => {
        if (m.listening) resolve(m.listening);
        else reject(Object.assign(new Error(m.error?.message ?? "the TLS worker failed"), { code: m.error?.code }));
      });
    });
  } catch (e) {
    await worker.terminate();
    backend.close();
    throw e;
  }
  return {
    address,
    close: async () => {
      const closed = new Promise<void>((r) => worker.once("message", () => r()));
      worker.postMessage("close");
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
      await worker.terminate();
      app.closeAllConnections();
      await new Promise<void>((r) => backend.close(() => r()));
    },
  };
}

async function listenInline(handler: RequestHandler, tls: { cert: string; key: string }, host: string, port: number): Promise<HttpsFront> {
  const server = https.createServer({ cert: tls.cert, key: tls.key }, handler);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
