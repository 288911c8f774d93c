// vic-init: the VCH appliance's init (0.4 cmd/vic-init, the tether library
// with prefix `init`), booted from appliance.iso. It reads the VCH config
// from guestinfo, names the host, brings up a NIC per network role (roles
// sharing a port group share a NIC and its address), publishes each role's
// address and each component's `started` back to guestinfo, where
// vic-machine waits for them, and relaunches a component that exits,
// counting resurrections, unless the debug level is above 2.
import type { GuestHardware, GuestInstance, GuestNic, GuestProgram } from "../../hardware/guest-hardware.ts";
import { EXECUTOR_CONFIG, ipv4, ipv4Mask, type ExecutorConfig } from "../lib/executor-config.ts";
import { readGuestinfo, writeGuestinfo } from "../lib/guestinfo.ts";
import { decodeVchConfig, type VirtualContainerHostConfigSpec } from "../lib/vch-config.ts";
import { DockerPersonality } from "./docker-personality.ts";
import { PortLayer, type Component } from "./port-layer.ts";
import { ApplianceLogs, VchContext, type ComponentLog } from "./vch-context.ts";
import { VicAdmin } from "./vicadmin.ts";

const RELAUNCH_FIRST_MS = 1000;
const RELAUNCH_MAX_MS = 30_000;

/** What init writes: read-write keys only (the guest cannot write the rest) */
function publish(hw: GuestHardware, partial: Partial<ExecutorConfig>): void {
  writeGuestinfo(hw.guestinfo, partial as Record<string, unknown>, EXECUTOR_CONFIG, { path: ["init"], scope: "read-only" });
}

function readConfig(hw: GuestHardware): VirtualContainerHostConfigSpec {
  const config = decodeVchConfig(readGuestinfo(hw.guestinfo));
  if (!config.init?.sessions || !config.target) throw new Error("guestinfo holds no VCH configuration");
  return config;
}

function bringUpNetworks(vch: VchContext, log: ComponentLog): void {
  const { hw, config } = vch;
  const networks = config.init.networks ?? {};
  const assigned: Record<string, { assigned: { ip: Buffer; mask: Buffer } }> = {};
  for (const role of Object.keys(networks).sort()) {
    const ep = networks[role];
    const slot = Number(ep.common?.id);
    const portGroup = ep.network?.common?.id;
    const nic: GuestNic | undefined = hw.nics.find((n) => n.pciSlotNumber !== undefined && n.pciSlotNumber === slot) ?? hw.nics.find((n) => n.network === portGroup);
    if (!nic) {
      log.error(`network ${role}: no NIC in PCI slot ${ep.common?.id} (${portGroup})`);
      continue;
    }
    let ip = nic.ipAddress;
    if (!ip) {
      const fixed = ep.staticIp?.ip?.length ? [...ep.staticIp.ip.subarray(-4)].join(".") : undefined;
      if (fixed) nic.setAddress(fixed);
      else nic.dhcp();
      ip = nic.ipAddress!;
      log.info(`${role}: ${nic.macAddress} on "${nic.network}" is ${ip}/${nic.prefixLength}`);
    } else {
      log.info(`${role}: shares ${nic.macAddress} (${ip})`);
    }
    vch.addresses.set(role, ip);
    assigned[role] = { assigned: { ip: ipv4(ip), mask: ipv4Mask(nic.prefixLength) } };
  }
  publish(hw, { networks: assigned } as Partial<ExecutorConfig>);
}

/** The component a session's command names: the appliance's /sbin binaries. */
function componentFor(path: string, vch: VchContext, portLayer: PortLayer): ((log: ComponentLog) => { start(): Component }) | undefined {
  switch (path) {
    case "/sbin/port-layer-server":
      return () => portLayer;
    case "/sbin/docker-engine-server":
      return (log) => new DockerPersonality(vch, portLayer, log);
    case "/sbin/vicadmin":
      return (log) => new VicAdmin(vch, log);
  }
  return undefined;
}

export const vicInit: GuestProgram = (hw): GuestInstance => {
  const logs = new ApplianceLogs(hw.clock);
  const log = logs.logger("init");
  let config: VirtualContainerHostConfigSpec;
  try {
    config = readConfig(hw);
  } catch (e) {
    hw.log(`guest| vic-init: ${(e as Error).message}`);
    throw e;
  }
  const vch = new VchContext(hw, config, logs);
  let halted = false;
  const timers: (() => void)[] = [];
  hw.onHalt(() => {
    halted = true;
    for (const t of timers.splice(0)) t();
    vch.halt();
  });

  hw.setHostName(vch.name);
  log.info(`vic-init ${config.version ?? ""} starting on ${vch.name}`);
  bringUpNetworks(vch, log);

  const portLayer = new PortLayer(vch, logs.logger("port-layer"));
  const debug = config.init.diagnostics?.debugLevel ?? 0;
  const sessions = config.init.sessions ?? {};
  for (const id of Object.keys(sessions).sort()) {
    const session = sessions[id];
    const make = componentFor(session.cmd.path, vch, portLayer);
    const clog = logs.logger(id);
    let resurrections = 0;
    let backoff = RELAUNCH_FIRST_MS;
    const report = (started: string) => publish(hw, { sessions: { [id]: { started } } } as unknown as Partial<ExecutorConfig>);
    const relaunch = (why: string) => {
      if (halted) return;
      if (!session.restart || debug > 2) {
        log.warn(`${id} exited (${why}); not relaunching${debug > 2 ? " at debug level above 2" : ""}`);
        return;
      }
      log.warn(`${id} exited (${why}); relaunching in ${backoff} ms`);
      const wait = backoff;
      backoff = Math.min(backoff * 2, RELAUNCH_MAX_MS);
      timers.push(hw.clock.setTimeout(() => {
        resurrections++;
        publish(hw, { sessions: { [id]: { diagnostics: { resurrectionCount: resurrections } } } } as unknown as Partial<ExecutorConfig>);
        launch();
      }, wait));
    };
    const launch = () => {
      if (halted) return;
      if (!make) {
        report(`${session.cmd.path}: no such file or directory`);
        log.error(`${id}: ${session.cmd.path} not found`);
        return;
      }
      let component: Component;
      try {
        component = make(clog).start();
      } catch (e) {
        report((e as Error).message);
        return relaunch((e as Error).message);
      }
      vch.onHalt(() => component.stop());
      component.ready.then(() => {
        if (halted) return;
        backoff = RELAUNCH_FIRST_MS;
        report("true");
        log.info(`${id} started`);
        component.exited.then((e) => {
          if (!halted) relaunch(e.message);
        });
      }, (e: Error) => {
        clog.error(e.message);
        component.stop();
        report(e.message);
        relaunch(e.message);
      });
    };
    launch();
  }
  return {};
};
