// vAPI sessions, as vCenter's /rest endpoint keeps them: created with HTTP
// Basic credentials, named by the vmware-api-session-id header (or cookie)
// afterwards. They are separate from the SOAP sessions, as on vCenter,
// where one login does not give the other; like those, they are no part of
// a snapshot and end after the same idle time.
import type { Clock } from "../clock.ts";
import type { IdSource } from "../inventory/ids.ts";

export const VAPI_SESSION_HEADER = "vmware-api-session-id";

export interface VapiSession {
  id: string;
  user: string;
  created: Date;
  lastAccessed: Date;
}

export class VapiSessionRegistry {
  private readonly byId = new Map<string, VapiSession>();

  /** `idleMs` is read on every use, so it follows the SOAP session timeout when that changes. */
  constructor(private readonly clock: Clock, private readonly ids: IdSource, private readonly idleMs: () => number) {}

  create(user: string): VapiSession {
    const now = this.clock.now();
    // vCenter's ids are 32 hex digits
    const s: VapiSession = { id: this.ids.nextUuid("vapi-session").replace(/-/g, ""), user, created: now, lastAccessed: now };
    this.byId.set(s.id, s);
    return s;
  }

  /** The live session `id` names, marked as used now. */
  use(id: string | undefined): VapiSession | undefined {
    if (!id) return undefined;
    const s = this.byId.get(id);
    if (!s) return undefined;
    const now = this.clock.now();
    if (now.getTime() - s.lastAccessed.getTime() > this.idleMs()) {
      this.byId.delete(id);
      return undefined;
    }
    s.lastAccessed = now;
    return s;
  }

  delete(s: VapiSession): void {
    this.byId.delete(s.id);
  }
}
