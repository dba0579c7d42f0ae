// A SiteState in front of a real one, with an outage switch: `down` rejects every call as an
// unreachable server would, `hang` never answers (a partition with no RST). Counts the calls made.
import { XinyiError } from '../../../sdk/errors.js';
import type { SiteState } from '../../../sdk/site/site-state.js';

export interface FaultySiteState extends SiteState {
  mode: 'up' | 'down' | 'hang';
  readonly calls: number;
}

export function faultySiteState(inner: SiteState): FaultySiteState {
  let calls = 0;
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      calls++;
      if (store.mode === 'down') {
        return Promise.reject(
          new XinyiError('SITE_STATE_UNAVAILABLE', 'connect ECONNREFUSED', {
            details: { reason: 'connection' },
          }),
        );
      }
      if (store.mode === 'hang') return new Promise<R>(() => {});
      return fn(...args);
    };
  const store: FaultySiteState = {
    mode: 'up',
    get kind() {
      return 'redis' as const;
    },
    get calls() {
      return calls;
    },
    usage: wrap((q) => inner.usage(q)),
    reserve: wrap((r) => inner.reserve(r)),
    commit: wrap((r) => inner.commit(r)),
    release: wrap((r) => inner.release(r)),
    markPresentation: wrap((r) => inner.markPresentation(r)),
    presence: wrap((p, now) => inner.presence(p, now)),
    recordPassage: wrap((p, d, now) => inner.recordPassage(p, d, now)),
    ping: wrap(() => inner.ping()),
    close: () => inner.close(),
  };
  return store;
}
