#!/usr/bin/python3
"""pyVmomi hands a datastore transfer to a process without a session
(SessionManager.AcquireGenericServiceTicket, the vmware_cgi_ticket cookie,
one request per ticket), a session takes on another user's identity
(ImpersonateUser) and with it that user's permissions, and /folder asks a
user's permissions on the datastore. Prints one JSON object.
Usage: pyvmomi_tickets.py HOST PORT USER PASSWORD  (an ESXi host)"""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

from sim_session import Session, attempt, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import SmartConnect
from pyVmomi import vim

session = Session(sys.argv)
content = session.content
dc = content.rootFolder.childEntity[0]
ds = dc.datastore[0].name
out = {}


def url(path, query_first="dcPath"):
    q = urllib.parse.quote
    params = [("dcPath", dc.name), ("dsName", ds)]
    if query_first != "dcPath":
        params.reverse()
    return "https://%s:%d/folder/%s?%s" % (session.host, session.port, q(path), "&".join("%s=%s" % (k, q(v)) for k, v in params))


def request(method, u, cookie=None, body=None, basic=None):
    headers = {"Cookie": cookie} if cookie else {}
    if basic:
        import base64
        headers["Authorization"] = "Basic " + base64.b64encode(basic.encode()).decode()
    req = urllib.request.Request(u, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, context=session.ctx) as r:
            return [r.status, r.read().decode()]
    except urllib.error.HTTPError as e:
        return [e.code, None]


def ticket(method, u):
    return content.sessionManager.AcquireGenericServiceTicket(vim.SessionManager.HttpServiceRequestSpec(method=method, url=u)).id


content.fileManager.MakeDirectory("[%s] shared" % ds, dc, True)
assert session.folder("PUT", dc.name, ds, "shared/notes.txt", b"for the worker")[0] in (200, 201)

# a ticket serves one request: its method, its URL
t = ticket("httpGet", url("shared/notes.txt"))
out["withTicket"] = request("GET", url("shared/notes.txt"), "vmware_cgi_ticket=%s" % t)
out["twice"] = request("GET", url("shared/notes.txt"), "vmware_cgi_ticket=%s" % t)[0]
t = ticket("httpGet", url("shared/notes.txt"))
out["otherFile"] = request("GET", url("shared/other.txt"), "vmware_cgi_ticket=%s" % t)[0]
out["otherMethod"] = request("DELETE", url("shared/notes.txt"), "vmware_cgi_ticket=%s" % t)[0]
out["paramsReordered"] = request("GET", url("shared/notes.txt", "dsName"), "vmware_cgi_ticket=%s" % t)[0]
t = ticket("httpPut", url("shared/from-worker.txt"))
out["put"] = request("PUT", url("shared/from-worker.txt"), "vmware_cgi_ticket=%s" % t, b"written by the worker")[0]
out["putLanded"] = session.folder("GET", dc.name, ds, "shared/from-worker.txt")[1].decode()
out["noTicket"] = request("GET", url("shared/notes.txt"))[0]
out["badUrl"] = attempt(lambda: ticket("httpGet", "not a url"))
out["badMethod"] = attempt(lambda: ticket("httpFetch", url("shared/notes.txt")))

# a user who may browse datastores reads their files and writes none; read-only alone reads none
content.accountManager.CreateUser(vim.host.LocalAccountManager.AccountSpecification(id="reader", password="Re4der-pw", description="Reader"))
auth = content.authorizationManager
auth.SetEntityPermissions(content.rootFolder, [vim.AuthorizationManager.Permission(principal="reader", group=False, roleId=-2, propagate=True)])
ro = SmartConnect(host=session.host, port=session.port, user="reader", pwd="Re4der-pw", sslContext=session.ctx)
out["readOnlyGet"] = request("GET", url("shared/notes.txt"), ro._stub.cookie)[0]
browse = auth.AddAuthorizationRole("DatastoreReader", ["Datastore.Browse"])
auth.SetEntityPermissions(content.rootFolder, [vim.AuthorizationManager.Permission(principal="reader", group=False, roleId=browse, propagate=True)])
reader = SmartConnect(host=session.host, port=session.port, user="reader", pwd="Re4der-pw", sslContext=session.ctx)
cookie = reader._stub.cookie
out["readerGet"] = request("GET", url("shared/notes.txt"), cookie)[0]
out["readerPut"] = request("PUT", url("shared/by-reader.txt"), cookie, b"nope")[0]
out["readerBasic"] = [request("GET", url("shared/notes.txt"), basic="reader:Re4der-pw")[0], request("GET", url("shared/notes.txt"), basic="reader:wrong")[0]]
t = reader.RetrieveContent().sessionManager.AcquireGenericServiceTicket(vim.SessionManager.HttpServiceRequestSpec(method="httpPut", url=url("shared/by-reader.txt")))
out["readerTicketPut"] = request("PUT", url("shared/by-reader.txt"), "vmware_cgi_ticket=%s" % t.id, b"nope")[0]

# an administrator's session becomes the reader's, and can no longer do what the reader cannot
admin2 = SmartConnect(host=session.host, port=session.port, user=sys.argv[3], pwd=sys.argv[4], sslContext=session.ctx)
sm2 = admin2.RetrieveContent().sessionManager
out["impersonateUnknown"] = attempt(lambda: sm2.ImpersonateUser("nobody"))
became = sm2.ImpersonateUser("reader")
out["impersonated"] = [became.userName, sm2.currentSession.userName]
out["impersonatedPut"] = request("PUT", url("shared/by-reader.txt"), admin2._stub.cookie, b"nope")[0]
out["impersonatedCreateUser"] = attempt(lambda: admin2.RetrieveContent().accountManager.CreateUser(vim.host.LocalAccountManager.AccountSpecification(id="x", password="Xx-passw0rd")))
print(json.dumps(out))
