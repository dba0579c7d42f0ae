// `npm run bench`: one credit lookup through the HTTP platform client and the mock platform on
// loopback (sign → POST → verify → JSON → parse), against the same lookup answered by the in-memory
// provider. The difference is the price of the network path, retries and breaker idle.
import { performance } from 'node:perf_hooks';
import { createHttpPlatformResolver } from '../sdk/credit/http-platform.js';
import { createInMemoryCreditProvider, createPseudonymizer, subjectFromIdNumber } from '../sdk/index.js';
import type { CreditResolver } from '../sdk/terminal/credit-resolver.js';
import { generatePopulation } from '../simulator/index.js';
import { startMockPlatform } from '../simulator/mock-platform.js';
import { fmt, percentile } from './stats.js';

const CALLS = 3_000;
const WARM_UP = 300;

export async function runPlatformBench(): Promise<void> {
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
    const measure = async (resolver: CreditResolver, calls: number) => {
      for (let i = 0; i < WARM_UP; i++) {
        await resolver.resolve({
          subject: subjects[i % subjects.length],
          scene: 'scenic-gate',
          terminalId: 'bench',
          signal: new AbortController().signal,
          deadlineAt: Date.now() + 5_000,
        });
      }
      const samples = new Float64Array(calls);
      for (let i = 0; i < calls; i++) {
        const started = performance.now();
        const standing = await resolver.resolve({
          subject: subjects[i % subjects.length],
          scene: 'scenic-gate',
          terminalId: 'bench',
          signal: new AbortController().signal,
          deadlineAt: Date.now() + 5_000,
        });
        samples[i] = performance.now() - started;
        if (standing === null) throw new Error(`${resolver.name}: a known subject was not found`);
      }
      const sorted = [...samples].sort((a, b) => a - b);
      return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    };

    const baseline = await measure(inMemory, CALLS);
    const http = await measure(platform, CALLS);
    console.log('credit lookup — one subject at a time, 1,024 synthetic people');
    console.log(
      `  baseline (in-memory provider):          p50 ${fmt(baseline.p50 * 1000, 1)} µs  p99 ${fmt(baseline.p99 * 1000, 1)} µs`,
    );
    console.log(
      `  HTTP platform client → mock (loopback): p50 ${fmt(http.p50, 3)} ms  p99 ${fmt(http.p99, 3)} ms` +
        `  (${fmt(http.p50 / baseline.p50)}× baseline at p50)\n`,
    );
  } finally {
    await mock.close();
  }
}
