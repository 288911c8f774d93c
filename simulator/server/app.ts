// The HTTP face of a simulator: /sdk (vim25 SOAP), the version document
// clients probe before they log in, and nothing that crashes on bad input.
import express, { type Request, type Response } from "express";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { X509Certificate } from "node:crypto";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { Simulator } from "../simulator.ts";
import { Dispatcher, type SoapReply } from "../dispatch/dispatcher.ts";
import { VimFault, encodeFault } from "../../vim25/soap/index.ts";
import { folderHandler } from "./folder.ts";
import { simControlHandler } from "./sim-control.ts";
import { guestFileHandler } from "./guest-file.ts";
import { nfcHandler } from "./nfc.ts";
import { vapiRestHandler } from "./vapi-rest.ts";
import { logBundleHandler } from "./log-bundles.ts";

export interface AppOptions {
  /** called with every SOAP request and response (the --trace flag) */
  trace?: (line: string) => void;
}

// Prior versions as hostd 6.0 lists them; pyVmomi picks its version from here.
// a 6.x server lists the 6.x releases before its own too (only those older than its API are sent)
const PRIOR_VERSIONS = ["6.5", "6.0", "5.5", "5.1", "5.0", "4.1", "4.0", "2.5u2", "2.5"];

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

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

const MAX_BODY = 64 * 1024 * 1024;

export interface SdkRequest {
  body: string | null;
  cookie?: string;
  remoteAddress: string;
  userAgent: string;
  aborted: Promise<void>;
  /** the client's TLS certificate, read when a method asks (extension logins) */
  clientCertificate?: () => X509Certificate | undefined;
}

/** One SOAP call, whoever received it: the HTTP handler below or the HTTPS worker. A null body is one over the size limit. */
export type SdkCall = (req: SdkRequest) => Promise<SoapReply>;

export function sdkCall(sim: Simulator, opts: AppOptions = {}): SdkCall {
  const dispatcher = new Dispatcher(sim);
  return async (req) => {
    let reply: SoapReply;
    if (req.body === null) reply = { status: 500, body: encodeFault(sim.schema, new VimFault("InvalidRequest", {}, "The request is too large.")) };
    else {
      opts.trace?.(`--> ${req.remoteAddress} ${req.body}`);
      try {
        reply = await dispatcher.handle(req.body, { cookie: req.cookie, remoteAddress: req.remoteAddress, userAgent: req.userAgent, aborted: req.aborted, clientCertificate: req.clientCertificate });
      } catch (e) {
        // the dispatcher answers every fault itself; this is a last resort
        reply = { status: 500, body: encodeFault(sim.schema, new VimFault("SystemError", { reason: String(e) })) };
      }
    }
    opts.trace?.(`<-- ${reply.status} ${reply.method ?? ""} ${reply.body}`);
    return reply;
  };
}

/** Who sent a request: the HTTPS worker names the client of what it relays over the local socket. */
export function clientOf(req: IncomingMessage): string {
  const relayed = req.socket.remoteAddress === undefined ? req.headers["x-vsphere-sim-client"] : undefined;
  return (typeof relayed === "string" ? relayed : req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
}

/** The certificate a TLS client presented, if the listener asked for one and it sent one. */
export function peerCertificate(socket: Socket): X509Certificate | undefined {
  return socket instanceof TLSSocket ? socket.getPeerX509Certificate() : undefined;
}

/** A request's whole body, or null when it is over `max` bytes (read to the end all the same, so the client gets its answer). */
export function readRequestBody(req: IncomingMessage, max: number, done: (body: Buffer | null) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (c: Buffer) => {
    size += c.length;
    if (size <= max) chunks.push(c);
  });
  req.on("end", () => done(size > max ? null : Buffer.concat(chunks)));
}

/** readRequestBody as a promise of UTF-8 text (null when over `max`); a broken stream rejects. */
export function readRequestText(req: IncomingMessage, max: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    req.on("error", reject);
    readRequestBody(req, max, (body) => resolve(body === null ? null : body.toString("utf8")));
  });
}

/**
 * The SOAP endpoint as a plain node handler, off express's router and body
 * parser: used when TLS is inline and by tests that talk HTTP directly.
 */
export function sdkHandler(call: SdkCall): RequestHandler {
  return (req, res) => {
    let aborted!: () => void;
    const abortedP = new Promise<void>((r) => (aborted = r));
    res.on("close", () => {
      if (!res.writableFinished) aborted();
    });
    req.on("error", () => res.destroy());
    readRequestBody(req, MAX_BODY, (body) => {
      void call({
        body: body === null ? null : body.toString("utf8"),
        cookie: req.headers.cookie,
        remoteAddress: clientOf(req),
        userAgent: String(req.headers["user-agent"] ?? ""),
        aborted: abortedP,
        clientCertificate: () => peerCertificate(req.socket),
      }).then((r) => {
        if (res.destroyed) return;
        const headers: Record<string, string | number> = { "Content-Type": "text/xml; charset=utf-8", "Content-Length": Buffer.byteLength(r.body) };
        if (r.setCookie) headers["Set-Cookie"] = r.setCookie;
        res.writeHead(r.status, headers);
        res.end(r.body);
      });
    });
  };
}

const SDK_PATHS = new Set(["/sdk", "/sdk/", "/sdk/vimService"]);

/** The whole server: POST /sdk straight to the dispatcher, everything else through express. */
export function createHandler(sim: Simulator, opts: AppOptions = {}, call: SdkCall = sdkCall(sim, opts)): RequestHandler {
  const sdk = sdkHandler(call);
  const app = createApp(sim);
  return (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method === "POST" && SDK_PATHS.has(path)) sdk(req, res);
    else app(req, res);
  };
}

/** Everything but POST /sdk: the version document, datastore files (/folder), the /_sim control API, vCenter's vAPI (/rest), and a 405 for other verbs on /sdk. */
export function createApp(sim: Simulator): express.Express {
  const app = express();
  app.disable("x-powered-by");
  const apiVersion = (sim.content.about as { apiVersion: string }).apiVersion;

  app.get(["/sdk/vimServiceVersions.xml", "/sdk/vimServiceVersions.xml/"], (_req, res) => {
    res.type("text/xml").send(versionsDocument(apiVersion));
  });

  app.all(["/sdk", "/sdk/"], (_req, res) => {
    res.status(405).set("Allow", "POST").type("text/plain").send("Method Not Allowed\n");
  });

  app.use("/folder", folderHandler(sim));
  app.use("/_sim", simControlHandler(sim));
  app.use("/guestFile", guestFileHandler(sim));
  app.use("/nfc", nfcHandler(sim));
  app.use("/rest", vapiRestHandler(sim));
  // log bundles: hostd serves them under /downloads, vpxd under /diagnostics
  app.use(sim.isVCenter ? "/diagnostics" : "/downloads", logBundleHandler(sim));

  // a body over the limit or an unreadable stream: answer like a server, never crash
  app.use((err: unknown, _req: Request, res: Response, _next: unknown) => {
    const status = (err as { status?: number }).status ?? 500;
    if (!res.headersSent) res.status(status).type("text/xml").send(encodeFault(sim.schema, new VimFault("InvalidRequest", {}, String((err as Error).message ?? err))));
  });
  return app;
}
