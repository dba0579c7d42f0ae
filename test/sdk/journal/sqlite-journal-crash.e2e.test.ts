// The journal's SIGKILL crash test: a child process commits decisions (with their disclosure records)
// as fast as it can and reports each commit on stdout; it is killed at seeded random moments, twenty
// times, and every reported commit must be there, in order, with its counters. It spawns twenty
// children, so it is in the e2e project.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteJournal } from '../../../sdk/journal/sqlite-journal.js';
import { createRng } from '../../../simulator/prng.js';
import { recountedBacklog } from './journal-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'xinyi-journal-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const freshPath = () => join(dir, 'journal.sqlite');

describe('SQLite journal under SIGKILL', () => {
  it('loses no reported commit when the process is killed with SIGKILL at random moments', async () => {
    const path = freshPath();
    const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
    const rng = createRng('journal-sigkill');
    const ROUNDS = 20;
    let reportedTotal = 0;
    let checkedRows = 0;
    let unreportedCommits = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const delayMs = rng.int(0, 250);
      const reported = await new Promise<string[]>((resolve, reject) => {
        const proc = spawn(process.execPath, ['--import', 'tsx', child, path, String(round)], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        let killTimer: NodeJS.Timeout | undefined;
        proc.stdout.setEncoding('utf8');
        proc.stderr.setEncoding('utf8');
        proc.stderr.on('data', (chunk: string) => {
          err += chunk;
        });
        proc.stdout.on('data', (chunk: string) => {
          out += chunk;
          if (killTimer === undefined && out.includes('ready\n')) {
            killTimer = setTimeout(() => proc.kill('SIGKILL'), delayMs);
          }
        });
        proc.on('error', reject);
        proc.on('close', (code, signal) => {
          clearTimeout(killTimer);
          if (signal !== 'SIGKILL') {
            reject(new Error(`round ${round}: child ended with ${code ?? signal}: ${err}`));
            return;
          }
          // Only whole lines were reported; a line cut by the kill was not.
          const lines = out.split('\n').slice(0, -1);
          resolve(lines.filter((l) => l !== 'ready'));
        });
      });
      reportedTotal += reported.length;

      const journal = await createSqliteJournal({ path });
      for (const id of reported) expect(journal.getDecision(id), `round ${round}: ${id}`).toBeDefined();
      const all = journal.pendingUploads('decisions', 1_000_000);
      // Commit order is seq order, and no round has a gap: each round's commits are a prefix 0..n-1.
      const order = all.map((o) => o.id.slice(1).split('-').map(Number) as [number, number]);
      for (let i = 1; i < order.length; i++) {
        const [r0, n0] = order[i - 1]!;
        const [r1, n1] = order[i]!;
        expect(r1 === r0 ? n1 === n0 + 1 : r1 > r0 && n1 === 0, `${all[i - 1]!.id} then ${all[i]!.id}`).toBe(
          true,
        );
        expect(all[i]!.seq).toBeGreaterThan(all[i - 1]!.seq);
      }
      // The backlog counters were committed with the rows they count: right after every kill.
      expect(journal.backlog(), `round ${round}`).toEqual(recountedBacklog(journal));
      const thisRound = all.filter((o) => o.id.startsWith(`r${round}-`)).length;
      expect(thisRound === reported.length || thisRound === reported.length + 1).toBe(true);
      unreportedCommits += thisRound - reported.length;
      // A decision and its disclosure records were one transaction: all of them or none.
      const disclosures = new Map<string, number>();
      for (const d of journal.pendingUploads('disclosures', 1_000_000)) {
        const decisionId = (d.payload as { decisionId: string }).decisionId;
        disclosures.set(decisionId, (disclosures.get(decisionId) ?? 0) + 1);
      }
      for (const o of all) {
        const bank = (o.payload as { decision: { scene: string } }).decision.scene === 'bank-counter';
        expect(disclosures.get(o.id) ?? 0, o.id).toBe(bank ? 2 : 0);
      }
      expect(disclosures.size).toBe(
        all.filter((o) => (o.payload as { decision: { scene: string } }).decision.scene === 'bank-counter')
          .length,
      );
      checkedRows = all.length;
      journal.close();
    }
    const db = new Database(path, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    console.log(
      `SIGKILL crash test: ${ROUNDS} kills, ${reportedTotal} commits reported by the child, all present; ` +
        `${checkedRows} decisions in seq order with their disclosures; ${unreportedCommits} committed but killed before reporting`,
    );
    expect(reportedTotal).toBeGreaterThan(ROUNDS);
  }, 180_000);
});
