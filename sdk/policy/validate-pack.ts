import { z } from 'zod';
import { STATUTORY_RULE_EDITIONS } from '../calendar/provisional-holidays.js';
import { AMOUNT_BENEFIT_KINDS, type BenefitKind, DISCOUNT_TARGETS } from '../domain/benefits.js';
import { CREDIT_CODE_FLAG_NAMES, CREDIT_ENTITLEMENT_NAMES } from '../domain/entitlements.js';
import { SCENE_IDS } from '../domain/scenes.js';
import { LIST_KINDS, SUBJECT_TYPES } from '../domain/standing.js';
import { TIER_CODES } from '../domain/tiers.js';
import { XinyiError } from '../errors.js';
import type { Condition, PolicyPack } from './pack.js';

const tier = z.enum(TIER_CODES);
const scene = z.enum(SCENE_IDS);
const listKind = z.enum(LIST_KINDS);
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((d) => {
    const ms = Date.parse(`${d}T00:00:00Z`);
    return Number.isFinite(ms) && new Date(ms).toISOString().startsWith(d);
  }, 'must be a real calendar date');
const positiveInt = z.number().int().positive();
const payBp = z.number().int().min(0).max(10_000);
const code = z.string().min(1).max(80);

/** The fields of each benefit kind besides `kind`: one entry per kind of `Benefit`, or a compile error. */
const BENEFIT_FIELDS = {
  'free-entry': {},
  'priority-lane': {},
  'docs-deferred': {},
  'green-channel': {},
  discount: { payBp, appliesTo: z.enum(DISCOUNT_TARGETS).optional() },
  'deposit-waiver': { item: code, maxFen: positiveInt.optional() },
  'loan-limit': { books: positiveInt },
  'loan-extension': { days: positiveInt },
  'points-multiplier': { factorBp: positiveInt },
  'ride-extension': { minutes: positiveInt },
  perk: { item: code },
  'fast-track-credit': { maxFen: positiveInt },
} satisfies Record<BenefitKind, z.ZodRawShape>;

type KindVariant<K extends string, S extends z.ZodRawShape> = z.ZodObject<
  { kind: z.ZodLiteral<K> } & S,
  z.core.$strict
>;
type KindVariants<T extends Record<string, z.ZodRawShape>> = {
  [K in keyof T & string]: KindVariant<K, T[K]>;
}[keyof T & string];

/** One strict object per kind of a `{ kind: fields }` table, typed kind by kind for the union. */
function kindVariants<T extends Record<string, z.ZodRawShape>>(
  table: T,
): [KindVariants<T>, ...KindVariants<T>[]] {
  const kinds = Object.keys(table) as Array<keyof T & string>;
  return kinds.map((kind) => z.strictObject({ kind: z.literal(kind), ...table[kind] })) as unknown as [
    KindVariants<T>,
    ...KindVariants<T>[],
  ];
}

const benefit = z.discriminatedUnion('kind', kindVariants(BENEFIT_FIELDS));

const reason = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]*$/, 'must be an UPPER_SNAKE reason code')
  .optional();
const contextPath = z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'must be a context field name');
const scalar = z.union([z.string(), z.number(), z.boolean()]);

const condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(condition).min(1), reason }),
    z.strictObject({ any: z.array(condition).min(1), reason }),
    z.strictObject({ not: condition, reason }),
    z.strictObject({ fact: z.literal('tier'), op: z.enum(['gte', 'lte', 'eq', 'ne']), value: tier, reason }),
    z.strictObject({
      fact: z.literal('tier'),
      op: z.enum(['in', 'notIn']),
      value: z.array(tier).min(1),
      reason,
    }),
    z.strictObject({ fact: z.literal('trustworthy'), op: z.literal('eq'), value: z.boolean(), reason }),
    z.strictObject({
      fact: z.literal('list'),
      op: z.enum(['contains', 'notContains']),
      value: listKind,
      reason,
    }),
    z.strictObject({
      fact: z.literal('context'),
      path: contextPath,
      op: z.enum(['exists', 'notExists']),
      reason,
    }),
    z.strictObject({
      fact: z.literal('context'),
      path: contextPath,
      op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte']),
      value: scalar,
      reason,
    }),
    z.strictObject({
      fact: z.literal('context'),
      path: contextPath,
      op: z.enum(['in', 'notIn']),
      value: z.array(z.union([z.string(), z.number()])).min(1),
      reason,
    }),
    z.strictObject({
      fact: z.literal('entitlement'),
      op: z.literal('has'),
      value: z.enum(CREDIT_ENTITLEMENT_NAMES),
      reason,
    }),
    z.strictObject({
      fact: z.literal('codeFlag'),
      op: z.literal('set'),
      value: z.enum(CREDIT_CODE_FLAG_NAMES),
      reason,
    }),
    z.strictObject({
      fact: z.literal('subjectType'),
      op: z.enum(['eq', 'ne']),
      value: z.enum(SUBJECT_TYPES),
      reason,
    }),
  ]),
);

/** The names the statutory holidays have in every edition of the 放假办法 (and so in the calendar). */
const STATUTORY_HOLIDAY_NAMES = [
  ...new Set(STATUTORY_RULE_EDITIONS.flatMap((e) => e.holidays.map((h) => h.name))),
] as [string, ...string[]];

// A published 公示 record cites the programme, never the pack's own notes or an internal file.
const INTERNAL_WORDING = /待确认|默认值|\.(?:md|ts|js|json|ya?ml)\b/i;
const publicBasis = z
  .string()
  .min(1)
  .max(200)
  .refine(
    (text) => !INTERNAL_WORDING.test(text),
    'must cite the programme, not an internal note (待确认, 默认值) or a file',
  );

const rule = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be lower-case letters, digits, dots and dashes'),
  scene,
  description: z.string().min(1),
  when: condition,
  benefit,
  priority: z.number().int().optional(),
  stackGroup: code.optional(),
  calendar: z
    .strictObject({
      excludeHolidays: z.union([z.literal('major'), z.array(z.string().min(1))]).optional(),
      excludeWeekends: z.boolean().optional(),
      onUnknownDay: z.enum(['exclude', 'allow']),
      onProvisionalDay: z.enum(['as-computed', 'exclude', 'as-unknown']).optional(),
    })
    .optional(),
  cap: z
    .strictObject({
      perSubject: z
        .strictObject({
          count: positiveInt,
          period: z.enum(['day', 'month', 'year']),
          scope: z.enum(['lane', 'site', 'city']).optional(),
        })
        .optional(),
    })
    .optional(),
  disclosure: z
    .strictObject({
      deadlineWorkingDays: positiveInt,
      legalBasis: publicBasis,
      on: z.enum(['decision', 'use']).optional(),
      when: condition.optional(),
    })
    .optional(),
  validFrom: isoDate.optional(),
  validTo: isoDate.optional(),
  basis: z.string().min(1),
  credentialKinds: z
    .array(z.enum(['id-card', 'credit-code', 'barcode', 'organisation']))
    .min(1)
    .optional(),
});

const tierBand = z.strictObject({
  code: tier,
  rank: z.number().int(),
  labelZh: z.string().min(1),
  minInclusive: z.number().optional(),
  maxExclusive: z.number().optional(),
});

const packSchema = z.strictObject({
  format: z.literal('xinyi-policy-pack/1'),
  packId: code,
  version: code,
  name: z.string().min(1),
  validFrom: isoDate.optional(),
  validTo: isoDate.optional(),
  tierScheme: z.strictObject({ id: code, bands: z.array(tierBand).min(1) }),
  trustworthyMinTier: tier,
  redListFloorTier: tier.nullable(),
  keyAttention: z.enum(['manual-review', 'ignore']),
  blockingListKinds: z.array(listKind),
  sceneDomains: z.partialRecord(scene, code),
  majorHolidays: z.array(z.enum(STATUTORY_HOLIDAY_NAMES)),
  basis: z
    .partialRecord(
      z.enum([
        'tierScheme',
        'trustworthyMinTier',
        'redListFloorTier',
        'keyAttention',
        'blockingListKinds',
        'majorHolidays',
        'standingMaxAgeHours',
        'coverage',
        'siteAliases',
      ]),
      z.string().min(1),
    )
    .optional(),
  coverage: z.partialRecord(scene, condition).optional(),
  siteAliases: z.record(z.string().trim().min(1), z.string().min(1)).optional(),
  standingMaxAgeHours: z.strictObject({
    'credit-code': positiveInt,
    platform: positiveInt,
    snapshot: positiveInt,
  }),
  stackGroups: z.record(
    code,
    z.strictObject({
      mode: z.enum(['exclusive', 'max', 'additive', 'multiplicative']),
      maxValue: positiveInt.optional(),
      minPayBp: payBp.optional(),
    }),
  ),
  sceneRequirements: z.partialRecord(scene, condition).optional(),
  rules: z.array(rule),
  labels: z.record(z.string(), z.string()),
});

/** True when A and B are the same type (not merely assignable either way). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
// The schema is the pack's type, checked at compile time: a field added to `PolicyPack` (or to a
// benefit kind) and not to the schema, or the other way round, fails the build here.
const schemaMatchesPolicyPack: Equals<z.infer<typeof packSchema>, PolicyPack> = true;
void schemaMatchesPolicyPack;

const NUMERIC_KINDS: ReadonlySet<BenefitKind> = new Set(AMOUNT_BENEFIT_KINDS);

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(key))) out += out === '' ? String(key) : `.${String(key)}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out === '' ? '(pack)' : out;
}

/** For a value matching no branch of a union, the first issue of the branch it came closest to (fewest issues). */
function closestIssue(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  let closest = issue.errors[0]!;
  for (const branch of issue.errors) if (branch.length < closest.length) closest = branch;
  const first = closest[0];
  return first ? closestIssue({ ...first, path: [...issue.path, ...first.path] }) : issue;
}

function refuse(path: string, message: string): never {
  throw new XinyiError('POLICY_PACK_INVALID', `policy pack: ${path}: ${message}`, { details: { path } });
}

/** Checks that cannot be expressed field by field: bands, unique ids, groups that can combine. */
function checkSemantics(pack: PolicyPack): void {
  const bands = pack.tierScheme.bands;
  const codes = new Set<string>();
  const ranks = new Set<number>();
  bands.forEach((band, i) => {
    const at = `tierScheme.bands[${i}]`;
    if (codes.has(band.code)) refuse(`${at}.code`, `tier ${band.code} is defined twice`);
    if (ranks.has(band.rank)) refuse(`${at}.rank`, `rank ${band.rank} is used twice`);
    codes.add(band.code);
    ranks.add(band.rank);
    if (
      band.minInclusive !== undefined &&
      band.maxExclusive !== undefined &&
      band.minInclusive >= band.maxExclusive
    ) {
      refuse(at, `minInclusive ${band.minInclusive} must be below maxExclusive ${band.maxExclusive}`);
    }
    if (i > 0) {
      const better = bands[i - 1]!;
      if (better.rank <= band.rank)
        refuse(`${at}.rank`, 'bands must be ordered from best (highest rank) to worst');
      if (better.minInclusive !== band.maxExclusive) {
        refuse(
          `${at}.maxExclusive`,
          `must equal the minInclusive of ${better.code} (${String(better.minInclusive)}) so bands neither overlap nor leave a gap`,
        );
      }
    }
  });
  if (bands[0]!.maxExclusive !== undefined)
    refuse('tierScheme.bands[0].maxExclusive', 'the best band must be open at the top');
  if (bands.at(-1)!.minInclusive !== undefined) {
    refuse(`tierScheme.bands[${bands.length - 1}].minInclusive`, 'the worst band must be open at the bottom');
  }
  const tierCodes = (field: string, value: string | null) => {
    if (value !== null && !codes.has(value)) refuse(field, `tier ${value} is not defined by tierScheme`);
  };
  tierCodes('trustworthyMinTier', pack.trustworthyMinTier);
  tierCodes('redListFloorTier', pack.redListFloorTier);

  const ids = new Set<string>();
  const groupKinds = new Map<string, BenefitKind>();
  pack.rules.forEach((r, i) => {
    const at = `rules[${i}]`;
    if (ids.has(r.id)) refuse(`${at}.id`, `rule id ${r.id} is used twice`);
    ids.add(r.id);
    if (r.validFrom && r.validTo && r.validFrom > r.validTo)
      refuse(`${at}.validTo`, 'must not be before validFrom');
    checkConditionTiers(r.when, `${at}.when`, codes);
    if (r.disclosure?.when) checkConditionTiers(r.disclosure.when, `${at}.disclosure.when`, codes);
    if (r.stackGroup === undefined) return;
    const group = pack.stackGroups[r.stackGroup];
    if (!group) refuse(`${at}.stackGroup`, `group ${r.stackGroup} is not defined in stackGroups`);
    const kind = r.benefit.kind;
    const seen = groupKinds.get(r.stackGroup);
    if (group.mode !== 'exclusive' && seen !== undefined && seen !== kind) {
      refuse(
        `${at}.benefit.kind`,
        `group ${r.stackGroup} (${group.mode}) cannot combine ${seen} with ${kind}`,
      );
    }
    groupKinds.set(r.stackGroup, kind);
    if (group.mode === 'multiplicative' && kind !== 'discount') {
      refuse(`${at}.benefit.kind`, `multiplicative group ${r.stackGroup} only combines discounts`);
    }
    if (group.mode === 'additive' && !NUMERIC_KINDS.has(kind)) {
      refuse(`${at}.benefit.kind`, `additive group ${r.stackGroup} cannot add ${kind} benefits`);
    }
    if (kind === 'deposit-waiver' && group.mode === 'additive' && r.benefit.maxFen === undefined) {
      refuse(`${at}.benefit.maxFen`, `additive group ${r.stackGroup} needs an amount to add`);
    }
  });
  if (pack.validFrom && pack.validTo && pack.validFrom > pack.validTo)
    refuse('validTo', 'must not be before validFrom');
  for (const [scene, requirement] of Object.entries(pack.sceneRequirements ?? {})) {
    if (requirement) checkConditionTiers(requirement, `sceneRequirements.${scene}`, codes);
  }
  const seenHolidays = new Set<string>();
  pack.majorHolidays.forEach((name, i) => {
    if (seenHolidays.has(name)) refuse(`majorHolidays[${i}]`, `${name} is listed twice`);
    seenHolidays.add(name);
  });
  for (const [scene, c] of Object.entries(pack.coverage ?? {})) {
    if (c !== undefined) checkCoverageFacts(c, `coverage[${JSON.stringify(scene)}]`);
  }
}

/** Coverage is decided before any credit data is read: only the context and the subject type may decide it. */
function checkCoverageFacts(c: Condition, at: string): void {
  if ('all' in c) for (const [i, x] of c.all.entries()) checkCoverageFacts(x, `${at}.all[${i}]`);
  else if ('any' in c) for (const [i, x] of c.any.entries()) checkCoverageFacts(x, `${at}.any[${i}]`);
  else if ('not' in c) checkCoverageFacts(c.not, `${at}.not`);
  else if (c.fact !== 'context' && c.fact !== 'subjectType') {
    refuse(`${at}.fact`, `coverage may test only context and subjectType, not ${c.fact}`);
  }
}

function checkConditionTiers(c: Condition, at: string, codes: ReadonlySet<string>): void {
  if ('all' in c) {
    for (const [i, x] of c.all.entries()) checkConditionTiers(x, `${at}.all[${i}]`, codes);
  } else if ('any' in c) {
    for (const [i, x] of c.any.entries()) checkConditionTiers(x, `${at}.any[${i}]`, codes);
  } else if ('not' in c) checkConditionTiers(c.not, `${at}.not`, codes);
  else if (c.fact === 'tier') {
    for (const t of Array.isArray(c.value) ? c.value : [c.value]) {
      if (!codes.has(t)) refuse(`${at}.value`, `tier ${t} is not defined by tierScheme`);
    }
  }
}

/**
 * Validates an untrusted policy pack (parsed JSON) and returns it typed.
 * Throws `POLICY_PACK_INVALID` with a message naming the first bad field, e.g.
 * `policy pack: rules[3].benefit.payBp: Too big: expected number to be <=10000`.
 */
export function loadPolicyPack(data: unknown): PolicyPack {
  const parsed = packSchema.safeParse(data);
  if (!parsed.success) {
    const issue = closestIssue(parsed.error.issues[0]!);
    refuse(formatPath(issue.path), issue.message);
  }
  const pack: PolicyPack = parsed.data;
  checkSemantics(pack);
  return pack;
}
