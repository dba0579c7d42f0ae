// The soak's invariants, judged from the run's summary: each passes or fails with a detail line that
// says what was counted and against which bound.
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
} from './limits.js';
import type { Invariant, SoakReport } from './report-shape.js';
import type { SoakRun } from './run-state.js';

/** The parts of the report the invariants are judged from. */
export type JudgedParts = Pick<
  SoakReport,
  'gate' | 'checkout' | 'journal' | 'losses' | 'duplicates' | 'errors' | 'devices' | 'resources' | 'privacy'
>;

const fmt = (v: number | null, digits = 1) => (v === null ? 'n/a' : v.toFixed(digits));

/** Every invariant, in the order the report lists them. */
export function judgeInvariants(
  run: SoakRun,
  parts: JudgedParts,
  unexplainedKeys: readonly string[],
): Invariant[] {
  const { gate, checkout, losses, duplicates, errors, devices, resources, privacy } = parts;
  const { marginMs } = run;
  const { unattributedDetails } = gate;
  return [
    {
      name: 'every credential got a decision within its deadline',
      ok: gate.deadlineMisses === 0 && checkout.deadlineMisses === 0 && checkout.failures === 0,
      detail:
        `gate: ${gate.decided} decided, ${gate.deadlineMisses} late or never (bound ${CARD_READ_MS}/${CODE_READ_MS} ms read + ` +
        `${DECISION_DEADLINE_MS} ms deadline + ${marginMs} ms margin; max ${fmt(gate.latencyFromArrival.maxMs, 0)} ms), ` +
        `${gate.notPresented} not presented, ${gate.interruptedByKill} interrupted by SIGKILL; ` +
        `checkout: ${checkout.decisions} decided, ${checkout.deadlineMisses} over ${DECISION_DEADLINE_MS + marginMs} ms ` +
        `(max ${fmt(checkout.latency.maxMs, 0)} ms), ${checkout.failures} failed`,
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
        errors.daemonUnhandledRejections === 0 &&
        errors.daemonUnexpectedExits === 0 &&
        errors.listenerThrew === 0 &&
        errors.soakUnhandledRejections.length === 0 &&
        errors.soakUncaughtExceptions.length === 0,
      detail:
        `daemon: ${errors.daemonUnhandledRejections} unhandled rejections, ${errors.daemonUnexpectedExits} unexpected exits, ${errors.listenerThrew} listener throws; ` +
        `soak: ${errors.soakUnhandledRejections.length} unhandled rejections, ${errors.soakUncaughtExceptions.length} uncaught exceptions`,
    },
    {
      name: 'no device stuck',
      ok: devices.stuck === 0,
      detail: `${devices.episodesChecked} device episodes and restarts checked, ${devices.stuck} not ready within ${DEVICE_RECOVERY_MS} ms (restart: ${RESTART_RECOVERY_MS} ms)`,
    },
    {
      name: 'no decision lost',
      ok: losses.total === 0 && parts.journal.loggedBeforeCommitted === 0 && errors.cleanShutdown,
      detail:
        `${losses.total} lost (${losses.loggedNotInJournal} logged not journalled, ${losses.checkoutNotInJournal} checkout not journalled, ` +
        `${losses.gateNotUploaded + losses.checkoutNotUploaded} decisions and ${losses.disclosuresNotUploaded} disclosures never received); ` +
        `${parts.journal.loggedBeforeCommitted} logged before committed; clean stop: ${errors.cleanShutdown}`,
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
      ok: privacy.found.length === 0 && privacy.scrubbedLogLines === 0 && privacy.filesScanned > 0,
      detail:
        `${privacy.filesScanned} files (${privacy.bytesScanned} bytes) and ${privacy.platformRequestsScanned} platform requests ` +
        `(${privacy.platformBytesScanned} bytes) searched for ${run.personalData.length} forms of ${run.people.length} people's data: ` +
        `${privacy.found.length} found; ${privacy.scrubbedLogLines} log lines the logger had to scrub`,
    },
  ];
}
