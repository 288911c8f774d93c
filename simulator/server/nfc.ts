// /nfc/<lease>/<file>: where an OVF import's disks are uploaded and an
// export's downloaded (the device URLs of an HttpNfcLease). The lease id in
// the path is the ticket, as on ESXi: govc sends its session cookie,
// pyVmomi's deploy_ova sample sends nothing but the bytes. PUT and POST both
// upload (govc posts streamOptimized disks), GET downloads; a lease that is
// not ready answers 409, the wrong direction for the lease 405.
import express, { type Request, type Response } from "express";
import type { Simulator } from "../simulator.ts";
import { HttpNfcLease, NfcUploadError } from "../objects/http-nfc-lease.ts";
import { readRequestBody } from "./app.ts";

// a disk of an import lives in memory like every datastore file: this much per upload at most
const MAX_UPLOAD = 2 * 1024 ** 3 - 1;

export function nfcHandler(sim: Simulator): express.Router {
  const router = express.Router();
  const upload = (req: Request, res: Response) => {
    const lease = sim.inventory.get(String(req.params.lease));
    if (!(lease instanceof HttpNfcLease)) {
      res.status(404).type("text/plain").send(`no lease ${req.params.lease}\n`);
      return;
    }
    req.on("error", () => res.destroy());
    readRequestBody(req, MAX_UPLOAD, (body) => {
      if (body === null) {
        res.status(413).type("text/plain").send(`an upload is at most ${MAX_UPLOAD} bytes\n`);
        return;
      }
      try {
        lease.receive(String(req.params.file), body);
        res.status(200).end();
      } catch (e) {
        const status = e instanceof NfcUploadError ? e.status : 500;
        if (status === 405) res.set("Allow", "GET");
        res.status(status).type("text/plain").send(`${(e as Error).message}\n`);
      }
    });
  };
  // express answers HEAD with this too, without the body
  const download = (req: Request, res: Response) => {
    const lease = sim.inventory.get(String(req.params.lease));
    if (!(lease instanceof HttpNfcLease)) {
      res.status(404).type("text/plain").send(`no lease ${req.params.lease}\n`);
      return;
    }
    try {
      const data = lease.send(String(req.params.file));
      res.status(200).type("application/octet-stream").set("Content-Length", String(data.length)).end(data);
    } catch (e) {
      const status = e instanceof NfcUploadError ? e.status : 500;
      if (status === 405) res.set("Allow", "PUT, POST");
      res.status(status).type("text/plain").send(`${(e as Error).message}\n`);
    }
  };
  router.put("/:lease/:file", upload);
  router.post("/:lease/:file", upload);
  router.get("/:lease/:file", download);
  router.all("/:lease/:file", (_req, res) => {
    res.status(405).set("Allow", "GET, PUT, POST").type("text/plain").send("Method Not Allowed\n");
  });
  return router;
}
