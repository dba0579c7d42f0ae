import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { CreditStanding, StandingSource } from '../domain/standing.js';
import { XinyiError } from '../errors.js';
import type { CreditLookup, CreditResolver } from './credit-resolver.js';

export interface InMemoryCreditProviderOptions {
  /** @default 'in-memory' */
  name?: string;
  /** The source stamped on the standings it returns. @default 'platform' */
  source?: Exclude<StandingSource, 'none'>;
  /** Standings by pseudonym; `asOf` defaults to the time of the lookup. */
  standings?: Iterable<
    readonly [pseudonym: string, standing: Omit<CreditStanding, 'source' | 'asOf'> & { asOf?: string }]
  >;
  /** Simulated lookup latency in milliseconds (honours the lookup's abort signal). @default 0 */
  latencyMs?: number;
  clock?: Clock;
}

export interface InMemoryCreditProvider extends CreditResolver {
  set(pseudonym: string, standing: Omit<CreditStanding, 'source' | 'asOf'> & { asOf?: string }): void;
  delete(pseudonym: string): void;
  readonly size: number;
  /** Make every lookup fail with `CREDIT_UNAVAILABLE` (a dead platform) until set back to false. */
  setFailing(failing: boolean): void;
}

/** A credit source backed by a map: for tests, the simulator and terminals preloaded with standings. */
export function createInMemoryCreditProvider(
  options: InMemoryCreditProviderOptions = {},
): InMemoryCreditProvider {
  const name = options.name ?? 'in-memory';
  const source = options.source ?? 'platform';
  const latencyMs = options.latencyMs ?? 0;
  if (!Number.isFinite(latencyMs) || latencyMs < 0) {
    throw new XinyiError('INVALID_OPTIONS', 'latencyMs must be a non-negative number');
  }
  const clock = options.clock ?? systemClock;
  type Stored = Omit<CreditStanding, 'source' | 'asOf'> & { asOf?: string };
  const map = new Map<string, Stored>(options.standings ?? []);
  let failing = false;

  const answer = (lookup: CreditLookup): CreditStanding | null => {
    if (failing) throw new XinyiError('CREDIT_UNAVAILABLE', `${name}: source is failing (simulated)`);
    const stored = lookup.subject ? map.get(lookup.subject.pseudonym) : undefined;
    if (!stored) return null;
    return {
      ...stored,
      lists: stored.lists.map((l) => ({ ...l })),
      source,
      asOf: stored.asOf ?? new Date(clock.now()).toISOString(),
    };
  };

  return {
    name,
    get size() {
      return map.size;
    },
    set: (pseudonym, standing) => void map.set(pseudonym, standing),
    delete: (pseudonym) => void map.delete(pseudonym),
    setFailing: (value) => {
      failing = value;
    },
    resolve(lookup) {
      if (latencyMs === 0) {
        try {
          return Promise.resolve(answer(lookup));
        } catch (error) {
          return Promise.reject(error);
        }
      }
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          clearTimeout(timer);
          reject(new XinyiError('CREDIT_TIMEOUT', `${name}: lookup aborted at the decision deadline`));
        };
        const timer = setTimeout(() => {
          lookup.signal.removeEventListener('abort', onAbort);
          try {
            resolve(answer(lookup));
          } catch (error) {
            reject(error);
          }
        }, latencyMs);
        lookup.signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
