// pyVmomi: SessionManager's logins besides a password. hostd's local ticket
// (AcquireLocalTicket: a 0600 one-time password file a second connection
// logs in with, once; gone when used, when it expires and when the simulator
// closes), LoginBySSPI, LoginByToken and the extension logins, with the
// faults ESXi and vCenter answer.
import { existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { ManualClock, startSimulator } from "../../simulator/index.ts";
import { pyvmomiScript } from "./pyvmomi-run.ts";
import { VimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { SessionManager } from "../../simulator/objects/session-manager.ts";
import type { CallContext } from "../../simulator/objects/managed-object.ts";

describe("pyvmomi: local tickets and the other logins", () => {
  it("logs a local process in once with a local ticket; SSPI, token and extension logins refused (homelab)", async () => {
    const sim = await startSimulator({ scenario: "homelab" });
    let pending: string;
    try {
      const out = await pyvmomiScript("pyvmomi_local_ticket.py", sim);
      pending = out.pending;
      delete out.pending;
      expect(out).toEqual({
        ticket: { userName: "root", absolute: true, mode: "0o600", passwordLength: 40 },
        login: [true, true, true],
        fileAfterLogin: false,
        reused: "InvalidLogin",
        otherUser: "InvalidLogin",
        otherTicketKept: true,
        unknownUser: "InvalidLogin",
        emptyUser: "InvalidLogin",
        passwordLogin: "ok",
        ticketDir: true,
        sspi: "NotSupported",
        token: "InvalidLogin",
        tokenOnSession: "InvalidLogin",
        extByCertUnknown: "NotSupported",
        extBySubjectUnknown: "NotSupported",
        sessions: 3,
      });
      expect(existsSync(pending)).toBe(true);
    } finally {
      await sim.close();
    }
    // an unused ticket's file, and the directory, go with the simulator
    expect([existsSync(pending), existsSync(dirname(pending))]).toEqual([false, false]);
  });

  it("answers the vCenter's faults: no local tickets, no SSPI, no token service, no client certificate (vcenter-cluster)", async () => {
    const sim = await startSimulator({ scenario: "vcenter-cluster" });
    try {
      expect(await pyvmomiScript("pyvmomi_local_ticket.py", sim)).toEqual({
        localTicket: "NotSupported",
        sspi: "NotSupported",
        token: "InvalidLogin",
        tokenOnSession: "InvalidLogin",
        extByCertUnknown: "InvalidLogin",
        extBySubjectUnknown: "NotFound",
        extByCert: "NoClientCertificate",
        extBySubject: "NoClientCertificate",
        extBySubjectNoName: "NoSubjectName",
        sessions: 1,
      });
    } finally {
      await sim.close();
    }
  });

  it("drops a local ticket and its file when it expires; a reset keeps a live one, as it keeps sessions (homelab)", async () => {
    const clock = new ManualClock();
    const sim = await startSimulator({ scenario: "homelab", clock });
    try {
      const sm = sim.sim.inventory.get((sim.sim.content.sessionManager as ManagedObjectReference).value) as SessionManager;
      const ctx = (): CallContext => ({ aborted: new Promise(() => {}), remoteAddress: "127.0.0.1", userAgent: "test" });
      const login = (userName: string, password: string) => {
        try {
          sm.Login({ userName, password }, ctx());
          return "ok";
        } catch (e) {
          return e instanceof VimFault ? e.type : String(e);
        }
      };
      const stale = sm.AcquireLocalTicket({ userName: "root" }, ctx()) as unknown as { passwordFilePath: string };
      const stalePassword = readFileSync(stale.passwordFilePath, "utf8");
      clock.advance(59_000);
      const kept = existsSync(stale.passwordFilePath);
      clock.advance(1_000);
      const live = sm.AcquireLocalTicket({ userName: "root" }, ctx()) as unknown as { passwordFilePath: string };
      const livePassword = readFileSync(live.passwordFilePath, "utf8");
      sim.reset();
      let remote: string;
      try {
        sm.AcquireLocalTicket({ userName: "root" }, { ...ctx(), remoteAddress: "10.0.0.8" });
        remote = "ok";
      } catch (e) {
        remote = (e as VimFault).type;
      }
      expect({
        kept,
        expired: existsSync(stale.passwordFilePath),
        staleLogin: login("root", stalePassword),
        afterReset: existsSync(live.passwordFilePath),
        liveLogin: login("root", livePassword),
        remote,
      }).toEqual({ kept: true, expired: false, staleLogin: "InvalidLogin", afterReset: true, liveLogin: "ok", remote: "InvalidRequest" });
    } finally {
      await sim.close();
    }
  });
});
