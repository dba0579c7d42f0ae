// Your first decision: a terminal, one credit source and one synthetic citizen (docs/getting-started.md).
// From the repository root:   npx tsx examples/first-decision/index.ts
// In your own project the imports are 'xinyi-terminal' and 'xinyi-terminal/simulator'.
import { createInMemoryCreditProvider, createPseudonymizer, createTerminal } from '../../sdk/index.js';
import { generatePopulation } from '../../simulator/index.js';

// A synthetic citizen (valid check digit, never a real person), on no list, of tier AA.
const [citizen] = generatePopulation(1, 'first-decision', {
  mix: { AA: 1 },
  redListRate: 0,
  blackListRate: 0,
  keyAttentionRate: 0,
});
if (!citizen) throw new Error('the simulator gave no citizen');

// ID numbers become keyed pseudonyms; the credit source knows people by pseudonym only.
const pseudonymizer = createPseudonymizer('getting-started-key-not-for-production'); // ≥ 16 bytes
const platform = createInMemoryCreditProvider(); // stands in for the city platform
platform.set(pseudonymizer.pseudonymize(citizen.idNumber), { tier: citizen.tier, lists: citizen.lists });

const terminal = createTerminal({
  terminalId: 'kiosk-01',
  scene: 'library-kiosk', // 信易阅: a longer loan and more books
  pseudonymizer,
  credit: [platform],
});

const decision = await terminal.present({ kind: 'id-card', idNumber: citizen.idNumber });
console.log(`citizen ${decision.subject?.masked}, tier ${decision.effectiveTier}`);
console.log(`decision: ${decision.outcome}: ${decision.explanation.citizen}`);
await terminal.close();
