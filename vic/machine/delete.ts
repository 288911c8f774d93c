// `vic-machine delete`, in VIC's order (spec §1.5): the container VMs (a
// powered-on one stops everything without --force), images, volumes (only
// with --force), the appliance's NICs, the bridge port group if create made
// it, the extension on vCenter, the appliance VM and its folder, and the
// pool or vApp if nothing else is left in it.
import { datastoreFolderOf, type VimClient } from "../../vim25/client/index.ts";
import { isVimFault, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { FlagSpec, FlagValues } from "./flags.ts";
import { UsageError } from "./flags.ts";
import { parseDsUrl, vchPool } from "../lib/vch-config.ts";
import { Inventory } from "./inventory.ts";
import { CommandFailed, type MachineLog } from "./log.ts";
import { login, targetFrom, TARGET_FLAGS } from "./target.ts";
import { findVchs, type FoundVch } from "./vch.ts";

export const VCH_FLAGS: FlagSpec[] = [
  ...TARGET_FLAGS,
  { name: "name", aliases: ["n"], type: "string", usage: "the name of the Virtual Container Host", default: "virtual-container-host" },
  { name: "compute-resource", aliases: ["r"], type: "string", usage: "compute resource path, e.g. myCluster/Resources/myRP" },
  { name: "id", type: "string", usage: "the VCH's appliance VM moref, e.g. vm-220 (from vic-machine ls)" },
];

export const DELETE_FLAGS: FlagSpec[] = [
  ...VCH_FLAGS,
  { name: "force", aliases: ["f"], type: "bool", usage: "power off and delete container VMs, and delete volume stores" },
];

const str = (v: FlagValues, k: string) => v.get(k) as string | undefined;

async function task(client: VimClient, method: string, ref: ManagedObjectReference, args: Record<string, unknown> = {}): Promise<unknown> {
  return client.waitForTask((await client.call(method, ref, args)) as ManagedObjectReference);
}

/** log in and find the one VCH the flags name */
export async function connectToVch(values: FlagValues, log: MachineLog, banner: string): Promise<{ client: VimClient; inv: Inventory; vch: FoundVch }> {
  const target = await targetFrom(values, log);
  log.info(banner);
  const client = await login(target, str(values, "thumbprint"));
  try {
    const inv = await Inventory.load(client, target.datacenter);
    const id = str(values, "id");
    const name = str(values, "name") ?? "virtual-container-host";
    let found = await findVchs(inv, id ? undefined : name);
    if (id) found = found.filter((v) => v.ref.value === id);
    const cr = str(values, "compute-resource");
    if (cr && !id) {
      const c = inv.computes.find((x) => x.name === cr.split("/")[0] || x.path.endsWith(`/${cr.split("/")[0]}`));
      if (!c) throw new CommandFailed(`Compute resource "${cr}" was not found`);
      const pools = new Set((await inv.pools(c.rootPool)).map((p) => p.ref.value));
      found = found.filter((v) => v.pool && pools.has(v.pool.value));
    }
    if (!found.length) throw new CommandFailed(id ? `Failed to get Virtual Container Host ${id}: no VCH has that ID` : `Failed to get Virtual Container Host ${name}: not found`);
    if (found.length > 1) throw new CommandFailed(`More than one VCH is named ${name} (${found.map((v) => v.ref.value).join(", ")}): use --id or --compute-resource`);
    return { client, inv, vch: found[0] };
  } catch (e) {
    await client.logout().catch(() => {});
    throw e;
  }
}

async function deleteDatastorePath(client: VimClient, inv: Inventory, path: string): Promise<boolean> {
  try {
    await task(client, "DeleteDatastoreFile_Task", client.content.fileManager!, { name: path, datacenter: inv.datacenter.ref });
    return true;
  } catch (e) {
    if (isVimFault(e) && e.type === "FileNotFound") return false;
    throw e;
  }
}

async function powerOff(client: VimClient, vm: ManagedObjectReference): Promise<void> {
  const s = (await client.retrieveOne(vm, ["runtime.powerState"]))["runtime.powerState"];
  if (s === "poweredOn" || s === "suspended") await task(client, "PowerOffVM_Task", vm);
}

export async function deleteVch(values: FlagValues, log: MachineLog): Promise<void> {
  const force = values.get("force") === true;
  const { client, inv, vch } = await connectToVch(values, log, "### Removing VCH ####");
  try {
    const config = vch.config;
    const poolRef = vchPool(config) ?? vch.pool;
    const poolProps = poolRef ? await client.retrieveOne(poolRef, ["name", "vm"]) : {};
    const pool = poolRef ? { ref: poolRef, name: String(poolProps.name) } : undefined;
    const poolVms = (poolProps.vm as ManagedObjectReference[] | undefined) ?? [];

    // 1. container VMs: all or nothing
    log.info("Removing VMs");
    const children = poolVms.filter((v) => v.value !== vch.ref.value);
    const info = await client.retrieveProperties(children, ["name", "runtime.powerState", "config.files.vmPathName"]);
    const on = children.filter((c) => info.get(c.value)?.["runtime.powerState"] === "poweredOn");
    if (on.length && !force) {
      for (const c of on) log.error(`VM ${info.get(c.value)?.name} is powered on`);
      throw new CommandFailed("Delete failed: container VMs are powered on. Specify --force to force delete");
    }
    const failures: string[] = [];
    for (const c of children) {
      try {
        await powerOff(client, c);
        await task(client, "Destroy_Task", c);
        const f = datastoreFolderOf(String(info.get(c.value)?.["config.files.vmPathName"] ?? ""));
        if (f) await deleteDatastorePath(client, inv, `[${f.datastore}] ${f.path}`);
      } catch (e) {
        failures.push(`${info.get(c.value)?.name ?? c.value}: ${(e as Error).message}`);
      }
    }
    if (failures.length) {
      for (const f of failures) log.error(f);
      throw new CommandFailed("Delete failed: some container VMs could not be removed, so nothing else was. Specify --force to force delete");
    }

    const errors: string[] = [];
    // 2. images
    log.info("Removing images");
    for (const store of config.imageStores) {
      const m = parseDsUrl(store);
      if (!m?.path) continue;
      try {
        await deleteDatastorePath(client, inv, `[${m.datastore}] ${m.path}`);
      } catch (e) {
        errors.push(`Failed to remove image store ${store}: ${(e as Error).message}`);
      }
    }
    // 3. volumes: only with --force
    log.info("Removing volumes");
    for (const [label, url] of Object.entries(config.volumeLocations ?? {})) {
      const m = parseDsUrl(url);
      if (!m?.path) continue;
      if (!force) {
        log.warn(`Volume store ${label} ([${m.datastore}] ${m.path}) is kept: specify --force to delete it`);
        continue;
      }
      try {
        await deleteDatastorePath(client, inv, `[${m.datastore}] ${m.path}`);
      } catch (e) {
        errors.push(`Failed to remove volume store ${label}: ${(e as Error).message}`);
      }
    }
    // 4. the appliance's NICs
    log.info("Removing appliance VM network devices");
    try {
      await powerOff(client, vch.ref);
      const devices = ((await client.retrieveOne(vch.ref, ["config.hardware.device"]))["config.hardware.device"] as { _type: string; key: number; macAddress?: string }[]) ?? [];
      const nics = devices.filter((d) => "macAddress" in d);
      if (nics.length) {
        await task(client, "ReconfigVM_Task", vch.ref, { spec: { _type: "VirtualMachineConfigSpec", deviceChange: nics.map((d) => ({ _type: "VirtualDeviceConfigSpec", operation: "remove", device: d })) } });
      }
    } catch (e) {
      errors.push(`Failed to remove the appliance's network devices: ${(e as Error).message}`);
    }
    // 5. the bridge, if create made it (ESX only)
    if (!inv.isVC && config.createBridgeNetwork) {
      log.info(`Removing Portgroup ${config.bridgeNetwork}`);
      try {
        const host = inv.computes.find((c) => c.hosts.length)!.hosts[0];
        const ns = (await client.retrieveOne(host, ["configManager.networkSystem"]))["configManager.networkSystem"] as ManagedObjectReference;
        await client.call("RemovePortGroup", ns, { pgName: config.bridgeNetwork });
        await client.call("RemoveVirtualSwitch", ns, { vswitchName: config.bridgeNetwork }).catch((e: Error) => log.warn(`vSwitch ${config.bridgeNetwork}: ${e.message}`));
      } catch (e) {
        errors.push(`Failed to remove the bridge network ${config.bridgeNetwork}: ${(e as Error).message}`);
      }
    } else {
      log.info("Bridge network was not created during VCH deployment, leaving it there");
    }
    if (errors.length) {
      for (const e of errors) log.error(e);
      throw new CommandFailed("Delete failed: the appliance is left in place so that delete can be retried");
    }
    // 6. the extension, 7. the appliance and its folder
    if (inv.isVC && config.extensionName && client.content.extensionManager) {
      await client.call("UnregisterExtension", client.content.extensionManager, { extensionKey: config.extensionName }).catch((e: Error) => log.warn(`Unregistering extension ${config.extensionName}: ${e.message}`));
    }
    const vmPath = String((await client.retrieveOne(vch.ref, ["config.files.vmPathName"]))["config.files.vmPathName"] ?? "");
    await task(client, "Destroy_Task", vch.ref);
    const f = datastoreFolderOf(vmPath);
    if (f) await deleteDatastorePath(client, inv, `[${f.datastore}] ${f.path}`);
    // 8. the pool or vApp, if empty
    if (pool && !inv.computes.some((c) => c.rootPool.value === pool.ref.value)) {
      const left = ((await client.retrieveOne(pool.ref, ["vm"])).vm as ManagedObjectReference[] | undefined) ?? [];
      if (!left.length) {
        log.info(`Removing ${pool.ref.type === "VirtualApp" ? "VirtualApp" : "Resource Pool"} ${pool.name}`);
        await task(client, "Destroy_Task", pool.ref).catch((e: Error) => log.warn(`Removing ${pool.name}: ${e.message}`));
      } else {
        log.warn(`${pool.name} still holds ${left.length} VM(s): leaving it there`);
      }
    }
    log.info("Completed successfully");
  } finally {
    await client.logout().catch(() => {});
  }
}

export function requireNoPositionals(positionals: string[]): void {
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
}
