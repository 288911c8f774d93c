// The simulator's control API, for test suites in other processes:
//   POST /_sim/snapshot                 -> 200 {"id": "..."}
//   POST /_sim/restore  {"id": "..."}   -> 200 {"id": "..."}; 404 unknown id, 400 malformed body
//   POST /_sim/reset                    -> 200 {}: back to the state right after start
//   GET  /_sim/ports                    -> 200 {"mode", "ports": [{"guest": "IP:PORT", "host": "127.0.0.1:PORT"}]}
//   POST /_sim/faults   {"method", "fault", "object"?, "message"?, "fields"?, "count"?}
//                                       -> 200 the rule with its "id"; 400 a rule that names no method or fault
//   GET  /_sim/faults                   -> 200 {"faults": [rules, with "hits"]}
//   DELETE /_sim/faults[/ID]            -> 200 {}: all rules, or one (404 unknown id)
// Resetting between tests this way takes milliseconds where a restart takes
// a TLS handshake and a whole inventory build. Same authentication as
// /folder (a live vmware_soap_session cookie or HTTP Basic), since a restore
// can undo anything a client did; answers are JSON; other verbs get 405.
import express, { type Request, type Response } from "express";
import type { Simulator } from "../simulator.ts";
import type { SimSnapshot } from "../inventory/snapshot.ts";
import { FOLDER_REALM, folderAuthenticated } from "./folder.ts";
import { BadFaultRule } from "../dispatch/fault-injection.ts";
import { readRequestText } from "./app.ts";

/** A restore body is one short id; anything bigger is not one. */
const MAX_BODY = 16 * 1024;

class BadRequest extends Error {}

function reply(res: Response, status: number, body: Record<string, unknown>): void {
  res.status(status).type("application/json").send(JSON.stringify(body) + "\n");
}

async function idOf(req: Request): Promise<string> {
  let body: unknown;
  try {
    const text = await readRequestText(req, MAX_BODY);
    if (text === null) throw new BadRequest("body too large");
    body = JSON.parse(text);
  } catch (e) {
    throw e instanceof BadRequest ? e : new BadRequest("the body must be JSON: {\"id\": \"...\"}");
  }
  const id = (body as { id?: unknown } | null)?.id;
  if (typeof body !== "object" || Array.isArray(body) || typeof id !== "string" || !id) throw new BadRequest("the body must be JSON: {\"id\": \"...\"}");
  return id;
}

export function simControlHandler(sim: Simulator): express.Router {
  // per simulator: ids name snapshots of this one only
  const saved = new Map<string, SimSnapshot>();
  let taken = 0;
  const router = express.Router();

  router.use((req, res, next) => {
    if (folderAuthenticated(sim, req)) return next();
    res.set("WWW-Authenticate", FOLDER_REALM);
    reply(res, 401, { error: "a live vmware_soap_session cookie or HTTP Basic credentials are required" });
  });

  const action = (path: string, run: (req: Request, res: Response) => Promise<void> | void) => {
    router.post(path, (req, res) => {
      Promise.resolve()
        .then(() => run(req, res))
        .catch((e: unknown) => {
          if (e instanceof BadRequest) reply(res, 400, { error: e.message });
          else reply(res, 500, { error: String((e as Error)?.message ?? e) });
        });
    });
    router.all(path, (_req, res) => {
      res.set("Allow", "POST");
      reply(res, 405, { error: "only POST" });
    });
  };

  action("/snapshot", (_req, res) => {
    const id = `snapshot-${++taken}`;
    saved.set(id, sim.snapshot());
    reply(res, 200, { id });
  });

  action("/restore", async (req, res) => {
    const id = await idOf(req);
    const snap = saved.get(id);
    if (!snap) return reply(res, 404, { error: `no snapshot ${JSON.stringify(id)}` });
    sim.restore(snap);
    reply(res, 200, { id });
  });

  action("/reset", (_req, res) => {
    sim.reset();
    reply(res, 200, {});
  });

  // guest listeners and the 127.0.0.1 ports they are reached on, where guest addresses are mapped
  router.get("/ports", (_req, res) => reply(res, 200, { mode: sim.guests.network.mode, ports: sim.guests.network.mappings() }));

  // faults a test injects into the calls that follow (dispatch/fault-injection.ts says how they match)
  router.post("/faults", (req, res) => {
    readRequestText(req, MAX_BODY)
      .then((text) => {
        if (text === null) throw new BadRequest("body too large");
        let rule: unknown;
        try {
          rule = JSON.parse(text);
        } catch {
          throw new BadFaultRule('the body must be JSON: {"method": "PowerOnVM_Task", "fault": "InsufficientResourcesFault"}');
        }
        reply(res, 200, { ...sim.faults.add(rule) });
      })
      .catch((e: unknown) => reply(res, e instanceof BadFaultRule || e instanceof BadRequest ? 400 : 500, { error: String((e as Error)?.message ?? e) }));
  });
  router.get("/faults", (_req, res) => reply(res, 200, { faults: sim.faults.list() }));
  router.delete("/faults", (_req, res) => {
    sim.faults.clear();
    reply(res, 200, {});
  });
  router.delete("/faults/:id", (req, res) => {
    const id = String(req.params.id);
    if (sim.faults.remove(id)) reply(res, 200, { id });
    else reply(res, 404, { error: `no fault rule ${JSON.stringify(id)}` });
  });
  router.all("/faults", (_req, res) => {
    res.set("Allow", "GET, POST, DELETE");
    reply(res, 405, { error: "GET, POST or DELETE" });
  });
  router.all("/faults/:id", (_req, res) => {
    res.set("Allow", "DELETE");
    reply(res, 405, { error: "only DELETE" });
  });

  router.use((req, res) => reply(res, 404, { error: `no control ${req.path}` }));
  return router;
}
