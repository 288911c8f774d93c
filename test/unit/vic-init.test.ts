// vic-init on hardware of the test's making: it publishes what it did in
// guestinfo the way vic-machine waits for it, relaunches a component that
// failed (counting resurrections), and stops relaunching above debug 2.
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GuestHardware, GuestNic } from "../../hardware/guest-hardware.ts";
import { startSimulator, type RunningSimulator } from "../../simulator/index.ts";
import { ManualClock } from "../../simulator/clock.ts";
import { vicInit } from "../../vic/appliance/vic-init.ts";
import { ipv4 } from "../../vic/lib/executor-config.ts";
import { encodeVchConfig, type VirtualContainerHostConfigSpec } from "../../vic/lib/vch-config.ts";

function config(sdk: string, debug: number): VirtualContainerHostConfigSpec {
  const session = (id: string, path: string) => ({ common: { id, name: id }, cmd: { path, args: [path] }, restart: true });
  return {
    init: {
      common: { id: "vm-1", name: "VCHT" },
      diagnostics: { debugLevel: debug },
      sessions: { "port-layer": session("port-layer", "/sbin/port-layer-server"), vicadmin: session("vicadmin", "/sbin/vicadmin"), "docker-personality": session("docker-personality", "/sbin/docker-engine-server") },
      networks: {
        client: { common: { id: "192", name: "client" }, network: { common: { id: "VM Network", name: "client" } } },
        management: { common: { id: "192", name: "management" }, network: { common: { id: "VM Network", name: "management" } } },
        bridge: { common: { id: "224", name: "bridge" }, staticIp: { ip: ipv4("10.9.8.7"), mask: Buffer.from([255, 255, 255, 0]) }, network: { common: { id: "VCH Bridge", name: "bridge" } } },
      },
    },
    target: sdk,
    userPassword: "root:homelab-pw",
    imageStores: ["ds://mydatastore/VCHT/images"],
    bridgeNetwork: "VCH Bridge",
    computeResources: ["ResourcePool:pool0"],
    bootstrapImagePath: "[mydatastore] VCHT/bootstrap.iso",
  };
}

/** hardware whose listen on `failPort` fails `failures` times */
function hardware(cfg: VirtualContainerHostConfigSpec, clock: ManualClock, failPort: number, failures: number) {
  const info = new Map(encodeVchConfig(cfg));
  const listens: number[] = [];
  let left = failures;
  const nic = (slot: number, network: string): GuestNic => {
    const n: GuestNic & { ipAddress: string | undefined } = {
      deviceKey: 4000 + slot, macAddress: `00:0c:29:00:00:${slot.toString(16)}`, network, pciSlotNumber: slot, ipAddress: undefined, prefixLength: 24,
      dhcp: () => (n.ipAddress = slot === 192 ? "10.1.1.5" : "10.1.2.5"),
      setAddress: (ip: string) => void (n.ipAddress = ip),
      listen: async (port: number): Promise<Server> => {
        listens.push(port);
        if (port === failPort && left-- > 0) throw Object.assign(new Error(`listen EADDRINUSE: address already in use ${n.ipAddress}:${port}`), { code: "EADDRINUSE" });
        return createServer();
      },
      lookup: () => undefined,
      connect: () => { throw new Error("not in this test"); },
    };
    return n;
  };
  const halts: (() => void)[] = [];
  const hw: GuestHardware = {
    vm: { name: "VCHT", moref: "vm-1", uuid: "u-1" }, media: undefined, options: {},
    guestinfo: { get: (k) => info.get(k), set: (k, v) => void (v === "" ? info.delete(k) : info.set(k, v)), keys: () => [...info.keys()] },
    serial: [], nics: [nic(192, "VM Network"), nic(224, "VCH Bridge")], disks: [],
    onDiskAdded: () => () => {}, onDiskRemoved: () => () => {}, clock,
    console: { onInput: () => () => {}, write: () => {} },
    userland: () => { throw new Error("no userland"); },
    setHostName: () => {}, log: () => {}, powerOff: () => {}, reboot: () => {},
    onHalt: (l) => (halts.push(l), () => {}),
  };
  return { hw, info, listens, halt: () => halts.forEach((h) => h()) };
}

const settle = () => new Promise((r) => setTimeout(r, 50));
async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !pred(); i++) await settle();
  expect(pred()).toBe(true);
}

describe("vic-init", () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: "homelab" });
  });
  afterAll(() => sim?.close());

  it("publishes each role's address and each component's start, relaunches a failed component and counts it", async () => {
    const clock = new ManualClock();
    const { hw, info, halt } = hardware(config(sim.url, 0), clock, 2375, 1);
    await vicInit(hw);
    // roles on one port group share its address; the bridge takes its static one
    expect(Buffer.from(info.get("guestinfo..init.networks|client.ip.IP")!, "base64")).toEqual(ipv4("10.1.1.5"));
    expect(Buffer.from(info.get("guestinfo..init.networks|management.ip.IP")!, "base64")).toEqual(ipv4("10.1.1.5"));
    expect(Buffer.from(info.get("guestinfo..init.networks|bridge.ip.IP")!, "base64")).toEqual(ipv4("10.9.8.7"));
    // the guest never writes a read-only key
    expect([...info.keys()].filter((k) => k.startsWith("guestinfo./init/networks|client/ip"))).toEqual([]);
    await until(() => info.get("guestinfo..init.sessions|port-layer.started") === "true");
    expect(info.get("guestinfo..init.sessions|vicadmin.started")).toBe("true");
    expect(info.get("guestinfo..init.sessions|docker-personality.started")).toMatch(/EADDRINUSE/);
    clock.advance(1000);
    await until(() => info.get("guestinfo..init.sessions|docker-personality.started") === "true");
    expect(info.get("guestinfo..init.sessions|docker-personality.diagnostics.resurrections")).toBe("1");
    halt();
  });

  it("keeps its vSphere session alive, and logs in again when the server has ended it", async () => {
    const clock = new ManualClock();
    const { hw, info, halt } = hardware(config(sim.url, 0), clock, 0, 0);
    const earlier = new Set(sim.sim.sessions.list());
    await vicInit(hw);
    await until(() => info.get("guestinfo..init.sessions|port-layer.started") === "true");
    const appliance = () => sim.sim.sessions.list().filter((x) => x.userAgent.startsWith("vic-appliance/") && !earlier.has(x));
    expect(appliance()).toHaveLength(1);
    const first = appliance()[0];
    const calls = first.callCount;
    clock.advance(5 * 60_000);
    await until(() => first.callCount > calls);
    // ended by the server (an idle timeout, a restart of hostd): the keepalive finds out and logs in anew
    sim.sim.sessions.terminate(first);
    clock.advance(5 * 60_000);
    await until(() => appliance().length === 1 && appliance()[0] !== first);
    halt();
  });

  it("does not relaunch above debug level 2", async () => {
    const clock = new ManualClock();
    const { hw, info, listens, halt } = hardware(config(sim.url, 3), clock, 2378, 5);
    await vicInit(hw);
    await until(() => /EADDRINUSE/.test(info.get("guestinfo..init.sessions|vicadmin.started") ?? ""));
    clock.advance(60_000);
    await settle();
    expect(listens.filter((p) => p === 2378)).toHaveLength(1);
    expect(info.has("guestinfo..init.sessions|vicadmin.diagnostics.resurrections")).toBe(false);
    halt();
  });

  it("is a crashed guest, not a silent one, when guestinfo holds no VCH config", async () => {
    const { hw, info } = hardware(config(sim.url, 0), new ManualClock(), 0, 0);
    info.clear();
    expect(() => vicInit(hw)).toThrow(/no VCH configuration/);
  });
});
