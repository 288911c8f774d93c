// The simulator's TLS, alone: the SDK listener's options (an ESXi 6.0
// scenario's) and certificate, with nothing behind them. Writes the key pair
// into the folder given, for the Go server to use the same one, and prints
// the address it listens on.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import { closeOnPeerEnd, sdkTlsOptions, selfSigned } from "../../simulator/server/tls.ts";

const dir = process.argv[2];
if (!dir) {
  process.stderr.write("usage: node-server.ts DIR\n");
  process.exit(1);
}
const { cert, key } = await selfSigned("127.0.0.1", ["127.0.0.1"], new Date());
writeFileSync(join(dir, "cert.pem"), cert);
writeFileSync(join(dir, "key.pem"), key);
const server = tls.createServer({ ...sdkTlsOptions("6.0.0"), cert, key }, (socket) => {
  socket.on("error", () => socket.destroy());
  socket.resume();
});
closeOnPeerEnd(server);
server.listen(0, "127.0.0.1", () => {
  const a = server.address() as { address: string; port: number };
  process.stdout.write(`${a.address}:${a.port}\n`);
});
