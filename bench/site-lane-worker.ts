// One lane of the site-state bench, in its own process: a terminal on the shared store decides for a
// stream of people as fast as it can (present → confirmUse), for a fixed time, and reports its count
// and latencies. Started by bench/site-state.bench.ts.
import { createPseudonymizer } from '../sdk/identity/index.js';
import { createMemoryJournal } from '../sdk/journal/memory-journal.js';
import { openRedisSiteState } from '../sdk/site/redis-site-state.js';
import { openSqliteSiteState } from '../sdk/site/sqlite-site-state.js';
import { createInMemoryCreditProvider } from '../sdk/terminal/in-memory-credit-provider.js';
import { createTerminal } from '../sdk/terminal/terminal.js';
import { generatePopulation } from '../simulator/population.js';

export interface LaneWorkerInput {
  store: { redisUrl: string } | { sqlite: string };
  laneId: string;
  seed: string;
  durationMs: number;
  /** Epoch ms all lanes start at, so they run at the same time. */
  startAt: number;
}

export interface LaneWorkerResult {
  laneId: string;
  decisions: number;
  granted: number;
  degraded: number;
  elapsedMs: number;
  latenciesMs: number[];
}

process.once('message', async (input: LaneWorkerInput) => {
  const people = generatePopulation(20_000, input.seed, {
    mix: { AA: 1 },
    redListRate: 0,
    blackListRate: 0,
    keyAttentionRate: 0,
  });
  const pseudonymizer = createPseudonymizer('bench-site-key-0123456789abcdef');
  const siteState =
    'redisUrl' in input.store
      ? await openRedisSiteState({ url: input.store.redisUrl, keyPrefix: 'bench:yunmenshan:' })
      : await openSqliteSiteState({ path: input.store.sqlite });
  const terminal = createTerminal({
    terminalId: input.laneId,
    scene: 'scenic-gate',
    context: { siteId: 'yunmenshan' },
    pseudonymizer,
    journal: createMemoryJournal(),
    siteState,
    credit: [
      createInMemoryCreditProvider({
        standings: people.map(
          (p) => [pseudonymizer.pseudonymize(p.idNumber), { tier: p.tier, lists: [] }] as const,
        ),
      }),
    ],
  });
  const result: LaneWorkerResult = {
    laneId: input.laneId,
    decisions: 0,
    granted: 0,
    degraded: 0,
    elapsedMs: 0,
    latenciesMs: [],
  };
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, input.startAt - Date.now())));
  const started = performance.now();
  for (let i = 0; performance.now() - started < input.durationMs; i++) {
    const person = people[i % people.length]!;
    const decision = await terminal.present({ kind: 'id-card', idNumber: person.idNumber });
    result.decisions++;
    result.latenciesMs.push(decision.latencyMs ?? 0);
    if (decision.siteStateDegraded) result.degraded++;
    if (decision.outcome === 'granted') {
      result.granted++;
      terminal.confirmUse(decision);
    }
  }
  result.elapsedMs = performance.now() - started;
  await terminal.close();
  process.send!(result, () => process.exit(0));
});
