// The guest programs VIC's ISOs name, for a simulator's table: what the
// ISO's binaries are, as far as the fake hardware is concerned. A real ESXi
// would run the Photon image; the simulator runs these through
// GuestHardware only (hardware/guest-hardware.ts).
import type { GuestProgram } from "../hardware/guest-hardware.ts";
import { vicInit } from "./appliance/vic-init.ts";
import { APPLIANCE_GUEST, BOOTSTRAP_GUEST } from "./lib/isos.ts";
import { tether } from "./tether/tether.ts";

export const VIC_GUEST_PROGRAMS: Readonly<Record<string, GuestProgram>> = {
  [APPLIANCE_GUEST]: vicInit,
  [BOOTSTRAP_GUEST]: tether,
};
