// Matching the gate daemon's decisions to the people who presented a credential, and classifying a
// presentation that got none: not presented (the lane was down), interrupted by a SIGKILL, or missed.
import { classifyScan } from '../../adapters/scanner/scan.js';
import { SerialScannerDecoder } from '../../adapters/scanner/serial-scanner.js';
import { type Pseudonymizer, subjectFromIdNumber, subjectFromMemberCode } from '../../sdk/index.js';
import type { SimulatedSite } from '../../simulator/simulated-site.js';
import type { DaemonLine } from './daemon-process.js';
import { bump, overlaps } from './helpers.js';
import { GATE_HOLD_MS } from './limits.js';
import type { GatePresentation, SoakRun } from './run-state.js';

/** Every pseudonym a decision can carry for a person: ID card, credit code holder, member code. */
export function indexPeopleByPseudonym(
  site: SimulatedSite,
  pseudonymizer: Pseudonymizer,
): Map<string, number> {
  const personByPseudonym = new Map<string, number>();
  site.people.forEach((p, i) => {
    personByPseudonym.set(subjectFromIdNumber(pseudonymizer, p.idNumber).pseudonym, i);
    personByPseudonym.set(subjectFromMemberCode(pseudonymizer, p.memberCode).pseudonym, i);
    // A credit code names its holder by the issuer's own pseudonym of them (the phone knows it).
    const phone = site.phones.get(p.id);
    if (phone) personByPseudonym.set(`code:${phone.pseudonym}`, i);
  });
  return personByPseudonym;
}

/** Notes the barcode (if any) that scanner noise reads as, so a decision for it is not a stranger's. */
export function noteScannerNoise(run: SoakRun, bytes: Uint8Array): void {
  const decoder = new SerialScannerDecoder();
  for (const out of [...decoder.push(bytes, 0), ...decoder.flush()]) {
    if (out instanceof Error) continue;
    const credential = classifyScan(out);
    if (credential.kind === 'barcode') {
      run.gate.noiseScanPseudonyms.add(subjectFromMemberCode(run.pseudonymizer, credential.text).pseudonym);
    }
  }
}

/** A `decision` line from the daemon: checked against its journal, and given to the presentation it decides. */
export function onGateDecision(run: SoakRun, line: DaemonLine): void {
  const lane = run.gate;
  const lookupJournal = run.daemon.lookupJournal;
  const at = Date.now();
  const id = String(line.decisionId);
  bump(lane.sources, String(line.source));
  if (typeof line.latencyMs === 'number') lane.terminalLatencies.push(line.latencyMs);
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
  if (lookupJournal && !committed) lane.loggedBeforeCommitted++;
  lane.logged.push({ id, at, ...(pseudonym ? { pseudonym } : {}) });
  const person = pseudonym === undefined ? undefined : lane.personByPseudonym.get(pseudonym);
  if (pseudonym !== undefined && person === undefined && lane.noiseScanPseudonyms.has(pseudonym)) {
    lane.noiseDecidedAsScan++;
    return;
  }
  // The lane takes one person at a time: the decision belongs to the latest presentation of this
  // person or, for a decision with no subject at all (an unreadable code), to the one pending. A
  // subject that is nobody's is never given to whoever happens to be pending.
  const candidates = lane.presentations.filter((p) =>
    pseudonym === undefined ? p.status === 'pending' : person !== undefined && p.person === person,
  );
  const match = candidates.at(-1);
  const unattribute = () => {
    lane.unattributed++;
    const s = (ms: number) => Math.round((ms - run.startedAtMs) / 100) / 10;
    lane.unattributedDetails.push({
      decisionId: id,
      atS: s(at),
      person: person === undefined ? null : run.people[person]!.id,
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
    if (at - match.t0 < GATE_HOLD_MS + 1_000) lane.secondReads++;
    else unattribute();
    return;
  }
  if (match.status === 'not-presented') unattribute();
  if (match.status !== 'pending') match.late = true;
  match.status = 'decided';
  match.decidedAt = at;
  match.wake?.();
}

const sinceBefore = (at: number | undefined, to: number) => at !== undefined && at <= to;

/** Whether the lane could not take a credential on `device` at some time between `from` and `to`. */
function laneDown(run: SoakRun, device: string, from: number, to: number): boolean {
  const daemon = run.daemon;
  return (
    overlaps(daemon.down, from, to) ||
    overlaps(daemon.deviceDown[device] ?? [], from, to) ||
    sinceBefore(daemon.openDeviceDown.get(device), to) ||
    sinceBefore(daemon.activeUnplugs.get(device), to) ||
    sinceBefore(daemon.restartingSince, to)
  );
}

/** A presentation still pending at the end of its bound: why it got no decision. */
export function classifyPresentation(run: SoakRun, p: GatePresentation): void {
  if (p.status !== 'pending') return;
  const end = p.t0 + p.boundMs;
  if (run.daemon.kills.some((k) => k >= p.t0 && k <= end)) {
    p.status = 'interrupted';
    return;
  }
  const device = p.mode === 'card' ? 'id-card-reader' : 'qr-scanner';
  if (p.mode === 'code' && p.scanWritten === false) {
    p.status = 'not-presented';
    p.reason = 'scanner unplugged: nothing written';
  } else if (
    p.mode === 'card' &&
    p.readAt === undefined &&
    laneDown(run, device, p.t0, p.t0 + GATE_HOLD_MS)
  ) {
    p.status = 'not-presented';
    p.reason = 'reader unplugged or daemon down: card never read';
  } else if (p.mode === 'code' && laneDown(run, device, p.t0, end)) {
    p.status = 'not-presented';
    p.reason = 'scanner unplugged or daemon down: scan not taken';
  } else if (p.mode === 'card' && p.readAt !== undefined && laneDown(run, device, p.readAt, end)) {
    p.status = 'not-presented';
    p.reason = 'reader unplugged mid-read';
  } else {
    p.status = 'missed';
  }
}
