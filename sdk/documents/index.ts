export {
  createDocumentKeeper,
  type DocumentKeeper,
  type DocumentKeeperAcceptResult,
  type DocumentKeeperEventMap,
  type DocumentKeeperOptions,
  type DocumentKeeperStatus,
  type DocumentRefusal,
  type TerminalDocumentKind,
} from './document-keeper.js';
export {
  createDocumentSlot,
  type DocumentAcceptResult,
  type DocumentOrigin,
  type DocumentSlot,
  type DocumentSlotOptions,
} from './document-slot.js';
export {
  combineDocumentKeys,
  type DocumentHeader,
  type DocumentKeys,
  type DocumentKind,
  pinnedDocumentKeys,
  type SignedDocument,
  SignedDocumentProblem,
  signDocument,
  type VerifiedDocument,
  verifyDocument,
} from './signed-document.js';
