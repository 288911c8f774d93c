// Sessions as hostd keeps them: a key carried in the vmware_soap_session
// cookie, an idle timeout, and the session-scoped objects (filters, views,
// collectors) that go away with the session.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Clock } from "../clock.ts";
import type { IdSource } from "../inventory/ids.ts";
import type { Inventory } from "../inventory/store.ts";
import type { ManagedObject } from "../objects/managed-object.ts";

export const SESSION_COOKIE = "vmware_soap_session";
/** The cookie an HTTP request carries a generic service ticket in (SessionManager.AcquireGenericServiceTicket). */
export const CGI_TICKET_COOKIE = "vmware_cgi_ticket";
/**
 * How long a generic service ticket waits for its one request. The
 * reference says only that tickets are short-lived and single-use; a
 * client asks for one right before the request it is for (a choice).
 */
export const CGI_TICKET_MS = 60_000;

/** One HTTP request a session handed out: its method (any, when the spec named none) and URL. */
export interface CgiTicket {
  userName: string;
  method?: string;
  path: string;
  query: string;
  expires: number;
}

export interface Session {
  key: string;
  userName: string;
  fullName: string;
  loginTime: Date;
  lastActiveTime: Date;
  locale: string;
  messageLocale: string;
  ipAddress: string;
  userAgent: string;
  callCount: number;
  /** objects that live and die with this session */
  objects: Set<ManagedObject>;
  /** this session's instance of the default PropertyCollector */
  collector?: ManagedObject;
  /**
   * The extension a LoginExtensionBy* session is: vCenter makes it "a special
   * privileged session" (the reference), so no permission is checked for it
   * until it impersonates a user.
   */
  extension?: string;
}

export class SessionRegistry {
  private readonly byKey = new Map<string, Session>();
  private readonly cgiTickets = new Map<string, CgiTicket>();
  /** idle timeout; hostd's default (config.vmacore.soap.sessionTimeout) is 30 minutes */
  timeoutMs = 30 * 60 * 1000;

  constructor(private readonly clock: Clock, private readonly ids: IdSource, private readonly inventory: Inventory) {}

  create(userName: string, fullName: string, locale: string, ipAddress: string, userAgent: string): Session {
    const now = this.clock.now();
    const s: Session = {
      key: this.ids.nextUuid("session").toUpperCase(),
      userName, fullName, loginTime: now, lastActiveTime: now,
      locale, messageLocale: locale, ipAddress, userAgent, callCount: 0,
      objects: new Set(),
    };
    this.byKey.set(s.key, s);
    return s;
  }

  /** The live session a request's Cookie header names, marking it active. */
  fromCookie(header: string | undefined): Session | undefined {
    const key = cookieValue(header);
    if (!key) return undefined;
    const s = this.byKey.get(key);
    if (!s) return undefined;
    const now = this.clock.now();
    if (now.getTime() - s.lastActiveTime.getTime() > this.timeoutMs) {
      this.terminate(s);
      return undefined;
    }
    s.lastActiveTime = now;
    s.callCount++;
    return s;
  }

  get(key: string): Session | undefined {
    return this.byKey.get(key);
  }

  /** A single-use ticket for one HTTP request of `userName`'s. */
  issueCgiTicket(ticket: Omit<CgiTicket, "expires">): string {
    const id = this.ids.nextUuid("cgi-ticket").replace(/-/g, "");
    this.cgiTickets.set(id, { ...ticket, expires: this.clock.now().getTime() + CGI_TICKET_MS });
    return id;
  }

  /** The user a ticket cookie lets this request in as, using the ticket up; undefined for none, a stale one, or another request's. */
  redeemCgiTicket(cookieHeader: string | undefined, method: string, path: string, query: string): string | undefined {
    const m = new RegExp(`(?:^|[;,]\\s*)${CGI_TICKET_COOKIE}="?([^";,\\s]+)"?`).exec(cookieHeader ?? "");
    if (!m) return undefined;
    const t = this.cgiTickets.get(m[1]);
    if (!t) return undefined;
    if (t.expires < this.clock.now().getTime()) {
      this.cgiTickets.delete(m[1]);
      return undefined;
    }
    if ((t.method && t.method !== method) || t.path !== path || t.query !== query) return undefined;
    this.cgiTickets.delete(m[1]);
    return t.userName;
  }

  list(): Session[] {
    return [...this.byKey.values()];
  }

  terminate(s: Session): void {
    this.byKey.delete(s.key);
    s.collector?.dispose();
    for (const o of s.objects) {
      o.dispose();
      this.inventory.remove(o);
    }
    s.objects.clear();
  }

  /** Drop sessions idle past the timeout (called from the server's sweep). */
  sweep(): void {
    const now = this.clock.now().getTime();
    for (const s of [...this.byKey.values()]) if (now - s.lastActiveTime.getTime() > this.timeoutMs) this.terminate(s);
  }
}

// pyvmomi echoes the whole Set-Cookie value back (`vmware_soap_session="..."; Path=/; HttpOnly`),
// govmomi sends a proper cookie; both carry the key in the first matching pair.
export function cookieValue(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /(?:^|[;,]\s*)vmware_soap_session="?([^";,\s]+)"?/.exec(header);
  return m?.[1];
}

/**
 * A request target as tickets compare it: the decoded path and the query's
 * parameters in order, so "%20" and " ", or dsName before dcPath, name the
 * same request.
 */
export function cgiTarget(url: string): { path: string; query: string } {
  let u: URL;
  try {
    u = new URL(url, "https://localhost");
  } catch {
    return { path: url, query: "" };
  }
  let path = u.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // a malformed escape is compared as sent
  }
  const query = [...u.searchParams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join("&");
  return { path, query };
}

/** An HTTP Basic Authorization header's user and password (hostd's /folder and vCenter's /rest take them). */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+(\S+)\s*$/i.exec(header ?? "");
  if (!m) return undefined;
  const text = Buffer.from(m[1], "base64").toString("utf8");
  const colon = text.indexOf(":");
  return colon < 0 ? undefined : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Two secrets compared in a time that says nothing about how much of them agreed (both hashed first). */
export function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

export function setCookieHeader(key: string): string {
  return `${SESSION_COOKIE}="${key}"; Path=/; HttpOnly; Secure;`;
}
