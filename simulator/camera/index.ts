export {
  CAMERA_FRAME_VARIANTS,
  type CameraCorpusSpec,
  type CameraFrameSpec,
  type CameraFrameVariant,
  CODE_FRAME_VARIANTS,
  type GeneratedCameraFrame,
  type GeneratedCodeKind,
  generateCameraCorpus,
  generateCameraFrame,
  grayToRgba,
  syntheticCreditCodeText,
} from './frame-generator.js';
