import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseGateConfig } from '../../cli/gate/config.js';
import { type GateDaemon, startGateDaemon } from '../../cli/gate/daemon.js';
import { createJsonLogger } from '../../sdk/logger.js';

/** The daemon when its journal cannot be opened: it waits (no crash loop), says so on /health, then starts. */
describe('gate daemon with an unusable journal', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('serves a degraded health with the journal alarm, keeps trying, and starts once the journal can be opened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xinyi-daemon-journal-'));
    dirs.push(dir);
    const dataDir = join(dir, 'data');
    // A directory where the database file should be: SQLite cannot open it.
    mkdirSync(join(dataDir, 'journal.sqlite'), { recursive: true });
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const config = parseGateConfig({
      terminalId: 'gate-journal-test',
      pseudonymKey: { value: 'journal-test-key-0123456789abcdef' },
      dataDir,
      devices: { gate: { protocol: 'aa-frame', link: { tcp: { host: '127.0.0.1', port: 1 } } } },
      http: { host: '127.0.0.1', port },
    });
    const lines: Record<string, unknown>[] = [];
    const logger = createJsonLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) });
    let daemon: GateDaemon | undefined;
    const starting = startGateDaemon({ config, baseDir: dir, logger }).then((d) => {
      daemon = d;
      return d;
    });
    try {
      // Waiting, not exiting: the health port answers 503 with the alarm.
      for (let i = 0; i < 100 && !lines.some((l) => l.msg === 'waiting for the journal'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({
        status: 'degraded',
        alarms: ['journal-unavailable'],
        code: 'JOURNAL_UNAVAILABLE',
      });
      expect(daemon).toBeUndefined();
      expect(lines.find((l) => l.msg === 'journal unavailable; the gate stays shut')?.code).toBe(
        'JOURNAL_UNAVAILABLE',
      );

      // The operator fixes the disk; the next attempt opens the journal and the daemon starts.
      rmSync(join(dataDir, 'journal.sqlite'), { recursive: true });
      const started = await starting;
      const body = (await (await fetch(`${started.url}/health`)).json()) as Record<string, unknown>;
      expect(body.terminalId).toBe('gate-journal-test');
      expect(body.backlog).toMatchObject({ decisions: { count: 0 } });
    } finally {
      await (daemon ?? (await starting.catch(() => undefined)))?.stop();
    }
  }, 20_000);

  it('stops waiting when aborted (SIGTERM before the daemon was up)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xinyi-daemon-journal-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'data', 'journal.sqlite'), { recursive: true });
    const config = parseGateConfig({
      terminalId: 'gate-journal-test',
      pseudonymKey: { value: 'journal-test-key-0123456789abcdef' },
      dataDir: join(dir, 'data'),
      devices: { gate: { protocol: 'aa-frame', link: { tcp: { host: '127.0.0.1', port: 1 } } } },
      http: { host: '127.0.0.1', port: 0 },
    });
    const abort = new AbortController();
    const starting = startGateDaemon({
      config,
      baseDir: dir,
      logger: createJsonLogger({ write: () => {} }),
      signal: abort.signal,
    });
    setTimeout(() => abort.abort(), 100);
    await expect(starting).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
