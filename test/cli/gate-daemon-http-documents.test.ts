// The daemon's /health and /diagnostics as an operator reads them: instants in one format, and alarms
// that end when their condition does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseGateConfig } from '../../cli/gate/config.js';
import { type GateDaemon, startGateDaemon } from '../../cli/gate/daemon.js';
import { withIsoTimestamps } from '../../cli/gate/iso-timestamps.js';
import { XinyiError } from '../../sdk/errors.js';
import type { SqliteJournal } from '../../sdk/journal/sqlite-journal.js';
import { createJsonLogger } from '../../sdk/logger.js';
import { type MockPlatform, startMockPlatform } from '../../simulator/mock-platform.js';
import { generatePopulation } from '../../simulator/population.js';

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Every `…At` / `at` / `since` field of a document, with its dot path. */
function instants(value: unknown, path = ''): [string, unknown][] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, inner]) => {
    const here = path ? `${path}.${key}` : key;
    if (/(?:At|^at|^since)$/.test(key) && (inner === null || typeof inner !== 'object')) {
      return [[here, inner] as [string, unknown]];
    }
    return instants(inner, here);
  });
}

describe('withIsoTimestamps', () => {
  it('turns epoch milliseconds and offset date-times of instant fields into ISO 8601 UTC, and nothing else', () => {
    const at = Date.UTC(2026, 11, 7, 21, 5, 0, 123);
    expect(
      withIsoTimestamps(
        {
          lastSuccessAt: at,
          nested: [{ at, since: '2026-12-08T05:05:00.123+08:00', count: at }],
          oldestAt: null,
          today: '2026-12-08',
          config: { clock: { startAt: '2026-10-02T10:00:00+08:00' } },
        },
        new Set(['config']),
      ),
    ).toEqual({
      lastSuccessAt: '2026-12-07T21:05:00.123Z',
      nested: [{ at: '2026-12-07T21:05:00.123Z', since: '2026-12-07T21:05:00.123Z', count: at }],
      oldestAt: null,
      today: '2026-12-08',
      config: { clock: { startAt: '2026-10-02T10:00:00+08:00' } },
    });
  });
});

describe('gate daemon: /health and /diagnostics', () => {
  let dir: string;
  let platform: MockPlatform;
  let daemon: GateDaemon;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xinyi-daemon-documents-'));
    writeFileSync(join(dir, 'pseudonym.key'), `hex:${'5a'.repeat(16)}${'c3'.repeat(16)}`, { mode: 0o600 });
    writeFileSync(join(dir, 'platform.secret'), 'http-documents-test-secret', { mode: 0o600 });
    platform = await startMockPlatform({
      pseudonymKeyFile: join(dir, 'pseudonym.key'),
      keyId: 'terminals',
      secretFile: join(dir, 'platform.secret'),
    });
    writeFileSync(
      join(dir, 'root.pem'),
      platform.issuer.rootPublicKey.export({ type: 'spki', format: 'pem' }),
    );
    writeFileSync(
      join(dir, 'snapshot.pem'),
      platform.snapshotPublicKey.export({ type: 'spki', format: 'pem' }),
    );
    const config = parseGateConfig({
      terminalId: 'gate-documents-test',
      pseudonymKey: { file: 'pseudonym.key' },
      dataDir: 'data',
      devices: { gate: { protocol: 'aa-frame', link: { tcp: { host: '127.0.0.1', port: 1 } } } },
      platform: {
        baseUrl: platform.url,
        keyId: 'terminals',
        secret: { file: 'platform.secret' },
        trustRootPublicKey: { file: 'root.pem' },
        snapshotPublicKeys: [{ file: 'snapshot.pem' }],
      },
      http: { host: '127.0.0.1', port: 0 },
      journal: { probeIntervalMs: 20 },
    });
    daemon = await startGateDaemon({ config, baseDir: dir, logger: createJsonLogger({ write: () => {} }) });
  }, 30_000);

  afterAll(async () => {
    await daemon?.stop();
    await platform?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = async (path: string) =>
    (await (await fetch(`${daemon.url}${path}`)).json()) as Record<string, unknown>;

  it('gives every instant as ISO 8601 in UTC with milliseconds (the log lines’ format)', async () => {
    // The first sync has run: its instants are real ones, not nulls.
    await vi.waitFor(
      async () => {
        const sync = (await get('/diagnostics')).platformSync as { lastSuccessAt: unknown } | undefined;
        expect(sync?.lastSuccessAt).not.toBeNull();
      },
      { timeout: 20_000, interval: 50 },
    );
    for (const path of ['/diagnostics', '/health']) {
      const body = await get(path);
      const found = instants(path === '/diagnostics' ? { ...body, config: undefined } : body);
      for (const [field, value] of found) {
        if (value !== null) expect(value, `${path} ${field}`).toMatch(ISO_UTC);
      }
      expect(found.filter(([, v]) => v !== null).length, path).toBeGreaterThan(2);
    }
    const diagnostics = await get('/diagnostics');
    expect(diagnostics.platformSync).toMatchObject({
      lastSuccessAt: expect.stringMatching(ISO_UTC),
      trustListExpiresAt: expect.stringMatching(ISO_UTC),
      statusListAt: expect.stringMatching(ISO_UTC),
      snapshot: { generatedAt: expect.stringMatching(ISO_UTC), appliedAt: expect.stringMatching(ISO_UTC) },
    });
    expect((diagnostics.devices as Record<string, { since: string }>)['aa-gate']?.since).toMatch(ISO_UTC);
  });

  it('a journal read that fails raises journal-unavailable for that answer; the next good read clears it', async () => {
    const before = (await get('/health')).alarms as string[];
    expect(before).not.toContain('journal-unavailable');
    // A read failing once, as SQLITE_BUSY from another process holding the file would.
    const spy = vi.spyOn(daemon.journal, 'backlog').mockImplementationOnce(() => {
      throw new XinyiError('JOURNAL_UNAVAILABLE', 'database is locked');
    });
    try {
      expect((await get('/health')).alarms).toContain('journal-unavailable');
      expect((await get('/health')).alarms).not.toContain('journal-unavailable');
    } finally {
      spy.mockRestore();
    }
  });

  it('a journal write that fails raises journal-unavailable; with no decision after it, the write probe ends it', async () => {
    const journal = daemon.journal as SqliteJournal;
    const realProbe = journal.probeWrite.bind(journal);
    let diskFull = true;
    let probes = 0;
    // The disk is full: the decision's commit and the probes fail as SQLite's SQLITE_FULL would.
    const commit = vi.spyOn(journal, 'commitDecision').mockImplementationOnce(() => {
      throw new XinyiError('JOURNAL_FULL', 'the journal is full: could not commit the decision');
    });
    const probe = vi.spyOn(journal, 'probeWrite').mockImplementation(() => {
      probes++;
      if (diskFull)
        throw new XinyiError('JOURNAL_FULL', 'the journal is full: no room for the next decision');
      realProbe();
    });
    try {
      const [person] = generatePopulation(1, 'daemon-journal-probe');
      await expect(
        daemon.terminal.present({ kind: 'id-card', idNumber: person!.idNumber }),
      ).rejects.toMatchObject({ code: 'JOURNAL_FULL' });
      expect((await get('/health')).alarms).toContain('journal-unavailable');
      await vi.waitFor(() => expect(probes).toBeGreaterThanOrEqual(3), { timeout: 10_000, interval: 10 });
      expect((await get('/health')).alarms).toContain('journal-unavailable');
      // The disk is freed; no one taps. The next probe (the real one) ends the alarm.
      diskFull = false;
      await vi.waitFor(
        async () => expect((await get('/health')).alarms).not.toContain('journal-unavailable'),
        { timeout: 10_000, interval: 20 },
      );
      expect(commit).toHaveBeenCalledTimes(1);
    } finally {
      commit.mockRestore();
      probe.mockRestore();
    }
  });
});
