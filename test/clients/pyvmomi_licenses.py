#!/usr/bin/python3
"""pyVmomi and LicenseManager the way license scripts (PowerCLI's
Get-LicenseDataManager era tools, govc license.*, Ansible's
vmware_host_license) use it: the features a host's license carries, their
availability and usage, the edition, optional features released and taken
back, license sources, UpdateLicense and labels, with their faults, and
/_sim/reset bringing it all back. Prints one JSON object.
Usage: pyvmomi_licenses.py HOST PORT USER PASSWORD"""
import json
import sys

from sim_session import Session, attempt  # first: it silences the warnings pyVmomi prints on import
from pyVmomi import vim

session = Session(sys.argv)
si, content = session.si, session.content
vc = content.about.apiType == "VirtualCenter"
lm = content.licenseManager
out = {}

host = session.hosts()[0]


def check(key):
    return lm.CheckLicenseFeature(host=host, featureKey=key)


def usage():
    return [[r.key, r.state, r.required] for r in lm.QueryLicenseUsage(host=host).reservationInfo]


def keys():
    return [l.licenseKey for l in lm.licenses]


# ---- queries ----
out["features"] = [[f.key, f.featureName, f.state, f.edition, f.costUnit] for f in lm.QuerySupportedFeatures(host=host)]
out["availability"] = [[a.feature.key, a.total, a.available] for a in lm.QueryLicenseSourceAvailability(host=host)]
u = lm.QueryLicenseUsage(host=host)
out["usage"] = {"source": type(u.source).__name__, "available": u.sourceAvailable, "reservations": usage(), "features": [f.key for f in u.featureInfo]}
out["own"] = {"edition": lm.licensedEdition, "featureInfo": [f.key for f in lm.featureInfo], "source": type(lm.source).__name__, "sourceAvailable": lm.sourceAvailable}
if vc:
    # without a host vpxd answers for itself
    out["own"]["vcFeatures"] = [f.key for f in lm.QuerySupportedFeatures()]
out["check"] = {"serialuri": check("serialuri"), "vmotion": check("vmotion"), "esxHost": check("esxHost"), "unknown": attempt(lambda: check("warpdrive"))}

# ---- optional features ----
steps = []
steps.append(["disable", lm.DisableFeature(host=host, featureKey="vmotion"), check("vmotion"), [r for r in usage() if r[0] == "vmotion"]])
steps.append(["disableAgain", lm.DisableFeature(host=host, featureKey="vmotion"), check("vmotion")])
steps.append(["disableImplied", attempt(lambda: lm.DisableFeature(host=host, featureKey="serialuri")), check("serialuri")])
steps.append(["enableUnknown", attempt(lambda: lm.EnableFeature(host=host, featureKey="warpdrive"))])
steps.append(["enable", lm.EnableFeature(host=host, featureKey="vmotion"), check("vmotion")])
if vc:
    steps.append(["noHost", attempt(lambda: lm.DisableFeature(featureKey="vmotion"))])
out["optional"] = steps

# ---- editions ----
edition = out["features"][0][0]
steps = []
steps.append(["unknown", attempt(lambda: lm.SetLicenseEdition(host=host, featureKey="esx.platinum.cpuPackage"))])
if vc:
    steps.append(["otherProduct", attempt(lambda: lm.SetLicenseEdition(host=host, featureKey="vc.standard.instance"))])
    steps.append(["noHost", attempt(lambda: lm.SetLicenseEdition(featureKey=edition))])
steps.append(["unlicense", attempt(lambda: lm.SetLicenseEdition(host=host)), lm.licensedEdition, check("serialuri"), check(edition), usage()[:2]])
steps.append(["enableUnlicensed", attempt(lambda: lm.EnableFeature(host=host, featureKey="vmotion"))])
steps.append(["relicense", attempt(lambda: lm.SetLicenseEdition(host=host, featureKey=edition)), lm.licensedEdition, check("serialuri"), check(edition)])
out["edition"] = steps

# ---- license sources ----
served = vim.LicenseManager.LicenseServer(licenseServer="27000@license.example.com")
steps = []
steps.append(["served", attempt(lambda: lm.ConfigureLicenseSource(host=host, licenseSource=served)), type(lm.source).__name__])
steps.append(["badLocal", attempt(lambda: lm.ConfigureLicenseSource(host=host, licenseSource=vim.LicenseManager.LocalLicense(licenseKeys="not a key"))), keys()])
steps.append(["evaluation", attempt(lambda: lm.ConfigureLicenseSource(host=host, licenseSource=vim.LicenseManager.EvaluationLicense()))])
if not vc:
    local = vim.LicenseManager.LocalLicense(licenseKeys="00000-00000-00000-00000-00000 M1111-22222-33333-44444-55555")
    steps.append(["local", attempt(lambda: lm.ConfigureLicenseSource(host=host, licenseSource=local)), keys(), lm.source.licenseKeys])
out["source"] = steps

# ---- UpdateLicense and labels ----
steps = []
label = vim.KeyValue(key="owner", value="lab")
if vc:
    steps.append(["update", attempt(lambda: lm.UpdateLicense(licenseKey="AAAAA-BBBBB-CCCCC-DDDDD-EEEEE"))])
else:
    steps.append(["malformed", attempt(lambda: lm.UpdateLicense(licenseKey="not-a-key")), keys()])
    info = lm.UpdateLicense(licenseKey="AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", labels=[label])
    steps.append(["update", info.licenseKey, info.editionKey, [[l.key, l.value] for l in info.labels], keys(), lm.licensedEdition, lm.source.licenseKeys, check("serialuri")])
key = keys()[0]
lm.UpdateLicenseLabel(licenseKey=key, labelKey="site", labelValue="rack 4")
steps.append(["labels", sorted([l.key, l.value] for l in lm.licenses[0].labels)])
steps.append(["removeLabel", attempt(lambda: lm.RemoveLicenseLabel(licenseKey=key, labelKey="site")), sorted([l.key, l.value] for l in lm.licenses[0].labels)])
steps.append(["removeMissingLabel", attempt(lambda: lm.RemoveLicenseLabel(licenseKey=key, labelKey="site"))])
steps.append(["removeLabelUnknownKey", attempt(lambda: lm.RemoveLicenseLabel(licenseKey="ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ", labelKey="site"))])
out["update"] = steps

# ---- /_sim/reset: edition, released features, licenses and labels come back ----
lm.DisableFeature(host=host, featureKey="drs")
lm.SetLicenseEdition(host=host)
status = session.reset()
out["reset"] = {"status": status, "edition": lm.licensedEdition, "keys": keys(), "labels": [len(l.labels) for l in lm.licenses],
                "drs": check("drs"), "serialuri": check("serialuri"), "usage": usage()[:2]}
print(json.dumps(out))
