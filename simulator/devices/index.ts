// The virtual devices: the device side of every protocol the adapters speak, one index for all of them.

export { cardFieldsForPerson } from './card-fields.js';
export { InProcessGate } from './in-process-gate.js';
export type { ScannerFaultScope } from './scanner-kit.js';
export {
  aaStateCodeForSnapshot,
  VirtualAaGateBoard,
  type VirtualAaGateBoardEventMap,
  type VirtualAaGateBoardOptions,
  type VirtualAaGateBoardStats,
  type VirtualAaGateFault,
  type VirtualAaGateFaultKind,
  type VirtualAaGateFaultScope,
  type VirtualAaGateFrameKind,
} from './virtual-aa-gate.js';
export {
  VirtualFlapGateBoard,
  type VirtualFlapGateBoardEventMap,
  type VirtualFlapGateBoardOptions,
  type VirtualFlapGateFault,
  type VirtualFlapGateFaultKind,
  type VirtualFlapGateStats,
} from './virtual-flap-gate.js';
export {
  type PassageBehaviour,
  VirtualGateCore,
  type VirtualGateCoreEventMap,
  type VirtualGatePhase,
  type VirtualGateSnapshot,
  type VirtualGateTiming,
} from './virtual-gate-core.js';
export {
  NODE_HID_DISCONNECT_MESSAGE,
  type VirtualHidDevice,
  type VirtualHidDeviceInfo,
  VirtualHidScanner,
  type VirtualHidScannerFault,
  type VirtualHidScannerFaultKind,
  type VirtualHidScannerMode,
  type VirtualHidScannerOptions,
  type VirtualHidScannerStats,
  type VirtualHidScanOptions,
} from './virtual-hid-scanner.js';
export {
  type FaultScope,
  type FaultTarget,
  type PlaceCardOptions,
  type SamProcessingDelaysMs,
  type VirtualCard,
  type VirtualCardSource,
  VirtualIdCardReader,
  type VirtualIdCardReaderEventMap,
  type VirtualIdCardReaderFault,
  type VirtualIdCardReaderFaultKind,
  type VirtualIdCardReaderOptions,
  type VirtualIdCardReaderStats,
  type VirtualReaderCommandName,
} from './virtual-id-card-reader.js';
export {
  VirtualModbusRelayBoard,
  type VirtualModbusRelayBoardEventMap,
  type VirtualModbusRelayBoardOptions,
  type VirtualModbusRelayFault,
  type VirtualModbusRelayStats,
} from './virtual-modbus-relay.js';
export {
  VirtualSerialScanner,
  type VirtualSerialScannerEventMap,
  type VirtualSerialScannerFault,
  type VirtualSerialScannerFaultKind,
  type VirtualSerialScannerOptions,
  type VirtualSerialScannerStats,
  type VirtualSerialScanOptions,
  type VirtualSerialSuffix,
} from './virtual-serial-scanner.js';
export { VirtualUsbSamBus, type VirtualUsbSamOptions, type VirtualUsbSamPipeLog } from './virtual-usb-sam.js';
