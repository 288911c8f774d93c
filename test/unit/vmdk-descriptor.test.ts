// VMDK descriptors as ESXi writes them, with the change tracking section a
// disk gets while CBT is on: a customer's disk with CBT parses and writes
// back as it was.
import { describe, expect, it } from "vitest";
import { formatDescriptor, parseDescriptor, VmdkParseError } from "../../simulator/formats/vmdk.ts";

const TRACKED = `# Disk DescriptorFile
version=1
encoding="UTF-8"
CID=5d7ab2c1
parentCID=ffffffff
isNativeSnapshot="no"
createType="vmfs"

# Extent description
RW 8388608 VMFS "db01-flat.vmdk"

# Change Tracking File
changeTrackPath="db01-ctk.vmdk"

# The Disk Data Base
#DDB

ddb.adapterType = "pvscsi"
ddb.longContentID = "0b3c7e2a9f1d4e6c8a5b2d7e5d7ab2c1"
ddb.thinProvisioned = "1"
ddb.uuid = "60 00 C2 9a 1b 2c 3d 4e-5f 60 71 82 93 a4 b5 c6"
ddb.virtualHWVersion = "11"
`;

describe("VMDK descriptor", () => {
  it("reads and writes changeTrackPath in its own section", () => {
    const d = parseDescriptor(TRACKED, "[ds1] db01/db01.vmdk");
    expect(d.changeTrackPath).toBe("db01-ctk.vmdk");
    expect(formatDescriptor(d)).toBe(TRACKED);
  });

  it("writes no change tracking section for an untracked disk", () => {
    const d = parseDescriptor(TRACKED);
    delete d.changeTrackPath;
    expect(formatDescriptor(d)).not.toContain("Change Tracking");
    expect(parseDescriptor(formatDescriptor(d)).changeTrackPath).toBeUndefined();
  });

  it("still refuses a key it does not know, naming the line", () => {
    expect(() => parseDescriptor(TRACKED.replace("changeTrackPath", "changeTrackPathX"), "db01.vmdk")).toThrow(VmdkParseError);
    expect(() => parseDescriptor(TRACKED.replace("changeTrackPath", "changeTrackPathX"), "db01.vmdk")).toThrow("db01.vmdk:13: unknown key changeTrackPathX");
  });
});
