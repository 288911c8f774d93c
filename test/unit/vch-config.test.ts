// The VCH config's keys: the appliance's init config under `init`, the
// read-write keys vic-machine waits for, and a lossless round trip.
import { describe, expect, it } from "vitest";
import { ipv4 } from "../../vic/lib/executor-config.ts";
import { clientIpKey, decodeVchConfig, encodeVchConfig, ipString, sessionStartedKey, type VirtualContainerHostConfigSpec } from "../../vic/lib/vch-config.ts";

const spec: VirtualContainerHostConfigSpec = {
  init: {
    common: { id: "1", name: "VCH001" },
    sessions: { vicadmin: { common: { id: "vicadmin", name: "vicadmin" }, cmd: { path: "/sbin/vicadmin", args: ["/sbin/vicadmin", "-insecure"] }, restart: true, started: "true" } },
    networks: { client: { common: { id: "192", name: "client" }, assigned: { ip: ipv4("127.5.6.7"), mask: Buffer.from([255, 255, 255, 0]) }, network: { common: { id: "VM Network", name: "client" } } } },
  },
  target: "https://esxi01/sdk",
  userPassword: "root:pw",
  hostCertificate: { key: Buffer.from("KEY"), cert: Buffer.from("CERT") },
  imageStores: ["ds://mydatastore/VCH001/images"],
  volumeLocations: { default: "ds://mydatastore/volumes" },
  bridgeNetwork: "VCH Bridge",
  createBridgeNetwork: false,
  computeResources: ["ResourcePool:pool1"],
  bootstrapImagePath: "[mydatastore] VCH001/bootstrap.iso",
};

describe("VCH config", () => {
  it("writes the init config under init, read-write keys with the double dot", () => {
    const keys = encodeVchConfig(spec);
    expect(keys.get("guestinfo./init/common/name")).toBe("VCH001");
    expect(keys.get("guestinfo./init/sessions|vicadmin/cmd/Path")).toBe("/sbin/vicadmin");
    expect(keys.get("guestinfo./init/sessions|vicadmin/cmd/Args~")).toBe("/sbin/vicadmin|-insecure");
    expect(keys.get(sessionStartedKey("vicadmin"))).toBe("true");
    expect(keys.get(clientIpKey())).toBe("AAAAAAAAAAAAAP//fwUGBw==");
    expect(keys.get("guestinfo./bridge_network")).toBe("VCH Bridge");
    expect(keys.get("guestinfo./image_stores~")).toBe("ds://mydatastore/VCH001/images");
    expect(keys.get("guestinfo./volume_stores|default")).toBe("ds://mydatastore/volumes");
    expect(keys.get("guestinfo./host_certificate/Key")).toBe(Buffer.from("KEY").toString("base64"));
  });

  it("reads back what it wrote", () => {
    const back = decodeVchConfig(encodeVchConfig(spec));
    expect(back).toEqual(spec);
    expect(ipString(back.init.networks!.client.assigned!.ip)).toBe("127.5.6.7");
  });

  it("has no address for an unset or zero IP", () => {
    expect(ipString(undefined)).toBeUndefined();
    expect(ipString(Buffer.alloc(16))).toBeUndefined();
    expect(ipString(Buffer.from([10, 0, 0, 1]))).toBe("10.0.0.1");
  });
});
