// HttpNfcLease: an OVF import in progress. ResourcePool.ImportVApp makes the
// VM with empty disks and a lease whose device URLs the client uploads each
// disk to (PUT or POST /nfc/<lease>/<file>, the "*" in the URL being the
// host it called); the upload lands in the disk's extent, a streamOptimized
// or monolithicSparse VMDK decoded grain by grain, a flat one byte for byte.
// HttpNfcLeaseComplete keeps the VM; HttpNfcLeaseAbort removes it, as vSphere
// does with an import that did not finish, and so does a lease nobody has
// touched (progress or upload) for its leaseTimeout: it fails with Timedout.
// An export lease (VirtualMachine.ExportVm, VirtualApp.ExportVApp) is the
// other way round: its device URLs answer GET with each disk as a
// streamOptimized VMDK, made when the lease was taken (ovf-export.ts), and
// ending it, however it ends, leaves the VMs as they were.
import { createHash } from "node:crypto";
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type SavedState } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import type { VirtualMachine } from "./virtual-machine.ts";
import type { ManagedEntity } from "./managed-entity.ts";
import { kindOf } from "./vm-devices.ts";
import { createVm } from "./vm-factory.ts";
import { importKey } from "./ovf-manager.ts";
import { capacityBytes } from "../formats/vmdk.ts";
import { isSparseExtent, readSparseExtent, SparseVmdkError } from "../formats/sparse-vmdk.ts";
import { extentFile, readDescriptor, volumeOf } from "../datastore/disk-files.ts";

type Ref = ManagedObjectReference;

// what hostd gives a client between two calls before it gives up on the import
const LEASE_TIMEOUT_S = 300;
// zero runs of this size are left unwritten, so a thin disk stays thin
const CHUNK = 1 << 20;

/** An upload the lease cannot take: the HTTP status and why. */
export class NfcUploadError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** A disk an export lease serves: the URL's last segment, the stream, and what the manifest says of it. */
export interface ExportedDisk {
  file: string;
  data: Buffer;
  capacity: number;
  populated: number;
}

interface Upload {
  sha1: string;
  size: number;
  populated: number;
}

export class HttpNfcLease extends ManagedObject {
  private readonly uploads = new Map<string, Upload>();
  private cancelTimeout: () => void = () => {};

  /** what an import makes, a VM or a vApp with its VMs (removed if the import does not finish); none for an export */
  private readonly imported: ManagedEntity | undefined;
  /** the disks of an export, by device key; none for an import */
  private readonly exported: Map<string, ExportedDisk> | undefined;

  constructor(sim: SimContext, value: string, entity: Ref, deviceUrl: DataObject[], totalKB: number, lease: { importing: ManagedEntity } | { exported: Map<string, ExportedDisk> }) {
    super(sim, "HttpNfcLease", value);
    this.imported = "importing" in lease ? lease.importing : undefined;
    this.exported = "exported" in lease ? lease.exported : undefined;
    Object.assign(this.props, {
      state: "ready",
      initializeProgress: 100,
      transferProgress: 0,
      // HttpNfcLeaseMode: the client pushes or gets each file itself ("pull" is HttpNfcLeasePullFromUrls_Task's)
      mode: "pushOrGet",
      capabilities: { _type: "HttpNfcLeaseCapabilities", pullModeSupported: false, corsSupported: false },
      info: { _type: "HttpNfcLeaseInfo", lease: this.ref, entity, deviceUrl, totalDiskCapacityInKB: totalKB, leaseTimeout: LEASE_TIMEOUT_S },
    });
    this.touch();
  }

  override saveState(): SavedState & { uploads: Map<string, Upload> } {
    return { ...super.saveState(), uploads: new Map(this.uploads) };
  }

  // a lease a restore brings back ready counts its leaseTimeout from the restore
  override loadState(s: SavedState & { uploads: Map<string, Upload> }): void {
    super.loadState(s);
    this.uploads.clear();
    for (const [k, v] of s.uploads) this.uploads.set(k, v);
    if (this.state === "ready") this.touch();
    else this.cancelTimeout();
  }

  /** The client is still at it: the lease lives another leaseTimeout. */
  private touch(): void {
    this.cancelTimeout();
    this.cancelTimeout = this.sim.clock.setTimeout(() => {
      // a restore may have taken the lease away, or brought back one that is over
      if (this.sim.inventory.get(this.ref.value) === this && this.state === "ready") this.end({ _type: "Timedout", faultMessage: [] }, "Operation timed out.");
    }, LEASE_TIMEOUT_S * 1000);
  }

  /** The lease fails: `error` is a LocalizedMethodFault, as in the WSDL (govmomi's Lease.Wait reads it as one). */
  private end(fault: DataObject, message: string): void {
    this.cancelTimeout();
    this.dropImport();
    this.update({ state: "error", error: { _type: "LocalizedMethodFault", fault, localizedMessage: message } });
  }

  private get state(): string {
    return this.props.state as string;
  }

  private requireReady(): void {
    if (this.state !== "ready") throw new VimFault("InvalidState", {}, `The lease is ${this.state}.`);
  }

  private deviceUrls(): (DataObject & { key: string; url: string; targetId: string })[] {
    return ((this.props.info as { deviceUrl?: unknown[] }).deviceUrl ?? []) as (DataObject & { key: string; url: string; targetId: string })[];
  }

  HttpNfcLeaseProgress(args: Args): void {
    this.requireReady();
    const percent = Number(args.percent);
    if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new VimFault("InvalidArgument", { invalidProperty: "percent" });
    this.update({ transferProgress: percent });
    this.touch();
  }

  HttpNfcLeaseComplete(_args: Args): void {
    this.requireReady();
    this.cancelTimeout();
    this.update({ state: "done", transferProgress: 100 });
  }

  HttpNfcLeaseAbort(args: Args): void {
    if (this.state === "done") throw new VimFault("InvalidState", {}, "The lease is done.");
    if (this.state === "error") return;
    const given = args.fault as { fault?: DataObject; localizedMessage?: string } | undefined;
    this.end(given?.fault ?? { _type: "RequestCanceled", faultMessage: [] }, given?.localizedMessage ?? "The operation was canceled by the user.");
  }

  HttpNfcLeaseGetManifest(_args: Args): DataObject[] {
    this.requireReady();
    return this.deviceUrls().flatMap((d) => {
      const out = this.exported?.get(d.key);
      if (out) return [{ _type: "HttpNfcLeaseManifestEntry", key: d.key, sha1: createHash("sha1").update(out.data).digest("hex"), size: out.data.length, disk: true, capacity: out.capacity, populatedSize: out.populated }];
      const up = this.uploads.get(d.key);
      if (!up) return [];
      return [{ _type: "HttpNfcLeaseManifestEntry", key: d.key, sha1: up.sha1, size: up.size, disk: true, capacity: this.diskCapacity(d.targetId), populatedSize: up.populated }];
    });
  }

  private diskCapacity(target: string): number {
    return capacityBytes(readDescriptor(this.sim.vmStorage.resolve(target, this.imported)));
  }

  /** An import that did not finish leaves nothing behind: the VM and its files, or the vApp with its VMs. */
  private dropImport(): void {
    const e = this.imported;
    if (!e || !this.sim.inventory.get(e.ref.value)) return;
    if (e.type === "VirtualMachine") {
      const vm = e as VirtualMachine;
      vm.storage.deleteFiles(vm);
      vm.detach();
    } else e.destroy();
  }

  /** A disk the client uploads to one of the lease's URLs (`file`: the URL's last segment). */
  receive(file: string, body: Buffer): void {
    if (this.state !== "ready") throw new NfcUploadError(409, `the lease is ${this.state}`);
    const device = this.deviceUrls().find((d) => d.url.endsWith(`/${file}`));
    if (!device) throw new NfcUploadError(404, `the lease has no device URL for ${file}`);
    if (!this.imported) throw new NfcUploadError(405, "an export lease's disks are downloaded (GET), not uploaded");
    this.touch();
    const target = this.sim.vmStorage.resolve(device.targetId, this.imported);
    const desc = readDescriptor(target);
    const extent = extentFile(target, desc.extents[0]);
    const capacity = capacityBytes(desc);
    const vol = volumeOf(extent);
    let populated = 0;
    const write = (offset: number, data: Buffer) => {
      for (let at = 0; at < data.length; at += CHUNK) {
        const piece = data.subarray(at, Math.min(data.length, at + CHUNK));
        if (piece.every((b) => b === 0)) continue;
        vol.writeAt(extent.path, offset + at, piece);
        populated += piece.length;
      }
    };
    if (isSparseExtent(body)) {
      let sparse;
      try {
        sparse = readSparseExtent(body);
      } catch (e) {
        throw new NfcUploadError(400, e instanceof SparseVmdkError ? e.message : String(e));
      }
      if (sparse.capacity > capacity) throw new NfcUploadError(400, `the uploaded disk holds ${sparse.capacity} bytes; ${device.targetId} has room for ${capacity}`);
      for (const g of sparse.grains) write(g.offset, g.data);
    } else {
      if (body.length > capacity) throw new NfcUploadError(400, `the upload is ${body.length} bytes; ${device.targetId} has room for ${capacity}`);
      write(0, body);
    }
    this.uploads.set(device.key, { sha1: createHash("sha1").update(body).digest("hex"), size: body.length, populated });
  }

  /** The disk an export lease serves at one of its URLs (`file`: the URL's last segment). */
  send(file: string): Buffer {
    if (this.state !== "ready") throw new NfcUploadError(409, `the lease is ${this.state}`);
    const device = this.deviceUrls().find((d) => d.url.endsWith(`/${file}`));
    if (!device) throw new NfcUploadError(404, `the lease has no device URL for ${file}`);
    const disk = this.exported?.get(device.key);
    if (!disk) throw new NfcUploadError(405, "an import lease's disks are uploaded (PUT or POST), not downloaded");
    // a download in progress keeps the lease alive, as an upload does
    this.touch();
    return disk.data;
  }
}

/**
 * ResourcePool.ImportVApp's work: the VM an import spec describes, or the
 * vApp (vCenter) with its VMs and nested vApps, with empty disks, and the
 * lease their disks are uploaded through.
 */
export function importVApp(sim: SimContext, pool: ManagedObject, spec: Record<string, any>, folder: ManagedObject, host: Ref | undefined, userName: string): Ref {
  if (spec?._type === "VirtualAppImportSpec") return importVirtualApp(sim, pool, spec, folder, host, userName);
  if (spec?._type !== "VirtualMachineImportSpec") throw new VimFault("InvalidArgument", { invalidProperty: "spec" }, "The import spec is neither a VirtualMachineImportSpec nor a VirtualAppImportSpec.");
  if (folder.type === "Folder" && !(folder.props.childType as string[]).includes("VirtualMachine")) throw new VimFault("NotSupported", {}, `${folder.get("name")} is not a folder of virtual machines.`);
  const vm = importVm(sim, folder as ManagedEntity & { attachChild(c: ManagedEntity): void }, pool.ref, spec, host, userName);
  return importLease(sim, vm, [vm]);
}

function importVm(sim: SimContext, folder: ManagedEntity & { attachChild(c: ManagedEntity): void }, pool: Ref, spec: Record<string, any>, host: Ref | undefined, userName: string): VirtualMachine {
  const configSpec = spec.configSpec as Record<string, any> | undefined;
  if (!configSpec) throw new VimFault("InvalidArgument", { invalidProperty: "spec.configSpec" });
  const vm = createVm(sim, folder, configSpec, pool, host);
  vm.event("VmCreatedEvent", `Created virtual machine ${vm.name} on ${sim.inventory.get(vm.host.value)?.get("name") ?? ""}`, userName);
  return vm;
}

type VAppParent = ManagedObject & { CreateVApp(args: Args): Ref };

/**
 * A VirtualAppImportSpec made real: the vApp (CreateVApp's checks: vCenter
 * only, a unique name, resources that fit), its VMs and nested vApps in
 * spec order, each member's start settings from its entityConfig. If any
 * of it fails, what was made goes again.
 */
function importVirtualApp(sim: SimContext, pool: ManagedObject, spec: Record<string, any>, folder: ManagedObject, host: Ref | undefined, userName: string): Ref {
  const vms: VirtualMachine[] = [];
  let top: ManagedEntity | undefined;
  const build = (parent: VAppParent, s: Record<string, any>, vmFolder: Ref | undefined): ManagedEntity => {
    if (!s.name) throw new VimFault("InvalidArgument", { invalidProperty: "spec.name" });
    const app = sim.inventory.get(parent.CreateVApp({ name: s.name, resSpec: s.resourcePoolSpec, configSpec: s.vAppConfigSpec ?? {}, vmFolder }).value) as ManagedEntity & VAppParent & { attachChild(c: ManagedEntity): void; UpdateVAppConfig(args: Args): void };
    top ??= app;
    const starts: DataObject[] = [];
    for (const c of (s.child ?? []) as Record<string, any>[]) {
      let ref: Ref;
      if (c._type === "VirtualAppImportSpec") ref = build(app, c, undefined).ref;
      else if (c._type === "VirtualMachineImportSpec") {
        const vm = importVm(sim, app, app.ref, c, host, userName);
        vms.push(vm);
        ref = vm.ref;
      } else throw new VimFault("InvalidArgument", { invalidProperty: "spec.child" }, "A vApp's member is a VirtualMachineImportSpec or a VirtualAppImportSpec.");
      if (c.entityConfig) starts.push({ ...c.entityConfig, key: ref });
    }
    if (starts.length) app.UpdateVAppConfig({ spec: { _type: "VAppConfigSpec", entityConfig: starts } });
    return app;
  };
  try {
    build(pool as VAppParent, spec, pool.type === "VirtualApp" ? undefined : folder.ref);
  } catch (e) {
    if (top && sim.inventory.get(top.ref.value)) top.destroy();
    throw e;
  }
  return importLease(sim, top!, vms);
}

/** The lease an import's disks are uploaded through: a device URL for every disk of `vms`, keyed as the import spec's file items are. */
function importLease(sim: SimContext, entity: ManagedEntity, vms: VirtualMachine[]): Ref {
  const leaseId = sim.ids.nextUuid("nfc-lease");
  let totalKB = 0;
  const deviceUrl: DataObject[] = [];
  for (const vm of vms) {
    const devices = vm.config.hardware.device;
    for (const d of devices.filter((x) => kindOf(sim.schema, x._type) === "disk" && x.backing?.fileName)) {
      const ctrl = devices.find((c) => c.key === d.controllerKey);
      totalKB += d.capacityInKB ?? 0;
      deviceUrl.push({
        _type: "HttpNfcLeaseDeviceUrl",
        key: importKey(vm.ref.value, ctrl?._type ?? "", ctrl?.busNumber ?? 0, d.unitNumber ?? 0),
        importKey: importKey(vm.name, ctrl?._type ?? "", ctrl?.busNumber ?? 0, d.unitNumber ?? 0),
        url: `https://*/nfc/${leaseId}/disk-${deviceUrl.length}.vmdk`,
        sslThumbprint: "",
        disk: true,
        targetId: d.backing!.fileName as string,
      });
    }
  }
  return sim.inventory.add(new HttpNfcLease(sim, leaseId, entity.ref, deviceUrl, totalKB, { importing: entity })).ref;
}
