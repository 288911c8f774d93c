// Finding VCHs and showing one: a VM is a VCH when its extraConfig decodes
// as a VCH config whose init/common/id is the VM's own moref (0.5
// management/finder.go), and the block create and inspect end with
// (management/inspect.go ShowVCH, 0.4's wording).
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { decodeVchConfig, type VirtualContainerHostConfigSpec } from "../lib/vch-config.ts";
import type { Inventory } from "./inventory.ts";
import type { MachineLog } from "./log.ts";

export interface FoundVch {
  ref: ManagedObjectReference;
  name: string;
  config: VirtualContainerHostConfigSpec;
  powerState: string;
  /** the pool or vApp the appliance runs in */
  pool: ManagedObjectReference | undefined;
}

function configOf(extraConfig: unknown): VirtualContainerHostConfigSpec | undefined {
  const ec = (extraConfig as { key: string; value: unknown }[] | undefined) ?? [];
  if (!ec.some((o) => o.key.startsWith("guestinfo./init/"))) return undefined;
  try {
    return decodeVchConfig(ec);
  } catch {
    return undefined;
  }
}

export function isVch(ref: ManagedObjectReference, extraConfig: unknown): boolean {
  return configOf(extraConfig)?.init?.common?.id === ref.value;
}

/** every VCH in the datacenter, or those named `name` */
export async function findVchs(inv: Inventory, name?: string): Promise<FoundVch[]> {
  const vms = await inv.client.retrieveFromContainer(inv.datacenter.vmFolder, "VirtualMachine", ["name", "config.extraConfig", "runtime.powerState", "resourcePool"]);
  const out: FoundVch[] = [];
  for (const [value, vm] of vms) {
    if (name !== undefined && vm.name !== name) continue;
    const ref: ManagedObjectReference = { _type: "ManagedObjectReference", type: "VirtualMachine", value };
    const config = configOf(vm["config.extraConfig"]);
    if (!config || config.init?.common?.id !== value) continue;
    out.push({ ref, name: String(vm.name), config, powerState: String(vm["runtime.powerState"]), pool: vm.resourcePool as ManagedObjectReference | undefined });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.ref.value.localeCompare(b.ref.value));
}

export function showVch(log: MachineLog, ip: string, tls: boolean, certDir: string | undefined, verify: boolean): void {
  const port = tls ? 2376 : 2375;
  log.info("");
  log.info("Log server:");
  log.info(`${tls ? "https" : "http"}://${ip}:2378`);
  log.info("");
  log.info(`DOCKER_HOST=${ip}:${port}`);
  if (certDir) log.info(`DOCKER_CERT_PATH=${certDir}`);
  log.info("");
  log.info("Connect to docker:");
  log.info(`docker -H ${ip}:${port}${tls ? (verify ? " --tlsverify" : " --tls") : ""} info`);
}
