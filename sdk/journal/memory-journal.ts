import { type Clock, shanghaiDate, systemClock } from '../clock.js';
import type { Decision } from '../domain/decision.js';
import { XinyiError } from '../errors.js';
import type { UsageCounts } from '../policy/evaluate.js';
import { type ChainKey, type ChainKind, type ChainLink, nextChainLink } from './journal-chain.js';
import {
  type PreparedDisclosure,
  prepareDecision,
  prepareEvent,
  prepareUse,
  validateLimit,
  validatePseudonym,
  validateTime,
} from './journal-entry.js';
import type {
  DisclosureRecord,
  JournalDecisionEntry,
  JournalDecisionRecord,
  JournalEventInput,
  JournalEventRecord,
  JournalStore,
  OutboxItem,
  RetentionPolicy,
  RetentionRecordType,
  UploadRecordKind,
  UsageRecord,
} from './journal-store.js';
import { retentionCutoffs } from './retention.js';
import { tallyUsage } from './usage-periods.js';

export interface MemoryJournalOptions {
  /** Source of `committedAt`. @default systemClock */
  clock?: Clock;
  /** Signs chain heads, as in the SQLite journal (docs/journal.md §12). */
  chainKey?: ChainKey;
}

interface Row {
  id: string;
  seq: number;
  committedAt: number;
  uploadedAt: number | null;
  /** The time retention is measured from: the decision time, or the grant time of a disclosure. */
  atMs: number;
  /** Kept as JSON, like the SQLite store, so a caller mutating its objects never changes the journal. */
  json: string;
  chain: ChainLink;
}

interface DecisionRow extends Row {
  terminalId: string;
}

interface DisclosureRow extends Row {
  dueDate: string;
}

interface UseRow {
  pseudonym: string;
  ruleId: string;
  at: number;
}

interface EventRow {
  seq: number;
  kind: string;
  at: number;
  decisionId?: string;
  detailJson: string | null;
}

/**
 * A `JournalStore` in memory: the same contract as the SQLite journal (it passes the same suite),
 * without durability. For tests, demos and terminals that must not write to disk.
 */
export function createMemoryJournal(options: MemoryJournalOptions = {}): JournalStore {
  if (options === null || typeof options !== 'object') {
    throw new XinyiError('INVALID_OPTIONS', 'options must be an object');
  }
  return new MemoryJournal(options.clock ?? systemClock, options.chainKey);
}

class MemoryJournal implements JournalStore {
  readonly kind = 'memory';
  readonly #clock: Clock;
  // Maps iterate in insertion order, which is commit order: the outbox needs nothing more.
  readonly #decisions = new Map<string, DecisionRow>();
  readonly #disclosures = new Map<string, DisclosureRow>();
  // The outbox: records not yet uploaded, in commit order. Marking deletes, so the backlog is the
  // map's size and the oldest its first entry, without a walk over what was already uploaded.
  readonly #pending: Record<UploadRecordKind, Map<string, Row>> = {
    decisions: new Map(),
    disclosures: new Map(),
  };
  readonly #uses = new Map<string, UseRow>();
  #events: EventRow[] = [];
  // Like SQLite AUTOINCREMENT: never reused, even after a purge emptied the table.
  #decisionSeq = 0;
  #disclosureSeq = 0;
  #eventSeq = 0;
  #closed = false;
  readonly #chainKey: ChainKey | undefined;
  /** Each chain's head, by `kind \n terminalId`. Uses are not chained here: nothing survives the process to tamper with. */
  readonly #heads = new Map<string, { seq: number; hash: string }>();

  constructor(clock: Clock, chainKey: ChainKey | undefined) {
    this.#clock = clock;
    this.#chainKey = chainKey;
  }

  #link(terminalId: string, kind: ChainKind, recordCanonicalJson: string): ChainLink {
    const key = `${kind}\n${terminalId}`;
    const link = nextChainLink(this.#chainKey, terminalId, kind, this.#heads.get(key), recordCanonicalJson);
    this.#heads.set(key, { seq: link.seq, hash: link.hash });
    return link;
  }

  #assertOpen(): void {
    if (this.#closed) throw new XinyiError('CLOSED', 'the journal is closed');
  }

  /** Memory always takes a write: only a closed journal refuses. */
  probeWrite(): void {
    this.#assertOpen();
  }

  commitDecision(entry: JournalDecisionEntry): void {
    this.#assertOpen();
    const prepared = prepareDecision(entry, 'canonical');
    if (this.#decisions.has(prepared.id)) return;
    const committedAt = this.#clock.now();
    const decision: DecisionRow = {
      id: prepared.id,
      seq: ++this.#decisionSeq,
      committedAt,
      uploadedAt: null,
      atMs: prepared.atMs,
      json: prepared.decisionJson,
      terminalId: prepared.terminalId,
      chain: this.#link(prepared.terminalId, 'decisions', prepared.decisionJson),
    };
    this.#decisions.set(decision.id, decision);
    this.#pending.decisions.set(decision.id, decision);
    this.#keepDisclosures(prepared.disclosures, committedAt);
  }

  #keepDisclosures(disclosures: readonly PreparedDisclosure[], committedAt: number): void {
    for (const d of disclosures) {
      if (this.#disclosures.has(d.id)) continue;
      const disclosure: DisclosureRow = {
        id: d.id,
        seq: ++this.#disclosureSeq,
        committedAt,
        uploadedAt: null,
        atMs: d.grantedAtMs,
        json: d.recordJson,
        dueDate: d.dueDate,
        chain: this.#link(d.terminalId, 'disclosures', d.recordJson),
      };
      this.#disclosures.set(disclosure.id, disclosure);
      this.#pending.disclosures.set(disclosure.id, disclosure);
    }
  }

  getDecision(id: string): JournalDecisionRecord | undefined {
    this.#assertOpen();
    const row = this.#decisions.get(id);
    if (row === undefined) return undefined;
    return {
      decision: JSON.parse(row.json) as Decision,
      terminalId: row.terminalId,
      seq: row.seq,
      committedAt: row.committedAt,
      uploadedAt: row.uploadedAt,
    };
  }

  recordUse(use: UsageRecord): number {
    this.#assertOpen();
    const disclosures = prepareUse(use, 'canonical');
    let added = 0;
    for (const ruleId of use.ruleIds) {
      const key = `${use.decisionId}\u0000${ruleId}`;
      if (this.#uses.has(key)) continue;
      this.#uses.set(key, { pseudonym: use.pseudonym, ruleId, at: use.at });
      added++;
    }
    this.#keepDisclosures(disclosures, this.#clock.now());
    return added;
  }

  usageCounts(pseudonym: string, now: number): UsageCounts {
    this.#assertOpen();
    validatePseudonym(pseudonym);
    validateTime(now, 'now');
    const mine: UseRow[] = [];
    for (const u of this.#uses.values()) if (u.pseudonym === pseudonym) mine.push(u);
    return tallyUsage(mine, now);
  }

  appendEvent(event: JournalEventInput): void {
    this.#assertOpen();
    const detailJson = prepareEvent(event);
    const row: EventRow = { seq: ++this.#eventSeq, kind: event.kind, at: event.at, detailJson };
    if (event.decisionId !== undefined) row.decisionId = event.decisionId;
    this.#events.push(row);
  }

  events(options: { limit?: number; kind?: string } = {}): JournalEventRecord[] {
    this.#assertOpen();
    const limit = options.limit === undefined ? undefined : validateLimit(options.limit, 'limit');
    let rows =
      options.kind === undefined ? this.#events : this.#events.filter((e) => e.kind === options.kind);
    if (limit !== undefined) rows = limit === 0 ? [] : rows.slice(-limit);
    return rows.map((e) => {
      const record: JournalEventRecord = { seq: e.seq, kind: e.kind, at: e.at };
      if (e.decisionId !== undefined) record.decisionId = e.decisionId;
      if (e.detailJson !== null) record.detail = JSON.parse(e.detailJson);
      return record;
    });
  }

  pendingUploads(kind: UploadRecordKind, limit: number): OutboxItem[] {
    this.#assertOpen();
    validateLimit(limit, 'limit');
    const items: OutboxItem[] = [];
    if (limit === 0) return items;
    const pending = this.#outbox(kind);
    for (const row of pending.values()) {
      const payload =
        kind === 'decisions'
          ? JSON.parse(
              `{"terminalId":${JSON.stringify((row as DecisionRow).terminalId)},"decision":${row.json}}`,
            )
          : JSON.parse(row.json);
      items.push({
        id: row.id,
        seq: row.seq,
        committedAt: row.committedAt,
        payload,
        chain: { ...row.chain },
      });
      if (items.length === limit) break;
    }
    return items;
  }

  #outbox(kind: UploadRecordKind): Map<string, Row> {
    if (kind === 'decisions' || kind === 'disclosures') return this.#pending[kind];
    throw new XinyiError('INVALID_ARGUMENT', 'kind must be decisions or disclosures', {
      details: { field: 'kind' },
    });
  }

  markUploaded(kind: UploadRecordKind, ids: readonly string[], at: number): void {
    this.#assertOpen();
    const pending = this.#outbox(kind);
    validateTime(at, 'at');
    if (!Array.isArray(ids)) throw new XinyiError('INVALID_ARGUMENT', 'ids must be an array');
    for (const id of ids) {
      const row = pending.get(id);
      if (row === undefined) continue;
      row.uploadedAt = at;
      pending.delete(id);
    }
  }

  backlog(): Record<UploadRecordKind, { count: number; oldestAt: number | null }> {
    this.#assertOpen();
    const of = (pending: Map<string, Row>) => ({
      count: pending.size,
      oldestAt: pending.values().next().value?.committedAt ?? null,
    });
    return { decisions: of(this.#pending.decisions), disclosures: of(this.#pending.disclosures) };
  }

  overdueDisclosures(now: number): DisclosureRecord[] {
    this.#assertOpen();
    const today = shanghaiDate(validateTime(now, 'now'));
    const overdue: DisclosureRecord[] = [];
    for (const row of this.#disclosures.values()) {
      if (row.uploadedAt === null && row.dueDate < today) overdue.push(JSON.parse(row.json));
    }
    return overdue;
  }

  purge(now: number, retention: RetentionPolicy): Record<RetentionRecordType, number> {
    this.#assertOpen();
    const cutoff = retentionCutoffs(now, retention);
    const deleted: Record<RetentionRecordType, number> = {
      decisions: 0,
      disclosures: 0,
      events: 0,
      usage: 0,
    };
    const purgeUploaded = (table: Map<string, Row>, before: number): number => {
      let n = 0;
      for (const [id, row] of table) {
        if (row.uploadedAt !== null && row.atMs < before) {
          table.delete(id);
          n++;
        }
      }
      return n;
    };
    deleted.decisions = purgeUploaded(this.#decisions, cutoff.decisions);
    deleted.disclosures = purgeUploaded(this.#disclosures, cutoff.disclosures);
    const keptEvents = this.#events.filter((e) => e.at >= cutoff.events);
    deleted.events = this.#events.length - keptEvents.length;
    this.#events = keptEvents;
    for (const [key, use] of this.#uses) {
      if (use.at < cutoff.usage) {
        this.#uses.delete(key);
        deleted.usage++;
      }
    }
    return deleted;
  }

  counts(): Record<RetentionRecordType, number> {
    this.#assertOpen();
    return {
      decisions: this.#decisions.size,
      disclosures: this.#disclosures.size,
      events: this.#events.length,
      usage: this.#uses.size,
    };
  }

  close(): void {
    this.#closed = true;
  }
}
