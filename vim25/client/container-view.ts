// ContainerView: the inventory below a folder, datacenter or compute
// resource as one object whose `view` property a spec can traverse.
import type { ManagedObjectReference } from "../soap/index.ts";
import type { SoapClient } from "./soap-client.ts";
import type { PropertyFilterSpec } from "./types.ts";

export interface ContainerView {
  view: ManagedObjectReference;
  /** DestroyView: views live until destroyed or the session ends */
  destroyView(): Promise<void>;
}

export async function createContainerView(
  soap: SoapClient, viewManager: ManagedObjectReference, container: ManagedObjectReference, types: string[], recursive: boolean,
): Promise<ContainerView> {
  const view = (await soap.call("CreateContainerView", viewManager, { container, type: types, recursive })) as ManagedObjectReference;
  return {
    view,
    destroyView: async () => {
      await soap.call("DestroyView", view);
    },
  };
}

/** A spec reading `paths` of every object of `type` a view holds. */
export function viewSpec(view: ManagedObjectReference, type: string, paths: string[]): PropertyFilterSpec {
  return {
    _type: "PropertyFilterSpec",
    propSet: [{ _type: "PropertySpec", type, pathSet: paths }],
    objectSet: [{
      _type: "ObjectSpec",
      obj: view,
      skip: true,
      selectSet: [{ _type: "TraversalSpec", name: "traverseView", type: "ContainerView", path: "view", skip: false }],
    }],
  };
}
