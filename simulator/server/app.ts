// The HTTP face of a simulator: /sdk (vim25 SOAP), the version document
// clients probe before they log in, and nothing that crashes on bad input.
import express, { type Request, type Response } from "express";
import type { Simulator } from "../simulator.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { VimFault, encodeFault } from "../../vim25/soap/index.ts";

export interface AppOptions {
  /** called with every SOAP request and response (the --trace flag) */
  trace?: (line: string) => void;
}

// Prior versions as hostd 6.0 lists them; pyVmomi picks its version from here.
const PRIOR_VERSIONS = ["5.5", "5.1", "5.0", "4.1", "4.0", "2.5u2", "2.5"];

export function versionsDocument(apiVersion: string): string {
  const prior = PRIOR_VERSIONS.filter((v) => v !== apiVersion && parseFloat(v) < parseFloat(apiVersion));
  return `<?xml version="1.0" encoding="UTF-8" ?>
<namespaces version="1.0">
 <namespace>
  <name>urn:vim25</name>
  <version>${apiVersion}</version>
  <priorVersions>
${prior.map((v) => `   <version>${v}</version>`).join("\n")}
  </priorVersions>
 </namespace>
 <namespace>
  <name>urn:vim2</name>
  <version>2.0</version>
 </namespace>
</namespaces>
`;
}

export function createApp(sim: Simulator, opts: AppOptions = {}): express.Express {
  const app = express();
  app.disable("x-powered-by");
  const dispatcher = new Dispatcher(sim);
  const apiVersion = (sim.content.about as { apiVersion: string }).apiVersion;

  app.get(["/sdk/vimServiceVersions.xml", "/sdk/vimServiceVersions.xml/"], (_req, res) => {
    res.type("text/xml").send(versionsDocument(apiVersion));
  });

  const soap = async (req: Request, res: Response) => {
    let aborted!: () => void;
    const abortedP = new Promise<void>((r) => (aborted = r));
    res.on("close", () => {
      if (!res.writableFinished) aborted();
    });
    const body = typeof req.body === "string" ? req.body : Buffer.isBuffer(req.body) ? req.body.toString("utf8") : "";
    opts.trace?.(`--> ${req.ip} ${body}`);
    const reply = await dispatcher.handle(body, {
      cookie: req.headers.cookie,
      remoteAddress: (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
      userAgent: String(req.headers["user-agent"] ?? ""),
      aborted: abortedP,
    });
    opts.trace?.(`<-- ${reply.status} ${reply.method ?? ""} ${reply.body}`);
    if (res.destroyed) return;
    if (reply.setCookie) res.setHeader("Set-Cookie", reply.setCookie);
    res.status(reply.status).type("text/xml; charset=utf-8").send(reply.body);
  };

  app.post(["/sdk", "/sdk/", "/sdk/vimService"], express.raw({ type: () => true, limit: "64mb" }), (req, res) => {
    soap(req, res).catch((e) => {
      // the dispatcher answers every fault itself; this is a last resort
      if (!res.headersSent) res.status(500).type("text/xml").send(encodeFault(sim.schema, new VimFault("SystemError", { reason: String(e) })));
    });
  });
  app.all(["/sdk", "/sdk/"], (_req, res) => {
    res.status(405).set("Allow", "POST").type("text/plain").send("Method Not Allowed\n");
  });

  // a body over the limit or an unreadable stream: answer like a server, never crash
  app.use((err: unknown, _req: Request, res: Response, _next: unknown) => {
    const status = (err as { status?: number }).status ?? 500;
    if (!res.headersSent) res.status(status).type("text/xml").send(encodeFault(sim.schema, new VimFault("InvalidRequest", {}, String((err as Error).message ?? err))));
  });
  return app;
}
