import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../sdk/atomic-file.js';
import type { Clock } from '../../sdk/clock.js';
import { loadTrustList, type SignedTrustList, type TrustList } from '../../sdk/credit/trust-list.js';
import {
  createDocumentKeeper,
  type DocumentKeeper,
  type TerminalDocumentKind,
} from '../../sdk/documents/document-keeper.js';
import {
  combineDocumentKeys,
  type DocumentKeys,
  pinnedDocumentKeys,
} from '../../sdk/documents/signed-document.js';
import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import { type Logger, silentLogger } from '../../sdk/logger.js';
import { loadPolicyPack, type PolicyPack, qingzhouPolicyPack } from '../../sdk/policy/index.js';
import type { Terminal } from '../../sdk/terminal/terminal-contract.js';
import { configPath, readSecret, type TerminalHostConfig } from './config.js';

/**
 * The gate daemon's signed documents (calendar, policy pack): where they live in its data folder,
 * which keys may sign them, and the watch that takes a changed file without a restart.
 *
 * `<dataDir>/documents/` holds what `xinyi calendar import` / `xinyi policy import` installed (written
 * by the CLI only); `<dataDir>/cache/` what the daemon took (written by the daemon only), so the two
 * never overwrite each other.
 */

const FILE_NAMES: Record<TerminalDocumentKind, string> = {
  calendar: 'calendar.json',
  'policy-pack': 'policy-pack.json',
};

/** How often document files are checked for a change. @default */
export const DEFAULT_DOCUMENT_CHECK_MS = 10_000;

export function installedDocumentPath(dataDir: string, kind: TerminalDocumentKind): string {
  return join(dataDir, 'documents', FILE_NAMES[kind]);
}

export function documentCacheDir(dataDir: string): string {
  return join(dataDir, 'cache');
}

/** The keys the configuration pins: `calendar.publicKey`, `policy.publicKey`. */
export function pinnedKeysFromConfig(config: TerminalHostConfig, baseDir: string): DocumentKeys | undefined {
  const entries: Parameters<typeof pinnedDocumentKeys>[0][number][] = [];
  try {
    if (config.calendar) {
      entries.push({
        usage: 'calendar',
        key: readSecret(config.calendar.publicKey, baseDir, 'calendar.publicKey'),
      });
    }
    if (config.policy !== 'default' && config.policy.publicKey) {
      entries.push({
        usage: 'policy-pack',
        key: readSecret(config.policy.publicKey, baseDir, 'policy.publicKey'),
      });
    }
    return entries.length === 0 ? undefined : pinnedDocumentKeys(entries);
  } catch (cause) {
    if (isXinyiError(cause, 'CONFIG_INVALID')) throw cause;
    throw new XinyiError(
      'CONFIG_INVALID',
      'calendar.publicKey / policy.publicKey: not an Ed25519 or P-256 public key',
      {
        cause,
      },
    );
  }
}

/**
 * The trust list the daemon cached (`<dataDir>/cache/trust-list.json`), verified with the configured
 * root, for commands that run beside the daemon (`xinyi calendar import`, `xinyi doctor`).
 */
export function cachedTrustList(
  config: TerminalHostConfig,
  baseDir: string,
  dataDir: string,
  nowMs: number,
): TrustList | undefined {
  if (!config.platform) return undefined;
  try {
    const signed = JSON.parse(
      readFileSync(join(dataDir, 'cache', 'trust-list.json'), 'utf8'),
    ) as SignedTrustList;
    return loadTrustList(signed, {
      rootPublicKey: readSecret(config.platform.trustRootPublicKey, baseDir, 'platform.trustRootPublicKey'),
      now: nowMs,
    });
  } catch {
    return undefined;
  }
}

/** The pack before any document: the default, or the plain pack file of `policy` (without `publicKey`). */
export function loadBasePolicy(config: TerminalHostConfig, baseDir: string): PolicyPack {
  if (config.policy === 'default' || config.policy.publicKey !== undefined) return qingzhouPolicyPack;
  const file = configPath(baseDir, config.policy.file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new XinyiError('CONFIG_INVALID', `policy: cannot read ${config.policy.file} as JSON`, { cause });
  }
  return loadPolicyPack(parsed);
}

/** The document files the daemon reads: the configured ones, then the installed ones. */
export function documentFiles(
  config: TerminalHostConfig,
  baseDir: string,
  dataDir: string,
): { kind: TerminalDocumentKind; path: string }[] {
  const files: { kind: TerminalDocumentKind; path: string }[] = [];
  if (config.calendar) files.push({ kind: 'calendar', path: configPath(baseDir, config.calendar.file) });
  if (config.policy !== 'default' && config.policy.publicKey) {
    files.push({ kind: 'policy-pack', path: configPath(baseDir, config.policy.file) });
  }
  files.push({ kind: 'calendar', path: installedDocumentPath(dataDir, 'calendar') });
  files.push({ kind: 'policy-pack', path: installedDocumentPath(dataDir, 'policy-pack') });
  return files;
}

/**
 * Hands each existing document file to the keeper as the daemon does at start (an older file than
 * what is held is stale, not a refusal); returns the files refused, with why.
 */
export async function readDocumentFiles(
  keeper: DocumentKeeper,
  files: readonly { kind: TerminalDocumentKind; path: string }[],
): Promise<{ kind: TerminalDocumentKind; path: string; error: unknown }[]> {
  const refused: { kind: TerminalDocumentKind; path: string; error: unknown }[] = [];
  for (const { kind, path } of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      continue;
    }
    try {
      await keeper.accept(kind, bytes, 'file', { passive: true });
    } catch (error) {
      refused.push({ kind, path, error });
    }
  }
  return refused;
}

export interface DaemonDocumentsOptions {
  config: TerminalHostConfig;
  baseDir: string;
  dataDir: string;
  /** The platform's trust list (from the sync), when there is a platform. */
  trustList?: () => TrustList | undefined;
  clock: Clock;
  logger: Logger;
  /** false: read the cache but never write it (a command beside a running daemon). @default true */
  writeCache?: boolean;
}

/** The daemon's document keeper: platform trust list and pinned keys, the base pack, the cache in dataDir. */
export function createDaemonDocuments(options: DaemonDocumentsOptions): DocumentKeeper {
  const { config, baseDir, dataDir, clock, logger } = options;
  const pinned = pinnedKeysFromConfig(config, baseDir);
  const fromTrustList: DocumentKeys = (kid, usage) => options.trustList?.()?.keysFor(kid, usage) ?? [];
  return createDocumentKeeper({
    keys: combineDocumentKeys(fromTrustList, pinned),
    basePack: loadBasePolicy(config, baseDir),
    cacheDir: documentCacheDir(dataDir),
    ...(options.writeCache === false ? { cacheReadOnly: true } : {}),
    clock,
    logger,
  });
}

interface Seen {
  mtimeMs: number;
  size: number;
  ino: number;
}

/**
 * Reads each document file now (an older file than what is held is stale, not a refusal), then
 * checks them every `intervalMs` and hands a changed one to the keeper. On every tick it also looks
 * at the calendar's coverage (a log line once a Shanghai day, the terminal's alarm) and at the pack
 * in force (a staged pack takes effect at its time even with no decision). Returns `stop`.
 */
export async function watchDaemonDocuments(options: {
  keeper: DocumentKeeper;
  terminal: Terminal;
  files: readonly { kind: TerminalDocumentKind; path: string }[];
  intervalMs: number;
  clock: Clock;
  logger: Logger;
}): Promise<() => void> {
  const { keeper, terminal, files, clock, logger } = options;
  const seen = new Map<string, Seen | null>();
  let loggedDay = '';
  let checking = false;

  const check = async (initial: boolean): Promise<void> => {
    for (const { kind, path } of files) {
      let stat: Seen | null;
      try {
        const s = statSync(path);
        stat = { mtimeMs: s.mtimeMs, size: s.size, ino: s.ino };
      } catch {
        stat = null;
      }
      const before = seen.get(path);
      const same =
        before !== undefined &&
        (before === null
          ? stat === null
          : stat !== null &&
            before.mtimeMs === stat.mtimeMs &&
            before.size === stat.size &&
            before.ino === stat.ino);
      seen.set(path, stat);
      if (same || stat === null) continue;
      let bytes: Buffer;
      try {
        bytes = readFileSync(path);
      } catch (error) {
        logger.warn(
          { kind, path, errorCode: (error as NodeJS.ErrnoException).code },
          'document file unreadable',
        );
        continue;
      }
      try {
        const result = await keeper.accept(kind, bytes, 'file', { passive: initial });
        if (result.outcome !== 'unchanged') logger.info({ ...result, path }, 'document file read');
      } catch {
        // Recorded by the keeper (alarm, log line); the held document stays in use.
      }
    }
  };

  const tick = async (initial: boolean): Promise<void> => {
    if (checking) return;
    checking = true;
    try {
      await check(initial);
      keeper.policyAt(clock.now());
      const coverage = terminal.calendarCoverage();
      if (coverage.today !== loggedDay) {
        loggedDay = coverage.today;
        const log = coverage.warning ? logger.warn.bind(logger) : logger.info.bind(logger);
        log(
          {
            today: coverage.today,
            officialThrough: coverage.officialThrough,
            officialDaysLeft: coverage.officialDaysLeft,
            provisionalToday: coverage.provisionalToday,
            calendarVersion: keeper.calendar().version,
          },
          'calendar coverage',
        );
      }
    } finally {
      checking = false;
    }
  };

  await tick(true);
  const timer = setInterval(() => void tick(false), options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Alarms for documents refused (until the same source delivers a good one). */
export function documentAlarms(keeper: DocumentKeeper): string[] {
  return [...new Set(keeper.status().refusals.map((r) => `${r.kind}-document-refused`))];
}

/** What `xinyi calendar import` / `xinyi policy import` did. */
export interface InstallResult {
  kind: TerminalDocumentKind;
  outcome: 'installed' | 'unchanged';
  version: number;
  /** The version held before (installed or taken by the daemon), when there was one. */
  previousVersion?: number;
  path: string;
  years?: { added: number[]; rewritten: number[]; removed: number[] };
}

/**
 * The daemon's documents as a command sees them with the daemon stopped or running: the trust list
 * it cached and the configuration's pinned keys, nothing written back to the cache.
 */
export function offlineDocuments(
  config: TerminalHostConfig,
  baseDir: string,
  dataDir: string,
  clock: Clock,
): DocumentKeeper {
  return createDaemonDocuments({
    config,
    baseDir,
    dataDir,
    trustList: () => cachedTrustList(config, baseDir, dataDir, clock.now()),
    clock,
    logger: silentLogger,
    writeCache: false,
  });
}

/**
 * Verifies a signed document file as the daemon would (its cached trust list and the configuration's
 * pinned keys), checks it is not older than what the daemon holds or what is installed, and installs
 * it atomically in `<dataDir>/documents/`, where a running daemon takes it at its next check.
 * Throws what the daemon's keeper would refuse it for (`DOCUMENT_INVALID`, `CALENDAR_INVALID`,
 * `POLICY_PACK_INVALID`); nothing is installed then.
 */
export async function installDocument(options: {
  kind: TerminalDocumentKind;
  file: string;
  config: TerminalHostConfig;
  baseDir: string;
  clock: Clock;
}): Promise<InstallResult> {
  const { kind, config, baseDir, clock } = options;
  const dataDir = configPath(baseDir, config.dataDir);
  const keeper = offlineDocuments(config, baseDir, dataDir, clock);
  const path = installedDocumentPath(dataDir, kind);
  // What the daemon reads too: a refused one (no longer verifying) is replaced by the new file.
  await readDocumentFiles(keeper, documentFiles(config, baseDir, dataDir));
  const bytes = readFileSync(options.file);
  const result = await keeper.accept(kind, bytes, 'file');
  if (result.outcome === 'updated' || result.outcome === 'unchanged')
    await writeFileAtomic(path, bytes.toString('utf8'));
  return {
    kind,
    outcome: result.outcome === 'updated' ? 'installed' : 'unchanged',
    version: result.version,
    ...(result.previousVersion === undefined ? {} : { previousVersion: result.previousVersion }),
    path,
    ...(result.years ? { years: result.years } : {}),
  };
}
