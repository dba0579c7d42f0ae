import { performance } from 'node:perf_hooks';
import { XinyiError } from '../errors.js';
import { AntiPassback } from '../gate/anti-passback.js';
import type { GateDirection } from '../gate/gate.js';
import type { JournalStore } from '../journal/journal-store.js';
import { createMemoryJournal } from '../journal/memory-journal.js';
import {
  countedCaps,
  emptyUsage,
  periodKey,
  validateKeyPart,
  validateQuery,
  validateTime,
  validateTtl,
} from './site-request.js';
import type {
  SiteCommitRequest,
  SiteCommitResult,
  SitePresence,
  SiteReserveRequest,
  SiteReserveResult,
  SiteState,
  SiteStoreInfo,
  SiteSubjectQuery,
  SiteUsage,
} from './site-state.js';

export interface InProcessSiteStateOptions {
  /**
   * Where committed uses are counted: the lane's journal, so the counters are the journal's usage
   * records and can be rebuilt from them. @default a memory journal of its own
   */
  journal?: Pick<JournalStore, 'usageCounts' | 'recordUse'>;
  /** Presences and presentations kept at most; the oldest are forgotten first. @default 100000 */
  maxEntries?: number;
}

interface Reservation {
  pseudonym: string;
  /** ruleId → the period key the reservation counts in. */
  periods: Map<string, string>;
  expiresAt: number;
}

/**
 * The site state of one lane, in this process (the default): committed uses are the journal's usage
 * counters (`journal.recordUse` / `usageCounts`), reservations, presentations and presences live in
 * memory. Every scope (`lane`, `site`, `city`) is this process. Share one instance between terminals
 * of one process and they share it all; lanes in other processes need `openSqliteSiteState` or
 * `openRedisSiteState`.
 */
export function createInProcessSiteState(options: InProcessSiteStateOptions = {}): SiteState {
  const journal = options.journal ?? createMemoryJournal();
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new XinyiError(
      'INVALID_OPTIONS',
      'createInProcessSiteState: maxEntries must be a positive integer',
    );
  }
  const reservations = new Map<string, Reservation>();
  const presentations = new Map<string, number>();
  const presence = new AntiPassback({ maxSubjects: maxEntries });
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new XinyiError('CLOSED', 'the in-process site state is closed');
  };
  const sweep = (now: number) => {
    for (const [id, r] of reservations) if (r.expiresAt <= now) reservations.delete(id);
  };
  const count = (query: SiteSubjectQuery, except?: string): SiteUsage => {
    const used = journal.usageCounts(query.pseudonym, query.now);
    const usage = emptyUsage(query.caps);
    for (const cap of query.caps) {
      const entry = usage[cap.ruleId]!;
      entry.used = used[cap.ruleId]?.[cap.period] ?? 0;
      const period = periodKey(cap.period, query.now);
      for (const [id, r] of reservations) {
        if (id !== except && r.pseudonym === query.pseudonym && r.periods.get(cap.ruleId) === period) {
          entry.pending++;
        }
      }
    }
    return usage;
  };

  return {
    kind: 'in-process',
    async usage(query) {
      assertOpen();
      validateQuery(query);
      sweep(query.now);
      return count(query);
    },
    async reserve(request: SiteReserveRequest): Promise<SiteReserveResult> {
      assertOpen();
      validateQuery(request);
      validateKeyPart(request.reservationId, 'reservationId');
      validateTtl(request.ttlMs, 'ttlMs');
      const counted = countedCaps(request);
      sweep(request.now);
      const usage = count({ ...request, caps: counted }, request.reservationId);
      const full = request.caps
        .filter((cap) => usage[cap.ruleId]!.used + usage[cap.ruleId]!.pending >= cap.limit)
        .map((cap) => cap.ruleId);
      if (full.length > 0) return { ok: false, full, usage };
      reservations.set(request.reservationId, {
        pseudonym: request.pseudonym,
        periods: new Map(request.caps.map((cap) => [cap.ruleId, periodKey(cap.period, request.now)])),
        expiresAt: request.now + request.ttlMs,
      });
      return { ok: true, usage };
    },
    async commit(request: SiteCommitRequest): Promise<SiteCommitResult> {
      assertOpen();
      validateQuery(request);
      validateKeyPart(request.reservationId, 'reservationId');
      reservations.delete(request.reservationId);
      const counted: string[] = [];
      for (const cap of request.caps) {
        const added = journal.recordUse({
          decisionId: request.reservationId,
          pseudonym: request.pseudonym,
          scene: request.scene,
          ruleIds: [cap.ruleId],
          at: request.now,
        });
        if (added > 0) counted.push(cap.ruleId);
      }
      const usage = count(request);
      const overLimit = counted.filter((ruleId) => {
        const cap = request.caps.find((c) => c.ruleId === ruleId)!;
        return usage[ruleId]!.used > cap.limit;
      });
      return { counted, overLimit, usage };
    },
    async release(request) {
      assertOpen();
      validateQuery(request);
      validateKeyPart(request.reservationId, 'reservationId');
      reservations.delete(request.reservationId);
    },
    async markPresentation(request) {
      assertOpen();
      validateKeyPart(request.pseudonym, 'pseudonym');
      validateKeyPart(request.presentationId, 'presentationId');
      validateTime(request.now, 'now');
      validateTtl(request.ttlMs, 'ttlMs');
      const key = `${request.pseudonym}\u0000${request.presentationId}`;
      const expiresAt = presentations.get(key);
      if (expiresAt !== undefined && expiresAt > request.now) return false;
      presentations.delete(key);
      presentations.set(key, request.now + request.ttlMs);
      // Insertion order is (nearly) expiry order: drop the expired, then the oldest past the bound.
      for (const [k, at] of presentations) {
        if (at > request.now && presentations.size <= maxEntries) break;
        presentations.delete(k);
      }
      return true;
    },
    async presence(pseudonym: string, now: number): Promise<SitePresence> {
      assertOpen();
      validateKeyPart(pseudonym, 'pseudonym');
      validateTime(now, 'now');
      return presence.presence(pseudonym, now);
    },
    async recordPassage(pseudonym: string, direction: GateDirection, now: number) {
      assertOpen();
      validateKeyPart(pseudonym, 'pseudonym');
      validateTime(now, 'now');
      if (direction !== 'entry' && direction !== 'exit') {
        throw new XinyiError('INVALID_ARGUMENT', "site state: direction must be 'entry' or 'exit'", {
          details: { field: 'direction' },
        });
      }
      presence.record(pseudonym, direction, now);
    },
    async ping(): Promise<SiteStoreInfo> {
      const started = performance.now();
      assertOpen();
      return { kind: 'in-process', latencyMs: performance.now() - started };
    },
    async close() {
      closed = true;
      reservations.clear();
      presentations.clear();
    },
  };
}
