export { createMemoryLink, type MemoryLink, type MemoryLinkOptions } from './memory-transport.js';
export {
  listSerialPorts,
  type SerialParity,
  type SerialPortInfo,
  SerialTransport,
  type SerialTransportOptions,
} from './serial-transport.js';
export { TcpTransport, type TcpTransportOptions } from './tcp-transport.js';
export type { Transport, TransportCloseReason, TransportEventMap } from './transport.js';
export { UdpTransport, type UdpTransportOptions } from './udp-transport.js';
