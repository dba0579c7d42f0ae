export type {
  CardText,
  CardTextCommonFields,
  CardTextDerived,
  CardTextField,
  CardTextFields,
  CardTextIssue,
  CardTextIssueCode,
  EncodeCardTextOptions,
  ForeignPermanent2017CardFields,
  ForeignPermanent2017CardText,
  ForeignPermanent2023CardFields,
  ForeignPermanent2023CardText,
  Gender,
  HkMacaoTaiwanCardFields,
  HkMacaoTaiwanCardText,
  ParseCardTextOptions,
  ResidentCardFields,
  ResidentCardText,
} from './card-text.js';
export {
  CARD_TEXT_BYTES,
  CARD_TEXT_LAYOUTS,
  CARD_TYPE_FLAG_OFFSET,
  CARD_TYPE_FLAGS,
  detectCardType,
  encodeCardText,
  GENDERS,
  LONG_TERM_TEXT,
  parseCardText,
  toIdCardCredential,
} from './card-text.js';
export type { Nation } from './nations.js';
export { NATIONS, nationName } from './nations.js';
export type { IdCardPhotoOptions, WltDecoder } from './photo.js';
export {
  DECODED_PHOTO_HEIGHT_PX,
  DECODED_PHOTO_WIDTH_PX,
  decodeIdCardPhoto,
  WLT_PHOTO_BYTES,
} from './photo.js';
export type {
  IdCardReadEvent,
  IdCardReaderEventMap,
  IdCardReaderHealth,
  IdCardReaderOptions,
  IdCardReaderState,
  IdCardReaderStats,
  IdCardReaderTimeouts,
} from './reader.js';
export { IdCardReader } from './reader.js';
export type { SamCommandFrame, SamDecoderOptions, SamResponse } from './sam-frame.js';
export {
  encodeSamCommand,
  encodeSamResponse,
  SAM_DEFAULT_MAX_LENGTH,
  SAM_HEADER_BYTES,
  SAM_MAX_DOCUMENTED_LENGTH,
  SAM_MIN_COMMAND_LENGTH,
  SAM_MIN_RESPONSE_LENGTH,
  SAM_PREAMBLE,
  SamCommandDecoder,
  SamFrameDecoder,
  samChecksum,
} from './sam-frame.js';
export type {
  AppendedAddress,
  SamFindCardResult,
  SamId,
  SamIdFormatOptions,
  SamIdParts,
  SamReadFormat,
  SamReadPayload,
  SamSelectCardResult,
} from './sam-responses.js';
export {
  APPENDED_ADDRESS_RECORD_BYTES,
  encodeAppendedAddressPayload,
  encodeReadPayload,
  encodeSamIdPayload,
  formatSamId,
  parseAppendedAddressPayload,
  parseFindCardResponse,
  parseReadPayload,
  parseSamIdPayload,
  parseSelectCardResponse,
  SAM_ID_BYTES,
} from './sam-responses.js';
export type {
  SamBaudRate,
  SamCommandCode,
  SamCommandName,
  SamStatusInfo,
  SamStatusName,
} from './sam-status.js';
export {
  describeSamStatus,
  encodeSamCommandByName,
  encodeSetBaudRate,
  encodeSetMaxRfBytes,
  SAM_BAUD_RATE_PARA,
  SAM_DEFAULT_BAUD_RATE,
  SAM_STATUS_TABLE,
  SamCommand,
  SamStatus,
} from './sam-status.js';
