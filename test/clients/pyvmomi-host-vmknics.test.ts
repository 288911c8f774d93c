// pyVmomi: an ESXi host's vmkernel NICs, DNS and IP routes through
// HostNetworkSystem (AddVirtualNic, UpdateVirtualNic, RemoveVirtualNic,
// UpdateDnsConfig, UpdateIpRouteConfig, UpdateIpRouteTableConfig), read back
// from networkInfo and config.network; HostVirtualNicManager's candidates
// follow; the faults; a vmk on a distributed port on vCenter; /_sim/reset
// (and an in-process snapshot restore) bringing it all back.
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { runPyvmomi } from "./pyvmomi-run.ts";
import type { HostNetworkSystem } from "../../simulator/objects/host-network-system.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

function expected(vc: boolean) {
  const mgmt = vc ? "10.0.0.11" : "192.168.1.10";
  const net = vc ? "10.0.0" : "192.168.1";
  const [hostName, domain] = vc ? ["esx1", "example.com"] : ["esxi01", "think-v.com"];
  const vmk0 = ["vmk0", "Management Network", false, mgmt, "255.255.255.0", 1500];
  const vmk1 = ["vmk1", "vMotion", false, "172.16.50.10", "255.255.255.0", 9000];
  const vmk1Updated = ["vmk1", "vMotion", false, "172.16.60.10", "255.255.255.0", 1500];
  const lab = [false, null, "esx-lab", "lab.local", ["10.1.1.53", "10.1.1.54"], ["lab.local", "example.com"]];
  return {
    fresh: { vnics: [vmk0], mgmtPorts: [["host", true]], dns: [false, null, hostName, domain, [`${net}.1`], [domain]], routes: true, sameAsNetworkSystem: true },
    added: {
      device: "vmk1", vnics: [vmk0, vmk1], mac: "00:50:56:", macUnique: true, port: [["host"], true], portMac: true,
      routes: [["172.16.50.0", 24, "0.0.0.0", "vmk1"]],
      candidates: [["vmk0", "vmk1"], []], hostCandidates: [["vmk0", "vmk1"], []],
    },
    addFaults: {
      unknownPortgroup: "NotFound", portgroupHasVmk: "AlreadyExists", badIp: "InvalidArgument", badMask: "InvalidArgument",
      mtuLow: "InvalidArgument", mtuHigh: "InvalidArgument", ipInUse: "HostConfigFault", badMac: "InvalidArgument", nothingAdded: ["vmk0", "vmk1"],
    },
    dhcpNic: ["vmk2", ["vmk2", "NFS", true, null, null, 1500]],
    select: ["ok", [["vmk0", "vmk1", "vmk2"], ["vmotion.key-vim.host.VirtualNic-vmk1"]], [["vmk0", "vmk1", "vmk2"], ["vmotion.key-vim.host.VirtualNic-vmk1"]], true],
    updateSteps: [
      ["update", "ok", vmk1Updated, true],
      ["routes", [["172.16.60.0", 24, "0.0.0.0", "vmk1"]]],
      ["unknown", "NotFound"],
      ["badIp", "InvalidArgument"],
      ["badMask", "InvalidArgument"],
      ["badMtu", "InvalidArgument"],
      ["ipOfVmk0", "HostConfigFault"],
      ["unchanged", vmk1Updated],
      ["removePortgroup", "ResourceInUse"],
    ],
    dnsSteps: [
      ["set", "ok", lab],
      ["badAddress", "InvalidArgument", ["10.1.1.53", "10.1.1.54"]],
      ["badHostName", "InvalidArgument", "esx-lab"],
      ["dhcpUnknownNic", "NotFound"],
      ["dhcpStaticNic", "HostConfigFault"],
      // pyVmomi sends the required domainName as "": the domain is cleared, the host name stays
      ["dhcp", "ok", [true, "vmk2", "esx-lab", "", ["10.1.1.53", "10.1.1.54"], ["lab.local", "example.com"]]],
      ["static", "ok", [false, null, "esx-lab", "", ["10.1.1.53"], ["lab.local", "example.com"]]],
      ["networkSystem", "esx-lab"],
    ],
    routeSteps: [
      ["gateway", "ok", `${net}.254`, ["0.0.0.0", 0, `${net}.254`, "vmk0"]],
      ["unreachable", "HostConfigFault"],
      ["badGateway", "InvalidArgument"],
      ["badDevice", "InvalidArgument"],
      ["kept", `${net}.254`],
      ["add", "ok", ["10.20.0.0", 16, "172.16.60.254", "vmk1"]],
      ["addAgain", "HostConfigFault"],
      ["hostBits", "InvalidArgument"],
      ["unreachable", "HostConfigFault"],
      ["badOp", "InvalidArgument"],
      ["count", 4],
      ["remove", "ok", 3],
      ["removeAgain", "HostConfigFault"],
    ],
    removeSteps: [
      ["remove", "ok", ["vmk0", "vmk2"], []],
      ["nicManager", [["vmk0", "vmk2"], []], [["vmk0", "vmk2"], []], false],
      ["routes", []],
      ["removeAgain", "NotFound"],
      ["removePortgroup", "ok"],
      ["reuse", "vmk1", [["vmk0", "vmk2", "vmk1"], []]],
    ],
    ...(vc ? {
      dvs: [
        ["added", "vmk3", "", true, true, true],
        ["candidate", true],
        ["portTaken", "ResourceInUse"],
        ["unknownSwitch", "NotFound"],
        ["unknownPortgroup", "NotFound"],
        ["remove", "ok", false],
        ["otherHost", [["vmk0", "Management Network", false, "10.0.0.12", "255.255.255.0", 1500]]],
      ],
    } : {}),
    reset: {
      status: 200, vnics: ["vmk0"], dns: true, routes: 2,
      portgroups: vc ? ["Management Network", "VM Network"] : ["Management Network", "VCH Bridge", "VM Network"],
      nicManager: [["vmk0"], []],
    },
  };
}

describe("pyvmomi: vmkernel NICs, DNS and routes", () => {
  it("serves an ESXi host's", async () => {
    expect(await runPyvmomi("pyvmomi_host_vmknics.py", "homelab")).toEqual(expected(false));
  });

  it("serves a vCenter host's, with a vmk on a distributed port", async () => {
    expect(await runPyvmomi("pyvmomi_host_vmknics.py", "vcenter-cluster")).toEqual(expected(true));
  });

  it("restores vmkernel NICs, DNS and routes with a snapshot", async () => {
    const sim = await startSimulator({ scenario: "homelab" });
    try {
      const host = sim.sim.inventory.ofType("HostSystem")[0];
      const cm = host.props.configManager as Record<string, ManagedObjectReference>;
      const ns = sim.sim.inventory.get(cm.networkSystem.value) as HostNetworkSystem;
      type Net = { vnic: { device: string }[]; dnsConfig: { hostName: string }; routeTableInfo: { ipRoute: unknown[] }; portgroup: { spec: { name: string }; port: unknown[] }[] };
      const state = () => {
        const n = (host.props.config as { network: Net }).network;
        return { vnics: n.vnic.map((v) => v.device), host: n.dnsConfig.hostName, routes: n.routeTableInfo.ipRoute.length, ports: n.portgroup.find((p) => p.spec.name === "VM Network")?.port.length };
      };
      const before = state();
      const snap = sim.snapshot();
      ns.AddVirtualNic({ portgroup: "VM Network", nic: { _type: "HostVirtualNicSpec", ip: { _type: "HostIpConfig", dhcp: false, ipAddress: "172.16.9.9", subnetMask: "255.255.0.0" } } });
      ns.UpdateDnsConfig({ config: { _type: "HostDnsConfig", dhcp: false, hostName: "renamed", domainName: "x.test" } });
      expect(state()).toEqual({ vnics: ["vmk0", "vmk1"], host: "renamed", routes: 3, ports: 1 });
      sim.restore(snap);
      expect(before).toEqual({ vnics: ["vmk0"], host: "esxi01", routes: 2, ports: 0 });
      expect(state()).toEqual(before);
    } finally {
      await sim.close();
    }
  });
});
