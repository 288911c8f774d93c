// HostLocalAccountManager: the ESXi host's own user accounts (its
// /etc/passwd), which Login checks and UserDirectory lists. Local groups
// went with vSphere API 5.1: their methods answer NotSupported, as hostd's do.
import { VimFault, type DataObject } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext, type SavedState } from "./managed-object.ts";
import type { HostSystem } from "./host-system.ts";
import { sameSecret } from "../dispatch/session.ts";
import type { SimContext } from "../sim-context.ts";

export interface LocalAccount {
  id: string;
  /** none: the account exists but cannot log in */
  password?: string;
  description: string;
  posixId: number;
  shellAccess: boolean;
}

// A POSIX login name as ESXi's account tools take it; the API reference
// names ";" and newlines as refused and allows hosts to be stricter.
const LOGIN_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,30}$/;
// Where hostd starts numbering accounts it creates (a choice: the reference does not say).
const FIRST_POSIX_ID = 1000;

/**
 * ESXi's default password policy (pam_passwdqc "min=disabled,disabled,disabled,7,7"):
 * at least 7 characters from at least three of the four classes. As passwdqc
 * counts them, an upper-case first letter and a digit at the end do not count
 * towards their class.
 */
export function meetsEsxiPasswordPolicy(password: string): boolean {
  if (password.length < 7) return false;
  const classes = new Set<string>();
  [...password].forEach((ch, i) => {
    if (/[a-z]/.test(ch)) classes.add("lower");
    else if (/[A-Z]/.test(ch)) { if (i > 0) classes.add("upper"); }
    else if (/[0-9]/.test(ch)) { if (i < password.length - 1) classes.add("digit"); }
    else classes.add("other");
  });
  return classes.size >= 3;
}

export class HostLocalAccountManager extends ManagedObject {
  private accounts = new Map<string, LocalAccount>();
  private nextPosixId = FIRST_POSIX_ID;

  constructor(sim: SimContext, value: string) {
    super(sim, "HostLocalAccountManager", value);
    const { username, password } = sim.scenario.credentials;
    // what a fresh ESXi has: root, and the console's user, which has no password to log in with
    this.accounts.set(username, { id: username, password, description: username === "root" ? "Administrator" : username, posixId: 0, shellAccess: true });
    if (username !== "dcui") this.accounts.set("dcui", { id: "dcui", description: "DCUI User", posixId: 100, shellAccess: false });
  }

  override saveState(): SavedState & { accounts: LocalAccount[]; nextPosixId: number } {
    return { ...super.saveState(), accounts: [...this.accounts.values()].map((a) => ({ ...a })), nextPosixId: this.nextPosixId };
  }

  override loadState(s: SavedState & { accounts: LocalAccount[]; nextPosixId: number }): void {
    super.loadState(s);
    this.accounts = new Map(s.accounts.map((a) => [a.id, { ...a }]));
    this.nextPosixId = s.nextPosixId;
  }

  list(): LocalAccount[] {
    return [...this.accounts.values()];
  }

  has(id: string): boolean {
    return this.accounts.has(id);
  }

  /** Login's check: an account with this password (an account without one never matches). */
  verify(id: string, password: string): boolean {
    const a = this.accounts.get(id);
    if (a?.password === undefined) return false;
    return sameSecret(a.password, password);
  }

  CreateUser(args: Args, ctx: CallContext): void {
    const spec = args.user as DataObject & { id: string; password?: string; description?: string; posixId?: number; shellAccess?: boolean };
    if (this.accounts.has(spec.id)) throw new VimFault("AlreadyExists", { name: spec.id }, `The specified key, name, or identifier '${spec.id}' already exists.`);
    if (!LOGIN_NAME.test(spec.id)) throw new VimFault("InvalidArgument", { invalidProperty: "user.id" });
    if (spec.password !== undefined) this.checkPassword(spec.password);
    if (spec.posixId !== undefined && this.list().some((a) => a.posixId === spec.posixId)) throw new VimFault("InvalidArgument", { invalidProperty: "user.posixId" });
    const posixId = spec.posixId ?? this.freePosixId();
    this.accounts.set(spec.id, { id: spec.id, password: spec.password, description: spec.description ?? "", posixId, shellAccess: spec.shellAccess ?? false });
    this.post(ctx, "AccountCreatedEvent", `Account ${spec.id} was created on host %host`, { spec: withoutPassword(spec), group: false });
  }

  UpdateUser(args: Args, ctx: CallContext): void {
    const spec = args.user as DataObject & { id: string; password?: string; description?: string; shellAccess?: boolean };
    const a = this.accounts.get(spec.id);
    if (!a) throw new VimFault("UserNotFound", { principal: spec.id, unresolved: false });
    if (spec.password !== undefined) this.checkPassword(spec.password);
    this.accounts.set(a.id, {
      ...a,
      password: spec.password ?? a.password,
      description: spec.description ?? a.description,
      shellAccess: spec.shellAccess ?? a.shellAccess,
    });
    this.post(ctx, "AccountUpdatedEvent", `Account ${a.id} was updated on host %host`, { spec: withoutPassword(spec), group: false, prevDescription: a.description });
  }

  RemoveUser(args: Args, ctx: CallContext): void {
    const id = String(args.userName);
    if (!this.accounts.has(id)) throw new VimFault("UserNotFound", { principal: id, unresolved: false });
    this.accounts.delete(id);
    // a removed account's permissions go with it, as hostd drops them
    this.sim.userRemoved(id);
    this.post(ctx, "AccountRemovedEvent", `Account ${id} was removed on host %host`, { account: id, group: false });
  }

  CreateGroup(): void {
    throw groupsUnsupported();
  }

  RemoveGroup(): void {
    throw groupsUnsupported();
  }

  AssignUserToGroup(): void {
    throw groupsUnsupported();
  }

  UnassignUserFromGroup(): void {
    throw groupsUnsupported();
  }

  private checkPassword(password: string): void {
    if (!meetsEsxiPasswordPolicy(password)) throw new VimFault("InvalidArgument", { invalidProperty: "user.password" });
  }

  private freePosixId(): number {
    const used = new Set(this.list().map((a) => a.posixId));
    while (used.has(this.nextPosixId)) this.nextPosixId++;
    return this.nextPosixId++;
  }

  /** Account events are HostEvents of the host whose accounts these are (hostd's one host). */
  private post(ctx: CallContext, type: string, message: string, extra: Record<string, unknown>): void {
    const host = this.sim.inventory.get("ha-host") as HostSystem | undefined;
    host?.postHostEvent(type, message.replace("%host", host.name), ctx.session?.userName ?? "", extra);
  }
}

// events carry the spec as the client sent it, less its secret
function withoutPassword(spec: DataObject): DataObject {
  const { password: _password, ...rest } = spec;
  return rest as DataObject;
}

function groupsUnsupported(): VimFault {
  return new VimFault("NotSupported", {}, "Local groups are not supported (vSphere API 5.1 and later).");
}
