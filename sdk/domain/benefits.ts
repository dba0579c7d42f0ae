/** An incentive a decision grants. Money is integer fen; ratios are basis points (9500 = 95折). */
export type Benefit =
  | { kind: 'free-entry' }
  | { kind: 'priority-lane' }
  | { kind: 'docs-deferred' }
  | { kind: 'green-channel' }
  /** Pay `payBp` / 10000 of the price. `appliesTo` says what price (default: the goods or ticket). */
  | { kind: 'discount'; payBp: number; appliesTo?: DiscountTarget }
  | { kind: 'deposit-waiver'; item: string; maxFen?: number }
  | { kind: 'loan-limit'; books: number }
  | { kind: 'loan-extension'; days: number }
  | { kind: 'points-multiplier'; factorBp: number }
  | { kind: 'ride-extension'; minutes: number }
  /** A named perk: free bag, free parking, umbrella, one-window acceptance, ... */
  | { kind: 'perk'; item: string }
  | { kind: 'fast-track-credit'; maxFen: number };

export type BenefitKind = Benefit['kind'];

/** What a discount's `payBp` applies to; the policy-pack schema is built from this table. */
export const DISCOUNT_TARGETS = ['price', 'fare', 'rent', 'interest-rate'] as const;
export type DiscountTarget = (typeof DISCOUNT_TARGETS)[number];

/** The numeric field of a benefit kind that carries its amount. */
type AmountFieldOf<K extends BenefitKind> = {
  [F in keyof Extract<Benefit, { kind: K }>]-?: Extract<Benefit, { kind: K }>[F] extends number | undefined
    ? F
    : never;
}[keyof Extract<Benefit, { kind: K }>];

/**
 * Every benefit kind, with the field that carries its amount (what an `additive` stacking group adds
 * and a group's `maxValue` caps), or null for a kind without one. A discount's `payBp` is a ratio,
 * combined by `multiplicative` groups, not an amount. Adding a kind to `Benefit` without an entry
 * here is a compile error; the kind list, the evaluator's amounts and the pack validator's checks are
 * read from this table.
 */
export const BENEFIT_AMOUNT_FIELDS = {
  'free-entry': null,
  'priority-lane': null,
  'docs-deferred': null,
  'green-channel': null,
  discount: null,
  'deposit-waiver': 'maxFen',
  'loan-limit': 'books',
  'loan-extension': 'days',
  'points-multiplier': 'factorBp',
  'ride-extension': 'minutes',
  perk: null,
  'fast-track-credit': 'maxFen',
} as const satisfies { [K in BenefitKind]: AmountFieldOf<K> | null };

/** A benefit in a decision, with the rule that granted it. */
export type GrantedBenefit = Benefit & { ruleId: string };

export const BENEFIT_KINDS = Object.keys(BENEFIT_AMOUNT_FIELDS) as readonly BenefitKind[];

/** The kinds that carry an amount (`BENEFIT_AMOUNT_FIELDS`). */
export const AMOUNT_BENEFIT_KINDS: readonly BenefitKind[] = BENEFIT_KINDS.filter(
  (kind) => BENEFIT_AMOUNT_FIELDS[kind] !== null,
);

/** The amount a benefit carries (`BENEFIT_AMOUNT_FIELDS`), or undefined. */
export function benefitAmount(benefit: Benefit): number | undefined {
  const field = BENEFIT_AMOUNT_FIELDS[benefit.kind];
  return field === null ? undefined : (benefit as unknown as Record<string, number | undefined>)[field];
}

/** A copy of `benefit` carrying `amount`; the benefit itself when its kind has no amount. */
export function withBenefitAmount(benefit: Benefit, amount: number): Benefit {
  const field = BENEFIT_AMOUNT_FIELDS[benefit.kind];
  return field === null ? benefit : { ...benefit, [field]: amount };
}

/**
 * The magnitude of a benefit, used to combine benefits in one stacking group ("the larger wins").
 * For a discount a smaller pay ratio is the larger benefit, so its magnitude is `10000 - payBp`.
 */
export function benefitMagnitude(benefit: Benefit): number {
  if (benefit.kind === 'discount') return 10_000 - benefit.payBp;
  // A deposit waiver without a ceiling waives the whole deposit: larger than any with one.
  return benefitAmount(benefit) ?? (benefit.kind === 'deposit-waiver' ? Number.MAX_SAFE_INTEGER : 1);
}
