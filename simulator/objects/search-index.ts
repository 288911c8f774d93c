// SearchIndex: find entities by inventory path, child name, UUID, IP, DNS
// name or datastore path, as govc and pyvmomi scripts do.
import { VimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import { ManagedEntity } from "./managed-entity.ts";

export class SearchIndex extends ManagedObject {
  private entity(ref: ManagedObjectReference): ManagedEntity | undefined {
    const o = this.sim.inventory.get(ref.value);
    return o instanceof ManagedEntity ? o : undefined;
  }

  private childNamed(parent: ManagedEntity, name: string): ManagedEntity | undefined {
    // a datacenter's folders are reached as vm, host, datastore and network
    if (parent.type === "Datacenter") {
      const prop = { vm: "vmFolder", host: "hostFolder", datastore: "datastoreFolder", network: "networkFolder" }[name];
      return prop ? this.entity(parent.props[prop] as ManagedObjectReference) : undefined;
    }
    for (const r of parent.children()) {
      const c = this.entity(r);
      if (c && c.name === name) return c;
    }
    return undefined;
  }

  FindByInventoryPath(args: Args): ManagedObjectReference | undefined {
    let cur: ManagedEntity | undefined = this.entity(this.sim.content.rootFolder as ManagedObjectReference);
    const parts = String(args.inventoryPath).split("/").filter((p) => p !== "");
    for (const p of parts) {
      if (!cur) return undefined;
      cur = this.childNamed(cur, p.replace(/%2f/gi, "/"));
    }
    return cur?.ref;
  }

  FindChild(args: Args): ManagedObjectReference | undefined {
    const parent = this.entity(args.entity);
    if (!parent) throw new VimFault("ManagedObjectNotFound", { obj: args.entity });
    return this.childNamed(parent, String(args.name))?.ref;
  }

  private scope(datacenter?: ManagedObjectReference): (o: ManagedEntity) => boolean {
    if (!datacenter) return () => true;
    return (o) => {
      for (let p: ManagedObject | undefined = o; p instanceof ManagedEntity; p = p.parentObject()) if (p.ref.value === datacenter.value) return true;
      return false;
    };
  }

  private all(type: string, datacenter?: ManagedObjectReference): ManagedEntity[] {
    const inScope = this.scope(datacenter);
    return this.sim.inventory.ofType(type).filter((o): o is ManagedEntity => o instanceof ManagedEntity && inScope(o));
  }

  private byUuid(args: Args): ManagedObjectReference[] {
    const uuid = String(args.uuid).toLowerCase();
    if (args.vmSearch) {
      const field = args.instanceUuid ? "instanceUuid" : "uuid";
      return this.all("VirtualMachine", args.datacenter).filter((vm) => String((vm.props.config as Record<string, unknown> | undefined)?.[field] ?? "").toLowerCase() === uuid).map((o) => o.ref);
    }
    return this.all("HostSystem", args.datacenter).filter((h) => String(((h.props.hardware as { systemInfo: { uuid: string } }).systemInfo.uuid)).toLowerCase() === uuid).map((o) => o.ref);
  }

  FindByUuid(args: Args): ManagedObjectReference | undefined {
    return this.byUuid(args)[0];
  }

  FindAllByUuid(args: Args): ManagedObjectReference[] {
    return this.byUuid(args);
  }

  private byIp(args: Args): ManagedObjectReference[] {
    const ip = String(args.ip);
    if (args.vmSearch) {
      return this.all("VirtualMachine", args.datacenter).filter((vm) => {
        const g = vm.props.guest as { ipAddress?: string; net?: { ipAddress?: string[] }[] } | undefined;
        return g?.ipAddress === ip || !!g?.net?.some((n) => n.ipAddress?.includes(ip));
      }).map((o) => o.ref);
    }
    return this.all("HostSystem", args.datacenter).filter((h) =>
      ((h.props.config as { network: { vnic: { spec: { ip: { ipAddress: string } } }[] } }).network.vnic ?? []).some((v) => v.spec.ip.ipAddress === ip)).map((o) => o.ref);
  }

  FindByIp(args: Args): ManagedObjectReference | undefined {
    return this.byIp(args)[0];
  }

  FindAllByIp(args: Args): ManagedObjectReference[] {
    return this.byIp(args);
  }

  private byDns(args: Args): ManagedObjectReference[] {
    const name = String(args.dnsName).toLowerCase();
    if (args.vmSearch) return this.all("VirtualMachine", args.datacenter).filter((vm) => String((vm.props.guest as { hostName?: string } | undefined)?.hostName ?? "").toLowerCase() === name).map((o) => o.ref);
    return this.all("HostSystem", args.datacenter).filter((h) => h.name.toLowerCase() === name).map((o) => o.ref);
  }

  FindByDnsName(args: Args): ManagedObjectReference | undefined {
    return this.byDns(args)[0];
  }

  FindAllByDnsName(args: Args): ManagedObjectReference[] {
    return this.byDns(args);
  }

  FindByDatastorePath(args: Args): ManagedObjectReference | undefined {
    const path = String(args.path);
    if (!/^\[[^\]]+\]/.test(path)) throw new VimFault("InvalidDatastorePath", { datastorePath: path }, `Invalid datastore path '${path}'.`);
    const dc = this.entity(args.datacenter);
    if (!dc) throw new VimFault("ManagedObjectNotFound", { obj: args.datacenter });
    return this.all("VirtualMachine", args.datacenter).find((vm) => (vm.props.config as { files?: { vmPathName?: string } } | undefined)?.files?.vmPathName === path)?.ref;
  }
}
