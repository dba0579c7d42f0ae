import type { Clock } from '../sdk/clock.js';
import type { Pseudonymizer } from '../sdk/identity/index.js';
import { createInMemoryCreditProvider, type InMemoryCreditProvider } from '../sdk/terminal/index.js';
import type { SyntheticOrganisation, SyntheticPerson } from './population.js';

export interface PopulationCreditProviderOptions {
  /** Must be the terminals' pseudonymizer (same key and scope), or no one will be found. */
  pseudonymizer: Pseudonymizer;
  /** When the platform computed the standings. @default the time of each lookup */
  asOf?: string;
  /** @default 0 */
  latencyMs?: number;
  /** @default 'platform' */
  name?: string;
  clock?: Clock;
  /** Organisations it knows too, by the pseudonym of their credit code. @default none */
  organisations?: readonly SyntheticOrganisation[];
}

/**
 * A credit source that knows a synthetic population by pseudonym (of the ID number and of the
 * member code, and of each organisation's credit code), as the city platform would: it never sees a
 * raw number.
 */
export function createPopulationCreditProvider(
  people: readonly SyntheticPerson[],
  options: PopulationCreditProviderOptions,
): InMemoryCreditProvider {
  const provider = createInMemoryCreditProvider({
    name: options.name ?? 'platform',
    source: 'platform',
    latencyMs: options.latencyMs ?? 0,
    clock: options.clock,
  });
  for (const person of people) {
    const standing = { tier: person.tier, score: person.score, lists: person.lists, asOf: options.asOf };
    provider.set(options.pseudonymizer.pseudonymize(person.idNumber, 'id-number'), standing);
    provider.set(options.pseudonymizer.pseudonymize(person.memberCode, 'member'), standing);
  }
  for (const organisation of options.organisations ?? []) {
    provider.set(options.pseudonymizer.pseudonymize(organisation.creditCode, 'organisation-code'), {
      tier: organisation.tier,
      score: organisation.score,
      lists: organisation.lists,
      subjectType: 'organisation',
      asOf: options.asOf,
    });
  }
  return provider;
}
