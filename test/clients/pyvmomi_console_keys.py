#!/usr/bin/python3
"""pyVmomi types at a VM's console as Ansible's vmware_guest_sendkey does:
PutUsbScanCodes with each key's HID usage ID shifted left 16 bits over
0x0007, Shift for capitals and symbols. The VM boots generic-linux, whose
console runs a root shell; what was typed runs there, and guest operations
read the file it wrote. Prints one JSON object.
Usage: pyvmomi_console_keys.py HOST PORT USER PASSWORD ISO_FILE"""
import json
import sys

from sim_session import Session, attempt, linux_vm, until, wait  # first: it silences the warnings pyVmomi prints on import
from pyVim.connect import Disconnect
from pyVmomi import vim

session = Session(sys.argv)
content = session.content
out = {}

vm = linux_vm(session, sys.argv[5], "typed-at")

# US layout, as vmware_guest_sendkey's table has it: HID usage IDs of the keyboard page
LETTERS = {chr(ord("a") + i): 0x04 + i for i in range(26)}
DIGITS = {d: 0x1e + i for i, d in enumerate("1234567890")}
PLAIN = {"\n": 0x28, " ": 0x2c, "-": 0x2d, "=": 0x2e, "/": 0x38, ".": 0x37, ";": 0x33, "'": 0x34}
SHIFTED = {'"': 0x34, ">": 0x37, "!": 0x1e, "_": 0x2d, "|": 0x31}


def key(usage, shift=False, ctrl=False):
    return vim.UsbScanCodeSpec.KeyEvent(usbHidCode=(usage << 16) | 0x0007, modifiers=vim.UsbScanCodeSpec.ModifierType(leftShift=shift, leftControl=ctrl))


def keys(text):
    events = []
    for ch in text:
        if ch in LETTERS:
            events.append(key(LETTERS[ch]))
        elif ch.lower() in LETTERS:
            events.append(key(LETTERS[ch.lower()], shift=True))
        elif ch in DIGITS:
            events.append(key(DIGITS[ch]))
        elif ch in PLAIN:
            events.append(key(PLAIN[ch]))
        else:
            events.append(key(SHIFTED[ch], shift=True))
    return vim.UsbScanCodeSpec(keyEvents=events)


out["poweredOff"] = attempt(lambda: vm.PutUsbScanCodes(keys("x")))
wait(vm.PowerOnVM_Task())
until(lambda: vm.guest.toolsRunningStatus == "guestToolsRunning")
typed = 'echo "Hello, World!" > /tmp/typed; echo ok_2 >> /tmp/typed\n'
out["sent"] = vm.PutUsbScanCodes(keys(typed.replace(",", "")))
# Ctrl+C abandons a half-typed line; the next one runs
out["ctrlC"] = vm.PutUsbScanCodes(vim.UsbScanCodeSpec(keyEvents=[key(LETTERS["x"]), key(LETTERS["c"], ctrl=True)] + list(keys("uname -s | tee /tmp/os\n").keyEvents)))

gom = content.guestOperationsManager
auth = vim.vm.guest.NamePasswordAuthentication(username="root", password="any")


def read(path):
    import urllib.request
    info = gom.fileManager.InitiateFileTransferFromGuest(vm, auth, path)
    with urllib.request.urlopen(info.url.replace("*", session.host), context=session.ctx) as r:
        return r.read().decode()


out["file"] = until(lambda: attempt(lambda: read("/tmp/typed")) == "ok" and read("/tmp/typed"))
out["os"] = until(lambda: attempt(lambda: read("/tmp/os")) == "ok" and read("/tmp/os"))
wait(vm.PowerOffVM_Task())
Disconnect(session.si)
print(json.dumps(out))
