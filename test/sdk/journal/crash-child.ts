// Spawned by sqlite-journal.test.ts (`node --import tsx crash-child.ts <db> <round>`): commits
// decisions as fast as it can and prints each id only after commitDecision has returned, until the
// parent kills it with SIGKILL.
import { createSqliteJournal } from '../../../sdk/journal/sqlite-journal.js';
import { entryFor, people } from './fixtures.js';

const [path, round] = process.argv.slice(2);
const journal = await createSqliteJournal({ path: path! });
const base = Date.parse('2026-11-26T10:00:00+08:00');
// Warm up (the policy pack is validated on first use) so the kill lands among commits, not before them.
entryFor({ id: 'warm-up' });
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const id = `r${round}-${i}`;
  // Two of three are bank grants with two disclosure records each: the commit is one transaction.
  const scene = i % 3 === 2 ? 'library-kiosk' : 'bank-counter';
  journal.commitDecision(entryFor({ id, person: people[i % people.length], scene, at: base + i * 1000 }));
  // Writes to a pipe are synchronous on Linux: once this returns, a SIGKILL cannot lose the line.
  process.stdout.write(`${id}\n`);
}
