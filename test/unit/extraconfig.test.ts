// VIC's extraconfig encoding: the seed's keys come out of a container's
// config, come back in, and the rules of spec §3 hold (scopes and their
// separators, hidden keys, maps, slices, <nil>).
import { describe, expect, it } from "vitest";
import { decode, encode, ExtraConfigError, goTimeString } from "../../vic/lib/extraconfig.ts";
import { EXECUTOR_CONFIG, SESSION, ipv4, type ExecutorConfig } from "../../vic/lib/executor-config.ts";

const ID = "2cf7f483bf6e7f32daa53f51ca388d5fb153f78d3a74d313318099086638ad58";

describe("extraconfig", () => {
  const config: ExecutorConfig = {
    common: { id: ID, name: "jolly_panini", notes: "" },
    sessions: {
      [ID]: { common: { id: ID, name: "jolly_panini" }, cmd: { path: "/hello", args: ["/hello"], env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], dir: "/" }, tty: false, attach: true, started: "true", exitStatus: 0 },
    },
    networks: { bridge: { staticIp: { ip: ipv4("172.16.0.2"), mask: Buffer.from([255, 255, 0, 0]) }, assigned: { ip: ipv4("172.16.0.2"), mask: Buffer.from([255, 255, 0, 0]) }, network: { default: true, aliases: ["web"] } } },
    layerId: "c04b14da8d14",
    repoName: "hello-world",
    diagnostics: { debugLevel: 1, exitLogs: [{ time: new Date("2016-08-06T19:50:00Z"), exitStatus: 0, message: "" }] },
  };
  const keys = encode(config as unknown as Record<string, unknown>, EXECUTOR_CONFIG);

  it("writes the seed's keys for a container", () => {
    expect(keys.get("guestinfo./common/name")).toBe("jolly_panini");
    expect(keys.get(`guestinfo./sessions|${ID}/common/name`)).toBe("jolly_panini");
    expect(keys.get(`guestinfo./sessions|${ID}/cmd/Path`)).toBe("/hello");
    expect(keys.get("guestinfo./repo")).toBe("hello-world");
  });

  it("follows the scope rules: '/' read-only, '.' read-write over the whole key, hidden without the prefix", () => {
    expect(keys.get(`guestinfo..sessions|${ID}.started`)).toBe("true");
    expect(keys.get(`guestinfo..sessions|${ID}.status`)).toBe("0");
    expect(keys.get("guestinfo./networks|bridge/staticip/IP")).toBe("AAAAAAAAAAAAAP//rBAAAg==");
    expect(keys.get("guestinfo..networks|bridge.ip.IP")).toBe("AAAAAAAAAAAAAP//rBAAAg==");
    expect(keys.get("common/notes")).toBe("<nil>");
    expect(keys.get("networks|bridge/network/aliases~")).toBe("web");
    expect(keys.get("guestinfo./diagnostics/debug")).toBe("1");
    expect(keys.get("guestinfo..diagnostics.exitlogs|0.Time")).toBe("2016-08-06 19:50:00 +0000 UTC");
  });

  it("writes maps as their sorted keys and slices as length-1 and '~' values", () => {
    expect(keys.get("guestinfo./sessions")).toBe(ID);
    expect(keys.get(`guestinfo./sessions|${ID}/cmd/Args`)).toBe("0");
    expect(keys.get(`guestinfo./sessions|${ID}/cmd/Args~`)).toBe("/hello");
    expect(keys.get("guestinfo./networks")).toBe("bridge");
    const two = encode({ m: { b: "2", a: "1" } }, [{ prop: "m", key: "m", type: { map: "string" } }]);
    expect(two.get("guestinfo./m")).toBe("a|b");
  });

  it("reads back what it wrote, from extraConfig's OptionValues too", () => {
    const back = decode<ExecutorConfig>([...keys].map(([key, value]) => ({ key, value })), EXECUTOR_CONFIG);
    expect(back.common).toEqual({ id: ID, name: "jolly_panini", notes: "" });
    expect(back.sessions[ID].cmd).toEqual(config.sessions[ID].cmd);
    expect(back.sessions[ID].started).toBe("true");
    expect(back.sessions[ID].exitStatus).toBe(0);
    expect(back.networks!.bridge.staticIp!.ip.equals(ipv4("172.16.0.2"))).toBe(true);
    expect(back.networks!.bridge.network).toEqual({ default: true, aliases: ["web"] });
    expect(back.diagnostics!.exitLogs![0]).toEqual({ time: new Date("2016-08-06T19:50:00Z"), exitStatus: 0, message: "" });
    expect(back.repoName).toBe("hello-world");
  });

  it("reads what tether writes back alone (the session under its own prefix)", () => {
    const update = encode({ exitStatus: 143, started: "true" }, SESSION.filter((f) => f.prop === "exitStatus" || f.prop === "started"), { path: [`sessions|${ID}`], scope: "read-only" });
    expect([...update.keys()].sort()).toEqual([`guestinfo..sessions|${ID}.started`, `guestinfo..sessions|${ID}.status`]);
    const merged = new Map([...keys, ...update]);
    expect(decode<ExecutorConfig>(merged, EXECUTOR_CONFIG).sessions[ID].exitStatus).toBe(143);
  });

  it("refuses what the encoding cannot carry, and values that do not parse", () => {
    expect(() => encode({ a: ["x|y"] }, [{ prop: "a", key: "a", type: { slice: "string" } }])).toThrow(ExtraConfigError);
    expect(() => decode({ "guestinfo./n": "ten" }, [{ prop: "n", key: "n", type: "int" }])).toThrow(/guestinfo\.\/n: "ten" is not an integer/);
    expect(() => decode({ "guestinfo./a": "1", "guestinfo./a~": "x" }, [{ prop: "a", key: "a", type: { slice: "string" } }])).toThrow(/1 values where guestinfo\.\/a says 2/);
  });

  it("writes times as Go's Time.String()", () => {
    expect(goTimeString(new Date("2016-08-06T19:50:00.250Z"))).toBe("2016-08-06 19:50:00.25 +0000 UTC");
    const t = encode({ t: new Date("2016-08-06T19:50:00.250Z"), f: 1.5 }, [{ prop: "t", key: "t", type: "time" }, { prop: "f", key: "f", type: "float" }]);
    expect(t.get("guestinfo./f")).toBe("1.5E+00");
    expect(decode<{ t: Date; f: number }>(t, [{ prop: "t", key: "t", type: "time" }, { prop: "f", key: "f", type: "float" }])).toEqual({ t: new Date("2016-08-06T19:50:00.250Z"), f: 1.5 });
  });
});
