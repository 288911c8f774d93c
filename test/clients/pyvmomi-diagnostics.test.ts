// pyVmomi: the logs and statistics settings govc (logs, logs.ls,
// logs.download, metric.*), PowerCLI (Get-Log) and monitoring tools read:
// DiagnosticManager, PerformanceManager's composite query, intervals and
// counter levels, EventManager.RetrieveArgumentDescription and
// AlarmManager.ClearTriggeredAlarms, on ESXi and on vCenter (6.0 and 6.7).
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { ManualClock } from "../../simulator/clock.ts";
import type { ManagedObjectReference } from "../../vim25/soap/index.ts";
import type { DiagnosticManager } from "../../simulator/objects/diagnostic-manager.ts";
import { connect } from "../helpers.ts";
import { pyvmomiScript } from "./pyvmomi-run.ts";

/** The script on a simulator whose clock stands at 19:50:00, after "diag-perf" was created and powered on at 19:50:00 on the first host and the clock moved on to 19:51:00. */
async function run(scenario: string, datastore: string) {
  const clock = new ManualClock(new Date("2016-08-06T19:50:00Z"));
  const sim = await startSimulator({ scenario, clock });
  try {
    const c = await connect(sim);
    const host = [...sim.sim.inventory.ofType("HostSystem")].sort((a, b) => String(a.get("name")).localeCompare(String(b.get("name"))))[0];
    const dc = sim.sim.inventory.ofType("Datacenter")[0];
    const pool = sim.sim.inventory.get((sim.sim.inventory.get((host.props.parent as ManagedObjectReference).value)!.props.resourcePool as ManagedObjectReference).value)!.ref;
    const vm = (await c.waitForTask((await c.call("CreateVM_Task", dc.get("vmFolder") as ManagedObjectReference, {
      config: { _type: "VirtualMachineConfigSpec", name: "diag-perf", guestId: "otherGuest64", memoryMB: 512, files: { _type: "VirtualMachineFileInfo", vmPathName: `[${datastore}]` } },
      pool, ...(sim.sim.isVCenter ? { host: host.ref } : {}),
    })) as ManagedObjectReference)) as ManagedObjectReference;
    await c.waitForTask((await c.call("PowerOnVM_Task", vm, {})) as ManagedObjectReference);
    clock.advance(60_000);
    const out = await pyvmomiScript("pyvmomi_diagnostics.py", sim);
    // pyVmomi refuses a 6.7 method on a 6.0 session itself; the server's own answer, asked straight
    const alarms = sim.sim.content.alarmManager as ManagedObjectReference | undefined;
    if (alarms) out.clearDirect = await c.call("ClearTriggeredAlarms", alarms, { filter: { _type: "AlarmFilterSpec", status: ["red"] } }).then(() => "ok", (e: { type?: string }) => e.type);
    // a restore takes the logs and the bundles back with everything else
    const dm = sim.sim.inventory.get((sim.sim.content.diagnosticManager as ManagedObjectReference).value) as DiagnosticManager;
    const hostd = (h?: ManagedObjectReference) => (dm.BrowseDiagnosticLog({ key: sim.sim.isVCenter ? "vpxd:vpxd.log" : "hostd", host: h }) as unknown as { lineEnd: number }).lineEnd;
    const before = hostd();
    sim.sim.reset();
    const intervals = () => (sim.sim.inventory.get((sim.sim.content.perfManager as ManagedObjectReference).value)!.props.historicalInterval as { samplingPeriod: number; length: number }[]).map((i) => [i.samplingPeriod, i.length]);
    out.afterReset = [hostd() < before, hostd(), intervals()];
    return out;
  } finally {
    await sim.close();
  }
}

const T0 = "2016-08-06T19:51:00.000Z";
const HOST_LOGS = [
  ["hostd", "/var/log/hostd.log", "hostd", "plain", "text/plain", true],
  ["vmkernel", "/var/log/vmkernel.log", "hostd", "plain", "text/plain", true],
  ["vpxa", "/var/log/vpxa.log", "vpxa", "plain", "text/plain", true],
];
const DEFAULT_INTERVALS_VC = [[300, 86400], [1800, 604800], [7200, 2592000], [86400, 31536000]];
const SAMPLES = ["2016-08-06T19:50:00+00:00", "2016-08-06T19:50:20+00:00", "2016-08-06T19:50:40+00:00", "2016-08-06T19:51:00+00:00"];
const SERIES = { 29: [524288, 524288, 524288, 524288], 155: [0, 20, 40, 60] };
const LEVELS_DEFAULT = [[[2, 4], [2, 4], [1, 3]], [2, 6, 12, 24, 98, 125, 143, 155]];
const LEVELS_CHANGED = [[1, 4], [2, 2], [4, 4]];

/** What the script prints on ESXi (vc false) or vCenter: `task` the CreateVM task's key, `host` the first host, `user` the scenario's. */
function expected(vc: boolean, api67: boolean, task: string, host: string, user: string) {
  const hostd = (what: string, tid: string, op: string, sub: string) => `${T0} info hostd[${tid}] [Originator@6876 sub=${sub} opID=${op} user=${user}] ${what}`;
  const lro = (daemon: string, tid: string) => [
    `${T0} info ${daemon}[${tid}] [Originator@6876 sub=vpxLro opID=5a3ddaa5-3] [VpxLRO] -- BEGIN ${task} -- group-v2 -- vim.Folder.createVm -- ${user}`,
    `${T0} info ${daemon}[${tid}] [Originator@6876 sub=vpxLro opID=5a3ddaa5-3] [VpxLRO] -- FINISH ${task}`,
  ];
  const hostBundle = [`esx-${host}-DATE/var/log/hostd.log`, `esx-${host}-DATE/var/log/vmkernel.log`, `esx-${host}-DATE/var/log/vpxa.log`];
  const vcSteps = [
    ["threeDays", "ok"], ["oneMinute", "ok"], ["levels", "ok"], ["disableMonth", "ok"],
    ["badPeriod", "InvalidArgument"], ["badLength", "InvalidArgument"], ["levelOrder", "InvalidArgument"], ["badLevel", "InvalidArgument"],
    ["rename", "InvalidArgument"], ["unknownKey", "InvalidArgument"], ["enableYear", "InvalidArgument"],
    // the sampling period is now a minute: 300 is no longer one
    ["oneMinuteQuery", "ok"], ["fiveMinuteQuery", "InvalidArgument"],
    ["create", "NotSupported"], ["createDuplicate", "InvalidArgument"], ["remove", "NotSupported"], ["removeUnknown", "InvalidArgument"],
  ];
  const vcIntervals = [[1, 60, "Past day", 259200, 2, true], [2, 1800, "Past week", 604800, 1, true], [3, 7200, "Past month", 2592000, 1, false], [4, 86400, "Past year", 31536000, 1, false]];
  const red = [[[true, "red"]], "red"];
  return {
    descriptions: HOST_LOGS,
    ...(vc ? { vpxdDescriptions: [["vpxd:vpxd.log", "/var/log/vmware/vpxd/vpxd.log", "vpxd"], ["vpxd:vpxd-alert.log", "/var/log/vmware/vpxd/vpxd-alert.log", "vpxd"], ["vpxd:vpxd-profiler.log", "/var/log/vmware/vpxd/vpxd-profiler.log", "vpxd"]] } : {}),
    hostdTask: [
      hostd(`Task Created : ${task}`, "3AC83E70", "5a3ddaa5-3", "Vimsvc.TaskManager"),
      hostd(`Task Completed : ${task} Status success`, "3AC83E70", "5a3ddaa5-3", "Vimsvc.TaskManager"),
    ],
    hostdEvent: [hostd(`Event 6 : Created virtual machine diag-vm on ${host}`, "3AC87170", "5a3fb54a-6", "Vimsvc.ha-eventmgr")],
    whole: [1, true, true],
    window: [2, 4, true],
    pastEnd: [true, 0],
    tail: [true, true, true],
    beforeStart: [1, true],
    vmkernel: [`cpu0:32768)VMKernel: ${host}: Booting VMkernel`, `cpu0:32768)Init: Starting ${vc ? 32 : 8} CPUs`, "cpu0:32768)Loading module vmkapi_v2_3_0_0_vmkernel_shim ...", "cpu0:32768)Net: Init: Uplinks ready", "cpu0:32768)Boot Successful"],
    // a standalone host's vpxa has had no vCenter to speak to
    vpxa: vc ? lro("vpxa", "FFDC4E70") : [],
    ...(vc ? { vpxd: lro("vpxd", "7F2A4E00"), vpxdAlert: [], profiler: [`--> /TaskStats/vim.Folder.createVm/${task}/success/durationMs 0`], otherHost: [] } : {}),
    logFaults: { unknownKey: "InvalidArgument", negativeLines: "InvalidArgument", ...(vc ? { hostdOfVpxd: "InvalidArgument", vpxdOfHost: "InvalidArgument" } : {}) },
    bundleTask: ["DiagnosticManager.generateLogBundles", vc ? "Datacenters" : host],
    bundles: vc
      ? [
        [null, "https://*/diagnostics/ID/vc-vcenter-DATE.tgz", 200, ["vc-vcenter-DATE/var/log/vmware/vpxd/vpxd-alert.log", "vc-vcenter-DATE/var/log/vmware/vpxd/vpxd-profiler.log", "vc-vcenter-DATE/var/log/vmware/vpxd/vpxd.log"], true],
        [host, `https://*/diagnostics/ID/esx-${host}-DATE.tgz`, 200, hostBundle, true],
      ]
      : [[host, `https://*/downloads/ID/esx-${host}-DATE.tgz`, 200, hostBundle, true]],
    bundleHttp: { noCookie: 401, unknown: 404 },
    bundleFaults: vc ? {} : { noDefault: "InvalidArgument" },
    composite: [[host, SAMPLES, SERIES], [["diag-perf", SAMPLES, SERIES]]],
    compositeFaults: { vm: "InvalidArgument", noMetric: "InvalidArgument", interval: "InvalidArgument" },
    ...(vc ? { intervalsAfter: vcIntervals, intervalsAfterFaults: true } : {}),
    intervalSteps: vc ? vcSteps : [["update", "NotSupported"], ["create", "NotSupported"], ["createDuplicate", "NotSupported"], ["remove", "NotSupported"], ["removeUnknown", "NotSupported"]],
    intervals: vc ? vcIntervals : [[1, 300, "PastDay", 86400, 1, true]],
    levelsBefore: LEVELS_DEFAULT,
    levelSteps: vc
      ? [
        ["update", "ok", LEVELS_CHANGED, [6, 12, 24, 29, 98, 125, 143, 155]],
        ["queryCounter", [[29, 1], [2, 4]]],
        ["unknownCounter", "InvalidArgument", LEVELS_CHANGED],
        ["noLevels", "InvalidArgument", LEVELS_CHANGED],
        // nothing of a call with a bad entry is applied
        ["badLevel", "InvalidArgument", LEVELS_CHANGED],
        ["resetUnknown", "InvalidArgument", LEVELS_CHANGED],
        ["reset", "ok", ...LEVELS_DEFAULT],
      ]
      : [
        ["update", "NotSupported", LEVELS_DEFAULT[0], LEVELS_DEFAULT[1]],
        ["queryCounter", [[29, 2], [2, 1]]],
        ["unknownCounter", "NotSupported", LEVELS_DEFAULT[0]],
        ["noLevels", "NotSupported", LEVELS_DEFAULT[0]],
        ["badLevel", "NotSupported", LEVELS_DEFAULT[0]],
        ["resetUnknown", "NotSupported", LEVELS_DEFAULT[0]],
        ["reset", "NotSupported", ...LEVELS_DEFAULT],
      ],
    arguments: {
      heartbeat: [["1", "string"], ["2", "vim.event.DatastoreEventArgument"]],
      revert: [["snapshotName", "string"], ["snapshotId", "int"]],
      unknown: [],
      standard: [],
      ...(vc ? { extension: [["probe", "string"], ["count", "int"]] } : {}),
    },
    ...(vc
      ? {
        alarmTriggered: red,
        // a 6.0 vCenter does not know the method (it is since 6.7)
        clearFaults: { badEntityType: api67 ? "InvalidArgument" : "MethodNotFound" },
        clearSteps: api67
          ? [["hostsOnly", "ok", red], ["yellowOnly", "ok", red], ["metricOnly", "ok", red], ["vmsRed", "ok", [[], "green"]]]
          : [["all", "MethodNotFound", red]],
        ...(api67 ? { cleared: [["green"], [["diag probe", "diag-perf", "red"]]] } : {}),
        disconnected: { browse: "HostNotConnected", describe: "HostNotConnected", bundle: "vim.fault.LogBundlingFailed" },
        // a 6.0 vCenter answers MethodNotFound for the 6.7 method
        clearDirect: api67 ? "ok" : "MethodNotFound",
      }
      : {}),
    // a reset empties the logs and brings the intervals back
    afterReset: [true, 0, vc ? DEFAULT_INTERVALS_VC : [[300, 86400]]],
  };
}

describe("pyvmomi: diagnostics and statistics settings", () => {
  it("ESXi: hostd's logs, a bundle at /downloads, a host's read-only statistics settings", async () => {
    const out = await run("homelab", "mydatastore");
    expect(out).toEqual(expected(false, false, "haTask-ha-folder-vm-vim.Folder.createVm-3", "esxi01.think-v.com", "root"));
  }, 60_000);

  it("vCenter 6.0: vpxd's and a host's logs, bundles at /diagnostics, intervals and counter levels; no ClearTriggeredAlarms yet", async () => {
    const out = await run("vcenter-cluster", "shared-ds");
    expect(out).toEqual(expected(true, false, "task-26", "esx1.example.com", "administrator@vsphere.local"));
  }, 60_000);

  it("vCenter 6.7: ClearTriggeredAlarms resets the alarm the filter picks, with an AlarmClearedEvent", async () => {
    const out = await run("vcenter-67", "shared-ds");
    expect(out).toEqual(expected(true, true, "task-26", "esx1.example.com", "administrator@vsphere.local"));
  }, 60_000);
});
