// A vSphere Distributed Switch and its port groups (vCenter only).
import type { DataObject, ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedEntity } from "./managed-entity.ts";
import { Network } from "./network.ts";
import type { SimContext } from "../sim-context.ts";

export class DistributedVirtualSwitch extends ManagedEntity {
  constructor(sim: SimContext, value: string, name: string, parent: ManagedObjectReference, uuid: string, version: string) {
    super(sim, "VmwareDistributedVirtualSwitch", value, name, parent);
    const productInfo = { _type: "DistributedVirtualSwitchProductSpec", name: "DVS", vendor: "VMware, Inc.", version, build: "3634794" };
    Object.assign(this.props, {
      uuid,
      portgroup: [],
      summary: { _type: "DVSSummary", name, uuid, numPorts: 0, productInfo, hostMember: [], host: [], vm: [], portgroupName: [] },
      config: {
        _type: "VMwareDVSConfigInfo", uuid, name, numStandalonePorts: 0, numPorts: 0, maxPorts: 2147483647,
        uplinkPortPolicy: { _type: "DVSNameArrayUplinkPortPolicy", uplinkPortName: ["uplink1", "uplink2"] },
        uplinkPortgroup: [], defaultPortConfig: vlanSetting(0), host: [], productInfo, extensionKey: undefined,
        configVersion: "1", createTime: sim.clock.now(), networkResourceManagementEnabled: false,
        defaultProxySwitchMaxNumPorts: 512, maxMtu: 1500, linkDiscoveryProtocolConfig: { _type: "LinkDiscoveryProtocolConfig", protocol: "cdp", operation: "listen" },
        lacpApiVersion: "singleLag", multicastFilteringMode: "legacyFiltering",
      },
      capability: { _type: "DVSCapability", dvsOperationSupported: true, dvPortGroupOperationSupported: true, dvPortOperationSupported: true },
      networkResourcePool: [],
      runtime: { _type: "DVSRuntimeInfo", hostMemberRuntime: [] },
    });
  }

  addPortgroup(pg: ManagedObjectReference, name: string, ports: number, uplink = false): void {
    const cfg = this.props.config as DataObject & { numPorts: number; uplinkPortgroup: ManagedObjectReference[] };
    this.update({
      portgroup: [...(this.props.portgroup as ManagedObjectReference[]), pg],
      "config.numPorts": cfg.numPorts + ports,
      "summary.numPorts": cfg.numPorts + ports,
      "summary.portgroupName": [...((this.props.summary as { portgroupName: string[] }).portgroupName), name],
      ...(uplink ? { "config.uplinkPortgroup": [...cfg.uplinkPortgroup, pg] } : {}),
    });
  }

  addHost(host: ManagedObjectReference): void {
    const cfg = this.props.config as DataObject & { host: DataObject[] };
    const member = {
      _type: "DistributedVirtualSwitchHostMember",
      config: { _type: "DistributedVirtualSwitchHostMemberConfigInfo", host, maxProxySwitchPorts: 512, backing: { _type: "DistributedVirtualSwitchHostMemberPnicBacking", pnicSpec: [] } },
      productInfo: cfg.productInfo, status: "up", statusDetail: "",
    };
    const sum = this.props.summary as { hostMember: string[]; host: ManagedObjectReference[] };
    this.update({ "config.host": [...cfg.host, member], "summary.host": [...sum.host, host] });
  }
}

export function vlanSetting(vlanId: number): DataObject {
  return {
    _type: "VMwareDVSPortSetting",
    vlan: { _type: "VmwareDistributedVirtualSwitchVlanIdSpec", inherited: false, vlanId },
    blocked: { _type: "BoolPolicy", inherited: false, value: false },
  };
}

export class DistributedVirtualPortgroup extends Network {
  constructor(sim: SimContext, value: string, name: string, parent: ManagedObjectReference, dvs: ManagedObjectReference, dvsUuid: string, vlanId: number, numPorts: number, uplink: boolean) {
    super(sim, "DistributedVirtualPortgroup", value, name, parent);
    Object.assign(this.props, {
      key: value,
      portKeys: Array.from({ length: numPorts }, (_, i) => String(i)),
      config: {
        _type: "DVPortgroupConfigInfo", key: value, name, numPorts, distributedVirtualSwitch: dvs, type: "earlyBinding",
        defaultPortConfig: vlanSetting(vlanId), autoExpand: true, configVersion: "1", uplink,
        policy: { _type: "VMwareDVSPortgroupPolicy", blockOverrideAllowed: true, shapingOverrideAllowed: false, vendorConfigOverrideAllowed: false, livePortMovingAllowed: false, portConfigResetAtDisconnect: true, vlanOverrideAllowed: false, uplinkTeamingOverrideAllowed: false, securityPolicyOverrideAllowed: false },
      },
      "summary": { _type: "NetworkSummary", network: this.ref, name, accessible: true, ipPoolName: "" },
    });
    void dvsUuid;
  }
}
