export {
  CameraScanner,
  type CameraScannerEventMap,
  type CameraScannerOptions,
  type CameraScannerState,
  type CameraScannerStats,
} from './camera-scanner.js';
export {
  type CameraFrame,
  DEFAULT_CAMERA_SYMBOLOGIES,
  type FrameDecoder,
  type FrameDecoderOptions,
  validateCameraFrame,
} from './frame-decoder.js';
export { createZxingLibraryDecoder } from './zxing-library-decoder.js';
export { createZxingWasmDecoder, type ZxingWasmDecoderOptions } from './zxing-wasm-decoder.js';
