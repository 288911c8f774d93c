#!/usr/bin/python3
"""pyVmomi calls that used to answer NotImplemented, as scripts make them:
HostNetworkSystem.UpdatePhysicalNicLinkSpeed (esxcli network nic set -S/-D,
-a; PowerCLI Set-VMHostNetworkAdapter -Duplex -BitRatePerSecMb /
-AutoNegotiate), the ESX-classic service console methods (NotSupported on
ESXi), vCenter's CertificateManager (renew, push CA roots, revoke, as the
vSphere Client's "Certificates" host actions do) and
Datastore.UpdateVVolVirtualMachineFiles_Task on a datastore that is not VVol.
/_sim/reset brings NIC speeds and host certificates back. Prints one JSON
object.
Usage: pyvmomi_misc_leftovers.py HOST PORT USER PASSWORD"""
import hashlib
import json
import ssl
import sys

from sim_session import Session, attempt, fault, wait  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim, vmodl

session = Session(sys.argv)
si, content = session.si, session.content
vc = content.about.apiType == "VirtualCenter"
out = {"vc": vc}

hosts = session.hosts()
host = hosts[0]
net = host.configManager.networkSystem


def link(info):
    return [info.speedMb, info.duplex] if info else None


def nic(device="vmnic0"):
    p = next(p for p in net.networkInfo.pnic if p.device == device)
    h = next(p for p in host.config.network.pnic if p.device == device)
    mine = [link(p.linkSpeed), link(p.spec.linkSpeed)]
    # the host's config.network follows the network system's networkInfo
    return mine if mine == [link(h.linkSpeed), link(h.spec.linkSpeed)] else ["host differs", link(h.linkSpeed), link(h.spec.linkSpeed)]


def speed(mb, duplex):
    return vim.host.PhysicalNic.LinkSpeedDuplex(speedMb=mb, duplex=duplex)


# ---- UpdatePhysicalNicLinkSpeed ----
first = next(p for p in net.networkInfo.pnic if p.device == "vmnic0")
link_out = {"valid": [link(v) for v in first.validLinkSpecification], "fresh": nic(), "steps": []}
steps = link_out["steps"]
steps.append(["fixed1000", attempt(lambda: net.UpdatePhysicalNicLinkSpeed(device="vmnic0", linkSpeed=speed(1000, True))), nic()])
steps.append(["halfDuplex", attempt(lambda: net.UpdatePhysicalNicLinkSpeed(device="vmnic0", linkSpeed=speed(1000, False))), nic()])
steps.append(["unlisted100", attempt(lambda: net.UpdatePhysicalNicLinkSpeed(device="vmnic0", linkSpeed=speed(100, True))), nic()])
steps.append(["unknownNic", attempt(lambda: net.UpdatePhysicalNicLinkSpeed(device="vmnic99", linkSpeed=speed(1000, True))), nic()])
steps.append(["auto", attempt(lambda: net.UpdatePhysicalNicLinkSpeed(device="vmnic0", linkSpeed=None)), nic()])
steps.append(["fixed10000", attempt(lambda: net.UpdatePhysicalNicLinkSpeed(device="vmnic0", linkSpeed=speed(10000, True))), nic()])
try:
    net.UpdatePhysicalNicLinkSpeed(device="vmnic0", linkSpeed=speed(42, True))
except vmodl.fault.InvalidArgument as e:
    link_out["invalidProperty"] = e.invalidProperty
out["link"] = link_out

# ---- the service console: ESX classic only ----
spec = vim.host.VirtualNic.Specification(ip=vim.host.IpConfig(dhcp=True))
out["console"] = {
    "capability": net.capabilities.usesServiceConsoleNic,
    "add": attempt(lambda: net.AddServiceConsoleVirtualNic(portgroup="Management Network", nic=spec)),
    "update": attempt(lambda: net.UpdateServiceConsoleVirtualNic(device="vswif0", nic=spec)),
    "remove": attempt(lambda: net.RemoveServiceConsoleVirtualNic(device="vswif0")),
    "restart": attempt(lambda: net.RestartServiceConsoleVirtualNic(device="vswif0")),
    "route": attempt(lambda: net.UpdateConsoleIpRouteConfig(config=vim.host.IpRouteConfig(defaultGateway="10.0.0.1"))),
    "consoleVnics": len(net.networkInfo.consoleVnic or []),
}

# ---- Datastore.UpdateVVolVirtualMachineFiles_Task ----
ds = host.datastore[0]
out["vvol"] = {"type": ds.summary.type, "fault": None}
try:
    wait(ds.UpdateVVolVirtualMachineFiles_Task(failoverPair=[]))
except vim.fault.InvalidDatastore as e:
    out["vvol"]["fault"] = ["InvalidDatastore", e.datastore._moId == ds._moId, e.name == ds.name]
except Exception as e:  # the fault's name is the answer
    out["vvol"]["fault"] = [type(e).__name__.split(".")[-1]]

# ---- CertificateManager ----
cm = content.certificateManager
certs = {"present": cm is not None}
if cm is not None:
    def cert(h):
        pem = bytes(b & 0xff for b in h.config.certificate) if h.config.certificate else None
        return pem, h.summary.config.sslThumbprint

    def shape(h):
        pem, thumb = cert(h)
        if pem is None:
            return {"pem": None, "thumbprintLength": len(thumb or "")}
        text = pem.decode("ascii")
        der = ssl.PEM_cert_to_DER_cert(text)
        sha1 = ":".join("%02X" % b for b in hashlib.sha1(der).digest())
        return {"pem": text.startswith("-----BEGIN CERTIFICATE-----\n") and text.endswith("-----END CERTIFICATE-----\n"),
                "thumbprintMatches": sha1 == thumb, "namesHost": h.name.encode() in der}

    h0, h1 = hosts[0], hosts[1]
    start = [cert(h) for h in hosts]
    certs["fresh"] = shape(h0)
    certs["renew"] = fault(cm.CertMgrRefreshCertificates_Task(host=[h0]))
    renewed = cert(h0)
    certs["renewed"] = shape(h0)
    certs["thumbprintChanged"] = renewed[1] != start[0][1]
    # services the host hands out name the certificate it holds now
    certs["cimTicketThumbprint"] = h0.AcquireCimServicesTicket().sslThumbprint == renewed[1]
    certs["othersKept"] = [cert(h) for h in hosts[1:]] == start[1:]
    certs["renewAgain"] = fault(cm.CertMgrRefreshCertificates_Task(host=[h0]))
    certs["changedAgain"] = cert(h0)[1] not in (renewed[1], start[0][1])
    again = cert(h0)
    certs["refreshCA"] = fault(cm.CertMgrRefreshCACertificatesAndCRLs_Task(host=hosts))
    certs["revoke"] = fault(cm.CertMgrRevokeCertificates_Task(host=[h0]))
    certs["keptAfterRevoke"] = cert(h0) == again
    certs["unknownHost"] = attempt(lambda: cm.CertMgrRefreshCertificates_Task(host=[vim.HostSystem("host-9999", si._stub)]))
    wait(h1.DisconnectHost_Task())
    certs["disconnected"] = {
        "renew": fault(cm.CertMgrRefreshCertificates_Task(host=[h0, h1])),
        "refreshCA": fault(cm.CertMgrRefreshCACertificatesAndCRLs_Task(host=[h1])),
        "revoke": fault(cm.CertMgrRevokeCertificates_Task(host=[h1])),
        # nothing half-done: the connected host named first kept its certificate
        "firstKept": cert(h0) == again,
    }
    # a host in standby answers nothing either, though vCenter keeps it connected
    wait(hosts[2].EnterMaintenanceMode_Task(0))
    wait(hosts[2].PowerDownHostToStandBy_Task(60))
    kept = cert(h0)
    certs["standby"] = [hosts[2].runtime.powerState, hosts[2].runtime.connectionState, fault(cm.CertMgrRefreshCertificates_Task(host=[h0, hosts[2]])), cert(h0) == kept]
    certs["resetStatus"] = session.reset()
    certs["afterReset"] = [cert(h) for h in hosts] == start
else:
    session.reset()
out["certs"] = certs

out["afterReset"] = nic()
print(json.dumps(out))
