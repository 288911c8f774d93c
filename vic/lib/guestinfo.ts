// The guest's side of extraconfig (0.4 GuestInfoSource/GuestInfoSink): read
// every guestinfo key through the tools RPC, and write a config's
// read-write keys back. The sink skips keys holding '/', which the guest may
// not write (encode_linux.go).
import type { GuestInfoRpc } from "../../hardware/guest-hardware.ts";
import { encode, type Schema, type Scope } from "./extraconfig.ts";

export function readGuestinfo(rpc: GuestInfoRpc): Map<string, string> {
  const keys = new Map<string, string>();
  for (const k of rpc.keys()) keys.set(k, rpc.get(k) ?? "");
  return keys;
}

export function writeGuestinfo(rpc: GuestInfoRpc, value: Record<string, unknown>, schema: Schema, at: { path?: string[]; scope?: Scope } = {}): void {
  for (const [k, v] of encode(value, schema, at)) if (!k.includes("/")) rpc.set(k, v);
}
