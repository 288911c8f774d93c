// The OVF descriptor reader and the sparse VMDK decoder behind OVF imports.
import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { OvfError, parseOvf } from "../../simulator/formats/ovf.ts";
import { SparseVmdkError, readSparseExtent } from "../../simulator/formats/sparse-vmdk.ts";

const envelope = (body: string) => `<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">${body}</Envelope>`;
const item = (fields: Record<string, string | number>) => `<Item>${Object.entries(fields).map(([k, v]) => `<rasd:${k}>${v}</rasd:${k}>`).join("")}</Item>`;

describe("parseOvf", () => {
  it("reads a virtual system's hardware, disks and files", () => {
    const s = parseOvf(envelope(`
      <References><File ovf:id="f1" ovf:href="a.vmdk" ovf:size="10"/></References>
      <DiskSection><Disk ovf:diskId="d1" ovf:capacity="2" ovf:capacityAllocationUnits="byte * 2^30" ovf:fileRef="f1"/></DiskSection>
      <VirtualSystem ovf:id="app"><Name>appliance</Name><VirtualHardwareSection>
        ${item({ InstanceID: 1, ResourceType: 3, VirtualQuantity: 4 })}
        ${item({ InstanceID: 2, ResourceType: 4, VirtualQuantity: 2, AllocationUnits: "byte * 2^30" })}
        ${item({ InstanceID: 3, ResourceType: 6, ResourceSubType: "VirtualSCSI", Address: 0 })}
        ${item({ InstanceID: 4, ResourceType: 17, Parent: 3, AddressOnParent: 1, HostResource: "ovf:/disk/d1" })}
      </VirtualHardwareSection></VirtualSystem>`));
    expect(s).toMatchObject({ id: "app", name: "appliance", cpus: 4, memoryMB: 2048 });
    expect(s.controllers).toEqual([{ instanceId: "3", kind: "scsi", subtype: "VirtualSCSI", bus: 0 }]);
    expect(s.disks).toEqual([{ diskId: "d1", capacityBytes: 2 * 1024 ** 3, file: { id: "f1", href: "a.vmdk", size: 10 }, parent: "3", address: 1 }]);
  });

  it("names what it cannot import", () => {
    const cases: [string, RegExp][] = [
      ["<notovf/>", /not an OVF Envelope/],
      ["<Envelope", /not XML/],
      [envelope("<VirtualSystemCollection/>"), /VirtualSystemCollection/],
      [envelope('<VirtualSystem ovf:id="x"/>'), /no VirtualHardwareSection/],
      [envelope(`<VirtualSystem ovf:id="x"><VirtualHardwareSection>${item({ InstanceID: 9, ResourceType: 17, Parent: 3, HostResource: "ovf:/disk/nope" })}</VirtualHardwareSection></VirtualSystem>`), /Item 9 .* names no disk/],
      [envelope(`<DiskSection><Disk ovf:diskId="d1" ovf:capacity="1" ovf:capacityAllocationUnits="furlongs"/></DiskSection>`), /unknown allocation units "furlongs"/],
      [envelope(`<DiskSection><Disk ovf:diskId="d1" ovf:capacity="1" ovf:fileRef="ghost"/></DiskSection>`), /names file ghost/],
    ];
    for (const [text, why] of cases) expect(() => parseOvf(text), text).toThrowError(why);
    expect(() => parseOvf("<notovf/>")).toThrowError(OvfError);
  });
});

/** A hosted sparse header: capacity and grain in sectors, flags, gd and overhead in sectors. */
function header(o: { capacity: number; grain: number; flags: number; gd: bigint; overHead: number }): Buffer {
  const h = Buffer.alloc(512);
  h.writeUInt32LE(0x564d444b, 0);
  h.writeUInt32LE(1, 4);
  h.writeUInt32LE(o.flags, 8);
  h.writeBigUInt64LE(BigInt(o.capacity), 12);
  h.writeBigUInt64LE(BigInt(o.grain), 20);
  h.writeUInt32LE(512, 44);
  h.writeBigUInt64LE(o.gd, 56);
  h.writeBigUInt64LE(BigInt(o.overHead), 64);
  return h;
}

describe("readSparseExtent", () => {
  it("follows a monolithicSparse disk's grain directory and tables", () => {
    // 1 MiB disk, 64 KiB grains: GD at sector 1, one GT at sector 2 (4 sectors), grains from sector 8
    const buf = Buffer.alloc(512 * 8 + 2 * 65536);
    header({ capacity: 2048, grain: 128, flags: 3, gd: 1n, overHead: 8 }).copy(buf, 0);
    buf.writeUInt32LE(2, 512); // GD[0] -> GT at sector 2
    buf.writeUInt32LE(8, 1024 + 4 * 3); // grain 3 at sector 8
    buf.writeUInt32LE(1, 1024 + 4 * 4); // grain 4 zeroed: no data
    buf.write("third grain", 512 * 8);
    const e = readSparseExtent(buf);
    expect(e.capacity).toBe(1024 * 1024);
    expect(e.grains.map((g) => [g.offset, g.data.subarray(0, 11).toString()])).toEqual([[3 * 65536, "third grain"]]);
  });

  it("inflates a streamOptimized disk's grains and refuses broken ones", () => {
    const grain = (lba: number, data: Buffer) => {
      const z = deflateSync(data);
      const m = Buffer.alloc(Math.ceil((12 + z.length) / 512) * 512);
      m.writeBigUInt64LE(BigInt(lba), 0);
      m.writeUInt32LE(z.length, 8);
      z.copy(m, 12);
      return m;
    };
    const eos = Buffer.alloc(512);
    const good = Buffer.concat([header({ capacity: 2048, grain: 128, flags: 0x30003, gd: 0xffffffffffffffffn, overHead: 1 }), grain(128, Buffer.from("second grain")), eos]);
    expect(readSparseExtent(good).grains.map((g) => [g.offset, g.data.toString()])).toEqual([[65536, "second grain"]]);
    const beyond = Buffer.concat([header({ capacity: 128, grain: 128, flags: 0x30003, gd: 0n, overHead: 1 }), grain(4096, Buffer.from("x")), eos]);
    expect(() => readSparseExtent(beyond)).toThrowError(/beyond the disk's capacity/);
    const cut = Buffer.concat([header({ capacity: 2048, grain: 128, flags: 0x30003, gd: 0n, overHead: 1 }), grain(0, Buffer.alloc(4096, 7)).subarray(0, 20)]);
    expect(() => readSparseExtent(cut)).toThrowError(SparseVmdkError);
    expect(() => readSparseExtent(Buffer.alloc(600))).toThrowError(/no KDMV header/);
  });
});
