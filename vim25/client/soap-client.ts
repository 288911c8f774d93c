// vim25 method calls over HTTPS: one POST to /sdk per call, the session
// cookie carried by the transport, SOAP faults thrown as VimFault.
import type { MethodDef, Schema } from "../schema/index.ts";
import { vim25Schema } from "../schema/index.ts";
import type { ManagedObjectReference } from "../soap/index.ts";
import { HttpsTransport, type TlsOptions } from "./https-transport.ts";
import { SoapProtocolError, decodeFault, decodeResponse, encodeRequest } from "./soap-message.ts";

export interface SoapClientOptions extends TlsOptions {
  /** the API version sent in SOAPAction (urn:vim25/<version>); default "6.0" */
  version?: string;
  userAgent?: string;
  schema?: Schema;
}

export class SoapClient {
  readonly url: URL;
  readonly schema: Schema;
  readonly transport: HttpsTransport;
  /** the API version requests claim; the server answers in that version's terms */
  version: string;

  constructor(url: string | URL, opts: SoapClientOptions = {}) {
    this.url = new URL(url);
    this.schema = opts.schema ?? vim25Schema();
    this.version = opts.version ?? "6.0";
    this.transport = new HttpsTransport({ thumbprint: opts.thumbprint, ca: opts.ca, insecure: opts.insecure }, opts.userAgent);
  }

  /** The method as the schema declares it for `type`, or for whichever type declares it. */
  methodDef(type: string, method: string): MethodDef {
    // a moref may name a type the schema lacks (a newer API) or one that inherits nothing of the method
    const def = this.schema.method(type, method) ?? this.schema.method(this.schema.methodOwners(method)[0] ?? "", method);
    if (!def) throw new TypeError(`vim25 has no method ${method}`);
    return def;
  }

  async call(method: string, thisRef: ManagedObjectReference, args: Record<string, unknown> = {}): Promise<unknown> {
    const def = this.methodDef(thisRef.type, method);
    const envelope = encodeRequest(this.schema, method, thisRef, args, def.params);
    const res = await this.transport.request("POST", this.url, envelope, {
      "Content-Type": "text/xml; charset=utf-8",
      SOAPAction: `"urn:vim25/${this.version}"`,
    });
    const xml = res.body.toString("utf8");
    if (res.status === 500 && /Fault/.test(xml)) throw decodeFault(this.schema, xml, res.status);
    if (res.status !== 200) throw new SoapProtocolError(`${method}: HTTP ${res.status}${xml ? `: ${xml.slice(0, 200)}` : ""}`, res.status);
    return decodeResponse(this.schema, method, xml, def.result);
  }

  close(): void {
    this.transport.close();
  }
}
