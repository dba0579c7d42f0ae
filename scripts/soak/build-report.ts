// The report of a finished run: the gate's and the checkout's figures, the journals, losses and
// duplicates, errors, device recovery, resources and privacy summarised from the run's state, the
// invariants judged on them, and the whole put in the order `--json` writes it.
import { cpus, hostname, release, totalmem } from 'node:os';
import type { DeliveryCheck, JournalRows } from './delivery-checks.js';
import { PLATFORM_FAULTS } from './fault-kinds.js';
import { bump } from './helpers.js';
import { type JudgedParts, judgeInvariants } from './invariants.js';
import {
  CARD_READ_MS,
  CODE_READ_MS,
  DECISION_DEADLINE_MS,
  DEVICE_RECOVERY_MS,
  FD_LEAK_PER_HOUR,
  HEAP_LEAK_MB_PER_HOUR,
  RESTART_RECOVERY_MS,
  RSS_LEAK_MB_PER_HOUR,
  RSS_MIN_TREND_SECONDS,
  RSS_WARM_UP_MS,
  WARM_UP_MS,
} from './limits.js';
import type { Invariant, LatencySummary, SoakReport } from './report-shape.js';
import { resourceTrends } from './resource-sampling.js';
import type { PresentationStatus, SoakRun } from './run-state.js';

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

function summariseGate(run: SoakRun): SoakReport['gate'] {
  const lane = run.gate;
  const presentations = lane.presentations;
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
    unattributed: lane.unattributed,
    unattributedDetails: lane.unattributedDetails,
    secondReads: lane.secondReads,
    noiseDecidedAsScan: lane.noiseDecidedAsScan,
    damagedTextsServed: run.site.reader.stats.faultsApplied['checksum-blind-damage'],
    latencyFromArrival: latencySummary(latencies),
    terminalLatency: latencySummary(lane.terminalLatencies),
    outcomes: lane.outcomes,
    sources: lane.sources,
  };
}

function prefixed(prefix: string, counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [`${prefix}${k}`, v]));
}

/** How the run ended, as the shutdown saw it. */
export interface RunEnd {
  rows: JournalRows;
  delivery: DeliveryCheck;
  cleanShutdown: boolean;
  /** The soak's folder searched for personal data. */
  folder: { files: readonly string[]; bytes: number };
}

export type RunSummary = JudgedParts & { faults: SoakReport['faults']; invariants: Invariant[] };

/** Everything the report says about the run, invariants included; taken before the site is closed. */
export function summariseRun(run: SoakRun, end: RunEnd): RunSummary {
  const { rows, delivery } = end;
  const gate = summariseGate(run);
  const resources = resourceTrends(run);

  const { faults } = run;
  const { affectedByFault } = run.platform;
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

  const tally = run.checkout;
  const checkout: SoakReport['checkout'] = {
    decisions: tally.ids.length,
    deadlineMisses: tally.misses,
    failures: tally.failures,
    latency: latencySummary(tally.latencies),
    sources: tally.sources,
  };
  const daemon = run.daemon;
  const errors: SoakReport['errors'] = {
    daemonUnhandledRejections: daemon.unhandledRejections,
    daemonUnexpectedExits: daemon.unexpectedExits,
    daemonErrorLines: { ...daemon.errorLines, ...prefixed('checkout: ', tally.errorLines) },
    listenerThrew: daemon.listenerThrew,
    soakUnhandledRejections: run.soakErrors.unhandledRejections,
    soakUncaughtExceptions: run.soakErrors.uncaughtExceptions,
    cleanShutdown: end.cleanShutdown,
  };
  const recovery = run.devices;
  const devices: SoakReport['devices'] = {
    episodesChecked: recovery.episodesChecked,
    stuck: recovery.stuck,
    maxRecoveryMs: recovery.recoveryTimes.length > 0 ? Math.max(...recovery.recoveryTimes) : null,
    restarts: daemon.kills.length,
    maxRestartMs: recovery.restartTimes.length > 0 ? Math.max(...recovery.restartTimes) : null,
  };
  const { loggedIds } = delivery;
  const parts: JudgedParts = {
    gate,
    checkout,
    journal: {
      gateDecisionsLogged: loggedIds.size,
      gateDecisionsInJournal: rows.gateDecisions.length,
      committedNotLogged: rows.gateDecisions.filter((r) => !loggedIds.has(r.id)).length,
      loggedBeforeCommitted: run.gate.loggedBeforeCommitted,
      checkoutDecisionsInJournal: rows.checkoutDecisions.length,
      disclosures: rows.gateDisclosures.length + rows.checkoutDisclosures.length,
    },
    losses: delivery.losses,
    duplicates: delivery.duplicates,
    errors,
    devices,
    resources,
    privacy: {
      filesScanned: end.folder.files.length,
      bytesScanned: end.folder.bytes,
      platformRequestsScanned: run.privacy.requestsScanned,
      platformBytesScanned: run.privacy.bytesScanned,
      scrubbedLogLines: run.privacy.scrubbedLogLines,
      found: run.privacy.found,
    },
  };
  return { ...parts, faults, invariants: judgeInvariants(run, parts, delivery.unexplainedKeys) };
}

/** The report, its fields in the order `--json` writes them. */
export function soakReport(
  run: SoakRun,
  header: { command: string; minutesRequested: number; startedAt: string; durationSeconds: number },
  summary: RunSummary,
): SoakReport {
  return {
    ok: summary.invariants.every((i) => i.ok),
    command: header.command,
    seed: run.seed,
    minutesRequested: header.minutesRequested,
    forceEarly: run.forceEarly,
    startedAt: header.startedAt,
    durationSeconds: header.durationSeconds,
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
      marginMs: run.marginMs,
      deviceRecoveryMs: DEVICE_RECOVERY_MS,
      restartRecoveryMs: RESTART_RECOVERY_MS,
      rssLeakMbPerHour: RSS_LEAK_MB_PER_HOUR,
      heapLeakMbPerHour: HEAP_LEAK_MB_PER_HOUR,
      fdLeakPerHour: FD_LEAK_PER_HOUR,
      heapWarmUpMinutes: WARM_UP_MS / 60_000,
      rssWarmUpMinutes: RSS_WARM_UP_MS / 60_000,
      rssMinSeconds: RSS_MIN_TREND_SECONDS,
    },
    faults: summary.faults,
    gate: summary.gate,
    checkout: summary.checkout,
    journal: summary.journal,
    losses: summary.losses,
    duplicates: summary.duplicates,
    errors: summary.errors,
    devices: summary.devices,
    resources: summary.resources,
    privacy: summary.privacy,
    invariants: summary.invariants,
  };
}
