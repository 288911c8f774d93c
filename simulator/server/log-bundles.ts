// The log bundles DiagnosticManager.GenerateLogBundles_Task made, over HTTPS
// at the url its BundleInfo gives: hostd's /downloads/ID/NAME.tgz, vpxd's
// /diagnostics/ID/NAME.tgz. A session's cookie (or Basic credentials, as
// /folder takes them) is needed: 401 without, 404 for a bundle the server
// does not have (never made, or deleted as newer ones came).
import express from "express";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { Simulator } from "../simulator.ts";
import { DiagnosticManager } from "../objects/diagnostic-manager.ts";
import { FOLDER_REALM, folderAuthenticated } from "./folder.ts";

export function logBundleHandler(sim: Simulator): express.Router {
  const router = express.Router();
  router.get("/:id/:name", (req, res) => {
    if (!folderAuthenticated(sim, req)) return void res.status(401).set("WWW-Authenticate", FOLDER_REALM).type("text/plain").send("Unauthorized\n");
    const manager = sim.inventory.get((sim.content.diagnosticManager as ManagedObjectReference).value);
    const data = manager instanceof DiagnosticManager ? manager.bundle(req.params.id, req.params.name) : undefined;
    if (!data) return void res.status(404).type("text/plain").send("Not Found\n");
    res.status(200).set("Content-Disposition", `attachment; filename="${req.params.name}"`).type("application/x-gzip").send(data);
  });
  return router;
}
