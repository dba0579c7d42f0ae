// The state of one soak run, shared by its parts (daemon supervision, arrivals, faults, the platform's
// intake, resource samples, the checks): one typed object, created once by `runSoak` and passed to
// each part explicitly. The parts write their tallies into it; the checks and the report read them.
import type { JournalStore, Pseudonymizer } from '../../sdk/index.js';
import type { SyntheticPerson } from '../../simulator/population.js';
import type { PersonalDataForm, PrivacyFinding } from '../../simulator/privacy-scan.js';
import type { Rng } from '../../simulator/prng.js';
import type { SimulatedSite } from '../../simulator/simulated-site.js';
import type { DaemonProcess } from './daemon-process.js';
import { FAULT_KINDS } from './fault-kinds.js';
import type { Interval } from './helpers.js';
import type { SoakReport } from './report-shape.js';
import type { ResourceSample } from './resource-trend.js';

export type PresentationStatus = 'pending' | 'decided' | 'not-presented' | 'interrupted' | 'missed';

/** One person at the gate: a card tap or a code scan, and what became of it. */
export interface GatePresentation {
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

/** One send of an upload item (decision or disclosure) the platform received. */
export interface UploadSend {
  at: number;
  record: { status?: number; fault?: string };
}

/** The gate lane as the soak sees it: who presented what, and the daemon's decisions matched to them. */
export interface GateLane {
  readonly presentations: GatePresentation[];
  /** The card lying on the virtual reader now. */
  placed: GatePresentation | undefined;
  /** Every pseudonym a decision can carry for a person (index into `people`). */
  readonly personByPseudonym: ReadonlyMap<string, number>;
  /**
   * Pseudonyms of the barcodes that injected scanner noise reads as. Noise that happens to be clean
   * text ended by silence is byte for byte what a scanner sends for a barcode of that text: no
   * decoder can tell them apart, so a decision for it is counted as such, not as a stranger's.
   */
  readonly noiseScanPseudonyms: Set<string>;
  noiseDecidedAsScan: number;
  /** The daemon's `decision` log lines, with the subject the journal holds for each. */
  readonly logged: { id: string; at: number; pseudonym?: string }[];
  readonly outcomes: Record<string, number>;
  readonly sources: Record<string, number>;
  readonly terminalLatencies: number[];
  loggedBeforeCommitted: number;
  unattributed: number;
  readonly unattributedDetails: SoakReport['gate']['unattributedDetails'];
  secondReads: number;
}

/** The gate daemon's runs, and what its log and its devices told. */
export interface GateDaemon {
  readonly configFile: string;
  /** The daemon running now (or the last one). */
  current: DaemonProcess | undefined;
  incarnations: number;
  /** When each SIGKILL was sent. */
  readonly kills: number[];
  /** From each SIGKILL to the restarted daemon's devices ready. */
  readonly down: Interval[];
  readonly deviceDown: Record<string, Interval[]>;
  /** Devices the daemon has reported not ready (or not yet ready, after a start), since when. */
  readonly openDeviceDown: Map<string, number>;
  /** Devices the soak has unplugged and not yet seen ready again, since when. */
  readonly activeUnplugs: Map<string, number>;
  /** Since when the daemon is down (SIGKILLed, not yet up again with its devices ready). */
  restartingSince: number | undefined;
  readonly errorLines: Record<string, number>;
  unhandledRejections: number;
  listenerThrew: number;
  unexpectedExits: number;
  /** The daemon's journal, opened read-only to check each logged decision was committed first. */
  lookupJournal: JournalStore | undefined;
}

/** The checkout terminal's presentations. */
export interface CheckoutTally {
  readonly ids: string[];
  readonly latencies: number[];
  readonly sources: Record<string, number>;
  misses: number;
  failures: number;
  readonly errorLines: Record<string, number>;
}

/** What the platform received, kept after each request body is let go. */
export interface PlatformIntake {
  readonly sendsByKey: Map<string, UploadSend[]>;
  /** Requests each mock-platform fault shaped, by fault kind. */
  readonly affectedByFault: Record<string, number>;
}

export interface PrivacyTally {
  readonly found: PrivacyFinding[];
  requestsScanned: number;
  bytesScanned: number;
  /** Log lines the logger's last-line scrub had to act on. */
  scrubbedLogLines: number;
}

/** Device episodes and daemon restarts, and how long each took to be ready again. */
export interface DeviceRecovery {
  readonly recoveryTimes: number[];
  readonly restartTimes: number[];
  stuck: number;
  episodesChecked: number;
}

export interface ResourceSamples {
  readonly daemonRss: ResourceSample[];
  readonly daemonHeap: ResourceSample[];
  readonly daemonFds: ResourceSample[];
  /** The daemon's heap spaces after each probe's GC: [seconds, segment, bytes by space]. */
  readonly heapSpaces: [number, number, Record<string, number>][];
  readonly soakRss: ResourceSample[];
  readonly soakHeap: ResourceSample[];
  readonly soakFds: ResourceSample[];
  count: number;
}

export interface SoakRun {
  readonly seed: string;
  /** Arrivals and faults draw from it. */
  readonly rng: Rng;
  readonly marginMs: number;
  readonly forceEarly: boolean;
  readonly progress: (line: string) => void;
  readonly startedAtMs: number;
  readonly durationMs: number;
  readonly dirs: { root: string; logs: string; checkout: string; gateData: string };
  readonly site: SimulatedSite;
  readonly people: readonly SyntheticPerson[];
  readonly personalData: readonly PersonalDataForm[];
  readonly pseudonymizer: Pseudonymizer;
  /** Set once the arrivals and faults have stopped. */
  ending: boolean;
  /** Fault lanes still working through their forced list. */
  forcedLanes: number;
  readonly faults: SoakReport['faults'];
  readonly soakErrors: { unhandledRejections: string[]; uncaughtExceptions: string[] };
  readonly gate: GateLane;
  readonly daemon: GateDaemon;
  readonly checkout: CheckoutTally;
  readonly platform: PlatformIntake;
  readonly privacy: PrivacyTally;
  readonly devices: DeviceRecovery;
  readonly resources: ResourceSamples;
}

export interface SoakRunSetup {
  seed: string;
  rng: Rng;
  marginMs: number;
  forceEarly: boolean;
  progress: (line: string) => void;
  startedAtMs: number;
  durationMs: number;
  dirs: SoakRun['dirs'];
  site: SimulatedSite;
  personalData: readonly PersonalDataForm[];
  pseudonymizer: Pseudonymizer;
  personByPseudonym: ReadonlyMap<string, number>;
  configFile: string;
  /** Filled by the process's `unhandledRejection` and `uncaughtException` handlers. */
  soakErrors: SoakRun['soakErrors'];
}

export function createSoakRun(setup: SoakRunSetup): SoakRun {
  return {
    seed: setup.seed,
    rng: setup.rng,
    marginMs: setup.marginMs,
    forceEarly: setup.forceEarly,
    progress: setup.progress,
    startedAtMs: setup.startedAtMs,
    durationMs: setup.durationMs,
    dirs: setup.dirs,
    site: setup.site,
    people: setup.site.people,
    personalData: setup.personalData,
    pseudonymizer: setup.pseudonymizer,
    ending: false,
    forcedLanes: setup.forceEarly ? 2 : 0,
    faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, { injected: 0 }])) as SoakReport['faults'],
    soakErrors: setup.soakErrors,
    gate: {
      presentations: [],
      placed: undefined,
      personByPseudonym: setup.personByPseudonym,
      noiseScanPseudonyms: new Set(),
      noiseDecidedAsScan: 0,
      logged: [],
      outcomes: {},
      sources: {},
      terminalLatencies: [],
      loggedBeforeCommitted: 0,
      unattributed: 0,
      unattributedDetails: [],
      secondReads: 0,
    },
    daemon: {
      configFile: setup.configFile,
      current: undefined,
      incarnations: 0,
      kills: [],
      down: [],
      deviceDown: { 'id-card-reader': [], 'qr-scanner': [], 'aa-gate': [] },
      openDeviceDown: new Map(),
      activeUnplugs: new Map(),
      restartingSince: undefined,
      errorLines: {},
      unhandledRejections: 0,
      listenerThrew: 0,
      unexpectedExits: 0,
      lookupJournal: undefined,
    },
    checkout: { ids: [], latencies: [], sources: {}, misses: 0, failures: 0, errorLines: {} },
    platform: { sendsByKey: new Map(), affectedByFault: {} },
    privacy: { found: [], requestsScanned: 0, bytesScanned: 0, scrubbedLogLines: 0 },
    devices: { recoveryTimes: [], restartTimes: [], stuck: 0, episodesChecked: 0 },
    resources: {
      daemonRss: [],
      daemonHeap: [],
      daemonFds: [],
      heapSpaces: [],
      soakRss: [],
      soakHeap: [],
      soakFds: [],
      count: 0,
    },
  };
}

/** Milliseconds since the soak started. */
export const sinceStart = (run: SoakRun) => Date.now() - run.startedAtMs;

/** Whether arrivals and faults should stop: the time is up and the forced faults are done, or the soak is ending. */
export const isOver = (run: SoakRun) =>
  run.ending || (Date.now() - run.startedAtMs >= run.durationMs && run.forcedLanes === 0);
