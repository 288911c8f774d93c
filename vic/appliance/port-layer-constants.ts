// Ports of the port layer, shared by its parts.

/** the attach server: container VMs' network serial ports connect here (0.4/0.5 SerialOverLANPort) */
export const ATTACH_PORT = 8080;
