// What many API tests need: a client logged in to a running simulator, and
// the fault a call ends in.
import type { RunningSimulator } from "../simulator/index.ts";
import { VimClient } from "../vim25/client/index.ts";
import { VimFault } from "../vim25/soap/index.ts";

export function connect(sim: RunningSimulator): Promise<VimClient> {
  return VimClient.connect(sim.url, { username: sim.username, password: sim.password, thumbprint: sim.thumbprint });
}

/** The VimFault `p` rejects with; anything else (or success) fails the test. */
export async function fault(p: Promise<unknown>): Promise<VimFault> {
  try {
    await p;
  } catch (e) {
    if (e instanceof VimFault) return e;
    throw e;
  }
  throw new Error("expected a fault");
}
