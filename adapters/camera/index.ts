export {
  CameraScanner,
  type CameraScannerEventMap,
  type CameraScannerOptions,
  type CameraScannerState,
  type CameraScannerStats,
  chooseCredentialScan,
} from './camera-scanner.js';
export {
  FfmpegFrameSource,
  type FfmpegFrameSourceEventMap,
  type FfmpegFrameSourceOptions,
  type FfmpegFrameSourceState,
  type FfmpegFrameSourceStats,
} from './ffmpeg-frame-source.js';
export {
  type CameraFrame,
  DEFAULT_CAMERA_SYMBOLOGIES,
  type FrameDecoder,
  type FrameDecoderOptions,
  validateCameraFrame,
} from './frame-decoder.js';
export { createZxingLibraryDecoder, type ZxingLibraryDecoderOptions } from './zxing-library-decoder.js';
export {
  createZxingWasmDecoder,
  ZXING_WASM_DEFAULT_MAX_SYMBOLS,
  type ZxingBinarizer,
  type ZxingWasmDecoderOptions,
} from './zxing-wasm-decoder.js';
