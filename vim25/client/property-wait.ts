// Waiting for properties of one object to reach a state: a private
// PropertyCollector with one filter, WaitForUpdatesEx until the predicate
// holds, and the collector destroyed whatever happens.
import { VimFault, isVimFault, type ManagedObjectReference } from "../soap/index.ts";
import type { SoapClient } from "./soap-client.ts";
import { applyChange, faultOf } from "./object-content.ts";
import type { PropertyRecord, UpdateSet } from "./types.ts";

export interface WaitForPropertiesOptions {
  /** give up after this long with a WaitTimeoutError; default: wait as long as it takes */
  timeoutMs?: number;
}

export class WaitTimeoutError extends Error {
  constructor(readonly ref: ManagedObjectReference, readonly paths: string[], readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms waiting for ${paths.join(", ")} of ${ref.type}:${ref.value}`);
    this.name = "WaitTimeoutError";
  }
}

export async function waitForProperties(
  soap: SoapClient,
  propertyCollector: ManagedObjectReference,
  ref: ManagedObjectReference,
  paths: string[],
  predicate: (values: PropertyRecord) => boolean,
  opts: WaitForPropertiesOptions = {},
): Promise<PropertyRecord> {
  // a collector of our own, so concurrent waits never share filters or versions
  const pc = (await soap.call("CreatePropertyCollector", propertyCollector)) as ManagedObjectReference;
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  try {
    await soap.call("CreateFilter", pc, {
      spec: {
        _type: "PropertyFilterSpec",
        propSet: [{ _type: "PropertySpec", type: ref.type, pathSet: paths }],
        objectSet: [{ _type: "ObjectSpec", obj: ref, skip: false }],
      },
      partialUpdates: false,
    });
    const deadline = opts.timeoutMs === undefined ? undefined : Date.now() + opts.timeoutMs;
    if (opts.timeoutMs !== undefined) {
      // the server's maxWaitSeconds runs on the server's clock; our deadline must not depend on it
      timer = setTimeout(() => {
        timedOut = true;
        soap.call("CancelWaitForUpdates", pc).catch(() => {});
      }, opts.timeoutMs);
    }
    const record: PropertyRecord = {};
    let version = "";
    for (;;) {
      if (timedOut) throw new WaitTimeoutError(ref, paths, opts.timeoutMs!);
      const left = deadline === undefined ? undefined : Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
      let set: UpdateSet | undefined;
      try {
        set = (await soap.call("WaitForUpdatesEx", pc, {
          version,
          options: { _type: "WaitOptions", maxWaitSeconds: left },
        })) as UpdateSet | undefined;
      } catch (e) {
        if (timedOut && isVimFault(e) && e.type === "RequestCanceled") throw new WaitTimeoutError(ref, paths, opts.timeoutMs!);
        throw e;
      }
      if (!set) continue;
      version = set.version;
      for (const fu of set.filterSet ?? []) {
        for (const ou of fu.objectSet ?? []) {
          if (ou.kind === "leave") throw new VimFault("ManagedObjectNotFound", { obj: ref });
          for (const c of ou.changeSet ?? []) applyChange(record, c);
          if (ou.missingSet?.length) throw faultOf(ou.missingSet[0].fault);
        }
        if (fu.missingSet?.length) throw faultOf(fu.missingSet[0].fault);
      }
      if (!set.truncated && predicate(record)) return record;
    }
  } finally {
    clearTimeout(timer);
    await soap.call("DestroyPropertyCollector", pc).catch(() => {});
  }
}
