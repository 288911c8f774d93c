// vicadmin: the appliance's log server on 2378 (0.4 cmd/vicadmin): an index
// page of the component logs, each log whole or its tail, and all of them
// as logs.tar.gz. HTTPS when the VCH has a certificate; no authentication,
// as in 0.4/0.5 (the Authenticator existed but was never wired in).
import http from "node:http";
import https from "node:https";
import type { Server } from "node:net";
import { gzipSync } from "node:zlib";
import { writeTar } from "../../formats/tar.ts";
import type { Component } from "./port-layer.ts";
import type { ComponentLog, VchContext } from "./vch-context.ts";

export const VICADMIN_PORT = 2378;
const TAIL_BYTES = 8 * 1024;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class VicAdmin {
  constructor(private readonly vch: VchContext, private readonly log: ComponentLog) {}

  handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://vicadmin").pathname);
    const logs = this.vch.logs;
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
      res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), ...extra });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "text/plain; charset=utf-8", "method not allowed\n", { Allow: "GET, HEAD" });
    if (path === "/") {
      const items = logs.names().map((n) => `<li><a href="/logs/${escapeHtml(n)}">${escapeHtml(n)}</a> (<a href="/logs/tail/${escapeHtml(n)}">tail</a>)</li>`).join("\n");
      const name = escapeHtml(this.vch.name);
      return send(200, "text/html; charset=utf-8", `<!DOCTYPE html>\n<html><head><title>VCH ${name}</title></head><body>\n<h1>Virtual Container Host ${name}</h1>\n<p><a href="/logs.tar.gz">All logs (logs.tar.gz)</a></p>\n<ul>\n${items}\n</ul>\n</body></html>\n`);
    }
    if (path === "/logs.tar.gz") {
      const now = this.vch.hw.clock.now();
      const tar = writeTar(logs.names().map((n) => ({ path: `var/log/vic/${n}`, type: "file" as const, mode: 0o644, uid: 0, gid: 0, mtime: now, data: Buffer.from(logs.read(n)!) })));
      return send(200, "application/x-gzip", gzipSync(tar), { "Content-Disposition": `attachment; filename="${this.vch.name}-logs.tar.gz"` });
    }
    const m = /^\/logs\/(tail\/)?([^/]+)$/.exec(path);
    const text = m ? logs.read(m[2]) : undefined;
    if (m && text !== undefined) {
      const body = m[1] ? Buffer.from(text).subarray(-TAIL_BYTES) : text;
      return send(200, "text/plain; charset=utf-8", body);
    }
    return send(404, "text/plain; charset=utf-8", "404 page not found\n");
  };

  start(): Component {
    const cert = this.vch.config.hostCertificate;
    const server: http.Server = cert?.cert?.length ? https.createServer({ key: cert.key, cert: cert.cert }, this.handle) : http.createServer(this.handle);
    const listeners: Server[] = [];
    let exit!: (e: Error) => void;
    const exited = new Promise<Error>((r) => (exit = r));
    const ready = (async () => {
      const addr = this.vch.addresses.get("client");
      const nic = this.vch.hw.nics.find((n) => n.ipAddress === addr);
      if (!nic) throw new Error("the client network has no address");
      const l = await nic.listen(VICADMIN_PORT, (sock) => server.emit("connection", sock));
      l.on("error", (e) => exit(e));
      listeners.push(l);
      this.log.info(`log server on ${cert ? "https" : "http"}://${addr}:${VICADMIN_PORT}`);
    })();
    return { ready, exited, stop: () => { for (const l of listeners) l.close(); exit(new Error("stopped")); } };
  }
}
