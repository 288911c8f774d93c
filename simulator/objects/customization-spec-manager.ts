// CustomizationSpecManager: vCenter's library of guest customization specs,
// kept by name (Terraform's and Ansible's clone workflows, and PowerCLI's
// OSCustomizationSpec, read and write them). Each save stamps a new
// changeVersion; an overwrite that names an older one is refused with
// ConcurrentAccess, as vpxd does when two clients edit the same spec.
// CustomizationSpecItemToXml and XmlToCustomizationSpecItem convert an item
// to and from the XML vCenter exports specs as (custom-spec-xml.ts);
// CheckCustomizationResources says whether vCenter can customize a guest.
import { VimFault, type DataObject } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type SavedState } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import { specItemToXml, xmlToSpecItem } from "./custom-spec-xml.ts";

// Windows releases without sysprep in the guest: vCenter needs Microsoft's
// sysprep files for them in its own sysprep folder, which this vCenter never has
const SYSPREP_FROM_VCENTER = /^(win2000|winXP|winNet)/;
// Windows too old for sysprep at all
const NO_SYSPREP = /^(win31|win95|win98|winMe|winNT)Guest$/;
const LINUX = /linux|^(rhel|centos|sles|suse|nld|oes|sjds|mandr|ubuntu|debian|asianux|opensuse|fedora|coreos|vmwarePhoton|redhat)/i;

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

  CustomizationSpecItemToXml(args: Args): string {
    const item = args.item as Item | undefined;
    if (!item?.info || !item.spec) throw new VimFault("InvalidArgument", { invalidProperty: "item" }, "A specified parameter was not correct: item");
    return specItemToXml(this.sim.schema, item);
  }

  XmlToCustomizationSpecItem(args: Args): DataObject {
    return xmlToSpecItem(this.sim.schema, String(args.specItemXml ?? ""));
  }

  /**
   * Whether vCenter holds what customizing `guestOs` takes. Linux needs
   * nothing on the server since vCenter 4; Windows 2000, XP and Server 2003
   * need sysprep files uploaded to vCenter (MissingWindowsCustResources);
   * guests customization does not know are UncustomizableGuest.
   */
  CheckCustomizationResources(args: Args): void {
    const guestOs = String(args.guestOs ?? "");
    const known = this.sim.schema.enumValues("VirtualMachineGuestOsIdentifier")!.includes(guestOs);
    // an id the guest OS table does not list: vpxd's answer is not confirmed, UncustomizableGuest as for a known one it cannot customize
    if (!known || NO_SYSPREP.test(guestOs) || !(/^win/.test(guestOs) || LINUX.test(guestOs))) {
      throw new VimFault("UncustomizableGuest", { uncustomizableGuestOS: guestOs }, `Customization of the guest operating system '${guestOs}' is not supported in this configuration.`);
    }
    if (SYSPREP_FROM_VCENTER.test(guestOs)) {
      throw new VimFault("MissingWindowsCustResources", {}, `Windows customization resources were not found on this server: the sysprep files for '${guestOs}' are missing.`);
    }
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
