"""What an OVF import script needs besides pyVmomi: a streamOptimized VMDK
to upload, the PUT to a lease's device URL, waiting for the lease, and
reading a disk's bytes back over /folder."""
import struct
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib


def stream_optimized(capacity, writes):
    """A streamOptimized VMDK (Virtual Disk Format 1.1): header, descriptor, deflated grains, a GD marker, end of stream."""
    grain_sectors = 128
    descriptor = ('# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="streamOptimized"\n\n'
                  'RDONLY %d SPARSE "disk.vmdk"\n\nddb.adapterType = "lsilogic"\n' % (capacity // 512)).encode()
    desc_sectors = (len(descriptor) + 511) // 512
    pad = lambda b: b + b"\0" * (-len(b) % 512)
    header = struct.pack("<IIIQQQQIQQQB4sH", 0x564D444B, 3, 1 | 2 | (1 << 16) | (1 << 17), capacity // 512, grain_sectors, 1, desc_sectors,
                         512, 0, 0xFFFFFFFFFFFFFFFF, 1 + desc_sectors, 0, b"\n \r\n", 1)
    body = pad(header) + pad(descriptor)
    for offset, data in sorted(writes.items()):
        z = zlib.compress(data.ljust(grain_sectors * 512, b"\0"))
        body += pad(struct.pack("<QI", offset // 512, len(z)) + z)
    body += pad(struct.pack("<QII", 1, 0, 2)) + b"\0" * 512  # a grain directory marker and its sector
    body += pad(struct.pack("<QII", 0, 0, 0))  # end of stream
    return body


def put_disk(session, url, body, cookie=False):
    """PUT a disk to a lease's device URL (its "*" is the host the client called); the HTTP status."""
    headers = {"Content-Type": "application/x-vnd.vmware-streamVmdk"}
    if cookie:
        headers["Cookie"] = session.si._stub.cookie
    req = urllib.request.Request(url.replace("*", "%s:%d" % (session.host, session.port)), data=body, method="PUT", headers=headers)
    try:
        with urllib.request.urlopen(req, context=session.ctx) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def lease_ready(lease):
    while lease.state == "initializing":
        time.sleep(0.01)
    return lease.state


def read_range(session, dc, ds, path, start, length):
    """Bytes [start, start + length) of a datastore file, with a Range GET on /folder."""
    q = urllib.parse.quote
    url = "https://%s:%d/folder/%s?dcPath=%s&dsName=%s" % (session.host, session.port, q(path), q(dc), q(ds))
    req = urllib.request.Request(url, headers={"Cookie": session.si._stub.cookie, "Range": "bytes=%d-%d" % (start, start + length - 1)})
    with urllib.request.urlopen(req, context=session.ctx) as r:
        return r.read()
