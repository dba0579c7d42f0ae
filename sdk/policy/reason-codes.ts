/**
 * Reason codes a decision can carry. Packs may add their own (a condition's `reason`),
 * in the same UPPER_SNAKE form.
 */
export const ReasonCode = {
  /** The rule matched and its benefit was granted (alone or combined in its group). */
  GRANTED: 'GRANTED',
  /** The rule matched but another rule of its stacking group gave a larger benefit. */
  SUPERSEDED: 'SUPERSEDED',
  /** The granted benefit was reduced to its group's cap. */
  CAPPED: 'CAPPED',
  /** The subject is on a list that blocks every incentive in this scene. */
  LIST_BLOCK: 'LIST_BLOCK',
  /** The subject is on the key-attention list: no automatic incentive, staff decide. */
  KEY_ATTENTION_REVIEW: 'KEY_ATTENTION_REVIEW',
  TIER_TOO_LOW: 'TIER_TOO_LOW',
  TIER_NOT_MATCHED: 'TIER_NOT_MATCHED',
  TIER_UNKNOWN: 'TIER_UNKNOWN',
  LIST_CONDITION_NOT_MET: 'LIST_CONDITION_NOT_MET',
  CONTEXT_NOT_MET: 'CONTEXT_NOT_MET',
  CONDITION_NOT_MET: 'CONDITION_NOT_MET',
  /** Today falls in a holiday period the rule excludes (for example the whole 国庆节 off period). */
  HOLIDAY_EXCLUDED: 'HOLIDAY_EXCLUDED',
  WEEKEND_EXCLUDED: 'WEEKEND_EXCLUDED',
  /** The holiday calendar does not cover today, and the rule fails safe. */
  CALENDAR_UNKNOWN: 'CALENDAR_UNKNOWN',
  /**
   * Today is provisional (its year has no official arrangement yet) and the rule does not act on a
   * provisional day (`calendar.onProvisionalDay` `exclude`, or `as-unknown` with `onUnknownDay: 'exclude'`).
   */
  CALENDAR_PROVISIONAL: 'CALENDAR_PROVISIONAL',
  /** The subject already used this benefit as often as the per-subject cap allows in this period. */
  CAP_REACHED: 'CAP_REACHED',
  /**
   * The cap is not used up, but openings still pending for the subject fill it: the same holder is at
   * another lane (or this one) with a gate open for them. Decided again after that passage or timeout.
   */
  CAP_PENDING: 'CAP_PENDING',
  /**
   * The site store could not be reached to check the cap, and the lane is set to deny capped benefits
   * meanwhile (`onSiteStateDown: 'deny-capped'`).
   */
  CAP_UNVERIFIED: 'CAP_UNVERIFIED',
  RULE_OUT_OF_VALIDITY: 'RULE_OUT_OF_VALIDITY',
  POLICY_OUT_OF_VALIDITY: 'POLICY_OUT_OF_VALIDITY',
  /** No source knew the subject's standing (or none answered in time). */
  STANDING_UNAVAILABLE: 'STANDING_UNAVAILABLE',
  /** The standing is older than the pack allows for its source. */
  STANDING_STALE: 'STANDING_STALE',
  /** The standing's `asOf` is not a time, or lies more than 5 minutes in the future (a clock is wrong). */
  STANDING_INVALID: 'STANDING_INVALID',
  /** The credential could not be used (an ID number failing GB 11643, an empty code). */
  CREDENTIAL_INVALID: 'CREDENTIAL_INVALID',
  /** Every credit source that was asked failed (platform down, network gone) and none knew the subject. */
  CREDIT_UNAVAILABLE: 'CREDIT_UNAVAILABLE',
  /**
   * A signed credit code was refused. The terminal records the specific refusal as `CODE_<reason>`
   * (`CODE_EXPIRED`, `CODE_REPLAYED`, `CODE_ISSUER_SIGNATURE`, `CODE_STATUS_INDEX_OUT_OF_RANGE`, … —
   * see `CreditCodeRefusal`; `STATUS_STALE` and `STATUS_MISSING` keep their own names); this code
   * stands for one without a reason.
   */
  CODE_REFUSED: 'CODE_REFUSED',
  /** The credit sources did not answer before the decision deadline. */
  CREDIT_TIMEOUT: 'CREDIT_TIMEOUT',
  /** The rule accepts only some kinds of credential (`credentialKinds`), and this one was another kind. */
  CREDENTIAL_KIND_NOT_ACCEPTED: 'CREDENTIAL_KIND_NOT_ACCEPTED',
  /**
   * The rule accepts only some kinds of credential (`credentialKinds`), and the evaluation did not say
   * which kind identified the subject (`evaluate`'s `credentialKind`): the rule is not granted.
   */
  CREDENTIAL_KIND_MISSING: 'CREDENTIAL_KIND_MISSING',
  /**
   * A credit code lacks the entitlement bit of the scene's 信易+ programme, or its
   * `INCENTIVE_ELIGIBLE` flag (the platform clears them for a blocked person). Citizen text neutral.
   */
  ENTITLEMENT_MISSING: 'ENTITLEMENT_MISSING',
  /**
   * A credit code could not be checked for revocation because the terminal's status list is older
   * than its `maxStatusAgeMs`; outcome `unavailable` (normal service).
   */
  STATUS_STALE: 'STATUS_STALE',
  /**
   * A credit code could not be checked for revocation because the terminal holds no usable status
   * list (none yet, its key withdrawn by a newer trust list, dated in the future); `unavailable`.
   */
  STATUS_MISSING: 'STATUS_MISSING',
  /**
   * The terminal's site is not one the scene's programme covers (the Qingzhou pack's coverage of
   * `scenic-gate`: the six city scenic spots). Decided before any credit data; neutral citizen text.
   */
  SITE_NOT_COVERED: 'SITE_NOT_COVERED',
  /**
   * The scene's programme (or the rule) is for the other kind of subject: 信易批, 信易贷 and 信易租 are
   * for market subjects (organisations), 信易游 … 信易购 for persons. Neutral citizen text.
   */
  SUBJECT_TYPE_NOT_COVERED: 'SUBJECT_TYPE_NOT_COVERED',
  /**
   * The credit source answered about a person for an organisation's credential, or the reverse: the
   * standing is not used (`unavailable`, normal service).
   */
  SUBJECT_TYPE_MISMATCH: 'SUBJECT_TYPE_MISMATCH',
} as const;

export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];
