export { addWorkingDaysWithFallback, type DisclosureInput, disclosureRecordsFor } from './disclosure.js';
export {
  CHAIN_GENESIS,
  ChainChecker,
  type ChainHead,
  type ChainKey,
  type ChainKind,
  type ChainLink,
  type ChainProblem,
  canonicalJson,
  chainLinkHash,
  signChainHead,
  verifyChainHeadMac,
} from './journal-chain.js';
export type {
  DecisionUploadPayload,
  DisclosureRecord,
  JournalDecisionEntry,
  JournalDecisionRecord,
  JournalEventInput,
  JournalEventRecord,
  JournalStore,
  OutboxItem,
  RetentionPolicy,
  RetentionRecordType,
  UploadRecordKind,
  UsageRecord,
} from './journal-store.js';
export { createMemoryJournal, type MemoryJournalOptions } from './memory-journal.js';
export {
  DEFAULT_RETENTION,
  type RetentionScheduleOptions,
  resolveRetention,
  startRetentionSchedule,
} from './retention.js';
export {
  createSqliteJournal,
  type SqliteJournal,
  type SqliteJournalOptions,
} from './sqlite-journal.js';
export { SQLITE_JOURNAL_SCHEMA_VERSION } from './sqlite-journal-schema.js';
export {
  batchIdempotencyKey,
  createUploader,
  type Uploader,
  type UploaderEventMap,
  type UploaderFlushResult,
  type UploaderOptions,
  type UploaderState,
  type UploaderStats,
  type UploadPlatform,
} from './uploader.js';
export {
  type JournalVerifyOptions,
  type JournalVerifyReport,
  verifySqliteJournal,
} from './verify-journal.js';
