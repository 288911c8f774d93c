#!/usr/bin/python3
"""pyVmomi clones a session as multi-process scripts and consoles do:
AcquireCloneTicket on a logged-in session, CloneSession on a new connection
with no login; a ticket serves once, and not after its session has ended.
Prints one JSON object.
Usage: pyvmomi_clone_session.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import SoapStubAdapter, vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}


def connection():
    stub = SoapStubAdapter(host=session.host, port=session.port, sslContext=session.ctx, version=si._stub.version)
    return vim.ServiceInstance("ServiceInstance", stub).RetrieveContent().sessionManager


ticket = content.sessionManager.AcquireCloneTicket()
out["ticket"] = ticket.split("-")[0]
clone = connection()
cloned = clone.CloneSession(ticket)
me = content.sessionManager.currentSession
out["cloned"] = [cloned.userName == me.userName, cloned.key != me.key, clone.currentSession.key == cloned.key]
out["reused"] = attempt(lambda: connection().CloneSession(ticket))
out["bogus"] = attempt(lambda: connection().CloneSession("cst-nonsense"))
out["onSession"] = attempt(lambda: clone.CloneSession(content.sessionManager.AcquireCloneTicket()))
late = content.sessionManager.AcquireCloneTicket()
Disconnect(si)
out["afterLogout"] = attempt(lambda: connection().CloneSession(late))
# the clone lives on its own
out["cloneAlive"] = clone.currentSession is not None
print(json.dumps(out))
