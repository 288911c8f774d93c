// The TLS side of a simulator's HTTPS server, run in a worker thread: it
// accepts the clients' TLS connections and pipes the plain bytes to the
// simulator's HTTP server on the main thread, first telling it who the
// client is with a PROXY protocol v1 line. Handshakes and record crypto then
// use a second core; govmomi opens a new connection for most calls once its
// two idle ones are taken, so this is much of a busy simulator's work.
// Plain JavaScript: a worker must load without the TypeScript loader.
import { parentPort, workerData } from "node:worker_threads";
import net from "node:net";
import tls from "node:tls";

const { cert, key, host, port, backend } = workerData;
const sockets = new Set();

const server = tls.createServer({ cert, key }, (client) => {
  const upstream = net.connect(backend);
  sockets.add(client);
  sockets.add(upstream);
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  const family = client.remoteFamily === "IPv6" ? "TCP6" : "TCP4";
  upstream.write(`PROXY ${family} ${client.remoteAddress} ${client.localAddress} ${client.remotePort} ${client.localPort}\r\n`);
  client.pipe(upstream).pipe(client);
  const done = () => {
    client.destroy();
    upstream.destroy();
    sockets.delete(client);
    sockets.delete(upstream);
  };
  client.on("error", done).on("close", done);
  upstream.on("error", done).on("close", done);
});
// a failed handshake (a client that does not trust us) is the client's business
server.on("tlsClientError", () => {});
server.on("error", (e) => parentPort.postMessage({ error: { code: e.code, message: e.message } }));
server.listen(port, host, () => parentPort.postMessage({ listening: server.address() }));

parentPort.on("message", (m) => {
  if (m !== "close") return;
  server.close(() => parentPort.postMessage({ closed: true }));
  for (const s of sockets) s.destroy();
});
