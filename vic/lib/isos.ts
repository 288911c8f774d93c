// The VCH's two ISO images, as VIC's isos/*.sh build them: appliance.iso
// boots the appliance (vic-init and its components), bootstrap.iso boots a
// container VM (tether). Ours carry the manifest naming the guest program
// and the files a look inside the image expects (os-release, the /sbin
// binaries' names). The images are deterministic for a given time.
import { buildGuestIso } from "../../formats/iso9660.ts";

export const APPLIANCE_GUEST = "vic-appliance";
export const BOOTSTRAP_GUEST = "vic-tether";
export const VIC_ISO_VERSION = "0.4.0";

const OS_RELEASE = 'NAME="VMware Photon"\nVERSION="1.0"\nID=photon\nVERSION_ID=1.0\nPRETTY_NAME="VMware Photon/Linux"\n';

function binary(name: string): { path: string; data: Buffer } {
  // a simulated binary: its interpreter line names the guest program that implements it
  return { path: `/sbin/${name}`, data: Buffer.from(`#!/sim/${name}\n`) };
}

export function buildApplianceIso(now: Date): Buffer {
  return buildGuestIso(APPLIANCE_GUEST, [
    { path: "/etc/os-release", data: Buffer.from(OS_RELEASE) },
    { path: "/etc/vic-version", data: Buffer.from(`${VIC_ISO_VERSION}\n`) },
    ...["vic-init", "docker-engine-server", "port-layer-server", "vicadmin"].map(binary),
  ], now, { volumeId: "APPLIANCE", version: VIC_ISO_VERSION });
}

export function buildBootstrapIso(now: Date): Buffer {
  return buildGuestIso(BOOTSTRAP_GUEST, [
    { path: "/etc/os-release", data: Buffer.from(OS_RELEASE) },
    { path: "/etc/vic-version", data: Buffer.from(`${VIC_ISO_VERSION}\n`) },
    binary("tether"),
  ], now, { volumeId: "BOOTSTRAP", version: VIC_ISO_VERSION });
}
