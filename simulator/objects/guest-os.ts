// guestId → the full name vSphere shows, for the guests people create most.
const NAMES: Record<string, string> = {
  otherGuest: "Other (32-bit)",
  otherGuest64: "Other (64-bit)",
  otherLinuxGuest: "Other Linux (32-bit)",
  otherLinux64Guest: "Other Linux (64-bit)",
  other26xLinuxGuest: "Other 2.6.x Linux (32-bit)",
  other26xLinux64Guest: "Other 2.6.x Linux (64-bit)",
  other3xLinuxGuest: "Other 3.x Linux (32-bit)",
  other3xLinux64Guest: "Other 3.x Linux (64-bit)",
  vmwarePhoton64Guest: "VMware Photon OS (64-bit)",
  ubuntu64Guest: "Ubuntu Linux (64-bit)",
  ubuntuGuest: "Ubuntu Linux (32-bit)",
  debian8_64Guest: "Debian GNU/Linux 8 (64-bit)",
  debian9_64Guest: "Debian GNU/Linux 9 (64-bit)",
  centos64Guest: "CentOS 4/5/6/7 (64-bit)",
  rhel7_64Guest: "Red Hat Enterprise Linux 7 (64-bit)",
  sles12_64Guest: "SUSE Linux Enterprise 12 (64-bit)",
  windows9_64Guest: "Microsoft Windows 10 (64-bit)",
  windows9Server64Guest: "Microsoft Windows Server 2016 (64-bit)",
  windows8Server64Guest: "Microsoft Windows Server 2012 (64-bit)",
};

export function guestFullName(guestId: string): string {
  return NAMES[guestId] ?? guestId;
}

