import { type Clock, systemClock } from '../clock.js';
import type { CreditStanding } from '../domain/standing.js';
import { XinyiError } from '../errors.js';
import type { CreditLookup, CreditResolver } from '../terminal/credit-resolver.js';
import {
  CreditCodeRefusal,
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
  maxStatusAgeMs?: number;
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
 * - No trust list available (getTrustList() returned undefined): throws `CREDIT_UNAVAILABLE`.
 *
 * Throws `INVALID_OPTIONS` at creation without `trustList` or `getTrustList`.
 */
export function createCreditCodeResolver(options: CreditCodeResolverOptions): CreditResolver {
  if (!options || (options.trustList === undefined && typeof options.getTrustList !== 'function')) {
    throw new XinyiError(
      'INVALID_OPTIONS',
      'createCreditCodeResolver(): trustList or getTrustList is required',
    );
  }
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
        maxStatusAgeMs: options.maxStatusAgeMs,
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
