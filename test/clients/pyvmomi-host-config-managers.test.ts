// pyVmomi: a host's configuration managers that automation drives
// (HostServiceSystem, HostDateTimeSystem, HostStorageSystem,
// HostVirtualNicManager) on ESXi and on every host of a vCenter, their
// faults, and /_sim/reset (and an in-process snapshot restore) bringing
// service states, the clock offset and NIC selections back.
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { runPyvmomi } from "./pyvmomi-run.ts";
import type { HostServiceSystem } from "../../simulator/objects/host-service-system.ts";
import type { HostDateTimeSystem } from "../../simulator/objects/host-date-time-system.ts";
import type { HostVirtualNicManager } from "../../simulator/objects/host-virtual-nic-manager.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

const SERVICE_KEYS = ["DCUI", "TSM", "TSM-SSH", "lbtd", "lwsmd", "ntpd", "pcscd", "sfcbd-watchdog", "snmpd", "vmsyslogd", "vprobed", "vpxa", "xorg"];
const NIC_TYPES = ["faultToleranceLogging", "management", "vSphereProvisioning", "vSphereReplication", "vSphereReplicationNFC", "vmotion", "vsan"];
const SERVERS = ["pool.ntp.org", "10.0.0.1 iburst"];

function expected(vc: boolean, datastore: string, allHosts: unknown[]) {
  const mounts = [[datastore, "VMFS", true, true]];
  return {
    services: {
      keys: SERVICE_KEYS,
      // vpxa runs on a host a vCenter manages, and only there
      fresh: { DCUI: [true, "on"], TSM: [false, "off"], "TSM-SSH": [false, "off"], ntpd: [false, "off"], vpxa: [vc, "on"] },
      rulesets: { "TSM-SSH": ["sshServer"], ntpd: ["ntpClient"], "sfcbd-watchdog": ["CIMHttpServer", "CIMHttpsServer"], snmpd: ["snmp"], vpxa: ["vpxHeartbeats"] },
      required: ["vmsyslogd"],
      packages: ["esx-base", "esx-xserver"],
      vpxaEverywhere: allHosts.map(() => vc),
      hostConfig: true,
    },
    serviceSteps: [
      ["start", "ok", [true, "off"]],
      ["startAgain", "ok", [true, "off"]],
      ["stop", "ok", [false, "off"]],
      ["stopAgain", "ok", [false, "off"]],
      ["restartStopped", "ok", [true, "off"]],
      ["restartRunning", "ok", [true, "off"]],
      ["policyOn", "ok", [true, "on"]],
      ["policyAutomatic", "ok", [false, "automatic"]],
      ["policyBad", "InvalidArgument", [false, "automatic"]],
      ["refresh", "ok", [false, "automatic"]],
    ],
    serviceFaults: { start: "NotFound", stop: "NotFound", restart: "NotFound", policy: "NotFound", uninstall: "NotFound", uninstallBuiltIn: "HostConfigFault" },
    serviceHostConfig: [["TSM", false, "automatic"], ["TSM-SSH", false, "off"], ["ntpd", true, "on"]],
    ...(vc ? { otherHost: [[false, "off"], [false, "off"]] } : {}),
    dateTime: { zone: ["UTC", "UTC", 0], servers: [], zones: ["UTC"], now: true },
    dateTimeSteps: [
      ["servers", "ok", SERVERS],
      ["hostConfig", SERVERS, ["server pool.ntp.org", "server 10.0.0.1 iburst"]],
      ["badServer", "InvalidArgument", SERVERS],
      ["badOption", "InvalidArgument", SERVERS],
      ["emptyServer", "InvalidArgument", SERVERS],
      ["badZone", "InvalidArgument", "UTC"],
      ["utc", "ok", SERVERS],
      ["configFile", "ok", ["time.example.com"]],
      ["clear", "ok", []],
      ["again", "ok", ["0.pool.ntp.org", "1.pool.ntp.org"]],
      ["setClock", "ok", true],
      ["refresh", "ok", true],
      // another host keeps its own clock and servers
      ...(vc ? [["otherHost", true, []]] : []),
    ],
    storage: {
      hbas: [["vim.host.BlockHba", "vmhba0", "key-vim.host.BlockHba-vmhba0"], ["vim.host.BlockHba", "vmhba1", "key-vim.host.BlockHba-vmhba1"]],
      numHBAs: 2,
      lunsAreExtents: true,
      lun: ["vim.host.ScsiDisk", "disk", true, 512, true, true, ["ok"]],
      // the datastore's disk on vmhba0, the scenario's blank disk on vmhba1
      topology: { "key-vim.host.BlockHba-vmhba0": 1, "key-vim.host.BlockHba-vmhba1": 1 },
      topologyLuns: true,
      multipath: [true, true, ["active"], ["VMW_PSP_FIXED"]],
      pathState: ["active"],
      hostConfig: [true, 1],
      allHosts,
    },
    volumes: { mounts, datastores: [datastore], uuids: true, paths: true, capacity: true, types: ["VMFS", "NFS", "NFS41"] },
    storageSteps: [
      ["rescanAll", "ok"],
      ["rescanHba", "ok", "ok"],
      ["rescanUnknown", "NotFound"],
      ["rescanVmfs", "ok"],
      ["refresh", "ok"],
      ["nasMounted", ["vim.host.NasVolume", "NFS", "nas.example.com", "/export/iso", "readWrite"], 2],
      ["nasLuns", true],
      ["nasRemoved", mounts],
    ],
    vnics: {
      types: NIC_TYPES,
      management: [["vmk0", "management.key-vim.host.VirtualNic-vmk0", "Management Network"]],
      managementSelected: ["management.key-vim.host.VirtualNic-vmk0"],
      multi: [true],
      candidateIp: true,
      hostConfig: true,
      query: { management: ["vmk0"], vmotion: [], faultToleranceLogging: [], vSphereReplication: [] },
      vmotionEnabled: false,
    },
    vnicSteps: [
      ["select", "ok", ["vmk0"], true, ["vmotion.key-vim.host.VirtualNic-vmk0"]],
      ["selectAgain", "ok", ["vmk0"]],
      ["selectUnknown", "InvalidArgument"],
      ["selectBadType", "InvalidArgument"],
      ["queryBadType", "InvalidArgument"],
      ["ft", "ok", ["vmk0"]],
      ["deselect", "ok", [], false],
      ["deselectAgain", "InvalidArgument"],
      ["deselectUnknown", "InvalidArgument"],
      ["hostConfig", 1],
      ["selectVmotionAgain", "ok", ["vmk0"]],
      ...(vc ? [["otherHost", [], ["vmk0"]]] : []),
    ],
    reset: {
      status: 200,
      services: [[false, "off"], [false, "off"], [false, "off"]],
      hostConfig: [["TSM-SSH", false, "off"], ["ntpd", false, "off"]],
      clock: true, servers: [], vmotion: [], ft: [], vmotionEnabled: false, mounts: true,
    },
  };
}

describe("pyvmomi: host services, date and time, storage and vmkernel NICs", () => {
  it("serves an ESXi host's configuration managers", async () => {
    const out = await runPyvmomi("pyvmomi_host_config_managers.py", "homelab");
    expect(out).toEqual(expected(false, "mydatastore", [["esxi01.think-v.com", 1, 2]]));
  });

  it("serves every host of a vCenter its own", async () => {
    const out = await runPyvmomi("pyvmomi_host_config_managers.py", "vcenter-cluster");
    // esx4 mounts its local datastore beside the shared one: two disks on vmhba0; every host has a blank one on vmhba1
    expect(out).toEqual(expected(true, "shared-ds", [["esx1.example.com", 1, 2], ["esx2.example.com", 1, 2], ["esx3.example.com", 1, 2], ["esx4.example.com", 2, 3]]));
  });

  it("restores service states, the clock offset, NTP servers and NIC selections with a snapshot", async () => {
    const sim = await startSimulator({ scenario: "vcenter-cluster" });
    try {
      const host = sim.sim.inventory.ofType("HostSystem")[0];
      const cm = host.props.configManager as Record<string, ManagedObjectReference>;
      const services = sim.sim.inventory.get(cm.serviceSystem.value) as HostServiceSystem;
      const clock = sim.sim.inventory.get(cm.dateTimeSystem.value) as HostDateTimeSystem;
      const nics = sim.sim.inventory.get(cm.virtualNicManager.value) as HostVirtualNicManager;
      const state = () => ({
        ssh: services.isRunning("TSM-SSH"),
        hostSsh: (host.props.config as { service: { service: { key: string; running: boolean }[] } }).service.service.find((s) => s.key === "TSM-SSH")?.running,
        skewed: Math.abs(clock.now().getTime() - sim.sim.clock.now().getTime()) > 3600_000,
        servers: (clock.props.dateTimeInfo as { ntpConfig: { server: string[] } }).ntpConfig.server,
        vmotion: (nics.QueryNetConfig({ nicType: "vmotion" }) as unknown as { selectedVnic: string[] }).selectedVnic,
      });
      const before = state();
      const snap = sim.snapshot();
      services.StartService({ id: "TSM-SSH" });
      clock.UpdateDateTime({ dateTime: new Date("2035-01-01T00:00:00Z") });
      clock.UpdateDateTimeConfig({ config: { _type: "HostDateTimeConfig", ntpConfig: { _type: "HostNtpConfig", server: ["ntp.example.com"] } } });
      nics.SelectVnicForNicType({ nicType: "vmotion", device: "vmk0" });
      expect(state()).toEqual({ ssh: true, hostSsh: true, skewed: true, servers: ["ntp.example.com"], vmotion: ["vmotion.key-vim.host.VirtualNic-vmk0"] });
      sim.restore(snap);
      expect(before).toEqual({ ssh: false, hostSsh: false, skewed: false, servers: [], vmotion: [] });
      expect(state()).toEqual(before);
    } finally {
      await sim.close();
    }
  });
});
