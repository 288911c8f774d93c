// A CustomizationSpecItem as the XML vCenter exports and imports it
// (CustomizationSpecManager.CustomizationSpecItemToXml and
// XmlToCustomizationSpecItem; the vSphere Client's "Export" and "Import" of
// a spec, PowerCLI scripts that copy specs between vCenters): a <ConfigRoot>
// document where every data object opens with a <_type> element naming its
// vmodl type (vim.vm.customization.LinuxPrep), fields follow in alphabetical
// order, unset fields are left out, and an array is <_length>, <_type>
// (string[], vim.vm.customization.AdapterMapping[]) and one <e id="i"> per
// element. Shapes come from the vim25 schema, so every field of the item
// survives the round trip.
import { VimFault, escapeXml, parseXml, type DataObject, type XmlElement } from "../../vim25/soap/index.ts";
import { XSD_PRIMITIVES, type FieldDef, type Schema } from "../../vim25/schema/index.ts";

// vmodl names of the data types a spec item holds (pyVmomi's metadata: each type's vmodl name beside its WSDL name)
const VMODL: Record<string, string> = {
  CustomizationSpecItem: "vim.CustomizationSpecItem",
  CustomizationSpecInfo: "vim.CustomizationSpecInfo",
  CustomizationSpec: "vim.vm.customization.Specification",
  CustomizationAdapterMapping: "vim.vm.customization.AdapterMapping",
  CustomizationAutoIpV6Generator: "vim.vm.customization.AutoIpV6Generator",
  CustomizationCustomIpGenerator: "vim.vm.customization.CustomIpGenerator",
  CustomizationCustomIpV6Generator: "vim.vm.customization.CustomIpV6Generator",
  CustomizationCustomName: "vim.vm.customization.CustomNameGenerator",
  CustomizationDhcpIpGenerator: "vim.vm.customization.DhcpIpGenerator",
  CustomizationDhcpIpV6Generator: "vim.vm.customization.DhcpIpV6Generator",
  CustomizationFixedIp: "vim.vm.customization.FixedIp",
  CustomizationFixedIpV6: "vim.vm.customization.FixedIpV6",
  CustomizationFixedName: "vim.vm.customization.FixedName",
  CustomizationGlobalIPSettings: "vim.vm.customization.GlobalIPSettings",
  CustomizationGuiRunOnce: "vim.vm.customization.GuiRunOnce",
  CustomizationGuiUnattended: "vim.vm.customization.GuiUnattended",
  CustomizationIPSettings: "vim.vm.customization.IPSettings",
  CustomizationIPSettingsIpV6AddressSpec: "vim.vm.customization.IPSettings.IpV6AddressSpec",
  CustomizationIdentification: "vim.vm.customization.Identification",
  CustomizationIdentitySettings: "vim.vm.customization.IdentitySettings",
  CustomizationIpGenerator: "vim.vm.customization.IpGenerator",
  CustomizationIpV6Generator: "vim.vm.customization.IpV6Generator",
  CustomizationLicenseFilePrintData: "vim.vm.customization.LicenseFilePrintData",
  CustomizationLinuxOptions: "vim.vm.customization.LinuxOptions",
  CustomizationLinuxPrep: "vim.vm.customization.LinuxPrep",
  CustomizationName: "vim.vm.customization.NameGenerator",
  CustomizationOptions: "vim.vm.customization.Options",
  CustomizationPassword: "vim.vm.customization.Password",
  CustomizationPrefixName: "vim.vm.customization.PrefixNameGenerator",
  CustomizationStatelessIpV6Generator: "vim.vm.customization.StatelessIpV6Generator",
  CustomizationSysprep: "vim.vm.customization.Sysprep",
  CustomizationSysprepText: "vim.vm.customization.SysprepText",
  CustomizationUnknownIpGenerator: "vim.vm.customization.UnknownIpGenerator",
  CustomizationUnknownIpV6Generator: "vim.vm.customization.UnknownIpV6Generator",
  CustomizationUnknownName: "vim.vm.customization.UnknownNameGenerator",
  CustomizationUserData: "vim.vm.customization.UserData",
  CustomizationVirtualMachineName: "vim.vm.customization.VirtualMachineNameGenerator",
  CustomizationWinOptions: "vim.vm.customization.WinOptions",
};
const WSDL = new Map(Object.entries(VMODL).map(([w, v]) => [v, w]));

/** The fields a document carries: DynamicData's own (dynamicType, dynamicProperty) never appear in vCenter's. */
function fieldsOf(schema: Schema, type: string): FieldDef[] {
  return schema.fields(type).filter((f) => f.name !== "dynamicType" && f.name !== "dynamicProperty");
}

function primitiveText(type: string, v: unknown): string {
  // vCenter writes times to the second, in UTC ("2017-09-12T17:03:35Z")
  if (type === "dateTime") return (v instanceof Date ? v : new Date(String(v))).toISOString().replace(/\.\d+Z$/, "Z");
  return String(v);
}

function element(name: string, body: string[], indent: string, attrs = ""): string[] {
  return body.length ? [`${indent}<${name}${attrs}>`, ...body, `${indent}</${name}>`] : [`${indent}<${name}${attrs}/>`];
}

function valueLines(schema: Schema, name: string, type: string, v: unknown, indent: string, attrs = ""): string[] {
  if (schema.isDataType(type)) return element(name, objectBody(schema, v as DataObject, `${indent}  `), indent, attrs);
  const t = escapeXml(primitiveText(type, v));
  return [t === "" ? `${indent}<${name}${attrs}/>` : `${indent}<${name}${attrs}>${t}</${name}>`];
}

function objectBody(schema: Schema, obj: DataObject, indent: string): string[] {
  const lines = [`${indent}<_type>${VMODL[obj._type] ?? obj._type}</_type>`];
  const fields = [...fieldsOf(schema, obj._type)].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const f of fields) {
    const v = obj[f.name];
    if (v === undefined || v === null) continue;
    if (f.array) {
      const items = v as unknown[];
      const elementType = schema.isDataType(f.type) ? VMODL[f.type] ?? f.type : f.type;
      lines.push(...element(f.name, [
        `${indent}  <_length>${items.length}</_length>`,
        `${indent}  <_type>${elementType}[]</_type>`,
        ...items.flatMap((item, i) => valueLines(schema, "e", f.type, item, `${indent}  `, ` id="${i}"`)),
      ], indent));
    } else {
      lines.push(...valueLines(schema, f.name, f.type, v, indent));
    }
  }
  return lines;
}

/** The item as the document vCenter writes. */
export function specItemToXml(schema: Schema, item: DataObject): string {
  return ["<ConfigRoot>", ...objectBody(schema, item, "  "), "</ConfigRoot>", ""].join("\n");
}

// What vpxd answers for a document it cannot read is not confirmed: InvalidArgument naming the parameter, with the reason.
function unreadable(reason: string): VimFault {
  return new VimFault("InvalidArgument", { invalidProperty: "specItemXml" }, `A specified parameter was not correct: specItemXml (${reason})`);
}

const typeText = (e: XmlElement) => e.children.find((c) => c.local === "_type")?.text.trim();

function readPrimitive(schema: Schema, type: string, raw: string, where: string): unknown {
  const t = raw.trim();
  switch (type) {
    case "string": case "anyURI":
      return raw;
    case "boolean":
      if (t === "true" || t === "1") return true;
      if (t === "false" || t === "0") return false;
      throw unreadable(`${where}: "${t}" is not a boolean`);
    case "byte": case "short": case "int": case "long": {
      if (!/^-?\d+$/.test(t)) throw unreadable(`${where}: "${t}" is not an integer`);
      return Number(t);
    }
    case "float": case "double": {
      const n = Number(t);
      if (t === "" || Number.isNaN(n)) throw unreadable(`${where}: "${t}" is not a number`);
      return n;
    }
    case "dateTime": {
      const d = new Date(t);
      if (!/^\d{4}-\d\d-\d\dT/.test(t) || Number.isNaN(d.getTime())) throw unreadable(`${where}: "${t}" is not a time`);
      return d;
    }
    default: {
      const values = schema.enumValues(type);
      if (values) {
        if (!values.includes(t)) throw unreadable(`${where}: "${t}" is not a ${type}`);
        return t;
      }
      if (XSD_PRIMITIVES.has(type)) return raw;
      throw unreadable(`${where}: values of type ${type} cannot be read`);
    }
  }
}

function readValue(schema: Schema, declared: string, e: XmlElement, where: string): unknown {
  if (!schema.isDataType(declared)) return readPrimitive(schema, declared, e.text, where);
  const written = typeText(e);
  const type = written === undefined ? declared : WSDL.get(written);
  if (!type || !schema.isA(type, declared)) throw unreadable(`${where}: ${written} is not a ${VMODL[declared] ?? declared}`);
  return readObject(schema, type, e, where);
}

function readObject(schema: Schema, type: string, e: XmlElement, where: string): DataObject {
  const obj: DataObject = { _type: type };
  for (const c of e.children) {
    if (c.local === "_type") continue;
    const f = schema.field(type, c.local);
    if (!f || f.name === "dynamicType" || f.name === "dynamicProperty") throw unreadable(`${where}: ${VMODL[type] ?? type} has no field ${c.local}`);
    if (c.local in obj) throw unreadable(`${where}/${c.local} appears twice`);
    const path = `${where}/${c.local}`;
    obj[c.local] = f.array
      ? c.children.filter((x) => x.local === "e").map((x, i) => readValue(schema, f.type, x, `${path}[${i}]`))
      : readValue(schema, f.type, c, path);
  }
  for (const f of fieldsOf(schema, type)) {
    if (!f.optional && !f.array && obj[f.name] === undefined) throw unreadable(`${where}: ${VMODL[type] ?? type} needs ${f.name}`);
  }
  return obj;
}

/** The item a document of specItemToXml's form describes; InvalidArgument for anything else, nothing half-read. */
export function xmlToSpecItem(schema: Schema, xml: string): DataObject {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (e) {
    throw unreadable(`not XML: ${(e as Error).message}`);
  }
  if (root.local !== "ConfigRoot") throw unreadable(`the root element is <${root.local}>, not <ConfigRoot>`);
  if (typeText(root) !== VMODL.CustomizationSpecItem) throw unreadable(`the document holds ${typeText(root) ?? "no _type"}, not ${VMODL.CustomizationSpecItem}`);
  return readObject(schema, "CustomizationSpecItem", root, "ConfigRoot");
}
