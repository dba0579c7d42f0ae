// The soak's report: what `runSoak` returns, `npm run soak -- --json` writes and report.ts renders
// (docs/reliability.md is generated from it).
import type { PrivacyFinding } from '../../simulator/privacy-scan.js';
import type { FaultKind } from './fault-kinds.js';
import type { Trend } from './resource-trend.js';

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
