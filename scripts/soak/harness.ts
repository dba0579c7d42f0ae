import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { classifyScan } from '../../adapters/scanner/scan.js';
import { SerialScannerDecoder } from '../../adapters/scanner/serial-scanner.js';
import { loadSqliteDriver } from '../../sdk/credit/snapshot-store.js';
import type { Credential } from '../../sdk/domain/credential.js';
import {
  createHttpPlatformResolver,
  createJsonLogger,
  createPlatformSync,
  createPseudonymizer,
  createSnapshotResolver,
  createSqliteJournal,
  createTerminal,
  createUploader,
  isXinyiError,
  type JournalStore,
  openSnapshotStore,
  type Pseudonymizer,
  subjectFromIdNumber,
  subjectFromMemberCode,
} from '../../sdk/index.js';
import { readKeyFile } from '../../sdk/key-file.js';
import { VirtualSerialScanner } from '../../simulator/devices/virtual-serial-scanner.js';
import type { PlatformFault } from '../../simulator/mock-platform.js';
import type { SyntheticPerson } from '../../simulator/population.js';
import {
  findPersonalData,
  type PersonalDataForm,
  type PrivacyFinding,
  personalDataForms,
  scanFolderForPersonalData,
} from '../../simulator/privacy-scan.js';
import { createRng, type Rng } from '../../simulator/prng.js';
import { type SimulatedSite, type SiteDevice, startSimulatedSite } from '../../simulator/simulated-site.js';
import { type DaemonLine, DaemonProcess, ownLiveHeap, ownResources } from './daemon-process.js';
import {
  isLeak,
  MIN_TREND_SECONDS,
  pooledTrend,
  type ResourceSample,
  type Trend,
  windowFloors,
} from './resource-trend.js';

// ── Limits, each with the reason for its value ──────────────────────────────────────────────────────

/** The terminals' decision deadline, set explicitly in the daemon's configuration and the checkout's. */
export const DECISION_DEADLINE_MS = 800;
/**
 * Time the ID-card reader needs to hand a card over: the daemon polls every 100 ms (the site's
 * `pollIntervalMs`), the simulated SAM spends 5 + 5 + 60 ms on find, select and read, and the 1295-byte
 * answer crosses the PTY in well under 10 ms. 400 ms is twice that.
 */
export const CARD_READ_MS = 400;
/**
 * Time the QR scanner needs: a garbage fault writes its noise and then stays silent for 500 ms before
 * the scan (the scanner's `gapMs`), and the line is decoded at its CR. 700 ms covers that.
 */
export const CODE_READ_MS = 700;
/**
 * Scheduling slack on top of deadline and read time: the commit's fsync (`synchronous = FULL`), the log
 * line through a pipe, and two event loops (the daemon's, and the soak's, which also runs the mock
 * platform, the virtual devices and the checkout) on a CI machine that runs other tests at the same time.
 */
export const DEFAULT_MARGIN_MS = 1_000;
/** A device plugged back in is reopened by the daemon's backoff, which doubles up to 10 s; plus 3 s to open it. */
export const DEVICE_RECOVERY_MS = 13_000;
/** A SIGKILLed daemon, restarted, is up with every device ready: Node + tsx start-up, journal, device opens. */
export const RESTART_RECOVERY_MS = 30_000;
/** After the arrivals stop and faults are cleared: the uploaders' backoff reaches 60 s, so up to 90 s to drain. */
export const DRAIN_MS = 90_000;
/** Resource samples are taken this often. */
export const SAMPLE_INTERVAL_MS = 2_000;
/**
 * A daemon's first five minutes are left out of its live-heap and FD trends: tsx transpiles the CLI at
 * start (RSS near 137 MB, down to about 102 MB once that garbage is collected, a minute or two later),
 * V8 sizes its heap spaces and compiles the hot paths (code space grows from 1.3 to 2.4 MB over ten
 * minutes). In a 24-minute soak the live heap grew 9 MB/h between minutes 2 and 5 of a run and 1.7 MB/h
 * after; with three minutes left out, a run that ended at minute 7 measured 5.5 MB/h, with five 3.2.
 */
export const WARM_UP_MS = 300_000;
/**
 * RSS settles later than the live heap: after the start-up garbage is gone, a daemon's RSS still rises
 * about 3 MB over its first 8 minutes (malloc arenas, SQLite page caches filling with the growing
 * journal, V8 committing heap pages) and is flat after. Measured in a 20-minute soak (seed xinyi-soak):
 * per-minute means 106.4 MB at minute 1, 109.5 at minute 7, then 108.2–109.2 up to minute 16. So RSS
 * is judged only past each run's first 8 minutes, and only with 5 minutes of that: a 10-minute soak
 * reports the daemon's RSS slope but cannot judge it; `--minutes 20` or more does.
 */
export const RSS_WARM_UP_MS = 480_000;
export const RSS_MIN_TREND_SECONDS = 300;
/**
 * Leak thresholds, per hour. RSS: a gate daemon under systemd is given a few hundred MB; growing by
 * 16 MB an hour would use up 384 MB in a day, well before the monthly restart nobody schedules — and a
 * leak of one retained decision (≈2 kB) per gate arrival at this soak's rate is ≈4 MB/h, so the
 * threshold catches a per-request leak of a few kB. Smaller slopes are within the noise a GC sawtooth
 * leaves in a 10-minute run (the report gives the standard error). File descriptors are discrete: a
 * leak of one per request is thousands an hour; 30 per hour (one per two minutes) is far above the
 * ± few sockets the keep-alive pool and health checks move.
 */
export const RSS_LEAK_MB_PER_HOUR = 16;
export const HEAP_LEAK_MB_PER_HOUR = 8;
export const FD_LEAK_PER_HOUR = 30;
/**
 * File-descriptor trends are fitted on the lowest count of each 10 s window (`windowFloors`), not on
 * every 2 s sample: the soak process holds both ends of the checkout's platform connections and the
 * server end of the daemon's, so its count moves by ± 6 sockets with the requests in flight. A CI
 * run judged that movement a leak (slope 32 FDs/h, later half 83, samples 56–68 with no descriptor
 * kind growing); a leaked descriptor raises every floor after it. 10 s keeps 30 floors in the 5
 * minutes a 10-minute soak judges.
 */
export const FD_FLOOR_WINDOW_MS = 10_000;
/**
 * Fraction of the run in which the daemon may be SIGKILLed: the daemon that runs the rest gives the
 * memory trends a run long enough to measure past their warm-up (7.5 minutes of a 10-minute soak).
 */
const KILLS_UNTIL = 0.25;
/** By this fraction of the run, a soak that has not SIGKILLed the daemon yet does so next. */
const FIRST_KILL_BY = 0.15;

const GATE_HOLD_MS = 600;
/** Mock platform faults that answer before the upload route runs (nothing is stored or counted). */
const ROUTE_SKIPPING_FAULTS = new Set(['timeout', 'drop', 'status', '429', 'malformed-json']);
/** A person is not sent back to the gate within the lane's repeat window (5 s) plus room. */
const GATE_COOLDOWN_MS = 8_000;
const GATE_DEVICE_NAMES: Record<SiteDevice, string> = {
  'id-card-reader': 'id-card-reader',
  scanner: 'qr-scanner',
  gate: 'aa-gate',
};

export const PLATFORM_FAULTS = [
  'platform-down',
  'platform-slow',
  'platform-malformed-json',
  'platform-bad-snapshot-signature',
  'platform-clock-skew',
  'platform-lost-response',
] as const;
export const DEVICE_FAULTS = [
  'unplug-gate',
  'unplug-reader',
  'unplug-scanner',
  'garbage-reader',
  'damaged-reader',
  'garbage-scanner',
  'garbage-gate',
  'daemon-sigkill',
] as const;
export type FaultKind = (typeof PLATFORM_FAULTS)[number] | (typeof DEVICE_FAULTS)[number];
export const FAULT_KINDS: readonly FaultKind[] = [...PLATFORM_FAULTS, ...DEVICE_FAULTS];

export interface SoakOptions {
  minutes: number;
  seed: string;
  /**
   * Two of each fault kind first, in a seeded order with short durations, then random faults; the
   * run lasts at least until the forced ones are done.
   */
  forceEarly?: boolean;
  /** Working folder (site, logs, journals); a temporary one when absent. */
  dir?: string;
  /** Keep the working folder. @default false */
  keep?: boolean;
  marginMs?: number;
  /** The command line, for the report. */
  command: string;
  /** Progress lines. @default none */
  progress?: (line: string) => void;
}

export interface Invariant {
  name: string;
  ok: boolean;
  detail: string;
}

export interface LatencySummary {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export interface TrendReport extends Trend {
  /**
   * Whether a leak is judged on this trend. The soak process's memory is not: it keeps, by design, a
   * record of every presentation, decision id and upload key, and the mock platform its idempotency
   * store (a few kB per decision: `soakPerDecisionKb`). Its file descriptors are judged.
   */
  judged: boolean;
  leak: boolean;
  thresholdPerHour: number;
  /** Left out at the start of each process run. */
  warmUpSeconds: number;
  /** Steady-state time needed to judge the trend (`measured`). */
  minSeconds: number;
}

export interface SoakReport {
  ok: boolean;
  command: string;
  seed: string;
  minutesRequested: number;
  forceEarly: boolean;
  startedAt: string;
  durationSeconds: number;
  machine: { host: string; cpu: string; cores: number; memoryGb: number; os: string; node: string };
  limits: {
    decisionDeadlineMs: number;
    cardReadMs: number;
    codeReadMs: number;
    marginMs: number;
    deviceRecoveryMs: number;
    restartRecoveryMs: number;
    rssLeakMbPerHour: number;
    heapLeakMbPerHour: number;
    fdLeakPerHour: number;
    heapWarmUpMinutes: number;
    rssWarmUpMinutes: number;
    rssMinSeconds: number;
  };
  /** Injected episodes per kind, and the platform requests each platform fault shaped. */
  faults: Record<FaultKind, { injected: number; requestsAffected?: number }>;
  gate: {
    arrivals: number;
    cardTaps: number;
    codeScans: number;
    decided: number;
    /** A credential the lane never got: the reader or scanner unplugged, the daemon down. */
    notPresented: number;
    notPresentedReasons: Record<string, number>;
    /** Read by a daemon that was SIGKILLed before it could decide (nothing committed, the gate stayed shut). */
    interruptedByKill: number;
    deadlineMisses: number;
    /** Read, or left on a working reader, and never decided. */
    missed: number;
    /** Decisions nobody presented a credential for (or a not-presented credential decided after all). */
    unattributed: number;
    /** What each unattributed decision was, to investigate (person ids are the population's `p0001`…). */
    unattributedDetails: {
      decisionId: string;
      atS: number;
      person: string | null;
      /** The decision's masked subject when it matched nobody in the population (a garbled read). */
      masked?: string;
      latest: { mode: string; status: string; t0S: number; readAtS?: number; reason?: string } | null;
    }[];
    /** The same card read twice in one tap (a reader reconnecting under it). */
    secondReads: number;
    /** Card texts the virtual reader served damaged past the frame checksum (`damaged-reader`). */
    damagedTextsServed: number;
    /**
     * Decisions on scanner noise that was, byte for byte, a clean scan of some barcode (printable
     * text ended by silence): an unknown barcode to any decoder, so not counted as a stranger's.
     */
    noiseDecidedAsScan: number;
    latencyFromArrival: LatencySummary;
    terminalLatency: LatencySummary;
    outcomes: Record<string, number>;
    sources: Record<string, number>;
  };
  checkout: {
    decisions: number;
    deadlineMisses: number;
    failures: number;
    latency: LatencySummary;
    sources: Record<string, number>;
  };
  journal: {
    gateDecisionsLogged: number;
    gateDecisionsInJournal: number;
    /** Committed, then SIGKILLed before the log line: kept and uploaded, never acted on. */
    committedNotLogged: number;
    loggedBeforeCommitted: number;
    checkoutDecisionsInJournal: number;
    disclosures: number;
  };
  losses: {
    loggedNotInJournal: number;
    checkoutNotInJournal: number;
    gateNotUploaded: number;
    checkoutNotUploaded: number;
    disclosuresNotUploaded: number;
    total: number;
  };
  duplicates: {
    /** Received more than once with no reason the sender could see. */
    unexplained: number;
    /** Sent again after an answer that never came back (lost response, dropped connection). */
    resentAfterLostAnswer: number;
    /** Sent again by the restarted daemon: SIGKILLed between the platform's answer and marking the batch. */
    resentAfterKill: number;
    storedTwice: number;
  };
  errors: {
    daemonUnhandledRejections: number;
    daemonUnexpectedExits: number;
    daemonErrorLines: Record<string, number>;
    listenerThrew: number;
    soakUnhandledRejections: string[];
    soakUncaughtExceptions: string[];
    cleanShutdown: boolean;
  };
  devices: {
    episodesChecked: number;
    stuck: number;
    maxRecoveryMs: number | null;
    restarts: number;
    maxRestartMs: number | null;
  };
  resources: {
    daemonRssMb: TrendReport;
    /** Live heap after a full GC (the heap probe), MB. */
    daemonHeapMb: TrendReport;
    daemonFds: TrendReport;
    soakRssMb: TrendReport;
    soakHeapMb: TrendReport;
    soakFds: TrendReport;
    daemonSegments: number;
    /** The soak process's live-heap growth per decision made (gate and checkout), kB. */
    soakPerDecisionKb: number | null;
    /** The daemon's heap spaces after each probe's GC: [seconds, segment, bytes by space]. */
    daemonHeapSpaces: [number, number, Record<string, number>][];
    /** The raw samples: [seconds, segment, value]. */
    samples: Record<
      'daemonRssMb' | 'daemonHeapMb' | 'daemonFds' | 'soakRssMb' | 'soakHeapMb' | 'soakFds',
      number[][]
    >;
  };
  privacy: {
    filesScanned: number;
    bytesScanned: number;
    platformRequestsScanned: number;
    platformBytesScanned: number;
    scrubbedLogLines: number;
    found: PrivacyFinding[];
  };
  invariants: Invariant[];
}

// ── Small helpers ───────────────────────────────────────────────────────────────────────────────────

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

function latencySummary(values: number[]): LatencySummary {
  if (values.length === 0) return { count: 0, p50Ms: null, p99Ms: null, maxMs: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    count: values.length,
    p50Ms: round(at(0.5)),
    p99Ms: round(at(0.99)),
    maxMs: round(sorted.at(-1)!),
  };
}

function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Line noise that holds no frame start (0xAA: SAM preamble and AA-frame start) and no line end (CR, LF). */
function noise(rng: Rng): Buffer {
  const bytes: number[] = [];
  const length = rng.int(4, 24);
  while (bytes.length < length) {
    const b = rng.int(0, 255);
    if (b !== 0xaa && b !== 0x0d && b !== 0x0a) bytes.push(b);
  }
  return Buffer.from(bytes);
}

async function getJson(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return (await response.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

interface Interval {
  from: number;
  to: number;
}

const overlaps = (windows: readonly Interval[], from: number, to: number) =>
  windows.some((w) => w.from <= to && w.to >= from);

// ── The gate lane as the soak sees it ───────────────────────────────────────────────────────────────

type PresentationStatus = 'pending' | 'decided' | 'not-presented' | 'interrupted' | 'missed';

interface GatePresentation {
  seq: number;
  person: number;
  mode: 'card' | 'code';
  t0: number;
  boundMs: number;
  readAt?: number;
  scanWritten?: boolean;
  decidedAt?: number;
  status: PresentationStatus;
  late?: boolean;
  reason?: string;
  wake?: () => void;
}

interface UploadSend {
  at: number;
  record: { status?: number; fault?: string };
}

/** Runs the soak and returns its report (the caller prints it, writes it, and sets the exit code). */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const startedAtMs = Date.now();
  const startedAt = new Date(startedAtMs).toISOString();
  const rng = createRng(`soak:${options.seed}`);
  const marginMs = options.marginMs ?? DEFAULT_MARGIN_MS;
  const progress = options.progress ?? (() => {});
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'xinyi-soak-'));
  mkdirSync(dir, { recursive: true });
  const logsDir = join(dir, 'logs');
  const checkoutDir = join(dir, 'checkout');
  mkdirSync(logsDir, { recursive: true });
  mkdirSync(checkoutDir, { recursive: true });
  const since = () => Date.now() - startedAtMs;

  const soakUnhandled: string[] = [];
  const soakUncaught: string[] = [];
  const onUnhandled = (reason: unknown) => {
    soakUnhandled.push(isXinyiError(reason) ? reason.code : String(reason).slice(0, 300));
  };
  const onUncaught = (error: Error) => {
    soakUncaught.push(String(error?.stack ?? error).slice(0, 500));
  };
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUncaught);

  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, { injected: 0 }])) as SoakReport['faults'];
  const affectedByFault: Record<string, number> = {};
  const invariants: Invariant[] = [];

  const site: SimulatedSite = await startSimulatedSite({
    dir: join(dir, 'site'),
    seed: `soak:${options.seed}`,
    people: 60,
    gateTiming: { motionMs: 40, passDelayMs: 150 },
  });
  const people = site.people;
  const personalData: PersonalDataForm[] = people.flatMap(personalDataForms);
  // Read as the daemon reads it (a `hex:` key file): the soak's pseudonyms must be the daemon's.
  const pseudonymKey = readKeyFile(site.description.files.pseudonymKey);
  const pseudonymizer: Pseudonymizer = createPseudonymizer(pseudonymKey);
  /** Every pseudonym a decision can carry for a person: ID card, credit code holder, member code. */
  const personByPseudonym = new Map<string, number>();
  people.forEach((p, i) => {
    personByPseudonym.set(subjectFromIdNumber(pseudonymizer, p.idNumber).pseudonym, i);
    personByPseudonym.set(subjectFromMemberCode(pseudonymizer, p.memberCode).pseudonym, i);
    // A credit code names its holder by the issuer's own pseudonym of them (the phone knows it).
    const phone = site.phones.get(p.id);
    if (phone) personByPseudonym.set(`code:${phone.pseudonym}`, i);
  });
  /**
   * Pseudonyms of the barcodes that injected scanner noise reads as. Noise that happens to be clean
   * text ended by silence is byte for byte what a scanner sends for a barcode of that text: no
   * decoder can tell them apart, so a decision for it is counted as such, not as a stranger's.
   */
  const noiseScanPseudonyms = new Set<string>();
  const noteScannerNoise = (bytes: Uint8Array) => {
    const decoder = new SerialScannerDecoder();
    for (const out of [...decoder.push(bytes, 0), ...decoder.flush()]) {
      if (out instanceof Error) continue;
      const credential = classifyScan(out);
      if (credential.kind === 'barcode') {
        noiseScanPseudonyms.add(subjectFromMemberCode(pseudonymizer, credential.text).pseudonym);
      }
    }
  };
  let noiseDecidedAsScan = 0;

  // ── The gate daemon ──
  const gateDataDir = join(dir, 'gate-data');
  const base = site.gateConfig();
  const config = site.gateConfig({
    dataDir: gateDataDir,
    decisionDeadlineMs: DECISION_DEADLINE_MS,
    platform: { ...(base.platform as object), syncIntervalMs: 5_000, statusListIntervalMs: 5_000 },
    journal: { uploadIntervalMs: 1_000 },
    log: { level: 'info' },
  });
  const configFile = join(dir, 'gate.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));

  let daemon: DaemonProcess | undefined;
  let incarnations = 0;
  const kills: number[] = [];
  const daemonDown: Interval[] = [];
  const deviceDown: Record<string, Interval[]> = { 'id-card-reader': [], 'qr-scanner': [], 'aa-gate': [] };
  /** Devices the daemon has reported not ready (or not yet ready, after a start), since when. */
  const openDeviceDown = new Map<string, number>();
  /** Devices the soak has unplugged and not yet seen ready again, since when. */
  const activeUnplugs = new Map<string, number>();
  /** Since when the daemon is down (SIGKILLed, not yet up again with its devices ready). */
  let restartingSince: number | undefined;
  const daemonErrorLines: Record<string, number> = {};
  let daemonUnhandled = 0;
  let listenerThrew = 0;
  let scrubbedLogLines = 0;
  let unexpectedExits = 0;
  const gateLogged: { id: string; at: number; pseudonym?: string }[] = [];
  const gateOutcomes: Record<string, number> = {};
  const gateSources: Record<string, number> = {};
  const terminalLatencies: number[] = [];
  let loggedBeforeCommitted = 0;
  let lookupJournal: JournalStore | undefined;
  const heapSpaces: [number, number, Record<string, number>][] = [];
  const samples = {
    daemonRss: [] as ResourceSample[],
    daemonHeap: [] as ResourceSample[],
    daemonFds: [] as ResourceSample[],
  };
  const soakSamples = {
    rss: [] as ResourceSample[],
    heap: [] as ResourceSample[],
    fds: [] as ResourceSample[],
  };

  const presentations: GatePresentation[] = [];
  let unattributed = 0;
  const unattributedDetails: SoakReport['gate']['unattributedDetails'] = [];
  let secondReads = 0;

  const closeDeviceDown = (device: string, at: number) => {
    const from = openDeviceDown.get(device);
    if (from === undefined) return;
    openDeviceDown.delete(device);
    deviceDown[device]?.push({ from, to: at });
  };

  const onGateDecision = (line: DaemonLine) => {
    const at = Date.now();
    const id = String(line.decisionId);
    bump(gateSources, String(line.source));
    if (typeof line.latencyMs === 'number') terminalLatencies.push(line.latencyMs);
    // The log line is written after the commit: the decision must already be in the journal.
    let pseudonym: string | undefined;
    let masked: string | undefined;
    let committed = false;
    try {
      const record = lookupJournal?.getDecision(id);
      committed = record !== undefined;
      pseudonym = record?.decision.subject?.pseudonym;
      masked = record?.decision.subject?.masked;
    } catch {
      committed = false;
    }
    if (lookupJournal && !committed) loggedBeforeCommitted++;
    gateLogged.push({ id, at, ...(pseudonym ? { pseudonym } : {}) });
    const person = pseudonym === undefined ? undefined : personByPseudonym.get(pseudonym);
    if (pseudonym !== undefined && person === undefined && noiseScanPseudonyms.has(pseudonym)) {
      noiseDecidedAsScan++;
      return;
    }
    // The lane takes one person at a time: the decision belongs to the latest presentation of this
    // person or, for a decision with no subject at all (an unreadable code), to the one pending. A
    // subject that is nobody's is never given to whoever happens to be pending.
    const candidates = presentations.filter((p) =>
      pseudonym === undefined ? p.status === 'pending' : person !== undefined && p.person === person,
    );
    const match = candidates.at(-1);
    const unattribute = () => {
      unattributed++;
      const s = (ms: number) => Math.round((ms - startedAtMs) / 100) / 10;
      unattributedDetails.push({
        decisionId: id,
        atS: s(at),
        person: person === undefined ? null : people[person]!.id,
        ...(person === undefined && masked !== undefined ? { masked: JSON.stringify(masked) } : {}),
        latest: match
          ? {
              mode: match.mode,
              status: match.status,
              t0S: s(match.t0),
              ...(match.readAt ? { readAtS: s(match.readAt) } : {}),
              ...(match.reason ? { reason: match.reason } : {}),
            }
          : null,
      });
    };
    if (match === undefined) {
      unattribute();
      return;
    }
    if (match.status === 'decided') {
      if (at - match.t0 < GATE_HOLD_MS + 1_000) secondReads++;
      else unattribute();
      return;
    }
    if (match.status === 'not-presented') unattribute();
    if (match.status !== 'pending') match.late = true;
    match.status = 'decided';
    match.decidedAt = at;
    match.wake?.();
  };

  const onLine = (line: DaemonLine, from: DaemonProcess) => {
    const text = JSON.stringify(line);
    if (text.includes('[id-number]')) scrubbedLogLines++;
    if (line.level === 'error') bump(daemonErrorLines, String(line.msg));
    switch (line.msg) {
      case 'decision':
        onGateDecision(line);
        break;
      case 'gate outcome':
        bump(gateOutcomes, String(line.outcome));
        break;
      case 'device state': {
        const device = String(line.device);
        if (line.state === 'ready') closeDeviceDown(device, Date.now());
        else if (!openDeviceDown.has(device)) openDeviceDown.set(device, Date.now());
        break;
      }
      case 'unhandled rejection':
        daemonUnhandled++;
        break;
      case 'decision listener threw':
      case 'gate controller listener threw':
      case 'uploader event listener threw':
        listenerThrew++;
        break;
      default:
    }
    void from;
  };

  const startDaemon = async (): Promise<number> => {
    const spawnedAt = Date.now();
    incarnations++;
    const started = new DaemonProcess({
      configFile,
      incarnation: incarnations,
      logFile: join(logsDir, `daemon-${incarnations}.log`),
      onLine,
      onUnparsed: (text) => bump(daemonErrorLines, `unparsed: ${text.slice(0, 60)}`),
      onHeap: (bytes, from, spaces) => {
        if (!from.running) return;
        samples.daemonHeap.push({ atMs: since(), segment: from.incarnation, value: bytes / 2 ** 20 });
        heapSpaces.push([Math.round(since() / 1000), from.incarnation, spaces]);
      },
    });
    daemon = started;
    void started.exited.then(() => {
      if (started.killedWith === undefined) unexpectedExits++;
    });
    // A new process knows no device yet: each is down until this one reports it ready.
    for (const device of Object.keys(deviceDown))
      if (!openDeviceDown.has(device)) openDeviceDown.set(device, spawnedAt);
    const until = spawnedAt + RESTART_RECOVERY_MS;
    while (Date.now() < until) {
      if (started.exitCode !== undefined) break;
      if (started.url !== '') {
        const health = await getJson(`${started.url}/health`);
        const devices = health?.devices as Record<string, string> | undefined;
        if (devices && Object.values(GATE_DEVICE_NAMES).every((d) => devices[d] === 'ready')) {
          for (const d of Object.keys(deviceDown)) closeDeviceDown(d, Date.now());
          return Date.now() - spawnedAt;
        }
      }
      await sleep(100);
    }
    throw new Error(
      `the gate daemon was not up with every device ready within ${RESTART_RECOVERY_MS} ms: ${started.stderrText.slice(-800)}`,
    );
  };

  // However the soak ends (an exception, Ctrl-C), no daemon outlives it.
  const killDaemon = () => daemon?.child.kill('SIGKILL');
  process.once('exit', killDaemon);
  const firstStartMs = await startDaemon();
  lookupJournal = await createSqliteJournal({ path: join(gateDataDir, 'journal.sqlite'), readonly: true });
  progress(`soak: daemon up in ${firstStartMs} ms; site in ${join(dir, 'site')}`);

  // ── The checkout terminal, in this process, on the same platform ──
  const checkoutLog = createWriteStream(join(logsDir, 'checkout.log'));
  const checkoutLogger = createJsonLogger({ level: 'info', write: (line) => checkoutLog.write(line) });
  const checkoutErrorLines: Record<string, number> = {};
  const checkoutLoggerCounting = {
    ...checkoutLogger,
    error(obj: object, msg?: string) {
      bump(checkoutErrorLines, String(msg));
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
  const checkoutJournal = await createSqliteJournal({
    path: join(checkoutDir, 'journal.sqlite'),
    logger: checkoutLoggerCounting,
  });
  const uploader = createUploader({
    journal: checkoutJournal,
    platform: http,
    logger: checkoutLoggerCounting,
  });
  const checkout = createTerminal({
    terminalId: 'pos-soak-01',
    scene: 'supermarket-checkout',
    pseudonymizer,
    credit: [http, createSnapshotResolver(store)],
    journal: checkoutJournal,
    uploader,
    decisionDeadlineMs: DECISION_DEADLINE_MS,
    logger: checkoutLoggerCounting,
  });
  uploader.start();

  // ── What the platform receives: scanned as it arrives, then let go (the soak's memory stays flat) ──
  const sendsByKey = new Map<string, UploadSend[]>();
  let platformRequestsScanned = 0;
  let platformBytesScanned = 0;
  const privacyFound: PrivacyFinding[] = [];
  const harvest = () => {
    const now = Date.now();
    for (const request of site.platform.requests.splice(0)) {
      platformRequestsScanned++;
      if (request.fault !== undefined) bump(affectedByFault, request.fault);
      if (request.body === undefined) continue;
      const bytes = Buffer.from(JSON.stringify(request.body), 'utf8');
      platformBytesScanned += bytes.length;
      privacyFound.push(...findPersonalData(bytes, `platform request ${request.path}`, personalData));
      if (request.path === '/v1/decisions' || request.path === '/v1/disclosures') {
        const items = (request.body as { items?: unknown[] }).items ?? [];
        for (const item of items) {
          const key = (item as { key?: unknown }).key;
          if (typeof key !== 'string') continue;
          const list = sendsByKey.get(key) ?? [];
          list.push({ at: now, record: request });
          sendsByKey.set(key, list);
        }
      }
      delete request.body;
    }
    site.platform.uploads.decisions.splice(0);
    site.platform.uploads.disclosures.splice(0);
  };
  const harvestTimer = setInterval(harvest, 250);

  // ── Resource samples ──
  let sampleCount = 0;
  const sample = () => {
    const atMs = since();
    const d = daemon?.resources();
    if (d && daemon) {
      samples.daemonRss.push({ atMs, segment: daemon.incarnation, value: d.rssKb / 1024 });
      samples.daemonFds.push({ atMs, segment: daemon.incarnation, value: d.fds });
    }
    const own = ownResources();
    soakSamples.rss.push({ atMs, segment: 0, value: own.rssKb / 1024 });
    soakSamples.fds.push({ atMs, segment: 0, value: own.fds });
    // A full GC of this process every 5th sample (10 s), as the probe does in the daemon.
    if (sampleCount++ % 5 === 0) soakSamples.heap.push({ atMs, segment: 0, value: ownLiveHeap() / 2 ** 20 });
  };
  const sampleTimer = setInterval(sample, SAMPLE_INTERVAL_MS);

  // ── The virtual reader tells when it served a read of the card lying on it ──
  let placed: GatePresentation | undefined;
  site.reader.on('response', (e) => {
    if ((e.name === 'readBase' || e.name === 'readBaseWithFingerprint') && e.sw3 === 0x90 && placed) {
      placed.readAt ??= Date.now();
    }
  });

  const durationMs = options.minutes * 60_000;
  /** Fault lanes still working through their forced list. */
  let forcedLanes = options.forceEarly ? 2 : 0;
  let ending = false;
  const isOver = () => ending || (Date.now() - startedAtMs >= durationMs && forcedLanes === 0);

  const sinceBefore = (at: number | undefined, to: number) => at !== undefined && at <= to;
  const laneDown = (device: string, from: number, to: number) =>
    overlaps(daemonDown, from, to) ||
    overlaps(deviceDown[device] ?? [], from, to) ||
    sinceBefore(openDeviceDown.get(device), to) ||
    sinceBefore(activeUnplugs.get(device), to) ||
    sinceBefore(restartingSince, to);

  const classify = (p: GatePresentation) => {
    if (p.status !== 'pending') return;
    const end = p.t0 + p.boundMs;
    if (kills.some((k) => k >= p.t0 && k <= end)) {
      p.status = 'interrupted';
      return;
    }
    const device = p.mode === 'card' ? 'id-card-reader' : 'qr-scanner';
    if (p.mode === 'code' && p.scanWritten === false) {
      p.status = 'not-presented';
      p.reason = 'scanner unplugged: nothing written';
    } else if (p.mode === 'card' && p.readAt === undefined && laneDown(device, p.t0, p.t0 + GATE_HOLD_MS)) {
      p.status = 'not-presented';
      p.reason = 'reader unplugged or daemon down: card never read';
    } else if (p.mode === 'code' && laneDown(device, p.t0, end)) {
      p.status = 'not-presented';
      p.reason = 'scanner unplugged or daemon down: scan not taken';
    } else if (p.mode === 'card' && p.readAt !== undefined && laneDown(device, p.readAt, end)) {
      p.status = 'not-presented';
      p.reason = 'reader unplugged mid-read';
    } else {
      p.status = 'missed';
    }
  };

  // ── People at the gate ──
  const lastAtGate = new Map<number, number>();
  const gateLoop = async () => {
    let seq = 0;
    while (!isOver()) {
      const now = Date.now();
      const free = people.map((_, i) => i).filter((i) => now - (lastAtGate.get(i) ?? 0) > GATE_COOLDOWN_MS);
      const index = rng.pick(free);
      const person = people[index]!;
      lastAtGate.set(index, now);
      const laneUp =
        restartingSince === undefined &&
        ['qr-scanner', 'id-card-reader'].every((d) => !openDeviceDown.has(d) && !activeUnplugs.has(d));
      const mode = site.phones.has(person.id) && laneUp && rng.chance(0.4) ? 'code' : 'card';
      const p: GatePresentation = {
        seq: ++seq,
        person: index,
        mode,
        t0: Date.now(),
        boundMs: (mode === 'card' ? CARD_READ_MS : CODE_READ_MS) + DECISION_DEADLINE_MS + marginMs,
        status: 'pending',
      };
      presentations.push(p);
      const decided = new Promise<void>((resolve) => {
        p.wake = resolve;
      });
      let walking: Promise<unknown> = Promise.resolve();
      if (mode === 'card') {
        placed = p;
        walking = site.tap(person, GATE_HOLD_MS).finally(() => {
          if (placed === p) placed = undefined;
        });
      } else {
        p.scanWritten = await site.showCode(person);
      }
      await Promise.race([decided, sleep(p.t0 + p.boundMs - Date.now())]);
      await walking;
      if (p.status === 'pending' && Date.now() < p.t0 + p.boundMs) {
        await Promise.race([decided, sleep(p.t0 + p.boundMs - Date.now())]);
      }
      classify(p);
      p.wake = undefined;
      lastAtGate.set(index, Date.now());
      await sleep(rng.int(500, 2_000));
    }
  };

  // ── People at the checkout ──
  const checkoutIds: string[] = [];
  const checkoutLatencies: number[] = [];
  const checkoutSources: Record<string, number> = {};
  let checkoutMisses = 0;
  let checkoutFailures = 0;
  const checkoutLoop = async () => {
    while (!isOver()) {
      const person: SyntheticPerson = rng.pick(people);
      const credential: Credential = rng.chance(0.5)
        ? { kind: 'barcode', text: person.memberCode }
        : { kind: 'id-card', idNumber: person.idNumber, name: person.name };
      const began = performance.now();
      try {
        const decision = await checkout.present(credential);
        const took = performance.now() - began;
        checkoutLatencies.push(took);
        if (took > DECISION_DEADLINE_MS + marginMs) checkoutMisses++;
        checkoutIds.push(decision.id);
        bump(checkoutSources, decision.standingSource);
        // The sale went through for most: only then do the benefits count as used.
        if (rng.chance(0.8)) checkout.confirmUse(decision);
      } catch {
        checkoutFailures++;
      }
      await sleep(rng.int(500, 2_000));
    }
  };

  // ── Faults ──
  const recoveryTimes: number[] = [];
  const restartTimes: number[] = [];
  let stuck = 0;
  let episodesChecked = 0;

  /** Waits until the current daemon reports every device ready; false after `withinMs`. */
  const devicesReady = async (withinMs: number): Promise<boolean> => {
    const until = Date.now() + withinMs;
    while (Date.now() < until) {
      if (daemon?.running && daemon.url !== '') {
        const health = await getJson(`${daemon.url}/health`);
        const devices = health?.devices as Record<string, string> | undefined;
        if (devices && Object.values(GATE_DEVICE_NAMES).every((d) => devices[d] === 'ready')) return true;
      }
      await sleep(100);
    }
    return false;
  };

  const afterDeviceEpisode = async (from: number) => {
    episodesChecked++;
    if (await devicesReady(DEVICE_RECOVERY_MS)) {
      recoveryTimes.push(Date.now() - from);
      // Health says ready: a device whose "ready" line is still to come is not down any more.
      for (const d of Object.keys(deviceDown)) closeDeviceDown(d, Date.now());
    } else stuck++;
  };

  const platformEpisode = async (kind: (typeof PLATFORM_FAULTS)[number], forMs: number) => {
    faults[kind].injected++;
    const { platform } = site;
    const inject = (fault: PlatformFault) => platform.faults.inject(fault);
    switch (kind) {
      case 'platform-down':
        inject(
          rng.pick<PlatformFault>([
            { kind: 'status', status: 503 },
            { kind: 'drop' },
            { kind: 'timeout' },
            { kind: 'status', status: 502 },
          ]),
        );
        break;
      case 'platform-slow':
        inject({ kind: 'latency', ms: rng.int(250, 1_500) });
        break;
      case 'platform-malformed-json':
        inject({ kind: 'malformed-json' });
        break;
      case 'platform-bad-snapshot-signature': {
        // A standing changes so that the next delta is not empty: the forged signature has something to sign.
        const person = rng.pick(people);
        platform.setStanding(pseudonymizer.pseudonymize(person.idNumber, 'id-number'), {
          tier: person.tier,
          score: person.score,
          lists: person.lists,
        });
        inject({ kind: 'bad-snapshot-signature' });
        break;
      }
      case 'platform-clock-skew': {
        const ms = rng.int(60_000, 900_000) * (rng.chance(0.5) ? 1 : -1);
        inject({ kind: 'clock-skew', ms });
        break;
      }
      case 'platform-lost-response':
        inject({ kind: 'lost-response' });
        break;
    }
    await sleep(forMs);
    platform.faults.clear();
  };

  const deviceEpisode = async (kind: (typeof DEVICE_FAULTS)[number], forMs: number) => {
    faults[kind].injected++;
    const began = Date.now();
    switch (kind) {
      case 'unplug-gate':
      case 'unplug-reader':
      case 'unplug-scanner': {
        const device: SiteDevice =
          kind === 'unplug-gate' ? 'gate' : kind === 'unplug-reader' ? 'id-card-reader' : 'scanner';
        const name = GATE_DEVICE_NAMES[device];
        activeUnplugs.set(name, began);
        await site.unplug(device, forMs);
        await sleep(forMs);
        await afterDeviceEpisode(Date.now());
        // From the pull to the daemon's "ready": the device was down for the lane, whatever the log said.
        activeUnplugs.delete(name);
        deviceDown[name]!.push({ from: began, to: Date.now() });
        break;
      }
      case 'garbage-reader':
      case 'garbage-scanner':
      case 'garbage-gate': {
        const bytes = rng.chance(0.5) ? undefined : noise(rng);
        if (kind === 'garbage-scanner') noteScannerNoise(bytes ?? VirtualSerialScanner.defaultGarbage);
        const withdraw =
          kind === 'garbage-reader'
            ? site.reader.injectFault({
                kind: 'garbage',
                on: 'any',
                persistent: true,
                ...(bytes ? { bytes } : {}),
              })
            : kind === 'garbage-scanner'
              ? site.scanner.injectFault({ kind: 'garbage', persistent: true, ...(bytes ? { bytes } : {}) })
              : site.gate.injectFault({ kind: 'garbage', persistent: true, ...(bytes ? { bytes } : {}) });
        await sleep(forMs);
        withdraw();
        await afterDeviceEpisode(Date.now());
        break;
      }
      case 'damaged-reader': {
        // Damage the frame checksum cannot see (a garbled line lets one in 256 through): the next one
        // or two card texts change somewhere, each in a different place as line noise would; the
        // reader must read the card again, not decide on it. At most two, so the reader's third
        // attempt (retries: 2) still reads the card.
        const first = rng.int(4, 4 + 255);
        const offsets = rng.chance(0.5) ? [first] : [first, 4 + ((first - 4 + rng.int(1, 255)) % 256)];
        const withdrawals = offsets.map((offset) =>
          site.reader.injectFault({
            kind: 'checksum-blind-damage',
            on: 'readBase',
            offset,
            mask: rng.int(1, 255),
          }),
        );
        await sleep(forMs);
        for (const withdraw of withdrawals) withdraw();
        await afterDeviceEpisode(Date.now());
        break;
      }
      case 'daemon-sigkill': {
        const victim = daemon!;
        harvest();
        const killedAt = Date.now();
        kills.push(killedAt);
        restartingSince = killedAt;
        victim.kill('SIGKILL');
        await victim.exited;
        // A supervisor (systemd's Restart=) starts it again after a moment.
        await sleep(rng.int(300, 2_000));
        let restartMs: number;
        try {
          restartMs = await startDaemon();
          restartTimes.push(restartMs);
        } catch (error) {
          stuck++;
          progress(`soak: ${String(error)}`);
        }
        daemonDown.push({ from: killedAt, to: Date.now() });
        restartingSince = undefined;
        episodesChecked++;
        break;
      }
    }
  };

  const faultLoop = async <K extends FaultKind>(
    kinds: readonly K[],
    weights: Record<K, number>,
    run: (kind: K, forMs: number) => Promise<void>,
    timing: { gapMs: [number, number]; forMs: [number, number] },
  ) => {
    const forced = options.forceEarly ? shuffled(rng, [...kinds, ...kinds]) : [];
    while (forced.length > 0) {
      await sleep(rng.int(200, 600));
      await run(forced.shift()!, rng.int(1_000, 2_000));
    }
    if (options.forceEarly) forcedLanes--;
    while (!isOver()) {
      const gap = rng.int(...timing.gapMs);
      const wakeAt = Date.now() + gap;
      while (Date.now() < wakeAt && !isOver()) await sleep(Math.min(500, wakeAt - Date.now()));
      if (isOver()) break;
      // SIGKILLs only early (a restart resets the memory trends), and at least one in every soak.
      const elapsed = Date.now() - startedAtMs;
      const late = elapsed > durationMs * KILLS_UNTIL;
      const killDue =
        (kinds as readonly FaultKind[]).includes('daemon-sigkill') &&
        kills.length === 0 &&
        !late &&
        elapsed >= durationMs * FIRST_KILL_BY;
      const weighted = kinds.map((k) => [k, late && k === 'daemon-sigkill' ? 0 : weights[k]] as const);
      const kind = killDue ? ('daemon-sigkill' as K) : rng.weighted(weighted);
      await run(kind, rng.int(...timing.forMs));
    }
  };

  const platformChaos = faultLoop(
    PLATFORM_FAULTS,
    {
      'platform-down': 3,
      'platform-slow': 3,
      'platform-malformed-json': 2,
      'platform-bad-snapshot-signature': 2,
      'platform-clock-skew': 2,
      'platform-lost-response': 2,
    },
    platformEpisode,
    { gapMs: [3_000, 20_000], forMs: [3_000, 20_000] },
  );
  const deviceChaos = faultLoop(
    DEVICE_FAULTS,
    {
      'unplug-gate': 1.5,
      'unplug-reader': 1.5,
      'unplug-scanner': 1.5,
      'garbage-reader': 1.5,
      'damaged-reader': 1.5,
      'garbage-scanner': 1.5,
      'garbage-gate': 1.5,
      'daemon-sigkill': 1,
    },
    deviceEpisode,
    { gapMs: [5_000, 25_000], forMs: [1_000, 6_000] },
  );
  const loops = [gateLoop(), checkoutLoop(), platformChaos, deviceChaos];

  const progressTimer = setInterval(() => {
    const decided = presentations.filter((p) => p.status === 'decided').length;
    progress(
      `soak: ${Math.round(since() / 1000)} s, gate ${decided}/${presentations.length} decided, checkout ${checkoutIds.length}, ` +
        `faults ${Object.values(faults).reduce((n, f) => n + f.injected, 0)}, daemon #${daemon?.incarnation ?? 0}`,
    );
  }, 30_000);

  const results = await Promise.allSettled(loops);
  ending = true;
  clearInterval(progressTimer);
  for (const result of results) {
    if (result.status === 'rejected')
      soakUncaught.push(`loop failed: ${String(result.reason).slice(0, 500)}`);
  }

  // ── Drain: faults off, devices back, every backlog uploaded, then a clean stop ──
  site.platform.faults.clear();
  site.reader.clearFaults();
  site.scanner.clearFaults();
  site.gate.clearFaults();
  const endedArrivalsAt = Date.now();
  if (!(await devicesReady(DEVICE_RECOVERY_MS))) stuck++;
  let gateBacklog = Number.NaN;
  const drainUntil = Date.now() + DRAIN_MS;
  while (Date.now() < drainUntil) {
    const health = daemon?.running ? await getJson(`${daemon.url}/health`) : undefined;
    const backlog = health?.backlog as Record<string, { count: number }> | undefined;
    gateBacklog = backlog ? Object.values(backlog).reduce((n, b) => n + b.count, 0) : Number.NaN;
    const checkoutPending = Object.values(checkoutJournal.backlog()).reduce((n, b) => n + b.count, 0);
    if (gateBacklog === 0 && checkoutPending === 0) break;
    if (checkoutPending > 0) await uploader.flush();
    await sleep(500);
  }
  progress(`soak: drained in ${Date.now() - endedArrivalsAt} ms (gate backlog ${gateBacklog})`);
  let cleanShutdown = false;
  if (daemon?.running) {
    const last = daemon;
    last.kill('SIGTERM');
    await Promise.race([last.exited, sleep(20_000)]);
    cleanShutdown = last.exitCode === 0;
    if (last.exitCode === undefined) last.child.kill('SIGKILL');
  }
  clearInterval(sampleTimer);
  await uploader.flush();
  uploader.stop();
  sync.stop();
  await checkout.close();
  harvest();
  clearInterval(harvestTimer);
  lookupJournal?.close();

  // ── Losses and duplicates, from the journals on disk and what the platform received ──
  const Driver = await loadSqliteDriver();
  const readRows = (path: string, sql: string) => {
    const db = new Driver(path, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).all() as { id: string; uploaded_at: number | null }[];
    } finally {
      db.close();
    }
  };
  const gateRows = readRows(join(gateDataDir, 'journal.sqlite'), 'SELECT id, uploaded_at FROM decisions');
  const gateDisclosures = readRows(
    join(gateDataDir, 'journal.sqlite'),
    'SELECT id, uploaded_at FROM disclosures',
  );
  checkoutJournal.close();
  store.close();
  const checkoutRows = readRows(join(checkoutDir, 'journal.sqlite'), 'SELECT id, uploaded_at FROM decisions');
  const checkoutDisclosures = readRows(
    join(checkoutDir, 'journal.sqlite'),
    'SELECT id, uploaded_at FROM disclosures',
  );
  const inGateJournal = new Set(gateRows.map((r) => r.id));
  const inCheckoutJournal = new Set(checkoutRows.map((r) => r.id));
  const loggedIds = new Set(gateLogged.map((l) => l.id));
  const received = site.platform.uploads.receivedByKey;
  const receivedOnce = (kind: 'decisions' | 'disclosures', id: string) => (received[kind].get(id) ?? 0) >= 1;
  const losses = {
    loggedNotInJournal: [...loggedIds].filter((id) => !inGateJournal.has(id)).length,
    checkoutNotInJournal: checkoutIds.filter((id) => !inCheckoutJournal.has(id)).length,
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
  const checkoutKeys = new Set([...checkoutRows, ...checkoutDisclosures].map((r) => r.id));
  const duplicates = { unexplained: 0, resentAfterLostAnswer: 0, resentAfterKill: 0, storedTwice: 0 };
  const unexplainedKeys: string[] = [];
  for (const kind of ['decisions', 'disclosures'] as const) {
    for (const [key, count] of received[kind]) {
      if (count <= 1) continue;
      // Only the sends that reached the upload route count: not those an injected 503, drop, timeout or
      // malformed answer stopped before it, nor a refused signature. A counted send with no status had its
      // answer lost: swallowed by the lost-response fault, or never delivered to a sender that died.
      const sends = (sendsByKey.get(key) ?? []).filter(
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

  // ── Privacy: every file the soak, the daemon and the checkout wrote ──
  checkoutLog.end();
  await new Promise<void>((resolve) => checkoutLog.on('close', () => resolve()));
  const folder = scanFolderForPersonalData(dir, personalData);
  privacyFound.push(...folder.found);
  const checkoutLogText = readFileSync(join(logsDir, 'checkout.log'), 'utf8');
  if (checkoutLogText.includes('[id-number]')) scrubbedLogLines++;

  // ── Classifications and resources ──
  const gate = summariseGate();
  function summariseGate(): SoakReport['gate'] {
    const byStatus = (s: PresentationStatus) => presentations.filter((p) => p.status === s);
    const reasons: Record<string, number> = {};
    for (const p of byStatus('not-presented')) bump(reasons, p.reason ?? 'unknown');
    const decided = byStatus('decided');
    const latencies = decided.map((p) => p.decidedAt! - p.t0);
    const lateOrSlow = decided.filter((p) => p.late || p.decidedAt! - p.t0 > p.boundMs).length;
    return {
      arrivals: presentations.length,
      cardTaps: presentations.filter((p) => p.mode === 'card').length,
      codeScans: presentations.filter((p) => p.mode === 'code').length,
      decided: decided.length,
      notPresented: byStatus('not-presented').length,
      notPresentedReasons: reasons,
      interruptedByKill: byStatus('interrupted').length,
      deadlineMisses: lateOrSlow + byStatus('missed').length,
      missed: byStatus('missed').length,
      unattributed,
      unattributedDetails,
      secondReads,
      noiseDecidedAsScan,
      damagedTextsServed: site.reader.stats.faultsApplied['checksum-blind-damage'],
      latencyFromArrival: latencySummary(latencies),
      terminalLatency: latencySummary(terminalLatencies),
      outcomes: gateOutcomes,
      sources: gateSources,
    };
  }

  const trend = (
    s: ResourceSample[],
    threshold: number,
    judged = true,
    warmUpMs = WARM_UP_MS,
    minSeconds = MIN_TREND_SECONDS,
  ): TrendReport => {
    const t = pooledTrend(s, warmUpMs, minSeconds);
    return {
      ...t,
      judged,
      leak: judged && isLeak(t, threshold),
      thresholdPerHour: threshold,
      warmUpSeconds: warmUpMs / 1000,
      minSeconds,
    };
  };
  const raw = (list: ResourceSample[]) =>
    list.map((x) => [Math.round(x.atMs / 100) / 10, x.segment, Math.round(x.value * 100) / 100]);
  const resources: SoakReport['resources'] = {
    daemonRssMb: trend(samples.daemonRss, RSS_LEAK_MB_PER_HOUR, true, RSS_WARM_UP_MS, RSS_MIN_TREND_SECONDS),
    daemonHeapMb: trend(samples.daemonHeap, HEAP_LEAK_MB_PER_HOUR),
    daemonFds: trend(windowFloors(samples.daemonFds, FD_FLOOR_WINDOW_MS), FD_LEAK_PER_HOUR),
    soakRssMb: trend(soakSamples.rss, RSS_LEAK_MB_PER_HOUR, false),
    soakHeapMb: trend(soakSamples.heap, HEAP_LEAK_MB_PER_HOUR, false),
    soakFds: trend(windowFloors(soakSamples.fds, FD_FLOOR_WINDOW_MS), FD_LEAK_PER_HOUR),
    daemonSegments: incarnations,
    soakPerDecisionKb: null,
    daemonHeapSpaces: heapSpaces,
    samples: {
      daemonRssMb: raw(samples.daemonRss),
      daemonHeapMb: raw(samples.daemonHeap),
      daemonFds: raw(samples.daemonFds),
      soakRssMb: raw(soakSamples.rss),
      soakHeapMb: raw(soakSamples.heap),
      soakFds: raw(soakSamples.fds),
    },
  };

  const decisionsPerHour = ((gateLogged.length + checkoutIds.length) * 3_600_000) / Math.max(1, since());
  if (resources.soakHeapMb.slopePerHour !== null) {
    resources.soakPerDecisionKb =
      Math.round(((resources.soakHeapMb.slopePerHour * 1024) / decisionsPerHour) * 100) / 100;
  }

  for (const kind of PLATFORM_FAULTS) {
    const shaped: Record<(typeof PLATFORM_FAULTS)[number], string[]> = {
      'platform-down': ['status', 'drop', 'timeout'],
      'platform-slow': ['latency'],
      'platform-malformed-json': ['malformed-json'],
      'platform-bad-snapshot-signature': ['bad-snapshot-signature'],
      'platform-clock-skew': ['clock-skew'],
      'platform-lost-response': ['lost-response'],
    };
    faults[kind].requestsAffected = shaped[kind].reduce((n, f) => n + (affectedByFault[f] ?? 0), 0);
  }

  const checkoutReport: SoakReport['checkout'] = {
    decisions: checkoutIds.length,
    deadlineMisses: checkoutMisses,
    failures: checkoutFailures,
    latency: latencySummary(checkoutLatencies),
    sources: checkoutSources,
  };
  const errors: SoakReport['errors'] = {
    daemonUnhandledRejections: daemonUnhandled,
    daemonUnexpectedExits: unexpectedExits,
    daemonErrorLines: { ...daemonErrorLines, ...prefixed('checkout: ', checkoutErrorLines) },
    listenerThrew,
    soakUnhandledRejections: soakUnhandled,
    soakUncaughtExceptions: soakUncaught,
    cleanShutdown,
  };
  const devices: SoakReport['devices'] = {
    episodesChecked,
    stuck,
    maxRecoveryMs: recoveryTimes.length > 0 ? Math.max(...recoveryTimes) : null,
    restarts: kills.length,
    maxRestartMs: restartTimes.length > 0 ? Math.max(...restartTimes) : null,
  };

  const fmt = (v: number | null, digits = 1) => (v === null ? 'n/a' : v.toFixed(digits));
  invariants.push(
    {
      name: 'every credential got a decision within its deadline',
      ok: gate.deadlineMisses === 0 && checkoutMisses === 0 && checkoutFailures === 0,
      detail:
        `gate: ${gate.decided} decided, ${gate.deadlineMisses} late or never (bound ${CARD_READ_MS}/${CODE_READ_MS} ms read + ` +
        `${DECISION_DEADLINE_MS} ms deadline + ${marginMs} ms margin; max ${fmt(gate.latencyFromArrival.maxMs, 0)} ms), ` +
        `${gate.notPresented} not presented, ${gate.interruptedByKill} interrupted by SIGKILL; ` +
        `checkout: ${checkoutIds.length} decided, ${checkoutMisses} over ${DECISION_DEADLINE_MS + marginMs} ms ` +
        `(max ${fmt(checkoutReport.latency.maxMs, 0)} ms), ${checkoutFailures} failed`,
    },
    {
      name: 'no decision for a credential nobody presented',
      ok: gate.unattributed === 0,
      detail:
        `${gate.unattributed} gate decisions matched no presentation` +
        (unattributedDetails.length > 0
          ? ` (${unattributedDetails
              .slice(0, 3)
              .map((u) => `${u.decisionId} at ${u.atS} s: ${u.person ?? `subject ${u.masked ?? 'none'}`}`)
              .join('; ')})`
          : '') +
        `; ${gate.damagedTextsServed} card texts served damaged past the frame checksum; ` +
        `${gate.noiseDecidedAsScan} scanner noise bursts that were a clean barcode scan, decided as one; ` +
        `${gate.secondReads} cards read twice in one tap`,
    },
    {
      name: 'no unhandled rejection or uncaught exception',
      ok:
        daemonUnhandled === 0 &&
        unexpectedExits === 0 &&
        listenerThrew === 0 &&
        soakUnhandled.length === 0 &&
        soakUncaught.length === 0,
      detail:
        `daemon: ${daemonUnhandled} unhandled rejections, ${unexpectedExits} unexpected exits, ${listenerThrew} listener throws; ` +
        `soak: ${soakUnhandled.length} unhandled rejections, ${soakUncaught.length} uncaught exceptions`,
    },
    {
      name: 'no device stuck',
      ok: stuck === 0,
      detail: `${episodesChecked} device episodes and restarts checked, ${stuck} not ready within ${DEVICE_RECOVERY_MS} ms (restart: ${RESTART_RECOVERY_MS} ms)`,
    },
    {
      name: 'no decision lost',
      ok: losses.total === 0 && loggedBeforeCommitted === 0 && cleanShutdown,
      detail:
        `${losses.total} lost (${losses.loggedNotInJournal} logged not journalled, ${losses.checkoutNotInJournal} checkout not journalled, ` +
        `${losses.gateNotUploaded + losses.checkoutNotUploaded} decisions and ${losses.disclosuresNotUploaded} disclosures never received); ` +
        `${loggedBeforeCommitted} logged before committed; clean stop: ${cleanShutdown}`,
    },
    {
      name: 'no decision uploaded twice',
      ok: duplicates.unexplained === 0,
      detail:
        `${duplicates.unexplained} unexplained re-sends${unexplainedKeys.length > 0 ? ` (${unexplainedKeys.slice(0, 3).join(', ')})` : ''}; ` +
        `at-least-once re-sends the platform de-duplicated: ${duplicates.resentAfterLostAnswer} after a lost answer, ` +
        `${duplicates.resentAfterKill} after a SIGKILL`,
    },
    {
      name: 'memory and file descriptors flat',
      ok:
        !resources.daemonRssMb.leak &&
        !resources.daemonHeapMb.leak &&
        !resources.daemonFds.leak &&
        !resources.soakFds.leak,
      detail:
        `daemon RSS ${fmt(resources.daemonRssMb.slopePerHour)} ± ${fmt(resources.daemonRssMb.standardErrorPerHour)} MB/h` +
        `${resources.daemonRssMb.measured ? '' : ` (not judged: under ${RSS_MIN_TREND_SECONDS} s past a run's first ${RSS_WARM_UP_MS / 60_000} min)`}, ` +
        `live heap ${fmt(resources.daemonHeapMb.slopePerHour, 2)} ± ${fmt(resources.daemonHeapMb.standardErrorPerHour, 2)} MB/h` +
        `${resources.daemonHeapMb.measured ? '' : ' (not judged: too short)'}, ` +
        `FDs ${fmt(resources.daemonFds.slopePerHour)} ± ${fmt(resources.daemonFds.standardErrorPerHour)} /h; ` +
        `soak FDs ${fmt(resources.soakFds.slopePerHour)} /h (leak: above ${RSS_LEAK_MB_PER_HOUR} MB/h RSS, ` +
        `${HEAP_LEAK_MB_PER_HOUR} MB/h live heap or ${FD_LEAK_PER_HOUR} FDs/h, and 2 standard errors above zero); ` +
        `soak process RSS ${fmt(resources.soakRssMb.slopePerHour)} MB/h, live heap ${fmt(resources.soakHeapMb.slopePerHour, 2)} MB/h ` +
        `(${fmt(resources.soakPerDecisionKb, 2)} kB per decision: its bookkeeping, not judged)`,
    },
    {
      name: 'no raw ID number or name in anything written',
      ok: privacyFound.length === 0 && scrubbedLogLines === 0 && folder.files.length > 0,
      detail:
        `${folder.files.length} files (${folder.bytes} bytes) and ${platformRequestsScanned} platform requests ` +
        `(${platformBytesScanned} bytes) searched for ${personalData.length} forms of ${people.length} people's data: ` +
        `${privacyFound.length} found; ${scrubbedLogLines} log lines the logger had to scrub`,
    },
  );

  await site.close();
  process.off('exit', killDaemon);
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUncaught);
  if (!options.keep && options.dir === undefined) rmSync(dir, { recursive: true, force: true });

  const durationSeconds = Math.round((Date.now() - startedAtMs) / 1000);
  return {
    ok: invariants.every((i) => i.ok),
    command: options.command,
    seed: options.seed,
    minutesRequested: options.minutes,
    forceEarly: options.forceEarly === true,
    startedAt,
    durationSeconds,
    machine: {
      host: hostname(),
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      os: `${process.platform} ${release()}`,
      node: process.version,
    },
    limits: {
      decisionDeadlineMs: DECISION_DEADLINE_MS,
      cardReadMs: CARD_READ_MS,
      codeReadMs: CODE_READ_MS,
      marginMs,
      deviceRecoveryMs: DEVICE_RECOVERY_MS,
      restartRecoveryMs: RESTART_RECOVERY_MS,
      rssLeakMbPerHour: RSS_LEAK_MB_PER_HOUR,
      heapLeakMbPerHour: HEAP_LEAK_MB_PER_HOUR,
      fdLeakPerHour: FD_LEAK_PER_HOUR,
      heapWarmUpMinutes: WARM_UP_MS / 60_000,
      rssWarmUpMinutes: RSS_WARM_UP_MS / 60_000,
      rssMinSeconds: RSS_MIN_TREND_SECONDS,
    },
    faults,
    gate,
    checkout: checkoutReport,
    journal: {
      gateDecisionsLogged: loggedIds.size,
      gateDecisionsInJournal: gateRows.length,
      committedNotLogged: gateRows.filter((r) => !loggedIds.has(r.id)).length,
      loggedBeforeCommitted,
      checkoutDecisionsInJournal: checkoutRows.length,
      disclosures: gateDisclosures.length + checkoutDisclosures.length,
    },
    losses,
    duplicates,
    errors,
    devices,
    resources,
    privacy: {
      filesScanned: folder.files.length,
      bytesScanned: folder.bytes,
      platformRequestsScanned,
      platformBytesScanned,
      scrubbedLogLines,
      found: privacyFound,
    },
    invariants,
  };
}

function prefixed(prefix: string, counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [`${prefix}${k}`, v]));
}
