// The HTTPS side of a simulator, run in a worker thread: TLS, HTTP parsing
// and response writing happen here, on a second core. SOAP calls (POST /sdk,
// nearly all traffic) go to the main thread as messages and come back as
// replies; everything else (/folder, /_sim, the version document) is relayed
// to the main thread's HTTP server over a local socket, streams and all.
// govmomi opens a new connection for most calls once its two idle ones are
// taken, so handshakes and parsing are much of a busy simulator's work.
// Plain JavaScript: a worker must load without the TypeScript loader.
import { parentPort, workerData } from "node:worker_threads";
import http from "node:http";
import https from "node:https";

const { tlsOptions, host, port, backend, maxBody } = workerData;
const SDK_PATHS = new Set(["/sdk", "/sdk/", "/sdk/vimService"]);
const pending = new Map();
let nextId = 1;

function clientOf(req) {
  return (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
}

function soap(req, res) {
  const chunks = [];
  let size = 0;
  let tooLarge = false;
  req.on("data", (c) => {
    size += c.length;
    if (size > maxBody) tooLarge = true;
    else chunks.push(c);
  });
  req.on("error", () => res.destroy());
  req.on("end", () => {
    const id = nextId++;
    pending.set(id, res);
    res.on("close", () => {
      if (pending.delete(id) && !res.writableFinished) parentPort.postMessage({ t: "abort", id });
    });
    parentPort.postMessage({
      t: "sdk",
      id,
      body: tooLarge ? null : Buffer.concat(chunks).toString("utf8"),
      cookie: req.headers.cookie,
      remoteAddress: clientOf(req),
      userAgent: String(req.headers["user-agent"] ?? ""),
      // only a listener that asks for client certificates (vCenter's) can have one
      clientCert: tlsOptions.requestCert ? req.socket.getPeerX509Certificate?.()?.raw : undefined,
    });
  });
}

// A fresh local connection per relayed request: a kept-alive one can be
// closed by the backend just as it is reused. A unix socket connect costs
// little next to the TLS around it.
const relayAgent = new http.Agent({ keepAlive: false });
/** Bodies up to this size are relayed in one write, after they have arrived whole. */
const BUFFERED_BODY = 16 * 1024 * 1024;

function relay(req, res) {
  const headers = { ...req.headers, "x-vsphere-sim-client": clientOf(req) };
  const up = http.request({ socketPath: backend, method: req.method, path: req.url, headers, agent: relayAgent }, (ur) => {
    res.writeHead(ur.statusCode ?? 502, ur.headers);
    ur.pipe(res);
  });
  up.on("error", (e) => {
    if (!res.headersSent) res.writeHead(502, { "Content-Type": "text/plain" }).end(`Bad Gateway: ${e.code ?? e.message}\n`);
    else res.destroy();
  });
  // an answer that comes before the whole body (507 on Content-Length) must
  // still let the rest of the body drain, or the connection's next request
  // would be read as this one's body
  res.on("close", () => {
    req.unpipe(up);
    up.destroy();
    req.resume();
  });
  const length = Number(req.headers["content-length"] ?? NaN);
  if (!(length <= BUFFERED_BODY)) {
    req.pipe(up);
    return;
  }
  // A small body goes upstream in one write with its headers. Piped, its last
  // write could come after the backend had answered and closed the
  // connection (it has the whole body by then), and that EPIPE turned a
  // stored PUT into a 502 for the client.
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => up.end(Buffer.concat(chunks)));
}

const server = https.createServer(tlsOptions, (req, res) => {
  const path = (req.url ?? "").split("?")[0];
  if (req.method === "POST" && SDK_PATHS.has(path)) soap(req, res);
  else relay(req, res);
});
server.keepAliveTimeout = 60_000;
// as closeOnPeerEnd in tls.ts does for the inline listener: a client that
// has closed its side gets no close_notify back, only the socket closed
server.prependListener("secureConnection", (socket) => {
  socket.on("end", () => {
    if (socket.writableLength === 0 && !socket.destroyed) socket.destroy();
  });
});
// a failed handshake (a client that does not trust us) is the client's business
server.on("tlsClientError", () => {});
server.on("error", (e) => parentPort.postMessage({ t: "error", error: { code: e.code, message: e.message } }));
server.listen(port, host, () => parentPort.postMessage({ t: "listening", address: server.address() }));

parentPort.on("message", (m) => {
  if (m.t === "reply") {
    const res = pending.get(m.id);
    pending.delete(m.id);
    if (!res || res.destroyed) return;
    const headers = { "Content-Type": "text/xml; charset=utf-8", "Content-Length": Buffer.byteLength(m.body) };
    if (m.setCookie) headers["Set-Cookie"] = m.setCookie;
    res.writeHead(m.status, headers);
    res.end(m.body);
  } else if (m.t === "close") {
    server.close(() => parentPort.postMessage({ t: "closed" }));
    server.closeAllConnections();
  }
});
