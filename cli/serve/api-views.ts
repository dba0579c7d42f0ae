import { z } from 'zod';
import type { Credential } from '../../sdk/domain/credential.js';
import type { Decision } from '../../sdk/domain/decision.js';
import type { OverrideInput, OverrideRecord } from '../../sdk/terminal/terminal-contract.js';

/**
 * What `xinyi serve` reads from a request and shows of a decision. A response or an event carries
 * masked forms only: the subject's masked document number, never its pseudonym, ID number or name.
 */

const text = (max: number) => z.string().min(1).max(max);

const credentialSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('id-card'),
    idNumber: text(32),
    cardType: z
      .enum(['resident', 'hk-macao-taiwan', 'foreign-permanent-2017', 'foreign-permanent-2023'])
      .optional(),
    name: text(64).optional(),
  }),
  z.strictObject({ kind: z.literal('credit-code'), text: text(4_096) }),
  z.strictObject({ kind: z.literal('barcode'), text: text(256), symbology: text(32).optional() }),
  z.strictObject({
    kind: z.literal('organisation'),
    entry: z.enum(['typed', 'scanned', 'licence-qr']),
    text: text(1_024),
  }),
]);

const contextSchema = z
  .record(z.string().max(64), z.union([z.string().max(256), z.number(), z.boolean()]))
  .refine((c) => Object.keys(c).length <= 32, 'at most 32 fields');

export const presentRequestSchema = z
  .strictObject({
    /** The credential the POS read itself (a typed code, its own scanner). */
    credential: credentialSchema.optional(),
    /** Or: wait for the next card tapped or code scanned on the service's own devices. */
    wait: z.strictObject({ timeoutMs: z.number().int().positive() }).optional(),
    /** Merged over the configuration's `context` (`amountFen`, `itemCount`, …). */
    context: contextSchema.optional(),
  })
  .refine((r) => (r.credential === undefined) !== (r.wait === undefined), {
    message: 'give either credential or wait, not both',
    path: ['credential'],
  });
export type PresentRequest = z.infer<typeof presentRequestSchema> & { credential?: Credential };

export const overrideRequestSchema = z.strictObject({
  staffId: z.string(),
  reason: z.string(),
  outcome: z.enum(['granted', 'denied']),
  benefits: z.array(z.record(z.string(), z.unknown())).max(32).optional(),
});

export const emptyRequestSchema = z.strictObject({});

/** A decision as the API shows it. */
export function decisionView(decision: Decision, origin?: string): Record<string, unknown> {
  return {
    id: decision.id,
    scene: decision.scene,
    at: decision.at,
    outcome: decision.outcome,
    benefits: decision.benefits,
    reasons: decision.reasons,
    explanation: { citizen: decision.explanation.citizen, staff: decision.explanation.staff },
    subject: decision.subject ? { masked: decision.subject.masked } : null,
    subjectType: decision.subjectType,
    effectiveTier: decision.effectiveTier,
    standingSource: decision.standingSource,
    standingAsOf: decision.standingAsOf,
    policyVersion: decision.policyVersion,
    calendarVersion: decision.calendarVersion,
    disclosures: decision.disclosures,
    ...(decision.latencyMs === undefined ? {} : { latencyMs: decision.latencyMs }),
    ...(decision.siteStateDegraded ? { siteStateDegraded: true } : {}),
    ...(origin === undefined ? {} : { origin }),
  };
}

export function overrideView(record: OverrideRecord): Record<string, unknown> {
  return {
    decisionId: record.decisionId,
    at: record.at,
    staffId: record.staffId,
    outcome: record.outcome,
    reason: record.reason,
    decisionOutcome: record.decisionOutcome,
    benefits: record.benefits,
  };
}

export type OverrideRequest = OverrideInput;
