// The Docker API's response shapes, shared by the personality's routes.
import type http from "node:http";

export function json(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

/** The Docker JSON error: the CLI unwraps the message only with exactly this content type (spec docker.md §0.6). */
export function apiError(res: http.ServerResponse, status: number, message: string): void {
  json(res, status, { message });
}

export function noContent(res: http.ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

/** moby's form.go BoolValue */
export function boolParam(v: string | null): boolean {
  return v !== null && !["", "0", "no", "false", "none"].includes(v.toLowerCase());
}
