// UserDirectory: who permissions can name. On ESXi, the host's local
// accounts (its /etc/passwd, as the API reference says: domain ""); on
// vCenter, the scenario's SSO user in its domain.
import { VimFault, type DataObject } from "../../vim25/soap/index.ts";
import { ManagedObject, type Args } from "./managed-object.ts";
import type { SimContext } from "../sim-context.ts";
import type { HostLocalAccountManager } from "./host-local-account-manager.ts";

export class UserDirectory extends ManagedObject {
  constructor(sim: SimContext, value: string, private readonly accounts: HostLocalAccountManager | undefined) {
    super(sim, "UserDirectory", value);
    this.props.domainList = sim.isVCenter ? [this.ssoDomain()] : [];
  }

  RetrieveUserGroups(args: Args): DataObject[] {
    const domain = String(args.domain ?? "");
    const known = this.props.domainList as string[];
    if (domain !== "" && !known.some((d) => d.toLowerCase() === domain.toLowerCase())) throw new VimFault("NotFound", {}, `Domain ${domain} not found.`);
    // local groups are gone since API 5.1 and the SSO user belongs to none the simulator keeps
    if (!args.findUsers || args.belongsToGroup !== undefined || args.belongsToUser !== undefined) return [];
    const search = String(args.searchStr ?? "");
    const matches = (login: string, fullName: string) =>
      args.exactMatch ? login === search : search === "" || login.toLowerCase().includes(search.toLowerCase()) || fullName.toLowerCase().includes(search.toLowerCase());
    if (this.accounts) {
      return this.accounts.list()
        .filter((a) => matches(a.id, a.description))
        .map((a) => ({ _type: "PosixUserSearchResult", principal: a.id, fullName: a.description, group: false, id: a.posixId, shellAccess: a.shellAccess }));
    }
    const login = this.sim.scenario.credentials.username.split("@")[0];
    return matches(login, login) ? [{ _type: "UserSearchResult", principal: login, fullName: login, group: false }] : [];
  }

  private ssoDomain(): string {
    const [, domain] = this.sim.scenario.credentials.username.split("@");
    return (domain ?? "vsphere.local").toUpperCase();
  }
}
