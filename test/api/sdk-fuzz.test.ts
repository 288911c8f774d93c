// Fuzz-style robustness: envelopes for methods across the whole vim25 schema,
// with arguments generated from the schema and then mutated. Every answer
// must be a well-formed envelope (a response or a fault), a faulted call
// must leave the inventory as it was, and the simulator must keep serving.
import { describe, expect, it } from "vitest";
import { Simulator } from "../../simulator/simulator.ts";
import { Dispatcher } from "../../simulator/dispatch/dispatcher.ts";
import { loadScenario } from "../../simulator/inventory/scenario-loader.ts";
import { ManualClock } from "../../simulator/clock.ts";
import { Encoder, ENVELOPE_OPEN, ENVELOPE_CLOSE, parseXml, moref } from "../../vim25/soap/index.ts";
import type { TypeRef } from "../../vim25/schema/index.ts";

function prng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Calls that block by design or end the fuzzer's own session.
const SKIP = new Set(["WaitForUpdates", "WaitForUpdatesEx", "Logout", "TerminateSession", "CancelWaitForUpdates"]);

describe("fuzzing /sdk with schema-built, mutated envelopes", () => {
  it.each(["homelab", "seed-vch", "vcenter-cluster"])("answers every request with a well-formed envelope and keeps state intact on faults (%s)", async (scenario) => {
    const rnd = prng(20160806);
    const pick = <T,>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
    const sim = new Simulator(loadScenario(scenario), { clock: new ManualClock() });
    const d = new Dispatcher(sim);
    const schema = sim.schema;
    const enc = new Encoder(schema);
    const objects = [...sim.inventory.all()].filter((o) => !o.sessionKey);
    const info = { remoteAddress: "127.0.0.1", userAgent: "fuzz", aborted: new Promise<void>(() => {}) };
    const loginReply = await d.handle(`${ENVELOPE_OPEN}<Login xmlns="urn:vim25"><_this type="SessionManager">${(sim.content.sessionManager as { value: string }).value}</_this><userName>${sim.scenario.credentials.username}</userName><password>${sim.scenario.credentials.password}</password></Login>${ENVELOPE_CLOSE}`, info);
    const cookie = loginReply.setCookie!;

    const value = (ref: TypeRef, depth: number): unknown => {
      if (ref.array) return Array.from({ length: Math.floor(rnd() * 3) }, () => value({ type: ref.type }, depth + 1));
      switch (ref.type) {
        case "string": return pick(["", "x", "ha-host", "name<&>", "[mydatastore] a/b.vmx", "guestinfo.a"]);
        case "boolean": return rnd() < 0.5;
        case "int": case "long": case "short": case "byte": return pick([0, 1, -1, 7, 4000]);
        case "float": case "double": return pick([0, 1.5, -2]);
        case "dateTime": return new Date(0);
        case "base64Binary": return Buffer.from("x");
        case "anyType": return pick(["s", 3, true]);
        case "ManagedObjectReference": {
          if (rnd() < 0.2) return moref(ref.ref ?? "ManagedEntity", "bogus-" + Math.floor(rnd() * 9));
          const candidates = objects.filter((o) => !ref.ref || o.isA(ref.ref));
          const o = candidates.length ? pick(candidates) : pick(objects);
          return o.ref;
        }
      }
      const ev = schema.enumValues(ref.type);
      if (ev) return pick(ev);
      const out: Record<string, unknown> = { _type: ref.type };
      if (depth > 3) return out;
      for (const f of schema.fields(ref.type)) {
        if (f.optional && rnd() < 0.6) continue;
        out[f.name] = value(f, depth + 1);
      }
      return out;
    };

    const mutate = (xml: string): string => {
      switch (Math.floor(rnd() * 8)) {
        case 0: return xml.slice(0, Math.floor(rnd() * xml.length));
        case 1: return xml.replace(/>[^<]+</, ">\u0001garbage\u0002<");
        case 2: return xml.replace(/<(\w+)>/, "<$1><$1>");
        case 3: return xml.replace(/xsi:type="[^"]+"/, 'xsi:type="NoSuchType"');
        case 4: return xml.replace(/<\/\w+>/, "");
        case 5: return xml.replace(/<_this type="[^"]+"/, '<_this type=""');
        case 6: return xml.replace(/<(\w+)>([^<]*)<\/\1>/, "<$1>$2</$1><unexpected>1</unexpected>");
        default: return xml;
      }
    };

    const methods: [string, string][] = [];
    for (const t of schema.managedTypeNames()) for (const m of Object.keys(schema.managedType(t)!.methods)) if (!SKIP.has(m)) methods.push([t, m]);

    // half the calls go to methods the simulator implements, where bugs can hide
    const implemented: [string, string][] = [];
    for (const o of objects) {
      for (const m of Object.keys(schema.managedType(o.type)?.methods ?? {})) {
        if (!SKIP.has(m) && typeof (o as unknown as Record<string, unknown>)[m] === "function") implemented.push([o.type, m]);
      }
      for (let t = schema.managedType(o.type)?.base; t; t = schema.managedType(t)?.base) {
        for (const m of Object.keys(schema.managedType(t)?.methods ?? {})) {
          if (!SKIP.has(m) && typeof (o as unknown as Record<string, unknown>)[m] === "function") implemented.push([o.type, m]);
        }
      }
    }
    let changedOnFault = 0;
    let current: string | undefined;
    const unlisten = sim.inventory.listen((ev) => {
      // events and task bookkeeping may move on; inventory objects may not
      if (current === undefined || ["EventManager", "Task", "TaskManager", "PropertyFilter"].includes(ev.obj.type)) return;
      current += `${ev.kind}:${ev.obj.ref.value}:${ev.props.join(",")};`;
    });
    let responses = 0, faults = 0;
    const internal: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const [type, method] = rnd() < 0.5 ? pick(implemented) : pick(methods);
      const def = schema.method(type, method)!;
      const target = rnd() < 0.7 ? (objects.find((o) => o.isA(type)) ?? pick(objects)) : pick(objects);
      const body: string[] = [ENVELOPE_OPEN, `<${method} xmlns="urn:vim25">`, `<_this type="${target.ref.type}">${target.ref.value}</_this>`];
      for (const p of def.params) if (!p.optional || rnd() < 0.5) enc.element(body, p.name, value(p, 0), p);
      body.push(`</${method}>`, ENVELOPE_CLOSE);
      const xml = rnd() < 0.5 ? mutate(body.join("")) : body.join("");
      current = "";
      const reply = await d.handle(xml, { ...info, cookie });
      const doc = parseXml(reply.body);
      expect(doc.local).toBe("Envelope");
      const payload = doc.children[0].children[0];
      if (reply.status === 500) {
        faults++;
        expect(payload.local).toBe("Fault");
        if (current !== "") changedOnFault++;
        // SystemError is what the dispatcher answers for a bug of ours
        if (reply.body.includes('xsi:type="SystemError"')) internal.push(`${method}: ${/<faultstring>([^<]*)/.exec(reply.body)?.[1]}`);
        expect(current, `${method} on ${target.ref.value} faulted after changing state`).toBe("");
      } else {
        responses++;
        expect(reply.status).toBe(200);
        expect(payload.local).toBe(`${method}Response`);
      }
      current = undefined;
    }
    unlisten();
    expect(changedOnFault).toBe(0);
    expect(internal).toEqual([]);
    expect(responses).toBeGreaterThan(20);
    expect(faults).toBeGreaterThan(500);
    const still = await d.handle(`${ENVELOPE_OPEN}<RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent>${ENVELOPE_CLOSE}`, info);
    expect(still.status).toBe(200);
  }, 60_000);
});
