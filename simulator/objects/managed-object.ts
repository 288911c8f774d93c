// The base of every managed object: a moref, its properties (plain vim25
// values, changed only through Inventory.update), and SOAP methods named as
// the operations they serve (`PowerOnVM_Task`). The dispatcher only calls a
// method that the vim25 schema declares for the object's type.
import type { X509Certificate } from "node:crypto";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { VimFault, moref } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import type { Session } from "../dispatch/session.ts";

export interface CallContext {
  session?: Session;
  /** resolves when the HTTP client goes away (long polls stop waiting) */
  aborted: Promise<void>;
  remoteAddress: string;
  userAgent: string;
  /** the certificate the client presented in the TLS handshake (vCenter's listener asks for one; extensions log in with it) */
  clientCertificate?: () => X509Certificate | undefined;
  /** set by Login: the dispatcher answers with its cookie */
  newSession?: Session;
}

export type Args = Record<string, any>;

/** What a simulator snapshot keeps of one object; subclasses with state outside `props` add theirs. */
export interface SavedState {
  props: Record<string, unknown>;
}

export class ManagedObject {
  readonly ref: ManagedObjectReference;
  readonly props: Record<string, unknown> = {};
  /** set for objects that live only in one session (filters, views, collectors) */
  sessionKey?: string;

  constructor(readonly sim: SimContext, type: string, value: string) {
    this.ref = moref(type, value);
  }

  get type(): string {
    return this.ref.type;
  }

  isA(type: string): boolean {
    return this.sim.schema.isA(this.ref.type, type);
  }

  /** A property's current value, as `session` sees it. Objects whose properties are derived override this. */
  get(name: string, _session?: Session): unknown {
    return this.props[name];
  }

  update(changes: Record<string, unknown>): void {
    this.sim.inventory.update(this, changes);
  }

  /** Release listeners and timers when the object leaves (session end, DestroyView). */
  dispose(): void {}

  /** Refuse a task of this object before its body runs (a VM whose host vCenter cannot reach); the TaskRunner asks. */
  checkTask(_method: string): void {}

  /**
   * ExtensibleManagedObject.setCustomValue, for entities and the host's
   * configuration managers alike (the dispatcher only calls it on types the
   * schema gives it): the value of the custom field of that name. Custom
   * fields are vCenter's; hostd has none. Whether vpxd keeps values for
   * objects that are not entities is not confirmed: they are kept as an
   * entity's are, in `value`.
   */
  setCustomValue(args: Args): void {
    const ref = this.sim.content.customFieldsManager as ManagedObjectReference | undefined;
    const cfm = ref ? (this.sim.inventory.get(ref.value) as (ManagedObject & { fields(): { key: number; name: string; managedObjectType?: string }[]; setValue(e: ManagedObjectReference, k: number, v: string): void }) | undefined) : undefined;
    if (!cfm) throw new VimFault("NotSupported", {}, "Custom fields are not supported on a standalone host.");
    const f = cfm.fields().find((x) => x.name === args.key && (!x.managedObjectType || this.isA(x.managedObjectType)));
    if (!f) throw new VimFault("InvalidArgument", { invalidProperty: "key" });
    cfm.setValue(this.ref, f.key, String(args.value ?? ""));
  }

  // ---- simulator snapshots (Simulator.snapshot / restore) ----

  /** Session-scoped objects are no part of a snapshot: a client's filters and views must outlive a restore. */
  inSnapshots(): boolean {
    return this.sessionKey === undefined;
  }

  /** Property values are never mutated in place (Inventory.update copies), so a shallow copy is the whole state. */
  saveState(): SavedState {
    return { props: { ...this.props } };
  }

  /** Back to a saved state; the restore announces the property changes once every object is back. */
  loadState(s: SavedState): void {
    for (const k of Object.keys(this.props)) if (!(k in s.props)) delete this.props[k];
    Object.assign(this.props, s.props);
  }

  /** Called on the objects a restore left alone (those not in snapshots) once the rest is back. */
  afterRestore(): void {}
}
