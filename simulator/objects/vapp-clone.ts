// CloneVApp_Task: a new vApp in the target pool or vApp, with the source's
// product information, properties (some overridden by the spec) and start
// order, and a clone of each child: VMs full-cloned onto the spec's datastore
// (or a resource mapping's), vApps cloned the same way, recursively. NICs on
// a mapped network join its destination. A clone that fails takes back
// everything it made: no half vApp stays in the inventory or on a datastore.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { VirtualApp } from "./virtual-app.ts";
import type { VirtualMachine } from "./virtual-machine.ts";
import { ResourcePool } from "./resource-pool.ts";
import { cloneVm } from "./vm-clone.ts";
import { kindOf } from "./vm-devices.ts";
import { DVPORT_BACKING, nicBackingFor } from "./dv-ports.ts";

type Spec = Record<string, any>;

/** VAppCloneSpec.provisioning: the disks as the source has them, or all thin, or all thick. */
function thinFor(provisioning: unknown): boolean | undefined {
  if (provisioning === undefined || provisioning === "sameAsSource") return undefined;
  if (provisioning === "thin") return true;
  if (provisioning === "thick") return false;
  throw new VimFault("InvalidArgument", { invalidProperty: "spec.provisioning" });
}

/** Edits moving a clone's NICs on a mapped network to its destination (ReconfigVM's deviceChange). */
function networkEdits(sim: SimContext, vm: VirtualMachine, mapping: Map<string, ManagedObjectReference>): DataObject[] {
  const edits: DataObject[] = [];
  for (const d of vm.config.hardware.device) {
    if (kindOf(sim.schema, d._type) !== "nic" || !d.backing) continue;
    const b = d.backing as { _type: string; network?: ManagedObjectReference; port?: { portgroupKey?: string } };
    const on = b._type === DVPORT_BACKING ? b.port?.portgroupKey : b.network?.value;
    const to = on ? mapping.get(on) : undefined;
    if (!to) continue;
    const net = sim.inventory.get(to.value);
    if (!net || !net.isA("Network")) throw new VimFault("InvalidArgument", { invalidProperty: "spec.networkMapping.destination" });
    edits.push({ _type: "VirtualDeviceConfigSpec", operation: "edit", device: { ...d, backing: nicBackingFor(sim, net) } });
  }
  return edits;
}

export function cloneVApp(sim: SimContext, source: VirtualApp, name: string, targetRef: ManagedObjectReference | undefined, spec: Spec, userName: string): ManagedObjectReference {
  const target = targetRef ? sim.inventory.get(targetRef.value) : undefined;
  if (!targetRef) throw new VimFault("InvalidArgument", { invalidProperty: "target" });
  if (!(target instanceof ResourcePool)) throw new VimFault("ManagedObjectNotFound", { obj: targetRef });
  if (!spec.location) throw new VimFault("InvalidArgument", { invalidProperty: "spec.location" });
  const ds = sim.inventory.get(spec.location.value);
  if (!ds || ds.type !== "Datastore") throw new VimFault("InvalidDatastore", { datastore: spec.location }, "Invalid datastore.");
  const thin = thinFor(spec.provisioning);
  const networks = new Map<string, ManagedObjectReference>();
  for (const m of (spec.networkMapping ?? []) as { source?: ManagedObjectReference; destination?: ManagedObjectReference }[]) {
    if (!m.source || !m.destination) throw new VimFault("InvalidArgument", { invalidProperty: "spec.networkMapping" });
    networks.set(m.source.value, m.destination);
  }
  const resources = new Map<string, Spec>();
  for (const m of (spec.resourceMapping ?? []) as Spec[]) {
    if (!m.source) throw new VimFault("InvalidArgument", { invalidProperty: "spec.resourceMapping.source" });
    resources.set(m.source.value, m);
  }
  const made: VirtualApp[] = [];
  try {
    // a vApp in a plain pool is listed in a VM folder: the one given, or the source's; one inside a vApp is not
    const folder = (spec.vmFolder as ManagedObjectReference | undefined) ?? (target.type === "VirtualApp" ? undefined : (source.props.parentFolder as ManagedObjectReference | undefined));
    return cloneInto(sim, source, name, target, folder, spec.resourceSpec, { spec, thin, networks, resources, userName, made }).ref;
  } catch (e) {
    // the first vApp made holds all the others: destroying it takes their VMs and files
    if (made[0]) discard(made[0]);
    throw e;
  }
}

interface CloneRun {
  spec: Spec;
  thin: boolean | undefined;
  networks: Map<string, ManagedObjectReference>;
  resources: Map<string, Spec>;
  userName: string;
  made: VirtualApp[];
}

function cloneInto(sim: SimContext, source: VirtualApp, name: string, target: ResourcePool, vmFolder: ManagedObjectReference | undefined, resourceSpec: Spec | undefined, run: CloneRun): VirtualApp {
  const conf = source.props.vAppConfig as Spec;
  const srcConfig = source.props.config as Spec;
  const overrides = new Map(((run.spec.property ?? []) as { key: string; value: string }[]).map((kv) => [kv.key, kv.value]));
  const ref = target.CreateVApp({
    name,
    resSpec: resourceSpec ?? { _type: "ResourceConfigSpec", cpuAllocation: srcConfig.cpuAllocation, memoryAllocation: srcConfig.memoryAllocation },
    configSpec: { _type: "VAppConfigSpec", annotation: conf.annotation, managedBy: conf.managedBy },
    vmFolder,
  });
  const app = sim.inventory.get(ref.value) as VirtualApp;
  run.made.push(app);
  const property = ((conf.property ?? []) as Spec[]).map((p) => (overrides.has(p.id) ? { ...p, value: overrides.get(p.id) } : p));
  app.update({ vAppConfig: { ...(app.props.vAppConfig as Spec), product: conf.product, property, ipAssignment: conf.ipAssignment, eula: conf.eula, ovfEnvironmentTransport: conf.ovfEnvironmentTransport, installBootRequired: conf.installBootRequired, installBootStopDelay: conf.installBootStopDelay } });
  // each child's clone takes its start settings with it
  const settings = new Map<string, Spec>();
  const children = [...((source.props.vm as ManagedObjectReference[]) ?? []), ...((source.props.resourcePool as ManagedObjectReference[]) ?? [])];
  for (const r of children) {
    const child = sim.inventory.get(r.value);
    const mapped = run.resources.get(r.value);
    let copy: ManagedObjectReference;
    if (child?.type === "VirtualMachine") {
      const vm = child as VirtualMachine;
      copy = cloneVm(sim, vm, app, vm.name, { location: { datastore: mapped?.location ?? run.spec.location, pool: app.ref, host: run.spec.host } }, run.userName, { thin: run.thin });
      const clone = sim.inventory.get(copy.value) as VirtualMachine;
      const deviceChange = networkEdits(sim, clone, run.networks);
      if (deviceChange.length) clone.reconfigure({ _type: "VirtualMachineConfigSpec", deviceChange });
    } else if (child?.type === "VirtualApp") {
      copy = cloneInto(sim, child as VirtualApp, String(child.get("name")), app, undefined, mapped?.resourceSpec, run).ref;
    } else {
      continue;
    }
    const s = source.entityConfig.find((e) => e.key.value === r.value);
    if (s) settings.set(copy.value, s);
  }
  if (settings.size) {
    app.update({ "vAppConfig.entityConfig": app.entityConfig.map((e) => {
      const s = settings.get(e.key.value);
      return s ? { ...s, key: e.key, tag: e.tag } : e;
    }) });
  }
  return app;
}

/** Remove a half-made clone: nested vApps first (a pool's destroy hands its children to its parent), then the VMs with their files. */
function discard(app: VirtualApp): void {
  for (const child of app.childApps()) discard(child);
  app.destroy();
}
