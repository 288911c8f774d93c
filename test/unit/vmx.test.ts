import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VmxFile, VmxParseError, escapeVmxValue, unescapeVmxValue } from "../../simulator/formats/vmx.ts";
import {
  fromVmxUuid, generatedMac, guestIdFromVmx, isExtraConfigKey, pciSlotOrder, readVmx, toVmxUuid, vmNetworks,
  vmxGuestOs, vmxPaths, vpxMac, writeVmx, type VmConfigInfo, type VmxContext, type VmxDevice,
} from "../../simulator/formats/vmx-config.ts";
import { vim25Schema } from "../../vim25/schema/index.ts";
import { moref, type DataObject } from "../../vim25/soap/values.ts";

// ------------------------------------------------------------------ fixtures

const CONTAINER_ID = "2cf7f483bf6e7f32daa53f51ca388d5fb153f78d3a74d313318099086638ad58";
const VOLUMES = [{ name: "mydatastore", uuid: "d37f7a1b-0ab13c48" }, { name: "datastore2", uuid: "5a1b2c3d-11223344" }];
const NETWORKS: Record<string, string> = { "VM Network": "network-7", "VCH Bridge": "network-12" };

function ctxFor(vmDirectory: string, extra: Partial<VmxContext> = {}): VmxContext {
  return {
    vmDirectory,
    ...vmxPaths(vmDirectory, VOLUMES),
    networkByName: (name) => (NETWORKS[name] ? moref("Network", NETWORKS[name]!) : undefined),
    portgroupByKey: (_uuid, key) => moref("DistributedVirtualPortgroup", key),
    datastoreByName: (name) => (VOLUMES.some((v) => v.name === name) ? moref("Datastore", `datastore-${name}`) : undefined),
    isVCenter: false,
    ...extra,
  };
}

const connect = (over: Partial<{ startConnected: boolean; allowGuestControl: boolean }> = {}) => ({
  _type: "VirtualDeviceConnectInfo", startConnected: true, allowGuestControl: true, connected: false, ...over,
});
const netBacking = (name: string) => ({ _type: "VirtualEthernetCardNetworkBackingInfo", deviceName: name, useAutoDetect: false, network: moref("Network", NETWORKS[name]!) });
const option = (key: string, value: string) => ({ _type: "OptionValue", key, value });

/** The appliance VM as vic-machine 0.4 creates it on ESXi (vic.md §1.4): pvscsi, one vmxnet3 per network, appliance.iso. */
function applianceConfig(pinSlots: boolean): VmConfigInfo {
  const slot = (n: number) => (pinSlots ? { slotInfo: { _type: "VirtualDevicePciBusSlotInfo", pciSlotNumber: n } } : {});
  return {
    _type: "VirtualMachineConfigInfo",
    name: "VCH001",
    guestId: "other3xLinux64Guest",
    version: "vmx-11",
    uuid: "564d8c2e-3f1a-9b07-5d21-c4e0771f3a90",
    files: { _type: "VirtualMachineFileInfo", vmPathName: "[mydatastore] VCH001/VCH001.vmx" },
    hardware: {
      _type: "VirtualHardware",
      numCPU: 1,
      memoryMB: 2048,
      device: [
        { _type: "VirtualIDEController", key: 200, busNumber: 0, device: [3000] },
        { _type: "ParaVirtualSCSIController", key: 1000, controllerKey: 100, busNumber: 0, sharedBus: "noSharing" },
        { _type: "VirtualVmxnet3", key: 4000, controllerKey: 100, unitNumber: 7, backing: netBacking("VM Network"), connectable: connect(), addressType: "generated", ...slot(192) },
        { _type: "VirtualVmxnet3", key: 4001, controllerKey: 100, unitNumber: 8, backing: netBacking("VCH Bridge"), connectable: connect(), addressType: "generated", ...slot(224) },
        { _type: "VirtualCdrom", key: 3000, controllerKey: 200, unitNumber: 0, backing: { _type: "VirtualCdromIsoBackingInfo", fileName: "[mydatastore] VCH001/appliance.iso" }, connectable: connect() },
      ],
    },
    extraConfig: [
      option("guestinfo./init/common/name", "VCH001"),
      option("guestinfo..init.sessions|port-layer.started", "true"),
    ],
  };
}

/** A container VM as the 0.4/0.5 port layer creates it (vic.md §6, §8) for `docker run hello-world`. */
function containerConfig(): VmConfigInfo {
  const dir = `[mydatastore] ${CONTAINER_ID}`;
  return {
    _type: "VirtualMachineConfigInfo",
    name: CONTAINER_ID,
    guestId: "other3xLinux64Guest",
    version: "vmx-11",
    uuid: "564d1c0f-77aa-42b1-9e3c-0d5a6f7b8c21",
    annotation: "",
    template: false,
    files: { _type: "VirtualMachineFileInfo", vmPathName: `${dir}/${CONTAINER_ID}.vmx` },
    hardware: {
      _type: "VirtualHardware",
      numCPU: 2,
      numCoresPerSocket: 1,
      memoryMB: 2048,
      device: [
        { _type: "ParaVirtualSCSIController", key: 1000, controllerKey: 100, unitNumber: 3, busNumber: 0, sharedBus: "noSharing", device: [2000] },
        {
          _type: "VirtualDisk", key: 2000, controllerKey: 1000, unitNumber: 0, capacityInKB: 8388608,
          backing: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: `${dir}/${CONTAINER_ID}.vmdk`, diskMode: "persistent", thinProvisioned: true },
        },
        { _type: "VirtualCdrom", key: 3000, controllerKey: 200, unitNumber: 0, backing: { _type: "VirtualCdromIsoBackingInfo", fileName: "[mydatastore] VCH001/bootstrap.iso" }, connectable: connect() },
        {
          _type: "VirtualSerialPort", key: 9000, controllerKey: 400, unitNumber: 0, yieldOnPoll: true,
          backing: { _type: "VirtualSerialPortURIBackingInfo", serviceURI: "tcp://VCH_IP:8080", direction: "client" },
          connectable: connect({ allowGuestControl: false }),
        },
        {
          _type: "VirtualSerialPort", key: 9001, controllerKey: 400, unitNumber: 1, yieldOnPoll: true,
          backing: { _type: "VirtualSerialPortFileBackingInfo", fileName: `${dir}/${CONTAINER_ID}.debug` },
          connectable: connect({ allowGuestControl: false }),
        },
        {
          _type: "VirtualVmxnet3", key: 4000, controllerKey: 100, unitNumber: 7, backing: netBacking("VCH Bridge"), connectable: connect(),
          addressType: "generated", slotInfo: { _type: "VirtualDevicePciBusSlotInfo", pciSlotNumber: 192 },
        },
      ],
    },
    extraConfig: [
      option("disk.EnableUUID", "true"),
      option("answer.msg.disk.duplicateUUID", "Yes"),
      option("answer.msg.serial.file.open", "Append"),
      option("sched.mem.lpage.maxSharedPages", "256"),
      option("vmotion.checkpointSVGAPrimarySize", "4194304"),
      option("serial0.hardwareFlowControl", "TRUE"),
      option("memory.noHotAddOver4GB", "FALSE"),
      option("memory.maxGrow", "512"),
      option("tools.remindInstall", "FALSE"),
      option("tools.upgrade.policy", "manual"),
      option("guestinfo./common/id", CONTAINER_ID),
      option("guestinfo./common/name", "jolly_panini"),
      option("guestinfo./sessions", CONTAINER_ID),
      option(`guestinfo./sessions|${CONTAINER_ID}/common/id`, CONTAINER_ID),
      option(`guestinfo./sessions|${CONTAINER_ID}/common/name`, "jolly_panini"),
      option(`guestinfo./sessions|${CONTAINER_ID}/cmd/Path`, "/hello"),
      option("guestinfo./repo", "hello-world"),
    ],
  };
}

// The .vmx lines the seed shows, copied verbatim from seed/000_1539887adfb0fd93.txt.
const SEED_APPLIANCE_LINES = [
  `ethernet0.virtualDev = "vmxnet3"`,
  `ethernet0.networkName = "VM Network"`,
  `ethernet0.pciSlotNumber = "192"`,
  `ethernet0.uptCompatibility = "TRUE"`,
  `ethernet0.present = "TRUE"`,
  `ethernet1.virtualDev = "vmxnet3"`,
  `ethernet1.networkName = "VCH Bridge"`,
  `ethernet1.pciSlotNumber = "224"`,
  `ethernet1.uptCompatibility = "TRUE"`,
  `ethernet1.present = "TRUE"`,
  `ide0:0.deviceType = "cdrom-image"`,
  `ide0:0.fileName = "appliance.iso"`,
  `ide0:0.present = "TRUE"`,
];
const SEED_CONTAINER_LINES = [
  `guestinfo./common/name = "jolly_panini"`,
  `guestinfo./sessions|2cf7f483bf6e7f32daa53f51ca388d5fb153f78d3a74d313318099086638ad58/common/name = "jolly_panini"`,
  `guestinfo./sessions|2cf7f483bf6e7f32daa53f51ca388d5fb153f78d3a74d313318099086638ad58/cmd/Path = "/hello"`,
  `guestinfo./repo = "hello-world"`,
  `ide0:0.deviceType = "cdrom-image"`,
  `ide0:0.fileName = "/vmfs/volumes/d37f7a1b-0ab13c48/VCH001/bootstrap.iso"`,
  `ide0:0.present = "TRUE"`,
  `serial0.allowGuestConnectionControl = "FALSE"`,
  `serial0.fileType = "network"`,
  `serial0.fileName = "tcp://VCH_IP:8080"`,
  `serial0.network.endPoint = "client"`,
  `serial0.yieldOnMsrRead = "TRUE"`,
  `serial0.present = "TRUE"`,
  `serial0.hardwareFlowControl = "TRUE"`,
  `ethernet0.virtualDev = "vmxnet3"`,
  `ethernet0.networkName = "VCH Bridge"`,
  `ethernet0.pciSlotNumber = "192"`,
  `ethernet0.uptCompatibility = "TRUE"`,
  `ethernet0.present = "TRUE"`,
  `scsi0.virtualDev = "pvscsi"`,
  `scsi0.present = "TRUE"`,
  `scsi0:0.deviceType = "scsi-hardDisk"`,
  `scsi0:0.fileName = "2cf7f483bf6e7f32daa53f51ca388d5fb153f78d3a74d313318099086638ad58.vmdk"`,
  `scsi0:0.present = "TRUE"`,
];

/** A .vmx as ESXi 6.0 writes it for a VM made in the vSphere client, then powered on once (files.md layout). */
const ESXI_VMX = `.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "11"
nvram = "web01.nvram"
pciBridge0.present = "TRUE"
svga.present = "TRUE"
pciBridge4.present = "TRUE"
pciBridge4.virtualDev = "pcieRootPort"
pciBridge4.functions = "8"
pciBridge5.present = "TRUE"
pciBridge5.virtualDev = "pcieRootPort"
pciBridge5.functions = "8"
pciBridge6.present = "TRUE"
pciBridge6.virtualDev = "pcieRootPort"
pciBridge6.functions = "8"
pciBridge7.present = "TRUE"
pciBridge7.virtualDev = "pcieRootPort"
pciBridge7.functions = "8"
vmci0.present = "TRUE"
hpet0.present = "TRUE"
floppy0.present = "FALSE"
numvcpus = "2"
cpuid.coresPerSocket = "2"
memSize = "4096"
sched.cpu.units = "mhz"
powerType.powerOff = "soft"
powerType.suspend = "hard"
powerType.reset = "soft"
scsi0.virtualDev = "lsilogic"
scsi0.present = "TRUE"
scsi1.virtualDev = "pvscsi"
scsi1.present = "TRUE"
scsi1.sharedBus = "none"
scsi0:0.deviceType = "scsi-hardDisk"
scsi0:0.fileName = "web01.vmdk"
scsi0:0.present = "TRUE"
scsi0:0.redo = ""
scsi0:1.deviceType = "scsi-hardDisk"
scsi0:1.fileName = "/vmfs/volumes/5a1b2c3d-11223344/shared/data.vmdk"
scsi0:1.mode = "independent-persistent"
scsi0:1.present = "TRUE"
scsi1:0.deviceType = "scsi-hardDisk"
scsi1:0.fileName = "web01_1.vmdk"
scsi1:0.present = "TRUE"
ide1:0.startConnected = "FALSE"
ide1:0.deviceType = "cdrom-raw"
ide1:0.clientDevice = "TRUE"
ide1:0.fileName = "emptyBackingString"
ide1:0.present = "TRUE"
ethernet0.virtualDev = "e1000"
ethernet0.networkName = "VM Network"
ethernet0.addressType = "generated"
ethernet0.wakeOnPcktRcv = "FALSE"
ethernet0.present = "TRUE"
ethernet1.virtualDev = "vmxnet3"
ethernet1.dvs.switchId = "50 2b 1f 3c 9d 4e 5a 6b-7c 8d 9e af b0 c1 d2 e3"
ethernet1.dvs.portId = "12"
ethernet1.dvs.portgroupId = "dvportgroup-22"
ethernet1.dvs.connectionId = "1406743417"
ethernet1.addressType = "static"
ethernet1.address = "00:50:56:3f:00:01"
ethernet1.present = "TRUE"
serial0.fileType = "file"
serial0.fileName = "web01-console.log"
serial0.present = "TRUE"
serial0.startConnected = "FALSE"
displayName = "web01"
annotation = "Front end|0Asecond line with a |22quote|22 and a |7C pipe"
guestOS = "ubuntu-64"
toolScripts.afterPowerOn = "TRUE"
toolScripts.afterResume = "TRUE"
tools.syncTime = "FALSE"
uuid.bios = "56 4d 21 0a b3 c4 d5 e6-f7 08 19 2a 3b 4c 5d 6e"
uuid.location = "56 4d 21 0a b3 c4 d5 e6-f7 08 19 2a 3b 4c 5d 6e"
ethernet0.generatedAddress = "00:0c:29:4c:5d:6e"
ethernet0.generatedAddressOffset = "0"
ethernet0.pciSlotNumber = "32"
ethernet1.pciSlotNumber = "192"
ethernet1.uptCompatibility = "TRUE"
scsi0.pciSlotNumber = "16"
scsi1.pciSlotNumber = "160"
vmci0.id = "994855278"
vmci0.pciSlotNumber = "33"
cleanShutdown = "TRUE"
replay.supported = "FALSE"
sched.swap.derivedName = "/vmfs/volumes/d37f7a1b-0ab13c48/web01/web01-3b4c5d6e.vswp"
migrate.hostLog = "web01-3b4c5d6e.hlog"
guestinfo.ip = "10.0.0.21"
softPowerOff = "TRUE"
tools.remindInstall = "FALSE"
`;

// ------------------------------------------------------------------ schema check

/** Every field known to the type, every required field present, nested values of a fitting type. */
function schemaErrors(value: unknown, declared: string, path = "config"): string[] {
  const schema = vim25Schema();
  const errs: string[] = [];
  if (value === undefined || value === null) return [`${path}: missing`];
  if (declared === "ManagedObjectReference") {
    if ((value as DataObject)._type !== "ManagedObjectReference") errs.push(`${path}: not a moref`);
    return errs;
  }
  if (schema.isPrimitive(declared)) {
    const t = typeof value;
    const ok = declared === "string" ? t === "string"
      : declared === "boolean" ? t === "boolean"
      : ["int", "long", "short", "byte", "float", "double"].includes(declared) ? t === "number"
      : declared === "dateTime" ? value instanceof Date : true;
    if (!ok) errs.push(`${path}: ${JSON.stringify(value)} is not ${declared}`);
    return errs;
  }
  if (schema.isEnum(declared)) {
    if (!schema.enumValues(declared)!.includes(value as string)) errs.push(`${path}: ${JSON.stringify(value)} is not a ${declared}`);
    return errs;
  }
  const obj = value as DataObject;
  if (typeof obj._type !== "string" || !schema.isDataType(obj._type)) return [`${path}: unknown type ${String(obj._type)}`];
  if (!schema.isA(obj._type, declared)) errs.push(`${path}: ${obj._type} is not a ${declared}`);
  for (const [k, v] of Object.entries(obj)) {
    if (k === "_type" || v === undefined) continue;
    const f = schema.field(obj._type, k);
    if (!f) {
      errs.push(`${path}.${k}: not a field of ${obj._type}`);
      continue;
    }
    if (f.array) {
      if (!Array.isArray(v)) errs.push(`${path}.${k}: should be an array`);
      else v.forEach((x, i) => errs.push(...schemaErrors(x, f.type, `${path}.${k}[${i}]`)));
    } else errs.push(...schemaErrors(v, f.type, `${path}.${k}`));
  }
  for (const f of schema.fields(obj._type)) {
    if (!f.optional && obj[f.name] === undefined) errs.push(`${path}.${f.name}: required by ${obj._type}`);
  }
  return errs;
}

const lines = (f: VmxFile) => f.toString().split("\n");
const deviceByKey = (c: VmConfigInfo, key: number) => c.hardware!.device!.find((d) => d.key === key);

// ------------------------------------------------------------------ VmxFile

describe("VmxFile", () => {
  it("writes an unmodified file back byte for byte: comments, blank lines, spacing, unknown keys, duplicates", () => {
    const text = [
      `.encoding = "UTF-8"`,
      `# written by hand`,
      ``,
      `config.version = "8"`,
      `virtualHW.version="11"`,
      `memsize = 512`,
      `   displayName   =   "odd spacing"   # trailing comment`,
      `guestinfo.weird = "a |7C b |22c|22 |0A d"`,
      `guestinfo.lone = "50|50 and |zz"`,
      `Unknown.Key.Nobody.Knows = "x"`,
      `unknown.key.nobody.knows = "y"`,
      `empty = ""`,
      ``,
    ].join("\n");
    const f = VmxFile.parse(text, "[ds] vm/vm.vmx");
    expect(f.toString()).toBe(text);
    expect(ESXI_VMX).toBe(VmxFile.parse(ESXI_VMX).toString());
  });

  it("keeps CRLF line ends, a missing final newline and a byte order mark", () => {
    for (const text of [`a = "1"\r\nb = "2"\r\n`, `a = "1"\nb = "2"`, `\uFEFFa = "1"\n`, "", "\n\n"]) {
      expect(VmxFile.parse(text).toString()).toBe(text);
    }
    const f = VmxFile.parse(`a = "1"\r\nb = "2"`);
    f.set("c", "3");
    expect(f.toString()).toBe(`a = "1"\r\nb = "2"\r\nc = "3"\r\n`);
  });

  it("looks keys up in any case, keeps the first spelling, appends new keys at the end", () => {
    const f = VmxFile.parse(`memSize = "512"\nethernet0.present = "TRUE"\nguestinfo.a = "1"\n`);
    expect(f.get("MEMSIZE")).toBe("512");
    expect(f.has("Ethernet0.Present")).toBe(true);
    f.set("memsize", "1024");
    f.set("guestinfo.b", "2");
    expect(f.toString()).toBe(`memSize = "1024"\nethernet0.present = "TRUE"\nguestinfo.a = "1"\nguestinfo.b = "2"\n`);
    expect(f.keys()).toEqual(["memSize", "ethernet0.present", "guestinfo.a", "guestinfo.b"]);
    expect(f.keys("GUESTINFO.")).toEqual(["guestinfo.a", "guestinfo.b"]);
    expect(f.delete("GuestInfo.A")).toBe(true);
    expect(f.delete("guestinfo.a")).toBe(false);
    expect(f.entries()).toEqual([["memSize", "1024"], ["ethernet0.present", "TRUE"], ["guestinfo.b", "2"]]);
  });

  it("rewrites only the lines whose value changes, in ESXi's canonical form", () => {
    const f = VmxFile.parse(`memsize = 512\n  numvcpus="2"  \n`);
    f.set("memsize", "512");
    expect(f.toString()).toBe(`memsize = 512\n  numvcpus="2"  \n`);
    f.set("numvcpus", "4");
    expect(f.toString()).toBe(`memsize = 512\nnumvcpus = "4"\n`);
  });

  it("reads the last of duplicate keys (as ESXi does) and collapses them when set", () => {
    const f = VmxFile.parse(`a = "1"\nb = "x"\nA = "2"\n`);
    expect(f.get("a")).toBe("2");
    expect(f.entries()).toEqual([["a", "2"], ["b", "x"]]);
    f.set("a", "3");
    expect(f.toString()).toBe(`a = "3"\nb = "x"\n`);
  });

  it("decodes |XX escapes and escapes quotes, pipes and control characters on write", () => {
    expect(unescapeVmxValue(`say |22hi|22 |7C |0Anext`)).toBe(`say "hi" | \nnext`);
    expect(unescapeVmxValue(`100|25 and |zz|`)).toBe(`100% and |zz|`);
    expect(unescapeVmxValue(`caf|C3|A9 café`)).toBe(`café café`);
    expect(escapeVmxValue(`a "quoted" | pipe\nline\ttab é`)).toBe(`a |22quoted|22 |7C pipe|0Aline|09tab é`);
    const f = new VmxFile("x.vmx");
    f.set("annotation", `two\nlines with "quotes" | and pipes`);
    expect(f.toString()).toBe(`annotation = "two|0Alines with |22quotes|22 |7C and pipes"\n`);
    expect(VmxFile.parse(f.toString()).get("annotation")).toBe(`two\nlines with "quotes" | and pipes`);
  });

  it("clones independently", () => {
    const a = VmxFile.parse(`x = "1"\n`, "a.vmx");
    const b = a.clone();
    b.set("x", "2");
    expect(a.get("x")).toBe("1");
    expect(b.fileName).toBe("a.vmx");
  });

  it("names the file and the line of a malformed line", () => {
    const cases: [string, number, RegExp][] = [
      [`a = "1"\nthis is not a setting\n`, 2, /expected key = "value"/],
      [`a = "1"\nb = "2\n`, 2, /unterminated quoted value/],
      [`a = "1"\n\n# c\nb = "2" junk\n`, 4, /unexpected text after the value/],
      [`= "2"\n`, 1, /missing key/],
      [`my key = "2"\n`, 1, /cannot contain spaces/],
    ];
    for (const [text, line, problem] of cases) {
      let err: unknown;
      try {
        VmxFile.parse(text, "[mydatastore] VCH001/VCH001.vmx");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VmxParseError);
      const e = err as VmxParseError;
      expect(e.file).toBe("[mydatastore] VCH001/VCH001.vmx");
      expect(e.line).toBe(line);
      expect(e.message).toMatch(new RegExp(`^\\[mydatastore\\] VCH001/VCH001\\.vmx:${line}: `));
      expect(e.message).toMatch(problem);
    }
  });
});

// ------------------------------------------------------------------ small mappings

describe("vmx value mappings", () => {
  it("converts BIOS UUIDs both ways", () => {
    expect(toVmxUuid("564d8c2e-3f1a-9b07-5d21-c4e0771f3a90")).toBe("56 4d 8c 2e 3f 1a 9b 07-5d 21 c4 e0 77 1f 3a 90");
    expect(fromVmxUuid("56 4d 8c 2e 3f 1a 9b 07-5d 21 c4 e0 77 1f 3a 90")).toBe("564d8c2e-3f1a-9b07-5d21-c4e0771f3a90");
    expect(fromVmxUuid("56 4D 8C 2E 3F 1A 9B 07 5D 21 C4 E0 77 1F 3A 90")).toBe("564d8c2e-3f1a-9b07-5d21-c4e0771f3a90");
    expect(fromVmxUuid("not a uuid")).toBeUndefined();
    expect(() => toVmxUuid("1234")).toThrow(/not a UUID/);
  });

  it("generates MACs from the BIOS UUID, 10 apart, and vCenter's from its range", () => {
    const uuid = "564d8c2e-3f1a-9b07-5d21-c4e0771f3a90";
    expect(generatedMac(uuid, 0)).toBe("00:0c:29:1f:3a:90");
    expect(generatedMac(uuid, 10)).toBe("00:0c:29:1f:3a:9a");
    expect(generatedMac("564d8c2e-3f1a-9b07-5d21-c4e077fffffa", 10)).toBe("00:0c:29:00:00:04");
    const vpx = vpxMac(uuid, 0);
    expect(vpx).toMatch(/^00:50:56:[89ab][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}$/);
    expect(vpxMac(uuid, 10)).not.toBe(vpx);
  });

  it("hands out PCI slots bridge by bridge, then function by function", () => {
    expect(pciSlotOrder().slice(0, 10)).toEqual([160, 192, 224, 256, 1184, 1216, 1248, 1280, 2208, 2240]);
    expect(pciSlotOrder()).toHaveLength(32);
  });

  it("maps guest ids to .vmx guestOS names and back for every guest id", () => {
    expect(vmxGuestOs("other3xLinux64Guest")).toBe("other3xlinux-64");
    expect(vmxGuestOs("otherGuest64")).toBe("other-64");
    expect(vmxGuestOs("windows9Server64Guest")).toBe("windows9srv-64");
    expect(vmxGuestOs("winNetEnterprise64Guest")).toBe("winNetEnterprise-64");
    expect(vmxGuestOs("vmwarePhoton64Guest")).toBe("vmware-photon-64");
    expect(vmxGuestOs("freebsd11_64Guest")).toBe("freeBSD11-64");
    expect(vmxGuestOs("debian8_64Guest")).toBe("debian8-64");
    expect(guestIdFromVmx("OTHER3XLINUX-64")).toBe("other3xLinux64Guest");
    expect(guestIdFromVmx("linux")).toBe("otherLinuxGuest");
    expect(guestIdFromVmx("constructor")).toBe("otherGuest");
    expect(guestIdFromVmx(undefined)).toBe("otherGuest");
    const ids = vim25Schema().enumValues("VirtualMachineGuestOsIdentifier")!;
    const names = new Set(ids.map((id) => vmxGuestOs(id).toLowerCase()));
    expect(names.size).toBe(ids.length);
    for (const id of ids) expect(guestIdFromVmx(vmxGuestOs(id))).toBe(id);
  });

  it("shows free keys as extraConfig and hides what the mapping owns", () => {
    for (const k of ["guestinfo./common/name", "guestinfo..sessions|x.started", "disk.EnableUUID", "tools.syncTime",
      "serial0.hardwareFlowControl", "scsi0:0.redo", "sched.swap.derivedName", "sched.mem.lpage.maxSharedPages", "nvme0.present", "whatever"]) {
      expect(isExtraConfigKey(k), k).toBe(true);
    }
    for (const k of [".encoding", "displayName", "MEMSIZE", "uuid.bios", "vc.uuid", "ethernet3.generatedAddress", "ethernet0.dvs.portId",
      "scsi1.pciSlotNumber", "ide1:0.fileName", "sata0:4.deviceType", "serial2.network.endPoint", "floppy0.present", "svga.vramSize",
      "vmci0.id", "pciBridge6.functions", "sched.cpu.units", "sched.mem.shares", "annotation", "hpet0.present"]) {
      expect(isExtraConfigKey(k), k).toBe(false);
    }
  });

  it("translates datastore paths as ESXi writes them in a .vmx", () => {
    const p = vmxPaths("[mydatastore] VCH001", VOLUMES);
    expect(p.toVmxPath("[mydatastore] VCH001/appliance.iso")).toBe("appliance.iso");
    expect(p.toVmxPath("[mydatastore] VCH001/sub/x.vmdk")).toBe("sub/x.vmdk");
    expect(p.toVmxPath("[mydatastore] VCH0012/x.iso")).toBe("/vmfs/volumes/d37f7a1b-0ab13c48/VCH0012/x.iso");
    expect(p.toVmxPath("[datastore2] isos/photon.iso")).toBe("/vmfs/volumes/5a1b2c3d-11223344/isos/photon.iso");
    expect(p.toVmxPath("")).toBe("");
    expect(p.fromVmxPath("appliance.iso")).toBe("[mydatastore] VCH001/appliance.iso");
    expect(p.fromVmxPath("/vmfs/volumes/d37f7a1b-0ab13c48/VCH001/bootstrap.iso")).toBe("[mydatastore] VCH001/bootstrap.iso");
    expect(p.fromVmxPath("/vmfs/volumes/datastore2/isos/photon.iso")).toBe("[datastore2] isos/photon.iso");
    expect(p.fromVmxPath("/dev/cdrom")).toBe("/dev/cdrom");
    expect(p.fromVmxPath("")).toBe("");
  });
});

// ------------------------------------------------------------------ the seed's VMs

describe("the seed's VCH appliance and container VM", () => {
  it("the lines copied into this test are the seed's", () => {
    const seed = new URL("../../../shared/seed/000_1539887adfb0fd93.txt", import.meta.url);
    if (!existsSync(seed)) return; // the seed lives beside the repository, not in it
    const text = readFileSync(seed, "utf8").split("\n");
    for (const l of [...SEED_APPLIANCE_LINES, ...SEED_CONTAINER_LINES]) expect(text, l).toContain(l);
  });

  it("writes the appliance with every line the seed shows, laid out as ESXi 6.0 does", () => {
    for (const pinned of [true, false]) {
      const f = writeVmx(applianceConfig(pinned), ctxFor("[mydatastore] VCH001"));
      for (const l of SEED_APPLIANCE_LINES) expect(lines(f), `${l} (slots pinned: ${pinned})`).toContain(l);
      expect(f.get("scsi0.pciSlotNumber")).toBe("160");
      expect(f.fileName).toBe("[mydatastore] VCH001/VCH001.vmx");
      expect(f.toString()).toBe(`.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "11"
nvram = "VCH001.nvram"
pciBridge0.present = "TRUE"
svga.present = "TRUE"
pciBridge4.present = "TRUE"
pciBridge4.virtualDev = "pcieRootPort"
pciBridge4.functions = "8"
pciBridge5.present = "TRUE"
pciBridge5.virtualDev = "pcieRootPort"
pciBridge5.functions = "8"
pciBridge6.present = "TRUE"
pciBridge6.virtualDev = "pcieRootPort"
pciBridge6.functions = "8"
pciBridge7.present = "TRUE"
pciBridge7.virtualDev = "pcieRootPort"
pciBridge7.functions = "8"
vmci0.present = "TRUE"
hpet0.present = "TRUE"
floppy0.present = "FALSE"
numvcpus = "1"
memSize = "2048"
sched.cpu.units = "mhz"
scsi0.virtualDev = "pvscsi"
scsi0.present = "TRUE"
ide0:0.deviceType = "cdrom-image"
ide0:0.fileName = "appliance.iso"
ide0:0.present = "TRUE"
ethernet0.virtualDev = "vmxnet3"
ethernet0.networkName = "VM Network"
ethernet0.addressType = "generated"
ethernet0.present = "TRUE"
ethernet1.virtualDev = "vmxnet3"
ethernet1.networkName = "VCH Bridge"
ethernet1.addressType = "generated"
ethernet1.present = "TRUE"
displayName = "VCH001"
guestOS = "other3xlinux-64"
uuid.bios = "56 4d 8c 2e 3f 1a 9b 07-5d 21 c4 e0 77 1f 3a 90"
uuid.location = "56 4d 8c 2e 3f 1a 9b 07-5d 21 c4 e0 77 1f 3a 90"
ethernet0.generatedAddress = "00:0c:29:1f:3a:90"
ethernet0.generatedAddressOffset = "0"
ethernet1.generatedAddress = "00:0c:29:1f:3a:9a"
ethernet1.generatedAddressOffset = "10"
ethernet0.pciSlotNumber = "192"
ethernet0.uptCompatibility = "TRUE"
ethernet1.pciSlotNumber = "224"
ethernet1.uptCompatibility = "TRUE"
scsi0.pciSlotNumber = "160"
vmci0.id = "1998535312"
cleanShutdown = "TRUE"
guestinfo./init/common/name = "VCH001"
guestinfo..init.sessions|port-layer.started = "true"
`);
    }
  });

  it("writes the container VM with every line the seed shows", () => {
    const f = writeVmx(containerConfig(), ctxFor(`[mydatastore] ${CONTAINER_ID}`));
    const out = lines(f);
    for (const l of SEED_CONTAINER_LINES) expect(out, l).toContain(l);
    // the seed lists serial0 in file order; so does the writer
    const serial = out.filter((l) => l.startsWith("serial0."));
    expect(serial).toEqual(SEED_CONTAINER_LINES.filter((l) => l.startsWith("serial0.")));
    expect(f.get("serial1.fileName")).toBe(`${CONTAINER_ID}.debug`);
    expect(f.get("serial1.fileType")).toBe("file");
    expect(f.get("scsi0.pciSlotNumber")).toBe("160");
    expect(f.get("numvcpus")).toBe("2");
    expect(f.has("cpuid.coresPerSocket")).toBe(false);
    expect(f.has("annotation")).toBe(false);
    expect(f.has("templateVM")).toBe(false);
    // extraConfig follows the rest, in the order given
    const keys = f.keys();
    const extra = containerConfig().extraConfig!.map((o) => o.key as string);
    expect(keys.slice(-extra.length)).toEqual(extra);
  });

  it("reads back what it wrote: the same devices with ESXi's keys, the same extraConfig", () => {
    for (const [config, dir] of [[containerConfig(), `[mydatastore] ${CONTAINER_ID}`], [applianceConfig(true), "[mydatastore] VCH001"]] as const) {
      const ctx = ctxFor(dir, { diskInfo: (p) => (p.endsWith(".vmdk") ? { capacityInKB: 8388608, backing: { thinProvisioned: true } } : undefined) });
      const back = readVmx(writeVmx(config, ctx), ctx);
      for (const d of config.hardware!.device!) {
        const { device: _children, ...rest } = d;
        expect(deviceByKey(back, d.key), `device ${d.key}`).toMatchObject(rest);
      }
      expect(back.extraConfig).toEqual(config.extraConfig);
      expect(back).toMatchObject({
        name: config.name, guestId: config.guestId, version: config.version, uuid: config.uuid,
        hardware: { numCPU: config.hardware!.numCPU, memoryMB: config.hardware!.memoryMB },
        files: { vmPathName: (config.files as DataObject).vmPathName, logDirectory: `${dir}/` },
      });
      expect(schemaErrors(back, "VirtualMachineConfigInfo")).toEqual([]);
      // and a second trip changes nothing
      const again = readVmx(writeVmx(back, ctx), ctx);
      expect(again).toEqual(back);
    }
  });

  it("reads the container VM's devices as hostd reports them", () => {
    const ctx = ctxFor(`[mydatastore] ${CONTAINER_ID}`);
    const c = readVmx(writeVmx(containerConfig(), ctx), ctx);
    const devs = c.hardware!.device!;
    expect(devs.map((d) => `${d._type}:${d.key}`)).toEqual([
      "VirtualIDEController:200", "VirtualIDEController:201", "VirtualPS2Controller:300", "VirtualPCIController:100",
      "VirtualSIOController:400", "VirtualKeyboard:600", "VirtualPointingDevice:700", "VirtualMachineVideoCard:500",
      "VirtualMachineVMCIDevice:12000", "ParaVirtualSCSIController:1000", "VirtualCdrom:3000", "VirtualDisk:2000",
      "VirtualVmxnet3:4000", "VirtualSerialPort:9000", "VirtualSerialPort:9001",
    ]);
    expect(deviceByKey(c, 100)!.device).toEqual([500, 12000, 1000, 4000]);
    expect(deviceByKey(c, 200)!.device).toEqual([3000]);
    expect(deviceByKey(c, 400)!.device).toEqual([9000, 9001]);
    expect(deviceByKey(c, 1000)!.device).toEqual([2000]);
    expect(deviceByKey(c, 2000)!.deviceInfo).toMatchObject({ label: "Hard disk 1" });
    expect(deviceByKey(c, 9000)!.deviceInfo).toMatchObject({ label: "Serial port 1", summary: "Remote tcp://VCH_IP:8080" });
    expect(deviceByKey(c, 3000)!.backing).toEqual({ _type: "VirtualCdromIsoBackingInfo", fileName: "[mydatastore] VCH001/bootstrap.iso", datastore: moref("Datastore", "datastore-mydatastore") });
    expect(deviceByKey(c, 4000)).toMatchObject({ macAddress: "00:0c:29:7b:8c:21", addressType: "generated", slotInfo: { pciSlotNumber: 192 } });
    expect(c.flags).toMatchObject({ diskUuidEnabled: true });
    expect(c.tools).toMatchObject({ toolsUpgradePolicy: "manual" });
    expect(vmNetworks(devs, ctx)).toEqual([moref("Network", "network-12")]);
  });
});

// ------------------------------------------------------------------ ESXi-written files

describe("a .vmx ESXi wrote", () => {
  const dir = "[mydatastore] web01";
  const parse = () => VmxFile.parse(ESXI_VMX, `${dir}/web01.vmx`);

  it("reads into the devices ESXi reports, with ESXi's keys", () => {
    const c = readVmx(parse(), ctxFor(dir, { diskInfo: (p) => (p.endsWith("data.vmdk") ? { capacityInKB: 1048576 } : undefined) }));
    expect(schemaErrors(c, "VirtualMachineConfigInfo")).toEqual([]);
    expect(c).toMatchObject({
      name: "web01", guestId: "ubuntu64Guest", version: "vmx-11", uuid: "564d210a-b3c4-d5e6-f708-192a3b4c5d6e",
      annotation: `Front end\nsecond line with a "quote" and a | pipe`,
      files: { vmPathName: `${dir}/web01.vmx`, snapshotDirectory: `${dir}/` },
      hardware: { numCPU: 2, numCoresPerSocket: 2, memoryMB: 4096 },
      defaultPowerOps: { powerOffType: "soft", suspendType: "hard", resetType: "soft" },
      cpuAllocation: { reservation: 0, limit: -1, shares: { level: "normal", shares: 2000 } },
      memoryAllocation: { shares: { level: "normal", shares: 40960 } },
      template: false,
    });
    const dev = (key: number) => deviceByKey(c, key);
    expect(dev(1000)).toMatchObject({ _type: "VirtualLsiLogicController", busNumber: 0, controllerKey: 100, slotInfo: { pciSlotNumber: 16 }, device: [2000, 2001] });
    expect(dev(1001)).toMatchObject({ _type: "ParaVirtualSCSIController", busNumber: 1, sharedBus: "noSharing", slotInfo: { pciSlotNumber: 160 }, device: [2016] });
    expect(dev(2000)).toMatchObject({ _type: "VirtualDisk", controllerKey: 1000, unitNumber: 0, backing: { fileName: `${dir}/web01.vmdk`, diskMode: "persistent" } });
    expect(dev(2001)).toMatchObject({
      controllerKey: 1000, unitNumber: 1, capacityInKB: 1048576,
      backing: { fileName: "[datastore2] shared/data.vmdk", diskMode: "independent_persistent", datastore: moref("Datastore", "datastore-datastore2") },
      deviceInfo: { label: "Hard disk 2", summary: "1,048,576 KB" },
    });
    expect(dev(2016)).toMatchObject({ controllerKey: 1001, unitNumber: 0, backing: { fileName: `${dir}/web01_1.vmdk` } });
    expect(dev(3002)).toMatchObject({
      _type: "VirtualCdrom", controllerKey: 201, unitNumber: 0,
      backing: { _type: "VirtualCdromRemotePassthroughBackingInfo", deviceName: "", exclusive: false },
      connectable: { startConnected: false, allowGuestControl: true, connected: false },
    });
    expect(dev(201)!.device).toEqual([3002]);
    expect(dev(4000)).toMatchObject({
      _type: "VirtualE1000", unitNumber: 7, addressType: "generated", macAddress: "00:0c:29:4c:5d:6e", wakeOnLanEnabled: false,
      backing: { deviceName: "VM Network", network: moref("Network", "network-7") }, slotInfo: { pciSlotNumber: 32 },
    });
    expect(dev(4000)!.uptCompatibilityEnabled).toBeUndefined();
    expect(dev(4001)).toMatchObject({
      _type: "VirtualVmxnet3", unitNumber: 8, addressType: "manual", macAddress: "00:50:56:3f:00:01", uptCompatibilityEnabled: true,
      backing: {
        _type: "VirtualEthernetCardDistributedVirtualPortBackingInfo",
        port: { switchUuid: "50 2b 1f 3c 9d 4e 5a 6b-7c 8d 9e af b0 c1 d2 e3", portgroupKey: "dvportgroup-22", portKey: "12", connectionCookie: 1406743417 },
      },
    });
    expect(dev(9000)).toMatchObject({
      _type: "VirtualSerialPort", controllerKey: 400, unitNumber: 0, yieldOnPoll: false,
      backing: { _type: "VirtualSerialPortFileBackingInfo", fileName: `${dir}/web01-console.log` },
      connectable: { startConnected: false },
    });
    expect(dev(12000)).toMatchObject({ id: 994855278 });
    expect(c.hardware!.device!.some((d) => d._type === "VirtualFloppy")).toBe(false);
    expect(vmNetworks(c.hardware!.device!, ctxFor(dir))).toEqual([moref("Network", "network-7"), moref("DistributedVirtualPortgroup", "dvportgroup-22")]);
  });

  it("shows the keys it does not map as extraConfig, in file order", () => {
    const c = readVmx(parse(), ctxFor(dir));
    expect(c.extraConfig!.map((o) => [o.key, o.value])).toEqual([
      ["scsi0:0.redo", ""],
      ["toolScripts.afterPowerOn", "TRUE"],
      ["toolScripts.afterResume", "TRUE"],
      ["tools.syncTime", "FALSE"],
      ["replay.supported", "FALSE"],
      ["sched.swap.derivedName", "/vmfs/volumes/d37f7a1b-0ab13c48/web01/web01-3b4c5d6e.vswp"],
      ["migrate.hostLog", "web01-3b4c5d6e.hlog"],
      ["guestinfo.ip", "10.0.0.21"],
      ["softPowerOff", "TRUE"],
      ["tools.remindInstall", "FALSE"],
    ]);
  });

  it("writes back unchanged when the configuration read from it is written again", () => {
    const ctx = ctxFor(dir);
    const f = parse();
    expect(writeVmx(readVmx(f, ctx), ctx, f).toString()).toBe(ESXI_VMX);
    expect(f.toString()).toBe(ESXI_VMX);
  });

  it("applies a reconfiguration in place: edits where keys stand, drops removed devices, appends new keys", () => {
    const ctx = ctxFor(dir);
    const f = parse();
    const c = readVmx(f, ctx);
    c.hardware!.memoryMB = 8192;
    c.name = "web01-renamed";
    // remove the DVS NIC and the serial port, add a vmxnet3 NIC, a disk and a guestinfo key; drop one extraConfig key
    c.hardware!.device = c.hardware!.device!.filter((d) => d.key !== 4001 && d.key !== 9000);
    c.hardware!.device.push(
      { _type: "VirtualVmxnet3", key: 4002, controllerKey: 100, backing: netBacking("VCH Bridge"), connectable: connect(), addressType: "generated" },
      { _type: "VirtualDisk", key: 2017, controllerKey: 1001, unitNumber: 1, capacityInKB: 1024, backing: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: `${dir}/web01_2.vmdk`, diskMode: "independent_nonpersistent" } },
    );
    c.extraConfig = [...c.extraConfig!.filter((o) => o.key !== "guestinfo.ip"), option("guestinfo.added", "yes")];
    const out = writeVmx(c, ctx, f);
    const text = out.toString();
    const before = ESXI_VMX.split("\n");
    const after = text.split("\n");

    expect(after).toContain(`memSize = "8192"`);
    expect(after.indexOf(`memSize = "8192"`)).toBe(before.indexOf(`memSize = "4096"`));
    expect(after).toContain(`displayName = "web01-renamed"`);
    expect(out.keys("ethernet1.")).toEqual([]);
    expect(out.keys("serial0.")).toEqual([]);
    expect(out.has("guestinfo.ip")).toBe(false);
    // what stayed keeps its relative order
    const kept = before.filter((l) => l !== "" && !/^(ethernet1|serial0)\./.test(l) && !/^(memSize|displayName|guestinfo\.ip) /.test(l));
    expect(after.filter((l) => kept.includes(l))).toEqual(kept);
    // new keys at the end, disks before NICs; the NIC is ethernet2 (its key says so), with offset 20
    // and the first free bridge slot: 160 is scsi1's, 192 was freed with ethernet1
    const added = after.slice(after.indexOf(`tools.remindInstall = "FALSE"`) + 1).filter(Boolean);
    expect(added).toEqual([
      `scsi1:1.deviceType = "scsi-hardDisk"`,
      `scsi1:1.fileName = "web01_2.vmdk"`,
      `scsi1:1.present = "TRUE"`,
      `scsi1:1.mode = "independent-nonpersistent"`,
      `ethernet2.virtualDev = "vmxnet3"`,
      `ethernet2.networkName = "VCH Bridge"`,
      `ethernet2.addressType = "generated"`,
      `ethernet2.present = "TRUE"`,
      `ethernet2.generatedAddress = "00:0c:29:4c:5d:82"`,
      `ethernet2.generatedAddressOffset = "20"`,
      `ethernet2.pciSlotNumber = "192"`,
      `ethernet2.uptCompatibility = "TRUE"`,
      `guestinfo.added = "yes"`,
    ]);
    const back = readVmx(out, ctx);
    expect(deviceByKey(back, 4002)).toMatchObject({ slotInfo: { pciSlotNumber: 192 }, macAddress: "00:0c:29:4c:5d:82" });
    expect(deviceByKey(back, 2017)).toMatchObject({ backing: { diskMode: "independent_nonpersistent" } });
    expect(deviceByKey(back, 4001)).toBeUndefined();
  });
});

// ------------------------------------------------------------------ more devices and settings

describe("device and setting mappings", () => {
  const dir = "[datastore2] lab";
  const base = (devices: VmxDevice[], extra: Partial<VmConfigInfo> = {}): VmConfigInfo => ({
    _type: "VirtualMachineConfigInfo", name: "lab", guestId: "otherGuest64", version: "vmx-13",
    uuid: "564d0000-1111-2222-3333-444455556666",
    files: { _type: "VirtualMachineFileInfo", vmPathName: `${dir}/lab.vmx` },
    hardware: { _type: "VirtualHardware", numCPU: 4, numCoresPerSocket: 2, memoryMB: 1024, device: devices },
    ...extra,
  });
  const roundTrip = (config: VmConfigInfo, ctx = ctxFor(dir)) => {
    const f = writeVmx(config, ctx);
    const back = readVmx(f, ctx);
    expect(schemaErrors(back, "VirtualMachineConfigInfo")).toEqual([]);
    expect(writeVmx(back, ctx, f).toString()).toBe(f.toString());
    return { f, back };
  };

  it("maps every SCSI controller type, sharing and disk mode", () => {
    const ctls = [
      ["VirtualLsiLogicController", "lsilogic"], ["VirtualLsiLogicSASController", "lsisas1068"],
      ["VirtualBusLogicController", "buslogic"], ["ParaVirtualSCSIController", "pvscsi"],
    ] as const;
    const devices: VmxDevice[] = ctls.map(([t], bus) => ({ _type: t, key: 1000 + bus, controllerKey: 100, busNumber: bus, sharedBus: bus === 2 ? "physicalSharing" : "noSharing" }));
    devices.push({ _type: "VirtualDisk", key: 2033, controllerKey: 1002, unitNumber: 1, capacityInKB: 0, backing: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: `${dir}/d.vmdk`, diskMode: "nonpersistent", writeThrough: true } });
    const { f, back } = roundTrip(base(devices));
    ctls.forEach(([t, dev], bus) => {
      expect(f.get(`scsi${bus}.virtualDev`)).toBe(dev);
      expect(deviceByKey(back, 1000 + bus)!._type).toBe(t);
    });
    expect(f.get("scsi2.sharedBus")).toBe("physical");
    expect(f.has("scsi0.sharedBus")).toBe(false);
    expect(f.entries("scsi2:1.")).toEqual([
      ["scsi2:1.deviceType", "scsi-hardDisk"], ["scsi2:1.fileName", "d.vmdk"], ["scsi2:1.present", "TRUE"],
      ["scsi2:1.mode", "nonpersistent"], ["scsi2:1.writeThrough", "TRUE"],
    ]);
    expect([0, 1, 2, 3].map((b) => f.get(`scsi${b}.pciSlotNumber`))).toEqual(["160", "192", "224", "256"]);
    expect(deviceByKey(back, 1002)).toMatchObject({ sharedBus: "physicalSharing", device: [2033] });
    expect(deviceByKey(back, 2033)).toMatchObject({ backing: { diskMode: "nonpersistent", writeThrough: true } });
    expect(f.get("cpuid.coresPerSocket")).toBe("2");
    expect(f.get("guestOS")).toBe("other-64");
  });

  it("maps every NIC type, static and generated addresses, and slots past the first four", () => {
    const nic = (t: string, n: number, extra: Partial<VmxDevice> = {}): VmxDevice => ({
      _type: t, key: 4000 + n, controllerKey: 100, backing: netBacking("VM Network"), connectable: connect(), addressType: "generated", ...extra,
    });
    const devices = [
      nic("VirtualVmxnet3", 0, { uptCompatibilityEnabled: false }), nic("VirtualVmxnet2", 1), nic("VirtualVmxnet", 2), nic("VirtualE1000", 3, { wakeOnLanEnabled: true }),
      nic("VirtualE1000e", 4, { addressType: "manual", macAddress: "00:50:56:00:aa:bb" }), nic("VirtualPCNet32", 5, { connectable: connect({ startConnected: false, allowGuestControl: false }) }),
    ];
    const { f, back } = roundTrip(base(devices));
    expect([0, 1, 2, 3, 4, 5].map((n) => f.get(`ethernet${n}.virtualDev`))).toEqual(["vmxnet3", "vmxnet", "vmxnet", "e1000", "e1000e", "vlance"]);
    expect(f.get("ethernet1.features")).toBe("15");
    expect(f.get("ethernet0.uptCompatibility")).toBe("FALSE");
    expect(f.has("ethernet3.uptCompatibility")).toBe(false);
    expect(f.get("ethernet3.wakeOnPcktRcv")).toBe("TRUE");
    expect(f.entries("ethernet4.").filter(([k]) => /address/i.test(k))).toEqual([["ethernet4.addressType", "static"], ["ethernet4.address", "00:50:56:00:aa:bb"]]);
    expect(f.get("ethernet5.startConnected")).toBe("FALSE");
    expect(f.get("ethernet5.allowGuestConnectionControl")).toBe("FALSE");
    expect([0, 1, 2, 3, 4, 5].map((n) => f.get(`ethernet${n}.pciSlotNumber`))).toEqual(["160", "192", "224", "256", "1184", "1216"]);
    expect(f.get("ethernet3.generatedAddress")).toBe("00:0c:29:55:66:84");
    expect(devices.map((d) => deviceByKey(back, d.key)!._type)).toEqual(devices.map((d) => d._type));
    for (const d of devices) expect(deviceByKey(back, d.key)).toMatchObject(d);
  });

  it("uses vCenter's addresses, vc.uuid, the .vmxf and scheduling keys on vCenter", () => {
    const ctx = ctxFor(dir, { isVCenter: true });
    const config = base([{ _type: "VirtualVmxnet3", key: 4000, controllerKey: 100, backing: netBacking("VM Network"), connectable: connect(), addressType: "generated" }], {
      instanceUuid: "5029d3c6-8ab2-4f10-9e21-3c4d5e6f7a8b",
      cpuAllocation: { _type: "ResourceAllocationInfo", reservation: 0, limit: -1, shares: { _type: "SharesInfo", level: "normal", shares: 4000 } },
      memoryAllocation: { _type: "ResourceAllocationInfo", reservation: 512, limit: 2048, shares: { _type: "SharesInfo", level: "custom", shares: 777 } },
    });
    const f = writeVmx(config, ctx);
    expect(f.get("ethernet0.addressType")).toBe("vpx");
    expect(f.get("ethernet0.generatedAddress")).toBe(vpxMac("5029d3c6-8ab2-4f10-9e21-3c4d5e6f7a8b", 0));
    expect(f.has("ethernet0.generatedAddressOffset")).toBe(false);
    expect(f.get("vc.uuid")).toBe("50 29 d3 c6 8a b2 4f 10-9e 21 3c 4d 5e 6f 7a 8b");
    expect(f.get("extendedConfigFile")).toBe("lab.vmxf");
    expect(f.entries("sched.")).toEqual([
      ["sched.cpu.units", "mhz"], ["sched.cpu.min", "0"], ["sched.cpu.shares", "normal"],
      ["sched.mem.min", "512"], ["sched.mem.max", "2048"], ["sched.mem.shares", "777"],
    ]);
    const back = readVmx(f, ctx);
    expect(back).toMatchObject({
      instanceUuid: "5029d3c6-8ab2-4f10-9e21-3c4d5e6f7a8b",
      cpuAllocation: { reservation: 0, limit: -1, shares: { level: "normal", shares: 4000 } },
      memoryAllocation: { reservation: 512, limit: 2048, shares: { level: "custom", shares: 777 } },
    });
    expect(deviceByKey(back, 4000)).toMatchObject({ addressType: "assigned", macAddress: f.get("ethernet0.generatedAddress") });
    expect(schemaErrors(back, "VirtualMachineConfigInfo")).toEqual([]);
    expect(writeVmx(back, ctx, f).toString()).toBe(f.toString());
  });

  it("does not write vc.uuid on a standalone host", () => {
    const f = writeVmx(base([], { instanceUuid: "5029d3c6-8ab2-4f10-9e21-3c4d5e6f7a8b" }), ctxFor(dir));
    expect(f.has("vc.uuid")).toBe(false);
    expect(f.has("extendedConfigFile")).toBe(false);
  });

  it("maps DVS port backings, serial ports of every kind, parallel ports, floppies and CD-ROM backings", () => {
    const devices: VmxDevice[] = [
      { _type: "VirtualAHCIController", key: 15000, controllerKey: 100, busNumber: 0 },
      { _type: "VirtualCdrom", key: 16000, controllerKey: 15000, unitNumber: 0, backing: { _type: "VirtualCdromIsoBackingInfo", fileName: "[datastore2] isos/photon.iso" }, connectable: connect({ startConnected: false }) },
      { _type: "VirtualCdrom", key: 3000, controllerKey: 200, unitNumber: 0, backing: { _type: "VirtualCdromAtapiBackingInfo", deviceName: "/vmfs/devices/cdrom/mpx.vmhba0:C0:T0:L0", useAutoDetect: false }, connectable: connect() },
      { _type: "VirtualCdrom", key: 3002, controllerKey: 201, unitNumber: 0, backing: { _type: "VirtualCdromRemoteAtapiBackingInfo", deviceName: "", useAutoDetect: false }, connectable: connect({ startConnected: false }) },
      {
        _type: "VirtualVmxnet3", key: 4000, controllerKey: 100, connectable: connect(), addressType: "generated",
        backing: { _type: "VirtualEthernetCardDistributedVirtualPortBackingInfo", port: { _type: "DistributedVirtualSwitchPortConnection", switchUuid: "50 2b 1f 3c 9d 4e 5a 6b-7c 8d 9e af b0 c1 d2 e3", portgroupKey: "dvportgroup-22", portKey: "7", connectionCookie: 99 } },
      },
      { _type: "VirtualSerialPort", key: 9000, controllerKey: 400, unitNumber: 0, yieldOnPoll: false, backing: { _type: "VirtualSerialPortURIBackingInfo", serviceURI: "telnet://:7001", direction: "server", proxyURI: "telnet://vspc.lab:13370" }, connectable: connect() },
      { _type: "VirtualSerialPort", key: 9001, controllerKey: 400, unitNumber: 1, yieldOnPoll: true, backing: { _type: "VirtualSerialPortPipeBackingInfo", pipeName: "/tmp/lab-pipe", endpoint: "client", noRxLoss: true }, connectable: connect() },
      { _type: "VirtualSerialPort", key: 9002, controllerKey: 400, unitNumber: 2, yieldOnPoll: false, backing: { _type: "VirtualSerialPortDeviceBackingInfo", deviceName: "/dev/char/serial/uart0", useAutoDetect: false }, connectable: connect() },
      { _type: "VirtualParallelPort", key: 10000, controllerKey: 400, unitNumber: 0, backing: { _type: "VirtualParallelPortFileBackingInfo", fileName: `${dir}/lpt.out` }, connectable: connect() },
      { _type: "VirtualFloppy", key: 8000, controllerKey: 400, unitNumber: 0, backing: { _type: "VirtualFloppyImageBackingInfo", fileName: `${dir}/boot.flp` }, connectable: connect() },
      { _type: "VirtualUSBController", key: 7000, controllerKey: 100, busNumber: 0, ehciEnabled: true },
    ];
    const { f, back } = roundTrip(base(devices));
    expect(f.entries("sata0:0.")).toEqual([
      ["sata0:0.deviceType", "cdrom-image"], ["sata0:0.fileName", "/vmfs/volumes/5a1b2c3d-11223344/isos/photon.iso"],
      ["sata0:0.present", "TRUE"], ["sata0:0.startConnected", "FALSE"],
    ]);
    expect(f.get("ide0:0.deviceType")).toBe("atapi-cdrom");
    expect(f.get("ide1:0.clientDevice")).toBe("TRUE");
    expect(f.get("ide1:0.fileName")).toBe("emptyBackingString");
    expect(f.entries("ethernet0.dvs.")).toEqual([
      ["ethernet0.dvs.switchId", "50 2b 1f 3c 9d 4e 5a 6b-7c 8d 9e af b0 c1 d2 e3"], ["ethernet0.dvs.portgroupId", "dvportgroup-22"],
      ["ethernet0.dvs.portId", "7"], ["ethernet0.dvs.connectionId", "99"],
    ]);
    expect(f.has("ethernet0.networkName")).toBe(false);
    expect(f.get("serial0.network.endPoint")).toBe("server");
    expect(f.get("serial0.vspc")).toBe("telnet://vspc.lab:13370");
    expect(f.get("serial1.fileType")).toBe("pipe");
    expect(f.get("serial1.pipe.endPoint")).toBe("client");
    expect(f.get("serial2.fileType")).toBe("device");
    expect(f.get("parallel0.fileName")).toBe("lpt.out");
    expect(f.entries("floppy0.")).toEqual([["floppy0.present", "TRUE"], ["floppy0.fileType", "file"], ["floppy0.fileName", "boot.flp"]]);
    expect(f.get("usb.present")).toBe("TRUE");
    expect(f.get("ehci.present")).toBe("TRUE");
    expect(f.get("sata0.present")).toBe("TRUE");
    for (const d of devices) {
      const { device: _c, ...rest } = d;
      expect(deviceByKey(back, d.key), `device ${d.key}`).toMatchObject(rest);
    }
    expect(deviceByKey(back, 15000)!.device).toEqual([16000]);
  });

  it("keeps devices' keys stable and removes a floppy the ESXi way", () => {
    const ctx = ctxFor(dir);
    const floppy: VmxDevice = { _type: "VirtualFloppy", key: 8000, controllerKey: 400, unitNumber: 0, backing: { _type: "VirtualFloppyImageBackingInfo", fileName: `${dir}/boot.flp` }, connectable: connect() };
    const f = writeVmx(base([floppy]), ctx);
    const g = writeVmx(base([]), ctx, f);
    expect(g.entries("floppy0.")).toEqual([["floppy0.present", "FALSE"]]);
  });

  it("maps identity settings: template, firmware, hot add, annotation, directories, power ops", () => {
    const ctx = ctxFor(dir);
    const config = base([], {
      template: true, firmware: "efi", memoryHotAddEnabled: true, cpuHotAddEnabled: true, annotation: "built by \"packer\" | v2",
      changeTrackingEnabled: true, nestedHVEnabled: true,
      files: { _type: "VirtualMachineFileInfo", vmPathName: `${dir}/lab.vmx`, snapshotDirectory: "[mydatastore] snaps/lab/", suspendDirectory: "[mydatastore] snaps/lab/" },
      defaultPowerOps: { _type: "VirtualMachineDefaultPowerOpInfo", powerOffType: "hard", suspendType: "preset", resetType: "soft" },
    });
    const f = writeVmx(config, ctx);
    expect(f.get("templateVM")).toBe("TRUE");
    expect(f.get("firmware")).toBe("efi");
    expect(f.get("mem.hotadd")).toBe("TRUE");
    expect(f.get("vcpu.hotadd")).toBe("TRUE");
    expect(f.get("ctkEnabled")).toBe("TRUE");
    expect(f.get("vhv.enable")).toBe("TRUE");
    expect(f.get("workingDir")).toBe("/vmfs/volumes/d37f7a1b-0ab13c48/snaps/lab");
    expect(f.has("suspend.directory")).toBe(false);
    expect(f.get("powerType.powerOff")).toBe("hard");
    expect(f.has("powerType.suspend")).toBe(false);
    expect(lines(f)).toContain(`annotation = "built by |22packer|22 |7C v2"`);
    const back = readVmx(f, ctx);
    expect(back).toMatchObject({
      template: true, firmware: "efi", memoryHotAddEnabled: true, cpuHotAddEnabled: true, annotation: "built by \"packer\" | v2",
      changeTrackingEnabled: true, nestedHVEnabled: true, version: "vmx-13",
      files: { snapshotDirectory: "[mydatastore] snaps/lab/", suspendDirectory: "[mydatastore] snaps/lab/", logDirectory: `${dir}/` },
      defaultPowerOps: { powerOffType: "hard", suspendType: "preset", resetType: "soft" },
    });
    expect(writeVmx(back, ctx, f).toString()).toBe(f.toString());
    // clearing the annotation and the template flag
    const cleared = writeVmx({ ...back, annotation: "", template: false }, ctx, f);
    expect(cleared.has("annotation")).toBe(false);
    expect(cleared.get("templateVM")).toBe("FALSE");
  });

  it("removes extraConfig keys that are gone or have no value, keeps empty strings, ignores keys the mapping owns", () => {
    const ctx = ctxFor(dir);
    const f = writeVmx(base([], { extraConfig: [option("guestinfo.a", "1"), option("guestinfo.b", "2"), option("memSize", "99999"), option("ethernet0.virtualDev", "e1000")] }), ctx);
    expect(f.get("memSize")).toBe("1024");
    expect(f.has("ethernet0.virtualDev")).toBe(false);
    const g = writeVmx(base([], { extraConfig: [option("guestinfo.b", "3"), { _type: "OptionValue", key: "guestinfo.a" }, option("guestinfo.c", "")] }), ctx, f);
    expect(g.entries("guestinfo.")).toEqual([["guestinfo.b", "3"], ["guestinfo.c", ""]]);
  });

  it("reads a minimal hand-written .vmx with defaults and stable derived identities", () => {
    const text = `displayName = "tiny"\nguestOS = "otherlinux-64"\nmemsize = "256"\nethernet0.present = "TRUE"\nethernet0.networkName = "VM Network"\nscsi0.present = "TRUE"\nscsi0:0.present = "TRUE"\nscsi0:0.fileName = "tiny.vmdk"\nide1:0.present = "TRUE"\nide1:0.fileName = "/vmfs/volumes/mydatastore/iso/x.iso"\nide1:0.deviceType = "cdrom-image"\nsound.present = "TRUE"\n`;
    const ctx = ctxFor("[mydatastore] tiny");
    const a = readVmx(VmxFile.parse(text, "[mydatastore] tiny/tiny.vmx"), ctx);
    const b = readVmx(VmxFile.parse(text, "[mydatastore] tiny/tiny.vmx"), ctx);
    expect(a).toEqual(b);
    expect(schemaErrors(a, "VirtualMachineConfigInfo")).toEqual([]);
    expect(a).toMatchObject({ name: "tiny", guestId: "otherLinux64Guest", version: "vmx-11", hardware: { numCPU: 1, memoryMB: 256 } });
    expect(a.uuid).toMatch(/^564d[0-9a-f]{4}-/);
    expect(deviceByKey(a, 1000)!._type).toBe("VirtualLsiLogicController");
    expect(deviceByKey(a, 2000)).toMatchObject({ backing: { fileName: "[mydatastore] tiny/tiny.vmdk" } });
    expect(deviceByKey(a, 3002)).toMatchObject({ backing: { fileName: "[mydatastore] iso/x.iso" } });
    expect(deviceByKey(a, 4000)).toMatchObject({ _type: "VirtualPCNet32", macAddress: generatedMac(a.uuid!, 0) });
    expect(a.extraConfig).toEqual([option("sound.present", "TRUE")]);
    const given = readVmx(VmxFile.parse(text, "[mydatastore] tiny/tiny.vmx"), { ...ctx, defaultUuid: "564d1234-0000-0000-0000-00000000abcd" });
    expect(given.uuid).toBe("564d1234-0000-0000-0000-00000000abcd");
  });

  it("writes nothing new when an unchanged configuration is written again", () => {
    // the device list as the simulator's VM object holds it: defaults included, VMCI id unset, NICs without unit or MAC
    const defaults: VmxDevice[] = [
      { _type: "VirtualIDEController", key: 200, busNumber: 0, device: [] },
      { _type: "VirtualIDEController", key: 201, busNumber: 1, device: [] },
      { _type: "VirtualPS2Controller", key: 300, busNumber: 0, device: [600, 700] },
      { _type: "VirtualPCIController", key: 100, busNumber: 0, device: [500, 12000] },
      { _type: "VirtualSIOController", key: 400, busNumber: 0, device: [] },
      { _type: "VirtualKeyboard", key: 600, controllerKey: 300, unitNumber: 0 },
      { _type: "VirtualPointingDevice", key: 700, controllerKey: 300, unitNumber: 1, backing: { _type: "VirtualPointingDeviceDeviceBackingInfo", deviceName: "", useAutoDetect: false, hostPointingDevice: "autodetect" } },
      { _type: "VirtualMachineVideoCard", key: 500, controllerKey: 100, unitNumber: 0, videoRamSizeInKB: 4096, numDisplays: 1, useAutoDetect: false, enable3DSupport: false, use3dRenderer: "automatic", graphicsMemorySizeInKB: 262144 },
      { _type: "VirtualMachineVMCIDevice", key: 12000, controllerKey: 100, unitNumber: 17, id: -1, allowUnrestrictedCommunication: false, filterEnable: true },
      { _type: "VirtualE1000", key: 4000, controllerKey: 100, backing: netBacking("VM Network"), connectable: connect() },
    ];
    for (const [config, d] of [[applianceConfig(false), "[mydatastore] VCH001"], [containerConfig(), `[mydatastore] ${CONTAINER_ID}`], [base(defaults), dir]] as const) {
      const ctx = ctxFor(d);
      const first = writeVmx(config, ctx);
      expect(writeVmx(config, ctx, first).toString()).toBe(first.toString());
    }
    const f = writeVmx(base(defaults), ctxFor(dir));
    expect(f.get("vmci0.id")).toBe(String(0x55556666));
    expect(f.has("svga.vramSize")).toBe(false);
  });

  it("keeps a NIC's address across rewrites until its type of address changes", () => {
    const nic: VmxDevice = { _type: "VirtualVmxnet3", key: 4000, controllerKey: 100, backing: netBacking("VM Network"), connectable: connect(), addressType: "generated" };
    const other: VmxDevice = { ...nic, key: 4001 };
    const existing = VmxFile.parse(`ethernet0.present = "TRUE"\nethernet0.virtualDev = "vmxnet3"\nethernet0.addressType = "generated"\nethernet0.generatedAddress = "00:0c:29:55:66:70"\nethernet0.generatedAddressOffset = "10"\n`, `${dir}/lab.vmx`);
    const f = writeVmx(base([nic, other]), ctxFor(dir), existing);
    expect(f.get("ethernet0.generatedAddress")).toBe("00:0c:29:55:66:70");
    expect(f.get("ethernet0.generatedAddressOffset")).toBe("10");
    // ethernet1's own offset (10) would collide with the address ethernet0 keeps
    expect(f.get("ethernet1.generatedAddress")).toBe("00:0c:29:55:66:7a");
    expect(f.get("ethernet1.generatedAddressOffset")).toBe("20");
    const g = writeVmx(base([nic, other]), ctxFor(dir, { isVCenter: true }), f);
    expect(g.get("ethernet0.addressType")).toBe("vpx");
    expect(g.get("ethernet0.generatedAddress")).toMatch(/^00:50:56:[89ab]/);
    expect(g.has("ethernet0.generatedAddressOffset")).toBe(false);
  });

  it("maps remote floppies, device-backed parallel ports and xHCI controllers", () => {
    const devices: VmxDevice[] = [
      { _type: "VirtualFloppy", key: 8000, controllerKey: 400, unitNumber: 0, backing: { _type: "VirtualFloppyRemoteDeviceBackingInfo", deviceName: "", useAutoDetect: false }, connectable: connect({ startConnected: false }) },
      { _type: "VirtualParallelPort", key: 10000, controllerKey: 400, unitNumber: 0, backing: { _type: "VirtualParallelPortDeviceBackingInfo", deviceName: "/dev/parport0", useAutoDetect: false }, connectable: connect() },
      { _type: "VirtualUSBXHCIController", key: 14000, controllerKey: 100, busNumber: 0, autoConnectDevices: false },
    ];
    const { f, back } = roundTrip(base(devices));
    expect(f.entries("floppy0.")).toEqual([
      ["floppy0.present", "TRUE"], ["floppy0.fileType", "device"], ["floppy0.clientDevice", "TRUE"],
      ["floppy0.fileName", "vmware-null-remote-floppy"], ["floppy0.startConnected", "FALSE"],
    ]);
    expect(f.get("parallel0.fileType")).toBe("device");
    expect(f.get("usb_xhci.present")).toBe("TRUE");
    for (const d of devices) expect(deviceByKey(back, d.key), `device ${d.key}`).toMatchObject(d);
  });

  it("refuses a device the .vmx cannot name", () => {
    const orphan: VmxDevice = { _type: "VirtualDisk", key: -5, controllerKey: 1234, unitNumber: 0, capacityInKB: 1, backing: { _type: "VirtualDiskFlatVer2BackingInfo", fileName: `${dir}/x.vmdk`, diskMode: "persistent" } };
    expect(() => writeVmx(base([orphan]), ctxFor(dir))).toThrow(/no controller and unit/);
  });

  it("labels devices as the vSphere client does", () => {
    const ctx = ctxFor(`[mydatastore] ${CONTAINER_ID}`);
    const back = readVmx(writeVmx(containerConfig(), ctx), ctx);
    expect(back.hardware!.device!.filter((d) => d.deviceInfo).map((d) => (d.deviceInfo as DataObject).label)).toEqual([
      "IDE 0", "IDE 1", "PS2 controller 0", "PCI controller 0", "SIO controller 0", "Keyboard ", "Pointing device", "Video card ",
      "VMCI device", "SCSI controller 0", "CD/DVD drive 1", "Hard disk 1", "Network adapter 1", "Serial port 1", "Serial port 2",
    ]);
  });
});
