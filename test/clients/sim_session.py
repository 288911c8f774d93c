"""What the pyVmomi client scripts share: a session from their command line
(HOST PORT USER PASSWORD), waiting on a task, and /folder transfers
authenticated by the SOAP session's cookie, the way vSphere scripts do them."""
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings

warnings.simplefilter("ignore")
from pyVim.connect import SmartConnect  # noqa: E402


class Session:
    def __init__(self, argv):
        self.host, self.port, user, pwd = argv[1], int(argv[2]), argv[3], argv[4]
        self.ctx = ssl._create_unverified_context()
        self.si = SmartConnect(host=self.host, port=self.port, user=user, pwd=pwd, sslContext=self.ctx)
        self.content = self.si.RetrieveContent()

    def folder(self, method, dc, ds, path, body=None, cookie=True):
        """One /folder request; returns (status, body) for errors too."""
        q = urllib.parse.quote
        url = "https://%s:%d/folder/%s?dcPath=%s&dsName=%s" % (self.host, self.port, q(path), q(dc), q(ds))
        headers = {"Cookie": self.si._stub.cookie} if cookie else {}
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, context=self.ctx) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def reset(self):
        """POST /_sim/reset with the session's cookie: the simulator back to its scenario. Returns the HTTP status."""
        req = urllib.request.Request("https://%s:%d/_sim/reset" % (self.host, self.port), data=b"", method="POST",
                                     headers={"Cookie": self.si._stub.cookie})
        with urllib.request.urlopen(req, context=self.ctx) as r:
            return r.status

    def hosts(self):
        """Every HostSystem of the inventory, sorted by name (one on ESXi)."""
        from pyVmomi import vim
        view = self.content.viewManager.CreateContainerView(self.content.rootFolder, [vim.HostSystem], True)
        try:
            return sorted(view.view, key=lambda h: h.name)
        finally:
            view.DestroyView()

    def placement(self):
        """Where a script's VMs go: the first host, its datacenter, first datastore and compute resource's root pool."""
        host = self.hosts()[0]
        return host, datacenter_of(host), host.datastore[0], host.parent.resourcePool

    def vmx(self, vm, dc):
        """The VM's .vmx as the datastore holds it."""
        ds, path = vm.config.files.vmPathName[1:].split("] ", 1)
        status, body = self.folder("GET", dc, ds, path)
        assert status == 200, (status, body)
        return body.decode()


def datacenter_of(entity):
    """The Datacenter an inventory entity lives in."""
    from pyVmomi import vim
    dc = entity.parent
    while not isinstance(dc, vim.Datacenter):
        dc = dc.parent
    return dc


def pvscsi_thin_disk(datastore, capacity_kb, thin=True):
    """The device changes of a container VM's disk: a paravirtual SCSI
    controller (key -1, bus 0) and a new disk on it (key -2, unit 0) in the
    VM's folder on `datastore` (a name)."""
    from pyVmomi import vim
    return [
        vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.ParaVirtualSCSIController(key=-1, busNumber=0, sharedBus="noSharing")),
        vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=vim.vm.device.VirtualDisk(
            key=-2, controllerKey=-1, unitNumber=0, capacityInKB=capacity_kb,
            backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(fileName="[%s]" % datastore, diskMode="persistent", thinProvisioned=thin))),
    ]


def wait(task):
    while task.info.state not in ("success", "error"):
        time.sleep(0.01)
    if task.info.state == "error":
        raise task.info.error
    return task.info.result


def until(fn, seconds=10):
    """fn()'s first truthy value within `seconds` (polled), else its last."""
    end = time.time() + seconds
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.02)
    return fn()


def fault(task):
    """The name of the fault `task` ends in (vim.fault.InvalidPowerState), or None when it succeeds."""
    try:
        wait(task)
        return None
    except Exception as e:  # the fault pyVmomi raises is the answer
        return type(e).__name__


def attempt(fn):
    """Call fn(): "ok", or the short name of the fault it raised (NotFound)."""
    try:
        fn()
        return "ok"
    except Exception as e:  # the fault pyVmomi raises is the answer
        return type(e).__name__.split(".")[-1]


def linux_vm(session, iso_path, name, devices=()):
    """A VM in the placement's datacenter that boots the generic-linux ISO at
    `iso_path` (uploaded as `[ds] linux.iso`) from a CD-ROM on IDE 0 (key
    -10), with `devices` (device specs) besides; powered off."""
    from pyVmomi import vim
    host, dc, ds, pool = session.placement()
    with open(iso_path, "rb") as f:
        session.folder("PUT", dc.name, ds.name, "linux.iso", f.read())
    connected = vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, allowGuestControl=True)
    cdrom = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualCdrom(
        key=-10, controllerKey=200, unitNumber=0, connectable=connected, backing=vim.vm.device.VirtualCdrom.IsoBackingInfo(fileName="[%s] linux.iso" % ds.name)))
    spec = vim.vm.ConfigSpec(name=name, guestId="otherLinux64Guest", memoryMB=256, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name), deviceChange=[cdrom, *devices])
    return wait(dc.vmFolder.CreateVM_Task(spec, pool))
