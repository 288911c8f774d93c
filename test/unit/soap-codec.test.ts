import { describe, expect, it } from "vitest";
import { vim25Schema } from "../../vim25/schema/index.ts";
import {
  Decoder, Encoder, Typed, VimFault, decodeCall, encodeFault, encodeResponse, moref, parseEnvelope, parseXml,
} from "../../vim25/soap/index.ts";

const schema = vim25Schema();
const NS = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="urn:vim25"';

function roundTrip(value: unknown, type: string, array = false): unknown {
  const out: string[] = [];
  new Encoder(schema).element(out, "v", value, { type, array });
  const xml = `<root ${NS}>${out.join("")}</root>`;
  const root = parseXml(xml);
  const dec = new Decoder(schema);
  if (array) return root.children.map((c) => dec.value(c, { type }));
  return dec.value(root.children[0], { type });
}

describe("vim25 schema", () => {
  it("knows the generated types", () => {
    expect(schema.dataTypeNames().length).toBeGreaterThan(2500);
    expect(schema.enumNames().length).toBeGreaterThan(350);
    expect(schema.fields("VirtualMachineConfigSpec").map((f) => f.name)).toContain("extraConfig");
    expect(schema.isA("VirtualVmxnet3", "VirtualEthernetCard")).toBe(true);
    expect(schema.isA("InvalidLogin", "MethodFault")).toBe(true);
    expect(schema.method("VirtualMachine", "Destroy_Task")).toBeDefined();
    expect(schema.property("VirtualMachine", "name")?.type).toBe("string");
    expect(schema.method("Folder", "CreateVM_Task")?.taskResult?.ref).toBe("VirtualMachine");
  });
});

describe("SOAP codec round trips", () => {
  it("data objects with nested polymorphic values", () => {
    const spec = {
      _type: "VirtualMachineConfigSpec",
      name: "vm & <one>",
      numCPUs: 2,
      memoryMB: 512,
      files: { _type: "VirtualMachineFileInfo", vmPathName: "[ds1] vm/vm.vmx" },
      deviceChange: [
        {
          _type: "VirtualDeviceConfigSpec",
          operation: "add",
          device: {
            _type: "VirtualVmxnet3",
            key: -100,
            backing: { _type: "VirtualEthernetCardNetworkBackingInfo", deviceName: "VM Network" },
            addressType: "generated",
          },
        },
      ],
      extraConfig: [
        { _type: "OptionValue", key: "guestinfo.a", value: "x" },
        { _type: "OptionValue", key: "n", value: new Typed({ type: "long" }, 5000000000) },
      ],
    };
    expect(roundTrip(spec, "VirtualMachineConfigSpec")).toEqual({ ...spec, extraConfig: [spec.extraConfig[0], { ...spec.extraConfig[1], value: 5000000000 }] });
  });

  it("primitives, enums, dates, binary and morefs", () => {
    expect(roundTrip(true, "boolean")).toBe(true);
    expect(roundTrip(-7, "int")).toBe(-7);
    expect(roundTrip(2 ** 40, "long")).toBe(2 ** 40);
    expect(roundTrip(1.5, "double")).toBe(1.5);
    expect(roundTrip("poweredOn", "VirtualMachinePowerState")).toBe("poweredOn");
    const d = new Date("2016-06-01T12:00:00.000Z");
    expect(roundTrip(d, "dateTime")).toEqual(d);
    expect(roundTrip(Buffer.from("hi"), "base64Binary")).toEqual(Buffer.from("hi"));
    expect(roundTrip(moref("VirtualMachine", "vm-1"), "ManagedObjectReference")).toEqual(moref("VirtualMachine", "vm-1"));
    expect(roundTrip(["a", "b"], "string", true)).toEqual(["a", "b"]);
  });

  it("anyType with ArrayOf wrappers", () => {
    const out: string[] = [];
    new Encoder(schema).element(out, "val", new Typed({ type: "ManagedObjectReference", array: true }, [moref("Folder", "f1"), moref("Folder", "f2")]), { type: "anyType" });
    expect(out.join("")).toBe('<val xsi:type="ArrayOfManagedObjectReference"><ManagedObjectReference type="Folder">f1</ManagedObjectReference><ManagedObjectReference type="Folder">f2</ManagedObjectReference></val>');
    expect(roundTrip(new Typed({ type: "string", array: true }, ["x", "y"]), "anyType")).toEqual(["x", "y"]);
    expect(roundTrip("plain", "anyType")).toBe("plain");
    expect(roundTrip({ _type: "AboutInfo", name: "VMware ESXi", fullName: "f", vendor: "v", version: "6.0.0", build: "1", localeVersion: "INTL", localeBuild: "000", osType: "vmnix-x86", productLineId: "embeddedEsx", apiType: "HostAgent", apiVersion: "6.0" }, "anyType"))
      .toMatchObject({ _type: "AboutInfo", apiVersion: "6.0" });
  });

  it("round-trips every enum's first value and a sample of data types with their required primitives", () => {
    for (const name of schema.enumNames()) {
      const values = schema.enumValues(name)!;
      if (values.length) expect(roundTrip(values[0], name)).toBe(values[0]);
    }
    let checked = 0;
    for (const name of schema.dataTypeNames()) {
      const obj: Record<string, unknown> = { _type: name };
      let ok = true;
      for (const f of schema.fields(name)) {
        const sample = ({ string: "s", int: 1, long: 2, short: 3, byte: 4, boolean: true, double: 0.5, float: 0.25 } as Record<string, unknown>)[f.type];
        if (sample === undefined) { if (!f.optional) ok = false; continue; }
        obj[f.name] = f.array ? [sample, sample] : sample;
      }
      if (!ok) continue;
      expect(roundTrip(obj, name)).toEqual(obj);
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
  });
});

describe("requests and faults", () => {
  it("decodes a RetrievePropertiesEx call", () => {
    const body = `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ${NS.replace('xmlns="urn:vim25"', "")}>
      <soapenv:Body><RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">ha-property-collector</_this>
      <specSet><propSet><type>VirtualMachine</type><all>false</all><pathSet>name</pathSet><pathSet>runtime.powerState</pathSet></propSet>
      <objectSet><obj type="Folder">ha-folder-root</obj><skip>false</skip><selectSet xsi:type="TraversalSpec"><name>t</name><type>Folder</type><path>childEntity</path><skip>false</skip><selectSet><name>t</name></selectSet></selectSet></objectSet></specSet>
      <options><maxObjects>10</maxObjects></options></RetrievePropertiesEx></soapenv:Body></soapenv:Envelope>`;
    const call = parseEnvelope(body);
    expect(call.local).toBe("RetrievePropertiesEx");
    const args = decodeCall(schema, call, schema.method("PropertyCollector", "RetrievePropertiesEx")!.params);
    const spec = (args.specSet as any[])[0];
    expect(spec.propSet[0].pathSet).toEqual(["name", "runtime.powerState"]);
    expect(spec.objectSet[0].selectSet[0]._type).toBe("TraversalSpec");
    expect(spec.objectSet[0].selectSet[0].selectSet[0]).toEqual({ _type: "SelectionSpec", name: "t" });
    expect(args.options).toEqual({ _type: "RetrieveOptions", maxObjects: 10 });
  });

  it("rejects malformed and ill-typed input as InvalidRequest", () => {
    const bad = [
      "<not xml",
      "<a/>",
      `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>`,
    ];
    for (const b of bad) {
      try { parseEnvelope(b); expect.unreachable(); } catch (e) { expect((e as VimFault).type).toBe("InvalidRequest"); }
    }
    const wrongType = parseEnvelope(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">pc</_this><specSet><propSet><type>X</type><all>maybe</all></propSet></specSet></RetrievePropertiesEx></soapenv:Body></soapenv:Envelope>`);
    expect(() => decodeCall(schema, wrongType, schema.method("PropertyCollector", "RetrievePropertiesEx")!.params)).toThrow(/not a boolean/);
    const missing = parseEnvelope(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><Login xmlns="urn:vim25"><_this type="SessionManager">s</_this><userName>root</userName></Login></soapenv:Body></soapenv:Envelope>`);
    expect(() => decodeCall(schema, missing, schema.method("SessionManager", "Login")!.params)).toThrow(/password/);
  });

  it("encodes responses and typed fault details", () => {
    const resp = encodeResponse(schema, "CurrentTime", new Date(0), { type: "dateTime" });
    expect(resp).toContain("<CurrentTimeResponse xmlns=\"urn:vim25\"><returnval>1970-01-01T00:00:00.000Z</returnval></CurrentTimeResponse>");
    const f = encodeFault(schema, new VimFault("InvalidArgument", { invalidProperty: "name" }));
    expect(f).toContain("<faultcode>ServerFaultCode</faultcode>");
    expect(f).toContain('<InvalidArgumentFault xmlns="urn:vim25" xsi:type="InvalidArgument"><invalidProperty>name</invalidProperty></InvalidArgumentFault>');
    parseXml(f); // well-formed
  });
});
