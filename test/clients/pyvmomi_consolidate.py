#!/usr/bin/python3
"""pyVmomi and snapshot consolidation: a snapshot removed with consolidate
false leaves its delta behind (runtime.consolidationNeeded),
EstimateStorageForConsolidateSnapshots_Task says how much folding it takes,
ConsolidateVMDisks_Task folds it into the base disk (the bytes written after
the first snapshot end up in the base extent, the delta's files go, the
later snapshot names the base). Prints one JSON object.
Usage: pyvmomi_consolidate.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, pvscsi_thin_disk, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
host, dc, ds, pool = session.placement()
out = {}
vm = wait(dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(name="consolidated", guestId="otherGuest64", memoryMB=128, files=vim.vm.FileInfo(vmPathName="[%s]" % ds.name),
                                                      deviceChange=pvscsi_thin_disk(ds.name, 64 * 1024)), pool))


def disk(v=None, config=None):
    return [d for d in (config or v.config).hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0].backing


def extent(file_name, kind):
    return file_name.split("] ", 1)[1].replace(".vmdk", "-%s.vmdk" % kind)


base = disk(vm).fileName
before = b"written before the first snapshot"
after = b"written between the snapshots"
# 128 KiB into the disk, in the base extent
session.folder("PUT", dc.name, ds.name, extent(base, "flat"), b"\0" * 131072 + before)
s1 = wait(vm.CreateSnapshot_Task("s1", None, False, False))
delta1 = disk(vm).fileName
# 64 KiB into the disk, in the first delta
session.folder("PUT", dc.name, ds.name, extent(delta1, "delta"), b"\0" * 65536 + after)
s2 = wait(vm.CreateSnapshot_Task("s2", None, False, False))
out["before"] = {"needed": vm.runtime.consolidationNeeded, "estimate": [[e.datastore.name, e.freeSpaceRequiredInKb] for e in wait(vm.EstimateStorageForConsolidateSnapshots_Task()) or []]}

wait(s1.RemoveSnapshot_Task(removeChildren=False, consolidate=False))
out["leftBehind"] = {"needed": vm.runtime.consolidationNeeded, "summary": vm.summary.runtime.consolidationNeeded, "s2Names": disk(config=s2.config).fileName == delta1,
                     "estimate": [[e.datastore.name, e.freeSpaceRequiredInKb] for e in wait(vm.EstimateStorageForConsolidateSnapshots_Task())]}

wait(vm.ConsolidateVMDisks_Task())
status, data = session.folder("GET", dc.name, ds.name, extent(base, "flat"))
out["consolidated"] = {"needed": vm.runtime.consolidationNeeded, "s2Names": disk(config=s2.config).fileName == base, "vmParent": disk(vm).parent.fileName == base,
                       "bytes": data[131072:131072 + len(before)] == before and data[65536:65536 + len(after)] == after,
                       "deltaGone": [session.folder("GET", dc.name, ds.name, delta1.split("] ", 1)[1])[0], session.folder("GET", dc.name, ds.name, extent(delta1, "delta"))[0]],
                       "estimate": wait(vm.EstimateStorageForConsolidateSnapshots_Task()) or [], "snapshots": [s.name for s in vm.snapshot.rootSnapshotList]}
# with nothing to fold, consolidating is a no-op that succeeds
wait(vm.ConsolidateVMDisks_Task())
out["again"] = vm.runtime.consolidationNeeded
Disconnect(session.si)
print(json.dumps(out))
