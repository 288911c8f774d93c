// govmomi's real vAPI tagging client (vapi/rest, vapi/tags, Debian's
// golang-github-vmware-govmomi-dev) against vcenter-cluster: sessions,
// categories, tags and associations on a VM, a host and a datastore, and
// the errors vCenter answers. The Go program is built once, GOPATH-style.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { Simulator } from "../../simulator/simulator.ts";
import { loadScenario } from "../../simulator/inventory/scenario-loader.ts";
import { buildGoProgram, run, type GoProgram } from "./go-build.ts";

describe("govmomi: vAPI tagging (vapi/tags)", () => {
  let program: GoProgram | undefined;

  beforeAll(async () => {
    program = await buildGoProgram("govmomi-tags");
  }, 300_000);
  afterAll(() => program?.remove());

  it("manages categories, tags and associations as vCenter does", async () => {
    const sim = await startSimulator({ scenario: "vcenter-cluster", registryImages: false });
    let out: any;
    try {
      const { stdout } = await run(program!.binary, ["127.0.0.1", String(sim.port), sim.username, sim.password], { timeout: 60_000 });
      out = JSON.parse(stdout);
    } finally {
      await sim.close();
    }
    // ids come from the scenario's seed: a fresh simulator makes the same first category id
    const firstCategoryId = new Simulator(loadScenario("vcenter-cluster")).tagging.createCategory({ name: "env", description: "", cardinality: "SINGLE", associable_types: [] });
    expect(out).toEqual({
      wrongPassword: "401",
      sessionIdShape: true,
      sessionUser: "administrator@vsphere.local",
      sessionTimes: true,

      firstCategoryId,
      categoryIdShape: true,
      duplicateCategory: "400 already_exists",
      badCardinality: "400 invalid_argument",
      categories: ["env", "zone"],
      env: { id: "env", name: "env", description: "environment", cardinality: "SINGLE", associable_types: ["VirtualMachine", "HostSystem"] },
      envUpdated: { id: "env", name: "env", description: "where it runs", cardinality: "SINGLE", associable_types: ["VirtualMachine", "HostSystem", "Datastore"] },
      shrinkTypes: "400 invalid_argument",
      renameToTaken: "400 already_exists",
      unknownCategory: "404",

      tagIdShape: true,
      duplicateTag: "400 already_exists",
      tagInUnknownCategory: "404",
      tags: ["env/prod", "env/dev", "zone/a", "zone/b", "zone/prod"],
      envTags: ["env/prod", "env/dev"],
      testTag: { name: "test", description: "was dev", category: "env", id: "env/test" },
      renameTagToTaken: "400 already_exists",

      attachProdVM: "ok",
      attachProdVMAgain: "ok",
      attachTestVMSingle: "400 invalid_argument",
      attachProdHost: "ok",
      attachProdCluster: "400 invalid_argument",
      attachMissingVM: "403",
      attachUnknownTag: "404",
      prodObjects: ["VirtualMachine:tagged-vm", "HostSystem:esx1"],
      vmTags: ["env/prod"],
      attachMultiple: "batch:com.vmware.cis.tagging.objectNotFound",
      vmTagsAfterMultiple: ["env/prod", "zone/a", "zone/b"],
      attachToMultiple: "ok",
      objectsOnTags: [
        { tag: "env/prod", objects: ["VirtualMachine:tagged-vm", "HostSystem:esx1"] },
        { tag: "zone/prod", objects: ["VirtualMachine:tagged-vm", "HostSystem:esx1", "Datastore:shared-ds"] },
      ],
      tagsOnObjects: [
        { object: "VirtualMachine:tagged-vm", tags: ["env/prod", "zone/a", "zone/b", "zone/prod"] },
        { object: "HostSystem:esx1", tags: ["env/prod", "zone/prod"] },
        { object: "Datastore:shared-ds", tags: ["zone/prod"] },
      ],
      detachMultiple: "ok",
      detachProdVM: "ok",
      detachProdVMAgain: "ok",
      vmTagsAfterDetach: ["zone/prod"],
      attachTestVM: "ok",

      deletedTag: "404",
      dsTagsAfterTagDelete: [],
      tagsAfterCategoryDelete: ["zone/a", "zone/b"],
      vmTagsAfterCategoryDelete: [],
      hostTagsAfterCategoryDelete: [],
      deleteDeletedCategory: "404",

      afterLogout: "401",
      sessionAfterLogout: true,
    });
  });
});
