// The HTTPS listener with TLS in a worker (the default) and inline: both
// serve, and the session records the client's own address either way.
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { connect } from "../helpers.ts";
import { parseScenario } from "../../simulator/inventory/scenario-loader.ts";

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

  for (const offloadTls of [true, false]) {
    it(`keeps a connection usable after refusing an upload before its body (TLS ${offloadTls ? "in a worker" : "inline"})`, async () => {
      const tiny = parseScenario("model: esx\nhost: { name: esx.local }\ndatastores: [{ name: tiny, capacity: 1MiB }]\n", "tiny.yaml", "tiny");
      const sim = await startSimulator({ scenario: tiny, offloadTls });
      try {
        const c = await connect(sim);
        await expect(c.uploadFile("tiny", "big.iso", Buffer.alloc(2 * 1024 * 1024))).rejects.toMatchObject({ status: 507 });
        // the same keep-alive connection carries the next request
        await c.uploadFile("tiny", "small.bin", Buffer.alloc(100));
        expect((await c.downloadFile("tiny", "small.bin")).length).toBe(100);
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
