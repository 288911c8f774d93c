// A VM's console as the API reaches it: PutUsbScanCodes types at its
// keyboard (Ansible's vmware_guest_sendkey, Packer's boot_command),
// CreateScreenshot_Task writes what the screen shows as `<vm>-N.png` in the
// VM's folder, SetScreenResolution and SetDisplayTopology ask the tools to
// change the guest's screen (guest.screen), SendNMI raises a non-maskable
// interrupt (the VMX logs it; the API gives no way to see whether the guest
// took it, as the reference says).
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

/**
 * SetDisplayTopology: the tools lay the guest's monitors out as given; the
 * screen guest.screen reports is the box around them all.
 */
export function setDisplayTopology(vm: VirtualMachine, args: Args): void {
  const displays = (args.displays ?? []) as { x?: number; y?: number; width?: number; height?: number }[];
  if (!displays.length) throw new VimFault("InvalidArgument", { invalidProperty: "displays" }, "A specified parameter was not correct: displays");
  displays.forEach((d, i) => {
    for (const k of ["x", "y", "width", "height"] as const) {
      const v = d[k];
      if (!Number.isInteger(v) || (v as number) < (k === "width" || k === "height" ? 1 : 0)) throw new VimFault("InvalidArgument", { invalidProperty: `displays[${i}].${k}` }, `A specified parameter was not correct: displays[${i}].${k}`);
    }
  });
  const width = Math.max(...displays.map((d) => d.x! + d.width!));
  const height = Math.max(...displays.map((d) => d.y! + d.height!));
  setScreenResolution(vm, { width, height });
}

/** SendNMI: the VMX raises the interrupt and logs it. */
export function sendNmi(vm: VirtualMachine): void {
  requireOn(vm);
  vm.storage.log(vm, "vmx| I125: NMI sent to the guest (SendNMI)");
}

// USB HID usage IDs (keyboard page) of a US layout: unshifted, shifted
const KEYS: Readonly<Record<number, readonly [string, string]>> = Object.freeze({
  0x28: ["\r", "\r"], 0x29: ["\x1b", "\x1b"], 0x2a: ["\x7f", "\x7f"], 0x2b: ["\t", "\t"], 0x2c: [" ", " "],
  0x2d: ["-", "_"], 0x2e: ["=", "+"], 0x2f: ["[", "{"], 0x30: ["]", "}"], 0x31: ["\\", "|"], 0x33: [";", ":"], 0x34: ["'", '"'],
  0x35: ["`", "~"], 0x36: [",", "<"], 0x37: [".", ">"], 0x38: ["/", "?"],
  0x4f: ["\x1b[C", "\x1b[C"], 0x50: ["\x1b[D", "\x1b[D"], 0x51: ["\x1b[B", "\x1b[B"], 0x52: ["\x1b[A", "\x1b[A"],
  0x4a: ["\x1b[H", "\x1b[H"], 0x4d: ["\x1b[F", "\x1b[F"], 0x4c: ["\x1b[3~", "\x1b[3~"],
  ...Object.fromEntries(Array.from({ length: 26 }, (_, i) => [0x04 + i, [String.fromCharCode(97 + i), String.fromCharCode(65 + i)]])),
  ...Object.fromEntries("1234567890".split("").map((d, i) => [0x1e + i, [d, "!@#$%^&*()"[i]]])),
});

type Modifiers = { leftControl?: boolean; leftShift?: boolean; leftAlt?: boolean; rightControl?: boolean; rightShift?: boolean; rightAlt?: boolean };

/**
 * What a key event types: usbHidCode is the HID usage ID shifted left 16
 * bits with 0x0007 below (the keyboard page), as Ansible's
 * vmware_guest_sendkey builds it. Shift picks the shifted character, Ctrl
 * with a letter its control character; a key with no character (F1...) types nothing.
 */
export function keyText(usbHidCode: number, mods: Modifiers | undefined): string {
  const usage = (usbHidCode >>> 16) & 0xffff;
  const key = KEYS[usage];
  if (!key) return "";
  const shift = !!(mods?.leftShift || mods?.rightShift);
  const ctrl = !!(mods?.leftControl || mods?.rightControl);
  const ch = key[shift ? 1 : 0];
  if (ctrl && /^[a-zA-Z]$/.test(ch)) return String.fromCharCode(ch.toUpperCase().charCodeAt(0) - 64);
  if (mods?.leftAlt || mods?.rightAlt) return ch.length === 1 ? `\x1b${ch}` : ch;
  return ch;
}

/** PutUsbScanCodes: the keys typed at the console, in order; the number of key events sent. */
export function putUsbScanCodes(vm: VirtualMachine, args: Args): number {
  requireOn(vm);
  const events = ((args.spec as { keyEvents?: { usbHidCode?: number; modifiers?: Modifiers }[] } | undefined)?.keyEvents ?? []);
  events.forEach((e, i) => {
    if (!Number.isInteger(e.usbHidCode)) throw new VimFault("InvalidArgument", { invalidProperty: `spec.keyEvents[${i}].usbHidCode` }, "A specified parameter was not correct: usbHidCode");
  });
  const text = events.map((e) => keyText(e.usbHidCode!, e.modifiers)).join("");
  // a VM with no guest OS takes the keys too: nothing reads them
  if (text) vm.sim.guests.of(vm)?.os?.type(text);
  return events.length;
}
