export {
  chinaHolidayCalendar,
  chinaHolidayData,
  createHolidayCalendar,
  type DayInfo,
  type DayKind,
  type HolidayCalendar,
  type HolidayCalendarData,
  type HolidayYear,
} from './calendar/index.js';
export { type Clock, shanghaiDate, systemClock } from './clock.js';
export * from './credit/index.js';
export * from './diagnostics/index.js';
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
  type PolicyPack,
  type PolicyRule,
  QINGZHOU_SCENIC_SITES,
  qingzhouPolicyPack,
  ReasonCode,
  type StackGroup,
  type UsageCounts,
} from './policy/index.js';
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
