import type { SceneId } from '../domain/scenes.js';
import type { GateDirection } from '../gate/gate.js';

/**
 * How far a per-subject cap reaches: this lane alone, every lane of the site (the default), or every
 * site sharing the store (a city-wide Redis). A store enforces a scope only as far as it is shared:
 * the in-process store is one process, a SQLite file one host.
 */
export type CapScope = 'lane' | 'site' | 'city';

/** The Asia/Shanghai period a cap counts in. */
export type CapPeriod = 'day' | 'month' | 'year';

/** One pack rule's per-subject cap, as the site store counts it (`cap.perSubject` of the rule). */
export interface SiteCap {
  ruleId: string;
  period: CapPeriod;
  /** Uses allowed per subject and period (`cap.perSubject.count`). */
  limit: number;
  scope: CapScope;
}

/** What a site-store call is about: one subject, the caps in question, the lane asking, the time. */
export interface SiteSubjectQuery {
  /** The holder's keyed pseudonym (ID card, member code or credit-code holder): never a code text. */
  pseudonym: string;
  /** The lane asking (its terminal id): the key of `lane`-scoped caps. */
  laneId: string;
  caps: readonly SiteCap[];
  /**
   * Epoch ms of the use or decision: the day, month and year counted are the Asia/Shanghai ones
   * containing it.
   */
  now: number;
}

/** One cap's count for the subject in its period: committed uses, and openings still pending. */
export interface CapCount {
  used: number;
  /** Live reservations (pending openings) that count against the cap until committed or released. */
  pending: number;
}

/** Counts per rule id, for the caps asked about. */
export type SiteUsage = Record<string, CapCount>;

export interface SiteReserveRequest extends SiteSubjectQuery {
  /** The decision id: one reservation per decision, committed or released under the same id. */
  reservationId: string;
  /** After this long the reservation lapses by itself (a lane killed with its opening pending). */
  ttlMs: number;
  /**
   * Caps counted but not reserved, read in the same atomic step: the other caps of the decision's
   * scene, so that one call brings the lane every count it decides with. A cap also in `caps` is
   * counted once.
   */
  alsoCount?: readonly SiteCap[];
}

export type SiteReserveResult =
  /**
   * Every cap had room: each now holds one pending use under `reservationId`. `usage`: the counts of
   * `caps` and `alsoCount` just before, not counting this reservation.
   */
  | { ok: true; usage: SiteUsage }
  /**
   * At least one cap was full (`full`): nothing was reserved; `usage` is the counts that refused it
   * (of `caps` and `alsoCount`).
   */
  | { ok: false; full: string[]; usage: SiteUsage };

export interface SiteCommitRequest extends SiteSubjectQuery {
  /** The decision id (whether or not it holds a reservation). */
  reservationId: string;
  scene: SceneId;
}

export interface SiteCommitResult {
  /** Rules whose use was newly counted (a repeated commit counts nothing). */
  counted: string[];
  /**
   * Rules whose count went past the limit with this use: a double grant (granted by a lane that could
   * not reach the store, or confirmed after its reservation lapsed). The use is counted all the same.
   */
  overLimit: string[];
  /** The counts after this commit. */
  usage: SiteUsage;
}

/** Where a holder is by their last passage today, for anti-passback: undefined when nowhere (or a new day). */
export type SitePresence = GateDirection | undefined;

/** What `ping()` learns about the store. */
export interface SiteStoreInfo {
  kind: SiteStateKind;
  /** The server's version (Redis `redis_version`, SQLite `sqlite_version()`), when there is a server. */
  version?: string;
  /** Round trip of the ping, in ms. */
  latencyMs: number;
  /** Redis: the role of the node answering (`master`), and whether it persists writes (`aof`, `rdb`, `none`). */
  role?: string;
  persistence?: string;
}

export type SiteStateKind = 'in-process' | 'sqlite' | 'redis';

/**
 * The state a site's lanes share: per-subject usage counters per Asia/Shanghai day, month and year
 * with atomic check-and-reserve, a replay set for credit-code presentations, and anti-passback
 * presence. Everything is keyed by the holder's pseudonym, and every entry expires (a counter at the
 * end of its period, a reservation after its TTL, a presentation after its window, a presence at the
 * end of the day), so the store never grows without bound.
 *
 * Three implementations pass one contract suite: `createInProcessSiteState` (one lane, the default;
 * its counters are the journal's), `openSqliteSiteState` (several daemons on one host) and
 * `openRedisSiteState` (several hosts; Sentinel or Cluster for failover).
 *
 * Every method is async and rejects with `SITE_STATE_UNAVAILABLE` when the store cannot answer; the
 * lane (`createTerminal({ siteState })`) bounds each call by its budget and decides from local state
 * meanwhile. Bad arguments reject with `INVALID_ARGUMENT`.
 */
export interface SiteState {
  readonly kind: SiteStateKind;
  /** Committed and pending counts of each cap, for the policy before it decides. */
  usage(query: SiteSubjectQuery): Promise<SiteUsage>;
  /**
   * Atomically: when every cap has `used + pending < limit`, holds one pending use in each under
   * `reservationId` until `ttlMs` from now; otherwise reserves nothing and says which were full.
   * Either way it answers the counts of `caps` and `alsoCount` as they were (one round trip for a
   * lane's decision: Redis runs it as one script). Reserving again under the same id renews the
   * reservation and is never refused by itself.
   */
  reserve(request: SiteReserveRequest): Promise<SiteReserveResult>;
  /**
   * Counts the use of each cap (the person went through, the sale completed) and drops the reservation
   * held under the same id. Idempotent per (reservationId, rule). Counts even when no reservation is held
   * or the cap is full: a use that happened is never lost, and one past the limit is `overLimit`.
   */
  commit(request: SiteCommitRequest): Promise<SiteCommitResult>;
  /** Drops the reservation (nobody went through). Unknown or committed ids are ignored. */
  release(request: SiteSubjectQuery & { reservationId: string }): Promise<void>;
  /**
   * Records a credit-code presentation for `ttlMs`. Resolves true the first time, false when the same
   * presentation (`presentationId`, which names the holder and the presentation time) was already seen
   * at any lane within its TTL: a replay.
   */
  markPresentation(request: {
    pseudonym: string;
    presentationId: string;
    now: number;
    ttlMs: number;
  }): Promise<boolean>;
  /** The holder's last passage direction today (Asia/Shanghai), across the site's lanes. */
  presence(pseudonym: string, now: number): Promise<SitePresence>;
  /** Records a confirmed passage; forgotten at the end of the day. */
  recordPassage(pseudonym: string, direction: GateDirection, now: number): Promise<void>;
  /** Reachability, latency and version, for `xinyi doctor` and `gate --check`. */
  ping(): Promise<SiteStoreInfo>;
  close(): Promise<void>;
}
