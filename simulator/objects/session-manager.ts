// SessionManager: a real password check (vcsim accepts any), the session
// cookie, currentSession and sessionList as hostd shows them.
import { VimFault, type DataObject } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { cgiTarget, sameSecret, type Session } from "../dispatch/session.ts";

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
    if (!credentialsMatch(this.sim, username, String(args.password))) {
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
