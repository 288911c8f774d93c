// Times the SOAP calls of the bench workload in process, without HTTP or
// TLS, to see what the simulator itself costs per call:
//   npx tsx scripts/profile-dispatch.ts [VMS]
//   node --import tsx --cpu-prof scripts/profile-dispatch.ts 400   (then open the .cpuprofile)
import { Simulator } from "../simulator/simulator.ts";
import { Dispatcher } from "../simulator/dispatch/dispatcher.ts";
import { loadScenario } from "../simulator/inventory/scenario-loader.ts";
import { ENVELOPE_CLOSE, ENVELOPE_OPEN } from "../vim25/soap/index.ts";

const sim = new Simulator(loadScenario("homelab"));
const d = new Dispatcher(sim);
const info = { remoteAddress: "127.0.0.1", userAgent: "profile", aborted: new Promise<void>(() => {}) };
async function call(body: string, cookie?: string) {
  const r = await d.handle(`${ENVELOPE_OPEN}${body}${ENVELOPE_CLOSE}`, { ...info, cookie });
  if (r.status !== 200) throw new Error(r.body);
  return r;
}
const settle = () => new Promise((r) => setTimeout(r, 50));
const login = await call(`<Login xmlns="urn:vim25"><_this type="SessionManager">ha-sessionmgr</_this><userName>root</userName><password>homelab-pw</password></Login>`);
const ck = login.setCookie!;
const N = Number(process.argv[2] ?? 400);
const extra = Array.from({ length: 20 }, (_, k) => `<extraConfig><key>guestinfo./sessions|main/cmd/Args~${k}</key><value xsi:type="xsd:string">arg-${k}</value></extraConfig>`).join("");
const time = async (label: string, n: number, fn: (i: number) => Promise<unknown>) => {
  const t = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  await settle();
  console.log(`${label.padEnd(12)} ${((performance.now() - t - 50) / n).toFixed(3)} ms/op`);
};
await time("create", N, (i) => call(`<CreateVM_Task xmlns="urn:vim25"><_this type="Folder">ha-folder-vm</_this><config><name>vm-${i}</name><guestId>otherGuest64</guestId><files><vmPathName>[mydatastore]</vmPathName></files><numCPUs>1</numCPUs><memoryMB>512</memoryMB>
  <deviceChange><operation>add</operation><device xsi:type="ParaVirtualSCSIController"><key>-100</key><busNumber>0</busNumber><sharedBus>noSharing</sharedBus></device></deviceChange>
  <deviceChange><operation>add</operation><fileOperation>create</fileOperation><device xsi:type="VirtualDisk"><key>-101</key><backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName>[mydatastore]</fileName><diskMode>persistent</diskMode><thinProvisioned>true</thinProvisioned></backing><controllerKey>-100</controllerKey><unitNumber>0</unitNumber><capacityInKB>1048576</capacityInKB></device></deviceChange>
  <deviceChange><operation>add</operation><device xsi:type="VirtualVmxnet3"><key>-102</key><backing xsi:type="VirtualEthernetCardNetworkBackingInfo"><deviceName>VM Network</deviceName></backing><addressType>generated</addressType></device></deviceChange>
  ${extra}</config><pool type="ResourcePool">ha-root-pool</pool></CreateVM_Task>`, ck));
const cv = await call(`<CreateContainerView xmlns="urn:vim25"><_this type="ViewManager">ViewManager</_this><container type="Folder">ha-folder-root</container><type>VirtualMachine</type><recursive>true</recursive></CreateContainerView>`, ck);
const view = /<returnval type="ContainerView">([^<]+)</.exec(cv.body)![1];
const collect = `<RetrieveProperties xmlns="urn:vim25"><_this type="PropertyCollector">ha-property-collector</_this><specSet><propSet><type>VirtualMachine</type><pathSet>name</pathSet><pathSet>runtime.powerState</pathSet><pathSet>config.extraConfig</pathSet></propSet><objectSet><obj type="ContainerView">${view}</obj><skip>true</skip><selectSet xsi:type="TraversalSpec"><type>ContainerView</type><path>view</path></selectSet></objectSet></specSet></RetrieveProperties>`;
await time("collect_all", 5, () => call(collect, ck));
const vms = sim.inventory.ofType("VirtualMachine");
await time("power_on", vms.length, (i) => call(`<PowerOnVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">${vms[i].ref.value}</_this></PowerOnVM_Task>`, ck));
await time("reconfigure", vms.length, (i) => call(`<ReconfigVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">${vms[i].ref.value}</_this><spec><extraConfig><key>guestinfo./sessions|main/status</key><value xsi:type="xsd:string">0</value></extraConfig></spec></ReconfigVM_Task>`, ck));
await time("power_off", vms.length, (i) => call(`<PowerOffVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">${vms[i].ref.value}</_this></PowerOffVM_Task>`, ck));
await time("destroy", vms.length, (i) => call(`<Destroy_Task xmlns="urn:vim25"><_this type="VirtualMachine">${vms[i].ref.value}</_this></Destroy_Task>`, ck));
