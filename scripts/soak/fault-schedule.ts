// When faults happen: two lanes (the platform's faults, the devices'), each picking a weighted kind
// after a random gap. With `forceEarly`, each lane first runs two of each of its kinds in a seeded
// order with short durations. SIGKILLs fall in the first quarter of the run only, at least one.
import type { Rng } from '../../simulator/prng.js';
import { deviceEpisode, platformEpisode } from './fault-episodes.js';
import { DEVICE_FAULTS, type FaultKind, PLATFORM_FAULTS } from './fault-kinds.js';
import { sleep } from './helpers.js';
import { FIRST_KILL_BY, KILLS_UNTIL } from './limits.js';
import { isOver, type SoakRun } from './run-state.js';

function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function faultLoop<K extends FaultKind>(
  run: SoakRun,
  kinds: readonly K[],
  weights: Record<K, number>,
  episode: (run: SoakRun, kind: K, forMs: number) => Promise<void>,
  timing: { gapMs: [number, number]; forMs: [number, number] },
): Promise<void> {
  const { rng, durationMs } = run;
  const forced = run.forceEarly ? shuffled(rng, [...kinds, ...kinds]) : [];
  while (forced.length > 0) {
    await sleep(rng.int(200, 600));
    await episode(run, forced.shift()!, rng.int(1_000, 2_000));
  }
  if (run.forceEarly) run.forcedLanes--;
  while (!isOver(run)) {
    const gap = rng.int(...timing.gapMs);
    const wakeAt = Date.now() + gap;
    while (Date.now() < wakeAt && !isOver(run)) await sleep(Math.min(500, wakeAt - Date.now()));
    if (isOver(run)) break;
    // SIGKILLs only early (a restart resets the memory trends), and at least one in every soak.
    const elapsed = Date.now() - run.startedAtMs;
    const late = elapsed > durationMs * KILLS_UNTIL;
    const killDue =
      (kinds as readonly FaultKind[]).includes('daemon-sigkill') &&
      run.daemon.kills.length === 0 &&
      !late &&
      elapsed >= durationMs * FIRST_KILL_BY;
    const weighted = kinds.map((k) => [k, late && k === 'daemon-sigkill' ? 0 : weights[k]] as const);
    const kind = killDue ? ('daemon-sigkill' as K) : rng.weighted(weighted);
    await episode(run, kind, rng.int(...timing.forMs));
  }
}

/** The platform's fault lane; resolves when the soak is over. */
export function platformFaults(run: SoakRun): Promise<void> {
  return faultLoop(
    run,
    PLATFORM_FAULTS,
    {
      'platform-down': 3,
      'platform-slow': 3,
      'platform-malformed-json': 2,
      'platform-bad-snapshot-signature': 2,
      'platform-clock-skew': 2,
      'platform-lost-response': 2,
    },
    platformEpisode,
    { gapMs: [3_000, 20_000], forMs: [3_000, 20_000] },
  );
}

/** The devices' fault lane (SIGKILLs included); resolves when the soak is over. */
export function deviceFaults(run: SoakRun): Promise<void> {
  return faultLoop(
    run,
    DEVICE_FAULTS,
    {
      'unplug-gate': 1.5,
      'unplug-reader': 1.5,
      'unplug-scanner': 1.5,
      'garbage-reader': 1.5,
      'damaged-reader': 1.5,
      'garbage-scanner': 1.5,
      'garbage-gate': 1.5,
      'daemon-sigkill': 1,
    },
    deviceEpisode,
    { gapMs: [5_000, 25_000], forMs: [1_000, 6_000] },
  );
}
