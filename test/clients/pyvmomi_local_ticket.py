#!/usr/bin/python3
"""pyVmomi logs in the ways besides a password: hostd's local ticket (a
one-time password in a file only its user may read, used once by a second
connection), SSPI, a SAML token, and an extension's certificate, on ESXi and
on vCenter, with the faults each answers.
Prints one JSON object.
Usage: pyvmomi_local_ticket.py HOST PORT USER PASSWORD"""
import json
import os
import stat
import sys

from sim_session import Session, attempt  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import SoapStubAdapter, vim

session = Session(sys.argv)
si, content = session.si, session.content
user = sys.argv[3]
vc = content.about.apiType == "VirtualCenter"
out = {}


def connection():
    """A new connection with no session, as a local tool opens one."""
    stub = SoapStubAdapter(host=session.host, port=session.port, sslContext=session.ctx, version=si._stub.version)
    return vim.ServiceInstance("ServiceInstance", stub).RetrieveContent().sessionManager


if not vc:
    tool = connection()
    ticket = tool.AcquireLocalTicket(userName=user)
    path = ticket.passwordFilePath
    mode = stat.S_IMODE(os.stat(path).st_mode)
    with open(path) as f:
        password = f.read()
    out["ticket"] = {"userName": ticket.userName, "absolute": os.path.isabs(path), "mode": oct(mode), "passwordLength": len(password)}
    logged = tool.Login(userName=user, password=password)
    me = tool.currentSession
    out["login"] = [logged.userName == user, me is not None and me.key == logged.key, logged.key != content.sessionManager.currentSession.key]
    out["fileAfterLogin"] = os.path.exists(path)
    out["reused"] = attempt(lambda: connection().Login(userName=user, password=password))
    # a ticket is its user's alone
    other = connection().AcquireLocalTicket(userName=user)
    with open(other.passwordFilePath) as f:
        other_password = f.read()
    out["otherUser"] = attempt(lambda: connection().Login(userName="nobody", password=other_password))
    out["otherTicketKept"] = os.path.exists(other.passwordFilePath)
    out["unknownUser"] = attempt(lambda: connection().AcquireLocalTicket(userName="nobody"))
    out["emptyUser"] = attempt(lambda: connection().AcquireLocalTicket(userName=""))
    # the real password still logs in
    out["passwordLogin"] = attempt(lambda: connection().Login(userName=user, password=sys.argv[4]))
    out["ticketDir"] = path.rsplit("/", 1)[0] == other.passwordFilePath.rsplit("/", 1)[0]
    # the second ticket stays unused: the simulator's close removes it (checked by the test)
    out["pending"] = other.passwordFilePath
else:
    out["localTicket"] = attempt(lambda: connection().AcquireLocalTicket(userName=user))

out["sspi"] = attempt(lambda: connection().LoginBySSPI(base64Token="TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw=="))
out["token"] = attempt(lambda: connection().LoginByToken())
out["tokenOnSession"] = attempt(lambda: content.sessionManager.LoginByToken())
out["extByCertUnknown"] = attempt(lambda: connection().LoginExtensionByCertificate(extensionKey="com.example.missing"))
out["extBySubjectUnknown"] = attempt(lambda: connection().LoginExtensionBySubjectName(extensionKey="com.example.missing"))
if vc:
    em = content.extensionManager
    desc = vim.Description(label="Example", summary="Example solution")
    em.RegisterExtension(vim.Extension(key="com.example.solution", version="1.0", description=desc, company="Example",
                                       subjectName="CN=com.example.solution", lastHeartbeatTime=si.CurrentTime()))
    em.RegisterExtension(vim.Extension(key="com.example.nosubject", version="1.0", description=desc, company="Example",
                                       lastHeartbeatTime=si.CurrentTime()))
    out["extByCert"] = attempt(lambda: connection().LoginExtensionByCertificate(extensionKey="com.example.solution"))
    out["extBySubject"] = attempt(lambda: connection().LoginExtensionBySubjectName(extensionKey="com.example.solution"))
    out["extBySubjectNoName"] = attempt(lambda: connection().LoginExtensionBySubjectName(extensionKey="com.example.nosubject"))
    em.UnregisterExtension("com.example.solution")
    em.UnregisterExtension("com.example.nosubject")
# none of these left a session behind
out["sessions"] = len(content.sessionManager.sessionList)
print(json.dumps(out))
