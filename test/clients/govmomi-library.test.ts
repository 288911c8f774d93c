// govmomi's real content library client (vapi/rest, vapi/library, Debian's
// golang-github-vmware-govmomi-dev) against vcenter-cluster, as Packer and
// Terraform's vSphere provider drive it: a local library on shared-ds, items,
// a file pushed through an update session, downloaded back through a
// download session and read over /folder, and the errors vCenter answers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/index.ts";
import { Simulator } from "../../simulator/simulator.ts";
import { loadScenario } from "../../simulator/inventory/scenario-loader.ts";
import { buildGoProgram, run, type GoProgram } from "./go-build.ts";

describe("govmomi: vAPI content library (vapi/library)", () => {
  let program: GoProgram | undefined;

  beforeAll(async () => {
    program = await buildGoProgram("govmomi-library");
  }, 300_000);
  afterAll(() => program?.remove());

  it("keeps local libraries, items and their files as vCenter does", async () => {
    const sim = await startSimulator({ scenario: "vcenter-cluster", registryImages: false });
    let out: any;
    try {
      const { stdout } = await run(program!.binary, ["127.0.0.1", String(sim.port), sim.username, sim.password], { timeout: 90_000 });
      out = JSON.parse(stdout);
    } finally {
      await sim.close();
    }
    // ids come from the scenario's seed: a fresh simulator makes the same first library id
    const firstLibraryId = new Simulator(loadScenario("vcenter-cluster")).ids.nextUuid("content-library");
    const size = 300 * 1024 + 17;
    expect(out).toEqual({
      listWithoutSession: "401",
      createWithoutSession: "401",

      libraryIdShape: true,
      firstLibraryId,
      duplicateLibrary: "400 already_exists",
      libraryWithoutStorage: "400 invalid_argument",
      libraryOnMissingDatastore: "400 invalid_argument",
      libraryWithoutName: "400 invalid_argument",
      libraries: ["isos", "templates"],
      library: { id: "templates", name: "templates", description: "golden images", type: "LOCAL", storage: ["DATASTORE:shared-ds"], times: true },
      findLibrary: ["templates"],
      findNoLibrary: [],
      libraryByName: "isos",
      unknownLibrary: "404",
      updateLibrary: "ok",
      renameLibraryToTaken: "400 already_exists",
      libraryUpdated: "templates: VM templates",

      itemIdShape: true,
      duplicateItem: "400 already_exists",
      itemInUnknownLibrary: "404",
      itemWithoutName: "400 invalid_argument",
      isoItems: ["notes", "ubuntu"],
      findItems: ["templates/ubuntu", "ubuntu"],
      findItemsInLibrary: ["templates/ubuntu"],
      itemBefore: { name: "ubuntu", type: "iso", library: "isos", cached: false, size: 0, description: "installer" },
      unknownItem: "404",

      secondUpdateSession: "400 resource_busy",
      updateSessionUnknownItem: "404",
      added: { status: "WAITING_FOR_TRANSFER", endpoint: true },
      addPull: "400 invalid_argument",
      addBadName: "400 invalid_argument",
      completeBeforeUpload: "400 not_allowed_in_current_state",
      validateBeforeUpload: { hasErrors: true, missing: ["ubuntu.iso"], invalid: [] },
      upload: "ok",
      uploaded: { status: "READY", bytes: size, size },
      validateAfterUpload: { hasErrors: false, missing: [], invalid: [] },
      complete: "ok",
      sessionAfterComplete: "DONE ubuntu",
      uploadToCompletedSession: "409",
      uploadToUnknownSession: "404",
      completeAgain: "400 not_allowed_in_current_state",
      deleteSession: "ok",
      deletedSession: "404",

      itemAfter: { cached: true, size, contentVersion: "2" },
      files: [{ name: "ubuntu.iso", size, cached: true, checksum: "SHA1:matches" }],
      file: "ubuntu.iso",
      missingFile: "404",

      uploadLongerThanDeclared: "413",
      uploadBadChecksum: "400",
      validateBadChecksum: { hasErrors: true, missing: [], invalid: ["notes.txt"] },
      completeBadChecksum: "400 not_allowed_in_current_state",
      failSession: "ok",
      failedSession: "ERROR",
      uploadThenCancel: "ok",
      cancelSession: "ok",
      canceledSession: "CANCELED",
      notesFilesAfterCancel: 0,

      downloadFilesBefore: ["ubuntu.iso UNPREPARED"],
      prepared: { status: "PREPARED", endpoint: true },
      downloadFile: { status: "PREPARED", size },
      prepareMissing: "404",
      downloaded: { length: size, same: true },
      deleteDownloadSession: "ok",
      downloadAfterDelete: "404",
      downloadSessionUnknownItem: "404",

      onDatastore: true,
      libraryFolder: "exists",

      renameItem: "ok",
      renameItemToTaken: "400 already_exists",
      itemRenamed: "ubuntu-20.04",
      deleteItem: "ok",
      deletedItem: "404",
      deletedItemFile: "404",
      deleteItemAgain: "404",
      isoItemsAfterDelete: ["notes"],

      deleteLibrary: "ok",
      deletedLibrary: "404",
      itemOfDeletedLibrary: "404",
      itemsOfDeletedLibrary: "404",
      deletedLibraryFolder: "404",
      librariesAfterDelete: ["templates"],

      afterLogout: "401",
    });
  });
});
