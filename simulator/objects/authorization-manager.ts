// AuthorizationManager: the system roles and the privilege list. The
// privileges are the ones the vim25 schema names on its methods, so every
// privilege a client asks about exists. The scenario's user is an
// administrator: every privilege is granted to it.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext, type SavedState } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

const SYSTEM_PRIVILEGES = ["System.Anonymous", "System.View", "System.Read"];

export class AuthorizationManager extends ManagedObject {
  private nextRoleId = 10;
  private permissions: DataObject[] = [];

  constructor(sim: SimContext, value: string) {
    super(sim, "AuthorizationManager", value);
    const privs = new Set<string>(SYSTEM_PRIVILEGES);
    for (const t of sim.schema.managedTypeNames()) {
      for (const m of Object.values(sim.schema.managedType(t)!.methods)) if (m.privilege) privs.add(m.privilege);
    }
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
    this.permissions.push({ _type: "Permission", entity: root, principal: sim.scenario.credentials.username, group: false, roleId: -1, propagate: true });
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

  private granted(session: CallContext["session"], privIds: string[]): boolean[] {
    // only the scenario's administrator can log in; every privilege is theirs
    return privIds.map(() => !!session);
  }

  HasPrivilegeOnEntity(args: Args, ctx: CallContext): boolean[] {
    if (!this.sim.inventory.get(args.entity.value)) throw new VimFault("ManagedObjectNotFound", { obj: args.entity });
    return this.granted(ctx.session, args.privId ?? []);
  }

  HasPrivilegeOnEntities(args: Args, ctx: CallContext): DataObject[] {
    return (args.entity as ManagedObjectReference[]).map((e) => ({
      _type: "EntityPrivilege", entity: e,
      privAvailability: (args.privId ?? []).map((p: string, i: number) => ({ _type: "PrivilegeAvailability", privId: p, isGranted: this.granted(ctx.session, args.privId)[i] })),
    }));
  }

  HasUserPrivilegeOnEntities(args: Args, ctx: CallContext): DataObject[] {
    return this.HasPrivilegeOnEntities({ entity: args.entities, privId: args.privId }, ctx);
  }

  FetchUserPrivilegeOnEntities(args: Args): DataObject[] {
    const admin = this.roles().find((r) => r.roleId === -1)!.privilege as string[];
    return (args.entities as ManagedObjectReference[]).map((e) => ({ _type: "UserPrivilegeResult", entity: e, privileges: admin }));
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

  SetEntityPermissions(args: Args): void {
    for (const p of args.permission as DataObject[]) {
      if (!this.roles().some((r) => r.roleId === p.roleId)) throw new VimFault("NotFound", {});
      this.permissions = this.permissions.filter((x) => !((x.entity as ManagedObjectReference).value === args.entity.value && x.principal === p.principal));
      this.permissions.push({ ...p, _type: "Permission", entity: args.entity });
    }
  }

  RemoveEntityPermission(args: Args): void {
    const before = this.permissions.length;
    this.permissions = this.permissions.filter((x) => !((x.entity as ManagedObjectReference).value === args.entity.value && x.principal === args.user && x.group === args.isGroup));
    if (before === this.permissions.length) throw new VimFault("NotFound", {});
  }
}
