// pyVmomi: Storage I/O Control (ConfigureDatastoreIORM_Task, QueryIORMConfigOption,
// QueryDatastorePerformanceSummary) and ValidateStoragePodConfig on vCenter,
// the option query on hostd (pyvmomi_storage_iorm.py).
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

const IA = "vmodl.fault.InvalidArgument";
// [enabled, congestionThresholdMode, congestionThreshold, percentOfPeakThroughput, statsCollectionEnabled, reservationEnabled]
const DEFAULT = [false, "automatic", 30, 90, false, true];
const OPTION = { enabled: [true, false], threshold: [5, 100, 30], stats: false, reservation: true };
const zeros = [0, 0, 0];
const IORM = {
  supported: true,
  default: DEFAULT,
  enabled: [true, "automatic", 30, 90, true, true],
  task: [true, "StorageResourceManager.ConfigureDatastoreIORM"],
  manual: [true, "manual", 45, 90, true, true],
  automatic: [true, "automatic", 45, 75, true, true],
  faults: [IA, IA, IA, IA, IA],
  invalidProperty: "spec.congestionThreshold",
  unchanged: [true, "automatic", 45, 75, true, true],
  badDatastore: "ManagedObjectNotFound",
  option: OPTION,
  optionFaults: ["ManagedObjectNotFound"],
  summary: [86400, 604800].map((interval) => [interval, [50, 90, 99], zeros, zeros, zeros, zeros, zeros, 0]),
  summaryFault: "NotFound",
  reset: 200,
  afterReset: DEFAULT,
};

describe("pyvmomi: Storage I/O Control and the Storage DRS spec check", () => {
  it("configures SIOC on a 6.0 vCenter, with its faults, options and summary, and resets; ValidateStoragePodConfig is 6.7's", async () => {
    expect(await runPyvmomi("pyvmomi_storage_iorm.py", "vcenter-cluster")).toEqual({ ...IORM, validate: "MethodNotFound" });
  });

  it("validates a datastore cluster's Storage DRS spec on vCenter 6.7 without applying it", async () => {
    expect(await runPyvmomi("pyvmomi_storage_iorm.py", "vcenter-67")).toEqual({
      ...IORM,
      validGood: true,
      validBad: [
        [IA, "spec.podConfigSpec.spaceLoadBalanceConfig.spaceUtilizationThreshold"],
        [IA, "spec.podConfigSpec.ioLoadBalanceConfig.ioLatencyThreshold"],
        [IA, "spec.podConfigSpec.defaultVmBehavior"],
      ],
      podUntouched: [false, 80],
      configureBad: IA,
      validateFault: "ManagedObjectNotFound",
    });
  });

  it("answers the option query on hostd, NotSupported for configuring, NotImplemented for the rest", async () => {
    expect(await runPyvmomi("pyvmomi_storage_iorm.py", "homelab")).toEqual({ option: OPTION, configure: "NotSupported", summary: "NotImplemented" });
  });
});
