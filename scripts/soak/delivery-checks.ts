// After the drain: losses and duplicates, from both journals on disk and what the platform received.
// A decision is lost when it was logged but not journalled, or journalled but never received; a key
// received twice is a duplicate unless the sender could not have known the first send arrived.
import { join } from 'node:path';
import { loadSqliteDriver } from '../../sdk/credit/snapshot-store.js';
import type { SoakReport } from './report-shape.js';
import type { SoakRun } from './run-state.js';

/** Mock platform faults that answer before the upload route runs (nothing is stored or counted). */
const ROUTE_SKIPPING_FAULTS = new Set(['timeout', 'drop', 'status', '429', 'malformed-json']);

type JournalRow = { id: string; uploaded_at: number | null };

export interface JournalRows {
  gateDecisions: JournalRow[];
  gateDisclosures: JournalRow[];
  checkoutDecisions: JournalRow[];
  checkoutDisclosures: JournalRow[];
}

/** Both journals' decision and disclosure rows, read from disk once their writers are closed. */
export async function readJournalRows(run: SoakRun): Promise<JournalRows> {
  const Driver = await loadSqliteDriver();
  const readRows = (path: string, sql: string) => {
    const db = new Driver(path, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).all() as JournalRow[];
    } finally {
      db.close();
    }
  };
  const gateJournal = join(run.dirs.gateData, 'journal.sqlite');
  const checkoutJournal = join(run.dirs.checkout, 'journal.sqlite');
  return {
    gateDecisions: readRows(gateJournal, 'SELECT id, uploaded_at FROM decisions'),
    gateDisclosures: readRows(gateJournal, 'SELECT id, uploaded_at FROM disclosures'),
    checkoutDecisions: readRows(checkoutJournal, 'SELECT id, uploaded_at FROM decisions'),
    checkoutDisclosures: readRows(checkoutJournal, 'SELECT id, uploaded_at FROM disclosures'),
  };
}

export interface DeliveryCheck {
  losses: SoakReport['losses'];
  duplicates: SoakReport['duplicates'];
  /** Keys received more than once with no reason the sender could see. */
  unexplainedKeys: string[];
  /** Ids of the gate decisions the daemon logged. */
  loggedIds: Set<string>;
}

export function checkDelivery(run: SoakRun, rows: JournalRows): DeliveryCheck {
  const {
    gateDecisions: gateRows,
    gateDisclosures,
    checkoutDecisions: checkoutRows,
    checkoutDisclosures,
  } = rows;
  const inGateJournal = new Set(gateRows.map((r) => r.id));
  const inCheckoutJournal = new Set(checkoutRows.map((r) => r.id));
  const loggedIds = new Set(run.gate.logged.map((l) => l.id));
  const received = run.site.platform.uploads.receivedByKey;
  const receivedOnce = (kind: 'decisions' | 'disclosures', id: string) => (received[kind].get(id) ?? 0) >= 1;
  const losses = {
    loggedNotInJournal: [...loggedIds].filter((id) => !inGateJournal.has(id)).length,
    checkoutNotInJournal: run.checkout.ids.filter((id) => !inCheckoutJournal.has(id)).length,
    gateNotUploaded: gateRows.filter((r) => !receivedOnce('decisions', r.id)).length,
    checkoutNotUploaded: checkoutRows.filter((r) => !receivedOnce('decisions', r.id)).length,
    disclosuresNotUploaded: [...gateDisclosures, ...checkoutDisclosures].filter(
      (r) => !receivedOnce('disclosures', r.id),
    ).length,
    total: 0,
  };
  losses.total =
    losses.loggedNotInJournal +
    losses.checkoutNotInJournal +
    losses.gateNotUploaded +
    losses.checkoutNotUploaded +
    losses.disclosuresNotUploaded;

  // A key received twice is explained when the sender could not have known the first send arrived:
  // its answer was lost (lost-response fault, dropped connection, no status), or the daemon that sent
  // it was SIGKILLed between that send and the next (it died before marking the batch uploaded).
  const kills = run.daemon.kills;
  const checkoutKeys = new Set([...checkoutRows, ...checkoutDisclosures].map((r) => r.id));
  const duplicates = { unexplained: 0, resentAfterLostAnswer: 0, resentAfterKill: 0, storedTwice: 0 };
  const unexplainedKeys: string[] = [];
  for (const kind of ['decisions', 'disclosures'] as const) {
    for (const [key, count] of received[kind]) {
      if (count <= 1) continue;
      // Only the sends that reached the upload route count: not those an injected 503, drop, timeout or
      // malformed answer stopped before it, nor a refused signature. A counted send with no status had its
      // answer lost: swallowed by the lost-response fault, or never delivered to a sender that died.
      const sends = (run.platform.sendsByKey.get(key) ?? []).filter(
        (s) =>
          !ROUTE_SKIPPING_FAULTS.has(s.record.fault ?? '') &&
          (s.record.status === undefined || s.record.status === 200 || s.record.status === 409),
      );
      for (let i = 1; i < sends.length; i++) {
        const before = sends[i - 1]!;
        const again = sends[i]!;
        const answered =
          before.record.status !== undefined &&
          before.record.status >= 200 &&
          before.record.status < 300 &&
          before.record.fault !== 'lost-response';
        if (!answered) duplicates.resentAfterLostAnswer++;
        else if (!checkoutKeys.has(key) && kills.some((k) => k >= before.at - 1_000 && k <= again.at)) {
          duplicates.resentAfterKill++;
        } else {
          duplicates.unexplained++;
          unexplainedKeys.push(key);
        }
      }
      // The counts must agree with the sends seen; a count above them is a send nobody accounted for.
      if (sends.length < count) {
        duplicates.unexplained += count - Math.max(sends.length, 1);
        unexplainedKeys.push(key);
      }
    }
  }
  return { losses, duplicates, unexplainedKeys, loggedIds };
}
