import type { Clock } from '../clock.js';
import type { Credential } from '../domain/credential.js';
import type { Decision } from '../domain/decision.js';
import type { CreditStanding } from '../domain/standing.js';
import { isXinyiError, XinyiError } from '../errors.js';
import type { Subject } from '../identity/index.js';
import { ReasonCode } from '../policy/reason-codes.js';
import type { CreditLookup, CreditResolver } from './credit-resolver.js';

/** What `resolveStanding` returns when the caller's signal stopped it. */
export const ABORTED = Symbol('aborted');
const TIMED_OUT = Symbol('timed-out');

/** A source's answer refused as not authentic or too large, as the decision records it; else undefined. */
function refusedAnswer(
  source: string,
  error: unknown,
): { source: string; code: string; reason?: string } | undefined {
  if (
    !isXinyiError(error, 'PLATFORM_RESPONSE_INVALID') &&
    !isXinyiError(error, 'PLATFORM_RESPONSE_TOO_LARGE')
  ) {
    return undefined;
  }
  const reason = error.details.reason ?? error.details.kind;
  return typeof reason === 'string' ? { source, code: error.code, reason } : { source, code: error.code };
}

/** Refusals that are about the terminal's revocation data, not the code: recorded under their own name. */
const STATUS_REFUSALS: ReadonlySet<string> = new Set([ReasonCode.STATUS_STALE, ReasonCode.STATUS_MISSING]);

/** `CODE_<reason>` when a resolver refused the credential itself (see `createCreditCodeResolver`). */
function credentialRefusal(error: unknown): string | undefined {
  if (!isXinyiError(error) || (error.code !== 'CODE_REFUSED' && error.code !== 'CODE_SIGNATURE_INVALID')) {
    return undefined;
  }
  const reason = error.details.reason;
  if (typeof reason !== 'string') return ReasonCode.CODE_REFUSED;
  return STATUS_REFUSALS.has(reason) ? reason : `CODE_${reason}`;
}

/** One walk down a terminal's credit chain, and where it reports what each source did. */
export interface CreditChainRequest {
  resolvers: readonly CreditResolver[];
  subject: Subject | undefined;
  credential: Credential;
  scene: Decision['scene'];
  terminalId: string;
  /** The whole chain's budget; each source's own `timeoutMs` leaves the rest to the sources after it. */
  deadlineMs: number;
  clock: Clock;
  /** The caller's abort: ends the wait at once and reaches the sources through their lookup's signal. */
  signal: AbortSignal;
  /** Answers refused as not authentic or too large are added here, for the decision to record. */
  refusedAnswers: NonNullable<Decision['refusedAnswers']>;
  /** A source failed (threw, timed out): the terminal reports it and marks it offline. */
  onFailed(source: string, cause: unknown): void;
  /** A source answered (a standing, nobody, or a refusal of the credential). */
  onAnswered(source: string): void;
  /** A source refused the credential itself (forged, replayed, expired, revoked). */
  onRefused(error: XinyiError): void;
}

/**
 * Asks the credit sources in order until one knows the subject, within the deadline: the first
 * standing wins; a refusal of the credential is final; a failed or slow source is reported and the
 * next one asked. `reason` says why there is no standing (`CREDIT_TIMEOUT`, `CREDIT_UNAVAILABLE`,
 * `CODE_<refusal>`), and is absent when the sources simply do not know the subject.
 */
export async function resolveStanding(
  request: CreditChainRequest,
): Promise<{ standing: CreditStanding | null; reason?: string } | typeof ABORTED> {
  const { resolvers, subject, credential, scene, terminalId, deadlineMs, clock, signal, refusedAnswers } =
    request;
  const { onFailed, onAnswered, onRefused } = request;
  if (signal.aborted) return ABORTED;
  const overall = new AbortController();
  const deadlineAt = clock.now() + deadlineMs;
  let deadlineTimer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    deadlineTimer = setTimeout(() => {
      overall.abort();
      resolve(TIMED_OUT);
    }, deadlineMs);
  });
  // The caller's abort ends the wait at once and tells the sources through their lookup's signal.
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<typeof ABORTED>((resolve) => {
    onAbort = () => {
      overall.abort(signal.reason);
      resolve(ABORTED);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const creditCodeText = credential.kind === 'credit-code' ? credential.text : undefined;
  let failures = 0;
  try {
    for (const resolver of resolvers) {
      // A source's own budget leaves time for the sources after it (the snapshot after a slow platform).
      const own = resolver.timeoutMs === undefined ? undefined : new AbortController();
      let ownTimer: NodeJS.Timeout | undefined;
      const ownTimeout = own
        ? new Promise<typeof TIMED_OUT>((resolve) => {
            ownTimer = setTimeout(() => {
              own.abort();
              resolve(TIMED_OUT);
            }, resolver.timeoutMs);
          })
        : deadline;
      const lookup: CreditLookup = {
        subject,
        creditCodeText,
        scene: scene,
        terminalId: terminalId,
        signal: own ? AbortSignal.any([overall.signal, own.signal]) : overall.signal,
        deadlineAt,
      };
      const attempt = Promise.resolve()
        .then(() => resolver.resolve(lookup))
        .then(
          (standing) => ({ standing }),
          (error: unknown) => ({ error }),
        );
      const result = await Promise.race([attempt, ownTimeout, deadline, aborted]);
      clearTimeout(ownTimer);
      if (result === ABORTED) return ABORTED;
      if (result === TIMED_OUT) {
        failures++;
        const waited = overall.signal.aborted ? deadlineMs : resolver.timeoutMs;
        onFailed(
          resolver.name,
          new XinyiError(
            'CREDIT_TIMEOUT',
            `credit source ${resolver.name} did not answer within ${waited} ms`,
          ),
        );
        if (overall.signal.aborted) return { standing: null, reason: ReasonCode.CREDIT_TIMEOUT };
        continue;
      }
      if ('error' in result) {
        const refusal = credentialRefusal(result.error);
        if (refusal !== undefined) {
          // The source works; the credential is bad (forged, replayed, expired, revoked). That is
          // final: no other source may grant anything for it, and the source is not "offline".
          onAnswered(resolver.name);
          onRefused(result.error as XinyiError);
          return { standing: null, reason: refusal };
        }
        failures++;
        onFailed(resolver.name, result.error);
        const refused = refusedAnswer(resolver.name, result.error);
        if (refused) refusedAnswers.push(refused);
        continue;
      }
      onAnswered(resolver.name);
      if (result.standing) return { standing: result.standing };
    }
    // Someone the sources do not know differs, for staff, from sources that could not be asked.
    return { standing: null, reason: failures > 0 ? ReasonCode.CREDIT_UNAVAILABLE : undefined };
  } finally {
    clearTimeout(deadlineTimer);
    signal.removeEventListener('abort', onAbort!);
  }
}
