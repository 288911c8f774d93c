// CustomFieldsManager: custom attribute definitions; values live on the
// entities (ManagedEntity.customValue / value).
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type SavedState } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

export class CustomFieldsManager extends ManagedObject {
  private nextKey = 100;
  constructor(sim: SimContext, value: string) {
    super(sim, "CustomFieldsManager", value);
    this.props.field = [];
  }

  override saveState(): SavedState & { nextKey: number } {
    return { ...super.saveState(), nextKey: this.nextKey };
  }

  override loadState(s: SavedState & { nextKey: number }): void {
    super.loadState(s);
    this.nextKey = s.nextKey;
  }

  fields(): (DataObject & { key: number; name: string; managedObjectType?: string })[] {
    return this.props.field as (DataObject & { key: number; name: string })[];
  }

  AddCustomFieldDef(args: Args): DataObject {
    const name = String(args.name);
    if (this.fields().some((f) => f.name === name && (f.managedObjectType ?? "") === (args.moType ?? ""))) throw new VimFault("DuplicateName", { name, object: this.ref });
    const def = {
      _type: "CustomFieldDef", key: this.nextKey++, name, type: "string", managedObjectType: args.moType,
      fieldDefPrivileges: args.fieldDefPolicy, fieldInstancePrivileges: args.fieldPolicy,
    };
    this.update({ field: [...this.fields(), def] });
    return def;
  }

  RemoveCustomFieldDef(args: Args): void {
    if (!this.fields().some((f) => f.key === args.key)) throw new VimFault("InvalidArgument", { invalidProperty: "key" });
    this.update({ field: this.fields().filter((f) => f.key !== args.key) });
    for (const o of this.sim.inventory.all()) {
      const vals = o.props.customValue as DataObject[] | undefined;
      if (vals?.some((v) => v.key === args.key)) o.update({ customValue: vals.filter((v) => v.key !== args.key), value: vals.filter((v) => v.key !== args.key) });
    }
  }

  RenameCustomFieldDef(args: Args): void {
    const f = this.fields().find((x) => x.key === args.key);
    if (!f) throw new VimFault("InvalidArgument", { invalidProperty: "key" });
    if (this.fields().some((x) => x.name === args.name && x !== f)) throw new VimFault("DuplicateName", { name: args.name, object: this.ref });
    this.update({ field: this.fields().map((x) => (x === f ? { ...f, name: args.name } : x)) });
  }

  SetField(args: Args): void {
    this.setValue(args.entity, Number(args.key), String(args.value));
  }

  setValue(entity: ManagedObjectReference, key: number, value: string): void {
    const o = this.sim.inventory.get(entity.value);
    if (!o) throw new VimFault("ManagedObjectNotFound", { obj: entity });
    const f = this.fields().find((x) => x.key === key);
    if (!f) throw new VimFault("InvalidArgument", { invalidProperty: "key" });
    if (f.managedObjectType && !o.isA(f.managedObjectType)) throw new VimFault("InvalidArgument", { invalidProperty: "entity" });
    const vals = ((o.props.customValue as DataObject[]) ?? []).filter((v) => v.key !== key);
    if (value !== "") vals.push({ _type: "CustomFieldStringValue", key, value });
    o.update({ customValue: vals, value: vals });
  }
}
