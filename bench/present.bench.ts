// `node --import tsx bench/present.bench.ts` (also in `npm run bench`): present() latency with the in-memory provider, against a baseline that runs the
// same steps by hand (pseudonymise → provider.resolve → evaluate) with no terminal around them.
// The difference is the terminal's own overhead (deadline timer, events, logging, validation).
import { performance } from 'node:perf_hooks';
import {
  type Credential,
  createInMemoryCreditProvider,
  createPseudonymizer,
  createTerminal,
  evaluate,
  qingzhouPolicyPack,
  subjectFromIdNumber,
} from '../sdk/index.js';
import { generatePopulation } from '../simulator/index.js';
import { type BenchResult, figure, runAlone, summarize } from './harness.js';
import { fmt, percentile } from './stats.js';

const CALLS = 5_000;
const ROUNDS = 6;

export async function runPresentBench(): Promise<BenchResult> {
  const people = generatePopulation(1024, 'bench-present');
  const pseudonymizer = createPseudonymizer('bench-key-0123456789abcdef');
  const asOf = new Date().toISOString();
  const provider = createInMemoryCreditProvider({
    standings: people.map(
      (p) => [pseudonymizer.pseudonymize(p.idNumber), { tier: p.tier, lists: p.lists, asOf }] as const,
    ),
  });
  const terminal = createTerminal({
    terminalId: 'bench',
    scene: 'library-kiosk',
    pseudonymizer,
    credit: [provider],
  });
  terminal.on('decision', () => {});
  const credentials: Credential[] = people.map((p) => ({ kind: 'id-card', idNumber: p.idNumber }));

  const baselineStep = async (c: Credential & { kind: 'id-card' }) => {
    const subject = subjectFromIdNumber(pseudonymizer, c.idNumber);
    const controller = new AbortController();
    const standing = await provider.resolve({
      subject,
      scene: 'library-kiosk',
      terminalId: 'bench',
      signal: controller.signal,
      deadlineAt: Date.now() + 800,
    });
    return evaluate(qingzhouPolicyPack, {
      id: 'b',
      scene: 'library-kiosk',
      standing: standing ?? { tier: null, lists: [], source: 'none', asOf },
      now: Date.now(),
      subject,
      credentialKind: 'id-card',
    });
  };

  /** One round: `CALLS` calls of `step`, as p50 and p99 in µs. */
  const round = async (step: (c: Credential & { kind: 'id-card' }) => Promise<unknown>) => {
    const samples = new Float64Array(CALLS);
    for (let i = 0; i < CALLS; i++) {
      const t = performance.now();
      await step(credentials[i % credentials.length] as Credential & { kind: 'id-card' });
      samples[i] = performance.now() - t;
    }
    const sorted = [...samples].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50) * 1000, p99: percentile(sorted, 99) * 1000 };
  };
  const present = (c: Credential & { kind: 'id-card' }) => terminal.present(c);
  // Warm-up, then alternating rounds so neither side gets a warmer or quieter machine.
  for (let i = 0; i < 2; i++) {
    await round(baselineStep);
    await round(present);
  }
  const base = { p50: [] as number[], p99: [] as number[] };
  const term = { p50: [] as number[], p99: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ['base', 'term'] : ['term', 'base'];
    for (const side of order) {
      const result = await round(side === 'base' ? baselineStep : present);
      const into = side === 'base' ? base : term;
      into.p50.push(result.p50);
      into.p99.push(result.p99);
    }
  }
  await terminal.close();
  const p99 = summarize(term.p99);
  return {
    bench: 'present',
    title: `present() — in-memory provider, ${fmt(CALLS)} calls per round`,
    figures: [
      figure('present.p50', 'present() p50', 'µs', summarize(term.p50), {
        label: 'same steps, no terminal',
        ...summarize(base.p50),
      }),
      figure('present.p99', 'present() p99', 'µs', p99, {
        label: 'same steps, no terminal',
        ...summarize(base.p99),
      }),
    ],
    notes: [
      `${ROUNDS} rounds per side after two warm-up rounds, alternating; baseline: pseudonymise → provider.resolve → evaluate by hand`,
      `target: p99 present() under 1 ms: ${p99.median < 1000 ? 'met' : 'NOT met'}`,
    ],
  };
}

await runAlone(import.meta.url, runPresentBench);
