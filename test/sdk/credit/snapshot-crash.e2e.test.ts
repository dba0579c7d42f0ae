// The snapshot store under SIGKILL: a child process applies a 400,000-record snapshot and is killed
// halfway; the previous snapshot must be whole. It spawns a child under tsx and kills it, and applies
// 400,000 records twice (several seconds on two cores), so it is in the e2e project.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  type BuildSnapshotOptions,
  buildSnapshot,
  openSnapshotStore,
  type SnapshotRecord,
  type SnapshotStore,
} from '../../../sdk/credit/index.js';
import { TIER_CODES } from '../../../sdk/domain/tiers.js';

// Synthetic subjects only: random pseudonyms.
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const opts = (sequence: number, extra: Partial<BuildSnapshotOptions> = {}): BuildSnapshotOptions => ({
  privateKey,
  sequence,
  generatedAt: Date.parse('2026-11-26T02:00:00Z'),
  ...extra,
});
const dir = mkdtempSync(join(tmpdir(), 'xinyi-snapshot-crash-'));
const stores: SnapshotStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface NodeRun {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}
function runNode(args: string[], onLine?: (line: string, kill: () => void) => void): Promise<NodeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: fileURLToPath(new URL('../../..', import.meta.url)) });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      pending += chunk;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        onLine?.(pending.slice(0, nl), () => child.kill('SIGKILL'));
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ stdout, stderr, code, signal }));
  });
}

describe('crash safety', () => {
  it('a child SIGKILLed halfway through applying leaves the previous snapshot whole', async () => {
    const path = join(dir, 'crash.sqlite');
    const previous: SnapshotRecord[] = Array.from({ length: 20_000 }, (_, i) => ({
      pseudonym: randomBytes(16),
      tier: TIER_CODES[i % 6]!,
    }));
    const store = await openSnapshotStore({ path });
    store.apply(buildSnapshot(previous, opts(1)), { publicKeys: publicKey });
    store.close();

    const next = buildSnapshot(
      (function* () {
        for (let i = 0; i < 400_000; i++) yield { pseudonym: randomBytes(16), tier: 'AAA' as const };
      })(),
      opts(2, { expectedCount: 400_000 }),
    );
    const snapshotPath = join(dir, 'next.snapshot');
    const keyPath = join(dir, 'next.pub.pem');
    writeFileSync(snapshotPath, next);
    writeFileSync(keyPath, publicKey.export({ format: 'pem', type: 'spki' }));

    let killedAt = -1;
    let walBytesAtKill = 0;
    const child = fileURLToPath(new URL('./fixtures/apply-snapshot-child.ts', import.meta.url));
    const run = await runNode(['--import', 'tsx', child, path, snapshotPath, keyPath], (line, kill) => {
      const [phase, done, total] = line.split(' ');
      if (killedAt < 0 && phase === 'applying' && Number(done) * 2 >= Number(total)) {
        killedAt = Number(done);
        walBytesAtKill = existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0;
        kill();
      }
    });
    expect(run.stderr).toBe('');
    expect(run.signal).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThanOrEqual(200_000);
    expect(run.stdout).not.toMatch(/committed|done/);
    // The uncommitted half-snapshot had reached the WAL when the process died.
    expect(walBytesAtKill).toBeGreaterThan(0);

    const db = new Database(path);
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare('SELECT count(*) AS n FROM subjects').get()).toEqual({ n: 20_000 });
    } finally {
      db.close();
    }
    const reopened = await openSnapshotStore({ path });
    stores.push(reopened);
    expect(reopened.info()).toMatchObject({ sequence: 1, count: 20_000 });
    for (const i of [0, 1, 999, 12_345, 19_999]) {
      const r = previous[i]!;
      expect(reopened.lookup(Buffer.from(r.pseudonym as Uint8Array).toString('base64url'))).toMatchObject({
        tier: r.tier,
        lists: [],
      });
    }
    // And the interrupted snapshot applies cleanly afterwards.
    expect(reopened.apply(next, { publicKeys: publicKey })).toMatchObject({ sequence: 2, count: 400_000 });
  }, 60_000);
});
