// PropertyFilter: a spec a collector watches. It remembers what it last
// reported per object, so an update is the difference between that and now.
import type { DataObject, ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { traversalPaths } from "../collector/retrieve.ts";
import type { PathValue } from "../collector/property-path.ts";

export class PropertyFilter extends ManagedObject {
  /** last reported values per object moref value */
  reported = new Map<string, Map<string, PathValue>>();
  /** morefs of reported objects, for `leave` after they are gone */
  refs = new Map<string, ManagedObjectReference>();
  /** objects visited by the last traversal, skipped ones included */
  visited = new Set<string>();
  dirty = new Set<string>();
  /** the set of objects may have changed: traverse again */
  structural = true;
  readonly followed: Set<string>;

  constructor(
    sim: SimContext,
    value: string,
    readonly spec: DataObject & Record<string, any>,
    readonly partialUpdates: boolean,
    readonly onDestroy: (f: PropertyFilter) => void,
  ) {
    super(sim, "PropertyFilter", value);
    this.props.spec = spec;
    this.props.partialUpdates = partialUpdates;
    this.followed = traversalPaths(spec);
  }

  reset(): void {
    this.reported.clear();
    this.refs.clear();
    this.visited.clear();
    this.dirty.clear();
    this.structural = true;
  }

  DestroyPropertyFilter(_args: Args, _ctx: CallContext): void {
    this.onDestroy(this);
  }
}
