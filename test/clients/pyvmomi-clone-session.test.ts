// pyVmomi: SessionManager.AcquireCloneTicket and CloneSession, on ESXi and vCenter.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

describe("pyvmomi: cloned sessions", () => {
  for (const scenario of ["homelab", "vcenter-cluster"]) {
    it(`clones a session once per ticket, while its session lives (${scenario})`, async () => {
      const out = await runPyvmomi("pyvmomi_clone_session.py", scenario);
      expect(out).toEqual({
        ticket: "cst", cloned: [true, true, true],
        reused: "InvalidLogin", bogus: "InvalidLogin", onSession: "InvalidLogin", afterLogout: "InvalidLogin",
        cloneAlive: true,
      });
    });
  }
});
