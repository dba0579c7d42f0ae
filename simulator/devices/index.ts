export type {
  FaultScope,
  FaultTarget,
  PlaceCardOptions,
  SamProcessingDelaysMs,
  VirtualCard,
  VirtualCardSource,
  VirtualIdCardReaderEventMap,
  VirtualIdCardReaderFault,
  VirtualIdCardReaderFaultKind,
  VirtualIdCardReaderOptions,
  VirtualIdCardReaderStats,
  VirtualReaderCommandName,
} from './virtual-id-card-reader.js';
export { cardFieldsForPerson, VirtualIdCardReader } from './virtual-id-card-reader.js';
export {
  VirtualUsbSamBus,
  type VirtualUsbSamOptions,
  type VirtualUsbSamPipeLog,
} from './virtual-usb-sam.js';
