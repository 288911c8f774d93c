// DiagnosticManager: the logs govc (logs, logs.ls, logs.download), PowerCLI
// (Get-Log) and support tools read. hostd lists hostd.log, vmkernel.log and
// vpxa.log; vpxd its own vpxd.log, vpxd-alert.log and vpxd-profiler.log, and
// a host's logs through the host's vpxa. The text is what this simulator did,
// in the daemons' line format: every task created and finished, every event
// posted (hostd logs each one as "Event N : message"). The records behind it
// are a bounded log kept here (hostd's and vpxd's logs rotate too), saved by
// snapshots; a log's lines are rendered from it when asked for.
// GenerateLogBundles_Task packs those logs into a .tgz served at the url it
// answers (server/log-bundles.ts): hostd's /downloads/..., vpxd's
// /diagnostics/....
//
// Chosen without confirmation: the descriptors' labels, the vpxd-alert and
// vpxd-profiler contents (failed tasks; one line per finished task), vpxa.log
// of a standalone host being empty (no vCenter has spoken to it), the header
// of a read past the end (no text, lineEnd the log's last line), the bundle
// task's entity (the host, or vCenter's root folder), the bundles' inner
// layout, and "*" as the host of bundle urls on vCenter too (hostd sends it;
// govc and pyVmomi scripts put the server's address in).
import { gzipSync } from "node:zlib";
import { Typed, VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args, type CallContext, type SavedState } from "./managed-object.ts";
import { Task } from "./task.ts";
import { requireReachable } from "./host-power.ts";
import { writeTar, type TarEntry } from "../../formats/tar.ts";
import type { SimContext } from "../sim-context.ts";

type Ref = ManagedObjectReference;

/** What a log line is made of: a task that started or finished, an event. */
interface LogRecord {
  at: Date;
  kind: "begin" | "end" | "event";
  /** the task's moref value, or the event's key */
  id: string;
  /** the task's descriptionId (vim.VirtualMachine.powerOn) or the event's message */
  what: string;
  user: string;
  entity?: string;
  /** "success", or the fault a task ended in */
  outcome?: string;
  /** the hosts whose logs the line belongs in (vCenter: the task's or event's host) */
  hosts: string[];
  chain: number;
}

interface Bundle {
  id: string;
  name: string;
  data: Buffer;
}

interface LogSpec {
  key: string;
  fileName: string;
  creator: string;
  label: string;
}

/** hostd and vpxd roll their logs over; this many records are kept */
const MAX_RECORDS = 2000;
/** records beyond MAX_RECORDS before the oldest are dropped, so a drop is one splice per this many records, not one per record */
const ROLL_SLACK = 500;
/** bundles a server keeps for download (older ones are deleted) */
const MAX_BUNDLES = 4;

const HOST_LOGS: LogSpec[] = [
  { key: "hostd", fileName: "/var/log/hostd.log", creator: "hostd", label: "Server log" },
  { key: "vmkernel", fileName: "/var/log/vmkernel.log", creator: "hostd", label: "VMkernel log" },
  { key: "vpxa", fileName: "/var/log/vpxa.log", creator: "vpxa", label: "vCenter agent log" },
];
const VPXD_LOGS: LogSpec[] = [
  { key: "vpxd:vpxd.log", fileName: "/var/log/vmware/vpxd/vpxd.log", creator: "vpxd", label: "vCenter Server log" },
  { key: "vpxd:vpxd-alert.log", fileName: "/var/log/vmware/vpxd/vpxd-alert.log", creator: "vpxd", label: "vCenter Server alert log" },
  { key: "vpxd:vpxd-profiler.log", fileName: "/var/log/vmware/vpxd/vpxd-profiler.log", creator: "vpxd", label: "vCenter Server profiler log" },
];

const hex = (n: number, base: number) => (base + (n % 16) * 0x1100).toString(16).toUpperCase();
/** an operation id as hostd and vpxd print them (opID=...) */
const opId = (chain: number) => `${(0x5a3c0000 + chain * 0x9e37).toString(16).slice(-8)}-${chain}`;

export class DiagnosticManager extends ManagedObject {
  private records: LogRecord[] = [];
  /** "task:begin" / "task:end" already recorded: a restore announces tasks again */
  private logged = new Set<string>();
  /** begin records of tasks not ended yet, to add the host a result lands on without searching the log */
  private pending = new Map<string, LogRecord>();
  private bundles: Bundle[] = [];

  constructor(sim: SimContext, value: string) {
    super(sim, "DiagnosticManager", value);
    sim.inventory.listen((ev) => {
      if (!(ev.obj instanceof Task) || ev.kind === "leave") return;
      if (ev.kind === "modify" && !ev.props.includes("info")) return;
      this.taskSeen(ev.obj);
    });
    sim.events.listen((e) => this.eventSeen(e));
  }

  // ---- the records ----

  private record(r: LogRecord, mark?: string): void {
    if (mark) {
      if (this.logged.has(mark)) return;
      this.logged.add(mark);
    }
    this.records.push(r);
    if (this.records.length > MAX_RECORDS + ROLL_SLACK) {
      for (const old of this.records.splice(0, this.records.length - MAX_RECORDS)) if (old.kind !== "event") this.logged.delete(`${old.id}:${old.kind}`);
    }
  }

  /** The hosts an entity lives on: a host itself, a VM's host; nothing for the rest (vpxd's own business). */
  private hostsOf(ref: Ref | undefined): string[] {
    const o = ref ? this.sim.inventory.get(ref.value) : undefined;
    if (!o) return [];
    if (o.type === "HostSystem") return [o.ref.value];
    const host = (o.props.runtime as { host?: Ref } | undefined)?.host;
    return o.type === "VirtualMachine" && host ? [host.value] : [];
  }

  private taskSeen(task: Task): void {
    const info = task.info;
    // most changes of a task (progress, running) add nothing to the log: decide that before building anything
    const done = info.state === "success" || info.state === "error";
    if (this.logged.has(`${task.ref.value}:begin`) && (!done || this.logged.has(`${task.ref.value}:end`))) return;
    const base = {
      id: task.ref.value, what: `vim.${String(info.descriptionId)}`, user: (info.reason as { userName?: string } | undefined)?.userName ?? "",
      entity: (info.entity as Ref | undefined)?.value, hosts: this.hostsOf(info.entity as Ref | undefined), chain: Number(info.eventChainId ?? 0),
    };
    if (!this.logged.has(`${task.ref.value}:begin`)) {
      const begin: LogRecord = { ...base, at: info.queueTime as Date, kind: "begin" };
      this.record(begin, `${task.ref.value}:begin`);
      this.pending.set(task.ref.value, begin);
    }
    if (!done) return;
    const begin = this.pending.get(task.ref.value);
    this.pending.delete(task.ref.value);
    const fault = (info.error as { fault?: DataObject } | undefined)?.fault?._type;
    // vCenter hands a folder's or pool's task (CreateVM_Task) to the host the result lands on: the host logs it from the start
    const raw = info.result instanceof Typed ? info.result.value : info.result;
    const landed = this.hostsOf(raw && typeof raw === "object" && (raw as Ref)._type === "ManagedObjectReference" ? (raw as Ref) : undefined).filter((h) => !base.hosts.includes(h));
    if (landed.length && begin) {
      // records are never changed once made (snapshots share them): the begin record is replaced
      const i = this.records.lastIndexOf(begin);
      if (i >= 0) this.records[i] = { ...begin, hosts: [...begin.hosts, ...landed] };
    }
    this.record({ ...base, hosts: [...base.hosts, ...landed], at: (info.completeTime as Date | undefined) ?? this.sim.clock.now(), kind: "end", outcome: info.state === "success" ? "success" : String(fault ?? "SystemError") }, `${task.ref.value}:end`);
  }

  private eventSeen(e: DataObject): void {
    const ev = e as DataObject & Record<string, any>;
    const hosts = new Set<string>();
    if (ev.host?.host) hosts.add(ev.host.host.value);
    for (const h of this.hostsOf(ev.vm?.vm)) hosts.add(h);
    this.record({ at: ev.createdTime as Date, kind: "event", id: String(ev.key), what: String(ev.fullFormattedMessage ?? ""), user: String(ev.userName ?? ""), hosts: [...hosts], chain: Number(ev.chainId ?? ev.key) });
  }

  override saveState(): SavedState & { records: LogRecord[]; logged: Set<string>; bundles: Bundle[] } {
    // records and bundles are never changed once made: copying the lists keeps them
    return { ...super.saveState(), records: [...this.records], logged: new Set(this.logged), bundles: [...this.bundles] };
  }

  override loadState(s: SavedState & { records: LogRecord[]; logged: Set<string>; bundles: Bundle[] }): void {
    super.loadState(s);
    this.records = [...s.records];
    this.logged = new Set(s.logged);
    const ended = new Set(s.records.filter((r) => r.kind === "end").map((r) => r.id));
    this.pending = new Map(s.records.filter((r) => r.kind === "begin" && !ended.has(r.id)).map((r) => [r.id, r]));
    this.bundles = [...s.bundles];
  }

  // ---- the logs ----

  /** Whose logs a call is about: undefined for vpxd's own, else a host (ESXi: always its one host). */
  private target(ref: Ref | undefined): ManagedObject | undefined {
    if (!this.sim.isVCenter) return this.sim.inventory.ofType("HostSystem")[0];
    if (!ref) return undefined;
    const host = this.sim.inventory.get(ref.value);
    if (!host || host.type !== "HostSystem") throw new VimFault("ManagedObjectNotFound", { obj: ref });
    // vpxd asks the host's vpxa, which a host it cannot reach does not answer
    requireReachable(host);
    return host;
  }

  private specs(host: ManagedObject | undefined): LogSpec[] {
    return host ? HOST_LOGS : VPXD_LOGS;
  }

  QueryDescriptions(args: Args): DataObject[] {
    return this.specs(this.target(args.host as Ref | undefined)).map((s) => ({
      _type: "DiagnosticManagerLogDescriptor", key: s.key, fileName: s.fileName, creator: s.creator, format: "plain", mimeType: "text/plain",
      info: { _type: "Description", label: s.label, summary: `${s.label} in plain text format` },
    }));
  }

  BrowseDiagnosticLog(args: Args): DataObject {
    const host = this.target(args.host as Ref | undefined);
    const key = String(args.key ?? "");
    if (!this.specs(host).some((s) => s.key === key)) throw new VimFault("InvalidArgument", { invalidProperty: "key" }, `A specified parameter was not correct: key (${key})`);
    if (args.lines !== undefined && Number(args.lines) < 0) throw new VimFault("InvalidArgument", { invalidProperty: "lines" });
    const all = this.render(host, key);
    // line numbers are 1-based; a start before the first line reads from the top (govc asks for end - N)
    const start = Math.max(1, args.start === undefined ? 1 : Number(args.start));
    const end = args.lines === undefined ? all.length : Math.min(all.length, start - 1 + Number(args.lines));
    const text = start <= end ? all.slice(start - 1, end) : [];
    // past the end: no text, and lineEnd says where the log ends (govc reads the length this way)
    return { _type: "DiagnosticManagerLogHeader", lineStart: text.length ? start : Math.min(start, all.length + 1), lineEnd: text.length ? end : all.length, lineText: text };
  }

  /** The lines of log `key` of `host` (vpxd's when undefined), oldest first. */
  /** what the log holds now: the last MAX_RECORDS (the list may run up to ROLL_SLACK over before it is trimmed) */
  private get kept(): LogRecord[] {
    return this.records.length > MAX_RECORDS ? this.records.slice(-MAX_RECORDS) : this.records;
  }

  private render(host: ManagedObject | undefined, key: string): string[] {
    const hostValue = host?.ref.value;
    const mine = (r: LogRecord) => !this.sim.isVCenter || !hostValue || r.hosts.includes(hostValue);
    const ts = (d: Date) => d.toISOString();
    const hostd = (r: LogRecord) => {
      const tid = hex(r.chain, 0x3ac80b70);
      const ctx = `opID=${opId(r.chain)}${r.user ? ` user=${r.user}` : ""}`;
      if (r.kind === "event") return `${ts(r.at)} info hostd[${tid}] [Originator@6876 sub=Vimsvc.ha-eventmgr ${ctx}] Event ${r.id} : ${r.what}`;
      if (r.kind === "begin") return `${ts(r.at)} info hostd[${tid}] [Originator@6876 sub=Vimsvc.TaskManager ${ctx}] Task Created : ${r.id}`;
      return `${ts(r.at)} info hostd[${tid}] [Originator@6876 sub=Vimsvc.TaskManager ${ctx}] Task Completed : ${r.id} Status ${r.outcome}`;
    };
    const lro = (daemon: string, r: LogRecord) => {
      const tid = hex(r.chain, daemon === "vpxd" ? 0x7f2a1b00 : 0xffdc1b70);
      const head = `${ts(r.at)} ${r.kind === "end" && r.outcome !== "success" ? "error" : "info"} ${daemon}[${tid}] [Originator@6876 sub=vpxLro opID=${opId(r.chain)}]`;
      if (r.kind === "begin") return `${head} [VpxLRO] -- BEGIN ${r.id} -- ${r.entity ?? ""} -- ${r.what} -- ${r.user}`;
      return r.outcome === "success" ? `${head} [VpxLRO] -- FINISH ${r.id}` : `${head} [VpxLRO] -- ERROR ${r.id} -- ${r.entity ?? ""} -- ${r.what}: vim.fault.${r.outcome}`;
    };
    const records = this.kept;
    switch (key) {
      case "hostd":
        return records.filter(mine).map(hostd);
      case "vpxa":
        // only a host a vCenter manages runs vpxa, and only vCenter's tasks go through it
        return this.sim.isVCenter ? records.filter((r) => r.kind !== "event" && mine(r)).map((r) => lro("vpxa", r)) : [];
      case "vmkernel":
        return this.vmkernel(host);
      case "vpxd:vpxd.log":
        return records.map((r) => (r.kind === "event" ? `${ts(r.at)} info vpxd[${hex(r.chain, 0x7f2a1b00)}] [Originator@6876 sub=vpxdEvent opID=${opId(r.chain)}] Event ${r.id} : ${r.what}` : lro("vpxd", r)));
      case "vpxd:vpxd-alert.log":
        return records.filter((r) => r.kind === "end" && r.outcome !== "success").map((r) => lro("vpxd", r));
      case "vpxd:vpxd-profiler.log": {
        const began = new Map(records.filter((r) => r.kind === "begin").map((r) => [r.id, r.at.getTime()]));
        return records.filter((r) => r.kind === "end").map((r) => `--> /TaskStats/${r.what}/${r.id}/${r.outcome}/durationMs ${began.has(r.id) ? r.at.getTime() - began.get(r.id)! : 0}`);
      }
      default:
        return [];
    }
  }

  /** What the VMkernel said at the host's boot: the lines every boot has. */
  private vmkernel(host: ManagedObject | undefined): string[] {
    const boot = (host?.props.runtime as { bootTime?: Date } | undefined)?.bootTime;
    if (!boot) return [];
    const at = (ms: number) => new Date(boot.getTime() + ms).toISOString();
    const cpus = Number((host!.props.summary as { hardware?: { numCpuThreads?: number } } | undefined)?.hardware?.numCpuThreads ?? 1);
    return [
      `${at(0)} cpu0:32768)VMKernel: ${String(host!.props.name)}: Booting VMkernel`,
      `${at(12)} cpu0:32768)Init: Starting ${cpus} CPUs`,
      `${at(250)} cpu0:32768)Loading module vmkapi_v2_3_0_0_vmkernel_shim ...`,
      `${at(1800)} cpu0:32768)Net: Init: Uplinks ready`,
      `${at(4200)} cpu0:32768)Boot Successful`,
    ];
  }

  // ---- bundles ----

  GenerateLogBundles_Task(args: Args, ctx: CallContext): Ref {
    const vc = this.sim.isVCenter;
    const includeDefault = !!args.includeDefault;
    // on a host the bundle is always the host's own: the API reference asks for includeDefault set there
    if (!vc && !includeDefault) throw new VimFault("InvalidArgument", { invalidProperty: "includeDefault" });
    const hostRefs = vc ? ((args.host as Ref[] | undefined) ?? []) : [];
    const hosts = hostRefs.map((r) => {
      const h = this.sim.inventory.get(r.value);
      if (!h || h.type !== "HostSystem") throw new VimFault("ManagedObjectNotFound", { obj: r });
      return h;
    });
    const running = this.sim.inventory.ofType("Task").find((t) => t instanceof Task && !t.finished && t.info.name === "GenerateLogBundles");
    if (running) throw new VimFault("TaskInProgress", { task: running.ref }, "Another log bundle is being generated.");
    // TaskInfo.entity is a ManagedEntity: the host whose bundle it is, or vCenter's root folder (not confirmed)
    const entity = vc ? this.sim.inventory.get((this.sim.content.rootFolder as Ref).value)! : this.target(undefined)!;
    return this.sim.tasks.run(entity, "GenerateLogBundles_Task", "DiagnosticManager.generateLogBundles", ctx.session?.userName ?? "", () => {
      for (const h of hosts) {
        const rt = h.props.runtime as { connectionState?: string; powerState?: string };
        if (rt.connectionState !== "connected" || rt.powerState === "poweredOff") throw new VimFault("LogBundlingFailed", {}, `Log bundle generation failed: host ${String(h.props.name)} is not connected.`);
      }
      const made: { system?: ManagedObject; bundle: Bundle }[] = [];
      if (!vc) made.push({ system: this.target(undefined), bundle: this.pack(this.target(undefined)) });
      else {
        if (includeDefault) made.push({ bundle: this.pack(undefined) });
        for (const h of hosts) made.push({ system: h, bundle: this.pack(h) });
      }
      this.bundles = [...this.bundles, ...made.map((m) => m.bundle)].slice(-MAX_BUNDLES);
      const root = vc ? "diagnostics" : "downloads";
      return made.map((m) => ({ _type: "DiagnosticManagerBundleInfo", ...(m.system ? { system: m.system.ref } : {}), url: `https://*/${root}/${m.bundle.id}/${m.bundle.name}` }));
    }, { resultType: { type: "DiagnosticManagerBundleInfo", array: true } });
  }

  /** A .tgz of the logs of `host` (vpxd's when undefined), as vm-support and vc-support name them. */
  private pack(host: ManagedObject | undefined): Bundle {
    const now = this.sim.clock.now();
    const p = (n: number) => String(n).padStart(2, "0");
    const stamp = `${now.getUTCFullYear()}-${p(now.getUTCMonth() + 1)}-${p(now.getUTCDate())}--${p(now.getUTCHours())}.${p(now.getUTCMinutes())}`;
    const dir = host ? `esx-${String(host.props.name)}-${stamp}` : `vc-vcenter-${stamp}`;
    const entries: TarEntry[] = [];
    const dirs = new Set<string>();
    const addDir = (path: string) => {
      const parts = path.split("/");
      for (let i = 1; i <= parts.length; i++) {
        const d = parts.slice(0, i).join("/");
        if (dirs.has(d)) continue;
        dirs.add(d);
        entries.push({ path: d, type: "dir", mode: 0o755, uid: 0, gid: 0, mtime: now });
      }
    };
    for (const s of this.specs(host)) {
      const path = `${dir}${s.fileName}`;
      addDir(path.slice(0, path.lastIndexOf("/")));
      const lines = this.render(host, s.key);
      entries.push({ path, type: "file", mode: 0o644, uid: 0, gid: 0, mtime: now, data: Buffer.from(lines.length ? `${lines.join("\n")}\n` : "") });
    }
    const id = this.sim.ids.nextUuid("log-bundle");
    return { id, name: `${dir}.tgz`, data: gzipSync(writeTar(entries)) };
  }

  /** A bundle GenerateLogBundles_Task made, by the id and name in its url (server/log-bundles.ts serves it). */
  bundle(id: string, name: string): Buffer | undefined {
    return this.bundles.find((b) => b.id === id && b.name === name)?.data;
  }
}
