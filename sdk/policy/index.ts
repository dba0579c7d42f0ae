export {
  coverageReason,
  type DecisionContext,
  type EvaluateInput,
  evaluate,
  type UsageCounts,
} from './evaluate.js';
export { describeBenefit } from './explain.js';
export type {
  CalendarConstraint,
  Condition,
  DisclosureRule,
  PackSetting,
  PolicyPack,
  PolicyRule,
  StackGroup,
} from './pack.js';
export {
  POLICY_DOCUMENT_FORMAT,
  POLICY_DOCUMENT_MAX_BYTES,
  type PolicyDocument,
  type PolicyDocumentContent,
  parsePolicyDocument,
  policyDocumentKind,
} from './policy-document.js';
export {
  QINGZHOU_PROGRAMME,
  QINGZHOU_SCENE_PROGRAMMES,
  QINGZHOU_SCENIC_SITES,
  qingzhouPolicyPack,
} from './qingzhou-pack.js';
export { ReasonCode } from './reason-codes.js';
export { loadPolicyPack } from './validate-pack.js';
