import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CameraScanner } from '../adapters/camera/camera-scanner.js';
import { createZxingWasmDecoder } from '../adapters/camera/zxing-wasm-decoder.js';
import { IdCardReader } from '../adapters/id-card/reader.js';
import { createMemoryLink } from '../adapters/transport/memory-transport.js';
import { defaultHolidayCalendar } from '../sdk/calendar/china-holidays.js';
import type { CalendarCoverage } from '../sdk/calendar/coverage.js';
import type { Clock } from '../sdk/clock.js';
import type { Decision } from '../sdk/domain/decision.js';
import type { SceneId } from '../sdk/domain/scenes.js';
import { isXinyiError, XinyiError } from '../sdk/errors.js';
import { createPseudonymizer } from '../sdk/identity/index.js';
import type { JournalStore, RetentionRecordType } from '../sdk/journal/journal-store.js';
import { createMemoryJournal } from '../sdk/journal/memory-journal.js';
import { createSqliteJournal } from '../sdk/journal/sqlite-journal.js';
import { createUploader, type Uploader } from '../sdk/journal/uploader.js';
import type { Logger } from '../sdk/logger.js';
import type { DecisionContext } from '../sdk/policy/index.js';
import { createTerminal, type Terminal } from '../sdk/terminal/index.js';
import { generateCameraFrame } from './camera/frame-generator.js';
import { cardFieldsForPerson } from './devices/card-fields.js';
import { VirtualIdCardReader } from './devices/virtual-id-card-reader.js';
import type { MockPlatform } from './mock-platform.js';
import {
  generateOrganisations,
  generatePopulation,
  type SyntheticOrganisation,
  type SyntheticPerson,
} from './population.js';
import { createRng } from './prng.js';
import { createSimulatedCredit, type SimulatedCredit } from './simulated-credit.js';

export interface SimulatedDayOptions {
  /** @default 'xinyi-demo' */
  seed?: number | string;
  /** Synthetic citizens. @default 48 */
  people?: number;
  /** Visits across the four terminals. @default 40 */
  visits?: number;
  /** The simulated day (YYYY-MM-DD, Asia/Shanghai); visits run from 09:00. @default '2026-11-26' */
  date?: string;
  /** Visits (by index) during which the platform is down, to show the fail-safe. @default the 6 visits after 70 % */
  platformOutage?: { from: number; to: number };
  /** Called for every decision as it happens. */
  onDecision?: (event: SimulatedVisit) => void | Promise<void>;
  /**
   * Where the terminals keep their decision journal (`journal.sqlite`) and the offline snapshot
   * (`snapshot.sqlite`), as a deployment's data directory. A directory given here is created when
   * missing and its files are kept; a later run in it continues the same journal (so the policy's
   * caps count the uses confirmed earlier the same day). Without better-sqlite3 the journal is kept
   * in memory instead (`summary.journal.kind === 'memory'`).
   * @default a temporary directory, removed at the end
   */
  dataDir?: string;
  /** Given to the terminals, the journal, the uploader and the platform clients. @default silentLogger */
  logger?: Logger;
  /**
   * Adds the counters of market subjects (市场主体): a 信易批 service window (`window-gov-01`), a 信易贷
   * bank counter (`counter-bank-01`) and a 信易租 rental desk (`desk-rental-01`), visited by synthetic
   * companies that type in their unified social credit code or show their business licence's QR code.
   * The window's grants are disclosed (公示) at once, the bank's once the credit is granted
   * (`confirmUse`): the journal then also holds, and uploads, disclosure records. @default false
   */
  marketSubjects?: boolean;
  /** Synthetic companies, with `marketSubjects`. @default 12 */
  organisations?: number;
  /**
   * Called once at closing time, after the uploader's last flush and before anything is closed:
   * everything the demo ran, for inspection (diagnostics, what the platform received).
   */
  onFinish?: (context: SimulatedDayContext) => void | Promise<void>;
}

/** What `onFinish` sees: still open, closed right after it returns. */
export interface SimulatedDayContext {
  /** The data directory (removed after `onFinish` unless the caller passed it). */
  dataDir: string;
  terminals: readonly Terminal[];
  journal: JournalStore;
  uploader: Uploader;
  /** The mock platform: `platform.uploads` is what it received. */
  platform: MockPlatform;
}

export interface SimulatedVisit {
  index: number;
  terminalId: string;
  /**
   * How the citizen identified: an ID card tapped on the terminal's (virtual) reader, a member card,
   * an ID card whose number fails its check digit, a credit QR code; or how a company did: its credit
   * code typed in (`typed-code`), its business licence's QR code (`licence-qr`), or a licence QR that
   * does not carry the code in clear (`opaque-licence-qr`: refused, and staff type the code next).
   */
  via:
    | 'id-card'
    | 'member-card'
    | 'bad-id-card'
    | 'qr-code'
    | 'typed-code'
    | 'licence-qr'
    | 'opaque-licence-qr';
  decision: Decision;
  /** For `opaque-licence-qr`: the decision on the licence QR code that was refused, before the code was typed. */
  refused?: Decision;
  platformDown: boolean;
  /** For a card tapped on the reader: milliseconds from the reader finding it to the card being read. */
  cardReadMs?: number;
  /** For a credit QR code shown to the gate's camera: the decoder's time for the frame, in ms. */
  qrDecodeMs?: number;
  /**
   * Journal records (decisions and disclosures) not yet uploaded right after this visit. The uploader
   * runs on its own timer, so outside the outage this depends on timing.
   */
  uploadBacklog: number;
}

export interface SimulatedDaySummary {
  visits: SimulatedVisit[];
  /** The terminals' holiday calendar on the simulated day: how far its official arrangements reach. */
  calendar: CalendarCoverage & { version: string; officialYears: readonly number[] };
  byScene: Record<string, Record<Decision['outcome'], number>>;
  latencyMs: { p50: number; p99: number; max: number };
  journal: SimulatedDayJournal;
}

export interface SimulatedDayJournal {
  /** `sqlite`, or `memory` when better-sqlite3 is not installed. */
  kind: string;
  /** The journal file when the caller's `dataDir` keeps it; absent for a temporary or in-memory journal. */
  path?: string;
  /** Records in the journal at closing time, per type (`usage`: benefit uses confirmed). */
  counts: Record<RetentionRecordType, number>;
  /** Decisions whose use was confirmed: passages through the gate, completed checkout sales. */
  confirmed: number;
  /** Most records waiting for upload after any visit (the outage makes it grow). */
  peakBacklog: number;
  /** Records still waiting after the last flush at closing time (0 once the platform took everything). */
  backlog: number;
  /** Distinct idempotency keys the platform received, per endpoint. */
  uploaded: { decisions: number; disclosures: number };
}

const TERMINALS: { id: string; scene: SceneId; context?: DecisionContext }[] = [
  { id: 'gate-yunmenshan-01', scene: 'scenic-gate', context: { siteId: 'yunmenshan' } },
  { id: 'pos-market-03', scene: 'supermarket-checkout' },
  { id: 'kiosk-library-01', scene: 'library-kiosk' },
  { id: 'desk-hospital-02', scene: 'hospital-admission' },
];
const MARKET_SUBJECT_TERMINALS: (typeof TERMINALS)[number][] = [
  { id: 'window-gov-01', scene: 'service-window' },
  { id: 'counter-bank-01', scene: 'bank-counter' },
  { id: 'desk-rental-01', scene: 'rental-desk' },
];
const MARKET_SCENES: ReadonlySet<SceneId> = new Set(MARKET_SUBJECT_TERMINALS.map((t) => t.scene));

const POPULATION_OPTIONS = { redListRate: 0.1, blackListRate: 0.1, keyAttentionRate: 0.05 } as const;

/**
 * The synthetic citizens `runSimulatedDay` draws its visitors from, for the same `seed` and `people`
 * options: for tests that must know whose ID numbers and names the demo handled.
 */
export function simulatedDayPeople(
  options: Pick<SimulatedDayOptions, 'seed' | 'people'> = {},
): SyntheticPerson[] {
  return generatePopulation(options.people ?? 48, options.seed ?? 'xinyi-demo', POPULATION_OPTIONS);
}

/** The synthetic companies `runSimulatedDay` serves with `marketSubjects`, for the same options. */
export function simulatedDayOrganisations(
  options: Pick<SimulatedDayOptions, 'seed' | 'organisations'> = {},
): SyntheticOrganisation[] {
  return generateOrganisations(options.organisations ?? 12, options.seed ?? 'xinyi-demo', POPULATION_OPTIONS);
}

/** The SQLite journal, or one in memory when better-sqlite3 is not installed (the demo still runs). */
async function openJournal(path: string, clock: Clock, logger: Logger | undefined): Promise<JournalStore> {
  try {
    return await createSqliteJournal({ path, clock, ...(logger ? { logger } : {}) });
  } catch (error) {
    if (isXinyiError(error) && error.code === 'NATIVE_MODULE_UNAVAILABLE') {
      logger?.warn(
        { code: error.code },
        'better-sqlite3 is not installed: the demo journal is kept in memory',
      );
      return createMemoryJournal({ clock });
    }
    throw error;
  }
}

function backlogCount(journal: JournalStore): number {
  const backlog = journal.backlog();
  return backlog.decisions.count + backlog.disclosures.count;
}

const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Flips the check character so the number fails GB 11643, as a misread card would. */
function corruptCheckDigit(idNumber: string): string {
  const last = idNumber.at(-1)!;
  return idNumber.slice(0, -1) + (last === '0' ? '1' : '0');
}

/**
 * A short simulated day: synthetic citizens (valid-checksum ID numbers, mixed tiers, some red-,
 * black- and key-attention-listed) visit a scenic gate, a supermarket checkout, a library kiosk and
 * a hospital desk — and, with `marketSubjects`, synthetic companies visit a service window, a bank
 * counter and a rental desk; the platform has an outage part-way through. Every decision is committed to a
 * decision journal before it is acted on, and an uploader forwards the journal to the platform: its
 * backlog grows during the outage and drains after. Deterministic for a seed, apart from timings.
 */
export async function runSimulatedDay(options: SimulatedDayOptions = {}): Promise<SimulatedDaySummary> {
  const seed = options.seed ?? 'xinyi-demo';
  const visitCount = options.visits ?? 40;
  const date = options.date ?? '2026-11-26';
  const dayStart = Date.parse(`${date}T09:00:00Z`) - SHANGHAI_OFFSET_MS;
  if (!Number.isFinite(dayStart))
    throw new XinyiError('INVALID_OPTIONS', 'runSimulatedDay: date must be YYYY-MM-DD');
  const outage = options.platformOutage ?? {
    from: Math.floor(visitCount * 0.7),
    to: Math.floor(visitCount * 0.7) + 5,
  };
  const rng = createRng(`${seed}:visits`);
  const people = simulatedDayPeople({ seed, people: options.people });
  const organisations = options.marketSubjects
    ? simulatedDayOrganisations({ seed, organisations: options.organisations })
    : [];
  let simulatedNow = dayStart;
  const clock: Clock = { now: () => simulatedNow };
  const { logger } = options;
  // A demo key; a real deployment gets its key from the city credit office's key service.
  const pseudonymizer = createPseudonymizer(`demo-key:${String(seed)}:0123456789abcdef`);
  // Every eleventh citizen is unknown to the platform (moved here recently, never scored).
  const unknown = new Set(people.filter((_, i) => i % 11 === 10).map((p) => p.id));
  const keepDataDir = options.dataDir !== undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'xinyi-demo-'));

  const visits: SimulatedVisit[] = [];
  let journalSummary: SimulatedDayJournal | undefined;
  let calendar: SimulatedDaySummary['calendar'] | undefined;
  let openedJournal: JournalStore | undefined;
  let credit: SimulatedCredit | undefined;
  let uploader: Uploader | undefined;
  const stations: { terminal: Terminal; device: VirtualIdCardReader; reader: IdCardReader }[] = [];
  let camera: CameraScanner | undefined;
  let decoder: Awaited<ReturnType<typeof createZxingWasmDecoder>> | undefined;
  try {
    if (keepDataDir) mkdirSync(dataDir, { recursive: true });
    // One journal for all the terminals, as one site controller would keep for the lanes it serves:
    // one file to audit, one outbox and one uploader. Records carry their terminal id, and the usage
    // counters behind the caps are per person and rule, so sharing them changes no decision.
    const journalPath = join(dataDir, 'journal.sqlite');
    const journal = await openJournal(journalPath, clock, logger);
    openedJournal = journal;
    credit = await createSimulatedCredit({
      people,
      organisations,
      seed: String(seed),
      pseudonymizer,
      clock,
      snapshotAt: dayStart - 8 * 3_600_000,
      unknown,
      dataDir,
      ...(logger ? { logger } : {}),
    });
    const chain = credit.chain;
    const terminals: Terminal[] = [
      ...TERMINALS,
      ...(options.marketSubjects ? MARKET_SUBJECT_TERMINALS : []),
    ].map((t) =>
      createTerminal({
        terminalId: t.id,
        scene: t.scene,
        pseudonymizer,
        credit: chain,
        context: t.context,
        clock,
        decisionDeadlineMs: 300,
        journal,
        ...(logger ? { logger } : {}),
      }),
    );
    // Each terminal has an ID-card reader: the driver talks the SAM protocol to a virtual reader over
    // a link that models 115200-baud wire time, exactly as it would over /dev/ttyUSB0.
    stations.push(
      ...(await Promise.all(
        terminals.map(async (terminal) => {
          const link = createMemoryLink({ baudRate: 115_200 });
          const device = new VirtualIdCardReader();
          await device.attach(link.device);
          const reader = new IdCardReader({
            transport: link.host,
            pollIntervalMs: 50,
            name: `${terminal.terminalId}/id-reader`,
          });
          terminal.attach(reader);
          await reader.open();
          return { terminal, device, reader };
        }),
      )),
    );
    // The scenic gate also has a camera that reads the credit QR codes citizens show.
    const gate = stations.find((st) => st.terminal.scene === 'scenic-gate')!;
    decoder = await createZxingWasmDecoder();
    camera = new CameraScanner({ decoder, clock, name: 'gate-camera' });
    gate.terminal.attach(camera);
    const QR_VARIANTS = ['clean', 'noise', 'rot10', 'inverted', 'perspective'] as const;

    // Store-and-forward, on its own timer as on a terminal; its backoff runs on the simulated clock,
    // so after a failure it tries again at the next visit (minutes later in the simulated day).
    uploader = createUploader({
      journal,
      platform: credit.uploadClient,
      intervalMs: 100,
      uploadTimeoutMs: 1_000,
      clock,
      ...(logger ? { logger } : {}),
    });
    uploader.start();

    let confirmed = 0;
    let peakBacklog = 0;
    for (let index = 0; index < visitCount; index++) {
      simulatedNow += rng.int(30_000, 600_000);
      const station = stations[rng.int(0, stations.length - 1)]!;
      const { terminal, device } = station;
      const person = rng.pick(people);
      const platformDown = index >= outage.from && index <= outage.to;
      credit.setPlatformDown(platformDown);
      let via: SimulatedVisit['via'] = 'id-card';
      let decision: Decision;
      let cardReadMs: number | undefined;
      let qrDecodeMs: number | undefined;
      let refused: Decision | undefined;
      const phone = credit.phones.get(person.id);
      if (MARKET_SCENES.has(terminal.scene)) {
        // A company at its counter: staff type the code from the licence, or scan the licence's QR code.
        const company = rng.pick(organisations);
        const entry = rng.next();
        if (entry < 0.15) {
          // A licence whose QR code hides the code: refused with a typed reason, then typed in.
          via = 'opaque-licence-qr';
          refused = await terminal.present({
            kind: 'organisation',
            entry: 'licence-qr',
            text: `https://www.gsxt.gov.cn/${createHash('sha256').update(company.id).digest('hex').slice(0, 24)}`,
          });
          decision = await terminal.present({
            kind: 'organisation',
            entry: 'typed',
            text: company.creditCode,
          });
        } else if (entry < 0.45) {
          via = 'licence-qr';
          decision = await terminal.present({
            kind: 'organisation',
            entry: 'licence-qr',
            text: `https://www.gsxt.gov.cn/index.html?uniscid=${company.creditCode}`,
          });
        } else {
          via = 'typed-code';
          decision = await terminal.present({
            kind: 'organisation',
            entry: 'typed',
            text: company.creditCode,
          });
        }
      } else if (station === gate && phone && rng.chance(0.4)) {
        via = 'qr-code';
        const next = new Promise<Decision>((resolve) => terminal.once('decision', resolve));
        // The phone is held up at an angle, in dark mode, or in poor light; if a frame does not read,
        // the next (steadier) one does.
        for (const variant of [rng.pick(QR_VARIANTS), 'clean' as const]) {
          const { frame } = await generateCameraFrame({
            seed: `${String(seed)}:${index}`,
            width: 1280,
            height: 720,
            variant,
            // The phone shows a fresh presentation, signed by its own key, at this moment.
            payload: phone.present(simulatedNow),
          });
          const scansBefore = camera.stats.scans;
          const started = performance.now();
          camera.push(frame);
          await camera.idle();
          if (camera.stats.scans > scansBefore) {
            qrDecodeMs = performance.now() - started;
            break;
          }
        }
        decision = await next;
      } else if (terminal.scene === 'supermarket-checkout' && rng.chance(0.5)) {
        via = 'member-card';
        decision = await terminal.present({ kind: 'barcode', text: person.memberCode, symbology: 'ean-13' });
      } else {
        const fields = cardFieldsForPerson(person);
        if (index === Math.floor(visitCount / 3)) {
          via = 'bad-id-card';
          fields.idNumber = corruptCheckDigit(person.idNumber);
        }
        const next = new Promise<Decision>((resolve) => terminal.once('decision', resolve));
        const read = new Promise<number>((resolve) => station.reader.once('card', (e) => resolve(e.readMs)));
        device.placeCard(fields);
        decision = await next;
        cardReadMs = await read;
        // The citizen takes the card back; the reader notices before the next person taps.
        const removed = new Promise<void>((resolve) => station.reader.once('removed', resolve));
        device.removeCard();
        await removed;
      }
      // The benefit counts as used only when it really was: the checkout completes the sale, and the
      // gate reports the passage. The demo has no turnstile, so the passage is confirmed right after
      // the free entry is granted, as the gate controller would report it a moment later.
      // At the bank counter the credit is granted (and so disclosed) when the bank approves it: here, at once.
      const used =
        decision.outcome === 'granted' &&
        (terminal.scene === 'supermarket-checkout' ||
          terminal.scene === 'bank-counter' ||
          (terminal.scene === 'scenic-gate' && decision.benefits.some((b) => b.kind === 'free-entry')));
      if (used && terminal.confirmUse(decision) > 0) confirmed++;
      const uploadBacklog = backlogCount(journal);
      peakBacklog = Math.max(peakBacklog, uploadBacklog);
      const visit: SimulatedVisit = {
        index,
        terminalId: terminal.terminalId,
        via,
        decision,
        platformDown,
        uploadBacklog,
      };
      if (refused !== undefined) visit.refused = refused;
      if (cardReadMs !== undefined) visit.cardReadMs = Math.round(cardReadMs);
      if (qrDecodeMs !== undefined) visit.qrDecodeMs = Math.round(qrDecodeMs * 10) / 10;
      visits.push(visit);
      await options.onDecision?.(visit);
    }

    calendar = {
      ...terminals[0]!.calendarCoverage(),
      version: terminals[0]!.diagnostics().calendarVersion,
      officialYears: defaultHolidayCalendar.officialYears,
    };
    // Closing time, a quarter of an hour after the last visit: the platform is back (if the outage
    // lasted this long), and the uploader hands over whatever is still waiting.
    // The uploader is stopped first: a pass still in flight ends at the last visit's time, against the
    // platform as it was then. Had it run on at closing time, its failures could open the upload
    // client's circuit breaker at that instant, and the simulated clock (which the breaker's
    // cool-down runs on) does not move during the flush, so the flush would be refused.
    await uploader.stop();
    simulatedNow += 15 * 60_000;
    credit.setPlatformDown(false);
    await uploader.flush();
    const received = credit.platform.uploads.receivedByKey;
    journalSummary = {
      kind: journal.kind,
      ...(keepDataDir && journal.kind === 'sqlite' ? { path: journalPath } : {}),
      counts: journal.counts(),
      confirmed,
      peakBacklog,
      backlog: backlogCount(journal),
      uploaded: { decisions: received.decisions.size, disclosures: received.disclosures.size },
    };
    await options.onFinish?.({ dataDir, terminals, journal, uploader, platform: credit.platform });
  } finally {
    camera?.close();
    decoder?.close?.();
    await uploader?.stop();
    for (const { terminal, device, reader } of stations) {
      await reader.close();
      device.detach();
      await terminal.close();
    }
    await credit?.close();
    openedJournal?.close();
    if (!keepDataDir) rmSync(dataDir, { recursive: true, force: true });
  }

  const byScene: SimulatedDaySummary['byScene'] = {};
  for (const { decision } of visits) {
    byScene[decision.scene] ??= { granted: 0, denied: 0, unavailable: 0 };
    byScene[decision.scene]![decision.outcome]++;
  }
  const latencies = visits.map((v) => v.decision.latencyMs ?? 0).sort((a, b) => a - b);
  return {
    visits,
    calendar: calendar!,
    byScene,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
    journal: journalSummary!,
  };
}
