// OptionManager: hostd's HostAgentSettings / vpxd's VpxSettings and a
// host's advanced options. The session timeout option really sets it.
import { VimFault, type DataObject } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type SavedState } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

export const SESSION_TIMEOUT_OPTION = "config.vmacore.soap.sessionTimeout";

export class OptionManager extends ManagedObject {
  constructor(sim: SimContext, value: string, settings: Record<string, string | number | boolean>, private readonly onChange?: (key: string, value: unknown) => void) {
    super(sim, "OptionManager", value);
    this.props.setting = Object.entries(settings).map(([key, v]) => ({ _type: "OptionValue", key, value: v }));
    this.props.supportedOption = Object.entries(settings).map(([key, v]) => ({
      _type: "OptionDef", key, label: key, summary: key,
      optionType: typeof v === "number"
        ? { _type: "LongOption", valueIsReadonly: false, min: 0, max: 2 ** 31 - 1, defaultValue: v }
        : typeof v === "boolean" ? { _type: "BoolOption", valueIsReadonly: false, supported: true, defaultValue: v }
        : { _type: "StringOption", valueIsReadonly: false, defaultValue: v },
    }));
  }

  // what a setting drives (the session timeout) goes back with it
  override loadState(s: SavedState): void {
    const before = new Map((this.props.setting as DataObject[]).map((o) => [o.key, o.value]));
    super.loadState(s);
    for (const o of this.props.setting as DataObject[]) if (before.get(o.key) !== o.value) this.onChange?.(String(o.key), o.value);
  }

  QueryOptions(args: Args): DataObject[] {
    const all = this.props.setting as DataObject[];
    const name = args.name as string | undefined;
    if (!name) return all;
    const out = name.endsWith(".") ? all.filter((o) => (o.key as string).startsWith(name)) : all.filter((o) => o.key === name);
    if (!out.length) throw new VimFault("InvalidName", { name }, `Invalid name: ${name}`);
    return out;
  }

  UpdateOptions(args: Args): void {
    const all = [...(this.props.setting as DataObject[])];
    for (const ch of args.changedValue as DataObject[]) {
      const i = all.findIndex((o) => o.key === ch.key);
      if (i < 0) {
        if (!String(ch.key).startsWith("guestinfo.") && !this.sim.isVCenter) throw new VimFault("InvalidName", { name: ch.key }, `Invalid name: ${ch.key}`);
        all.push({ _type: "OptionValue", key: ch.key, value: ch.value });
      } else all[i] = { _type: "OptionValue", key: ch.key, value: ch.value };
      this.onChange?.(String(ch.key), ch.value);
    }
    this.update({ setting: all });
  }
}
