import type { CreditStanding } from '../domain/standing.js';
import type { CreditLookup, CreditResolver } from '../terminal/credit-resolver.js';
import type { SnapshotStore } from './snapshot-store.js';

/**
 * A {@link CreditResolver} named 'snapshot' that answers from an offline snapshot store: the standing
 * with `source: 'snapshot'` and `asOf` = the snapshot's generation time (so the policy pack's
 * `standingMaxAgeHours.snapshot` refuses a stale one), or null when the subject is unknown or the
 * lookup carries no pseudonym. A closed or unreadable store throws (`CLOSED`, `STORE_UNAVAILABLE`).
 */
export function createSnapshotResolver(store: Pick<SnapshotStore, 'lookup'>): CreditResolver {
  return {
    name: 'snapshot',
    resolve(lookup: CreditLookup): Promise<CreditStanding | null> {
      try {
        const pseudonym = lookup.subject?.pseudonym;
        if (pseudonym === undefined) return Promise.resolve(null);
        const found = store.lookup(pseudonym);
        if (found === null) return Promise.resolve(null);
        return Promise.resolve({
          tier: found.tier,
          lists: found.lists,
          source: 'snapshot',
          asOf: found.asOf,
          subjectType: found.subjectType,
        });
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}
