// `vic-machine create`, in VIC's order (spec §1.4): certificates, a
// validation that reports every problem at once, the resource pool (ESX) or
// vApp (vCenter), the bridge port group where ESX lacks it, the appliance VM
// with the whole config in its extraConfig, the ISOs uploaded beside it,
// power on, and the wait for the appliance's address and components through
// the PropertyCollector. A failure after something was made removes it
// again, unless --force says to leave it.
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { VimClient } from "../../vim25/client/index.ts";
import { datastoreFolderOf, WaitTimeoutError } from "../../vim25/client/index.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import { certificateAuthority, selfSignedServer, signedBy, writeServerPair, writeVerifySet, type KeyPair } from "../lib/certificates.ts";
import type { NetworkEndpoint, SessionConfig } from "../lib/executor-config.ts";
import { buildApplianceIso, buildBootstrapIso, VIC_ISO_VERSION } from "../lib/isos.ts";
// the port the appliance's attach server listens on, which the firewall must let out
import { ATTACH_PORT } from "../appliance/port-layer-constants.ts";
import { APPLIANCE_COMPONENTS, clientIpKey, decodeVchConfig, encodeVchConfig, ipString, sessionStartedKey, type VirtualContainerHostConfigSpec } from "../lib/vch-config.ts";
import type { FlagSpec, FlagValues } from "./flags.ts";
import { UsageError } from "./flags.ts";
import { Inventory, type ComputeEntity, type NetworkEntity } from "./inventory.ts";
import { CommandFailed, type MachineLog } from "./log.ts";
import { findVchs, isVch, showVch } from "./vch.ts";
import { login, parseTarget, promptPassword, TARGET_FLAGS } from "./target.ts";

const FIRST_PCI_SLOT = 0xc0;
const PCI_SLOT_STEP = 0x20;
const MAX_NAME = 31;

export const CREATE_FLAGS: FlagSpec[] = [
  ...TARGET_FLAGS,
  { name: "name", aliases: ["n"], type: "string", usage: "the name of the Virtual Container Host", default: "virtual-container-host" },
  { name: "compute-resource", aliases: ["r"], type: "string", usage: "compute resource path, e.g. myCluster/Resources/myRP", default: "the only compute resource" },
  { name: "image-datastore", aliases: ["i"], type: "string", usage: "image datastore name" },
  { name: "image-store", type: "string", usage: "image datastore and path: datastore/path (0.5's form of --image-datastore)" },
  { name: "container-datastore", aliases: ["cs"], type: "string", usage: "not supported yet: containers use the image datastore", hidden: true },
  { name: "volume-store", aliases: ["vs"], type: "list", usage: "volume store: label:datastore/path (repeatable)" },
  { name: "bridge-network", aliases: ["b"], type: "string", usage: "the network port group containers use to talk to each other", default: "the VCH name" },
  { name: "external-network", aliases: ["en"], type: "string", usage: "the network port group that can see the internet", default: "VM Network" },
  { name: "management-network", aliases: ["mn"], type: "string", usage: "the network port group the VCH uses to talk to vSphere", default: "the client network" },
  { name: "client-network", aliases: ["cln"], type: "string", usage: "the network port group docker clients reach the VCH on", default: "the external network" },
  { name: "container-network", aliases: ["cn"], type: "list", usage: "port group that containers may use directly: pg[:alias] (repeatable)" },
  { name: "appliance-iso", aliases: ["ai"], type: "string", usage: "the appliance ISO", default: "appliance.iso here or beside vic-machine" },
  { name: "bootstrap-iso", aliases: ["bi"], type: "string", usage: "the container VM bootstrap ISO", default: "bootstrap.iso here or beside vic-machine" },
  { name: "no-tls", aliases: ["k"], type: "bool", usage: "disable TLS on the Docker API" },
  { name: "key", type: "string", usage: "the VCH's server private key (PEM), with --cert" },
  { name: "cert", type: "string", usage: "the VCH's server certificate (PEM), with --key" },
  { name: "tls-cname", type: "string", usage: "common name of the VCH's certificate; makes a CA and client certificates for --tlsverify" },
  { name: "cert-path", type: "string", usage: "folder for the CA, server and client certificates of --tlsverify", default: "./<name>" },
  { name: "no-tlsverify", aliases: ["kv"], type: "bool", usage: "no client certificates: docker clients use --tls" },
  { name: "registry-mirror", type: "string", usage: "registry the VCH pulls Docker Hub images through" },
  { name: "insecure-registry", type: "list", usage: "registry reached over plain HTTP or unverified TLS (repeatable)" },
  { name: "appliance-memory", type: "int", usage: "appliance memory in MB", default: "2048" },
  { name: "appliance-cpu", type: "int", usage: "appliance vCPUs", default: "1" },
  { name: "force", aliases: ["f"], type: "bool", usage: "continue past failures, and leave what was made in place if create fails" },
];

export interface CreateIo {
  log: MachineLog;
  /** where ./<name>-key.pem and friends go */
  cwd: string;
  /** vic-machine's own folder, where appliance.iso and bootstrap.iso are looked up second */
  binDir: string;
  now: () => Date;
}

interface Role {
  role: "external" | "client" | "management" | "bridge";
  network: NetworkEntity | undefined;
  name: string;
}

/** Undo for what create made, last made first undone. */
type Undo = { what: string; run: () => Promise<void> };

const str = (v: FlagValues, k: string) => v.get(k) as string | undefined;

function locateIso(flag: string | undefined, file: string, io: CreateIo): { path?: string; data: () => Buffer } {
  if (flag) {
    if (!existsSync(flag)) throw new UsageError(`${file === "appliance.iso" ? "--appliance-iso" : "--bootstrap-iso"} ${flag}: no such file`);
    return { path: flag, data: () => readFileSync(flag) };
  }
  for (const dir of [io.cwd, io.binDir]) {
    const p = join(dir, file);
    if (existsSync(p)) return { path: p, data: () => readFileSync(p) };
  }
  // a checkout has no build step for the ISOs: build them as isos/*.sh would
  return { data: () => (file === "appliance.iso" ? buildApplianceIso(io.now()) : buildBootstrapIso(io.now())) };
}

export async function create(values: FlagValues, io: CreateIo): Promise<void> {
  const { log } = io;
  const deadline = Date.now() + ((values.get("timeout") as number | undefined) ?? 180_000);
  const remaining = () => Math.max(1, deadline - Date.now());
  const force = values.get("force") === true;
  const name = str(values, "name") ?? "virtual-container-host";
  const target = parseTarget(str(values, "target"), str(values, "user"), str(values, "password"));
  let imageDatastore = str(values, "image-datastore");
  let imagePath = `${name}/images`;
  const imageStore = str(values, "image-store");
  if (imageStore) {
    const i = imageStore.indexOf("/");
    imageDatastore = i < 0 ? imageStore : imageStore.slice(0, i);
    if (i >= 0 && imageStore.slice(i + 1)) imagePath = imageStore.slice(i + 1);
  }
  if (!imageDatastore) throw new UsageError("--image-datastore must be specified");
  const volumeStores: { label: string; datastore: string; path: string }[] = [];
  for (const vs of (values.get("volume-store") as string[] | undefined) ?? []) {
    const m = /^([^:]+):([^/]+)\/(.+)$/.exec(vs);
    if (!m) throw new UsageError(`--volume-store ${vs}: expected label:datastore/path`);
    volumeStores.push({ label: m[1], datastore: m[2], path: m[3] });
  }
  if (!!str(values, "key") !== !!str(values, "cert")) throw new UsageError("--key and --cert must be given together");
  const applianceIso = locateIso(str(values, "appliance-iso"), "appliance.iso", io);
  const bootstrapIso = locateIso(str(values, "bootstrap-iso"), "bootstrap.iso", io);
  const debug = (values.get("debug") as number | undefined) ?? 0;

  if (target.password === undefined) target.password = await promptPassword((l) => log.info(l));
  log.info("### Installing VCH ####");

  // ---- certificates (spec §1.3): made now, written only once validation
  // has passed, so a create that is refused leaves a running VCH's files alone
  const noTls = values.get("no-tls") === true;
  const cname = str(values, "tls-cname");
  const verify = !noTls && !!(cname || str(values, "cert-path")) && values.get("no-tlsverify") !== true;
  let server: KeyPair | undefined;
  let ca: KeyPair | undefined;
  let certDir: string | undefined;
  let writeCertificates = (): string[] => [];
  if (!noTls) {
    const opts = { now: io.now() };
    if (str(values, "key")) {
      server = { key: readFileSync(str(values, "key")!, "utf8"), cert: readFileSync(str(values, "cert")!, "utf8") };
      log.info(`Loaded certificate/key pair - private key in ${str(values, "key")}`);
    } else if (verify) {
      const dir = (certDir = resolve(io.cwd, str(values, "cert-path") ?? name));
      const caPair = (ca = await certificateAuthority(`${name} CA`, opts));
      const serverPair = (server = await signedBy(caPair, cname ?? name, "server", ["localhost", "127.0.0.1"], opts));
      const client = await signedBy(caPair, "client", "client", [], opts);
      writeCertificates = () => writeVerifySet(dir, { ca: caPair, server: serverPair, client });
      log.info(`Generating CA, server and client certificates for ${dir}`);
    } else {
      const pair = (server = await selfSignedServer(name, [], opts));
      // The docker CLI will not start --tls without some ca.pem in its cert
      // path (spec docker.md §4), which 0.4 never wrote: a folder with the
      // VCH's certificate as ca.pem makes the seed's `docker --tls info` work.
      const dir = (certDir = resolve(io.cwd, name));
      writeCertificates = () => {
        const { key, cert } = writeServerPair(io.cwd, name, pair);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "ca.pem"), pair.cert);
        return [key, cert, join(dir, "ca.pem")];
      };
      log.info(`Generating certificate/key pair - private key in ./${name}-key.pem`);
    }
  }
  const extension = await selfSignedServer(`com.vmware.vic.${name}`, [], { now: io.now() });

  // ---- validate (spec §1.4 step 3): every problem, then stop
  const client = await login(target, str(values, "thumbprint"));
  const undo: Undo[] = [];
  try {
    log.info("Validating supplied configuration");
    const problems: string[] = [];
    const inv = await Inventory.load(client, target.datacenter);
    if (name.length > MAX_NAME) problems.push(`Display name ${name} exceeds the permitted ${MAX_NAME} characters limit. Please use a shorter -name parameter`);

    // compute
    const compute = await resolveCompute(inv, str(values, "compute-resource"), problems, log);

    // storage
    const ds = inv.datastores.find((d) => d.name === imageDatastore);
    if (!ds) {
      problems.push(`Datastore "${imageDatastore}" was not found`);
      log.info(`Suggesting valid values for --image-datastore: ${inv.datastores.map((d) => `"${d.name}"`).join(", ")}`);
    } else if (compute && !compute.hosts.every((h) => ds.hosts.includes(h.value))) {
      problems.push(`Datastore "${imageDatastore}" is not attached to every host of ${compute.path}`);
    }
    for (const v of volumeStores) if (!inv.datastores.some((d) => d.name === v.datastore)) problems.push(`Datastore "${v.datastore}" of volume store ${v.label} was not found`);

    // networks
    const external = str(values, "external-network") ?? "VM Network";
    const clientNet = str(values, "client-network") ?? external;
    const management = str(values, "management-network") ?? clientNet;
    const bridge = str(values, "bridge-network") ?? name;
    const roles: Role[] = [];
    const need = (flag: string, role: Role["role"], net: string, mayBeMissing = false) => {
      const n = inv.network(net);
      if (!n && !mayBeMissing) {
        problems.push(`Unable to find network "${net}" for --${flag}`);
        log.info(`Suggesting valid values for --${flag}: ${inv.usableNetworks().map((x) => `"${x}"`).join(", ")}`);
      }
      roles.push({ role, network: n, name: net });
    };
    need("external-network", "external", external);
    need("client-network", "client", clientNet);
    need("management-network", "management", management);
    need("bridge-network", "bridge", bridge, !inv.isVC);
    if ([external, clientNet, management].includes(bridge)) problems.push(`the bridge network "${bridge}" must not be shared with another network role`);
    const bridgeNet = roles.find((r) => r.role === "bridge")!.network;
    if (inv.isVC && bridgeNet && bridgeNet.type !== "DistributedVirtualPortgroup") problems.push(`the bridge network "${bridge}" must be a distributed port group on vCenter`);
    const containerNetworks: Record<string, string> = {};
    for (const cn of (values.get("container-network") as string[] | undefined) ?? []) {
      const [pg, alias] = cn.split(":");
      if (!inv.network(pg)) problems.push(`Unable to find network "${pg}" for --container-network`);
      else if (inv.isVC && inv.network(pg)!.type !== "DistributedVirtualPortgroup") problems.push(`container network "${pg}" must be a distributed port group on vCenter`);
      const alias_ = alias || pg;
      if (alias_ === "bridge") problems.push(`the name "bridge" is reserved: give --container-network ${pg} another alias`);
      containerNetworks[alias_] = pg;
    }

    // hosts the VCH may run on: the compute resource's, attached to the datastore
    const hosts = compute ? compute.hosts.filter((h) => !ds || ds.hosts.includes(h.value)) : [];
    await checkFirewall(client, inv, hosts, problems, log);
    await checkLicense(client, inv, hosts, problems, log);
    if (compute && !compute.isCluster) log.info("DRS check SKIPPED - target is standalone host");
    else if (compute && compute.drsEnabled) log.info(`DRS check OK on:\n  ${compute.path}`);
    else if (compute) problems.push(`DRS check FAILED: DRS must be enabled on ${compute.path}`);

    // the name: a VM or pool of that name in the way
    if (compute) {
      const existing = await findVchs(inv, name);
      const vms = await client.retrieveFromContainer(inv.datacenter.vmFolder, "VirtualMachine", ["name", "config.extraConfig"]);
      for (const [value, vm] of vms) {
        if (vm.name !== name) continue;
        const ref: ManagedObjectReference = { _type: "ManagedObjectReference", type: "VirtualMachine", value };
        if (existing.some((e) => e.ref.value === value) || isVch(ref, vm["config.extraConfig"])) problems.push(`Appliance ${name} exists (${value}): delete it first, or choose a different name`);
        else problems.push(`VM ${name} exists (${value}) and is not a VCH: choose a different name`);
      }
      for (const p of await inv.pools(compute.rootPool)) {
        if (p.name === name && p.parent?.value === compute.pool.value) problems.push(`${inv.isVC ? "A vApp or resource pool" : "Resource pool"} ${name} already exists in ${compute.path} (${p.ref.value}): choose a different name`);
      }
    }

    if (problems.length || !compute || !ds) {
      for (const p of problems) log.error(p);
      log.error("--------------------");
      throw new CommandFailed("Create cannot continue: configuration validation failed");
    }

    // ---- create (spec §1.4 step 6)
    const written = writeCertificates();
    undo.push({ what: "the certificate files", run: async () => {
      for (const f of written) rmSync(f, { force: true });
      if (certDir) rmdirIfEmpty(certDir);
    } });
    const pool = await createPool(client, inv, compute, name, force, log);
    if (pool.made) undo.push({ what: `${pool.ref.type === "VirtualApp" ? "vApp" : "resource pool"} ${name}`, run: async () => void (await client.waitForTask(await call(client, "Destroy_Task", pool.ref))) });

    let createdBridge = false;
    let bridgeEntity = bridgeNet;
    if (!bridgeNet) {
      // ESX only (validation refused a missing bridge on vCenter)
      const h = compute.hosts[0];
      const ns = (await client.retrieveOne(h, ["configManager.networkSystem"]))["configManager.networkSystem"] as ManagedObjectReference;
      log.info(`Creating VirtualSwitch ${bridge}`);
      await call(client, "AddVirtualSwitch", ns, { vswitchName: bridge, spec: { _type: "HostVirtualSwitchSpec", numPorts: 1024 } });
      undo.push({ what: `vSwitch ${bridge}`, run: async () => void (await call(client, "RemoveVirtualSwitch", ns, { vswitchName: bridge })) });
      log.info(`Creating Portgroup ${bridge}`);
      await call(client, "AddPortGroup", ns, { portgrp: { _type: "HostPortGroupSpec", name: bridge, vlanId: 1, vswitchName: bridge, policy: { _type: "HostNetworkPolicy" } } });
      undo.unshift({ what: `port group ${bridge}`, run: async () => void (await call(client, "RemovePortGroup", ns, { pgName: bridge })) });
      createdBridge = true;
      const reloaded = await Inventory.load(client, target.datacenter);
      bridgeEntity = reloaded.network(bridge);
      if (!bridgeEntity) throw new Error(`the bridge port group ${bridge} was created but is not in the inventory`);
      roles.find((r) => r.role === "bridge")!.network = bridgeEntity;
    }

    for (const v of volumeStores) {
      await call(client, "MakeDirectory", client.content.fileManager!, { name: `[${v.datastore}] ${v.path}`, datacenter: inv.datacenter.ref, createParentDirectories: true }).catch((e: Error) => {
        if (!/already exists/i.test(e.message)) throw e;
      });
    }

    log.info("Creating appliance on target");
    // one NIC per distinct port group; roles on the same one share it
    const nics: { network: NetworkEntity; slot: number; roles: string[] }[] = [];
    for (const r of roles) {
      const shared = nics.find((n) => n.network.name === r.network!.name);
      if (shared) {
        log.info(`Network role ${r.role} is sharing NIC with ${shared.roles[0]}`);
        shared.roles.push(r.role);
      } else {
        nics.push({ network: r.network!, slot: FIRST_PCI_SLOT + PCI_SLOT_STEP * nics.length, roles: [r.role] });
      }
    }
    const config: VirtualContainerHostConfigSpec = {
      init: {
        common: { name },
        diagnostics: { debugLevel: debug },
        sessions: componentSessions(name, ds.name, compute, !noTls, target.sdk, inv),
        networks: Object.fromEntries(roles.map((r) => {
          const nic = nics.find((n) => n.roles.includes(r.role))!;
          const ep: NetworkEndpoint = {
            common: { id: String(nic.slot), name: r.role },
            network: { common: { id: r.network!.name, name: r.role }, default: r.role === "external" },
          };
          return [r.role, ep];
        })),
      },
      target: target.sdk,
      // ESX: the appliance logs in with these (0.4). vCenter would use the
      // extension certificate; the simulator's vCenter takes the password too.
      userPassword: `${target.user}:${target.password}`,
      targetThumbprint: str(values, "thumbprint"),
      insecure: !str(values, "thumbprint"),
      extensionCert: Buffer.from(extension.cert),
      extensionKey: Buffer.from(extension.key),
      version: VIC_ISO_VERSION,
      hostCertificate: server ? { key: Buffer.from(server.key), cert: Buffer.from(server.cert) } : undefined,
      certificateAuthorities: verify && ca ? Buffer.from(ca.cert) : undefined,
      userKeyPem: server ? Buffer.from(server.key) : undefined,
      userCertPem: server ? Buffer.from(server.cert) : undefined,
      imageStores: [`ds://${ds.name}/${imagePath}`],
      volumeLocations: volumeStores.length ? Object.fromEntries(volumeStores.map((v) => [v.label, `ds://${v.datastore}/${v.path}`])) : undefined,
      bridgeNetwork: bridge,
      createBridgeNetwork: createdBridge,
      containerNetworks: Object.keys(containerNetworks).length ? containerNetworks : undefined,
      bridgeIpRange: "172.16.0.0/12",
      computeResources: [`${pool.ref.type}:${pool.ref.value}`],
      bootstrapImagePath: "",
      registryMirror: str(values, "registry-mirror"),
      insecureRegistries: values.get("insecure-registry") as string[] | undefined,
    };
    const spec = {
      _type: "VirtualMachineConfigSpec",
      name,
      guestId: "other3xLinux64Guest",
      numCPUs: (values.get("appliance-cpu") as number | undefined) ?? 1,
      memoryMB: (values.get("appliance-memory") as number | undefined) ?? 2048,
      files: { _type: "VirtualMachineFileInfo", vmPathName: `[${ds.name}]` },
      deviceChange: [
        { _type: "VirtualDeviceConfigSpec", operation: "add", device: { _type: "ParaVirtualSCSIController", key: -1, busNumber: 0, sharedBus: "noSharing" } },
        ...(await Promise.all(nics.map(async (n, i) => ({ _type: "VirtualDeviceConfigSpec", operation: "add", device: await nicDevice(client, n.network, -10 - i, n.slot) })))),
      ],
      extraConfig: optionValues(encodeVchConfig(config)),
    };
    const vmTask = pool.ref.type === "VirtualApp"
      ? await call(client, "CreateChildVM_Task", pool.ref, { config: spec })
      : await call(client, "CreateVM_Task", inv.datacenter.vmFolder, { config: spec, pool: pool.ref });
    const vm = (await client.waitForTask(vmTask as ManagedObjectReference)) as ManagedObjectReference;
    undo.push({ what: `appliance VM ${name}`, run: async () => destroyVm(client, vm) });
    const props = await client.retrieveOne(vm, ["config.files.vmPathName", "config.uuid"]);
    const folder = datastoreFolderOf(String(props["config.files.vmPathName"]))?.path ?? name;
    config.init.common.id = vm.value;
    config.extensionName = `com.vmware.vic.${props["config.uuid"]}`;
    config.bootstrapImagePath = `[${ds.name}] ${folder}/bootstrap.iso`;
    config.applianceFolder = folder;

    // the CD-ROM, and the config again with what only now is known
    await client.waitForTask(await call(client, "ReconfigVM_Task", vm, { spec: {
      _type: "VirtualMachineConfigSpec",
      deviceChange: [{ _type: "VirtualDeviceConfigSpec", operation: "add", device: {
        _type: "VirtualCdrom", key: -1, controllerKey: 200, unitNumber: 0,
        backing: { _type: "VirtualCdromIsoBackingInfo", fileName: `[${ds.name}] ${folder}/appliance.iso` },
        connectable: { _type: "VirtualDeviceConnectInfo", startConnected: true, allowGuestControl: true, connected: false },
      } }],
      extraConfig: optionValues(encodeVchConfig(config)),
    } }) as ManagedObjectReference);

    log.info("Uploading images for container");
    const uploads = [["bootstrap.iso", bootstrapIso], ["appliance.iso", applianceIso]] as const;
    for (const [file] of uploads) log.info(file);
    await Promise.all(uploads.map(async ([file, iso]) => {
      try {
        await client.uploadFile(ds.name, `${folder}/${file}`, iso.data(), { dcPath: inv.datacenter.name });
      } catch (e) {
        if (!force) throw new Error(`Failed to upload ${file}: ${(e as Error).message}`);
        log.warn(`Failed to upload ${file}, continuing (--force): ${(e as Error).message}`);
      }
    }));

    if (inv.isVC) {
      const em = client.content.extensionManager;
      if (em) {
        await call(client, "RegisterExtension", em, { extension: {
          _type: "Extension", key: config.extensionName,
          description: { _type: "Description", label: "VIC", summary: "vSphere Integrated Containers Virtual Container Host" },
          company: "VMware, Inc.", version: VIC_ISO_VERSION, lastHeartbeatTime: io.now(),
        } });
        undo.push({ what: `extension ${config.extensionName}`, run: async () => void (await call(client, "UnregisterExtension", em, { extensionKey: config.extensionName })) });
      }
    }

    await client.waitForTask(await call(client, "PowerOnVM_Task", vm) as ManagedObjectReference);
    const ip = await waitForAppliance(client, vm, remaining, log);
    if (verify && ca && certDir && !str(values, "key")) {
      // The address came from DHCP, after the certificate was made: a
      // server certificate that also names it lets `docker --tlsverify`
      // check the VCH by the address it connects to. The appliance takes
      // the new pair from guestinfo for its next connection.
      const named = await signedBy(ca, cname ?? name, "server", ["localhost", "127.0.0.1", ip], { now: io.now() });
      const update = encodeVchConfig({ ...config, hostCertificate: { key: Buffer.from(named.key), cert: Buffer.from(named.cert) }, userKeyPem: Buffer.from(named.key), userCertPem: Buffer.from(named.cert) });
      const keys = [...update].filter(([k]) => /^guestinfo\.\/(host_certificate\/|key_pem$|cert_pem$)/.test(k));
      await client.waitForTask(await call(client, "ReconfigVM_Task", vm, { spec: { _type: "VirtualMachineConfigSpec", extraConfig: keys.map(([key, value]) => ({ _type: "OptionValue", key, value })) } }));
      writeFileSync(join(certDir, "server-cert.pem"), named.cert);
      writeFileSync(join(certDir, "server-key.pem"), named.key, { mode: 0o600 });
      log.debug(`server certificate reissued for ${ip}`);
    }
    showVch(log, ip, !noTls, certDir, verify);
    log.info("Installer completed successfully");
  } catch (e) {
    if (undo.length && !force) {
      log.error(`Create failed: ${(e as Error).message}`);
      log.info("Removing what was made (specify --force to leave it in place)");
      for (const u of undo.reverse()) {
        try {
          await u.run();
          log.debug(`removed ${u.what}`);
        } catch (err) {
          log.warn(`Could not remove ${u.what}: ${(err as Error).message}`);
        }
      }
      throw new CommandFailed(`Create cannot continue: ${(e as Error).message}`);
    }
    throw e;
  } finally {
    await client.logout().catch(() => {});
  }
}

function rmdirIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty (the user's own files) or already gone
  }
}

function call(client: VimClient, method: string, ref: ManagedObjectReference, args: Record<string, unknown> = {}): Promise<ManagedObjectReference> {
  return client.call(method, ref, args) as Promise<ManagedObjectReference>;
}

function optionValues(m: Map<string, string>) {
  return [...m].map(([key, value]) => ({ _type: "OptionValue", key, value }));
}

async function destroyVm(client: VimClient, vm: ManagedObjectReference): Promise<void> {
  const state = (await client.retrieveOne(vm, ["runtime.powerState"]))["runtime.powerState"];
  if (state === "poweredOn" || state === "suspended") await client.waitForTask(await call(client, "PowerOffVM_Task", vm));
  await client.waitForTask(await call(client, "Destroy_Task", vm));
}

async function nicDevice(client: VimClient, n: NetworkEntity, key: number, slot: number) {
  let backing: Record<string, unknown>;
  if (n.type === "DistributedVirtualPortgroup") {
    const pg = await client.retrieveOne(n.ref, ["key", "config.distributedVirtualSwitch"]);
    const uuid = (await client.retrieveOne(pg["config.distributedVirtualSwitch"] as ManagedObjectReference, ["uuid"])).uuid;
    backing = { _type: "VirtualEthernetCardDistributedVirtualPortBackingInfo", port: { _type: "DistributedVirtualSwitchPortConnection", switchUuid: uuid, portgroupKey: pg.key } };
  } else {
    backing = { _type: "VirtualEthernetCardNetworkBackingInfo", deviceName: n.name, network: n.ref };
  }
  return {
    _type: "VirtualVmxnet3", key, addressType: "generated", backing,
    // the slot is the endpoint's ID: the guest finds the NIC of a role by it
    slotInfo: { _type: "VirtualDevicePciBusSlotInfo", pciSlotNumber: slot },
    connectable: { _type: "VirtualDeviceConnectInfo", startConnected: true, allowGuestControl: true, connected: false },
  };
}

function componentSessions(name: string, ds: string, compute: ComputeEntity, tls: boolean, sdk: string, inv: Inventory): Record<string, SessionConfig> {
  const session = (id: string, path: string, args: string[]): SessionConfig => ({ common: { id, name: id }, cmd: { path, args: [path, ...args], env: [], dir: "/" }, restart: true });
  const cluster = compute.path;
  const pool = `${compute.path}/Resources/${name}`;
  return {
    vicadmin: session("vicadmin", "/sbin/vicadmin", ["-docker-host=unix:///var/run/docker.sock", "-insecure", `-ds=${ds}`, `-cluster=${cluster}`, `-pool=${pool}`, `-vm-path=${name}`]),
    "docker-personality": session("docker-personality", "/sbin/docker-engine-server", ["-serveraddr=0.0.0.0", `-port=${tls ? 2376 : 2375}`, `-port-layer-port=${ATTACH_PORT}`]),
    "port-layer": session("port-layer", "/sbin/port-layer-server", ["--host=localhost", `--port=${ATTACH_PORT}`, "--insecure", `--sdk=${sdk}`, `--datacenter=${inv.datacenter.name}`, `--cluster=${cluster}`, `--pool=${pool}`, `--datastore=${ds}`, `--vch=${name}`]),
  };
}

/** --compute-resource: a compute resource or cluster by name or path, optionally /Resources/<pool path> below it. */
async function resolveCompute(inv: Inventory, flag: string | undefined, problems: string[], log: MachineLog): Promise<(ComputeEntity & { pool: ManagedObjectReference }) | undefined> {
  const suggest = () => log.info(`Suggesting valid values for --compute-resource: ${inv.computes.map((c) => `"${c.name}"`).join(", ")}`);
  if (!flag) {
    if (inv.computes.length === 1) return { ...inv.computes[0], pool: inv.computes[0].rootPool };
    problems.push(inv.computes.length ? "--compute-resource must be specified: the target has more than one compute resource" : "the target has no compute resource");
    suggest();
    return undefined;
  }
  const [crPart, poolPart] = flag.replace(/^\/+/, "").split(/\/Resources\/?/, 2);
  const c = inv.computes.find((x) => x.name === crPart || x.path === `/${crPart}` || x.path.endsWith(`/${crPart}`));
  if (!c) {
    problems.push(`Compute resource "${flag}" was not found`);
    suggest();
    return undefined;
  }
  if (!poolPart) return { ...c, pool: c.rootPool };
  const pools = await inv.pools(c.rootPool);
  let cur = c.rootPool;
  for (const seg of poolPart.split("/").filter(Boolean)) {
    const next = pools.find((p) => p.name === seg && p.parent?.value === cur.value);
    if (!next) {
      problems.push(`Resource pool "${flag}" was not found`);
      return undefined;
    }
    cur = next.ref;
  }
  return { ...c, pool: cur };
}

async function checkFirewall(client: VimClient, inv: Inventory, hosts: ManagedObjectReference[], problems: string[], log: MachineLog): Promise<void> {
  if (!hosts.length) return;
  const ok: string[] = [];
  const bad: string[] = [];
  for (const [value, r] of await client.retrieveProperties(hosts, ["config.firewall"])) {
    const fw = r["config.firewall"] as { defaultPolicy: { outgoingBlocked?: boolean; incomingBlocked?: boolean }; ruleset?: { enabled: boolean; rule: { port: number; endPort?: number; direction: string; protocol: string }[] }[] } | undefined;
    const path = inv.hosts.get(value)?.path ?? value;
    const enabled = !!fw?.defaultPolicy.outgoingBlocked;
    log.info(`Firewall status: ${enabled ? "ENABLED" : "DISABLED"} on ${path}`);
    const allowed = !enabled || (fw?.ruleset ?? []).some((rs) => rs.enabled && rs.rule.some((x) => x.direction === "outbound" && x.protocol === "tcp" && ATTACH_PORT >= x.port && ATTACH_PORT <= (x.endPort ?? x.port)));
    (allowed ? ok : bad).push(path);
  }
  if (ok.length) log.info(`Firewall configuration OK on hosts:\n${ok.join("\n")}`);
  if (bad.length) {
    log.error(`Firewall configuration incorrect on hosts:\n${bad.join("\n")}`);
    problems.push(`Firewall must permit ${ATTACH_PORT}/tcp outbound to use VIC`);
  }
}

async function checkLicense(client: VimClient, inv: Inventory, hosts: ManagedObjectReference[], problems: string[], log: MachineLog): Promise<void> {
  const lm = client.content.licenseManager;
  if (!lm) return;
  type License = { licenseKey: string; editionKey: string; name: string; properties?: { key: string; value: unknown }[] };
  const features = (l: License) => (l.properties ?? []).filter((p) => p.key === "feature").map((p) => (p.value as { key: string }).key);
  const required = inv.isVC ? ["serialuri", "dvs"] : ["serialuri"];
  const failures: string[] = [];
  let evaluation = false;
  if (inv.isVC) {
    const lam = (await client.retrieveOne(lm, ["licenseAssignmentManager"])).licenseAssignmentManager as ManagedObjectReference;
    for (const h of hosts) {
      const assigned = (await client.call("QueryAssignedLicenses", lam, { entityId: h.value })) as { assignedLicense: License }[] | undefined;
      const l = assigned?.[0]?.assignedLicense;
      if (!l) continue;
      if (l.editionKey === "eval") evaluation = true;
      const missing = required.filter((f) => !features(l).includes(f));
      if (missing.length) failures.push(`${inv.hosts.get(h.value)?.path ?? h.value} has license "${l.name}" without ${missing.join(", ")}`);
    }
  } else {
    const licenses = ((await client.retrieveOne(lm, ["licenses"])).licenses as License[] | undefined) ?? [];
    if (licenses.some((l) => l.editionKey === "eval")) evaluation = true;
    else if (!licenses.some((l) => required.every((f) => features(l).includes(f)))) failures.push(`the host's license has no ${required.join(", ")} feature`);
  }
  if (failures.length) {
    for (const f of failures) log.error(f);
    problems.push(`License check FAILED: ${required.join(" and ")} ${required.length > 1 ? "are" : "is"} required`);
  } else {
    if (evaluation) log.warn("Evaluation license detected. VIC may not function if evaluation expires or insufficient license is later assigned.");
    log.info("License check OK");
  }
}

async function createPool(client: VimClient, inv: Inventory, compute: ComputeEntity & { pool: ManagedObjectReference }, name: string, force: boolean, log: MachineLog): Promise<{ ref: ManagedObjectReference; made: boolean }> {
  const alloc = () => ({ _type: "ResourceAllocationInfo", reservation: 1, expandableReservation: true, limit: -1, shares: { _type: "SharesInfo", level: "normal", shares: 0 } });
  const resSpec = { _type: "ResourceConfigSpec", cpuAllocation: alloc(), memoryAllocation: alloc() };
  try {
    if (inv.isVC) {
      log.info(`Creating virtual app ${name}`);
      const ref = await call(client, "CreateVApp", compute.pool, {
        name, resSpec,
        configSpec: { _type: "VAppConfigSpec", annotation: "vSphere Integrated Containers", product: [{ _type: "VAppProductSpec", operation: "add", info: { _type: "VAppProductInfo", key: 0, name: "vSphere Integrated Containers", vendor: "VMware" } }] },
        vmFolder: inv.datacenter.vmFolder,
      });
      return { ref, made: true };
    }
    log.info(`Creating Resource Pool ${name}`);
    return { ref: await call(client, "CreateResourcePool", compute.pool, { name, spec: resSpec }), made: true };
  } catch (e) {
    if (!force) throw e;
    log.warn(`Could not create ${inv.isVC ? "the vApp" : "the resource pool"} (${(e as Error).message}); deploying into ${compute.path} (--force)`);
    return { ref: compute.pool, made: false };
  }
}

/** makeSureApplianceRuns: the client address, then each component's `started`, through property waits on extraConfig. */
async function waitForAppliance(client: VimClient, vm: ManagedObjectReference, remaining: () => number, log: MachineLog): Promise<string> {
  const ec = (r: Record<string, unknown>) => new Map(((r["config.extraConfig"] as { key: string; value: unknown }[] | undefined) ?? []).map((o) => [o.key, String(o.value)]));
  let last = new Map<string, string>();
  const ipOf = (m: Map<string, string>) => ipString(m.get(clientIpKey()) ? Buffer.from(m.get(clientIpKey())!, "base64") : undefined);
  try {
    log.info("Waiting for IP information");
    await client.waitForProperties(vm, ["config.extraConfig"], (r) => !!ipOf((last = ec(r))), { timeoutMs: remaining() });
    log.info("Waiting for major appliance components to launch");
    await client.waitForProperties(vm, ["config.extraConfig"], (r) => APPLIANCE_COMPONENTS.every((c) => (last = ec(r)).get(sessionStartedKey(c)) === "true"), { timeoutMs: remaining() });
  } catch (e) {
    if (!(e instanceof WaitTimeoutError)) throw e;
    const config = decodeVchConfig(last);
    for (const [role, ep] of Object.entries(config.init?.networks ?? {})) log.info(`${role} IP: ${ipString(ep.assigned?.ip) ?? "waiting for IP"}`);
    for (const c of APPLIANCE_COMPONENTS) {
      const s = last.get(sessionStartedKey(c));
      log.info(`Component ${c}: ${s === "true" ? "started successfully" : s ? s : "waiting to start"}`);
    }
    throw new Error(ipOf(last) ? "timed out waiting for the appliance components to launch" : "timed out waiting for IP address information");
  }
  log.info("Initialization of appliance successful");
  return ipOf(last)!;
}
