import { accessSync, constants, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { deviceOpenError, needsOperator, SERIAL_PORT_HINTS } from '../../adapters/device-open-error.js';
import { loadNativeModule } from '../../adapters/native.js';
import { reconnectPolicy, reopenWithBackoff, Sleeper } from '../../adapters/reconnect.js';
import type { CalendarCoverage } from '../../sdk/calendar/coverage.js';
import type { Clock } from '../../sdk/clock.js';
import { systemClock } from '../../sdk/clock.js';
import { clearSpool } from '../../sdk/credit/bounded-body.js';
import { DEFAULT_MAX_STATUS_AGE_MS } from '../../sdk/credit/credit-code.js';
import { createCreditCodeResolver } from '../../sdk/credit/credit-code-resolver.js';
import { type CreditMaterialHealth, creditMaterialHealth } from '../../sdk/credit/credit-health.js';
import { createHttpPlatformResolver, type HttpPlatformResolver } from '../../sdk/credit/http-platform.js';
import { createPlatformSync, type PlatformSync } from '../../sdk/credit/platform-sync.js';
import { createSnapshotResolver } from '../../sdk/credit/snapshot-resolver.js';
import { openSnapshotStore, type SnapshotStore } from '../../sdk/credit/snapshot-store.js';
import { createTerminalMetrics, type TerminalMetrics } from '../../sdk/diagnostics/terminal-metrics.js';
import type { DocumentKeeper, DocumentKeeperStatus } from '../../sdk/documents/document-keeper.js';
import type { SceneId } from '../../sdk/domain/scenes.js';
import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import type { GateController } from '../../sdk/gate/gate-controller.js';
import type { ChainKey } from '../../sdk/journal/journal-chain.js';
import type { JournalStore } from '../../sdk/journal/journal-store.js';
import { startRetentionSchedule } from '../../sdk/journal/retention.js';
import { createSqliteJournal } from '../../sdk/journal/sqlite-journal.js';
import { createUploader, type Uploader } from '../../sdk/journal/uploader.js';
import type { Logger } from '../../sdk/logger.js';
import { backoffDelayMs } from '../../sdk/retry/backoff.js';
import { retryLoop, timerSleep } from '../../sdk/retry/retry-loop.js';
import type { SiteLinkStatus } from '../../sdk/site/site-link.js';
import type { CreditResolver } from '../../sdk/terminal/credit-resolver.js';
import { createTerminal } from '../../sdk/terminal/terminal.js';
import type { Terminal } from '../../sdk/terminal/terminal-contract.js';
import { configPath, readSecret, readSecretBytes, redactConfig, type TerminalHostConfig } from './config.js';
import {
  createSourcesFromConfig,
  type DeviceEndpoint,
  deviceEndpoints,
  type ManagedSource,
  nativeModulesFor,
} from './devices.js';
import {
  createDaemonDocuments,
  DEFAULT_DOCUMENT_CHECK_MS,
  documentAlarms,
  documentFiles,
  watchDaemonDocuments,
} from './documents.js';
import { acquireLock, deviceLockDir, deviceLockFile } from './instance-lock.js';
import { checkSecretFiles, listenError, lockDownDataDir, pseudonymizerFromConfig } from './local-files.js';
import { registerProcessMetrics } from './process-metrics.js';
import { describeSite, openSiteStore, siteLaneOptions } from './site-store.js';

/**
 * A terminal host: the terminal with everything a long-running process gives it — journal, credit
 * chain (credit code → platform → snapshot), documents, uploader, site store, devices opened in the
 * background, retention, metrics and a local HTTP port. The gate daemon (`xinyi gate`, daemon.ts)
 * adds a gate lane to it; `xinyi serve` (cli/serve/) adds the local API for a POS.
 */

export interface TerminalHostOptions {
  config: TerminalHostConfig;
  /** The configuration file's folder: relative paths in it are relative to this. */
  baseDir: string;
  logger: Logger;
  /** Aborts a start that is still waiting for the journal (SIGTERM before the host is up). */
  signal?: AbortSignal;
  /**
   * The host's time source, for a simulation that shares one clock between the host and its
   * simulated platform. @default the system clock, shifted to `config.clock.startAt` when set
   */
  clock?: Clock;
  /** Decision ids; `xinyi serve` gives its own to tie an idempotency key to the decision it made. */
  newDecisionId?: () => string;
  /**
   * The name of the gate the caller drives on `config.devices.gate` (the gate daemon): its link is
   * locked and checked at start with the other devices. The host neither creates nor opens it.
   */
  gateName?: string;
  /** Who this process is, in a refusal another one gets for a lock it holds. @default 'a gate daemon' */
  lockHolder?: string;
}

/** What `/health` reports of any terminal host; the gate daemon adds its lane. */
export interface TerminalHostHealth {
  status: 'ok' | 'degraded';
  terminalId: string;
  uptimeSeconds: number;
  devices: Record<string, string>;
  /**
   * Why a device is not `ready`, while it is not: the error code (`DEVICE_NOT_FOUND`,
   * `DEVICE_PERMISSION_DENIED`, `DEVICE_BUSY`, …), its message, the path, the errno and the system's
   * own words, since when, and whether the host keeps trying (`false`: the operator must act).
   */
  deviceProblems: Record<string, DeviceProblem>;
  creditSourcesOffline: string[];
  /** The platform sync's own entry (never a credit source): `failing` until a run succeeds again. */
  sync?: SyncHealth;
  uploader: string;
  backlog: Record<string, { count: number; oldestAt: number | null }>;
  overdueDisclosures: number;
  alarms: string[];
  /**
   * Conditions that do not stop the lane but that an operator should know of:
   * `platform-insecure-http` (the platform is reached over plain http by `allowInsecureHttp`).
   */
  warnings: string[];
  /** The offline credit material (trust and status lists) and the sync keeping it; absent without a platform. */
  credit?: CreditMaterialHealth;
  /** How far the calendar's official arrangements reach (the `calendar-coverage` alarm: within 60 days). */
  calendar: CalendarCoverage & { version: string };
  /** The pack in force and the packs staged after it. */
  policy: DocumentKeeperStatus['policy'];
  /** The site store shared with the other lanes, and how the link to it fares. */
  site: SiteLinkStatus | null;
}

export interface TerminalHost {
  readonly terminal: Terminal;
  readonly journal: JournalStore;
  readonly clock: Clock;
  /** The readers and scanners of the configuration: attach them before `serve()`, which starts opening them. */
  readonly sources: readonly ManagedSource[];
  readonly uploader: Uploader | undefined;
  readonly documents: DocumentKeeper;
  /** Every device's last reported state, by name (a device added with `addDevice` too). */
  readonly devices: Map<string, string>;
  /**
   * Opens a device in the background until it answers; `close()` stops trying, waits for the attempt
   * to end, then closes it with `close`.
   */
  keepOpening(name: string, open: () => Promise<void>, close: () => Promise<void>): void;
  /** Runs at `close()`, before what the host opened itself is closed (last added, first run). */
  onClose(cleanup: () => Promise<void> | void): void;
  health(): TerminalHostHealth;
  /** `/diagnostics`: the terminal's, the health, the configuration redacted, sync, documents, uploader. */
  diagnostics(): Record<string, unknown>;
  /**
   * Starts opening the readers and scanners in the background, registers the metrics (with the gate
   * lanes given), listens on `config.http` with `handler`, starts the sync and the uploader; resolves
   * with `http://host:port`. Once.
   */
  serve(options: {
    handler: (req: IncomingMessage, res: ServerResponse) => void;
    gates?: readonly GateController[];
    /** Runs on every upgrade request (a WebSocket). */
    onUpgrade?: (req: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => void;
  }): Promise<{ url: string; server: Server }>;
  /** `/metrics`' exposition text; empty before `serve()`. */
  renderMetrics(): string;
  /** One last try (at most `timeoutMs`) to hand over what is committed; resolves with what stays. */
  flushUploads(timeoutMs: number): Promise<number>;
  /** Closes everything in the reverse order it was opened. */
  close(): Promise<void>;
}

/** A device that could not be opened, as `/health` and `/diagnostics` show it. */
export interface DeviceProblem {
  code: string;
  message: string;
  path?: string;
  reason?: string;
  osMessage?: string;
  since: string;
  attempts: number;
  retrying: boolean;
}

/** Consecutive open failures that need the operator (permission, a missing module) before the host stops retrying. */
const OPERATOR_FAILURES_BEFORE_GIVING_UP = 3;

/**
 * Before anything is opened: the native modules the devices need load (else `NATIVE_MODULE_UNAVAILABLE`
 * with the install command), and every serial port that exists may be read and written by this user
 * (else `DEVICE_PERMISSION_DENIED`). A port that does not exist yet is not a reason to stop: it is
 * opened when it appears.
 */
async function checkDevicesBeforeStart(
  config: TerminalHostConfig,
  endpoints: DeviceEndpoint[],
): Promise<void> {
  for (const name of nativeModulesFor(config.devices)) await loadNativeModule(name);
  for (const { serialPath } of endpoints) {
    if (serialPath === undefined) continue;
    try {
      accessSync(serialPath, constants.R_OK | constants.W_OK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw deviceOpenError('serial port', serialPath, error, SERIAL_PORT_HINTS);
    }
  }
}

/** `/health`'s sync entry. */
export interface SyncHealth {
  /** `ok`: the last run succeeded; `failing`: it failed (clears at the next good run); `pending`: no run ended yet. */
  state: 'ok' | 'failing' | 'pending';
  lastSuccessAt: string | null;
  lastFailure: { code: string; part: string; at: string } | null;
}

function syncHealthOf(sync: PlatformSync | undefined): SyncHealth | undefined {
  if (sync === undefined) return undefined;
  const status = sync.status();
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  let state: SyncHealth['state'] = 'pending';
  if (status.consecutiveFailures > 0) state = 'failing';
  else if (status.lastSuccessAt !== null) state = 'ok';
  return {
    state,
    lastSuccessAt: iso(status.lastSuccessAt),
    lastFailure:
      status.lastFailure === null
        ? null
        : { code: status.lastFailure.code, part: status.lastFailure.part, at: iso(status.lastFailure.at)! },
  };
}

/**
 * Opens the journal, and when it cannot be opened (read-only file, full disk) keeps trying instead of
 * exiting: a supervisor restarting the daemon would only loop. Meanwhile the health port answers
 * `degraded` with the `journal-unavailable` alarm, and no decision is made (the gate stays shut).
 */
async function openJournalWaiting(
  path: string,
  config: TerminalHostConfig,
  logger: Logger,
  signal: AbortSignal | undefined,
  chainKey?: ChainKey,
): Promise<JournalStore> {
  let waiting: Server | undefined;
  let lastError: XinyiError | undefined;
  /** While the journal cannot be opened, /health answers 503 with the reason (started once). */
  const answerDegraded = async (error: XinyiError) => {
    if (waiting !== undefined) return;
    const body = JSON.stringify({
      status: 'degraded',
      terminalId: config.terminalId,
      alarms: ['journal-unavailable'],
      code: error.code,
    });
    waiting = createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json', connection: 'close' }).end(body);
    });
    const server = waiting;
    await new Promise<void>((resolve) => {
      server.once('error', () => resolve());
      server.listen(config.http.port, config.http.host, () => {
        const address = server.address() as AddressInfo;
        logger.info({ http: `http://${config.http.host}:${address.port}` }, 'waiting for the journal');
        resolve();
      });
    });
  };
  try {
    return await retryLoop(
      () => createSqliteJournal({ path, logger, ...(chainKey === undefined ? {} : { chainKey }) }),
      {
        // Only a journal that cannot be opened yet (a full or missing disk) is waited for: 1 s doubling to 30 s.
        decide: ({ attempt, error }) => {
          if (
            !isXinyiError(error) ||
            (error.code !== 'JOURNAL_UNAVAILABLE' && error.code !== 'JOURNAL_FULL')
          ) {
            return { retry: false, delayMs: 0 };
          }
          lastError = error;
          const delayMs = backoffDelayMs(attempt, { baseDelayMs: 1_000, maxDelayMs: 30_000, jitter: 'none' });
          logger.error(
            { code: error.code, err: error.message, retryInMs: delayMs },
            'journal unavailable; the gate stays shut',
          );
          return { retry: true, delayMs };
        },
        // The signal ends the wait between attempts, never an attempt: given to the loop, it would
        // throw away a journal opened while the signal came (left open, the process never exits) and
        // refuse the first attempt to a signal that came before it (a start stopped before the journal
        // must still open it, then stop cleanly: 'gate daemon stopped').
        sleep: async (ms) => {
          if (lastError !== undefined) await answerDegraded(lastError);
          await timerSleep(ms, signal);
          if (signal?.aborted) throw new XinyiError('CLOSED', 'stopped while waiting for the journal');
        },
      },
    );
  } catch (error) {
    if (signal?.aborted) throw new XinyiError('CLOSED', 'stopped while waiting for the journal');
    throw error;
  } finally {
    if (waiting) {
      const server = waiting;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  }
}

/** A clock that starts at a given instant and runs at normal speed (rehearsing a holiday). */
function shiftedClock(startAt: string | undefined): Clock {
  if (startAt === undefined) return systemClock;
  const offset = Date.parse(startAt) - Date.now();
  return { now: () => Date.now() + offset };
}

/**
 * Opens a terminal host: the data-folder and device locks, the devices' native modules and port
 * permissions checked, journal, credit chain, documents, uploader, site store, terminal, devices
 * (created; opened in the background from `serve()` on), document watch and retention. Rejects with
 * `ALREADY_RUNNING` / `CONFIG_INVALID` / `JOURNAL_UNAVAILABLE` / `NATIVE_MODULE_UNAVAILABLE` /
 * `DEVICE_PERMISSION_DENIED` for what it cannot run without, having closed what it opened.
 */
export async function openTerminalHost(options: TerminalHostOptions): Promise<TerminalHost> {
  const { config, baseDir, logger } = options;
  const clock = options.clock ?? shiftedClock(config.clock?.startAt);
  const started = Date.now();
  const dataDir = configPath(baseDir, config.dataDir);
  checkSecretFiles(config, baseDir, logger);
  // Every file the host creates from here on is its user's only (the journal's -wal/-shm, caches).
  const previousUmask = process.umask(0o077);
  lockDownDataDir(dataDir, config.dataDir, logger);
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.warn({ err: String(error) }, 'clean-up step failed');
      }
    }
    process.umask(previousUmask);
  };

  try {
    // One host per data folder, and per device whatever its data folder: a second one stops here,
    // before it opens the journal or competes for a port (docs/gates.md, "Already running").
    const dataLock = acquireLock(join(dataDir, '.lock'), `data folder ${dataDir}`, options.lockHolder);
    cleanups.push(() => dataLock.release());
    const endpoints = deviceEndpoints(config.devices, options.gateName);
    const lockDir = deviceLockDir();
    for (const endpoint of endpoints) {
      if (endpoint.lockKey === undefined) continue;
      const lock = acquireLock(
        deviceLockFile(lockDir, endpoint.lockKey),
        endpoint.describe,
        options.lockHolder,
      );
      cleanups.push(() => lock.release());
    }
    await checkDevicesBeforeStart(config, endpoints);
    const pseudonymizer = pseudonymizerFromConfig(config, baseDir);
    // Bound below, once the sync (whose trust list names the document keys) exists.
    let documents: DocumentKeeper | undefined;
    // The journal signs its chain heads with the terminal's platform key (docs/journal.md §12).
    const chainKey: ChainKey | undefined = config.platform && {
      keyId: config.platform.keyId,
      secret: readSecretBytes(config.platform.secret, baseDir, 'platform.secret'),
    };
    const journal = await openJournalWaiting(
      join(dataDir, 'journal.sqlite'),
      config,
      logger,
      options.signal,
      chainKey,
    );
    cleanups.push(() => journal.close());

    const credit: CreditResolver[] = [];
    let http: HttpPlatformResolver | undefined;
    let sync: PlatformSync | undefined;
    let store: SnapshotStore | undefined;
    const maxStatusAgeMs = config.platform?.maxStatusAgeMs ?? DEFAULT_MAX_STATUS_AGE_MS;
    if (config.platform) {
      const platform = config.platform;
      let ca: string | undefined;
      if (platform.caFile !== undefined) {
        try {
          ca = readFileSync(configPath(baseDir, platform.caFile), 'utf8');
        } catch (cause) {
          throw new XinyiError('CONFIG_INVALID', `platform.caFile: cannot read ${platform.caFile}`, {
            cause,
          });
        }
      }
      const removed = await clearSpool(join(dataDir, 'spool'));
      if (removed > 0) logger.info({ files: removed }, 'removed downloads a previous run left unfinished');
      http = createHttpPlatformResolver({
        baseUrl: platform.baseUrl,
        keyId: platform.keyId,
        secret: readSecretBytes(platform.secret, baseDir, 'platform.secret'),
        terminalId: config.terminalId,
        ...(platform.timeoutMs ? { timeoutMs: platform.timeoutMs } : {}),
        ...(platform.allowInsecureHttp ? { allowInsecureHttp: true } : {}),
        ...(ca === undefined ? {} : { ca }),
        ...(platform.spkiSha256Pins ? { spkiSha256Pins: platform.spkiSha256Pins } : {}),
        ...(platform.maxResponseBytes ? { maxResponseBytes: platform.maxResponseBytes } : {}),
        // Lookup answers are verified with the trust list the sync keeps (created below).
        getTrustList: () => sync?.getTrustList(),
        // A large download streams to a file next to the snapshot it becomes, not into memory.
        spoolDir: join(dataDir, 'spool'),
        clock,
        logger,
      });
      try {
        store = await openSnapshotStore({ path: join(dataDir, 'snapshot.sqlite') });
        const opened = store;
        cleanups.push(() => opened.close());
      } catch (error) {
        logger.error({ code: isXinyiError(error) ? error.code : 'unknown' }, 'offline snapshot unavailable');
      }
      sync = createPlatformSync({
        platform: http,
        rootPublicKey: readSecret(platform.trustRootPublicKey, baseDir, 'platform.trustRootPublicKey'),
        snapshotPublicKeys: platform.snapshotPublicKeys.map((k, i) =>
          readSecret(k, baseDir, `platform.snapshotPublicKeys.${i}`),
        ),
        ...(store ? { store } : {}),
        ...(platform.syncIntervalMs ? { intervalMs: platform.syncIntervalMs } : {}),
        ...(platform.statusListIntervalMs ? { statusListIntervalMs: platform.statusListIntervalMs } : {}),
        ...(platform.minTrustListVersion === undefined
          ? {}
          : { minTrustListVersion: platform.minTrustListVersion }),
        cache: { dir: join(dataDir, 'cache') },
        documents: { accept: (...args) => documents!.accept(...args) },
        clock,
        logger,
      });
      const running = sync;
      cleanups.push(() => running.stop());
      credit.push(
        createCreditCodeResolver({
          getTrustList: () => running.getTrustList(),
          getStatusList: () => running.getStatusList(),
          maxStatusAgeMs,
          clock,
        }),
        http,
      );
      if (store) credit.push(createSnapshotResolver(store));
    }

    const syncing = sync;
    const keeper = createDaemonDocuments({
      config,
      baseDir,
      dataDir,
      ...(syncing ? { trustList: () => syncing.getTrustList() } : {}),
      clock,
      logger,
    });
    documents = keeper;
    const policy = keeper.policyAt(clock.now());

    let uploader: Uploader | undefined;
    if (http) {
      uploader = createUploader({
        journal,
        platform: http,
        clock,
        logger,
        ...(config.journal.uploadBatchSize ? { batchSize: config.journal.uploadBatchSize } : {}),
        ...(config.journal.uploadIntervalMs ? { intervalMs: config.journal.uploadIntervalMs } : {}),
        ...(config.journal.backlogAlarmThreshold
          ? { backlogAlarmThreshold: config.journal.backlogAlarmThreshold }
          : {}),
      });
      const running = uploader;
      running.on('offline', (e) => logger.warn({ code: e.code }, 'uploader offline'));
      running.on('online', () => logger.info({}, 'uploader online'));
      running.on('backlog-alarm', (e) =>
        logger.warn({ count: e.count, threshold: e.threshold }, 'upload backlog alarm'),
      );
      cleanups.push(() => running.stop());
    }
    // The state shared with the site's other lanes; `local` leaves the terminal its own over the journal.
    const siteState = await openSiteStore(config, baseDir);
    if (siteState) {
      cleanups.push(() => siteState.close());
      logger.info({ site: describeSite(config) }, 'site store opened');
    }
    const terminal = createTerminal({
      terminalId: config.terminalId,
      ...(siteState ? { siteState } : {}),
      ...siteLaneOptions(config),
      scene: config.scene as SceneId,
      pseudonymizer,
      policy: (nowMs) => keeper.policyAt(nowMs),
      calendar: () => keeper.calendar(),
      credit,
      clock,
      logger,
      journal,
      ...(uploader ? { uploader } : {}),
      ...(config.context ? { context: config.context } : {}),
      ...(config.decisionDeadlineMs ? { decisionDeadlineMs: config.decisionDeadlineMs } : {}),
      ...(config.journal.probeIntervalMs ? { journalProbeIntervalMs: config.journal.probeIntervalMs } : {}),
      ...(options.newDecisionId ? { newDecisionId: options.newDecisionId } : {}),
    });
    cleanups.push(() => terminal.close());

    const devices = new Map<string, string>();
    terminal.on('device', (e) => {
      devices.set(e.device, e.state);
      logger.info({ device: e.device, state: e.state, reason: e.reason }, 'device state');
    });
    const alarms = new Set<string>();
    terminal.on('alarm', (a) => {
      if (a.active) alarms.add(a.kind);
      else alarms.delete(a.kind);
      logger.warn({ alarm: a.kind, active: a.active, code: a.code }, 'alarm');
    });
    terminal.on('offline', (e) => logger.warn({ source: e.source, code: e.reason }, 'credit source offline'));
    terminal.on('online', (e) => logger.info({ source: e.source }, 'credit source online'));
    // The uploader and the sync are not credit sources: their own lines and /health entries.
    terminal.on('uploader', (e) => {
      if (e.state === 'offline')
        logger.warn({ code: e.code }, 'uploader offline: decisions wait in the journal');
      else logger.info({}, 'uploader online');
    });

    const sources: ManagedSource[] = createSourcesFromConfig(config.devices, clock, logger);
    for (const source of sources) devices.set(source.name, source.state);

    // Devices are opened in the background: a gate that is switched on after the host, or a reader
    // on a USB hub that enumerates late, is picked up when it appears.
    let stopping = false;
    const sleeper = new Sleeper();
    const backoff = reconnectPolicy('terminal host', { initialDelayMs: 500, maxDelayMs: 10_000 });
    const opening: Promise<void>[] = [];
    const closers: Array<() => Promise<void>> = [];
    const problems = new Map<string, DeviceProblem>();
    const pathOf = new Map(endpoints.map((e) => [e.device, e.describe]));
    // The first failure, a change of reason and giving up are logged; the same failure again is not.
    const failed = (name: string, error: unknown) => {
      const details = isXinyiError(error) ? error.details : {};
      const code = isXinyiError(error) ? error.code : 'unknown';
      const previous = problems.get(name);
      const attempts = previous?.code === code ? previous.attempts + 1 : 1;
      const problem: DeviceProblem = {
        code,
        message: error instanceof Error ? error.message : String(error),
        ...(typeof details.path === 'string' ? { path: details.path } : {}),
        ...(typeof details.reason === 'string' ? { reason: details.reason } : {}),
        ...(typeof details.osMessage === 'string' ? { osMessage: details.osMessage } : {}),
        since: previous?.code === code ? previous.since : new Date(clock.now()).toISOString(),
        attempts,
        retrying: !needsOperator(error) || attempts < OPERATOR_FAILURES_BEFORE_GIVING_UP,
      };
      problems.set(name, problem);
      const fields = {
        device: name,
        link: pathOf.get(name),
        code,
        path: problem.path,
        reason: problem.reason,
        osMessage: problem.osMessage,
        err: problem.message,
        attempts: problem.attempts,
      };
      if (!problem.retrying) {
        logger.error(fields, 'device needs the operator: not retrying until the daemon is restarted');
      } else if (previous === undefined || previous.code !== code || previous.reason !== problem.reason) {
        logger.warn(fields, 'device not available yet');
      }
    };
    const keepOpening = (name: string, open: () => Promise<void>, close: () => Promise<void>) => {
      closers.push(close);
      const opened = () => open().then(() => void problems.delete(name));
      opening.push(
        opened().catch((first: unknown) => {
          failed(name, first);
          return reopenWithBackoff(
            opened,
            backoff,
            (ms) => sleeper.sleep(ms),
            () => !stopping && problems.get(name)?.retrying !== false,
            (_attempt, error) => failed(name, error),
          ).then(() => {});
        }),
      );
    };
    // The readers and scanners start opening at `serve()`, once the caller has attached them: a card
    // already on the reader at start must reach a listener.
    const openSources = () => {
      for (const source of sources) {
        keepOpening(
          source.name,
          () => source.open(),
          () => source.close(),
        );
      }
    };
    cleanups.push(async () => {
      stopping = true;
      sleeper.wakeAll();
      await Promise.allSettled(opening);
      await Promise.allSettled(closers.map((close) => close()));
    });

    const stopWatching = await watchDaemonDocuments({
      keeper,
      terminal,
      files: documentFiles(config, baseDir, dataDir),
      intervalMs: config.documents.checkIntervalMs ?? DEFAULT_DOCUMENT_CHECK_MS,
      clock,
      logger,
    });
    cleanups.push(stopWatching);

    const stopRetention = startRetentionSchedule({
      journal,
      ...(config.journal.retentionDays ? { retention: config.journal.retentionDays } : {}),
      clock,
      logger,
    });
    cleanups.push(stopRetention);

    const health = (): TerminalHostHealth => {
      let backlog: TerminalHostHealth['backlog'] = {};
      let overdue = 0;
      // This answer's own reading: a read that fails now raises the alarm for this answer only, and
      // the next answer that reads clears it (it used to stay in `alarms` until the process ended).
      let journalReadFailed = false;
      try {
        backlog = journal.backlog();
        overdue = journal.overdueDisclosures(clock.now()).length;
      } catch {
        journalReadFailed = true;
      }
      const deviceStates = Object.fromEntries(devices);
      const creditHealth = sync
        ? creditMaterialHealth(sync.status(), { now: clock.now(), maxStatusAgeMs })
        : undefined;
      const current = [
        ...alarms,
        ...(journalReadFailed && !alarms.has('journal-unavailable') ? ['journal-unavailable'] : []),
        ...(overdue > 0 ? ['disclosures-overdue'] : []),
        ...documentAlarms(keeper),
        ...(creditHealth?.alarms ?? []),
        ...([...problems.values()].some((p) => !p.retrying) ? ['device-needs-operator'] : []),
      ];
      const syncHealth = syncHealthOf(sync);
      const degraded =
        current.length > 0 ||
        Object.values(deviceStates).some((s) => s !== 'ready') ||
        terminal.offlineSources().length > 0 ||
        uploader?.state === 'offline' ||
        syncHealth?.state === 'failing';
      return {
        status: degraded ? 'degraded' : 'ok',
        terminalId: config.terminalId,
        uptimeSeconds: Math.round((Date.now() - started) / 1000),
        devices: deviceStates,
        deviceProblems: Object.fromEntries(problems),
        creditSourcesOffline: terminal.offlineSources(),
        uploader: uploader?.state ?? 'none',
        ...(syncHealth === undefined ? {} : { sync: syncHealth }),
        backlog,
        overdueDisclosures: overdue,
        alarms: current,
        warnings: http?.transport === 'insecure-http' ? ['platform-insecure-http'] : [],
        ...(creditHealth ? { credit: creditHealth } : {}),
        calendar: { ...terminal.calendarCoverage(), version: keeper.calendar().version },
        policy: keeper.status().policy,
        site: terminal.site?.status() ?? null,
      };
    };

    let metrics: TerminalMetrics | undefined;
    let served: Promise<{ url: string; server: Server }> | undefined;
    const serve: TerminalHost['serve'] = (serveOptions) => {
      served ??= (async () => {
        openSources();
        const registered = createTerminalMetrics({
          terminal,
          journal,
          ...(serveOptions.gates ? { gates: serveOptions.gates } : {}),
          ...(uploader ? { uploaderState: () => uploader!.state } : {}),
          clock,
        });
        metrics = registered;
        cleanups.push(() => registered.dispose());
        const processMetrics = registerProcessMetrics(registered.registry);
        cleanups.push(() => processMetrics.dispose());
        const server: Server = createServer(serveOptions.handler);
        if (serveOptions.onUpgrade) server.on('upgrade', serveOptions.onUpgrade);
        await new Promise<void>((resolve, reject) => {
          server.once('error', (cause) => reject(listenError(config.http.host, config.http.port, cause)));
          server.listen(config.http.port, config.http.host, () => resolve());
        });
        cleanups.push(
          () =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        );
        const address = server.address() as AddressInfo;
        const host = address.family === 'IPv6' ? `[${address.address}]` : config.http.host;
        sync?.start();
        uploader?.start();
        logger.info(
          {
            terminalId: config.terminalId,
            scene: config.scene,
            policy: `${policy.packId}@${policy.version}`,
            calendar: keeper.calendar().version,
            sources: sources.map((s) => s.name),
          },
          'terminal host serving',
        );
        return { url: `http://${host}:${address.port}`, server };
      })();
      return served;
    };

    let closed: Promise<void> | undefined;
    return {
      terminal,
      journal,
      clock,
      sources,
      uploader,
      documents: keeper,
      devices,
      keepOpening,
      onClose: (cleanup) => {
        cleanups.push(cleanup);
      },
      health,
      diagnostics: () => ({
        ...terminal.diagnostics(),
        health: health(),
        config: redactConfig(config),
        platformSync: sync?.status(),
        documents: keeper.status(),
        uploader: uploader ? { state: uploader.state, stats: uploader.stats } : undefined,
      }),
      serve,
      renderMetrics: () => metrics?.render() ?? '',
      async flushUploads(timeoutMs) {
        // The signal aborts the request in flight, so nothing is still uploading as the journal closes.
        if (uploader) await uploader.flush({ signal: AbortSignal.timeout(timeoutMs) }).catch(() => {});
        try {
          return Object.values(journal.backlog()).reduce((n, b) => n + b.count, 0);
        } catch {
          return 0;
        }
      },
      close() {
        closed ??= cleanUp();
        return closed;
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
