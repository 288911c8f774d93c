// Sessions as hostd keeps them: a key carried in the vmware_soap_session
// cookie, an idle timeout, and the session-scoped objects (filters, views,
// collectors) that go away with the session.
import type { Clock } from "../clock.ts";
import type { IdSource } from "../inventory/ids.ts";
import type { Inventory } from "../inventory/store.ts";
import type { ManagedObject } from "../objects/managed-object.ts";

export const SESSION_COOKIE = "vmware_soap_session";

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
}

export class SessionRegistry {
  private readonly byKey = new Map<string, Session>();
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

export function setCookieHeader(key: string): string {
  return `${SESSION_COOKIE}="${key}"; Path=/; HttpOnly; Secure;`;
}
