import { createCreditCodeResolver } from '../../../sdk/credit/credit-code-resolver.js';
import { loadStatusList } from '../../../sdk/credit/status-list.js';
import { loadTrustList } from '../../../sdk/credit/trust-list.js';
import type { Credential } from '../../../sdk/domain/credential.js';
import type { Pseudonymizer } from '../../../sdk/identity/index.js';
import type { CreditResolver } from '../../../sdk/terminal/credit-resolver.js';
import { createInMemoryCreditProvider } from '../../../sdk/terminal/in-memory-credit-provider.js';
import { createCreditIssuer } from '../../../simulator/credit-issuer.js';
import { generatePopulation } from '../../../simulator/population.js';

const HOUR = 3_600_000;

/**
 * Three AA citizens of a scenic spot, a credit-code issuer for their phones, and the credit chain each
 * lane of the spot decides with: the credit-code resolver (with a fresh status list, without which a
 * code grants nothing: docs/credit-codes.md) and the platform's standings in memory.
 */
export function siteLaneCredit(seed: string, clock: { now(): number }, pseudonymizer: Pseudonymizer) {
  const now = clock.now();
  const people = generatePopulation(3, seed, {
    mix: { AA: 1 },
    redListRate: 0,
    blackListRate: 0,
    keyAttentionRate: 0,
  });
  const issuer = createCreditIssuer({ seed, now: now - HOUR });
  const trustList = loadTrustList(issuer.trustList, { rootPublicKey: issuer.rootPublicKey, now });
  const statusList = loadStatusList(issuer.signedStatusList(now - HOUR), { trustList });
  return {
    people,
    issuer,
    /** A new chain for one lane's terminal. */
    credit: (): CreditResolver[] => [
      createCreditCodeResolver({ trustList, statusList, clock }),
      createInMemoryCreditProvider({
        clock,
        standings: people.map(
          (p) => [pseudonymizer.pseudonymize(p.idNumber), { tier: p.tier, lists: [] }] as const,
        ),
      }),
    ],
  };
}

export const card = (person: { idNumber: string }): Credential => ({
  kind: 'id-card',
  idNumber: person.idNumber,
});
