// The HTTPS listener with TLS in a worker (the default) and inline: both
// serve, and the session records the client's own address either way.
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { connect } from "../helpers.ts";

describe("the HTTPS listener", () => {
  for (const offloadTls of [true, false]) {
    it(`serves with TLS ${offloadTls ? "in a worker" : "inline"}, and knows the client's address`, async () => {
      const sim = await startSimulator({ scenario: "homelab", offloadTls });
      try {
        const c = await connect(sim);
        const s = (await c.retrieveOne(c.content.sessionManager!, ["currentSession"])).currentSession as { ipAddress: string };
        expect(s.ipAddress).toBe("127.0.0.1");
        // a big body crosses the worker intact
        const data = Buffer.alloc(3 * 1024 * 1024, 7);
        await c.uploadFile("mydatastore", "big.bin", data);
        expect((await c.downloadFile("mydatastore", "big.bin")).equals(data)).toBe(true);
        await c.logout();
      } finally {
        await sim.close();
      }
    });
  }

  it("reports a port already in use", async () => {
    const a = await startSimulator({ scenario: "homelab" });
    try {
      await expect(startSimulator({ scenario: "homelab", listen: `127.0.0.1:${a.port}` })).rejects.toMatchObject({ code: "EADDRINUSE" });
    } finally {
      await a.close();
    }
  });
});
