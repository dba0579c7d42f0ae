// 信易阅 at a library self-service kiosk, against the simulator. Run from the repository root:
//
//   npx tsx examples/library-kiosk/index.ts
//
// The library configures its own base loan limit and loan period. A reader in good credit standing
// may hold more books in all (the policy's `loan-limit`: the total, A 3, AA 4, AAA 5, never more than
// 5 — the programme's ceiling) and keeps them longer (`loan-extension`, added to the base period).
// The kiosk works out, for each reader, how many books they may take and when they are due
// (Asia/Shanghai), lends the books and confirms the loan.
//
// In your own project the imports are the package's entry point:
//   import { createTerminal, createHttpPlatformResolver, … } from 'xinyi-terminal';
// and the parts marked SIMULATOR are replaced by the real platform and the kiosk's card reader.

import {
  type Clock,
  chinaHolidayCalendar,
  createHttpPlatformResolver,
  createMemoryJournal,
  createPseudonymizer,
  createTerminal,
  type Decision,
  loadTrustList,
  shanghaiDate,
} from '../../sdk/index.js';
import {
  createRng,
  generatePopulation,
  generateResidentIdNumber,
  startMockPlatform,
} from '../../simulator/index.js';

// ── What the library configures ───────────────────────────────────────────────────────────────────

/** Books any reader may have on loan at once. */
const BASE_LOAN_LIMIT = 2;
/** Days a loan runs for any reader. */
const BASE_LOAN_DAYS = 30;
/**
 * The library is closed on statutory holidays (法定节假日), so a due date falling on one moves to
 * the next day that is not. Weekends are ordinary opening days here.
 */
const CLOSED_ON_STATUTORY_HOLIDAYS = true;

// ── SIMULATOR: synthetic readers and the city platform ────────────────────────────────────────────

const SEED = 'example-library-kiosk';
const POPULATION = generatePopulation(60, SEED);
const pick = (tier: string) => {
  const person = POPULATION.find(
    (p) => p.tier === tier && p.lists.length === 0 && p.idNumber.startsWith('37'),
  );
  if (!person) throw new Error(`no synthetic reader of tier ${tier}`);
  return person;
};
// Someone the platform has never scored (moved to the city recently): a valid synthetic number
// that is in nobody's records.
const NEWCOMER_ID = generateResidentIdNumber(createRng(`${SEED}:newcomer`), { regionCode: '370781' });
const READERS = [
  { idNumber: pick('AA').idNumber, wantsBooks: 5 },
  { idNumber: pick('A').idNumber, wantsBooks: 6 },
  { idNumber: pick('B').idNumber, wantsBooks: 3 },
  { idNumber: NEWCOMER_ID, wantsBooks: 1 },
  { idNumber: pick('AAA').idNumber, wantsBooks: 8 },
];

// A fixed morning, so the due dates are the same on every run (a kiosk uses the system clock).
// 2026-09-01: a 30-day loan would fall due on 国庆节 (1 October).
const clock: Clock = { now: () => Date.parse('2026-09-01T10:00:00+08:00') };
const pseudonymizer = createPseudonymizer('example-library-key:0123456789abcdef');
const PLATFORM_KEY_ID = 'library-kiosks';
const PLATFORM_SECRET = 'example-library-platform-secret';

// ── The kiosk ─────────────────────────────────────────────────────────────────────────────────────

const DAY_MS = 86_400_000;
const WEEKDAY = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** YYYY-MM-DD plus `days` calendar days (dates, not instants: no time zone can shift them). */
function addDays(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

interface LoanTerms {
  limit: number;
  days: number;
  dueDate: string;
  /** How the numbers were reached, for the screen. */
  workings: string[];
}

/**
 * The library's base values and what the decision grants. `loan-limit` is the total a reader may
 * hold (the programme's A 3, AA 4, AAA 5, at most 5): it replaces the base when it is larger, and is
 * never added to it. `loan-extension` is days on top of the base period.
 */
function loanTerms(decision: Decision, loanDate: string): LoanTerms {
  const workings: string[] = [];
  let limit = BASE_LOAN_LIMIT;
  let days = BASE_LOAN_DAYS;
  const total = decision.benefits.find((b) => b.kind === 'loan-limit');
  if (total?.kind === 'loan-limit' && total.books > BASE_LOAN_LIMIT) {
    limit = total.books;
    workings.push(
      `loan limit ${limit} books in all (信易阅, ${total.ruleId}; the library's base is ${BASE_LOAN_LIMIT})`,
    );
  } else workings.push(`loan limit ${limit} books (the library's base)`);
  const extraDays = decision.benefits.find((b) => b.kind === 'loan-extension');
  if (extraDays?.kind === 'loan-extension') {
    days += extraDays.days;
    workings.push(
      `loan period ${BASE_LOAN_DAYS} + ${extraDays.days} (信易阅, ${extraDays.ruleId}) = ${days} days`,
    );
  } else workings.push(`loan period ${days} days (the library's base)`);

  let dueDate = addDays(loanDate, days);
  const firstDue = dueDate;
  // The bundled calendar covers 2024–2026; a year it does not cover reads `unknown`, never a holiday.
  while (CLOSED_ON_STATUTORY_HOLIDAYS && chinaHolidayCalendar.dayInfo(dueDate).kind === 'statutory-holiday') {
    dueDate = addDays(dueDate, 1);
  }
  if (dueDate !== firstDue) {
    const holiday = chinaHolidayCalendar.dayInfo(firstDue).holidayName;
    workings.push(`${firstDue} is ${holiday}, the library is closed: due the next open day`);
  }
  return { limit, days, dueDate, workings };
}

async function main(): Promise<void> {
  const cleanup: (() => unknown)[] = [];
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

    // A kiosk keeps its journal on disk (`createSqliteJournal`); in memory is enough for this example.
    const journal = createMemoryJournal({ clock });
    cleanup.unshift(() => journal.close());
    const terminal = createTerminal({
      terminalId: 'kiosk-library-01',
      scene: 'library-kiosk',
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

    const loanDate = shanghaiDate(clock.now());
    console.log(
      `library kiosk, ${loanDate}: base loan limit ${BASE_LOAN_LIMIT} books, base loan period ${BASE_LOAN_DAYS} days`,
    );
    for (const [index, { idNumber, wantsBooks }] of READERS.entries()) {
      // The kiosk's ID-card reader (attached with `terminal.attach(reader)`) presents each card like
      // this; the raw number goes no further than the terminal's identity step.
      const decision = await terminal.present({ kind: 'id-card', idNumber });
      const terms = loanTerms(decision, loanDate);
      console.log(`\nreader ${index + 1} ${decision.subject?.masked}`);
      console.log(
        `  decision: ${decision.outcome}, tier ${decision.effectiveTier ?? 'unknown'}, source ${decision.standingSource}`,
      );
      for (const line of terms.workings) console.log(`  ${line}`);
      const lent = Math.min(wantsBooks, terms.limit);
      const weekday = WEEKDAY[new Date(`${terms.dueDate}T00:00:00Z`).getUTCDay()];
      console.log(`  lends ${lent} of ${wantsBooks} book(s) asked for, due ${terms.dueDate} (${weekday})`);
      // The kiosk states the terms it applies; a reader who gets no more than the base reads the
      // SDK's neutral text, which is the same for every reason (it never names a list).
      const screen =
        decision.outcome === 'granted'
          ? `信易阅：本次可借 ${terms.limit} 册，借期 ${terms.days} 天，应还日期 ${terms.dueDate}`
          : decision.explanation.citizen;
      console.log(`  screen: ${screen}`);
      // The books are checked out: the benefits count as used.
      if (lent > 0) terminal.confirmUse(decision);
    }
    console.log(
      `\njournal: ${journal.counts().decisions} decisions, ${journal.counts().usage} uses confirmed`,
    );
  } finally {
    for (const step of cleanup) await step();
  }
}

main().catch((error: unknown) => {
  console.error(`library-kiosk failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
