// 信易贷 at a bank counter serving companies, against the simulator. Run from the repository root:
//
//   npx tsx examples/bank-counter/index.ts
//
// A company's representative comes to the counter with the business licence. The loan officer types
// the licence's unified social credit code (统一社会信用代码) or scans the licence's QR code; the SDK
// checks the code (GB 32100, with its embedded GB 11714 organisation code), turns it into a keyed
// pseudonym, looks the company up on the city platform and applies the 信易贷 policy: fast-track
// online credit of up to 30万元 and a rate discount for a company in good standing. Nothing is
// published when the counter decides: the 公示 records are written when the bank confirms the credit
// was granted (`terminal.confirmUse`), citing the programme (青办发〔2018〕52号, 信易贷).
//
// In your own project the imports are the package's entry point:
//   import { createTerminal, createHttpPlatformResolver, createSqliteJournal, … } from 'xinyi-terminal';
// and the parts marked SIMULATOR are replaced by the real platform and the counter's scanner.

import {
  type Clock,
  type Credential,
  createHttpPlatformResolver,
  createMemoryJournal,
  createPseudonymizer,
  createTerminal,
  type Decision,
  type DisclosureRecord,
  describeBenefit,
  loadTrustList,
  qingzhouPolicyPack,
  type XinyiError,
} from '../../sdk/index.js';
import {
  generateOrganisations,
  generatePopulation,
  type SyntheticOrganisation,
  startMockPlatform,
} from '../../simulator/index.js';

// ── SIMULATOR: synthetic companies and the city platform ──────────────────────────────────────────

const SEED = 'example-bank-counter';
const COMPANIES = generateOrganisations(40, SEED);
const PEOPLE = generatePopulation(5, SEED, { blackListRate: 0, keyAttentionRate: 0, mix: { AA: 1 } });
const pick = (what: string, test: (o: SyntheticOrganisation) => boolean): SyntheticOrganisation => {
  const company = COMPANIES.find((o) => o.kind === 'enterprise' && test(o));
  if (!company) throw new Error(`no synthetic company for: ${what}`);
  return company;
};
const trustworthy = (o: SyntheticOrganisation) => ['A', 'AA', 'AAA'].includes(o.tier) && o.lists.length === 0;
const GOOD = pick('a trustworthy company', trustworthy);
const SECOND = pick('another trustworthy company', (o) => trustworthy(o) && o !== GOOD);
const LOW = pick(
  'a company with a low tier',
  (o) => ['B', 'C', 'D'].includes(o.tier) && o.lists.length === 0,
);

// A fixed morning, so the output is the same on every run (a counter uses the system clock).
let simulatedNow = Date.parse('2026-11-26T09:30:00+08:00');
const clock: Clock = { now: () => simulatedNow };
const pseudonymizer = createPseudonymizer('example-bank-key:0123456789abcdef');
const PLATFORM_KEY_ID = 'bank-counters';
const PLATFORM_SECRET = 'example-bank-platform-secret';

/** What the loan officer's screen shows for a decision (citizen text included: it is read out). */
function show(decision: Decision): void {
  console.log(
    `  decision: ${decision.outcome}, ${decision.subjectType} ${decision.subject?.masked ?? '(no code)'}, tier ${decision.effectiveTier ?? 'unknown'}, source ${decision.standingSource}`,
  );
  for (const b of decision.benefits)
    console.log(`  benefit: ${describeBenefit(b, qingzhouPolicyPack.labels)} [${b.ruleId}]`);
  console.log(`  screen: ${decision.explanation.citizen}`);
}

async function main(): Promise<void> {
  const cleanup: (() => unknown)[] = [];
  try {
    // SIMULATOR: the city credit platform on a loopback port, knowing companies by credit code.
    const platform = await startMockPlatform({
      people: PEOPLE,
      organisations: COMPANIES,
      pseudonymizer,
      keyId: PLATFORM_KEY_ID,
      secret: PLATFORM_SECRET,
      clock,
    });
    cleanup.unshift(() => platform.close());

    // A counter keeps its journal on disk (`createSqliteJournal`); in memory is enough here.
    const journal = createMemoryJournal({ clock });
    cleanup.unshift(() => journal.close());
    const terminal = createTerminal({
      terminalId: 'counter-bank-01',
      scene: 'bank-counter',
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
    // A code that cannot be used is reported with the rule it broke, never the code itself.
    terminal.on('warning', (e: XinyiError) =>
      console.log(`  (warning ${e.code}: ${String(e.details.problem)})`),
    );

    const visit = async (title: string, credential: Credential): Promise<Decision> => {
      simulatedNow += 7 * 60_000;
      console.log(`\n${title}`);
      const decision = await terminal.present(credential);
      show(decision);
      return decision;
    };

    console.log('bank counter, 2026-11-26: 信易贷 for companies (市场主体)');

    // 1. The code typed from the licence; the bank approves the fast-track credit the next day.
    const first = await visit('company 1: code typed from the licence', {
      kind: 'organisation',
      entry: 'typed',
      text: GOOD.creditCode,
    });
    console.log(`  公示 records now: ${journal.backlog().disclosures.count} (nothing is granted yet)`);
    simulatedNow = Date.parse('2026-11-27T15:00:00+08:00');
    console.log(`  2026-11-27: credit approved → confirmUse: ${terminal.confirmUse(first)} benefits used`);
    for (const item of journal.pendingUploads('disclosures', 10)) {
      const r = item.payload as DisclosureRecord;
      console.log(
        `  公示: ${r.scheme} ${r.maskedName} ${r.benefit}, granted ${r.grantedAt}, publish by ${r.dueDate}`,
      );
      console.log(`        basis ${r.legalBasis}`);
    }

    // 2. The licence's QR code, scanned; the bank declines the loan on its own criteria: no 公示.
    await visit('company 2: business licence QR code scanned', {
      kind: 'organisation',
      entry: 'licence-qr',
      text: `https://www.gsxt.gov.cn/index.html?uniscid=${SECOND.creditCode}`,
    });
    console.log('  the bank declines the loan: no confirmUse, nothing to publish');

    // 3. A licence whose QR code hides the code: the SDK refuses it and says why; staff type it in.
    await visit('company 3: a licence QR code without the code in clear', {
      kind: 'organisation',
      entry: 'licence-qr',
      text: 'https://www.gsxt.gov.cn/%7B5C2E0A9B%7D?t=7f3a',
    });
    await visit('company 3: code typed in instead', {
      kind: 'organisation',
      entry: 'typed',
      text: LOW.creditCode,
    });

    // 4. A mistyped code: one character wrong.
    const typo =
      GOOD.creditCode.slice(0, 10) + (GOOD.creditCode[10] === '1' ? '2' : '1') + GOOD.creditCode.slice(11);
    await visit('company 4: a code with a typing error', {
      kind: 'organisation',
      entry: 'typed',
      text: typo,
    });

    // 5. A person's ID card at the counter: 信易贷 here is for companies; the text says so, not their credit.
    await visit('a person with an ID card', { kind: 'id-card', idNumber: PEOPLE[0]!.idNumber });

    const backlog = journal.backlog();
    console.log(
      `\njournal: ${journal.counts().decisions} decisions, ${backlog.disclosures.count} 公示 records waiting for upload`,
    );
  } finally {
    for (const step of cleanup) await step();
  }
}

main().catch((error: unknown) => {
  console.error(`bank-counter failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
