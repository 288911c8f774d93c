// AuthorizationManager: the system roles, the privilege list and the
// permissions, which the dispatcher enforces (vcsim grants everything). The
// privileges are the ones the vim25 schema names on its methods, plus those
// the reference names for methods whose privilege depends on the object, so
// every privilege a client asks about exists. The scenario's user holds the
// Administrator role on the root folder; other users (an ESXi host's local
// accounts) hold what permissions give them, as on a real host: the nearest
// permission on the entity or propagated from an ancestor decides.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext, type SavedState } from "./managed-object.ts";
import { ManagedEntity } from "./managed-entity.ts";
import type { SimContext } from "../sim-context.ts";
import type { Session } from "../dispatch/session.ts";

const SYSTEM_PRIVILEGES = ["System.Anonymous", "System.View", "System.Read"];
const ADMIN_ROLE = -1;
const NO_ACCESS_ROLE = -5;

/**
 * Methods whose privilege the schema leaves open ("dynamic" in the API
 * reference): what the reference asks for on the object's type. One
 * privilege each: ReconfigVM_Task asks for the VirtualMachine.Config.*
 * privilege of each change, and a user with Settings alone passes here.
 */
const DYNAMIC_PRIVILEGES: Record<string, Record<string, string>> = {
  Destroy_Task: {
    VirtualMachine: "VirtualMachine.Inventory.Delete", VirtualApp: "VApp.Delete", Folder: "Folder.Delete", Datacenter: "Datacenter.Delete",
    ResourcePool: "Resource.DeletePool", ClusterComputeResource: "Host.Inventory.DeleteCluster", ComputeResource: "Host.Inventory.RemoveHostFromCluster",
    HostSystem: "Host.Inventory.RemoveHostFromCluster", Datastore: "Datastore.Delete", Network: "Network.Delete",
    DistributedVirtualSwitch: "DVSwitch.Delete", DistributedVirtualPortgroup: "DVPortgroup.Delete",
  },
  Rename_Task: {
    VirtualMachine: "VirtualMachine.Config.Rename", VirtualApp: "VApp.Rename", Folder: "Folder.Rename", Datacenter: "Datacenter.Rename",
    ResourcePool: "Resource.RenamePool", ClusterComputeResource: "Host.Inventory.RenameCluster", Datastore: "Datastore.Rename",
    DistributedVirtualSwitch: "DVSwitch.Modify", DistributedVirtualPortgroup: "DVPortgroup.Modify",
  },
  ReconfigVM_Task: { VirtualMachine: "VirtualMachine.Config.Settings" },
  CloneVM_Task: { VirtualMachine: "VirtualMachine.Provisioning.Clone" },
  MigrateVM_Task: { VirtualMachine: "Resource.HotMigrate" },
  AcquireTicket: { VirtualMachine: "VirtualMachine.Interact.ConsoleInteract" },
  setCustomValue: { ManagedEntity: "Global.SetCustomField" },
  MoveIntoFolder_Task: { Folder: "Folder.Create" },
  UpdateConfig: { ResourcePool: "Resource.EditPool" },
  MoveIntoResourcePool: { ResourcePool: "Resource.AssignVMToPool" },
  DestroyChildren: { ResourcePool: "Resource.DeletePool" },
  SearchDatastore_Task: { HostDatastoreBrowser: "Datastore.Browse" },
  SearchDatastoreSubFolders_Task: { HostDatastoreBrowser: "Datastore.Browse" },
  SetEntityPermissions: { AuthorizationManager: "Authorization.ModifyPermissions" },
  ResetEntityPermissions: { AuthorizationManager: "Authorization.ModifyPermissions" },
  RemoveEntityPermission: { AuthorizationManager: "Authorization.ModifyPermissions" },
};
/** What datastore file transfers over HTTP (/folder) need on the datastore: no method names them. */
export const DATASTORE_FILE_PRIVILEGES = { read: "Datastore.Browse", write: "Datastore.FileManagement" } as const;

// The permission methods check their privilege on the entity they change.
const ON_ENTITY_ARG = new Set(["SetEntityPermissions", "ResetEntityPermissions", "RemoveEntityPermission"]);

export class AuthorizationManager extends ManagedObject {
  private nextRoleId = 10;
  private permissions: DataObject[] = [];

  constructor(sim: SimContext, value: string) {
    super(sim, "AuthorizationManager", value);
    const privs = new Set<string>(SYSTEM_PRIVILEGES);
    for (const t of sim.schema.managedTypeNames()) {
      for (const m of Object.values(sim.schema.managedType(t)!.methods)) if (m.privilege) privs.add(m.privilege);
    }
    for (const byType of Object.values(DYNAMIC_PRIVILEGES)) for (const p of Object.values(byType)) privs.add(p);
    for (const p of Object.values(DATASTORE_FILE_PRIVILEGES)) privs.add(p);
    const privIds = [...privs].sort();
    const privilegeList = privIds.map((id) => ({
      _type: "AuthorizationPrivilege", privId: id, onParent: false, name: id.split(".").pop(), privGroupName: id.split(".").slice(0, -1).join(".") || id,
    }));
    const role = (roleId: number, name: string, label: string, privilege: string[]) => ({
      _type: "AuthorizationRole", roleId, system: true, name, info: { _type: "Description", label, summary: label }, privilege,
    });
    Object.assign(this.props, {
      privilegeList,
      roleList: [
        role(-5, "NoAccess", "No access", []),
        role(-4, "Anonymous", "Anonymous", ["System.Anonymous"]),
        role(-3, "View", "View", ["System.Anonymous", "System.View"]),
        role(-2, "ReadOnly", "Read-only", SYSTEM_PRIVILEGES),
        role(-1, "Admin", "Administrator", privIds),
      ],
      description: {
        _type: "AuthorizationDescription",
        privilege: privilegeList.map((p) => ({ _type: "ElementDescription", key: p.privId, label: p.name, summary: p.privId })),
        privilegeGroup: [...new Set(privilegeList.map((p) => p.privGroupName))].map((g) => ({ _type: "ElementDescription", key: g, label: g, summary: g })),
      },
    });
    const root = sim.content.rootFolder as ManagedObjectReference;
    this.permissions.push({ _type: "Permission", entity: root, principal: sim.scenario.credentials.username, group: false, roleId: ADMIN_ROLE, propagate: true });
    // an entity's permissions go when it leaves the inventory (destroyed or
    // unregistered: "permissions, and alarms, is removed from the host and
    // the vCenter Server instance", vSphere's guide on unregistering a VM)
    sim.inventory.listen((ev) => {
      if (ev.kind !== "leave") return;
      const gone = ev.obj.ref.value;
      if (this.permissions.some((p) => (p.entity as ManagedObjectReference).value === gone)) this.permissions = this.permissions.filter((p) => (p.entity as ManagedObjectReference).value !== gone);
    });
  }

  /** The privilege a call needs and the object it is checked on (the dispatcher asks before each call of a logged-in user). */
  required(obj: ManagedObject, method: string, privilege: string | undefined, args: Args): { privId: string; entity: ManagedObjectReference } {
    let privId = privilege;
    if (!privId) {
      const byType = DYNAMIC_PRIVILEGES[method];
      const type = byType && Object.keys(byType).find((t) => obj.isA(t));
      privId = type ? byType[type] : "System.View";
    }
    const entity = ON_ENTITY_ARG.has(method) && args.entity ? (args.entity as ManagedObjectReference) : obj instanceof ManagedEntity ? obj.ref : (this.sim.content.rootFolder as ManagedObjectReference);
    return { privId, entity };
  }

  /** NoPermission unless `user` holds `privId` on `entity`. */
  /** check() for a call of `session`: an extension's session is privileged (session.ts) until it impersonates a user. */
  checkSession(session: Session, entity: ManagedObjectReference, privId: string): void {
    if (session.extension === undefined) this.check(session.userName, entity, privId);
  }

  check(user: string, entity: ManagedObjectReference, privId: string): void {
    if (!this.holds(user, entity, privId)) {
      throw new VimFault("NoPermission", { object: entity, privilegeId: privId }, `Permission to perform this operation was denied. Required privilege '${privId}' on managed object with id '${entity.value}'.`);
    }
  }

  holds(user: string, entity: ManagedObjectReference, privId: string): boolean {
    const role = this.effectiveRole(user, entity);
    if (role === undefined || role === NO_ACCESS_ROLE) return false;
    if (role === ADMIN_ROLE) return true;
    return !!(this.roles().find((r) => r.roleId === role)?.privilege as string[] | undefined)?.includes(privId);
  }

  /**
   * What a login needs besides the password (a choice, the reference does not
   * say): some permission other than No access somewhere. A fresh local
   * account holds none, and hostd refuses it.
   */
  mayLogIn(user: string): boolean {
    return this.permissions.some((p) => p.principal === user && !p.group && p.roleId !== NO_ACCESS_ROLE);
  }

  /** A removed account's permissions go with it. */
  dropUser(user: string): void {
    this.permissions = this.permissions.filter((p) => p.group || p.principal !== user);
  }

  /** The role of the permission nearest to `entity`: its own, or one propagated from an ancestor. */
  private effectiveRole(user: string, entity: ManagedObjectReference): number | undefined {
    const mine = this.permissions.filter((p) => p.principal === user && !p.group);
    if (mine.length === 0) return undefined;
    let o: ManagedObject | undefined = this.sim.inventory.get(entity.value);
    for (let own = true; o; own = false) {
      const p = mine.find((x) => (x.entity as ManagedObjectReference).value === o!.ref.value && (own || x.propagate));
      if (p) return p.roleId as number;
      // a vApp's VMs have the vApp as parent
      const up = (o.props.parent ?? o.props.parentVApp) as ManagedObjectReference | undefined;
      o = up ? this.sim.inventory.get(up.value) : undefined;
    }
    return undefined;
  }

  override saveState(): SavedState & { nextRoleId: number; permissions: DataObject[] } {
    return { ...super.saveState(), nextRoleId: this.nextRoleId, permissions: [...this.permissions] };
  }

  override loadState(s: SavedState & { nextRoleId: number; permissions: DataObject[] }): void {
    super.loadState(s);
    this.nextRoleId = s.nextRoleId;
    this.permissions = [...s.permissions];
  }

  private roles(): DataObject[] {
    return this.props.roleList as DataObject[];
  }

  private availability(user: string | undefined, entities: ManagedObjectReference[], privIds: string[]): DataObject[] {
    return entities.map((e) => ({
      _type: "EntityPrivilege", entity: e,
      privAvailability: privIds.map((p) => ({ _type: "PrivilegeAvailability", privId: p, isGranted: user !== undefined && this.holds(user, e, p) })),
    }));
  }

  HasPrivilegeOnEntity(args: Args, ctx: CallContext): boolean[] {
    if (!this.sim.inventory.get(args.entity.value)) throw new VimFault("ManagedObjectNotFound", { obj: args.entity });
    return (args.privId ?? []).map((p: string) => !!ctx.session && this.holds(ctx.session.userName, args.entity, p));
  }

  HasPrivilegeOnEntities(args: Args, ctx: CallContext): DataObject[] {
    return this.availability(ctx.session?.userName, args.entity ?? [], args.privId ?? []);
  }

  HasUserPrivilegeOnEntities(args: Args): DataObject[] {
    return this.availability(String(args.userName), args.entities ?? [], args.privId ?? []);
  }

  FetchUserPrivilegeOnEntities(args: Args): DataObject[] {
    const all = (this.props.privilegeList as DataObject[]).map((p) => p.privId as string);
    return (args.entities as ManagedObjectReference[]).map((e) => ({
      _type: "UserPrivilegeResult", entity: e, privileges: all.filter((p) => this.holds(String(args.userName), e, p)),
    }));
  }

  RetrieveAllPermissions(_args: Args): DataObject[] {
    return this.permissions;
  }

  RetrieveEntityPermissions(args: Args): DataObject[] {
    return this.permissions.filter((p) => (p.entity as ManagedObjectReference).value === args.entity.value);
  }

  RetrieveRolePermissions(args: Args): DataObject[] {
    if (!this.roles().some((r) => r.roleId === args.roleId)) throw new VimFault("NotFound", {});
    return this.permissions.filter((p) => p.roleId === args.roleId);
  }

  AddAuthorizationRole(args: Args): number {
    if (this.roles().some((r) => r.name === args.name)) throw new VimFault("AlreadyExists", { name: args.name });
    const known = new Set((this.props.privilegeList as DataObject[]).map((p) => p.privId));
    for (const p of args.privIds ?? []) if (!known.has(p)) throw new VimFault("InvalidArgument", { invalidProperty: "privIds" });
    const roleId = this.nextRoleId++;
    this.update({ roleList: [...this.roles(), { _type: "AuthorizationRole", roleId, system: false, name: args.name, info: { _type: "Description", label: args.name, summary: args.name }, privilege: [...new Set([...SYSTEM_PRIVILEGES, ...(args.privIds ?? [])])] }] });
    return roleId;
  }

  RemoveAuthorizationRole(args: Args): void {
    const r = this.roles().find((x) => x.roleId === args.roleId);
    if (!r) throw new VimFault("NotFound", {});
    if (r.system) throw new VimFault("InvalidArgument", { invalidProperty: "roleId" });
    this.update({ roleList: this.roles().filter((x) => x !== r) });
  }

  UpdateAuthorizationRole(args: Args): void {
    const r = this.roles().find((x) => x.roleId === args.roleId);
    if (!r) throw new VimFault("NotFound", {});
    if (r.system) throw new VimFault("InvalidArgument", { invalidProperty: "roleId" });
    this.update({ roleList: this.roles().map((x) => (x === r ? { ...r, name: args.newName, privilege: args.privIds ?? r.privilege } : x)) });
  }

  /**
   * Every permission of the source role now grants the destination role, so
   * the users holding them have the destination's rights from the next call.
   * The source role itself stays: the reference only reassigns permissions
   * (a client removing a role calls RemoveAuthorizationRole after this).
   */
  MergePermissions(args: Args): void {
    const src = this.roles().find((r) => r.roleId === args.srcRoleId);
    const dst = this.roles().find((r) => r.roleId === args.dstRoleId);
    if (!src || !dst) throw new VimFault("NotFound", {}, `The role ${!src ? args.srcRoleId : args.dstRoleId} was not found.`);
    // the reference: the same role twice, or View and Anonymous (which no permission may name) as destination
    if (src === dst || dst.roleId === -3 || dst.roleId === -4) throw new VimFault("InvalidArgument", { invalidProperty: "dstRoleId" }, "A specified parameter was not correct: dstRoleId");
    // the Administrator's permissions moving away would leave the root folder without one
    if (src.roleId === ADMIN_ROLE) throw new VimFault("AuthMinimumAdminPermission", {}, "The requested change would leave the system without a full administrator.");
    this.permissions = this.permissions.map((p) => (p.roleId === src.roleId ? { ...p, roleId: dst.roleId } : p));
  }

  SetEntityPermissions(args: Args): void {
    const given = this.validPermissions(args);
    const replaced = new Set(given.map((p) => `${p.group}:${p.principal}`));
    this.permissions = this.permissions.filter((x) => (x.entity as ManagedObjectReference).value !== args.entity.value || !replaced.has(`${x.group}:${x.principal}`));
    this.permissions.push(...given);
  }

  /** The entity's permissions become the given ones (none: it inherits only). */
  ResetEntityPermissions(args: Args): void {
    const given = this.validPermissions(args);
    this.permissions = this.permissions.filter((x) => (x.entity as ManagedObjectReference).value !== args.entity.value);
    this.permissions.push(...given);
  }

  /** Every permission checked before any is applied: a refused call changes nothing. */
  private validPermissions(args: Args): DataObject[] {
    if (!this.sim.inventory.get(args.entity.value)) throw new VimFault("ManagedObjectNotFound", { obj: args.entity });
    return ((args.permission ?? []) as DataObject[]).map((p) => {
      if (!this.roles().some((r) => r.roleId === p.roleId)) throw new VimFault("NotFound", {});
      if (!this.sim.knowsPrincipal(String(p.principal), !!p.group)) throw new VimFault("UserNotFound", { principal: p.principal, unresolved: false }, `User or group ${p.principal} not found.`);
      return { _type: "Permission", entity: args.entity, principal: p.principal, group: !!p.group, roleId: p.roleId, propagate: p.propagate !== false };
    });
  }

  RemoveEntityPermission(args: Args): void {
    const before = this.permissions.length;
    this.permissions = this.permissions.filter((x) => !((x.entity as ManagedObjectReference).value === args.entity.value && x.principal === args.user && x.group === args.isGroup));
    if (before === this.permissions.length) throw new VimFault("NotFound", {});
  }
}
