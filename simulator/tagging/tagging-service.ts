// vCenter's tagging service (com.vmware.cis.tagging): categories, their
// tags, and which inventory objects carry which tags. The vAPI REST face is
// server/vapi-rest.ts; this file keeps the rules vCenter keeps, whatever the
// transport. State is plain data, saved and loaded whole by the simulator's
// snapshots, so a restore (or /_sim/reset) takes tags back too.
import type { IdSource } from "../inventory/ids.ts";

/** The com.vmware.vapi.std.errors types the vAPI services (tagging, content library) answer with. */
export type VapiErrorType = "not_found" | "already_exists" | "invalid_argument" | "unauthenticated" | "unauthorized" | "not_allowed_in_current_state" | "resource_busy";

export interface LocalizableMessage {
  id: string;
  default_message: string;
  args: string[];
}

export class VapiError extends Error {
  constructor(readonly type: VapiErrorType, readonly messageId: string, message: string, readonly args: string[] = []) {
    super(message);
  }

  get localizable(): LocalizableMessage {
    return { id: this.messageId, default_message: this.message, args: this.args };
  }
}

/** vapi.std.DynamicID: a vim25 moref, spelled { type, id }. */
export interface DynamicId {
  type: string;
  id: string;
}

export type Cardinality = "SINGLE" | "MULTIPLE";
export const CARDINALITIES: readonly Cardinality[] = ["SINGLE", "MULTIPLE"];

export interface CategoryModel {
  id: string;
  name: string;
  description: string;
  cardinality: Cardinality;
  /** empty: tags of the category attach to objects of any type */
  associable_types: string[];
  used_by: string[];
}

export interface TagModel {
  id: string;
  category_id: string;
  name: string;
  description: string;
  used_by: string[];
}

export interface CategoryCreateSpec {
  name: string;
  description: string;
  cardinality: Cardinality;
  associable_types: string[];
}

export interface CategoryUpdateSpec {
  name?: string;
  description?: string;
  cardinality?: Cardinality;
  associable_types?: string[];
}

export interface TagCreateSpec {
  name: string;
  description: string;
  category_id: string;
}

export interface TagUpdateSpec {
  name?: string;
  description?: string;
}

/** com.vmware.cis.tagging.TagAssociation.BatchResult */
export interface BatchResult {
  success: boolean;
  error_messages: LocalizableMessage[];
}

interface TaggingState {
  categories: CategoryModel[];
  tags: TagModel[];
  attached: [string, DynamicId[]][];
}

const copyCategory = (c: CategoryModel): CategoryModel => ({ ...c, associable_types: [...c.associable_types], used_by: [...c.used_by] });
const copyTag = (t: TagModel): TagModel => ({ ...t, used_by: [...t.used_by] });
const sameObject = (a: DynamicId, b: DynamicId) => a.type === b.type && a.id === b.id;

export class TaggingService {
  private categories = new Map<string, CategoryModel>();
  private tags = new Map<string, TagModel>();
  /** tag id -> the objects it is attached to, in the order they were attached */
  private attached = new Map<string, DynamicId[]>();

  /**
   * `objectExists` asks the inventory: associations name objects by moref
   * and outlive nothing; one whose object is gone is simply not listed.
   */
  constructor(private readonly ids: IdSource, private readonly objectExists: (o: DynamicId) => boolean) {}

  save(): TaggingState {
    return {
      categories: [...this.categories.values()].map(copyCategory),
      tags: [...this.tags.values()].map(copyTag),
      attached: [...this.attached].map(([t, objs]) => [t, objs.map((o) => ({ ...o }))]),
    };
  }

  load(saved: unknown): void {
    const s = saved as TaggingState | undefined;
    this.categories = new Map((s?.categories ?? []).map((c) => [c.id, copyCategory(c)]));
    this.tags = new Map((s?.tags ?? []).map((t) => [t.id, copyTag(t)]));
    this.attached = new Map((s?.attached ?? []).map(([t, objs]) => [t, objs.map((o) => ({ ...o }))]));
  }

  // ---- categories ----

  listCategories(): string[] {
    return [...this.categories.keys()];
  }

  getCategory(id: string): CategoryModel {
    return copyCategory(this.category(id));
  }

  createCategory(spec: CategoryCreateSpec): string {
    this.checkName(spec.name, "category");
    this.checkCategoryNameFree(spec.name);
    // vCenter's ids: an inventory-service URN around a UUID, GLOBAL scope
    const id = `urn:vmomi:InventoryServiceCategory:${this.ids.nextUuid("tagging-category")}:GLOBAL`;
    this.categories.set(id, {
      id, name: spec.name, description: spec.description, cardinality: spec.cardinality,
      associable_types: [...new Set(spec.associable_types)], used_by: [],
    });
    return id;
  }

  updateCategory(id: string, spec: CategoryUpdateSpec): void {
    const c = this.category(id);
    if (spec.name !== undefined && spec.name !== c.name) {
      this.checkName(spec.name, "category");
      this.checkCategoryNameFree(spec.name);
    }
    if (spec.associable_types !== undefined) {
      // The API reference: the set cannot shrink, only grow (pass the old
      // types plus the new ones). An empty set means every type, so a
      // category open to all stays that way.
      const next = new Set(spec.associable_types);
      const narrows = c.associable_types.length === 0 ? next.size > 0 : c.associable_types.some((t) => !next.has(t));
      if (narrows) throw new VapiError("invalid_argument", "com.vmware.cis.tagging.category.associableTypes.shrink", `The associable types of category ${c.name} can only be added to, not removed.`, [c.name]);
    }
    if (spec.cardinality === "SINGLE" && c.cardinality === "MULTIPLE") {
      // Not confirmed against vCenter: going to SINGLE is refused only while
      // some object carries two tags of the category, which SINGLE forbids.
      const counts = new Map<string, number>();
      for (const t of this.tagsOf(c.id)) for (const o of this.objectsOf(t.id)) {
        const k = `${o.type}:${o.id}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      if ([...counts.values()].some((n) => n > 1)) throw new VapiError("invalid_argument", "com.vmware.cis.tagging.category.cardinality", `Category ${c.name} cannot become SINGLE: an object carries more than one of its tags.`, [c.name]);
    }
    if (spec.name !== undefined) c.name = spec.name;
    if (spec.description !== undefined) c.description = spec.description;
    if (spec.cardinality !== undefined) c.cardinality = spec.cardinality;
    if (spec.associable_types !== undefined) c.associable_types = [...new Set(spec.associable_types)];
  }

  /** A category goes with its tags and what they are attached to. */
  deleteCategory(id: string): void {
    const c = this.category(id);
    for (const t of this.tagsOf(c.id)) this.dropTag(t.id);
    this.categories.delete(c.id);
  }

  addCategoryUsedBy(id: string, entity: string): void {
    const c = this.category(id);
    if (!c.used_by.includes(entity)) c.used_by.push(entity);
  }

  removeCategoryUsedBy(id: string, entity: string): void {
    const c = this.category(id);
    c.used_by = c.used_by.filter((e) => e !== entity);
  }

  // ---- tags ----

  listTags(): string[] {
    return [...this.tags.keys()];
  }

  listTagsForCategory(categoryId: string): string[] {
    return this.tagsOf(this.category(categoryId).id).map((t) => t.id);
  }

  getTag(id: string): TagModel {
    return copyTag(this.tag(id));
  }

  createTag(spec: TagCreateSpec): string {
    const c = this.category(spec.category_id);
    this.checkName(spec.name, "tag");
    this.checkTagNameFree(c, spec.name);
    const id = `urn:vmomi:InventoryServiceTag:${this.ids.nextUuid("tagging-tag")}:GLOBAL`;
    this.tags.set(id, { id, category_id: c.id, name: spec.name, description: spec.description, used_by: [] });
    return id;
  }

  updateTag(id: string, spec: TagUpdateSpec): void {
    const t = this.tag(id);
    if (spec.name !== undefined && spec.name !== t.name) {
      this.checkName(spec.name, "tag");
      this.checkTagNameFree(this.category(t.category_id), spec.name);
    }
    if (spec.name !== undefined) t.name = spec.name;
    if (spec.description !== undefined) t.description = spec.description;
  }

  deleteTag(id: string): void {
    this.dropTag(this.tag(id).id);
  }

  addTagUsedBy(id: string, entity: string): void {
    const t = this.tag(id);
    if (!t.used_by.includes(entity)) t.used_by.push(entity);
  }

  removeTagUsedBy(id: string, entity: string): void {
    const t = this.tag(id);
    t.used_by = t.used_by.filter((e) => e !== entity);
  }

  // ---- associations ----

  /** Idempotent: attaching a tag an object already carries changes nothing. */
  attach(tagId: string, obj: DynamicId): void {
    const t = this.tag(tagId);
    this.checkObject(obj);
    this.attachChecked(t, obj);
  }

  /** Idempotent, as the API reference says: detaching a tag the object does not carry is no error. */
  detach(tagId: string, obj: DynamicId): void {
    const t = this.tag(tagId);
    this.checkObject(obj);
    this.detachChecked(t, obj);
  }

  listAttachedObjects(tagId: string): DynamicId[] {
    return this.objectsOf(this.tag(tagId).id).map((o) => ({ ...o }));
  }

  listAttachedTags(obj: DynamicId): string[] {
    this.checkObject(obj);
    return this.tagIdsOn(obj);
  }

  /** Not atomic, as on vCenter: each tag that fails is one message, the others are attached. */
  attachMultipleTagsToObject(obj: DynamicId, tagIds: string[]): BatchResult {
    this.checkObject(obj);
    return batch(tagIds, (id) => this.attachChecked(this.tag(id), obj));
  }

  detachMultipleTagsFromObject(obj: DynamicId, tagIds: string[]): BatchResult {
    this.checkObject(obj);
    return batch(tagIds, (id) => this.detachChecked(this.tag(id), obj));
  }

  attachTagToMultipleObjects(tagId: string, objs: DynamicId[]): BatchResult {
    const t = this.tag(tagId);
    return batch(objs, (o) => {
      this.checkObject(o);
      this.attachChecked(t, o);
    });
  }

  detachTagFromMultipleObjects(tagId: string, objs: DynamicId[]): BatchResult {
    const t = this.tag(tagId);
    return batch(objs, (o) => {
      this.checkObject(o);
      this.detachChecked(t, o);
    });
  }

  /** Tags that do not exist are left out of the answer rather than failing it (not confirmed against vCenter). */
  listAttachedObjectsOnTags(tagIds: string[]): { tag_id: string; object_ids: DynamicId[] }[] {
    return [...new Set(tagIds)].filter((id) => this.tags.has(id)).map((id) => ({ tag_id: id, object_ids: this.objectsOf(id).map((o) => ({ ...o })) }));
  }

  /** Objects not in the inventory are left out, as vCenter leaves out those the caller may not read. */
  listAttachedTagsOnObjects(objs: DynamicId[]): { object_id: DynamicId; tag_ids: string[] }[] {
    const seen = new Set<string>();
    const out: { object_id: DynamicId; tag_ids: string[] }[] = [];
    for (const o of objs) {
      const k = `${o.type}:${o.id}`;
      if (seen.has(k) || !this.objectExists(o)) continue;
      seen.add(k);
      out.push({ object_id: { type: o.type, id: o.id }, tag_ids: this.tagIdsOn(o) });
    }
    return out;
  }

  // ---- internals ----

  private category(id: string): CategoryModel {
    const c = this.categories.get(id);
    if (!c) throw new VapiError("not_found", "com.vmware.cis.tagging.objectNotFound", `Category with identifier ${id} does not exist.`, [id]);
    return c;
  }

  private tag(id: string): TagModel {
    const t = this.tags.get(id);
    if (!t) throw new VapiError("not_found", "com.vmware.cis.tagging.objectNotFound", `Tag with identifier ${id} does not exist.`, [id]);
    return t;
  }

  private tagsOf(categoryId: string): TagModel[] {
    return [...this.tags.values()].filter((t) => t.category_id === categoryId);
  }

  /** What a tag is attached to, less objects that have left the inventory. */
  private objectsOf(tagId: string): DynamicId[] {
    return (this.attached.get(tagId) ?? []).filter((o) => this.objectExists(o));
  }

  private tagIdsOn(obj: DynamicId): string[] {
    const out: string[] = [];
    for (const [tagId, objs] of this.attached) if (objs.some((o) => sameObject(o, obj))) out.push(tagId);
    return out;
  }

  private dropTag(id: string): void {
    this.tags.delete(id);
    this.attached.delete(id);
  }

  private checkName(name: string, what: "category" | "tag"): void {
    // Not confirmed against vCenter: the UI refuses an empty name, so the API is taken to as well.
    if (!name.trim()) throw new VapiError("invalid_argument", `com.vmware.cis.tagging.${what}.name.empty`, `The ${what} name must not be empty.`);
  }

  // Names compare exactly; whether vCenter ignores case here could not be confirmed.
  private checkCategoryNameFree(name: string): void {
    if ([...this.categories.values()].some((c) => c.name === name)) {
      throw new VapiError("already_exists", "com.vmware.cis.tagging.category.name.exists", `A category with name ${name} already exists.`, [name]);
    }
  }

  private checkTagNameFree(c: CategoryModel, name: string): void {
    if (this.tagsOf(c.id).some((t) => t.name === name)) {
      throw new VapiError("already_exists", "com.vmware.cis.tagging.tag.name.exists", `A tag with name ${name} already exists in category ${c.name}.`, [name, c.name]);
    }
  }

  /**
   * An object that is not in the inventory fails its privilege check on
   * vCenter, so the answer is unauthorized (403), which is what govmomi's
   * documentation of the batch calls reports from real vCenters.
   */
  private checkObject(obj: DynamicId): void {
    if (!this.objectExists(obj)) {
      throw new VapiError("unauthorized", "vapi.authorization.object.not.found", `Unable to authorize user: object ${obj.type}:${obj.id} was not found.`, [obj.type, obj.id]);
    }
  }

  private attachChecked(t: TagModel, obj: DynamicId): void {
    const c = this.category(t.category_id);
    if (c.associable_types.length && !c.associable_types.includes(obj.type)) {
      throw new VapiError("invalid_argument", "com.vmware.cis.tagging.tag.objectType.notAssociable",
        `Tag ${t.name} cannot be attached to ${obj.type} ${obj.id}: its category ${c.name} is for ${c.associable_types.join(", ")}.`, [t.id, obj.type, obj.id]);
    }
    const on = this.objectsOf(t.id);
    if (on.some((o) => sameObject(o, obj))) return;
    if (c.cardinality === "SINGLE") {
      const other = this.tagsOf(c.id).find((o) => o.id !== t.id && this.objectsOf(o.id).some((x) => sameObject(x, obj)));
      if (other) {
        throw new VapiError("invalid_argument", "com.vmware.cis.tagging.tag.cardinality.single",
          `${obj.type} ${obj.id} already carries tag ${other.name} of category ${c.name}, which allows one tag per object.`, [t.id, obj.type, obj.id]);
      }
    }
    // an association left behind by an object that has since gone is dropped on the way
    this.attached.set(t.id, [...on, { type: obj.type, id: obj.id }]);
  }

  private detachChecked(t: TagModel, obj: DynamicId): void {
    const objs = this.attached.get(t.id);
    if (!objs) return;
    const rest = objs.filter((o) => !sameObject(o, obj));
    if (rest.length) this.attached.set(t.id, rest);
    else this.attached.delete(t.id);
  }
}

function batch<T>(items: T[], each: (item: T) => void): BatchResult {
  const errors: LocalizableMessage[] = [];
  for (const item of items) {
    try {
      each(item);
    } catch (e) {
      if (!(e instanceof VapiError)) throw e;
      errors.push(e.localizable);
    }
  }
  return { success: errors.length === 0, error_messages: errors };
}
