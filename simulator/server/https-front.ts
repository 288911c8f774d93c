// The simulator's HTTPS listener: inline by default, or with TLS, HTTP
// parsing and response writing in a worker thread (https-worker.mjs,
// `offloadTls: true`), SOAP calls then reaching the main thread as messages.
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { TlsOptions } from "node:tls";
import { X509Certificate, randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { RequestHandler, SdkCall } from "./app.ts";
import { closeOnPeerEnd } from "./tls.ts";

export interface HttpsFront {
  address: AddressInfo;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024 * 1024;

type WorkerMessage =
  | { t: "listening"; address: AddressInfo }
  | { t: "error"; error: { code?: string; message: string } }
  | { t: "sdk"; id: number; body: string | null; cookie?: string; remoteAddress: string; userAgent: string; clientCert?: Uint8Array }
  | { t: "abort"; id: number }
  | { t: "closed" };

export async function listenHttps(handler: RequestHandler, call: SdkCall, tls: TlsOptions, host: string, port: number, offloadTls: boolean): Promise<HttpsFront> {
  if (!offloadTls) return listenInline(handler, tls, host, port);
  // what the worker relays (datastore files, control API) arrives here over a local socket
  const app = http.createServer(handler);
  app.keepAliveTimeout = 60_000;
  const path = process.platform === "win32" ? `\\\\.\\pipe\\vsphere-sim-${randomUUID()}` : join(tmpdir(), `vsphere-sim-${randomUUID()}.sock`);
  await new Promise<void>((resolve, reject) => {
    app.once("error", reject);
    app.listen(path, () => resolve());
  });
  const worker = new Worker(new URL("./https-worker.mjs", import.meta.url), { workerData: { tlsOptions: tls, host, port, backend: path, maxBody: MAX_BODY } });
  worker.unref();
  const aborts = new Map<number, () => void>();
  let closed: (() => void) | undefined;
  const listening = new Promise<AddressInfo>((resolve, reject) => {
    worker.once("error", reject);
    worker.on("message", (m: WorkerMessage) => {
      switch (m.t) {
        case "listening":
          return resolve(m.address);
        case "error":
          return reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
        case "sdk": {
          const aborted = new Promise<void>((r) => aborts.set(m.id, r));
          const der = m.clientCert;
          const clientCertificate = der ? () => new X509Certificate(Buffer.from(der)) : undefined;
          void call({ body: m.body, cookie: m.cookie, remoteAddress: m.remoteAddress, userAgent: m.userAgent, aborted, clientCertificate }).then((r) => {
            aborts.delete(m.id);
            worker.postMessage({ t: "reply", id: m.id, status: r.status, body: r.body, setCookie: r.setCookie });
          });
          return;
        }
        case "abort":
          aborts.get(m.id)?.();
          aborts.delete(m.id);
          return;
        case "closed":
          closed?.();
      }
    });
  });
  let address: AddressInfo;
  try {
    address = await listening;
  } catch (e) {
    await worker.terminate();
    app.close();
    throw e;
  }
  return {
    address,
    close: async () => {
      const done = new Promise<void>((r) => (closed = r));
      worker.postMessage({ t: "close" });
      await Promise.race([done, new Promise((r) => setTimeout(r, 1000))]);
      await worker.terminate();
      for (const abort of aborts.values()) abort();
      app.closeAllConnections();
      await new Promise<void>((r) => app.close(() => r()));
    },
  };
}

async function listenInline(handler: RequestHandler, tls: TlsOptions, host: string, port: number): Promise<HttpsFront> {
  const server = https.createServer(tls, handler);
  server.keepAliveTimeout = 60_000;
  closeOnPeerEnd(server);
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
