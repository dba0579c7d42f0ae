// People at the checkout: each shows a member barcode or an ID card, and most then pay (the benefits
// count as used only then).
import { performance } from 'node:perf_hooks';
import type { Credential } from '../../sdk/domain/credential.js';
import type { Terminal } from '../../sdk/index.js';
import type { SyntheticPerson } from '../../simulator/population.js';
import { bump, sleep } from './helpers.js';
import { DECISION_DEADLINE_MS } from './limits.js';
import { isOver, type SoakRun } from './run-state.js';

/** Arrivals at the checkout until the soak is over. */
export async function checkoutArrivals(run: SoakRun, checkout: Terminal): Promise<void> {
  const { rng, people } = run;
  const tally = run.checkout;
  while (!isOver(run)) {
    const person: SyntheticPerson = rng.pick(people);
    const credential: Credential = rng.chance(0.5)
      ? { kind: 'barcode', text: person.memberCode }
      : { kind: 'id-card', idNumber: person.idNumber, name: person.name };
    const began = performance.now();
    try {
      const decision = await checkout.present(credential);
      const took = performance.now() - began;
      tally.latencies.push(took);
      if (took > DECISION_DEADLINE_MS + run.marginMs) tally.misses++;
      tally.ids.push(decision.id);
      bump(tally.sources, decision.standingSource);
      // The sale went through for most: only then do the benefits count as used.
      if (rng.chance(0.8)) checkout.confirmUse(decision);
    } catch {
      tally.failures++;
    }
    await sleep(rng.int(500, 2_000));
  }
}
