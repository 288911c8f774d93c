// The HTTPS listener with TLS in a worker (the default) and inline: both
// serve, and the session records the client's own address either way.
import { execFile } from "node:child_process";
import { connect as tlsConnect } from "node:tls";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { connect } from "../helpers.ts";
import { parseScenario } from "../../simulator/inventory/scenario-loader.ts";

/** What a TLS client that would take a session ticket is offered. */
async function handshake(host: string, port: number): Promise<{ protocol: string | null; cipher: string; ticket: boolean }> {
  return await new Promise((resolve, reject) => {
    let ticket = false;
    const sock = tlsConnect({ host, port, rejectUnauthorized: false }, () => {
      // a TLS 1.3 ticket arrives after the handshake: give it a moment
      setTimeout(() => {
        resolve({ protocol: sock.getProtocol(), cipher: sock.getCipher().name, ticket: ticket || sock.getTLSTicket() !== undefined });
        sock.end();
      }, 100);
    }).on("error", reject);
    sock.on("session", () => (ticket = sock.getTLSTicket() !== undefined));
  });
}

describe("the HTTPS listener", () => {
  it("offers TLS 1.3 for a vSphere 8 product, 1.2 without session tickets before it", async () => {
    const v8 = parseScenario("model: esx\nabout: { version: 8.0.2, build: \"22380479\", apiVersion: \"8.0\" }\nhost: { name: esx8.local }\ndatastores: [{ name: ds1, capacity: 1GiB }]\n", "v8.yaml", "v8");
    const sim = await startSimulator({ scenario: v8, registryImages: false });
    try {
      expect(await handshake(sim.host, sim.port)).toMatchObject({ protocol: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256" });
    } finally {
      await sim.close();
    }
  });

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
        // ESXi 6.0 speaks TLS 1.2 at most; a client listing AES-256 first
        // (OpenSSL's, Node's) still gets the AES-128 suite Go and Python ask for
        expect(await handshake(sim.host, sim.port)).toEqual({ protocol: "TLSv1.2", cipher: "ECDHE-ECDSA-AES128-GCM-SHA256", ticket: false });
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
