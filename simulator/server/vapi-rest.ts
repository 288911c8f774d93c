// vCenter's vAPI endpoint in its /rest form (vSphere 6.5 to 7.0), as far as
// the tagging service and the content library go: com.vmware.cis.session,
// com.vmware.cis.tagging.{category,tag,tag-association}, and
// com.vmware.content's local libraries (vapi-content-library.ts, with the
// transfer endpoint of their files). Results come
// wrapped as {"value": ...}; errors as the vAPI error structure
// {"type": "com.vmware.vapi.std.errors.<name>", "value": {"messages": [...]}}
// with the status vCenter maps each type to. An operation is the path, the
// verb and the ~action query parameter together. ESXi has no vAPI endpoint.
import express, { type Request, type Response } from "express";
import type { Simulator } from "../simulator.ts";
import { VAPI_SESSION_HEADER } from "../dispatch/vapi-sessions.ts";
import { basicCredentials } from "../dispatch/session.ts";
import { credentialsMatch } from "../objects/session-manager.ts";
import {
  CARDINALITIES, VapiError, type Cardinality, type CategoryUpdateSpec, type DynamicId, type TagUpdateSpec,
} from "../tagging/tagging-service.ts";
import { inputOf, invalid, notFoundRoute, optionalString, send, sendError, string, strings, structure } from "./vapi-common.ts";
import { DATA_PATH, contentLibraryOperations, dataTransfer, op, type OperationContext } from "./vapi-content-library.ts";

function cardinality(input: Record<string, unknown>, name: string): Cardinality {
  const v = string(input, name);
  if (!(CARDINALITIES as readonly string[]).includes(v)) throw invalid(`Field ${name} must be one of ${CARDINALITIES.join(", ")}, not ${v}.`, [name, v]);
  return v as Cardinality;
}

function dynamicIdOf(v: unknown, name: string): DynamicId {
  const o = v as Record<string, unknown> | null;
  if (typeof o !== "object" || o === null || Array.isArray(o) || typeof o.type !== "string" || typeof o.id !== "string" || !o.type || !o.id) {
    throw invalid(`Field ${name} must be an object id: {"type": ..., "id": ...}.`, [name]);
  }
  return { type: o.type, id: o.id };
}

function dynamicIds(input: Record<string, unknown>, name: string): DynamicId[] {
  const v = input[name];
  if (!Array.isArray(v)) throw invalid(`Field ${name} is missing or not a list of object ids.`, [name]);
  return v.map((x) => dynamicIdOf(x, name));
}

/** The session id a request carries: the header govmomi and the SDKs send, else the cookie /rest sets at login. */
function sessionIdOf(req: Request): string | undefined {
  const header = req.headers[VAPI_SESSION_HEADER];
  if (typeof header === "string" && header) return header;
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === VAPI_SESSION_HEADER) return v.join("=").replace(/^"|"$/g, "");
  }
  return undefined;
}

const unauthenticated = () => new VapiError("unauthenticated", "com.vmware.vapi.endpoint.method.authentication.required", "Authentication required.");

interface Call {
  verb: string;
  /** the resource path below /rest/com/vmware, without the id segment */
  resource: string;
  /** from the `id:` segment */
  id?: string;
  action?: string;
  query: URLSearchParams;
}

/** `/com/vmware/cis/tagging/tag/id:urn:...?~action=x` -> its parts; undefined for paths that are no resource. */
function callOf(req: Request): Call | undefined {
  const url = new URL(req.originalUrl ?? req.url, "http://vapi");
  const prefix = "/rest/com/vmware/";
  if (!url.pathname.startsWith(prefix)) return undefined;
  const segments = url.pathname.slice(prefix.length).split("/").filter((s) => s !== "");
  let id: string | undefined;
  const last = segments.at(-1);
  if (last?.startsWith("id:")) {
    try {
      id = decodeURIComponent(last.slice(3));
    } catch {
      return undefined;
    }
    segments.pop();
  }
  return { verb: req.method, resource: segments.join("/"), id, action: url.searchParams.get("~action") ?? undefined, query: url.searchParams };
}

export function vapiRestHandler(sim: Simulator): express.Router {
  const router = express.Router();
  const tagging = sim.tagging;

  // Each operation answers its result (undefined: an empty 200, as vCenter's void operations).
  const operations = [
    // categories
    op("GET", "cis/tagging/category", false, undefined, () => tagging.listCategories()),
    op("POST", "cis/tagging/category", false, undefined, (input) => createCategory(input)),
    op("POST", "cis/tagging/category", false, "create", (input) => createCategory(input)),
    op("GET", "cis/tagging/category", true, undefined, (_i, id) => tagging.getCategory(id)),
    op("PATCH", "cis/tagging/category", true, undefined, (input, id) => tagging.updateCategory(id, categoryUpdate(structure(input, "update_spec")))),
    op("DELETE", "cis/tagging/category", true, undefined, (_i, id) => tagging.deleteCategory(id)),
    op("POST", "cis/tagging/category", true, "add-to-used-by", (input, id) => tagging.addCategoryUsedBy(id, string(input, "used_by_entity"))),
    op("POST", "cis/tagging/category", true, "remove-from-used-by", (input, id) => tagging.removeCategoryUsedBy(id, string(input, "used_by_entity"))),
    // tags
    op("GET", "cis/tagging/tag", false, undefined, () => tagging.listTags()),
    op("POST", "cis/tagging/tag", false, undefined, (input) => createTag(input)),
    op("POST", "cis/tagging/tag", false, "create", (input) => createTag(input)),
    op("GET", "cis/tagging/tag", true, undefined, (_i, id) => tagging.getTag(id)),
    op("PATCH", "cis/tagging/tag", true, undefined, (input, id) => tagging.updateTag(id, tagUpdate(structure(input, "update_spec")))),
    op("DELETE", "cis/tagging/tag", true, undefined, (_i, id) => tagging.deleteTag(id)),
    // the path's id is the category's here, as vCenter's /rest has it
    op("POST", "cis/tagging/tag", true, "list-tags-for-category", (_i, id) => tagging.listTagsForCategory(id)),
    op("POST", "cis/tagging/tag", true, "add-to-used-by", (input, id) => tagging.addTagUsedBy(id, string(input, "used_by_entity"))),
    op("POST", "cis/tagging/tag", true, "remove-from-used-by", (input, id) => tagging.removeTagUsedBy(id, string(input, "used_by_entity"))),
    // associations: the path's id is the tag's
    op("POST", "cis/tagging/tag-association", true, "attach", (input, id) => tagging.attach(id, dynamicIdOf(input.object_id, "object_id"))),
    op("POST", "cis/tagging/tag-association", true, "detach", (input, id) => tagging.detach(id, dynamicIdOf(input.object_id, "object_id"))),
    op("POST", "cis/tagging/tag-association", true, "list-attached-objects", (_i, id) => tagging.listAttachedObjects(id)),
    op("POST", "cis/tagging/tag-association", true, "attach-tag-to-multiple-objects", (input, id) => tagging.attachTagToMultipleObjects(id, dynamicIds(input, "object_ids"))),
    op("POST", "cis/tagging/tag-association", true, "detach-tag-from-multiple-objects", (input, id) => tagging.detachTagFromMultipleObjects(id, dynamicIds(input, "object_ids"))),
    op("POST", "cis/tagging/tag-association", false, "list-attached-tags", (input) => tagging.listAttachedTags(dynamicIdOf(input.object_id, "object_id"))),
    op("POST", "cis/tagging/tag-association", false, "attach-multiple-tags-to-object", (input) => tagging.attachMultipleTagsToObject(dynamicIdOf(input.object_id, "object_id"), strings(input, "tag_ids"))),
    op("POST", "cis/tagging/tag-association", false, "detach-multiple-tags-from-object", (input) => tagging.detachMultipleTagsFromObject(dynamicIdOf(input.object_id, "object_id"), strings(input, "tag_ids"))),
    op("POST", "cis/tagging/tag-association", false, "list-attached-objects-on-tags", (input) => tagging.listAttachedObjectsOnTags(strings(input, "tag_ids"))),
    op("POST", "cis/tagging/tag-association", false, "list-attached-tags-on-objects", (input) => tagging.listAttachedTagsOnObjects(dynamicIds(input, "object_ids"))),
    ...contentLibraryOperations(sim),
  ];

  function createCategory(input: Record<string, unknown>): string {
    const spec = structure(input, "create_spec");
    return tagging.createCategory({
      name: string(spec, "name"), description: string(spec, "description"),
      cardinality: cardinality(spec, "cardinality"), associable_types: strings(spec, "associable_types"),
    });
  }

  function createTag(input: Record<string, unknown>): string {
    const spec = structure(input, "create_spec");
    return tagging.createTag({ name: string(spec, "name"), description: string(spec, "description"), category_id: string(spec, "category_id") });
  }

  function categoryUpdate(spec: Record<string, unknown>): CategoryUpdateSpec {
    return {
      name: optionalString(spec, "name"),
      description: optionalString(spec, "description"),
      cardinality: spec.cardinality === undefined || spec.cardinality === null ? undefined : cardinality(spec, "cardinality"),
      associable_types: spec.associable_types === undefined || spec.associable_types === null ? undefined : strings(spec, "associable_types"),
    };
  }

  function tagUpdate(spec: Record<string, unknown>): TagUpdateSpec {
    return { name: optionalString(spec, "name"), description: optionalString(spec, "description") };
  }

  /** POST (create), GET or POST ~action=get (the session), DELETE (logout). */
  async function session(req: Request, res: Response, call: Call): Promise<void> {
    if (call.id !== undefined) return notFoundRoute(res);
    if (req.method === "POST" && (call.action === undefined || call.action === "create")) {
      await inputOf(req);
      const creds = basicCredentials(req.headers.authorization);
      if (!creds || !credentialsMatch(sim, creds.user, creds.password)) throw unauthenticated();
      const s = sim.vapiSessions.create(creds.user);
      res.setHeader("Set-Cookie", `${VAPI_SESSION_HEADER}=${s.id};Path=/rest;Secure;HttpOnly`);
      return send(res, 200, { value: s.id });
    }
    const isGet = (req.method === "GET" && call.action === undefined) || (req.method === "POST" && call.action === "get");
    const isDelete = req.method === "DELETE" && call.action === undefined;
    if (!isGet && !isDelete) return notFoundRoute(res);
    await inputOf(req);
    const s = sim.vapiSessions.use(sessionIdOf(req));
    if (!s) throw unauthenticated();
    if (isDelete) {
      sim.vapiSessions.delete(s);
      return send(res, 200);
    }
    // Not confirmed: vCenter names SSO users as DOMAIN\User here; the simulator keeps the name the user logged in with, as its SOAP sessions do.
    send(res, 200, { value: { user: s.user, created_time: s.created.toISOString(), last_accessed_time: s.lastAccessed.toISOString() } });
  }

  router.use(async (req: Request, res: Response) => {
    try {
      // ESXi has no vAPI endpoint: a bare 404, not vCenter's error document
      if (!sim.isVCenter) return send(res, 404);
      const pathname = new URL(req.originalUrl ?? req.url, "http://vapi").pathname;
      if (pathname.startsWith(DATA_PATH)) return dataTransfer(sim, req, res, pathname);
      const call = callOf(req);
      if (!call) return notFoundRoute(res);
      if (call.resource === "cis/session") return await session(req, res, call);
      const o = operations.find((x) => x.verb === call.verb && x.resource === call.resource && x.withId === (call.id !== undefined) && x.action === call.action);
      if (!o) return notFoundRoute(res);
      const s = sim.vapiSessions.use(sessionIdOf(req));
      if (!s) throw unauthenticated();
      const input = await inputOf(req);
      const ctx: OperationContext = { query: call.query, origin: `https://${req.headers.host ?? "127.0.0.1"}` };
      const result = o.run(input, call.id ?? "", ctx);
      send(res, 200, result === undefined ? undefined : { value: result });
    } catch (e) {
      if (e instanceof VapiError) return sendError(res, e);
      // a bug of ours, never a crashed server: vAPI's internal_server_error
      send(res, 500, { type: "com.vmware.vapi.std.errors.internal_server_error", value: { messages: [{ id: "vapi.server.internal.error", default_message: String((e as Error)?.message ?? e), args: [] }] } });
    }
  });
  return router;
}
