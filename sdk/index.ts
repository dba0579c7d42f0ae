export {
  CALENDAR_DOCUMENT_FORMAT,
  CALENDAR_DOCUMENT_MAX_BYTES,
  CALENDAR_WARNING_DAYS,
  type CalendarCoverage,
  type CalendarDocument,
  type CalendarDocumentContent,
  type CalendarDocumentYear,
  type CalendarMakeupWorkday,
  type CalendarPeriod,
  calendarCoverage,
  calendarDocumentKind,
  chinaHolidayCalendar,
  chinaHolidayData,
  createHolidayCalendar,
  type DayInfo,
  type DayKind,
  defaultHolidayCalendar,
  type HolidayAnchor,
  type HolidayCalendar,
  type HolidayCalendarData,
  type HolidayCalendarOptions,
  type HolidayYear,
  PROVISIONAL_RULES_VERSION,
  PROVISIONAL_YEARS,
  parseCalendarDocument,
  provisionalHolidayYear,
  STATUTORY_RULE_EDITIONS,
  type StatutoryHoliday,
  type StatutoryRuleEdition,
} from './calendar/index.js';
export { type Clock, shanghaiDate, systemClock } from './clock.js';
export * from './credit/index.js';
export * from './diagnostics/index.js';
export {
  combineDocumentKeys,
  createDocumentKeeper,
  createDocumentSlot,
  type DocumentAcceptResult,
  type DocumentHeader,
  type DocumentKeeper,
  type DocumentKeeperAcceptResult,
  type DocumentKeeperEventMap,
  type DocumentKeeperOptions,
  type DocumentKeeperStatus,
  type DocumentKeys,
  type DocumentKind,
  type DocumentOrigin,
  type DocumentRefusal,
  type DocumentSlot,
  type DocumentSlotOptions,
  pinnedDocumentKeys,
  type SignedDocument,
  SignedDocumentProblem,
  signDocument,
  type TerminalDocumentKind,
  type VerifiedDocument,
  verifyDocument,
} from './documents/index.js';
export {
  BENEFIT_KINDS,
  type Benefit,
  type BenefitKind,
  type DiscountTarget,
  type GrantedBenefit,
} from './domain/benefits.js';
export type {
  BarcodeCredential,
  Credential,
  CredentialKind,
  CreditCodeCredential,
  IdCardCredential,
  IdCardType,
} from './domain/credential.js';
export type { Decision, DecisionOutcome, DecisionReason } from './domain/decision.js';
export type { CreditCodeFlagName, CreditEntitlementName } from './domain/entitlements.js';
export { isSceneId, SCENE_IDS, SCENE_PROGRAMME, type SceneId } from './domain/scenes.js';
export {
  type CreditStanding,
  type ListKind,
  type ListMembership,
  type StandingSource,
  unknownStanding,
} from './domain/standing.js';
export {
  isTierCode,
  shandongTierScheme,
  TIER_CODES,
  type TierBand,
  type TierCode,
  type TierScheme,
  tierForScore,
  tierRank,
} from './domain/tiers.js';
export { isXinyiError, XinyiError, XinyiErrorCode, type XinyiErrorOptions } from './errors.js';
export * from './gate/index.js';
export {
  checkDigit,
  createPseudonymizer,
  explainIdNumberProblem,
  type IdNumberProblem,
  isValidResidentIdNumber,
  maskIdNumber,
  maskName,
  normalizeIdNumber,
  type Pseudonymizer,
  type PseudonymizerOptions,
  type PseudonymKind,
  type Subject,
  subjectFromDocumentNumber,
  subjectFromIdNumber,
  subjectFromMemberCode,
} from './identity/index.js';
export * from './journal/index.js';
export { createJsonLogger, type Logger, type LogLevel, silentLogger } from './logger.js';
export { applyPayRatio, BP_PER_UNIT, combinePayBp, formatFen, formatPayBp } from './money.js';
export {
  type CalendarConstraint,
  type Condition,
  type DecisionContext,
  describeBenefit,
  type EvaluateInput,
  evaluate,
  loadPolicyPack,
  POLICY_DOCUMENT_FORMAT,
  POLICY_DOCUMENT_MAX_BYTES,
  type PolicyDocument,
  type PolicyDocumentContent,
  type PolicyPack,
  type PolicyRule,
  parsePolicyDocument,
  policyDocumentKind,
  QINGZHOU_SCENE_PROGRAMMES,
  QINGZHOU_SCENIC_SITES,
  qingzhouPolicyPack,
  ReasonCode,
  type StackGroup,
  type UsageCounts,
} from './policy/index.js';
export * from './site/index.js';
export {
  type CredentialSource,
  type CreditLookup,
  type CreditResolver,
  createInMemoryCreditProvider,
  createTerminal,
  type InMemoryCreditProvider,
  type InMemoryCreditProviderOptions,
  type OverrideInput,
  type OverrideOutcome,
  type OverrideRecord,
  type Terminal,
  type TerminalAlarm,
  type TerminalDiagnostics,
  type TerminalEventMap,
  type TerminalOptions,
} from './terminal/index.js';
export { SDK_VERSION } from './version.js';
