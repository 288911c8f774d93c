// VirtualMachineSnapshot: a point in a VM's history. It keeps the
// configuration of its moment (whose disks are the parents of the deltas
// created with it) and answers revert, remove and rename.
import type { DataObject, ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext, type SavedState } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import type { ConfigInfo, VirtualMachine } from "./virtual-machine.ts";
import { exportSnapshotLease } from "./ovf-export.ts";

type SnapshotState = SavedState & { parent?: VirtualMachineSnapshot; children: VirtualMachineSnapshot[]; name: string; description: string; vmsn: string; config: ConfigInfo };

export class VirtualMachineSnapshot extends ManagedObject {
  parent?: VirtualMachineSnapshot;
  children: VirtualMachineSnapshot[] = [];

  constructor(
    sim: SimContext,
    value: string,
    readonly vm: VirtualMachine,
    readonly uid: number,
    public name: string,
    public description: string,
    readonly createTime: Date,
    readonly powerState: string,
    readonly memory: boolean,
    readonly quiesced: boolean,
    public vmsn: string,
    public config: ConfigInfo,
  ) {
    super(sim, "VirtualMachineSnapshot", value);
    this.props.config = config;
    this.props.childSnapshot = [];
    this.props.vm = vm.ref;
  }

  override saveState(): SnapshotState {
    return { ...super.saveState(), parent: this.parent, children: [...this.children], name: this.name, description: this.description, vmsn: this.vmsn, config: this.config };
  }

  override loadState(s: SnapshotState): void {
    super.loadState(s);
    this.parent = s.parent;
    this.children = [...s.children];
    this.name = s.name;
    this.description = s.description;
    this.vmsn = s.vmsn;
    this.config = s.config;
  }

  /** Its files moved with the VM (RelocateVM_Task). */
  relocated(vmsn: string, config: ConfigInfo): void {
    this.vmsn = vmsn;
    this.config = config;
    this.update({ config });
  }

  tree(): DataObject {
    return {
      _type: "VirtualMachineSnapshotTree",
      snapshot: this.ref,
      vm: this.vm.ref,
      name: this.name,
      description: this.description,
      id: this.uid,
      createTime: this.createTime,
      state: this.powerState,
      quiesced: this.quiesced,
      childSnapshotList: this.children.map((c) => c.tree()),
      replaySupported: false,
    };
  }

  RevertToSnapshot_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this.vm, "RevertToSnapshot_Task", "VirtualMachine.revertToSnapshot", ctx.session?.userName ?? "", () => {
      this.vm.withGuestDisks(() => this.vm.snapshots.revert(this, !!args.suppressPowerOn, ctx.session?.userName ?? ""));
    });
  }

  RemoveSnapshot_Task(args: Args, ctx: CallContext): ManagedObjectReference {
    return this.sim.tasks.run(this.vm, "RemoveSnapshot_Task", "VirtualMachine.removeSnapshot", ctx.session?.userName ?? "", () => {
      this.vm.withGuestDisks(() => this.vm.snapshots.remove(this, !!args.removeChildren, args.consolidate !== false));
    });
  }

  /** A lease serving the disks as this snapshot holds them, the VM running or not (ovf-export.ts). */
  ExportSnapshot(_args: Args): ManagedObjectReference {
    return exportSnapshotLease(this.sim, this.vm, this.config.hardware.device);
  }

  RenameSnapshot(args: Args): void {
    if (args.name !== undefined) this.name = String(args.name);
    if (args.description !== undefined) this.description = String(args.description);
    this.vm.snapshots.publish();
  }
}
