// The checkout terminal, in the soak's own process, on the same platform as the gate: HTTP platform
// client with signed lookup answers, an offline snapshot kept by platform sync, a SQLite journal and
// its uploader. Its error log lines are counted into the run's checkout tally.
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import {
  createHttpPlatformResolver,
  createJsonLogger,
  createPlatformSync,
  createSnapshotResolver,
  createSqliteJournal,
  createTerminal,
  createUploader,
  type JournalStore,
  openSnapshotStore,
  type PlatformSync,
  type SnapshotStore,
  type Terminal,
  type Uploader,
} from '../../sdk/index.js';
import { bump } from './helpers.js';
import { DECISION_DEADLINE_MS } from './limits.js';
import type { SoakRun } from './run-state.js';

export interface CheckoutTerminal {
  readonly terminal: Terminal;
  readonly journal: JournalStore;
  readonly uploader: Uploader;
  readonly sync: PlatformSync;
  readonly store: SnapshotStore;
  /** `logs/checkout.log`. */
  readonly log: WriteStream;
}

/** Opens the checkout terminal, syncs its snapshot once, and starts its sync and uploader. */
export async function startCheckout(run: SoakRun): Promise<CheckoutTerminal> {
  const { site } = run;
  const checkoutDir = run.dirs.checkout;
  const checkoutLog = createWriteStream(join(run.dirs.logs, 'checkout.log'));
  const checkoutLogger = createJsonLogger({ level: 'info', write: (line) => checkoutLog.write(line) });
  const checkoutLoggerCounting = {
    ...checkoutLogger,
    error(obj: object, msg?: string) {
      bump(run.checkout.errorLines, String(msg));
      checkoutLogger.error(obj, msg);
    },
  };
  const http = createHttpPlatformResolver({
    baseUrl: site.platform.url,
    keyId: site.description.platformKeyId,
    secret: readFileSync(site.description.files.platformSecret, 'utf8').trim(),
    terminalId: 'pos-soak-01',
    timeoutMs: 200,
    // Lookup answers are signed: verified with the trust list the sync below keeps.
    getTrustList: () => sync.getTrustList(),
    logger: checkoutLoggerCounting,
  });
  const store = await openSnapshotStore({ path: join(checkoutDir, 'snapshot.sqlite') });
  const sync = createPlatformSync({
    platform: http,
    rootPublicKey: site.platform.issuer.rootPublicKey,
    snapshotPublicKeys: site.platform.snapshotPublicKey,
    store,
    intervalMs: 5_000,
    statusListIntervalMs: 5_000,
    cache: { dir: join(checkoutDir, 'cache') },
    logger: checkoutLoggerCounting,
  });
  await sync.syncOnce();
  sync.start();
  const journal = await createSqliteJournal({
    path: join(checkoutDir, 'journal.sqlite'),
    logger: checkoutLoggerCounting,
  });
  const uploader = createUploader({
    journal,
    platform: http,
    logger: checkoutLoggerCounting,
  });
  const terminal = createTerminal({
    terminalId: 'pos-soak-01',
    scene: 'supermarket-checkout',
    pseudonymizer: run.pseudonymizer,
    credit: [http, createSnapshotResolver(store)],
    journal,
    uploader,
    decisionDeadlineMs: DECISION_DEADLINE_MS,
    logger: checkoutLoggerCounting,
  });
  uploader.start();
  return { terminal, journal, uploader, sync, store, log: checkoutLog };
}
