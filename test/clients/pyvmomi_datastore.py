#!/usr/bin/python3
"""Datastore files with pyVmomi the way vSphere scripts handle them:
FileManager, HostDatastoreBrowser, and /folder transfers authenticated by
the SOAP session's cookie. Prints one JSON object of what it saw.
Usage: pyvmomi_datastore.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
out = {}
dc = content.rootFolder.childEntity[0]
ds = dc.datastore[0]
fm = content.fileManager
name = ds.summary.name


def folder(method, path, body=None, cookie=True):
    return session.folder(method, dc.name, name, path, body, cookie)


fm.MakeDirectory(name="[%s] pyvm/sub" % name, datacenter=dc, createParentDirectories=True)
out["put"] = folder("PUT", "pyvm/pyvm.vmx", b'config.version = "8"\n')[0]
out["replace"] = folder("PUT", "pyvm/pyvm.vmx", b'config.version = "8"\nmemSize = "512"\n')[0]
status, body = folder("GET", "pyvm/pyvm.vmx")
out["get"] = [status, body.decode()]
out["anonymous"] = folder("GET", "pyvm/pyvm.vmx", cookie=False)[0]
out["missingDir"] = folder("PUT", "nodir/x.iso", b"x")[0]
# a body larger than the socket buffers: the answer must wait for it, or the client sees the connection drop mid-send
status, body = folder("PUT", "nodir/big.iso", b"\0" * (4 << 20))
out["missingDirLarge"] = [status, body.decode()]

spec = vim.host.DatastoreBrowser.SearchSpec(
    matchPattern=["*.vmx"],
    details=vim.host.DatastoreBrowser.FileInfo.Details(fileType=True, fileSize=True, modification=True, fileOwner=True),
    query=[vim.host.DatastoreBrowser.VmConfigQuery(details=vim.host.DatastoreBrowser.VmConfigQuery.Details(configVersion=True))])
t = ds.browser.SearchDatastoreSubFolders_Task("[%s] pyvm" % name, spec)
WaitForTask(t)
out["subFolders"] = [[r.folderPath, [[type(f).__name__, f.path, f.fileSize, f.configVersion] for f in r.file]] for r in t.info.result]

t = fm.CopyDatastoreFile_Task(sourceName="[%s] pyvm/pyvm.vmx" % name, sourceDatacenter=dc, destinationName="[%s] pyvm/sub/copy.vmx" % name)
WaitForTask(t)
out["copyEntity"] = t.info.entity._moId
try:
    WaitForTask(fm.CopyDatastoreFile_Task(sourceName="[%s] pyvm/pyvm.vmx" % name, sourceDatacenter=dc, destinationName="[%s] pyvm/sub/copy.vmx" % name))
    out["copyAgain"] = "copied"
except vim.fault.FileAlreadyExists as e:
    out["copyAgain"] = ["FileAlreadyExists", e.file]
WaitForTask(fm.MoveDatastoreFile_Task(sourceName="[%s] pyvm/sub/copy.vmx" % name, sourceDatacenter=dc, destinationName="[%s] pyvm/moved.vmx" % name))
t = ds.browser.SearchDatastore_Task("[%s] pyvm" % name, None)
WaitForTask(t)
out["afterMove"] = [f.path for f in t.info.result.file]
WaitForTask(fm.DeleteDatastoreFile_Task(name="[%s] pyvm" % name, datacenter=dc))
try:
    WaitForTask(ds.browser.SearchDatastore_Task("[%s] pyvm" % name, None))
    out["afterDelete"] = "found"
except vim.fault.FileNotFound as e:
    out["afterDelete"] = ["FileNotFound", e.file]
try:
    fm.MakeDirectory(name="not a datastore path", datacenter=dc)
except vim.fault.InvalidDatastorePath as e:
    out["badPath"] = ["InvalidDatastorePath", e.datastorePath]

Disconnect(si)
print(json.dumps(out))
