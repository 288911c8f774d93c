// pyVmomi: OvfManager.ParseDescriptor and ValidateHost before an import, on
// ESXi and on vCenter: the simulator's own export of a VM, a hand-written
// appliance (product, vApp properties, EULA, deployment options, IP
// assignment), a vApp, virtual hardware the host cannot run, unknown
// sections, and malformed descriptors reported in the result's error list.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

const MiB = 1024 * 1024;
const PROVISIONING = ["thin", "thick", "eagerZeroedThick"];
const NO_OPTIONS = { product: null, options: [], defaultOption: "", entityName: [], error: [], warning: [] };

function expected(hostName: string) {
  return {
    exported: {
      defaultEntityName: "parse-src", virtualApp: false, annotation: "exported for parsing",
      network: [["VM Network", "The VM Network network"]], eula: [], ip: [[], []],
      // the file size and populated size the export was described with, and the disk's capacity
      sizes: [3 * MiB, 48 * MiB, 5 * MiB], property: [], ...NO_OPTIONS,
    },
    exportedOnHost: { sizes: [3 * MiB, 48 * MiB, 5 * MiB], provisioning: PROVISIONING, error: [], warning: [] },
    appliance: {
      defaultEntityName: "Appliance", virtualApp: false, annotation: "Deploy me",
      network: [["Management", "The management network"], ["Data", "Traffic"]],
      eula: ["Use at your own risk."],
      ip: [["ovfenv", "dhcp"], ["IPv4", "IPv6"]],
      sizes: [100 * MiB + 2048, 2048 * MiB, 300 * MiB],
      // [key, classId, instanceId, id, category, label, type, userConfigurable, defaultValue, value, description]
      property: [
        [0, "com.example.app", "1", "hostname", "Networking", "Host name", "string(1..64)", true, "app01", null, "The appliance host name"],
        [1, "com.example.app", "1", "ip0", "Networking", "IP address", "ip", true, "", null, null],
        [2, "com.example.app", "1", "mode", "Networking", null, 'string["dhcp", "static"]', true, "dhcp", null, null],
        [3, "com.example.app", "1", "root_password", "Application", "Root password", "password", true, "", null, null],
        [4, "com.example.app", "1", "ssh", "Application", null, "boolean", true, "false", null, null],
        [5, "com.example.app", "1", "workers", "Application", null, "int(1..16)", true, "8", null, null],
        [6, "com.example.app", "1", "build", "Application", null, "string", false, "4711", null, null],
      ],
      product: [0, "com.example.app", "1", "Example Appliance", "Example Inc.", "2.1", "2.1.0-4711", "https://example.com", "https://example.com/app", "https://${vami.ip0.Appliance}/"],
      options: [["small", "Small", "For a lab"], ["large", "Large", "For production"]],
      defaultOption: "large", entityName: [], error: [], warning: [],
    },
    // the option asked for picks its values; the default stays the package's
    applianceSmall: ["large", [["hostname", "app01"], ["ip0", ""], ["mode", "dhcp"], ["root_password", ""], ["ssh", "false"], ["workers", "2"], ["build", "4711"]], []],
    applianceHuge: ["large", [["InvalidArgument", "pdp.deploymentOption"]]],
    applianceOnHost: { sizes: [100 * MiB + 2048, 2048 * MiB, 300 * MiB], provisioning: PROVISIONING, error: [], warning: [] },
    vapp: {
      defaultEntityName: "Shop", virtualApp: true, annotation: "", network: [["VM Network", "Front end"]],
      eula: ["Shop license", "Database license"], ip: [[], []], sizes: [0, 0, 0], property: [],
      ...NO_OPTIONS, entityName: [["Web server", "web"], ["Backend", "backend"], ["db", "backend/db"]],
    },
    // vmx-08 runs; "vmx-07 vmx-13" runs as vmx-07
    vappOnHost: { sizes: [0, 0, 0], provisioning: PROVISIONING, error: [], warning: [] },
    // hardware is the host's business: ParseDescriptor does not judge it
    newHardware: [[], [["VirtualHardwareVersionNotSupported", hostName]]],
    eitherHardware: [],
    unknownSections: [
      [["OvfUnsupportedSection", 0, "QuantumSection", "Needs a quantum host"]],
      [["OvfUnsupportedSection", 0, "FancySection", "Optional extras"]],
      [["OvfUnsupportedSection", 0, "QuantumSection", "Needs a quantum host"]],
    ],
    badPropertyType: [[["OvfPropertyType", 0, "datetime", "when"]], ["ok"]],
    malformed: {
      notXml: [["OvfXmlFormat", 3]],
      wrongRoot: [["OvfWrongElement", 0, "Package"]],
      wrongNamespace: [["OvfWrongNamespace", 0, "http://example.com/not-ovf"]],
      noVirtualSystem: [["OvfMissingElement", 0, "VirtualSystem"]],
      noHardware: [["OvfMissingElement", 0, "VirtualHardwareSection"]],
      empty: [["OvfXmlFormat", 1]],
      onHost: [["OvfXmlFormat", 3]],
    },
    noSuchHost: "ManagedObjectNotFound",
  };
}

describe("pyvmomi: OVF ParseDescriptor and ValidateHost", () => {
  it("parses and validates packages on an ESXi 6.0 host", async () => {
    expect(await runPyvmomi("pyvmomi_ovf_parse.py", "homelab")).toEqual(expected("esxi01.think-v.com"));
  });

  it("parses and validates packages against a vCenter's host", async () => {
    expect(await runPyvmomi("pyvmomi_ovf_parse.py", "vcenter-cluster")).toEqual(expected("esx4.example.com"));
  });
});
