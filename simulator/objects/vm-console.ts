// A VM's console as the API reaches it: CreateScreenshot_Task writes what
// the screen shows as `<vm>-N.png` in the VM's folder, SetScreenResolution
// asks the tools to change the guest's screen (guest.screen), SendNMI
// raises a non-maskable interrupt (the VMX logs it; the API gives no way to
// see whether the guest took it, as the reference says).
//
// The simulated guests have no framebuffer: a screenshot is the screen's
// size in black, the size being guest.screen once the tools set one, else
// the 720x400 of a VGA text console (a guest without a graphical desktop).
import { deflateSync, crc32 } from "node:zlib";
import { VimFault, type DataObject } from "../../vim25/soap/index.ts";
import type { Args } from "./managed-object.ts";
import type { VirtualMachine } from "./virtual-machine.ts";

const TEXT_CONSOLE = { width: 720, height: 400 };
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function requireOn(vm: VirtualMachine): void {
  if (vm.powerState !== "poweredOn") throw new VimFault("InvalidPowerState", { requestedState: "poweredOn", existingState: vm.powerState });
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A black 8-bit grayscale PNG of width x height. */
export function blackPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  // each row: filter type 0, then the pixels
  const rows = Buffer.alloc((width + 1) * height);
  return Buffer.concat([PNG_SIGNATURE, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}

function screenOf(vm: VirtualMachine): { width: number; height: number } {
  const s = (vm.props.guest as { screen?: { width?: number; height?: number } }).screen;
  return s?.width && s.height ? { width: s.width, height: s.height } : TEXT_CONSOLE;
}

/** CreateScreenshot_Task's work: the PNG's `[ds] path`. */
export function createScreenshot(vm: VirtualMachine): string {
  requireOn(vm);
  const { width, height } = screenOf(vm);
  const path = vm.storage.writeNumbered(vm, ".png", blackPng(width, height));
  vm.storage.log(vm, `vmx| I125: Screenshot saved to ${path} (${width}x${height})`);
  return path;
}

/** SetScreenResolution: the tools resize the guest's screen; they must be running. */
export function setScreenResolution(vm: VirtualMachine, args: Args): void {
  requireOn(vm);
  const guest = vm.props.guest as DataObject & { toolsRunningStatus?: string };
  if (guest.toolsRunningStatus !== "guestToolsRunning") throw new VimFault("ToolsUnavailable", {}, "Cannot complete operation because VMware Tools is not running in this virtual machine.");
  for (const k of ["width", "height"]) {
    const v = args[k];
    if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 16384) throw new VimFault("InvalidArgument", { invalidProperty: k }, `A specified parameter was not correct: ${k}`);
  }
  vm.setGuest({ ...guest, screen: { _type: "GuestScreenInfo", width: args.width, height: args.height } }, vm.props.guestHeartbeatStatus as string);
}

/** SendNMI: the VMX raises the interrupt and logs it. */
export function sendNmi(vm: VirtualMachine): void {
  requireOn(vm);
  vm.storage.log(vm, "vmx| I125: NMI sent to the guest (SendNMI)");
}
