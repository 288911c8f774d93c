// /guestFile?id=&token=: the data side of GuestFileManager's transfers. The
// one-time token in the URL is the authorization (as on ESXi: no session
// cookie is needed). PUT writes a file into the guest, GET reads one out.
import express, { type Request, type Response } from "express";
import type { Simulator } from "../simulator.ts";
import type { GuestTransfer } from "../guest/guest-runtime.ts";

const MAX_TRANSFER = 256 * 1024 * 1024;

export function guestFileHandler(sim: Simulator): express.Router {
  const router = express.Router();
  const take = (req: Request, res: Response, direction: GuestTransfer["direction"]): GuestTransfer | undefined => {
    const t = sim.guests.takeTransfer(String(req.query.id ?? ""), String(req.query.token ?? ""), direction);
    if (!t) res.status(404).type("text/plain").send("No such transfer (unknown, used or expired)\n");
    return t;
  };
  const guestFiles = (t: GuestTransfer) => {
    const os = sim.guests.of(t.vm)?.os;
    return os?.tools ? { os, files: os.instance?.files } : undefined;
  };
  router.get("/", (req, res) => {
    const t = take(req, res, "fromGuest");
    if (!t) return;
    const g = guestFiles(t);
    if (!g?.files) return void res.status(503).type("text/plain").send("The guest operations agent could not be contacted.\n");
    try {
      res.status(200).type("application/octet-stream").send(g.files.read(t.path));
    } catch (e) {
      const code = (e as { code?: string }).code;
      res.status(code === "ENOENT" ? 404 : code === "EACCES" ? 403 : 500).type("text/plain").send(`${(e as Error).message}\n`);
    }
  });
  router.put("/", (req, res) => {
    const t = take(req, res, "toGuest");
    if (!t) return void req.resume();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_TRANSFER) chunks.push(c);
    });
    req.on("end", () => {
      const data = Buffer.concat(chunks);
      if (size > MAX_TRANSFER || data.length !== t.size) return void res.status(400).type("text/plain").send(`Expected ${t.size} bytes, got ${size}\n`);
      const g = guestFiles(t);
      if (!g?.files) return void res.status(503).type("text/plain").send("The guest operations agent could not be contacted.\n");
      try {
        g.files.write(t.path, data, t.overwrite);
        res.status(200).end();
      } catch (e) {
        const code = (e as { code?: string }).code;
        res.status(code === "EEXIST" ? 409 : code === "ENOENT" ? 404 : code === "EACCES" ? 403 : 500).type("text/plain").send(`${(e as Error).message}\n`);
      }
    });
  });
  router.all("/", (_req, res) => void res.status(405).set("Allow", "GET, PUT").type("text/plain").send("Method Not Allowed\n"));
  return router;
}
