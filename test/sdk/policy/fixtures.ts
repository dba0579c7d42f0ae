import type { HolidayCalendar } from '../../../sdk/calendar/index.js';
import type { GrantedBenefit } from '../../../sdk/domain/benefits.js';
import type { CredentialKind } from '../../../sdk/domain/credential.js';
import type { Decision } from '../../../sdk/domain/decision.js';
import type { SceneId } from '../../../sdk/domain/scenes.js';
import type {
  CreditStanding,
  ListMembership,
  StandingSource,
  SubjectType,
} from '../../../sdk/domain/standing.js';
import type { TierCode } from '../../../sdk/domain/tiers.js';
import { type DecisionContext, evaluate, type UsageCounts } from '../../../sdk/policy/evaluate.js';
import type { PolicyPack } from '../../../sdk/policy/pack.js';
import { qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';

/** An ordinary Thursday, no holiday near it. */
export const NOW_ISO = '2026-11-26T10:00:00+08:00';
export const NOW_MS = Date.parse(NOW_ISO);
export const HOUR_MS = 3_600_000;

/** Instant `hoursBefore` hours before `at` (ISO or epoch ms), as an ISO string. */
export function isoBefore(at: string | number, hoursBefore: number): string {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  return new Date(ms - hoursBefore * HOUR_MS).toISOString();
}

export interface StandingSpec {
  tier?: TierCode | null;
  lists?: ListMembership[];
  source?: StandingSource;
  asOf?: string;
  /** For a credit-code standing. @default every programme bit and INCENTIVE_ELIGIBLE */
  codeClaims?: CreditStanding['codeClaims'] | null;
}

/** Every 信易+ programme bit and the INCENTIVE_ELIGIBLE flag, as a code for a 守信 citizen carries. */
export const FULL_CODE_CLAIMS = { entitlements: 0xff, flags: 0x01 } as const;

/**
 * A platform standing computed an hour before NOW unless told otherwise; a credit-code standing
 * carries the code's claims (all programmes, unless `codeClaims` says otherwise; null: none).
 */
export function standing(spec: StandingSpec = {}): CreditStanding {
  const source = spec.source ?? 'platform';
  const result: CreditStanding = {
    tier: spec.tier === undefined ? 'A' : spec.tier,
    lists: spec.lists ?? [],
    source,
    asOf: spec.asOf ?? isoBefore(NOW_MS, 1),
  };
  const claims =
    spec.codeClaims === undefined && source === 'credit-code' ? FULL_CODE_CLAIMS : spec.codeClaims;
  if (claims) result.codeClaims = { ...claims };
  return result;
}

export interface DecideSpec {
  pack?: PolicyPack;
  scene: SceneId;
  standing?: CreditStanding;
  context?: DecisionContext;
  now?: Date | number | string;
  usage?: UsageCounts;
  calendar?: HolidayCalendar;
  /**
   * The credential that identified the subject: an ID card (an organisation's credit code when the
   * subject is an organisation) unless told otherwise; null names none.
   */
  credentialKind?: CredentialKind | null;
  /** @default the kind of subject the scene serves: organisations at the 信易批/贷/租 counters, else persons */
  subjectType?: SubjectType;
}

/** The scenes whose programmes (信易批, 信易贷, 信易租) serve market subjects. */
export const ORGANISATION_SCENES: readonly SceneId[] = ['service-window', 'bank-counter', 'rental-desk'];

export function decide(spec: DecideSpec): Decision {
  const now = spec.now ?? NOW_ISO;
  const nowMs = now instanceof Date ? now.getTime() : typeof now === 'number' ? now : Date.parse(now);
  const subjectType =
    spec.subjectType ?? (ORGANISATION_SCENES.includes(spec.scene) ? 'organisation' : 'person');
  return evaluate(spec.pack ?? qingzhouPolicyPack, {
    scene: spec.scene,
    standing: spec.standing ?? standing({ asOf: Number.isFinite(nowMs) ? isoBefore(nowMs, 1) : undefined }),
    context: spec.context,
    now,
    usage: spec.usage,
    subjectType,
    ...(spec.calendar ? { calendar: spec.calendar } : {}),
    ...(spec.credentialKind === null
      ? {}
      : {
          credentialKind:
            spec.credentialKind ?? (subjectType === 'organisation' ? 'organisation' : 'id-card'),
        }),
  });
}

/** Benefits in a stable order (by rule id) so expectations read as a table. */
export function sortedBenefits(decision: Decision): GrantedBenefit[] {
  return [...decision.benefits].sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
}

export function reasonCodes(decision: Decision, ruleId?: string): string[] {
  return decision.reasons.filter((r) => ruleId === undefined || r.ruleId === ruleId).map((r) => r.code);
}

/** A deep, independent copy of the default pack, safe to edit. */
export function clonePack(): PolicyPack {
  return structuredClone(qingzhouPolicyPack);
}
