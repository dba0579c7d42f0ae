import { type DayInfo, defaultHolidayCalendar, type HolidayCalendar } from '../calendar/index.js';
import { shanghaiDate } from '../clock.js';
import {
  type Benefit,
  benefitAmount,
  benefitMagnitude,
  type GrantedBenefit,
  withBenefitAmount,
} from '../domain/benefits.js';
import type { CredentialKind } from '../domain/credential.js';
import type { Decision, DecisionReason } from '../domain/decision.js';
import { CreditCodeFlag, CreditEntitlement } from '../domain/entitlements.js';
import type { SceneId } from '../domain/scenes.js';
import type { CreditStanding, ListMembership, SubjectType } from '../domain/standing.js';
import type { TierCode } from '../domain/tiers.js';
import { XinyiError } from '../errors.js';
import { combinePayBp } from '../money.js';
import { cachedLabel, type DecisionNotes, explainDecision } from './explain.js';
import type { Condition, PolicyPack, PolicyRule, StackGroup } from './pack.js';
import { ReasonCode } from './reason-codes.js';
import { loadPolicyPack } from './validate-pack.js';

/** Facts about the transaction that rules may test (`{ fact: 'context', path: 'siteId', ... }`). */
export interface DecisionContext {
  /** Where the terminal stands: a site id (`'yunmenshan'`) or one of the pack's `siteAliases` (`'云门山'`). */
  siteId?: string;
  amountFen?: number;
  itemCount?: number;
  /** The application is for a major construction project (重大建设项目, 信易批). */
  majorProject?: boolean;
  [field: string]: string | number | boolean | undefined;
}

/** How often each rule's benefit was already used by this subject in the current day, month and year. */
export type UsageCounts = Readonly<
  Record<string, Readonly<Partial<Record<'day' | 'month' | 'year', number>>>>
>;

export interface EvaluateInput {
  scene: SceneId;
  standing: CreditStanding;
  context?: DecisionContext;
  /** The decision time: a Date, epoch milliseconds or an ISO string. Dates are evaluated in Asia/Shanghai. */
  now: Date | number | string;
  subject?: { pseudonym: string; masked: string };
  usage?: UsageCounts;
  /**
   * Openings still pending for this subject (reservations held at the site store, not yet passed or
   * timed out), per rule and period. They count against per-subject caps on top of `usage`: a rule
   * that only they fill is refused with `CAP_PENDING`.
   */
  pendingUsage?: UsageCounts;
  /**
   * The site store could not be asked and the lane denies capped benefits meanwhile
   * (`onSiteStateDown: 'deny-capped'`): every rule with a per-subject cap is refused with `CAP_UNVERIFIED`.
   */
  capsUnverified?: boolean;
  /** @default defaultHolidayCalendar (the bundled official years, provisional years around them) */
  calendar?: HolidayCalendar;
  /** Decision id; when absent a deterministic id is derived from the inputs so replays match. */
  id?: string;
  /** Why the standing is unknown when its source is 'none' (e.g. `CREDIT_TIMEOUT`). @default 'STANDING_UNAVAILABLE' */
  unavailableReason?: string;
  /**
   * Whom the credential names (the terminal knows it from the credential: an organisation's credit
   * code, a person's card). @default the standing's `subjectType`, else `'person'`
   */
  subjectType?: SubjectType;
  /**
   * The kind of credential that identified the subject; the terminal always passes it. A rule with
   * `credentialKinds` grants only when this is one of them: another kind is
   * `CREDENTIAL_KIND_NOT_ACCEPTED`, and without it (a what-if evaluation of a bare standing) the rule
   * is `CREDENTIAL_KIND_MISSING` and not granted. Rules without `credentialKinds` do not read it.
   */
  credentialKind?: CredentialKind;
}

/**
 * Why a rule that names the credential kinds it accepts is not applied, or undefined when it is:
 * the restriction fails closed, so an evaluation that does not say which kind identified the subject
 * does not get the rule.
 */
function credentialRefusal(rule: PolicyRule, kind: CredentialKind | undefined): ReasonCode | undefined {
  if (rule.credentialKinds === undefined) return undefined;
  if (kind === undefined) return ReasonCode.CREDENTIAL_KIND_MISSING;
  return rule.credentialKinds.includes(kind) ? undefined : ReasonCode.CREDENTIAL_KIND_NOT_ACCEPTED;
}

interface CompiledRule {
  rule: PolicyRule;
  groupId: string;
  group: StackGroup;
  excludedHolidays: ReadonlySet<string> | null;
}

interface CompiledPack {
  pack: PolicyPack;
  siteAliases: ReadonlyMap<string, string>;
  rankOf: ReadonlyMap<TierCode, number>;
  tierOfRank: ReadonlyMap<number, TierCode>;
  trustworthyRank: number;
  redFloorRank: number;
  rulesByScene: ReadonlyMap<SceneId, readonly CompiledRule[]>;
  maxAgeMs: Readonly<Record<string, number>>;
}

/** A standing dated further ahead than this is refused: a clock is wrong somewhere. */
const FUTURE_SKEW_MS = 5 * 60_000;
const STANDALONE: StackGroup = { mode: 'exclusive' };
const compiled = new WeakMap<PolicyPack, CompiledPack>();

/** Validates a pack once and indexes it; packs are treated as immutable after their first use. */
function compile(pack: PolicyPack): CompiledPack {
  const cached = compiled.get(pack);
  if (cached) return cached;
  const valid = loadPolicyPack(pack);
  const rankOf = new Map(valid.tierScheme.bands.map((b) => [b.code, b.rank] as const));
  const major = new Set(valid.majorHolidays);
  const rulesByScene = new Map<SceneId, CompiledRule[]>();
  const sorted = [...valid.rules].sort(
    (a, b) => (b.priority ?? 0) - (a.priority ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  for (const rule of sorted) {
    const exclude = rule.calendar?.excludeHolidays;
    const list = rulesByScene.get(rule.scene) ?? [];
    list.push({
      rule,
      groupId: rule.stackGroup ?? `rule:${rule.id}`,
      group: rule.stackGroup ? valid.stackGroups[rule.stackGroup]! : STANDALONE,
      excludedHolidays: exclude === undefined ? null : exclude === 'major' ? major : new Set(exclude),
    });
    rulesByScene.set(rule.scene, list);
  }
  const hour = 3_600_000;
  const result: CompiledPack = {
    pack: valid,
    siteAliases: new Map(Object.entries(valid.siteAliases ?? {}).map(([alias, id]) => [alias.trim(), id])),
    rankOf,
    tierOfRank: new Map(valid.tierScheme.bands.map((b) => [b.rank, b.code] as const)),
    trustworthyRank: rankOf.get(valid.trustworthyMinTier)!,
    redFloorRank: valid.redListFloorTier === null ? -1 : rankOf.get(valid.redListFloorTier)!,
    rulesByScene,
    maxAgeMs: {
      'credit-code': valid.standingMaxAgeHours['credit-code'] * hour,
      platform: valid.standingMaxAgeHours.platform * hour,
      snapshot: valid.standingMaxAgeHours.snapshot * hour,
    },
  };
  compiled.set(pack, result);
  compiled.set(valid, result);
  return result;
}

interface Facts {
  rank: number;
  lists: readonly ListMembership[];
  /** The credit code's signed bits; null for a standing that is not from a credit code. */
  codeClaims: { entitlements: number; flags: number } | null | undefined;
  subjectType: SubjectType;
  context: DecisionContext;
  trustworthyRank: number;
  rankOf: ReadonlyMap<TierCode, number>;
}

/** null when the condition holds; otherwise the reason code of the first part that failed. */
function check(c: Condition, f: Facts): string | null {
  if ('all' in c) {
    for (const part of c.all) {
      const failed = check(part, f);
      if (failed !== null) return c.reason ?? failed;
    }
    return null;
  }
  if ('any' in c) {
    let first: string | null = null;
    for (const part of c.any) {
      const failed = check(part, f);
      if (failed === null) return null;
      first ??= failed;
    }
    return c.reason ?? first;
  }
  if ('not' in c) return check(c.not, f) === null ? (c.reason ?? ReasonCode.CONDITION_NOT_MET) : null;
  switch (c.fact) {
    case 'tier': {
      if (f.rank < 0) return c.reason ?? ReasonCode.TIER_UNKNOWN;
      let holds: boolean;
      switch (c.op) {
        case 'gte':
          holds = f.rank >= f.rankOf.get(c.value)!;
          break;
        case 'lte':
          holds = f.rank <= f.rankOf.get(c.value)!;
          break;
        case 'eq':
          holds = f.rank === f.rankOf.get(c.value);
          break;
        case 'ne':
          holds = f.rank !== f.rankOf.get(c.value);
          break;
        case 'in':
          holds = c.value.some((t) => f.rankOf.get(t) === f.rank);
          break;
        case 'notIn':
          holds = !c.value.some((t) => f.rankOf.get(t) === f.rank);
          break;
      }
      if (holds) return null;
      return c.reason ?? (c.op === 'gte' ? ReasonCode.TIER_TOO_LOW : ReasonCode.TIER_NOT_MATCHED);
    }
    case 'trustworthy': {
      const trustworthy = f.rank >= 0 && f.rank >= f.trustworthyRank;
      if (trustworthy === c.value) return null;
      return c.reason ?? (f.rank < 0 ? ReasonCode.TIER_UNKNOWN : ReasonCode.TIER_TOO_LOW);
    }
    case 'list': {
      let on = false;
      for (const l of f.lists) if (l.kind === c.value) on = true;
      return on === (c.op === 'contains') ? null : (c.reason ?? ReasonCode.LIST_CONDITION_NOT_MET);
    }
    case 'context': {
      const v = f.context[c.path];
      let holds: boolean;
      switch (c.op) {
        case 'exists':
          holds = v !== undefined;
          break;
        case 'notExists':
          holds = v === undefined;
          break;
        case 'eq':
          holds = v === c.value;
          break;
        case 'ne':
          holds = v !== c.value;
          break;
        case 'gt':
          holds = v !== undefined && v > c.value;
          break;
        case 'gte':
          holds = v !== undefined && v >= c.value;
          break;
        case 'lt':
          holds = v !== undefined && v < c.value;
          break;
        case 'lte':
          holds = v !== undefined && v <= c.value;
          break;
        case 'in':
          holds = (typeof v === 'string' || typeof v === 'number') && c.value.includes(v);
          break;
        case 'notIn':
          holds = !((typeof v === 'string' || typeof v === 'number') && c.value.includes(v));
          break;
      }
      return holds ? null : (c.reason ?? ReasonCode.CONTEXT_NOT_MET);
    }
    case 'entitlement':
    case 'codeFlag': {
      // Not from a credit code: nothing to check. From one without its claims: fail safe.
      if (f.codeClaims === null) return null;
      const bits = c.fact === 'entitlement' ? f.codeClaims?.entitlements : f.codeClaims?.flags;
      const bit = c.fact === 'entitlement' ? CreditEntitlement[c.value] : CreditCodeFlag[c.value];
      return bits !== undefined && (bits & bit) !== 0 ? null : (c.reason ?? ReasonCode.ENTITLEMENT_MISSING);
    }
    case 'subjectType': {
      const holds = (f.subjectType === c.value) === (c.op === 'eq');
      return holds ? null : (c.reason ?? ReasonCode.SUBJECT_TYPE_NOT_COVERED);
    }
  }
}

/** `context.siteId` trimmed and, when it is one of the pack's aliases, replaced by its site id. */
function canonicalContext(
  context: DecisionContext | undefined,
  aliases: ReadonlyMap<string, string>,
): DecisionContext {
  if (context === undefined) return {};
  const siteId = context.siteId;
  if (typeof siteId !== 'string') return context;
  const trimmed = siteId.trim();
  const canonical = aliases.get(trimmed) ?? trimmed;
  return canonical === siteId ? context : { ...context, siteId: canonical };
}

// Standings from one snapshot or one platform answer share their asOf; parse it once.
let lastIso = '';
let lastIsoMs = Number.NaN;
function parseIsoCached(iso: string): number {
  if (iso !== lastIso) {
    lastIso = iso;
    lastIsoMs = Date.parse(iso);
  }
  return lastIsoMs;
}

function toEpochMs(now: EvaluateInput['now']): number {
  const ms = now instanceof Date ? now.getTime() : typeof now === 'number' ? now : Date.parse(now);
  if (!Number.isFinite(ms))
    throw new XinyiError('INVALID_ARGUMENT', 'evaluate: input.now is not a valid time');
  return ms;
}

/** 64-bit FNV-1a of a string, as 16 hex digits: a cheap, deterministic decision id for bare evaluations. */
function fnv1a64(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x01000193) ^ (h1 >>> 7);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

/** A listing without a domain (or with 'any' or '') applies in every scene; otherwise only in scenes of its domain. */
function appliesHere(listing: ListMembership, sceneDomain: string | undefined): boolean {
  return !listing.domain || listing.domain === 'any' || listing.domain === sceneDomain;
}

function hasListHere(
  lists: readonly ListMembership[],
  kind: ListMembership['kind'],
  sceneDomain: string | undefined,
): boolean {
  for (const l of lists) if (l.kind === kind && appliesHere(l, sceneDomain)) return true;
  return false;
}

function isBlocking(
  compiledPack: CompiledPack,
  sceneDomain: string | undefined,
  standing: CreditStanding,
): boolean {
  for (const listing of standing.lists) {
    if (compiledPack.pack.blockingListKinds.includes(listing.kind) && appliesHere(listing, sceneDomain))
      return true;
  }
  return false;
}

function factsOf(
  standing: CreditStanding,
  rank: number,
  context: DecisionContext | undefined,
  cp: CompiledPack,
  subjectType: SubjectType,
): Facts {
  return {
    rank,
    lists: standing.lists,
    codeClaims: standing.source === 'credit-code' ? standing.codeClaims : null,
    subjectType,
    context: context ?? {},
    trustworthyRank: cp.trustworthyRank,
    rankOf: cp.rankOf,
  };
}

/** The scene's requirement (`pack.sceneRequirements`): true, with its reason pushed, when it fails. */
function requirementFailed(
  pack: PolicyPack,
  scene: SceneId,
  standing: CreditStanding,
  rank: number,
  context: DecisionContext | undefined,
  cp: CompiledPack,
  reasons: DecisionReason[],
  subjectType: SubjectType,
): boolean {
  const requirement = pack.sceneRequirements?.[scene];
  if (requirement === undefined) return false;
  const failed = check(requirement, factsOf(standing, rank, context, cp, subjectType));
  if (failed === null) return false;
  reasons.push({ code: failed });
  return true;
}

/** Combines the matching rules of one group (already in priority order) into at most one benefit. */
function combineGroup(
  group: StackGroup,
  members: readonly CompiledRule[],
  out: { benefits: GrantedBenefit[]; labels: string[]; reasons: DecisionReason[] },
  labels: Readonly<Record<string, string>>,
): void {
  const { benefits, reasons } = out;
  const first = members[0]!;
  let chosen = first;
  let benefit: Benefit = first.rule.benefit;
  if (group.mode === 'max') {
    for (const m of members)
      if (benefitMagnitude(m.rule.benefit) > benefitMagnitude(chosen.rule.benefit)) chosen = m;
    benefit = chosen.rule.benefit;
  } else if (group.mode === 'additive') {
    let sum = 0;
    for (const m of members) sum += benefitAmount(m.rule.benefit) ?? 0;
    benefit = withBenefitAmount(first.rule.benefit, sum);
  } else if (group.mode === 'multiplicative') {
    const payBp = combinePayBp(members.map((m) => (m.rule.benefit as { payBp: number }).payBp));
    benefit = { ...(first.rule.benefit as Extract<Benefit, { kind: 'discount' }>), payBp };
  }
  let capped = false;
  if (group.maxValue !== undefined) {
    const amount = benefitAmount(benefit);
    if (amount === undefined && benefit.kind === 'deposit-waiver') {
      benefit = withBenefitAmount(benefit, group.maxValue);
      capped = true;
    } else if (amount !== undefined && amount > group.maxValue) {
      benefit = withBenefitAmount(benefit, group.maxValue);
      capped = true;
    }
  }
  if (group.minPayBp !== undefined && benefit.kind === 'discount' && benefit.payBp < group.minPayBp) {
    benefit = { ...benefit, payBp: group.minPayBp };
    capped = true;
  }
  const combined = group.mode === 'additive' || group.mode === 'multiplicative';
  for (const m of members) {
    const id = m.rule.id;
    if (m === chosen || combined) reasons.push({ code: ReasonCode.GRANTED, ruleId: id });
    else reasons.push({ code: ReasonCode.SUPERSEDED, ruleId: id });
  }
  if (capped) reasons.push({ code: ReasonCode.CAPPED, ruleId: chosen.rule.id });
  benefits.push({ ...benefit, ruleId: chosen.rule.id });
  out.labels.push(cachedLabel(benefit, labels));
}

function coverageFailure(
  cp: CompiledPack,
  scene: SceneId,
  subjectType: SubjectType,
  context: DecisionContext,
): string | null {
  const coverage = cp.pack.coverage?.[scene];
  if (coverage === undefined) return null;
  return check(coverage, {
    rank: -1,
    lists: [],
    codeClaims: null,
    subjectType,
    context,
    trustworthyRank: cp.trustworthyRank,
    rankOf: cp.rankOf,
  });
}

/**
 * Whether the pack's programme for `scene` covers this subject type at this context (`coverage`,
 * site aliases applied): null when it does, else the reason `evaluate` will give. It needs no credit
 * data, so a terminal asks it first and looks nobody up where the programme does not apply.
 * Throws `POLICY_PACK_INVALID` for a bad pack.
 */
export function coverageReason(
  pack: PolicyPack,
  scene: SceneId,
  subjectType: SubjectType,
  context?: DecisionContext,
): string | null {
  const cp = compile(pack);
  return coverageFailure(cp, scene, subjectType, canonicalContext(context, cp.siteAliases));
}

/**
 * The decision for one subject in one scene: pure, synchronous and deterministic.
 * Order: pack validity → the scene's coverage (site, subject type: `denied`, the same for everyone)
 * → standing (unknown, stale or about another subject type: `unavailable`) → blocking lists (no incentive,
 * whatever the tier) → key-attention review → the scene's requirement (a credit code's programme
 * bit) → each rule of the scene (condition, validity dates,
 * calendar, per-subject cap) → stacking groups and their caps → explanation.
 * Throws `POLICY_PACK_INVALID` for a bad pack and `INVALID_ARGUMENT` for a bad `now`.
 */
export function evaluate(pack: PolicyPack, input: EvaluateInput): Decision {
  const cp = compile(pack);
  const p = cp.pack;
  const nowMs = toEpochMs(input.now);
  const { scene, standing } = input;
  const calendar = input.calendar ?? defaultHolidayCalendar;
  const today = shanghaiDate(nowMs);
  const reasons: DecisionReason[] = [];
  const benefits: GrantedBenefit[] = [];
  const out = { benefits, reasons, labels: [] as string[] };
  const disclosures: Decision['disclosures'] = [];
  const notes: DecisionNotes = {};
  const context = canonicalContext(input.context, cp.siteAliases);
  const subjectType: SubjectType = input.subjectType ?? standing.subjectType ?? 'person';

  const rawRank = standing.tier === null ? -1 : (cp.rankOf.get(standing.tier) ?? -1);
  const sceneDomain = p.sceneDomains[scene];
  const onRed = cp.redFloorRank >= 0 && hasListHere(standing.lists, 'red', sceneDomain);
  const rank = onRed ? Math.max(rawRank, cp.redFloorRank) : rawRank;

  let outcome: Decision['outcome'] = 'denied';
  let calendarProvisional = false;
  const asOfMs = parseIsoCached(standing.asOf);
  // Coverage reads no credit data, so its answer (and its citizen text) is the same for everyone.
  const notCovered = coverageFailure(cp, scene, subjectType, context);
  if ((p.validFrom !== undefined && today < p.validFrom) || (p.validTo !== undefined && today > p.validTo)) {
    outcome = 'unavailable';
    reasons.push({ code: ReasonCode.POLICY_OUT_OF_VALIDITY });
  } else if (notCovered !== null) {
    reasons.push({ code: notCovered });
  } else if (standing.source === 'none') {
    outcome = 'unavailable';
    reasons.push({ code: input.unavailableReason ?? ReasonCode.STANDING_UNAVAILABLE });
  } else if (!Number.isFinite(asOfMs) || asOfMs - nowMs > FUTURE_SKEW_MS) {
    outcome = 'unavailable';
    reasons.push({ code: ReasonCode.STANDING_INVALID });
  } else if (nowMs - asOfMs > cp.maxAgeMs[standing.source]!) {
    outcome = 'unavailable';
    reasons.push({ code: ReasonCode.STANDING_STALE });
  } else if (standing.subjectType !== undefined && standing.subjectType !== subjectType) {
    // The source answered about another kind of subject than the credential names: not this one's standing.
    outcome = 'unavailable';
    reasons.push({ code: ReasonCode.SUBJECT_TYPE_MISMATCH });
  } else if (isBlocking(cp, sceneDomain, standing)) {
    reasons.push({ code: ReasonCode.LIST_BLOCK });
  } else if (
    p.keyAttention === 'manual-review' &&
    hasListHere(standing.lists, 'key-attention', sceneDomain)
  ) {
    reasons.push({ code: ReasonCode.KEY_ATTENTION_REVIEW });
  } else if (requirementFailed(p, scene, standing, rank, context, cp, reasons, subjectType)) {
    // Denied: the reason is in `reasons`.
  } else if (rank < 0) {
    outcome = 'unavailable';
    reasons.push({ code: ReasonCode.TIER_UNKNOWN });
  } else {
    const facts = factsOf(standing, rank, context, cp, subjectType);
    let day: DayInfo | undefined;
    const groups = new Map<string, CompiledRule[]>();
    for (const cr of cp.rulesByScene.get(scene) ?? []) {
      const { rule } = cr;
      const failed = check(rule.when, facts);
      if (failed !== null) {
        reasons.push({ code: failed, ruleId: rule.id });
        continue;
      }
      const credentialRefused = credentialRefusal(rule, input.credentialKind);
      if (credentialRefused !== undefined) {
        reasons.push({ code: credentialRefused, ruleId: rule.id });
        if (credentialRefused === ReasonCode.CREDENTIAL_KIND_NOT_ACCEPTED) {
          notes.credential ??= { kinds: rule.credentialKinds!, label: cachedLabel(rule.benefit, p.labels) };
        }
        continue;
      }
      if (
        (rule.validFrom !== undefined && today < rule.validFrom) ||
        (rule.validTo !== undefined && today > rule.validTo)
      ) {
        reasons.push({ code: ReasonCode.RULE_OUT_OF_VALIDITY, ruleId: rule.id });
        continue;
      }
      const cal = rule.calendar;
      if (cal) {
        day ??= calendar.dayInfo(today);
        let asUnknown = day.kind === 'unknown';
        if (day.provisional === true) {
          calendarProvisional = true;
          const mode = cal.onProvisionalDay ?? 'as-unknown';
          if (mode === 'exclude' || (mode === 'as-unknown' && cal.onUnknownDay === 'exclude')) {
            reasons.push({ code: ReasonCode.CALENDAR_PROVISIONAL, ruleId: rule.id });
            continue;
          }
          asUnknown = mode === 'as-unknown';
        }
        if (asUnknown) {
          if (cal.onUnknownDay === 'exclude') {
            reasons.push({ code: ReasonCode.CALENDAR_UNKNOWN, ruleId: rule.id });
            continue;
          }
        } else if (
          day.kind === 'statutory-holiday' &&
          cr.excludedHolidays !== null &&
          day.holidayName !== undefined &&
          cr.excludedHolidays.has(day.holidayName)
        ) {
          reasons.push({ code: ReasonCode.HOLIDAY_EXCLUDED, ruleId: rule.id });
          notes.holiday ??= { name: day.holidayName, label: cachedLabel(rule.benefit, p.labels) };
          continue;
        } else if (cal.excludeWeekends && day.kind === 'weekend') {
          reasons.push({ code: ReasonCode.WEEKEND_EXCLUDED, ruleId: rule.id });
          continue;
        }
      }
      const perSubject = rule.cap?.perSubject;
      if (perSubject) {
        const used = input.usage?.[rule.id]?.[perSubject.period] ?? 0;
        const refusal =
          used >= perSubject.count
            ? ReasonCode.CAP_REACHED
            : used + (input.pendingUsage?.[rule.id]?.[perSubject.period] ?? 0) >= perSubject.count
              ? ReasonCode.CAP_PENDING
              : input.capsUnverified
                ? ReasonCode.CAP_UNVERIFIED
                : undefined;
        if (refusal !== undefined) {
          reasons.push({ code: refusal, ruleId: rule.id });
          if (refusal === ReasonCode.CAP_REACHED) {
            notes.cap ??= { period: perSubject.period, label: cachedLabel(rule.benefit, p.labels) };
          }
          continue;
        }
      }
      const members = groups.get(cr.groupId);
      if (members) members.push(cr);
      else groups.set(cr.groupId, [cr]);
    }
    for (const members of groups.values()) {
      combineGroup(members[0]!.group, members, out, p.labels);
      for (const m of members) {
        const d = m.rule.disclosure;
        if (
          d &&
          benefits.at(-1)!.ruleId === m.rule.id &&
          (d.when === undefined || check(d.when, facts) === null)
        ) {
          disclosures.push({
            ruleId: m.rule.id,
            deadlineWorkingDays: d.deadlineWorkingDays,
            on: d.on ?? 'decision',
            legalBasis: d.legalBasis,
          });
        }
      }
    }
    if (benefits.length > 0) outcome = 'granted';
  }

  const standingAsOf = standing.asOf;
  const effectiveTier = rank < 0 ? null : (cp.tierOfRank.get(rank) ?? null);
  const id =
    input.id ??
    `d${fnv1a64(
      `${p.packId}|${p.version}|${calendar.version}|${scene}|${nowMs}|${input.subject?.pseudonym ?? ''}|${standing.tier}|${standing.source}|${standingAsOf}|${standing.lists.map((l) => `${l.kind}:${l.domain ?? ''}`).join(',')}|${JSON.stringify(input.context ?? {})}|${input.usage ? JSON.stringify(input.usage) : ''}|${input.unavailableReason ?? ''}${input.credentialKind === undefined ? '' : `|${input.credentialKind}`}${input.pendingUsage ? `|${JSON.stringify(input.pendingUsage)}` : ''}${input.capsUnverified ? '|caps-unverified' : ''}${standing.codeClaims ? `|${standing.codeClaims.entitlements}:${standing.codeClaims.flags}` : ''}${input.subjectType === undefined ? '' : `|in:${input.subjectType}`}${standing.subjectType === undefined ? '' : `|st:${standing.subjectType}`}`,
    )}`;
  const decision: Decision = {
    id,
    scene,
    at: new Date(nowMs).toISOString(),
    outcome,
    benefits,
    reasons,
    explanation: { citizen: '', staff: '' },
    policyVersion: `${p.packId}@${p.version}`,
    calendarVersion: calendar.version,
    calendarProvisional,
    standingSource: standing.source,
    effectiveTier,
    standingAsOf,
    standingAgeMs: Number.isFinite(asOfMs) ? nowMs - asOfMs : null,
    subjectType,
    disclosures,
  };
  if (input.subject) decision.subject = { pseudonym: input.subject.pseudonym, masked: input.subject.masked };
  decision.explanation = explainDecision(
    decision,
    standing,
    onRed && rawRank < cp.redFloorRank,
    nowMs - asOfMs,
    out.labels,
    notes,
  );
  return decision;
}
