// `node --import tsx bench/platform.bench.ts` (also in `npm run bench`): one credit lookup through the HTTP platform client and the mock platform on
// loopback (sign → POST → verify → JSON → parse), against the same lookup answered by the in-memory
// provider. The difference is the price of the network path, retries and breaker idle.
import { performance } from 'node:perf_hooks';
import { createHttpPlatformResolver } from '../sdk/credit/http-platform.js';
import { createInMemoryCreditProvider, createPseudonymizer, subjectFromIdNumber } from '../sdk/index.js';
import type { CreditResolver } from '../sdk/terminal/credit-resolver.js';
import { generatePopulation } from '../simulator/index.js';
import { startMockPlatform } from '../simulator/mock-platform.js';
import { type BenchResult, figure, runAlone, summarize } from './harness.js';
import { percentile } from './stats.js';

const CALLS = 600;
const ROUNDS = 5;
const WARM_UP = 300;

export async function runPlatformBench(): Promise<BenchResult> {
  const people = generatePopulation(1024, 'bench-platform');
  const pseudonymizer = createPseudonymizer('bench-platform-key-0123456789abcdef');
  const subjects = people.map((p) => subjectFromIdNumber(pseudonymizer, p.idNumber));
  const keyId = 'bench-key';
  const secret = 'bench-platform-hmac-secret-0123456789';
  const mock = await startMockPlatform({ people, pseudonymizer, keyId, secret });
  try {
    const platform = createHttpPlatformResolver({ baseUrl: mock.url, keyId, secret, timeoutMs: 5_000 });
    const inMemory = createInMemoryCreditProvider({
      name: 'baseline',
      standings: people.map(
        (p) =>
          [pseudonymizer.pseudonymize(p.idNumber), { tier: p.tier, score: p.score, lists: p.lists }] as const,
      ),
    });
    const round = async (resolver: CreditResolver, calls: number, offset: number) => {
      const samples = new Float64Array(calls);
      for (let i = 0; i < calls; i++) {
        const started = performance.now();
        const standing = await resolver.resolve({
          subject: subjects[(offset + i) % subjects.length],
          scene: 'scenic-gate',
          terminalId: 'bench',
          signal: new AbortController().signal,
          deadlineAt: Date.now() + 5_000,
        });
        samples[i] = performance.now() - started;
        if (standing === null) throw new Error(`${resolver.name}: a known subject was not found`);
      }
      const sorted = [...samples].sort((a, b) => a - b);
      return { p50: percentile(sorted, 50) * 1000, p99: percentile(sorted, 99) * 1000 };
    };
    await round(inMemory, WARM_UP, 0);
    await round(platform, WARM_UP, 0);
    const http = { p50: [] as number[], p99: [] as number[] };
    const base = { p50: [] as number[], p99: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      const b = await round(inMemory, CALLS, r * CALLS);
      const h = await round(platform, CALLS, r * CALLS);
      base.p50.push(b.p50);
      base.p99.push(b.p99);
      http.p50.push(h.p50);
      http.p99.push(h.p99);
    }
    const baseline = (values: number[]) => ({ label: 'in-memory provider', ...summarize(values) });
    return {
      bench: 'platform',
      title: 'credit lookup — HTTP platform client → mock platform on loopback, 1,024 synthetic people',
      figures: [
        figure('platform.p50', 'HTTP lookup p50', 'µs', summarize(http.p50), baseline(base.p50)),
        figure('platform.p99', 'HTTP lookup p99', 'µs', summarize(http.p99), baseline(base.p99)),
      ],
      notes: [`${ROUNDS} rounds of ${CALLS} lookups per side after a warm-up, alternating`],
    };
  } finally {
    await mock.close();
  }
}

await runAlone(import.meta.url, runPlatformBench);
