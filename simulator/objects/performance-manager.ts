// PerformanceManager: the counters, intervals and samples monitoring agents
// read (govc metric.sample, Telegraf's vsphere input, pyVmomi's perf
// samples). The simulator's guests are idle, so rates read 0: CPU usage,
// network and disk throughput. What the simulator does know is reported as
// it is: a running VM's granted and consumed memory are its memory size,
// uptime counts from its boot, a host's memory is what its running VMs hold.
// A VM that is not running has no real-time samples, as on ESXi.
//
// vCenter's statistics settings are kept in the properties clients read:
// UpdatePerfInterval changes historicalInterval within the limits the API
// reference lists (a host's one interval is read-only), and
// UpdateCounterLevelMapping/ResetCounterLevelMapping change perfCounter's
// levels, which QueryPerfCounterByLevel follows. Chosen without
// confirmation: the fault a host sends for interval changes (NotSupported,
// as for counter levels), CreatePerfInterval and RemovePerfInterval answering
// NotSupported on vCenter once their argument is checked (the built-in
// intervals can be neither added to nor removed since API 2.5), and
// QueryPerfComposite leaving out the VMs that have no samples.
import { VimFault, type DataObject, type ManagedObjectReference } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";

type Ref = ManagedObjectReference;

/** Real-time statistics: 20-second samples, an hour of them. */
const REALTIME = 20;
const REALTIME_SAMPLES = 180;

interface Counter {
  key: number;
  group: string;
  name: string;
  rollup: "average" | "latest" | "summation" | "maximum" | "minimum" | "none";
  stats: "rate" | "absolute" | "delta";
  unit: string;
  level: number;
  label: string;
}

// names, units and keys as ESXi 6.0 numbers them
const COUNTERS: Counter[] = [
  { key: 2, group: "cpu", name: "usage", rollup: "average", stats: "rate", unit: "percent", level: 1, label: "Usage" },
  { key: 6, group: "cpu", name: "usagemhz", rollup: "average", stats: "rate", unit: "megaHertz", level: 1, label: "Usage in MHz" },
  { key: 12, group: "cpu", name: "ready", rollup: "summation", stats: "delta", unit: "millisecond", level: 1, label: "Ready" },
  { key: 24, group: "mem", name: "usage", rollup: "average", stats: "absolute", unit: "percent", level: 1, label: "Usage" },
  { key: 29, group: "mem", name: "granted", rollup: "average", stats: "absolute", unit: "kiloBytes", level: 2, label: "Granted" },
  { key: 33, group: "mem", name: "active", rollup: "average", stats: "absolute", unit: "kiloBytes", level: 2, label: "Active" },
  { key: 98, group: "mem", name: "consumed", rollup: "average", stats: "absolute", unit: "kiloBytes", level: 1, label: "Consumed" },
  { key: 125, group: "disk", name: "usage", rollup: "average", stats: "rate", unit: "kiloBytesPerSecond", level: 1, label: "Usage" },
  { key: 130, group: "disk", name: "read", rollup: "average", stats: "rate", unit: "kiloBytesPerSecond", level: 2, label: "Read rate" },
  { key: 131, group: "disk", name: "write", rollup: "average", stats: "rate", unit: "kiloBytesPerSecond", level: 2, label: "Write rate" },
  { key: 143, group: "net", name: "usage", rollup: "average", stats: "rate", unit: "kiloBytesPerSecond", level: 1, label: "Usage" },
  { key: 148, group: "net", name: "received", rollup: "average", stats: "rate", unit: "kiloBytesPerSecond", level: 2, label: "Data receive rate" },
  { key: 149, group: "net", name: "transmitted", rollup: "average", stats: "rate", unit: "kiloBytesPerSecond", level: 2, label: "Data transmit rate" },
  { key: 155, group: "sys", name: "uptime", rollup: "latest", stats: "absolute", unit: "second", level: 1, label: "Uptime" },
];
const BY_KEY = new Map(COUNTERS.map((c) => [c.key, c]));

interface Interval { key: number; samplingPeriod: number; name: string; length: number; level: number; enabled: boolean }

const DAY = 86400;
/** What UpdatePerfInterval may set each of vCenter's intervals to (API reference, PerformanceManager.UpdatePerfInterval). */
const INTERVAL_LIMITS: Record<number, { samplingPeriod: number[]; length: number[] }> = {
  1: { samplingPeriod: [60, 120, 180, 300], length: [DAY, 2 * DAY, 3 * DAY] },
  2: { samplingPeriod: [1800], length: [7 * DAY] },
  3: { samplingPeriod: [7200], length: [30 * DAY] },
  4: { samplingPeriod: [DAY], length: [365 * DAY, 2 * 365 * DAY, 3 * 365 * DAY] },
};

const GROUP_LABELS: Record<string, string> = { cpu: "CPU", mem: "Memory", disk: "Disk", net: "Network", sys: "System" };
const UNIT_LABELS: Record<string, string> = { percent: "%", megaHertz: "MHz", millisecond: "ms", kiloBytes: "KB", kiloBytesPerSecond: "KBps", second: "s" };

const element = (key: string, label: string, summary = label) => ({ _type: "ElementDescription", key, label, summary });

function counterInfo(c: Counter): DataObject {
  return {
    _type: "PerfCounterInfo", key: c.key,
    nameInfo: element(c.name, c.label), groupInfo: element(c.group, GROUP_LABELS[c.group]), unitInfo: element(c.unit, UNIT_LABELS[c.unit]),
    rollupType: c.rollup, statsType: c.stats, level: c.level, perDeviceLevel: Math.min(4, c.level + 2),
  };
}

export class PerformanceManager extends ManagedObject {
  constructor(sim: SimContext, value: string) {
    super(sim, "PerformanceManager", value);
    const interval = (key: number, samplingPeriod: number, name: string, length: number) => ({ _type: "PerfInterval", key, samplingPeriod, name, length, level: 1, enabled: true });
    Object.assign(this.props, {
      description: {
        _type: "PerformanceDescription",
        counterType: [element("absolute", "Absolute"), element("delta", "Delta"), element("rate", "Rate")],
        statsType: ["average", "maximum", "minimum", "latest", "summation", "none"].map((k) => element(k, k.charAt(0).toUpperCase() + k.slice(1))),
      },
      // vCenter rolls samples up into four intervals; a host keeps one day of 5-minute ones
      historicalInterval: sim.isVCenter
        ? [interval(1, 300, "Past day", 86400), interval(2, 1800, "Past week", 604800), interval(3, 7200, "Past month", 2592000), interval(4, 86400, "Past year", 31536000)]
        : [interval(1, 300, "PastDay", 86400)],
      perfCounter: COUNTERS.map(counterInfo),
    });
  }

  private entity(ref: Ref | undefined): ManagedObject {
    const o = ref ? this.sim.inventory.get(ref.value) : undefined;
    if (!o) throw new VimFault("ManagedObjectNotFound", { obj: ref });
    return o;
  }

  /** VMs and hosts have statistics of their own; everything else has none here. */
  private measured(o: ManagedObject): boolean {
    return o.type === "VirtualMachine" || o.type === "HostSystem";
  }

  private intervals(): number[] {
    return [REALTIME, ...this.historical().map((i) => i.samplingPeriod)];
  }

  QueryPerfProviderSummary(args: Args): DataObject {
    const o = this.entity(args.entity);
    const measured = this.measured(o);
    return { _type: "PerfProviderSummary", entity: o.ref, currentSupported: measured, summarySupported: measured, refreshRate: measured ? REALTIME : -1 };
  }

  /** The counters as perfCounter holds them now: their levels follow UpdateCounterLevelMapping. */
  private counters(): (DataObject & { key: number; level: number; perDeviceLevel: number })[] {
    return this.props.perfCounter as (DataObject & { key: number; level: number; perDeviceLevel: number })[];
  }

  QueryPerfCounter(args: Args): DataObject[] {
    const now = new Map(this.counters().map((c) => [c.key, c]));
    return ((args.counterId ?? []) as number[]).map((k) => now.get(k)).filter((c): c is NonNullable<typeof c> => !!c);
  }

  QueryPerfCounterByLevel(args: Args): DataObject[] {
    const level = Number(args.level);
    if (!Number.isInteger(level) || level < 1 || level > 4) throw new VimFault("InvalidArgument", { invalidProperty: "level" });
    return this.counters().filter((c) => c.level <= level);
  }

  // ---- vCenter's collection settings ----

  /** A host collects what it collects: its settings are not the API's to change. */
  private vCenterOnly(what: string): void {
    if (!this.sim.isVCenter) throw new VimFault("NotSupported", {}, `${what} is not supported on a host; connect to vCenter Server.`);
  }

  UpdateCounterLevelMapping(args: Args): void {
    this.vCenterOnly("Changing counter levels");
    const maps = (args.counterLevelMap ?? []) as { counterId: number; aggregateLevel?: number; perDeviceLevel?: number }[];
    const level = (v: number | undefined) => v === undefined || (Number.isInteger(v) && v >= 1 && v <= 4);
    const changes = new Map<number, { level?: number; perDeviceLevel?: number }>();
    maps.forEach((m, i) => {
      if (!BY_KEY.has(m.counterId)) throw new VimFault("InvalidArgument", { invalidProperty: `counterLevelMap[${i}].counterId` });
      if (m.aggregateLevel === undefined && m.perDeviceLevel === undefined) throw new VimFault("InvalidArgument", { invalidProperty: `counterLevelMap[${i}]` });
      if (!level(m.aggregateLevel)) throw new VimFault("InvalidArgument", { invalidProperty: `counterLevelMap[${i}].aggregateLevel` });
      if (!level(m.perDeviceLevel)) throw new VimFault("InvalidArgument", { invalidProperty: `counterLevelMap[${i}].perDeviceLevel` });
      // the last entry for a counter wins; an unset level stays as it is
      changes.set(m.counterId, { ...changes.get(m.counterId), ...(m.aggregateLevel !== undefined ? { level: m.aggregateLevel } : {}), ...(m.perDeviceLevel !== undefined ? { perDeviceLevel: m.perDeviceLevel } : {}) });
    });
    if (!changes.size) return;
    this.update({ perfCounter: this.counters().map((c) => (changes.has(c.key) ? { ...c, ...changes.get(c.key) } : c)) });
  }

  ResetCounterLevelMapping(args: Args): void {
    this.vCenterOnly("Changing counter levels");
    const ids = (args.counters ?? []) as number[];
    ids.forEach((k, i) => {
      if (!BY_KEY.has(k)) throw new VimFault("InvalidArgument", { invalidProperty: `counters[${i}]` });
    });
    if (!ids.length) return;
    this.update({ perfCounter: this.counters().map((c) => (ids.includes(c.key) ? counterInfo(BY_KEY.get(c.key)!) : c)) });
  }

  private historical(): Interval[] {
    return this.props.historicalInterval as Interval[];
  }

  UpdatePerfInterval(args: Args): void {
    this.vCenterOnly("Changing statistics intervals");
    const want = args.interval as Interval;
    const list = this.historical();
    const i = list.findIndex((h) => h.key === want.key);
    const bad = (field: string, why: string) => new VimFault("InvalidArgument", { invalidProperty: `interval.${field}` }, `A specified parameter was not correct: interval.${field} (${why})`);
    if (i < 0) throw bad("key", `no interval has key ${want.key}`);
    const cur = list[i];
    const limits = INTERVAL_LIMITS[cur.key];
    if (want.name !== cur.name) throw bad("name", "an interval's name cannot change");
    if (want.samplingPeriod !== cur.samplingPeriod && !limits.samplingPeriod.includes(want.samplingPeriod)) throw bad("samplingPeriod", `may be ${limits.samplingPeriod.join(", ")}`);
    if (want.length !== cur.length && !limits.length.includes(want.length)) throw bad("length", `may be ${limits.length.join(", ")}`);
    if (want.length % want.samplingPeriod !== 0) throw bad("length", "not a multiple of the sampling period");
    const lvl = want.level ?? cur.level;
    if (!Number.isInteger(lvl) || lvl < 1 || lvl > 4) throw bad("level", "between 1 and 4");
    const next = list.map((h, j) => (j === i ? { ...h, samplingPeriod: want.samplingPeriod, length: want.length, level: lvl, enabled: !!want.enabled } : h));
    // disabling an interval disables every longer one; one cannot be on while a shorter one is off
    if (!want.enabled) for (let j = i + 1; j < next.length; j++) next[j] = { ...next[j], enabled: false };
    else if (next.slice(0, i).some((h) => !h.enabled)) throw bad("enabled", "a shorter interval is disabled");
    for (let j = 1; j < next.length; j++) {
      if (next[j - 1].level < next[j].level) throw bad("level", `interval ${next[j - 1].key} would collect at a lower level than interval ${next[j].key}`);
      if (next[j - 1].length >= next[j].length) throw bad("length", `interval ${next[j].key} must keep data longer than interval ${next[j - 1].key}`);
    }
    this.update({ historicalInterval: next });
  }

  CreatePerfInterval(args: Args): void {
    this.vCenterOnly("Changing statistics intervals");
    const want = args.intervalId as Interval;
    const list = this.historical();
    if (list.some((h) => h.key === want.key)) throw new VimFault("InvalidArgument", { invalidProperty: "intervalId.key" });
    if (list.some((h) => h.samplingPeriod === want.samplingPeriod)) throw new VimFault("InvalidArgument", { invalidProperty: "intervalId.samplingPeriod" });
    if (list.some((h) => h.name === want.name)) throw new VimFault("InvalidArgument", { invalidProperty: "intervalId.name" });
    throw new VimFault("NotSupported", {}, "Historical intervals cannot be created; use UpdatePerfInterval to change the built-in ones.");
  }

  RemovePerfInterval(args: Args): void {
    this.vCenterOnly("Changing statistics intervals");
    if (!this.historical().some((h) => h.samplingPeriod === Number(args.samplePeriod))) throw new VimFault("InvalidArgument", { invalidProperty: "samplePeriod" });
    throw new VimFault("NotSupported", {}, "Historical intervals cannot be removed; use UpdatePerfInterval to disable one.");
  }

  QueryAvailablePerfMetric(args: Args): DataObject[] {
    const o = this.entity(args.entity);
    if (args.intervalId !== undefined && !this.intervals().includes(Number(args.intervalId))) throw new VimFault("InvalidArgument", { invalidProperty: "intervalId" });
    if (!this.measured(o)) return [];
    return COUNTERS.map((c) => ({ _type: "PerfMetricId", counterId: c.key, instance: "" }));
  }

  QueryPerf(args: Args): DataObject[] {
    return ((args.querySpec ?? []) as Record<string, any>[]).map((spec, i) => this.query(spec, `querySpec[${i}]`));
  }

  /**
   * A host's metrics with those of its VMs (its children in the statistics'
   * sense), for one interval: the API reference supports hosts only, and
   * asks for the metrics named.
   */
  QueryPerfComposite(args: Args): DataObject {
    const spec = (args.querySpec ?? {}) as Record<string, any>;
    const o = this.entity(spec.entity);
    if (o.type !== "HostSystem") throw new VimFault("InvalidArgument", { invalidProperty: "querySpec.entity" }, `A specified parameter was not correct: querySpec.entity (${o.type} ${o.ref.value} has no child entities with statistics)`);
    if (!((spec.metricId as unknown[] | undefined) ?? []).length) throw new VimFault("InvalidArgument", { invalidProperty: "querySpec.metricId" });
    const entity = this.query(spec, "querySpec");
    const children = ((o.props.vm as Ref[] | undefined) ?? [])
      .map((r) => this.query({ ...spec, entity: r }, "querySpec") as DataObject & { sampleInfo?: unknown[]; sampleInfoCSV?: string })
      .filter((m) => (m.sampleInfo ?? []).length || m.sampleInfoCSV);
    return { _type: "PerfCompositeMetric", entity, childEntity: children };
  }

  private query(spec: Record<string, any>, path: string): DataObject {
    const o = this.entity(spec.entity);
    const interval = spec.intervalId === undefined ? REALTIME : Number(spec.intervalId);
    if (!this.intervals().includes(interval)) throw new VimFault("InvalidArgument", { invalidProperty: `${path}.intervalId` }, `A specified parameter was not correct: querySpec.interval (${interval} is not a sampling period: ${this.intervals().join(", ")})`);
    const csv = spec.format === "csv";
    if (spec.format !== undefined && spec.format !== "normal" && !csv) throw new VimFault("InvalidArgument", { invalidProperty: `${path}.format` });
    const ids = ((spec.metricId as { counterId: number; instance?: string }[] | undefined) ?? COUNTERS.map((c) => ({ counterId: c.key, instance: "" })))
      .filter((m) => BY_KEY.has(m.counterId) && ((m.instance ?? "") === "" || m.instance === "*"))
      .map((m) => ({ counterId: m.counterId, instance: "" }));
    const times = this.measured(o) ? this.sampleTimes(o, interval, spec) : [];
    const series = times.length ? ids.map((id) => ({ id, values: times.map((t) => this.value(o, BY_KEY.get(id.counterId)!, t)) })) : [];
    const base = { entity: o.ref };
    if (csv) {
      return {
        _type: "PerfEntityMetricCSV", ...base,
        sampleInfoCSV: times.map((t) => `${interval},${t.toISOString().replace(/\.\d{3}Z$/, "Z")}`).join(","),
        value: series.map((s) => ({ _type: "PerfMetricSeriesCSV", id: { _type: "PerfMetricId", ...s.id }, value: s.values.join(",") })),
      };
    }
    return {
      _type: "PerfEntityMetric", ...base,
      sampleInfo: times.map((t) => ({ _type: "PerfSampleInfo", timestamp: t, interval })),
      value: series.map((s) => ({ _type: "PerfMetricIntSeries", id: { _type: "PerfMetricId", ...s.id }, value: s.values })),
    };
  }

  /** Sample times, oldest first: aligned to the interval, within the spec's window and since the entity started. */
  private sampleTimes(o: ManagedObject, interval: number, spec: Record<string, any>): Date[] {
    const now = this.sim.clock.now().getTime();
    const step = interval * 1000;
    const since = this.startedAt(o);
    if (since === undefined) return [];
    const last = Math.floor(now / step) * step;
    const historical = this.historical().find((h) => h.samplingPeriod === interval);
    // a disabled interval collects nothing
    if (historical && !historical.enabled) return [];
    const keep = historical ? Math.ceil(historical.length / interval) : REALTIME_SAMPLES;
    let first = Math.max(last - (keep - 1) * step, Math.ceil(since / step) * step);
    if (spec.startTime) first = Math.max(first, Math.floor((spec.startTime as Date).getTime() / step) * step + step);
    const end = spec.endTime ? Math.min(last, Math.floor((spec.endTime as Date).getTime() / step) * step) : last;
    const out: Date[] = [];
    for (let t = first; t <= end; t += step) out.push(new Date(t));
    const max = spec.maxSample === undefined ? undefined : Number(spec.maxSample);
    return max !== undefined && max > 0 ? out.slice(-max) : out;
  }

  /** When the entity's statistics begin: a VM's boot (none while it is off), a host's boot. */
  private startedAt(o: ManagedObject): number | undefined {
    const runtime = o.props.runtime as { bootTime?: Date; powerState?: string } | undefined;
    if (o.type === "VirtualMachine" && runtime?.powerState !== "poweredOn") return undefined;
    return runtime?.bootTime?.getTime();
  }

  private value(o: ManagedObject, c: Counter, at: Date): number {
    if (c.group === "sys") return Math.max(0, Math.floor((at.getTime() - (this.startedAt(o) ?? at.getTime())) / 1000));
    if (c.group !== "mem" || c.name === "usage" || c.name === "active") return 0;
    if (o.type === "VirtualMachine") return ((o.props.config as { hardware: { memoryMB: number } }).hardware.memoryMB) * 1024;
    // a host: the memory its running VMs hold
    let kb = 0;
    for (const r of (o.props.vm as Ref[] | undefined) ?? []) {
      const vm = this.sim.inventory.get(r.value);
      if ((vm?.props.runtime as { powerState?: string } | undefined)?.powerState === "poweredOn") kb += (vm!.props.config as { hardware: { memoryMB: number } }).hardware.memoryMB * 1024;
    }
    return kb;
  }
}
