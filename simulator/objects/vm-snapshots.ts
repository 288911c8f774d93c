// A VM's snapshot tree and what each operation does to it and to the
// disks: create puts a delta on every disk, revert starts a fresh delta on
// the snapshot's disks, remove folds a snapshot's delta into its parent
// when nothing else builds on it.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { ConfigInfo, VirtualMachine } from "./virtual-machine.ts";
import { VirtualMachineSnapshot } from "./virtual-machine-snapshot.ts";
import { kindOf, type Device } from "./vm-devices.ts";
import { SnapshotFiles } from "../datastore/snapshot-files.ts";
import { VmxFile } from "../formats/vmx-config.ts";

function toVmxTime(d: Date): { high: number; low: number } {
  const us = BigInt(d.getTime()) * 1000n;
  return { high: Number(us >> 32n), low: Number(us & 0xffffffffn) | 0 };
}

export interface SavedTree {
  roots: VirtualMachineSnapshot[];
  current?: VirtualMachineSnapshot;
  lastUid: number;
  created: string[];
}

export class VmSnapshots {
  roots: VirtualMachineSnapshot[] = [];
  current?: VirtualMachineSnapshot;
  private lastUid = 0;
  /** delta disks snapshots made; the base disks are the VM's own and never collected here */
  private readonly created = new Set<string>();
  private readonly files: SnapshotFiles;

  constructor(private readonly sim: SimContext, private readonly vm: VirtualMachine) {
    this.files = new SnapshotFiles(sim);
  }

  /** The tree's state for a simulator snapshot; the snapshot objects save their own links. */
  save(): SavedTree {
    return { roots: [...this.roots], current: this.current, lastUid: this.lastUid, created: [...this.created] };
  }

  load(s: SavedTree): void {
    this.roots = [...s.roots];
    this.current = s.current;
    this.lastUid = s.lastUid;
    this.created.clear();
    for (const f of s.created) this.created.add(f);
  }

  /** The tree as the .vmsd beside the VM's (new) .vmx has it: reloadVirtualMachineFromPath_Task. */
  reread(): void {
    for (const snap of this.all()) this.sim.inventory.remove(snap);
    this.roots = [];
    this.current = undefined;
    this.lastUid = 0;
    this.created.clear();
    this.loadFromVmsd();
    this.publish(false);
  }

  /** After RelocateVM_Task moved the VM's files: each snapshot's .vmsn and configuration, and the deltas the tree made, under their new names. */
  relocated(path: (dsPath: string) => string, config: (c: ConfigInfo) => ConfigInfo): void {
    for (const s of this.all()) s.relocated(path(s.vmsn), config(s.config));
    const created = [...this.created].map(path);
    this.created.clear();
    for (const f of created) this.created.add(f);
  }

  all(): VirtualMachineSnapshot[] {
    const out: VirtualMachineSnapshot[] = [];
    const walk = (s: VirtualMachineSnapshot) => {
      out.push(s);
      s.children.forEach(walk);
    };
    this.roots.forEach(walk);
    return out;
  }

  private disks(config: ConfigInfo): Device[] {
    return config.hardware.device.filter((d) => kindOf(this.sim.schema, d._type) === "disk" && d.backing?.fileName);
  }

  private vmDir(): string {
    const p = this.vm.config.files.vmPathName;
    return p.slice(0, p.lastIndexOf("/"));
  }

  private stem(): string {
    const p = this.vm.config.files.vmPathName;
    return p.slice(p.lastIndexOf("/") + 1).replace(/\.vmx$/i, "");
  }

  /** Point every disk of `config` at a fresh delta on top of its current file; a revert's deltas start a new change history. */
  private deltaConfig(config: ConfigInfo, tracking: "carry" | "restart" = "carry"): { config: ConfigInfo } {
    const dir = this.vmDir();
    const dirResolved = this.sim.vmStorage.resolve(dir, this.vm);
    const devices = config.hardware.device.map((d) => {
      if (kindOf(this.sim.schema, d._type) !== "disk" || !d.backing?.fileName) return d;
      const delta = this.files.createDelta(d.backing.fileName, dirResolved, tracking);
      this.created.add(delta);
      return { ...d, backing: { ...d.backing, fileName: delta, parent: d.backing, contentId: undefined } };
    });
    return { config: { ...config, hardware: { ...config.hardware, device: devices } } };
  }

  create(name: string, description: string, memory: boolean, quiesce: boolean): ManagedObjectReference {
    const vm = this.vm;
    if (vm.config.template) throw new VimFault("InvalidState", {}, "Cannot take a snapshot of a template.");
    if ((vm.config.flags as { snapshotDisabled?: boolean } | undefined)?.snapshotDisabled) throw new VimFault("SnapshotDisabled", {});
    if (quiesce && vm.powerState === "poweredOn" && (vm.props.guest as { toolsRunningStatus?: string }).toolsRunningStatus !== "guestToolsRunning") {
      throw new VimFault("ToolsUnavailable", {}, "Cannot quiesce: VMware Tools is not running in this virtual machine.");
    }
    const uid = ++this.lastUid;
    const now = this.sim.clock.now();
    const vmsn = `${this.vmDir()}/${this.stem()}-Snapshot${uid}.vmsn`;
    // the snapshot's disks keep the change IDs of the moment: a backup's next "since"
    vm.trackChanges();
    const snapConfig = vm.config;
    const { config } = this.deltaConfig(snapConfig);
    const ctxDir = this.vmDir();
    // the .vmsn carries the configuration of the moment
    this.files.writeText(vmsn, (vm.vmx instanceof VmxFile ? vm.vmx.toString() : "") || `displayName = "${snapConfig.name}"\n`);
    if (memory && vm.powerState === "poweredOn") this.files.createSparse(`${ctxDir}/${this.stem()}-Snapshot${uid}.vmem`, snapConfig.hardware.memoryMB * 1048576);
    const value = this.sim.isVCenter ? this.sim.newRef("snapshot-") : `${vm.ref.value}-snapshot-${uid}`;
    const snap = new VirtualMachineSnapshot(this.sim, value, vm, uid, name, description, now, vm.powerState, memory && vm.powerState === "poweredOn", quiesce, vmsn, snapConfig);
    this.sim.inventory.add(snap);
    if (this.current) {
      snap.parent = this.current;
      this.current.children.push(snap);
      this.current.update({ childSnapshot: this.current.children.map((c) => c.ref) });
    } else this.roots.push(snap);
    this.current = snap;
    vm.applyConfig(config);
    this.publish();
    return snap.ref;
  }

  revert(snap: VirtualMachineSnapshot, suppressPowerOn: boolean, userName: string): void {
    const vm = this.vm;
    const { config } = this.deltaConfig(snap.config, "restart");
    this.current = snap;
    vm.applyConfig({ ...config, name: vm.config.name, files: vm.config.files });
    // the deltas the VM ran on before go, unless a snapshot still builds on them
    this.collectGarbage();
    const target = snap.memory && !suppressPowerOn ? "poweredOn" : snap.memory ? "suspended" : "poweredOff";
    if (vm.powerState !== target) vm.forcePower(target as "poweredOn" | "poweredOff" | "suspended", userName);
    this.publish();
  }

  /** Disk files in use: what any configuration (the VM's, each snapshot's) names, and their parents. */
  private inUse(): Set<string> {
    const out = new Set<string>();
    const configs = [this.vm.config, ...this.all().map((s) => s.config)];
    for (const c of configs) {
      for (const d of this.disks(c)) {
        for (let f: string | undefined = d.backing!.fileName; f && !out.has(f); f = this.files.parentOf(f)) out.add(f);
      }
    }
    return out;
  }

  /** Deltas this tree created that nothing uses any more. */
  private collectGarbage(): void {
    const used = this.inUse();
    for (const f of [...this.created]) {
      if (used.has(f)) continue;
      this.files.deleteDisk(f);
      this.created.delete(f);
    }
  }

  remove(snap: VirtualMachineSnapshot, removeChildren: boolean, consolidate: boolean): void {
    if (removeChildren) for (const c of [...snap.children]) this.remove(c, true, consolidate);
    const parent = snap.parent;
    const siblings = parent ? parent.children : this.roots;
    siblings.splice(siblings.indexOf(snap), 1, ...snap.children);
    for (const c of snap.children) c.parent = parent;
    if (this.current === snap) this.current = parent;
    this.sim.inventory.remove(snap);
    if (consolidate) {
      // the state after the snapshot folds into the snapshot's disk when one delta builds on it
      const used = this.inUse();
      const stillNamed = new Set([this.vm.config, ...this.all().map((s) => s.config)].flatMap((c) => this.disks(c).map((d) => d.backing!.fileName)));
      for (const d of this.disks(snap.config)) {
        const base = d.backing!.fileName;
        // another snapshot's state is that very file: folding into it would change that snapshot
        if (stillNamed.has(base)) continue;
        const children = [...used].filter((f) => this.created.has(f) && this.files.parentOf(f) === base);
        if (children.length !== 1) continue;
        const delta = children[0];
        const dependents = [...used].filter((f) => f !== delta && this.files.parentOf(f) === delta);
        this.fold(delta, base, d, dependents);
      }
    }
    this.collectGarbage();
    this.files.deleteFile(snap.vmsn);
    this.files.deleteFile(snap.vmsn.replace(/\.vmsn$/, ".vmem"));
    if (parent) parent.update({ childSnapshot: parent.children.map((c) => c.ref) });
    this.publish();
    this.noteConsolidation();
  }

  /**
   * Deltas that could fold into their parent because no configuration
   * names the parent any more: what a removal with consolidate false leaves
   * (runtime.consolidationNeeded), each with the device backing that names
   * the parent.
   */
  private redundant(): { delta: string; base: Device }[] {
    const configs = [this.vm.config, ...this.all().map((s) => s.config)];
    const named = new Set(configs.flatMap((c) => this.disks(c).map((d) => d.backing!.fileName as string)));
    const used = this.inUse();
    const out: { delta: string; base: Device }[] = [];
    for (const c of configs) {
      for (const d of this.disks(c)) {
        const delta = d.backing!.fileName as string;
        const parent = d.backing!.parent as (DataObject & { fileName?: string }) | undefined;
        if (!parent?.fileName || !this.created.has(delta) || named.has(parent.fileName) || out.some((r) => r.delta === delta)) continue;
        // a parent two deltas build on (a branch) stays as it is
        if ([...used].filter((f) => this.files.parentOf(f) === parent.fileName).length !== 1) continue;
        out.push({ delta, base: { ...d, backing: parent } as Device });
      }
    }
    return out;
  }

  /** runtime.consolidationNeeded as the disks are now. */
  private noteConsolidation(): void {
    const need = this.redundant().length > 0;
    const runtime = this.vm.props.runtime as DataObject & { consolidationNeeded?: boolean };
    if (!!runtime.consolidationNeeded !== need) this.vm.refresh({ runtime: { ...runtime, consolidationNeeded: need } });
  }

  /** ConsolidateVMDisks_Task: every redundant delta folded into its parent, the configurations pointed at the parent. */
  consolidateRedundant(): void {
    for (let r = this.redundant(); r.length; r = this.redundant()) {
      const { delta, base } = r[0]!;
      const dependents = [...this.inUse()].filter((f) => f !== delta && this.files.parentOf(f) === delta);
      this.fold(delta, base.backing!.fileName as string, base, dependents);
    }
    this.collectGarbage();
    this.publish();
    this.noteConsolidation();
  }

  /** EstimateStorageForConsolidateSnapshots_Task: per datastore, the KB the redundant deltas' written blocks take when folded. */
  consolidationEstimate(): DataObject[] {
    const byDs = new Map<string, { ref: ManagedObjectReference; bytes: number }>();
    for (const { delta } of this.redundant()) {
      const { datastore, bytes } = this.files.populated(delta);
      const cur = byDs.get(datastore.ref.value) ?? { ref: datastore.ref, bytes: 0 };
      cur.bytes += bytes;
      byDs.set(datastore.ref.value, cur);
    }
    return [...byDs.values()].map((d) => ({ _type: "StorageRequirement", datastore: d.ref, freeSpaceRequiredInKb: Math.ceil(d.bytes / 1024) }));
  }

  /** Fold `delta`'s written blocks into `parent`, then every configuration that named `delta` takes `base`'s backing (the parent's). */
  private fold(delta: string, parent: string, base: Device, dependents: string[]): void {
    this.files.consolidate(delta, parent, dependents);
    this.created.delete(delta);
    this.repoint(delta, base);
  }

  /** After consolidation every configuration that named `delta` names its parent instead. */
  private repoint(delta: string, base: Device): void {
    const swap = (config: ConfigInfo): ConfigInfo => ({
      ...config,
      hardware: {
        ...config.hardware,
        device: config.hardware.device.map((d) => {
          if (d.backing?.fileName === delta) return { ...d, backing: base.backing };
          if (d.backing?.parent?.fileName === delta) return { ...d, backing: { ...d.backing, parent: base.backing } };
          return d;
        }),
      },
    });
    for (const s of this.all()) {
      s.config = swap(s.config);
      s.update({ config: s.config });
    }
    this.vm.applyConfig(swap(this.vm.config));
  }

  removeAll(): void {
    while (this.roots.length) this.remove(this.roots[0], false, true);
    // with no snapshot left, what the VM runs on folds back into its base disks,
    // whichever branch it was on
    for (const key of this.disks(this.vm.config).map((d) => d.key)) {
      for (;;) {
        const d = this.vm.config.hardware.device.find((x) => x.key === key)!;
        const delta = d.backing!.fileName as string;
        const parent = this.files.parentOf(delta);
        if (!parent || !this.created.has(delta) || !d.backing!.parent) break;
        this.fold(delta, parent, { ...d, backing: d.backing!.parent }, []);
      }
    }
    this.collectGarbage();
    this.publish();
  }

  /**
   * A registered VM's tree, read back from its .vmsd as ESXi keeps it: names,
   * parents, times and, per snapshot, which file each disk node was on. The
   * configuration of a snapshot is the VM's with those disks (hostd keeps the
   * rest in the binary .vmsn). Nothing is written.
   */
  loadFromVmsd(): void {
    const text = this.files.readText(`${this.vmDir()}/${this.stem()}.vmsd`);
    if (!text) return;
    let vmsd: VmxFile;
    try {
      vmsd = VmxFile.parse(text, `${this.vmDir()}/${this.stem()}.vmsd`);
    } catch {
      // a .vmsd hostd cannot read leaves a VM without snapshots, not unregistrable
      return;
    }
    const n = Number(vmsd.get("snapshot.numSnapshots") ?? 0);
    const byUid = new Map<number, { snap: VirtualMachineSnapshot; parent?: number }>();
    for (let i = 0; i < n; i++) {
      const get = (k: string) => vmsd.get(`snapshot${i}.${k}`);
      const uid = Number(get("uid"));
      if (!Number.isInteger(uid) || byUid.has(uid)) continue;
      const high = Number(get("createTimeHigh") ?? 0), low = Number(get("createTimeLow") ?? 0);
      const created = new Date(Number(((BigInt(high) << 32n) | BigInt(low >>> 0)) / 1000n));
      const disks = new Map<string, string>();
      for (let k = 0; k < Number(get("numDisks") ?? 0); k++) {
        const node = get(`disk${k}.node`), file = get(`disk${k}.fileName`);
        if (node && file) disks.set(node.toLowerCase(), file.startsWith("/") || file.startsWith("[") ? file : `${this.vmDir()}/${file}`);
      }
      const config = this.configWithDisks(disks);
      const filename = get("filename") ?? `${this.stem()}-Snapshot${uid}.vmsn`;
      const value = this.sim.isVCenter ? this.sim.newRef("snapshot-") : `${this.vm.ref.value}-snapshot-${uid}`;
      const snap = new VirtualMachineSnapshot(this.sim, value, this.vm, uid, get("displayName") ?? `Snapshot ${uid}`, get("description") ?? "", created, "poweredOff", false, false, `${this.vmDir()}/${filename}`, config);
      this.sim.inventory.add(snap);
      const parent = Number(get("parent"));
      byUid.set(uid, { snap, parent: Number.isInteger(parent) ? parent : undefined });
    }
    for (const { snap, parent } of byUid.values()) {
      const p = parent !== undefined ? byUid.get(parent)?.snap : undefined;
      if (p) {
        snap.parent = p;
        p.children.push(snap);
      } else this.roots.push(snap);
    }
    for (const { snap } of byUid.values()) snap.update({ childSnapshot: snap.children.map((c) => c.ref) });
    this.lastUid = Math.max(Number(vmsd.get("snapshot.lastUID") ?? 0), ...byUid.keys(), 0);
    this.current = byUid.get(Number(vmsd.get("snapshot.current")))?.snap;
    // the deltas in the VM's folder are the tree's to consolidate and collect
    for (const c of [this.vm.config, ...this.all().map((x) => x.config)]) {
      for (const d of this.disks(c)) {
        for (let f: string | undefined = d.backing!.fileName; f; f = this.files.parentOf(f)) {
          if (f.startsWith(`${this.vmDir()}/`) && this.files.parentOf(f)) this.created.add(f);
        }
      }
    }
    this.publish(false);
  }

  /** The VM's configuration with each disk on the file a .vmsd names for its node. */
  private configWithDisks(files: Map<string, string>): ConfigInfo {
    const config = this.vm.config;
    const device = config.hardware.device.map((d): Device => {
      if (kindOf(this.sim.schema, d._type) !== "disk") return d;
      const file = files.get(nodeOf(this.sim, config, d));
      if (!file) return d;
      const backing = this.sim.vmStorage.diskBacking(file, this.vm);
      return backing ? { ...d, backing: { ...d.backing!, ...backing } } : d;
    });
    return { ...config, hardware: { ...config.hardware, device } };
  }

  /** The VM's snapshot properties, the .vmsd and layoutEx follow the tree. */
  publish(write = true): void {
    const vm = this.vm;
    const all = this.all();
    const info = this.roots.length ? { _type: "VirtualMachineSnapshotInfo", currentSnapshot: this.current?.ref, rootSnapshotList: this.roots.map((r) => r.tree()) } : undefined;
    const lines = [`.encoding = "UTF-8"`, `snapshot.lastUID = "${this.lastUid}"`];
    if (this.current) lines.push(`snapshot.current = "${this.current.uid}"`);
    all.forEach((s, i) => {
      const t = toVmxTime(s.createTime);
      lines.push(
        `snapshot${i}.uid = "${s.uid}"`,
        `snapshot${i}.filename = "${s.vmsn.slice(s.vmsn.lastIndexOf("/") + 1)}"`,
        ...(s.parent ? [`snapshot${i}.parent = "${s.parent.uid}"`] : []),
        `snapshot${i}.displayName = "${s.name.replace(/"/g, "|22")}"`,
        `snapshot${i}.description = "${s.description.replace(/"/g, "|22")}"`,
        `snapshot${i}.type = "1"`,
        `snapshot${i}.createTimeHigh = "${t.high}"`,
        `snapshot${i}.createTimeLow = "${t.low}"`,
        `snapshot${i}.numDisks = "${this.disks(s.config).length}"`,
        ...this.disks(s.config).flatMap((d, k) => [`snapshot${i}.disk${k}.fileName = "${d.backing!.fileName.slice(d.backing!.fileName.lastIndexOf("/") + 1)}"`, `snapshot${i}.disk${k}.node = "${nodeOf(this.sim, s.config, d)}"`]),
      );
    });
    lines.push(`snapshot.numSnapshots = "${all.length}"`);
    if (write) this.files.writeText(`${this.vmDir()}/${this.stem()}.vmsd`, lines.join("\n") + "\n");
    vm.refresh({ snapshot: info, rootSnapshot: this.roots.map((r) => r.ref) });
    // a fold or a revert changed what the disks' change IDs are
    if (write) vm.trackChanges();
  }
}

function nodeOf(sim: SimContext, config: ConfigInfo, d: Device): string {
  const ctrl = config.hardware.device.find((c) => c.key === d.controllerKey);
  const kind = ctrl ? kindOf(sim.schema, ctrl._type) : "scsi";
  return `${kind}${ctrl?.busNumber ?? 0}:${d.unitNumber ?? 0}`;
}

