// InstantClone_Task (vSphere 6.7): a running VM forks. The disks the source
// ran on freeze and become the shared parents: the source goes on in fresh
// deltas of its own (no snapshot object: nothing to revert to), and the
// destination starts on deltas of the same parents, powered on at once,
// with new MACs and the InstantCloneSpec's extraConfig (guestinfo the
// guest reads to set itself up). The simulator's destination boots the
// source's guest program; a real one resumes the source's memory state.
// biosUuid is not applied (the clone gets a new BIOS UUID).
import { VimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { ConfigInfo, VirtualMachine } from "./virtual-machine.ts";
import type { Folder } from "./folder.ts";
import { kindOf } from "./vm-devices.ts";
import { checkName } from "./vm-factory.ts";
import { cloneVm } from "./vm-clone.ts";
import { SnapshotFiles } from "../datastore/snapshot-files.ts";
import { ManagedEntity } from "./managed-entity.ts";

export function instantClone(sim: SimContext, source: VirtualMachine, spec: Record<string, any>, userName: string): ManagedObjectReference {
  if (!sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
  if (source.powerState !== "poweredOn") throw new VimFault("InvalidPowerState", { requestedState: "poweredOn", existingState: source.powerState });
  const name = String(spec.name ?? "");
  const loc = (spec.location ?? {}) as Record<string, any>;
  const folder = loc.folder ? sim.inventory.get(loc.folder.value) : source.parentObject();
  if (!(folder instanceof ManagedEntity) || folder.type !== "Folder") throw new VimFault("ManagedObjectNotFound", { obj: loc.folder ?? source.ref });
  checkName(sim, folder, name);
  const frozen: ConfigInfo = source.config;
  // the source leaves its disks to the clone and goes on in deltas over them
  const files = new SnapshotFiles(sim);
  const vmx = frozen.files.vmPathName;
  const dir = sim.vmStorage.resolve(vmx.slice(0, vmx.lastIndexOf("/")), source);
  const device = frozen.hardware.device.map((d) => {
    if (kindOf(sim.schema, d._type) !== "disk" || !d.backing?.fileName) return d;
    return { ...d, backing: { ...d.backing, fileName: files.createDelta(d.backing.fileName, dir), parent: d.backing, contentId: undefined } };
  });
  source.applyConfig({ ...frozen, hardware: { ...frozen.hardware, device } });
  source.trackChanges();
  const extraConfig = (spec.config ?? []) as { key: string; value: unknown }[];
  const cloneSpec = {
    location: { ...loc, folder: undefined, diskMoveType: "createNewChildDiskBacking" },
    powerOn: true,
    template: false,
    config: extraConfig.length ? { _type: "VirtualMachineConfigSpec", extraConfig } : undefined,
  };
  return cloneVm(sim, source, folder as Folder, name, cloneSpec, userName, { from: frozen });
}
