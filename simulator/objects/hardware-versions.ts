// Virtual hardware versions by product release (VMware KB 1003746): what a
// host of the scenario's release creates disks and VMs with, and what it
// upgrades a VM to when UpgradeVM_Task names no version.

import { VimFault } from "../../vim25/soap/index.ts";

const NEWEST_BY_RELEASE: [string, number][] = [["8.0", 20], ["7.0", 17], ["6.7", 14], ["6.5", 13], ["6.0", 11], ["5.5", 10], ["5.1", 9], ["5.0", 8]];

// the versions ESXi releases shipped; 5, 6, 12 and 16 are Workstation-only
const ESX_VERSIONS = [4, 7, 8, 9, 10, 11, 13, 14, 15, 17, 18, 19, 20, 21];

/** The newest virtual hardware a host of this release runs (11 for 6.0, the default). */
export function newestHardwareVersion(productVersion: string): number {
  return NEWEST_BY_RELEASE.find(([prefix]) => productVersion.startsWith(prefix))?.[1] ?? 11;
}

/** The versions a host of this release runs, oldest first. */
export function supportedHardwareVersions(productVersion: string): number[] {
  const newest = newestHardwareVersion(productVersion);
  return ESX_VERSIONS.filter((v) => v <= newest);
}

/** "vmx-09" for 9: the two-digit key ESXi reports in config.version. */
export function hardwareVersionKey(version: number): string {
  return `vmx-${String(version).padStart(2, "0")}`;
}

/** hostd's answer to a version it does not run (UpgradeVM_Task, CreateVM_Task). */
export function versionNotRun(asked: string): VimFault {
  return new VimFault("InvalidArgument", { invalidProperty: "version" }, `A specified parameter was not correct: version (${asked} is not a hardware version this host runs)`);
}
