// The journal's crash test (issue 7): a child process commits decisions as fast as it can and
// uploads them to the mock platform (started here, in the parent); it is killed with SIGKILL at
// seeded random moments, again and again, and restarted each time. Afterwards every decision the
// child reported committed must be in the journal, and the platform must hold each decision
// exactly once, in commit order.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteJournal } from '../../../sdk/journal/sqlite-journal.js';
import { type MockPlatform, startMockPlatform } from '../../../simulator/mock-platform.js';
import { createRng } from '../../../simulator/prng.js';
import {
  storedKeys,
  UPLOAD_KEY_ID,
  UPLOAD_PSEUDONYM_KEY,
  UPLOAD_SECRET,
} from './fixtures/upload-fixtures.js';

const ROUNDS = 15;
const CHILD = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));

interface ChildRun {
  child: ChildProcess;
  lines: string[];
  /** Resolves on the first line equal to `text`. */
  waitFor(text: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function runChild(journalPath: string, url: string, mode: 'produce' | 'drain'): ChildRun {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, journalPath, url, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  let partial = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.text === line)) waiter.resolve();
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close' comes after the pipes are drained: every line the child wrote has been read.
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    lines,
    waitFor: (text) =>
      new Promise<void>((resolve, reject) => {
        if (lines.includes(text)) return resolve();
        waiters.push({ text, resolve });
        void exited.then(({ code, signal }) =>
          reject(new Error(`child exited (${code ?? signal}) before "${text}": ${stderr.slice(-2000)}`)),
        );
      }),
    exited,
  };
}

describe('journal and uploader under SIGKILL', () => {
  let mock: MockPlatform;
  let dir: string;

  beforeAll(async () => {
    mock = await startMockPlatform({
      pseudonymKey: UPLOAD_PSEUDONYM_KEY,
      keyId: UPLOAD_KEY_ID,
      secret: UPLOAD_SECRET,
      populationSize: 4,
    });
    dir = mkdtempSync(join(tmpdir(), 'xinyi-crash-'));
  });
  afterAll(async () => {
    await mock?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it(`loses no committed decision and delivers each exactly once across ${ROUNDS} kills`, async () => {
    const journalPath = join(dir, 'journal.db');
    const rng = createRng('uploader-crash-test');
    // A little latency keeps batches in flight, so some kills land between "stored" and "marked".
    mock.faults.inject({ kind: 'latency', ms: 3 }, { path: '/v1/decisions' });
    const reported: string[] = [];

    for (let round = 0; round < ROUNDS; round++) {
      const run = runChild(journalPath, mock.url, 'produce');
      await run.waitFor('ready');
      await new Promise((resolve) => setTimeout(resolve, rng.int(20, 400)));
      run.child.kill('SIGKILL');
      const { signal } = await run.exited;
      expect(signal).toBe('SIGKILL');
      for (const line of run.lines) {
        if (line.startsWith('committed ')) reported.push(line.slice('committed '.length));
      }
    }

    mock.faults.clear();
    const drain = runChild(journalPath, mock.url, 'drain');
    const { code } = await drain.exited;
    expect(code).toBe(0);
    expect(drain.lines).toContain('drained 0');

    const journal = await createSqliteJournal({ path: journalPath });
    try {
      // Every decision the child reported committed survived the kills.
      const missing = reported.filter((id) => journal.getDecision(id) === undefined);
      expect(missing).toEqual([]);
      const backlog = journal.backlog();
      expect(backlog.decisions.count + backlog.disclosures.count).toBe(0);
      const inJournal = journal.counts().decisions;

      // The platform stored each decision once (by its key), every committed one, in commit order.
      const stored = storedKeys(mock.uploads.decisions);
      const distinct = new Set(stored);
      expect(distinct.size).toBe(stored.length);
      expect(reported.filter((id) => !distinct.has(id))).toEqual([]);
      expect(stored.length).toBe(inJournal);
      const seqs = stored.map((id) => journal.getDecision(id)?.seq ?? Number.NaN);
      expect(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!)).toBe(true);
      const storedDisclosures = storedKeys(mock.uploads.disclosures);
      expect(new Set(storedDisclosures).size).toBe(storedDisclosures.length);
      expect(storedDisclosures.length).toBe(journal.counts().disclosures);

      const received = [...mock.uploads.receivedByKey.decisions.values()];
      const resent = received.filter((n) => n > 1).length;
      console.log(
        `crash test: ${ROUNDS} SIGKILLs; ` +
          `${reported.length} decisions reported committed, ${inJournal} in the journal, all present; ` +
          `platform stored ${stored.length} decisions (${distinct.size} distinct keys, none twice) and ` +
          `${storedDisclosures.length} disclosures; ${resent} decisions were sent again after a kill ` +
          `(stored, but the answer or the mark was lost) and stored once (${received.reduce((a, b) => a + b, 0)} item receptions in all)`,
      );
    } finally {
      journal.close();
    }
  }, 90_000);
});
