// One SOAP request in, one envelope out: parse, find `_this`, check the
// session, decode the parameters against the schema, call the method, encode
// the answer. Every failure is a SOAP fault; nothing here may throw.
import type { X509Certificate } from "node:crypto";
import type { MethodDef, TypeRef } from "../../vim25/schema/index.ts";
import {
  VimFault, decodeCall, decodeThis, encodeFault, encodeResponse, parseEnvelope, type EncodeCache, type ManagedObjectReference,
} from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { CallContext, ManagedObject } from "../objects/managed-object.ts";
import type { Session } from "./session.ts";
import { setCookieHeader } from "./session.ts";

export interface SoapReply {
  status: number;
  body: string;
  setCookie?: string;
  /** method name, for traces */
  method?: string;
}

export interface RequestInfo {
  cookie?: string;
  remoteAddress: string;
  userAgent: string;
  aborted: Promise<void>;
  clientCertificate?: () => X509Certificate | undefined;
}

// What hostd serves before Login: enough to find the service and log in.
const WITHOUT_SESSION = new Set([
  "RetrieveServiceContent", "RetrieveInternalContent", "Login", "LoginByToken", "LoginExtensionByCertificate",
  "LoginExtensionBySubjectName", "LoginBySSPI", "AcquireLocalTicket", "CloneSession", "CurrentTime", "RetrieveProperties", "RetrievePropertiesEx",
]);

// Answers that are one fixed object for the simulator's life: every govmomi
// and pyVmomi client asks for the service content first, once per connection.
const ENCODE_ONCE = new Set(["RetrieveServiceContent"]);

export class Dispatcher {
  // property values are replaced, never changed in place: their XML can be kept
  private readonly encodeCache: EncodeCache = new WeakMap();
  private readonly encodedOnce = new WeakMap<object, string>();
  private readonly knownSince = new Map<string, boolean>();

  constructor(private readonly sim: SimContext) {}

  async handle(body: string, req: RequestInfo): Promise<SoapReply> {
    const schema = this.sim.schema;
    let method: string | undefined;
    try {
      const call = parseEnvelope(body);
      method = call.local;
      const thisRef = decodeThis(schema, call);
      const session = this.sim.sessions.fromCookie(req.cookie);
      let obj = this.sim.inventory.resolve(thisRef);
      if (!obj || (obj.sessionKey && obj.sessionKey !== session?.key)) {
        throw new VimFault("ManagedObjectNotFound", { obj: thisRef });
      }
      const def = schema.method(obj.type, method);
      // a server knows the methods of its own API version, not those added after it
      if (!def || (def.since && !this.known(def.since))) {
        throw new VimFault("MethodNotFound", { receiver: thisRef, method }, `Method ${method} not found on ${thisRef.type}`);
      }
      if (!session && !WITHOUT_SESSION.has(method)) {
        throw new VimFault("NotAuthenticated", { object: thisRef, privilegeId: "System.View" });
      }
      // Each session sees its own filters on the default collector, as hostd does.
      if (session && thisRef.value === (this.sim.content.propertyCollector as ManagedObjectReference).value) {
        obj = this.sessionCollector(session) ?? obj;
      }
      const args = decodeCall(schema, call, def.params);
      const ctx: CallContext = { session, aborted: req.aborted, remoteAddress: req.remoteAddress, userAgent: req.userAgent, clientCertificate: req.clientCertificate };
      const result = await invokeMethod(this.sim, obj, method, def, args, ctx);
      const reply: SoapReply = { status: 200, body: this.encode(method, result, def.result as TypeRef | undefined), method };
      if (ctx.newSession) reply.setCookie = setCookieHeader(ctx.newSession.key);
      return reply;
    } catch (e) {
      const fault = e instanceof VimFault ? e : internalFault(e);
      return { status: 500, body: encodeFault(schema, fault), method };
    }
  }

  /**
   * Is an API version `since` ("6.5", "2.5u2server", "6.7.1") at most the
   * scenario's? Releases compare by major and minor: a scenario at 6.7 knows
   * 6.7 U1's methods (6.7.1) too, which the scenarios name no update for.
   */
  private known(since: string): boolean {
    let ok = this.knownSince.get(since);
    if (ok === undefined) this.knownSince.set(since, (ok = compareReleases(since, this.sim.scenario.about.apiVersion) <= 0));
    return ok;
  }

  private encode(method: string, result: unknown, ref: TypeRef | undefined): string {
    if (!ENCODE_ONCE.has(method) || result === null || typeof result !== "object") return encodeResponse(this.sim.schema, method, result, ref, this.encodeCache);
    let body = this.encodedOnce.get(result);
    if (body === undefined) this.encodedOnce.set(result, (body = encodeResponse(this.sim.schema, method, result, ref, this.encodeCache)));
    return body;
  }

  private sessionCollector(session: Session) {
    session.collector ??= this.sim.newSessionCollector(session);
    return session.collector;
  }
}

/**
 * A decoded call of `method` on `obj`, as the session of `ctx` makes it: the
 * privilege check, a test's injected fault, the method. The SOAP path and
 * in-process callers (a scheduled task's action) share it, so both meet the
 * same permissions and faults.
 */
export async function invokeMethod(sim: SimContext, obj: ManagedObject, method: string, def: MethodDef, args: Record<string, unknown>, ctx: CallContext): Promise<unknown> {
  if (ctx.session) {
    const need = sim.authorization.required(obj, method, def.privilege, args);
    sim.authorization.checkSession(ctx.session, need.entity, need.privId);
  }
  const impl = (obj as unknown as Record<string, unknown>)[method];
  if (typeof impl !== "function") throw new VimFault("NotImplemented", {}, `${obj.ref.type}.${method} is not implemented by this simulator.`);
  // a test's fault for this call; a method returning a task gets its fault in the task (the task runner's turn)
  if ((def.result as TypeRef | undefined)?.ref !== "Task") {
    const injected = sim.faults.take(method, obj.ref.value);
    if (injected) throw injected;
  }
  return await (impl as (a: unknown, c: CallContext) => unknown).call(obj, args, ctx);
}

// A bug in the simulator must still answer like a server, never crash it.
function internalFault(e: unknown): VimFault {
  const msg = e instanceof Error ? e.message : String(e);
  if (process.env.SIM_DEBUG) console.error(e);
  return new VimFault("SystemError", { reason: msg }, `A general system error occurred: ${msg}`);
}

/** Major and minor of two API versions compared ("2.5u2server" reads as 2.5): negative when a is older. */
function compareReleases(a: string, b: string): number {
  const parts = (v: string) => v.split(/[^0-9]+/).filter(Boolean).slice(0, 2).map(Number);
  const pa = parts(a), pb = parts(b);
  return (pa[0] ?? 0) - (pb[0] ?? 0) || (pa[1] ?? 0) - (pb[1] ?? 0);
}
