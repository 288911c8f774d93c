// A vim25 fault as a JS error: the MethodFault data object plus the
// faultstring ESXi would send with it.
import type { DataObject } from "./values.ts";

export class VimFault extends Error {
  readonly fault: DataObject;
  constructor(type: string, fields: Record<string, unknown> = {}, message?: string) {
    super(message ?? defaultMessage(type, fields));
    this.name = type;
    this.fault = { _type: type, ...fields };
  }
  get type(): string {
    return this.fault._type;
  }
}

/**
 * A fault as a data value (LocalizedMethodFault), as task errors, check
 * results, OVF results and lease errors carry one: the fault with an empty
 * faultMessage list, and its text.
 */
export function localizedFault(e: VimFault): DataObject {
  return { _type: "LocalizedMethodFault", fault: { ...e.fault, faultMessage: [] }, localizedMessage: e.message };
}

export function isVimFault(e: unknown): e is VimFault {
  return e instanceof VimFault;
}

// The English texts hostd uses, so a client that prints the fault (govc,
// pyvmomi's str(fault)) reads like it does against a real host.
function defaultMessage(type: string, f: Record<string, unknown>): string {
  switch (type) {
    case "InvalidLogin":
      return "Cannot complete login due to an incorrect user name or password.";
    case "NotAuthenticated":
      return "The session is not authenticated.";
    case "InvalidArgument":
      return `A specified parameter was not correct: ${f.invalidProperty ?? ""}`;
    case "InvalidProperty":
      return `${f.name ?? ""}`;
    case "ManagedObjectNotFound":
      return "The object has already been deleted or has not been completely created";
    case "NotImplemented":
      return "The operation is not implemented.";
    case "NotSupported":
      return "The operation is not supported on the object.";
    case "MethodNotFound":
      return `Method ${f.method ?? ""} not found on ${f.receiver ? (f.receiver as { type: string }).type : "object"}`;
    case "InvalidRequest":
      return "The request is malformed.";
    case "RequestCanceled":
      return "The task was canceled by a user.";
    case "InvalidState":
      return "The operation is not allowed in the current state.";
    case "InvalidPowerState":
      return "The attempted operation cannot be performed in the current state (" + (f.existingState ?? "") + ").";
    case "DuplicateName":
      return `The name '${f.name ?? ""}' already exists.`;
    case "InvalidName":
      return `The name '${f.name ?? ""}' is invalid.`;
    case "ResourceInUse":
      return "The resource is in use.";
    case "InvalidCollectorVersion":
      return "The collector version is not valid.";
    default:
      return type;
  }
}
