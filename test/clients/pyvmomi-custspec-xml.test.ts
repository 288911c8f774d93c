// pyVmomi: CustomizationSpecManager's XML conversions on vCenter
// (CustomizationSpecItemToXml, XmlToCustomizationSpecItem) round-tripping a
// saved Linux spec and a Windows Sysprep item field by field, the shape of
// the <ConfigRoot> document vCenter exports, an import under a new name,
// malformed documents, and CheckCustomizationResources by guest.
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

const FAULTS = ["notXml", "empty", "wrongRoot", "wrongType", "unknownField", "badBoolean", "wrongIdentity", "unknownType", "missingName", "badEnum", "badNumber"];

describe("pyvmomi: customization spec XML and resources", () => {
  it("converts spec items to vCenter's XML and back, and checks customization resources", async () => {
    const out = await runPyvmomi("pyvmomi_custspec_xml.py", "vcenter-cluster");
    expect(out).toEqual({
      linux: {
        differences: [],
        fields: [
          "linux-web", "Web servers & <friends>", "Linux", true, "vim.vm.customization.LinuxPrep", "web01", true, "Europe/Berlin",
          ["10.0.0.53", "10.0.1.53"], ["vim.vm.customization.FixedIp", "vim.vm.customization.DhcpIpGenerator"], 64, null,
        ],
      },
      // every data object opens with its vmodl _type, fields in alphabetical order; arrays are _length, _type and <e id="i">
      document: {
        root: "ConfigRoot",
        type: "vim.CustomizationSpecItem",
        children: ["_type", "info", "spec"],
        info: ["_type", "changeVersion", "description", "lastUpdateTime", "name", "type"],
        spec: ["_type", "globalIPSettings", "identity", "nicSettingMap", "options"],
        specType: "vim.vm.customization.Specification",
        identity: "vim.vm.customization.LinuxPrep",
        hostName: ["vim.vm.customization.FixedName", "web01"],
        dns: ["2", "string[]", [["0", "10.0.0.53"], ["1", "10.0.1.53"]]],
        nics: [
          "2", "vim.vm.customization.AdapterMapping[]", "vim.vm.customization.AdapterMapping", "vim.vm.customization.IPSettings",
          "vim.vm.customization.FixedIp", "10.0.0.10", ["_type", "dnsDomain", "gateway", "ip", "ipV6Spec", "subnetMask"], "vim.vm.customization.DhcpIpGenerator",
        ],
        options: "vim.vm.customization.LinuxOptions",
        // to the second, in UTC: 2017-09-12T17:03:35Z
        time: true,
      },
      windows: {
        differences: [],
        fields: ["S3cret!", 110, "vim.vm.customization.PrefixNameGenerator", ["cmd /c echo one", "powershell -File C:\\setup.ps1"], "perServer", "shutdown", "", [1, -2, 127], null, null],
        // an empty string is an empty element; an unset field is no element
        paths: ["vim.vm.customization.Sysprep", "vim.vm.customization.Password", "vim.vm.customization.PrefixNameGenerator", "string[]", "byte[]", "", true, ""],
      },
      import: ["ok", true, []],
      malformed: Object.fromEntries(FAULTS.map((k) => [k, "InvalidArgument"])),
      malformedMessage: ["specItemXml", true],
      resources: {
        ubuntu64Guest: "ok", rhel7_64Guest: "ok", otherLinux64Guest: "ok", windows9_64Guest: "ok", windows9Server64Guest: "ok", winVistaGuest: "ok",
        // Windows without sysprep of its own: vCenter needs Microsoft's files, and has none
        winXPProGuest: "MissingWindowsCustResources", winNetStandardGuest: "MissingWindowsCustResources", win2000ServGuest: "MissingWindowsCustResources",
        win98Guest: "UncustomizableGuest", winNTGuest: "UncustomizableGuest", darwin64Guest: "UncustomizableGuest", solaris11_64Guest: "UncustomizableGuest",
        otherGuest: "UncustomizableGuest", noSuchGuest: "UncustomizableGuest",
      },
    });
  });
});
