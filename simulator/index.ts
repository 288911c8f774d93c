// The in-process API: start a simulator on a port (0 picks one), get its
// URL and credentials, close it. Many can run in one process.
import { readFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { buildImages } from "./registry/image-builder.ts";
import { HUB_NAMES, Registry } from "./registry/registry.ts";
import { Simulator, type SimulatorOptions } from "./simulator.ts";
import { probeLoopbackRange, type AddressMode } from "./guest/guest-network.ts";
import type { SimSnapshot } from "./inventory/snapshot.ts";
import { loadScenario } from "./inventory/scenario-loader.ts";
import type { Scenario } from "./inventory/scenario.ts";
import { createHandler, sdkCall } from "./server/app.ts";
import { listenHttps } from "./server/https-front.ts";
import { SERVER_TLS_OPTIONS, sdkTlsOptions, selfSigned, thumbprintOf } from "./server/tls.ts";
import type { Clock } from "./clock.ts";
import type { FaultInjector } from "./dispatch/fault-injection.ts";

export interface StartOptions extends SimulatorOptions {
  /** a scenario name (scenarios/<name>), a path, or a parsed Scenario; default "homelab" */
  scenario?: string | Scenario;
  /** "HOST:PORT"; default 127.0.0.1:0 */
  listen?: string;
  tls?: { cert: string; key: string } | { certFile: string; keyFile: string };
  trace?: (line: string) => void;
  clock?: Clock;
  /**
   * TLS and HTTP in a worker thread, SOAP calls passed to the main thread as
   * messages; default false. On a 2-core machine shared with its clients
   * (CI, the govmomi benchmark) the messages cost more than the worker saves:
   * inline, the whole benchmark workload took a fifth less server CPU.
   */
  offloadTls?: boolean;
  /** the hermetic registry's images: a folder of image folders (default scenarios/images), or false for no registry */
  registryImages?: string | false;
}

export interface RunningRegistry {
  /** https://127.0.0.1:PORT, for clients outside the simulated network */
  url: string;
  /** the address Docker Hub's names resolve to inside the simulated network */
  address: string;
  registry: Registry;
}

export interface RunningSimulator {
  url: string;
  host: string;
  port: number;
  username: string;
  password: string;
  thumbprint: string;
  certificate: string;
  sim: Simulator;
  /** the hermetic registry standing in for Docker Hub, unless registryImages is false */
  registry: RunningRegistry | undefined;
  /** the whole simulator (inventory, datastore files, events, id counters); sessions are not part of it */
  snapshot(): SimSnapshot;
  /** back to a snapshot, any number of times; sessions stay logged in and their filters see the changes */
  restore(snap: SimSnapshot): void;
  /** back to the state right after start (injected faults go too) */
  reset(): void;
  /** faults the calls that follow end in, as POST /_sim/faults sets them: faults.add({ method: "PowerOnVM_Task", fault: "InsufficientResourcesFault" }) */
  faults: FaultInjector;
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]*):(\d+)$/.exec(listen);
  if (!m) throw new Error(`invalid --listen ${JSON.stringify(listen)}: expected HOST:PORT`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`invalid --listen ${JSON.stringify(listen)}: port out of range`);
  return { host: m[1].replace(/^\[|\]$/g, "") || "127.0.0.1", port };
}

export async function startSimulator(opts: StartOptions = {}): Promise<RunningSimulator> {
  const scenario = typeof opts.scenario === "object" ? opts.scenario : loadScenario(opts.scenario ?? "homelab");
  const guestAddresses: AddressMode = opts.guestAddresses ?? ((await probeLoopbackRange()) ? "loopback" : "mapped");
  const sim = new Simulator(scenario, { ...opts, guestAddresses, deferGuests: true });
  const { host, port } = parseListen(opts.listen ?? "127.0.0.1:0");
  let tls: { cert: string; key: string };
  if (opts.tls && "certFile" in opts.tls) tls = { cert: readFileSync(opts.tls.certFile, "utf8"), key: readFileSync(opts.tls.keyFile, "utf8") };
  else tls = opts.tls ?? (await selfSigned(scenario.datacenters[0]?.hosts[0]?.name ?? "localhost", ["localhost", "127.0.0.1", host], sim.clock.now()));
  const thumbprint = thumbprintOf(tls.cert);
  const call = sdkCall(sim, { trace: opts.trace });
  const front = await listenHttps(createHandler(sim, { trace: opts.trace }, call), call, { ...sdkTlsOptions(scenario.about.version, sim.isVCenter), ...tls }, host, port, opts.offloadTls ?? false);
  const addr = front.address;
  sim.guests.port = addr.port;
  // guest addresses of this simulator differ from those of any other on this machine; fixture guests boot with them
  sim.guests.network.reseed(String(addr.port));
  let registry: RunningRegistry | undefined;
  let registryServer: https.Server | undefined;
  if (opts.registryImages !== false) {
    const images = buildImages(opts.registryImages ?? fileURLToPath(new URL("../scenarios/images/", import.meta.url)));
    const reg = new Registry(images, `${scenario.seed}\0registry\0${addr.port}`, sim.clock);
    registryServer = https.createServer({ ...SERVER_TLS_OPTIONS, cert: tls.cert, key: tls.key }, reg.handle);
    const server = registryServer;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const regPort = (server.address() as AddressInfo).port;
    const address = sim.guests.network.publish(HUB_NAMES, 443, regPort);
    registry = { url: `https://127.0.0.1:${regPort}`, address, registry: reg };
  }
  sim.guests.start();
  const urlHost = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  let stopSweep = () => {};
  const sweep = () => {
    sim.sessions.sweep();
    stopSweep = sim.clock.setTimeout(sweep, 60_000);
  };
  stopSweep = sim.clock.setTimeout(sweep, 60_000);
  return {
    url: `https://${urlHost}:${addr.port}/sdk`,
    host: addr.address,
    port: addr.port,
    username: scenario.credentials.username,
    password: scenario.credentials.password,
    thumbprint,
    certificate: tls.cert,
    sim,
    registry,
    snapshot: () => sim.snapshot(),
    restore: (snap) => sim.restore(snap),
    reset: () => sim.reset(),
    faults: sim.faults,
    close: async () => {
      stopSweep();
      for (const s of sim.sessions.list()) sim.sessions.terminate(s);
      sim.close();
      registryServer?.closeAllConnections();
      await new Promise<void>((r) => (registryServer ? registryServer.close(() => r()) : r()));
      await front.close();
    },
  };
}

export { Simulator } from "./simulator.ts";
export type { SimSnapshot } from "./inventory/snapshot.ts";
export { ManualClock, systemClock } from "./clock.ts";
export { loadScenario } from "./inventory/scenario-loader.ts";
