// The table of guest programs a simulator can boot, by the name an image's
// manifest gives. Each simulator has its own table (tests register programs
// in process); the built-in `generic-linux` is the OS a scenario may give a
// fixture VM: tools running, a host name, an address on each NIC.
import type { GuestProgram } from "./guest-hardware.ts";

export const GENERIC_LINUX = "generic-linux";

export class GuestProgramTable {
  private readonly programs = new Map<string, GuestProgram>([[GENERIC_LINUX, genericLinux]]);

  register(name: string, program: GuestProgram): void {
    if (typeof name !== "string" || !name) throw new Error("guest program: a non-empty name");
    if (typeof program !== "function") throw new Error(`guest program ${name}: a function`);
    this.programs.set(name, program);
  }

  unregister(name: string): void {
    this.programs.delete(name);
  }

  get(name: string): GuestProgram | undefined {
    return this.programs.get(name);
  }

  names(): string[] {
    return [...this.programs.keys()];
  }
}

/**
 * A Linux guest that boots, brings up its NICs and idles. Options (from the
 * scenario): `hostName`, and `ipAddress` for the first NIC (others take a
 * lease). ShutdownGuest and RebootGuest do what they do on any Linux.
 */
const genericLinux: GuestProgram = (hw) => {
  const hostName = typeof hw.options.hostName === "string" && hw.options.hostName ? hw.options.hostName : hw.vm.name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "") || "localhost";
  hw.setHostName(hostName);
  hw.nics.forEach((nic, i) => {
    const fixed = i === 0 && typeof hw.options.ipAddress === "string" ? hw.options.ipAddress : undefined;
    if (fixed) nic.setAddress(fixed);
    else nic.dhcp();
  });
  hw.log(`guest| I125: ${hostName} up`);
  return {};
};
