import { CREDIT_CHAIN_ATTACKS } from './credit-chain-attacks.js';
import { FAULT_KINDS } from './fault-kinds.js';
import type { SoakReport, TrendReport } from './report-shape.js';

const FAULT_LABELS: Record<(typeof FAULT_KINDS)[number], string> = {
  'platform-down': 'platform down (503/502, dropped connection, no answer)',
  'platform-slow': 'platform slow (250–1500 ms latency)',
  'platform-malformed-json': 'platform lying: malformed JSON',
  'platform-bad-snapshot-signature': 'platform lying: bad snapshot signature',
  'platform-clock-skew': 'platform clock skew (±1–15 min)',
  'platform-lost-response': 'platform answer lost after the work was done',
  'unplug-gate': 'gate board unplugged',
  'unplug-reader': 'ID-card reader unplugged',
  'unplug-scanner': 'QR scanner unplugged',
  'garbage-reader': 'garbage bytes from the ID-card reader',
  'damaged-reader': 'ID-card text damaged past the frame checksum',
  'garbage-scanner': 'garbage bytes from the QR scanner',
  'garbage-gate': 'garbage bytes from the gate board',
  'daemon-sigkill': 'daemon SIGKILLed and restarted',
};

const n = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined ? 'n/a' : v.toFixed(digits);

function slope(t: TrendReport, unit: string, digits = 1): string {
  const range = `${t.samples} samples over ${Math.round(t.coveredSeconds)} s, ${n(t.min, digits)}–${n(t.max, digits)}${unit === 'MB' ? ' MB' : ''}`;
  const fitted = `${n(t.slopePerHour, digits)} ± ${n(t.standardErrorPerHour, digits)} ${unit}/h`;
  const later = `later half ${n(t.laterSlopePerHour, digits)} ± ${n(t.laterStandardErrorPerHour, digits)}`;
  if (!t.measured)
    return `${fitted}, ${later}: not judged, under ${t.minSeconds} s past each run's first ${t.warmUpSeconds / 60} min (${range})`;
  const verdict = !t.judged
    ? 'not judged'
    : t.leak
      ? '**LEAK**'
      : `no leak (threshold ${t.thresholdPerHour} ${unit}/h)`;
  return `${fitted}, ${later}: ${verdict} (${range})`;
}

/** The report as Markdown: the invariants, the faults, the figures. */
export function renderReport(report: SoakReport): string {
  const lines: string[] = [];
  const g = report.gate;
  const c = report.checkout;
  lines.push(`| invariant | result | detail |`, `| --- | --- | --- |`);
  for (const i of report.invariants)
    lines.push(`| ${i.name} | ${i.ok ? 'pass' : '**FAIL**'} | ${i.detail} |`);
  lines.push('', '| fault injected | episodes | platform requests affected |', '| --- | ---: | ---: |');
  for (const kind of FAULT_KINDS) {
    const f = report.faults[kind];
    lines.push(`| ${FAULT_LABELS[kind]} | ${f.injected} | ${f.requestsAffected ?? ''} |`);
  }
  const total = FAULT_KINDS.reduce((sum, k) => sum + report.faults[k].injected, 0);
  lines.push(`| **total** | **${total}** | |`);
  const r = report.resources;
  lines.push(
    '',
    '| figure | value |',
    '| --- | --- |',
    `| duration | ${report.durationSeconds} s (${report.minutesRequested} min requested) |`,
    `| seed | \`${report.seed}\` |`,
    `| gate arrivals (card taps / code scans) | ${g.arrivals} (${g.cardTaps} / ${g.codeScans}) |`,
    `| gate decisions | ${g.decided} (${Object.entries(g.outcomes)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}) |`,
    `| gate: not presented (device unplugged, daemon down) | ${g.notPresented} |`,
    `| gate: read, then SIGKILL before the decision | ${g.interruptedByKill} |`,
    `| gate latency, arrival → decision logged (p50 / p99 / max) | ${n(g.latencyFromArrival.p50Ms)} / ${n(g.latencyFromArrival.p99Ms)} / ${n(g.latencyFromArrival.maxMs)} ms |`,
    `| gate latency inside the terminal (p50 / p99 / max) | ${n(g.terminalLatency.p50Ms, 1)} / ${n(g.terminalLatency.p99Ms, 1)} / ${n(g.terminalLatency.maxMs, 1)} ms |`,
    `| checkout decisions | ${c.decisions} (${Object.entries(c.sources)
      .map(([k, v]) => `${v} from ${k}`)
      .join(', ')}) |`,
    `| checkout latency, present() (p50 / p99 / max) | ${n(c.latency.p50Ms, 1)} / ${n(c.latency.p99Ms, 1)} / ${n(c.latency.maxMs, 1)} ms |`,
    `| deadline misses (gate + checkout) | ${g.deadlineMisses + c.deadlineMisses} |`,
    `| losses | ${report.losses.total} |`,
    `| duplicates (unexplained re-sends) | ${report.duplicates.unexplained} |`,
    `| re-sends the platform de-duplicated (lost answer / after SIGKILL) | ${report.duplicates.resentAfterLostAnswer} / ${report.duplicates.resentAfterKill} |`,
    `| committed, then SIGKILLed before the log line (kept, uploaded, never acted on) | ${report.journal.committedNotLogged} |`,
    `| devices stuck | ${report.devices.stuck} of ${report.devices.episodesChecked} episodes (slowest recovery ${n(report.devices.maxRecoveryMs)} ms, slowest restart ${n(report.devices.maxRestartMs)} ms) |`,
    `| leaks found | ${[r.daemonRssMb, r.daemonHeapMb, r.daemonFds, r.soakFds].filter((t) => t.leak).length} |`,
    `| daemon RSS slope (${r.daemonSegments} runs, each after its first ${r.daemonRssMb.warmUpSeconds / 60} min) | ${slope(r.daemonRssMb, 'MB')} |`,
    `| daemon live heap after a full GC, slope (each run after its first ${r.daemonHeapMb.warmUpSeconds / 60} min) | ${slope(r.daemonHeapMb, 'MB', 2)} |`,
    `| daemon FD slope | ${slope(r.daemonFds, 'FDs')} |`,
    `| soak process FD slope | ${slope(r.soakFds, 'FDs')} |`,
    `| soak process RSS / live heap slope (its bookkeeping: ${n(r.soakPerDecisionKb, 2)} kB per decision) | ${slope(r.soakRssMb, 'MB')}; ${slope(r.soakHeapMb, 'MB', 2)} |`,
    `| unhandled rejections / uncaught exceptions | ${report.errors.daemonUnhandledRejections + report.errors.soakUnhandledRejections.length} / ${report.errors.soakUncaughtExceptions.length + report.errors.daemonUnexpectedExits} |`,
    `| privacy: bytes searched (files + platform requests) | ${report.privacy.bytesScanned + report.privacy.platformBytesScanned} in ${report.privacy.filesScanned} files and ${report.privacy.platformRequestsScanned} requests, ${report.privacy.found.length} found |`,
  );
  return lines.join('\n');
}

/** docs/reliability.md: what the soak checks, the last run's table, the command and the machine. */
export function renderReliabilityDoc(report: SoakReport): string {
  const m = report.machine;
  const l = report.limits;
  return `# Reliability

<!-- Generated by \`npm run soak -- --write-doc\` (scripts/soak.ts); edit the harness, not this file. -->

A gate controller stays up for months. The soak harness runs the \`xinyi gate\` daemon as a child
process against a simulated site (virtual SAM ID-card reader, serial QR scanner and AA-frame gate
board on socat PTYs, the mock platform over loopback HTTP), and a supermarket checkout terminal in its
own process on the same platform (HTTP platform client, signed offline snapshot, SQLite journal,
uploader). People arrive at the gate and at the checkout every 0.5–2 s, and faults are injected at
random from a seeded generator: the platform down, slow or lying, devices unplugged or sending
garbage, card text damaged in a way the reader's one-byte frame checksum cannot see, the platform's
clock skewed, and the daemon SIGKILLed and restarted by a supervisor.

## Last run

${report.ok ? 'Every invariant held.' : '**Some invariants failed** (see below).'} Run on ${report.startedAt.slice(0, 10)} with:

\`\`\`sh
${report.command}
\`\`\`

Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}, Node ${m.node}.

${renderReport(report)}

## What is checked, and the bounds

- **A decision for every credential, within its deadline.** Each tap or scan at the gate must be
  followed by the daemon's \`decision\` log line within the device's read time (card ${l.cardReadMs} ms:
  a 100 ms poll and the SAM's 70 ms of processing, doubled; code ${l.codeReadMs} ms: a garbage burst is
  followed by 500 ms of silence before the scan) + the ${l.decisionDeadlineMs} ms decision deadline +
  ${l.marginMs} ms for the fsync'd commit, the pipe and two event loops on a shared CI machine. At the
  checkout, \`present()\` must resolve within ${l.decisionDeadlineMs} + ${l.marginMs} ms. A tap while the reader
  is unplugged or the daemon is down is not expected to be decided: it counts as _not presented_
  only when the virtual reader really served no read of that card (or the scanner wrote nothing, or
  the lane was down for the whole window) and no decision for that person turns up later. A credential
  read by a daemon that was SIGKILLed before it decided counts as _interrupted_: nothing was acted on.
- **No decision for a credential nobody presented.** Every gate decision is matched, through the
  subject's pseudonym in the journal, to the person who tapped or scanned; a decision for someone who
  did not (a garbled card read decided as a stranger) is reported with its masked subject; only a
  decision with no subject at all (an unreadable code) is matched to the presentation pending at the
  lane. Scanner noise that is not text is refused by the decoder (\`FRAME_GARBLED\`); noise that happens
  to be clean text ended by silence is byte for byte a scan of that barcode, and its decision is counted
  apart, as such. The
  _damaged-reader_ fault serves one or two card texts changed at a random byte with the frame's XOR
  checksum still matching (a bad line lets about one damaged frame in 256 through). Damage to the
  number, a date or the gender must be caught by the text's own checks and the card read again;
  damage to a name or an address changes nothing the decision uses.
- **No unhandled rejection or uncaught exception**, in the daemon's log (\`unhandled rejection\`,
  listener throws), in its exit status, and in the soak process itself.
- **No device stuck.** After every unplug and garbage episode each device is back \`ready\` on
  \`/health\` within ${l.deviceRecoveryMs} ms (the reconnect backoff doubles up to 10 s), and a restarted daemon
  has every device ready within ${l.restartRecoveryMs} ms.
- **No decision lost or uploaded twice.** Every decision the daemon logged was already in its journal
  when the log line was read (the terminal commits before it logs), and after a final drain every
  decision and disclosure in both journals was received by the platform. A key the platform received
  more than once must be explained by something the sender could see: an answer that never came back,
  or a SIGKILL between the platform's answer and the batch being marked uploaded (at-least-once
  delivery; the platform de-duplicates by key). Anything else is a duplicate.
- **Memory and file descriptors flat.** Every 2 s the daemon's RSS and open FDs are read from /proc;
  every 5 s a probe loaded into the daemon (\`--expose-gc --import scripts/soak/heap-probe.ts\`; the
  daemon's code is unchanged) runs a full GC and reports the live heap. The slope is the least-squares
  slope pooled over the daemon's runs between restarts (each run has its own intercept), leaving out
  each run's first ${l.heapWarmUpMinutes} minutes for the live heap and FDs (tsx transpiling the CLI at start, V8 sizing
  its heap and compiling hot code) and its first ${l.rssWarmUpMinutes} minutes for RSS, which settles later: after the
  start-up garbage is gone it still rises about 3 MB over a run's first 8 minutes (malloc arenas, SQLite
  page caches filling as the journal grows) and is flat after — a 20-minute soak measured per-minute
  means of 106.4 MB at minute 1, 109.5 at minute 7, then 108.2–109.2 MB up to minute 16. RSS is
  therefore judged only with ${l.rssMinSeconds} s of a run past its first ${l.rssWarmUpMinutes} minutes: a 10-minute soak reports the
  daemon's RSS slope but cannot judge it, \`--minutes 20\` or more does. SIGKILLs happen in the first
  quarter of the soak only (at least one, by 15 % of it), so the daemon that runs the rest gives a long
  run to measure. A leak is a slope
  above ${l.rssLeakMbPerHour} MB/h of RSS, ${l.heapLeakMbPerHour} MB/h of live heap or ${l.fdLeakPerHour} FDs/h that is two standard errors above zero,
  over the whole measured part of the runs and over its later half alike (growth that is levelling
  off, like a cache filling, is not a leak). ${l.rssLeakMbPerHour} MB/h of RSS would fill a daemon's few hundred MB in a
  day; ${l.heapLeakMbPerHour} MB/h of live heap is one retained decision with its reasons and texts (≈ 4–5 kB in V8) per
  gate arrival at this soak's rate; one leaked socket or file per request would be thousands of FDs an
  hour. File descriptors are fitted on the lowest count of each 10 s window, so the sockets of requests
  in flight (the soak process holds both ends of the checkout's platform connections) move no trend;
  a leaked descriptor raises every later floor. Heap snapshots of one daemon at minutes 7, 10.5 and 14 of a 15-minute soak (seed \`heap\`,
  \`--heapsnapshot-signal\`) put the live heap's remaining growth in compiled code: bytecode, optimised
  code and feedback grew 320 kB and then 128 kB, while all other objects grew 98 kB and then shrank by
  33 kB. Ten minutes catch a gross leak; \`--minutes 60\` or more narrow it. The soak process's own FDs
  are judged the same way; its memory is reported but not judged, because it keeps by design a record
  of every presentation, decision id and upload key, and the mock platform its idempotency store (the
  report gives that growth per decision). The checkout runs the same SDK parts as the daemon (terminal,
  HTTP platform client, journal, uploader, snapshot sync), whose memory the daemon's trend judges.
- **No raw ID number or name in anything written**: every file under the soak's folder (both
  journals and snapshots with their WAL files, the daemon's and the checkout's logs, the cached lists)
  and every request body the platform received are searched for each person's ID number (18 and 15
  digit forms), name (UTF-8 and JSON-escaped), member code and address, as in the privacy audit; and
  the logger's last-line scrub must never have had to act.

CI runs \`npm run soak -- --minutes 10\` after the tests; it fails when an invariant fails, and leaves
the tree as it was (this file is only written with \`--write-doc\`).

${CREDIT_CHAIN_ATTACKS}`;
}
