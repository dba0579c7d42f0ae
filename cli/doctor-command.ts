import { createPublicKey } from 'node:crypto';
import { accessSync, constants, existsSync, lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { loadNativeModule } from '../adapters/native.js';
import { calendarCoverage } from '../sdk/calendar/coverage.js';
import { type Clock, systemClock } from '../sdk/clock.js';
import { createHttpPlatformResolver } from '../sdk/credit/http-platform.js';
import { isLoopbackHost, platformTransportKind } from '../sdk/credit/platform-transport.js';
import { loadSqliteDriver, openSnapshotStore, type SnapshotInfo } from '../sdk/credit/snapshot-store.js';
import type { DocumentKeeper, DocumentKeeperStatus } from '../sdk/documents/document-keeper.js';
import { isXinyiError } from '../sdk/errors.js';
import { createPseudonymizer } from '../sdk/identity/index.js';
import type { JournalStore, RetentionRecordType, UploadRecordKind } from '../sdk/journal/journal-store.js';
import { createSqliteJournal } from '../sdk/journal/sqlite-journal.js';
import { readJsonFile } from '../sdk/json-file.js';
import { loadPolicyPack } from '../sdk/policy/validate-pack.js';
import { SDK_VERSION } from '../sdk/version.js';
import {
  configPath,
  type GateConfig,
  isServeConfigValue,
  loadGateConfig,
  loadServeConfig,
  readSecret,
  readSecretBytes,
  redactConfig,
  type SecretRef,
  type ServeConfig,
  type TerminalHostConfig,
} from './gate/config.js';
import { documentFiles, offlineDocuments, readDocumentFiles } from './gate/documents.js';
import { checkSecretFiles } from './gate/local-files.js';
import { checkSiteStore, type SiteStoreCheck } from './gate/site-store.js';
import { DOCTOR_USAGE } from './help-text.js';
import { readApiToken } from './serve/api-token.js';
import { usageError, xinyiInvocation } from './usage.js';

/** How long each network check may take (platform, daemon). */
const DEFAULT_TIMEOUT_MS = 2_000;
const TRUST_LIST_PATH = '/v1/trust-list';

type Check<T> = T & { error?: string };

export interface DoctorReport {
  ok: boolean;
  /** One line per thing that is wrong; empty when `ok`. */
  problems: string[];
  /** One line per thing worth knowing that does not make the check fail (an http:// platform on loopback). */
  warnings: string[];
  versions: { sdk: string; node: string; platform: string; arch: string };
  /** Optional native modules: loadable or not. */
  nativeModules: Record<string, boolean>;
  configFile: string;
  /** The configuration with inline secret values replaced; null when it could not be loaded. */
  config: unknown;
  /** Whether each secret reference resolves (never its value). */
  secrets: Record<string, boolean>;
  policy?: Check<{ packId?: string; version?: string }>;
  /**
   * The calendar the daemon would use (its documents verified again) and how far its official
   * arrangements reach; a problem when they end within 60 days (or have ended).
   */
  calendar?: Check<{
    version: string;
    officialYears: readonly number[];
    officialThrough: string | null;
    officialDaysLeft: number;
    provisionalToday: boolean;
  }>;
  /** Signed documents: what is held and in force, and any refused. */
  documents?: DocumentKeeperStatus;
  dataDir?: { path: string; exists: boolean; writable: boolean };
  journal?: Check<{
    path: string;
    exists: boolean;
    counts?: Record<RetentionRecordType, number>;
    backlog?: Record<UploadRecordKind, { count: number; oldestAt: string | null }>;
    overdueDisclosures?: number;
  }>;
  snapshot?: Check<{ path: string; exists: boolean; info?: SnapshotInfo | null }>;
  devices?: DeviceCheck[];
  /** The site store shared with the other lanes: reachability, latency, server version. */
  site?: SiteStoreCheck;
  platform?: Check<{ baseUrl: string; url: string; status?: number; reason?: string; ms?: number }> | null;
  daemon?: Check<{ url: string; running: boolean; status?: number; diagnostics?: unknown }>;
}

export interface DeviceCheck {
  role: string;
  name: string;
  link: 'serial' | 'tcp' | 'udp' | 'hid';
  /** Serial or HID path. */
  path?: string;
  /** TCP/UDP address; not connected to (a serial device server may take one client only). */
  address?: string;
  exists?: boolean;
  characterDevice?: boolean;
  /** Where a symlink (a udev rule's `/dev/xinyi-reader`) points. */
  symlinkTo?: string;
  /** Whether this user may open it for reading and writing. */
  accessible?: boolean;
}

export interface DoctorOptions {
  configFile: string;
  /** The daemon's base URL. @default http://{config.http.host}:{config.http.port} */
  daemonUrl?: string;
  /** @default 2000 */
  timeoutMs?: number;
  /** "Today" for the calendar check. @default systemClock */
  clock?: Clock;
}

function codeOf(error: unknown): string {
  if (isXinyiError(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown';
}

/** The first line of a typed error's message (which never carries secrets or personal data). */
function reasonOf(error: unknown): string {
  return isXinyiError(error) ? `${error.code}: ${error.message.split('\n')[0]}` : codeOf(error);
}

/** What `fetch` failed on: the socket error's code (`ECONNREFUSED`), `TIMEOUT`, or undici's reason. */
function fetchErrorCode(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'TIMEOUT';
  const cause = (error as { cause?: unknown } | null)?.cause;
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  // undici refuses some URLs itself (a "bad port" such as 9) with a message and no code.
  if (cause instanceof Error) return cause.message.slice(0, 64);
  return codeOf(error);
}

async function canLoad(load: () => Promise<unknown>): Promise<boolean> {
  try {
    await load();
    return true;
  } catch {
    return false;
  }
}

function checkSecrets(
  config: TerminalHostConfig,
  baseDir: string,
  problems: string[],
): Record<string, boolean> {
  const refs: [string, SecretRef, 'key' | 'public-key' | 'secret'][] = [
    ['pseudonymKey', config.pseudonymKey, 'key'],
  ];
  if (config.platform) {
    refs.push(['platform.secret', config.platform.secret, 'secret']);
    refs.push(['platform.trustRootPublicKey', config.platform.trustRootPublicKey, 'public-key']);
    config.platform.snapshotPublicKeys.forEach((ref, i) => {
      refs.push([`platform.snapshotPublicKeys.${i}`, ref, 'public-key']);
    });
  }
  if (config.calendar) refs.push(['calendar.publicKey', config.calendar.publicKey, 'public-key']);
  if (config.policy !== 'default' && config.policy.publicKey) {
    refs.push(['policy.publicKey', config.policy.publicKey, 'public-key']);
  }
  const secrets: Record<string, boolean> = {};
  try {
    checkSecretFiles(config, baseDir);
  } catch (error) {
    problems.push(reasonOf(error));
  }
  for (const [what, ref, kind] of refs) {
    let value: string | Buffer;
    try {
      value = kind === 'public-key' ? readSecret(ref, baseDir, what) : readSecretBytes(ref, baseDir, what);
    } catch (error) {
      secrets[what] = false;
      problems.push(`secret ${what} does not resolve (${reasonOf(error)})`);
      continue;
    }
    secrets[what] = true;
    try {
      if (kind === 'key') createPseudonymizer(value);
      else if (kind === 'public-key') createPublicKey(value);
    } catch (error) {
      problems.push(
        `secret ${what} resolves but is not usable as ${kind === 'key' ? 'a pseudonym key' : 'a public key'} (${reasonOf(error)})`,
      );
    }
  }
  return secrets;
}

/** Shortest pseudonym key doctor accepts, in bytes (HMAC-SHA-256's block of output). */
const MIN_PSEUDONYM_KEY_BYTES = 32;
/** Estimated entropy below which a pseudonym key is guessable. */
const MIN_PSEUDONYM_KEY_BITS = 128;

/**
 * Why a pseudonym key is weak, or undefined: shorter than 32 bytes, or with less than 128 bits of
 * estimated entropy (the lesser of its length times the Shannon entropy of its own bytes and
 * the bits of its DEFLATE compression: repeated characters and repeated patterns score low). An
 * estimate: a key that passes can still be guessable; a key from a CSPRNG always passes. A key that is weak lets whoever holds the terminal's journal
 * guess ID numbers back from pseudonyms (credit-domain research: ~10^11 candidates).
 */
export function pseudonymKeyWeakness(key: string | Uint8Array): string | undefined {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  if (bytes.length < MIN_PSEUDONYM_KEY_BYTES)
    return `${bytes.length} bytes, fewer than ${MIN_PSEUDONYM_KEY_BYTES}`;
  const counts = new Map<number, number>();
  for (const b of bytes) counts.set(b, (counts.get(b) ?? 0) + 1);
  const length = bytes.length;
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / length) * Math.log2(n / length);
  // A periodic key ("0123456789" four times) has even character counts but compresses well.
  const compressedBits = deflateRawSync(bytes, { level: 9 }).length * 8;
  const bits = Math.floor(Math.min(perChar * length, compressedBits));
  if (bits < MIN_PSEUDONYM_KEY_BITS)
    return `about ${bits} bits of entropy, fewer than ${MIN_PSEUDONYM_KEY_BITS}`;
  return undefined;
}

/**
 * The configuration's security, checked without the network: how the platform is reached, where
 * the secrets are and who may read them, the pseudonym key's strength, the daemon port, the clock.
 */
function checkSecurity(
  config: TerminalHostConfig,
  baseDir: string,
  problems: string[],
  warnings: string[],
): void {
  const platform = config.platform;
  if (platform) {
    const kind = platformTransportKind(platform.baseUrl);
    if (kind === 'insecure-http') {
      warnings.push(
        `platform: ${platform.baseUrl} is plain http:// beyond loopback (allowInsecureHttp): requests travel in clear`,
      );
    } else if (kind === 'loopback-http') {
      warnings.push(
        `platform: ${platform.baseUrl} is plain http:// on loopback (a simulator); a deployment uses https://`,
      );
    }
  }
  const secrets: [string, SecretRef][] = [['pseudonymKey', config.pseudonymKey]];
  if (platform) secrets.push(['platform.secret', platform.secret]);
  for (const [what, ref] of secrets) {
    if ('value' in ref) {
      problems.push(
        `secret ${what} is written inline in the configuration; use { "file": … } or { "env": … }`,
      );
    } else if ('file' in ref) {
      try {
        const mode = statSync(configPath(baseDir, ref.file)).mode & 0o777;
        if ((mode & 0o044) !== 0) {
          problems.push(
            `secret ${what}: ${ref.file} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}); chmod 600`,
          );
        }
      } catch {
        // Not resolving is reported by the secrets check.
      }
    }
  }
  try {
    const weakness = pseudonymKeyWeakness(readSecretBytes(config.pseudonymKey, baseDir, 'pseudonymKey'));
    if (weakness !== undefined) problems.push(`pseudonymKey is weak: ${weakness}`);
  } catch {
    // Reported by the secrets check.
  }
  if (!isLoopbackHost(config.http.host)) {
    problems.push(
      `http.host ${config.http.host}: the daemon's health, metrics and diagnostics are reachable beyond this machine; bind it to 127.0.0.1`,
    );
  }
  if (config.clock !== undefined) {
    const production = platform !== undefined && platformTransportKind(platform.baseUrl) !== 'loopback-http';
    const line = `clock.startAt is set: the daemon runs on a simulated clock (${config.clock.startAt})`;
    if (production) problems.push(`${line} against a real platform`);
    else warnings.push(line);
  }
}

function checkPolicy(
  config: TerminalHostConfig,
  baseDir: string,
  problems: string[],
): DoctorReport['policy'] {
  if (config.policy === 'default') return { packId: 'default' };
  // A signed policy-pack document: checkDocuments verifies it.
  if (config.policy.publicKey !== undefined) return { packId: 'document' };
  try {
    const pack = loadPolicyPack(JSON.parse(readFileSync(configPath(baseDir, config.policy.file), 'utf8')));
    return { packId: pack.packId, version: pack.version };
  } catch (error) {
    problems.push(`policy: ${config.policy.file} cannot be loaded (${reasonOf(error)})`);
    return { error: codeOf(error) };
  }
}

/**
 * The document files (calendar, signed policy) exist and verify; with `coverage`, also how far the
 * calendar's official arrangements reach from today (a matter of the date, not of the configuration).
 */
async function checkDocuments(
  config: TerminalHostConfig,
  baseDir: string,
  dataDir: string,
  clock: Clock,
  problems: string[],
  coverage: boolean,
): Promise<Pick<DoctorReport, 'calendar' | 'documents'>> {
  let keeper: DocumentKeeper;
  try {
    keeper = offlineDocuments(config, baseDir, dataDir, clock);
  } catch (error) {
    problems.push(`documents: ${reasonOf(error)}`);
    return { calendar: { error: codeOf(error) } as NonNullable<DoctorReport['calendar']> };
  }
  const files = documentFiles(config, baseDir, dataDir);
  for (const { kind, path } of files) {
    if (!existsSync(path) && !path.startsWith(dataDir)) problems.push(`${kind}: ${path} does not exist`);
  }
  for (const { kind, path, error } of await readDocumentFiles(keeper, files)) {
    problems.push(`${kind} document ${path} is refused (${reasonOf(error)})`);
  }
  const calendar = keeper.calendar();
  const reach = calendarCoverage(calendar, clock.now());
  if (coverage && reach.warning) {
    problems.push(
      reach.officialThrough === null
        ? `calendar: no official arrangement covers today (${reach.today}); decisions use the provisional calendar: import the State Council's notice (${xinyiInvocation()} calendar import)`
        : `calendar: official coverage ends ${reach.officialThrough}, in ${reach.officialDaysLeft} days: import the next notice (${xinyiInvocation()} calendar import) or let the platform sync it`,
    );
  }
  return {
    calendar: {
      version: calendar.version,
      officialYears: calendar.officialYears,
      officialThrough: reach.officialThrough,
      officialDaysLeft: reach.officialDaysLeft,
      provisionalToday: reach.provisionalToday,
    },
    documents: keeper.status(clock.now()),
  };
}

function checkDataDir(path: string, problems: string[]): NonNullable<DoctorReport['dataDir']> {
  const exists = existsSync(path);
  let writable = false;
  if (exists) {
    try {
      accessSync(path, constants.W_OK);
      writable = true;
    } catch {
      problems.push(`dataDir ${path} is not writable by this user`);
    }
  }
  return { path, exists, writable };
}

async function checkJournal(
  dataDir: string,
  config: TerminalHostConfig,
  problems: string[],
): Promise<DoctorReport['journal']> {
  const path = join(dataDir, 'journal.sqlite');
  if (!existsSync(path)) return { path, exists: false };
  let journal: JournalStore | undefined;
  try {
    journal = await createSqliteJournal({ path, readonly: true, busyTimeoutMs: 1_000 });
    const backlog = journal.backlog();
    const overdue = journal.overdueDisclosures(Date.now()).length;
    const waiting = backlog.decisions.count + backlog.disclosures.count;
    const threshold = config.journal.backlogAlarmThreshold ?? 10_000;
    if (waiting > threshold)
      problems.push(`journal: ${waiting} records wait for upload (alarm threshold ${threshold})`);
    if (overdue > 0) problems.push(`journal: ${overdue} disclosure records are past their publication date`);
    const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());
    return {
      path,
      exists: true,
      counts: journal.counts(),
      backlog: {
        decisions: { count: backlog.decisions.count, oldestAt: iso(backlog.decisions.oldestAt) },
        disclosures: { count: backlog.disclosures.count, oldestAt: iso(backlog.disclosures.oldestAt) },
      },
      overdueDisclosures: overdue,
    };
  } catch (error) {
    problems.push(`journal ${path} cannot be read (${reasonOf(error)})`);
    return { path, exists: true, error: codeOf(error) };
  } finally {
    journal?.close();
  }
}

async function checkSnapshot(
  dataDir: string,
  config: TerminalHostConfig,
  problems: string[],
): Promise<DoctorReport['snapshot']> {
  const path = join(dataDir, 'snapshot.sqlite');
  // Opening would create it; a missing file is reported as it is.
  if (!existsSync(path)) {
    if (config.platform) problems.push('snapshot: none downloaded yet, so there is no offline fallback');
    return { path, exists: false };
  }
  try {
    const store = await openSnapshotStore({ path, busyTimeoutMs: 1_000 });
    try {
      const info = store.info();
      if (info === null && config.platform) problems.push('snapshot: the store holds no snapshot yet');
      return { path, exists: true, info };
    } finally {
      store.close();
    }
  } catch (error) {
    problems.push(`snapshot ${path} cannot be read (${reasonOf(error)})`);
    return { path, exists: true, error: codeOf(error) };
  }
}

type Link = GateConfig['devices']['gate']['link'];

function checkPath(check: DeviceCheck, path: string, problems: string[]): void {
  check.path = path;
  let link: ReturnType<typeof lstatSync> | undefined;
  try {
    link = lstatSync(path);
  } catch {
    check.exists = false;
    problems.push(`device ${check.name} (${check.role}): ${path} does not exist`);
    return;
  }
  if (link.isSymbolicLink()) {
    try {
      check.symlinkTo = realpathSync(path);
    } catch {
      check.exists = false;
      problems.push(`device ${check.name} (${check.role}): ${path} is a dangling symlink`);
      return;
    }
  }
  check.exists = true;
  check.characterDevice = statSync(path).isCharacterDevice();
  if (!check.characterDevice) {
    problems.push(`device ${check.name} (${check.role}): ${path} is not a character device`);
    return;
  }
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    check.accessible = true;
  } catch {
    check.accessible = false;
    problems.push(
      `device ${check.name} (${check.role}): ${path} exists but this user may not open it (dialout group?)`,
    );
  }
}

function checkLink(role: string, name: string, link: Link, problems: string[]): DeviceCheck {
  if ('serial' in link) {
    const check: DeviceCheck = { role, name, link: 'serial' };
    checkPath(check, link.serial.path, problems);
    return check;
  }
  if ('tcp' in link) return { role, name, link: 'tcp', address: `${link.tcp.host}:${link.tcp.port}` };
  return { role, name, link: 'udp', address: `${link.udp.host}:${link.udp.port}` };
}

function checkDevices(config: TerminalHostConfig, problems: string[]): DeviceCheck[] {
  const { devices } = config;
  const checks: DeviceCheck[] = [];
  if (devices.idCardReader) {
    checks.push(
      checkLink(
        'id-card-reader',
        devices.idCardReader.name ?? 'id-card-reader',
        devices.idCardReader,
        problems,
      ),
    );
  }
  devices.scanners.forEach((scanner, index) => {
    const name = scanner.name ?? `scanner-${index + 1}`;
    if (scanner.type === 'serial') {
      checks.push(checkLink('scanner', name, scanner.link, problems));
    } else {
      const check: DeviceCheck = { role: 'scanner', name, link: 'hid' };
      // Without a path the scanner is found by vendor and product id when the daemon opens it.
      if (scanner.path) checkPath(check, scanner.path, problems);
      checks.push(check);
    }
  });
  // `xinyi serve` has no gate.
  const gate = 'gate' in devices ? (devices as GateConfig['devices']).gate : undefined;
  if (gate) checks.push(checkLink('gate', gate.name ?? `gate (${gate.protocol})`, gate.link, problems));
  return checks;
}

async function checkPlatform(
  config: TerminalHostConfig,
  baseDir: string,
  timeoutMs: number,
  problems: string[],
): Promise<DoctorReport['platform']> {
  const platform = config.platform;
  if (!platform) return null;
  const url = `${platform.baseUrl.replace(/\/+$/, '')}${TRUST_LIST_PATH}`;
  let secret: string | Buffer = 'unresolved';
  try {
    secret = readSecretBytes(platform.secret, baseDir, 'platform.secret');
  } catch {
    // The secret's problem is already listed; an unsigned request still shows whether anyone answers.
  }
  let ca: string | undefined;
  if (platform.caFile !== undefined) {
    try {
      ca = readFileSync(configPath(baseDir, platform.caFile), 'utf8');
    } catch (error) {
      problems.push(`platform.caFile ${platform.caFile} cannot be read (${codeOf(error)})`);
      return { baseUrl: platform.baseUrl, url, error: 'CA_FILE' };
    }
  }
  // The daemon's own client: signed requests, the CA bundle, the SPKI pins and the byte limits.
  let client: ReturnType<typeof createHttpPlatformResolver>;
  try {
    client = createHttpPlatformResolver({
      baseUrl: platform.baseUrl,
      keyId: platform.keyId,
      secret,
      terminalId: config.terminalId,
      ...(platform.allowInsecureHttp ? { allowInsecureHttp: true } : {}),
      ...(ca === undefined ? {} : { ca }),
      ...(platform.spkiSha256Pins ? { spkiSha256Pins: platform.spkiSha256Pins } : {}),
      ...(platform.maxResponseBytes ? { maxResponseBytes: platform.maxResponseBytes } : {}),
      retry: { maxAttempts: 1 },
      transferTimeoutMs: timeoutMs,
    });
  } catch (error) {
    problems.push(`platform: ${reasonOf(error)}`);
    return { baseUrl: platform.baseUrl, url, error: codeOf(error) };
  }
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    const document = await client.getTrustList();
    if (document === null) {
      problems.push(`platform: GET ${TRUST_LIST_PATH} answered HTTP 404 (no trust list published)`);
      return { baseUrl: platform.baseUrl, url, status: 404, ms: ms() };
    }
    return { baseUrl: platform.baseUrl, url, status: 200, ms: ms() };
  } catch (error) {
    const details = isXinyiError(error) ? error.details : {};
    const reason = typeof details.reason === 'string' ? details.reason : undefined;
    if (typeof details.status === 'number') {
      problems.push(
        `platform: GET ${TRUST_LIST_PATH} answered HTTP ${details.status}${reason ? ` (${reason})` : ''}`,
      );
      return {
        baseUrl: platform.baseUrl,
        url,
        status: details.status,
        ...(reason ? { reason } : {}),
        ms: ms(),
      };
    }
    const code =
      typeof details.errorCode === 'string'
        ? details.errorCode
        : isXinyiError(error, 'CREDIT_TIMEOUT')
          ? 'TIMEOUT'
          : codeOf(error);
    problems.push(
      reason === 'tls'
        ? `platform: ${platform.baseUrl}: its certificate was refused (${code})`
        : `platform: ${platform.baseUrl} is not reachable (${code})`,
    );
    return { baseUrl: platform.baseUrl, url, error: code };
  }
}

interface DaemonHealth {
  status?: unknown;
  alarms?: unknown;
  warnings?: unknown;
  devices?: unknown;
  deviceProblems?: unknown;
  creditSourcesOffline?: unknown;
  uploader?: unknown;
  sync?: unknown;
}

async function checkDaemon(
  url: string,
  explicit: boolean,
  timeoutMs: number,
  problems: string[],
  warnings: string[],
  serveProbe?: { path: string; headers: Record<string, string> },
): Promise<NonNullable<DoctorReport['daemon']>> {
  const base = url.replace(/\/+$/, '');
  const path = serveProbe?.path ?? '/diagnostics';
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      signal: AbortSignal.timeout(timeoutMs),
      ...(serveProbe ? { headers: serveProbe.headers } : {}),
    });
  } catch (error) {
    const code = fetchErrorCode(error);
    // Not running is a state, not a fault, unless the daemon was named on the command line.
    if (explicit) problems.push(`daemon: ${base} is not reachable (${code})`);
    return { url: base, running: false, error: code };
  }
  if (!response.ok) {
    problems.push(`daemon: ${base}${path} answered HTTP ${response.status}`);
    await response.body?.cancel();
    return { url: base, running: true, status: response.status };
  }
  let diagnostics: unknown;
  try {
    diagnostics = await response.json();
  } catch {
    problems.push(`daemon: ${base}${path} did not answer JSON`);
    return { url: base, running: true, status: response.status, error: 'malformed' };
  }
  const health = serveProbe
    ? (diagnostics as DaemonHealth | null)
    : (diagnostics as { health?: DaemonHealth } | null)?.health;
  if (health && Array.isArray(health.warnings)) {
    for (const warning of health.warnings) warnings.push(`daemon warns: ${String(warning)}`);
  }
  if (health && health.status !== 'ok') {
    const alarms = Array.isArray(health.alarms) ? health.alarms.map(String) : [];
    const devices =
      health.devices && typeof health.devices === 'object'
        ? Object.entries(health.devices as Record<string, unknown>)
            .filter(([, state]) => state !== 'ready')
            .map(([device, state]) => `${device} ${String(state)}`)
        : [];
    const offline = Array.isArray(health.creditSourcesOffline) ? health.creditSourcesOffline.map(String) : [];
    const why = [
      alarms.length > 0 ? `alarms ${alarms.join(', ')}` : '',
      devices.length > 0 ? `devices ${devices.join(', ')}` : '',
      offline.length > 0 ? `credit sources offline ${offline.join(', ')}` : '',
      health.uploader === 'offline' ? 'uploader offline' : '',
      (health.sync as { state?: unknown } | undefined)?.state === 'failing' ? 'platform sync failing' : '',
    ].filter(Boolean);
    problems.push(`daemon reports ${String(health.status)}${why.length > 0 ? `: ${why.join('; ')}` : ''}`);
  }
  // Why a device is not ready, in the daemon's words: the path, the errno, what to do.
  if (health?.deviceProblems && typeof health.deviceProblems === 'object') {
    for (const [device, problem] of Object.entries(health.deviceProblems as Record<string, unknown>)) {
      const { code, message, retrying } = (problem ?? {}) as {
        code?: unknown;
        message?: unknown;
        retrying?: unknown;
      };
      problems.push(
        `device ${device}: ${String(code)}: ${String(message)}${retrying === false ? ' (the daemon no longer retries: restart it once fixed)' : ''}`,
      );
    }
  }
  return { url: base, running: true, status: response.status, diagnostics };
}

/** What {@link checkConfiguration} found; the same fields as in {@link DoctorReport}. */
export type ConfigurationReport = Pick<
  DoctorReport,
  'nativeModules' | 'secrets' | 'policy' | 'calendar' | 'documents' | 'dataDir' | 'platform' | 'site'
>;

/**
 * The checks of a configuration that need no device and no running daemon, shared by `xinyi doctor`
 * and `xinyi gate --check` so that a configuration one accepts the other does not refuse: the native
 * modules its links need, every secret resolves and is usable, the configuration's security (inline
 * secrets, secret-file modes, a weak pseudonym key, the daemon port, a simulated clock), the policy
 * and document files, the data folder, and whether the platform and the site store answer.
 */
export async function checkConfiguration(
  config: GateConfig,
  baseDir: string,
  options: { timeoutMs: number; clock: Clock; calendarCoverage: boolean },
  problems: string[],
  warnings: string[],
): Promise<ConfigurationReport> {
  const nativeModules: Record<string, boolean> = {};
  const links = [
    config.devices.idCardReader,
    'gate' in config.devices ? config.devices.gate?.link : undefined,
    ...config.devices.scanners.map((s) => ('link' in s ? s.link : undefined)),
  ];
  if (links.some((l) => l !== undefined && 'serial' in l)) {
    nativeModules.serialport = await canLoad(() => loadNativeModule('serialport'));
    if (!nativeModules.serialport)
      problems.push('serialport cannot be loaded: serial devices cannot be opened');
  }
  if (config.devices.scanners.some((s) => s.type === 'hid')) {
    nativeModules['node-hid'] = await canLoad(() => loadNativeModule('node-hid'));
    if (!nativeModules['node-hid']) problems.push('node-hid cannot be loaded: HID scanners cannot be opened');
  }
  const secrets = checkSecrets(config, baseDir, problems);
  checkSecurity(config, baseDir, problems, warnings);
  const policy = checkPolicy(config, baseDir, problems);
  const dataDir = configPath(baseDir, config.dataDir);
  const dataDirCheck = checkDataDir(dataDir, problems);
  const documents = await checkDocuments(
    config,
    baseDir,
    dataDir,
    options.clock,
    problems,
    options.calendarCoverage,
  );
  const [platform, site] = await Promise.all([
    checkPlatform(config, baseDir, options.timeoutMs, problems),
    checkSiteStore(config, baseDir, options.timeoutMs, problems),
  ]);
  return { nativeModules, secrets, policy, ...documents, dataDir: dataDirCheck, platform, site };
}

/** A `CONFIG_INVALID` from loading the configuration as doctor lines: one per problem it lists. */
export function configLoadProblems(error: unknown): string[] {
  if (isXinyiError(error, 'CONFIG_INVALID') && typeof error.details.problems === 'number') {
    const lines = error.message.split('\n');
    return (error.details.problems > 1 ? lines.slice(1) : lines).map((l) => `config: ${error.code}: ${l}`);
  }
  return [`config: ${reasonOf(error)}`];
}

/** Runs every check; never throws for what it finds (that goes into `problems`). */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const clock = options.clock ?? systemClock;
  const problems: string[] = [];
  const warnings: string[] = [];
  const report: DoctorReport = {
    ok: false,
    problems,
    warnings,
    versions: { sdk: SDK_VERSION, node: process.version, platform: process.platform, arch: process.arch },
    nativeModules: {},
    configFile: options.configFile,
    config: null,
    secrets: {},
  };
  report.nativeModules['better-sqlite3'] = await canLoad(() => loadSqliteDriver());
  if (!report.nativeModules['better-sqlite3']) {
    problems.push(
      'better-sqlite3 cannot be loaded: the daemon cannot keep its journal (npm install better-sqlite3)',
    );
  }

  let loaded: { config: TerminalHostConfig; baseDir: string };
  let serve: ServeConfig | undefined;
  try {
    if (isServeConfigValue(readJsonFile(options.configFile, 'configuration file'))) {
      const served = loadServeConfig(options.configFile);
      serve = served.config;
      loaded = served;
    } else loaded = loadGateConfig(options.configFile);
  } catch (error) {
    problems.push(...configLoadProblems(error));
    return report;
  }
  const { config, baseDir } = loaded;
  report.config = redactConfig(config);

  let apiToken: string | undefined;
  if (serve) {
    try {
      apiToken = readApiToken(serve, baseDir);
    } catch (error) {
      problems.push(reasonOf(error));
    }
  }
  const daemonUrl = options.daemonUrl ?? `http://${config.http.host}:${config.http.port}`;
  // The running daemon is asked while the configuration is checked (each has its own timeout).
  const daemon = checkDaemon(
    daemonUrl,
    options.daemonUrl !== undefined,
    timeoutMs,
    problems,
    warnings,
    // `xinyi serve` answers its health under /v1, with the token only.
    serve
      ? { path: '/v1/health', headers: apiToken ? { authorization: `Bearer ${apiToken}` } : {} }
      : undefined,
  );
  const configuration = await checkConfiguration(
    // Its checks read the devices and no lane; `xinyi serve` has no gate (checkDevices allows for it).
    config as GateConfig,
    baseDir,
    { timeoutMs, clock, calendarCoverage: true },
    problems,
    warnings,
  );
  const { nativeModules, ...checked } = configuration;
  Object.assign(report.nativeModules, nativeModules);
  Object.assign(report, checked);
  if (serve) report.secrets['api.tokenFile'] = apiToken !== undefined;
  const dataDir = configPath(baseDir, config.dataDir);
  if (report.nativeModules['better-sqlite3']) {
    report.journal = await checkJournal(dataDir, config, problems);
    report.snapshot = await checkSnapshot(dataDir, config, problems);
  }
  report.devices = checkDevices(config, problems);
  report.daemon = await daemon;
  report.ok = problems.length === 0;
  return report;
}

/** `xinyi doctor`: prints the report as JSON; exit code 1 when it lists problems. */
export async function doctorCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      url: { type: 'string' },
      'timeout-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(`Usage:\n${DOCTOR_USAGE}`);
    return;
  }
  if (values.config === undefined) {
    throw usageError('doctor', '--config FILE is required');
  }
  const timeoutMs = values['timeout-ms'] === undefined ? undefined : Number(values['timeout-ms']);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
    throw usageError('doctor', '--timeout-ms must be a positive integer');
  }
  const report = await runDoctor({
    configFile: values.config,
    ...(values.url === undefined ? {} : { daemonUrl: values.url }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  console.log(JSON.stringify(report, null, 2));
  process.exitCode = report.ok ? 0 : 1;
}
