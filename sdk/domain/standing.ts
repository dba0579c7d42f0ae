import type { TierCode } from './tiers.js';

/**
 * The credit lists a subject can be on: 红名单 (red, commended), 黑名单 (black, 失信 — dishonest) and
 * 重点关注名单 (key attention). The one table the type, the policy-pack schema, the snapshot format
 * (which encodes a kind as its index here: append, never reorder) and the platform answer read.
 */
export const LIST_KINDS = ['red', 'black', 'key-attention'] as const;

export type ListKind = (typeof LIST_KINDS)[number];

export interface ListMembership {
  kind: ListKind;
  /** The sector a list belongs to ('tourism', 'medical', ...); absent for a list that applies everywhere. */
  domain?: string;
}

export type StandingSource = 'credit-code' | 'platform' | 'snapshot' | 'none';

/**
 * Who a standing or a decision is about: a natural person (ID card, member card, credit code) or an
 * organisation — a market subject (市场主体) known by its unified social credit code.
 */
export type SubjectType = 'person' | 'organisation';

export const SUBJECT_TYPES: readonly SubjectType[] = ['person', 'organisation'];

/** What the terminal knows about a subject's credit, and where it came from. */
export interface CreditStanding {
  /** null: unknown. */
  tier: TierCode | null;
  score?: number;
  lists: ListMembership[];
  source: StandingSource;
  /** ISO time the platform computed it. */
  asOf: string;
  /**
   * For a standing read from a signed credit code: the code's holder pseudonym (base64url of its
   * 16-byte `sub`, stable across the holder's codes), so that caps and anti-passback count the holder.
   */
  holder?: string;
  /**
   * For a standing read from a signed credit code: when the holder's phone signed this presentation
   * (ISO). With `holder` it names the presentation, so the site can refuse it at a second lane (a
   * screenshot shown again within its window).
   */
  presentedAt?: string;
  /**
   * For a standing read from a signed credit code: the code's entitlement bitmap (one bit per 信易+
   * programme) and flags (`INCENTIVE_ELIGIBLE`, `RED_LIST`), as signed by the issuer
   * (docs/credit-codes.md). The platform clears a blocked person's bits at once, so the bitmap is
   * how a block reaches a terminal that only sees the code. Absent for other sources.
   */
  codeClaims?: { entitlements: number; flags: number };
  /**
   * Whom the source says the standing is about. Absent: a person (every source before organisations
   * were added). A standing whose type differs from the credential's is not used (`SUBJECT_TYPE_MISMATCH`).
   */
  subjectType?: SubjectType;
}

/** The standing used when nothing is known: normal service at the normal price. */
export function unknownStanding(asOf: string): CreditStanding {
  return { tier: null, lists: [], source: 'none', asOf };
}
