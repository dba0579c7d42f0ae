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
export {
  findSamInterface,
  listUsbDevices,
  SAM_USB_PIPES,
  type SamUsbPipes,
  type UsbDeviceHandle,
  type UsbDeviceInfo,
  type UsbEndpointInfo,
  type UsbInTransferResult,
  type UsbInterfaceInfo,
  type UsbModule,
  type UsbOutTransferResult,
  UsbTransport,
  type UsbTransportOptions,
} from './usb-transport.js';
