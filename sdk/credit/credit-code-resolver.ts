import { type Clock, systemClock } from '../clock.js';
import type { CreditStanding } from '../domain/standing.js';
import { XinyiError } from '../errors.js';
import type { CreditLookup, CreditResolver } from '../terminal/credit-resolver.js';
import {
  CreditCodeRefusal,
  DEFAULT_MAX_STATUS_AGE_MS,
  type IssuerVerifier,
  type VerifyCreditCodeOptions,
  verifyCreditCode,
} from './credit-code.js';
import { createReplayCache, type ReplayCache } from './replay-cache.js';
import type { StatusList } from './status-list.js';
import type { TrustList } from './trust-list.js';

export interface CreditCodeResolverOptions {
  /** A fixed trust list, or… */
  trustList?: TrustList;
  /** …the current one, asked on every scan (so a refreshed list takes effect at once). */
  getTrustList?: () => TrustList | undefined;
  statusList?: StatusList;
  getStatusList?: () => StatusList | undefined;
  /** Default: a new cache with a 120 s TTL. One per terminal. */
  replayCache?: ReplayCache;
  /** Default: the system clock. */
  clock?: Clock;
  /**
   * A status list older than this refuses every code with `STATUS_STALE`.
   * @default DEFAULT_MAX_STATUS_AGE_MS (24 h; why: docs/credit-codes.md, "Status list")
   */
  maxStatusAgeMs?: number;
  /**
   * Without a usable status list (none yet, its key withdrawn, dated in the future) every code is
   * refused with `STATUS_MISSING`: a code that cannot be checked for revocation grants nothing.
   * Set it false only where revocation is checked some other way. @default true
   */
  requireStatusList?: boolean;
  windowPastMs?: number;
  windowFutureMs?: number;
  clockSkewMs?: number;
  verifiers?: readonly IssuerVerifier[];
}

const SIGNATURE_REFUSALS: ReadonlySet<string> = new Set([
  CreditCodeRefusal.ISSUER_SIGNATURE,
  CreditCodeRefusal.HOLDER_SIGNATURE,
]);

/**
 * A {@link CreditResolver} (name `credit-code`) that verifies the scanned `QZ1:` code offline.
 *
 * - No `lookup.creditCodeText`: returns null (not a code scan; the next source is asked).
 * - A valid code: the standing it carries (source `credit-code`).
 * - A refused code: throws `XinyiError` — `CODE_SIGNATURE_INVALID` for an issuer or holder signature
 *   that does not verify, `CODE_REFUSED` for every other reason — with `details.reason` one of
 *   {@link CreditCodeRefusal}. The terminal reports it as an 'error' event (so the refusal is
 *   recorded and visible to staff), asks no further source and decides `unavailable` with reason
 *   `CODE_<reason>`: **a refused code yields normal service at the normal price, never a benefit
 *   from another source.** The source itself answered, so it is not marked offline.
 *   The terminal records `STATUS_STALE` and `STATUS_MISSING` under their own names (not `CODE_…`):
 *   the code may be fine, the terminal lacks a fresh status list.
 * - No trust list available (getTrustList() returned undefined): throws `CREDIT_UNAVAILABLE`.
 *
 * Throws `INVALID_OPTIONS` at creation without `trustList` or `getTrustList`, or for a
 * `maxStatusAgeMs` that is not a positive number.
 */
export function createCreditCodeResolver(options: CreditCodeResolverOptions): CreditResolver {
  if (!options || (options.trustList === undefined && typeof options.getTrustList !== 'function')) {
    throw new XinyiError(
      'INVALID_OPTIONS',
      'createCreditCodeResolver(): trustList or getTrustList is required',
    );
  }
  const maxStatusAgeMs = options.maxStatusAgeMs ?? DEFAULT_MAX_STATUS_AGE_MS;
  if (!Number.isFinite(maxStatusAgeMs) || maxStatusAgeMs <= 0) {
    throw new XinyiError(
      'INVALID_OPTIONS',
      'createCreditCodeResolver(): maxStatusAgeMs must be a positive number of milliseconds',
    );
  }
  const requireStatusList = options.requireStatusList ?? true;
  const clock = options.clock ?? systemClock;
  const replayCache = options.replayCache ?? createReplayCache();
  const getTrustList = options.getTrustList ?? (() => options.trustList);
  const getStatusList = options.getStatusList ?? (() => options.statusList);
  return {
    name: 'credit-code',
    async resolve(lookup: CreditLookup): Promise<CreditStanding | null> {
      const text = lookup.creditCodeText;
      if (text === undefined) return null;
      const trustList = getTrustList();
      if (!trustList) throw new XinyiError('CREDIT_UNAVAILABLE', 'credit-code: no trust list loaded');
      const verifyOptions: VerifyCreditCodeOptions = {
        trustList,
        now: clock.now(),
        replayCache,
        statusList: getStatusList(),
        maxStatusAgeMs,
        requireStatusList,
        windowPastMs: options.windowPastMs,
        windowFutureMs: options.windowFutureMs,
        clockSkewMs: options.clockSkewMs,
        verifiers: options.verifiers,
      };
      const result = verifyCreditCode(text, verifyOptions);
      if (result.ok) return { ...result.standing, holder: result.pseudonym, presentedAt: result.presentedAt };
      const code = SIGNATURE_REFUSALS.has(result.reason) ? 'CODE_SIGNATURE_INVALID' : 'CODE_REFUSED';
      throw new XinyiError(code, `credit code refused: ${result.reason}`, {
        details: { reason: result.reason },
      });
    },
  };
}
