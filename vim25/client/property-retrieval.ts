// RetrievePropertiesEx with its paging: the server hands back a token while
// objects remain, and the client follows it to the end.
import type { ManagedObjectReference } from "../soap/index.ts";
import type { SoapClient } from "./soap-client.ts";
import type { ObjectContent, PropertyFilterSpec, RetrieveResult } from "./types.ts";

export interface RetrieveOptions {
  /** objects per page (RetrieveOptions.maxObjects); the server's choice when unset */
  maxObjects?: number;
}

export async function retrieveAll(
  soap: SoapClient, collector: ManagedObjectReference, specSet: PropertyFilterSpec[], opts: RetrieveOptions = {},
): Promise<ObjectContent[]> {
  const out: ObjectContent[] = [];
  let page = (await soap.call("RetrievePropertiesEx", collector, {
    specSet,
    options: { _type: "RetrieveOptions", maxObjects: opts.maxObjects },
  })) as RetrieveResult | undefined;
  while (page) {
    out.push(...(page.objects ?? []));
    if (!page.token) break;
    page = (await soap.call("ContinueRetrievePropertiesEx", collector, { token: page.token })) as RetrieveResult | undefined;
  }
  return out;
}

/** A spec reading `paths` of each of `refs` (all of the same or different types). */
export function propertiesSpec(refs: ManagedObjectReference[], paths: string[]): PropertyFilterSpec {
  const types = [...new Set(refs.map((r) => r.type))];
  return {
    _type: "PropertyFilterSpec",
    propSet: types.map((type) => ({ _type: "PropertySpec", type, pathSet: paths })),
    objectSet: refs.map((obj) => ({ _type: "ObjectSpec", obj, skip: false })),
  };
}
