#!/usr/bin/python3
"""pyVmomi and a vCenter extension's certificate logins, as a solution
(SRM, a VIC-like plugin) does them: RegisterExtension with a subject name,
SetExtensionCertificate (a PEM, or the certificate of the caller's own TLS
handshake), then LoginExtensionByCertificate and LoginExtensionBySubjectName
on a connection that presents the certificate; the session is privileged
until ImpersonateUser; UnregisterExtension and /_sim/reset take the
certificate away. Prints one JSON object.
Usage: pyvmomi_extension_login.py HOST PORT USER PASSWORD CERT_DIR
(CERT_DIR holds a.pem/a.key, subject CN=ext-client, O=VMware, OU=vsphere-sim,
and b.pem/b.key, CN=other-client with the same O and OU)"""
import json
import os
import ssl
import sys

from sim_session import Session, attempt  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import SoapStubAdapter, vim

session = Session(sys.argv)
si, content = session.si, session.content
certs = sys.argv[5]
KEY = "com.example.certext"
out = {}


def connection(cert=None):
    """A new connection with no session, presenting client certificate `cert` ("a" or "b") or none."""
    ctx = ssl._create_unverified_context()
    if cert:
        ctx.load_cert_chain(os.path.join(certs, cert + ".pem"), os.path.join(certs, cert + ".key"))
    stub = SoapStubAdapter(host=session.host, port=session.port, sslContext=ctx, version=si._stub.version)
    return vim.ServiceInstance("ServiceInstance", stub).RetrieveContent()


def pem(cert):
    with open(os.path.join(certs, cert + ".pem")) as f:
        return f.read()


em = content.extensionManager
em.RegisterExtension(vim.Extension(key=KEY, version="1.0", company="Example", subjectName="CN=ext-client, O=VMware, OU=vsphere-sim",
                                   description=vim.Description(label="Cert extension", summary="logs in with a certificate"),
                                   lastHeartbeatTime=si.CurrentTime()))

out["before"] = {
    # registered, but no certificate set for it yet
    "byCert": attempt(lambda: connection("a").sessionManager.LoginExtensionByCertificate(KEY)),
    "noClientCert": attempt(lambda: connection().sessionManager.LoginExtensionByCertificate(KEY)),
    # the administrator's connection presents no certificate to take
    "setFromHandshake": attempt(lambda: em.SetExtensionCertificate(KEY)),
    "setBadPem": attempt(lambda: em.SetExtensionCertificate(KEY, "not a certificate")),
    "setUnknown": attempt(lambda: em.SetExtensionCertificate("com.example.missing", pem("a"))),
}

# the certificate set from a PEM: that one logs in, the other does not
em.SetExtensionCertificate(KEY, pem("a"))
out["byCert"] = {"other": attempt(lambda: connection("b").sessionManager.LoginExtensionByCertificate(KEY))}
ext = connection("a")
s = ext.sessionManager.LoginExtensionByCertificate(KEY)
out["byCert"]["session"] = [s.userName, s.fullName, ext.sessionManager.currentSession.userName]
out["byCert"]["again"] = attempt(lambda: ext.sessionManager.LoginExtensionByCertificate(KEY))
# privileged: it may do what no permission of its own grants
dc = ext.rootFolder.childEntity[0]
made = dc.vmFolder.CreateFolder("made-by-extension")
out["byCert"]["privileged"] = [made.name, ext.authorizationManager.RetrieveEntityPermissions(ext.rootFolder, False) is not None]
events = content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=["UserLoginSessionEvent"]))
out["byCert"]["loginEvent"] = max(events, key=lambda e: e.key).userName
# acting for a user, it holds that user's permissions only: read-only here
auth = content.authorizationManager
auth.SetEntityPermissions(content.rootFolder, [vim.AuthorizationManager.Permission(principal="reader@vsphere.local", group=False, roleId=-2, propagate=True)])
ext.sessionManager.ImpersonateUser("reader@vsphere.local")
out["impersonated"] = [ext.sessionManager.currentSession.userName, made.name, attempt(lambda: dc.vmFolder.CreateFolder("not-by-reader"))]

# the certificate taken from the caller's own handshake: an administrator's session over a connection presenting b
admin_b = connection("b")
admin_b.sessionManager.Login(sys.argv[3], sys.argv[4])
admin_b.extensionManager.SetExtensionCertificate(KEY)
out["fromHandshake"] = {
    "a": attempt(lambda: connection("a").sessionManager.LoginExtensionByCertificate(KEY)),
    "b": attempt(lambda: connection("b").sessionManager.LoginExtensionByCertificate(KEY)),
}

# by subject name: the certificate's subject must be the one registered
out["bySubject"] = {
    "a": attempt(lambda: connection("a").sessionManager.LoginExtensionBySubjectName(KEY)),
    "b": attempt(lambda: connection("b").sessionManager.LoginExtensionBySubjectName(KEY)),
    "none": attempt(lambda: connection().sessionManager.LoginExtensionBySubjectName(KEY)),
}

# unregistered, then registered again: the certificate went with the registration
em.UnregisterExtension(KEY)
out["unregistered"] = attempt(lambda: connection("b").sessionManager.LoginExtensionByCertificate(KEY))
em.RegisterExtension(vim.Extension(key=KEY, version="1.0", company="Example", description=vim.Description(label="x", summary="x"),
                                   lastHeartbeatTime=si.CurrentTime()))
out["reregistered"] = attempt(lambda: connection("b").sessionManager.LoginExtensionByCertificate(KEY))

# /_sim/reset: the scenario has no extensions
em.SetExtensionCertificate(KEY, pem("a"))
out["resetStatus"] = session.reset()
out["afterReset"] = attempt(lambda: connection("a").sessionManager.LoginExtensionByCertificate(KEY))
print(json.dumps(out))
