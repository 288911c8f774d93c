// The HTTPS listener with TLS in a worker (the default) and inline: both
// serve, and the session records the client's own address either way.
import { execFile } from "node:child_process";
import { connect as tlsConnect } from "node:tls";
import { promisify } from "node:util";
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
        // a client listing AES-256 first (OpenSSL's, Node's) still gets the
        // cheaper AES-128 suite Go and Python ask for
        const cipher = await new Promise<string>((resolve, reject) => {
          const sock = tlsConnect({ host: sim.host, port: sim.port, rejectUnauthorized: false }, () => {
            resolve(sock.getCipher().name);
            sock.end();
          }).on("error", reject);
        });
        expect(cipher).toBe("TLS_AES_128_GCM_SHA256");
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

  it("relays many small uploads at once through the worker without a 502", async () => {
    // curl, one connection per upload, sixteen at a time: the relay once
    // answered some of these with a 502 (a late body write failing with
    // EPIPE after the backend had stored the file and answered). The race
    // depends on timing and does not show on every run; this guards the
    // outcome.
    const sim = await startSimulator({ scenario: "homelab" });
    try {
      const put = (i: number) => promisify(execFile)("curl", ["-sk", "-u", `${sim.username}:${sim.password}`, "-X", "PUT", "--data-binary", `hello ${i}`, "-o", "/dev/null", "-w", "%{http_code}", new URL(`/folder/f${i}.txt?dcPath=ha-datacenter&dsName=mydatastore`, sim.url).href]).then((r) => r.stdout);
      const statuses: string[] = [];
      for (let round = 0; round < 6; round++) statuses.push(...(await Promise.all(Array.from({ length: 16 }, (_, i) => put(round * 16 + i)))));
      expect(statuses.filter((s) => s !== "201")).toEqual([]);
    } finally {
      await sim.close();
    }
  });
});
