#!/usr/bin/python3
"""Generates vim25/schema/vim25.json from pyVmomi's type metadata.

Run with Debian's python3-pyvmomi (it loads under /usr/bin/python3):
    npm run schema
The output is committed; rerun only when the metadata source changes.

Names are the WSDL names (VirtualMachineConfigInfo, PowerOnVM_Task), never
pyVmomi's dotted vmodl names, because the wire speaks WSDL.
"""
import json
import sys
import warnings

warnings.simplefilter("ignore")
from pyVmomi import VmomiSupport as V  # noqa: E402

F_OPTIONAL = V.F_OPTIONAL
F_SECRET = V.F_SECRET
# a link is a key naming another object of the same document (HostPortGroup.vswitch):
# the WSDL and the wire carry it as a string
F_LINK = V.F_LINK

# vmodl names that travel on the wire as an XSD primitive.
PRIMITIVE = {
    "string": "string", "boolean": "boolean", "byte": "byte", "short": "short",
    "int": "int", "long": "long", "float": "float", "double": "double",
    "dateTime": "dateTime", "anyType": "anyType", "binary": "base64Binary",
    "base64Binary": "base64Binary", "anyURI": "anyURI",
    "vmodl.TypeName": "string", "vmodl.PropertyPath": "string",
    "vmodl.MethodName": "string", "vmodl.DateTime": "dateTime",
    "vmodl.URI": "anyURI", "vmodl.Binary": "base64Binary",
    "vmodl.DataObject": "anyType", "vmodl.Any": "anyType", "void": "void",
}

version_to_api = {}
for api, ver in V.versionMap.items():
    ns, _, release = api.partition("/")
    if ns in ("vim25",) and release and release[0].isdigit():
        # several API names can share one version; keep the lowest
        cur = version_to_api.get(ver)
        if cur is None or tuple(map(int, release.split("."))) < tuple(map(int, cur.split("."))):
            version_to_api[ver] = release


def pyvmomi_version():
    try:
        from importlib.metadata import version
        return version("pyvmomi")
    except Exception:
        return "unknown"


def api_of(version):
    if version in version_to_api:
        return version_to_api[version]
    if version.startswith("vmodl."):
        return "2.0"
    if version == "vim.version.version1":
        return "2.0"
    return None


def in_vim25(version):
    return V.serviceNsMap.get(version) == "vim25"


wsdl_of = {}
unresolved = set()
managed_names = set()
for name, d in V._dataDefMap.items():
    wsdl_of[name] = d[1]
for name, d in V._enumDefMap.items():
    wsdl_of[name] = d[1]
for name, d in V._managedDefMap.items():
    wsdl_of[name] = d[1]
    managed_names.add(name)


def typeref(vmodl_type, flags):
    """A field/param type: {type, array?, optional?, ref?}."""
    out = {}
    t = vmodl_type
    if t.endswith("[]"):
        out["array"] = True
        t = t[:-2]
    if flags & F_LINK:
        out["type"] = "string"
    elif t in PRIMITIVE:
        out["type"] = PRIMITIVE[t]
    elif t in managed_names or t in ("vmodl.ManagedObject", "ManagedObject"):
        out["type"] = "ManagedObjectReference"
        ref = wsdl_of.get(t, "ManagedObject")
        if ref != "ManagedObject":
            out["ref"] = ref
    elif t in wsdl_of:
        out["type"] = wsdl_of[t]
    else:
        try:
            out["type"] = V.GetVmodlType(t)._wsdlName
        except Exception:
            # pyVmomi 6.7.1 names a few internal types it never defines;
            # on the wire such a value can only be sent with its xsi:type.
            unresolved.add(t)
            out["type"] = "anyType"
    if flags & F_OPTIONAL:
        out["optional"] = True
    if flags & F_SECRET:
        out["secret"] = True
    return out


def field(name, vmodl_type, version, flags):
    f = {"name": name}
    f.update(typeref(vmodl_type, flags))
    api = api_of(version)
    if api and api != "2.0":
        f["since"] = api
    return f


def base_of(parent):
    # DataObject and ManagedObject are the roots; the WSDL has no type above them.
    if parent in (None, "vmodl.DataObject", "DataObject"):
        return None
    if parent in ("vmodl.ManagedObject", "ManagedObject"):
        return "ManagedObject"
    return wsdl_of.get(parent, parent)


data = {}
for name, (vname, wsdl, parent, version, props) in sorted(V._dataDefMap.items(), key=lambda kv: kv[1][1]):
    if not in_vim25(version):
        continue
    entry = {"base": base_of(parent), "fields": [field(*p[:4]) for p in (props or [])]}
    api = api_of(version)
    if api and api != "2.0":
        entry["since"] = api
    data[wsdl] = entry
# pyVmomi models LocalizedMethodFault as a MethodFault subclass and types
# every fault-holding field as MethodFault. In the WSDL (and so on the wire)
# LocalizedMethodFault is a DynamicData holding a fault and a message, and
# those fields (TaskInfo.error, MissingProperty.fault, faultCause, ...) hold a
# LocalizedMethodFault; only LocalizedMethodFault.fault holds the bare fault.
data["LocalizedMethodFault"]["base"] = "DynamicData"
for tname, t in data.items():
    for f in t["fields"]:
        if f["type"] == "MethodFault" and tname != "LocalizedMethodFault":
            f["type"] = "LocalizedMethodFault"

enums = {}
for name, (vname, wsdl, version, values) in sorted(V._enumDefMap.items(), key=lambda kv: kv[1][1]):
    if not in_vim25(version):
        continue
    enums[wsdl] = list(values)

managed = {}
for name, (vname, wsdl, parent, version, props, methods) in sorted(V._managedDefMap.items(), key=lambda kv: kv[1][1]):
    if not in_vim25(version):
        continue
    entry = {"base": base_of(parent), "properties": [field(*p[:4]) for p in (props or [])], "methods": {}}
    for (mname, mwsdl, mversion, params, result, priv, faults) in (methods or []):
        rflags, rtype, mresult = result
        m = {"params": [field(*p[:4]) for p in (params or [])]}
        if rtype != "void":
            m["result"] = typeref(rtype, rflags)
            # Task-returning methods: what the task's info.result carries
            if mwsdl.endswith("_Task") and mresult not in ("void", rtype):
                m["taskResult"] = typeref(mresult, 0)
        if faults:
            m["faults"] = [wsdl_of.get(f, f) for f in faults]
        if priv:
            m["privilege"] = priv
        api = api_of(mversion)
        if api and api != "2.0":
            m["since"] = api
        for p in m["params"]:
            if p["type"] == "MethodFault":
                p["type"] = "LocalizedMethodFault"
        entry["methods"][mwsdl] = m
    managed[wsdl] = entry

json.dump({
    "source": "pyVmomi %s (Debian python3-pyvmomi) type metadata" % pyvmomi_version(),
    "dataTypes": data,
    "enums": enums,
    "managedTypes": managed,
    "unresolved": sorted(unresolved),
}, sys.stdout, indent=None, separators=(",", ":"), sort_keys=False)
sys.stdout.write("\n")
