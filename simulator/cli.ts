// `npm run sim`: serve a scenario until SIGINT/SIGTERM. The first stdout line
// is one JSON object (url, username, password, thumbprint) for scripts.
//
// `npm run sim` starts node with --no-memory-reducer. A simulator idles
// between test runs, and after a few idle seconds V8's memory reducer runs
// full GCs that flush the bytecode and optimized code of every function not
// on the stack, so the next client's calls are interpreted and recompiled
// again (measured: about 90 functions reoptimized, twice the CPU per login
// for the next few hundred logins). It also starts node with
// --min-semi-space-size=16: at the first scavenge after an idle spell V8
// finds the allocation rate low and shrinks the young generation to its
// minimum (1 MB), so the next burst of calls ran 6 to 14 scavenges per 200
// logins instead of one, until it had grown back (measured with --trace-gc;
// the first 200 logins after 25 s idle cost 10 to 20% less server CPU with
// the flag). Both flags only work on node's command line:
// v8.setFlagsFromString() is too late for the heap they configure.
import { parseArgs } from "node:util";
import { startSimulator } from "./index.ts";
// The CLI is where the product meets its demo: `npm run sim` boots the ISOs
// vic-machine uploads. The simulator core never imports vic/; only this entry does.
import { VIC_GUEST_PROGRAMS } from "../vic/guest-programs.ts";

const HELP = `Usage: npm run sim -- [options]

Serves an ESXi host or a vCenter over the vim25 SOAP API.

Options:
  --scenario NAME|PATH   scenario name under scenarios/, or a YAML file or folder (default: homelab)
  --listen HOST:PORT     address to listen on; port 0 picks a free one (default: 127.0.0.1:8989)
  --tls-cert FILE        PEM certificate (default: a self-signed one made at start)
  --tls-key FILE         PEM private key for --tls-cert
  --trace                log every SOAP request and response to stderr
  --help                 show this help
`;

function fail(msg: string): never {
  process.stderr.write(`sim: ${msg}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        scenario: { type: "string" },
        listen: { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        trace: { type: "boolean" },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    fail((e as Error).message.split("\n")[0]);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (!!values["tls-cert"] !== !!values["tls-key"]) fail("--tls-cert and --tls-key go together");
  let running;
  try {
    running = await startSimulator({
      scenario: values.scenario ?? "homelab",
      guestPrograms: { ...VIC_GUEST_PROGRAMS },
      listen: values.listen ?? "127.0.0.1:8989",
      tls: values["tls-cert"] ? { certFile: values["tls-cert"], keyFile: values["tls-key"]! } : undefined,
      trace: values.trace ? (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`) : undefined,
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "EADDRINUSE") fail(`cannot listen on ${values.listen ?? "127.0.0.1:8989"}: address already in use (try --listen 127.0.0.1:0)`);
    fail(err.message.split("\n")[0]);
  }
  // handlers first: a script may send SIGTERM as soon as it has read the first line
  const stop = () => {
    void running!.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const { url, username, password, thumbprint, sim } = running;
  process.stdout.write(JSON.stringify({ url, username, password, thumbprint }) + "\n");
  const about = sim.content.about as { fullName: string };
  const where = new URL(url);
  process.stdout.write(
    `${about.fullName} (${sim.isVCenter ? "vCenter" : "standalone host"}), scenario "${sim.scenario.name}"\n` +
      `  SDK:        ${url}\n` +
      `  login:      ${username} / ${password}\n` +
      `  thumbprint: ${thumbprint}\n` +
      (sim.guests.network.mode === "mapped" ? `  guests:     this system routes only 127.0.0.1: guest addresses are mapped to 127.0.0.1 ports (GET /_sim/ports lists them)\n` : "") +
      `  try:        GOVC_URL='https://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${where.host}/sdk' GOVC_INSECURE=1 govc about\n` +
      `Press Ctrl-C to stop.\n`,
  );
}

void main();
