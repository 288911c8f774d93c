// `vic-machine inspect` (the block create ends with, for a running VCH) and
// `vic-machine ls` (0.5: a tab-separated ID, PATH, NAME table).
import { clientIpKey, ipString } from "../lib/vch-config.ts";
import type { FlagValues } from "./flags.ts";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Inventory } from "./inventory.ts";
import { CommandFailed, type MachineLog } from "./log.ts";
import { connectToVch } from "./delete.ts";
import { login, targetFrom } from "./target.ts";
import { findVchs, showVch } from "./vch.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";

export async function inspectVch(values: FlagValues, log: MachineLog, cwd: string): Promise<void> {
  const { client, vch } = await connectToVch(values, log, "### Inspecting VCH ####");
  try {
    if (vch.powerState !== "poweredOn") throw new CommandFailed("VCH is not powered on");
    const ec = ((await client.retrieveOne(vch.ref, ["config.extraConfig"]))["config.extraConfig"] as { key: string; value: unknown }[]) ?? [];
    const raw = ec.find((o) => o.key === clientIpKey())?.value;
    const ip = ipString(raw ? Buffer.from(String(raw), "base64") : undefined);
    if (!ip) throw new CommandFailed("the VCH has no client IP address yet");
    log.info("");
    log.info(`VCH ID: ${vch.ref.value}`);
    log.info(`Installer version: ${vch.config.version ?? ""}`);
    const tls = !!vch.config.hostCertificate?.cert?.length;
    const certDir = resolve(cwd, vch.name);
    showVch(log, ip, tls, existsSync(join(certDir, "ca.pem")) ? certDir : undefined, !!vch.config.certificateAuthorities?.length);
    log.info("Completed successfully");
  } finally {
    await client.logout().catch(() => {});
  }
}

export async function listVchs(values: FlagValues, log: MachineLog, print: (line: string) => void): Promise<void> {
  const target = await targetFrom(values, log);
  log.info("### Listing VCHs ####");
  const client = await login(target, values.get("thumbprint") as string | undefined);
  try {
    const inv = await Inventory.load(client, target.datacenter);
    const poolPaths = new Map<string, string>();
    for (const c of inv.computes) {
      poolPaths.set(c.rootPool.value, `${c.path}/Resources`);
      const pools = await inv.pools(c.rootPool);
      const byValue = new Map(pools.map((p) => [p.ref.value, p]));
      const pathOf = (ref: ManagedObjectReference | undefined): string => {
        if (!ref) return "";
        if (ref.value === c.rootPool.value) return `${c.path}/Resources`;
        const p = byValue.get(ref.value);
        return p ? `${pathOf(p.parent)}/${p.name}` : "";
      };
      for (const p of pools) poolPaths.set(p.ref.value, pathOf(p.ref));
    }
    const rows = (await findVchs(inv)).map((v) => [v.ref.value, (v.pool && poolPaths.get(v.pool.value)) ?? "", v.name]);
    const table = [["ID", "PATH", "NAME"], ...rows];
    const widths = [0, 1].map((i) => Math.max(...table.map((r) => r[i].length)));
    print("");
    for (const r of table) print(`${r[0].padEnd(widths[0])}\t${r[1].padEnd(widths[1])}\t${r[2]}`);
  } finally {
    await client.logout().catch(() => {});
  }
}
