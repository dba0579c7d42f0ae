// What the credit-chain targets share: the fuzz clock, the Base45 alphabet of credit codes, two issuers
// (Ed25519 and ES256) with their verified trust and status lists, the check of a credit standing, and
// JSON text that keeps non-finite numbers.
import { BASE45_ALPHABET } from '../../../sdk/credit/base45.js';
import { loadStatusList } from '../../../sdk/credit/status-list.js';
import { loadTrustList } from '../../../sdk/credit/trust-list.js';
import type { CreditStanding } from '../../../sdk/domain/standing.js';
import { TIER_CODES } from '../../../sdk/domain/tiers.js';
import { createCreditIssuer } from '../../../simulator/credit-issuer.js';
import { expectIsoTime, expectOneOf, violation } from '../harness.js';

export const T0 = Date.parse('2026-06-01T10:00:00Z');
export const HOUR = 3_600_000;

export const BASE45 = [...BASE45_ALPHABET];

export const issuers = {
  Ed25519: createCreditIssuer({ seed: 'fuzz-ed', alg: 'Ed25519', now: T0 }),
  ES256: createCreditIssuer({ seed: 'fuzz-es', alg: 'ES256', now: T0 }),
};
export const trustLists = {
  Ed25519: loadTrustList(issuers.Ed25519.trustList, {
    rootPublicKey: issuers.Ed25519.rootPublicKey,
    now: T0,
  }),
  ES256: loadTrustList(issuers.ES256.trustList, { rootPublicKey: issuers.ES256.rootPublicKey, now: T0 }),
};
export const statusLists = {
  Ed25519: loadStatusList(issuers.Ed25519.signedStatusList(T0), { trustList: trustLists.Ed25519 }),
  ES256: loadStatusList(issuers.ES256.signedStatusList(T0), { trustList: trustLists.ES256 }),
};

export function checkStanding(standing: CreditStanding, source: string): void {
  if (standing.tier !== null) expectOneOf(standing.tier, TIER_CODES, 'tier');
  if (standing.source !== source) violation(`standing source ${standing.source}`);
  expectIsoTime(standing.asOf, 'asOf');
  if (!Array.isArray(standing.lists)) violation('lists not an array');
  for (const list of standing.lists) {
    expectOneOf(list.kind, ['red', 'black', 'key-attention'], 'list kind');
    if (list.domain !== undefined && typeof list.domain !== 'string') violation('list domain not a string');
  }
  if (standing.score !== undefined && !Number.isFinite(standing.score)) {
    violation(`score is ${standing.score}`);
  }
}

/** A JSON text with non-finite numbers written as a JSON text can carry them (`1e999`). */
export function toJsonText(value: unknown): string {
  const text = JSON.stringify(value, (_key, v) =>
    typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? 'NaN!' : v > 0 ? 'INF!' : '-INF!') : v,
  ) as string | undefined;
  return (text ?? 'null').replaceAll('"INF!"', '1e999').replaceAll('"-INF!"', '-1e999');
}
