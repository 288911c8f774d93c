// What the vAPI /rest services share: the {"value": ...} answers, vAPI's
// error structure with the status vCenter maps each type to, the request
// body as an input structure, and readers of its fields (a missing required
// field or a value of the wrong type is invalid_argument).
import type { Request, Response } from "express";
import { VapiError, type VapiErrorType } from "../tagging/tagging-service.ts";
import { readRequestText } from "./app.ts";

/** vAPI bodies are a few specs and id lists; anything bigger is not one (file bytes go to /rest/com/vmware/cis/data, not here). */
const MAX_BODY = 1024 * 1024;

export const STATUS: Record<VapiErrorType, number> = {
  not_found: 404,
  already_exists: 400,
  invalid_argument: 400,
  unauthenticated: 401,
  unauthorized: 403,
  not_allowed_in_current_state: 400,
  resource_busy: 400,
};


export function send(res: Response, status: number, body?: unknown): void {
  if (res.headersSent) return;
  res.status(status);
  if (body === undefined) res.end();
  else res.type("application/json").send(JSON.stringify(body));
}

export function sendError(res: Response, e: VapiError): void {
  send(res, STATUS[e.type], { type: `com.vmware.vapi.std.errors.${e.type}`, value: { messages: [e.localizable] } });
}

export const invalid = (message: string, args: string[] = []) => new VapiError("invalid_argument", "vapi.invalid.argument", message, args);

/** What vCenter's /rest answers for a path, verb or action it does not serve (an older error shape than the vAPI one). */
export function notFoundRoute(res: Response): void {
  send(res, 404, { name: "com.vmware.vapi.rest.httpNotFound", localizableMessages: [{ defaultMessage: "Not found.", id: "com.vmware.vapi.rest.httpNotFound" }], majorErrorCode: 404 });
}

/** The request's input structure; an empty body (or govmomi's `null`) is one with no fields. */
export async function inputOf(req: Request): Promise<Record<string, unknown>> {
  let text: string | null;
  try {
    text = await readRequestText(req, MAX_BODY);
  } catch {
    throw invalid("The request body could not be read.");
  }
  if (text === null) throw invalid("The request body is too large.");
  if (!text.trim()) return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalid("The request body is not valid JSON.");
  }
  if (body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) throw invalid("The request body must be a JSON object.");
  return body as Record<string, unknown>;
}

export function structure(input: Record<string, unknown>, name: string): Record<string, unknown> {
  const v = input[name];
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw invalid(`Structure field ${name} is missing or not a structure.`, [name]);
  return v as Record<string, unknown>;
}

export function string(input: Record<string, unknown>, name: string): string {
  const v = input[name];
  if (typeof v !== "string") throw invalid(`Field ${name} is missing or not a string.`, [name]);
  return v;
}

/** An optional field: absent and null both mean unset, as vAPI's optional does. */
export function optionalString(input: Record<string, unknown>, name: string): string | undefined {
  return input[name] === undefined || input[name] === null ? undefined : string(input, name);
}

export function strings(input: Record<string, unknown>, name: string): string[] {
  const v = input[name];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw invalid(`Field ${name} is missing or not a list of strings.`, [name]);
  return v as string[];
}
