// HTTPS to one vSphere endpoint: a keep-alive agent whose TLS check is a
// certificate pin, a CA or nothing, and the vmware_soap_session cookie that
// SOAP calls and datastore transfers (/folder) share.
import https from "node:https";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { IncomingHttpHeaders } from "node:http";

export interface TlsOptions {
  /** SHA-1 of the server certificate (AA:BB:..., colons optional): accept that certificate and no other */
  thumbprint?: string;
  /** PEM CA bundle to verify the server against */
  ca?: string;
  /** accept any certificate */
  insecure?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A non-2xx answer to a plain HTTP request (datastore transfers). */
export class HttpError extends Error {
  constructor(readonly status: number, readonly method: string, readonly url: string, readonly body: string) {
    super(`${method} ${url}: HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ""}`);
    this.name = "HttpError";
  }
}

/** The certificate did not match the pinned thumbprint. */
export class ThumbprintMismatchError extends Error {
  constructor(readonly expected: string, readonly actual: string) {
    super(`server certificate thumbprint ${actual} does not match the expected ${expected}`);
    this.name = "ThumbprintMismatchError";
  }
}

export const SESSION_COOKIE = "vmware_soap_session";

export function normaliseThumbprint(t: string): string {
  const hex = t.replace(/[^0-9a-fA-F]/g, "").toUpperCase();
  return hex.match(/../g)?.join(":") ?? "";
}

/**
 * Node verifies a certificate against CAs only, and calls checkServerIdentity
 * only for certificates that passed; a pin must therefore accept the chain
 * unverified and check the fingerprint itself. The socket is handed to HTTP
 * only after that check, so no request byte (a Login password) reaches an
 * impostor.
 */
class PinnedAgent extends https.Agent {
  constructor(private readonly pin: string) {
    // resumed sessions may not carry the peer certificate to check
    super({ keepAlive: true, rejectUnauthorized: false, maxCachedSessions: 0 });
  }

  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const socket = super.createConnection(options) as TLSSocket;
    const fail = (e: Error) => {
      socket.off("secureConnect", onSecure);
      socket.destroy();
      callback?.(e, socket);
    };
    const onSecure = () => {
      socket.off("error", fail);
      const actual = socket.getPeerCertificate()?.fingerprint ?? "";
      if (normaliseThumbprint(actual) !== this.pin) {
        fail(new ThumbprintMismatchError(this.pin, normaliseThumbprint(actual)));
        return;
      }
      callback?.(null, socket);
    };
    socket.once("secureConnect", onSecure);
    socket.once("error", fail);
    return undefined;
  }
}

function makeAgent(tls: TlsOptions): https.Agent {
  if (tls.thumbprint) return new PinnedAgent(normaliseThumbprint(tls.thumbprint));
  return new https.Agent({ keepAlive: true, ca: tls.ca, rejectUnauthorized: !tls.insecure });
}

export class HttpsTransport {
  private readonly agent: https.Agent;
  private cookie: string | undefined;

  constructor(tls: TlsOptions = {}, readonly userAgent = "vim25-client/0.1 (node)") {
    this.agent = makeAgent(tls);
  }

  /** The `vmware_soap_session=...` pair to send, once the server has set one. */
  get sessionCookie(): string | undefined {
    return this.cookie;
  }
  set sessionCookie(v: string | undefined) {
    this.cookie = v;
  }

  request(method: string, url: string | URL, body?: Buffer | string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const h: Record<string, string> = { "User-Agent": this.userAgent, ...headers };
    if (this.cookie) h.Cookie = this.cookie;
    const payload = body === undefined ? undefined : typeof body === "string" ? Buffer.from(body, "utf8") : body;
    if (payload) h["Content-Length"] = String(payload.length);
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = https.request(url, { method, agent: this.agent, headers: h }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          this.keepCookie(res.headers["set-cookie"]);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      req.on("error", reject);
      req.end(payload);
    });
  }

  private keepCookie(setCookie: string[] | undefined): void {
    for (const line of setCookie ?? []) {
      const pair = line.split(";")[0].trim();
      if (pair.startsWith(`${SESSION_COOKIE}=`)) this.cookie = pair;
    }
  }

  /** Drop the agent's sockets; call when no request is pending any more. */
  close(): void {
    this.agent.destroy();
  }
}
