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
export type DiscountTarget = 'price' | 'fare' | 'rent' | 'interest-rate';

/** A benefit in a decision, with the rule that granted it. */
export type GrantedBenefit = Benefit & { ruleId: string };

export const BENEFIT_KINDS: readonly BenefitKind[] = [
  'free-entry',
  'priority-lane',
  'docs-deferred',
  'green-channel',
  'discount',
  'deposit-waiver',
  'loan-limit',
  'loan-extension',
  'points-multiplier',
  'ride-extension',
  'perk',
  'fast-track-credit',
];

/**
 * The magnitude of a benefit, used to combine benefits in one stacking group ("the larger wins").
 * For a discount a smaller pay ratio is the larger benefit, so its magnitude is `10000 - payBp`.
 */
export function benefitMagnitude(benefit: Benefit): number {
  switch (benefit.kind) {
    case 'discount':
      return 10_000 - benefit.payBp;
    case 'deposit-waiver':
      return benefit.maxFen ?? Number.MAX_SAFE_INTEGER;
    case 'loan-limit':
      return benefit.books;
    case 'loan-extension':
      return benefit.days;
    case 'points-multiplier':
      return benefit.factorBp;
    case 'ride-extension':
      return benefit.minutes;
    case 'fast-track-credit':
      return benefit.maxFen;
    default:
      return 1;
  }
}
