import { performance } from 'node:perf_hooks';
import { CameraScanner } from '../adapters/camera/camera-scanner.js';
import { createZxingWasmDecoder } from '../adapters/camera/zxing-wasm-decoder.js';
import { IdCardReader } from '../adapters/id-card/reader.js';
import { createMemoryLink } from '../adapters/transport/memory-transport.js';
import type { Clock } from '../sdk/clock.js';
import type { Decision } from '../sdk/domain/decision.js';
import type { SceneId } from '../sdk/domain/scenes.js';
import { XinyiError } from '../sdk/errors.js';
import { createPseudonymizer } from '../sdk/identity/index.js';
import type { DecisionContext } from '../sdk/policy/index.js';
import { createTerminal, type Terminal } from '../sdk/terminal/index.js';
import { generateCameraFrame } from './camera/frame-generator.js';
import { cardFieldsForPerson, VirtualIdCardReader } from './devices/virtual-id-card-reader.js';
import { generatePopulation, type SyntheticPerson } from './population.js';
import { createRng } from './prng.js';
import { createSimulatedCredit } from './simulated-credit.js';

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
}

export interface SimulatedVisit {
  index: number;
  terminalId: string;
  /**
   * How the citizen identified: an ID card tapped on the terminal's (virtual) reader, a member card,
   * or an ID card whose number fails its check digit.
   */
  via: 'id-card' | 'member-card' | 'bad-id-card' | 'qr-code';
  decision: Decision;
  platformDown: boolean;
  /** For a card tapped on the reader: milliseconds from the reader finding it to the card being read. */
  cardReadMs?: number;
  /** For a credit QR code shown to the gate's camera: the decoder's time for the frame, in ms. */
  qrDecodeMs?: number;
}

export interface SimulatedDaySummary {
  visits: SimulatedVisit[];
  byScene: Record<string, Record<Decision['outcome'], number>>;
  latencyMs: { p50: number; p99: number; max: number };
}

const TERMINALS: { id: string; scene: SceneId; context?: DecisionContext }[] = [
  { id: 'gate-yunmenshan-01', scene: 'scenic-gate', context: { siteId: 'yunmenshan' } },
  { id: 'pos-market-03', scene: 'supermarket-checkout' },
  { id: 'kiosk-library-01', scene: 'library-kiosk' },
  { id: 'desk-hospital-02', scene: 'hospital-admission' },
];

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
 * a hospital desk; the platform has an outage part-way through. Deterministic for a seed.
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
  const people: SyntheticPerson[] = generatePopulation(options.people ?? 48, seed, {
    redListRate: 0.1,
    blackListRate: 0.1,
    keyAttentionRate: 0.05,
  });
  let simulatedNow = dayStart;
  const clock: Clock = { now: () => simulatedNow };
  // A demo key; a real deployment gets its key from the city credit office's key service.
  const pseudonymizer = createPseudonymizer(`demo-key:${String(seed)}:0123456789abcdef`);
  // Every eleventh citizen is unknown to the platform (moved here recently, never scored).
  const unknown = new Set(people.filter((_, i) => i % 11 === 10).map((p) => p.id));
  const credit = await createSimulatedCredit({
    people,
    seed: String(seed),
    pseudonymizer,
    clock,
    snapshotAt: dayStart - 8 * 3_600_000,
    unknown,
  });
  const terminals: Terminal[] = TERMINALS.map((t) =>
    createTerminal({
      terminalId: t.id,
      scene: t.scene,
      pseudonymizer,
      credit: credit.chain,
      context: t.context,
      clock,
      decisionDeadlineMs: 300,
    }),
  );
  // Each terminal has an ID-card reader: the driver talks the SAM protocol to a virtual reader over
  // a link that models 115200-baud wire time, exactly as it would over /dev/ttyUSB0.
  const stations = await Promise.all(
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
  );
  // The scenic gate also has a camera that reads the credit QR codes citizens show.
  const gate = stations.find((st) => st.terminal.scene === 'scenic-gate')!;
  const decoder = await createZxingWasmDecoder();
  const camera = new CameraScanner({ decoder, clock, name: 'gate-camera' });
  gate.terminal.attach(camera);
  const QR_VARIANTS = ['clean', 'noise', 'rot10', 'inverted', 'perspective'] as const;

  const visits: SimulatedVisit[] = [];
  try {
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
      const phone = credit.phones.get(person.id);
      if (station === gate && phone && rng.chance(0.4)) {
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
      const visit: SimulatedVisit = { index, terminalId: terminal.terminalId, via, decision, platformDown };
      if (cardReadMs !== undefined) visit.cardReadMs = Math.round(cardReadMs);
      if (qrDecodeMs !== undefined) visit.qrDecodeMs = Math.round(qrDecodeMs * 10) / 10;
      visits.push(visit);
      await options.onDecision?.(visit);
    }
  } finally {
    camera.close();
    decoder.close?.();
    await credit.close();
    for (const { terminal, device, reader } of stations) {
      await reader.close();
      device.detach();
      await terminal.close();
    }
  }

  const byScene: SimulatedDaySummary['byScene'] = {};
  for (const { decision } of visits) {
    byScene[decision.scene] ??= { granted: 0, denied: 0, unavailable: 0 };
    byScene[decision.scene]![decision.outcome]++;
  }
  const latencies = visits.map((v) => v.decision.latencyMs ?? 0).sort((a, b) => a - b);
  return {
    visits,
    byScene,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
  };
}
