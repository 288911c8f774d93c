// Guest customization, vCenter's: CustomizeVM_Task (and CloneVM_Task's
// spec.customization) checks a CustomizationSpec against the VM and leaves
// it pending; at the VM's next boot VMware Tools in the guest applies it
// (host name, a fixed address per NIC) and vpxd logs CustomizationStartedEvent
// then CustomizationSucceeded, or CustomizationNetworkSetupFailed. Terraform's
// vSphere provider and Ansible wait for those events after a clone. A VM
// whose guest runs no tools never runs it: the spec stays pending, as it does
// on a real VM without VMware Tools.
import { isIPv4 } from "node:net";
import { VimFault, type DataObject } from "../../vim25/soap/index.ts";
import type { SimContext } from "../sim-context.ts";
import { hostNameOf } from "../guest/guest-programs.ts";

type Spec = DataObject & Record<string, any>;

// where the Linux customization engine writes its log (the events name it)
const LOG_LOCATION = "/var/log/vmware-imc/toolsDeployPkg.log";

/** Is `spec` one a VM with `nics` network adapters, powered off, with no spec pending, can take? */
export function checkCustomization(sim: SimContext, spec: Spec | undefined, vm: { powerState: string; pendingCustomization?: unknown }, nics: number): Spec {
  // customization is vpxd's: hostd has no customizer
  if (!sim.isVCenter) throw new VimFault("NotSupported", {}, "The operation is not supported on the object.");
  if (!spec || typeof spec !== "object") throw new VimFault("InvalidArgument", { invalidProperty: "spec" });
  if (vm.powerState !== "poweredOff") throw new VimFault("InvalidPowerState", { requestedState: "poweredOff", existingState: vm.powerState });
  if (vm.pendingCustomization) throw new VimFault("CustomizationPending", {}, "A customization operation is already pending on this virtual machine and is awaiting power-up to complete.");
  const identity = spec.identity as Spec | undefined;
  if (!identity || !sim.schema.isA(String(identity._type), "CustomizationIdentitySettings") || identity._type === "CustomizationIdentitySettings") {
    throw new VimFault("InvalidArgument", { invalidProperty: "spec.identity" });
  }
  const map = (spec.nicSettingMap as Spec[] | undefined) ?? [];
  if (map.length && map.length !== nics) throw new VimFault("NicSettingMismatch", { numberOfNicsInSpec: map.length, numberOfNicsInVM: nics }, `The number of network adapter settings in the customization specification (${map.length}) does not match the number of network adapters present in the virtual machine (${nics}).`);
  map.forEach((m, i) => {
    const ip = m.adapter?.ip as Spec | undefined;
    if (ip?._type === "CustomizationFixedIp" && !isIPv4(String(ip.ipAddress ?? ""))) {
      throw new VimFault("InvalidArgument", { invalidProperty: `spec.nicSettingMap[${i}].adapter.ip.ipAddress` });
    }
  });
  return spec;
}

/** What the guest is told at boot: its host name, and a fixed address per NIC (undefined: DHCP). */
export function customizationOptions(spec: Spec, vmName: string): { hostName?: string; ipAddresses: (string | undefined)[] } {
  const identity = spec.identity as Spec;
  const name = (identity._type === "CustomizationSysprep" ? identity.userData?.computerName : identity.hostName) as Spec | undefined;
  let hostName: string | undefined;
  if (name?._type === "CustomizationFixedName") hostName = String(name.name);
  else if (name?._type === "CustomizationVirtualMachineName") hostName = hostNameOf(vmName) || undefined;
  const ipAddresses = ((spec.nicSettingMap as Spec[] | undefined) ?? []).map((m) => (m.adapter?.ip?._type === "CustomizationFixedIp" ? String(m.adapter.ip.ipAddress) : undefined));
  return { hostName, ipAddresses };
}

/** The events vpxd logs as the guest's customization runs: started, then succeeded or the network setup failed. */
export function customizationEvents(vm: { name: string; event(type: string, message: string, userName: string, extra?: Record<string, unknown>): void }, networkFailed: boolean): void {
  vm.event("CustomizationStartedEvent", `Started customization of VM ${vm.name}. Customization log located at ${LOG_LOCATION} in the guest OS.`, "", { logLocation: LOG_LOCATION });
  if (networkFailed) vm.event("CustomizationNetworkSetupFailed", `An error occurred while setting up network properties of the guest OS. See the log file ${LOG_LOCATION} in the guest OS for details.`, "", { logLocation: LOG_LOCATION });
  else vm.event("CustomizationSucceeded", `Customization of VM ${vm.name} succeeded. Customization log located at ${LOG_LOCATION} in the guest OS.`, "", { logLocation: LOG_LOCATION });
}
