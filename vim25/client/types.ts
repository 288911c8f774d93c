// The vim25 data objects the client itself reads, typed just as far as it
// reads them; every other value stays the codec's plain `{_type, ...}` object.
import type { DataObject, ManagedObjectReference } from "../soap/index.ts";

export interface AboutInfo extends DataObject {
  name: string;
  fullName: string;
  version: string;
  build: string;
  apiType: string;
  apiVersion: string;
  instanceUuid?: string;
}

export interface ServiceContent extends DataObject {
  rootFolder: ManagedObjectReference;
  propertyCollector: ManagedObjectReference;
  viewManager?: ManagedObjectReference;
  about: AboutInfo;
  sessionManager?: ManagedObjectReference;
  taskManager?: ManagedObjectReference;
  searchIndex?: ManagedObjectReference;
  fileManager?: ManagedObjectReference;
  licenseManager?: ManagedObjectReference;
  extensionManager?: ManagedObjectReference;
  virtualDiskManager?: ManagedObjectReference;
  [field: string]: unknown;
}

export interface UserSession extends DataObject {
  key: string;
  userName: string;
  fullName: string;
}

export interface LocalizedMethodFault extends DataObject {
  fault: DataObject;
  localizedMessage?: string;
}

export interface DynamicProperty extends DataObject {
  name: string;
  val?: unknown;
}

export interface MissingProperty extends DataObject {
  path: string;
  fault: LocalizedMethodFault;
}

export interface ObjectContent extends DataObject {
  obj: ManagedObjectReference;
  propSet?: DynamicProperty[];
  missingSet?: MissingProperty[];
}

export interface RetrieveResult extends DataObject {
  token?: string;
  objects: ObjectContent[];
}

export interface PropertyChange extends DataObject {
  name: string;
  op: "add" | "remove" | "assign" | "indirectRemove";
  val?: unknown;
}

export interface ObjectUpdate extends DataObject {
  kind: "modify" | "enter" | "leave";
  obj: ManagedObjectReference;
  changeSet?: PropertyChange[];
  missingSet?: MissingProperty[];
}

export interface MissingObject extends DataObject {
  obj: ManagedObjectReference;
  fault: LocalizedMethodFault;
}

export interface PropertyFilterUpdate extends DataObject {
  filter: ManagedObjectReference;
  objectSet?: ObjectUpdate[];
  missingSet?: MissingObject[];
}

export interface UpdateSet extends DataObject {
  version: string;
  filterSet?: PropertyFilterUpdate[];
  truncated?: boolean;
}

export interface TaskInfo extends DataObject {
  key: string;
  task: ManagedObjectReference;
  state: "queued" | "running" | "success" | "error";
  error?: LocalizedMethodFault;
  result?: unknown;
  progress?: number;
}

/** PropertySpec, ObjectSpec, TraversalSpec and SelectionSpec as plain data. */
export interface PropertySpec {
  _type?: "PropertySpec";
  type: string;
  all?: boolean;
  pathSet?: string[];
}

export interface SelectionSpec {
  _type: "SelectionSpec" | "TraversalSpec";
  name?: string;
  type?: string;
  path?: string;
  skip?: boolean;
  selectSet?: SelectionSpec[];
}

export interface ObjectSpec {
  _type?: "ObjectSpec";
  obj: ManagedObjectReference;
  skip?: boolean;
  selectSet?: SelectionSpec[];
}

export interface PropertyFilterSpec {
  _type?: "PropertyFilterSpec";
  propSet: PropertySpec[];
  objectSet: ObjectSpec[];
  reportMissingObjectsInResults?: boolean;
}

/** An object's properties by path, as retrieved: `{ name: "...", "summary.hardware.numCpuCores": 4 }`. */
export type PropertyRecord = Record<string, unknown>;
