// A cluster's DRS rules and groups (configurationEx.rule, .group) as
// ReconfigureComputeResource_Task and ReconfigureCluster_Task change them
// through ClusterConfigSpec(Ex).rulesSpec and .groupSpec (ArrayUpdateSpec:
// add, edit, remove), and which of them name a VM (FindRulesForVm).
// Helpers for ComputeResource (compute-resource.ts).
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { ManagedObject } from "./managed-object.ts";

type Obj = DataObject & Record<string, any>;

/** The cluster's VMs: those of its hosts. */
function clusterVms(cluster: ManagedObject): Set<string> {
  const out = new Set<string>();
  for (const h of (cluster.props.host as ManagedObjectReference[]) ?? []) {
    for (const v of (cluster.sim.inventory.get(h.value)?.props.vm as ManagedObjectReference[] | undefined) ?? []) out.add(v.value);
  }
  return out;
}

function clusterHosts(cluster: ManagedObject): Set<string> {
  return new Set(((cluster.props.host as ManagedObjectReference[]) ?? []).map((h) => h.value));
}

function strip(o: Obj): Obj {
  const out: Obj = { _type: o._type };
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

/**
 * The groups after a groupSpec: keyed by name, as vpxd keys them. Every
 * member must be the cluster's (a VM of its hosts, one of its hosts). The
 * faults for a duplicate or unknown name are InvalidArgument, our choice:
 * the real messages are not confirmed.
 */
export function applyGroupSpec(cluster: ManagedObject, current: Obj[], specs: Obj[]): Obj[] {
  const vms = clusterVms(cluster), hosts = clusterHosts(cluster);
  const groups = [...current];
  for (const spec of specs) {
    const op = String(spec.operation ?? "");
    if (op === "remove") {
      const i = groups.findIndex((g) => g.name === spec.removeKey);
      if (i < 0) throw new VimFault("InvalidArgument", { invalidProperty: "groupSpec.removeKey" });
      groups.splice(i, 1);
      continue;
    }
    const info = spec.info as Obj | undefined;
    if (!info || !info.name) throw new VimFault("InvalidArgument", { invalidProperty: "groupSpec.info.name" });
    if (info._type === "ClusterVmGroup") {
      for (const v of (info.vm as ManagedObjectReference[] | undefined) ?? []) if (!vms.has(v.value)) throw new VimFault("InvalidArgument", { invalidProperty: "groupSpec.info.vm" });
    } else if (info._type === "ClusterHostGroup") {
      for (const h of (info.host as ManagedObjectReference[] | undefined) ?? []) if (!hosts.has(h.value)) throw new VimFault("InvalidArgument", { invalidProperty: "groupSpec.info.host" });
    } else throw new VimFault("InvalidArgument", { invalidProperty: "groupSpec.info" });
    const i = groups.findIndex((g) => g.name === info.name);
    if (op === "add") {
      if (i >= 0) throw new VimFault("InvalidArgument", { invalidProperty: "groupSpec.info.name" }, `A group named ${info.name} already exists.`);
      groups.push(strip(info));
    } else if (op === "edit") {
      if (i < 0 || groups[i]._type !== info._type) throw new VimFault("InvalidArgument", { invalidProperty: "groupSpec.info.name" });
      groups[i] = { ...groups[i], ...strip(info) };
    } else throw new VimFault("InvalidArgument", { invalidProperty: "groupSpec.operation" });
  }
  return groups;
}

/**
 * The rules after a rulesSpec. vpxd numbers new rules itself (a key the
 * caller sends with an add is not kept) and, from API 6.0, gives each a
 * ruleUuid; an edit names its rule by key, a remove by removeKey. VMs a rule
 * names must be the cluster's; groups it names must exist (`groups` is the
 * list after this reconfigure's groupSpec). Rules come back user-created,
 * green and in compliance: this simulator's DRS never breaks one.
 */
export function applyRulesSpec(cluster: ManagedObject, current: Obj[], specs: Obj[], groups: Obj[]): Obj[] {
  const vms = clusterVms(cluster);
  const group = (name: unknown, type: string) => groups.some((g) => g.name === name && g._type === type);
  const check = (info: Obj) => {
    for (const v of (info.vm as ManagedObjectReference[] | undefined) ?? []) {
      if (!cluster.sim.inventory.get(v.value)) throw new VimFault("ManagedObjectNotFound", { obj: v });
      if (!vms.has(v.value)) throw new VimFault("InvalidArgument", { invalidProperty: "rulesSpec.info.vm" }, `The virtual machine ${v.value} is not in the cluster.`);
    }
    if (info._type === "ClusterVmHostRuleInfo") {
      if (info.vmGroupName !== undefined && !group(info.vmGroupName, "ClusterVmGroup")) throw new VimFault("InvalidArgument", { invalidProperty: "rulesSpec.info.vmGroupName" });
      for (const k of ["affineHostGroupName", "antiAffineHostGroupName"]) {
        if (info[k] !== undefined && !group(info[k], "ClusterHostGroup")) throw new VimFault("InvalidArgument", { invalidProperty: `rulesSpec.info.${k}` });
      }
    }
    if (info._type === "ClusterDependencyRuleInfo") {
      for (const k of ["vmGroup", "dependsOnVmGroup"]) if (!group(info[k], "ClusterVmGroup")) throw new VimFault("InvalidArgument", { invalidProperty: `rulesSpec.info.${k}` });
    }
  };
  const rules = [...current];
  for (const spec of specs) {
    const op = String(spec.operation ?? "");
    if (op === "remove") {
      const i = rules.findIndex((r) => r.key === Number(spec.removeKey));
      if (i < 0) throw new VimFault("InvalidArgument", { invalidProperty: "rulesSpec.removeKey" });
      rules.splice(i, 1);
      continue;
    }
    const info = spec.info as Obj | undefined;
    if (!info) throw new VimFault("InvalidArgument", { invalidProperty: "rulesSpec.info" });
    if (op === "add") {
      if (!info.name) throw new VimFault("InvalidArgument", { invalidProperty: "rulesSpec.info.name" });
      check(info);
      const key = cluster.sim.ids.next(`cluster-rule:${cluster.ref.value}`);
      rules.push({
        ...strip(info), key, status: "green", enabled: !!info.enabled, mandatory: !!info.mandatory, userCreated: true, inCompliance: true,
        ruleUuid: cluster.sim.ids.uuid("cluster-rule", `${cluster.ref.value}/${key}`),
      });
    } else if (op === "edit") {
      const i = rules.findIndex((r) => r.key === Number(info.key));
      if (i < 0 || rules[i]._type !== info._type) throw new VimFault("InvalidArgument", { invalidProperty: "rulesSpec.info.key" });
      check(info);
      rules[i] = { ...rules[i], ...strip(info), key: rules[i].key, ruleUuid: rules[i].ruleUuid };
    } else throw new VimFault("InvalidArgument", { invalidProperty: "rulesSpec.operation" });
  }
  return rules;
}

/** The rules that name the VM: by itself (affinity, anti-affinity) or through a VM group (VM-host, dependency). */
export function rulesNaming(config: Obj, vm: ManagedObjectReference): Obj[] {
  const inGroup = (name: unknown) => ((config.group as Obj[] | undefined) ?? []).some((g) => g._type === "ClusterVmGroup" && g.name === name && ((g.vm as ManagedObjectReference[] | undefined) ?? []).some((v) => v.value === vm.value));
  return ((config.rule as Obj[] | undefined) ?? []).filter((r) =>
    ((r.vm as ManagedObjectReference[] | undefined) ?? []).some((v) => v.value === vm.value)
    || (r._type === "ClusterVmHostRuleInfo" && inGroup(r.vmGroupName))
    || (r._type === "ClusterDependencyRuleInfo" && (inGroup(r.vmGroup) || inGroup(r.dependsOnVmGroup))));
}

/**
 * StampAllRulesWithUuid_Task: every rule without a ruleUuid gets the one
 * vpxd would have given it at creation (seeded by cluster and key), so rules
 * made before API 6.0 can be told apart after a move; the others keep theirs.
 * Undefined when every rule has one already.
 */
export function stampRules(cluster: ManagedObject, rules: Obj[]): Obj[] | undefined {
  if (rules.every((r) => r.ruleUuid)) return undefined;
  return rules.map((r) => (r.ruleUuid ? r : { ...r, ruleUuid: cluster.sim.ids.uuid("cluster-rule", `${cluster.ref.value}/${String(r.key)}`) }));
}
