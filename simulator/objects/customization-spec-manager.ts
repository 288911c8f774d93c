// CustomizationSpecManager: vCenter's library of guest customization specs,
// kept by name (Terraform's and Ansible's clone workflows, and PowerCLI's
// OSCustomizationSpec, read and write them). Each save stamps a new
// changeVersion; an overwrite that names an older one is refused with
// ConcurrentAccess, as vpxd does when two clients edit the same spec.
import { VimFault, type DataObject } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type SavedState } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

type Item = DataObject & { info: DataObject & { name: string; changeVersion?: string }; spec: DataObject };

export class CustomizationSpecManager extends ManagedObject {
  /** the specs by name, in the order they were made */
  private items = new Map<string, Item>();
  private saves = 0;

  constructor(sim: SimContext, value: string) {
    super(sim, "CustomizationSpecManager", value);
    // the public key clients encrypt passwords with; a fixed one per simulator
    const key = sim.ids.hex("customization", "encryptionKey", 64);
    Object.assign(this.props, { info: [], encryptionKey: [...Buffer.from(key, "hex")].map((b) => (b > 127 ? b - 256 : b)) });
  }

  private publish(): void {
    this.update({ info: [...this.items.values()].map((i) => i.info) });
  }

  private find(name: unknown): Item {
    const item = this.items.get(String(name));
    if (!item) throw new VimFault("NotFound", {}, `The customization specification ${String(name)} was not found.`);
    return item;
  }

  private taken(name: string): void {
    if (this.items.has(name)) throw new VimFault("AlreadyExists", { name }, `The specified key, name, or identifier '${name}' already exists.`);
  }

  /** A copy of `item` as saved now: a fresh changeVersion and update time. */
  private stamp(item: Item, name = item.info.name): Item {
    return { ...item, info: { ...item.info, name, changeVersion: String(++this.saves), lastUpdateTime: this.sim.clock.now() } };
  }

  private checked(args: Args): Item {
    const item = args.item as Item | undefined;
    const name = item?.info?.name;
    if (!item?.spec || typeof name !== "string" || !name.trim()) throw new VimFault("InvalidArgument", { invalidProperty: "item.info.name" }, "A customization specification needs a name.");
    return item;
  }

  DoesCustomizationSpecExist(args: Args): boolean {
    return this.items.has(String(args.name));
  }

  GetCustomizationSpec(args: Args): Item {
    return this.find(args.name);
  }

  CreateCustomizationSpec(args: Args): void {
    const item = this.checked(args);
    this.taken(item.info.name);
    this.items.set(item.info.name, this.stamp(item));
    this.publish();
  }

  OverwriteCustomizationSpec(args: Args): void {
    const item = this.checked(args);
    const current = this.find(item.info.name);
    if (item.info.changeVersion !== undefined && item.info.changeVersion !== current.info.changeVersion) {
      throw new VimFault("ConcurrentAccess", {}, `The customization specification ${item.info.name} was changed by someone else (version ${String(current.info.changeVersion)}, not ${item.info.changeVersion}).`);
    }
    this.items.set(item.info.name, this.stamp(item));
    this.publish();
  }

  DeleteCustomizationSpec(args: Args): void {
    this.find(args.name);
    this.items.delete(String(args.name));
    this.publish();
  }

  DuplicateCustomizationSpec(args: Args): void {
    const item = this.find(args.name);
    const newName = String(args.newName ?? "");
    this.taken(newName);
    this.items.set(newName, this.stamp(item, newName));
    this.publish();
  }

  RenameCustomizationSpec(args: Args): void {
    const item = this.find(args.name);
    const newName = String(args.newName ?? "");
    this.taken(newName);
    this.items = new Map([...this.items].map(([k, v]) => (k === item.info.name ? [newName, this.stamp(v, newName)] : [k, v])));
    this.publish();
  }

  override saveState(): SavedState & { items: Map<string, Item>; saves: number } {
    return { ...super.saveState(), items: new Map(this.items), saves: this.saves };
  }

  override loadState(s: SavedState & { items: Map<string, Item>; saves: number }): void {
    super.loadState(s);
    this.items = new Map(s.items);
    this.saves = s.saves;
  }
}
