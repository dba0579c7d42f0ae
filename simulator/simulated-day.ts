import type { Clock } from '../sdk/clock.js';
import type { Credential } from '../sdk/domain/credential.js';
import type { Decision } from '../sdk/domain/decision.js';
import type { SceneId } from '../sdk/domain/scenes.js';
import { XinyiError } from '../sdk/errors.js';
import { createPseudonymizer } from '../sdk/identity/index.js';
import type { DecisionContext } from '../sdk/policy/index.js';
import { createTerminal, type Terminal } from '../sdk/terminal/index.js';
import { generatePopulation, type SyntheticPerson } from './population.js';
import { createPopulationCreditProvider } from './population-credit.js';
import { createRng } from './prng.js';

export interface SimulatedDayOptions {
  /** @default 'xinyi-demo' */
  seed?: number | string;
  /** Synthetic citizens. @default 48 */
  people?: number;
  /** Visits across the four terminals. @default 40 */
  visits?: number;
  /** The simulated day (YYYY-MM-DD, Asia/Shanghai); visits run from 09:00. @default '2026-11-26' */
  date?: string;
  /** Simulated platform latency per lookup. @default 12 */
  platformLatencyMs?: number;
  /** Visits (by index) during which the platform is down, to show the fail-safe. @default the 6 visits after 70 % */
  platformOutage?: { from: number; to: number };
  /** Called for every decision as it happens. */
  onDecision?: (event: SimulatedVisit) => void | Promise<void>;
}

export interface SimulatedVisit {
  index: number;
  terminalId: string;
  /** How the citizen identified: an ID card, a member card or a deliberately mistyped ID number. */
  via: 'id-card' | 'member-card' | 'bad-id-card';
  decision: Decision;
  platformDown: boolean;
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
  const platform = createPopulationCreditProvider(people, {
    pseudonymizer,
    asOf: new Date(dayStart - 6 * 3_600_000).toISOString(),
    latencyMs: options.platformLatencyMs ?? 12,
    clock,
  });
  // Every eleventh citizen is unknown to the platform (moved here recently, never scored).
  for (const [i, person] of people.entries()) {
    if (i % 11 === 10) platform.delete(pseudonymizer.pseudonymize(person.idNumber, 'id-number'));
  }
  const terminals: Terminal[] = TERMINALS.map((t) =>
    createTerminal({
      terminalId: t.id,
      scene: t.scene,
      pseudonymizer,
      credit: [platform],
      context: t.context,
      clock,
      decisionDeadlineMs: 300,
    }),
  );

  const visits: SimulatedVisit[] = [];
  try {
    for (let index = 0; index < visitCount; index++) {
      simulatedNow += rng.int(30_000, 600_000);
      const which = rng.int(0, terminals.length - 1);
      const terminal = terminals[which]!;
      const person = rng.pick(people);
      const platformDown = index >= outage.from && index <= outage.to;
      platform.setFailing(platformDown);
      let via: SimulatedVisit['via'] = 'id-card';
      let credential: Credential = { kind: 'id-card', idNumber: person.idNumber, name: person.name };
      if (terminal.scene === 'supermarket-checkout' && rng.chance(0.5)) {
        via = 'member-card';
        credential = { kind: 'barcode', text: person.memberCode, symbology: 'ean-13' };
      } else if (index === Math.floor(visitCount / 3)) {
        via = 'bad-id-card';
        credential = { kind: 'id-card', idNumber: corruptCheckDigit(person.idNumber) };
      }
      const decision = await terminal.present(credential);
      const visit: SimulatedVisit = { index, terminalId: terminal.terminalId, via, decision, platformDown };
      visits.push(visit);
      await options.onDecision?.(visit);
    }
  } finally {
    await Promise.all(terminals.map((t) => t.close()));
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
