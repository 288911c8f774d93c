// ServiceManager: the directory of hostd's and vpxd's internal service
// interfaces (vim-cmd's). The simulator registers none, so its `service`
// list is empty and every query answers an empty list; QueryServiceList
// filters whatever the list holds as the reference says: the name must
// match exactly, and every location asked for must be among the service's.
import type { DataObject } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

interface ServiceInfo extends DataObject {
  serviceName: string;
  location?: string[];
}

export class ServiceManager extends ManagedObject {
  constructor(sim: SimContext, value: string) {
    super(sim, "ServiceManager", value);
    this.props.service = [];
  }

  QueryServiceList(args: Args): DataObject[] {
    const name = args.serviceName as string | undefined;
    const wanted = ((args.location as string[] | undefined) ?? []).map(String);
    return ((this.props.service as ServiceInfo[] | undefined) ?? []).filter(
      (s) => (name === undefined || s.serviceName === name) && wanted.every((l) => (s.location ?? []).includes(l)),
    );
  }
}
