// A distributed port group: a Network that belongs to a distributed switch
// and reaches every host of that switch (vCenter only).
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedEntity, datacenterOf } from "./managed-entity.ts";
import type { Args, CallContext } from "./managed-object.ts";
import { Network, linkNetwork, unlinkNetwork } from "./network.ts";
import type { Datacenter } from "./datacenter.ts";
import type { DistributedVirtualSwitch } from "./distributed-virtual-switch.ts";
import type { SimContext } from "../sim-context.ts";

export function vlanSetting(vlanId: number): DataObject {
  return {
    _type: "VMwareDVSPortSetting",
    vlan: { _type: "VmwareDistributedVirtualSwitchVlanIdSpec", inherited: false, vlanId },
    blocked: { _type: "BoolPolicy", inherited: false, value: false },
  };
}


/** VMs with a NIC on `net`, read from their `network` lists (which follow NIC backings). */
export function vmsOn(sim: SimContext, net: ManagedObjectReference, host?: ManagedObjectReference): ManagedObjectReference[] {
  return sim.inventory.ofType("VirtualMachine")
    .filter((vm) => ((vm.props.network as ManagedObjectReference[] | undefined) ?? []).some((r) => r.value === net.value))
    .filter((vm) => !host || (vm.props.runtime as { host?: ManagedObjectReference } | undefined)?.host?.value === host.value)
    .map((vm) => vm.ref);
}

/** Post a DVS or port group event with the datacenter, switch and network arguments vpxd fills in. */
export function postNetworkEvent(sim: SimContext, type: string, message: string, userName: string, at: { dvs?: ManagedEntity; net?: ManagedEntity }, extra: Record<string, unknown> = {}): void {
  const dc = datacenterOf((at.dvs ?? at.net)!);
  sim.events.post(type, message, userName, dc ? { datacenter: { name: dc.name, ref: dc.ref } } : {}, {
    ...(at.net ? { net: { _type: "NetworkEventArgument", name: at.net.name, network: at.net.ref } } : {}),
    ...(at.dvs ? { dvs: { _type: "DvsEventArgument", name: at.dvs.name, dvs: at.dvs.ref } } : {}),
    ...extra,
  });
}

export const PORTGROUP_TYPES = ["earlyBinding", "lateBinding", "ephemeral"];

export type PortgroupConfigSpec = DataObject & {
  configVersion?: string; name?: string; numPorts?: number; type?: string; description?: string;
  defaultPortConfig?: DataObject & { vlan?: DataObject & { vlanId?: unknown } }; policy?: DataObject; autoExpand?: boolean;
};

/** The checks AddDVPortgroup and ReconfigureDVPortgroup share; `where` prefixes the property paths in faults. */
export function checkPortgroupSpec(spec: PortgroupConfigSpec, creating: boolean, where = ""): void {
  if (!spec || typeof spec !== "object") throw new VimFault("InvalidArgument", { invalidProperty: where || "spec" });
  if (creating || spec.name !== undefined) {
    const name = spec.name;
    if (typeof name !== "string" || !name.trim() || name.length > 80) throw new VimFault("InvalidName", { name: String(name ?? "") });
  }
  if (spec.numPorts !== undefined && (!Number.isInteger(spec.numPorts) || spec.numPorts < 0)) throw new VimFault("InvalidArgument", { invalidProperty: `${where}numPorts` });
  if (spec.type !== undefined && !PORTGROUP_TYPES.includes(spec.type)) throw new VimFault("InvalidArgument", { invalidProperty: `${where}type` });
  const vlan = spec.defaultPortConfig?.vlan;
  if (vlan && vlan._type === "VmwareDistributedVirtualSwitchVlanIdSpec") {
    const id = vlan.vlanId;
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) > 4094) throw new VimFault("InvalidArgument", { invalidProperty: `${where}defaultPortConfig.vlan.vlanId` });
  }
}

/** A port setting with the given one laid over it: what the caller leaves out stays. */
export function mergeSetting(cur: DataObject, given: DataObject | undefined): DataObject {
  if (!given || typeof given !== "object") return cur;
  const out: DataObject = { ...cur };
  for (const [k, v] of Object.entries(given)) if (k !== "_type" && v !== undefined) out[k] = v;
  return out;
}

/** A vpxd configVersion, a counter kept as a string. */
export function nextVersion(v: unknown): string {
  const n = Number(v);
  return String(Number.isFinite(n) ? n + 1 : 1);
}

type PortgroupConfig = DataObject & { key: string; name: string; numPorts: number; distributedVirtualSwitch: ManagedObjectReference; type: string; defaultPortConfig: DataObject; configVersion: string; uplink: boolean; description?: string };

export class DistributedVirtualPortgroup extends Network {
  constructor(sim: SimContext, value: string, name: string, parent: ManagedObjectReference, dvs: ManagedObjectReference, vlanId: number, numPorts: number, uplink: boolean) {
    super(sim, "DistributedVirtualPortgroup", value, name, parent);
    Object.assign(this.props, {
      key: value,
      // the switch hands out the keys (DistributedVirtualSwitch.sizePortgroup, dv-ports.ts)
      portKeys: [],
      config: {
        _type: "DVPortgroupConfigInfo", key: value, name, numPorts, distributedVirtualSwitch: dvs, type: "earlyBinding",
        defaultPortConfig: vlanSetting(vlanId), autoExpand: true, configVersion: "1", uplink,
        policy: { _type: "VMwareDVSPortgroupPolicy", blockOverrideAllowed: true, shapingOverrideAllowed: false, vendorConfigOverrideAllowed: false, livePortMovingAllowed: false, portConfigResetAtDisconnect: true, vlanOverrideAllowed: false, uplinkTeamingOverrideAllowed: false, securityPolicyOverrideAllowed: false },
      },
      summary: { _type: "NetworkSummary", network: this.ref, name, accessible: true, ipPoolName: "" },
    });
  }

  get config(): PortgroupConfig {
    return this.props.config as PortgroupConfig;
  }

  get isUplink(): boolean {
    return !!this.config.uplink;
  }

  switch(): DistributedVirtualSwitch | undefined {
    return this.sim.inventory.get(this.config.distributedVirtualSwitch.value) as DistributedVirtualSwitch | undefined;
  }

  /** numPorts ports (static groups), keys from the switch. */
  setPorts(numPorts: number): void {
    const sw = this.switch();
    if (sw) sw.sizePortgroup(this, numPorts);
    else this.update({ "config.numPorts": numPorts });
  }

  /** Another port group of the same datacenter already called `name`, if any: vpxd keeps them unique there. */
  static named(sim: SimContext, dc: Datacenter | undefined, name: string, except?: ManagedEntity): ManagedEntity | undefined {
    return sim.inventory.ofType("DistributedVirtualPortgroup")
      .find((p) => p !== except && p instanceof ManagedEntity && p.name === name && datacenterOf(p) === dc) as ManagedEntity | undefined;
  }

  private checkName(name: string): void {
    const dup = DistributedVirtualPortgroup.named(this.sim, datacenterOf(this), name, this);
    if (dup) throw new VimFault("DuplicateName", { name, object: dup.ref });
  }

  private applyName(name: string): void {
    const old = this.name;
    this.update({ name, "config.name": name, "summary.name": name });
    this.switch()?.portgroupRenamed(old, name);
  }

  protected override rename(newName: string, userName: string): void {
    this.checkName(newName);
    const old = this.name;
    this.applyName(newName);
    postNetworkEvent(this.sim, "DVPortgroupRenamedEvent", `dvPort group ${old} in ${datacenterOf(this)?.name ?? ""} was renamed to ${newName}`, userName, { net: this, dvs: this.switch() }, { oldName: old, newName });
  }

  ReconfigureDVPortgroup_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    const user = ctx.session?.userName ?? "";
    return this.sim.tasks.run(this, "ReconfigureDVPortgroup_Task", "dvs.DistributedVirtualPortgroup.reconfigure", user, () => {
      const spec = args.spec as PortgroupConfigSpec;
      checkPortgroupSpec(spec, false);
      const cfg = this.config;
      // vpxd refuses a spec written against a configuration that has changed since it was read
      if (spec.configVersion !== undefined && spec.configVersion !== cfg.configVersion) {
        throw new VimFault("ConcurrentAccess", {}, "Cannot complete operation due to concurrent modification by another operation.");
      }
      const rename = spec.name !== undefined && spec.name !== this.name ? spec.name : undefined;
      if (rename) this.checkName(rename);
      const resize = (spec.numPorts !== undefined && spec.numPorts !== cfg.numPorts) || (spec.type !== undefined && spec.type !== cfg.type);
      // a group that cannot shrink that far refuses the whole spec: nothing else of it applies
      if (resize) this.switch()?.checkPortgroupSize(this, spec.numPorts ?? cfg.numPorts, spec.type ?? cfg.type);
      const old = this.name;
      if (rename) this.applyName(rename);
      const changes: Record<string, unknown> = { "config.configVersion": nextVersion(cfg.configVersion) };
      if (spec.type !== undefined) changes["config.type"] = spec.type;
      if (spec.description !== undefined) changes["config.description"] = spec.description;
      if (spec.autoExpand !== undefined) changes["config.autoExpand"] = spec.autoExpand;
      if (spec.policy) changes["config.policy"] = mergeSetting(cfg.policy as DataObject, spec.policy);
      if (spec.defaultPortConfig) changes["config.defaultPortConfig"] = mergeSetting(cfg.defaultPortConfig, spec.defaultPortConfig);
      this.update(changes);
      if (resize) {
        this.setPorts(spec.numPorts ?? cfg.numPorts);
        if (spec.numPorts !== undefined) this.update({ "config.numPorts": spec.numPorts });
        this.switch()?.recount();
      }
      const dcName = datacenterOf(this)?.name ?? "";
      postNetworkEvent(this.sim, "DVPortgroupReconfiguredEvent", `Reconfigured dvPort group ${this.name} in ${dcName}.`, user, { net: this, dvs: this.switch() }, { configSpec: spec });
      if (rename) postNetworkEvent(this.sim, "DVPortgroupRenamedEvent", `dvPort group ${old} in ${dcName} was renamed to ${rename}`, user, { net: this, dvs: this.switch() }, { oldName: old, newName: rename });
    });
  }

  /** The switch keeps the checkpoint this answers from (DistributedVirtualSwitch.rollbackPortgroup). */
  DVPortgroupRollback_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "DVPortgroupRollback_Task", "dvs.DistributedVirtualPortgroup.rollback", ctx.session?.userName ?? "", () => this.switch()?.rollbackPortgroup(this, args.entityBackup), { resultType: { type: "DVPortgroupConfigSpec" } });
  }

  override Destroy_Task(_args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this, "Destroy_Task", "dvs.DistributedVirtualPortgroup.destroy", ctx.session?.userName ?? "", () => this.destroyBy(ctx.session?.userName ?? ""));
  }

  override destroy(): void {
    this.destroyBy("");
  }

  /** The API's older, synchronous Destroy_Task: the switch's hosts do not count as users, its VMs do. */
  override DestroyNetwork(_args: Args, ctx: CallContext): void {
    this.destroyBy(ctx.session?.userName ?? "");
  }

  private destroyBy(userName: string): void {
    // the uplink port group goes only with its switch
    if (this.isUplink) throw new VimFault("NotSupported", {}, `${this.name} is the uplink port group of its switch and cannot be removed on its own.`);
    const vms = vmsOn(this.sim, this.ref);
    if (vms.length) throw new VimFault("ResourceInUse", { type: "DistributedVirtualPortgroup", name: this.name }, `The resource '${this.name}' is in use.`);
    postNetworkEvent(this.sim, "DVPortgroupDestroyedEvent", `dvPort group ${this.name} in ${datacenterOf(this)?.name ?? ""} was deleted.`, userName, { net: this, dvs: this.switch() });
    this.remove();
  }

  /** Leave hosts, datacenter, switch and inventory; the caller has checked that nothing uses it. */
  remove(): void {
    for (const h of [...(this.props.host as ManagedObjectReference[])]) unlinkNetwork(this.sim, this, h);
    datacenterOf(this)?.removeNetwork(this.ref);
    this.switch()?.removePortgroup(this);
    super.destroy();
  }

  /** A host joins or leaves the switch. */
  link(host: ManagedObjectReference): void {
    linkNetwork(this.sim, this, host);
  }

  unlink(host: ManagedObjectReference): void {
    unlinkNetwork(this.sim, this, host);
  }
}
