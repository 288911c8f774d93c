// pyVmomi: generic service tickets for /folder (AcquireGenericServiceTicket,
// the vmware_cgi_ticket cookie), ImpersonateUser, and /folder asking the
// user's permissions on the datastore (ESXi).
import { describe, expect, it } from "vitest";
import { runPyvmomi } from "./pyvmomi-run.ts";

describe("pyvmomi: service tickets, impersonation and datastore file permissions", () => {
  it("serves one request per ticket and answers each user as their permissions say", async () => {
    const out = await runPyvmomi("pyvmomi_tickets.py", "homelab");
    expect(out).toEqual({
      withTicket: [200, "for the worker"], twice: 401, otherFile: 401, otherMethod: 401, paramsReordered: 200,
      put: 201, putLanded: "written by the worker", noTicket: 401,
      badUrl: "InvalidArgument", badMethod: "InvalidArgument",
      readOnlyGet: 403, readerGet: 200, readerPut: 403, readerBasic: [200, 401], readerTicketPut: 403,
      impersonateUnknown: "InvalidLogin", impersonated: ["reader", "reader"], impersonatedPut: 403, impersonatedCreateUser: "NoPermission",
    });
  });
});
