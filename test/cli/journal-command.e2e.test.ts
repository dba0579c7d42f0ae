// `xinyi journal verify` as support runs it: a child process reading a journal the test wrote.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteJournal } from '../../sdk/journal/sqlite-journal.js';
import { entryFor, people } from '../sdk/journal/fixtures.js';
import { runXinyi } from './run-xinyi.js';

const SECRET = 'journal-cli-test-secret-not-a-secret';
let dir: string;
let db: string;
let secretFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xinyi-journal-cli-'));
  db = join(dir, 'journal.sqlite');
  secretFile = join(dir, 'platform.secret');
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  const journal = await createSqliteJournal({ path: db, chainKey: { keyId: 'cli-key', secret: SECRET } });
  for (let i = 0; i < 4; i++) journal.commitDecision(entryFor({ id: `c-${i}`, person: people[i] }));
  journal.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xinyi journal verify', () => {
  it('reports an intact journal, signatures checked with the secret file', async () => {
    const run = await runXinyi(['journal', 'verify', '--db', db, '--secret-file', secretFile]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^checked 4 decisions, \d+ disclosure records, 0 benefit uses; signatures checked\n/,
    );
    expect(run.stdout).toMatch(/journal intact\n$/);
  });

  it('names an edited record, exits 1, and with the wrong secret names every signature', async () => {
    const raw = new Database(db);
    const body = JSON.parse(
      raw.prepare("SELECT body FROM decisions WHERE id = 'c-1'").pluck().get() as string,
    );
    body.outcome = 'denied';
    raw.prepare("UPDATE decisions SET body = ? WHERE id = 'c-1'").run(JSON.stringify(body));
    raw.close();
    const run = await runXinyi(['journal', 'verify', '--db', db]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "rewrite: decisions of terminal 'bank-counter-test-01' at link 2 (record c-1)\n",
    );
    expect(run.stdout).toContain('signatures not checked');
    expect(run.stdout).toMatch(/journal CHANGED since it was written\n$/);

    const wrong = join(dir, 'wrong.secret');
    writeFileSync(wrong, 'another-secret', { mode: 0o600 });
    const json = await runXinyi(['journal', 'verify', '--db', db, '--secret-file', wrong, '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { problems: { problem: string }[] };
    expect(report.problems.filter((p) => p.problem === 'bad-signature').length).toBeGreaterThanOrEqual(4);
  });

  it('a wrong command line is a usage error (exit 2)', async () => {
    const run = await runXinyi(['journal', 'verify']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('xinyi journal: verify needs --db PATH');
  });
});
