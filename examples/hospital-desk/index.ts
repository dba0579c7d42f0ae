// 信易医 at a hospital admission desk, against the simulator. Run from the repository root:
//
//   npx tsx examples/hospital-desk/index.ts
//
// At admission the desk asks for an inpatient deposit and the patient's documents. A patient in good
// credit standing has the deposit waived (up to the policy's ceiling) and may bring documents later
// (容缺受理). Anyone the SDK did not grant may ask for a person to review the decision (PIPL art. 24):
// staff decide, and `terminal.recordOverride()` records who decided what and why in the journal.
//
// In your own project the imports are the package's entry point:
//   import { createTerminal, createHttpPlatformResolver, createSqliteJournal, … } from 'xinyi-terminal';
// and the parts marked SIMULATOR are replaced by the real platform and the desk's card reader.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Benefit,
  type Clock,
  createHttpPlatformResolver,
  createPseudonymizer,
  createSqliteJournal,
  createTerminal,
  type Decision,
  formatFen,
  isXinyiError,
  loadTrustList,
} from '../../sdk/index.js';
import { generatePopulation, type SyntheticPerson, startMockPlatform } from '../../simulator/index.js';

// ── What the hospital configures ──────────────────────────────────────────────────────────────────

/** The inpatient deposit asked at admission to a general ward. */
const INPATIENT_DEPOSIT_FEN = 300_000;
/** The documents a patient brings for admission (a deferral lets them follow within days). */
const ADMISSION_DOCUMENTS = ['医保卡', '门诊病历', '住院通知单'];

// ── SIMULATOR: synthetic patients and the city platform ───────────────────────────────────────────

const SEED = 'example-hospital-desk';
const POPULATION = generatePopulation(80, SEED, { keyAttentionRate: 0.05 });
const pick = (what: string, test: (p: SyntheticPerson) => boolean): SyntheticPerson => {
  const person = POPULATION.find((p) => p.idNumber.startsWith('37') && test(p));
  if (!person) throw new Error(`no synthetic patient for: ${what}`);
  return person;
};
const PATIENTS = [
  // AA: deposit waived and documents deferred, automatically.
  pick('AA', (p) => p.tier === 'AA' && p.lists.length === 0),
  // B: no waiver; admitted as an emergency, asks for a review, and staff grant it.
  pick('B', (p) => p.tier === 'B' && p.lists.length === 0),
  // On the key-attention list: no automatic incentive, staff decide, and keep the deposit.
  pick('key-attention', (p) => p.lists.some((l) => l.kind === 'key-attention')),
];

// A fixed morning, so the output is the same on every run (a desk uses the system clock).
let simulatedNow = Date.parse('2026-11-26T08:30:00+08:00');
const clock: Clock = { now: () => simulatedNow };
const minutesLater = (minutes: number) => {
  simulatedNow += minutes * 60_000;
};
const pseudonymizer = createPseudonymizer('example-hospital-key:0123456789abcdef');
const PLATFORM_KEY_ID = 'hospital-desks';
const PLATFORM_SECRET = 'example-hospital-platform-secret';

// ── The admission desk ────────────────────────────────────────────────────────────────────────────

interface Admission {
  depositFen: number;
  documentsDeferred: boolean;
}

/** What the patient pays and brings now, from the benefits granted (by the SDK or by staff). */
function admissionTerms(benefits: readonly Benefit[]): Admission {
  let depositFen = INPATIENT_DEPOSIT_FEN;
  for (const b of benefits) {
    if (b.kind === 'deposit-waiver' && b.item === 'inpatient-deposit') {
      // The waiver covers up to its ceiling; a deposit above it is reduced, not waived.
      depositFen = Math.max(0, depositFen - (b.maxFen ?? depositFen));
    }
  }
  return { depositFen, documentsDeferred: benefits.some((b) => b.kind === 'docs-deferred') };
}

function printAdmission(terms: Admission): void {
  console.log(
    terms.depositFen === 0
      ? `  deposit: waived (${formatFen(INPATIENT_DEPOSIT_FEN)} not collected)`
      : `  deposit: ${formatFen(terms.depositFen)} to pay now`,
  );
  console.log(
    terms.documentsDeferred
      ? `  documents deferred: yes (${ADMISSION_DOCUMENTS.join('、')} may follow)`
      : `  documents deferred: no (${ADMISSION_DOCUMENTS.join('、')} needed now)`,
  );
}

function printDecision(decision: Decision): void {
  console.log(
    `  decision: ${decision.outcome}, tier ${decision.effectiveTier ?? 'unknown'}, source ${decision.standingSource}`,
  );
  console.log(
    `  reasons: ${decision.reasons.map((r) => (r.ruleId ? `${r.code}[${r.ruleId}]` : r.code)).join(' ')}`,
  );
  console.log(`  patient reads: ${decision.explanation.citizen}`);
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'xinyi-example-hospital-'));
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  // Also when the process dies without reaching `finally` (stdout closed under `| head`, an uncaught error).
  process.once('exit', removeDataDir);
  const cleanup: (() => unknown)[] = [removeDataDir];
  try {
    // SIMULATOR: the city credit platform on a loopback port.
    const platform = await startMockPlatform({
      people: POPULATION,
      pseudonymizer,
      keyId: PLATFORM_KEY_ID,
      secret: PLATFORM_SECRET,
      clock,
    });
    cleanup.unshift(() => platform.close());

    // Decisions and overrides are kept on disk: an auditor, or the patient, can ask later who
    // decided and why.
    const journal = await createSqliteJournal({ path: join(dataDir, 'journal.sqlite'), clock });
    cleanup.unshift(() => journal.close());
    const terminal = createTerminal({
      terminalId: 'desk-hospital-02',
      scene: 'hospital-admission',
      pseudonymizer,
      credit: [
        createHttpPlatformResolver({
          baseUrl: platform.url,
          keyId: PLATFORM_KEY_ID,
          secret: PLATFORM_SECRET,
          timeoutMs: 400,
          // Answers are signed by the platform: verified with its trust list, itself verified with
          // the pinned root key. A long-running terminal keeps it fresh with createPlatformSync.
          trustList: loadTrustList(platform.issuer.trustList, {
            rootPublicKey: platform.issuer.rootPublicKey,
            now: clock.now(),
          }),
          clock,
        }),
      ],
      journal,
      clock,
    });
    cleanup.unshift(() => terminal.close());
    // Every override, wherever it is recorded, shows up here: a supervisor's screen, an audit feed.
    terminal.on('override', (o) =>
      console.log(
        `  override recorded: ${o.decisionOutcome} → ${o.outcome} by staff ${o.staffId}, reason: ${o.reason}`,
      ),
    );

    // The desk's ID-card reader presents each card like this (`terminal.attach(reader)`).
    const admit = (person: SyntheticPerson) =>
      terminal.present({ kind: 'id-card', idNumber: person.idNumber, name: person.name });

    console.log(
      `inpatient deposit ${formatFen(INPATIENT_DEPOSIT_FEN)}; documents: ${ADMISSION_DOCUMENTS.join('、')}`,
    );

    // Patient 1: granted by the SDK.
    console.log('\npatient 1 taps an ID card');
    const first = await admit(PATIENTS[0]!);
    console.log(`  patient: ${first.subject?.masked}`);
    printDecision(first);
    printAdmission(admissionTerms(first.benefits));
    terminal.confirmUse(first); // admitted: the waiver was used

    // Patient 2: not granted; the patient asks for a person to review it.
    minutesLater(4);
    console.log('\npatient 2 taps an ID card');
    const second = await admit(PATIENTS[1]!);
    console.log(`  patient: ${second.subject?.masked}`);
    printDecision(second);
    printAdmission(admissionTerms(second.benefits));
    console.log('  patient asks for a human review (PIPL art. 24)');
    minutesLater(6);
    // The reason is kept in the journal: the grounds, never the patient's name or ID number. A reason
    // with an ID number in it is refused, and the error does not repeat the number.
    try {
      terminal.recordOverride(second.id, {
        staffId: 'N-0417',
        reason: `担保人 ${PATIENTS[0]!.idNumber}`,
        outcome: 'granted',
      });
    } catch (error) {
      if (!isXinyiError(error)) throw error;
      console.log(`  refused: ${error.code}: ${error.message}`);
    }
    const granted = terminal.recordOverride(second.id, {
      staffId: 'N-0417',
      reason: '急诊入院，值班主任复核同意：家属已签署押金缓交承诺书',
      outcome: 'granted',
      benefits: [
        { kind: 'deposit-waiver', item: 'inpatient-deposit', maxFen: INPATIENT_DEPOSIT_FEN },
        { kind: 'docs-deferred' },
      ],
    });
    printAdmission(admissionTerms(granted.benefits));

    // Patient 3: no automatic incentive (staff decide); on review staff keep the deposit.
    minutesLater(9);
    console.log('\npatient 3 taps an ID card');
    const third = await admit(PATIENTS[2]!);
    console.log(`  patient: ${third.subject?.masked}`);
    printDecision(third);
    minutesLater(3);
    terminal.recordOverride(third.id, {
      staffId: 'N-0417',
      reason: '人工复核：择期入院，按常规缴纳押金',
      outcome: 'denied',
    });
    printAdmission(admissionTerms([]));

    // What the journal now holds about the reviews, as an auditor would read it.
    console.log('\njournal overrides:');
    for (const event of journal.events({ kind: 'override' })) {
      const d = event.detail ?? {};
      const at = new Date(event.at + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
      // `benefits` is kept as JSON (event details hold flat values only).
      const kinds =
        typeof d.benefits === 'string' ? (JSON.parse(d.benefits) as Benefit[]).map((b) => b.kind) : [];
      const benefits = kinds.length > 0 ? ` (${kinds.join(', ')})` : '';
      console.log(
        `  ${at} (Asia/Shanghai) ${d.decisionOutcome} → ${d.outcome}${benefits} by ${d.staffId}: ${d.reason}`,
      );
    }
  } finally {
    for (const step of cleanup) await step();
  }
}

main().catch((error: unknown) => {
  console.error(`hospital-desk failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
