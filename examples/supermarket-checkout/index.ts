// 信易购 at a supermarket checkout, against the simulator. Run from the repository root:
//
//   npx tsx examples/supermarket-checkout/index.ts
//
// Five shoppers pay for the same basket. Each identifies with a signed credit code on their phone or
// with their resident ID card on the lane's reader; the SDK answers with the discount, the lane and
// the perks; the POS applies them, prints the receipt and confirms the sale. Half-way through, the
// city credit platform goes down: decisions carry on from the offline snapshot, and the receipt says so.
//
// In your own project the imports are the package's entry points:
//   import { createTerminal, createHttpPlatformResolver, … } from 'xinyi-terminal';
//   import { IdCardReader, SerialTransport } from 'xinyi-terminal/adapters';
// and the parts marked SIMULATOR are replaced by the real platform and a real reader.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryLink, IdCardReader } from '../../adapters/index.js';
import {
  applyPayRatio,
  BP_PER_UNIT,
  type Clock,
  type Credential,
  combinePayBp,
  createCreditCodeResolver,
  createHttpPlatformResolver,
  createPlatformSync,
  createPseudonymizer,
  createSnapshotResolver,
  createSqliteJournal,
  createTerminal,
  type Decision,
  describeBenefit,
  formatFen,
  formatPayBp,
  type GrantedBenefit,
  openSnapshotStore,
  qingzhouPolicyPack,
} from '../../sdk/index.js';
import {
  generatePopulation,
  type SyntheticPerson,
  startMockPlatform,
  VirtualIdCardReader,
} from '../../simulator/index.js';

// ── What the store configures ──────────────────────────────────────────────────────────────────────

const TERMINAL_ID = 'pos-market-03';
/** A loyalty point per whole yuan paid, before any credit multiplier. */
const POINTS_PER_YUAN = 1;

interface BasketLine {
  name: string;
  unitFen: number;
  qty: number;
  /** The store decides which goods a credit discount applies to (here: not infant formula). */
  discountable: boolean;
}

const BASKET: readonly BasketLine[] = [
  { name: '花生油 5L', unitFen: 15_990, qty: 1, discountable: true },
  { name: '青州蜜桃 1kg', unitFen: 1_280, qty: 2, discountable: true },
  { name: '金丝蜜枣 500g', unitFen: 2_450, qty: 1, discountable: true },
  { name: '婴儿奶粉 800g', unitFen: 26_800, qty: 1, discountable: false },
];

// ── SIMULATOR: synthetic shoppers, the city platform, the lane's reader ───────────────────────────

// Synthetic people (valid check digits, made-up names): the same six on every run.
const SEED = 'example-supermarket-checkout';
const POPULATION = generatePopulation(120, SEED, { redListRate: 0.05, blackListRate: 0.08 });
const pick = (what: string, test: (p: SyntheticPerson) => boolean, skip = 0): SyntheticPerson => {
  const person = POPULATION.filter((p) => p.idNumber.startsWith('37') && test(p))[skip];
  if (!person) throw new Error(`no synthetic shopper for: ${what}`);
  return person;
};
const unlisted = (p: SyntheticPerson) => p.lists.length === 0;
const SHOPPERS = [
  { person: pick('AAA', (p) => p.tier === 'AAA' && unlisted(p)), shows: 'credit-code' },
  { person: pick('AA', (p) => p.tier === 'AA' && unlisted(p)), shows: 'id-card' },
  { person: pick('A', (p) => p.tier === 'A' && unlisted(p)), shows: 'id-card' },
  { person: pick('black', (p) => p.lists.some((l) => l.kind === 'black' && !l.domain)), shows: 'id-card' },
  // This one arrives while the platform is down…
  { person: pick('AA', (p) => p.tier === 'AA' && unlisted(p), 1), shows: 'id-card' },
  // …and this one once it is back.
  { person: pick('A', (p) => p.tier === 'A' && unlisted(p), 1), shows: 'id-card' },
] as const;
/** The shopper (index) who meets the outage. */
const DURING_OUTAGE = 4;

// A fixed day, so the printed decisions are the same on every run (a real terminal uses the system clock).
let simulatedNow = Date.parse('2026-11-26T10:00:00+08:00');
const clock: Clock = { now: () => simulatedNow };

// The pseudonym key comes from the city credit office's key service; ID numbers are kept only as
// keyed pseudonyms made with it.
const pseudonymizer = createPseudonymizer('example-checkout-key:0123456789abcdef');
const PLATFORM_KEY_ID = 'pos-terminals';
const PLATFORM_SECRET = 'example-checkout-platform-secret';

// ── The checkout ──────────────────────────────────────────────────────────────────────────────────

const SOURCE_LINE: Record<Decision['standingSource'], string> = {
  'credit-code': 'signed credit code, verified offline',
  platform: 'city credit platform',
  snapshot: 'OFFLINE SNAPSHOT (credit platform unavailable) — 离线信用快照',
  none: 'no credit standing — normal price',
};

function basketLines(): string[] {
  return BASKET.map((line) => {
    const mark = line.discountable ? ' ' : '*';
    return `  ${mark} ${line.name.padEnd(14)} ${line.qty} × ${formatFen(line.unitFen).padStart(9)}`;
  });
}

/** The receipt below the item lines (which are the same for every shopper here). */
function receipt(decision: Decision, shopper: number): string[] {
  const lines: string[] = [];
  const label = (b: GrantedBenefit) => describeBenefit(b, qingzhouPolicyPack.labels);
  let subtotal = 0;
  let discountable = 0;
  for (const line of BASKET) {
    const amount = line.unitFen * line.qty;
    subtotal += amount;
    if (line.discountable) discountable += amount;
  }
  lines.push(`    subtotal ${formatFen(subtotal).padStart(27)}`);

  // The policy has already chosen which discounts apply (one per stacking group); any that remain
  // stack by multiplying, and the result is rounded once, half-up, to whole fen (applyPayRatio).
  const payBp = combinePayBp(
    decision.benefits.flatMap((b) =>
      b.kind === 'discount' && (b.appliesTo ?? 'price') === 'price' ? [b.payBp] : [],
    ),
  );
  let total = subtotal;
  if (payBp < BP_PER_UNIT) {
    const discounted = applyPayRatio(discountable, payBp);
    total = subtotal - discountable + discounted;
    const saved = `-${formatFen(discountable - discounted)}`;
    lines.push(`    信易购 ${formatPayBp(payBp)} on ${formatFen(discountable)} ${saved.padStart(14)}`);
  }
  lines.push(`    TOTAL ${formatFen(total).padStart(30)}`);

  const multiplier = decision.benefits.find((b) => b.kind === 'points-multiplier');
  const factorBp = multiplier?.kind === 'points-multiplier' ? multiplier.factorBp : 10_000;
  const points = Math.floor((Math.floor(total / 100) * POINTS_PER_YUAN * factorBp) / 10_000);
  lines.push(`    points ${points}${multiplier ? ` (${label(multiplier)})` : ''}`);
  const perks = decision.benefits.filter((b) => b.kind === 'perk' || b.kind === 'deposit-waiver');
  if (perks.length > 0) lines.push(`    perks: ${perks.map(label).join('、')}`);
  lines.push(`    credit: ${SOURCE_LINE[decision.standingSource]}`);
  lines.push(`    ${decision.explanation.citizen}`);
  lines.push(`    shopper ${shopper}: ${decision.subject?.masked ?? 'credit code holder'}`);
  return lines;
}

async function main(): Promise<void> {
  // Everything the terminal writes goes here, and is removed at the end.
  const dataDir = mkdtempSync(join(tmpdir(), 'xinyi-example-checkout-'));
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  // Also when the process dies without reaching `finally` (stdout closed under `| head`, an uncaught error).
  process.once('exit', removeDataDir);
  const cleanup: (() => unknown)[] = [removeDataDir];
  try {
    // SIMULATOR: the city credit platform on a loopback port, with this population's standings.
    const platform = await startMockPlatform({
      people: POPULATION,
      pseudonymizer,
      keyId: PLATFORM_KEY_ID,
      secret: PLATFORM_SECRET,
      clock,
    });
    cleanup.unshift(() => platform.close());
    // SIMULATOR: the platform issues credit codes to people on no black or key-attention list; each
    // phone signs a fresh presentation whenever it is shown.
    const phones = new Map(
      SHOPPERS.filter((s) => s.shows === 'credit-code').map(({ person }) => [
        person.id,
        platform.issuer.issue(pseudonymizer.pseudonymize(person.idNumber), person.tier, {
          red: person.lists.some((l) => l.kind === 'red'),
          now: clock.now() - 3_600_000,
        }),
      ]),
    );

    // The platform client: signed, purpose-bound requests, retries and a circuit breaker, within
    // its own 400 ms budget so the snapshot still gets a turn when the platform is slow or down.
    // Its answers are signed by the platform and verified with the trust list the sync keeps.
    const http = createHttpPlatformResolver({
      baseUrl: platform.url,
      keyId: PLATFORM_KEY_ID,
      secret: PLATFORM_SECRET,
      timeoutMs: 400,
      getTrustList: () => sync.getTrustList(),
      clock,
    });
    // The offline snapshot (signed, applied to SQLite) and the trust and status lists the credit
    // codes are verified with, fetched at start of day and then kept fresh by `sync.start()`.
    const store = await openSnapshotStore({ path: join(dataDir, 'snapshot.sqlite'), clock });
    cleanup.unshift(() => store.close());
    const sync = createPlatformSync({
      platform: http,
      rootPublicKey: platform.issuer.rootPublicKey, // pinned in your configuration
      snapshotPublicKeys: platform.snapshotPublicKey,
      store,
      clock,
    });
    const synced = await sync.syncOnce();
    if (!synced.ok) throw synced.errors[0];
    console.log(
      `start of day: trust list v${synced.trustList.version}, status list, snapshot #${synced.snapshot.sequence} (${synced.snapshot.count} records) applied`,
    );

    // Every decision is committed here before the POS acts on it; `confirmUse` counts the sale.
    const journal = await createSqliteJournal({ path: join(dataDir, 'journal.sqlite'), clock });
    cleanup.unshift(() => journal.close());

    const terminal = createTerminal({
      terminalId: TERMINAL_ID,
      scene: 'supermarket-checkout',
      pseudonymizer,
      credit: [
        createCreditCodeResolver({
          getTrustList: () => sync.getTrustList(),
          getStatusList: () => sync.getStatusList(),
          clock,
        }),
        http,
        createSnapshotResolver(store),
      ],
      journal,
      clock,
    });
    cleanup.unshift(() => terminal.close());
    terminal.on('offline', ({ source, reason }) =>
      console.log(`  ⚠ credit source "${source}" offline (${reason})`),
    );
    terminal.on('online', ({ source }) => console.log(`  ✓ credit source "${source}" back online`));

    // SIMULATOR: a virtual SAM reader on a link that models 115200-baud wire time. On a real lane:
    //   new IdCardReader({ transport: new SerialTransport({ path: '/dev/ttyUSB0' }) })
    const link = createMemoryLink({ baudRate: 115_200 });
    const cardReader = new VirtualIdCardReader();
    await cardReader.attach(link.device);
    const reader = new IdCardReader({ transport: link.host, pollIntervalMs: 50, name: 'lane-3/id-reader' });
    cleanup.unshift(() => cardReader.detach());
    cleanup.unshift(() => reader.close());
    // Every card read is presented to the terminal; its decision arrives as a `decision` event.
    terminal.attach(reader);
    await reader.open();

    const tapCard = async (person: SyntheticPerson): Promise<Decision> => {
      const decided = new Promise<Decision>((resolve) => terminal.once('decision', resolve));
      cardReader.placeCard(person);
      const decision = await decided;
      const removed = new Promise<void>((resolve) => reader.once('removed', () => resolve()));
      cardReader.removeCard();
      await removed;
      return decision;
    };
    // The cashier's scanner reads the QR code off the phone; its text is the credential.
    const scanCode = (person: SyntheticPerson): Promise<Decision> => {
      const credential: Credential = {
        kind: 'credit-code',
        text: phones.get(person.id)!.present(clock.now()),
      };
      return terminal.present(credential);
    };

    console.log('\nevery shopper buys (* = no credit discount on this item):');
    for (const line of basketLines()) console.log(line);
    for (const [index, { person, shows }] of SHOPPERS.entries()) {
      simulatedNow += 3 * 60_000;
      if (index === DURING_OUTAGE) {
        // SIMULATOR: every platform request now gets HTTP 503.
        platform.faults.inject({ kind: 'status', status: 503 });
        console.log('\n*** platform down: the mock platform answers 503 to every request ***');
      } else if (index === DURING_OUTAGE + 1) {
        platform.faults.clear();
        console.log('\n*** platform up again ***');
      }
      console.log(
        `\nshopper ${index + 1} ${shows === 'credit-code' ? 'shows a credit code' : 'taps an ID card'}`,
      );
      const decision = shows === 'credit-code' ? await scanCode(person) : await tapCard(person);

      const lane = decision.benefits.some((b) => b.kind === 'priority-lane')
        ? '信用专用通道 (credit lane)'
        : 'any lane';
      console.log(
        `  decision: ${decision.outcome}, tier ${decision.effectiveTier ?? '-'}, source ${decision.standingSource}, lane: ${lane}`,
      );
      if (decision.standingSource === 'snapshot') {
        console.log('  platform down: decided from the offline snapshot');
      }
      console.log(`  cashier screen: ${decision.explanation.staff}`);
      for (const line of receipt(decision, index + 1)) console.log(line);

      // The sale is paid: only now do the benefits count as used (caps such as "once a day" read it).
      const counted = terminal.confirmUse(decision);
      // A credit code's holder is counted by the pseudonym the code carries, like an ID card's.
      console.log(`  sale confirmed: ${counted} benefit use(s) counted`);
    }

    const counts = journal.counts();
    console.log(
      `\njournal: ${counts.decisions} decisions, ${counts.usage} uses confirmed; ${journal.backlog().decisions.count} decisions wait for upload`,
    );
  } finally {
    for (const step of cleanup) await step();
  }
}

main().catch((error: unknown) => {
  console.error(`supermarket-checkout failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
