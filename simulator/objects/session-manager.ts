// SessionManager: a real password check (vcsim accepts any), the session
// cookie, currentSession and sessionList as hostd shows them.
import type { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { CGI_TICKET_MS, cgiTarget, sameSecret, type Session } from "../dispatch/session.ts";
import type { ExtensionManager } from "./extension-manager.ts";

/** A distinguished name's attributes in order, for comparison: "CN=a, O=b" and "cn=a\nO=b" are the same. */
function distinguishedName(dn: string): string {
  return dn.split(/\s*[,\n]\s*/).filter(Boolean).map((a) => a.toLowerCase()).join(",");
}

export function userSession(s: Session): DataObject {
  return {
    _type: "UserSession",
    key: s.key,
    userName: s.userName,
    fullName: s.fullName,
    loginTime: s.loginTime,
    lastActiveTime: s.lastActiveTime,
    locale: s.locale,
    messageLocale: s.messageLocale,
    extensionSession: false,
    ipAddress: s.ipAddress,
    userAgent: s.userAgent,
    callCount: s.callCount,
  };
}

// SessionManagerHttpServiceRequestSpecMethod, as the verbs a request carries
const HTTP_METHODS: Record<string, string> = {
  httpOptions: "OPTIONS", httpGet: "GET", httpHead: "HEAD", httpPost: "POST", httpPut: "PUT", httpDelete: "DELETE", httpTrace: "TRACE", httpConnect: "CONNECT",
};

/** One AcquireLocalTicket password not used yet: whose it is, where its file lies, the timer that drops it. */
interface LocalTicket {
  userName: string;
  password: string;
  path: string;
  cancelExpiry: () => void;
}

// hostd hands local tickets only to processes on the host itself; the
// simulator's own machine is reached on loopback (guests' 127.x addresses
// other than these are other machines).
const LOCAL_ADDRESSES = new Set(["127.0.0.1", "::1"]);

/**
 * A user name and password as this server checks them, for Login, /folder's
 * and /rest's Basic auth alike: ESXi checks its own accounts (the scenario's
 * user is one, whose password UpdateUser may change), vCenter its one SSO
 * user; both compared in full either way.
 */
export function credentialsMatch(sim: SimContext, userName: string, password: string): boolean {
  const accounts = sim.localAccounts;
  if (accounts) return accounts.verify(userName, password);
  const c = sim.scenario.credentials;
  const userOk = sameSecret(userName, c.username);
  const passOk = sameSecret(password, c.password);
  return userOk && passOk;
}

export class SessionManager extends ManagedObject {
  /** clone tickets not used yet, each naming the session it clones (live state, like the sessions) */
  private readonly cloneTickets = new Map<string, string>();
  /**
   * local tickets not used yet, by password file path; live state like the
   * sessions and clone tickets (a restore keeps them: their files exist)
   */
  private readonly localTickets = new Map<string, LocalTicket>();
  /** this simulator's ticket directory (0700), made on the first AcquireLocalTicket */
  private localTicketDir?: string;
  private localTicketSerial = 0;

  constructor(sim: SimContext, value: string) {
    super(sim, "SessionManager", value);
    Object.assign(this.props, {
      defaultLocale: "en",
      supportedLocaleList: ["en", "de", "fr", "ja", "ko", "zh_CN", "zh_TW"],
      message: undefined,
      messageLocaleList: ["en"],
    });
  }

  /** currentSession and sessionList depend on who asks; see PropertyCollector's session-aware read. */
  override get(name: string, session?: Session): unknown {
    if (name === "sessionList") return this.sim.sessions.list().map(userSession);
    if (name === "currentSession") return session ? userSession(session) : undefined;
    return super.get(name);
  }

  Login(args: Args, ctx: CallContext): DataObject {
    if (ctx.session) throw new VimFault("InvalidLogin", {});
    const username = String(args.userName);
    const password = String(args.password);
    if (!this.redeemLocalTicket(username, password) && !credentialsMatch(this.sim, username, password)) {
      this.sim.events.post("BadUsernameSessionEvent", `Cannot login ${username}@${ctx.remoteAddress}`, username, {}, { ipAddress: ctx.remoteAddress });
      throw new VimFault("InvalidLogin", {});
    }
    if (!this.sim.authorization.mayLogIn(username)) {
      throw new VimFault("NoPermission", { object: this.sim.content.rootFolder, privilegeId: "System.View" }, `Permission to perform this operation was denied. Required privilege 'System.View' on managed object with id '${(this.sim.content.rootFolder as { value: string }).value}'.`);
    }
    const locale = args.locale || "en";
    const s = this.sim.sessions.create(username, username === "root" ? "root" : username, locale, ctx.remoteAddress, ctx.userAgent);
    return this.loggedIn(s, ctx);
  }

  /**
   * A one-time password for a process on the host itself (vmware-cmd,
   * esxcli), in a file only its user may read: the process reads it and
   * hands it to Login. hostd only; it answers callers from elsewhere
   * InvalidRequest, as the reference says.
   */
  AcquireLocalTicket(args: Args, ctx: CallContext): DataObject {
    // The reference allows NotSupported "if the server does not support this
    // operation"; vpxd (on the appliance) is taken not to, which could not be
    // confirmed against a real vCenter.
    if (this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
    if (!LOCAL_ADDRESSES.has(ctx.remoteAddress)) throw new VimFault("InvalidRequest", {}, "Local tickets are only given to clients on the host itself.");
    const user = String(args.userName ?? "");
    if (!user || !this.sim.knowsPrincipal(user, false)) throw new VimFault("InvalidLogin", {}, "Cannot complete login due to an incorrect user name or password.");
    this.localTicketDir ??= mkdtempSync(join(tmpdir(), "vsphere-sim-tickets-"));
    const n = ++this.localTicketSerial;
    const path = join(this.localTicketDir, this.sim.ids.uuid("local-ticket", String(n)));
    const password = this.sim.ids.hex("local-ticket-password", String(n), 40);
    writeFileSync(path, password, { mode: 0o600, flag: "wx" });
    // the lifetime of a generic service ticket: the reference says only that the server picks one
    const cancelExpiry = this.sim.clock.setTimeout(() => this.dropLocalTicket(path), CGI_TICKET_MS);
    this.localTickets.set(path, { userName: user, password, path, cancelExpiry });
    return { _type: "SessionManagerLocalTicket", userName: user, passwordFilePath: path };
  }

  /** Whether `password` is a live local ticket of `userName`'s; one that is gets used up. */
  private redeemLocalTicket(userName: string, password: string): boolean {
    for (const t of this.localTickets.values()) {
      if (sameSecret(t.password, password) && sameSecret(t.userName, userName)) {
        this.dropLocalTicket(t.path);
        return true;
      }
    }
    return false;
  }

  private dropLocalTicket(path: string): void {
    const t = this.localTickets.get(path);
    if (!t) return;
    t.cancelExpiry();
    this.localTickets.delete(path);
    rmSync(path, { force: true });
  }

  /** The simulator is closing: no ticket file may outlive it. */
  dropLocalTickets(): void {
    for (const path of [...this.localTickets.keys()]) this.dropLocalTicket(path);
    if (this.localTicketDir) rmSync(this.localTicketDir, { recursive: true, force: true });
    this.localTicketDir = undefined;
  }

  /**
   * Windows SSPI pass-through: only vCenter on Windows spoke it. ESXi and the
   * Linux appliance answer NotSupported, the reference's fault for a server
   * without SSPI (the appliance's answer is taken from it, not from a real one).
   */
  LoginBySSPI(_args: Args): DataObject {
    throw new VimFault("NotSupported", {}, "SSPI authentication is not supported by this server.");
  }

  /**
   * SAML token login. vCenter validates the token with its SSO service, which
   * the simulator does not serve, so no token validates; a standalone ESXi
   * host trusts no token issuer either, and hostd's answer is the same
   * InvalidLogin (taken from the reference's faults, not a real host).
   */
  LoginByToken(_args: Args, ctx: CallContext): DataObject {
    if (ctx.session) throw new VimFault("InvalidLogin", {});
    const why = this.sim.isVCenter ? "this simulator serves no SSO token service to validate it" : "this host trusts no token issuer";
    throw new VimFault("InvalidLogin", {}, `Cannot complete login: the token cannot be validated (${why}).`);
  }

  /**
   * An extension logs in with the certificate it presents on the TLS
   * connection, whose subject must be the subject name it registered. The
   * names are compared attribute by attribute, in order, ignoring case and
   * the separator ("CN=a, O=b" is "CN=a\nO=b", as node prints a subject):
   * a choice, the reference says only that they must match.
   */
  LoginExtensionBySubjectName(args: Args, ctx: CallContext): DataObject {
    const ext = this.extension(args.extensionKey);
    if (!ext) throw new VimFault("NotFound", {}, `The extension '${String(args.extensionKey)}' is not registered.`);
    // registered without a subject name, no certificate could ever match it (checked first: a choice)
    if (!ext.subjectName) throw new VimFault("NoSubjectName", {});
    const cert = this.presented(ctx);
    if (ctx.session || distinguishedName(cert.subject) !== distinguishedName(ext.subjectName)) throw new VimFault("InvalidLogin", {}, "Cannot complete login due to an incorrect user name or password.");
    return this.extensionSession(String(args.extensionKey), ext, ctx);
  }

  /**
   * An extension logs in with the certificate it registered
   * (SetExtensionCertificate), presented on this connection. NotFound is not
   * among this method's faults: an unknown key is InvalidLogin, the one it
   * declares for an extension that cannot log in (a choice), and so is a
   * certificate other than the registered one, or none registered.
   */
  LoginExtensionByCertificate(args: Args, ctx: CallContext): DataObject {
    const key = String(args.extensionKey);
    const ext = this.extension(key);
    if (!ext) throw new VimFault("InvalidLogin", {}, `The extension '${key}' is not registered.`);
    const cert = this.presented(ctx);
    const registered = this.extensionManager()?.certificateOf(key);
    if (ctx.session || !registered || registered !== cert.fingerprint) throw new VimFault("InvalidLogin", {}, "Cannot complete login due to an incorrect user name or password.");
    return this.extensionSession(key, ext, ctx);
  }

  private presented(ctx: CallContext): X509Certificate {
    const cert = ctx.clientCertificate?.();
    if (!cert) throw new VimFault("NoClientCertificate", {}, "The client did not present a certificate.");
    return cert;
  }

  /** The extension's session: named by its key (a choice; vpxd shows its solution user), privileged until it impersonates a user. */
  private extensionSession(key: string, ext: DataObject, ctx: CallContext): DataObject {
    const label = (ext.description as { label?: string } | undefined)?.label;
    const s = this.sim.sessions.create(key, label || key, "en", ctx.remoteAddress, ctx.userAgent);
    s.extension = key;
    return this.loggedIn(s, ctx);
  }

  private extensionManager(): ExtensionManager | undefined {
    const ref = this.sim.content.extensionManager as ManagedObjectReference | undefined;
    return ref ? (this.sim.inventory.get(ref.value) as ExtensionManager | undefined) : undefined;
  }

  /** A registered extension of this vCenter's; ESXi has no extension logins. */
  private extension(key: unknown): (DataObject & { subjectName?: string }) | undefined {
    if (!this.sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
    return this.extensionManager()?.FindExtension({ extensionKey: key }) as (DataObject & { subjectName?: string }) | undefined;
  }

  /**
   * A one-time ticket for CloneSession, valid while this session lives (what
   * pyVmomi scripts hand to worker processes, and consoles use to open a
   * session of the user's without the password).
   */
  AcquireCloneTicket(_args: Args, ctx: CallContext): string {
    const id = this.sim.ids.uuid("clone-ticket", String(this.sim.ids.next("clone-ticket")));
    const ticket = this.sim.isVCenter ? `cst-VCT-${id}` : `cst-${id}`;
    this.cloneTickets.set(ticket, ctx.session!.key);
    return ticket;
  }

  /** The ticket's session, cloned onto this connection: its user, a key of its own. */
  CloneSession(args: Args, ctx: CallContext): DataObject {
    const sourceKey = this.cloneTickets.get(String(args.cloneTicket));
    this.cloneTickets.delete(String(args.cloneTicket));
    const source = sourceKey ? this.sim.sessions.get(sourceKey) : undefined;
    if (ctx.session || !source) throw new VimFault("InvalidLogin", {});
    const s = this.sim.sessions.create(source.userName, source.fullName, source.locale, ctx.remoteAddress, ctx.userAgent);
    return this.loggedIn(s, ctx);
  }

  /** A new session on this connection (Login, CloneSession), logged as vpxd and hostd log it. */
  private loggedIn(s: Session, ctx: CallContext): DataObject {
    ctx.newSession = s;
    this.sim.events.post("UserLoginSessionEvent", `User ${s.userName}@${s.ipAddress} logged in as ${s.userAgent}`, s.userName, {}, { ipAddress: s.ipAddress, locale: s.locale, sessionId: s.key, userAgent: s.userAgent });
    return userSession(s);
  }

  Logout(_args: Args, ctx: CallContext): void {
    const s = ctx.session!;
    this.sim.events.post("UserLogoutSessionEvent", `User ${s.userName}@${s.ipAddress} logged out`, s.userName, {}, { ipAddress: s.ipAddress, sessionId: s.key, callCount: s.callCount, userAgent: s.userAgent, loginTime: s.loginTime });
    this.sim.sessions.terminate(s);
  }

  SessionIsActive(args: Args): boolean {
    if (!this.sim.isVCenter) throw new VimFault("NotImplemented", {});
    const s = this.sim.sessions.get(args.sessionID);
    return !!s && s.userName === args.userName;
  }

  TerminateSession(args: Args, ctx: CallContext): void {
    for (const key of args.sessionId as string[]) {
      if (key === ctx.session?.key) throw new VimFault("InvalidArgument", { invalidProperty: "sessionId" });
      const s = this.sim.sessions.get(key);
      if (!s) throw new VimFault("NotFound", {});
      this.sim.sessions.terminate(s);
    }
  }

  UpdateServiceMessage(args: Args): void {
    this.update({ message: args.message || undefined });
  }

  /**
   * The session takes on another user's identity, and with it that user's
   * permissions (vpxd extensions act for their users so). The user must be
   * one a permission may name: on ESXi, a local account.
   */
  ImpersonateUser(args: Args, ctx: CallContext): DataObject {
    const user = String(args.userName);
    if (!user || !this.sim.knowsPrincipal(user, false)) throw new VimFault("InvalidLogin", {}, "Cannot complete login due to an incorrect user name or password.");
    const s = ctx.session!;
    s.userName = user;
    s.fullName = user;
    // an extension acting for a user has that user's permissions, no more
    s.extension = undefined;
    if (args.locale) s.locale = s.messageLocale = String(args.locale);
    return userSession(s);
  }

  /**
   * A ticket for one HTTP request (SessionManagerHttpServiceRequestSpec: a
   * method and a URL of this server), which the request presents in the
   * vmware_cgi_ticket cookie instead of a session: how clients hand a
   * datastore transfer to a process that has no session. Single use.
   */
  AcquireGenericServiceTicket(args: Args, ctx: CallContext): DataObject {
    const spec = (args.spec ?? {}) as DataObject & { url?: string; method?: string };
    if (spec._type !== "SessionManagerHttpServiceRequestSpec") throw new VimFault("NotSupported", {}, `Service tickets of ${String(spec._type)} are not supported by this simulator.`);
    let url: URL;
    try {
      url = new URL(String(spec.url));
    } catch {
      throw new VimFault("InvalidArgument", { invalidProperty: "spec.url" });
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new VimFault("InvalidArgument", { invalidProperty: "spec.url" });
    const method = spec.method === undefined ? undefined : HTTP_METHODS[spec.method];
    if (spec.method !== undefined && !method) throw new VimFault("InvalidArgument", { invalidProperty: "spec.method" });
    const target = cgiTarget(url.pathname + url.search);
    const id = this.sim.sessions.issueCgiTicket({ userName: ctx.session!.userName, method, ...target });
    return { _type: "SessionManagerGenericServiceTicket", id };
  }

  SetLocale(args: Args, ctx: CallContext): void {
    ctx.session!.locale = args.locale;
  }
}
